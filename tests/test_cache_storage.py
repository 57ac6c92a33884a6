"""Contract tests of the regional model-cache StorageClass (a regional persistent disk attaches
only to E2, N1, N2 and N2D VMs:
cloud.google.com/compute/docs/disks/about-regional-persistent-disk)."""

from __future__ import annotations

import pytest

from components.cache_storage import CacheStorage, CacheStorageArgs
from tests.conftest import resolve, unwrap

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def test_regional_pd_in_exactly_the_gpu_zones(mocks):
    args = CacheStorageArgs(
        name="nim-cache-regional-pd-ssd",
        disk_type="pd-ssd",
        zones=["us-central1-a", "us-central1-c"],
    )
    out = resolve(lambda: CacheStorage("cache", args).storage_class_name)
    assert out == "nim-cache-regional-pd-ssd"
    sc = unwrap(mocks.one(STORAGE_CLASS).inputs)
    # GKE docs, "Provisioning regional persistent disks": the PD CSI driver makes a regional disk
    # for replication-type regional-pd, replicated in the two zones allowedTopologies names.
    assert sc["provisioner"] == "pd.csi.storage.gke.io"
    assert sc["parameters"] == {"type": "pd-ssd", "replication-type": "regional-pd"}
    assert sc["allowedTopologies"] == [
        {
            "matchLabelExpressions": [
                {"key": "topology.gke.io/zone", "values": ["us-central1-a", "us-central1-c"]}
            ]
        }
    ]
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["reclaimPolicy"] == "Delete"
    assert sc["allowVolumeExpansion"] is True
    (urn,) = [u for u in mocks.urns() if u.endswith("::cache-class")]
    assert "nim-gke:k8s:CacheStorage$kubernetes:storage.k8s.io/v1:StorageClass" in urn


@pytest.mark.parametrize(
    "zones", [["us-central1-a"], ["us-central1-a", "us-central1-a"], ["a", "b", "c"]]
)
def test_a_regional_disk_needs_exactly_two_zones(zones):
    with pytest.raises(ValueError, match="a regional disk spans exactly two zones"):
        CacheStorageArgs(name="x", disk_type="pd-ssd", zones=zones)
