"""Contract tests of the NIM release: chart, repository credentials, values, await, extras."""

from __future__ import annotations

import pulumi
import pytest

from components.nim_release import NimRelease, NimReleaseArgs, pod_labels
from nimgke.helm_values import ReleaseValues, deployment_rollout, is_deployment, min_replicas
from tests.conftest import FAKE_NGC_KEY, is_secret, plain_strings, resolve, unwrap

RELEASE = "kubernetes:helm.sh/v3:Release"
SELECTOR = {
    "cloud.google.com/gke-nodepool": "gpu-pool-a1b2c3",
    "cloud.google.com/gke-accelerator": "nvidia-l4",
}


def values(**overrides) -> ReleaseValues:
    base = dict(
        model_name="meta/llama3-8b-instruct",
        image="nvcr.io/nim/meta/llama3-8b-instruct",
        tag="1.0.3",
        pull_secret="ngc-registry",
        api_secret="ngc-api",
        gpu_count=1,
        cpu="3",
        memory="12Gi",
        node_selector={},
        cache_size="50Gi",
        storage_class="standard-rwo",
    )
    base.update(overrides)
    return ReleaseValues(**base)


def build(allowed=(), **overrides):
    args = dict(
        release="llama3-8b",
        namespace="nim",
        chart_version="1.3.0",
        values=values(),
        node_selector=pulumi.Output.from_input(SELECTOR),
        ngc_api_key=FAKE_NGC_KEY,
        allowed_client_namespaces=list(allowed),
    )
    args.update(overrides)
    rel = NimRelease("nim-llama3-8b", NimReleaseArgs(**args))
    return resolve(
        lambda: {
            "svc": rel.service_name,
            "url": rel.url,
            "pf": rel.port_forward_command,
            "ns": rel.namespace,
        }
    )


def test_chart_from_ngc_pinned_with_secret_repository_credentials(mocks):
    build()
    r = mocks.one(RELEASE).inputs
    assert r["chart"] == "nim-llm"
    assert r["version"] == "1.3.0"
    assert r["name"] == "llama3-8b"
    assert r["namespace"] == "nim"
    opts = r["repositoryOpts"]
    assert unwrap(opts)["repo"] == "https://helm.ngc.nvidia.com/nim"
    assert unwrap(opts)["username"] == "$oauthtoken"
    assert is_secret(opts) or is_secret(opts["password"])
    assert unwrap(opts)["password"] == FAKE_NGC_KEY


def test_does_not_block_for_the_model_download(mocks):
    build()
    r = mocks.one(RELEASE).inputs
    assert r["skipAwait"] is True
    assert r["atomic"] is False
    assert r["timeout"] == 600


def test_values_carry_the_pool_selector_and_no_key(mocks):
    build()
    r = mocks.one(RELEASE).inputs
    vals = unwrap(r["values"])
    assert vals["nodeSelector"] == SELECTOR
    assert vals["model"]["ngcAPISecret"] == "ngc-api"
    assert "ngcAPIKey" not in vals["model"]
    leaked = [p for p, s in plain_strings(r["values"]) if FAKE_NGC_KEY in s]
    assert leaked == []


def test_outputs_name_the_chart_service(mocks):
    out = build()
    assert out["svc"] == "llama3-8b-nim-llm"
    assert out["url"] == "http://llama3-8b-nim-llm.nim.svc.cluster.local:8000/v1"
    assert out["pf"] == "kubectl -n nim port-forward svc/llama3-8b-nim-llm 8000:8000"


@pytest.mark.parametrize(
    ("release", "service"),
    [
        # nim-llm 1.3.0 templates/_helpers.tpl ``nim-llm.fullname``: "If release name contains
        # chart name it will be used as a full name", truncated to 63 characters, no trailing "-".
        ("team-nim-llm", "team-nim-llm"),
        ("m" * 58 + "-x", "m" * 58 + "-x-ni"),  # 60 + 8 characters cut at 63
        ("m" * 58, "m" * 58 + "-nim"),  # cut at 63 ends in "-", which goes
    ],
)
def test_outputs_name_the_service_the_chart_names(mocks, release, service):
    out = build(release=release)
    assert out["svc"] == service
    assert out["url"] == f"http://{service}.nim.svc.cluster.local:8000/v1"


def test_pod_monitoring_scrapes_nim_metrics_by_chart_labels(mocks):
    build()
    pm = mocks.one("kubernetes:monitoring.googleapis.com/v1:PodMonitoring").inputs
    assert pm["apiVersion"] == "monitoring.googleapis.com/v1"
    assert pm["spec"] == {
        "selector": {"matchLabels": pod_labels("llama3-8b")},
        "endpoints": [{"port": 8000, "path": "/v1/metrics", "interval": "30s"}],
    }
    assert pod_labels("llama3-8b") == {
        "app.kubernetes.io/name": "nim-llm",
        "app.kubernetes.io/instance": "llama3-8b",
    }


def test_ingress_policy_allows_only_named_namespaces_and_metrics(mocks):
    build(allowed=["apps"])
    np = mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs
    spec = np["spec"]
    assert spec["podSelector"] == {"matchLabels": pod_labels("llama3-8b")}
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    # Only the named namespaces: no `podSelector: {}` peer admitting every pod of the namespace
    # (the chart's `helm test` pods cannot run there under `restricted`: docs/operations.md,
    # "Why not helm test").
    assert rule["from"] == [
        {
            "namespaceSelector": {
                "matchExpressions": [
                    {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": ["apps", "gmp-system"],
                    }
                ]
            }
        }
    ]


@pytest.mark.parametrize(
    ("flag", "typ"),
    [
        ("pod_monitoring", "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"),
        ("network_policy", "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
    ],
)
def test_extras_can_be_switched_off(mocks, flag, typ):
    build(**{flag: False})
    assert mocks.of_type(typ) == []


def test_children_parented(mocks):
    build()
    children = {u.rsplit("::", 1)[1] for u in mocks.urns() if "nim-gke:nim:NimRelease$" in u}
    assert children == {"nim-llama3-8b-release", "nim-llama3-8b-metrics", "nim-llama3-8b-ingress"}


def test_behind_a_gateway_helm_waits_for_ready_pods(mocks):
    """A route may only send traffic to a version that answers; Helm --wait, for longer than the
    chart's startup budget (values.yaml startupProbe: 40 s + 180 x 10 s)."""
    from components.nim_release import READY_TIMEOUT_SECONDS  # noqa: PLC0415

    build(await_ready=True, timeout_seconds=READY_TIMEOUT_SECONDS)
    r = mocks.one(RELEASE).inputs
    assert (r["skipAwait"], r["timeout"]) == (False, 3600)
    assert READY_TIMEOUT_SECONDS > 40 + 180 * 10


def test_the_models_service_selects_one_version_by_the_charts_labels(mocks):
    from components.model_service import ModelService, ModelServiceArgs  # noqa: PLC0415

    svc = ModelService(
        "svc-llama3-8b",
        ModelServiceArgs(model="llama3-8b", namespace="nim", target_release="llama3-8b-1-1-2"),
    )
    out = resolve(lambda: {"url": svc.url, "pf": svc.port_forward_command})
    inputs = mocks.one("kubernetes:core/v1:Service").inputs
    assert inputs["metadata"]["name"] == "llama3-8b"
    assert inputs["spec"] == {
        "type": "ClusterIP",
        "selector": pod_labels("llama3-8b-1-1-2"),
        "ports": [
            {"name": "http-openai", "port": 8000, "targetPort": "http-openai", "protocol": "TCP"}
        ],
    }
    assert out == {
        "url": "http://llama3-8b.nim.svc.cluster.local:8000/v1",
        "pf": "kubectl -n nim port-forward svc/llama3-8b 8000:8000",
    }


# --- serving through a change of the pod ------------------------------------------------------

PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def test_a_disk_per_replica_is_a_statefulset_and_the_shared_cache_a_deployment(mocks):
    """A per-replica ReadWriteOnce disk cannot be attached by a second, surging pod: the chart's
    StatefulSet (nim-llm 1.3.0 templates/deployment.yaml, statefulSet.enabled) replaces its pod by
    deleting it first. Over the shared ReadWriteMany claim the release is a Deployment, which
    starts the new pod beside the old one."""
    build()
    vals = unwrap(mocks.one(RELEASE).inputs["values"])
    assert vals["statefulSet"] == {"enabled": True}
    assert vals["persistence"]["accessMode"] == "ReadWriteOnce"
    assert not is_deployment(vals)


def test_over_the_shared_cache_the_release_is_a_deployment(mocks):
    build(values=values(shared_cache_claim="llama3-8b-1-0-3-model-cache", service_account="sa"))
    vals = unwrap(mocks.one(RELEASE).inputs["values"])
    assert vals["statefulSet"] == {"enabled": False}
    assert vals["persistence"] == {
        "enabled": True,
        "existingClaim": "llama3-8b-1-0-3-model-cache",
        "accessMode": "ReadWriteMany",
        "size": "50Gi",
    }
    assert is_deployment(vals)


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable"),
    [(1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 1), (8, 2, 2)],
)
def test_a_deployment_rolls_with_kubernetes_defaults(replicas, surge, unavailable):
    """Kubernetes' defaults (25 % each: kubernetes/kubernetes@
    04791b4906602ffda5ccf9bc4c84d3329f1d7080: pkg/apis/apps/v1/defaults.go,
    SetDefaults_Deployment), resolved by ResolveFenceposts (kubernetes/kubernetes@
    277391ee713412cf75e4b46ad5d6e5ae9844abf1: pkg/controller/deployment/util/deployment_util.go:
    surge rounded up, unavailable rounded down): up to 3 replicas nothing is taken away before a
    new pod is Ready; from 4 on, all but a quarter keep serving."""
    assert deployment_rollout(replicas) == (surge, unavailable)


def test_two_replicas_get_a_disruption_budget_of_one(mocks):
    """A node drain (upgrade, repair) takes one replica at a time: GKE honours the budget for up
    to an hour during a node upgrade (GKE docs, "Node pool upgrade strategies";
    node_drain_config.pdb_timeout_duration), longer than a NIM start. One replica gets no budget:
    it would only delay the eviction."""
    build(values=values(replicas=2))
    (pdb,) = mocks.of_type(PDB)
    assert unwrap(pdb.inputs) == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "llama3-8b-nim-llm", "namespace": "nim"},
        "spec": {"selector": {"matchLabels": pod_labels("llama3-8b")}, "maxUnavailable": 1},
    }
    mocks.resources.clear()
    hpa = {"enabled": True, "minReplicas": 1, "maxReplicas": 2, "metrics": []}
    build(values=values(replicas=1, autoscaling=hpa))
    assert mocks.of_type(PDB) == []
    assert min_replicas(unwrap(mocks.one(RELEASE).inputs["values"])) == 1
