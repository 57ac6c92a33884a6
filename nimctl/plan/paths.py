"""Property paths and values as the plan prints them.

Paths are Pulumi's property paths (``a.b``, ``a[0]``, ``a["nvidia.com/gpu"]``: the syntax of
``ignoreChanges`` and ``pulumi config set --path``,
https://www.pulumi.com/docs/reference/property-paths/), with one step of our own:
``dashboardJson(json).mosaicLayout`` goes into the JSON document the string holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

SECRET = "[secret]"
JSON_STEP = "(json)"
"""Appended to the path of a string property to step into the JSON document it holds."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def join(path: str, key: str | int) -> str:
    """``path`` one step further: ``a.b``, ``a[0]``, ``a["nvidia.com/gpu"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(property path, leaf)`` pairs, keys sorted; a list of scalars is one leaf."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], join(path, key))
    elif isinstance(value, list) and value and not is_scalar_list(value):
        for i, v in enumerate(value):
            yield from flatten(v, join(path, i))
    else:
        yield path, value


def show(value: Any) -> str:
    """A value on one line: JSON, except the secret marker."""
    if value == SECRET:
        return SECRET
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _number(text: str) -> float | int:
    """A JSON number; a whole one as an integer (2.0 -> 2), as :func:`document.mask` does."""
    value = float(text)
    return int(value) if value.is_integer() else value


def json_document(value: Any) -> dict[str, Any] | list[Any] | None:
    """The object or array a string holds as JSON (a dashboard's ``dashboardJson``), else None."""
    if not isinstance(value, str) or value.lstrip()[:1] not in ("{", "["):
        return None
    try:
        parsed = json.loads(value, parse_float=_number)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def property_lines(values: Any, pad: str, fold: bool = False) -> list[str]:
    """``path: value`` lines; a multi-line string as a block. With ``fold``, a string holding a
    JSON document prints as a one-line summary (:func:`summary`)."""
    lines = []
    for path, leaf in flatten(values):
        document = json_document(leaf) if fold else None
        if document is not None:
            lines.append(f"{pad}{path}: ({summary(document, len(leaf))}; --full prints it)")
        elif isinstance(leaf, str) and "\n" in leaf:
            lines.append(f"{pad}{path}: |")
            lines += [f"{pad}    {line}" for line in leaf.splitlines()]
        else:
            lines.append(f"{pad}{path}: {show(leaf)}")
    return lines


# The layouts of a Cloud Monitoring dashboard, each a list of widgets (googleapis/googleapis@
# 0dafa3963ef6fcb8a7f5daaa4bec12adb04de518: google/monitoring/dashboard/v1/dashboard.proto,
# `oneof layout`; layouts.proto: GridLayout.widgets, MosaicLayout.tiles[].widget,
# RowLayout.rows[].widgets, ColumnLayout.columns[].widgets).
def dashboard_widgets(doc: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The widgets of a Cloud Monitoring dashboard document, None if ``doc`` is not one."""
    if "mosaicLayout" in doc:
        return [t.get("widget", {}) for t in doc["mosaicLayout"].get("tiles", [])]
    if "gridLayout" in doc:
        return list(doc["gridLayout"].get("widgets", []))
    for layout, parts in (("rowLayout", "rows"), ("columnLayout", "columns")):
        if layout in doc:
            return [w for part in doc[layout].get(parts, []) for w in part.get("widgets", [])]
    return None


def summary(document: dict[str, Any] | list[Any], size: int) -> str:
    """One line for a JSON document: what it is and how big."""
    chars = f"{size:,} characters"
    if isinstance(document, list):
        return f"JSON array of {len(document)} items, {chars}"
    widgets = dashboard_widgets(document)
    if widgets is None:
        return f"JSON object, {chars}, keys: {', '.join(sorted(document))}"
    sections = sum(1 for w in widgets if "sectionHeader" in w)
    name = json.dumps(document.get("displayName", ""), ensure_ascii=False)
    return (
        f"Cloud Monitoring dashboard {name}: {len(widgets) - sections} panels in {sections} "
        f"sections, {chars} of JSON"
    )
