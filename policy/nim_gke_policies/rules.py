"""The nim-gke policy rules, in registry order. `pack.py` adapts them to the Policy SDK; tests
call `rule.check` directly.

Each rule is a row: its name, description, severity, remediation, and for each resource type a
table of steps (`engine.Check`: a property path, a predicate, a message; or a small named step
where one property is not enough). The rows live by area: `gke.py` (cluster, node pools),
`kubernetes.py` (Services and Gateways, the nim-llm release, Secrets, the NIM namespace, the
stack's own workloads' images) and `stack.py` (rules over the whole stack).

Absent properties are judged by what GKE, pulumi-gcp or Kubernetes does when they are absent
(each rule's description says which default it relies on). A value that is unknown during preview
is not judged: it is recorded in `Findings.unknowns` and checked again by `pulumi up`, when the
value is known. The one exception is the NGC key in Helm values: a key that is set at all is a
violation, known or not.

Names are stable (stack policy configs refer to them): never rename one.
"""

from __future__ import annotations

from .engine import ResourceRule, StackRule, config_value
from .gke import GKE_RULES, WORKLOAD_METRIC_COMPONENTS
from .kubernetes import KUBERNETES_RULES, is_nim_chart
from .model import (
    CLUSTER,
    COMPUTE_CLASS,
    GATEWAY,
    HELM_RELEASE,
    NAMESPACE,
    NETWORK_POLICY,
    NODE_POOL,
    POD_MONITORING,
    SECRET,
    SERVICE,
)
from .stack import STACK_RULES, is_default_deny_ingress

RESOURCE_RULES: tuple[ResourceRule, ...] = (*GKE_RULES, *KUBERNETES_RULES)

__all__ = [
    "CLUSTER",
    "COMPUTE_CLASS",
    "GATEWAY",
    "HELM_RELEASE",
    "NAMESPACE",
    "NETWORK_POLICY",
    "NODE_POOL",
    "POD_MONITORING",
    "RESOURCE_RULES",
    "SECRET",
    "SERVICE",
    "STACK_RULES",
    "WORKLOAD_METRIC_COMPONENTS",
    "ResourceRule",
    "StackRule",
    "config_value",
    "is_default_deny_ingress",
    "is_nim_chart",
]
