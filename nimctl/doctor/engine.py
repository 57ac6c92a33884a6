"""The diagnosis: route each NIM pod (and its containers) to the area that explains its state.

:func:`diagnose` is a pure function of the kubectl-shaped List; the area modules hold the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from nimctl.doctor import (
    autoscaling,
    capacity,
    gateway,
    images,
    lifecycle,
    nodes,
    policies,
    scheduling,
    secrets,
    storage,
    workloads,
)
from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    CHART_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    claim_names,
    condition,
    get,
    labels,
    name,
    pod_ready,
    snapshot_time,
)
from nimctl.doctor.report import SEVERITY_ORDER, PodState, Report
from nimctl.doctor.snapshot import Snapshot, is_nim_pod


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
            str(get(o, "metadata", "namespace"))
            for o in snap.pods + snap.events + snap.pvcs
            if get(o, "metadata", "namespace")
        ),
        None,
    )
    diag = Diagnosis(snap, ns or "<namespace>", when)
    workloads.check_workloads(diag, pods, release)
    autoscaling.check_sleep(diag, pods, release)
    if not pods and not diag.findings and not diag.asleep:
        _no_pods(diag, snap, ns, release)
    for pod in sorted(pods, key=name):
        before = len(diag.findings)
        check_pod(diag, pod)
        if len(diag.findings) == before and not pod_ready(pod):
            diag.add("pod-not-ready", f"pod/{name(pod)}", f"pod {name(pod)} is not ready yet")
        capacity.check_placement(diag, pod)
    policies.check_policies(diag, gateway.check_gateway(diag, release))
    claimed = {c for p in pods for c in claim_names(p)}
    claimed_by_scheduled = {c for p in pods if get(p, "spec", "nodeName") for c in claim_names(p)}
    for pvc in snap.pvcs:
        pvc_labels = labels(pvc)
        ours = pvc_labels.get(NAME_LABEL) == CHART_NAME and (
            release is None or pvc_labels.get(INSTANCE_LABEL) == release
        )
        if ours or name(pvc) in claimed:
            selected = get(pvc, "metadata", "annotations", "volume.kubernetes.io/selected-node")
            storage.check_pvc(
                diag, pvc, waiting_for_pod=not selected and name(pvc) not in claimed_by_scheduled
            )
    autoscaling.check_autoscaling(diag, release)
    findings = sorted(diag.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.object))
    return Report(
        namespace=ns,
        release=release,
        snapshot_time=when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        pods=tuple(_pod_state(diag, p) for p in sorted(pods, key=name)),
        findings=tuple(findings),
        asleep=tuple(sorted(diag.asleep)),
    )


def _no_pods(diag: Diagnosis, snap: Snapshot, ns: str | None, release: str | None) -> None:
    others = sorted(
        {
            labels(p).get(INSTANCE_LABEL, "?")
            for p in snap.pods
            if labels(p).get(NAME_LABEL) == CHART_NAME
        }
    )
    selector = f"{NAME_LABEL}={CHART_NAME}" + (f",{INSTANCE_LABEL}={release}" if release else "")
    extra = f"; nim-llm releases here: {', '.join(others)}" if others else ""
    diag.add(
        "no-nim-pods",
        f"namespace/{ns or '?'}",
        f"no pod labelled {selector} in namespace {ns or '(unknown: pass --namespace)'}{extra}",
    )


def check_pod(diag: Diagnosis, pod: dict[str, Any]) -> None:
    events = diag.snap.events_for("Pod", pod)
    phase = get(pod, "status", "phase")
    scheduled = condition(pod, "PodScheduled")
    if phase == "Failed":
        lifecycle.pod_failed(diag, pod)
        return
    if phase == "Pending" and scheduled is not None and scheduled.get("status") == "False":
        scheduling.check_scheduling(diag, pod, events, scheduled)
        return
    if nodes.check_pod_node(diag, pod):
        return  # its node is not Ready: the container statuses are a lost kubelet's
    statuses = list(get(pod, "status", "initContainerStatuses") or []) + list(
        get(pod, "status", "containerStatuses") or []
    )
    specs = {
        c.get("name"): c
        for c in list(get(pod, "spec", "initContainers") or [])
        + list(get(pod, "spec", "containers") or [])
    }
    before = len(diag.findings)
    for status in statuses:
        _check_container(diag, pod, events, status, specs.get(status.get("name"), {}))
    if len(diag.findings) == before and not pod_ready(pod):
        _check_creating(diag, pod, events)
    node = next((n for n in diag.snap.nodes if name(n) == get(pod, "spec", "nodeName")), None)
    if node is not None and not pod_ready(pod) and nodes.unhealthy_gpu(node):
        nodes.report_unhealthy_gpu(diag, node, [f"pod {name(pod)} runs there and is not ready"])


def _check_container(
    diag: Diagnosis,
    pod: dict[str, Any],
    events: list[dict[str, Any]],
    status: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> None:
    container = str(status.get("name"))
    waiting = get(status, "state", "waiting")
    if isinstance(waiting, Mapping):
        reason = str(waiting.get("reason") or "")
        message = str(waiting.get("message") or "")
        if reason in ("ErrImagePull", "ImagePullBackOff"):
            images.check_image_pull(diag, pod, events, status, message)
        elif reason == "CreateContainerConfigError":
            secrets.check_config_error(diag, pod, events, container, message)
        elif reason == "CrashLoopBackOff":
            lifecycle.crash_loop(diag, pod, events, status, spec, message)
        elif reason in ("ContainerCreating", "PodInitializing"):
            _check_creating(diag, pod, events)
        else:
            lifecycle.container_waiting(diag, pod, container, reason, message)
        return
    if isinstance(get(status, "state", "running"), Mapping):
        lifecycle.running(diag, pod, events, status, spec)


def _check_creating(diag: Diagnosis, pod: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Scheduled, no container status says why it is not ready: pulling? mounting?"""
    if storage.check_mount(diag, pod, events) or images.check_pulling(diag, pod, events):
        return
    diag.add("pod-not-ready", f"pod/{name(pod)}", f"pod {name(pod)} is not ready yet")


def _pod_state(diag: Diagnosis, pod: Mapping[str, Any]) -> PodState:
    statuses = get(pod, "status", "containerStatuses") or []
    where = capacity.pod_placement(diag, pod)
    ready = sum(1 for s in statuses if s.get("ready"))
    total = len(get(pod, "spec", "containers") or statuses)
    return PodState(
        name=name(pod),
        phase=str(get(pod, "status", "phase") or "Unknown"),
        ready=f"{ready}/{total}",
        restarts=sum(int(s.get("restartCount") or 0) for s in statuses),
        node=get(pod, "spec", "nodeName"),
        capacity=where.describe() if where is not None and where.pool else None,
    )
