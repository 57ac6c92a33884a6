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


def build(mocks, **overrides):
    args = {
        "project": "my-project",
        "region": "us-central1",
        "project_number": "123456789012",
        "namespace": "nim",
        "bucket_prefix": "nim-dev-model-cache",
        "volumes": [
            CacheVolume(release="llama3-8b", size="50Gi"),
            CacheVolume(release="llama-3-2-1b", size="20Gi"),
        ],
    }
    cache = SharedModelCache("model-cache", SharedModelCacheArgs(**(args | overrides)))
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


def test_the_pods_that_mount_the_bucket_may_reach_the_gke_metadata_server(mocks):
    """From GKE 1.34.1-gke.3899001 the Cloud Storage FUSE sidecar checks bucket access before it
    mounts, reading the project from the GKE metadata server
    (GoogleCloudPlatform/gcs-fuse-csi-driver@5fcdc04a pkg/sidecar_mounter/sidecar_mounter.go,
    metadata.ProjectIDWithContext); under a default-deny egress policy the mount fails with
    "dial tcp 169.254.169.254:80: i/o timeout"
    (gcs-fuse-csi-driver@5fcdc04a:docs/troubleshooting.md, "Metadata Server Readiness"). The
    metadata server is 169.254.169.254:80 under Dataplane V2 and 169.254.169.252:988 under the
    Calico dataplane (GKE's Workload Identity page, network policy limitation). Only the pods
    that mount a claim are selected: the releases' pods, by the chart's name label (every
    release mounts one with the shared cache on)."""
    build(mocks)
    (policy,) = mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert policy.inputs["metadata"] == {
        "name": "nim-model-cache-metadata-egress",
        "namespace": "nim",
        "labels": {"app.kubernetes.io/part-of": "nim-gke"},
    }
    assert policy.inputs["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "nim-llm"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}],
                "ports": [{"protocol": "TCP", "port": 80}],
            },
            {
                "to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}],
                "ports": [{"protocol": "TCP", "port": 988}],
            },
        ],
    }


def test_no_metadata_policy_without_namespace_policies(mocks):
    build(mocks, network_policy=False)
    assert mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []


def test_the_bucket_is_kept_on_destroy(mocks):
    """Teardown: `pulumi destroy` forgets the bucket instead of deleting it (Pulumi's
    retain_on_delete resource option), so the destroy does not fail on a bucket that holds a model
    (pulumi-gcp 9.37 storage.Bucket force_destroy: "Otherwise, buckets with objects/caches will
    fail") and the model is not lost. docs/deploying.md, "Tear down", says to delete it by hand."""
    build(mocks)
    assert mocks.options["model-cache-bucket"]["retainOnDelete"] is True
    assert mocks.one("gcp:storage/bucket:Bucket").inputs["forceDestroy"] is False
    # Nothing else of the stack is retained.
    assert [n for n, o in mocks.options.items() if o["retainOnDelete"]] == ["model-cache-bucket"]
