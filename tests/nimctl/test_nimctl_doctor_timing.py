"""``nimctl doctor`` and time: what is still coming up and what has waited too long."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fixtures.doctor.support import (
    FIXTURES,
    GPU_NODE,
    POD,
    SNAPSHOT,
    findings,
    items,
    load,
    scheduler_says,
)

from nimctl import doctor


def test_loading_within_budget_then_over_it() -> None:
    doc = load("model-loading")  # container started 12 min before the snapshot
    later = doctor.diagnose(doc, now=SNAPSHOT + timedelta(minutes=15))
    assert later.findings[0].summary.endswith(
        "started 27m 00s ago, startup probe budget 30m 40s (3m 40s left)"
    )
    assert later.exit_code == doctor.EXIT_WAITING
    over = doctor.diagnose(doc, now=SNAPSHOT + timedelta(minutes=20))
    assert findings(over) == [("startup-probe-budget-exceeded", "extend-startup-budget", POD)]
    assert over.exit_code == doctor.EXIT_PROBLEMS


def test_scale_up_that_takes_too_long_is_a_problem(run_cli) -> None:
    code, out, _ = run_cli(
        doctor, "doctor", "--from-file", str(FIXTURES / "gpu-scaling-up.json"),
        "--now", "2026-11-28T10:50:00Z",
    )  # fmt: skip
    assert code == 1
    assert "[gpu-scale-up-stalled] pod/llama3-8b-nim-llm-0" in out
    assert "was triggered 23m 30s ago and no node has taken the pod" in out


def test_startup_budget_follows_the_pod_spec() -> None:
    chart = {
        "startupProbe": {"initialDelaySeconds": 40, "periodSeconds": 10, "failureThreshold": 180}
    }
    assert doctor.startup_budget(chart) == timedelta(seconds=1840)
    assert doctor.startup_budget({"startupProbe": {"failureThreshold": 360}}) == timedelta(hours=1)
    assert doctor.startup_budget({}) == timedelta(seconds=30)  # Kubernetes defaults: 3 x 10 s


def test_ready_pod_that_was_oomkilled_is_a_warning_not_a_failure() -> None:
    doc = load("healthy")
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    pod["status"]["containerStatuses"][0]["restartCount"] = 1
    pod["status"]["containerStatuses"][0]["lastState"] = {
        "terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-11-28T10:00:00Z"}
    }
    report = doctor.diagnose(doc)
    assert findings(report) == [("oom-killed", "raise-memory-limit", POD)]
    assert report.findings[0].severity == doctor.WARNING
    assert report.exit_code == doctor.EXIT_HEALTHY
    assert "is serving now but was OOMKilled" in report.findings[0].summary


@pytest.mark.parametrize(
    ("same_pod", "cause"), [(True, "readiness-probe-failing"), (False, "pod-not-ready")]
)
def test_events_of_an_earlier_pod_with_the_same_name_are_ignored(
    same_pod: bool, cause: str
) -> None:
    doc = load("healthy")
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    pod["status"]["containerStatuses"][0]["ready"] = False  # started, not ready
    probe = next(i for i in load("readiness-failing")["items"] if i.get("reason") == "Unhealthy")
    probe["involvedObject"]["uid"] = (
        pod["metadata"]["uid"] if same_pod else "00000000-0000-0000-0000-000000000000"
    )
    doc["items"].append(probe)
    (finding,) = doctor.diagnose(doc).findings
    assert finding.cause == cause


# --------------------------------------------------------------------------------------------
# A new GPU node without nvidia.com/gpu: installing its driver while young, broken after the
# patience (GPU_DRIVER_PATIENCE, counted from the node's creationTimestamp).

NODE_JOINED = SNAPSHOT - timedelta(minutes=4)  # gpu-driver-installing's node


def test_gpu_driver_patience_is_the_autoscalers_15_minutes() -> None:
    assert timedelta(minutes=15) == doctor.GPU_DRIVER_PATIENCE


@pytest.mark.parametrize(
    ("now", "code", "expected"),
    [
        (NODE_JOINED + doctor.GPU_DRIVER_PATIENCE, 3, "gpu-driver-installing"),
        (
            NODE_JOINED + doctor.GPU_DRIVER_PATIENCE + timedelta(seconds=1),
            1,
            "gpu-driver-install-stuck",
        ),
    ],
)
def test_driver_install_waits_out_its_patience(now: datetime, code: int, expected: str) -> None:
    report = doctor.diagnose(load("gpu-driver-installing"), now=now)
    assert findings(report) == [
        (expected, doctor.CAUSES[expected].fix, f"node/{GPU_NODE}"),
    ]  # and not "gpu-scale-up-stalled": the node came, its driver is missing
    assert report.exit_code == code


def test_a_stuck_install_says_where_to_look(run_cli) -> None:
    path = str(FIXTURES / "gpu-driver-installing.json")
    code, out, _ = run_cli(doctor, "doctor", "--from-file", path, "--now", "2026-11-28T10:42:00Z")
    assert code == 1
    assert "still advertise no nvidia.com/gpu 16m 00s after joining" in out
    assert "although GKE installs the driver (latest)" in out
    assert f"--field-selector spec.nodeName={GPU_NODE}" in out
    assert "try gpuPool.driverVersion DEFAULT instead of LATEST" in out


@pytest.mark.parametrize(
    ("label", "cause"),
    [
        (None, "gpu-driver-not-installed"),
        ("disabled", "gpu-driver-not-installed"),
        ("default", "gpu-driver-install-stuck"),
    ],
)
def test_an_old_node_without_gpu_names_the_driver_setting(label: str | None, cause: str) -> None:
    doc = load("gpu-driver-installing")
    node = next(n for n in items(doc, "Node") if n["metadata"]["name"] == GPU_NODE)
    node["metadata"]["labels"].pop("cloud.google.com/gke-gpu-driver-version")
    if label:
        node["metadata"]["labels"]["cloud.google.com/gke-gpu-driver-version"] = label
    young = doctor.diagnose(doc)
    assert [f.cause for f in young.findings] == ["gpu-driver-installing"]  # whatever the label
    old = doctor.diagnose(doc, now=SNAPSHOT + timedelta(hours=1))
    assert [f.cause for f in old.findings] == [cause]


# A node that has just registered carries node.kubernetes.io/not-ready until it turns Ready: the
# pod waits (no toleration to add) for NODE_READY_PATIENCE, in the 1.35 key-less wording as in the
# 1.25-1.34 one that names the taint.

NODE_REGISTERED = SNAPSHOT - timedelta(minutes=1.5)  # gpu-node-not-ready's node
NAMED_NOT_READY = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 "
    "node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 "
    "Preemption is not helpful for scheduling."
)


@pytest.mark.parametrize("wording", ["1.35", "1.25-1.34"])
@pytest.mark.parametrize(
    ("after", "code", "cause"),
    [
        (doctor.NODE_READY_PATIENCE, 3, "node-starting"),
        (doctor.NODE_READY_PATIENCE + timedelta(seconds=1), 1, "node-not-ready"),
    ],
)
def test_a_registering_node_is_waited_for(
    wording: str, after: timedelta, code: int, cause: str
) -> None:
    doc = load("gpu-node-not-ready")
    if wording != "1.35":
        scheduler_says(doc, lambda m: NAMED_NOT_READY if "untolerated taint(s)" in m else m)
    report = doctor.diagnose(doc, now=NODE_REGISTERED + after)
    assert findings(report) == [(cause, doctor.CAUSES[cause].fix, f"node/{GPU_NODE}")]
    assert report.exit_code == code
