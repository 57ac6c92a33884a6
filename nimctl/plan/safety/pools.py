"""The findings of a node pool the edit replaces, recreates or deletes under a serving version."""

from __future__ import annotations

from typing import Any

from nimctl.mock_engine import node_pool_name
from nimctl.plan.document import key_of
from nimctl.plan.flat import Change
from nimctl.plan.safety.findings import DELETED, ROLLOUTS_DOC, Finding, PoolChange, line
from nimctl.plan.safety.versions import Place, Version, places
from nimgke.helm_values import is_deployment, min_replicas
from nimgke.node_pool_changes import NODE_POOL_TYPE, REPLACED, effect, pool_effect

POOL_FIX = (
    "move the model first: declare the new machines as greenPool, run a version there and move "
    f"the weight ({ROLLOUTS_DOC}, 'Blue/green onto other machines'); replace the pool once nothing "
    "serves on it"
)
RECREATE_FIX = (
    "run a second replica while the nodes are recreated (replicas: 2: its PodDisruptionBudget "
    f"lets a drain take one at a time), or move the model to greenPool first ({ROLLOUTS_DOC}, "
    "'Blue/green onto other machines')"
)
DELETE_FIX = (
    "move the model off it first: its weight to a version on another pool, or the version's "
    f"`pool`, in an earlier update ({ROLLOUTS_DOC}, 'Blue/green onto other machines'); delete the "
    "pool once nothing serves on it"
)


def findings(
    key: str,
    found: list[Change],
    base: dict[str, Any],
    before: dict[str, Version],
    after: dict[str, Version],
    restarted: set[str],
) -> tuple[PoolChange, list[Finding]] | None:
    """The node pool change of resource ``key`` and its findings; ``restarted``: the releases
    whose pod the same update changes."""
    deleted = found[0].whole == "removed"
    outcome = DELETED if deleted else pool_effect([c.path for c in found])
    if outcome is None:
        return None
    name = found[0].name
    pool_name = node_pool_name(name)
    place = places(base).get(pool_name)
    serving = {k: v for k, v in before.items() if v.runs_on(pool_name, place) and v.weight > 0}
    inputs: dict[str, Any] = next(
        (r["inputs"] for r in base["resources"] if key_of(r["urn"]) == key), {}
    )
    pool = PoolChange(
        key,
        name,
        outcome,
        [] if deleted else [line(c) for c in found if effect(c.path)],
        _cost(outcome, inputs),
        [f"{v.release} ({v.share()}; {v.workload()})" for v in serving.values()],
        place.compute_class if place else None,
        place.priority if place else None,
    )
    at = {"resource": key, "type": NODE_POOL_TYPE, "name": name}
    changes = ", ".join(pool.changes)
    out = []
    for release_key, v in serving.items():
        now = after.get(release_key)
        if now is None:
            continue  # the edit removes the version itself: its own finding, if it serves
        where = _where(v, place)
        # A fallback runs pods only while the priorities before it have no node to give.
        fallback = place is not None and place.fallback and v.pool != pool_name
        check = (
            f"apply it while no pod of release {v.release} runs on node pool {name} (`nimctl "
            f"doctor --release {v.release}` names the priority each pod got) and acknowledge "
            "this finding, or "
            if fallback
            else ""
        )
        pods = "any of its pods there" if fallback else "its pods"
        if outcome in (REPLACED, DELETED):
            if release_key in restarted and now.waits and is_deployment(now.values):
                # Helm surges it where its class now points (not the old pool, whose GPU nodes
                # are taken) and waits for it, before Pulumi deletes the old pool (last).
                continue
            not_moved = _not_moved(now, release_key in restarted, v.compute_class, outcome)
            serves = f"release {v.release} serves {v.share()} {where} as a {now.workload()}"
            if outcome == REPLACED:
                reason = (
                    f"node pool {name} is replaced ({changes}) while {serves}{not_moved}: {pods} "
                    "go with the old pool before new ones are Ready on the new pool, a cold start "
                    "without a server"
                )
                fix = POOL_FIX
            else:
                reason = (
                    f"node pool {name} is deleted while {serves}{not_moved}: GKE drains every "
                    "node of the pool at once when Pulumi deletes it (last in the update), "
                    f"without honouring PodDisruptionBudgets, so {pods} stop before new ones are "
                    "Ready elsewhere, a cold start without a server"
                )
                fix = DELETE_FIX
            kind = "pool-replaced" if outcome == REPLACED else "pool-deleted"
            out.append(Finding(kind, **at, reason=reason, fix=check + fix))
        elif min_replicas(now.values) < 2:
            out.append(
                Finding(
                    "nodes-recreated",
                    **at,
                    reason=(
                        f"every node of pool {name} is recreated ({changes}) while release "
                        f"{v.release} serves {v.share()} {where} as a {now.workload()}: "
                        f"{'if its pod runs there, ' if fallback else ''}GKE drains its node and "
                        "the pod starts again on another, a cold start without a server"
                    ),
                    fix=check + RECREATE_FIX,
                )
            )
    return pool, out


def _where(v: Version, place: Place | None) -> str:
    """Where ``v`` serves, seen from a node pool of its ComputeClass (or the pool it names)."""
    if place is None or not place.fallback or v.pool is not None:
        return "on it"
    return (
        f"through ComputeClass {place.compute_class}, whose priority {place.priority} it is (a "
        "fallback: the pods run there only after the priorities before it could not add a node, "
        "which the plan cannot see)"
    )


def _not_moved(v: Version, pod_changes: bool, selected_class: str | None, outcome: str) -> str:
    """Why a replaced or deleted pool's pods are not moved before it goes ('' when the workload
    says it: a StatefulSet replaces a pod by deleting it first)."""
    if not v.waits:
        return " whose release does not wait for Ready pods"
    if not pod_changes and selected_class is not None:
        gone = (
            "the pool"
            if outcome == DELETED
            else "the old pool, which honours no PodDisruptionBudget"
        )
        return (
            f" whose pod does not change in this update (it selects ComputeClass {selected_class}, "
            f"not the pool: nothing moves it before GKE deletes {gone})"
        )
    return ""


def _cost(outcome: str, inputs: dict[str, Any]) -> str:
    auto = inputs.get("autoscaling") or {}
    most = auto.get("totalMaxNodeCount")
    accel = (inputs.get("nodeConfig") or {}).get("guestAccelerators") or []
    gpus = f"{accel[0].get('count', 1)} x {accel[0].get('type')} per node" if accel else "no GPU"
    if outcome == REPLACED:
        return (
            f"two pools until the old one is deleted: up to {most} nodes each ({gpus}), so twice "
            "the pool's GPU quota for a while; every pod on the old pool is evicted"
        )
    if outcome == DELETED:
        return (
            f"its nodes (up to {most}, {gpus}) are drained all at once and deleted: every pod on "
            "it is evicted, PodDisruptionBudgets or not; its GPU quota is freed"
        )
    return (
        f"one surge node at a time ({gpus}, quota for one more node); every pod on the pool is "
        f"evicted once, node by node (up to {most} nodes)"
    )
