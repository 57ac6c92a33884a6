"""``nimctl timeline``: how long the last start of each NIM pod took, phase by phase.

Reads the same namespace snapshot as ``nimctl doctor`` (live through the kube context, or the JSON
of ``kubectl get pods,events,pvc,nodes -n NS -o json``; :mod:`nimctl.doctor.snapshot` and
:mod:`nimctl.doctor.live`) and lays out, for each pod labelled ``app.kubernetes.io/name=nim-llm``:

    pod created -> scale-up triggered -> node created -> node ready -> GPU allocatable
    -> image pulled (or streamed) -> container started -> ready

Where each time comes from (and what Kubernetes does not record):

- pod created: ``metadata.creationTimestamp``.
- scale-up triggered: the first ``TriggeredScaleUp`` event of this pod (cluster autoscaler,
  ``processors/status/eventing_scale_up_processor.go``) at or after its creation.
- node created / node ready: the pod's node (``spec.nodeName``): its ``creationTimestamp``, and
  the ``lastTransitionTime`` of its ``Ready=True`` condition. A node older than the pod was not
  started for it (a warm node): both phases are "not part of this start".
- GPU allocatable: Kubernetes keeps no time for it (node status has ``allocatable``, not when it
  changed). A pod that requests ``nvidia.com/gpu`` is bound only to a node advertising one, so
  the binding (the ``PodScheduled=True`` condition, the ``Scheduled`` event) is the latest it can
  have happened: shown as "by" that time, an upper bound.
- image pulled: kubelet's ``Pulling`` and ``Pulled`` events; ``Pulled`` says how long the pull
  took and how big the image is (``nimctl.doctor.wording.parse_pulled``), or that the image was
  already on the node. A pull far faster than a download (more than 1 GB/s) is shown as streamed
  or preloaded (image streaming, a secondary boot disk).
- container started: the container's ``state.running.startedAt`` (else its last terminated
  ``startedAt``, else the ``Started`` event).
- ready: the pod's ``Ready=True`` condition.

A start that woke a sleeping version (its HPA scaled it from zero: monitoring.hpa.minReplicas 0,
docs/autoscaling.md) also shows when and why it woke: the HPA's ``ScaledToZero`` condition turns
``False`` with the reason ``NotScaledToZero`` when it scales the workload back up (its
``lastTransitionTime``; kubernetes/kubernetes#135118, pkg/controller/podautoscaler/horizontal.go),
and its ``SuccessfulRescale`` event says which metric did it ("New size: 1; reason: external metric
<name>(nil) above target", same file). The wake counts when it happened at most
``WAKE_BEFORE_POD`` before the pod was created; the report adds it before "pod created".

Events live about an hour (kube-apiserver ``--event-ttl`` defaults to 1h): a phase known only
from events is "missing" in an older snapshot, never guessed. A phase that failed says so and
the phases after it are "not reached".

Exit codes: 0 every pod's last start reached ready, 1 some start failed or has not finished,
2 the namespace could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nimctl import _cli, doctor
from nimctl.doctor.gateway import release_of
from nimctl.doctor.kube import (
    GPU_RESOURCE,
    INSTANCE_LABEL,
    condition,
    container_status,
    event_first_time,
    event_time,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
    requests_gpu,
    snapshot_time,
)
from nimctl.doctor.snapshot import DoctorInputError, Snapshot, is_nim_pod
from nimctl.doctor.wording import Pulled, parse_pulled, registry_status

SCHEMA = "nimctl-timeline/v1"
CONTAINER = "nim-llm"
EXIT_DONE, EXIT_NOT_DONE, EXIT_UNREADABLE = 0, 1, 2
PHASES = (
    "pod created",
    "scale-up triggered",
    "node created",
    "node ready",
    "GPU allocatable",
    "image pulled",
    "container started",
    "ready",
)
# A 10-15 GB NIM image does not download at more than this from any registry to one node: a
# faster "pull" was served from a remote filesystem (image streaming) or a preloaded disk.
STREAMED_BYTES_PER_SECOND = 1e9
WAKE_BEFORE_POD = timedelta(minutes=5)
"""A rescale from zero at most this long before a pod was created is the wake that created it (the
workload controller makes the pod within seconds of the new replica count)."""
EVENT_TTL_NOTE = "events are kept about 1 h, kube-apiserver --event-ttl"

# Status of a phase.
DONE = "done"
BY = "by"  # happened at the latest at `at` (an upper bound)
SKIPPED = "not part of this start"
MISSING = "missing"
FAILED = "failed"
WAITING = "waiting"
NOT_REACHED = "not reached"


@dataclass
class Phase:
    phase: str
    status: str
    at: datetime | None = None
    evidence: str = ""

    def as_dict(self, created: datetime | None, previous: datetime | None) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "status": self.status,
            "at": _iso(self.at),
            "sincePrevious": _seconds(previous, self.at),
            "sincePodCreated": _seconds(created, self.at),
            "evidence": self.evidence,
        }


@dataclass
class PodTimeline:
    pod: str
    node: str | None
    phases: list[Phase]
    pull: dict[str, Any] = field(default_factory=dict)
    wake: dict[str, Any] | None = None
    """When and why the version's HPA scaled it from zero, for a start that woke it."""

    @property
    def created(self) -> datetime | None:
        return self.phases[0].at

    @property
    def ready_at(self) -> datetime | None:
        last = self.phases[-1]
        return last.at if last.status == DONE else None

    @property
    def cold(self) -> bool:
        return any(p.phase == "node created" and p.status == DONE for p in self.phases)

    def as_dict(self) -> dict[str, Any]:
        phases, previous = [], None
        for p in self.phases:
            phases.append(p.as_dict(self.created, previous))
            previous = p.at or previous
        wake = None
        if self.wake is not None:
            woken = parse_time(self.wake["at"])
            wake = {
                **self.wake,
                "toPodCreatedSeconds": _seconds(woken, self.created),
                "toReadySeconds": _seconds(woken, self.ready_at),
            }
        return {
            "pod": self.pod,
            "node": self.node,
            "coldStart": self.cold,
            "wake": wake,
            "phases": phases,
            "pull": self.pull,
            "totalSeconds": _seconds(self.created, self.ready_at),
        }


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _reason(events: list[dict[str, Any]], reason: str, since: datetime | None) -> list[dict]:
    """Events of ``reason``, oldest first, that happened at or after ``since`` (this start)."""
    found = [e for e in events if e.get("reason") == reason]
    if since is None:
        return found
    return [e for e in found if (event_time(e) or since) >= since]


def _node(snap: Snapshot, node_name: str | None) -> Mapping[str, Any] | None:
    return next((n for n in snap.nodes if name(n) == node_name), None)


def _scheduled_at(pod: Mapping[str, Any], events: list[dict[str, Any]]) -> datetime | None:
    cond = condition(pod, "PodScheduled") or {}
    if cond.get("status") == "True" and parse_time(cond.get("lastTransitionTime")):
        return parse_time(cond.get("lastTransitionTime"))
    bound = [e for e in events if e.get("reason") == "Scheduled"]
    return event_time(bound[-1]) if bound else None


def _image_phase(
    pod: Mapping[str, Any], events: list[dict[str, Any]], since: datetime | None
) -> tuple[Phase, dict[str, Any], bool]:
    """The image phase, what the Pulled message said, and whether it failed."""
    status = container_status(pod, CONTAINER)
    pulled = _reason(events, "Pulled", since)
    if pulled:
        event = pulled[-1]
        info = parse_pulled(msg(event))
        return _pulled_phase(event, info), _pull_facts(info), False
    failed = _reason(events, "Failed", since)
    # kubelet reports the registry's answer in "Failed to pull image ...", then the generic
    # "Error: ErrImagePull" / "Error: ImagePullBackOff" (SOURCES kubelet-images).
    pull_errors = [e for e in failed if msg(e).startswith("Failed to pull image")]
    generic = [e for e in failed if msg(e) in ("Error: ErrImagePull", "Error: ImagePullBackOff")]
    waiting = get(status, "state", "waiting") or {}
    if pull_errors or generic or waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff"):
        found = pull_errors or generic
        first = found[0] if found else None
        text = msg(first) if first else str(waiting.get("message") or waiting.get("reason"))
        http = registry_status(text)
        why = f" (the registry answered {http})" if http else ""
        tries = sum(int(e.get("count") or e.get("deprecatedCount") or 1) for e in pull_errors)
        again = (
            f"; failed {tries} times, last at {_iso(event_time(pull_errors[-1]))}"
            if tries > 1
            else ""
        )
        at = event_first_time(first) if first else None
        return Phase("image pulled", FAILED, at, f"{text}{why}{again}"), {}, True
    pulling = _reason(events, "Pulling", since)
    if pulling:
        return (
            Phase("image pulled", WAITING, None, f"pulling since {_iso(event_time(pulling[-1]))}"),
            {"startedAt": _iso(event_time(pulling[-1]))},
            False,
        )
    if get(status, "imageID"):
        return (
            Phase("image pulled", MISSING, None, f"no Pulled event ({EVENT_TTL_NOTE})"),
            {},
            False,
        )
    return Phase("image pulled", NOT_REACHED), {}, False


def _pulled_phase(event: Mapping[str, Any], info: Pulled | None) -> Phase:
    at = event_time(event)
    if info is None:
        return Phase("image pulled", DONE, at, msg(event))
    if info.present:
        return Phase("image pulled", DONE, at, "image already on the node: no pull")
    parts = []
    if info.pull_seconds is not None:
        parts.append(f"pull took {fmt_duration(info.pull_seconds)}")
    if info.waiting_seconds is not None and info.pull_seconds is not None:
        queued = info.waiting_seconds - info.pull_seconds
        if queued >= 1:
            parts.append(f"+ {fmt_duration(queued)} waiting in kubelet's queue")
    if info.size_bytes:
        parts.append(f"{info.size_bytes / 1e9:.1f} GB")
        if info.pull_seconds and info.size_bytes / info.pull_seconds > STREAMED_BYTES_PER_SECOND:
            parts.append("faster than a download: streamed or preloaded")
    return Phase("image pulled", DONE, at, ", ".join(parts) or msg(event))


def _pull_facts(info: Pulled | None) -> dict[str, Any]:
    if info is None:
        return {}
    rate = None
    if info.size_bytes and info.pull_seconds:
        rate = round(info.size_bytes / info.pull_seconds)
    return {
        "image": info.image,
        "alreadyPresent": info.present,
        "pullSeconds": info.pull_seconds,
        "includingWaitingSeconds": info.waiting_seconds,
        "imageSizeBytes": info.size_bytes,
        "bytesPerSecond": rate,
        "streamedOrPreloaded": bool(rate and rate > STREAMED_BYTES_PER_SECOND),
    }


def _started(pod: Mapping[str, Any], events: list[dict[str, Any]], since: datetime | None) -> Phase:
    status = container_status(pod, CONTAINER)
    for path in (("state", "running", "startedAt"), ("lastState", "terminated", "startedAt")):
        at = parse_time(get(status, *path))
        if at:
            return Phase(
                "container started", DONE, at, f"containerStatuses[{CONTAINER}].{'.'.join(path)}"
            )
    started = _reason(events, "Started", since)
    if started:
        return Phase("container started", DONE, event_time(started[-1]), "Started event")
    return Phase("container started", NOT_REACHED)


def _ready(pod: Mapping[str, Any], started: Phase) -> Phase:
    cond = condition(pod, "Ready") or {}
    if cond.get("status") == "True":
        return Phase("ready", DONE, parse_time(cond.get("lastTransitionTime")), "Ready=True")
    status = container_status(pod, CONTAINER)
    waiting = get(status, "state", "waiting") or {}
    if waiting.get("reason"):
        return Phase(
            "ready",
            FAILED if started.status == DONE else NOT_REACHED,
            None,
            f"container waiting: {waiting.get('reason')}",
        )
    if started.status == DONE:
        return Phase("ready", WAITING, None, "running, not ready yet (model download or load)")
    return Phase("ready", NOT_REACHED)


def _wake(
    snap: Snapshot, pod: Mapping[str, Any], created: datetime | None
) -> dict[str, Any] | None:
    """The HPA's scale from zero that started this pod, if it did (see the module docstring)."""
    version = labels(pod).get(INSTANCE_LABEL)
    for hpa in snap.hpas:
        if release_of(str(get(hpa, "spec", "scaleTargetRef", "name") or "")) != version:
            continue
        cond = condition(hpa, "ScaledToZero") or {}
        at = parse_time(cond.get("lastTransitionTime"))
        if (cond.get("status"), cond.get("reason")) != ("False", "NotScaledToZero") or not at:
            continue
        if created is None or not created - WAKE_BEFORE_POD <= at <= created + timedelta(minutes=1):
            continue
        rescales = [
            e
            for e in snap.events_for("HorizontalPodAutoscaler", hpa)
            if e.get("reason") == "SuccessfulRescale"
            and abs(((event_time(e) or at) - at).total_seconds()) <= 60
            and not msg(e).startswith("New size: 0;")
        ]
        evidence = (
            msg(rescales[-1])
            if rescales
            else f"ScaledToZero False NotScaledToZero ({msg(cond)}); the rescale event has expired"
        )
        return {"hpa": name(hpa), "at": _iso(at), "evidence": evidence}
    return None


def pod_timeline(snap: Snapshot, pod: Mapping[str, Any]) -> PodTimeline:
    events = snap.events_for("Pod", pod)
    created = parse_time(get(pod, "metadata", "creationTimestamp"))
    phases = [
        Phase("pod created", DONE if created else MISSING, created, "metadata.creationTimestamp")
    ]
    node_name = get(pod, "spec", "nodeName")
    node = _node(snap, node_name)
    scheduled = _scheduled_at(pod, events)
    node_created = parse_time(get(node, "metadata", "creationTimestamp")) if node else None
    warm = bool(node_created and created and node_created < created)

    # Scale-up: the first trigger of this start.
    triggers = _reason(events, "TriggeredScaleUp", created)
    if triggers:
        first = triggers[0]
        phases.append(Phase("scale-up triggered", DONE, event_first_time(first), msg(first)))
    elif warm:
        phases.append(
            Phase("scale-up triggered", SKIPPED, None, f"node {node_name} was already up")
        )
    elif node_name and node_created:
        phases.append(
            Phase(
                "scale-up triggered",
                MISSING,
                None,
                f"no TriggeredScaleUp event for this pod ({EVENT_TTL_NOTE}; or another pod's "
                "scale-up brought the node)",
            )
        )
    else:
        phases.append(Phase("scale-up triggered", WAITING if not node_name else MISSING))

    # The node.
    if warm:
        since = f"up since {_iso(node_created)}"
        phases.append(Phase("node created", SKIPPED, None, f"node {node_name} {since}"))
        phases.append(Phase("node ready", SKIPPED, None, f"node {node_name} {since}"))
    elif node is not None:
        phases.append(
            Phase("node created", DONE, node_created, f"node {node_name} creationTimestamp")
        )
        ready = condition(node, "Ready") or {}
        if ready.get("status") == "True":
            phases.append(
                Phase(
                    "node ready",
                    DONE,
                    parse_time(ready.get("lastTransitionTime")),
                    f"node {node_name} Ready=True lastTransitionTime",
                )
            )
        else:
            phases.append(
                Phase(
                    "node ready",
                    WAITING,
                    None,
                    f"node {node_name} Ready={ready.get('status', '?')}",
                )
            )
    else:
        state = MISSING if node_name else (WAITING if triggers else NOT_REACHED)
        note = f"node {node_name} is not in the snapshot" if node_name else "no node yet"
        phases += [Phase("node created", state, None, note), Phase("node ready", state, None, note)]

    # GPU allocatable: no timestamp exists; the binding bounds it.
    if scheduled and requests_gpu(pod):
        phases.append(
            Phase(
                "GPU allocatable",
                BY,
                scheduled,
                f"not recorded by Kubernetes; the pod (requesting {GPU_RESOURCE}) was "
                "bound to the node then",
            )
        )
    elif scheduled:
        phases.append(Phase("GPU allocatable", SKIPPED, None, "the pod requests no GPU"))
    else:
        phases.append(
            Phase(
                "GPU allocatable",
                WAITING if node is not None else NOT_REACHED,
                None,
                "the pod is not scheduled yet",
            )
        )

    this_start = created
    image, pull, failed = (
        _image_phase(pod, events, this_start)
        if scheduled
        else (Phase("image pulled", NOT_REACHED), {}, False)
    )
    phases.append(image)
    if failed:
        phases += [Phase("container started", NOT_REACHED), Phase("ready", NOT_REACHED)]
    else:
        started = (
            _started(pod, events, this_start)
            if scheduled
            else Phase("container started", NOT_REACHED)
        )
        phases += [started, _ready(pod, started)]
    return PodTimeline(name(pod), node_name, phases, pull, _wake(snap, pod, created))


def timelines(doc: Mapping[str, Any], release: str | None = None) -> list[PodTimeline]:
    snap = Snapshot.from_document(doc)
    pods = sorted((p for p in snap.pods if is_nim_pod(p, release)), key=name)
    return [pod_timeline(snap, p) for p in pods]


# --- output -----------------------------------------------------------------------------------


def report(doc: Mapping[str, Any], namespace: str | None, release: str | None) -> dict[str, Any]:
    pods = timelines(doc, release)
    return {
        "schema": SCHEMA,
        "namespace": namespace,
        "release": release,
        "snapshotTime": _iso(snapshot_time(doc)),
        "pods": [t.as_dict() for t in pods],
    }


def _clock(t: str | None) -> str:
    return t[11:19] if t else "-"


def _dur(seconds: float | None) -> str:
    return "-" if seconds is None else fmt_duration(seconds)


def render(rep: Mapping[str, Any]) -> str:
    lines = [f"namespace {rep['namespace'] or '?'}, snapshot {rep['snapshotTime']}"]
    if not rep["pods"] and rep.get("release"):
        # Each model version is its own release (<release>-<tag>): a model's name selects none.
        lines.append(
            "no pod labelled app.kubernetes.io/name=nim-llm,app.kubernetes.io/instance="
            f"{rep['release']} (a model version's release: <release>-<tag>, e.g. "
            "llama3-8b-1-0-3; `pulumi stack output rollout` lists them)"
        )
    elif not rep["pods"]:
        lines.append("no pod labelled app.kubernetes.io/name=nim-llm")
    for pod in rep["pods"]:
        kind = "cold start: a new node" if pod["coldStart"] else "on a node that was up"
        lines += ["", f"pod {pod['pod']} (node {pod['node'] or '-'}, {kind})"]
        wake = pod.get("wake")
        if wake:
            lines.append(
                f"  woken from zero at {_clock(wake['at'])} by HPA {wake['hpa']}: "
                f"{wake['evidence']}"
            )
        header = ("phase", "at (UTC)", "step", "since created", "status / evidence")
        rows = [header]
        for p in pod["phases"]:
            at = _clock(p["at"])
            if p["status"] == BY and p["at"]:
                at = f"by {at}"
            status = "" if p["status"] in (DONE, BY) else f"{p['status']}: "
            rows.append(
                (
                    p["phase"],
                    at,
                    _dur(p["sincePrevious"]),
                    _dur(p["sincePodCreated"]),
                    (status + p["evidence"]).rstrip(": "),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            lines.append(
                "  "
                + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True))
                + "  "
                + r[4]
            )
        total = pod["totalSeconds"]
        woken = (wake or {}).get("toReadySeconds")
        lines.append(
            f"  total: pod created -> ready {fmt_duration(total)}"
            + (f"; woken -> ready {fmt_duration(woken)}" if woken is not None else "")
            if total is not None
            else "  total: not ready (see the phases above)"
        )
    return "\n".join(lines)


DESCRIPTION = """\
How long did the last start of each NIM pod take, phase by phase?

pod created -> scale-up triggered -> node created -> node ready -> GPU allocatable -> image pulled
(or streamed) -> container started -> ready, from the pods, events and nodes of the namespace (the
same input as `nimctl doctor`), and for a start that woke a sleeping version, when its HPA scaled it
from zero and on which signal. A time Kubernetes does not record is shown as such (GPU allocatable
is bounded by the pod's binding), and a phase known only from events is "missing" once they have
expired (about an hour). Use it to check the cold-start figures of docs/startup.md on your cluster.

Exit codes: 0 every pod's last start reached ready, 1 a start failed or has not finished,
2 the namespace could not be read."""


def run(args: argparse.Namespace) -> int:
    try:
        doc, namespace = doctor.read_snapshot(args)
    except DoctorInputError as exc:
        print(f"timeline: cannot read the namespace: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if namespace is None:
        namespace = next(
            (
                str(get(i, "metadata", "namespace"))
                for i in doc.get("items", [])
                if get(i, "metadata", "namespace")
            ),
            None,
        )
    rep = report(doc, namespace, args.release)
    print(json.dumps(rep, indent=2) if args.json else render(rep))
    done = rep["pods"] and all(p["totalSeconds"] is not None for p in rep["pods"])
    return EXIT_DONE if done else EXIT_NOT_DONE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    doctor.add_snapshot_arguments(parser)
    parser.add_argument("--json", action="store_true", help=f"print {SCHEMA} JSON")


COMMAND = _cli.Command(
    name="timeline",
    summary="the phases of the last start of each NIM pod, with their durations",
    description=DESCRIPTION,
    examples=(
        "nimctl timeline --namespace nim",
        "kubectl get pods,events,pvc,nodes -n nim -o json > nim.json",
        "nimctl timeline --from-file nim.json --json",
    ),
    arguments=add_arguments,
    run=run,
)
