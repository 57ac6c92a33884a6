"""Rollouts behind one endpoint: the Gateway, its routes, policies and NetworkPolicy, for a stack
with a canary.

Component contract (exact wire inputs, parentage, ordering) and the whole program with prod's
stack file plus a canary at 10 %: the rendered Gateway, HTTPRoute (weights add up to 100 across a
model's versions), HealthCheckPolicy, GCPBackendPolicy, proxy-only subnet and NetworkPolicies.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from components.gateway import Backend, ModelGateway, ModelGatewayArgs, ModelRoute
from tests.conftest import (
    FAKE_NGC_KEY,
    ProgramRun,
    RecordingMocks,
    resolve,
    run_program,
    stack_config,
    unwrap,
)

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
HEALTH = "kubernetes:networking.gke.io/v1:HealthCheckPolicy"
BACKEND = "kubernetes:networking.gke.io/v1:GCPBackendPolicy"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
ADDRESS = "gcp:compute/address:Address"

HEALTH_SPEC = {
    "checkIntervalSec": 10,
    "timeoutSec": 5,
    "healthyThreshold": 1,
    "unhealthyThreshold": 3,
    "config": {
        "type": "HTTP",
        "httpHealthCheck": {
            "portSpecification": "USE_FIXED_PORT",
            "port": 8000,
            "requestPath": "/v1/health/ready",
        },
    },
}


def _route(model: str, *backends: tuple[str, int]) -> ModelRoute:
    return ModelRoute(
        model=model,
        prefix=f"/{model}/v1",
        backends=[Backend(service=s, weight=w) for s, w in backends],
    )


def build(mocks: RecordingMocks, routes: list[ModelRoute]) -> dict[str, Any]:
    gw = ModelGateway(
        "gateway",
        ModelGatewayArgs(
            project="my-proj",
            region="us-central1",
            subnetwork="projects/my-proj/regions/us-central1/subnetworks/nodes",
            address_name="nim-prod-nim-gateway",
            namespace="nim",
            proxy_subnet_cidr="10.129.0.0/23",
            routes=routes,
            timeout_sec=600,
            draining_timeout_sec=60,
        ),
    )
    return resolve(lambda: {"address": gw.address, "endpoints": gw.endpoints})


def test_the_address_is_a_reserved_internal_ip_in_the_nodes_subnet(mocks):
    out = build(mocks, [_route("llama3-8b", ("llama3-8b-1-0-3-nim-llm", 100))])
    assert mocks.one(ADDRESS).inputs == {
        "project": "my-proj",
        "region": "us-central1",
        "name": "nim-prod-nim-gateway",
        "addressType": "INTERNAL",
        "purpose": "GCE_ENDPOINT",
        "subnetwork": "projects/my-proj/regions/us-central1/subnetworks/nodes",
        "description": "nim-gke: the models' internal endpoint (GKE Gateway)",
    }
    assert out == {
        "address": "10.10.0.50",
        "endpoints": {"llama3-8b": "http://10.10.0.50/llama3-8b/v1"},
    }


def test_the_gateway_is_internal_named_by_the_address_and_admits_routes_of_its_namespace(mocks):
    build(mocks, [_route("llama3-8b", ("llama3-8b-1-0-3-nim-llm", 100))])
    gw = unwrap(mocks.one(GATEWAY).inputs)
    assert gw["metadata"] == {"name": "nim-internal", "namespace": "nim"}
    assert gw["spec"] == {
        "gatewayClassName": "gke-l7-rilb",
        "addresses": [{"type": "NamedAddress", "value": "nim-prod-nim-gateway"}],
        "listeners": [
            {
                "name": "http",
                "protocol": "HTTP",
                "port": 80,
                "allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"kind": "HTTPRoute"}]},
            }
        ],
    }
    # The Gateway names the address by name, after it exists (its name is an Output of it).
    address_urn = next(u for u in mocks.urns() if u.endswith("::gateway-ip"))
    assert address_urn in mocks.options["gateway-gateway"]["dependencies"]


def test_a_route_rewrites_the_models_prefix_and_splits_by_weight(mocks):
    build(
        mocks,
        [_route("llama3-8b", ("llama3-8b-1-0-3-nim-llm", 90), ("llama3-8b-1-1-2-nim-llm", 10))],
    )
    route = unwrap(mocks.one(ROUTE).inputs)
    assert route["metadata"] == {"name": "llama3-8b", "namespace": "nim"}
    assert route["spec"] == {
        "parentRefs": [{"name": "nim-internal", "sectionName": "http"}],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/llama3-8b/v1"}}],
                "filters": [
                    {
                        "type": "URLRewrite",
                        "urlRewrite": {
                            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v1"}
                        },
                    }
                ],
                "backendRefs": [
                    {"name": "llama3-8b-1-0-3-nim-llm", "port": 8000, "weight": 90},
                    {"name": "llama3-8b-1-1-2-nim-llm", "port": 8000, "weight": 10},
                ],
            }
        ],
    }


def test_each_version_service_gets_its_health_check_and_backend_policy(mocks):
    build(
        mocks,
        [_route("llama3-8b", ("llama3-8b-1-0-3-nim-llm", 90), ("llama3-8b-1-1-2-nim-llm", 10))],
    )
    for svc in ("llama3-8b-1-0-3-nim-llm", "llama3-8b-1-1-2-nim-llm"):
        health = unwrap(mocks.named(f"gateway-{svc}-health").inputs)
        assert health["apiVersion"] == "networking.gke.io/v1"
        assert health["metadata"] == {"name": svc, "namespace": "nim"}
        assert health["spec"] == {
            "targetRef": {"group": "", "kind": "Service", "name": svc},
            "default": HEALTH_SPEC,
        }
        backend = unwrap(mocks.named(f"gateway-{svc}-backend").inputs)
        assert backend["spec"] == {
            "targetRef": {"group": "", "kind": "Service", "name": svc},
            "default": {"timeoutSec": 600, "connectionDraining": {"drainingTimeoutSec": 60}},
        }
    assert len(mocks.of_type(HEALTH)) == len(mocks.of_type(BACKEND)) == 2
    # The CRD's own rule: timeoutSec may not exceed checkIntervalSec (healthcheck_types.go).
    assert HEALTH_SPEC["timeoutSec"] <= HEALTH_SPEC["checkIntervalSec"]


def test_only_the_proxy_subnet_and_the_health_checkers_reach_the_nim_port(mocks):
    build(mocks, [_route("llama3-8b", ("llama3-8b-1-0-3-nim-llm", 100))])
    (policy,) = mocks.of_type(NETPOL)
    assert unwrap(policy.inputs)["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "nim-llm"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "10.129.0.0/23"}},
                    {"ipBlock": {"cidr": "35.191.0.0/16"}},
                    {"ipBlock": {"cidr": "130.211.0.0/22"}},
                ],
                "ports": [{"protocol": "TCP", "port": 8000}],
            }
        ],
    }


def test_without_the_namespaces_default_deny_no_allow_policy_isolates_the_pods():
    """An allow policy would make the pods reachable only from the load balancer, shutting out
    the in-cluster clients that security.networkPolicies: false leaves in."""
    sec = json.loads(stack_config("prod")["nim-gke:security"])
    sec["networkPolicies"] = False
    config = stack_config("prod", **{"nim-gke:security": sec, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("prod", config, ["nim-gke:ngcApiKey"])
    assert run.mocks.of_type(NETPOL) == []
    assert run.mocks.of_type(GATEWAY)


def test_weights_must_add_up_to_100():
    with pytest.raises(ValueError, match="must add up to 100"):
        _route("llama3-8b", ("a", 90), ("b", 20))


def test_children_parented(mocks):
    build(mocks, [_route("m", ("m-1-nim-llm", 100))])
    children = {u.rsplit("::", 1)[1] for u in mocks.urns() if "nim-gke:net:ModelGateway$" in u}
    assert children == {
        "gateway-ip",
        "gateway-gateway",
        "gateway-ingress",
        "gateway-m-1-nim-llm-health",
        "gateway-m-1-nim-llm-backend",
        "gateway-m-route",
    }


# --- the whole program: prod with a canary at 10 % ---------------------------------------------

CANARY = {"tag": "1.1.2", "weight": 10}


@cache
def with_canary(stack: str = "prod", canary: str = json.dumps(CANARY)) -> ProgramRun:
    """The stack with a canary; prod also with gpuPool.maxNodes 4, room for both versions at
    their HPA maximum (docs/rollouts.md, "GPU headroom")."""
    nim = json.loads(stack_config(stack)["nim-gke:nim"])
    nim["models"][0]["canary"] = json.loads(canary)
    pool = json.loads(stack_config(stack)["nim-gke:gpuPool"])
    if stack == "prod":
        pool["maxNodes"] = 4
    config = stack_config(
        stack,
        **{"nim-gke:nim": nim, "nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY},
    )
    return run_program(stack, config, ["nim-gke:ngcApiKey"])


def _inputs(run: ProgramRun, typ: str) -> list[dict[str, Any]]:
    return [unwrap(r.inputs) for r in run.mocks.of_type(typ)]


def test_the_canary_is_a_second_release_awaited_before_the_route():
    run = with_canary()
    releases = {r["name"]: r for r in _inputs(run, RELEASE)}
    assert set(releases) == {"llama3-8b-1-0-3", "llama3-8b-1-1-2"}
    for rel in releases.values():
        # Behind the Gateway a version takes traffic only once Ready: Helm waits, for longer
        # than the chart's startup budget (40 s + 180 x 10 s, the chart's
        # values.yaml startupProbe).
        assert rel["skipAwait"] is False
        assert rel["timeout"] == 3600 > 40 + 180 * 10
    assert releases["llama3-8b-1-1-2"]["values"]["image"]["tag"] == "1.1.2"
    assert releases["llama3-8b-1-0-3"]["values"]["image"]["tag"] == "1.0.3"
    # Depending on a component is depending on its children: the Helm releases among them.
    deps = run.mocks.options["gateway-llama3-8b-route"]["dependencies"]
    for name in ("nim-llama3-8b-1-0-3-release", "nim-llama3-8b-1-1-2-release"):
        assert next(u for u in run.mocks.urns() if u.endswith(f"::{name}")) in deps
    for svc in ("llama3-8b-1-0-3-nim-llm", "llama3-8b-1-1-2-nim-llm"):
        for kind in ("health", "backend"):
            urn = next(u for u in run.mocks.urns() if u.endswith(f"::gateway-{svc}-{kind}"))
            assert urn in deps


def test_the_models_service_moves_only_after_the_release_it_selects():
    """At weight 100 the model's Service selects the canary's pods: it is updated after the
    canary's release, which behind the Gateway waits for Ready pods, so in-cluster clients never
    meet a version still starting (like the route)."""
    run = with_canary(canary=json.dumps({**CANARY, "weight": 100}))
    deps = run.mocks.options["svc-llama3-8b-service"]["dependencies"]
    canary = next(u for u in run.mocks.urns() if u.endswith("::nim-llama3-8b-1-1-2-release"))
    assert canary in deps
    service = next(
        r
        for r in run.mocks.of_type("kubernetes:core/v1:Service")
        if r.name == "svc-llama3-8b-service"
    )
    assert service.inputs["spec"]["selector"]["app.kubernetes.io/instance"] == "llama3-8b-1-1-2"


def test_the_route_splits_90_10_and_the_weights_add_up_to_100():
    (route,) = _inputs(with_canary(), ROUTE)
    refs = route["spec"]["rules"][0]["backendRefs"]
    assert refs == [
        {"name": "llama3-8b-1-0-3-nim-llm", "port": 8000, "weight": 90},
        {"name": "llama3-8b-1-1-2-nim-llm", "port": 8000, "weight": 10},
    ]
    assert sum(r["weight"] for r in refs) == 100
    assert with_canary().outputs["rollout"] == {
        "llama3-8b": {"llama3-8b-1-0-3": 90, "llama3-8b-1-1-2": 10}
    }


@pytest.mark.parametrize(("weight", "main"), [(0, 100), (50, 50), (100, 0)])
def test_every_weight_keeps_the_sum(weight: int, main: int):
    run = with_canary(canary=json.dumps({**CANARY, "weight": weight}))
    (route,) = _inputs(run, ROUTE)
    assert [r["weight"] for r in route["spec"]["rules"][0]["backendRefs"]] == [main, weight]


def test_the_route_targets_the_services_the_chart_renders():
    run = with_canary()
    (route,) = _inputs(run, ROUTE)
    names = {r["name"] for r in route["spec"]["rules"][0]["backendRefs"]}
    # The chart's Service is <release>-nim-llm (templates/_helpers.tpl, nim-llm.fullname): the
    # render test checks the real chart names it so.
    assert names == {f"{r['name']}-nim-llm" for r in _inputs(run, RELEASE)}
    policies = {
        p["spec"]["targetRef"]["name"] for p in _inputs(run, HEALTH) + _inputs(run, BACKEND)
    }
    assert policies == names


@pytest.mark.parametrize(("weight", "serving"), [(10, "llama3-8b-1-0-3"), (100, "llama3-8b-1-1-2")])
def test_the_models_service_selects_the_version_that_takes_all_traffic(weight: int, serving: str):
    run = with_canary(canary=json.dumps({**CANARY, "weight": weight}))
    (svc,) = [s for s in _inputs(run, SERVICE) if s["metadata"]["name"] == "llama3-8b"]
    assert svc["spec"] == {
        "type": "ClusterIP",
        "selector": {"app.kubernetes.io/name": "nim-llm", "app.kubernetes.io/instance": serving},
        "ports": [
            {"name": "http-openai", "port": 8000, "targetPort": "http-openai", "protocol": "TCP"}
        ],
    }
    assert run.outputs["models"] == {"llama3-8b": "http://llama3-8b.nim.svc.cluster.local:8000/v1"}


def test_the_stacks_network_for_the_gateway():
    run = with_canary()
    proxy = run.mocks.named("cluster-proxy-only").inputs
    assert (proxy["purpose"], proxy["role"], proxy["ipCidrRange"], proxy["region"]) == (
        "REGIONAL_MANAGED_PROXY",
        "ACTIVE",
        "10.129.0.0/23",
        "us-central1",
    )
    netpols = {  # the NIM namespace's (the metrics adapter has its own namespace and policies)
        p["metadata"]["name"]: p["spec"]
        for p in _inputs(run, NETPOL)
        if p["metadata"]["namespace"] == "nim"
    }
    assert set(netpols) == {
        "default-deny",
        "allow-dns-and-ngc-egress",
        "llama3-8b-1-0-3-allow-clients",
        "llama3-8b-1-1-2-allow-clients",
        "nim-allow-gateway",
        # prod's shared cache: its pods may reach the GKE metadata server (test_shared_cache.py)
        "nim-model-cache-metadata-egress",
    }
    assert netpols["nim-allow-gateway"]["ingress"][0]["from"] == [
        {"ipBlock": {"cidr": c}} for c in ("10.129.0.0/23", "35.191.0.0/16", "130.211.0.0/22")
    ]
    # The existing refusal of a public LoadBalancer stays: every Service is ClusterIP.
    assert {s["spec"]["type"] for s in _inputs(run, SERVICE)} == {"ClusterIP"}
    assert run.outputs["endpoints"] == {"llama3-8b": "http://10.10.0.50/llama3-8b/v1"}


def test_the_gateway_waits_for_the_clusters_gateway_api():
    run = with_canary()
    cluster_urn = next(u for u in run.mocks.urns() if u.endswith("::cluster-gke"))
    assert cluster_urn in run.mocks.options["gateway"]["dependencies"]


def test_dev_has_no_gateway_and_does_not_wait_for_the_model():
    run = with_canary("dev", json.dumps({**CANARY, "weight": 0}))
    for typ in (GATEWAY, ROUTE, HEALTH, BACKEND, ADDRESS, "gcp:compute/firewall:Firewall"):
        assert run.mocks.of_type(typ) == [], typ
    assert "gatewayApiConfig" not in run.mocks.one("gcp:container/cluster:Cluster").inputs
    releases = _inputs(run, RELEASE)
    assert {r["name"] for r in releases} == {"llama3-8b-1-0-3", "llama3-8b-1-1-2"}
    assert {(r["skipAwait"], r["timeout"]) for r in releases} == {(True, 600)}
    assert "endpoints" not in run.outputs


def test_a_canary_on_the_green_pool_runs_on_greens_nodes():
    green = {
        "machineType": "g2-standard-8",
        "minNodes": 0,
        "maxNodes": 2,  # the canary's HPA may scale it to monitoring.hpa.maxReplicas (prod: 2)
        "driverVersion": "LATEST",
    }
    nim = json.loads(stack_config("prod")["nim-gke:nim"])
    nim["models"][0]["canary"] = {**CANARY, "pool": "green"}
    config = stack_config(
        "prod",
        **{"nim-gke:nim": nim, "nim-gke:greenPool": green, "nim-gke:ngcApiKey": FAKE_NGC_KEY},
    )
    run = run_program("prod", config, ["nim-gke:ngcApiKey"])
    pool = run.mocks.named("green-pool").inputs
    assert pool["nodeConfig"]["machineType"] == "g2-standard-8"
    assert pool["autoscaling"]["totalMaxNodeCount"] == 2
    # greenPool shares gpuPool's settings: image streaming from the mirror there too.
    assert pool["nodeConfig"]["gcfsConfig"] == {"enabled": True}
    assert pool["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    values = {r["name"]: r["values"] for r in _inputs(run, RELEASE)}
    # Each version selects its pool's ComputeClass; greenPool's (no fallbacks) tries green's
    # node pool alone, gpuPool's its pool and then prod's g2-standard-8 fallback.
    classes = {
        c["metadata"]["name"]: c["spec"]["priorities"]
        for c in _inputs(run, "kubernetes:cloud.google.com/v1:ComputeClass")
    }
    green_name = run.mocks.state["green-pool"]["name"]
    assert classes == {
        "nim-green": [{"nodepools": [green_name]}],
        "nim-gpu": [
            {"nodepools": [run.mocks.state["gpu-pool"]["name"]]},
            {"nodepools": [run.mocks.state["gpu-2-pool"]["name"]]},
        ],
    }
    assert values["llama3-8b-1-1-2-green"]["nodeSelector"] == {
        "cloud.google.com/compute-class": "nim-green"
    }
    # The bigger machine gives the canary the bigger default requests.
    assert values["llama3-8b-1-1-2-green"]["resources"]["requests"]["memory"] == "27Gi"
    assert values["llama3-8b-1-0-3"]["nodeSelector"] == {
        "cloud.google.com/compute-class": "nim-gpu"
    }
    assert run.outputs["greenPoolName"] == green_name
