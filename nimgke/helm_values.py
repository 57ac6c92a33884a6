"""Values for the ``nim-llm`` Helm chart, built as plain data so they can be tested without Helm.

Every key here is one the chart reads (the nim-llm chart's ``values.yaml`` and templates, NGC
chart 1.3.0); the ones tutorials get wrong:

- the API key is read from key ``NGC_API_KEY`` of the Secret named by ``model.ngcAPISecret``;
- probes are the chart's scalar ``*.path``/``*.failureThreshold`` settings, not ``httpGet`` blocks;
- the startup budget is at least the chart's 40 s + 180 x 10 s, for download and engine build;
- ``model.ngcAPIKey`` is never set: it would put the key into Helm values (and state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nimgke import compute_class as cc

OPENAI_PORT = 8000
LIVE_PATH = "/v1/health/live"
READY_PATH = "/v1/health/ready"
METRICS_PATH = "/v1/metrics"
NIM_UID = 1000
# The chart's own startup budget (nim-llm 1.1.2 values.yaml): 40 s + 180 x 10 s, about 30 min.
STARTUP_INITIAL_DELAY_S = 40
STARTUP_PERIOD_S = 10
STARTUP_FAILURE_THRESHOLD = 180
FIRST_START_ALLOWANCE_S = 3600
"""How long a new NIM pod may take to turn Ready on a cold start: the startup budget above plus a
GPU node's scale-up and driver install (up to 15 min: kubernetes/autoscaler dd5b0f5c, "it can take
up to 15 minutes before it reports that GPU is allocatable") and the image pull (10+ GB; the
Artifact Registry mirror fetches a new tag from nvcr.io on its first pull). Helm waits this long
for a release behind the Gateway; the not-ready alert lets a pod stay Pending this long."""
TERMINATION_GRACE_PERIOD_S = 60
"""The pod's terminationGracePeriodSeconds: fixed at 60 in the nim-llm 1.3.0 templates
(templates/deployment.yaml, not a value), so a NIM pod told to stop (scale-in, a removed version)
is killed 60 s later whatever is still streaming."""
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
SPOT_TOLERATION = {
    "key": "cloud.google.com/gke-spot",
    "operator": "Equal",
    "value": "true",
    "effect": "NoSchedule",
}
NVCR = "nvcr.io"


def image_repository(image: str, registry: str | None) -> str:
    """The repository the pod pulls: ``image`` with ``nvcr.io`` replaced by the Artifact Registry
    remote repository in front of it (``components/image_mirror.py``), which keeps nvcr.io's path:
    ``nvcr.io/nim/meta/x`` -> ``<region>-docker.pkg.dev/<project>/<repo>/nim/meta/x``. Images on
    other registries are pulled as they are."""
    if registry and image.startswith(f"{NVCR}/"):
        return f"{registry.rstrip('/')}/{image.removeprefix(f'{NVCR}/')}"
    return image


@dataclass(frozen=True, kw_only=True)
class ReleaseValues:
    """What one NIM release needs from the rest of the stack (all plain values)."""

    model_name: str
    image: str
    tag: str
    pull_secret: str
    api_secret: str
    gpu_count: int
    cpu: str
    memory: str
    node_selector: dict[str, str]
    cache_size: str
    storage_class: str
    replicas: int = 1
    service_type: str = "ClusterIP"
    profile: str | None = None
    spot: bool = False
    """Some node the pods may land on is Spot: tolerate Spot nodes."""
    compute_class: str | None = None
    """The ComputeClass the pods select (``node_selector``): tolerate the taint of its nodes."""
    restricted: bool = True
    """Set security contexts that pass the ``restricted`` Pod Security Standard."""
    autoscaling: dict[str, Any] | None = None
    """The chart's ``autoscaling`` values (:func:`nimgke.autoscaling.chart_autoscaling`); None
    renders no HPA."""
    registry: str | None = None
    """The nvcr.io mirror (``<region>-docker.pkg.dev/<project>/<repo>``); None pulls nvcr.io."""
    shared_cache_claim: str | None = None
    """A ReadWriteMany claim on the shared model cache bucket (``components/shared_cache.py``):
    every replica mounts it instead of a disk of its own."""
    service_account: str | None = None
    """The Kubernetes service account the pods run as (the one the bucket trusts)."""


# The gcsfuse sidecar's resources, by pod annotation (GoogleCloudPlatform/gcs-fuse-csi-driver
# pkg/webhook/config.go: gke-gcsfuse/cpu-limit, memory-limit, ephemeral-storage-limit; a zero
# limit means none, and the request then stays the driver's default). Unlimited, so a 16 GB
# first read is not throttled; the default requests are counted by config validation.
GCSFUSE_ANNOTATIONS = {
    "gke-gcsfuse/volumes": "true",
    "gke-gcsfuse/cpu-limit": "0",
    "gke-gcsfuse/memory-limit": "0",
    "gke-gcsfuse/ephemeral-storage-limit": "0",
}


def shared_cache_values(claim: str, size: str, service_account: str | None) -> dict[str, Any]:
    """The chart's model cache on one shared claim: nim-llm 1.3.0 mounts
    ``persistence.existingClaim`` as ``model-store`` in every replica (templates/deployment.yaml:
    no volumeClaimTemplate when ``existingClaim`` is set), ``podAnnotations`` reach the pod and
    ``serviceAccount.name`` is its service account."""
    return {
        "persistence": {
            "enabled": True,
            "existingClaim": claim,
            "accessMode": "ReadWriteMany",
            "size": size,
        },
        "podAnnotations": dict(GCSFUSE_ANNOTATIONS),
        "serviceAccount": {"create": False, "name": service_account or ""},
    }


# How a version's pod is replaced when its template changes (profile, image, resources, node
# selector, chart version). The chart (nim-llm 1.3.0 templates/deployment.yaml) renders a
# StatefulSet, or with `statefulSet.enabled: false` a Deployment, and sets no update strategy on
# either, so Kubernetes' defaults apply:
# - a Deployment rolls with maxSurge 25 % and maxUnavailable 25 % (kubernetes/kubernetes@
#   04791b4906602ffda5ccf9bc4c84d3329f1d7080: pkg/apis/apps/v1/defaults.go,
#   SetDefaults_Deployment), resolved against the replica count with the surge rounded up and the
#   unavailable rounded down (kubernetes/kubernetes@277391ee713412cf75e4b46ad5d6e5ae9844abf1:
#   pkg/controller/deployment/util/deployment_util.go, ResolveFenceposts): for 1 to 3 replicas
#   one new pod starts beside the old ones and an old one goes only once a new one is Ready;
# - a StatefulSet rolls one pod at a time by deleting it first (RollingUpdate, partition 0: same
#   defaults.go, SetDefaults_StatefulSet), so with one replica the model has no pod until the new
#   one is Ready. Its per-replica ReadWriteOnce disk is also why it cannot surge: a second pod
#   could not attach the disk.
# Only a cache every replica shares (ReadWriteMany) lets a version surge, so the shared cache
# renders a Deployment and a disk per replica a StatefulSet.
DEFAULT_MAX_SURGE = DEFAULT_MAX_UNAVAILABLE = 0.25


def deployment_rollout(replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) of a chart Deployment of ``replicas`` pods: Kubernetes'
    defaults, resolved as ``ResolveFenceposts`` does (see above)."""
    surge = math.ceil(replicas * DEFAULT_MAX_SURGE)
    unavailable = math.floor(replicas * DEFAULT_MAX_UNAVAILABLE)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def is_deployment(values: dict[str, Any]) -> bool:
    """Whether the chart renders these values as a Deployment (else a StatefulSet)."""
    return values.get("statefulSet", {}).get("enabled", True) is False


def min_replicas(values: dict[str, Any]) -> int:
    """The replicas a version keeps at least: the HPA's minimum, else the fixed count."""
    hpa = values.get("autoscaling", {})
    return int(hpa["minReplicas"] if hpa.get("enabled") else values.get("replicaCount", 1))


def startup_budget_seconds(values: dict[str, Any]) -> int:
    probe = values["startupProbe"]
    return probe["initialDelaySeconds"] + probe["failureThreshold"] * probe["periodSeconds"]


def _probe(path: str, *, initial: int, period: int, failures: int) -> dict[str, Any]:
    return {
        "enabled": True,
        "method": "http",
        "path": path,
        "initialDelaySeconds": initial,
        "periodSeconds": period,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": failures,
    }


def build_values(v: ReleaseValues) -> dict[str, Any]:
    """The chart values for one release. Contains names of Secrets, never their contents."""
    env = [{"name": "NIM_MODEL_PROFILE", "value": v.profile}] if v.profile else []
    tolerations = [GPU_TOLERATION] + ([SPOT_TOLERATION] if v.spot else [])
    if v.compute_class:
        tolerations.append(cc.toleration(v.compute_class))
    repository = image_repository(v.image, v.registry)
    # Through the mirror the node's service account authenticates (roles/artifactregistry.reader):
    # the nvcr.io pull Secret is only for images pulled from nvcr.io itself.
    pull_secrets = [{"name": v.pull_secret}] if repository.startswith(f"{NVCR}/") else []
    values: dict[str, Any] = {
        "image": {"repository": repository, "tag": v.tag, "pullPolicy": "IfNotPresent"},
        "imagePullSecrets": pull_secrets,
        "model": {
            "name": v.model_name,
            "ngcAPISecret": v.api_secret,
            "openaiPort": OPENAI_PORT,
            "jsonLogging": True,
            "logLevel": "INFO",
        },
        # A Deployment surges over the shared cache; a disk per replica needs a StatefulSet.
        "statefulSet": {"enabled": not v.shared_cache_claim},
        "replicaCount": v.replicas,
        "persistence": {
            "enabled": True,
            "size": v.cache_size,
            "storageClass": v.storage_class,
            "accessMode": "ReadWriteOnce",
            # Keep the downloaded model when the release is deleted or scaled in.
            "stsPersistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
        },
        "resources": {
            "requests": {"cpu": v.cpu, "memory": v.memory, GPU_RESOURCE: v.gpu_count},
            "limits": {"memory": v.memory, GPU_RESOURCE: v.gpu_count},
        },
        "nodeSelector": dict(v.node_selector),
        "tolerations": tolerations,
        "livenessProbe": _probe(LIVE_PATH, initial=15, period=10, failures=3),
        "readinessProbe": _probe(READY_PATH, initial=15, period=10, failures=3),
        "startupProbe": _probe(
            READY_PATH,
            initial=STARTUP_INITIAL_DELAY_S,
            period=STARTUP_PERIOD_S,
            failures=STARTUP_FAILURE_THRESHOLD,
        ),
        "service": {"type": v.service_type, "openaiPort": OPENAI_PORT},
        "env": env,
        "metrics": {"enabled": True, "serviceMonitor": {"enabled": False}},
        "podSecurityContext": {"runAsUser": NIM_UID, "runAsGroup": NIM_UID, "fsGroup": NIM_UID},
    }
    if v.restricted:
        values["podSecurityContext"].update(
            {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        )
        values["containerSecurityContext"] = {
            "runAsNonRoot": True,
            "runAsUser": NIM_UID,
            "runAsGroup": NIM_UID,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    if v.shared_cache_claim:
        values.update(shared_cache_values(v.shared_cache_claim, v.cache_size, v.service_account))
    values["autoscaling"] = dict(v.autoscaling) if v.autoscaling else {"enabled": False}
    return values
