"""Scale-up: what the cluster autoscaler did for a Pending pod (quota, zone stockout, pool maximum,
a failed scale-up retried). The nodes it brought, and their GPUs, are :mod:`nimctl.doctor.nodes`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import event_time, fmt_duration, get, msg, name
from nimctl.doctor.nodes import driver_finding, node_came
from nimctl.doctor.wording import (
    OUT_OF_RESOURCES,
    QUOTA_EXCEEDED,
    parse_failed_scale_up,
    scale_up_group,
)

# How long a triggered scale-up may take before "still going" becomes "stuck".
SCALE_UP_PATIENCE = timedelta(minutes=15)
# A pool node being replaced, not ready, or with a GPU gone bad counts towards the pool's maximum
# until it is gone: "max node group size reached" is then its consequence, not a cause to fix.
POOL_NODE_CAUSES = (
    "node-going-away",
    "node-starting",
    "node-went-not-ready",
    "node-not-ready",
    "gpu-unhealthy",
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
        if gpu_short and not (driver_finding(diag) or diag.has("node-going-away")):
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
    failures = [e for e in autoscaler if e.get("reason") == "FailedScaleUp"]
    if reason == "TriggeredScaleUp":
        if node_came(diag):
            return  # the node came: its readiness or its driver is what the pod waits for
        # After a failed scale-up the autoscaler backs the group off and then tries again, with a
        # new TriggeredScaleUp: once the failure has repeated, a newer trigger is the same
        # failure coming round again (quota, stockout), not progress.
        if failures and _occurrences(failures) > 1:
            times = _occurrences(failures)
            _scale_up_failure(
                diag,
                pod_name,
                failures[-1],
                [_counted(failures[-1]), msg(latest)],
                f" (it failed {times} times; the autoscaler retried {fmt_duration(age)} ago)",
            )
            return
        group = scale_up_group(msg(latest))
        if age <= SCALE_UP_PATIENCE:
            earlier = [f"an earlier attempt failed: {msg(failures[-1])}"] if failures else []
            diag.add(
                "gpu-scale-up-in-progress",
                obj,
                f"pod {pod_name} waits for a new node: the cluster autoscaler triggered a "
                f"scale-up {fmt_duration(age)} ago ({group})",
                [msg(latest), *earlier],
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
        if any(diag.has(c) for c in POOL_NODE_CAUSES):
            return  # a node of the pool that cannot serve still fills it: that node is the cause
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
        elif gpu_short and not (diag.has_object(obj) or driver_finding(diag)):
            diag.add(
                "insufficient-gpu",
                obj,
                f"no node has a free nvidia.com/gpu for pod {pod_name} and no node pool can "
                "add one",
                [ca, message],
            )


def _occurrences(events: list[dict[str, Any]]) -> int:
    """How many times these events happened (core/v1 count, events.k8s.io series count)."""
    return sum(int(e.get("count") or get(e, "series", "count") or 1) for e in events)


def _counted(event: dict[str, Any]) -> str:
    times = _occurrences([event])
    return msg(event) + (f" (x{times})" if times > 1 else "")


def _scale_up_failure(
    diag: Diagnosis, pod_name: str, event: dict[str, Any], evidence: list[str], retry: str = ""
) -> None:
    """One FailedScaleUp: a finding per cause it names (GKE joins several with ', ')."""
    obj = f"pod/{pod_name}"
    failed = parse_failed_scale_up(msg(event))
    zones = ", ".join(failed.zones) or "the pool's zones"
    others = [c for c in failed.causes if c not in (QUOTA_EXCEEDED, OUT_OF_RESOURCES)]
    if QUOTA_EXCEEDED in failed.causes:
        diag.add(
            "gpu-quota-exceeded",
            obj,
            f"GKE could not add a GPU node for pod {pod_name} in {zones}: GCE quota exceeded"
            + retry,
            evidence,
        )
    if OUT_OF_RESOURCES in failed.causes:
        diag.add(
            "gpu-zone-stockout",
            obj,
            f"GKE could not add a GPU node for pod {pod_name}: {zones} "
            f"{'are' if len(failed.zones) > 1 else 'is'} out of capacity for this machine or GPU "
            "type" + retry,
            evidence,
            zones=zones,
        )
    if others or not failed.causes:
        detail = ", ".join(others) or msg(event)
        diag.add(
            "gpu-scale-up-failed",
            obj,
            f"GKE could not add a node for pod {pod_name}: {detail}{retry}",
            evidence,
            detail=detail,
        )
