"""The nodes under a waiting pod: one joining or no longer Ready, one going away (a Spot VM being
reclaimed, a node the autoscaler removes), and GPU nodes that advertise no usable GPU (a driver
still installing, never installed, failing, or a GPU that went bad after serving).

Times are counted from what says when a state began: a node's NotReady from its Ready
condition's ``lastTransitionTime`` (the node lifecycle controller moves it when the kubelet stops
posting: reason ``NodeStatusUnknown``, "Kubelet stopped posting node status.", kubernetes/
kubernetes pkg/controller/nodelifecycle/node_lifecycle_controller.go), not from the node's
creation: a node that served for days and went away a minute ago is not "broken for days".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    age,
    condition,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_quantity,
    parse_time,
    select_nodes,
)

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

# Taints of a node that is about to disappear: GKE's termination taint on a VM Compute Engine is
# reclaiming (a Spot or preemptible VM) or a GPU VM before host maintenance (GKE's
# maintenance-handler DaemonSet runs with --taint=cloud.google.com/impending-node-termination::
# NoSchedule), and the cluster autoscaler's scale-down taint (kubernetes/autoscaler
# cluster-autoscaler/utils/taints/taints.go ToBeDeletedTaint). kubernetes-monitoring/
# kubernetes-mixin@0636e5f7556525672e883ef938269d027dd40322 alerts/kubelet.libsonnet ignores
# exactly these in its unreachable-node alert, because such a node going away is expected.
NODE_GOING_AWAY_TAINTS = {
    "cloud.google.com/impending-node-termination": "GKE is terminating it",
    "ToBeDeletedByClusterAutoscaler": "the cluster autoscaler is removing it",
}
SPOT_LABEL = "cloud.google.com/gke-spot"

# How long a registered node may stay NotReady before "starting" becomes "broken". Ours: a GKE
# node turns Ready a minute or two after it registers (once its network plugin is up); the
# cluster autoscaler gives a node 15 minutes to appear at all (--max-node-provision-time, FAQ).
NODE_READY_PATIENCE = timedelta(minutes=10)

# How long a pod may wait after its node went away for the replacement: a new GPU node is a
# scale-up like any other (the autoscaler's 15 minutes, as SCALE_UP_PATIENCE in ``scaleup``).
REPLACEMENT_PATIENCE = timedelta(minutes=15)


def not_ready_for(diag: Diagnosis, node: Mapping[str, Any]) -> timedelta:
    """How long the node has not been Ready: since its Ready condition last changed, else (no
    condition, or a taint lagging behind a Ready node) since it was created."""
    ready = condition(node, "Ready") or {}
    since = parse_time(ready.get("lastTransitionTime")) if ready.get("status") != "True" else None
    return diag.now - since if since else age(node, diag.now)


def _ready_state(node: Mapping[str, Any]) -> str:
    ready = condition(node, "Ready") or {}
    state = " ".join(str(ready.get(k) or "") for k in ("reason", "message")).strip()
    return f"node {name(node)} Ready={ready.get('status', '?')}: {state}"


def going_away(node: Mapping[str, Any]) -> str | None:
    """The key of the taint that says the node is being removed, if it carries one."""
    for taint in get(node, "spec", "taints") or []:
        if taint.get("key") in NODE_GOING_AWAY_TAINTS:
            return str(taint["key"])
    return None


def check_node_going_away(
    diag: Diagnosis, pod: Mapping[str, Any], node: Mapping[str, Any] | None, key: str, message: str
) -> bool:
    """A node of the pod's pool is being removed: the pod waits for its replacement (the
    StatefulSet recreates a pod, the autoscaler adds a node). False once that took longer than
    ``REPLACEMENT_PATIENCE`` (then the other rules say what stops it)."""
    node_name = name(node) if node is not None else "?"
    if node is not None:
        ready = (condition(node, "Ready") or {}).get("status") == "True"
        down = timedelta(0) if ready else not_ready_for(diag, node)
    else:  # only the scheduler's message names it: count from when the pod became unschedulable
        since = parse_time((condition(pod, "PodScheduled") or {}).get("lastTransitionTime"))
        down = diag.now - since if since else timedelta(0)
    if down > REPLACEMENT_PATIENCE:
        return False
    spot = node is not None and labels(node).get(SPOT_LABEL) == "true"
    what = NODE_GOING_AWAY_TAINTS.get(key, "it is being removed")
    diag.add(
        "node-going-away",
        f"node/{node_name}" if node is not None else f"pod/{name(pod)}",
        f"node {node_name} is going away ({what}: taint {key})"
        + (", a Spot VM Compute Engine reclaims" if spot else "")
        + f"; pod {name(pod)} waits for its replacement",
        [message] + ([_ready_state(node)] if node is not None else []),
    )
    return True


def check_node_not_ready(
    diag: Diagnosis, pod: Mapping[str, Any], node: Mapping[str, Any], taint: str, message: str
) -> None:
    """A node of the pod's pool carries a not-ready taint: starting while young, recovering (or
    being replaced) for a while after it went NotReady, else broken."""
    node_name, joined, down = name(node), age(node, diag.now), not_ready_for(diag, node)
    evidence = [message, _ready_state(node)]
    fields = {"node": node_name, "patience": fmt_duration(NODE_READY_PATIENCE)}
    if joined <= NODE_READY_PATIENCE:
        diag.add(
            "node-starting",
            f"node/{node_name}",
            f"node {node_name} joined {fmt_duration(joined)} ago and is not ready yet ({taint}); "
            f"pod {name(pod)} waits for it",
            evidence,
            **fields,
        )
    elif down <= NODE_READY_PATIENCE:
        diag.add(
            "node-went-not-ready",
            f"node/{node_name}",
            f"node {node_name} stopped being ready {fmt_duration(down)} ago ({taint}) after "
            f"{fmt_duration(joined - down)} in the cluster; pod {name(pod)} waits for it or its "
            "replacement",
            evidence,
            down=fmt_duration(down),
            **fields,
        )
    else:
        diag.add(
            "node-not-ready",
            f"node/{node_name}",
            f"node {node_name} has not been ready for {fmt_duration(down)} ({taint}), so pod "
            f"{name(pod)} cannot use it",
            evidence,
            node=node_name,
        )


def check_pod_node(diag: Diagnosis, pod: Mapping[str, Any]) -> bool:
    """A pod bound to a node that is not Ready: the node is the cause, whatever the pod's
    container statuses say. When the kubelet stops posting, the node lifecycle controller turns
    the node's Ready ``Unknown`` and flips only the pods' Ready condition to ``False``
    (MarkPodsNotReady, kubernetes/kubernetes pkg/controller/util/node/controller_utils.go); the
    container statuses stay the lost kubelet's last report ("ready", "running"), and a pod deleted
    after the unreachable taint's 300 s stays Terminating until a kubelet confirms. True when the
    node was reported (going away, starting, just gone, or broken)."""
    node_name = get(pod, "spec", "nodeName")
    node = next((n for n in diag.snap.nodes if name(n) == node_name), None)
    ready = (condition(node, "Ready") or {}) if node is not None else {}
    if node is None or not ready or ready.get("status") == "True":
        return False
    pod_cond = condition(pod, "Ready") or {}
    evidence = (
        f"pod {name(pod)} Ready={pod_cond.get('status', '?')} since "
        f"{pod_cond.get('lastTransitionTime', '?')}; its container statuses are the kubelet's "
        "last report"
    )
    deleted = get(pod, "metadata", "deletionTimestamp")
    if deleted:
        evidence += f"; deleted at {deleted}, which the node's kubelet has not confirmed"
    key = going_away(node)
    if key and check_node_going_away(diag, pod, node, key, evidence):
        return True
    taints = [
        str(t.get("key"))
        for t in get(node, "spec", "taints") or []
        if t.get("key") in NODE_LIFECYCLE_TAINTS
    ]
    state = ", ".join(dict.fromkeys(taints)) or f"Ready {ready.get('status')}"
    check_node_not_ready(diag, pod, node, state, evidence)
    return True


def gpu_counts(node: Mapping[str, Any]) -> tuple[float, float]:
    """(capacity, allocatable) nvidia.com/gpu of a node (0 when not advertised)."""
    return (
        parse_quantity(get(node, "status", "capacity", GPU_RESOURCE)) or 0.0,
        parse_quantity(get(node, "status", "allocatable", GPU_RESOURCE)) or 0.0,
    )


def unhealthy_gpu(node: Mapping[str, Any]) -> bool:
    """The device plugin registered GPUs on this node but reports some unhealthy: the kubelet's
    device manager counts healthy and unhealthy devices in capacity and only healthy ones in
    allocatable (kubernetes/kubernetes@0022bec3a2af pkg/kubelet/cm/devicemanager/manager.go
    GetCapacity), so capacity > allocatable is a GPU gone bad, not a driver never installed
    (which advertises no nvidia.com/gpu at all)."""
    capacity, allocatable = gpu_counts(node)
    return capacity > allocatable


def report_unhealthy_gpu(diag: Diagnosis, node: Mapping[str, Any], evidence: list[str]) -> None:
    capacity, allocatable = gpu_counts(node)
    node_name = name(node)
    diag.add(
        "gpu-unhealthy",
        f"node/{node_name}",
        f"GPU node {node_name} ({labels(node).get(ACCELERATOR_LABEL)}) has {capacity:g} "
        f"nvidia.com/gpu but only {allocatable:g} usable: the device plugin reports the rest "
        f"unhealthy, {fmt_duration(age(node, diag.now))} after the node joined",
        [
            *evidence,
            f"node {node_name}: capacity nvidia.com/gpu {capacity:g}, allocatable {allocatable:g}",
        ],
        node=node_name,
    )


def check_gpu_nodes(
    diag: Diagnosis, pod: dict[str, Any], message: str, autoscaler: list[dict[str, Any]]
) -> bool:
    """GPU nodes of the pod's pool that advertise no usable nvidia.com/gpu. True when one is still
    young enough to be installing its driver: the pod waits for it, nothing else to report."""
    selector = get(pod, "spec", "nodeSelector") or {}
    gpu_nodes = [
        n for n in select_nodes(diag.snap.nodes, selector) if ACCELERATOR_LABEL in labels(n)
    ]
    for node in [n for n in gpu_nodes if unhealthy_gpu(n)]:
        report_unhealthy_gpu(diag, node, [message])
    bare = [n for n in gpu_nodes if not gpu_counts(n)[1] and not unhealthy_gpu(n)]
    if not bare:
        return False
    triggered = [msg(e) for e in autoscaler if e.get("reason") == "TriggeredScaleUp"][-1:]
    young = [n for n in bare if age(n, diag.now) <= GPU_DRIVER_PATIENCE]
    for node in young:
        node_name, joined = name(node), age(node, diag.now)
        diag.add(
            "gpu-driver-installing",
            f"node/{node_name}",
            f"GPU node {node_name} ({labels(node).get(ACCELERATOR_LABEL)}) joined "
            f"{fmt_duration(joined)} ago and does not advertise nvidia.com/gpu yet: the NVIDIA "
            f"driver is being installed; pod {name(pod)} waits for it",
            [message, *triggered],
            node=node_name,
            patience=fmt_duration(GPU_DRIVER_PATIENCE),
        )
    if young:
        return True
    accelerator = labels(bare[0]).get(ACCELERATOR_LABEL)
    nodes = ", ".join(name(n) for n in bare)
    waited = fmt_duration(min(age(n, diag.now) for n in bare))
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


def driver_finding(diag: Diagnosis) -> bool:
    """A GPU node of the pool is there but its GPU is not usable (driver or device)."""
    causes = ("gpu-driver-not-installed", "gpu-driver-install-stuck", "gpu-unhealthy")
    return any(diag.has(c) for c in causes)


def node_came(diag: Diagnosis) -> bool:
    """A node for the pod exists: its readiness, driver or departure is what the pod waits for."""
    return driver_finding(diag) or any(
        diag.has(c)
        for c in (
            "gpu-driver-installing",
            "node-starting",
            "node-went-not-ready",
            "node-not-ready",
            "node-going-away",
        )
    )
