"""The arithmetic the cost model's modules share: node-hours, disk GB-months, purchase options,
GPU node rates, the GKE fee, and the priced :class:`Line` (:mod:`nimgke.cost` and
:mod:`nimgke.cost_rollout` both build on it; see :mod:`nimgke.cost` for what is counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nimgke import catalog
from nimgke.config import NAMESPACE
from nimgke.config.pools import POOL_KEYS
from nimgke.pricing import HOURS_PER_MONTH, PriceSheet
from nimgke.shape import PoolShape

GKE_FEE_PER_CLUSTER_HOUR = 0.10
GKE_FREE_TIER_CREDIT_MONTHLY = 74.40
"""Per billing account; covers one zonal (or Autopilot) cluster
(https://cloud.google.com/kubernetes-engine/pricing, "Free tier")."""
SCENARIOS = ("idle", "expected", "alwaysOn", "peak")
NODE_REMOVAL_MINUTES = 10
"""How long an empty GPU node outlives its last pod: GKE's cluster autoscaler removes a node that
has been unneeded for about 10 minutes (cloud.google.com/kubernetes-engine/docs/concepts/
cluster-autoscaler; kubernetes/autoscaler cluster-autoscaler/FAQ.md, ``--scale-down-unneeded-time``
defaults to 10 minutes)."""


def purchase_option(spot: bool, commitment: str) -> str:
    """How the GPU nodes are bought: Spot wins; otherwise the commitment (``none`` = on demand).

    Committed-use discounts do not apply to Spot VMs.
    """
    if spot:
        return "spot"
    return "on-demand" if commitment == "none" else commitment


def serving_nodes(min_nodes: int, replicas: int) -> int:
    """GPU nodes that run while the models serve: one per replica, never fewer than minNodes.
    The same for the nodes that run while they are idle: one per warm replica."""
    return max(min_nodes, replicas)


def awake_hours_per_day(window_hours: float, days_per_week: int, idle_minutes: int) -> float:
    """The average hours a day a sleeping version's GPU node runs on a wake schedule: on each of
    its days the window, then ``idle_minutes`` until the HPA lets it sleep, then
    :data:`NODE_REMOVAL_MINUTES` until GKE removes the empty node; averaged over the week."""
    per_day = window_hours + (idle_minutes + NODE_REMOVAL_MINUTES) / 60
    return min(24.0, per_day) * days_per_week / 7


def gpu_node_hours(
    idle_nodes: int, serving: int, max_nodes: int, gpu_hours_per_day: float
) -> dict[str, float]:
    """GPU node-hours per 730-hour month in each scenario (see :mod:`nimgke.cost`):
    ``idle_nodes`` run 24/7, ``serving`` for ``gpu_hours_per_day``, ``max_nodes`` at peak."""
    if not 0 <= gpu_hours_per_day <= 24:
        raise ValueError(f"gpu_hours_per_day must be within 0..24, got {gpu_hours_per_day}")
    if not 0 <= idle_nodes <= serving <= max_nodes:
        raise ValueError(
            f"expected 0 <= idle_nodes <= serving <= max_nodes, got {idle_nodes}, {serving}, "
            f"{max_nodes}"
        )
    burst = (serving - idle_nodes) * gpu_hours_per_day * HOURS_PER_MONTH / 24
    return {
        "idle": float(idle_nodes * HOURS_PER_MONTH),
        "expected": idle_nodes * HOURS_PER_MONTH + burst,
        "alwaysOn": float(serving * HOURS_PER_MONTH),
        "peak": float(max_nodes * HOURS_PER_MONTH),
    }


def disk_gb_months(size_gb: float, node_hours: float) -> float:
    """GB-months of one boot disk per node, for disks that exist only while their node does."""
    return size_gb * node_hours / HOURS_PER_MONTH


def management_fee(regional: bool) -> tuple[float, float]:
    """(fee, free-tier credit) per month for one cluster; the credit is never more than the fee.

    0.10 x 730 = 73.00; a zonal cluster's credit covers it all (73.00 <= 74.40), a regional
    cluster gets none.
    """
    fee = GKE_FEE_PER_CLUSTER_HOUR * HOURS_PER_MONTH
    credit = 0.0 if regional else min(fee, GKE_FREE_TIER_CREDIT_MONTHLY)
    return fee, credit


def gpu_node_hourly(
    prices: PriceSheet,
    machine: catalog.MachineType,
    *,
    gpu_type: str,
    gpu_count: int,
    region: str,
    option: str,
    key: str = f"{NAMESPACE}:gpuPool",
) -> float:
    """USD per GPU node-hour. g2/a2/a3 machines are priced with their GPUs: nothing is added.
    ``key`` is the pool's config key, named by a :class:`PriceError` for an unpriced machine."""
    hourly = prices.machine_hourly(machine.name, region, option, f"{key}.machineType")
    if machine.gpu is None and machine.attachable_gpus:
        hourly += gpu_count * prices.gpu_hourly(gpu_type, region, option, f"{key}.gpuType")
    return hourly


@dataclass(frozen=True)
class Line:
    """One priced item; ``quantity`` (in ``unit``) per scenario."""

    item: str
    unit: str
    unit_price: float
    quantity: Mapping[str, float]
    gpu: bool = False
    """Part of the GPU pool (moves with usage); the rest is the non-GPU overhead."""

    def monthly(self) -> dict[str, float]:
        return {s: round(self.quantity[s] * self.unit_price, 2) + 0.0 for s in SCENARIOS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "unit": self.unit,
            "unitPrice": round(self.unit_price, 6),
            "quantity": {s: round(self.quantity[s], 2) for s in SCENARIOS},
            "monthly": self.monthly(),
        }


def gpu_pool_lines(
    pool: PoolShape,
    *,
    nodes_item: str,
    disks_item: str,
    option: str,
    idle: int,
    serving: int,
    gpu_hours_per_day: float,
    region: str,
    prices: PriceSheet,
) -> tuple[float, list[Line]]:
    """A GPU pool's rate per node-hour, and its two lines: the nodes (``nodes_item``) and their
    boot disks (``disks_item``), ``idle`` nodes 24/7 and ``serving`` while in use, bought as
    ``option``."""
    machine = catalog.MACHINE_TYPES[pool.machine_type]
    rate = gpu_node_hourly(
        prices,
        machine,
        gpu_type=pool.gpu_type,
        gpu_count=pool.gpu_count,
        region=region,
        option=option,
        key=POOL_KEYS[pool.name],
    )
    hours = gpu_node_hours(idle, serving, pool.max_nodes, gpu_hours_per_day)
    disk = prices.disk_gb_month(pool.disk_type, region, f"{POOL_KEYS[pool.name]}.diskType")
    if machine.gpu:
        carries = f"{machine.gpu_count} x {machine.gpu} incl."
    else:
        carries = f"+ {pool.gpu_count} x {pool.gpu_type} attached"
    return rate, [
        Line(
            f"{nodes_item}: {machine.name} ({carries}), {option}",
            "node-hour",
            rate,
            hours,
            gpu=True,
        ),
        Line(
            f"{disks_item}: {pool.disk_size_gb} GB {pool.disk_type} each",
            "GB-month",
            disk,
            {sc: disk_gb_months(pool.disk_size_gb, h) for sc, h in hours.items()},
            gpu=True,
        ),
    ]


def fixed(quantity: float) -> dict[str, float]:
    """The same quantity in every scenario: what does not move with usage."""
    return dict.fromkeys(SCENARIOS, float(quantity))
