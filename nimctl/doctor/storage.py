"""Storage: the model-cache PVC is Pending (storage class, provisioner) or cannot be mounted."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ZONE_LABEL,
    claim_names,
    event_first_time,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
    select_nodes,
)
from nimctl.doctor.wording import CsiFailure, csi_failure

# How long a PVC may wait for its disk before "being provisioned" becomes "stuck".
PROVISIONING_PATIENCE = timedelta(minutes=10)
# How long the Cloud Storage FUSE driver may lack a pod's credentials: "it usually takes a few
# minutes for the credentials being propagated ... If you still see this warning after 5 minutes,
# double check" the service account set-up
# (GoogleCloudPlatform/gcs-fuse-csi-driver@5fcdc04a02d2:docs/troubleshooting.md, Unauthenticated).
CREDENTIALS_PATIENCE = timedelta(minutes=5)
# Machine families that can attach a regional persistent disk: "Regional Persistent Disk ... E2,
# N1, N2, and N2D" (cloud.google.com/compute/docs/disks/about-regional-persistent-disk); G2 (and
# the other accelerator-optimized families) support no regional disk type
# (compute/docs/accelerator-optimized-machines, "Supported disk types for G2").
REGIONAL_DISK_FAMILIES = ("e2", "n1", "n2", "n2d")
MACHINE_LABEL = "node.kubernetes.io/instance-type"


def check_pvc(diag: Diagnosis, pvc: dict[str, Any], *, waiting_for_pod: bool) -> None:
    """A Pending PVC; ``waiting_for_pod``: its pod is not scheduled yet for another reason,
    so a WaitForFirstConsumer claim has nothing to do yet (errors are still reported)."""
    if get(pvc, "status", "phase") != "Pending":
        return
    pvc_name = name(pvc)
    obj = f"pvc/{pvc_name}"
    events = diag.snap.events_for("PersistentVolumeClaim", pvc)
    created = parse_time(get(pvc, "metadata", "creationTimestamp"))
    age = (diag.now - created) if created else timedelta(0)
    latest = events[-1] if events else None
    text = msg(latest) if latest else ""
    reason = latest.get("reason") if latest else None
    storage_class = get(pvc, "spec", "storageClassName")
    missing_class = re.search(r'storageclass\.storage\.k8s\.io "([^"]+)" not found', text)
    provisioner = re.search(r"external provisioner [\"']?([\w.\-/]+)", text)
    if missing_class:
        diag.add(
            "pvc-storage-class-not-found",
            obj,
            f"PVC {pvc_name} is Pending: StorageClass {missing_class.group(1)} does not exist",
            [text],
            storage_class=missing_class.group(1),
            pvc=pvc_name,
        )
    elif "no storage class is set" in text:
        diag.add(
            "pvc-no-storage-class",
            obj,
            f"PVC {pvc_name} is Pending: it names no StorageClass and there is no default",
            [text],
            pvc=pvc_name,
        )
    elif reason == "ProvisioningFailed":
        diag.add(
            "pvc-provisioning-failed",
            obj,
            f"PVC {pvc_name} is Pending: provisioning the disk failed "
            f"(StorageClass {storage_class or 'default'})",
            [text],
            pvc=pvc_name,
        )
    elif reason in ("ExternalProvisioning", "Provisioning") or provisioner:
        who = provisioner.group(1) if provisioner else "the provisioner"
        if age > PROVISIONING_PATIENCE:
            diag.add(
                "pvc-provisioner-stuck",
                obj,
                f"PVC {pvc_name} has been Pending for {fmt_duration(age)} waiting for {who}",
                [text],
                pvc=pvc_name,
                age=fmt_duration(age),
                provisioner=who,
            )
        else:
            diag.add(
                "pvc-provisioning",
                obj,
                f"PVC {pvc_name} is being provisioned by {who} ({fmt_duration(age)})",
                [text],
                pvc=pvc_name,
                provisioner=who,
            )
    elif waiting_for_pod:
        return  # bound once its pod is scheduled: the pod's findings say why it is not
    elif age > PROVISIONING_PATIENCE:
        diag.add(
            "pvc-pending",
            obj,
            f"PVC {pvc_name} has been Pending for {fmt_duration(age)}",
            [text],
            pvc=pvc_name,
        )


def check_claims_of(diag: Diagnosis, pod: dict[str, Any], message: str) -> None:
    """The scheduler names volumes as the reason the pod waits: diagnose the pod's claims."""
    before = len(diag.findings)
    claims = claim_names(pod)
    bound = set()
    for pvc in diag.snap.pvcs:
        if name(pvc) in claims:
            check_pvc(diag, pvc, waiting_for_pod=False)
            if get(pvc, "status", "phase") == "Bound":
                bound.add(name(pvc))
    if len(diag.findings) == before:
        for claim in sorted(claims - bound):
            diag.add(
                "pvc-pending",
                f"pvc/{claim}",
                f"pod {name(pod)} waits for PVC {claim} to be bound",
                [message],
                pvc=claim,
            )


def check_mount(diag: Diagnosis, pod: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """Scheduled, but kubelet cannot attach or mount a volume."""
    mount = [e for e in events if e.get("reason") in ("FailedMount", "FailedAttachVolume")]
    if not mount:
        return False
    pod_name = name(pod)
    latest = msg(mount[-1])
    failure = csi_failure(latest)
    if failure is not None and failure.gcsfuse and _check_gcsfuse(diag, pod, mount, failure):
        return True
    diag.add(
        "volume-mount-failed",
        f"pod/{pod_name}",
        f"a volume of pod {pod_name} cannot be mounted",
        [latest],
        pod=pod_name,
    )
    return True


def _check_gcsfuse(
    diag: Diagnosis, pod: dict[str, Any], mount: list[dict[str, Any]], failure: CsiFailure
) -> bool:
    """The shared model cache (Cloud Storage FUSE CSI driver) refused the mount: its gRPC code
    says which of three fixes applies (``wording.csi_failure``). False for a code no rule knows."""
    pod_name = name(pod)
    obj, evidence = f"pod/{pod_name}", [msg(mount[-1])]
    bucket = failure.bucket or "?"
    if failure.code == "FailedPrecondition" or "failed to inject the sidecar" in failure.detail:
        diag.add(
            "gcsfuse-sidecar-missing",
            obj,
            f"pod {pod_name} mounts the shared cache bucket without the Cloud Storage FUSE "
            "sidecar, so the volume cannot be mounted",
            evidence,
            pod=pod_name,
        )
    elif failure.code == "PermissionDenied":
        diag.add(
            "gcsfuse-bucket-forbidden",
            obj,
            f"Cloud Storage refuses bucket {bucket} to pod {pod_name}'s service account",
            evidence,
            pod=pod_name,
            bucket=bucket,
        )
    elif failure.code == "NotFound" and failure.bucket is not None:
        diag.add(
            "gcsfuse-bucket-not-found",
            obj,
            f"the shared cache bucket {bucket} of pod {pod_name} does not exist",
            evidence,
            bucket=bucket,
        )
    elif failure.code == "Unauthenticated":
        first = event_first_time(mount[0])
        waited = diag.now - first if first else timedelta(0)
        pending = waited <= CREDENTIALS_PATIENCE
        diag.add(
            "gcsfuse-credentials-pending" if pending else "gcsfuse-bucket-forbidden",
            obj,
            f"the Cloud Storage FUSE driver has no credentials for pod {pod_name} yet "
            f"({fmt_duration(waited)})"
            if pending
            else f"the Cloud Storage FUSE driver has had no credentials for pod {pod_name} for "
            f"{fmt_duration(waited)}",
            evidence,
            pod=pod_name,
            bucket=bucket,
            patience=fmt_duration(CREDENTIALS_PATIENCE),
        )
    else:
        return False
    return True


def check_volume_zone(diag: Diagnosis, pod: dict[str, Any], conflicts: int, message: str) -> bool:
    """A bound claim's disk is in a zone where no node of the pod's pool can run; ``conflicts``:
    how many nodes the scheduler found in the wrong zone. False when some node of the pool is in
    the disk's zone (then something else, e.g. its GPU being taken, is what stops the pod).

    A PVC on standard-rwo/premium-rwo is a zonal persistent disk: after its first bind its pod
    can only run in that zone. The fix depends on the pool's machines: only E2, N1, N2 and N2D
    attach a regional disk (``REGIONAL_DISK_FAMILIES``), never a G2. The claim's
    ``volume.kubernetes.io/selected-node`` annotation names the node it was first provisioned
    for, whose zone is the disk's.
    """
    pool = select_nodes(diag.snap.nodes, get(pod, "spec", "nodeSelector") or {})
    pool_zones = {labels(n).get(ZONE_LABEL, "?") for n in pool}
    node_zones = ", ".join(sorted(pool_zones)) or "none"
    if conflicts < len(pool):
        return False
    found = False
    for pvc in diag.snap.pvcs:
        if name(pvc) not in claim_names(pod) or get(pvc, "status", "phase") != "Bound":
            continue
        selected = get(pvc, "metadata", "annotations", "volume.kubernetes.io/selected-node")
        first = next((n for n in diag.snap.nodes if name(n) == selected), None)
        disk_zone = labels(first).get(ZONE_LABEL) if first else None
        if disk_zone in pool_zones:
            continue
        where = disk_zone or (
            f"the zone of node {selected}" if selected else "the zone it was created in"
        )
        found = True
        volume = get(pvc, "spec", "volumeName") or "?"
        machines = sorted({labels(n).get(MACHINE_LABEL, "?") for n in pool})
        families = {m.split("-", 1)[0] for m in machines}
        regional_ok = families <= set(REGIONAL_DISK_FAMILIES)
        diag.add(
            "volume-zone-conflict-regional-possible" if regional_ok else "volume-zone-conflict",
            f"pod/{name(pod)}",
            f"PVC {name(pvc)} is a zonal disk in {where}, and no node of pod {name(pod)}'s pool "
            f"can run there (its nodes are in {node_zones})",
            [message],
            pvc=name(pvc),
            storage_class=get(pvc, "spec", "storageClassName") or "default",
            disk_zone=where,
            node_zones=node_zones,
            volume=volume,
            machines=", ".join(machines),
        )
    return found
