"""Pods that never appear: the StatefulSet (or ReplicaSet) cannot create them."""

from __future__ import annotations

from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import get, msg


def check_workloads(diag: Diagnosis, pods: list[dict[str, Any]], release: str | None) -> None:
    """FailedCreate on the StatefulSet (or Deployment's ReplicaSet): pods never appear."""
    owners = {
        str(ref.get("name")) for p in pods for ref in get(p, "metadata", "ownerReferences") or []
    }
    if release:
        owners |= {release, f"{release}-nim-llm"}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for event in diag.snap.events:
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
        text = msg(event)
        workload = f"{kind.lower()}/{name}"
        if "exceeded quota" in text:
            diag.add(
                "resource-quota-exceeded",
                workload,
                f"{kind} {name} cannot create its pod: a ResourceQuota is exhausted",
                [text],
            )
        else:
            diag.add(
                "pod-create-failed",
                workload,
                f"{kind} {name} cannot create its pod",
                [text],
                workload=workload,
            )
