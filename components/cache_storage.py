"""A regional-disk StorageClass for the model cache, so the NIM pod can run in every GPU zone.

A PVC on GKE's built-in ``standard-rwo``/``premium-rwo`` is a zonal persistent disk: after its
first bind the pod can only be scheduled in that zone
(cloud.google.com/kubernetes-engine/docs/concepts/persistent-volumes), so a GPU pool over two zones
would leave a warm node in the other zone unusable for it. A regional persistent disk keeps a
replica in each of two zones and attaches in either (GKE docs, "Provisioning regional persistent
disks": ``replication-type: regional-pd`` with ``allowedTopologies`` naming the two zones).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

TYPE = "nim-gke:k8s:CacheStorage"
PD_CSI_PROVISIONER = "pd.csi.storage.gke.io"
# The zone label the PD CSI driver reports on its topology (kubernetes-sigs/
# gcp-compute-persistent-disk-csi-driver, pkg/common/constants.go TopologyKeyZone).
ZONE_TOPOLOGY_KEY = "topology.gke.io/zone"


@dataclass(frozen=True, kw_only=True)
class CacheStorageArgs:
    name: str
    """StorageClass name, e.g. ``nim-cache-regional-pd-ssd``."""
    disk_type: str
    """``pd-balanced``, ``pd-ssd`` or ``pd-standard``."""
    zones: list[str]
    """The two zones the disk replicates across: the GPU pool's zones."""

    def __post_init__(self) -> None:
        if len(self.zones) != 2 or len(set(self.zones)) != 2:
            raise ValueError(f"a regional disk spans exactly two zones, got {self.zones}")


class CacheStorage(pulumi.ComponentResource):
    storage_class_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CacheStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        sc = k8s.storage.v1.StorageClass(
            f"{name}-class",
            metadata={"name": args.name, "labels": {"app.kubernetes.io/part-of": "nim-gke"}},
            provisioner=PD_CSI_PROVISIONER,
            parameters={"type": args.disk_type, "replication-type": "regional-pd"},
            # Provision in the zone the pod is scheduled to first (GKE docs use it for regional
            # disks too), and only in the GPU pool's zones.
            volume_binding_mode="WaitForFirstConsumer",
            allowed_topologies=[
                {
                    "match_label_expressions": [
                        {"key": ZONE_TOPOLOGY_KEY, "values": list(args.zones)}
                    ]
                }
            ],
            allow_volume_expansion=True,
            # The chart's PVCs outlive a release (Retain on the StatefulSet); deleting a PVC then
            # deletes its disk, so nothing keeps billing unnoticed.
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.storage_class_name = sc.metadata.name
        self.register_outputs({"storage_class_name": self.storage_class_name})
