"""Two values compared property by property: the changes a plan diff is made of.

A change is a dict (it goes into ``--json`` as it is)::

    {"path": "spec.rules[0].backendRefs[0].weight", "change": "changed",
     "before": 100, "after": 90,          # "before" not for "added", "after" not for "removed"
     "label": "llama3-8b-1-0-3-nim-llm"}  # the name or title of the innermost list item the
                                          # change is inside (not the item itself); if any

The rules, each a question a reviewer would otherwise ask:

- Objects key by key. A key on one side only is one change holding its whole value, as Pulumi's
  detailed diff reports an added or deleted property at its own path.
- Lists of objects that each carry a unique identity (``name``, ``title``, a dashboard tile's
  ``widget.title``, a cost line's ``item``) are matched by it, so inserting or removing one does not
  show as a change of every item after it. When the items they share changed order, or have no
  such identity, they are matched by position. A matched or added item's path has its position in
  the new list, a removed item's its position in the old one.
- Lists of scalars are compared as sequences (``difflib``): elements removed, added, or changed in
  place.
- A string that holds a JSON object or array on both sides (a dashboard's ``dashboardJson``) is
  parsed and compared the same way; the path steps into it with ``(json)``:
  ``dashboardJson(json).mosaicLayout.tiles[14].widget.xyChart.thresholds[0].value``. Key order and
  whitespace are therefore not a change: the provider compares the document parsed too
  (hashicorp/terraform-provider-google@160dc8274a1e94b77c7514fd748b45333ad27d7c:
  google/services/monitoring/resource_monitoring_dashboard.go, ``monitoringDashboardDiffSuppress``
  suppresses a diff when the parsed documents are ``reflect.DeepEqual``; pulumi-gcp is that
  provider, bridged).
- Anything else is compared as a whole: ``changed`` with before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from nimctl.plan.paths import JSON_STEP, is_scalar_list, join, json_document

Change = dict[str, Any]

IDENTITIES: tuple[tuple[str, ...], ...] = (("name",), ("title",), ("widget", "title"), ("item",))
"""Where a list item's identity may be, in order of preference."""


def compare(before: Any, after: Any, path: str = "", label: str | None = None) -> list[Change]:
    """The changes from ``before`` to ``after``, below ``path``; none if they are equal."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Change] = []
        for key in sorted(before.keys() | after.keys()):
            sub = join(path, key)
            if key not in after:
                out.append(change(sub, "removed", before=before[key], label=label))
            elif key not in before:
                out.append(change(sub, "added", after=after[key], label=label))
            else:
                out += compare(before[key], after[key], sub, label)
        return out
    if isinstance(before, list) and isinstance(after, list):
        return _lists(before, after, path, label)
    old_doc, new_doc = json_document(before), json_document(after)
    if old_doc is not None and new_doc is not None:
        return compare(old_doc, new_doc, path + JSON_STEP, label)
    return [change(path, "changed", before=before, after=after, label=label)]


_ABSENT = object()


def change(
    path: str, kind: str, *, before: Any = _ABSENT, after: Any = _ABSENT, label: str | None = None
) -> Change:
    out: Change = {"path": path, "change": kind}
    if before is not _ABSENT:
        out["before"] = before
    if after is not _ABSENT:
        out["after"] = after
    if label is not None:
        out["label"] = label
    return out


def _identity_getter(ident: tuple[str, ...]) -> Callable[[Any], str | None]:
    def get(item: Any) -> str | None:
        for step in ident:
            if not isinstance(item, dict):
                return None
            item = item.get(step)
        return item if isinstance(item, str) else None

    return get


_GETTERS = [_identity_getter(ident) for ident in IDENTITIES]


def label_of(item: Any) -> str | None:
    """The name or title of a list item, if it has one."""
    for get in _GETTERS:
        if (found := get(item)) is not None:
            return found
    return None


def _matching_identity(before: list[Any], after: list[Any]) -> Callable[[Any], str | None] | None:
    """The identity both lists' items carry, each unique, with their shared items in the same
    order; None when there is none (then items are matched by position)."""
    for get in _GETTERS:
        old, new = [get(v) for v in before], [get(v) for v in after]
        if None in old or None in new or len(set(old)) < len(old) or len(set(new)) < len(new):
            continue
        shared = set(old) & set(new)
        if [k for k in old if k in shared] == [k for k in new if k in shared]:
            return get
        return None
    return None


def _lists(before: list[Any], after: list[Any], path: str, label: str | None) -> list[Change]:
    if is_scalar_list(before) and is_scalar_list(after):
        return _sequences(before, after, path, label)
    get = _matching_identity(before, after) if before and after else None
    out: list[Change] = []
    if get is not None:
        # by position: a removed item at its old one, the others at their new one
        placed: list[tuple[int, list[Change]]] = []
        old = {get(v): v for v in before}
        new = {get(v) for v in after}
        for i, v in enumerate(before):
            if get(v) not in new:
                placed.append((i, [change(join(path, i), "removed", before=v, label=label)]))
        for j, v in enumerate(after):
            key = get(v)
            if key in old:
                placed.append((j, compare(old[key], v, join(path, j), key)))
            else:
                placed.append((j, [change(join(path, j), "added", after=v, label=label)]))
        return [c for _, found in sorted(placed, key=lambda p: p[0]) for c in found]
    for i in range(max(len(before), len(after))):
        sub = join(path, i)
        if i >= len(after):
            out.append(change(sub, "removed", before=before[i], label=label))
        elif i >= len(before):
            out.append(change(sub, "added", after=after[i], label=label))
        else:
            out += compare(before[i], after[i], sub, label_of(after[i]) or label)
    return out


def _sequences(before: list[Any], after: list[Any], path: str, label: str | None) -> list[Change]:
    """Lists of scalars: what ``difflib`` finds removed, added, or replaced in place."""
    out: list[Change] = []
    opcodes = SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            out += compare(before[i1 + k], after[j1 + k], join(path, j1 + k), label)
        for i in range(i1 + pairs, i2):
            out.append(change(join(path, i), "removed", before=before[i], label=label))
        for j in range(j1 + pairs, j2):
            out.append(change(join(path, j), "added", after=after[j], label=label))
    return out
