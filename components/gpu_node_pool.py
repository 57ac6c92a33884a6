"""An autoscaling GPU node pool that can scale to zero, with the NVIDIA driver installed by GKE."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.cluster import POOL_IGNORE_CHANGES, secure_node_config
from nimgke import compute_class
from nimgke.observability import node_pool_prefix
from nimgke.shape import PoolShape

TYPE = "nim-gke:gke:GpuNodePool"
# Values GKE accepts for gpuDriverInstallationConfig.gpuDriverVersion. Through the API an unset
# version means no driver at all (google.container.v1 GPUDriverInstallationConfig:
# GPU_DRIVER_VERSION_UNSPECIFIED "Default value is to not install any GPU driver"), so one of
# the installing values is required.
GPU_DRIVER_VERSIONS = ("DEFAULT", "LATEST")
NODE_POOL_LABEL = "cloud.google.com/gke-nodepool"
ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
POOL_ROLE_LABEL = "nim-gke/pool"
# A secondary boot disk used as a container image cache (GKE API SecondaryBootDisk.Mode).
IMAGE_CACHE_MODE = "CONTAINER_IMAGE_CACHE"
# A node taint's effect as the GKE API spells it (NodeTaint.Effect: NO_SCHEDULE; pulumi-gcp 9
# NodePoolNodeConfigTaintArgs), which kubectl shows as NoSchedule.
NO_SCHEDULE = "NO_SCHEDULE"
# A specific reservation by name (pulumi-gcp 9 NodePoolNodeConfigReservationAffinityArgs: "To
# target a SPECIFIC_RESERVATION by name, specify compute.googleapis.com/reservation-name as the
# key and specify the name of your reservation as its value").
SPECIFIC_RESERVATION = "SPECIFIC_RESERVATION"
RESERVATION_NAME_KEY = "compute.googleapis.com/reservation-name"
# How GKE replaces the nodes on an upgrade, or on a change that recreates them (machine type, boot
# disk): a surge upgrade, one node at a time, a new node created before the old one is drained
# (GKE docs, "Node pool upgrade strategies": surge is the default strategy; maxSurge nodes are
# added, maxUnavailable taken away at once; a drain honours PodDisruptionBudgets for up to one
# hour, node_drain_config.pdb_timeout_duration). It needs quota for one more GPU node, where a
# blue-green upgrade creates a second set of every node of the pool for the whole upgrade and soak
# (GKE docs, "Ensure resources for node upgrades"): twice the L4 quota, scarce. A version still
# loses a pod on every drained node: keeping the model served needs a second replica (its
# PodDisruptionBudget lets a drain take one at a time: components/nim_release.py).
UPGRADE_SETTINGS: gcp.container.NodePoolUpgradeSettingsArgsDict = {
    "strategy": "SURGE",
    "max_surge": 1,
    "max_unavailable": 0,
}


@dataclass(frozen=True, kw_only=True)
class GpuNodePoolArgs:
    """Inputs for :class:`GpuNodePool`. The pool's own settings have no defaults here: the stack
    passes every one from its shape (:meth:`from_shape`), whose defaults are the config's
    (``nimgke.config.settings.GpuPoolSettings``), so there is one place for them."""

    project: str
    cluster: pulumi.Input[str]
    """The cluster to attach to, e.g. ``cluster.cluster_id``."""
    location: str
    """Location of the cluster (zone or region)."""
    node_zones: list[str]
    service_account: pulumi.Input[str]
    machine_type: str
    accelerator_type: str
    accelerator_count: int
    total_min_nodes: int
    """Lower bound across all zones (``total_min_node_count``); 0 allows scale to zero."""
    total_max_nodes: int
    spot: bool
    gpu_driver_version: str
    disk_size_gb: int
    disk_type: str
    image_streaming: bool
    """GKE image streaming (``gcfs_config``): eligible images (Artifact Registry, incl. remote
    repositories) are streamed instead of pulled whole. The node service account's role for it is
    granted once, by the cluster (``ClusterArgs.image_streaming``), not per pool."""
    image_cache_disk: str | None = None
    """A disk image (``global/images/NAME``) with the NIM image preloaded, attached to each node as
    a secondary boot disk; needs ``image_streaming``."""
    compute_class: str | None = None
    """The ComputeClass the pool serves: its nodes carry the class's label and NoSchedule taint
    (:mod:`nimgke.compute_class`), so only pods that select the class run there."""
    reservation: str | None = None
    """A specific reservation the nodes consume (``NAME`` or ``projects/P/reservations/NAME``)."""

    @classmethod
    def from_shape(
        cls,
        pool: PoolShape,
        *,
        project: str,
        cluster: pulumi.Input[str],
        location: str,
        service_account: pulumi.Input[str],
    ) -> GpuNodePoolArgs:
        """The arguments of one GPU pool of the stack's shape (:func:`nimgke.shape.stack_shape`),
        attached to ``cluster``."""
        return cls(
            project=project,
            cluster=cluster,
            location=location,
            node_zones=list(pool.zones),
            service_account=service_account,
            machine_type=pool.machine_type,
            accelerator_type=pool.gpu_type,
            accelerator_count=pool.gpu_count,
            total_min_nodes=pool.min_nodes,
            total_max_nodes=pool.max_nodes,
            spot=pool.spot,
            gpu_driver_version=pool.driver_version,
            disk_size_gb=pool.disk_size_gb,
            disk_type=pool.disk_type,
            image_streaming=pool.image_streaming,
            image_cache_disk=pool.image_cache_disk,
            compute_class=pool.compute_class,
            reservation=pool.reservation,
        )

    def __post_init__(self) -> None:
        if self.accelerator_count < 1:
            raise ValueError(f"accelerator_count must be >= 1, got {self.accelerator_count}")
        if not 0 <= self.total_min_nodes <= self.total_max_nodes:
            raise ValueError(
                "expected 0 <= total_min_nodes <= total_max_nodes, got "
                f"{self.total_min_nodes} and {self.total_max_nodes}"
            )
        if self.gpu_driver_version not in GPU_DRIVER_VERSIONS:
            raise ValueError(
                f"gpu_driver_version must be one of {GPU_DRIVER_VERSIONS}, "
                f"got {self.gpu_driver_version!r}"
            )
        if not self.node_zones:
            raise ValueError("node_zones must name at least one zone")
        if self.image_cache_disk and not self.image_streaming:
            # pulumi-gcp 9: "`gcfs_config` must be `enabled=true` for this feature to work".
            raise ValueError("image_cache_disk needs image_streaming")
        if self.reservation and self.spot:
            raise ValueError("a Spot pool cannot consume a reservation")


class GpuNodePool(pulumi.ComponentResource):
    """A GKE node pool of GPU machines with cluster-autoscaler bounds totalled across zones."""

    node_pool_name: pulumi.Output[str]
    node_selector: pulumi.Output[dict[str, str]]
    """A pod ``nodeSelector`` that pins a workload to this pool (and its GPU type)."""
    gpus_per_node: int

    def __init__(
        self, name: str, args: GpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        zones = len(args.node_zones)
        cc = args.compute_class
        class_label = compute_class.node_selector(cc) if cc else {}
        node_config: gcp.container.NodePoolNodeConfigArgsDict = {
            **secure_node_config(
                machine_type=args.machine_type,
                disk_size_gb=args.disk_size_gb,
                disk_type=args.disk_type,
                service_account=args.service_account,
                labels={POOL_ROLE_LABEL: "gpu", **class_label},
            ),
            "spot": args.spot,
            # GKE taints these nodes nvidia.com/gpu=present:NoSchedule itself
            # (cloud.google.com/kubernetes-engine/docs/how-to/gpus).
            "guest_accelerators": [
                {
                    "type": args.accelerator_type,
                    "count": args.accelerator_count,
                    "gpu_driver_installation_config": {
                        "gpu_driver_version": args.gpu_driver_version
                    },
                }
            ],
        }
        if args.image_streaming:
            node_config["gcfs_config"] = {"enabled": True}
        if args.image_cache_disk:
            node_config["secondary_boot_disks"] = [
                {"disk_image": args.image_cache_disk, "mode": IMAGE_CACHE_MODE}
            ]
        if cc:
            # The label and the taint together tie a pool to a ComputeClass (GKE, "Configure
            # manually-created node pools for ComputeClass use"); GKE adds its own GPU taint.
            node_config["taints"] = [
                {"key": compute_class.LABEL, "value": cc, "effect": NO_SCHEDULE}
            ]
        if args.reservation:
            node_config["reservation_affinity"] = {
                "consume_reservation_type": SPECIFIC_RESERVATION,
                "key": RESERVATION_NAME_KEY,
                "values": [args.reservation],
            }
        pool = gcp.container.NodePool(
            # Its GKE name, <name>-pool-<random>, is in every node's name: the dashboard and the
            # alerts count a pool's nodes by it (nimgke/observability.py).
            node_pool_prefix(name),
            project=args.project,
            cluster=args.cluster,
            location=args.location,
            node_locations=args.node_zones,
            # initial_node_count is per zone (terraform-provider-google docs,
            # container_node_pool): round down, so the pool never starts more nodes than the
            # total minimum. A remainder is brought up by the first pod that needs it.
            initial_node_count=args.total_min_nodes // zones,
            autoscaling={
                "total_min_node_count": args.total_min_nodes,
                "total_max_node_count": args.total_max_nodes,
                # ANY: take GPUs from whichever zone has them (better obtainability, esp. Spot).
                "location_policy": "ANY",
            },
            management={"auto_repair": True, "auto_upgrade": True},
            upgrade_settings=UPGRADE_SETTINGS,
            node_config=node_config,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=POOL_IGNORE_CHANGES),
        )
        self.gpus_per_node = args.accelerator_count
        self.node_pool_name = pool.name
        self.node_selector = pool.name.apply(
            lambda n: {NODE_POOL_LABEL: n, ACCELERATOR_LABEL: args.accelerator_type}
        )
        self.register_outputs(
            {"node_pool_name": self.node_pool_name, "node_selector": self.node_selector}
        )
