"""``nimctl wake`` and ``nimctl sleep``: they set the wake signal the HPA reads and run the
stack's wake-signal CronJob at once; they never scale a workload (the HPA undoes a manual scale
and does not wake a workload set to zero by hand: kubernetes.io/blog/2026/09/02/
kubernetes-v1-37-hpa-scale-to-zero-beta)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.wake_signal import NAME, OVERRIDES_CONFIGMAP
from nimctl import _signal, sleep, wake
from nimctl.__main__ import build_parser
from nimgke import wake_signal
from tests.test_wake_signal_component import one

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # Monday 14:00 in Chicago: in dev's window
NIGHT = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # Monday 21:00 in Chicago: outside it


def wake_query(stack: str) -> str:
    """The wake signal's PromQL in the stack's AutoscalingMetric, as the program registers it."""
    metric = one(stack, "kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric")
    (query,) = [
        m["promql"]["query"] for m in metric["spec"]["metrics"] if m["promql"]["name"] == "wake"
    ]
    return query


def cron_job() -> dict[str, Any]:
    """dev's CronJob as the API server returns it (the stack's inputs, with a uid)."""
    cron = one("dev", "kubernetes:batch/v1:CronJob")
    cron["metadata"]["uid"] = "0f1e2d3c-0000-4000-8000-000000000001"
    return cron


class FakeCluster:
    """The API objects of dev's namespace, recording every write."""

    def __init__(self, overrides: dict[str, Any] | None = None, cron: bool = True) -> None:
        self.cron = cron_job() if cron else None
        self.map = (
            None
            if overrides is None
            else {"metadata": {"name": OVERRIDES_CONFIGMAP},
                  "data": {"overrides.json": json.dumps(overrides)}}
        )  # fmt: skip
        self.saved: list[tuple[dict[str, Any], bool]] = []
        self.jobs: list[dict[str, Any]] = []
        self.scaled: list[Any] = []

    def cron_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        assert (namespace, name) == ("nim", NAME)
        return self.cron

    def config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        assert (namespace, name) == ("nim", OVERRIDES_CONFIGMAP)
        return self.map

    def save_config_map(self, namespace: str, body: dict[str, Any], exists: bool) -> None:
        self.saved.append((body, exists))

    def create_job(self, namespace: str, body: dict[str, Any]) -> None:
        self.jobs.append(body)

    def hpa(self, namespace: str, name: str) -> dict[str, Any] | None:
        assert name == "llama3-8b-1-0-3-nim-llm"
        return {"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 1800}}}}


def schedule() -> dict[str, Any] | None:
    """dev's schedule as its CronJob's pod reads it from its environment."""
    pod = cron_job()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return wake_signal.settings({e["name"]: e["value"] for e in pod["containers"][0]["env"]})[1]


def test_wake_writes_an_override_the_cronjob_reads_and_runs_it_now():
    cluster = FakeCluster()
    out = _signal.set_signal(cluster, "nim", None, "awake", timedelta(hours=2), NIGHT)
    ((body, exists),) = cluster.saved
    assert exists is False  # created: the stack does not manage it
    assert body["metadata"] == {
        "name": "nim-wake-overrides",
        "namespace": "nim",
        "labels": {"app.kubernetes.io/part-of": "nim-gke"},
    }
    written = json.loads(body["data"]["overrides.json"])
    assert written == {
        "llama3-8b-1-0-3": {"state": "awake", "until": "2026-12-08T05:00:00Z",
                            "by": "nimctl wake", "at": "2026-12-08T03:00:00Z"}
    }  # fmt: skip
    # What the CronJob's pod then writes: 1 at night while the override lasts, then the
    # schedule's 0 again.
    assert wake_signal.wake_value("llama3-8b-1-0-3", NIGHT, schedule(), {}) == 0
    assert wake_signal.wake_value("llama3-8b-1-0-3", NIGHT, schedule(), written) == 1
    later = NIGHT + timedelta(hours=2)
    assert wake_signal.wake_value("llama3-8b-1-0-3", later, schedule(), written) == 0
    (job,) = cluster.jobs
    assert out.job == job["metadata"]["name"] == f"nim-wake-signal-manual-{int(NIGHT.timestamp())}"


def test_the_job_is_what_kubectl_create_job_from_cronjob_makes():
    """kubernetes/kubectl pkg/cmd/create/create_job.go: the template's spec, the "manual"
    annotation, the CronJob as controlling owner."""
    cron = cron_job()
    job = _signal.job_from_cron_job(cron, NOW)
    assert job["spec"] == cron["spec"]["jobTemplate"]["spec"]
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["labels"] == cron["spec"]["jobTemplate"]["metadata"]["labels"]
    assert job["metadata"]["ownerReferences"] == [
        {"apiVersion": "batch/v1", "kind": "CronJob", "name": NAME,
         "uid": "0f1e2d3c-0000-4000-8000-000000000001", "controller": True}
    ]  # fmt: skip
    assert job["metadata"]["namespace"] == "nim"


def test_sleep_keeps_other_versions_overrides_and_drops_expired_ones():
    current = {
        "other-1-0": {"state": "awake", "until": "2026-12-08T00:00:00Z"},
        "old-1-0": {"state": "awake", "until": "2026-12-07T19:00:00Z"},
        "llama3-8b-1-0-3": {"state": "awake", "until": "2026-12-07T23:00:00Z"},
    }
    cluster = FakeCluster(overrides=current)
    _signal.set_signal(cluster, "nim", "llama3-8b-1-0-3", "asleep", timedelta(hours=12), NOW)
    ((body, exists),) = cluster.saved
    assert exists is True
    written = json.loads(body["data"]["overrides.json"])
    assert written == {
        "other-1-0": {"state": "awake", "until": "2026-12-08T00:00:00Z"},
        "llama3-8b-1-0-3": {"state": "asleep", "until": "2026-12-08T08:00:00Z",
                            "by": "nimctl sleep", "at": "2026-12-07T20:00:00Z"},
    }  # fmt: skip
    # in working hours, the gauge now says 0 for it
    assert wake_signal.wake_value("llama3-8b-1-0-3", NOW, schedule(), {}) == 1
    assert wake_signal.wake_value("llama3-8b-1-0-3", NOW, schedule(), written) == 0


def test_neither_command_scales_anything():
    cluster = FakeCluster()
    for state in ("awake", "asleep"):
        _signal.set_signal(cluster, "nim", None, state, timedelta(hours=1), NOW)
    # the only writes: the overrides and the runs of the CronJob
    assert [b["kind"] for b, _ in cluster.saved] == ["ConfigMap", "ConfigMap"]
    assert [j["kind"] for j in cluster.jobs] == ["Job", "Job"]


def test_without_a_wake_signal_it_says_why_and_touches_nothing():
    cluster = FakeCluster(cron=False)
    with pytest.raises(_signal.SignalError, match="no wake signal in namespace nim"):
        _signal.set_signal(cluster, "nim", None, "awake", timedelta(hours=1), NOW)
    assert cluster.saved == [] and cluster.jobs == []


def test_an_unknown_release_lists_the_versions():
    with pytest.raises(_signal.SignalError) as err:
        _signal.set_signal(FakeCluster(), "nim", "llama3-8b", "awake", timedelta(hours=1), NOW)
    assert "'llama3-8b' is not a version with a wake signal here; the versions are: " \
        "llama3-8b-1-0-3" in str(err.value)  # fmt: skip


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_the_commands_parse_and_report(capsys):
    args = _args("wake", "-n", "nim", "--for", "90m")
    assert args.lasting == timedelta(minutes=90) and args.func is wake.run
    assert _signal.run(args, "awake", FakeCluster()) == 0
    out = capsys.readouterr().out
    assert "llama3-8b-1-0-3: awake until " in out
    assert "nimctl timeline -n nim --release llama3-8b-1-0-3" in out
    args = _args("sleep", "-n", "nim")
    assert args.lasting == timedelta(hours=12) and args.func is sleep.run
    assert _signal.run(args, "asleep", FakeCluster()) == 0
    out = capsys.readouterr().out
    # The HPA's idle window (30 min), and then the wake query's lookback: dev's wake signal is
    # max(max_over_time(gauge[5m])), so a 1 written just before `nimctl sleep` still counts for
    # up to 5 minutes before the idle window can run out.
    assert re.search(r"max_over_time\(.*\[5m\]\)", wake_query("dev"))
    assert "its idle window + up to 5 min (30 min, monitoring.hpa.idleMinutes;" in out


def test_a_problem_is_one_line_and_exit_2(capsys):
    assert _signal.run(_args("wake", "-n", "nim"), "awake", FakeCluster(cron=False)) == 2
    err = capsys.readouterr().err
    assert err.startswith("wake: no wake signal in namespace nim (cronjob/nim-wake-signal)")


@pytest.mark.parametrize("text", ["0h", "2", "1w", "-1h"])
def test_durations_must_be_minutes_hours_or_days(text):
    with pytest.raises(argparse.ArgumentTypeError):
        _signal.duration(text)


def test_the_versions_are_the_ones_the_cronjob_writes_for():
    assert _signal.releases_of(cron_job()) == ["llama3-8b-1-0-3"]
    assert _signal.releases_of({"spec": {}}) == []


class _ApiError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Api:
    """Answers like the kubernetes client's CoreV1Api/BatchV1Api/AutoscalingV2Api."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers, self.calls = answers, []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any) -> Any:
            self.calls.append((method, args))
            answer = self.answers.get(method)
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def test_the_live_cluster_reads_missing_objects_as_none_and_refusals_as_problems():
    from kubernetes.client import ApiClient  # noqa: PLC0415 - optional dependency

    live = _signal.KubeCluster(ApiClient())
    live.batch = _Api({"read_namespaced_cron_job": _ApiError(404, "Not Found"),
                       "create_namespaced_job": None})  # fmt: skip
    live.core = _Api({"read_namespaced_config_map": _ApiError(403, "Forbidden"),
                      "create_namespaced_config_map": None})  # fmt: skip
    live.autoscaling = _Api({"read_namespaced_horizontal_pod_autoscaler": _ApiError(403, "x")})
    assert live.cron_job("nim", NAME) is None
    with pytest.raises(_signal.SignalError, match=r"refused access to configmap/nim-wake-over"):
        live.config_map("nim", OVERRIDES_CONFIGMAP)
    assert live.hpa("nim", "x") is None  # only for the message: not a reason to stop
    body = {"kind": "ConfigMap"}
    live.save_config_map("nim", body, exists=False)
    assert live.core.calls[-1] == ("create_namespaced_config_map", ("nim", body))
    live.create_job("nim", {"kind": "Job"})
    assert live.batch.calls[-1] == ("create_namespaced_job", ("nim", {"kind": "Job"}))
