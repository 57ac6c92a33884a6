"""``nimctl doctor`` and time: what is still coming up and what has waited too long."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures.doctor.support import FIXTURES, POD, SNAPSHOT, findings, load

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
