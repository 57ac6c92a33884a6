"""``nimctl doctor`` against kubectl-shaped fixtures (one per problem, plus healthy namespaces).

The fixtures are built by ``fixtures/doctor/make_fixtures.py``; each is a snapshot taken at
2026-11-28T10:30:00Z, the time ages are judged against. Time, wording, variants of a fixture and
the live path have their own ``test_nimctl_doctor_*.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.doctor import make_fixtures
from fixtures.doctor.support import FIXTURES, GPU_NODE, POD, PVC, findings, items, load

from nimctl import doctor
from nimctl.doctor.report import ASLEEP

# fixture -> exit code, (cause, fix, object) in report order, phrases the text must contain
CASES: dict[str, tuple[int, list[tuple[str, str, str]], list[str]]] = {
    # The NIM serves, but its HPA reads no metric (autoscaling on NIM metrics): a problem, exit 1.
    "hpa-metric-unavailable": (
        1,
        [("hpa-metric-unavailable", "fix-hpa-metric", "hpa/llama3-8b-nim-llm")],
        [
            "cannot read prometheus.googleapis.com|num_requests_waiting|gauge "
            "(FailedGetPodsMetric): it will not scale",
            "the server could not find the metric prometheus.googleapis.com|"
            "num_requests_waiting|gauge for pods",
        ],
    ),
    "metrics-adapter-unavailable": (
        1,
        # One cause, one finding: both APIServices of the group, the HPA's failure as evidence.
        [
            (
                "metrics-api-unavailable",
                "fix-metrics-adapter",
                "apiservice/v1beta1.custom.metrics.k8s.io",
            ),
        ],
        [
            "the custom.metrics.k8s.io API is not available (FailedDiscoveryCheck: "
            "v1beta1.custom.metrics.k8s.io, v1beta2.custom.metrics.k8s.io, served by Service "
            "custom-metrics/custom-metrics-stackdriver-adapter)",
            "`kubectl delete apiservice v1beta1.custom.metrics.k8s.io "
            "v1beta2.custom.metrics.k8s.io`.",
            "seen: HPA llama3-8b-nim-llm (FailedGetPodsMetric): the HPA was unable",
            "FailedDiscoveryCheck: failing or missing response from https://10.8.0.12:8443/",
            "the server is currently unable to handle the request (get pods.custom.metrics",
        ],
    ),
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
    "gpu-quota-retry": (
        1,
        [("gpu-quota-exceeded", "request-gpu-quota", POD)],
        [
            "in us-central1-a: GCE quota exceeded (it failed 4 times; the autoscaler retried "
            "2m 00s ago)",
            "Pod is at risk of not being scheduled. (x4)",
            "NVIDIA_L4_GPUS",
        ],
    ),
    "gpu-quota-and-stockout": (
        1,
        [
            ("gpu-quota-exceeded", "request-gpu-quota", POD),
            ("gpu-zone-stockout", "use-other-zones", POD),
        ],
        [
            "in us-central1-a, us-central1-b: GCE quota exceeded",
            "us-central1-a, us-central1-b are out of capacity for this machine or GPU type",
            "NVIDIA_L4_GPUS",
            "a stockout, not a quota",
        ],
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
    "gpu-driver-installing": (
        3,
        [("gpu-driver-installing", "wait-for-gpu-driver", f"node/{GPU_NODE}")],
        [
            f"GPU node {GPU_NODE} (nvidia-l4) joined 4m 00s ago and does not advertise "
            "nvidia.com/gpu yet",
            "seen: Pod triggered scale-up: [{",
            "doctor calls it stuck after 15m 00s",
            "not ready yet, nothing to fix",
        ],
    ),
    "gpu-node-not-ready": (
        3,
        [("node-starting", "wait-for-node-ready", f"node/{GPU_NODE}")],
        [
            f"node {GPU_NODE} joined 1m 30s ago and is not ready yet "
            "(node.kubernetes.io/not-ready)",
            "Ready=False: KubeletNotReady container runtime network not ready",
            "add no toleration for it",
            "not ready yet, nothing to fix",
        ],
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
    "pod-too-large-k8s134": (
        1,
        [("pod-too-large-for-node", "fit-requests-to-node", POD)],
        [
            "memory 16.0 GiB",
            "can allocate (memory 13.2 GiB",
            "2 Insufficient memory. no new claims to deallocate, preemption:",
            "Pod didn't trigger scale-up: 1 Insufficient memory",
        ],
    ),
    "image-pull-401": (
        1,
        [("image-pull-unauthorized", "fix-ngc-pull-secret", POD)],
        ["401 Unauthorized", "failed to fetch oauth token", "--docker-username='$oauthtoken'"],
    ),
    "image-pull-402": (
        1,
        [("image-pull-not-entitled", "get-nim-entitlement", POD)],
        [
            "nvcr.io answered 402 Payment Required when pulling "
            "nvcr.io/nim/meta/llama3-8b-instruct:1.0.3: the key is valid but its organization is "
            "not entitled to this NIM",
            "/proxy_auth?scope=repository%3Anim%2Fmeta%2Fllama3-8b-instruct%3Apull&service=nvcr.io:"
            " 402 Payment Required",
            "pull secret (ngc-registry)",
            "A new key of the same organization does not help.",
        ],
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
    "volume-zone-conflict": (
        1,
        # G2 attaches no regional disk: one zone or the shared bucket, not a regional disk.
        [("volume-zone-conflict", "keep-cache-in-gpu-zone", POD)],
        [
            "PVC model-store-llama3-8b-nim-llm-0 is a zonal disk in the zone of node "
            f"{GPU_NODE}, and no node of pod llama3-8b-nim-llm-0's pool can run there (its nodes "
            "are in us-central1-b)",
            "1 node(s) had volume node affinity conflict",
            "The GPU pool's machines (g2-standard-4) cannot attach a regional disk",
            "nim-gke:nim.sharedCache.enabled true",
            "delete PVC model-store-llama3-8b-nim-llm-0 and the pod",
        ],
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
    "spot-node-shutdown": (
        3,
        [("node-shutdown", "wait-for-replacement-pod", POD)],
        [
            "pod llama3-8b-nim-llm-0: Failed, 0/1 ready",
            f"its node {GPU_NODE} shut down (a Spot VM, which Compute Engine can reclaim at "
            "any time); the StatefulSet recreates it",
            "Terminated: Pod was terminated in response to imminent node shutdown.",
            "nim-gke:gpuPool.spot false",
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
    # Rollouts: the Gateway in front of two versions of the model
    "gateway-healthy": (
        0,
        [],
        [
            "pod llama3-8b-1-0-3-nim-llm-0: Running, 1/1 ready",
            "pod llama3-8b-1-1-2-nim-llm-0: Running, 1/1 ready",
            "healthy: every NIM pod is ready",
        ],
    ),
    "gateway-programming": (
        3,
        [
            ("gateway-programming", "wait-for-gateway", "gateway/nim-internal"),
            ("policy-pending", "wait-for-gateway", "gcpbackendpolicy/llama3-8b-1-0-3-nim-llm"),
            ("policy-pending", "wait-for-gateway", "healthcheckpolicy/llama3-8b-1-0-3-nim-llm"),
            ("route-pending", "wait-for-gateway", "httproute/llama3-8b"),
        ],
        [
            "Gateway nim-internal was created 3m 30s ago and its load balancer is not programmed",
            "seen: Accepted=Unknown: Pending Waiting for controller",
            "doctor calls it stuck after 15m 00s",
            "HTTPRoute llama3-8b was created 3m 00s ago and no Gateway has reported on it yet",
        ],
    ),
    "gateway-address-not-usable": (
        1,
        [("gateway-address-not-usable", "fix-gateway-address", "gateway/nim-internal")],
        [
            "cannot use the address it names (nim-prod-nim-gateway)",
            "seen: Programmed=False: AddressNotUsable",
            "gcloud compute addresses describe nim-prod-nim-gateway --region REGION",
        ],
    ),
    "route-backend-not-found": (
        1,
        [
            (
                "policy-not-attached",
                "fix-policy-target",
                "gcpbackendpolicy/llama3-8b-1-1-2-nim-llm",
            ),
            (
                "policy-not-attached",
                "fix-policy-target",
                "healthcheckpolicy/llama3-8b-1-1-2-nim-llm",
            ),
            ("route-backend-not-found", "create-route-backend", "httproute/llama3-8b"),
        ],
        [
            "names a backend Gateway nim-internal cannot resolve (BackendNotFound)",
            "seen: ResolvedRefs=False: BackendNotFound",
            "is not attached to Service llama3-8b-1-1-2-nim-llm (TargetNotFound)",
            "helm -n nim list",
        ],
    ),
    "route-not-accepted": (
        1,
        [("route-not-accepted", "fix-route-parent", "httproute/llama3-8b")],
        [
            "is not attached to Gateway nim-internal (NoMatchingParent)",
            "its listener (sectionName http)",
        ],
    ),
    "canary-not-ready": (
        1,
        [
            ("route-backend-not-ready", "drain-or-fix-version", "httproute/llama3-8b"),
            ("model-loading", "wait-for-model-load", "pod/llama3-8b-1-1-2-nim-llm-0"),
        ],
        [
            "sends 10% of its requests to llama3-8b-1-1-2-nim-llm, and no pod of llama3-8b-1-1-2 "
            "is ready",
            "Drain that version now (canary.weight: 0 in the stack file, `pulumi up`)",
            "no healthy upstream",
        ],
    ),
    "health-check-policy-missing": (
        1,
        [
            (
                "health-check-policy-missing",
                "add-health-check-policy",
                "service/llama3-8b-1-0-3-nim-llm",
            ),
            (
                "health-check-policy-missing",
                "add-health-check-policy",
                "service/llama3-8b-1-1-2-nim-llm",
            ),
        ],
        ["checks GET / on its pods, which NIM answers with 404", "requestPath /v1/health/ready"],
    ),
    "retained-cache": (
        0,
        [
            (
                "cache-of-removed-version",
                "delete-retained-cache",
                "pvc/model-store-llama3-8b-1-0-3-nim-llm-0",
            )
        ],
        [
            "is the model cache of release llama3-8b-1-0-3, which has no pod",
            "kubectl -n nim delete pvc model-store-llama3-8b-1-0-3-nim-llm-0",
        ],
    ),
    # A version its HPA holds at zero (minReplicas 0; kubernetes#135118 ScaledToZero) is asleep:
    # healthy, exit 0, and no "no-nim-pods" for the pod it does not have.
    "asleep": (
        0,
        [("release-asleep", "wake-when-needed", "hpa/llama3-8b-nim-llm")],
        [
            "version llama3-8b is asleep: its HPA llama3-8b-nim-llm scaled "
            "StatefulSet/llama3-8b-nim-llm to zero and wakes it on its wake schedule or "
            "`nimctl wake`",
            "seen: ScaledToZero True ScaledToZero: the HPA controller scaled the workload to zero",
            "nimctl wake -n nim --release llama3-8b",
            "doctor: healthy: asleep (llama3-8b), on purpose",
        ],
    ),
    # Asleep, and the HPA cannot read the gauge that would wake it: a problem, not "starting".
    "asleep-cannot-wake": (
        1,
        [("hpa-metric-unavailable", "fix-hpa-metric", "hpa/llama3-8b-nim-llm")],
        [
            # Only the metric the controller failed on (the wake gauge), not all three.
            "HPA llama3-8b-nim-llm cannot read autoscaling.gke.io|llama3-8b|wake "
            "(FailedGetExternalMetric): its version is asleep at zero and will not wake",
            "no metrics returned from external metrics API",
            "the CronJob nim-wake-signal's last Job succeeded",
        ],
    ),
    # Set to zero by hand: the HPA never wakes what it did not scale down (ScalingDisabled).
    "paused-by-hand": (
        1,
        [("release-paused", "hand-back-to-hpa", "hpa/llama3-8b-nim-llm")],
        [
            "version llama3-8b was set to zero replicas by hand",
            "seen: ScalingActive False ScalingDisabled: scaling is disabled since the replica "
            "count of the target is zero",
            "kubectl -n nim scale StatefulSet/llama3-8b-nim-llm --replicas=1",
            "nimctl sleep -n nim --release llama3-8b",
        ],
    ),
    "asleep-old-nodes": (
        0,
        [
            (
                "node-below-scale-to-zero",
                "upgrade-nodes-for-scale-to-zero",
                "node/gke-nim-dev-nim-dev-system-9d8e-8e1d2c3b-4jqv",
            ),
            (
                "node-below-scale-to-zero",
                "upgrade-nodes-for-scale-to-zero",
                "node/gke-nim-dev-nim-dev-system-9d8e-8e1d2c3b-9mzt",
            ),
            ("release-asleep", "wake-when-needed", "hpa/llama3-8b-nim-llm"),
        ],
        ["runs kubelet v1.36.4-gke.1247000: GKE supports HPA scale to zero only with the nodes"],
    ),
}


def test_every_fixture_has_a_case() -> None:
    on_disk = {p.stem for p in FIXTURES.glob("*.json")}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("name", sorted(make_fixtures.SCENARIOS))
def test_fixture_files_are_what_make_fixtures_writes(name: str) -> None:
    built = json.loads(json.dumps(make_fixtures.SCENARIOS[name]()))
    assert built == load(name), f"re-run {FIXTURES / 'make_fixtures.py'}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixtures_are_real_kubectl_lists_that_name_their_sources(name: str) -> None:
    doc = load(name)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert doc["_sources"] and all(isinstance(s, str) for s in doc["_sources"])
    for event in items(doc, "Event"):
        if event["reportingComponent"] == "default-scheduler":  # events.k8s.io/v1, read as core/v1
            assert "count" not in event
            assert event["firstTimestamp"] is None and event["lastTimestamp"] is None
            assert event["eventTime"] and event["source"] == {} and event["action"]
        else:  # core/v1 recorders: kubelet, controllers, the cluster autoscaler
            assert event["count"] >= 1 and event["eventTime"] is None
            assert event["firstTimestamp"] <= event["lastTimestamp"]
            assert event["source"]["component"] == event["reportingComponent"]


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
        mark = {
            doctor.ERROR: "PROBLEM",
            doctor.WAITING: "WAITING",
            doctor.WARNING: "WARNING",
            ASLEEP: "ASLEEP",
        }[SEVERITY[cause]]
        assert f"{mark} [{cause}] {obj}" in out


# The severity of each cause the fixtures report: what a user's wait loop sees (exit 3 while
# something is only coming up, 1 once something needs a fix).
SEVERITY = {
    **dict.fromkeys(
        [
            "gpu-scale-up-in-progress",
            "gpu-driver-installing",
            "node-starting",
            "node-shutdown",
            "model-loading",
            "gateway-programming",
            "route-pending",
            "policy-pending",
        ],
        doctor.WAITING,
    ),
    # Worth knowing, nothing to fix now (the exit code stays 0).
    **dict.fromkeys(
        ["cache-of-removed-version", "backend-policy-missing", "node-below-scale-to-zero"],
        doctor.WARNING,
    ),
    # At zero replicas on purpose: healthy (exit 0).
    "release-asleep": ASLEEP,
    **dict.fromkeys(
        {c for _, expected, _ in CASES.values() for c, _, _ in expected}
        - {"gpu-scale-up-in-progress", "gpu-driver-installing", "node-starting"}
        - {"node-shutdown", "model-loading"}
        - {"gateway-programming", "route-pending", "policy-pending"}
        - {"cache-of-removed-version", "backend-policy-missing", "node-below-scale-to-zero"}
        - {"release-asleep"},
        doctor.ERROR,
    ),
}


@pytest.mark.parametrize("cause", sorted(SEVERITY))
def test_severity_of_each_cause(cause: str) -> None:
    assert doctor.CAUSES[cause].severity == SEVERITY[cause]


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
            "capacity": None,  # no node yet: no pool, no priority
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
        doctor.COMMAND.build_parser().parse_args(["doctor", "--now", "yesterday"])
    assert "'yesterday' is not an ISO 8601 time" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The wait loop of docs/operations.md, run by bash against the real doctor: `nimctl doctor` reads
# the next fixture of a sequence each time round (a cold start, then a failure, then an
# unreadable namespace).

OPERATIONS = Path(__file__).parents[2] / "docs" / "operations.md"


# `nimctl doctor --from-file FILE`, without importing the other nimctl commands.
DOCTOR = (
    "import sys; from nimctl import doctor; "
    "a = doctor.COMMAND.build_parser().parse_args(['doctor', '--from-file', sys.argv[1]]); "
    "sys.exit(a.func(a))"
)


def _wait_loop() -> str:
    (line,) = [ln for ln in OPERATIONS.read_text().splitlines() if ln.startswith("until nimctl ")]
    return line


@pytest.mark.parametrize(
    ("sequence", "rounds", "status"),
    [
        (
            ["gpu-scaling-up", "gpu-node-not-ready", "gpu-driver-installing", "model-loading"]
            + ["healthy", "crashloop"],
            5,
            0,
        ),
        (["gpu-scaling-up", "gpu-driver-installing", "gpu-quota-retry", "healthy"], 3, 1),
        (["spot-node-shutdown", "missing-file", "healthy"], 2, 1),
        # Normal waits in GKE's own words (fixtures/doctor/gke): a Spot reclaim, a node back
        # from NotReady, the first metric during the model load, then ready.
        (
            ["gke/spot-reclaimed", "gke/node-went-not-ready", "gke/hpa-metric-pending", "healthy"],
            4,
            0,
        ),
    ],
)
def test_the_documented_wait_loop_ends_when_ready_or_when_something_needs_fixing(
    sequence: list[str], rounds: int, status: int, tmp_path: Path
) -> None:
    script = f"""
fixtures=({" ".join(sequence)})
i=0
nimctl() {{
    f=${{fixtures[$i]}}; i=$((i + 1))
    {sys.executable} -c "$DOCTOR" "{FIXTURES}/$f.json" > /dev/null 2>&1
}}
sleep() {{ :; }}
{_wait_loop()}
echo "status=$? rounds=$i"
"""
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=OPERATIONS.parents[1],
        env={**os.environ, "DOCTOR": DOCTOR},
    )
    assert done.stdout.split() == [f"status={status}", f"rounds={rounds}"], done.stderr
