"""Contract tests of the Custom Metrics Stackdriver Adapter (issue 12): the upstream objects, a
Workload Identity service account with monitoring.viewer only, Pod Security ``restricted``, and
NetworkPolicies that open exactly what it needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import metrics_adapter as ma
from components.cluster import NODE_ROLES
from components.metrics_adapter import MetricsAdapter, MetricsAdapterArgs
from nimctl import chart
from tests.conftest import resolve, unwrap
from tests.test_chart_contract import program

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"


def build(mocks, **kw: Any) -> dict[str, Any]:
    MetricsAdapter("metrics-adapter", MetricsAdapterArgs(project="my-proj", **kw))
    resolve(lambda: None)
    return {r.name: r for r in mocks.resources}


def test_the_gcp_service_account_may_only_read_monitoring_and_only_the_adapter_may_use_it(mocks):
    res = build(mocks)
    gsa = res["metrics-adapter-gsa"].inputs
    # Service account ids stay reserved after deletion: a random suffix, as the node SA has.
    assert gsa["accountId"] == "nim-metrics-x7k2qp"
    roles = [r.inputs for r in mocks.of_type("gcp:projects/iAMMember:IAMMember")]
    assert roles == [
        {
            "project": "my-proj",
            "role": "roles/monitoring.viewer",
            "member": "serviceAccount:nim-metrics-x7k2qp@p.iam.gserviceaccount.com",
        }
    ]
    (wi,) = mocks.of_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert wi.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert wi.inputs["member"] == (
        "serviceAccount:my-proj.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"
    )
    ksa = res["metrics-adapter-ksa"].inputs["metadata"]
    assert (ksa["namespace"], ksa["name"]) == (
        "custom-metrics",
        "custom-metrics-stackdriver-adapter",
    )
    assert ksa["annotations"] == {
        "iam.gke.io/gcp-service-account": "nim-metrics-x7k2qp@p.iam.gserviceaccount.com"
    }


def test_no_node_credential_fallback():
    """The adapter authenticates with ADC (adapter.go google.DefaultTokenSource). Every pool runs
    the GKE metadata server, which hands a pod only its KSA's Workload Identity, never the node
    service account's token; so the node SA's monitoring.viewer (Google's minimal node role set,
    kept for GKE's own agents) is not a path the adapter can use."""
    run = program("prod")
    pools = run.mocks.of_type("gcp:container/nodePool:NodePool")
    assert pools and all(
        p.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"} for p in pools
    )
    assert "roles/monitoring.viewer" in NODE_ROLES
    pod = run.mocks.named("metrics-adapter-deployment").inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "custom-metrics-stackdriver-adapter"
    assert "automountServiceAccountToken" not in pod  # the KSA token is what WI exchanges


def test_rbac_is_upstreams(mocks):
    res = build(mocks)
    subject = [
        {
            "kind": "ServiceAccount",
            "name": "custom-metrics-stackdriver-adapter",
            "namespace": "custom-metrics",
        }
    ]
    delegator = res["metrics-adapter-auth-delegator"].inputs
    assert delegator["roleRef"]["name"] == "system:auth-delegator"
    assert delegator["subjects"] == subject
    reader = res["metrics-adapter-auth-reader"].inputs
    assert reader["metadata"] == {"name": "custom-metrics-auth-reader", "namespace": "kube-system"}
    assert reader["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "extension-apiserver-authentication-reader",
    }
    (role,) = [
        r for r in mocks.of_type(CLUSTER_ROLE) if r.name == "metrics-adapter-resource-reader"
    ]
    assert role.inputs["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["pods", "nodes", "nodes/stats"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    hpa = next(
        r.inputs
        for r in mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
        if r.name == "metrics-adapter-external-metrics-reader"
    )
    assert hpa["subjects"] == [
        {"kind": "ServiceAccount", "name": "horizontal-pod-autoscaler", "namespace": "kube-system"}
    ]


def test_the_three_apiservices_point_at_the_adapter_service(mocks):
    build(mocks)
    services = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]
        for r in mocks.of_type("kubernetes:apiregistration.k8s.io/v1:APIService")
    }
    assert sorted(services) == [
        "v1beta1.custom.metrics.k8s.io",
        "v1beta1.external.metrics.k8s.io",
        "v1beta2.custom.metrics.k8s.io",
    ]
    for spec in services.values():
        assert spec["service"] == {
            "name": "custom-metrics-stackdriver-adapter",
            "namespace": "custom-metrics",
            "port": 443,
        }
    assert services["v1beta2.custom.metrics.k8s.io"]["versionPriority"] == 200
    (svc,) = mocks.of_type("kubernetes:core/v1:Service")
    assert svc.inputs["spec"]["ports"] == [{"port": 443, "protocol": "TCP", "targetPort": 8443}]


def test_the_adapter_passes_pod_security_restricted(mocks):
    res = build(mocks)
    ns = res["metrics-adapter-namespace"].inputs["metadata"]
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    spec = unwrap(res["metrics-adapter-deployment"].inputs["spec"]["template"]["spec"])
    assert chart.restricted_violations(spec) == []
    (container,) = spec["containers"]
    assert (
        container["image"] == "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.16.9-gke.0"
    )
    # Port 443 needs privileges the restricted level does not give (custom-metrics-apiserver's
    # own test: "default is 443, which requires privileges"): serve on 8443, certificate in an
    # emptyDir, read-only root filesystem.
    assert "--secure-port=8443" in container["command"]
    assert "--cert-dir=/var/run/serving-cert" in container["command"]
    assert container["readinessProbe"]["httpGet"]["port"] == 8443
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["volumes"] == [{"name": "serving-cert", "emptyDir": {}}]
    assert spec["nodeSelector"] == {"nim-gke/pool": "system"}


def test_the_upstream_pod_would_not_pass_restricted():
    """Control: the upstream Deployment as published (no securityContext) is refused, so the test
    above can fail."""
    upstream = {
        "serviceAccountName": "custom-metrics-stackdriver-adapter",
        "containers": [
            {
                "image": ma.IMAGE,
                "name": "pod-custom-metrics-stackdriver-adapter",
                "command": ["/adapter", "--use-new-resource-model=true"],
            }
        ],
    }
    assert chart.restricted_violations(upstream)


def policies(mocks) -> dict[str, dict]:
    build(mocks)
    return {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in mocks.of_type(NETPOL)}


def test_default_deny_then_only_the_apiserver_port_in(mocks):
    p = policies(mocks)
    assert sorted(p) == ["allow-adapter-egress", "allow-apiserver-ingress", "default-deny"]
    assert p["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ingress = p["allow-apiserver-ingress"]
    assert ingress["podSelector"]["matchLabels"] == ma.APP_LABELS
    # Any source, but only the serving port: the aggregator's path (direct or through
    # Konnectivity) has no stable source range; the adapter authenticates every request.
    assert ingress["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8443}]}]


def test_egress_is_dns_https_and_the_gke_metadata_server(mocks):
    egress = policies(mocks)["allow-adapter-egress"]["egress"]
    dns, https, md80, md988 = egress
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert https == {
        "to": [
            {
                "ipBlock": {
                    "cidr": "0.0.0.0/0",
                    "except": ["169.254.169.254/32", "169.254.169.252/32"],
                }
            }
        ],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert md80 == {
        "to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}],
        "ports": [{"protocol": "TCP", "port": 80}],
    }
    assert md988 == {
        "to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}],
        "ports": [{"protocol": "TCP", "port": 988}],
    }


def test_without_network_policies_none_are_created(mocks):
    build(mocks, network_policies=False)
    assert mocks.of_type(NETPOL) == []


@pytest.mark.parametrize(("stack", "installed"), [("dev", False), ("prod", True)])
def test_the_adapter_comes_with_the_hpa(stack, installed):
    run = program(stack)
    types = {r.typ for r in run.mocks.resources}
    assert ("nim-gke:k8s:MetricsAdapter" in types) is installed
    (release,) = run.mocks.of_type("kubernetes:helm.sh/v3:Release")
    values = json.loads(json.dumps(unwrap(release.inputs["values"])))
    assert values["autoscaling"]["enabled"] is installed
    if installed:
        (metric,) = values["autoscaling"]["metrics"]
        assert (
            metric["pods"]["metric"]["name"]
            == "prometheus.googleapis.com|num_requests_waiting|gauge"
        )
        # The release (its HPA) waits for the adapter's APIServices.
        deps = {d.split("::")[-1] for d in run.mocks.options["nim-llama3-8b-1-0-3"]["dependencies"]}
        assert {"metrics-adapter-v1beta1-custom", "metrics-adapter-v1beta2-custom"} <= deps
