"""Scheduling: why the scheduler finds no node for the pod (taints, selectors, requests, volumes).

The GPU side of "no node" is :mod:`nimctl.doctor.scaleup` (scale-up, quota, stockout) and
:mod:`nimctl.doctor.nodes` (nodes joining, going away, GPUs and drivers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nimctl.doctor import nodes, scaleup, storage
from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    ACCELERATOR_LABEL,
    GPU_RESOURCE,
    fmt_quantity,
    get,
    label_values,
    labels,
    msg,
    name,
    parse_quantity,
    pod_requests,
    requests_gpu,
    select_nodes,
    tolerates,
)
from nimctl.doctor.wording import (
    WOULD_NOT_FIT,
    affinity_mismatch,
    insufficient,
    is_autoscaler_not_triggered,
    parse_reasons,
    taint_reason,
    taints_named,
    volume_zone_conflicts,
)

AUTOSCALER_REASONS = ("TriggeredScaleUp", "NotTriggerScaleUp", "FailedScaleUp")


def check_scheduling(
    diag: Diagnosis, pod: dict[str, Any], events: list[dict[str, Any]], cond: Mapping[str, Any]
) -> None:
    """A Pending pod whose PodScheduled condition is False."""
    pod_name = name(pod)
    # The scheduler writes its message to the PodScheduled condition on every failed attempt and
    # to a FailedScheduling event cut at 1024 characters, whose events.k8s.io series is written
    # back only every 30 minutes (pkg/scheduler/schedule_one.go handleSchedulingFailure, client-go
    # tools/events): the condition is the current, whole message.
    sched = [e for e in events if e.get("reason") == "FailedScheduling"]
    message = str(cond.get("message") or "") or (msg(sched[-1]) if sched else "")
    reasons = parse_reasons(message)
    autoscaler = [e for e in events if e.get("reason") in AUTOSCALER_REASONS]
    before = len(diag.findings)

    conflicts = volume_zone_conflicts(reasons)
    if conflicts:
        storage.check_volume_zone(diag, pod, conflicts, message)
    elif re.search(r"PersistentVolumeClaim|VolumeBinding|volume", message):
        storage.check_claims_of(diag, pod, message)

    _check_taints(diag, pod, reasons, message)
    _check_selector(diag, pod, reasons, message, autoscaler)
    _check_resources(diag, pod, reasons, message, autoscaler)
    gpu_short = GPU_RESOURCE in insufficient(reasons)
    if not (gpu_short and nodes.check_gpu_nodes(diag, pod, message, autoscaler)):
        scaleup.check_autoscaler(diag, pod, autoscaler, gpu_short, message)

    if len(diag.findings) == before:
        diag.add(
            "unschedulable",
            f"pod/{pod_name}",
            f"pod {pod_name} cannot be scheduled",
            [message],
            pod=pod_name,
        )


def _check_taints(
    diag: Diagnosis, pod: dict[str, Any], reasons: dict[str, int], message: str
) -> None:
    if not taint_reason(reasons):
        return
    tolerations = get(pod, "spec", "tolerations") or []
    named = taints_named(reasons)
    pool = select_nodes(diag.snap.nodes, get(pod, "spec", "nodeSelector") or {})
    untolerated: dict[str, list[str]] = {}
    for node in pool:
        leaving = nodes.going_away(node)
        if leaving and nodes.check_node_going_away(diag, pod, node, leaving, message):
            continue  # its other taints (unreachable, not-ready) are the same departure
        for taint in get(node, "spec", "taints") or []:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if tolerates(tolerations, taint):
                continue
            desc = f"{taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}"
            if named and all(taint.get("key") != k for k, _ in named):
                continue
            if taint.get("key") in nodes.NODE_LIFECYCLE_TAINTS:
                nodes.check_node_not_ready(diag, pod, node, str(taint.get("key")), message)
                continue  # the node is not ready yet: no toleration to add
            untolerated.setdefault(desc, []).append(name(node))
    if not untolerated and not diag.has_object(f"pod/{name(pod)}"):
        # Only the message names the taint (the nodes are not in the snapshot, or none of the
        # pool carries it). The scheduler's TaintToleration filter runs before NodeAffinity
        # (kube-scheduler's default plugin order, kubernetes/kubernetes@01db4ae9e74a
        # pkg/scheduler/apis/config/v1/default_plugins.go; a node fails at its first filter),
        # so a tainted node outside the pod's pool is counted as "untolerated taint", not as
        # "didn't match Pod's node affinity/selector": a taint only such nodes carry is not the
        # pod's problem.
        carried = {t.get("key") for n in diag.snap.nodes for t in get(n, "spec", "taints") or []}
        for key, value in named:
            if key in nodes.NODE_LIFECYCLE_TAINTS or key in carried:
                continue  # a pool node's was judged above; another node's is not this pod's
            if key in nodes.NODE_GOING_AWAY_TAINTS:
                nodes.check_node_going_away(diag, pod, None, key, message)
            else:
                untolerated.setdefault(f"{key}={value}:NoSchedule", []).append("(see message)")
    gpu = requests_gpu(pod)
    for taint, node_names in untolerated.items():
        if taint.startswith(GPU_RESOURCE + "=") and not gpu:
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
        diag.add(
            "untolerated-taint",
            f"pod/{name(pod)}",
            f"pod {name(pod)} does not tolerate the taint {taint} of node(s) "
            f"{', '.join(node_names)}",
            [message],
            nodes=", ".join(node_names),
            taint=taint,
            detail=detail,
        )


def _check_selector(
    diag: Diagnosis,
    pod: dict[str, Any],
    reasons: dict[str, int],
    message: str,
    autoscaler: list[dict[str, Any]],
) -> None:
    selector = get(pod, "spec", "nodeSelector") or {}
    if not selector or not affinity_mismatch(reasons):
        return
    if select_nodes(diag.snap.nodes, selector):
        return  # some node matches: the selector is not what blocks the pod
    latest = autoscaler[-1] if autoscaler else None
    if latest is not None:
        if latest.get("reason") != "NotTriggerScaleUp":
            return  # the autoscaler found a pool for it (scale-up triggered or failed)
        ca_reasons = parse_reasons(msg(latest))
        if any(not affinity_mismatch([r]) and not taint_reason([r]) for r in ca_reasons):
            return  # some node group would match, but something else stops it
    available = label_values(diag.snap.nodes, selector)
    wanted = ", ".join(f"{k}={v}" for k, v in selector.items())
    evidence = [message] + ([msg(latest)] if latest is not None else [])
    diag.add(
        "node-selector-matches-no-pool",
        f"pod/{name(pod)}",
        f"the nodeSelector {wanted} of pod {name(pod)} matches no node or node pool",
        evidence,
        selector=wanted,
        available=available or "no labels for these keys",
    )


def _check_resources(
    diag: Diagnosis,
    pod: dict[str, Any],
    reasons: dict[str, int],
    message: str,
    autoscaler: list[dict[str, Any]],
) -> None:
    short = [res for res in ("memory", "cpu") if res in insufficient(reasons)]
    # The autoscaler's "Insufficient cpu/memory" is about a new node of a group (its template):
    # the pod would not fit even there (cluster-autoscaler <= 1.19 said so in its prefix).
    wont_fit = [
        e
        for e in autoscaler
        if WOULD_NOT_FIT in msg(e)
        or (
            is_autoscaler_not_triggered(msg(e))
            and insufficient(parse_reasons(msg(e))) & {"cpu", "memory"}
        )
    ]
    if not short and not wont_fit:
        return
    requests = pod_requests(pod)
    nodes = select_nodes(diag.snap.nodes, get(pod, "spec", "nodeSelector") or {})
    if requests_gpu(pod):
        nodes = [n for n in nodes if ACCELERATOR_LABEL in labels(n)] or nodes
    too_large = []
    for res in short or ("memory", "cpu"):
        want = requests.get(res)
        best = max(
            (parse_quantity(get(n, "status", "allocatable", res)) or 0 for n in nodes),
            default=None,
        )
        if want is not None and best is not None and want > best:
            too_large.append((res, want, best))
    shown = ", ".join(f"{res} {fmt_quantity(res, requests[res])}" for res in requests)
    evidence = [message] + [msg(e) for e in wont_fit[-1:]]
    if too_large or wont_fit:
        allocatable = (
            ", ".join(f"{res} {fmt_quantity(res, best)}" for res, _, best in too_large)
            or "see the autoscaler message"
        )
        diag.add(
            "pod-too-large-for-node",
            f"pod/{name(pod)}",
            f"pod {name(pod)} requests more than any node of its pool can allocate ({shown})",
            evidence,
            requests=shown or "?",
            allocatable=allocatable,
        )
    else:
        diag.add(
            "insufficient-node-resources",
            f"pod/{name(pod)}",
            f"no node has enough free {' and '.join(short)} for pod {name(pod)}",
            evidence,
            resources=" and ".join(short),
            requests=shown or "?",
        )
