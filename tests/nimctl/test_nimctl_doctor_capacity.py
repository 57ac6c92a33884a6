"""``nimctl doctor`` on a GPU pool's ComputeClass: which priority a pod got, and why none could be
had. The fixtures of ``fixtures/doctor/make_capacity_fixtures.py`` (each quotes its sources under
``_sources``): dev's class ``nim-gpu``, Spot pool first, on-demand pool after it.

The beliefs each case holds, with their sources: a node of a pool that serves a class carries the
label cloud.google.com/compute-class and its pool's name in cloud.google.com/gke-nodepool, a Spot
node cloud.google.com/gke-spot=true (GKE, "About custom ComputeClasses"; "Spot VMs"); the class's
spec.priorities[].nodepools orders the pools (the ComputeClass CRD reference); GKE's autoscaler
says per node group why it did not scale up ("max node group size reached", "in backoff after
failed scale-up": kubernetes/autoscaler@dd28ada760f0 core/scaleup/orchestrator/skippedreasons.go)
and which causes a failed scale-up had ("GCE out of resources", "GCE quota exceeded":
GoogleCloudPlatform/cluster-autoscaler@7d250507339b pkg/visibility/events/
failed_scale_up_event_logger.go).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fixtures.doctor import make_capacity_fixtures as capacity
from fixtures.doctor.support import FIXTURES, POD, items

from nimctl import doctor

HERE = FIXTURES / "capacity"
SECOND = "pod/llama3-8b-nim-llm-1"
FALLBACK = (
    "priority 2 of 2 of ComputeClass nim-gpu: node pool gpu-2-pool-d4e5f6, on demand g2-standard-4"
)


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def causes(report: doctor.Report) -> list[tuple[str, str, str, str]]:
    return [(f.severity, f.cause, f.fix, f.object) for f in report.findings]


def test_the_fixture_files_are_what_the_script_writes() -> None:
    assert {p.stem for p in HERE.glob("*.json")} == set(capacity.SCENARIOS)
    for name, build in capacity.SCENARIOS.items():
        assert json.loads(json.dumps(build())) == load(name), f"re-run {capacity.__file__}"
        assert capacity.SOURCES["gke-compute-class"] in load(name)["_sources"]


def test_a_pod_on_the_first_priority_says_where_it_runs_and_is_healthy(run_cli) -> None:
    report = doctor.diagnose(load("on-spot"))
    assert (report.status, report.findings) == ("healthy", ())
    (pod,) = report.pods
    assert pod.capacity == (
        "priority 1 of 2 of ComputeClass nim-gpu: node pool gpu-pool-a1b2c3, Spot g2-standard-4"
    )
    code, out, _ = run_cli(doctor, "doctor", "--from-file", str(HERE / "on-spot.json"))
    assert code == 0
    assert "(priority 1 of 2 of ComputeClass nim-gpu" in out
    code, out, _ = run_cli(doctor, "doctor", "--from-file", str(HERE / "on-spot.json"), "--json")
    assert json.loads(out)["pods"][0]["capacity"] == pod.capacity


def test_a_pod_on_a_fallback_serves_with_a_warning_that_says_it_moves_back() -> None:
    report = doctor.diagnose(load("on-demand-fallback"))
    assert report.status == "healthy"  # a warning: it serves
    assert causes(report) == [("warning", "on-fallback-capacity", "expect-fallback-cost", POD)]
    (finding,) = report.findings
    assert FALLBACK in finding.summary
    assert "GKE moves it back once a higher priority has capacity" in finding.summary
    assert "preferred node pool(s) of nim-gpu: gpu-pool-a1b2c3" in finding.evidence
    assert "`nimctl cost` prices each priority of nim-gpu" in finding.fix_text
    assert report.pods[0].capacity == FALLBACK


def test_without_active_migration_the_pod_stays_on_the_fallback() -> None:
    doc = load("on-demand-fallback")
    (cc,) = items(doc, "ComputeClass")
    cc["spec"]["activeMigration"]["optimizeRulePriority"] = False
    (finding,) = doctor.diagnose(doc).findings
    assert "it stays there until it is rescheduled" in finding.summary


def test_without_the_class_in_the_snapshot_the_node_still_says_its_pool_and_class() -> None:
    """`kubectl get pods,events,pvc,nodes` without computeclasses: the node's labels say the
    pool, Spot or on demand and the class, not the priority; no warning without it."""
    doc = load("on-demand-fallback")
    doc["items"] = [i for i in doc["items"] if i["kind"] != "ComputeClass"]
    report = doctor.diagnose(doc)
    assert report.findings == ()
    assert report.pods[0].capacity == (
        "ComputeClass nim-gpu: node pool gpu-2-pool-d4e5f6, on demand g2-standard-4"
    )


def test_another_groups_compute_class_is_not_gkes() -> None:
    doc = load("on-demand-fallback")
    (cc,) = items(doc, "ComputeClass")
    cc["apiVersion"] = "example.com/v1"
    assert doctor.diagnose(doc).pods[0].capacity.startswith("ComputeClass nim-gpu: node pool")


def test_no_priority_left_names_each_node_groups_reason_and_the_stock_out() -> None:
    report = doctor.diagnose(load("no-priority-left"))
    assert report.status == "problems"
    assert causes(report) == [
        ("error", "compute-class-exhausted", "add-capacity-source", SECOND),
        ("warning", "on-fallback-capacity", "expect-fallback-cost", POD),
    ]
    finding = report.findings[0]
    assert finding.summary == (
        "no node pool of ComputeClass nim-gpu (its 2 priorities) could add a node for pod "
        "llama3-8b-nim-llm-1: of their node groups, 1 backing off after a failed scale-up (GCE "
        "out of resources in us-central1-a) and 1 at its maximum size"
    )
    assert finding.evidence[0].startswith("pod didn't trigger scale-up: 1 in backoff")
    assert "gpuPool.fallbacks" in finding.fix_text and "NVIDIA_L4_GPUS" in finding.fix_text


def test_a_quota_refusal_is_named_as_the_cause_of_the_backoff() -> None:
    doc = load("no-priority-left")
    for event in items(doc, "Event", "FailedScaleUp"):
        event["message"] = event["message"].replace("GCE out of resources", "GCE quota exceeded")
    finding = doctor.diagnose(doc).findings[0]
    assert "(GCE quota exceeded in us-central1-a)" in finding.summary


def test_every_priority_at_its_maximum() -> None:
    doc = load("no-priority-left")
    doc["items"] = [i for i in doc["items"] if i.get("reason") != "FailedScaleUp"]
    for event in items(doc, "Event", "NotTriggerScaleUp"):
        event["message"] = (
            "pod didn't trigger scale-up: 2 max node group size reached, 2 node(s) didn't match "
            "Pod's node affinity/selector"
        )
    finding = doctor.diagnose(doc).findings[0]
    assert finding.cause == "compute-class-exhausted"
    assert finding.summary.endswith("of their node groups, 2 at its maximum size")


def test_a_pod_without_a_class_keeps_the_pool_maximum_finding() -> None:
    """The class's reading applies only to pods that select one: a pool-pinned pod at its pool's
    maximum is still gpu-pool-max-reached."""
    doc = load("no-priority-left")
    for pod in items(doc, "Pod"):
        pod["spec"]["nodeSelector"] = {"cloud.google.com/gke-nodepool": "gpu-2-pool-d4e5f6"}
    for event in items(doc, "Event", "NotTriggerScaleUp"):
        event["message"] = (
            "pod didn't trigger scale-up: 1 max node group size reached, 2 node(s) didn't match "
            "Pod's node affinity/selector"
        )
    doc["items"] = [i for i in doc["items"] if i.get("reason") != "FailedScaleUp"]
    assert ("gpu-pool-max-reached", SECOND) in [
        (f.cause, f.object) for f in doctor.diagnose(doc).findings
    ]


def test_a_scale_up_in_progress_on_the_fallback_is_waited_for() -> None:
    """After Spot's failure GKE triggers the on-demand pool: a newer TriggeredScaleUp is progress
    (the fallback's group), not the class running out."""
    doc = load("no-priority-left")
    doc["items"] = [i for i in doc["items"] if i.get("reason") != "NotTriggerScaleUp"]
    (second,) = [p for p in items(doc, "Pod") if p["metadata"]["name"].endswith("-1")]
    doc["items"].append(
        capacity.base.autoscaler(
            second,
            "TriggeredScaleUp",
            f"pod triggered scale-up: [{{{capacity.ON_DEMAND_MIG} 1->2 (max: 2)}}]",
            2,
        )
    )
    report = doctor.diagnose(copy.deepcopy(doc))
    assert ("gpu-scale-up-in-progress", SECOND) in [(f.cause, f.object) for f in report.findings]
    assert "compute-class-exhausted" not in [f.cause for f in report.findings]
