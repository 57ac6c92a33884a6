"""Probes and lifecycle: the model loading against the startup probe, probe failures, OOMKilled,
CrashLoopBackOff, failed pods."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    condition,
    container_status,
    event_time,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
)
from nimctl.doctor.report import ERROR, WARNING


def startup_budget(container: Mapping[str, Any]) -> timedelta:
    """Time the startup probe (else readiness) allows: initialDelay + failureThreshold x period."""
    probe = container.get("startupProbe") or container.get("readinessProbe") or {}
    initial = int(probe.get("initialDelaySeconds") or 0)
    period = int(probe.get("periodSeconds") or 10)
    threshold = int(probe.get("failureThreshold") or 3)
    return timedelta(seconds=initial + period * threshold)


def probe_kills(events: list[dict[str, Any]], container: str, probe: str) -> list[dict[str, Any]]:
    needle = f"Container {container} failed {probe} probe"
    return [e for e in events if e.get("reason") == "Killing" and needle in msg(e)]


def unhealthy(events: list[dict[str, Any]], probe: str, since: datetime | None = None) -> list[str]:
    out = []
    for event in events:
        if event.get("reason") != "Unhealthy" or not msg(event).startswith(f"{probe} probe"):
            continue
        when = event_time(event)
        if since and when and when < since:
            continue
        count = event.get("count") or get(event, "series", "count")
        out.append(msg(event) + (f" (x{count})" if count and int(count) > 1 else ""))
    return out


# kubelet's graceful node shutdown (pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go, k8s
# 1.30 as vendored in kubernetes/autoscaler@55a18a301ee9): phase Failed, reason "Terminated",
# message "Pod was terminated in response to imminent node shutdown.", and a DisruptionTarget
# condition with reason TerminationByKubelet; a pod admitted while the node shuts down is
# rejected with reason "NodeShutdown", "Pod was rejected as the node is shutting down.".
# The StatefulSet controller deletes a failed pod and creates it again
# (pkg/controller/statefulset/stateful_set_control.go; its RecreatingFailedPod event is gone
# since kubernetes/kubernetes#123809). Up to 1.21 the kubelet said reason "Shutdown", "Node is
# shutting, evicting pods", and rejected with reason "Terminated", "Node is in progress of
# shutting down, not admitting any new pods" (kubernetes/kubernetes#102840 renamed both for 1.22;
# GKE's Spot and preemptible pages still describe "a Failed status and a Shutdown reason",
# cloud.google.com/kubernetes-engine/docs/how-to/preemptible-vms).
SHUTDOWN_REASONS = ("Terminated", "NodeShutdown", "Shutdown")
SPOT_LABEL = "cloud.google.com/gke-spot"


def pod_failed(diag: Diagnosis, pod: dict[str, Any]) -> None:
    pod_name = name(pod)
    reason = str(get(pod, "status", "reason") or "")
    message = str(get(pod, "status", "message") or "")
    disruption = condition(pod, "DisruptionTarget") or {}
    if (reason in SHUTDOWN_REASONS and "shut" in message) or (
        disruption.get("reason") == "TerminationByKubelet" and "shutdown" in message
    ):
        node_name = get(pod, "spec", "nodeName") or "?"
        node = next((n for n in diag.snap.nodes if name(n) == node_name), None)
        spot = node is not None and labels(node).get(SPOT_LABEL) == "true"
        diag.add(
            "node-shutdown",
            f"pod/{pod_name}",
            f"pod {pod_name} was stopped because its node {node_name} shut down"
            + (" (a Spot VM, which Compute Engine can reclaim at any time)" if spot else "")
            + "; the StatefulSet recreates it",
            [f"pod status: {reason}: {message}"],
        )
        return
    diag.add(
        "pod-failed",
        f"pod/{pod_name}",
        f"pod {pod_name} failed: {get(pod, 'status', 'reason') or ''} "
        f"{get(pod, 'status', 'message') or ''}".strip(),
        pod=pod_name,
    )


def crash_loop(
    diag: Diagnosis,
    pod: dict[str, Any],
    events: list[dict[str, Any]],
    status: Mapping[str, Any],
    spec: Mapping[str, Any],
    message: str,
) -> None:
    """A container in CrashLoopBackOff: killed by a probe, OOMKilled, or exiting by itself."""
    pod_name = name(pod)
    container = str(status.get("name"))
    last = get(status, "lastState", "terminated") or {}
    restarts = int(status.get("restartCount") or 0)
    startup_kills = probe_kills(events, container, "startup")
    liveness_kills = probe_kills(events, container, "liveness")
    if startup_kills:
        startup_exceeded(diag, pod, spec, container, restarts, startup_kills)
    elif last.get("reason") == "OOMKilled":
        oom(diag, pod, spec, container, restarts, ERROR)
    elif liveness_kills:
        diag.add(
            "liveness-probe-failing",
            f"pod/{pod_name}",
            f"container {container} is restarted by its liveness probe",
            [msg(liveness_kills[-1]), *unhealthy(events, "Liveness")[-1:]],
            pod=pod_name,
        )
    else:
        code = last.get("exitCode")
        why = f" ({last['reason']})" if last.get("reason") else ""
        diag.add(
            "crash-loop",
            f"pod/{pod_name}",
            f"container {container} is in CrashLoopBackOff: it last exited with code "
            f"{code}{why} and has restarted {restarts} time(s)",
            [message, str(last.get("message") or "")],
            pod=pod_name,
            container=container,
        )


def running(
    diag: Diagnosis,
    pod: dict[str, Any],
    events: list[dict[str, Any]],
    status: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> None:
    """A running container: ready (maybe after an OOM kill), loading, or failing its probes."""
    pod_name = name(pod)
    container = str(status.get("name"))
    state = get(status, "state", "running") or {}
    last = get(status, "lastState", "terminated") or {}
    restarts = int(status.get("restartCount") or 0)
    if status.get("ready"):
        if last.get("reason") == "OOMKilled":
            oom(diag, pod, spec, container, restarts, WARNING)
        return
    startup_kills = probe_kills(events, container, "startup")
    if startup_kills and restarts:
        startup_exceeded(diag, pod, spec, container, restarts, startup_kills)
    elif last.get("reason") == "OOMKilled":
        oom(diag, pod, spec, container, restarts, ERROR)
    elif status.get("started") is False or status.get("started") is None:
        loading(diag, pod, events, spec, container, state)
    else:
        readiness = unhealthy(events, "Readiness", since=parse_time(state.get("startedAt")))
        if readiness:
            diag.add(
                "readiness-probe-failing",
                f"pod/{pod_name}",
                f"container {container} started but its readiness probe fails",
                readiness[-1:],
                pod=pod_name,
            )
        else:
            diag.add("pod-not-ready", f"pod/{pod_name}", f"container {container} is not ready yet")


def loading(
    diag: Diagnosis,
    pod: dict[str, Any],
    events: list[dict[str, Any]],
    spec: Mapping[str, Any],
    container: str,
    state: Mapping[str, Any],
) -> None:
    pod_name = name(pod)
    started = parse_time(state.get("startedAt"))
    budget = startup_budget(spec)
    elapsed = (diag.now - started) if started else timedelta(0)
    probes = unhealthy(events, "Startup", since=started)
    if elapsed > budget:
        startup_exceeded(diag, pod, spec, container, 0, [])
        return
    diag.add(
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
    diag: Diagnosis,
    pod: dict[str, Any],
    spec: Mapping[str, Any],
    container: str,
    restarts: int,
    kills: list[dict[str, Any]],
) -> None:
    pod_name = name(pod)
    budget = fmt_duration(startup_budget(spec))
    diag.add(
        "startup-probe-budget-exceeded",
        f"pod/{pod_name}",
        f"container {container} did not become ready within its startup probe budget of "
        f"{budget} while loading; it was restarted {restarts} time(s)",
        [msg(k) for k in kills[-1:]],
        pod=pod_name,
        budget=budget,
        restarts=restarts,
    )


def oom(
    diag: Diagnosis,
    pod: dict[str, Any],
    spec: Mapping[str, Any],
    container: str,
    restarts: int,
    severity: str,
) -> None:
    limit = get(spec, "resources", "limits", "memory") or "none set"
    state = "is serving now but was" if severity == WARNING else "keeps being"
    last = get(container_status(pod, container), "lastState", "terminated") or {}
    diag.add(
        "oom-killed",
        f"pod/{name(pod)}",
        f"container {container} {state} OOMKilled (memory limit {limit}, {restarts} restart(s))",
        [
            f"last state: terminated, reason OOMKilled, exit code {last.get('exitCode')}, "
            f"finished {last.get('finishedAt')}"
        ],
        severity=severity,
        container=container,
        limit=limit,
    )


def container_waiting(
    diag: Diagnosis, pod: dict[str, Any], container: str, reason: str, message: str
) -> None:
    """Waiting for a reason no rule knows."""
    pod_name = name(pod)
    diag.add(
        "container-waiting",
        f"pod/{pod_name}",
        f"container {container} is waiting: {reason}",
        [message],
        pod=pod_name,
    )
