"""Stack rules see every resource's outputs. One table per rule: the stack's own resources pass;
each bad stack is rejected with the exact message, attached to the offending resource's URN."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases import (
    DEFAULT_DENY_OUT,
    DELETE,
    NAMESPACE_OUT,
    NODE_POOL,
    NS_URN,
    POD_MONITORING_OUT,
    RELEASE_OUT,
    RELEASE_URN,
    STACK_RULES,
    URN,
    edit,
    stack,
)

from policy.nim_gke_policies import rules
from policy.nim_gke_policies.model import UNKNOWN, StackResource, Violation

NO_DEFAULT_DENY = Violation(
    'Namespace "nim" (app.kubernetes.io/part-of: nim-gke) has no default-deny ingress '
    "NetworkPolicy (spec.podSelector {}, policyTypes with Ingress, no ingress rules): any pod in "
    "the cluster can call the NIM endpoint. Add one, plus explicit allow policies for the clients "
    "and for Managed Prometheus.",
    NS_URN,
)
NO_POD_MONITORING = Violation(
    'Namespace "nim" (app.kubernetes.io/part-of: nim-gke) has no PodMonitoring '
    "(monitoring.googleapis.com/v1): Managed Prometheus does not scrape NIM's /v1/metrics, so "
    "queue depth and KV-cache use are invisible. Add a PodMonitoring that selects the NIM pods.",
    NS_URN,
)


def release_elsewhere(namespace: str) -> Violation:
    return Violation(
        f"The nim-llm release is installed in namespace {namespace}, which is not a Namespace of "
        "this stack labelled app.kubernetes.io/part-of: nim-gke, so the namespace policies (Pod "
        "Security, default deny, PodMonitoring) do not cover it. Create that Namespace in the "
        "stack with the label and install the release there.",
        RELEASE_URN,
    )


UNLABELLED_NS = edit(NAMESPACE_OUT, (("metadata", "labels", "app.kubernetes.io/part-of"), DELETE))
PREVIEW_NS = edit(NAMESPACE_OUT, (("metadata", "name"), UNKNOWN))


def run(rule: str, resources: list[Any]) -> list[Violation]:
    findings = STACK_RULES[rule].check(resources, {})
    assert findings.unknowns == []
    return findings.violations


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param(stack(), [], id="stack's own resources"),
        pytest.param(
            stack(network_policy=edit(DEFAULT_DENY_OUT, (("spec", "policyTypes"), DELETE))),
            [],
            id="policyTypes unset defaults to Ingress",
        ),
        pytest.param(
            stack(
                network_policy=edit(
                    DEFAULT_DENY_OUT, (("spec", "podSelector"), {"matchLabels": {}})
                )
            ),
            [],
            id="empty matchLabels selects all pods",
        ),
        pytest.param(
            stack(
                network_policy=edit(DEFAULT_DENY_OUT, (("metadata", "namespace"), UNKNOWN)),
                deps=(NS_URN,),
            ),
            [],
            id="namespace unknown during preview: matched by dependency",
        ),
        pytest.param(stack(network_policy={}), [NO_DEFAULT_DENY], id="no NetworkPolicy"),
        pytest.param(
            stack(
                network_policy=edit(
                    DEFAULT_DENY_OUT,
                    (
                        ("spec", "podSelector"),
                        {"matchLabels": {"app.kubernetes.io/name": "nim-llm"}},
                    ),
                )
            ),
            [NO_DEFAULT_DENY],
            id="policy selects only some pods",
        ),
        pytest.param(
            stack(network_policy=edit(DEFAULT_DENY_OUT, (("spec", "ingress"), [{}]))),
            [NO_DEFAULT_DENY],
            id="an empty ingress rule allows everything",
        ),
        pytest.param(
            stack(network_policy=edit(DEFAULT_DENY_OUT, (("spec", "policyTypes"), ["Egress"]))),
            [NO_DEFAULT_DENY],
            id="egress-only policy",
        ),
        pytest.param(
            stack(network_policy=edit(DEFAULT_DENY_OUT, (("metadata", "namespace"), "default"))),
            [NO_DEFAULT_DENY],
            id="policy in another namespace",
        ),
        pytest.param(
            stack(network_policy=edit(DEFAULT_DENY_OUT, (("metadata", "namespace"), UNKNOWN))),
            [NO_DEFAULT_DENY],
            id="namespace unknown and no dependency on the NIM namespace",
        ),
        pytest.param(
            stack(namespace=UNLABELLED_NS, network_policy={}),
            [],
            id="an unlabelled namespace is not judged here",
        ),
    ],
)
def test_nim_namespace_default_deny(resources, expected):
    assert run("nim-namespace-default-deny", resources) == expected


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param(stack(), [], id="stack's own resources"),
        pytest.param(
            stack(namespace=PREVIEW_NS, deps=(NS_URN,)),
            [],
            id="namespace name unknown during preview: matched by dependency",
        ),
        pytest.param(stack(pod_monitoring={}), [NO_POD_MONITORING], id="no PodMonitoring"),
        pytest.param(
            stack(
                pod_monitoring=edit(POD_MONITORING_OUT, (("metadata", "namespace"), "gmp-public"))
            ),
            [NO_POD_MONITORING],
            id="PodMonitoring in another namespace",
        ),
    ],
)
def test_nim_namespace_pod_monitoring(resources, expected):
    assert run("nim-namespace-pod-monitoring", resources) == expected


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param(stack(), [], id="stack's own resources"),
        pytest.param(
            stack(release=edit(RELEASE_OUT, (("namespace",), UNKNOWN)), deps=(NS_URN,)),
            [],
            id="release namespace unknown during preview: matched by dependency",
        ),
        pytest.param(
            stack(release=edit(RELEASE_OUT, (("chart",), "ingress-nginx"), (("namespace",), "x"))),
            [],
            id="other charts are not judged",
        ),
        pytest.param(
            stack(namespace=UNLABELLED_NS),
            [release_elsewhere('"nim"')],
            id="namespace lacks the part-of label",
        ),
        pytest.param(
            stack(release=edit(RELEASE_OUT, (("namespace",), DELETE))),
            [release_elsewhere('"default"')],
            id="release in the provider's default namespace",
        ),
        pytest.param(
            stack(release=edit(RELEASE_OUT, (("namespace",), "nim-canary"))),
            [release_elsewhere('"nim-canary"')],
            id="release in a namespace the stack does not manage",
        ),
    ],
)
def test_nim_release_in_labelled_namespace(resources, expected):
    assert run("nim-release-in-labelled-namespace", resources) == expected


# --- compute-class-pools-associated -----------------------------------------------------------

POOL_URN = URN + "gcp:container/nodePool:NodePool::gpu-2-pool"
CLASS_URN = URN + "kubernetes:cloud.google.com/v1:ComputeClass::gpu-capacity-class"
POOL_OUT = edit(NODE_POOL, (("name",), "gpu-2-pool-4d5e6f"))
CLASS_OUT = {
    "apiVersion": "cloud.google.com/v1",
    "kind": "ComputeClass",
    "metadata": {"name": "nim-gpu"},
    "spec": {
        "priorities": [{"nodepools": ["gpu-pool-1a2b3c"]}, {"nodepools": ["gpu-2-pool-4d5e6f"]}],
        "activeMigration": {"optimizeRulePriority": True},
        "nodePoolAutoCreation": {"enabled": False},
        "whenUnsatisfiable": "DoNotScaleUp",
    },
}


def with_class(pool: dict[str, Any], cc: dict[str, Any] = CLASS_OUT) -> list[StackResource]:
    return [
        *stack(),
        StackResource(type=rules.NODE_POOL, urn=POOL_URN, props=pool),
        StackResource(type=rules.COMPUTE_CLASS, urn=CLASS_URN, props=cc),
    ]


def unassociated(label: str, taints: str) -> Violation:
    return Violation(
        'ComputeClass "nim-gpu" names node pool "gpu-2-pool-4d5e6f" in spec.priorities[1], whose '
        f"nodes carry label {label} and class taints {taints}, not "
        "cloud.google.com/compute-class=nim-gpu as label and NoSchedule taint: GKE places none of "
        "the class's pods there. Give the pool both (node_config.labels and node_config.taints).",
        POOL_URN,
    )


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # gpu-pool-1a2b3c is not in this stack view: a pool the stack does not create is not
        # judged.
        pytest.param(with_class(POOL_OUT), [], id="the stack's fallback pool serves its class"),
        pytest.param(
            with_class(edit(POOL_OUT, (("nodeConfig", "taints"), DELETE))),
            [unassociated('"nim-gpu"', "[]")],
            id="a named pool without the taint",
        ),
        pytest.param(
            with_class(
                edit(
                    POOL_OUT,
                    (("nodeConfig", "labels"), {"nim-gke/pool": "gpu"}),
                    (("nodeConfig", "taints"), DELETE),
                )
            ),
            [unassociated("unset", "[]")],
            id="a named pool with neither",
        ),
        pytest.param(
            with_class(edit(POOL_OUT, (("nodeConfig", "taints", 0, "value"), "nim-green"))),
            [unassociated('"nim-gpu"', '["nim-green"]')],
            id="a named pool tainted for another class",
        ),
        pytest.param(
            with_class(POOL_OUT, edit(CLASS_OUT, (("spec", "priorities"), []))),
            [],
            id="a class without nodepools priorities names no pool",
        ),
    ],
)
def test_compute_class_pools_associated(resources, expected):
    assert run("compute-class-pools-associated", resources) == expected
