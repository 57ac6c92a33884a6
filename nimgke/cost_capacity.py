"""What each GPU capacity plan's priorities cost, and the blended expected figure.

The estimate's four figures (:mod:`nimgke.cost`) price every GPU node at its plan's first priority
(the pool as the stack file states it). A plan's fallbacks run only while the priorities before
them cannot add a node, and how often that happens is not published anywhere: the blended figure
rests on one stated ASSUMPTION, ``cost.fallbackShare`` = f, that each priority has no node to
give a share f of the time, independently of the others. Priority k of n then serves
f^(k-1) x (1 - f) of the plan's expected GPU node-hours, and the last one f^(n-1): with two
priorities, (1 - f) and f.

Each priority is priced like the first (:func:`nimgke.cost_arithmetic.gpu_node_hourly`) at its own
machine and purchase option (Spot, or on demand / ``cost.commitment``; a priority consuming a
reservation is priced on demand: reserved resources "are charged at the same on-demand price,
including applicable discounts, as running VMs" for as long as the reservation exists, used or
not, cloud.google.com/compute/docs/instances/reservations-overview; the reservation itself is
not the stack's and not counted). Boot disks are the pool's on every
priority, so only the node line moves. Rounding as in the estimate: each priority's cost to the
cent, the blended total the sum of those.

The GPU quota a stack needs for any mix of its priorities: a plan's pods use at most its
``maxNodes`` GPU nodes at once, each on any priority, so the quota for Spot (the preemptible GPU
quota when the project has one: cloud.google.com/compute/docs/instances/create-use-spot, "consider
requesting preemptible quota for Spot VMs") and for on-demand GPUs is min(maxNodes, the maxima of
the plan's pools of that kind) x GPUs per node, summed over the plans.
"""

from __future__ import annotations

from typing import Any

from nimgke import catalog
from nimgke.config import StackConfig
from nimgke.config.pools import priority_key
from nimgke.cost_arithmetic import gpu_node_hourly, gpu_node_hours, purchase_option, serving_nodes
from nimgke.pricing import PriceError, PriceSheet
from nimgke.shape import CapacityShape, StackShape


def priority_shares(priorities: int, fallback_share: float) -> list[float]:
    """The share of node-hours each of ``priorities`` serves when each has no node to give a
    share ``fallback_share`` of the time, independently: f^(k-1)(1-f), the last f^(n-1)."""
    if priorities < 1 or not 0 <= fallback_share <= 1:
        raise ValueError(
            f"expected priorities >= 1 and 0 <= f <= 1, got {priorities}, {fallback_share}"
        )
    f = fallback_share
    return [f ** (k - 1) * (1 - f) for k in range(1, priorities)] + [f ** (priorities - 1)]


def _plan(
    cfg: StackConfig,
    shape: StackShape,
    plan: CapacityShape,
    prices: PriceSheet,
    hours_per_day: float,
) -> dict[str, Any]:
    s = cfg.settings
    first = plan.first
    # The plan's expected GPU node-hours as the estimate counts its pool's (nimgke/cost.py): the
    # warm replicas' nodes 24/7, the serving ones for the awake hours a day.
    idle = serving_nodes(first.min_nodes, shape.warm_replicas_on(plan.name))
    serving = serving_nodes(first.min_nodes, shape.serving_replicas_on(plan.name))
    hours = gpu_node_hours(idle, serving, first.max_nodes, hours_per_day)
    expected = hours["expected"]
    shares = priority_shares(len(plan.priorities), s.cost.fallback_share)
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for pool, share in zip(plan.priorities, shares, strict=True):
        option = purchase_option(pool.spot, s.cost.commitment)
        row: dict[str, Any] = {
            "priority": pool.priority,
            "nodePool": pool.name,
            "machineType": pool.machine_type,
            "purchaseOption": option,
            "zones": list(pool.zones),
            "maxNodes": pool.max_nodes,
            "reservation": pool.reservation,
            "share": round(share, 6),
        }
        try:
            rate = gpu_node_hourly(
                prices,
                catalog.MACHINE_TYPES[pool.machine_type],
                gpu_type=pool.gpu_type,
                gpu_count=pool.gpu_count,
                region=cfg.region,
                option=option,
                key=priority_key(plan.name, pool.priority),
            )
        except PriceError as err:
            missing.append(str(err))
            rows.append({**row, "gpuNodeHourly": None, "expectedMonthly": None})
            continue
        row["gpuNodeHourly"] = round(rate, 6)
        row["expectedMonthly"] = round(expected * share * rate, 2) + 0.0
        rows.append(row)
    out: dict[str, Any] = {
        "pool": plan.name,
        "computeClass": plan.compute_class,
        "activeMigration": plan.active_migration,
        "expectedNodeHours": round(expected, 2),
        "priorities": rows,
    }
    if missing:
        out.update(blendedGpuNodeHourly=None, blendedExpectedMonthly=None, unpriced=missing)
        return out
    first_monthly = round(expected * rows[0]["gpuNodeHourly"], 2)
    blended = round(sum(r["expectedMonthly"] for r in rows), 2)
    out.update(
        blendedGpuNodeHourly=round(sum(r["share"] * r["gpuNodeHourly"] for r in rows), 6),
        firstPriorityExpectedMonthly=first_monthly + 0.0,
        blendedExpectedMonthly=blended + 0.0,
    )
    return out


def _quota(shape: StackShape) -> dict[str, Any]:
    found: dict[str, dict[str, int]] = {}
    for plan in shape.plans:
        cap = plan.first.max_nodes  # the plan's maxNodes: the pods use no more nodes at once
        gpus = found.setdefault(plan.first.gpu_type, {"onDemand": 0, "spot": 0})
        for kind, spot in (("onDemand", False), ("spot", True)):
            pools = sum(p.max_nodes for p in plan.priorities if p.spot is spot)
            gpus[kind] += min(cap, pools) * plan.first.gpu_count
    return found


def capacity(
    cfg: StackConfig,
    shape: StackShape,
    prices: PriceSheet,
    expected_monthly: float,
    hours_per_day: float,
) -> dict[str, Any]:
    """The estimate's ``capacity`` block: each plan's priorities with their prices and shares,
    the blended expected total, the GPU quota, and the assumption they rest on.
    ``hours_per_day``: the awake hours the estimate counts (:func:`nimgke.cost.awake_hours`)."""
    f = cfg.settings.cost.fallback_share
    plans = [_plan(cfg, shape, plan, prices, hours_per_day) for plan in shape.plans]
    priced = all(p["blendedExpectedMonthly"] is not None for p in plans)
    blended = (
        round(
            expected_monthly
            + sum(p["blendedExpectedMonthly"] - p["firstPriorityExpectedMonthly"] for p in plans),
            2,
        )
        + 0.0
        if priced
        else None
    )
    return {
        "fallbackShare": f,
        "plans": plans,
        "blendedExpectedMonthly": blended,
        "gpuQuota": _quota(shape),
        "assumption": (
            f"ASSUMPTION (cost.fallbackShare = {f:g}, not a measurement: Spot and zone "
            "stock-outs are not published): each priority of a ComputeClass has no node to give "
            f"{f:.0%} of the time, independently of the others, so priority k of n serves "
            f"{f:g}^(k-1) x {1 - f:g} of the expected GPU node-hours and the last {f:g}^(n-1). "
            "expectedMonthly prices them all at the first priority; blendedExpectedMonthly at "
            "these shares."
        ),
    }
