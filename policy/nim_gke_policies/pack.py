"""Adapts the rules in `rules.py` to the Pulumi Policy SDK (pulumi-policy).

The adapter turns the SDK's property proxies into plain dictionaries (unknown values become
`UNKNOWN`), calls the rule, reports each violation, and, when the rule could not judge a value
because it is unknown during preview, raises the SDK's `UnknownValueError` so the engine prints
its usual advisory "can't run policy ... during preview" note. `pulumi up` then runs the policy
again with the values known, at the policy's real enforcement level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)
from pulumi_policy.proxy import UnknownValueError

from .model import UNKNOWN, Findings, Resource, StackResource
from .rules import RESOURCE_RULES, STACK_RULES, ResourceRule, StackRule

PACK_NAME = "nim-gke"
DEFAULT_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
"""Every policy is mandatory unless the stack's policy config lowers it (config.dev.json)."""

_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
    }
)
"""The strings the SDK's property proxy puts where the engine sent an unknown value."""

_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


class UndecidedDuringPreview(UnknownValueError):
    """Some values a rule needs are unknown until deploy. The SDK turns this into an advisory
    diagnostic; violations reported before it was raised are kept at their real level."""

    def __init__(self, paths: Iterable[str]) -> None:
        Exception.__init__(self)
        self.unknown_type_sentinel = ""
        self.props = list(paths)
        self.message = (
            f"{', '.join(self.props)} can't be known during preview; "
            "`pulumi up` checks it again once known"
        )


def to_plain(value: Any) -> Any:
    """Copy the SDK's property proxies into plain dicts/lists; unknown values become UNKNOWN."""
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                item = value[key]
            except UnknownValueError:
                out[key] = UNKNOWN
                continue
            out[key] = to_plain(item)
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                item = value[i]
            except UnknownValueError:
                items.append(UNKNOWN)
                continue
            items.append(to_plain(item))
        return items
    return value


def _report(findings: Findings, report_violation: ReportViolation) -> None:
    for violation in findings.violations:
        report_violation(violation.message, violation.urn)
    if findings.unknowns:
        raise UndecidedDuringPreview(findings.unknowns)


def resource_validation(
    rule: ResourceRule,
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        resource = Resource(
            type=args.resource_type,
            props=to_plain(args.props),
            secret_outputs=tuple(args.opts.additional_secret_outputs or ()),
            urn=args.urn,
            name=args.name,
        )
        _report(rule.check(resource, dict(args.get_config() or {})), report_violation)

    return validate


def stack_resource(resource: Any) -> StackResource:
    """Convert a pulumi_policy.PolicyResource (outputs plus dependency objects)."""
    deps = [d.urn for d in resource.dependencies or ()]
    for urns in (resource.property_dependencies or {}).values():
        deps.extend(d.urn for d in urns)
    return StackResource(
        type=resource.resource_type,
        urn=resource.urn,
        props=to_plain(resource.props),
        dependencies=tuple(dict.fromkeys(deps)),
    )


def stack_validation(rule: StackRule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [stack_resource(r) for r in args.resources]
        _report(rule.check(resources, dict(args.get_config() or {})), report_violation)

    return validate


def _schema(rule: ResourceRule | StackRule) -> PolicyConfigSchema | None:
    if not rule.config_schema:
        return None
    return PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})


def _common(rule: ResourceRule | StackRule) -> dict[str, Any]:
    """What both kinds of SDK policy take from a rule. Enforcement levels are left to the pack
    default (mandatory) so that a stack's policy config can lower them all with `"all"`."""
    return {
        "name": rule.name,
        "description": rule.description,
        "config_schema": _schema(rule),
        "severity": _SEVERITY[rule.severity],
        "remediation_steps": rule.remediation,
    }


def build_policies() -> list[Policy]:
    """The SDK policy objects, in registry order: resource policies, then stack policies."""
    resource_policies: list[Policy] = [
        ResourceValidationPolicy(validate=resource_validation(rule), **_common(rule))
        for rule in RESOURCE_RULES
    ]
    stack_policies: list[Policy] = [
        StackValidationPolicy(validate=stack_validation(rule), **_common(rule))
        for rule in STACK_RULES
    ]
    return resource_policies + stack_policies


def pack_args() -> dict[str, Any]:
    """Keyword arguments for `pulumi_policy.PolicyPack` (constructing it starts the server)."""
    return {
        "name": PACK_NAME,
        "policies": build_policies(),
        "enforcement_level": DEFAULT_ENFORCEMENT_LEVEL,
        "description": "Production hardening for nim-gke: GKE cluster and node pools, the NIM "
        "Helm release, NGC credentials, and the NIM namespace.",
    }
