"""Capacity: which priority of its GPU pool's ComputeClass a NIM pod got, and why none could be had.

Where a pod runs is in its node's labels: ``cloud.google.com/gke-nodepool`` (the node pool),
``cloud.google.com/gke-spot: "true"`` on Spot nodes (cloud.google.com/kubernetes-engine/docs/
how-to/spot-vms), and ``cloud.google.com/compute-class`` on the nodes of a pool that serves a
ComputeClass (GKE, "Configure manually-created node pools for ComputeClass use"). The class's
``spec.priorities[].nodepools`` orders its pools: with the class in the snapshot (``kubectl get
computeclasses.cloud.google.com -o json``, cluster-scoped), the node's pool gives its priority.

A pod that selects a class and finds no node: GKE's cluster autoscaler tries the class's pools in
order and says per node group why none could take it in one NotTriggerScaleUp ("pod didn't trigger
scale-up: 1 in backoff after failed scale-up, 1 max node group size reached, ...": kubernetes/
autoscaler@dd28ada760f0 core/scaleup/orchestrator/skippedreasons.go; GKE's own processor,
GoogleCloudPlatform/cluster-autoscaler@7d250507339b pkg/processors/scaleup/
internal_eventing_scale_up_processor.go), after the FailedScaleUp that put a group in backoff
("Node scale up in zones ... associated with this pod failed: GCE out of resources", or "GCE quota
exceeded": pkg/visibility/events/failed_scale_up_event_logger.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import NODEPOOL_LABEL, get, labels, msg, name
from nimctl.doctor.wording import (
    OUT_OF_RESOURCES,
    QUOTA_EXCEEDED,
    parse_failed_scale_up,
    parse_reasons,
)

CLASS_LABEL = "cloud.google.com/compute-class"
SPOT_LABEL = "cloud.google.com/gke-spot"
MACHINE_LABEL = "node.kubernetes.io/instance-type"
# The autoscaler's reasons for a node group it did not scale up (skippedreasons.go).
AT_MAX = "max node group size reached"
BACKING_OFF = "in backoff after failed scale-up"


@dataclass(frozen=True)
class Placement:
    """Where a pod runs, as its node's labels and the ComputeClass say."""

    node: str
    pool: str | None
    compute_class: str | None
    spot: bool
    machine: str | None
    priority: int | None
    """The pool's place in the class's priorities, from 1 (None: the class is not known)."""
    priorities: int | None
    """How many priorities the class has."""

    def describe(self) -> str:
        bought = "Spot" if self.spot else "on demand"
        where = f"node pool {self.pool}, {bought} {self.machine or ''}".rstrip()
        if self.compute_class is None:
            return where
        if self.priority is None:
            return f"ComputeClass {self.compute_class}: {where}"
        return (
            f"priority {self.priority} of {self.priorities} of ComputeClass "
            f"{self.compute_class}: {where}"
        )


def class_priorities(classes: list[dict[str, Any]], class_name: str) -> list[list[str]] | None:
    """The node pools of each priority of ``class_name`` (None when the snapshot lacks it)."""
    for cc in classes:
        if get(cc, "metadata", "name") == class_name:
            rules = get(cc, "spec", "priorities") or []
            return [list(r.get("nodepools") or []) for r in rules if isinstance(r, Mapping)]
    return None


def placement(node: Mapping[str, Any], classes: list[dict[str, Any]]) -> Placement:
    node_labels = labels(node)
    pool = node_labels.get(NODEPOOL_LABEL)
    class_name = node_labels.get(CLASS_LABEL)
    priority = total = None
    rules = class_priorities(classes, class_name) if class_name else None
    if rules is not None:
        total = len(rules)
        priority = next((i for i, pools in enumerate(rules, 1) if pool in pools), None)
    return Placement(
        node=name(node),
        pool=pool,
        compute_class=class_name,
        spot=node_labels.get(SPOT_LABEL) == "true",
        machine=node_labels.get(MACHINE_LABEL),
        priority=priority,
        priorities=total,
    )


def pod_placement(diag: Diagnosis, pod: Mapping[str, Any]) -> Placement | None:
    """The placement of a scheduled pod whose node the snapshot holds."""
    node_name = get(pod, "spec", "nodeName")
    node = next((n for n in diag.snap.nodes if name(n) == node_name), None)
    return placement(node, diag.snap.compute_classes) if node is not None else None


def check_placement(diag: Diagnosis, pod: Mapping[str, Any]) -> None:
    """A pod on a fallback priority: serving, but not where the class prefers (a warning)."""
    where = pod_placement(diag, pod)
    if where is None or where.priority is None or where.priority < 2:
        return
    rules = class_priorities(diag.snap.compute_classes, str(where.compute_class)) or []
    migrate = next(
        (
            bool(get(cc, "spec", "activeMigration", "optimizeRulePriority"))
            for cc in diag.snap.compute_classes
            if get(cc, "metadata", "name") == where.compute_class
        ),
        False,
    )
    back = (
        "GKE moves it back once a higher priority has capacity (activeMigration."
        "optimizeRulePriority): the pod is evicted and restarts there"
        if migrate
        else "it stays there until it is rescheduled (the class has no active migration)"
    )
    diag.add(
        "on-fallback-capacity",
        f"pod/{name(pod)}",
        f"pod {name(pod)} runs on {where.describe()}: the priorities before it had no node to "
        f"give when it was scheduled, and {back}",
        [f"node {where.node}: {NODEPOOL_LABEL}={where.pool}", *_first_pools(rules, where)],
        compute_class=where.compute_class,
    )


def _first_pools(rules: list[list[str]], where: Placement) -> list[str]:
    if where.priority is None:
        return []
    before = [p for pools in rules[: where.priority - 1] for p in pools]
    return [f"preferred node pool(s) of {where.compute_class}: {', '.join(before)}"]


def check_class_exhausted(
    diag: Diagnosis, pod: Mapping[str, Any], autoscaler: list[dict[str, Any]], message: str
) -> bool:
    """A pending pod that selects a ComputeClass and whose latest autoscaler event says no node
    group of the class could be scaled up: each priority at its maximum or backing off after a
    failed scale-up (whose causes the last FailedScaleUp names). True when reported."""
    class_name = (get(pod, "spec", "nodeSelector") or {}).get(CLASS_LABEL)
    if not class_name or not autoscaler:
        return False
    latest = autoscaler[-1]
    if latest.get("reason") != "NotTriggerScaleUp":
        return False
    reasons = parse_reasons(msg(latest))
    at_max, backing_off = reasons.get(AT_MAX, 0), reasons.get(BACKING_OFF, 0)
    if not (at_max or backing_off):
        return False
    failures = [e for e in autoscaler if e.get("reason") == "FailedScaleUp"]
    failed = parse_failed_scale_up(msg(failures[-1])) if failures else None
    why = []
    if backing_off:
        causes = _causes(failed)
        why.append(f"{backing_off} backing off after a failed scale-up{causes}")
    if at_max:
        why.append(f"{at_max} at its maximum size")
    rules = class_priorities(diag.snap.compute_classes, class_name)
    of = f"its {len(rules)} priorities" if rules is not None else "its priorities"
    diag.add(
        "compute-class-exhausted",
        f"pod/{name(pod)}",
        f"no node pool of ComputeClass {class_name} ({of}) could add a node for pod "
        f"{name(pod)}: of their node groups, {' and '.join(why)}",
        [msg(latest), *(msg(f) for f in failures[-1:]), message],
        compute_class=class_name,
    )
    return True


def _causes(failed: Any) -> str:
    if failed is None or not failed.causes:
        return ""
    named = {QUOTA_EXCEEDED: "GCE quota exceeded", OUT_OF_RESOURCES: "GCE out of resources"}
    zones = ", ".join(failed.zones)
    return f" ({', '.join(named.get(c, c) for c in failed.causes)}" + (
        f" in {zones})" if zones else ")"
    )
