"""What the rollout safety check reports: its findings (each kind with its title) and the node
pools an edit replaces, recreates or deletes."""

from __future__ import annotations

from dataclasses import dataclass

from nimctl.plan.flat import Change
from nimctl.plan.paths import show

ROLLOUTS_DOC = "docs/rollouts.md"

TITLES = {
    "weighted-backend-removed": "a backend that carries weight is removed with its release",
    "weight-before-ready": "weight given to a version before it has a ready pod",
    "pod-restart": "a serving version's pod changes without a surge or a second replica",
    "statefulset-update-refused": "a change Kubernetes refuses to make to a StatefulSet",
    "pool-replaced": "a GPU node pool is replaced under a serving version",
    "nodes-recreated": "a GPU node pool's nodes are recreated under a serving version",
    "pool-deleted": "a GPU node pool is deleted under a serving version",
}
"""Each kind of finding, as the text names it (the kinds are stable identifiers)."""


@dataclass(frozen=True)
class Finding:
    kind: str
    """One of :data:`TITLES`."""
    resource: str
    """The resource that changes (its URN without the stack)."""
    type: str
    name: str
    reason: str
    fix: str


@dataclass(frozen=True)
class PoolChange:
    """A node pool the edit replaces, whose nodes it recreates, or that it deletes."""

    resource: str
    name: str
    effect: str
    """:data:`~nimgke.node_pool_changes.REPLACED`, :data:`~nimgke.node_pool_changes.RECREATED`
    or :data:`DELETED`."""
    changes: list[str]
    """``path: before => after`` of each input that does it (none for a deleted pool)."""
    cost: str
    versions: list[str]
    """The serving versions on the pool (on any pool of their ComputeClass), with their share."""
    computeClass: str | None  # noqa: N815 - the JSON field's name
    """The ComputeClass whose priority the pool is, if any."""
    priority: int | None
    """Its place in the class's priorities, from 1 (2 and later: a fallback)."""


DELETED = "deleted"
"""A node pool removed from the stack: Pulumi deletes it (last in the update) and GKE drains it."""


def line(c: Change) -> str:
    """``path: before => after`` of a change, ``(none)`` for a side that is not there."""
    if c.change == "added":
        return f"{c.path}: (none) => {show(c.after)}"
    if c.change == "removed":
        return f"{c.path}: {show(c.before)} => (none)"
    return f"{c.path}: {show(c.before)} => {show(c.after)}"


def shown(found: list[Change], most: int = 3) -> str:
    """The first ``most`` changes of ``found`` on one line, and how many more there are."""
    more = f" (+{len(found) - most} more)" if len(found) > most else ""
    return ", ".join(line(c) for c in found[:most]) + more
