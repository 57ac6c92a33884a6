"""Pass 1: pydantic's validation errors as problems naming the key as the user wrote it."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from nimgke.config._base import _MISSING, NAMESPACE, PROJECT_KEY, Problem, _nearest
from nimgke.config.settings import StackSettings

_TYPE_RULES = {
    "bool_type": ("must be true or false", "write true or false, without quotes"),
    "int_type": ("must be a whole number", "write a number such as 2, without quotes"),
    "int_from_float": ("must be a whole number", "write a number such as 2"),
    "float_type": ("must be a number", "write a number such as 8, without quotes"),
    "string_type": ("must be text", "write it as text; quote values that look like numbers"),
    "list_type": ("must be a list", "write a YAML list, one '- item' per line"),
    "model_type": ("must be an object", "write a YAML mapping of settings"),
    "missing": ("is required", "set it in the stack file (docs/configuration.md, 'Settings')"),
}


_RANGE_FIXES = {
    "greater_than_equal": "use {ge:g} or more",
    "greater_than": "use a number above {gt:g}",
    "less_than_equal": "use {le:g} or less",
    "less_than": "use a number below {lt:g}",
}


def _key(loc: tuple[Any, ...]) -> str:
    head, *rest = loc
    # The key as the user wrote it (pydantic reports known settings by their camelCase alias).
    key = PROJECT_KEY if head == "project" else f"{NAMESPACE}:{head}"
    for part in rest:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model inside an annotation such as ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The settings allowed where an unknown key was found (for 'did you mean')."""
    model: type[BaseModel] | None = StackSettings
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    # ``project`` is set as gcp:project, not nim-gke:project.
    skip = {"project"} if model is StackSettings else set()
    return [f.alias or n for n, f in model.model_fields.items() if n not in skip]


def _pydantic_problems(err: ValidationError) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc, typ = tuple(e["loc"]), e["type"]
        value = e.get("input", _MISSING) if typ != "missing" else _MISSING
        if typ == "extra_forbidden":
            rule, fix = "is not a setting nim-gke knows", _nearest(loc[-1], _fields_at(loc))
            fix = "remove it, or " + fix
        elif typ == "literal_error":
            expected = re.findall(r"'([^']*)'", e["ctx"]["expected"])
            rule, fix = "is not an allowed value", _nearest(value, expected)
        elif typ in _TYPE_RULES:
            rule, fix = _TYPE_RULES[typ]
        elif typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            rule = e["msg"].replace("Input should be", "must be")
            fix = _RANGE_FIXES[typ].format(**e.get("ctx", {}))
        elif typ == "too_short":
            rule, fix = "must not be empty", "add at least one entry"
        else:
            rule, fix = e["msg"], "see docs/configuration.md, 'Settings'"
        problems.append(Problem(_key(loc), value, rule, fix))
    return problems
