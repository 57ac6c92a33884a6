"""``nimctl doctor``: why is the NIM not serving, and what fixes it?

Reads the NIM's namespace (pods labelled ``app.kubernetes.io/name=nim-llm``, their events and
PVCs, and the nodes) from the current kube context, or offline from the JSON of
``kubectl get pods,events,pvc,nodes -n NS -o json``, and reports each problem it recognises with
its cause and its fix: GPU shortage (pool maximum, quota, zone stockout, missing driver),
untolerated taints, node selectors that match no pool, image pulls refused by nvcr.io, a missing
API key Secret or key, Pending PVCs, slow model loads against the startup-probe budget, probe
failures, OOMKilled, CrashLoopBackOff, and GPU nodes being added by the cluster autoscaler.

The diagnosis is a pure function of the kubectl-shaped JSON (:func:`diagnose`); the live path
converts the Kubernetes client's objects to that shape first, so both share the same logic.

Exit codes: 0 healthy, 1 problems that need a fix, 2 the namespace could not be read,
3 nothing to fix but not ready yet (a GPU node or the model is still coming up).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nimctl import _cli

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
CHART_NAME = "nim-llm"
GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_NAMESPACE = "nim"  # where this stack installs NIM (config ``namespace``)
ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"

# How long a step may take before "still going" becomes "stuck".
SCALE_UP_PATIENCE = timedelta(minutes=15)
PROVISIONING_PATIENCE = timedelta(minutes=10)

ERROR = "error"  # needs a fix
WAITING = "waiting"  # in progress, nothing to fix yet
WARNING = "warning"  # serving now, but worth knowing

EXIT_HEALTHY = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2
EXIT_WAITING = 3

# cause -> (severity, fix). Tests and scripts rely on these identifiers: never rename one.
CAUSES: dict[str, tuple[str, str]] = {
    "no-nim-pods": (ERROR, "check-release-namespace"),
    "resource-quota-exceeded": (ERROR, "raise-resource-quota"),
    "pod-create-failed": (ERROR, "describe-workload"),
    "gpu-quota-exceeded": (ERROR, "request-gpu-quota"),
    "gpu-zone-stockout": (ERROR, "use-other-zones"),
    "gpu-scale-up-failed": (ERROR, "check-autoscaler-errors"),
    "gpu-pool-max-reached": (ERROR, "raise-pool-max-nodes"),
    "gpu-scale-up-in-progress": (WAITING, "wait-for-gpu-node"),
    "gpu-scale-up-stalled": (ERROR, "check-gpu-node-provisioning"),
    "gpu-driver-not-installed": (ERROR, "set-gpu-driver-version"),
    "insufficient-gpu": (ERROR, "add-gpu-capacity"),
    "untolerated-taint": (ERROR, "add-toleration"),
    "node-selector-matches-no-pool": (ERROR, "fix-node-selector"),
    "pod-too-large-for-node": (ERROR, "fit-requests-to-node"),
    "insufficient-node-resources": (ERROR, "add-capacity-or-lower-requests"),
    "unschedulable": (ERROR, "read-scheduler-message"),
    "image-pull-unauthorized": (ERROR, "fix-ngc-pull-secret"),
    "image-pull-no-credentials": (ERROR, "create-image-pull-secret"),
    "pull-secret-not-found": (ERROR, "create-image-pull-secret"),
    "image-pull-forbidden": (ERROR, "check-ngc-entitlement"),
    "image-not-found": (ERROR, "fix-image-reference"),
    "image-pull-failed": (ERROR, "check-image-pull"),
    "image-pulling": (WAITING, "wait-for-image-pull"),
    "secret-not-found": (ERROR, "create-api-key-secret"),
    "secret-key-not-found": (ERROR, "add-secret-key"),
    "container-config-error": (ERROR, "fix-container-config"),
    "volume-mount-failed": (ERROR, "fix-volume-mount"),
    "pvc-storage-class-not-found": (ERROR, "fix-storage-class"),
    "pvc-no-storage-class": (ERROR, "set-storage-class"),
    "pvc-provisioning-failed": (ERROR, "fix-provisioning"),
    "pvc-provisioning": (WAITING, "wait-for-volume"),
    "pvc-provisioner-stuck": (ERROR, "check-csi-driver"),
    "pvc-pending": (ERROR, "describe-pvc"),
    "model-loading": (WAITING, "wait-for-model-load"),
    "startup-probe-budget-exceeded": (ERROR, "extend-startup-budget"),
    "readiness-probe-failing": (ERROR, "check-readiness"),
    "liveness-probe-failing": (ERROR, "check-liveness"),
    "pod-not-ready": (WAITING, "wait-for-ready"),
    "oom-killed": (ERROR, "raise-memory-limit"),
    "crash-loop": (ERROR, "read-previous-logs"),
    "container-waiting": (ERROR, "describe-pod"),
    "pod-failed": (ERROR, "describe-pod"),
}

FIXES: dict[str, str] = {
    "check-release-namespace": (
        "Check the namespace and release: `helm -n {ns} list`; find NIM pods anywhere with "
        "`kubectl get pods -A -l app.kubernetes.io/name=nim-llm`, then pass --namespace and "
        "--release. If the Helm release failed to install, `pulumi up` shows why."
    ),
    "raise-resource-quota": (
        "A ResourceQuota in namespace {ns} forbids the pod: see `kubectl -n {ns} describe "
        "resourcequota` and raise the limit named in the message (e.g. "
        "requests.nvidia.com/gpu), or lower the NIM replicas."
    ),
    "describe-workload": (
        "The controller cannot create the pod: `kubectl -n {ns} describe {workload}` shows the "
        "full error (admission webhooks, Pod Security, LimitRange)."
    ),
    "request-gpu-quota": (
        "Compute Engine refused the GPU node for quota. Request more GPU quota for the pool's "
        "region (IAM & Admin > Quotas: the GPU type's metric, e.g. NVIDIA_L4_GPUS, or "
        "PREEMPTIBLE_NVIDIA_L4_GPUS for Spot, and GPUS_ALL_REGIONS); "
        "`gcloud compute regions describe REGION` shows usage. Meanwhile lower the replicas."
    ),
    "use-other-zones": (
        "Compute Engine has no free capacity for this GPU in {zones} right now (a stockout, "
        "not a quota). Add zones where the GPU is offered to the pool's node locations "
        "(`gcloud compute accelerator-types list --filter=name=nvidia-l4`), try on-demand "
        "instead of Spot (or the reverse), use a reservation, or retry later."
    ),
    "check-autoscaler-errors": (
        "A GPU node scale-up failed ({detail}). The cluster autoscaler's visibility logs "
        "(Logs Explorer, log `container.googleapis.com/cluster-autoscaler-visibility`) name the "
        "quota or zone error; the autoscaler retries after a backoff."
    ),
    "raise-pool-max-nodes": (
        "The GPU node pool is at its autoscaling maximum. Raise its max_node_count (a per-zone "
        "bound) or total_max_node_count, or lower the NIM replicas, or free a GPU used by "
        "another workload."
    ),
    "wait-for-gpu-node": (
        "Wait: the cluster autoscaler is adding a GPU node ({group}). A GPU node usually takes "
        "5-10 minutes to boot, install the driver and report nvidia.com/gpu. Re-run "
        "`nimctl doctor` in a few minutes."
    ),
    "check-gpu-node-provisioning": (
        "The scale-up started {age} ago and no node has taken the pod. Look for a NotReady node "
        "(`kubectl get nodes -L cloud.google.com/gke-nodepool`), the pool's operations "
        "(`gcloud container operations list`) and the autoscaler visibility logs for quota or "
        "stockout errors."
    ),
    "set-gpu-driver-version": (
        "GPU node(s) {nodes} report no allocatable nvidia.com/gpu: no NVIDIA driver is "
        "installed. Through the GKE API an unset driver version installs no driver: set "
        "node_config.guest_accelerators[].gpu_driver_installation_config.gpu_driver_version to "
        "DEFAULT or LATEST on the GPU pool (this recreates its nodes)."
    ),
    "add-gpu-capacity": (
        "No node has a free nvidia.com/gpu and the cluster autoscaler reported nothing for "
        "this pod. Check that autoscaling is enabled on the GPU pool, its max_node_count (per "
        "zone), the region's GPU quota, and that the GPU type is offered in the pool's zones."
    ),
    "add-toleration": (
        "Nodes {nodes} carry the taint {taint}, which the pod does not tolerate. {detail}"
    ),
    "fix-node-selector": (
        "The pod's nodeSelector {selector} matches no node and the cluster autoscaler found no "
        "pool for it. The nodes carry {available}. Set the chart's nodeSelector to the GPU "
        "pool's labels (e.g. cloud.google.com/gke-nodepool=<pool> or "
        "cloud.google.com/gke-accelerator=<type>)."
    ),
    "fit-requests-to-node": (
        "The pod requests {requests}, more than a node of the pool can allocate "
        "({allocatable}; allocatable is well below the machine size, e.g. ~13 GiB on a "
        "16 GB g2-standard-4). Lower resources.requests/limits or give the GPU pool a larger "
        "machine type (e.g. g2-standard-8)."
    ),
    "add-capacity-or-lower-requests": (
        "No node has enough free {resources} for the pod's requests ({requests}). Lower "
        "resources.requests, free capacity, or let the pool grow (max_node_count)."
    ),
    "read-scheduler-message": (
        "Read the scheduler's message; `kubectl -n {ns} describe pod {pod}` shows all events."
    ),
    "fix-ngc-pull-secret": (
        "nvcr.io rejected the credentials in the image pull secret ({secrets}): the NGC API "
        "key is wrong, expired or revoked, or the username is not `$oauthtoken`. Recreate it "
        'as a kubernetes.io/dockerconfigjson Secret with auths["nvcr.io"] = `$oauthtoken` / '
        "a valid NGC key: `kubectl -n {ns} create secret docker-registry <name> "
        "--docker-server=nvcr.io --docker-username='$oauthtoken' "
        '--docker-password="$NGC_API_KEY"`, then delete the pod to retry.'
    ),
    "create-image-pull-secret": (
        "The image was pulled without credentials (imagePullSecrets: {secrets}). Create a "
        "kubernetes.io/dockerconfigjson Secret for nvcr.io (username `$oauthtoken`, password "
        "the NGC API key) in namespace {ns} with the name the chart's imagePullSecrets uses: "
        "`kubectl -n {ns} create secret docker-registry <name> --docker-server=nvcr.io "
        "--docker-username='$oauthtoken' --docker-password=\"$NGC_API_KEY\"`."
    ),
    "check-ngc-entitlement": (
        "nvcr.io accepted the key but denies {image}: the key's NGC organization is not "
        "entitled to this NIM (it needs NVIDIA AI Enterprise or the NVIDIA Developer Program) "
        "or the repository path is wrong. Open the image in the NGC catalog with the same "
        "account, or use a key from an entitled organization."
    ),
    "fix-image-reference": (
        "The image {image} does not exist: check image.repository and image.tag against the "
        "tags listed in the NGC catalog (versions like 1.0.3; avoid `latest`)."
    ),
    "check-image-pull": (
        "Pulling {image} failed. Check the nodes' egress to nvcr.io (Cloud NAT for private "
        "nodes) and `kubectl -n {ns} describe pod {pod}`."
    ),
    "wait-for-image-pull": (
        "Wait: NIM images are large (10+ GB) and images from nvcr.io cannot use GKE image "
        "streaming, so the first pull on a node takes minutes. An Artifact Registry remote "
        "repository in front of nvcr.io, or a secondary boot disk holding the image, speeds "
        "this up."
    ),
    "create-api-key-secret": (
        "Create the API key Secret {secret} in namespace {ns} with the key NGC_API_KEY (its "
        "name must equal the chart's model.ngcAPISecret): `kubectl -n {ns} create secret "
        'generic {secret} --from-literal=NGC_API_KEY="$NGC_API_KEY"`.'
    ),
    "add-secret-key": (
        "{detail} Write the key the chart reads (adding the other one too is harmless): "
        "`kubectl -n {ns} create secret generic {secret} "
        '--from-literal=NGC_API_KEY="$NGC_API_KEY" '
        '--from-literal=NGC_CLI_API_KEY="$NGC_API_KEY" --dry-run=client -o yaml | '
        "kubectl apply -f -`, then delete the pod."
    ),
    "fix-container-config": (
        "The container's configuration references something missing; create it or fix the "
        "reference, then delete the pod."
    ),
    "fix-volume-mount": (
        "A volume could not be mounted. `kubectl -n {ns} describe pod {pod}` names it; check "
        "the PVC and that its disk is in the node's zone."
    ),
    "fix-storage-class": (
        "StorageClass {storage_class} does not exist. Set persistence.storageClass to an "
        "existing class (`kubectl get storageclass`; GKE has standard-rwo and premium-rwo) or "
        "leave it empty for the default, then delete PVC {pvc} and the pod so the StatefulSet "
        "recreates them (its claim template is immutable)."
    ),
    "set-storage-class": (
        "PVC {pvc} names no StorageClass and the cluster has no default one: set "
        "persistence.storageClass (e.g. standard-rwo) or mark a StorageClass as default."
    ),
    "fix-provisioning": (
        "The provisioner could not create the disk for PVC {pvc}. Usual causes: disk quota "
        "(SSD_TOTAL_GB, DISKS_TOTAL_GB) in the region, an access mode the driver does not "
        "support (Persistent Disk is ReadWriteOnce, not ReadWriteMany), or a size limit."
    ),
    "wait-for-volume": (
        "Wait: {provisioner} is creating the disk for PVC {pvc}; this normally takes under a "
        "minute."
    ),
    "check-csi-driver": (
        "PVC {pvc} has waited {age} for {provisioner}. Check that the Compute Engine "
        "persistent disk CSI driver is enabled on the cluster (add-on "
        "GcePersistentDiskCsiDriver) and running: `kubectl -n kube-system get pods "
        "-l app=gcp-compute-persistent-disk-csi-driver`."
    ),
    "describe-pvc": "`kubectl -n {ns} describe pvc {pvc}` shows why it is not bound.",
    "wait-for-model-load": (
        "Wait: NIM is downloading and loading the model, {elapsed} so far of the {budget} the "
        "startup probe allows ({remaining} left). Follow it with `kubectl -n {ns} logs -f "
        "{pod}`. Persistence (a PVC for the model cache) lets restarts skip the download."
    ),
    "extend-startup-budget": (
        "The startup probe killed the container after its {budget} budget while the model "
        "was still loading ({restarts} restart(s)). Give it more time (startupProbe."
        "failureThreshold; keep at least 40 s + 180 x 10 s), enable persistence so the "
        "download survives restarts, pin NIM_MODEL_PROFILE, and read why it was slow: "
        "`kubectl -n {ns} logs {pod} --previous`."
    ),
    "check-readiness": (
        "The model had loaded (the startup probe passed) but /v1/health/ready now fails. Read "
        "`kubectl -n {ns} logs {pod} --tail=100` for engine errors (GPU memory, a crashed "
        "worker)."
    ),
    "check-liveness": (
        "The liveness probe (/v1/health/live) keeps restarting the container. Read "
        "`kubectl -n {ns} logs {pod} --previous`; a wedged engine or an overloaded pod "
        "(probe timeout 1 s) are the usual causes."
    ),
    "wait-for-ready": "Wait: the pod is starting; re-run `nimctl doctor` in a minute.",
    "raise-memory-limit": (
        "Container {container} was OOMKilled (memory limit {limit}). Raise "
        "resources.limits.memory and requests.memory; a node must have that much allocatable "
        "memory (~13 GiB on g2-standard-4, ~29 GiB on g2-standard-8), so pick a larger machine "
        "type if needed."
    ),
    "read-previous-logs": (
        "Read why it exits: `kubectl -n {ns} logs {pod} -c {container} --previous`. Common NIM "
        "causes: no model profile for this GPU (run list-model-profiles, pin "
        "NIM_MODEL_PROFILE), a cache volume not writable by uid 1000 (podSecurityContext "
        "fsGroup), too little GPU memory for the model."
    ),
    "describe-pod": "See `kubectl -n {ns} describe pod {pod}`.",
}


class DoctorInputError(Exception):
    """The namespace could not be read (bad file, no kube context, API refused)."""


@dataclass(frozen=True)
class Finding:
    """One recognised problem: what, why (evidence) and what to do."""

    cause: str
    fix: str
    severity: str
    object: str  # "pod/llama3-8b-nim-llm-0", "pvc/model-store-llama3-8b-nim-llm-0", "node/..."
    summary: str
    fix_text: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class PodState:
    name: str
    phase: str
    ready: str  # "1/1"
    restarts: int
    node: str | None


@dataclass(frozen=True)
class Report:
    namespace: str | None
    release: str | None
    snapshot_time: str
    pods: tuple[PodState, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        if ERROR in severities:
            return "problems"
        if WAITING in severities:
            return "waiting"
        return "healthy"

    @property
    def exit_code(self) -> int:
        return {"problems": EXIT_PROBLEMS, "waiting": EXIT_WAITING}.get(self.status, EXIT_HEALTHY)

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "release": self.release,
            "snapshot_time": self.snapshot_time,
            "status": self.status,
            "healthy": self.status == "healthy",
            "pods": [asdict(p) for p in self.pods],
            "findings": [{**asdict(f), "evidence": list(f.evidence)} for f in self.findings],
        }


# ------------------------------------------------------------------------------------------
# Small helpers over kubectl-shaped dicts.


def _get(obj: Mapping[str, Any] | None, *path: str) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_time(event: Mapping[str, Any]) -> datetime | None:
    for value in (
        _get(event, "series", "lastObservedTime"),
        event.get("lastTimestamp"),
        event.get("eventTime"),
        event.get("firstTimestamp"),
        _get(event, "metadata", "creationTimestamp"),
    ):
        parsed = parse_time(value)
        if parsed:
            return parsed
    return None


def _all_times(obj: Any) -> Iterable[datetime]:
    """Every timestamp-looking string in a document (used to date an offline snapshot)."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if isinstance(value, str) and (key.endswith(("Timestamp", "Time", "At"))):
                parsed = parse_time(value)
                if parsed:
                    yield parsed
            else:
                yield from _all_times(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _all_times(item)


def snapshot_time(doc: Mapping[str, Any]) -> datetime:
    """The newest timestamp in the document: when an offline snapshot was taken, near enough."""
    return max(_all_times(doc), default=datetime.now(UTC))


def fmt_duration(delta: timedelta | float) -> str:
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def parse_quantity(value: Any) -> float | None:
    """Kubernetes quantity ("16Gi", "32863176Ki", "500m", "8") as a number."""
    match = _QUANTITY.match(str(value).strip()) if value is not None else None
    if not match or match.group(2) not in _SUFFIX:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def fmt_quantity(resource: str, value: float) -> str:
    if resource == "memory":
        return f"{value / 2**30:.1f} GiB"
    return f"{value:g}"


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(_get(obj, "metadata", "labels") or {})


def _name(obj: Mapping[str, Any]) -> str:
    return str(_get(obj, "metadata", "name") or "?")


# ------------------------------------------------------------------------------------------
# The snapshot: a v1 List split by kind.


@dataclass(frozen=True)
class Snapshot:
    pods: list[dict[str, Any]]
    events: list[dict[str, Any]]
    pvcs: list[dict[str, Any]]
    nodes: list[dict[str, Any]]

    @classmethod
    def from_document(cls, doc: Any) -> Snapshot:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("items"), list):
            raise DoctorInputError(
                "expected the JSON of `kubectl get pods,events,pvc,nodes -n NS -o json` "
                "(an object with an 'items' list)"
            )
        buckets: dict[str, list[dict[str, Any]]] = {
            "Pod": [],
            "Event": [],
            "PersistentVolumeClaim": [],
            "Node": [],
        }
        list_kind = str(doc.get("kind", ""))
        for item in doc["items"]:
            if not isinstance(item, dict):
                continue
            kind = item.get("kind") or list_kind.removesuffix("List")
            if kind in buckets:
                buckets[kind].append(item)
        events = sorted(
            buckets["Event"], key=lambda e: event_time(e) or datetime.min.replace(tzinfo=UTC)
        )
        return cls(buckets["Pod"], events, buckets["PersistentVolumeClaim"], buckets["Node"])

    def events_for(self, kind: str, obj: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Events about this object (same uid when both carry one), oldest first."""
        name, uid = _name(obj), _get(obj, "metadata", "uid")
        found = []
        for event in self.events:
            involved = event.get("involvedObject") or event.get("regarding") or {}
            if involved.get("kind") != kind or involved.get("name") != name:
                continue
            if uid and involved.get("uid") and involved["uid"] != uid:
                continue  # an earlier pod of the same StatefulSet ordinal
            found.append(event)
        return found


def is_nim_pod(pod: Mapping[str, Any], release: str | None) -> bool:
    labels = _labels(pod)
    if labels.get(NAME_LABEL) != CHART_NAME:
        return False
    return release is None or labels.get(INSTANCE_LABEL) == release


# ------------------------------------------------------------------------------------------
# Diagnosis.


class _Diagnosis:
    """Collects findings for one snapshot; each ``_check_*`` looks at one aspect."""

    def __init__(self, snap: Snapshot, namespace: str, now: datetime) -> None:
        self.snap = snap
        self.ns = namespace
        self.now = now
        self.findings: list[Finding] = []

    def add(
        self,
        cause: str,
        obj: str,
        summary: str,
        evidence: Iterable[str] = (),
        severity: str | None = None,
        **context: Any,
    ) -> None:
        default_severity, fix = CAUSES[cause]
        fix_text = FIXES[fix].format(ns=self.ns, **context)
        if any(f.cause == cause and f.object == obj for f in self.findings):
            return
        self.findings.append(
            Finding(
                cause=cause,
                fix=fix,
                severity=severity or default_severity,
                object=obj,
                summary=summary,
                fix_text=fix_text,
                evidence=tuple(dict.fromkeys(e for e in evidence if e)),
            )
        )

    # -- workloads ---------------------------------------------------------------------------
    def check_workloads(self, pods: list[dict[str, Any]], release: str | None) -> None:
        """FailedCreate on the StatefulSet (or Deployment's ReplicaSet): pods never appear."""
        owners = {
            str(ref.get("name"))
            for p in pods
            for ref in _get(p, "metadata", "ownerReferences") or []
        }
        if release:
            owners |= {release, f"{release}-nim-llm"}
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for event in self.snap.events:
            involved = event.get("involvedObject") or {}
            kind, name = involved.get("kind"), str(involved.get("name"))
            if kind not in ("StatefulSet", "ReplicaSet", "Deployment"):
                continue
            if owners and not any(name == o or name.startswith(o + "-") for o in owners):
                continue  # another workload (no owners known: the namespace's only workloads)
            if event.get("reason") in ("FailedCreate", "SuccessfulCreate"):
                latest[(kind, name)] = event
        for (kind, name), event in sorted(latest.items()):
            if event.get("reason") != "FailedCreate":
                continue
            text = _msg(event)
            workload = f"{kind.lower()}/{name}"
            if "exceeded quota" in text:
                self.add(
                    "resource-quota-exceeded",
                    workload,
                    f"{kind} {name} cannot create its pod: a ResourceQuota is exhausted",
                    [text],
                )
            else:
                self.add(
                    "pod-create-failed",
                    workload,
                    f"{kind} {name} cannot create its pod",
                    [text],
                    workload=workload,
                )

    # -- pods ----------------------------------------------------------------------------
    def check_pod(self, pod: dict[str, Any]) -> None:
        name = _name(pod)
        events = self.snap.events_for("Pod", pod)
        phase = _get(pod, "status", "phase")
        scheduled = _condition(pod, "PodScheduled")
        if phase == "Failed":
            self.add(
                "pod-failed",
                f"pod/{name}",
                f"pod {name} failed: {_get(pod, 'status', 'reason') or ''} "
                f"{_get(pod, 'status', 'message') or ''}".strip(),
                pod=name,
            )
            return
        if phase == "Pending" and scheduled is not None and scheduled.get("status") == "False":
            self.check_scheduling(pod, events, scheduled)
            return
        statuses = list(_get(pod, "status", "initContainerStatuses") or []) + list(
            _get(pod, "status", "containerStatuses") or []
        )
        specs = {
            c.get("name"): c
            for c in list(_get(pod, "spec", "initContainers") or [])
            + list(_get(pod, "spec", "containers") or [])
        }
        before = len(self.findings)
        for status in statuses:
            self.check_container(pod, events, status, specs.get(status.get("name"), {}))
        if len(self.findings) == before and not _pod_ready(pod):
            self.check_creating(pod, events)

    def check_creating(self, pod: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Scheduled, no container status says why it is not ready: pulling? mounting?"""
        name = _name(pod)
        mount = [e for e in events if e.get("reason") in ("FailedMount", "FailedAttachVolume")]
        if mount:
            self.add(
                "volume-mount-failed",
                f"pod/{name}",
                f"a volume of pod {name} cannot be mounted",
                [_msg(mount[-1])],
                pod=name,
            )
            return
        pulls = [e for e in events if e.get("reason") in ("Pulling", "Pulled", "Failed")]
        if pulls and pulls[-1].get("reason") == "Pulling":
            started = event_time(pulls[-1])
            since = f" for {fmt_duration(self.now - started)}" if started else ""
            image = _quoted(_msg(pulls[-1])) or "the image"
            self.add(
                "image-pulling",
                f"pod/{name}",
                f"pod {name} is pulling {image}{since}",
                [_msg(pulls[-1])],
            )
            return
        self.add("pod-not-ready", f"pod/{name}", f"pod {name} is not ready yet")

    def check_container(
        self,
        pod: dict[str, Any],
        events: list[dict[str, Any]],
        status: Mapping[str, Any],
        spec: Mapping[str, Any],
    ) -> None:
        pod_name = _name(pod)
        container = str(status.get("name"))
        obj = f"pod/{pod_name}"
        waiting = _get(status, "state", "waiting")
        running = _get(status, "state", "running")
        last = _get(status, "lastState", "terminated") or {}
        restarts = int(status.get("restartCount") or 0)
        startup_kills = _probe_kills(events, container, "startup")
        liveness_kills = _probe_kills(events, container, "liveness")

        if isinstance(waiting, Mapping):
            reason = str(waiting.get("reason") or "")
            message = str(waiting.get("message") or "")
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                self.check_image_pull(pod, events, status, message)
            elif reason == "CreateContainerConfigError":
                self.check_config_error(pod, events, container, message)
            elif reason == "CrashLoopBackOff":
                if startup_kills:
                    self.startup_exceeded(pod, spec, container, restarts, startup_kills)
                elif last.get("reason") == "OOMKilled":
                    self.oom(pod, spec, container, restarts, ERROR)
                elif liveness_kills:
                    self.add(
                        "liveness-probe-failing",
                        obj,
                        f"container {container} is restarted by its liveness probe",
                        [_msg(liveness_kills[-1]), *_unhealthy(events, "Liveness")[-1:]],
                        pod=pod_name,
                    )
                else:
                    code = last.get("exitCode")
                    why = f" ({last['reason']})" if last.get("reason") else ""
                    self.add(
                        "crash-loop",
                        obj,
                        f"container {container} is in CrashLoopBackOff: it last exited with code "
                        f"{code}{why} and has restarted {restarts} time(s)",
                        [message, str(last.get("message") or "")],
                        pod=pod_name,
                        container=container,
                    )
            elif reason in ("ContainerCreating", "PodInitializing"):
                self.check_creating(pod, events)
            else:
                self.add(
                    "container-waiting",
                    obj,
                    f"container {container} is waiting: {reason}",
                    [message],
                    pod=pod_name,
                )
            return

        if isinstance(running, Mapping):
            if status.get("ready"):
                if last.get("reason") == "OOMKilled":
                    self.oom(pod, spec, container, restarts, WARNING)
                return
            if startup_kills and restarts:
                self.startup_exceeded(pod, spec, container, restarts, startup_kills)
            elif last.get("reason") == "OOMKilled":
                self.oom(pod, spec, container, restarts, ERROR)
            elif status.get("started") is False or status.get("started") is None:
                self.loading(pod, events, spec, container, running)
            else:
                readiness = _unhealthy(
                    events, "Readiness", since=parse_time(running.get("startedAt"))
                )
                if readiness:
                    self.add(
                        "readiness-probe-failing",
                        obj,
                        f"container {container} started but its readiness probe fails",
                        readiness[-1:],
                        pod=pod_name,
                    )
                else:
                    self.add("pod-not-ready", obj, f"container {container} is not ready yet")

    def loading(
        self,
        pod: dict[str, Any],
        events: list[dict[str, Any]],
        spec: Mapping[str, Any],
        container: str,
        running: Mapping[str, Any],
    ) -> None:
        pod_name = _name(pod)
        started = parse_time(running.get("startedAt"))
        budget = startup_budget(spec)
        elapsed = (self.now - started) if started else timedelta(0)
        probes = _unhealthy(events, "Startup", since=started)
        if elapsed > budget:
            self.startup_exceeded(pod, spec, container, 0, [])
            return
        self.add(
            "model-loading",
            f"pod/{pod_name}",
            f"container {container} is loading the model: started {fmt_duration(elapsed)} ago, "
            f"startup probe budget {fmt_duration(budget)} ({fmt_duration(budget - elapsed)} left)",
            probes[-1:],
            pod=pod_name,
            elapsed=fmt_duration(elapsed),
            budget=fmt_duration(budget),
            remaining=fmt_duration(budget - elapsed),
        )

    def startup_exceeded(
        self,
        pod: dict[str, Any],
        spec: Mapping[str, Any],
        container: str,
        restarts: int,
        kills: list[dict[str, Any]],
    ) -> None:
        pod_name = _name(pod)
        budget = fmt_duration(startup_budget(spec))
        self.add(
            "startup-probe-budget-exceeded",
            f"pod/{pod_name}",
            f"container {container} did not become ready within its startup probe budget of "
            f"{budget} while loading; it was restarted {restarts} time(s)",
            [_msg(k) for k in kills[-1:]],
            pod=pod_name,
            budget=budget,
            restarts=restarts,
        )

    def oom(
        self,
        pod: dict[str, Any],
        spec: Mapping[str, Any],
        container: str,
        restarts: int,
        severity: str,
    ) -> None:
        limit = _get(spec, "resources", "limits", "memory") or "none set"
        state = "is serving now but was" if severity == WARNING else "keeps being"
        last = _get(_container_status(pod, container), "lastState", "terminated") or {}
        self.add(
            "oom-killed",
            f"pod/{_name(pod)}",
            f"container {container} {state} OOMKilled (memory limit {limit}, "
            f"{restarts} restart(s))",
            [
                f"last state: terminated, reason OOMKilled, exit code {last.get('exitCode')}, "
                f"finished {last.get('finishedAt')}"
            ],
            severity=severity,
            container=container,
            limit=limit,
        )

    def check_image_pull(
        self,
        pod: dict[str, Any],
        events: list[dict[str, Any]],
        status: Mapping[str, Any],
        waiting_message: str,
    ) -> None:
        pod_name = _name(pod)
        obj = f"pod/{pod_name}"
        image = str(status.get("image") or "the image")
        secrets = (
            ", ".join(s.get("name", "?") for s in _get(pod, "spec", "imagePullSecrets") or [])
            or "none"
        )
        failures = [
            _msg(e)
            for e in events
            if e.get("reason") == "Failed" and _msg(e).startswith("Failed to pull image")
        ]
        detail = failures[-1] if failures else waiting_message
        missing_secret = [e for e in events if e.get("reason") == "FailedToRetrieveImagePullSecret"]
        text = detail.lower()
        evidence = [detail]
        if missing_secret:
            self.add(
                "pull-secret-not-found",
                obj,
                f"the image pull secret ({secrets}) of pod {pod_name} does not exist, so {image} "
                "is pulled without credentials",
                [_msg(missing_secret[-1]), detail],
                secrets=secrets,
            )
        elif "401" in text or "unauthorized" in text:
            if "anonymous token" in text or secrets == "none":
                self.add(
                    "image-pull-no-credentials",
                    obj,
                    f"nvcr.io answered 401 to an anonymous pull of {image}",
                    evidence,
                    secrets=secrets,
                )
            else:
                self.add(
                    "image-pull-unauthorized",
                    obj,
                    f"nvcr.io answered 401 Unauthorized when pulling {image}",
                    evidence,
                    secrets=secrets,
                )
        elif (
            "403" in text or "forbidden" in text or "denied" in text or "insufficient_scope" in text
        ):
            self.add(
                "image-pull-forbidden",
                obj,
                f"nvcr.io answered 403 Forbidden when pulling {image}",
                evidence,
                image=image,
            )
        elif "not found" in text or "manifest unknown" in text:
            self.add("image-not-found", obj, f"image {image} not found", evidence, image=image)
        else:
            self.add(
                "image-pull-failed",
                obj,
                f"pulling {image} failed",
                evidence,
                image=image,
                pod=pod_name,
            )

    def check_config_error(
        self, pod: dict[str, Any], events: list[dict[str, Any]], container: str, message: str
    ) -> None:
        pod_name = _name(pod)
        obj = f"pod/{pod_name}"
        failed = [_msg(e) for e in events if e.get("reason") == "Failed"]
        text = message or (failed[-1] if failed else "")
        missing_key = re.search(r"couldn't find key (\S+) in Secret ([^/\s]+)/(\S+)", text)
        missing_secret = re.search(r'secret "([^"]+)" not found', text)
        if missing_key:
            key, secret = missing_key.group(1), missing_key.group(3)
            if key == "NGC_API_KEY":
                detail = (
                    f"Secret {secret} has no key NGC_API_KEY, which nim-llm charts >= 1.1.2 read "
                    "(a Secret written for charts <= 1.0.0 holds only NGC_CLI_API_KEY)."
                )
            elif key == "NGC_CLI_API_KEY":
                detail = (
                    f"Secret {secret} has no key NGC_CLI_API_KEY, which nim-llm charts <= 1.0.0 "
                    "and the legacy NGC init container read."
                )
            else:
                detail = f"Secret {secret} has no key {key}."
            self.add(
                "secret-key-not-found",
                obj,
                f"container {container} cannot start: Secret {secret} has no key {key}",
                [text],
                secret=secret,
                detail=detail,
            )
        elif missing_secret:
            secret = missing_secret.group(1)
            self.add(
                "secret-not-found",
                obj,
                f"container {container} cannot start: Secret {secret} does not exist in "
                f"namespace {self.ns}",
                [text],
                secret=secret,
            )
        else:
            self.add(
                "container-config-error",
                obj,
                f"container {container} cannot start: its configuration is invalid",
                [text],
            )

    # -- scheduling -------------------------------------------------------------------------
    def check_scheduling(
        self, pod: dict[str, Any], events: list[dict[str, Any]], condition: Mapping[str, Any]
    ) -> None:
        pod_name = _name(pod)
        obj = f"pod/{pod_name}"
        sched = [e for e in events if e.get("reason") == "FailedScheduling"]
        message = _msg(sched[-1]) if sched else str(condition.get("message") or "")
        reasons = parse_reasons(message)
        autoscaler = [
            e
            for e in events
            if e.get("reason") in ("TriggeredScaleUp", "NotTriggerScaleUp", "FailedScaleUp")
        ]
        before = len(self.findings)

        if re.search(r"PersistentVolumeClaim|VolumeBinding|volume", message):
            claims = _claim_names(pod)
            for pvc in self.snap.pvcs:
                if _name(pvc) in claims:
                    self.check_pvc(pvc, waiting_for_pod=False)
            if len(self.findings) == before:
                for claim in sorted(claims):
                    self.add(
                        "pvc-pending",
                        f"pvc/{claim}",
                        f"pod {pod_name} waits for PVC {claim} to be bound",
                        [message],
                        pvc=claim,
                    )

        self._check_taints(pod, reasons, message)
        self._check_selector(pod, reasons, message, autoscaler)
        self._check_resources(pod, reasons, message, autoscaler)
        gpu_short = any(GPU_RESOURCE in r and "Insufficient" in r for r in reasons)
        if gpu_short:
            self._check_gpu_drivers(pod_name, message)
        self._check_autoscaler(pod, autoscaler, gpu_short, message)

        if len(self.findings) == before:
            self.add(
                "unschedulable",
                obj,
                f"pod {pod_name} cannot be scheduled",
                [message],
                pod=pod_name,
            )

    def _check_taints(self, pod: dict[str, Any], reasons: dict[str, int], message: str) -> None:
        tolerations = _get(pod, "spec", "tolerations") or []
        named = [
            (m.group(1).strip(), m.group(2).strip())
            for r in reasons
            for m in [re.search(r"untolerated taint \{([^:}]+):?([^}]*)\}", r)]
            if m
        ]
        if not named and not any("untolerated taint" in r for r in reasons):
            return
        nodes = _select_nodes(self.snap.nodes, _get(pod, "spec", "nodeSelector") or {})
        untolerated: dict[str, list[str]] = {}
        for node in nodes:
            for taint in _get(node, "spec", "taints") or []:
                if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                    continue
                if _tolerates(tolerations, taint):
                    continue
                desc = f"{taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}"
                if named and all(taint.get("key") != k for k, _ in named):
                    continue
                untolerated.setdefault(desc, []).append(_name(node))
        if not untolerated:
            for key, value in named:
                untolerated.setdefault(f"{key}={value}:NoSchedule", []).append("(see message)")
        requests_gpu = _requests_gpu(pod)
        for taint, node_names in untolerated.items():
            if taint.startswith(GPU_RESOURCE + "=") and not requests_gpu:
                detail = (
                    "The pod requests no nvidia.com/gpu: set resources.limits."
                    '"nvidia.com/gpu": 1 in the chart values (GKE then adds the matching '
                    "toleration), or add tolerations: [{key: nvidia.com/gpu, operator: Exists, "
                    "effect: NoSchedule}]."
                )
            else:
                key = taint.split("=", 1)[0]
                detail = (
                    f"Add a toleration to the chart's `tolerations` value, e.g. {{key: {key}, "
                    "operator: Exists}."
                )
            self.add(
                "untolerated-taint",
                f"pod/{_name(pod)}",
                f"pod {_name(pod)} does not tolerate the taint {taint} of node(s) "
                f"{', '.join(node_names)}",
                [message],
                nodes=", ".join(node_names),
                taint=taint,
                detail=detail,
            )

    def _check_selector(
        self,
        pod: dict[str, Any],
        reasons: dict[str, int],
        message: str,
        autoscaler: list[dict[str, Any]],
    ) -> None:
        selector = _get(pod, "spec", "nodeSelector") or {}
        if not selector or not any("didn't match Pod's node affinity" in r for r in reasons):
            return
        if _select_nodes(self.snap.nodes, selector):
            return  # some node matches: the selector is not what blocks the pod
        latest = autoscaler[-1] if autoscaler else None
        if latest is not None:
            if latest.get("reason") != "NotTriggerScaleUp":
                return  # the autoscaler found a pool for it (scale-up triggered or failed)
            ca_reasons = parse_reasons(_msg(latest))
            if any("didn't match" not in r and "taint" not in r for r in ca_reasons):
                return  # some node group would match, but something else stops it
        available = _label_values(self.snap.nodes, selector)
        wanted = ", ".join(f"{k}={v}" for k, v in selector.items())
        evidence = [message] + ([_msg(latest)] if latest is not None else [])
        self.add(
            "node-selector-matches-no-pool",
            f"pod/{_name(pod)}",
            f"the nodeSelector {wanted} of pod {_name(pod)} matches no node or node pool",
            evidence,
            selector=wanted,
            available=available or "no labels for these keys",
        )

    def _check_resources(
        self,
        pod: dict[str, Any],
        reasons: dict[str, int],
        message: str,
        autoscaler: list[dict[str, Any]],
    ) -> None:
        short = [
            res for res in ("memory", "cpu") if any(r == f"Insufficient {res}" for r in reasons)
        ]
        wont_fit = [e for e in autoscaler if "it wouldn't fit if a new node is added" in _msg(e)]
        if not short and not wont_fit:
            return
        requests = pod_requests(pod)
        nodes = _select_nodes(self.snap.nodes, _get(pod, "spec", "nodeSelector") or {})
        if _requests_gpu(pod):
            nodes = [n for n in nodes if ACCELERATOR_LABEL in _labels(n)] or nodes
        too_large = []
        for res in short or ("memory", "cpu"):
            want = requests.get(res)
            best = max(
                (parse_quantity(_get(n, "status", "allocatable", res)) or 0 for n in nodes),
                default=None,
            )
            if want is not None and best is not None and want > best:
                too_large.append((res, want, best))
        shown = ", ".join(f"{res} {fmt_quantity(res, requests[res])}" for res in requests)
        evidence = [message] + [_msg(e) for e in wont_fit[-1:]]
        if too_large or wont_fit:
            allocatable = (
                ", ".join(f"{res} {fmt_quantity(res, best)}" for res, _, best in too_large)
                or "see the autoscaler message"
            )
            self.add(
                "pod-too-large-for-node",
                f"pod/{_name(pod)}",
                f"pod {_name(pod)} requests more than any node of its pool can allocate ({shown})",
                evidence,
                requests=shown or "?",
                allocatable=allocatable,
            )
        else:
            self.add(
                "insufficient-node-resources",
                f"pod/{_name(pod)}",
                f"no node has enough free {' and '.join(short)} for pod {_name(pod)}",
                evidence,
                resources=" and ".join(short),
                requests=shown or "?",
            )

    def _check_gpu_drivers(self, pod_name: str, message: str) -> None:
        bare = [
            _name(n)
            for n in self.snap.nodes
            if ACCELERATOR_LABEL in _labels(n)
            and not parse_quantity(_get(n, "status", "allocatable", GPU_RESOURCE))
        ]
        if bare:
            accelerator = _labels(next(n for n in self.snap.nodes if _name(n) == bare[0])).get(
                ACCELERATOR_LABEL
            )
            self.add(
                "gpu-driver-not-installed",
                f"node/{bare[0]}",
                f"GPU node(s) {', '.join(bare)} ({accelerator}) expose no nvidia.com/gpu, so "
                f"pod {pod_name} cannot use them",
                [message],
                nodes=", ".join(bare),
            )

    def _check_autoscaler(
        self,
        pod: dict[str, Any],
        autoscaler: list[dict[str, Any]],
        gpu_short: bool,
        message: str,
    ) -> None:
        pod_name = _name(pod)
        obj = f"pod/{pod_name}"
        if not autoscaler:
            if gpu_short and not any(f.cause == "gpu-driver-not-installed" for f in self.findings):
                self.add(
                    "insufficient-gpu",
                    obj,
                    f"no node has a free nvidia.com/gpu for pod {pod_name} and the cluster "
                    "autoscaler did not act",
                    [message],
                )
            return
        latest = autoscaler[-1]
        reason = latest.get("reason")
        when = event_time(latest)
        age = (self.now - when) if when else timedelta(0)
        if reason == "TriggeredScaleUp":
            group = _scale_up_group(_msg(latest))
            if age <= SCALE_UP_PATIENCE:
                self.add(
                    "gpu-scale-up-in-progress",
                    obj,
                    f"pod {pod_name} waits for a new node: the cluster autoscaler triggered a "
                    f"scale-up {fmt_duration(age)} ago ({group})",
                    [_msg(latest)],
                    group=group,
                )
            else:
                self.add(
                    "gpu-scale-up-stalled",
                    obj,
                    f"the scale-up for pod {pod_name} was triggered {fmt_duration(age)} ago "
                    "and no node has taken the pod",
                    [_msg(latest), message],
                    age=fmt_duration(age),
                )
            return
        # A FailedScaleUp newer than the last TriggeredScaleUp explains the rest (events are
        # sorted oldest first, so list positions order them).
        positions = {e.get("reason"): i for i, e in enumerate(autoscaler)}
        if positions.get("FailedScaleUp", -1) > positions.get("TriggeredScaleUp", -1):
            failure = autoscaler[positions["FailedScaleUp"]]
            self._scale_up_failure(pod_name, failure, [_msg(e) for e in autoscaler[-2:]])
            return
        if reason == "NotTriggerScaleUp":
            ca = _msg(latest)
            if "max node group size reached" in ca:
                self.add(
                    "gpu-pool-max-reached",
                    obj,
                    f"pod {pod_name} needs another node but its node pool is at its maximum size",
                    [ca, message],
                )
            elif "in backoff after failed scale-up" in ca:
                self.add(
                    "gpu-scale-up-failed",
                    obj,
                    f"the cluster autoscaler is backing off after a failed scale-up for pod "
                    f"{pod_name}",
                    [ca, message],
                    detail="the autoscaler is in backoff after a failed scale-up",
                )
            elif gpu_short and not any(
                f.object == obj or f.cause == "gpu-driver-not-installed" for f in self.findings
            ):
                self.add(
                    "insufficient-gpu",
                    obj,
                    f"no node has a free nvidia.com/gpu for pod {pod_name} and no node pool can "
                    "add one",
                    [ca, message],
                )

    def _scale_up_failure(self, pod_name: str, event: dict[str, Any], evidence: list[str]) -> None:
        obj = f"pod/{pod_name}"
        text = _msg(event)
        zones_match = re.search(r"in zones (.*?) associated with this pod", text)
        zones = zones_match.group(1) if zones_match else "the pool's zones"
        if "GCE quota exceeded" in text:
            self.add(
                "gpu-quota-exceeded",
                obj,
                f"GKE could not add a GPU node for pod {pod_name} in {zones}: GCE quota exceeded",
                evidence,
            )
        elif "GCE out of resources" in text:
            self.add(
                "gpu-zone-stockout",
                obj,
                f"GKE could not add a GPU node for pod {pod_name}: {zones} is out of capacity "
                "for this machine or GPU type",
                evidence,
                zones=zones,
            )
        else:
            detail = text.split("failed: ", 1)[-1].split(". Pod is at risk")[0]
            self.add(
                "gpu-scale-up-failed",
                obj,
                f"GKE could not add a node for pod {pod_name}: {detail}",
                evidence,
                detail=detail,
            )

    # -- volumes ------------------------------------------------------------------------------
    def check_pvc(self, pvc: dict[str, Any], *, waiting_for_pod: bool) -> None:
        """A Pending PVC; ``waiting_for_pod``: its pod is not scheduled yet for another reason,
        so a WaitForFirstConsumer claim has nothing to do yet (errors are still reported)."""
        if _get(pvc, "status", "phase") != "Pending":
            return
        name = _name(pvc)
        obj = f"pvc/{name}"
        events = self.snap.events_for("PersistentVolumeClaim", pvc)
        created = parse_time(_get(pvc, "metadata", "creationTimestamp"))
        age = (self.now - created) if created else timedelta(0)
        latest = events[-1] if events else None
        text = _msg(latest) if latest else ""
        reason = latest.get("reason") if latest else None
        storage_class = _get(pvc, "spec", "storageClassName")
        missing_class = re.search(r'storageclass\.storage\.k8s\.io "([^"]+)" not found', text)
        provisioner = re.search(r"external provisioner [\"']?([\w.\-/]+)", text)
        if missing_class:
            self.add(
                "pvc-storage-class-not-found",
                obj,
                f"PVC {name} is Pending: StorageClass {missing_class.group(1)} does not exist",
                [text],
                storage_class=missing_class.group(1),
                pvc=name,
            )
        elif "no storage class is set" in text:
            self.add(
                "pvc-no-storage-class",
                obj,
                f"PVC {name} is Pending: it names no StorageClass and there is no default",
                [text],
                pvc=name,
            )
        elif reason == "ProvisioningFailed":
            self.add(
                "pvc-provisioning-failed",
                obj,
                f"PVC {name} is Pending: provisioning the disk failed "
                f"(StorageClass {storage_class or 'default'})",
                [text],
                pvc=name,
            )
        elif reason in ("ExternalProvisioning", "Provisioning") or provisioner:
            who = provisioner.group(1) if provisioner else "the provisioner"
            if age > PROVISIONING_PATIENCE:
                self.add(
                    "pvc-provisioner-stuck",
                    obj,
                    f"PVC {name} has been Pending for {fmt_duration(age)} waiting for {who}",
                    [text],
                    pvc=name,
                    age=fmt_duration(age),
                    provisioner=who,
                )
            else:
                self.add(
                    "pvc-provisioning",
                    obj,
                    f"PVC {name} is being provisioned by {who} ({fmt_duration(age)})",
                    [text],
                    pvc=name,
                    provisioner=who,
                )
        elif waiting_for_pod:
            return  # bound once its pod is scheduled: the pod's findings say why it is not
        elif age > PROVISIONING_PATIENCE:
            self.add(
                "pvc-pending",
                obj,
                f"PVC {name} has been Pending for {fmt_duration(age)}",
                [text],
                pvc=name,
            )


# ------------------------------------------------------------------------------------------
# Pure helpers used by the checks.


def _msg(event: Mapping[str, Any] | None) -> str:
    return str((event or {}).get("message") or (event or {}).get("note") or "").strip()


def _quoted(text: str) -> str | None:
    match = re.search(r'"([^"]+)"', text)
    return match.group(1) if match else None


def _condition(pod: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in _get(pod, "status", "conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def _container_status(pod: Mapping[str, Any], container: str) -> Mapping[str, Any]:
    for status in (_get(pod, "status", "initContainerStatuses") or []) + (
        _get(pod, "status", "containerStatuses") or []
    ):
        if status.get("name") == container:
            return status
    return {}


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    statuses = _get(pod, "status", "containerStatuses") or []
    return bool(statuses) and all(s.get("ready") for s in statuses)


def _probe_kills(events: list[dict[str, Any]], container: str, probe: str) -> list[dict[str, Any]]:
    needle = f"Container {container} failed {probe} probe"
    return [e for e in events if e.get("reason") == "Killing" and needle in _msg(e)]


def _unhealthy(
    events: list[dict[str, Any]], probe: str, since: datetime | None = None
) -> list[str]:
    out = []
    for event in events:
        if event.get("reason") != "Unhealthy" or not _msg(event).startswith(f"{probe} probe"):
            continue
        when = event_time(event)
        if since and when and when < since:
            continue
        count = event.get("count") or _get(event, "series", "count")
        out.append(_msg(event) + (f" (x{count})" if count and int(count) > 1 else ""))
    return out


def startup_budget(container: Mapping[str, Any]) -> timedelta:
    """Time the startup probe (else readiness) allows: initialDelay + failureThreshold x period."""
    probe = container.get("startupProbe") or container.get("readinessProbe") or {}
    initial = int(probe.get("initialDelaySeconds") or 0)
    period = int(probe.get("periodSeconds") or 10)
    threshold = int(probe.get("failureThreshold") or 3)
    return timedelta(seconds=initial + period * threshold)


def parse_reasons(message: str) -> dict[str, int]:
    """Scheduler / autoscaler reason list -> {reason: node count}.

    ``0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node
    affinity/selector. preemption: ...`` and ``pod didn't trigger scale-up: 1 max node group size
    reached`` both have that shape; reasons without a count get 0.
    """
    head = re.split(r"\.? preemption:", message, maxsplit=1)[0]
    match = re.search(r"(?:are available|scale-up(?: \([^)]*\))?): (.*)$", head, flags=re.S)
    body = (match.group(1) if match else head).strip().rstrip(".")
    reasons: dict[str, int] = {}
    for raw in re.split(r", (?=\d+ )", body):
        part = raw.strip()
        if not part:
            continue
        counted = re.match(r"(\d+) (.*)", part)
        if counted:
            reasons[counted.group(2)] = reasons.get(counted.group(2), 0) + int(counted.group(1))
        else:
            reasons[part] = 0
    return reasons


def _claim_names(pod: Mapping[str, Any]) -> set[str]:
    return {
        str(_get(v, "persistentVolumeClaim", "claimName"))
        for v in _get(pod, "spec", "volumes") or []
        if _get(v, "persistentVolumeClaim", "claimName")
    }


def _select_nodes(nodes: list[dict[str, Any]], selector: Mapping[str, str]) -> list[dict[str, Any]]:
    return [n for n in nodes if all(_labels(n).get(k) == v for k, v in selector.items())]


def _label_values(nodes: list[dict[str, Any]], selector: Mapping[str, str]) -> str:
    """What the nodes carry for the selector's keys, for the keys whose wanted value no node has
    (every key when each value exists somewhere but no node has them all)."""
    absent = [k for k, v in selector.items() if not any(_labels(n).get(k) == v for n in nodes)]
    parts = []
    for key in absent or list(selector):
        values = sorted({_labels(n)[key] for n in nodes if key in _labels(n)})
        parts.append(f"{key}={'|'.join(values)}" if values else f"no {key} label")
    return ", ".join(parts)


def _tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and (tol.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def _requests_gpu(pod: Mapping[str, Any]) -> bool:
    for container in _get(pod, "spec", "containers") or []:
        for section in ("limits", "requests"):
            if parse_quantity(_get(container, "resources", section, GPU_RESOURCE)):
                return True
    return False


def pod_requests(pod: Mapping[str, Any]) -> dict[str, float]:
    """Summed container requests (limits where no request is set, as Kubernetes defaults them)."""
    totals: dict[str, float] = {}
    for container in _get(pod, "spec", "containers") or []:
        resources = container.get("resources") or {}
        for res in ("cpu", "memory", GPU_RESOURCE):
            value = parse_quantity(
                _get(resources, "requests", res) or _get(resources, "limits", res)
            )
            if value:
                totals[res] = totals.get(res, 0.0) + value
    return totals


def _scale_up_group(message: str) -> str:
    match = re.search(r"\{(\S+) (\d+->\d+ \(max: \d+\))\}", message)
    if not match:
        return message.removeprefix("pod triggered scale-up: ")
    group = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    return f"{group} {match.group(2)}"


def _pod_state(pod: Mapping[str, Any]) -> PodState:
    statuses = _get(pod, "status", "containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len(_get(pod, "spec", "containers") or statuses)
    return PodState(
        name=_name(pod),
        phase=str(_get(pod, "status", "phase") or "Unknown"),
        ready=f"{ready}/{total}",
        restarts=sum(int(s.get("restartCount") or 0) for s in statuses),
        node=_get(pod, "spec", "nodeName"),
    )


_SEVERITY_ORDER = {ERROR: 0, WAITING: 1, WARNING: 2}


def diagnose(
    doc: Mapping[str, Any],
    *,
    namespace: str | None = None,
    release: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Diagnose a kubectl-shaped v1 List (pods, events, PVCs, nodes) of a NIM namespace."""
    snap = Snapshot.from_document(doc)
    when = now or snapshot_time(doc)
    pods = [p for p in snap.pods if is_nim_pod(p, release)]
    ns = namespace or next(
        (
            str(_get(o, "metadata", "namespace"))
            for o in snap.pods + snap.events + snap.pvcs
            if _get(o, "metadata", "namespace")
        ),
        None,
    )
    diag = _Diagnosis(snap, ns or "<namespace>", when)
    diag.check_workloads(pods, release)
    if not pods and not diag.findings:
        others = sorted(
            {
                _labels(p).get(INSTANCE_LABEL, "?")
                for p in snap.pods
                if _labels(p).get(NAME_LABEL) == CHART_NAME
            }
        )
        selector = f"{NAME_LABEL}={CHART_NAME}" + (
            f",{INSTANCE_LABEL}={release}" if release else ""
        )
        extra = f"; nim-llm releases here: {', '.join(others)}" if others else ""
        diag.add(
            "no-nim-pods",
            f"namespace/{ns or '?'}",
            f"no pod labelled {selector} in namespace {ns or '(unknown: pass --namespace)'}{extra}",
        )
    for pod in sorted(pods, key=_name):
        before = len(diag.findings)
        diag.check_pod(pod)
        if len(diag.findings) == before and not _pod_ready(pod):
            diag.add("pod-not-ready", f"pod/{_name(pod)}", f"pod {_name(pod)} is not ready yet")
    claimed = {c for p in pods for c in _claim_names(p)}
    claimed_by_scheduled = {c for p in pods if _get(p, "spec", "nodeName") for c in _claim_names(p)}
    for pvc in snap.pvcs:
        labels = _labels(pvc)
        ours = labels.get(NAME_LABEL) == CHART_NAME and (
            release is None or labels.get(INSTANCE_LABEL) == release
        )
        if ours or _name(pvc) in claimed:
            selected = _get(pvc, "metadata", "annotations", "volume.kubernetes.io/selected-node")
            diag.check_pvc(
                pvc, waiting_for_pod=not selected and _name(pvc) not in claimed_by_scheduled
            )
    findings = sorted(diag.findings, key=lambda f: (_SEVERITY_ORDER.get(f.severity, 9), f.object))
    return Report(
        namespace=ns,
        release=release,
        snapshot_time=when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        pods=tuple(_pod_state(p) for p in sorted(pods, key=_name)),
        findings=tuple(findings),
    )


# ------------------------------------------------------------------------------------------
# Reading the namespace.


def load_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8") if str(path) != "-" else sys.stdin.read()
    except OSError as exc:
        raise DoctorInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise DoctorInputError(
            f"{path} is not JSON ({exc}); produce it with "
            "`kubectl get pods,events,pvc,nodes -n NS -o json > FILE`"
        ) from None
    Snapshot.from_document(doc)  # shape check with a clear message
    return dict(doc)


def collect(core: Any, api_client: Any, namespace: str, release: str | None) -> dict[str, Any]:
    """Read pods (by label), events, PVCs and nodes into one kubectl-shaped v1 List.

    ``core`` is a ``kubernetes.client.CoreV1Api``; ``api_client.sanitize_for_serialization``
    turns the client's objects into the same camelCase dicts ``kubectl -o json`` prints.
    """
    selector = f"{NAME_LABEL}={CHART_NAME}" + (f",{INSTANCE_LABEL}={release}" if release else "")
    reads: list[tuple[str, Any]] = [
        ("Pod", lambda: core.list_namespaced_pod(namespace, label_selector=selector)),
        ("Event", lambda: core.list_namespaced_event(namespace)),
        (
            "PersistentVolumeClaim",
            lambda: core.list_namespaced_persistent_volume_claim(namespace),
        ),
        ("Node", core.list_node),
    ]
    items: list[dict[str, Any]] = []
    for kind, read in reads:
        try:
            listed = read()
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            status = getattr(exc, "status", None)
            if kind == "Node" and status == 403:
                continue  # RBAC may hide nodes; the rest still diagnoses most problems
            raise DoctorInputError(_api_error(kind, namespace, exc)) from None
        for item in api_client.sanitize_for_serialization(listed).get("items", []):
            item.setdefault("apiVersion", "v1")
            item.setdefault("kind", kind)
            items.append(item)
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _api_error(kind: str, namespace: str, exc: Exception) -> str:
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0][:200]
    if status in (401, 403):
        return (
            f"the cluster refused to list {kind}s in namespace {namespace} (HTTP {status} "
            f"{reason}); check your credentials: "
            "gcloud container clusters get-credentials CLUSTER --region REGION"
        )
    if status:
        return f"listing {kind}s in namespace {namespace} failed: HTTP {status} {reason}"
    return f"cannot reach the cluster API ({reason}); check the kube context and the network"


def read_live(
    namespace: str | None, release: str | None, context: str | None
) -> tuple[dict[str, Any], str]:
    try:
        from kubernetes import client, config  # noqa: PLC0415 - optional dependency
        from kubernetes.config.config_exception import ConfigException  # noqa: PLC0415
    except ImportError:
        raise DoctorInputError(
            "the Kubernetes Python client is not installed: pip install 'kubernetes>=37,<38' "
            "(or use --from-file with `kubectl get pods,events,pvc,nodes -n NS -o json`)"
        ) from None
    try:
        config.load_kube_config(context=context)
        if namespace is None:
            _, active = config.list_kube_config_contexts()
            namespace = _get(active, "context", "namespace") or DEFAULT_NAMESPACE
    except (ConfigException, OSError) as exc:
        try:
            config.load_incluster_config()
        except ConfigException:
            raise DoctorInputError(
                f"no usable kube context ({exc}); run `gcloud container clusters "
                "get-credentials CLUSTER --region REGION` or pass --from-file"
            ) from None
        namespace = namespace or DEFAULT_NAMESPACE
    api_client = client.ApiClient()
    return collect(client.CoreV1Api(api_client), api_client, namespace, release), namespace


# ------------------------------------------------------------------------------------------
# Output and CLI.

_MARK = {ERROR: "PROBLEM", WAITING: "WAITING", WARNING: "WARNING"}

DESCRIPTION = """\
Why is the NIM not serving, and what fixes it?

Reads the NIM pods (labelled app.kubernetes.io/name=nim-llm), their events and PVCs, and the
nodes, from the current kube context or from `kubectl get pods,events,pvc,nodes -n NS -o json`
output, and reports each problem it recognises with its cause and its fix: GPU shortage (pool
maximum, quota, zone stockout, missing driver), untolerated taints, node selectors that match no
pool, image pulls refused by nvcr.io, a missing API key Secret or key, Pending PVCs, model loads
against the startup-probe budget, probe failures, OOMKilled, CrashLoopBackOff, and GPU nodes
being added by the cluster autoscaler.

Exit codes: 0 healthy, 1 problems to fix, 2 the namespace could not be read,
3 nothing to fix but not ready yet (a GPU node or the model is still coming up)."""


def render(report: Report) -> str:
    lines = [
        f"nimctl doctor: namespace {report.namespace or '? (pass --namespace)'}"
        + (f", release {report.release}" if report.release else "")
        + f" (as of {report.snapshot_time})"
    ]
    for pod in report.pods:
        lines.append(
            f"  pod {pod.name}: {pod.phase}, {pod.ready} ready, {pod.restarts} restart(s)"
            + (f", on {pod.node}" if pod.node else "")
        )
    for finding in report.findings:
        lines.append("")
        lines.append(f"{_MARK[finding.severity]} [{finding.cause}] {finding.object}")
        lines.append(f"  {finding.summary}")
        for evidence in finding.evidence:
            lines.append(f"  seen: {evidence}")
        lines.append(f"  fix [{finding.fix}]: {finding.fix_text}")
    lines.append("")
    summary = {
        "healthy": "healthy: every NIM pod is ready",
        "waiting": "not ready yet, nothing to fix: re-run in a few minutes",
        "problems": f"{sum(f.severity == ERROR for f in report.findings)} problem(s) to fix",
    }[report.status]
    lines.append(f"doctor: {summary}")
    return "\n".join(lines)


def _parse_now(text: str) -> datetime:
    parsed = parse_time(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time (2026-01-31T12:00:00Z)")
    return parsed


def run(args: argparse.Namespace) -> int:
    try:
        if args.from_file:
            doc = load_file(Path(args.from_file))
            namespace = args.namespace
        else:
            doc, namespace = read_live(args.namespace, args.release, args.context)
        if args.save:
            Path(args.save).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        # Offline snapshots are judged as of their newest timestamp, live ones as of now.
        now = args.now or (None if args.from_file else datetime.now(UTC))
        report = diagnose(doc, namespace=namespace, release=args.release, now=now)
    except DoctorInputError as exc:
        print(f"doctor: cannot read the namespace: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render(report))
    return report.exit_code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "doctor",
        help="diagnose a NIM that is not serving (scheduling, GPU, image pull, secrets, probes)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n"
        "  python -m nimctl doctor --namespace nim --release llama3-8b\n"
        "  kubectl get pods,events,pvc,nodes -n nim -o json > nim.json\n"
        "  python -m nimctl doctor --from-file nim.json --json",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        help=f"namespace of the NIM (default: the kube context's namespace, else "
        f"{DEFAULT_NAMESPACE})",
    )
    parser.add_argument(
        "--release",
        help="Helm release name: only pods labelled app.kubernetes.io/instance=RELEASE",
    )
    parser.add_argument("--context", help="kube context to use (default: the current one)")
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="read `kubectl get pods,events,pvc,nodes -n NS -o json` output instead of the "
        "cluster ('-' for stdin)",
    )
    parser.add_argument(
        "--save", metavar="FILE", help="also write what was read as a v1 List JSON (to share)"
    )
    parser.add_argument(
        "--now",
        type=_parse_now,
        help="evaluate ages as of this ISO time (default: now; for --from-file the newest "
        "timestamp in the file)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """``nimctl`` with only this command (for tests; the real CLI uses :func:`register`)."""
    return _cli.standalone_parser(register)
