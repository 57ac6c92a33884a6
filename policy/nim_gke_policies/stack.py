"""Stack rules: they see every resource's *outputs* and dependencies, so they can tell what the
NIM namespace holds and where the nim-llm release is installed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .engine import Config, StackRule
from .kubernetes import PART_OF_LABEL, PART_OF_VALUE, is_nim_chart, is_nim_namespace
from .model import (
    HELM_RELEASE,
    NAMESPACE,
    NETWORK_POLICY,
    POD_MONITORING,
    Findings,
    StackResource,
    Unknown,
    dig,
    show,
)

StackCheck = Callable[[Sequence[StackResource], Config], Findings]


def _nim_namespaces(resources: Sequence[StackResource]) -> list[StackResource]:
    return [r for r in resources if r.type == NAMESPACE and is_nim_namespace(r.props)]


def _in_namespace(own: Any, resource: StackResource, namespace: StackResource) -> bool:
    """Whether `resource`, whose own namespace field is `own`, lives in `namespace`: by name, or,
    when either name is unknown during preview, by the resource depending on the Namespace."""
    name = dig(namespace.props, "metadata", "name")
    if isinstance(own, Unknown) or isinstance(name, Unknown):
        return namespace.urn in resource.dependencies
    return (own or "default") == name


def _selects_all_pods(selector: Any) -> bool:
    if selector is None:
        return True
    if not isinstance(selector, Mapping):
        return False
    return not dig(selector, "matchLabels") and not dig(selector, "matchExpressions")


def is_default_deny_ingress(policy: StackResource) -> bool:
    spec = dig(policy.props, "spec")
    if not isinstance(spec, Mapping):
        return False
    types = dig(spec, "policyTypes")
    # Kubernetes defaults policyTypes to ["Ingress"] (plus Egress when egress rules exist).
    has_ingress_type = types is None or (isinstance(types, list) and "Ingress" in types)
    return (
        _selects_all_pods(dig(spec, "podSelector"))
        and has_ingress_type
        and not dig(spec, "ingress")
    )


def _namespace_holds(kind: str, wanted: Callable[[StackResource], bool], lack: str) -> StackCheck:
    """Every NIM namespace holds a `kind` resource that is `wanted`; else "... has no `lack`"."""

    def check(resources: Sequence[StackResource], config: Config) -> Findings:
        f = Findings()
        held = [r for r in resources if r.type == kind and wanted(r)]
        for ns in _nim_namespaces(resources):
            if not any(_in_namespace(dig(r.props, "metadata", "namespace"), r, ns) for r in held):
                f.fail(
                    f"Namespace {show(dig(ns.props, 'metadata', 'name'))} ({PART_OF_LABEL}: "
                    f"{PART_OF_VALUE}) has no {lack}",
                    ns.urn,
                )
        return f

    return check


def _release_in_nim_namespace(resources: Sequence[StackResource], config: Config) -> Findings:
    f = Findings()
    namespaces = _nim_namespaces(resources)
    for release in resources:
        if release.type != HELM_RELEASE or not is_nim_chart(dig(release.props, "chart")):
            continue
        target = dig(release.props, "namespace")
        if not any(_in_namespace(target, release, ns) for ns in namespaces):
            f.fail(
                f"The nim-llm release is installed in namespace {show(target or 'default')}, which "
                f"is not a Namespace of this stack labelled {PART_OF_LABEL}: {PART_OF_VALUE}, so "
                "the namespace policies (Pod Security, default deny, PodMonitoring) do not cover "
                "it. Create that Namespace in the stack with the label and install the release "
                "there.",
                release.urn,
            )
    return f


STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        name="nim-namespace-default-deny",
        description=(
            "The NIM namespace has a default-deny ingress NetworkPolicy (podSelector {}, "
            "policyTypes with Ingress, no ingress rules)."
        ),
        severity="high",
        remediation="Add a default-deny NetworkPolicy and explicit allow policies.",
        check=_namespace_holds(
            NETWORK_POLICY,
            is_default_deny_ingress,
            "default-deny ingress NetworkPolicy (spec.podSelector {}, policyTypes with Ingress, no "
            "ingress rules): any pod in the cluster can call the NIM endpoint. Add one, plus "
            "explicit allow policies for the clients and for Managed Prometheus.",
        ),
    ),
    StackRule(
        name="nim-namespace-pod-monitoring",
        description="The NIM namespace has a Managed Prometheus PodMonitoring.",
        severity="low",
        remediation="Add a monitoring.googleapis.com/v1 PodMonitoring for the NIM pods.",
        check=_namespace_holds(
            POD_MONITORING,
            lambda monitor: True,
            "PodMonitoring (monitoring.googleapis.com/v1): Managed Prometheus does not scrape "
            "NIM's /v1/metrics, so queue depth and KV-cache use are invisible. Add a "
            "PodMonitoring that selects the NIM pods.",
        ),
    ),
    StackRule(
        name="nim-release-in-labelled-namespace",
        description=(
            "The nim-llm release is installed into a Namespace of this stack labelled "
            "app.kubernetes.io/part-of: nim-gke, so the namespace policies cover it."
        ),
        severity="high",
        remediation="Create the labelled Namespace in the stack and install the release there.",
        check=_release_in_nim_namespace,
    ),
)
