"""Small, pure helpers over kubectl-shaped dicts (what ``kubectl get ... -o json`` prints).

Nothing here knows about NIM or about a diagnosis: reading fields, times, quantities, labels,
taints and tolerations the way Kubernetes defines them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
CHART_NAME = "nim-llm"
GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_NAMESPACE = "nim"  # where this stack installs NIM (config ``namespace``)
ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"
ZONE_LABEL = "topology.kubernetes.io/zone"


def get(obj: Mapping[str, Any] | None, *path: str) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """When the event last happened. core/v1 events carry ``lastTimestamp``; events.k8s.io/v1
    ones (``kubectl get events.events.k8s.io``) ``series.lastObservedTime`` or ``eventTime``, and
    for events recorded through the old API ``deprecatedLastTimestamp`` (k8s.io/api
    events/v1 types.go)."""
    return _first_parsed(
        get(event, "series", "lastObservedTime"),
        event.get("lastTimestamp"),
        event.get("deprecatedLastTimestamp"),
        event.get("eventTime"),
        event.get("firstTimestamp"),
        event.get("deprecatedFirstTimestamp"),
        get(event, "metadata", "creationTimestamp"),
    )


def event_first_time(event: Mapping[str, Any]) -> datetime | None:
    """When the event first happened (the start of a series, or of an aggregated core/v1 event)."""
    return _first_parsed(
        event.get("firstTimestamp"),
        event.get("deprecatedFirstTimestamp"),
        event.get("eventTime"),
        event.get("lastTimestamp"),
        event.get("deprecatedLastTimestamp"),
        get(event, "metadata", "creationTimestamp"),
    )


def _first_parsed(*values: Any) -> datetime | None:
    """The first of ``values`` that parses as a time, in the order given."""
    for value in values:
        parsed = parse_time(value)
        if parsed:
            return parsed
    return None


def _all_times(obj: Any) -> Iterable[datetime]:
    """Every timestamp-looking string in a document (used to date an offline snapshot)."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if isinstance(value, str) and (key.endswith(("Timestamp", "Time", "At"))):
                parsed = parse_time(value)
                if parsed:
                    yield parsed
            else:
                yield from _all_times(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _all_times(item)


def snapshot_time(doc: Mapping[str, Any]) -> datetime:
    """The newest timestamp in the document: when an offline snapshot was taken, near enough."""
    return max(_all_times(doc), default=datetime.now(UTC))


def age(obj: Mapping[str, Any], now: datetime) -> timedelta:
    """How long ago the object was created (0 when it carries no creationTimestamp)."""
    created = parse_time(get(obj, "metadata", "creationTimestamp"))
    return now - created if created else timedelta(0)


def fmt_duration(delta: timedelta | float) -> str:
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def parse_quantity(value: Any) -> float | None:
    """Kubernetes quantity ("16Gi", "32863176Ki", "500m", "8") as a number."""
    match = _QUANTITY.match(str(value).strip()) if value is not None else None
    if not match or match.group(2) not in _SUFFIX:
        return None
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def fmt_quantity(resource: str, value: float) -> str:
    if resource == "memory":
        return f"{value / 2**30:.1f} GiB"
    return f"{value:g}"


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(get(obj, "metadata", "labels") or {})


def name(obj: Mapping[str, Any]) -> str:
    return str(get(obj, "metadata", "name") or "?")


def msg(event: Mapping[str, Any] | None) -> str:
    """An event's message (core/v1 ``message``, events.k8s.io/v1 ``note``)."""
    return str((event or {}).get("message") or (event or {}).get("note") or "").strip()


def quoted(text: str) -> str | None:
    match = re.search(r'"([^"]+)"', text)
    return match.group(1) if match else None


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in get(obj, "status", "conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def container_status(pod: Mapping[str, Any], container: str) -> Mapping[str, Any]:
    for status in (get(pod, "status", "initContainerStatuses") or []) + (
        get(pod, "status", "containerStatuses") or []
    ):
        if status.get("name") == container:
            return status
    return {}


def pod_ready(pod: Mapping[str, Any]) -> bool:
    statuses = get(pod, "status", "containerStatuses") or []
    return bool(statuses) and all(s.get("ready") for s in statuses)


def claim_names(pod: Mapping[str, Any]) -> set[str]:
    return {
        str(get(v, "persistentVolumeClaim", "claimName"))
        for v in get(pod, "spec", "volumes") or []
        if get(v, "persistentVolumeClaim", "claimName")
    }


def select_nodes(nodes: list[dict[str, Any]], selector: Mapping[str, str]) -> list[dict[str, Any]]:
    return [n for n in nodes if all(labels(n).get(k) == v for k, v in selector.items())]


def label_values(nodes: list[dict[str, Any]], selector: Mapping[str, str]) -> str:
    """What the nodes carry for the selector's keys, for the keys whose wanted value no node has
    (every key when each value exists somewhere but no node has them all)."""
    absent = [k for k, v in selector.items() if not any(labels(n).get(k) == v for n in nodes)]
    parts = []
    for key in absent or list(selector):
        values = sorted({labels(n)[key] for n in nodes if key in labels(n)})
        parts.append(f"{key}={'|'.join(values)}" if values else f"no {key} label")
    return ", ".join(parts)


def tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and (tol.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def requests_gpu(pod: Mapping[str, Any]) -> bool:
    for container in get(pod, "spec", "containers") or []:
        for section in ("limits", "requests"):
            if parse_quantity(get(container, "resources", section, GPU_RESOURCE)):
                return True
    return False


def pod_requests(pod: Mapping[str, Any]) -> dict[str, float]:
    """Summed container requests (limits where no request is set, as Kubernetes defaults them)."""
    totals: dict[str, float] = {}
    for container in get(pod, "spec", "containers") or []:
        resources = container.get("resources") or {}
        for res in ("cpu", "memory", GPU_RESOURCE):
            value = parse_quantity(get(resources, "requests", res) or get(resources, "limits", res))
            if value:
                totals[res] = totals.get(res, 0.0) + value
    return totals
