"""``nimctl doctor``'s live path: Kubernetes client objects -> sanitize_for_serialization -> the
same diagnosis as the offline file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures.doctor.support import FIXTURES, POD, SNAPSHOT, findings, load

from nimctl import doctor


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

    # AutoscalingV2Api and ApiregistrationV1Api, answered from the same fixture.
    def list_namespaced_horizontal_pod_autoscaler(self, namespace: str) -> Any:
        return self._list(
            "HorizontalPodAutoscaler", "V2HorizontalPodAutoscalerList", namespace=namespace
        )

    def list_api_service(self) -> Any:
        return self._list("APIService", "V1APIServiceList")


class FakeCustomObjects:
    """Answers like CustomObjectsApi.list_namespaced_custom_object: the API server's JSON list
    (custom objects are not deserialised into models), for the Gateway's kinds."""

    PLURALS = {
        "gateways": "Gateway",
        "httproutes": "HTTPRoute",
        "healthcheckpolicies": "HealthCheckPolicy",
        "gcpbackendpolicies": "GCPBackendPolicy",
        "computeclasses": "ComputeClass",
    }

    def __init__(self, doc: dict[str, Any], fail: Exception | None = None) -> None:
        self.doc = doc
        self.fail = fail
        self.calls: list[tuple[str, str, str, str]] = []

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str
    ) -> dict[str, Any]:
        self.calls.append((group, version, namespace, plural))
        if self.fail is not None:
            raise self.fail
        kind = self.PLURALS[plural]
        items = [i for i in self.doc["items"] if i["kind"] == kind]
        return {"apiVersion": f"{group}/{version}", "kind": f"{kind}List", "items": items}

    def list_cluster_custom_object(self, group: str, version: str, plural: str) -> dict[str, Any]:
        """CustomObjectsApi.list_cluster_custom_object: GKE's ComputeClasses are cluster-scoped."""
        return self.list_namespaced_custom_object(group, version, "", plural)


GATEWAY_KINDS = {"Gateway", "HTTPRoute", "HealthCheckPolicy", "GCPBackendPolicy"}


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_live_path_shares_the_diagnosis(name: str) -> None:
    pytest.importorskip("kubernetes")
    doc = load(name)
    core = FakeCoreV1(doc)
    collected = doctor.collect(
        core, core.api, "nim", None, FakeCustomObjects(doc), autoscaling=core, apiregistration=core
    )
    kinds = {i["kind"] for i in collected["items"]}
    assert kinds <= {
        "Pod",
        "Event",
        "PersistentVolumeClaim",
        "Node",
        "HorizontalPodAutoscaler",
        "APIService",
    } | set(GATEWAY_KINDS)
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


@pytest.mark.parametrize("status", [404, 403])
def test_a_cluster_without_the_gateway_api_is_read_as_before(status: int) -> None:
    """404: the CRDs are not installed (no Gateway API on the cluster); 403: the identity may not
    read them. Either way the namespace is diagnosed from its pods, events, PVCs and nodes."""
    kubernetes = pytest.importorskip("kubernetes")
    doc = load("healthy")
    core = FakeCoreV1(doc)
    missing = FakeCustomObjects(doc, kubernetes.client.ApiException(status=status, reason="x"))
    collected = doctor.collect(core, core.api, "nim", None, missing)
    assert len(missing.calls) == 5  # the Gateway's four kinds, GKE's ComputeClasses
    assert missing.calls[0] == ("gateway.networking.k8s.io", "v1", "nim", "gateways")
    assert missing.calls[4] == ("cloud.google.com", "v1", "", "computeclasses")
    assert doctor.diagnose(collected, now=SNAPSHOT).status == "healthy"


def test_the_gateways_objects_are_read_from_their_api_groups() -> None:
    pytest.importorskip("kubernetes")
    doc = load("canary-not-ready")
    core = FakeCoreV1(doc)
    custom = FakeCustomObjects(doc)
    collected = doctor.collect(core, core.api, "nim", None, custom)
    assert custom.calls == [
        ("gateway.networking.k8s.io", "v1", "nim", "gateways"),
        ("gateway.networking.k8s.io", "v1", "nim", "httproutes"),
        ("networking.gke.io", "v1", "nim", "healthcheckpolicies"),
        ("networking.gke.io", "v1", "nim", "gcpbackendpolicies"),
        ("cloud.google.com", "v1", "", "computeclasses"),  # cluster-scoped
    ]
    assert ("route-backend-not-ready", "drain-or-fix-version", "httproute/llama3-8b") in findings(
        doctor.diagnose(collected, now=SNAPSHOT)
    )


README = Path(__file__).parents[2] / "README.md"


def test_the_kubeconfig_hint_is_the_stacks_kubeconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both hints (refused, no context) say what the README's set-up does: the kubeconfig the
    stack exports (GKE's DNS endpoint, ADC: components/kubeconfig.py make_kubeconfig), or gcloud
    with --dns-endpoint and --location, which takes the zone of a zonal dev cluster as well as a
    region (cloud.google.com/sdk/gcloud/reference/container/clusters/get-credentials); never
    --region, which names no zonal cluster."""
    from nimctl.doctor import live  # noqa: PLC0415

    kubernetes = pytest.importorskip("kubernetes")
    refused = live._api_error("Pod", "nim", kubernetes.client.ApiException(status=403))
    from kubernetes.config.config_exception import ConfigException  # noqa: PLC0415

    def no_context(**_: Any) -> None:
        raise ConfigException("Invalid kube-config file. No configuration found.")

    monkeypatch.setattr(kubernetes.config, "load_kube_config", no_context)
    monkeypatch.setattr(kubernetes.config, "load_incluster_config", no_context)
    with pytest.raises(doctor.DoctorInputError) as missing:
        doctor.read_live(None, None, None)
    readme = README.read_text(encoding="utf-8")
    for hint in (refused, str(missing.value)):
        assert "pulumi stack output kubeconfig --show-secrets > kubeconfig" in hint
        assert "export KUBECONFIG=$PWD/kubeconfig" in hint
        assert "--dns-endpoint" in hint and "--location ZONE_OR_REGION" in hint
        assert "--region" not in hint
    assert "pulumi stack output kubeconfig --show-secrets -s dev > kubeconfig && export " in readme
    assert "no usable kube context (Invalid kube-config file" in str(missing.value)
