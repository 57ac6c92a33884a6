"""Storage: the model-cache PVC is Pending (storage class, provisioner) or cannot be mounted."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ZONE_LABEL,
    claim_names,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
    select_nodes,
)

# How long a PVC may wait for its disk before "being provisioned" becomes "stuck".
PROVISIONING_PATIENCE = timedelta(minutes=10)


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
    diag.add(
        "volume-mount-failed",
        f"pod/{pod_name}",
        f"a volume of pod {pod_name} cannot be mounted",
        [msg(mount[-1])],
        pod=pod_name,
    )
    return True


def check_volume_zone(diag: Diagnosis, pod: dict[str, Any], conflicts: int, message: str) -> bool:
    """A bound claim's disk is in a zone where no node of the pod's pool can run; ``conflicts``:
    how many nodes the scheduler found in the wrong zone. False when some node of the pool is in
    the disk's zone (then something else, e.g. its GPU being taken, is what stops the pod).

    A PVC on standard-rwo/premium-rwo is a zonal persistent disk: after its first bind its pod
    can only run in that zone (FACTS 20). The claim's ``volume.kubernetes.io/selected-node``
    annotation names the node it was first provisioned for, whose zone is the disk's.
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
        diag.add(
            "volume-zone-conflict",
            f"pod/{name(pod)}",
            f"PVC {name(pvc)} is a zonal disk in {where}, and no node of pod {name(pod)}'s pool "
            f"can run there (its nodes are in {node_zones})",
            [message],
            pvc=name(pvc),
            storage_class=get(pvc, "spec", "storageClassName") or "default",
            disk_zone=where,
            node_zones=node_zones,
            volume=volume,
        )
    return found
