"""``nimctl timeline`` on snapshots built like real ones (``fixtures/timeline/make_fixtures.py``,
which reuses the doctor fixtures' builders and quoted messages), including a start that failed
half-way and one whose events have expired."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fixtures.timeline import make_fixtures

from nimctl import doctor, timeline
from nimctl.doctor.wording import Pulled, go_duration_seconds, parse_pulled

FIXTURES = Path(make_fixtures.__file__).parent
DOCTOR_FIXTURES = FIXTURES.parent / "doctor"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def phases(name: str) -> list[tuple[str, str, str | None, float | None]]:
    (pod,) = timeline.report(load(name), "nim", None)["pods"]
    return [(p["phase"], p["status"], p["at"], p["sincePrevious"]) for p in pod["phases"]]


@pytest.mark.parametrize("name", sorted(make_fixtures.SCENARIOS))
def test_fixture_files_are_current(name):
    assert load(name) == json.loads(json.dumps(copy.deepcopy(make_fixtures.SCENARIOS[name]())))


def test_a_cold_start_from_zero_gpu_nodes_phase_by_phase():
    assert phases("cold-start") == [
        ("pod created", "done", "2026-11-28T10:18:00Z", None),
        ("scale-up triggered", "done", "2026-11-28T10:18:09Z", 9.0),
        ("node created", "done", "2026-11-28T10:19:32Z", 83.0),
        ("node ready", "done", "2026-11-28T10:20:05Z", 33.0),
        # No time is recorded for it: the pod's binding is the upper bound.
        ("GPU allocatable", "by", "2026-11-28T10:21:52Z", 107.0),
        ("image pulled", "done", "2026-11-28T10:21:58Z", 6.0),
        ("container started", "done", "2026-11-28T10:22:00Z", 2.0),
        ("ready", "done", "2026-11-28T10:24:31Z", 151.0),
    ]
    (pod,) = timeline.report(load("cold-start"), "nim", None)["pods"]
    assert pod["totalSeconds"] == 391.0 and pod["coldStart"] is True
    # From kubelet's Pulled message: 3.318 s for 12.9 GB cannot be a download.
    assert pod["pull"] == {
        "image": make_fixtures.MIRRORED,
        "alreadyPresent": False,
        "pullSeconds": 3.318,
        "includingWaitingSeconds": 3.36,
        "imageSizeBytes": 12873915273,
        "bytesPerSecond": round(12873915273 / 3.318),  # ~3.9 GB/s
        "streamedOrPreloaded": True,
    }


def test_events_read_through_the_events_api_give_the_same_timeline():
    """Old- and new-style events: the same start as core/v1 Events (kubectl get events) and as
    events.k8s.io/v1 Events (regarding, note, deprecatedFirstTimestamp...)."""
    new = load("cold-start-events-api")
    assert {i["apiVersion"] for i in new["items"] if i["kind"] == "Event"} == {"events.k8s.io/v1"}
    assert phases("cold-start-events-api") == phases("cold-start")


def test_a_warm_node_start_skips_the_node_phases_and_the_pull():
    got = phases("warm-node")
    assert [(p, s) for p, s, _, _ in got] == [
        ("pod created", "done"),
        ("scale-up triggered", "not part of this start"),
        ("node created", "not part of this start"),
        ("node ready", "not part of this start"),
        ("GPU allocatable", "by"),
        ("image pulled", "done"),
        ("container started", "done"),
        ("ready", "done"),
    ]
    (pod,) = timeline.report(load("warm-node"), "nim", None)["pods"]
    assert pod["pull"]["alreadyPresent"] is True and pod["totalSeconds"] == 140.0
    assert pod["coldStart"] is False


def test_a_start_that_failed_half_way_says_where_and_why():
    got = phases("pull-failed")
    assert got[:5] == [
        ("pod created", "done", "2026-11-28T10:16:00Z", None),
        ("scale-up triggered", "done", "2026-11-28T10:16:10Z", 10.0),
        ("node created", "done", "2026-11-28T10:17:40Z", 90.0),
        ("node ready", "done", "2026-11-28T10:18:10Z", 30.0),
        ("GPU allocatable", "by", "2026-11-28T10:20:20Z", 130.0),
    ]
    # The first failure, not the last back-off; nothing after it is invented.
    assert got[5] == ("image pulled", "failed", "2026-11-28T10:20:23Z", 3.0)
    assert got[6:] == [
        ("container started", "not reached", None, None),
        ("ready", "not reached", None, None),
    ]
    (pod,) = timeline.report(load("pull-failed"), "nim", None)["pods"]
    evidence = pod["phases"][5]["evidence"]
    assert "402 Payment Required (the registry answered 402)" in evidence
    assert evidence.endswith("failed 6 times, last at 2026-11-28T10:27:31Z")
    assert pod["totalSeconds"] is None


def test_expired_events_make_phases_missing_not_guessed():
    got = phases("events-expired")
    assert got[1] == ("scale-up triggered", "missing", None, None)
    assert got[5] == ("image pulled", "missing", None, None)
    # What the pod and node status still hold is used.
    assert got[2][:3] == ("node created", "done", "2026-11-28T07:31:20Z")
    assert got[6][:3] == ("container started", "done", "2026-11-28T07:34:00Z")
    assert got[7][:3] == ("ready", "done", "2026-11-28T07:36:30Z")
    (pod,) = timeline.report(load("events-expired"), "nim", None)["pods"]
    assert pod["phases"][1]["evidence"] == (
        "no TriggeredScaleUp event for this pod (events are kept about 1 h, kube-apiserver "
        "--event-ttl; or another pod's scale-up brought the node)"
    )


def test_a_pod_still_waiting_for_its_node():
    doc = load("cold-start")
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    del pod["spec"]["nodeName"]
    pod["status"] = {
        "phase": "Pending",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
    }
    doc["items"] = [
        i for i in doc["items"] if i["kind"] != "Node" or "gpu" not in i["metadata"]["name"]
    ]
    doc["items"] = [
        i
        for i in doc["items"]
        if i.get("reason")
        not in ("Scheduled", "Pulling", "Pulled", "Created", "Started", "Unhealthy")
    ]
    got = timeline.report(doc, "nim", None)["pods"][0]["phases"]
    assert [(p["phase"], p["status"]) for p in got] == [
        ("pod created", "done"),
        ("scale-up triggered", "done"),
        ("node created", "waiting"),
        ("node ready", "waiting"),
        ("GPU allocatable", "not reached"),
        ("image pulled", "not reached"),
        ("container started", "not reached"),
        ("ready", "not reached"),
    ]


# --- kubelet's Pulled message (pkg/kubelet/images/image_manager.go) ---------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m28.512s", 88.512), ("3.318s", 3.318), ("850ms", 0.85), ("1h2m3s", 3723.0), ("0s", 0.0)],
)
def test_go_durations(text, seconds):
    assert go_duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1m28", "5 s", "1.5d"])
def test_not_go_durations(text):
    assert go_duration_seconds(text) is None


@pytest.mark.parametrize(
    ("message", "parsed"),
    [
        (
            'Successfully pulled image "nvcr.io/nim/meta/llama3-8b-instruct:1.0.3" in 7m31.402s '
            "(7m31.402s including waiting). Image size: 12873915273 bytes.",
            Pulled(
                "nvcr.io/nim/meta/llama3-8b-instruct:1.0.3", False, 451.402, 451.402, 12873915273
            ),
        ),
        (  # before the image size was added
            'Successfully pulled image "x:1" in 1m23.5s (1m30s including waiting)',
            Pulled("x:1", False, 83.5, 90.0, None),
        ),
        ('Successfully pulled image "x:1" in 850ms', Pulled("x:1", False, 0.85, None, None)),
        ('Container image "x:1" already present on machine', Pulled("x:1", True)),
        (
            'Container image "x:1" already present on machine and can be accessed by the pod',
            Pulled("x:1", True),
        ),
        ('Pulling image "x:1"', None),
    ],
)
def test_pulled_messages(message, parsed):
    assert parse_pulled(message) == parsed


# --- the command --------------------------------------------------------------------------------


def test_text_output(run_cli):
    code, out, err = run_cli(timeline, "timeline", "--from-file", str(FIXTURES / "cold-start.json"))
    assert (code, err) == (0, "")
    assert (
        "pod llama3-8b-1-0-3-nim-llm-0 (node gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-x7k2, cold "
        "start: a new node)" in out
    )
    assert "  GPU allocatable     by 10:21:52  1m 47s  3m 52s" in out
    assert "pull took 3s, 12.9 GB, faster than a download: streamed or preloaded" in out
    assert out.rstrip().endswith("total: pod created -> ready 6m 31s")


def test_json_output_and_exit_code_of_a_failed_start(run_cli):
    code, out, _ = run_cli(
        timeline, "timeline", "--json", "--from-file", str(FIXTURES / "pull-failed.json")
    )
    rep = json.loads(out)
    assert code == timeline.EXIT_NOT_DONE == 1
    assert (rep["schema"], rep["namespace"], rep["snapshotTime"]) == (
        "nimctl-timeline/v1",
        "nim",
        "2026-11-28T10:30:00Z",
    )
    assert [p["phase"] for p in rep["pods"][0]["phases"]] == list(timeline.PHASES)


def test_unreadable_input_exits_2(run_cli, tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("not json")
    code, out, err = run_cli(timeline, "timeline", "--from-file", str(bad))
    assert (code, out) == (2, "")
    assert err.startswith("timeline: cannot read the namespace: ")


def test_live_reads_the_namespace_like_doctor(run_cli, monkeypatch):
    calls = []

    def fake_read_live(namespace, release, context):
        calls.append((namespace, release, context))
        return load("warm-node"), "nim"

    # timeline reads through doctor's snapshot reader: one live path for both commands.
    monkeypatch.setattr(doctor, "read_live", fake_read_live)
    code, out, _ = run_cli(
        timeline, "timeline", "--release", "llama3-8b-1-0-3", "--context", "prod"
    )
    assert calls == [(None, "llama3-8b-1-0-3", "prod")]
    assert code == 0 and "image already on the node: no pull" in out


def test_release_selects_one_model_version(run_cli):
    """Each version is its own release (docs/rollouts.md): --release <release>-<tag> picks its
    pods out of a namespace with the model and its canary (doctor's gateway-healthy snapshot); the
    model's own release name is not a pod label, and the answer says what to pass instead."""
    both = str(DOCTOR_FIXTURES / "gateway-healthy.json")
    rep = json.loads(
        run_cli(
            timeline, "timeline", "--json", "--from-file", both, "--release", "llama3-8b-1-1-2"
        )[1]
    )
    assert [p["pod"] for p in rep["pods"]] == ["llama3-8b-1-1-2-nim-llm-0"]
    rep = json.loads(run_cli(timeline, "timeline", "--json", "--from-file", both)[1])
    assert [p["pod"] for p in rep["pods"]] == [
        "llama3-8b-1-0-3-nim-llm-0",
        "llama3-8b-1-1-2-nim-llm-0",
    ]
    code, out, _ = run_cli(timeline, "timeline", "--from-file", both, "--release", "llama3-8b")
    assert code == timeline.EXIT_NOT_DONE
    assert (
        "no pod labelled app.kubernetes.io/name=nim-llm,app.kubernetes.io/instance=llama3-8b "
        "(a model version's release: <release>-<tag>, e.g. llama3-8b-1-0-3;"
    ) in out


def test_the_nimctl_cli_lists_the_command():
    from nimctl.__main__ import COMMANDS, build_parser  # noqa: PLC0415

    assert "timeline" in COMMANDS
    args = build_parser().parse_args(["timeline", "--from-file", "x.json", "--json"])
    assert (args.command, args.json) == ("timeline", True)


def test_a_start_that_woke_a_sleeping_version_shows_when_and_why():
    """The HPA scaled the version from zero (ScaledToZero False, NotScaledToZero, at 10:17:58:
    kubernetes#135118) on its wake gauge (the SuccessfulRescale event): the start's phases are
    the cold start's, and the wake is 2 s before them."""
    assert phases("woken") == phases("cold-start")
    (pod,) = timeline.report(load("woken"), "nim", None)["pods"]
    assert pod["wake"] == {
        "hpa": "llama3-8b-1-0-3-nim-llm",
        "at": "2026-11-28T10:17:58Z",
        "evidence": "New size: 1; reason: external metric "
        "autoscaling.gke.io|llama3-8b-1-0-3|wake(nil) above target",
        "toPodCreatedSeconds": 2.0,
        "toReadySeconds": 393.0,
    }
    (cold,) = timeline.report(load("cold-start"), "nim", None)["pods"]
    assert cold["wake"] is None  # no HPA brought it back from zero
    text = timeline.render(timeline.report(load("woken"), "nim", None))
    assert "  woken from zero at 10:17:58 by HPA llama3-8b-1-0-3-nim-llm: New size: 1" in text
    assert "total: pod created -> ready 6m 31s; woken -> ready 6m 33s" in text


def test_an_old_rescale_from_zero_is_not_this_starts_wake():
    doc = load("woken")
    for item in doc["items"]:
        if item["kind"] == "HorizontalPodAutoscaler":
            for cond in item["status"]["conditions"]:
                if cond["type"] == "ScaledToZero":
                    cond["lastTransitionTime"] = "2026-11-28T09:00:00Z"  # over 5 min before
    (pod,) = timeline.report(doc, "nim", None)["pods"]
    assert pod["wake"] is None
