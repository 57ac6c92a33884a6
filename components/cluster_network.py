"""The network of :class:`components.cluster.GkeCluster`: its VPC and subnet (with the pods' and
services' ranges), Cloud NAT for private nodes, and with the Gateway the proxy-only subnet and the
firewall rule its load balancer needs. Children of the cluster component, as they always were."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

SUBNET_CIDR = "10.10.0.0/20"
PODS_CIDR = "10.16.0.0/14"
SERVICES_CIDR = "10.20.0.0/20"
# Where Google Cloud's health checks come from (cloud.google.com/load-balancing/docs/
# firewall-rules, regional internal Application Load Balancer).
HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")


def cluster_network(
    name: str, *, project: str, region: str, private_nodes: bool, opts: pulumi.ResourceOptions
) -> tuple[gcp.compute.Network, gcp.compute.Subnetwork]:
    """The VPC and the nodes' subnet (VPC-native: secondary ranges ``pods`` and ``services``);
    with ``private_nodes`` a router and Cloud NAT."""
    network = gcp.compute.Network(
        f"{name}-vpc", project=project, auto_create_subnetworks=False, opts=opts
    )
    subnet = gcp.compute.Subnetwork(
        f"{name}-subnet",
        project=project,
        region=region,
        network=network.id,
        ip_cidr_range=SUBNET_CIDR,
        private_ip_google_access=True,
        secondary_ip_ranges=[
            {"range_name": "pods", "ip_cidr_range": PODS_CIDR},
            {"range_name": "services", "ip_cidr_range": SERVICES_CIDR},
        ],
        opts=opts,
    )
    if private_nodes:
        # Private nodes have no external IP: Cloud NAT lets them reach nvcr.io and NGC.
        router = gcp.compute.Router(
            f"{name}-router",
            project=project,
            region=region,
            network=network.id,
            opts=opts,
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            project=project,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config={"enable": True, "filter": "ERRORS_ONLY"},
            opts=opts,
        )
    return network, subnet


def gateway_network(
    name: str,
    *,
    project: str,
    region: str,
    proxy_subnet: str,
    backend_port: int,
    network: gcp.compute.Network,
    nodes: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """The proxy-only subnet of a regional internal Application Load Balancer, and the firewall
    rule that lets its proxies and Google's health checks reach the NIM port on the nodes."""
    # One ACTIVE REGIONAL_MANAGED_PROXY subnet per VPC and region serves every regional Envoy-based
    # load balancer there; its addresses are the source of all traffic to the backends
    # (cloud.google.com/load-balancing/docs/proxy-only-subnets).
    gcp.compute.Subnetwork(
        f"{name}-proxy-only",
        project=project,
        region=region,
        network=network.id,
        ip_cidr_range=proxy_subnet,
        purpose="REGIONAL_MANAGED_PROXY",
        role="ACTIVE",
        opts=opts,
    )
    # Envoy-based load balancers need an ingress allow rule from the proxy-only subnet, every load
    # balancer one from the health-check ranges (cloud.google.com/load-balancing/docs/
    # firewall-rules). GKE's controllers create such rules themselves (the open-source Ingress
    # controller adds the ACTIVE proxy-only range and the NEG ports: kubernetes/ingress-gce
    # pkg/firewalls/controller.go, pkg/loadbalancers/features/l7ilb.go; the Gateway records its own
    # in the networking.gke.io/firewalls annotation), but the Gateway controller's code is not
    # public: this rule does not depend on it. It admits only that port, only to the stack's nodes.
    gcp.compute.Firewall(
        f"{name}-allow-gateway",
        project=project,
        network=network.id,
        direction="INGRESS",
        source_ranges=[proxy_subnet, *HEALTH_CHECK_RANGES],
        allows=[{"protocol": "tcp", "ports": [str(backend_port)]}],
        target_service_accounts=[nodes],
        description="nim-gke: the internal Gateway's proxies and health checks to the NIM port",
        opts=opts,
    )
