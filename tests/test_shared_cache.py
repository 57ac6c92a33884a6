"""Contract tests of the shared model cache: a bucket in the region, trusted only by the NIM pods'
Kubernetes service account, mounted through the Cloud Storage FUSE CSI driver by one
ReadWriteMany claim per release."""

from __future__ import annotations

from components.shared_cache import CacheVolume, SharedModelCache, SharedModelCacheArgs
from tests.conftest import resolve

PRINCIPAL = (
    "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
    "my-project.svc.id.goog/subject/ns/nim/sa/nim-model-cache"
)


def build(mocks):
    cache = SharedModelCache(
        "model-cache",
        SharedModelCacheArgs(
            project="my-project",
            region="us-central1",
            project_number="123456789012",
            namespace="nim",
            bucket_prefix="nim-dev-model-cache",
            volumes=[
                CacheVolume(release="llama3-8b", size="50Gi"),
                CacheVolume(release="llama-3-2-1b", size="20Gi"),
            ],
        ),
    )
    return resolve(lambda: {"bucket": cache.bucket_name, "claims": cache.claims})


def test_a_private_regional_bucket(mocks):
    out = build(mocks)
    bucket = mocks.one("gcp:storage/bucket:Bucket").inputs
    assert bucket == {
        "project": "my-project",
        "name": "nim-dev-model-cache-x7k2qp",
        "location": "US-CENTRAL1",
        "storageClass": "STANDARD",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "forceDestroy": False,
        "labels": {"part-of": "nim-gke"},
    }
    assert out["bucket"] == "nim-dev-model-cache-x7k2qp"


def test_only_the_nim_service_account_may_use_the_bucket(mocks):
    build(mocks)
    (grant,) = mocks.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert grant.inputs == {
        "bucket": "nim-dev-model-cache-x7k2qp",
        "role": "roles/storage.objectUser",
        "member": PRINCIPAL,
    }
    assert mocks.of_type("gcp:projects/iAMMember:IAMMember") == []
    ksa = mocks.one("kubernetes:core/v1:ServiceAccount").inputs
    assert ksa["metadata"] == {
        "name": "nim-model-cache",
        "namespace": "nim",
        "labels": {"app.kubernetes.io/part-of": "nim-gke"},
    }


def test_one_static_gcsfuse_volume_and_claim_per_release(mocks):
    out = build(mocks)
    assert out["claims"] == {
        "llama3-8b": "llama3-8b-model-cache",
        "llama-3-2-1b": "llama-3-2-1b-model-cache",
    }
    pvs = {
        r.inputs["metadata"]["name"]: r.inputs
        for r in mocks.of_type("kubernetes:core/v1:PersistentVolume")
    }
    pv = pvs["nim-gke-llama3-8b-model-cache"]
    assert pv["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "capacity": {"storage": "50Gi"},
        "storageClassName": "nim-gcsfuse",
        "persistentVolumeReclaimPolicy": "Retain",
        "mountOptions": ["implicit-dirs", "only-dir=llama3-8b"],
        "csi": {
            "driver": "gcsfuse.csi.storage.gke.io",
            "volumeHandle": "nim-dev-model-cache-x7k2qp",
        },
        "claimRef": {"namespace": "nim", "name": "llama3-8b-model-cache"},
    }
    claims = {
        r.inputs["metadata"]["name"]: r.inputs
        for r in mocks.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    }
    assert claims["llama-3-2-1b-model-cache"]["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "nim-gcsfuse",
        "volumeName": "nim-gke-llama-3-2-1b-model-cache",
        "resources": {"requests": {"storage": "20Gi"}},
    }
