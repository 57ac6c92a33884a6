"""Plain data the rules work on, free of the Policy SDK so tests can build it directly.

Property dictionaries hold the engine's wire form: camelCase keys, numbers as floats, and
`UNKNOWN` wherever the engine does not know a value yet (during `pulumi preview`, anything
computed from another resource's output). Secret values arrive as their plain value: the
Python Policy SDK unwraps secrets before a validation sees them (see docs/policy.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Resource type tokens, exactly as the engine reports them.
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"


class Unknown:
    """A value the engine does not know yet (preview). Compare with `is UNKNOWN`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


class _UnknownAncestor(Unknown):
    """Returned by `dig` when a parent of the requested path is unknown: the leaf may not exist."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN_ANCESTOR"


UNKNOWN: Unknown = Unknown()
"""The leaf value itself is set, but its value is unknown (e.g. an Output not yet resolved)."""

UNKNOWN_ANCESTOR: Unknown = _UnknownAncestor()
"""A parent object is unknown, so whether the leaf is set at all cannot be told."""


def dig(obj: Any, *path: str | int) -> Any:
    """Walk `path` through nested mappings/lists.

    Returns the value, `None` when any step is absent (or not a container), `UNKNOWN` when the
    value at `path` is unknown, and `UNKNOWN_ANCESTOR` when a parent on the way is unknown.
    """
    cur = obj
    for key in path:
        if isinstance(cur, Unknown):
            return UNKNOWN_ANCESTOR
        if isinstance(key, int):
            if (
                isinstance(cur, Sequence)
                and not isinstance(cur, str)
                and -len(cur) <= key < len(cur)
            ):
                cur = cur[key]
            else:
                return None
        elif isinstance(cur, Mapping):
            cur = cur.get(key)
        else:
            return None
    return cur


def show(value: Any) -> str:
    """Render a found value for a violation message (JSON-like; `unset` for absent)."""
    if value is None:
        return "unset"
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError:
        return repr(value)


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str | None = None
    """Stack policies point at the offending resource; resource policies leave this None."""


@dataclass
class Findings:
    """What one rule found on one resource (or one stack)."""

    violations: list[Violation] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    """Wire paths the rule could not judge because their value is unknown during preview."""

    def fail(self, message: str, urn: str | None = None) -> None:
        self.violations.append(Violation(message, urn))

    def unknown(self, path: str) -> None:
        if path not in self.unknowns:
            self.unknowns.append(path)

    @property
    def messages(self) -> list[str]:
        return [v.message for v in self.violations]

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class Resource:
    """One resource as a resource policy sees it: its type token and its input properties."""

    type: str
    props: Mapping[str, Any]
    secret_outputs: tuple[str, ...] = ()
    """The resource's `additional_secret_outputs` option (top-level property names)."""
    urn: str = ""
    name: str = ""


@dataclass(frozen=True)
class StackResource:
    """One resource as a stack policy sees it: its *output* properties and dependencies."""

    type: str
    urn: str
    props: Mapping[str, Any]
    dependencies: tuple[str, ...] = ()
    """URNs this resource depends on (resource and property dependencies together)."""
