"""Scale-up and GPU nodes: what the cluster autoscaler did for a Pending pod, and the GPU nodes
it brought (quota, zone stockout, pool maximum, a node without its GPU driver)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    event_time,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_quantity,
)
from nimctl.doctor.wording import scale_up_group

# How long a triggered scale-up may take before "still going" becomes "stuck".
SCALE_UP_PATIENCE = timedelta(minutes=15)


def check_gpu_drivers(diag: Diagnosis, pod_name: str, message: str) -> None:
    bare = [
        name(n)
        for n in diag.snap.nodes
        if ACCELERATOR_LABEL in labels(n)
        and not parse_quantity(get(n, "status", "allocatable", GPU_RESOURCE))
    ]
    if bare:
        accelerator = labels(next(n for n in diag.snap.nodes if name(n) == bare[0])).get(
            ACCELERATOR_LABEL
        )
        diag.add(
            "gpu-driver-not-installed",
            f"node/{bare[0]}",
            f"GPU node(s) {', '.join(bare)} ({accelerator}) expose no nvidia.com/gpu, so "
            f"pod {pod_name} cannot use them",
            [message],
            nodes=", ".join(bare),
        )


def check_autoscaler(
    diag: Diagnosis,
    pod: dict[str, Any],
    autoscaler: list[dict[str, Any]],
    gpu_short: bool,
    message: str,
) -> None:
    pod_name = name(pod)
    obj = f"pod/{pod_name}"
    if not autoscaler:
        if gpu_short and not diag.has("gpu-driver-not-installed"):
            diag.add(
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
    age = (diag.now - when) if when else timedelta(0)
    if reason == "TriggeredScaleUp":
        group = scale_up_group(msg(latest))
        if age <= SCALE_UP_PATIENCE:
            diag.add(
                "gpu-scale-up-in-progress",
                obj,
                f"pod {pod_name} waits for a new node: the cluster autoscaler triggered a "
                f"scale-up {fmt_duration(age)} ago ({group})",
                [msg(latest)],
                group=group,
            )
        else:
            diag.add(
                "gpu-scale-up-stalled",
                obj,
                f"the scale-up for pod {pod_name} was triggered {fmt_duration(age)} ago "
                "and no node has taken the pod",
                [msg(latest), message],
                age=fmt_duration(age),
            )
        return
    # A FailedScaleUp newer than the last TriggeredScaleUp explains the rest (events are
    # sorted oldest first, so list positions order them).
    positions = {e.get("reason"): i for i, e in enumerate(autoscaler)}
    if positions.get("FailedScaleUp", -1) > positions.get("TriggeredScaleUp", -1):
        failure = autoscaler[positions["FailedScaleUp"]]
        _scale_up_failure(diag, pod_name, failure, [msg(e) for e in autoscaler[-2:]])
        return
    if reason == "NotTriggerScaleUp":
        ca = msg(latest)
        if "max node group size reached" in ca:
            diag.add(
                "gpu-pool-max-reached",
                obj,
                f"pod {pod_name} needs another node but its node pool is at its maximum size",
                [ca, message],
            )
        elif "in backoff after failed scale-up" in ca:
            diag.add(
                "gpu-scale-up-failed",
                obj,
                f"the cluster autoscaler is backing off after a failed scale-up for pod {pod_name}",
                [ca, message],
                detail="the autoscaler is in backoff after a failed scale-up",
            )
        elif gpu_short and not any(
            f.object == obj or f.cause == "gpu-driver-not-installed" for f in diag.findings
        ):
            diag.add(
                "insufficient-gpu",
                obj,
                f"no node has a free nvidia.com/gpu for pod {pod_name} and no node pool can "
                "add one",
                [ca, message],
            )


def _scale_up_failure(
    diag: Diagnosis, pod_name: str, event: dict[str, Any], evidence: list[str]
) -> None:
    obj = f"pod/{pod_name}"
    text = msg(event)
    zones_match = re.search(r"in zones (.*?) associated with this pod", text)
    zones = zones_match.group(1) if zones_match else "the pool's zones"
    if "GCE quota exceeded" in text:
        diag.add(
            "gpu-quota-exceeded",
            obj,
            f"GKE could not add a GPU node for pod {pod_name} in {zones}: GCE quota exceeded",
            evidence,
        )
    elif "GCE out of resources" in text:
        diag.add(
            "gpu-zone-stockout",
            obj,
            f"GKE could not add a GPU node for pod {pod_name}: {zones} is out of capacity "
            "for this machine or GPU type",
            evidence,
            zones=zones,
        )
    else:
        detail = text.split("failed: ", 1)[-1].split(". Pod is at risk")[0]
        diag.add(
            "gpu-scale-up-failed",
            obj,
            f"GKE could not add a node for pod {pod_name}: {detail}",
            evidence,
            detail=detail,
        )
