"""Scale-up and GPU nodes: what the cluster autoscaler did for a Pending pod, and the GPU nodes
it brought (quota, zone stockout, pool maximum, a node without its GPU driver)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    condition,
    event_time,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_quantity,
    parse_time,
    select_nodes,
)
from nimctl.doctor.wording import (
    OUT_OF_RESOURCES,
    QUOTA_EXCEEDED,
    parse_failed_scale_up,
    scale_up_group,
)

# How long a triggered scale-up may take before "still going" becomes "stuck".
SCALE_UP_PATIENCE = timedelta(minutes=15)

# A new GPU node registers and turns Ready before it advertises nvidia.com/gpu: GKE installs the
# NVIDIA driver, then the device plugin registers the GPU. The cluster autoscaler treats such a
# node as unready, "coming up without installed drivers" (kubernetes/autoscaler
# processors/customresources/gpu_processor.go, cluster-autoscaler-1.34.0), and its authors found it
# "can take up to 15 minutes before it reports that GPU is allocatable" (kubernetes/autoscaler
# commit dd5b0f5ca50d). So a GPU node younger than this without nvidia.com/gpu is waiting (exit 3);
# an older one has a driver problem (exit 1). Counted from the node's creationTimestamp.
GPU_DRIVER_PATIENCE = timedelta(minutes=15)

# GKE labels a node whose driver it installs with the driver version ("default", "latest"); the
# manual installer DaemonSet selects GPU nodes without the label
# (GoogleCloudPlatform/container-engine-accelerators nvidia-driver-installer/cos/
# daemonset-preloaded.yaml, 992db81257553607f1477945f1b3219632991829), and "disabled" means no
# installation by GKE.
DRIVER_VERSION_LABEL = "cloud.google.com/gke-gpu-driver-version"


# Taints the node lifecycle controller and the cloud provider put on a node that is not (yet)
# ready (k8s.io/api core/v1 well_known_taints.go, k8s.io/cloud-provider api/well_known_taints.go):
# a pod does not tolerate them and must not; they go away when the node turns Ready.
NODE_LIFECYCLE_TAINTS = (
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/network-unavailable",
    "node.cloudprovider.kubernetes.io/uninitialized",
)

# How long a registered node may stay NotReady before "starting" becomes "broken". Ours: a GKE
# node turns Ready a minute or two after it registers (once its network plugin is up); the
# cluster autoscaler gives a node 15 minutes to appear at all (--max-node-provision-time, FAQ).
NODE_READY_PATIENCE = timedelta(minutes=10)


def check_node_not_ready(
    diag: Diagnosis, pod: dict[str, Any], node: Mapping[str, Any], taint: str, message: str
) -> None:
    """A node of the pod's pool carries a not-ready taint: starting while young, else broken."""
    node_name, age = name(node), _age(diag, node)
    ready = condition(node, "Ready") or {}
    state = " ".join(str(ready.get(k) or "") for k in ("reason", "message")).strip()
    evidence = [message, f"node {node_name} Ready={ready.get('status', '?')}: {state}"]
    if age <= NODE_READY_PATIENCE:
        diag.add(
            "node-starting",
            f"node/{node_name}",
            f"node {node_name} joined {fmt_duration(age)} ago and is not ready yet ({taint}); "
            f"pod {name(pod)} waits for it",
            evidence,
            node=node_name,
            patience=fmt_duration(NODE_READY_PATIENCE),
        )
    else:
        diag.add(
            "node-not-ready",
            f"node/{node_name}",
            f"node {node_name} has not been ready for {fmt_duration(age)} ({taint}), so pod "
            f"{name(pod)} cannot use it",
            evidence,
            node=node_name,
        )


def check_gpu_nodes(
    diag: Diagnosis, pod: dict[str, Any], message: str, autoscaler: list[dict[str, Any]]
) -> bool:
    """GPU nodes of the pod's pool that advertise no nvidia.com/gpu. True when one is still
    young enough to be installing its driver: the pod waits for it, nothing else to report."""
    selector = get(pod, "spec", "nodeSelector") or {}
    bare = [
        n
        for n in select_nodes(diag.snap.nodes, selector)
        if ACCELERATOR_LABEL in labels(n)
        and not parse_quantity(get(n, "status", "allocatable", GPU_RESOURCE))
    ]
    if not bare:
        return False
    triggered = [msg(e) for e in autoscaler if e.get("reason") == "TriggeredScaleUp"][-1:]
    young = [n for n in bare if _age(diag, n) <= GPU_DRIVER_PATIENCE]
    for node in young:
        node_name, age = name(node), _age(diag, node)
        diag.add(
            "gpu-driver-installing",
            f"node/{node_name}",
            f"GPU node {node_name} ({labels(node).get(ACCELERATOR_LABEL)}) joined "
            f"{fmt_duration(age)} ago and does not advertise nvidia.com/gpu yet: the NVIDIA "
            f"driver is being installed; pod {name(pod)} waits for it",
            [message, *triggered],
            node=node_name,
            patience=fmt_duration(GPU_DRIVER_PATIENCE),
        )
    if young:
        return True
    accelerator = labels(bare[0]).get(ACCELERATOR_LABEL)
    nodes = ", ".join(name(n) for n in bare)
    waited = fmt_duration(min(_age(diag, n) for n in bare))
    versions = sorted({labels(n).get(DRIVER_VERSION_LABEL, "") for n in bare} - {"", "disabled"})
    if versions:  # GKE was asked to install it: the installation fails
        diag.add(
            "gpu-driver-install-stuck",
            f"node/{name(bare[0])}",
            f"GPU node(s) {nodes} ({accelerator}) still advertise no nvidia.com/gpu {waited} after "
            f"joining, although GKE installs the driver ({', '.join(versions)}), so pod "
            f"{name(pod)} cannot use them",
            [message],
            nodes=nodes,
            node=name(bare[0]),
            age=waited,
        )
    else:
        diag.add(
            "gpu-driver-not-installed",
            f"node/{name(bare[0])}",
            f"GPU node(s) {nodes} ({accelerator}) expose no nvidia.com/gpu, so pod {name(pod)} "
            "cannot use them",
            [message],
            nodes=nodes,
        )
    return False


def _age(diag: Diagnosis, node: Mapping[str, Any]) -> timedelta:
    created = parse_time(get(node, "metadata", "creationTimestamp"))
    return (diag.now - created) if created else timedelta(0)


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
        if gpu_short and not _driver_finding(diag):
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
        if _node_came(diag):
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
        elif gpu_short and not (diag.has_object(obj) or _driver_finding(diag)):
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


def _driver_finding(diag: Diagnosis) -> bool:
    return diag.has("gpu-driver-not-installed") or diag.has("gpu-driver-install-stuck")


def _node_came(diag: Diagnosis) -> bool:
    return _driver_finding(diag) or any(
        diag.has(c) for c in ("gpu-driver-installing", "node-starting", "node-not-ready")
    )
