"""``nimctl doctor`` against kubectl-shaped fixtures (one per problem, plus healthy namespaces).

The fixtures are built by ``fixtures/doctor/make_fixtures.py``; each is a snapshot taken at
2026-11-28T10:30:00Z, the time ages are judged against.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nimctl import doctor

FIXTURES = Path(__file__).parent / "fixtures" / "doctor"
SNAPSHOT = datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
POD = "pod/llama3-8b-nim-llm-0"
PVC = "pvc/model-store-llama3-8b-nim-llm-0"
GPU_NODE = "gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-x7k2"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def findings(report: doctor.Report) -> list[tuple[str, str, str]]:
    return [(f.cause, f.fix, f.object) for f in report.findings]


# fixture -> exit code, (cause, fix, object) in report order, phrases the text must contain
CASES: dict[str, tuple[int, list[tuple[str, str, str]], list[str]]] = {
    "healthy": (
        0,
        [],
        ["healthy: every NIM pod is ready", "pod llama3-8b-nim-llm-0: Running, 1/1 ready"],
    ),
    "no-pods": (
        1,
        [("no-nim-pods", "check-release-namespace", "namespace/?")],
        ["no pod labelled app.kubernetes.io/name=nim-llm", "kubectl get pods -A -l"],
    ),
    "resource-quota": (
        1,
        [("resource-quota-exceeded", "raise-resource-quota", "statefulset/llama3-8b-nim-llm")],
        ["exceeded quota: gpu-quota", "kubectl -n nim describe resourcequota"],
    ),
    "gpu-pool-max": (
        1,
        [("gpu-pool-max-reached", "raise-pool-max-nodes", "pod/llama3-8b-nim-llm-1")],
        ["1 max node group size reached", "max_node_count (a per-zone bound)"],
    ),
    "gpu-quota": (
        1,
        [("gpu-quota-exceeded", "request-gpu-quota", POD)],
        ["in us-central1-a: GCE quota exceeded", "NVIDIA_L4_GPUS", "GPUS_ALL_REGIONS"],
    ),
    "gpu-stockout": (
        1,
        [("gpu-zone-stockout", "use-other-zones", POD)],
        ["us-central1-a is out of capacity", "a stockout, not a quota"],
    ),
    "gpu-scaling-up": (
        3,
        [("gpu-scale-up-in-progress", "wait-for-gpu-node", POD)],
        [
            "triggered a scale-up 3m 30s ago "
            "(gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-grp 0->1 (max: 2))",
            "not ready yet, nothing to fix",
        ],
    ),
    "gpu-driver-missing": (
        1,
        [
            ("gpu-driver-not-installed", "set-gpu-driver-version", f"node/{GPU_NODE}"),
            ("gpu-pool-max-reached", "raise-pool-max-nodes", POD),
        ],
        ["(nvidia-l4) expose no nvidia.com/gpu", "gpu_driver_version to DEFAULT or LATEST"],
    ),
    "untolerated-taint": (
        1,
        [("untolerated-taint", "add-toleration", POD)],
        [
            "does not tolerate the taint nvidia.com/gpu=present:NoSchedule",
            "The pod requests no nvidia.com/gpu",
        ],
    ),
    "node-selector": (
        1,
        [("node-selector-matches-no-pool", "fix-node-selector", POD)],
        [
            "nodeSelector cloud.google.com/gke-accelerator=nvidia-tesla-l4, "
            "cloud.google.com/gke-nodepool=gpu-pool-a1b2c3 of pod",
            "The nodes carry cloud.google.com/gke-accelerator=nvidia-l4.",
        ],
    ),
    "pod-too-large": (
        1,
        [("pod-too-large-for-node", "fit-requests-to-node", POD)],
        ["memory 16.0 GiB", "can allocate (memory 13.2 GiB", "g2-standard-8"],
    ),
    "image-pull-401": (
        1,
        [("image-pull-unauthorized", "fix-ngc-pull-secret", POD)],
        ["401 Unauthorized", "failed to fetch oauth token", "--docker-username='$oauthtoken'"],
    ),
    "image-pull-403": (
        1,
        [("image-pull-forbidden", "check-ngc-entitlement", POD)],
        ["403 Forbidden", "not entitled to this NIM"],
    ),
    "pull-secret-missing": (
        1,
        [("pull-secret-not-found", "create-image-pull-secret", POD)],
        [
            "image pull secret (ngc-registry) of pod llama3-8b-nim-llm-0 does not exist",
            "kubernetes.io/dockerconfigjson",
        ],
    ),
    "secret-key-missing": (
        1,
        [("secret-key-not-found", "add-secret-key", POD)],
        [
            "Secret ngc-api has no key NGC_API_KEY",
            "charts >= 1.1.2 read",
            "holds only NGC_CLI_API_KEY",
            '--from-literal=NGC_API_KEY="$NGC_API_KEY"',
        ],
    ),
    "secret-missing": (
        1,
        [("secret-not-found", "create-api-key-secret", POD)],
        [
            "Secret ngc-api does not exist in namespace nim",
            "kubectl -n nim create secret generic ngc-api",
        ],
    ),
    "pvc-storage-class": (
        1,
        [("pvc-storage-class-not-found", "fix-storage-class", PVC)],
        ["StorageClass premium-ssd does not exist", "standard-rwo"],
    ),
    "pvc-provisioner": (
        1,
        [("pvc-provisioner-stuck", "check-csi-driver", PVC)],
        ["Pending for 25m 00s waiting for pd.csi.storage.gke.io", "GcePersistentDiskCsiDriver"],
    ),
    "model-loading": (
        3,
        [("model-loading", "wait-for-model-load", POD)],
        [
            "started 12m 00s ago, startup probe budget 30m 40s (18m 40s left)",
            "Startup probe failed",
            "kubectl -n nim logs -f llama3-8b-nim-llm-0",
        ],
    ),
    "startup-exceeded": (
        1,
        [("startup-probe-budget-exceeded", "extend-startup-budget", POD)],
        [
            "startup probe budget of 30m 40s",
            "Container nim-llm failed startup probe",
            "failureThreshold",
        ],
    ),
    "readiness-failing": (
        1,
        [("readiness-probe-failing", "check-readiness", POD)],
        ["Readiness probe failed: HTTP probe failed with statuscode: 503 (x36)"],
    ),
    "oomkilled": (
        1,
        [("oom-killed", "raise-memory-limit", POD)],
        ["keeps being OOMKilled (memory limit 12Gi, 4 restart(s))", "resources.limits.memory"],
    ),
    "crashloop": (
        1,
        [("crash-loop", "read-previous-logs", POD)],
        [
            "last exited with code 1 (Error) and has restarted 7 time(s)",
            "logs llama3-8b-nim-llm-0 -c nim-llm --previous",
        ],
    ),
    "two-releases": (
        1,
        [("crash-loop", "read-previous-logs", "pod/mistral-7b-nim-llm-0")],
        [
            "pod llama3-8b-nim-llm-0: Running, 1/1 ready",
            "logs mistral-7b-nim-llm-0 -c nim-llm --previous",
        ],
    ),
}


def test_every_fixture_has_a_case() -> None:
    on_disk = {p.stem for p in FIXTURES.glob("*.json")}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_diagnosis(name: str, run_cli) -> None:
    code, expected, phrases = CASES[name]
    assert findings(doctor.diagnose(load(name))) == expected
    exit_code, out, err = run_cli(doctor, "doctor", "--from-file", str(FIXTURES / f"{name}.json"))
    assert exit_code == code
    assert err == ""
    for phrase in phrases:
        assert phrase in out
    for cause, fix, obj in expected:
        assert f"[{cause}] {obj}" in out
        assert f"fix [{fix}]: " in out


def test_release_filter_selects_pods_by_instance_label(run_cli) -> None:
    path = str(FIXTURES / "two-releases.json")
    code, out, _ = run_cli(doctor, "doctor", "--from-file", path, "--release", "llama3-8b")
    assert code == 0
    assert "mistral-7b" not in out
    code, out, _ = run_cli(doctor, "doctor", "--from-file", path, "--release", "missing")
    assert code == 1
    assert "[no-nim-pods] namespace/nim" in out
    assert "app.kubernetes.io/instance=missing" in out
    assert "nim-llm releases here: llama3-8b, mistral-7b" in out


def test_pods_are_found_by_label_not_by_name() -> None:
    doc = load("crashloop")
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    pod["metadata"]["labels"]["app.kubernetes.io/name"] = "something-else"
    assert findings(doctor.diagnose(doc)) == [
        ("no-nim-pods", "check-release-namespace", "namespace/nim")
    ]
    renamed = load("crashloop")
    for item in renamed["items"]:  # a NIM pod with an unrelated name is still found
        if item["kind"] == "Pod":
            item["metadata"]["name"] = "inference-7f9c"
        if item["kind"] == "Event":
            item["involvedObject"]["name"] = "inference-7f9c"
    assert findings(doctor.diagnose(renamed)) == [
        ("crash-loop", "read-previous-logs", "pod/inference-7f9c")
    ]


def test_json_output(run_cli) -> None:
    code, out, _ = run_cli(
        doctor, "doctor", "--from-file", str(FIXTURES / "gpu-quota.json"), "--json"
    )
    assert code == 1
    report = json.loads(out)
    assert report["status"] == "problems"
    assert report["healthy"] is False
    assert report["namespace"] == "nim"
    assert report["snapshot_time"] == "2026-11-28T10:30:00Z"
    assert report["pods"] == [
        {
            "name": "llama3-8b-nim-llm-0",
            "phase": "Pending",
            "ready": "0/1",
            "restarts": 0,
            "node": None,
        }
    ]
    (finding,) = report["findings"]
    assert finding["cause"] == "gpu-quota-exceeded"
    assert finding["fix"] == "request-gpu-quota"
    assert finding["severity"] == "error"
    assert finding["evidence"][0].startswith("Node scale up in zones us-central1-a")


def test_healthy_json(run_cli) -> None:
    path = str(FIXTURES / "healthy.json")
    code, out, _ = run_cli(doctor, "doctor", "--from-file", path, "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["status"], report["healthy"], report["findings"]) == ("healthy", True, [])


# --------------------------------------------------------------------------------------------
# Time: loading against the ~30 min startup budget, slow scale-ups.


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


GPU_TAINT = "node(s) had untolerated taint {nvidia.com/gpu: present}"
PREEMPTION = " preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            f"0/4 nodes are available: 1 {GPU_TAINT}, 3 Insufficient nvidia.com/gpu.{PREEMPTION}",
            {GPU_TAINT: 1, "Insufficient nvidia.com/gpu": 3},
        ),
        (
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
            + PREEMPTION,
            {"pod has unbound immediate PersistentVolumeClaims": 0},
        ),
        (
            "pod didn't trigger scale-up (it wouldn't fit if a new node is added): "
            "1 Insufficient memory",
            {"Insufficient memory": 1},
        ),
        (
            "pod didn't trigger scale-up: 1 max node group size reached",
            {"max node group size reached": 1},
        ),
    ],
)
def test_parse_reasons(message: str, expected: dict[str, int]) -> None:
    assert doctor.parse_reasons(message) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16Gi", 16 * 2**30),
        ("29236452Ki", 29236452 * 1024),
        ("7910m", 7.91),
        ("1", 1.0),
        ("x", None),
    ],
)
def test_parse_quantity(value: str, expected: float | None) -> None:
    assert doctor.parse_quantity(value) == (pytest.approx(expected) if expected else expected)


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


def _items(doc: dict[str, Any], kind: str, reason: str | None = None) -> list[dict[str, Any]]:
    return [
        i for i in doc["items"] if i["kind"] == kind and (reason is None or i["reason"] == reason)
    ]


def _image_not_found(doc: dict[str, Any]) -> None:
    for event in _items(doc, "Event", "Failed"):
        event["message"] = event["message"].replace(
            "failed to authorize: failed to fetch oauth token: unexpected status from GET request "
            "to https://nvcr.io/proxy_auth?scope=repository%3Anim%2Fmeta%2Fllama3-8b-instruct"
            "%3Apull&service=nvcr.io: 401 Unauthorized",
            "nvcr.io/nim/meta/llama3-8b-instruct:1.0.3: not found",
        )


def _still_pulling(doc: dict[str, Any]) -> None:
    doc["items"] = [i for i in doc["items"] if i.get("reason") not in ("Failed", "BackOff")]
    (pod,) = _items(doc, "Pod")
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}


def _liveness_kill(doc: dict[str, Any]) -> None:
    event = copy.deepcopy(_items(doc, "Event", "BackOff")[0])
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
        (event,) = _items(doc, "Event", "FailedScaleUp")
        event["message"] = event["message"].replace("GCE quota exceeded", text)

    return mutate


def _no_storage_class(doc: dict[str, Any]) -> None:
    (event,) = _items(doc, "Event", "ProvisioningFailed")
    event.update(
        reason="FailedBinding",
        message="no persistent volumes available for this claim and no storage class is set",
    )


def _scheduler_says(message: str):  # type: ignore[no-untyped-def]
    def mutate(doc: dict[str, Any]) -> None:
        for event in _items(doc, "Event", "FailedScheduling"):
            event["message"] = message

    return mutate


def _webhook_denied(doc: dict[str, Any]) -> None:
    (event,) = _items(doc, "Event", "FailedCreate")
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


def test_every_cause_has_a_fix_text() -> None:
    assert {fix for _, fix in doctor.CAUSES.values()} <= set(doctor.FIXES)
    assert set(doctor.FIXES) <= {fix for _, fix in doctor.CAUSES.values()}


# --------------------------------------------------------------------------------------------
# Input errors.


def test_missing_file(run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli(doctor, "doctor", "--from-file", str(tmp_path / "nope.json"))
    assert code == doctor.EXIT_UNREADABLE
    assert "doctor: cannot read the namespace: cannot read" in err
    assert out == ""


def test_not_json(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("NAME  READY  STATUS\nmy-nim-0  0/1  Pending\n")
    code, _, err = run_cli(doctor, "doctor", "--from-file", str(path))
    assert code == doctor.EXIT_UNREADABLE
    assert "is not JSON" in err
    assert "kubectl get pods,events,pvc,nodes -n NS -o json" in err


def test_json_that_is_not_a_list(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"kind": "Pod"}')
    code, _, err = run_cli(doctor, "doctor", "--from-file", str(path))
    assert code == doctor.EXIT_UNREADABLE
    assert "(an object with an 'items' list)" in err


def test_bad_now(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        doctor.build_parser().parse_args(["doctor", "--now", "yesterday"])
    assert "'yesterday' is not an ISO 8601 time" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The live path: Kubernetes client objects -> sanitize_for_serialization -> the same diagnosis.


class _Response:  # what ApiClient.deserialize reads in kubernetes < 35
    def __init__(self, payload: Any) -> None:
        self.data = json.dumps(payload)


def to_model(api: Any, payload: Any, model: str) -> Any:
    try:  # kubernetes >= 35: deserialize(text, type, content_type)
        return api.deserialize(json.dumps(payload), model, "application/json")
    except TypeError:
        return api.deserialize(_Response(payload), model)


class FakeCoreV1:
    """Answers like CoreV1Api, with real client model objects built from a fixture."""

    def __init__(self, doc: dict[str, Any], fail: dict[str, Exception] | None = None) -> None:
        from kubernetes.client import ApiClient  # noqa: PLC0415

        self.api = ApiClient()
        self.doc = doc
        self.fail = fail or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _list(self, kind: str, model: str, **kwargs: Any) -> Any:
        self.calls.append((kind, kwargs))
        if kind in self.fail:
            raise self.fail[kind]
        items = []
        for item in self.doc["items"]:
            if item["kind"] == kind:
                plain = dict(item)
                plain.pop("kind")  # items of a typed list carry no kind
                items.append(plain)
        return to_model(self.api, {"items": items, "metadata": {}}, model)

    def list_namespaced_pod(self, namespace: str, label_selector: str) -> Any:
        doc = self.doc
        wanted = dict(part.split("=") for part in label_selector.split(","))
        self.doc = {
            "items": [
                i
                for i in doc["items"]
                if i["kind"] != "Pod"
                or all(i["metadata"]["labels"].get(k) == v for k, v in wanted.items())
            ]
        }
        try:
            return self._list(
                "Pod", "V1PodList", namespace=namespace, label_selector=label_selector
            )
        finally:
            self.doc = doc

    def list_namespaced_event(self, namespace: str) -> Any:
        return self._list("Event", "CoreV1EventList", namespace=namespace)

    def list_namespaced_persistent_volume_claim(self, namespace: str) -> Any:
        return self._list(
            "PersistentVolumeClaim", "V1PersistentVolumeClaimList", namespace=namespace
        )

    def list_node(self) -> Any:
        return self._list("Node", "V1NodeList")


@pytest.mark.parametrize("name", ["gpu-quota", "image-pull-401", "model-loading", "two-releases"])
def test_live_path_shares_the_diagnosis(name: str) -> None:
    pytest.importorskip("kubernetes")
    doc = load(name)
    core = FakeCoreV1(doc)
    collected = doctor.collect(core, core.api, "nim", None)
    kinds = {i["kind"] for i in collected["items"]}
    assert kinds <= {"Pod", "Event", "PersistentVolumeClaim", "Node"}
    live = doctor.diagnose(collected, now=SNAPSHOT)
    offline = doctor.diagnose(doc, now=SNAPSHOT)
    assert findings(live) == findings(offline)
    assert [f.summary for f in live.findings] == [f.summary for f in offline.findings]


def test_live_path_selects_pods_by_release_label() -> None:
    pytest.importorskip("kubernetes")
    core = FakeCoreV1(load("two-releases"))
    collected = doctor.collect(core, core.api, "nim", "llama3-8b")
    assert core.calls[0] == (
        "Pod",
        {
            "namespace": "nim",
            "label_selector": "app.kubernetes.io/name=nim-llm,app.kubernetes.io/instance=llama3-8b",
        },
    )
    assert doctor.diagnose(collected, release="llama3-8b", now=SNAPSHOT).status == "healthy"


def test_live_path_without_node_access_still_diagnoses() -> None:
    kubernetes = pytest.importorskip("kubernetes")
    forbidden = kubernetes.client.ApiException(status=403, reason="Forbidden")
    core = FakeCoreV1(load("secret-key-missing"), fail={"Node": forbidden})
    collected = doctor.collect(core, core.api, "nim", None)
    assert not [i for i in collected["items"] if i["kind"] == "Node"]
    assert findings(doctor.diagnose(collected, now=SNAPSHOT)) == [
        ("secret-key-not-found", "add-secret-key", POD)
    ]


def test_live_path_refused_is_a_clear_error(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    unauthorized = kubernetes.client.ApiException(status=401, reason="Unauthorized")
    core = FakeCoreV1(load("healthy"), fail={"Pod": unauthorized})
    monkeypatch.setattr(
        doctor,
        "read_live",
        lambda namespace, release, context: (doctor.collect(core, core.api, "nim", release), "nim"),
    )
    code, out, err = run_cli(doctor, "doctor", "--namespace", "nim")
    assert code == doctor.EXIT_UNREADABLE
    assert "the cluster refused to list Pods in namespace nim (HTTP 401 Unauthorized)" in err
    assert "gcloud container clusters get-credentials" in err
    assert out == ""


def test_live_run_uses_the_current_time_and_can_save_the_snapshot(
    run_cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return SNAPSHOT + timedelta(minutes=5)

    doc = load("model-loading")  # container started 12 min before the snapshot
    monkeypatch.setattr(doctor, "read_live", lambda namespace, release, context: (doc, "nim"))
    monkeypatch.setattr(doctor, "datetime", Clock)
    saved = tmp_path / "snapshot.json"
    code, out, _ = run_cli(doctor, "doctor", "--save", str(saved))
    assert json.loads(saved.read_text()) == doc
    assert code == doctor.EXIT_WAITING
    assert "started 17m 00s ago" in out  # judged as of now, not the newest timestamp
