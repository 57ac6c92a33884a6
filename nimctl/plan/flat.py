"""A diff as a flat list of changes, for a check that reads it (:mod:`nimctl.plan.safety`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimctl.plan.document import STACK_TYPE


@dataclass(frozen=True)
class Change:
    """One change of a diff. ``resource`` is the resource's URN without its stack
    (:func:`document.key_of`), None for a stack output (then ``type`` is the stack's). ``path``
    is a property path of its inputs (of the outputs for the stack), ``""`` for the resource as a
    whole (added: ``after`` holds its inputs; removed: ``before``), ``"(provider)"`` for its
    provider. ``before`` is None for ``added``, ``after`` for ``removed``."""

    resource: str | None
    type: str
    name: str
    path: str
    change: str
    before: Any = None
    after: Any = None
    label: str | None = None

    @property
    def whole(self) -> str | None:
        """``"added"`` or ``"removed"`` when the resource as a whole is, None for a change of one
        of its properties (or its provider)."""
        return self.change if self.path == "" else None


def changes(d: dict[str, Any]) -> list[Change]:
    """Every change of diff ``d`` (as :func:`diff` returns it, or its ``--json``), resources first
    (in the order of ``d["resources"]``), then the stack outputs."""
    out: list[Change] = []
    for r in d["resources"]:
        at = {"resource": r["resource"], "type": r["type"], "name": r["name"]}
        if r["change"] == "added":
            out.append(Change(**at, path="", change="added", after=r.get("inputs", {})))
        elif r["change"] == "removed":
            out.append(Change(**at, path="", change="removed", before=r.get("inputs", {})))
        else:
            if "provider" in r:
                out.append(Change(**at, path="(provider)", change="changed", **r["provider"]))
            out += [Change(**at, **c) for c in r["changes"]]
    stack = {"resource": None, "type": STACK_TYPE, "name": d["stack"]}
    out += [Change(**stack, **c) for c in d["outputs"]]
    return out
