"""What changes from one plan document to another, as data (``--diff --json``).

Resources are matched by their URN without the stack (:func:`document.key_of`), so the plan of
another stack file compares resource by resource. Inputs compare with :mod:`compare` (JSON inside
strings structurally, named list items by name). Cost lines match by item, warnings by text.

What is not listed (noise): a component resource is listed only when it is added or removed, as the
heading of its resources; the Python SDK registers a component without inputs, so what changes
under it shows on its resources, never as a change of the component itself (one whose own inputs
changed would be listed). Secret values compare as equal (both ``[secret]``).

A check that reads a diff (``--json`` or :func:`diff`) can take :func:`changes`: every change as a
:class:`Change` (resource, path, before, after). The rollout safety check (:mod:`safety`) is one:
``safety`` holds its findings when both plans are of one stack (else null).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nimctl.plan import safety
from nimctl.plan.compare import compare
from nimctl.plan.document import FORMAT, PlanError, key_of
from nimctl.plan.paths import flatten
from nimgke.cost import SCENARIOS

DIFF_FORMAT = "nimctl-plan-diff/v3"
COST_OUTPUT = "costEstimate"
LIKE_MIN_INPUTS = 6
"""An added resource with fewer inputs prints them all, not its differences from another."""


def diff(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """What changes from plan ``base`` to plan ``head`` (both ``--json`` documents)."""
    for doc in (base, head):
        if doc.get("format") != FORMAT:
            raise PlanError(f"not a {FORMAT} document (format: {doc.get('format')!r})")
    old = {key_of(r["urn"]): r for r in base["resources"]}
    new = {key_of(r["urn"]): r for r in head["resources"]}
    entries: list[dict[str, Any]] = []
    for key, r in new.items():
        if key not in old:
            entries.append(_added(key, r, old, new))
        elif found := _changed(key, old[key], r):
            entries.append(found)
    entries += [_entry(key, r, "removed") for key, r in old.items() if key not in new]
    cost = cost_diff(base["outputs"].get(COST_OUTPUT), head["outputs"].get(COST_OUTPUT))
    skip = {COST_OUTPUT} if cost is not None else set()
    out: dict[str, Any] = {
        "format": DIFF_FORMAT,
        "stack": head["stack"],
        "stackFile": head["stackFile"],
        "baseStack": base["stack"],
        "baseStackFile": base["stackFile"],
        "resources": entries,
        "outputs": compare(_without(base["outputs"], skip), _without(head["outputs"], skip)),
        "cost": cost,
        "warnings": {
            "added": [w for w in head["warnings"] if w not in base["warnings"]],
            "removed": [w for w in base["warnings"] if w not in head["warnings"]],
        },
    }
    # A rollout is an edit of one stack; two stacks' plans compare, but nothing rolls out.
    same = base["stack"] == head["stack"]
    out["safety"] = safety.check(base, head, out).as_dict() if same else None
    return out


def is_empty(d: dict[str, Any]) -> bool:
    w = d["warnings"]
    return not (d["resources"] or d["outputs"] or d["cost"] or w["added"] or w["removed"])


def _without(outputs: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in outputs.items() if k not in keys}


def _component(urn: str | None) -> str | None:
    return key_of(urn) if urn else None


def _entry(key: str, r: dict[str, Any], change: str) -> dict[str, Any]:
    entry = {
        "resource": key,
        "urn": r["urn"],
        "type": r["type"],
        "name": r["name"],
        "custom": r["custom"],
        "component": _component(r["component"]),
        "change": change,
    }
    if change != "changed" and (r["custom"] or r["inputs"]):
        entry["inputs"] = r["inputs"]
    return entry


def _changed(key: str, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
    entry = _entry(key, b, "changed")
    entry["changes"] = compare(a["inputs"], b["inputs"])
    before, after = _component(a["provider"]), _component(b["provider"])
    if before != after:
        entry["provider"] = {"before": before, "after": after}
    return entry if entry["changes"] or "provider" in entry else None


def _added(key: str, r: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """An added resource; ``like``: the resource of the same type, in both plans, whose inputs
    differ least (a canary's release is its model's release but for the tag), when fewer than half
    of its inputs differ and it has at least ``LIKE_MIN_INPUTS``; ``likeChanges``: how (the text
    prints these instead of every input)."""
    entry = _entry(key, r, "added")
    if not r["custom"]:
        return entry
    leaves = sum(1 for _ in flatten(r["inputs"]))
    best: tuple[int, str, list[dict[str, Any]]] | None = None
    for other, o in new.items():
        if other in old and o["type"] == r["type"] and o["custom"]:
            found = compare(o["inputs"], r["inputs"])
            if best is None or len(found) < best[0]:
                best = (len(found), other, found)
    if best is not None and 2 * best[0] < leaves and leaves >= LIKE_MIN_INPUTS:
        entry["like"], entry["likeChanges"] = best[1], best[2]
    return entry


# --- cost --------------------------------------------------------------------------------------

_STEM = re.compile(r":| \(|,")


def _stem(line: dict[str, Any]) -> tuple[str, str]:
    """What a cost line is about, without its figures: the item up to its first ``:``, `` (`` or
    ``,`` ("Artifact Registry: 2 cached NIM image(s) ..." -> "Artifact Registry"), and its unit."""
    return _STEM.split(line["item"], maxsplit=1)[0], line["unit"]


Line = dict[str, Any]


def _match_lines(before: list[Line], after: list[Line]) -> list[tuple[Line | None, Line | None]]:
    """Pairs (before line or None, after line or None): by item text, then by what the item is
    about (:func:`_stem`) when that is unique on both sides; unmatched lines are added or removed.
    In the order of ``after``, removed lines last."""
    pairs: dict[int, int] = {}
    by_item = {line["item"]: i for i, line in enumerate(before)}
    for j, line in enumerate(after):
        if (i := by_item.get(line["item"])) is not None and i not in pairs.values():
            pairs[j] = i
    left_old = [i for i in range(len(before)) if i not in pairs.values()]
    left_new = [j for j in range(len(after)) if j not in pairs]
    for j in left_new:
        same = [i for i in left_old if _stem(before[i]) == _stem(after[j])]
        rivals = [k for k in left_new if _stem(after[k]) == _stem(after[j])]
        if len(same) == 1 and len(rivals) == 1:
            pairs[j] = same[0]
    out: list[tuple[Line | None, Line | None]] = [
        (before[pairs[j]] if j in pairs else None, line) for j, line in enumerate(after)
    ]
    out += [(line, None) for i, line in enumerate(before) if i not in pairs.values()]
    return out


def cost_diff(before: Any, after: Any) -> dict[str, Any] | None:
    """The cost estimate's changes: lines matched by item, each scenario's total before and after,
    and its other fields by path. None when both estimates are equal or either has no lines."""
    if not (isinstance(before, dict) and isinstance(after, dict)) or before == after:
        return None
    if "lines" not in before or "lines" not in after:
        return None
    lines = []
    for a, b in _match_lines(before["lines"], after["lines"]):
        if a != b:
            kind = "added" if a is None else "removed" if b is None else "changed"
            item = next(x["item"] for x in (b, a) if x is not None)
            lines.append({"item": item, "change": kind, "before": a, "after": b})
    shown = {"lines", *(f"{s}Monthly" for s in SCENARIOS)}
    return {
        "currency": after.get("currency"),
        "lines": lines,
        "totals": _per_scenario(before, after, lambda est, s: est[f"{s}Monthly"]),
        "withMonitoring": _per_scenario(
            before, after, lambda est, s: est["monitoring"]["withMonitoringMonthly"][s]
        ),
        "changes": compare(_without(before, shown), _without(after, shown), COST_OUTPUT),
    }


def _per_scenario(
    before: dict[str, Any], after: dict[str, Any], get: Callable[[dict[str, Any], str], float]
) -> dict[str, dict[str, float]] | None:
    """``{scenario: {"before", "after"}}`` of a figure both estimates have, else None."""
    try:
        return {s: {"before": get(before, s), "after": get(after, s)} for s in SCENARIOS}
    except (KeyError, TypeError):
        return None
