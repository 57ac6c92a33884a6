"""The cost lines of rollouts and the Gateway, for :mod:`nimgke.cost`.

- **Canaries**: a canary on gpuPool adds its replicas to the pool's serving nodes (the main GPU
  line counts every version on the pool: :func:`replicas_on`); each canary has its own model cache
  PVC (one per replica, like the model's), a line of its own.
- **greenPool**: its own GPU node and boot disk lines, priced like gpuPool (its machine, its Spot
  setting, ``cost.commitment``), serving = max(minNodes, replicas of the versions on it).
- **The Gateway** (``gateway.enabled``): the internal load balancer's forwarding rule, an hourly
  charge. ESTIMATE from a dated list price that is not in the price sheet:
  ``FORWARDING_RULE_HOURLY`` (below). The proxy-only subnet is a subnet: no charge of its own. Not
  included: the regional internal Application Load Balancer's proxy instances, which its section of
  the pricing page bills, and its data processing (``DATA_PROCESSING_PER_GIB``, per GiB in and out).
- Caches of versions removed from the stack file are kept (``Retain``) until their PVC is deleted:
  not counted (``NOT_INCLUDED``).
"""

from __future__ import annotations

import math

from nimgke.config import NAMESPACE, StackConfig
from nimgke.config.pools import GREEN_POOL, MAIN_POOL
from nimgke.config.versions import CANARY
from nimgke.cost_arithmetic import (
    Line,
    fixed,
    gpu_pool_lines,
    purchase_option,
    serving_nodes,
)
from nimgke.pricing import HOURS_PER_MONTH, PriceSheet
from nimgke.shape import StackShape

GATEWAY_PRICES_SOURCE = "https://cloud.google.com/load-balancing/pricing"
GATEWAY_PRICES_READ = "2026-12-02"
"""When the figures below were read, from a stored copy of the pricing page (USD, us-central1)."""
FORWARDING_RULE_HOURLY = 0.025
"""USD per forwarding-rule hour: "First 5 forwarding rules $0.025 / 1 hour"."""
DATA_PROCESSING_PER_GIB = 0.008
"""USD per GiB: "Inbound/Outbound data processed by load balancer $0.008 / 1 gibibyte"."""

GATEWAY_NOT_INCLUDED = (
    "the Gateway's proxy instances (billed in the pricing page's internal Application Load "
    f"Balancer section) and its data processing (${DATA_PROCESSING_PER_GIB}/GiB in and out, "
    f"{GATEWAY_PRICES_SOURCE}, read {GATEWAY_PRICES_READ})"
)
RETAINED_CACHES = (
    "model caches of versions removed from the stack file: kept (Retain) until their PVC is "
    "deleted (docs/rollouts.md)"
)


def rollout_not_included(cfg: StackConfig) -> list[str]:
    return ([GATEWAY_NOT_INCLUDED] if cfg.settings.gateway.enabled else []) + [RETAINED_CACHES]


def rollout_lines(
    cfg: StackConfig,
    shape: StackShape,
    commitment: str,
    prices: PriceSheet,
    hours_per_day: float,
) -> list[Line]:
    """greenPool's nodes and disks, the canaries' caches, the Gateway's forwarding rule."""
    s = cfg.settings
    lines: list[Line] = []
    green = shape.green_pool
    if green is not None:
        _, green_lines = gpu_pool_lines(
            green,
            nodes_item="Green pool GPU nodes",
            disks_item="Green pool boot disks",
            option=purchase_option(green.spot, commitment),
            idle=serving_nodes(green.min_nodes, shape.warm_replicas_on(GREEN_POOL)),
            serving=serving_nodes(green.min_nodes, shape.serving_replicas_on(GREEN_POOL)),
            gpu_hours_per_day=hours_per_day,
            region=s.region,
            prices=prices,
        )
        lines += green_lines
    cache = shape.cache
    cache_price = prices.disk_gb_month(
        cache.disk_type, s.region, f"{NAMESPACE}:nim.storageClass", regional=cache.regional
    )
    replication = "regional " if cache.regional else ""
    for v in shape.versions:
        if v.role != CANARY or cache.shared:  # shared: a directory of the bucket
            continue
        size_gb = math.ceil(v.plan.cache_gib)
        pool = "" if v.pool == MAIN_POOL else f", on pool {v.pool}"
        lines.append(
            Line(
                f"Canary cache {v.release} (of {v.model}{pool}): {v.plan.replicas} x {size_gb} GB "
                f"{replication}{cache.disk_type} ({cache.storage_class})",
                "GB-month",
                cache_price,
                fixed(v.plan.replicas * size_gb),
            )
        )
    if s.gateway.enabled:
        lines.append(
            Line(
                "Gateway forwarding rule (internal load balancer), ESTIMATE",
                "rule-hour",
                FORWARDING_RULE_HOURLY,
                fixed(HOURS_PER_MONTH),
            )
        )
    return lines


def rollout_assumptions(cfg: StackConfig, shape: StackShape) -> list[str]:
    out = []
    canaries = [v for v in shape.versions if v.role == CANARY]
    if canaries:
        out.append(
            "Canaries run beside their model: "
            + ", ".join(f"{v.release} ({v.plan.replicas} on pool {v.pool})" for v in canaries)
            + "; each replica is a GPU node of its pool while it exists and has its own cache PVC."
        )
    if shape.green_pool is not None:
        g = shape.green_pool
        warm = shape.warm_replicas_on(GREEN_POOL)
        out.append(
            f"greenPool: idle = max(minNodes {g.min_nodes}, {warm} warm replica(s)) = "
            f"{max(g.min_nodes, warm)} node(s) run 24/7; serving = max(minNodes, "
            f"{shape.serving_replicas_on(GREEN_POOL)} replica(s) of the versions on it) run "
            "the same hours a day as gpuPool's."
        )
    if cfg.settings.gateway.enabled:
        out.append(
            "Gateway: ESTIMATE of one internal forwarding rule at "
            f"${FORWARDING_RULE_HOURLY}/h ({GATEWAY_PRICES_SOURCE}, read {GATEWAY_PRICES_READ}: "
            "the forwarding-rule price the page lists); the proxy-only subnet is a subnet, with no "
            "charge of its own, and the Gateway's reserved internal address falls under static "
            "IPs. The page bills the regional "
            "internal Application Load Balancer in its own section (proxy instances, which scale "
            "with traffic) that this estimate does not include: check it before relying on the "
            "figure."
        )
    return out
