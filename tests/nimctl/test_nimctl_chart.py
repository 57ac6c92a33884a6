"""``nimctl/chart.py`` without helm: the Pod Security "restricted" checks and object selection."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nimctl import chart

# What the stack's values make the chart render (a restricted-compliant pod), trimmed.
GOOD: dict[str, Any] = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
        "fsGroup": 1000,
    },
    "containers": [
        {
            "name": "nim-llm",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "privileged": False,
            },
            "ports": [{"containerPort": 8000}],
        }
    ],
    "volumes": [
        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
        {"name": "scripts", "configMap": {"name": "x"}},
    ],
}


def with_(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one field set (``containers.0.securityContext.privileged``); None deletes."""
    spec = copy.deepcopy(GOOD)
    node: Any = spec
    *parts, last = path.split(".")
    for part in parts:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is None:
        del node[last]
    else:
        node[last] = value
    return spec


def test_the_stacks_pod_shape_is_admitted():
    assert chart.restricted_violations(GOOD) == []
    # Container-level settings instead of pod-level ones are as good.
    moved = with_("securityContext", {})
    moved["containers"][0]["securityContext"].update(
        runAsNonRoot=True, seccompProfile={"type": "Localhost"}
    )
    assert chart.restricted_violations(moved) == []


C = "containers[nim-llm]"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (with_("hostNetwork", True), "hostNetwork: true is not allowed"),
        (with_("hostPID", True), "hostPID: true is not allowed"),
        (
            with_("volumes", [{"name": "h", "hostPath": {"path": "/"}}]),
            "volume 'h' has type ['hostPath']",
        ),
        (
            with_("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]),
            "sysctl kernel.msgmax is not in the safe set",
        ),
        (
            with_("securityContext.seccompProfile.type", "Unconfined"),
            "securityContext.seccompProfile.type Unconfined is not allowed",
        ),
        (
            with_("securityContext.runAsUser", 0),
            "securityContext.runAsUser: 0 (root) is not allowed",
        ),
        (with_("containers.0.securityContext.privileged", True), f"{C}: privileged: true"),
        (
            with_("containers.0.securityContext.allowPrivilegeEscalation", None),
            f"{C}: allowPrivilegeEscalation must be false",
        ),
        (
            with_("securityContext.runAsNonRoot", None),
            f"{C}: runAsNonRoot must be true (pod or container)",
        ),
        (
            with_("containers.0.securityContext.runAsNonRoot", False),
            f"{C}: runAsNonRoot must be true (pod or container)",
        ),
        (
            with_("containers.0.securityContext.runAsUser", 0),
            f"{C}: runAsUser: 0 (root) is not allowed",
        ),
        (
            with_("securityContext.seccompProfile", None),
            f"{C}: seccompProfile.type must be RuntimeDefault or Localhost",
        ),
        (
            with_("containers.0.securityContext.capabilities.drop", ["NET_RAW"]),
            f"{C}: capabilities.drop must include ALL",
        ),
        (
            with_(
                "containers.0.securityContext.capabilities.add", ["SYS_ADMIN", "NET_BIND_SERVICE"]
            ),
            f"{C}: capabilities.add ['SYS_ADMIN'] (only NET_BIND_SERVICE)",
        ),
        (
            with_("containers.0.ports", [{"containerPort": 8000, "hostPort": 8000}]),
            f"{C}: hostPort 8000 is not allowed",
        ),
        (
            with_("containers.0.securityContext.procMount", "Unmasked"),
            f"{C}: procMount Unmasked is not allowed",
        ),
        (
            with_("containers.0.securityContext.seLinuxOptions", {"type": "spc_t"}),
            f"{C}: seLinuxOptions {{'type': 'spc_t'}} is not allowed",
        ),
        (
            with_("containers.0.securityContext.appArmorProfile", {"type": "Unconfined"}),
            f"{C}: appArmorProfile Unconfined is not allowed",
        ),
    ],
)
def test_each_restricted_rule_refuses_its_violation(spec, expected):
    assert chart.restricted_violations(spec) == [expected]


def test_a_bare_container_breaks_every_container_rule():
    """The chart 1.3.0 ``helm test`` pods look like this (no securityContext at all)."""
    bare = {"containers": [{"name": "curl", "image": "curlimages/curl:8.6.0"}]}
    assert chart.restricted_violations(bare) == [
        "containers[curl]: allowPrivilegeEscalation must be false",
        "containers[curl]: runAsNonRoot must be true (pod or container)",
        "containers[curl]: seccompProfile.type must be RuntimeDefault or Localhost",
        "containers[curl]: capabilities.drop must include ALL",
    ]


def test_init_containers_are_checked_too():
    spec = copy.deepcopy(GOOD)
    spec["initContainers"] = [{"name": "fetch", "securityContext": {"privileged": True}}]
    assert "initContainers[fetch]: privileged: true" in chart.restricted_violations(spec)


def test_workloads_are_what_install_creates_and_hooks_are_not():
    sts = {"kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": {"spec": GOOD}}}
    hook = {
        "kind": "Pod",
        "metadata": {"name": "t", "annotations": {"helm.sh/hook": "test"}},
        "spec": {"containers": []},
    }
    svc = {"kind": "Service", "metadata": {"name": "v"}}
    assert chart.workloads([sts, hook, svc]) == [sts]
    assert chart.is_hook(hook) and not chart.is_hook(sts)
    assert chart.pod_spec(sts) == GOOD
    assert chart.pod_spec(hook) == {"containers": []}
    assert chart.pod_spec(svc) is None
