"""The GKE cluster: VPC, node service account, optional KMS key, the cluster and its system pool.

It owns the kubeconfig and the ``kubernetes.Provider`` built from it, so consumers never assemble
kubeconfigs (the pulumi-eks pattern). Its network (:mod:`components.cluster_network`) and its
kubeconfig (:mod:`components.kubeconfig`) are built by the modules beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.cluster_network import cluster_network, gateway_network
from components.kubeconfig import cluster_kubeconfig

TYPE = "nim-gke:gke:Cluster"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE")
# Least privilege for GKE nodes: Google's "use least privilege service accounts for your nodes"
# (cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster), plus reading images
# from Artifact Registry (for a remote repository in front of nvcr.io).
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
)
# Image streaming with a node service account other than Compute Engine's default needs this role
# on the project that hosts the image (GKE docs, "Use Image streaming to pull container images",
# Requirements: the custom service account must have Service Usage Consumer,
# roles/serviceusage.serviceUsageConsumer, in the project hosting the container images).
STREAMING_ROLE = "roles/serviceusage.serviceUsageConsumer"
# Until the grant moved here, each GPU pool that streamed granted it itself, as
# "<pool>-streaming-usage" under its GpuNodePool component. Deleting a gcp.projects.IAMMember
# removes (role, member) from the project's binding (terraform-provider-google
# tpgiamresource/resource_iam_member.go), whoever else granted it: so the grant is made once, and
# the main pool's old one ("gpu", __main__.py) is adopted in place by alias instead of deleted.
LEGACY_STREAMING_GRANT = ("nim-gke:gke:GpuNodePool", "gpu", "gpu-streaming-usage")
SYSTEM_POOL_LABEL = {"nim-gke/pool": "system"}
# initial_node_count of a node pool is ForceNew and "Resizing your node pool manually may change
# this value ... which will trigger destruction and recreation" (terraform-provider-google docs,
# container_node_pool): the autoscaler owns the size after creation.
POOL_IGNORE_CHANGES = ["initialNodeCount"]
# monitoring_config.enable_components is the whole list, not an addition to GKE's defaults
# (hashicorp/terraform-provider-google#15704): naming only SYSTEM_COMPONENTS and DCGM
# would switch off the kube-state metrics (POD ... STORAGE) and the kubelet/cAdvisor metrics that
# pod readiness, restarts and HPA state come from. Values as the pulumi-gcp 9 SDK documents them
# (ClusterMonitoringConfigArgsDict.enable_components); KUBELET and CADVISOR need GKE
# 1.29.3-gke.1093000 or later (same docstring).
MONITORING_COMPONENTS = (
    "SYSTEM_COMPONENTS",
    # the kube-state metrics, then the kubelet's and cAdvisor's (the policy pack lists the same)
    "STORAGE",
    "HPA",
    "POD",
    "DAEMONSET",
    "DEPLOYMENT",
    "STATEFULSET",
    "KUBELET",
    "CADVISOR",
)


@dataclass(frozen=True, kw_only=True)
class AuthorizedNetwork:
    cidr: str
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """Inputs for :class:`GkeCluster`. ``project``, ``region``, ``location`` and ``node_zones``
    are required; everything else has a secure default."""

    project: str
    region: str
    location: str
    """A zone (zonal cluster) or the region (regional cluster)."""
    node_zones: list[str]
    cluster_name: str
    release_channel: str = "REGULAR"
    min_master_version: str | None = None
    """The control plane's minimum GKE version (``min_master_version``); None: the channel's
    default."""
    hpa_profile: str | None = None
    """``pod_autoscaling.hpa_profile`` (``PERFORMANCE`` for GKE's managed metrics adapter); None:
    GKE's default."""
    deletion_protection: bool = True
    system_machine_type: str = "e2-standard-4"
    system_min_nodes: int = 1
    """Total across zones."""
    system_max_nodes: int = 3
    system_disk_size_gb: int = 50
    system_disk_type: str = "pd-balanced"
    system_spot: bool = False
    """Spot VMs for the system pool (dev only: DNS and metrics pause while a node is replaced)."""
    private_nodes: bool = True
    private_endpoint: bool = False
    """Turn the public IP endpoint off (the private IP endpoint stays, for the VPC)."""
    dns_endpoint: bool = True
    """GKE's DNS-based control-plane endpoint, authorised by IAM; the kubeconfig uses it."""
    authorized_networks: list[AuthorizedNetwork] = field(default_factory=list)
    secrets_encryption: bool = True
    kms_key: str | None = None
    """Existing key for Secret encryption; one is created when None and encryption is on."""
    managed_prometheus: bool = True
    dcgm_metrics: bool = True
    maintenance_start: str = "03:00"
    maintenance_hours: int = 6
    maintenance_days: list[str] = field(default_factory=lambda: ["SA", "SU"])
    gateway_proxy_subnet: str | None = None
    """A CIDR for the region's proxy-only subnet: turns on the Gateway API (GKE Gateway
    ``gke-l7-rilb``) and admits the load balancer's proxies and health checks to the nodes."""
    gateway_backend_port: int = 8000
    """The port the load balancer reaches the pods on (NIM's OpenAI port)."""
    gcs_fuse_csi: bool = False
    """GKE's Cloud Storage FUSE CSI driver add-on (the shared model cache)."""
    image_streaming: bool = False
    """A GPU pool streams images: the node service account gets ``STREAMING_ROLE``, once for all
    pools (one IAM member per project, role and member)."""

    def __post_init__(self) -> None:
        if self.release_channel not in RELEASE_CHANNELS:
            raise ValueError(
                f"release_channel must be one of {RELEASE_CHANNELS}, got {self.release_channel!r}"
            )
        if not 0 <= self.system_min_nodes <= self.system_max_nodes:
            raise ValueError(
                "expected 0 <= system_min_nodes <= system_max_nodes, got "
                f"{self.system_min_nodes} and {self.system_max_nodes}"
            )
        if not self.node_zones:
            raise ValueError("node_zones must name at least one zone")


def secure_node_config(
    *,
    machine_type: str,
    disk_size_gb: int,
    disk_type: str,
    service_account: pulumi.Input[str],
    labels: dict[str, str],
) -> gcp.container.NodePoolNodeConfigArgsDict:
    """Node settings every pool shares: own service account, GKE metadata server, shielded VM."""
    return {
        "machine_type": machine_type,
        "disk_size_gb": disk_size_gb,
        "disk_type": disk_type,
        "service_account": service_account,
        "oauth_scopes": [CLOUD_PLATFORM_SCOPE],
        "labels": labels,
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "shielded_instance_config": {
            "enable_secure_boot": True,
            "enable_integrity_monitoring": True,
        },
        "metadata": {"disable-legacy-endpoints": "true"},
    }


def authorized_networks_config(
    args: ClusterArgs,
) -> gcp.container.ClusterMasterAuthorizedNetworksConfigArgsDict | None:
    """The authorized-networks block: sent (enabled) when networks are listed or the private
    endpoint is on, even with no network listed; else left out (authorized networks off, the
    public IP endpoint open to any address, still IAM and TLS).

    The provider sends ``enabled: true`` exactly when the block is present, and ``enabled: false``
    when it is absent ("TF doesn't have an explicit enabled field for authorized networks, it is
    assumed to be enabled based on whether the master_authorized_networks_config is present at
    all": hashicorp/terraform-provider-google@887701b5 google/services/container/
    resource_container_cluster.go, expandMasterAuthorizedNetworksConfig). GKE refuses a private
    endpoint with authorized networks disabled: "Master authorized networks must be enabled if
    private endpoint is enabled" (GoogleCloudPlatform/magic-modules#8338; rancher/rancher#32251:
    "if EnablePrivateEndpoint=true then MasterAuthorizedNetworks.Enabled is always true, but you
    don't necessarily have to add additional cidr blocks"). An empty ``cidr_blocks`` list keeps
    the block present without listing any network; people and CI use the DNS endpoint, which IAM
    authorises and this list does not govern.
    """
    if not (args.authorized_networks or args.private_endpoint):
        return None
    return {
        "cidr_blocks": [
            {"cidr_block": n.cidr, "display_name": n.name or n.cidr}
            for n in args.authorized_networks
        ]
    }


def _maintenance_end(start: str, hours: int) -> str:
    h, m = (int(x) for x in start.split(":"))
    total = h * 60 + m + hours * 60
    day = 1 + total // (24 * 60)
    rest = total % (24 * 60)
    return f"2026-01-{day:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"


class GkeCluster(pulumi.ComponentResource):
    """A hardened GKE Standard cluster with a separate autoscaling system pool."""

    subnet_id: pulumi.Output[str]
    """The nodes' subnet (the Gateway's internal address is reserved in it)."""

    cluster_name: pulumi.Output[str]
    cluster_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret: the kubeconfig for this cluster (exec auth through gke-gcloud-auth-plugin)."""
    node_service_account: pulumi.Output[str]
    """Email of the least-privilege node service account, for other pools."""
    provider: k8s.Provider
    """The Kubernetes provider every Kubernetes resource of the stack uses."""

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        network, subnet = cluster_network(
            name,
            project=args.project,
            region=args.region,
            private_nodes=args.private_nodes,
            opts=child,
        )

        # Service account ids stay reserved for a while after deletion: add a random suffix.
        suffix = random.RandomString(
            f"{name}-suffix", length=6, special=False, upper=False, opts=child
        )
        node_sa = gcp.serviceaccount.Account(
            f"{name}-nodes",
            project=args.project,
            account_id=suffix.result.apply(lambda s: f"nim-nodes-{s}"),
            display_name=f"GKE nodes of {args.cluster_name} (least privilege)",
            opts=child,
        )
        member = node_sa.email.apply(lambda e: f"serviceAccount:{e}")
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.split('/')[-1].replace('.', '-').lower()}",
                project=args.project,
                role=role,
                member=member,
                opts=child,
            )
        if args.image_streaming:
            pool_type, pool_name, old_name = LEGACY_STREAMING_GRANT
            gcp.projects.IAMMember(
                f"{name}-nodes-image-streaming",
                project=args.project,
                role=STREAMING_ROLE,
                member=member,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    aliases=[
                        pulumi.Alias(name=old_name, parent=pulumi.create_urn(pool_name, pool_type))
                    ],
                ),
            )

        key_name: pulumi.Input[str] | None = args.kms_key
        key_grant: list[pulumi.Resource] = []
        if args.secrets_encryption and key_name is None:
            ring = gcp.kms.KeyRing(
                f"{name}-keyring",
                project=args.project,
                location=args.region,
                # Key rings can never be deleted, so their names can never be reused.
                name=suffix.result.apply(lambda s: f"{args.cluster_name}-{s}"),
                opts=child,
            )
            key = gcp.kms.CryptoKey(
                f"{name}-secrets-key",
                key_ring=ring.id,
                rotation_period="7776000s",  # 90 days
                purpose="ENCRYPT_DECRYPT",
                opts=child,
            )
            project_number = gcp.organizations.get_project_output(project_id=args.project).number
            key_grant.append(
                gcp.kms.CryptoKeyIAMMember(
                    f"{name}-secrets-key-gke",
                    crypto_key_id=key.id,
                    role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                    member=project_number.apply(
                        lambda n: (
                            f"serviceAccount:service-{n}@container-engine-robot"
                            ".iam.gserviceaccount.com"
                        )
                    ),
                    opts=child,
                )
            )
            key_name = key.id

        if args.gateway_proxy_subnet:
            gateway_network(
                name,
                project=args.project,
                region=args.region,
                proxy_subnet=args.gateway_proxy_subnet,
                backend_port=args.gateway_backend_port,
                network=network,
                nodes=node_sa.email,
                opts=child,
            )

        components = [*MONITORING_COMPONENTS, *(["DCGM"] if args.dcgm_metrics else [])]
        # No master_ipv4_cidr_block: that makes a legacy VPC-peering private cluster.
        # Without it the provider sends enable_private_nodes as network_config.
        # defaultEnablePrivateNodes and enable_private_endpoint as ipEndpointsConfig.
        # enablePublicEndpoint = false (terraform-provider-google resource_container_cluster.go,
        # expandDefaultEnablePrivateNodes / expandControlPlaneEndpointsConfig): a PSC-based
        # private cluster.
        private: gcp.container.ClusterPrivateClusterConfigArgsDict = {
            "enable_private_nodes": args.private_nodes,
            "enable_private_endpoint": args.private_endpoint,
        }
        # The DNS-based endpoint is reached through Google's API front end and authorised by IAM
        # (container.clusters.connect), with no source-address list, so deployers and CI runners
        # reach the control plane without an authorized network and without a public IP
        # endpoint. The provider always sends allow_external_traffic, false when unset.
        endpoints: gcp.container.ClusterControlPlaneEndpointsConfigArgsDict = {
            "dns_endpoint_config": {"allow_external_traffic": args.dns_endpoint},
            "ip_endpoints_config": {"enabled": True},
        }
        authorized = authorized_networks_config(args)
        encryption: gcp.container.ClusterDatabaseEncryptionArgsDict = {"state": "DECRYPTED"}
        if args.secrets_encryption:
            encryption = {"state": "ENCRYPTED", "key_name": key_name}
        cluster = gcp.container.Cluster(
            f"{name}-gke",
            project=args.project,
            name=args.cluster_name,
            location=args.location,
            node_locations=[z for z in args.node_zones if z != args.location] or None,
            network=network.id,
            subnetwork=subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy={
                "cluster_secondary_range_name": "pods",
                "services_secondary_range_name": "services",
            },
            # No node_config and no node_pool on the cluster: node settings live on the pools.
            # Once the default pool is removed GKE stops returning the cluster's nodeConfig, the
            # provider reads it back empty and, node_config being ForceNew, the next `pulumi up`
            # would replace the cluster (terraform-provider-google node_config.go
            # schemaNodeConfig ForceNew, resource_container_cluster.go reads cluster.NodeConfig;
            # pulumi/pulumi-gcp#744, pulumi/pulumi-gcp#2247). The transient default pool
            # therefore runs as the Compute Engine default service account for the minute it
            # exists, which must not be deleted or disabled
            # (hashicorp/terraform-provider-google#4435; docs/deploying.md).
            remove_default_node_pool=True,
            initial_node_count=1,
            release_channel={"channel": args.release_channel},
            # A minimum, not a pin: GKE upgrades the control plane past it within the channel, and
            # node pools without a version of their own follow it by auto-upgrade (pulumi-gcp 9
            # container.Cluster min_master_version: "GKE will auto-update the master to new
            # versions, so this does not guarantee the current master version").
            min_master_version=args.min_master_version,
            # The HPA profile GKE's managed metrics adapter needs (pulumi-gcp 9
            # ClusterPodAutoscalingArgs.hpa_profile: NONE or PERFORMANCE, "faster metrics
            # collection for workload autoscaling"; cloud.google.com/kubernetes-engine/docs/how-to/
            # autoscale-using-metrics).
            pod_autoscaling=(
                {"hpa_profile": args.hpa_profile} if args.hpa_profile is not None else None
            ),
            workload_identity_config={"workload_pool": f"{args.project}.svc.id.goog"},
            datapath_provider="ADVANCED_DATAPATH",
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            master_auth={"client_certificate_config": {"issue_client_certificate": False}},
            private_cluster_config=private,
            control_plane_endpoints_config=endpoints,
            master_authorized_networks_config=authorized,
            database_encryption=encryption,
            maintenance_policy={
                "recurring_window": {
                    "start_time": f"2026-01-01T{args.maintenance_start}:00Z",
                    "end_time": _maintenance_end(args.maintenance_start, args.maintenance_hours),
                    "recurrence": f"FREQ=WEEKLY;BYDAY={','.join(args.maintenance_days)}",
                }
            },
            monitoring_config={
                "enable_components": components,
                "managed_prometheus": {"enabled": args.managed_prometheus},
            },
            logging_config={"enable_components": ["SYSTEM_COMPONENTS", "WORKLOADS"]},
            # HttpLoadBalancing (GKE's default, stated) runs the load balancer controllers the
            # Gateway needs (cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways,
            # "GKE Gateway controller requirements").
            addons_config={
                "gce_persistent_disk_csi_driver_config": {"enabled": True},
                "http_load_balancing": {"disabled": False},
                **({"gcs_fuse_csi_driver_config": {"enabled": True}} if args.gcs_fuse_csi else {}),
            },
            # The Gateway API CRDs and GKE's GatewayClasses (gke-l7-rilb); VPC-native above.
            gateway_api_config=(
                {"channel": "CHANNEL_STANDARD"} if args.gateway_proxy_subnet else None
            ),
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=key_grant,
                # Only used at creation; read back from the deprecated cluster.initialNodeCount
                # and ForceNew (terraform-provider-google resource_container_cluster.go), so a
                # changed read-back must never replace the cluster (terraform-google-kubernetes-
                # engine's cluster.tf ignores it the same way).
                ignore_changes=["initialNodeCount"],
            ),
        )

        system_pool = gcp.container.NodePool(
            f"{name}-system",
            project=args.project,
            cluster=cluster.id,
            location=args.location,
            node_locations=args.node_zones,
            initial_node_count=max(1, -(-args.system_min_nodes // len(args.node_zones))),
            autoscaling={
                "total_min_node_count": args.system_min_nodes,
                "total_max_node_count": args.system_max_nodes,
                "location_policy": "BALANCED",
            },
            management={"auto_repair": True, "auto_upgrade": True},
            node_config={
                **secure_node_config(
                    machine_type=args.system_machine_type,
                    disk_size_gb=args.system_disk_size_gb,
                    disk_type=args.system_disk_type,
                    service_account=node_sa.email,
                    labels=SYSTEM_POOL_LABEL,
                ),
                "spot": args.system_spot,
            },
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=POOL_IGNORE_CHANGES),
        )

        self.cluster_name = cluster.name
        self.cluster_id = cluster.id
        self.node_service_account = node_sa.email
        self.subnet_id = subnet.id

        self.kubeconfig = cluster_kubeconfig(cluster, dns_endpoint=args.dns_endpoint)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_pool]),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_id": self.cluster_id,
                "kubeconfig": self.kubeconfig,
                "node_service_account": self.node_service_account,
            }
        )
