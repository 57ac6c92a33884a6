"""``nimctl doctor`` on GKE's own words: the fixtures of ``fixtures/doctor/make_gke_fixtures.py``
(each quotes its sources under ``_sources``), and variants that pin each rule's edges.

Each case names the source of the belief it holds (the same as the rule's comment): if the rule
went back to the old reading (a gceSync error waited on, GWCER106 as "not programmed", a mirror 403
as an NGC entitlement, a Cloud Storage FUSE code as a disk-zone problem, a Spot reclaim as an
untolerated taint, a NotReady age from the node's creation, an unhealthy GPU as a missing driver),
its case fails.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fixtures.doctor import make_gke_fixtures
from fixtures.doctor.support import FIXTURES, GPU_NODE, POD, SNAPSHOT, findings, items

from nimctl import doctor

GKE = FIXTURES / "gke"
GATEWAY = "gateway/nim-internal"
CANARY_HCP = "healthcheckpolicy/llama3-8b-1-1-2-nim-llm"


def load(name: str) -> dict[str, Any]:
    return json.loads((GKE / f"{name}.json").read_text(encoding="utf-8"))


# fixture -> exit code, (cause, fix, object) in report order, phrases the text must contain
CASES: dict[str, tuple[int, list[tuple[str, str, str]], list[str]]] = {
    # Programmed=False reason Pending with gceSync (selvik/llmd@01e77a7c install.md): a fix now,
    # not 15 minutes of waiting; the proxy-only subnet is named.
    "gateway-proxy-subnet-missing": (
        1,
        [("gateway-proxy-subnet-missing", "create-proxy-only-subnet", GATEWAY)],
        [
            "Compute Engine requires an active proxy-only subnet in its region and VPC",
            "purpose=REGIONAL_MANAGED_PROXY",
        ],
    ),
    # A Compute Engine call that timed out: GKE retries, the Gateway is still programming.
    "gateway-lb-retrying": (
        3,
        [("gateway-programming", "wait-for-gateway", GATEWAY)],
        ["Pending error cause: gceSync: generic::deadline_exceeded"],
    ),
    # GWCER106 'address "X" does not exist' under reason Invalid is the address, never
    # AddressNotUsable; the route and policies without status are folded into it.
    "gateway-address-missing": (
        1,
        [("gateway-address-not-usable", "fix-gateway-address", GATEWAY)],
        [
            "cannot use the address it names (nim-prod-nim-gateway)",
            "gcloud compute addresses describe nim-prod-nim-gateway",
            "seen: waiting on it: HTTPRoute llama3-8b (no status)",
        ],
    ),
    # GWCER104 on the route (and in the Gateway's SYNC warning): one finding, the route's.
    "route-unsupported-field": (
        1,
        [("route-unsupported-field", "remove-unsupported-route-field", "httproute/llama3-8b")],
        ["(GWCER104): Timeouts are not supported", "GCPBackendPolicy's timeoutSec"],
    ),
    # No controller: one finding, the route and the four policies as its evidence.
    "gateway-controller-missing": (
        1,
        [("gateway-controller-missing", "enable-gateway-controller", GATEWAY)],
        [
            "no controller has taken Gateway nim-internal (GatewayClass gke-l7-rilb) in 40m 00s",
            "seen: waiting on it: GCPBackendPolicy llama3-8b-1-1-2-nim-llm (no status)",
            "CHANNEL_STANDARD",
        ],
    ),
    # gke-gateway-api healthcheck_types.go: port 8080 is checked, the readiness probe is on 8000.
    "health-check-mismatch": (
        1,
        [("health-check-mismatch", "fix-health-check-policy", CANARY_HCP)],
        [
            "checks HTTP port 8080 /v1/health/ready on Service llama3-8b-1-1-2-nim-llm, but its "
            "pods are ready on HTTP port 8000 /v1/health/ready",
            "503 'no healthy upstream'",
        ],
    ),
    # Artifact Registry: 403 at the token endpoint is the node's reader role, not NGC.
    "mirror-pull-403": (
        1,
        [("mirror-pull-forbidden", "grant-node-artifact-reader", POD)],
        ["roles/artifactregistry.reader", "This is not an NGC key or entitlement problem."],
    ),
    "mirror-pull-404": (
        1,
        [("mirror-repository-not-found", "fix-mirror-repository", POD)],
        ["the mirror repository in its path does not exist", "registry.repositoryId"],
    ),
    "mirror-pull-502": (
        1,
        [("mirror-upstream-failed", "fix-mirror-upstream", POD)],
        ["roles/secretmanager.secretAccessor", "nim-gke:registry.mirror false"],
    ),
    # gcs-fuse-csi-driver@5fcdc04a02d2:docs/troubleshooting.md: three codes, three fixes, no disk
    # zone.
    "gcsfuse-sidecar-missing": (
        1,
        [("gcsfuse-sidecar-missing", "enable-gcsfuse-sidecar", POD)],
        ['gke-gcsfuse/volumes: "true"', "gcsfuse-sidecar-injector.csi.storage.gke.io"],
    ),
    "gcsfuse-bucket-forbidden": (
        1,
        [("gcsfuse-bucket-forbidden", "grant-bucket-access", POD)],
        [
            "Cloud Storage refuses bucket nim-dev-model-cache-x7k2",
            "gcloud storage buckets get-iam-policy gs://nim-dev-model-cache-x7k2",
        ],
    ),
    "gcsfuse-bucket-not-found": (
        1,
        [("gcsfuse-bucket-not-found", "fix-bucket-name", POD)],
        ["Bucket nim-dev-model-cache-x7k2 does not exist (NotFound)"],
    ),
    # The first model load: no series yet is a wait (the wait loop of docs/operations.md,
    # "nimctl doctor", keeps going).
    "hpa-metric-pending": (
        3,
        [
            ("hpa-metric-pending", "wait-for-first-metric", "hpa/llama3-8b-nim-llm"),
            ("model-loading", "wait-for-model-load", POD),
        ],
        ["version llama3-8b is starting (no pod of it is ready yet)"],
    ),
    # GKE's termination taint: a wait for the replacement, not a toleration to add, and the
    # pool's "max node group size reached" is its consequence.
    "spot-reclaimed": (
        3,
        [("node-going-away", "wait-for-replacement-pod", f"node/{GPU_NODE}")],
        [
            "taint cloud.google.com/impending-node-termination), a Spot VM Compute Engine reclaims",
            "Ready=Unknown: NodeStatusUnknown Kubelet stopped posting node status.",
        ],
    ),
    # NotReady for 7 minutes after three days: counted from the Ready condition's transition.
    "node-went-not-ready": (
        3,
        [("node-went-not-ready", "wait-for-node-recovery", f"node/{GPU_NODE}")],
        ["stopped being ready 7m 00s ago (node.kubernetes.io/unreachable) after 71h 53m"],
    ),
    # Capacity 1, allocatable 0: the device plugin's unhealthy GPU, not a driver install.
    "gpu-unhealthy": (
        1,
        [("gpu-unhealthy", "replace-unhealthy-gpu-node", f"node/{GPU_NODE}")],
        ["capacity nvidia.com/gpu 1, allocatable 0", "auto-repair"],
    ),
    # The system pool's taint is not the pod's problem: it waits for the GPU node coming.
    "taint-outside-pool": (
        3,
        [("gpu-scale-up-in-progress", "wait-for-gpu-node", "pod/llama3-8b-nim-llm-1")],
        ["triggered a scale-up"],
    ),
}


def test_every_gke_fixture_has_a_case() -> None:
    assert {p.stem for p in GKE.glob("*.json")} == set(CASES) == set(make_gke_fixtures.SCENARIOS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gke_fixture_files_are_what_the_script_writes(name: str) -> None:
    built = json.loads(json.dumps(make_gke_fixtures.SCENARIOS[name]()))
    assert built == load(name), f"re-run {FIXTURES / 'make_gke_fixtures.py'}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_gke_fixtures_name_their_sources(name: str) -> None:
    doc = load(name)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    own = set(make_gke_fixtures.SOURCES.values())
    assert own & set(doc["_sources"]), "each fixture quotes at least one source of this module"


@pytest.mark.parametrize("name", sorted(CASES))
def test_gke_fixture_diagnosis(name: str, run_cli) -> None:
    code, expected, phrases = CASES[name]
    assert findings(doctor.diagnose(load(name))) == expected
    exit_code, out, err = run_cli(doctor, "doctor", "--from-file", str(GKE / f"{name}.json"))
    assert (exit_code, err) == (code, "")
    for phrase in phrases:
        assert phrase in out
    for cause, fix, obj in expected:
        assert f"[{cause}] {obj}" in out and f"fix [{fix}]: " in out


@pytest.mark.parametrize(
    ("cause", "severity"),
    [
        ("node-going-away", doctor.WAITING),
        ("node-went-not-ready", doctor.WAITING),
        ("hpa-metric-pending", doctor.WAITING),
        ("gcsfuse-credentials-pending", doctor.WAITING),
        ("gpu-unhealthy", doctor.ERROR),
        ("health-check-mismatch", doctor.ERROR),
        ("gateway-controller-missing", doctor.ERROR),
        ("gateway-proxy-subnet-missing", doctor.ERROR),
        ("gateway-load-balancer-error", doctor.ERROR),
        ("gateway-invalid", doctor.ERROR),
        ("route-unsupported-field", doctor.ERROR),
        ("mirror-pull-forbidden", doctor.ERROR),
        ("mirror-repository-not-found", doctor.ERROR),
        ("mirror-upstream-failed", doctor.ERROR),
        ("gcsfuse-sidecar-missing", doctor.ERROR),
        ("gcsfuse-bucket-forbidden", doctor.ERROR),
        ("gcsfuse-bucket-not-found", doctor.ERROR),
        ("volume-zone-conflict-regional-possible", doctor.ERROR),
    ],
)
def test_severity_of_the_new_causes(cause: str, severity: str) -> None:
    assert doctor.CAUSES[cause].severity == severity


def causes(doc: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    return [(c, o) for c, _, o in findings(doctor.diagnose(doc, **kwargs))]


# --------------------------------------------------------------------------------------------
# Time: each wait has an end, counted from when its state began.


def test_a_retried_load_balancer_call_becomes_a_problem_after_the_patience() -> None:
    doc = load("gateway-lb-retrying")  # Programmed=False since 5 minutes before the snapshot
    later = SNAPSHOT + timedelta(minutes=11)
    assert causes(doc, now=later) == [("gateway-load-balancer-error", GATEWAY)]
    report = doctor.diagnose(doc, now=later)
    assert "(deadline_exceeded): Insert: context deadline exceeded" in report.findings[0].summary


def test_a_node_is_not_ready_for_as_long_as_its_ready_condition_says() -> None:
    """NotReady 7 min at the snapshot, the node three days old: broken 3 min and 1 s later
    (NODE_READY_PATIENCE from the condition's lastTransitionTime, not from creation)."""
    doc = load("node-went-not-ready")
    assert causes(doc, now=SNAPSHOT + timedelta(minutes=3)) == [
        ("node-went-not-ready", f"node/{GPU_NODE}")
    ]
    later = doctor.diagnose(doc, now=SNAPSHOT + timedelta(minutes=3, seconds=1))
    assert findings(later)[0] == ("node-not-ready", "check-node", f"node/{GPU_NODE}")
    assert "has not been ready for 10m 01s" in later.findings[0].summary


def test_a_reclaimed_node_that_lingers_is_no_longer_a_wait() -> None:
    doc = load("spot-reclaimed")  # the kubelet stopped 1 min before the snapshot
    late = doctor.diagnose(doc, now=SNAPSHOT + timedelta(minutes=15))
    assert late.exit_code == doctor.EXIT_PROBLEMS
    assert "node-going-away" not in [f.cause for f in late.findings]


def test_a_departure_only_the_message_names_is_waited_for_as_long() -> None:
    """Without the node (deleted, or not readable), the wait counts from when the pod became
    unschedulable (1.5 min before the snapshot)."""
    doc = load("spot-reclaimed")
    doc["items"] = [i for i in doc["items"] if i["metadata"].get("name") != GPU_NODE]
    assert causes(doc) == [("node-going-away", POD)]
    late = SNAPSHOT + timedelta(minutes=14)
    assert "node-going-away" not in [c for c, _ in causes(doc, now=late)]


def test_the_metric_is_waited_for_until_the_version_has_been_ready_a_while() -> None:
    doc = load("hpa-metric-pending")
    (pod,) = items(doc, "Pod")
    pod["status"]["containerStatuses"][0].update(ready=True, started=True)
    for cond in pod["status"]["conditions"]:
        if cond["type"] == "Ready":
            cond.update(status="True", lastTransitionTime="2026-11-28T10:25:00Z")
    hpa = ("hpa-metric-pending", "hpa/llama3-8b-nim-llm")
    assert hpa in causes(doc)  # ready 5 minutes
    assert causes(doc, now=SNAPSHOT + timedelta(minutes=6)) == [
        ("hpa-metric-unavailable", "hpa/llama3-8b-nim-llm")
    ]


@pytest.mark.parametrize(("minutes", "cause"), [(4, "gcsfuse-credentials-pending"), (6, None)])
def test_missing_credentials_are_waited_for_five_minutes(minutes: int, cause: str | None) -> None:
    """gcs-fuse-csi-driver@5fcdc04a02d2:docs/troubleshooting.md, Unauthenticated: "If you still
    see this warning after 5 minutes", check the set-up."""
    doc = load("gcsfuse-bucket-forbidden")
    (event,) = items(doc, "Event", "FailedMount")
    event["message"] = (
        'MountVolume.SetUp failed for volume "nim-gke-llama3-8b-model-cache" : rpc error: code = '
        "Unauthenticated desc = failed to prepare storage service: storage service manager failed "
        "to setup service: timed out waiting for the condition"
    )
    event["firstTimestamp"] = (SNAPSHOT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = causes(doc)
    assert found == [(cause or "gcsfuse-bucket-forbidden", POD)]


# --------------------------------------------------------------------------------------------
# Edges of each rule.


def _canary_check(doc: dict[str, Any]) -> dict[str, Any]:
    (hcp,) = [p for p in items(doc, "HealthCheckPolicy") if p["metadata"]["name"] in CANARY_HCP]
    return hcp


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        ({"requestPath": None}, "requests /, the pods' readiness is /v1/health/ready"),
        ({"requestPath": "/v1/health/live", "port": 8080}, "checks port 8080"),
        ({"portSpecification": "USE_NAMED_PORT", "port": None, "portName": "http"}, "named port"),
    ],
)
def test_a_health_check_of_another_path_or_port(edit: dict[str, Any], why: str) -> None:
    doc = load("health-check-mismatch")
    hcp = _canary_check(doc)
    check = hcp["spec"]["default"]["config"]["httpHealthCheck"]
    check["port"] = 8000
    for key, value in edit.items():
        if value is None:
            check.pop(key, None)
        else:
            check[key] = value
    (finding,) = doctor.diagnose(doc).findings
    assert (finding.cause, finding.object) == ("health-check-mismatch", CANARY_HCP)
    assert why in finding.fix_text


def test_a_health_check_of_the_liveness_path_passes_before_the_model_is_loaded() -> None:
    """NIM's /v1/health/live "Returns 200 OK when the container is running. This endpoint is
    served by the nginx layer and does not require the model to be loaded"
    (https://docs.nvidia.com/nim/large-language-models/latest/reference/api-reference/health-live):
    a check of it passes EARLIER than readiness, so the load balancer sends requests to a pod
    still loading its model. It does not mark ready pods unhealthy (no 503 while Ready)."""
    doc = load("health-check-mismatch")
    check = _canary_check(doc)["spec"]["default"]["config"]["httpHealthCheck"]
    check.update(port=8000, requestPath="/v1/health/live")
    (finding,) = doctor.diagnose(doc).findings
    assert (finding.cause, finding.fix, finding.object) == (
        "health-check-before-ready",
        "check-readiness-path",
        CANARY_HCP,
    )
    assert finding.severity == doctor.ERROR
    assert "passes EARLIER than the pods' readiness" in finding.fix_text
    assert "while it still loads its model" in finding.fix_text
    assert "api-reference/health-live" in finding.fix_text
    assert "requestPath /v1/health/ready, port 8000" in finding.fix_text
    assert "unhealthy" not in finding.fix_text and "503" not in finding.fix_text


def test_the_serving_port_and_a_tcp_check() -> None:
    doc = load("health-check-mismatch")
    hcp = _canary_check(doc)
    check = hcp["spec"]["default"]["config"]["httpHealthCheck"]
    del check["port"], check["portSpecification"]  # USE_SERVING_PORT: the endpoint's own port
    assert causes(doc) == []
    hcp["spec"]["default"]["config"] = {"type": "TCP", "tcpHealthCheck": {}}
    (finding,) = doctor.diagnose(doc).findings
    assert "it checks with TCP, the pods answer HTTP" in finding.fix_text


def test_a_policy_not_attached_is_not_also_a_mismatch() -> None:
    doc = load("health-check-mismatch")
    hcp = _canary_check(doc)
    hcp["status"]["conditions"][0].update(status="False", reason="Conflicted")
    assert causes(doc) == [("policy-not-attached", CANARY_HCP)]


def test_a_regional_disk_is_the_fix_only_where_it_attaches() -> None:
    """A regional persistent disk attaches to E2, N1, N2, N2D; G2 to none
    (compute/docs/disks/about-regional-persistent-disk)."""
    doc = json.loads((FIXTURES / "volume-zone-conflict.json").read_text(encoding="utf-8"))
    assert [f.fix for f in doctor.diagnose(doc).findings] == ["keep-cache-in-gpu-zone"]
    for node in items(doc, "Node"):
        if "cloud.google.com/gke-accelerator" in node["metadata"]["labels"]:
            node["metadata"]["labels"]["node.kubernetes.io/instance-type"] = "n1-standard-8"
    (finding,) = doctor.diagnose(doc).findings
    assert (finding.cause, finding.fix) == (
        "volume-zone-conflict-regional-possible",
        "use-regional-disk",
    )
    assert "nim-gke:nim.cacheReplication auto or regional" in finding.fix_text


def test_a_mirror_refusal_worded_by_another_client() -> None:
    doc = load("mirror-pull-403")
    for event in items(doc, "Event", "Failed"):
        event["message"] = event["message"].replace(
            event["message"].split("failed to resolve reference", 1)[-1],
            ' "x": GET https://us-central1-docker.pkg.dev/v2/token?scope=x&service=: DENIED: '
            'Permission "artifactregistry.repositories.downloadArtifacts" denied on resource '
            '"projects/my-project/locations/us-central1/repositories/nvcr-remote" (or it may not '
            "exist)",
        )
    assert causes(doc) == [("mirror-pull-forbidden", POD)]


def test_an_nvcr_pull_is_still_read_as_nvcr() -> None:
    doc = load("mirror-pull-403")
    for obj in items(doc, "Pod") + items(doc, "Event"):
        text = json.dumps(obj).replace(make_gke_fixtures.MIRROR, "nvcr.io")
        obj.clear()
        obj.update(json.loads(text))
    assert causes(doc) == [("image-pull-forbidden", POD)]  # nvcr.io's 403: its own fix


def test_a_route_gwcer102_is_a_missing_backend() -> None:
    doc = load("route-unsupported-field")
    error = (
        'Error GWCER104: HTTPRoute "nim/llama3-8b" is misconfigured, err: Error GWCER102: '
        "services nim/llama3-8b-1-1-2-nim-llm not found"
    )
    for event in items(doc, "Event", "SYNC"):
        if event["type"] == "Warning":
            event["message"] = f'failed to translate Gateway "nim/nim-internal": {error}'
    (route,) = items(doc, "HTTPRoute")
    route["status"]["parents"][0]["conditions"][0]["message"] = error
    assert causes(doc) == [("route-backend-not-found", "httproute/llama3-8b")]


def test_another_gwcer106_is_an_invalid_gateway() -> None:
    doc = load("gateway-address-missing")
    wording = (
        'Error GWCER106: Gateway "nim/nim-internal" is invalid, err: unsupported address type '
        '"IPAddress", only "NamedAddress" is supported..'
    )  # kubernetes-sigs/gateway-api#2632
    (gw,) = items(doc, "Gateway")
    gw["status"]["conditions"][1]["message"] = wording
    for event in items(doc, "Event", "SYNC"):
        event["message"] = f'failed to translate Gateway "nim/nim-internal": {wording}'
    report = doctor.diagnose(doc)
    assert findings(report) == [("gateway-invalid", "fix-gateway-spec", GATEWAY)]
    assert 'unsupported address type "IPAddress"' in report.findings[0].fix_text


def test_a_gateway_whose_controller_came_is_not_missing_one() -> None:
    doc = load("gateway-controller-missing")
    (gw,) = items(doc, "Gateway")
    gw["metadata"]["finalizers"] = ["gateway.finalizer.networking.gke.io"]
    assert ("gateway-controller-missing", GATEWAY) not in causes(doc)
    assert ("gateway-not-programmed", GATEWAY) in causes(doc)


def test_a_young_gateway_without_a_controller_is_still_waited_for() -> None:
    doc = load("gateway-controller-missing")
    young = SNAPSHOT - timedelta(minutes=30)  # 10 minutes after it was created
    assert ("gateway-programming", GATEWAY) in causes(doc, now=young)


def test_a_taint_only_the_message_names_is_still_reported() -> None:
    """Without the nodes (RBAC), the scheduler's words are all there is: as before."""
    doc = load("taint-outside-pool")
    doc["items"] = [i for i in doc["items"] if i["kind"] != "Node"]
    assert ("untolerated-taint", "pod/llama3-8b-nim-llm-1") in causes(doc)
