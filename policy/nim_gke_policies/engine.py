"""How a rule is written: a row of metadata and a table of steps, read by one loop.

A resource rule lists, for each resource type it judges, its steps in order. Most steps are a
`Check`: one property path, a predicate on the value found there, and the message when the
predicate fails. A step that needs more (a loop over list entries, two properties together, the
policy config, the resource's options) is a small named function with the same signature, and a
guard (a step that returns False) skips resources the rule is not about, such as Helm releases of
other charts.

`ResourceRule.check` runs the steps. A value that is unknown during preview is not judged: the
step records its path in `Findings.unknowns` and `pulumi up` judges it once it is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .model import (
    UNKNOWN,
    UNKNOWN_ANCESTOR,
    Findings,
    Resource,
    StackResource,
    Unknown,
    dig,
    show,
)

Config = Mapping[str, Any]
Schema = Mapping[str, Mapping[str, Any]]

Step = Callable[[Resource, Config, Findings], bool | None]
"""Judges one thing on one resource into the findings. Returning False ends the rule for this
resource: a guard that finds the rule does not apply, or a failure the later steps rely on."""

Predicate = Callable[[Any], Any]
"""Truthy passes, falsy fails; `UNKNOWN` when an unknown value inside the property (a list entry,
say) keeps it from judging until deploy."""


@cache
def path_keys(path: str) -> tuple[str, ...]:
    """`a.b["c.d"]` -> ("a", "b", "c.d"): dots separate keys, `["..."]` quotes a key with dots."""
    return tuple(
        plain or quoted for plain, quoted in re.findall(r'([^.\["\]]+)|\["([^"]+)"\]', path)
    )


def lookup(props: Mapping[str, Any], path: str) -> Any:
    """The value at a wire path written as in messages (see `path_keys` and `model.dig`)."""
    return dig(props, *path_keys(path))


@dataclass(frozen=True)
class Check:
    """The common step: the property at `path` must satisfy `ok`, else `message` is reported."""

    path: str
    """The engine's camelCase wire path, as messages and preview notes name it."""
    ok: Predicate
    message: str | Callable[[Any], str]
    """Said on failure. In a string, `{value}` stands for the value found (`model.show`)."""
    judge_unknown: bool = False
    """Hand a value that is unknown during preview to `ok` instead of deferring it: a value being
    put there counts, known or not. A path whose parent is unknown is deferred all the same."""
    stop: bool = False
    """A failure ends the rule: the later steps only make sense when this one passes."""

    def __call__(self, resource: Resource, config: Config, f: Findings) -> bool:
        value = lookup(resource.props, self.path)
        undecided = value is UNKNOWN_ANCESTOR if self.judge_unknown else isinstance(value, Unknown)
        verdict = UNKNOWN if undecided else self.ok(value)
        if verdict is UNKNOWN:
            f.unknown(self.path)
        elif not verdict:
            message = self.message
            f.fail(message(value) if callable(message) else message.replace("{value}", show(value)))
            return not self.stop
        return True


# Predicates for the usual defaults. "Unset" is judged by what GKE, pulumi-gcp or Kubernetes do
# when the property is absent; each rule's description says which default it relies on.


def is_true(value: Any) -> bool:
    """Required explicitly: unset means off (or unsafe)."""
    return value is True


def true_or_unset(value: Any) -> bool:
    """Unset means on, the safe default; only an explicit false fails."""
    return value is None or value is True


def not_true(value: Any) -> bool:
    """Unset means off, the safe default; only an explicit true fails."""
    return value is not True


def equals(expected: Any) -> Predicate:
    return lambda value: value == expected


def one_of(*allowed: Any) -> Predicate:
    return lambda value: value in allowed


def unset_or(ok: Predicate) -> Predicate:
    """Judged only when set; an unset value is another check's business."""
    return lambda value: not value or ok(value)


def nonempty(value: Any) -> bool:
    """Set and not empty. An unknown value counts as set (it will be filled in at deploy)."""
    if isinstance(value, Unknown):
        return value is UNKNOWN
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return value is not None


def as_count(value: Any) -> int | None:
    """A Kubernetes quantity meant as a whole count (1, 1.0 or "1"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def config_value(schema: Schema, config: Config, key: str) -> Any:
    """`config[key]` if given, else the schema default (the engine fills defaults the same way)."""
    if key in config:
        return config[key]
    return schema[key]["default"]


@dataclass(frozen=True, kw_only=True)
class ResourceRule:
    name: str
    """Stable: stack policy configs refer to it. Never rename one."""
    description: str
    severity: str
    """One of low, medium, high, critical (mapped to pulumi_policy.Severity)."""
    remediation: str
    steps: Mapping[str, Sequence[Step]]
    """For each resource type token the rule judges, its steps in order."""
    config_schema: Schema = field(default_factory=dict)
    """JSON schema of each config property; `default` is what applies when config omits it."""

    @property
    def resource_types(self) -> frozenset[str]:
        return frozenset(self.steps)

    def check(self, resource: Resource, config: Config) -> Findings:
        findings = Findings()
        for step in self.steps.get(resource.type, ()):
            if step(resource, config, findings) is False:
                break
        return findings


@dataclass(frozen=True, kw_only=True)
class StackRule:
    """A rule over the whole stack: it sees every resource's *outputs* and dependencies."""

    name: str
    description: str
    severity: str
    remediation: str
    check: Callable[[Sequence[StackResource], Config], Findings]
    config_schema: Schema = field(default_factory=dict)
