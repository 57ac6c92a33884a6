"""One model cache every replica of a model shares: a Cloud Storage bucket mounted through GKE's
Cloud Storage FUSE CSI driver, so the second replica (or the HPA's next one) finds the model
instead of downloading it from NGC again.

The pattern is NVIDIA's own GKE deployment (NVIDIA/nim-deploy
``cloud-service-providers/google-cloud/gke/infra/3-config``: a bucket, a Kubernetes service
account granted ``roles/storage.objectUser`` on it as a Workload Identity Federation principal,
a statically provisioned PersistentVolume with ``csi.driver: gcsfuse.csi.storage.gke.io``,
``volumeHandle: <bucket>`` and the ``implicit-dirs`` mount option, used as the chart's
``persistence.existingClaim``). What it relies on, with sources:

- The principal ``principal://iam.googleapis.com/projects/<number>/locations/global/
  workloadIdentityPools/<project>.svc.id.goog/subject/ns/<ns>/sa/<ksa>`` (nim-deploy's main.tf
  bucket binding): no Google service account, no key.
- The CSI driver exchanges the pod's Kubernetes service account token at the Security Token
  Service (GoogleCloudPlatform/gcs-fuse-csi-driver ``pkg/cloud_provider/auth/token_sources.go``,
  ``GCPTokenSource.Token``), and the sidecar reads ``storage.googleapis.com``: both HTTPS, which the
  namespace's egress policy already allows. The sidecar also calls the GKE metadata server: from
  GKE 1.34.1-gke.3899001 it checks bucket access before mounting and reads the project from
  ``http://169.254.169.254/computeMetadata/v1/project/project-id`` (gcs-fuse-csi-driver@5fcdc04a
  ``pkg/sidecar_mounter/sidecar_mounter.go``, ``metadata.ProjectIDWithContext``); blocked, the
  mount fails ("dial tcp 169.254.169.254:80: i/o timeout",
  gcs-fuse-csi-driver@5fcdc04a:docs/troubleshooting.md, "Metadata Server Readiness"). So with
  NetworkPolicies on, the pods that mount the bucket (the releases' pods, by the chart's name
  label: :func:`mounting_pods`) may reach the metadata server
  (:func:`components.network_policies.metadata_server_egress`); every other pod may not.
- The sidecar the driver injects into pods annotated ``gke-gcsfuse/volumes: "true"`` "follows
  Restricted Pod Security Standard" (``pkg/webhook/sidecar_spec.go``: non-root 65534, no
  privilege escalation, all capabilities dropped, RuntimeDefault seccomp, read-only root), so the
  namespace stays ``restricted``.
- ``only-dir=<release>`` mounts one directory of the bucket per release (gcsfuse ``--only-dir``),
  so models do not see each other's files.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.network_policies import metadata_server_egress

TYPE = "nim-gke:cache:SharedModelCache"
CSI_DRIVER = "gcsfuse.csi.storage.gke.io"
STORAGE_CLASS = "nim-gcsfuse"
"""A class name only for static binding of the PV to its claim (no provisioner uses it)."""
SERVICE_ACCOUNT = "nim-model-cache"
BUCKET_ROLE = "roles/storage.objectUser"
"""Read and write objects: the first replica writes the model, the others read it."""
PART_OF = {"app.kubernetes.io/part-of": "nim-gke"}
METADATA_POLICY = "nim-model-cache-metadata-egress"
# The labels the nim-llm chart puts on a release's pods (selects by them, never by name).
CHART_NAME_LABEL = ("app.kubernetes.io/name", "nim-llm")


def claim_name(release: str) -> str:
    return f"{release}-model-cache"


def volume_name(release: str) -> str:
    """PersistentVolumes are cluster-scoped: prefixed so they are recognisably this stack's."""
    return f"nim-gke-{claim_name(release)}"


def workload_principal(project: str, project_number: str, namespace: str, ksa: str) -> str:
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/"
        f"workloadIdentityPools/{project}.svc.id.goog/subject/ns/{namespace}/sa/{ksa}"
    )


def principal_service_account(
    name: str,
    metadata: k8s.meta.v1.ObjectMetaArgsDict,
    project: str,
    project_number: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> tuple[k8s.core.v1.ServiceAccount, pulumi.Output[str]]:
    """A Kubernetes service account and its principal, the IAM member a role is granted to."""
    ksa = k8s.core.v1.ServiceAccount(name, metadata=metadata, opts=opts)
    member = pulumi.Output.all(project_number, ksa.metadata.namespace, ksa.metadata.name).apply(
        lambda v: workload_principal(project, str(v[0]), str(v[1]), str(v[2]))
    )
    return ksa, member


@dataclass(frozen=True, kw_only=True)
class CacheVolume:
    release: str
    size: str
    """The claim's size (``models[].cacheSize``): informational for a bucket."""


@dataclass(frozen=True, kw_only=True)
class SharedModelCacheArgs:
    project: str
    region: str
    project_number: pulumi.Input[str]
    namespace: pulumi.Input[str]
    bucket_prefix: str
    """The bucket is ``<prefix>-<random suffix>`` (bucket names are global)."""
    volumes: list[CacheVolume]
    network_policy: bool = True
    """The namespace denies egress by default (``security.networkPolicies``): let the pods that
    mount the bucket reach the GKE metadata server."""


def mounting_pods() -> k8s.meta.v1.LabelSelectorArgsDict:
    """A pod selector for the pods that mount the bucket: with the shared cache every release of
    the namespace mounts a claim of it, and only the chart's pods carry its name label (the
    releases' ``app.kubernetes.io/name: nim-llm``). By that label rather than by release, so adding
    or removing a version leaves this policy as it is."""
    key, value = CHART_NAME_LABEL
    return {"match_labels": {key: value}}


class SharedModelCache(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    service_account_name: str
    claims: dict[str, str]
    """release -> the PersistentVolumeClaim its chart mounts as ``persistence.existingClaim``."""

    def __init__(
        self, name: str, args: SharedModelCacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        suffix = random.RandomString(
            f"{name}-suffix", length=6, special=False, upper=False, opts=child
        )
        bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            project=args.project,
            name=suffix.result.apply(lambda s: f"{args.bucket_prefix}-{s}"),
            # In the GPU nodes' region: reads stay in the region.
            location=args.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            # Kept on `pulumi destroy` (and on a replacement), with the models in it: Pulumi
            # forgets it instead of deleting it. A delete would fail anyway once the first model
            # is written (pulumi-gcp 9.37 storage.Bucket force_destroy: "When true, before deleting
            # a bucket, delete all objects within the bucket ... Otherwise, buckets with
            # objects/caches will fail"); retain_on_delete is Pulumi's resource option for "keep
            # it" (docs/deploying.md, "Tear down").
            force_destroy=False,
            labels={"part-of": "nim-gke"},
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        _, member = principal_service_account(
            f"{name}-sa",
            {"name": SERVICE_ACCOUNT, "namespace": args.namespace, "labels": PART_OF},
            args.project,
            args.project_number,
            child,
        )
        gcp.storage.BucketIAMMember(
            f"{name}-reader", bucket=bucket.name, role=BUCKET_ROLE, member=member, opts=child
        )
        self.claims = {}
        for vol in args.volumes:
            claim = claim_name(vol.release)
            pv = k8s.core.v1.PersistentVolume(
                f"{name}-{vol.release}-volume",
                metadata={"name": volume_name(vol.release), "labels": PART_OF},
                spec={
                    "access_modes": ["ReadWriteMany"],
                    "capacity": {"storage": vol.size},
                    "storage_class_name": STORAGE_CLASS,
                    "persistent_volume_reclaim_policy": "Retain",
                    "mount_options": ["implicit-dirs", f"only-dir={vol.release}"],
                    "csi": {"driver": CSI_DRIVER, "volume_handle": bucket.name},
                    "claim_ref": {"namespace": args.namespace, "name": claim},
                },
                opts=child,
            )
            k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{vol.release}-claim",
                metadata={"name": claim, "namespace": args.namespace, "labels": PART_OF},
                spec={
                    "access_modes": ["ReadWriteMany"],
                    "storage_class_name": STORAGE_CLASS,
                    "volume_name": pv.metadata.name,
                    "resources": {"requests": {"storage": vol.size}},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[pv]),
            )
            self.claims[vol.release] = claim
        if args.network_policy and args.volumes:
            egress: k8s.networking.v1.NetworkPolicySpecArgsDict = {
                "pod_selector": mounting_pods(),
                "policy_types": ["Egress"],
                "egress": metadata_server_egress(),
            }
            k8s.networking.v1.NetworkPolicy(
                f"{name}-metadata-egress",
                metadata={"name": METADATA_POLICY, "namespace": args.namespace, "labels": PART_OF},
                spec=egress,
                opts=child,
            )
        self.bucket_name = bucket.name
        self.service_account_name = SERVICE_ACCOUNT
        self.register_outputs({"bucket_name": self.bucket_name})
