"""``nimctl doctor`` on the Gateway's objects (rollouts behind one endpoint): each rule against a
variant of a fixture.

The rules read condition types and reasons (kubernetes-sigs/gateway-api apis/v1; GKE's policies:
GoogleCloudPlatform/gke-gateway-api apis/networking/v1/shared_types.go); of GKE's messages only
its gceSync and GWCER wordings (``test_nimctl_doctor_gke.py``): any other message is not judged,
``test_the_message_is_not_what_is_judged`` holds it.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from fixtures.doctor.support import SNAPSHOT, findings, items, load

from nimctl import doctor
from nimctl.doctor.gateway import GATEWAY_PATIENCE, release_of


def _set(conditions: list[dict[str, Any]], kind: str, status: str, reason: str) -> None:
    (c,) = [c for c in conditions if c["type"] == kind]
    c.update(status=status, reason=reason)


def _gateway(doc: dict[str, Any]) -> dict[str, Any]:
    (gw,) = items(doc, "Gateway")
    return gw


def _route(doc: dict[str, Any]) -> dict[str, Any]:
    (route,) = items(doc, "HTTPRoute")
    return route


def causes(doc: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    return [(c, o) for c, _, o in findings(doctor.diagnose(doc, now=SNAPSHOT, **kwargs))]


@pytest.mark.parametrize("reason", ["Invalid", "NoResources", "AddressNotAssigned"])
def test_a_gateway_that_failed_to_program(reason: str) -> None:
    doc = load("gateway-healthy")
    _set(_gateway(doc)["status"]["conditions"], "Programmed", "False", reason)
    assert causes(doc) == [("gateway-not-programmed", "gateway/nim-internal")]


def test_a_gateway_not_accepted_by_its_class() -> None:
    doc = load("gateway-healthy")
    _set(_gateway(doc)["status"]["conditions"], "Accepted", "False", "InvalidParameters")
    report = doctor.diagnose(doc, now=SNAPSHOT)
    (finding,) = report.findings
    assert (finding.cause, finding.fix) == ("gateway-not-accepted", "check-gateway-class")
    assert "GatewayClass gke-l7-rilb did not accept the Gateway (InvalidParameters)" in (
        finding.fix_text
    )


def test_a_gateway_still_pending_after_its_patience_is_a_problem() -> None:
    doc = load("gateway-programming")
    later = SNAPSHOT + GATEWAY_PATIENCE
    found = [f.cause for f in doctor.diagnose(doc, now=later).findings]
    assert "gateway-not-programmed" in found and "gateway-programming" not in found
    assert "route-refs-unresolved" in found  # the route, waited for as long


def test_an_edit_the_controller_has_not_seen_is_waited_for() -> None:
    doc = load("gateway-healthy")
    _gateway(doc)["metadata"]["generation"] = 2  # conditions still say observedGeneration 1
    report = doctor.diagnose(doc, now=SNAPSHOT)
    assert findings(report) == [("gateway-programming", "wait-for-gateway", "gateway/nim-internal")]
    assert "was changed (generation 2)" in report.findings[0].summary
    assert report.exit_code == doctor.EXIT_WAITING


def test_a_programmed_gateway_without_an_address() -> None:
    doc = load("gateway-healthy")
    del _gateway(doc)["status"]["addresses"]
    assert causes(doc) == [("gateway-no-address", "gateway/nim-internal")]


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("BackendNotFound", "route-backend-not-found"),
        ("RefNotPermitted", "route-ref-not-permitted"),
        ("InvalidKind", "route-refs-unresolved"),
        ("UnsupportedProtocol", "route-refs-unresolved"),
    ],
)
def test_unresolved_backends_by_reason(reason: str, cause: str) -> None:
    doc = load("gateway-healthy")
    (parent,) = _route(doc)["status"]["parents"]
    _set(parent["conditions"], "ResolvedRefs", "False", reason)
    assert causes(doc) == [(cause, "httproute/llama3-8b")]


@pytest.mark.parametrize(
    "reason",
    ["NotAllowedByListeners", "NoMatchingListenerHostname", "NoMatchingParent", "UnsupportedValue"],
)
def test_a_route_not_accepted_by_reason(reason: str) -> None:
    doc = load("gateway-healthy")
    (parent,) = _route(doc)["status"]["parents"]
    _set(parent["conditions"], "Accepted", "False", reason)
    report = doctor.diagnose(doc, now=SNAPSHOT)
    (finding,) = report.findings
    assert finding.cause == "route-not-accepted"
    assert f"({reason})" in finding.summary


@pytest.mark.parametrize("reason", ["Conflicted", "Invalid", "TargetNotFound"])
def test_a_policy_not_attached_by_reason(reason: str) -> None:
    doc = load("gateway-healthy")
    (policy,) = [
        p
        for p in items(doc, "HealthCheckPolicy")
        if p["metadata"]["name"].startswith("llama3-8b-1-0-3")
    ]
    _set(policy["status"]["conditions"], "Attached", "False", reason)
    report = doctor.diagnose(doc, now=SNAPSHOT)
    (finding,) = report.findings
    assert (finding.cause, finding.object) == (
        "policy-not-attached",
        "healthcheckpolicy/llama3-8b-1-0-3-nim-llm",
    )
    assert f"({reason})" in finding.summary
    assert "kubectl -n nim get healthcheckpolicies" in finding.fix_text


def test_a_missing_backend_policy_is_a_warning_only() -> None:
    doc = load("gateway-healthy")
    doc["items"] = [
        i
        for i in doc["items"]
        if not (
            i["kind"] == "GCPBackendPolicy" and i["metadata"]["name"].startswith("llama3-8b-1-1-2")
        )
    ]
    report = doctor.diagnose(doc, now=SNAPSHOT)
    assert findings(report) == [
        ("backend-policy-missing", "add-backend-policy", "service/llama3-8b-1-1-2-nim-llm")
    ]
    assert report.exit_code == doctor.EXIT_HEALTHY


def test_a_drained_version_may_be_unready() -> None:
    doc = load("canary-not-ready")
    refs = _route(doc)["spec"]["rules"][0]["backendRefs"]
    refs[0]["weight"], refs[1]["weight"] = 100, 0  # canary.weight: 0
    assert ("route-backend-not-ready", "httproute/llama3-8b") not in causes(doc)


def test_the_release_filter_keeps_to_its_version() -> None:
    doc = load("canary-not-ready")
    assert causes(doc, release="llama3-8b-1-0-3") == []
    assert causes(load("retained-cache"), release="llama3-8b-1-1-2") == []


def test_another_projects_gateway_kind_is_not_ours() -> None:
    doc = load("gateway-address-not-usable")
    _gateway(doc)["apiVersion"] = "networking.istio.io/v1"  # Istio's Gateway, another API
    assert causes(doc) == []


def test_the_message_is_not_what_is_judged() -> None:
    doc = load("gateway-address-not-usable")
    for c in _gateway(doc)["status"]["conditions"]:
        c["message"] = "any wording GKE may choose"
    assert causes(doc) == [("gateway-address-not-usable", "gateway/nim-internal")]


def test_a_snapshot_without_the_gateways_kinds_reads_as_before() -> None:
    doc = load("gateway-healthy")
    doc["items"] = [i for i in doc["items"] if i["apiVersion"] in ("v1",)]
    assert doctor.diagnose(doc, now=SNAPSHOT).status == "healthy"


def test_a_young_route_without_status_waits_an_old_one_does_not() -> None:
    doc = load("gateway-healthy")
    _route(doc)["status"] = {"parents": []}
    assert causes(doc) == [("route-refs-unresolved", "httproute/llama3-8b")]  # 30 min old
    young = SNAPSHOT - timedelta(minutes=2)
    _route(doc)["metadata"]["creationTimestamp"] = young.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert causes(doc) == [("route-pending", "httproute/llama3-8b")]


def test_the_release_behind_a_chart_service() -> None:
    assert release_of("llama3-8b-1-1-2-nim-llm") == "llama3-8b-1-1-2"
    assert release_of("my-nim-llm-1-0-3") == "my-nim-llm-1-0-3"  # nim-llm.fullname


def test_a_version_without_any_pod_that_takes_traffic() -> None:
    doc = load("gateway-healthy")
    doc["items"] = [
        i
        for i in doc["items"]
        if not (i["kind"] == "Pod" and i["metadata"]["name"].startswith("llama3-8b-1-1-2"))
    ]
    report = doctor.diagnose(doc, now=SNAPSHOT)
    (finding,) = [f for f in report.findings if f.cause == "route-backend-not-ready"]
    assert "no pod of llama3-8b-1-1-2 exists" in finding.summary


def _version_hpa(version: str, *, failing: bool) -> dict[str, Any]:
    """prod's HPA is on (autoscaling on NIM metrics): the chart renders one per version release,
    named and targeting that version's StatefulSet ``<version>-nim-llm`` (nim-llm.fullname)."""
    from fixtures.doctor import make_fixtures as mf  # noqa: PLC0415

    hpa = copy.deepcopy(load("hpa-metric-unavailable"))
    (obj,) = items(hpa, "HorizontalPodAutoscaler")
    assert obj["spec"]["scaleTargetRef"]["name"] == mf.STS  # the fixture's single release
    sts = f"{version}-nim-llm"
    obj["metadata"]["name"] = obj["spec"]["scaleTargetRef"]["name"] = sts
    obj["metadata"]["labels"]["app.kubernetes.io/instance"] = version
    obj["metadata"]["annotations"]["meta.helm.sh/release-name"] = version
    obj["metadata"]["uid"] = f"hpa-{version}"
    if not failing:
        _set(obj["status"]["conditions"], "ScalingActive", "True", "ValidMetricFound")
    return obj


def test_each_versions_hpa_is_judged_with_its_release() -> None:
    """With the HPA on, the canary's HPA failing is the canary's finding: ``--release`` of the
    model's version does not report it, the canary's does, no ``--release`` reports it once."""
    doc = load("gateway-healthy")
    doc["items"] += [
        _version_hpa("llama3-8b-1-0-3", failing=False),
        _version_hpa("llama3-8b-1-1-2", failing=True),
    ]
    hpa = ("hpa-metric-unavailable", "hpa/llama3-8b-1-1-2-nim-llm")
    assert hpa in causes(doc)
    assert [c for c in causes(doc) if c[0] == "hpa-metric-unavailable"] == [hpa]
    assert hpa in causes(doc, release="llama3-8b-1-1-2")
    assert not [c for c in causes(doc, release="llama3-8b-1-0-3") if c[0].startswith("hpa-")]
