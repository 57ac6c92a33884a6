"""Entry points: validate raw config (from the engine or a stack file) into a StackConfig."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import ValidationError

from nimgke.config._base import NAMESPACE, NGC_KEY, PROJECT_KEY, ConfigError, Problem
from nimgke.config.check_autoscaling import check_autoscaling
from nimgke.config.check_capacity import check_capacity
from nimgke.config.check_cluster import check_cluster
from nimgke.config.check_images import check_images
from nimgke.config.check_monitoring import check_monitoring
from nimgke.config.check_nim import check_nim
from nimgke.config.check_rollout import check_rollout
from nimgke.config.check_security import check_budget, check_security
from nimgke.config.resolved import ModelPlan, StackConfig
from nimgke.config.settings import StackSettings
from nimgke.config.shape import _pydantic_problems
from nimgke.config.warnings import stack_warnings


def _check(
    stack: str, s: StackSettings, ngc_key: tuple[bool, bool]
) -> tuple[list[Problem], list[ModelPlan]]:
    """Pass 2, every area in turn (the order of the report)."""
    problems = check_cluster(stack, s)
    found, plans = check_nim(s)
    problems += found
    problems += check_rollout(s)
    problems += check_security(s, ngc_key)
    problems += check_budget(s)
    problems += check_monitoring(s)
    problems += check_autoscaling(s)
    problems += check_images(s)
    problems += check_capacity(s)
    return problems, plans


def parse(stack: str, raw: Mapping[str, Any], ngc_key: tuple[bool, bool]) -> StackConfig:
    """Validate raw config (``{"nim-gke:region": ..., "gcp:project": ...}``) into a StackConfig.

    ``ngc_key`` says whether the NGC key is set and whether it is stored as a secret; the key
    itself never reaches this function.
    """
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if full_key == PROJECT_KEY:
            data["project"] = value
        elif ns != NAMESPACE or full_key == NGC_KEY:
            continue
        elif key == "project":
            # Would otherwise stand in for (or silently replace) gcp:project.
            problems.append(
                Problem(
                    full_key,
                    value,
                    "is not a setting nim-gke knows",
                    f"remove it; the project is set as {PROJECT_KEY}",
                )
            )
        elif isinstance(value, str) and key != "region" and value[:1] in ("[", "{"):
            # The engine hands structured values over as JSON text.
            try:
                data[key] = json.loads(value)
            except json.JSONDecodeError:
                problems.append(
                    Problem(
                        full_key,
                        value,
                        "is not valid structured config",
                        "write it as a YAML mapping in the stack file",
                    )
                )
        else:
            data[key] = value
    try:
        settings = StackSettings.model_validate(data)
    except ValidationError as err:
        # Keys already reported above are not reported again as missing.
        seen = {p.key for p in problems}
        problems += [p for p in _pydantic_problems(err) if p.key not in seen]
    if problems:
        raise ConfigError(stack, problems)
    problems, plans = _check(stack, settings, ngc_key)
    if problems:
        raise ConfigError(stack, problems)
    return StackConfig(
        stack=stack,
        settings=settings,
        models=tuple(plans),
        warnings=tuple(stack_warnings(settings, plans)),
    )


def load_from_pulumi() -> StackConfig:
    """Read this stack's config from the Pulumi engine (``pulumi up``/``preview`` or mocks)."""
    from pulumi.runtime import config as rc  # noqa: PLC0415 - engine internals, read once

    raw = {**rc.get_config_env(), **rc.CONFIG.get()}
    secret_keys = set(rc.get_config_secret_keys_env()) | {k for k in raw if rc.is_config_secret(k)}
    has_key = bool(raw.get(NGC_KEY))
    return parse(pulumi.get_stack(), raw, (has_key, NGC_KEY in secret_keys))


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as Pulumi reads it (1.2): ``yes``/``no``/``on``/``off`` are strings, not booleans;
    ``2024-05-01`` is a string, not a date; ``12:30`` is a string, not the base-60 number 750."""


_YAML11_ONLY = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp", "value")}
_Yaml12Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag not in _YAML11_ONLY]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# PyYAML's own int and float patterns without their base-60 (``1:20``) forms.
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml`` file."""
    doc = yaml.load(path.read_text(), Loader=_Yaml12Loader) or {}  # noqa: S506 - safe subclass
    return dict(doc.get("config") or {})


def load_stack_file(path: Path) -> StackConfig:
    """Validate a stack file without the Pulumi engine (used by ``nimctl``)."""
    raw = read_stack_file(path)
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    key = raw.get(NGC_KEY)
    has_key = key is not None
    is_secret = isinstance(key, dict) and "secure" in key
    # Outside the engine the key may live elsewhere (CI): only a plain-text one is an error.
    return parse(stack, raw, (True, True) if not has_key else (has_key, is_secret))
