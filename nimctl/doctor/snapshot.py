"""The snapshot a diagnosis reads: a kubectl-shaped v1 List split by kind, from a file or stdin.

``kubectl get pods,events,pvc,nodes -n NS -o json`` prints exactly this List (with the Gateway's
objects when they are asked for too: ``GATEWAY_KINDS``, docs/operations.md, "nimctl doctor");
the live path (:mod:`nimctl.doctor.live`) builds the same shape from the Kubernetes client, so both
share one diagnosis.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nimctl.doctor.kube import CHART_NAME, INSTANCE_LABEL, NAME_LABEL, event_time, get, labels, name


class DoctorInputError(Exception):
    """The namespace could not be read (bad file, no kube context, API refused)."""


# The Gateway's objects a snapshot may carry, by kind and the API group that owns the
# kind (another project's "Gateway", e.g. Istio's networking.istio.io, is not ours).
GATEWAY_KINDS = {
    "Gateway": "gateway.networking.k8s.io",
    "HTTPRoute": "gateway.networking.k8s.io",
    "HealthCheckPolicy": "networking.gke.io",
    "GCPBackendPolicy": "networking.gke.io",
}


# GKE's ComputeClasses (cluster-scoped): which priority a pod's node pool is
# (nimctl.doctor.capacity). Another group's "ComputeClass" is not GKE's.
COMPUTE_CLASS_GROUP = "cloud.google.com"


@dataclass(frozen=True)
class Snapshot:
    pods: list[dict[str, Any]]
    events: list[dict[str, Any]]
    pvcs: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    gateways: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    """HealthCheckPolicies and GCPBackendPolicies."""
    hpas: list[dict[str, Any]] = field(default_factory=list)
    """autoscaling/v2 HorizontalPodAutoscalers (``kubectl get hpa`` prints v2; older snapshots
    have none)."""
    apiservices: list[dict[str, Any]] = field(default_factory=list)
    """The metrics APIServices (``kubectl get apiservices``), when the snapshot holds them."""
    compute_classes: list[dict[str, Any]] = field(default_factory=list)
    """GKE's ComputeClasses (``kubectl get computeclasses.cloud.google.com``), when it holds
    them."""

    @classmethod
    def from_document(cls, doc: Any) -> Snapshot:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("items"), list):
            raise DoctorInputError(
                "expected the JSON of `kubectl get pods,events,pvc,nodes -n NS -o json` "
                "(an object with an 'items' list)"
            )
        buckets: dict[str, list[dict[str, Any]]] = {
            "Pod": [],
            "Event": [],
            "PersistentVolumeClaim": [],
            "Node": [],
            "HorizontalPodAutoscaler": [],
            "APIService": [],
            "ComputeClass": [],
            **{kind: [] for kind in GATEWAY_KINDS},
        }
        list_kind = str(doc.get("kind", ""))
        for item in doc["items"]:
            if not isinstance(item, dict):
                continue
            kind = item.get("kind") or list_kind.removesuffix("List")
            group = str(item.get("apiVersion", "")).rpartition("/")[0]
            if kind in GATEWAY_KINDS and group != GATEWAY_KINDS[kind]:
                continue
            if kind == "ComputeClass" and group != COMPUTE_CLASS_GROUP:
                continue
            if kind in buckets:
                buckets[kind].append(item)
        events = sorted(
            buckets["Event"], key=lambda e: event_time(e) or datetime.min.replace(tzinfo=UTC)
        )
        return cls(
            buckets["Pod"],
            events,
            buckets["PersistentVolumeClaim"],
            buckets["Node"],
            gateways=buckets["Gateway"],
            routes=buckets["HTTPRoute"],
            policies=buckets["HealthCheckPolicy"] + buckets["GCPBackendPolicy"],
            hpas=buckets["HorizontalPodAutoscaler"],
            apiservices=buckets["APIService"],
            compute_classes=buckets["ComputeClass"],
        )

    def events_for(self, kind: str, obj: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Events about this object (same uid when both carry one), oldest first."""
        obj_name, uid = name(obj), get(obj, "metadata", "uid")
        found = []
        for event in self.events:
            involved = event.get("involvedObject") or event.get("regarding") or {}
            if involved.get("kind") != kind or involved.get("name") != obj_name:
                continue
            if uid and involved.get("uid") and involved["uid"] != uid:
                continue  # an earlier pod of the same StatefulSet ordinal
            found.append(event)
        return found


def is_nim_pod(pod: Mapping[str, Any], release: str | None) -> bool:
    pod_labels = labels(pod)
    if pod_labels.get(NAME_LABEL) != CHART_NAME:
        return False
    return release is None or pod_labels.get(INSTANCE_LABEL) == release


def load_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8") if str(path) != "-" else sys.stdin.read()
    except OSError as exc:
        raise DoctorInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise DoctorInputError(
            f"{path} is not JSON ({exc}); produce it with "
            "`kubectl get pods,events,pvc,nodes -n NS -o json > FILE`"
        ) from None
    Snapshot.from_document(doc)  # shape check with a clear message
    return dict(doc)
