"""``nimctl doctor`` on variants of a fixture: one field or message changed, another cause."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from fixtures.doctor.support import GPU_NODE, SNAPSHOT, items, load, scheduler_says

from nimctl import doctor


def test_provisioning_failure_reports_the_provisioner_error() -> None:
    doc = load("pvc-storage-class")
    event = next(i for i in doc["items"] if i.get("reason") == "ProvisioningFailed")
    event["message"] = (
        'failed to provision volume with StorageClass "premium-ssd": rpc error: code = '
        "ResourceExhausted desc = Quota 'SSD_TOTAL_GB' exceeded. Limit: 500.0 in region "
        "us-central1."
    )
    (finding,) = doctor.diagnose(doc).findings
    assert (finding.cause, finding.fix) == ("pvc-provisioning-failed", "fix-provisioning")
    assert "SSD_TOTAL_GB" in finding.evidence[0]


def _image_not_found(doc: dict[str, Any]) -> None:
    for event in items(doc, "Event", "Failed"):
        event["message"] = event["message"].replace(
            "failed to authorize: failed to fetch oauth token: unexpected status from GET request "
            "to https://nvcr.io/proxy_auth?scope=repository%3Anim%2Fmeta%2Fllama3-8b-instruct"
            "%3Apull&service=nvcr.io: 401 Unauthorized",
            "nvcr.io/nim/meta/llama3-8b-instruct:1.0.3: not found",
        )


def _still_pulling(doc: dict[str, Any]) -> None:
    doc["items"] = [i for i in doc["items"] if i.get("reason") not in ("Failed", "BackOff")]
    (pod,) = items(doc, "Pod")
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}


def _liveness_kill(doc: dict[str, Any]) -> None:
    event = copy.deepcopy(items(doc, "Event", "BackOff")[0])
    event.update(
        reason="Killing", message="Container nim-llm failed liveness probe, will be restarted"
    )
    doc["items"].append(event)


def _no_autoscaler_events(doc: dict[str, Any]) -> None:
    doc["items"] = [
        i for i in doc["items"] if i.get("source", {}).get("component") != "cluster-autoscaler"
    ]


def _scale_up_error(text: str):  # type: ignore[no-untyped-def]
    def mutate(doc: dict[str, Any]) -> None:
        (event,) = items(doc, "Event", "FailedScaleUp")
        event["message"] = event["message"].replace("GCE quota exceeded", text)

    return mutate


def _no_storage_class(doc: dict[str, Any]) -> None:
    (event,) = items(doc, "Event", "ProvisioningFailed")
    event.update(
        reason="FailedBinding",
        message="no persistent volumes available for this claim and no storage class is set",
    )


def _scheduler_says(message: str):  # type: ignore[no-untyped-def]
    def mutate(doc: dict[str, Any]) -> None:
        scheduler_says(doc, lambda _: message)

    return mutate


def _webhook_denied(doc: dict[str, Any]) -> None:
    (event,) = items(doc, "Event", "FailedCreate")
    event["message"] = (
        "create Pod llama3-8b-nim-llm-0 in StatefulSet llama3-8b-nim-llm failed error: admission "
        'webhook "policy.example.com" denied the request: privileged containers are not allowed'
    )


@pytest.mark.parametrize(
    ("fixture", "mutate", "cause", "phrase"),
    [
        (
            "image-pull-401",
            _image_not_found,
            "image-not-found",
            "check image.repository and image.tag",
        ),
        (
            "image-pull-401",
            _still_pulling,
            "image-pulling",
            "is pulling nvcr.io/nim/meta/llama3-8b-instruct:1.0.3 for 2m 30s",
        ),
        ("crashloop", _liveness_kill, "liveness-probe-failing", "restarted by its liveness probe"),
        (
            "gpu-pool-max",
            _no_autoscaler_events,
            "insufficient-gpu",
            "the cluster autoscaler did not act",
        ),
        (
            "gpu-quota",
            _scale_up_error("IP space exhausted"),
            "gpu-scale-up-failed",
            "could not add a node for pod llama3-8b-nim-llm-0: IP space exhausted",
        ),
        (
            "pvc-storage-class",
            _no_storage_class,
            "pvc-no-storage-class",
            "names no StorageClass and there is no default",
        ),
        (
            "gpu-quota",
            _scheduler_says("0/3 nodes are available: 3 Too many pods."),
            "gpu-quota-exceeded",
            "GCE quota exceeded",
        ),
        (
            "node-selector",
            _scheduler_says("0/3 nodes are available: 3 Too many pods."),
            "unschedulable",
            "cannot be scheduled",
        ),
        (
            "resource-quota",
            _webhook_denied,
            "pod-create-failed",
            "StatefulSet llama3-8b-nim-llm cannot create its pod",
        ),
    ],
)
def test_variants(fixture: str, mutate: Any, cause: str, phrase: str) -> None:
    doc = load(fixture)
    mutate(doc)
    report = doctor.diagnose(doc, now=SNAPSHOT)
    assert [f.cause for f in report.findings][:1] == [cause]
    text = doctor.render(report)
    assert phrase in text
    assert f"fix [{doctor.CAUSES[cause][1]}]" in text


# The autoscaler's retry cycle (gpu-quota-retry: trigger x5, FailedScaleUp x4, the latest event a
# trigger): a failure that has repeated makes the newer trigger the same failure; one failure
# alone may have been transient, so the newer trigger is progress (the failure stays evidence).
def _failed_once(doc: dict[str, Any]) -> None:
    (failure,) = items(doc, "Event", "FailedScaleUp")
    failure.update(count=1, lastTimestamp=failure["firstTimestamp"])


def _failed_twice_differently(doc: dict[str, Any]) -> None:
    _failed_once(doc)
    (failure,) = items(doc, "Event", "FailedScaleUp")
    again = copy.deepcopy(failure)
    again["message"] = again["message"].replace("GCE quota exceeded", "GCE out of resources")
    again["metadata"]["name"] += "x"
    again.update(firstTimestamp="2026-11-28T10:20:00Z", lastTimestamp="2026-11-28T10:20:00Z")
    doc["items"].append(again)


@pytest.mark.parametrize(
    ("mutate", "cause", "code", "phrase"),
    [
        (lambda doc: None, "gpu-quota-exceeded", 1, "it failed 4 times"),
        (
            _failed_once,
            "gpu-scale-up-in-progress",
            3,
            "seen: an earlier attempt failed: Node scale up in zones us-central1-a",
        ),
        (_failed_twice_differently, "gpu-zone-stockout", 1, "it failed 2 times"),
    ],
)
def test_a_trigger_after_repeated_failures_is_the_same_failure(
    mutate: Any, cause: str, code: int, phrase: str
) -> None:
    doc = load("gpu-quota-retry")
    mutate(doc)
    report = doctor.diagnose(doc, now=SNAPSHOT)
    assert [f.cause for f in report.findings] == [cause]
    assert report.exit_code == code
    assert phrase in doctor.render(report)


def _pull_error(error: str):  # type: ignore[no-untyped-def]
    def mutate(doc: dict[str, Any]) -> None:
        for event in items(doc, "Event", "Failed"):
            if event["message"].startswith("Failed to pull image"):
                head = event["message"].split(": failed to authorize: ")[0]
                event["message"] = f"{head}: {error}"

    return mutate


POST_402 = (
    "failed to authorize: failed to fetch oauth token: unexpected status from POST request to "
    "https://nvcr.io/proxy_auth: 402 Payment Required"
)
HEAD_403 = (
    "unexpected status from HEAD request to "
    "https://nvcr.io/v2/nim/meta/llama3-8b-instruct/manifests/1.0.3: 403 Forbidden"
)


@pytest.mark.parametrize(
    ("mutate", "cause"),
    [
        (_pull_error(POST_402), "image-pull-not-entitled"),  # the token asked by POST
        (_pull_error(HEAD_403), "image-pull-forbidden"),  # the manifest refused
        (
            _pull_error(
                "pull access denied, repository does not exist or may require authorization"
            ),
            "image-pull-forbidden",
        ),
    ],
)
def test_registry_answers(mutate: Any, cause: str) -> None:
    doc = load("image-pull-401")
    mutate(doc)
    assert [f.cause for f in doctor.diagnose(doc).findings] == [cause]


def _disk_made_for(node_name: str):  # type: ignore[no-untyped-def]
    def mutate(doc: dict[str, Any]) -> None:
        (claim,) = items(doc, "PersistentVolumeClaim")
        claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = node_name

    return mutate


def _full_node_in_the_disks_zone(doc: dict[str, Any]) -> None:
    """The pool also has a node in the disk's zone, whose GPU another pod holds."""
    node = copy.deepcopy(items(doc, "Node")[-1])
    node["metadata"]["name"] = GPU_NODE
    node["metadata"]["labels"]["topology.kubernetes.io/zone"] = "us-central1-a"
    doc["items"].append(node)
    scheduler_says(
        doc,
        lambda m: m.replace(
            "0/3 nodes are available: 1 node(s) had volume",
            "0/4 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had volume",
        ),
    )


@pytest.mark.parametrize(
    ("mutate", "causes", "phrase"),
    [
        (
            _disk_made_for("gke-nim-dev-nim-dev-system-9d8e-8e1d2c3b-4jqv"),
            ["volume-zone-conflict"],
            "is a zonal disk in us-central1-a, and no node",
        ),
        (_full_node_in_the_disks_zone, ["insufficient-gpu"], "no node has a free nvidia.com/gpu"),
    ],
)
def test_volume_zone_conflict_is_the_cause_only_when_no_node_is_in_the_disks_zone(
    mutate: Any, causes: list[str], phrase: str
) -> None:
    doc = load("volume-zone-conflict")
    mutate(doc)
    report = doctor.diagnose(doc)
    assert [f.cause for f in report.findings] == causes
    assert phrase in doctor.render(report)


@pytest.mark.parametrize(
    ("reason", "message", "cause", "code"),
    [
        ("NodeShutdown", "Pod was rejected as the node is shutting down.", "node-shutdown", 3),
        # A kubelet up to 1.21 (kubernetes/kubernetes#102840 renamed both for 1.22): the stopped
        # pod, and the pod rejected while the node shuts down.
        ("Shutdown", "Node is shutting, evicting pods", "node-shutdown", 3),
        (
            "Terminated",
            "Node is in progress of shutting down, not admitting any new pods",
            "node-shutdown",
            3,
        ),
        ("Shutdown", "OutOfcpu: not enough cpu", "pod-failed", 1),
        (
            "Evicted",
            "The node was low on resource: ephemeral-storage. Threshold quantity: 4992446729, "
            "available: 4063212Ki.",
            "pod-failed",
            1,
        ),
    ],
)
def test_only_a_node_shutdown_makes_a_failed_pod_a_wait(
    reason: str, message: str, cause: str, code: int
) -> None:
    doc = load("spot-node-shutdown")
    (pod,) = items(doc, "Pod")
    pod["status"].update(reason=reason, message=message)
    pod["status"]["conditions"] = pod["status"]["conditions"][1:]  # no DisruptionTarget
    report = doctor.diagnose(doc)
    assert [f.cause for f in report.findings] == [cause]
    assert report.exit_code == code


def test_the_pods_condition_is_the_schedulers_current_word() -> None:
    """The event is cut at 1024 characters and its series written back late; the PodScheduled
    condition holds the last attempt's whole message, so it wins over an older event."""
    doc = load("pod-too-large-k8s134")
    doc["items"] = [i for i in doc["items"] if i.get("reason") != "NotTriggerScaleUp"]
    for event in items(doc, "Event", "FailedScheduling"):
        event["message"] = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity."
    assert [f.cause for f in doctor.diagnose(doc).findings] == ["pod-too-large-for-node"]


def test_a_version_asleep_behind_the_gateway_is_not_a_broken_backend() -> None:
    """The route still sends the canary its 10 %; while its HPA holds it at zero those requests
    get the load balancer's 503 (and wake it), on purpose: asleep, not route-backend-not-ready.
    The same version without the ScaledToZero condition is a backend with no pod."""
    from fixtures.doctor import make_fixtures as mf  # noqa: PLC0415 - fixture builders

    doc = load("gateway-healthy")
    doc["items"] = [
        i
        for i in doc["items"]
        if not (i["kind"] == "Pod" and i["metadata"]["labels"].get(
            "app.kubernetes.io/instance") == mf.CANARY)
    ]  # fmt: skip
    for node in items(doc, "Node"):  # nodes at 1.37, as scale to zero needs
        node["status"]["nodeInfo"]["kubeletVersion"] = mf.K8S_137
    hpa = json_copy(mf.sleeping_hpa())
    hpa["metadata"]["name"] = hpa["spec"]["scaleTargetRef"]["name"] = f"{mf.CANARY}-nim-llm"
    doc["items"].append(hpa)
    report = doctor.diagnose(doc)
    assert [(f.cause, f.object) for f in report.findings] == [
        ("release-asleep", f"hpa/{mf.CANARY}-nim-llm")
    ]
    assert report.asleep == (mf.CANARY,) and report.exit_code == 0
    hpa["status"]["conditions"] = [c for c in hpa["status"]["conditions"]
                                   if c["type"] != "ScaledToZero"]  # fmt: skip
    causes = {f.cause for f in doctor.diagnose(doc).findings}
    assert "route-backend-not-ready" in causes and "release-asleep" not in causes


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(obj)


@pytest.mark.parametrize(
    ("minutes", "taint", "cause", "code"),
    [
        (2, "node.kubernetes.io/unreachable", "node-went-not-ready", 3),
        (40, "node.kubernetes.io/unreachable", "node-not-ready", 1),
        (2, "cloud.google.com/impending-node-termination", "node-going-away", 3),
    ],
)
def test_a_ready_pod_on_a_node_that_stopped_posting_is_the_nodes_problem(
    minutes: int, taint: str, cause: str, code: int
) -> None:
    """When the kubelet stops posting, the node lifecycle controller turns the node's Ready
    Unknown ('Kubelet stopped posting node status.', pkg/controller/nodelifecycle/
    node_lifecycle_controller.go) and flips only the pod's Ready condition (MarkPodsNotReady,
    pkg/controller/util/node/controller_utils.go): the container statuses still say ready. The
    node is the cause, timed from its Ready transition; one going away is a reclaim."""
    doc = load("healthy")
    (node,) = [n for n in items(doc, "Node") if n["metadata"]["name"] == GPU_NODE]
    since = (SNAPSHOT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    for cond in node["status"]["conditions"]:
        cond.update(
            status="Unknown",
            reason="NodeStatusUnknown",
            message="Kubelet stopped posting node status.",
            lastTransitionTime=since,
        )
    node["spec"]["taints"] = [
        *node["spec"].get("taints", []),
        {"key": taint, "effect": "NoSchedule"},
    ]
    (pod,) = items(doc, "Pod")
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond.update(status="False", lastTransitionTime=since)
    assert all(s["ready"] for s in pod["status"]["containerStatuses"])
    report = doctor.diagnose(doc, now=SNAPSHOT)
    assert [(f.cause, f.object) for f in report.findings] == [(cause, f"node/{GPU_NODE}")]
    assert report.exit_code == code
