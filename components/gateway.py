"""One internal endpoint for every model: a GKE Gateway (regional internal Application Load
Balancer, ``gke-l7-rilb``) with a path per model and weighted traffic between its versions.

What it owns:

- a reserved regional internal IP in the nodes' subnet, named in the Gateway's ``spec.addresses``
  (``NamedAddress``), so the endpoint keeps its address when the Gateway is re-created;
- the Gateway: one HTTP listener on port 80 that admits HTTPRoutes from its own namespace;
- per model an HTTPRoute: ``/<release>/v1/...`` rewritten to ``/v1/...`` (``URLRewrite``
  ``ReplacePrefixMatch``, which needs exactly one ``PathPrefix`` match in its rule:
  kubernetes-sigs/gateway-api apis/v1/httproute_types.go), its ``backendRefs`` the chart Service
  of each version with the version's weight (weights are proportions of their sum, 0 sends
  nothing: apis/v1/shared_types.go ``BackendRef.Weight``; ours add up to 100);
- per version Service a ``HealthCheckPolicy`` (GKE's load balancer checks ``GET /`` otherwise, and
  NIM answers 404 there: cloud.google.com/kubernetes-engine/docs/how-to/
  configure-gateway-resources) and a ``GCPBackendPolicy`` (timeout, connection draining);
- a NetworkPolicy that admits the proxy-only subnet and Google's health checkers to the NIM port;
- with ``global_access``, a ``GCPGatewayPolicy`` that lets clients in other regions reach the
  regional load balancer (``spec.default.allowGlobalAccess``: GoogleCloudPlatform/gke-gateway-api
  apis/networking/v1/gcpgatewaypolicy_types.go; without it only clients in the Gateway's region
  can connect).

How long a stream survives its backend leaving (scale-in, a removed version): the pod is killed
``TERMINATION_GRACE_PERIOD_S`` (60 s, fixed by the chart) after it is told to stop, and the load
balancer drains its connections for ``draining_timeout_sec`` (validated to be at most that): a
stream still running then is cut. A longer ``timeout_sec`` only helps while the backend stays.

A route is created only after the releases it sends traffic to are Ready (the releases await
readiness behind a Gateway) and after their policies, so a new backend is health-checked on
``/v1/health/ready`` from its first request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.cluster_network import HEALTH_CHECK_RANGES
from nimgke.helm_values import OPENAI_PORT, READY_PATH

TYPE = "nim-gke:net:ModelGateway"
GATEWAY_CLASS = "gke-l7-rilb"
"""GKE's regional internal Application Load Balancer (needs a proxy-only subnet:
cloud.google.com/load-balancing/docs/proxy-only-subnets)."""
GATEWAY_API = "gateway.networking.k8s.io/v1"
GKE_POLICY_API = "networking.gke.io/v1"
LISTENER = "http"
LISTENER_PORT = 80
NIM_POD_LABELS = {"app.kubernetes.io/name": "nim-llm"}
# Health checking: every 10 s, 5 s to answer (timeoutSec may not exceed checkIntervalSec, a CEL
# rule of the CRD), healthy after 1 success so a new version takes its share one check after it
# answers ready, unhealthy after 3 failures so one slow answer under load does not eject a model's
# only backend. Ranges 1-300 s and 1-10 (GoogleCloudPlatform/gke-gateway-api
# apis/networking/v1/healthcheck_types.go HealthCheckPolicyConfig).
HEALTH_CHECK = {
    "checkIntervalSec": 10,
    "timeoutSec": 5,
    "healthyThreshold": 1,
    "unhealthyThreshold": 3,
}


@dataclass(frozen=True, kw_only=True)
class Backend:
    service: str
    """A version's chart Service (``<release>-nim-llm``)."""
    weight: int
    """Percent of the model's requests."""


@dataclass(frozen=True, kw_only=True)
class ModelRoute:
    model: str
    """The model's release name: the route's name and its path prefix."""
    prefix: str
    """``/<release>/v1``: rewritten to ``/v1`` on the way to NIM."""
    backends: list[Backend]
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """The releases of the backends: the route waits until they are Ready."""

    def __post_init__(self) -> None:
        if sum(b.weight for b in self.backends) != 100:
            raise ValueError(f"the weights of {self.model}'s backends must add up to 100")


@dataclass(frozen=True, kw_only=True)
class ModelGatewayArgs:
    project: str
    region: str
    subnetwork: pulumi.Input[str]
    """The nodes' subnet: the Gateway's internal address is reserved there."""
    address_name: str
    """Name of the reserved address (RFC 1035, at most 63 characters)."""
    namespace: pulumi.Input[str]
    """The NIM namespace: Gateway, routes and policies live beside the chart's Services."""
    proxy_subnet_cidr: str
    routes: list[ModelRoute]
    timeout_sec: int = 600
    draining_timeout_sec: int = 60
    gateway_name: str = "nim-internal"
    network_policy: bool = True
    """Admit the load balancer through the namespace's default deny (``security.networkPolicies``;
    without that deny an allow policy would isolate the pods from everything else)."""
    global_access: bool = False
    """Clients in other regions may connect (``gateway.globalAccess``)."""


def _target(service: str) -> dict[str, str]:
    # A Service of the core group (group ""), in the policy's own namespace.
    return {"group": "", "kind": "Service", "name": service}


def health_check_policy_spec(service: str) -> dict:
    """NIM's readiness path on its port; ``USE_FIXED_PORT`` because the CRD refuses a ``port``
    with the default port specification (CEL: "port and portName must be unset for
    portSpecification being USE_SERVING_PORT (which is the default)", healthcheck_types.go)."""
    return {
        "targetRef": _target(service),
        "default": {
            **HEALTH_CHECK,
            "config": {
                "type": "HTTP",
                "httpHealthCheck": {
                    "portSpecification": "USE_FIXED_PORT",
                    "port": OPENAI_PORT,
                    "requestPath": READY_PATH,
                },
            },
        },
    }


def backend_policy_spec(service: str, timeout_sec: int, draining_timeout_sec: int) -> dict:
    """The backend service's timeout (GKE's default 30 s cuts long generations and streams:
    configure-gateway-resources) and connection draining (0-3600 s): gcpbackendpolicy_types.go."""
    return {
        "targetRef": _target(service),
        "default": {
            "timeoutSec": timeout_sec,
            "connectionDraining": {"drainingTimeoutSec": draining_timeout_sec},
        },
    }


def gateway_policy_spec(gateway: str) -> dict:
    """Global access for the internal load balancer of ``gateway`` (gcpgatewaypolicy_types.go:
    ``GCPGatewayPolicyConfig.AllowGlobalAccess``; the policy targets the Gateway itself)."""
    return {
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway},
        "default": {"allowGlobalAccess": True},
    }


def route_spec(gateway: str, route: ModelRoute) -> dict:
    return {
        "parentRefs": [{"name": gateway, "sectionName": LISTENER}],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": route.prefix}}],
                "filters": [
                    {
                        "type": "URLRewrite",
                        "urlRewrite": {
                            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v1"}
                        },
                    }
                ],
                "backendRefs": [
                    {"name": b.service, "port": OPENAI_PORT, "weight": b.weight}
                    for b in route.backends
                ],
            }
        ],
    }


def _custom_resource(
    resource_name: str,
    api_version: str,
    kind: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    spec: dict,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    """One Gateway API or GKE policy object, named ``name`` in ``namespace``."""
    metadata: k8s.meta.v1.ObjectMetaArgsDict = {"name": name, "namespace": namespace}
    return k8s.apiextensions.CustomResource(
        resource_name, api_version=api_version, kind=kind, metadata=metadata, spec=spec, opts=opts
    )


class ModelGateway(pulumi.ComponentResource):
    address: pulumi.Output[str]
    """The endpoint's internal IP address."""
    endpoints: pulumi.Output[dict[str, str]]
    """Per model: ``http://<ip>/<release>/v1`` (an OpenAI base URL)."""

    def __init__(
        self, name: str, args: ModelGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # A regional internal address in the nodes' subnet (an internal Application Load
        # Balancer's forwarding rule may take its IP from the backends' subnet:
        # cloud.google.com/load-balancing/docs/proxy-only-subnets).
        address = gcp.compute.Address(
            f"{name}-ip",
            project=args.project,
            region=args.region,
            name=args.address_name,
            address_type="INTERNAL",
            purpose="GCE_ENDPOINT",
            subnetwork=args.subnetwork,
            description="nim-gke: the models' internal endpoint (GKE Gateway)",
            opts=child,
        )
        gateway = _custom_resource(
            f"{name}-gateway",
            GATEWAY_API,
            "Gateway",
            args.gateway_name,
            args.namespace,
            {
                "gatewayClassName": GATEWAY_CLASS,
                "addresses": [{"type": "NamedAddress", "value": address.name}],
                "listeners": [
                    {
                        "name": LISTENER,
                        "protocol": "HTTP",
                        "port": LISTENER_PORT,
                        "allowedRoutes": {
                            "namespaces": {"from": "Same"},
                            "kinds": [{"kind": "HTTPRoute"}],
                        },
                    }
                ],
            },
            child,
        )
        if args.global_access:
            _custom_resource(
                f"{name}-global-access",
                GKE_POLICY_API,
                "GCPGatewayPolicy",
                args.gateway_name,
                args.namespace,
                gateway_policy_spec(args.gateway_name),
                pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
        # With container-native load balancing the proxies and the health checkers reach the pods
        # directly: exactly those sources, on the NIM port
        # (cloud.google.com/load-balancing/docs/firewall-rules).
        sources: list[k8s.networking.v1.NetworkPolicyPeerArgsDict] = [
            {"ip_block": {"cidr": cidr}} for cidr in (args.proxy_subnet_cidr, *HEALTH_CHECK_RANGES)
        ]
        if args.network_policy:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-ingress",
                metadata={"name": "nim-allow-gateway", "namespace": args.namespace},
                spec={
                    "pod_selector": {"match_labels": NIM_POD_LABELS},
                    "policy_types": ["Ingress"],
                    "ingress": [
                        {"from_": sources, "ports": [{"protocol": "TCP", "port": OPENAI_PORT}]}
                    ],
                },
                opts=child,
            )
        for route in args.routes:
            after_releases = pulumi.ResourceOptions(parent=self, depends_on=route.depends_on)
            policies: list[pulumi.Resource] = []
            for b in route.backends:
                specs = {
                    "health": ("HealthCheckPolicy", health_check_policy_spec(b.service)),
                    "backend": (
                        "GCPBackendPolicy",
                        backend_policy_spec(b.service, args.timeout_sec, args.draining_timeout_sec),
                    ),
                }
                policies.extend(
                    _custom_resource(
                        f"{name}-{b.service}-{suffix}",
                        GKE_POLICY_API,
                        kind,
                        b.service,
                        args.namespace,
                        spec,
                        after_releases,
                    )
                    for suffix, (kind, spec) in specs.items()
                )
            _custom_resource(
                f"{name}-{route.model}-route",
                GATEWAY_API,
                "HTTPRoute",
                route.model,
                args.namespace,
                route_spec(args.gateway_name, route),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[gateway, *route.depends_on, *policies]
                ),
            )
        self.address = address.address
        prefixes = {r.model: r.prefix for r in args.routes}
        self.endpoints = address.address.apply(
            lambda ip: {model: f"http://{ip}{prefix}" for model, prefix in prefixes.items()}
        )
        self.register_outputs({"address": self.address, "endpoints": self.endpoints})
