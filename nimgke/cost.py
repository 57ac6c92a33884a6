"""What a stack costs per month: pure functions over the stack's shape, its cost settings and
the price table.

Everything is priced from ``nimgke/prices.yaml`` (Google Cloud list prices, dated; see
:mod:`nimgke.pricing`) in USD, with a month of 730 hours. The result is an ESTIMATE, not a quote.

What is counted:

- **GPU nodes**: node-hours x the machine's hourly rate for the purchase option: on-demand
  ``hour``, Spot ``hour_spot`` (``gpuPool.spot: true``), or a 1-/3-year commitment
  ``month_1y``/``month_3y`` / 730 (``cost.commitment``, when not Spot). g2, a2 and a3 prices
  already include their GPUs (cloud.google.com/compute/docs/accelerator-optimized-machines;
  the price sheet's g2 rates): no GPU price is ever added to them. Only an N1
  machine adds ``gpuCount`` x the price of its attached GPU.
- **GPU node boot disks**, while the nodes exist: disk GB x price per GB-month x node-hours / 730.
- **System pool**, always on: ``minNodes`` (a total across zones, at least 1 because kube-system
  pods cannot run on the tainted GPU nodes) x rate x 730 h, plus their boot disks. It is priced
  on demand, or at the ``cost.commitment`` rate (never Spot).
- **Model cache volumes**: one PVC per model replica of ``cacheSize`` (rounded up to whole GB,
  as Compute Engine provisions disks), disk type from the storage class
  (:attr:`CacheShape.disk_type <nimgke.shape.CacheShape.disk_type>`), at the regional-disk price
  when the cache is a regional disk (:attr:`CacheShape.regional
  <nimgke.shape.CacheShape.regional>`: an N1 GPU pool over two zones; g2/a2/a3 attach none).
  They persist while the GPU pool is at zero. With ``nim.sharedCache`` on (prod) there is no disk
  per replica: the bucket is the cache (below).
- **Rollouts** (:mod:`nimgke.cost_rollout`): every version on a pool counts in its
  serving nodes, a canary's cache, greenPool's nodes and disks, the Gateway's forwarding rule.
- **Images close to the nodes** (:func:`image_lines`): the NIM image of every version
  cached in the Artifact Registry mirror of nvcr.io (an ESTIMATE of ``NIM_IMAGE_GB`` each), the
  wake signal's Python image in the Docker Hub cache (``WAKE_IMAGE_GB``, an ESTIMATE), dev's
  NGC key version in Secret Manager, the shared model cache bucket (a directory per version) when
  ``nim.sharedCache`` is on; dated list prices outside the sheet, each with its source.
- **Capacity plans** (:mod:`nimgke.cost_capacity`): every GPU node is priced at its pool's first
  priority; the ``capacity`` block prices each fallback of the pool's ComputeClass and gives a
  blended expected figure (``blendedExpectedMonthly``) under the stated ``cost.fallbackShare``
  ASSUMPTION, and the GPU quota the priorities may need.
- **GKE management fee**: $0.10 per cluster-hour. The free tier credit ($74.40 a month per
  billing account) covers one zonal cluster, so a zonal stack pays 0 and a regional one $73.00,
  ASSUMING no other cluster on the billing account already uses the credit.

The four monthly figures (each also a column of ``lines``):

- ``idleMonthly``: what runs while nobody uses the models: the GPU pool at idle = max(minNodes,
  warm replicas) 24/7 + the fixed costs (system pool, caches, fee). A warm replica is one that
  runs whether used or not: each version's ``replicas`` without an HPA, its HPA's
  ``minReplicas`` with one, none for a version that sleeps (``monitoring.hpa.minReplicas: 0``,
  docs/autoscaling.md). So a version that never sleeps keeps its GPU node in idle.
- ``expectedMonthly``: idle 24/7 + (serving - idle) nodes for the awake hours a day x 730/24 +
  the fixed costs, where serving = max(minNodes, total model replicas) (one GPU node per
  replica). The awake hours come from ``monitoring.hpa.wakeSchedule`` when the versions sleep on
  one (:func:`nimgke.cost_arithmetic.awake_hours_per_day`: the window, the idle minutes before
  the HPA lets go, the ~10 min before GKE removes the node), else from ``cost.gpuHoursPerDay``,
  an ASSUMPTION the estimate labels as such.
- ``alwaysOnMonthly``: the serving nodes 24/7 + the fixed costs.
- ``peakMonthly``: the GPU pool at ``maxNodes`` 24/7 + the same fixed costs (an upper bound for
  the GPU pool; the system pool is kept at ``minNodes``).

So idle <= expected <= alwaysOn <= peak. Every line has a ``quantity`` and a ``monthly`` amount
per scenario (``idle``, ``expected``, ``alwaysOn``, ``peak``) and ``monthly = quantity x
unitPrice``. Amounts are rounded to cents per line and the totals are the sums of the rounded
lines, so a table adds up; hourly rates keep the price sheet's 6 decimals.
"""

from __future__ import annotations

import math
from typing import Any

from nimgke import catalog
from nimgke.alerts import alert_specs
from nimgke.config import NAMESPACE, StackConfig
from nimgke.config.pools import MAIN_POOL
from nimgke.config.versions import MAIN
from nimgke.cost_arithmetic import (
    GKE_FEE_PER_CLUSTER_HOUR,
    GKE_FREE_TIER_CREDIT_MONTHLY,
    NODE_REMOVAL_MINUTES,
    SCENARIOS,
    Line,
    awake_hours_per_day,
    disk_gb_months,
    fixed,
    gpu_node_hourly,
    gpu_node_hours,
    gpu_pool_lines,
    management_fee,
    purchase_option,
    serving_nodes,
)
from nimgke.cost_capacity import capacity
from nimgke.cost_monitoring import monitoring_estimate
from nimgke.cost_rollout import rollout_assumptions, rollout_lines, rollout_not_included
from nimgke.pricing import HOURS_PER_MONTH, PURCHASE_OPTIONS, PriceError, PriceSheet, load
from nimgke.shape import StackShape

CURRENCY = "USD"
FROM_SCHEDULE = "monitoring.hpa.wakeSchedule"
FROM_ASSUMPTION = "cost.gpuHoursPerDay (assumption)"

# The cost model's interface, with the arithmetic it shares with nimgke.cost_rollout.
__all__ = [
    "CURRENCY",
    "GKE_FEE_PER_CLUSTER_HOUR",
    "GKE_FREE_TIER_CREDIT_MONTHLY",
    "HOURS_PER_MONTH",
    "PURCHASE_OPTIONS",
    "SCENARIOS",
    "Line",
    "PriceError",
    "alternatives",
    "disk_gb_months",
    "estimate",
    "gpu_node_hourly",
    "gpu_node_hours",
    "management_fee",
    "purchase_option",
    "serving_nodes",
]

DEFINITIONS = {
    "idleMonthly": "what runs while nobody uses the models: GPU pool at max(minNodes, warm "
    "replicas) 24/7 (a version that sleeps has none) + system pool + model caches + cached "
    "images + Gateway forwarding rule (if on) + GKE fee",
    "expectedMonthly": "idle GPU nodes 24/7 + (serving - idle) nodes for the awake hours a day "
    "(the wake schedule's, else cost.gpuHoursPerDay) + the same fixed costs",
    "alwaysOnMonthly": "serving GPU nodes (max of minNodes and model replicas) 24/7 + the same "
    "fixed costs",
    "peakMonthly": "GPU pool at maxNodes 24/7 + the same fixed costs",
    "nonGpuOverheadMonthly": "what every scenario pays besides the GPU pools: system pool and its "
    "disks, model caches, cached images, Gateway forwarding rule, GKE fee (after the free tier)",
}

NOT_INCLUDED = [
    "network egress (internet, cross-zone, cross-region)",
    "Cloud Logging ingestion (Cloud Monitoring's Managed Prometheus samples and alerting are "
    "estimated separately under 'monitoring', not in the totals above)",
    "Artifact Registry transfer (pulls by nodes in the repository's region) and the remote "
    "repository's download from nvcr.io",
    "load balancers and forwarding rules, other than the Gateway's forwarding rule (a line)",
    "Cloud NAT (private nodes), Cloud KMS keys, Secret Manager access operations and prod's "
    "existing NGC secret, static IPs",
    "taxes, negotiated discounts and credits other than the GKE free tier",
]


# --- images close to the nodes -----------------------------------------------------------------

# List prices that the dated sheet (nimgke/prices.yaml) does not hold: labelled, with their source.
AR_STORAGE_GB_MONTH = 0.10
"""USD per GB-month of Artifact Registry storage (list price, cloud.google.com/artifact-registry/
pricing, as quoted 2026-11-28; the first 0.5 GB a month are free, not deducted here)."""
SECRET_VERSION_MONTH = 0.06
"""USD per active secret version per month (list price, cloud.google.com/secret-manager/pricing,
as quoted 2026-11-28; 6 free versions per billing account, not deducted here)."""
GCS_STANDARD_GB_MONTH = 0.020
"""USD per GB-month of Cloud Storage Standard in a region such as us-central1 (list price,
cloud.google.com/storage/pricing, as quoted 2026-11-28)."""
NIM_IMAGE_GB = 15.0
"""ESTIMATE of one NIM LLM image as Artifact Registry stores it: the top of the 10-15 GB NIM images
take (the doctor fixtures' Pulled message reports 12.9 GB for llama3-8b-instruct)."""
WAKE_IMAGE_GB = 0.05
"""ESTIMATE of the wake signal's image (``python:3.13-slim``) in the Docker Hub cache: the nodes
pull its linux/amd64 image, 43.0 MB compressed (docker-library/repo-info@2986dca3a80c:
repos/python/remote/3.13-slim.md, read 2026-12-03), rounded up."""


def image_lines(cfg: StackConfig, shape: StackShape) -> list[Line]:
    """What the nvcr.io mirror (and the shared model cache) add: the cached images in Artifact
    Registry (the NIM images; the wake signal's Python in the Docker Hub cache), the stack's own
    NGC secret version (dev), the shared cache bucket."""
    s = cfg.settings
    lines: list[Line] = []
    if s.registry.mirror:
        # Every version's image (a canary's tag is an image of its own in the mirror).
        images = sorted({f"{v.plan.image}:{v.plan.tag}" for v in shape.versions})
        lines.append(
            Line(
                f"Artifact Registry: {len(images)} cached NIM image(s) x {NIM_IMAGE_GB:g} GB "
                "(estimate) in the nvcr.io mirror",
                "GB-month",
                AR_STORAGE_GB_MONTH,
                fixed(len(images) * NIM_IMAGE_GB),
            )
        )
        if s.security.ngc_key_source == "config":
            lines.append(
                Line(
                    "Secret Manager: the NGC key version the mirror reads",
                    "version-month",
                    SECRET_VERSION_MONTH,
                    fixed(1),
                )
            )
    auto = shape.autoscaling
    if auto is not None and auto.wake_gauge:
        lines.append(
            Line(
                f"Artifact Registry: the wake signal's Python image ({WAKE_IMAGE_GB:g} GB, "
                "estimate) in the Docker Hub cache",
                "GB-month",
                AR_STORAGE_GB_MONTH,
                fixed(WAKE_IMAGE_GB),
            )
        )
    if shape.cache.shared:
        # One directory per version release (components/shared_cache.py): each version's files.
        size = sum(math.ceil(v.plan.cache_gib) for v in shape.versions)
        lines.append(
            Line(
                f"Shared model cache bucket: up to {size} GB Standard storage",
                "GB-month",
                GCS_STANDARD_GB_MONTH,
                fixed(size),
            )
        )
    return lines


# --- the estimate -------------------------------------------------------------------------------


def awake_hours(cfg: StackConfig, shape: StackShape) -> tuple[float, str]:
    """Hours a day the serving GPU nodes run above idle, and where the figure comes from:
    ``wakeSchedule`` when the versions sleep on one, else ``cost.gpuHoursPerDay`` (an
    assumption)."""
    auto = shape.autoscaling
    if auto is not None and auto.sleeps and auto.schedule is not None:
        hours = awake_hours_per_day(
            auto.schedule.window_hours, len(auto.schedule.days), auto.idle_minutes
        )
        return hours, FROM_SCHEDULE
    return float(cfg.settings.cost.gpu_hours_per_day), FROM_ASSUMPTION


def estimate(
    cfg: StackConfig, shape: StackShape, prices: PriceSheet | None = None
) -> dict[str, Any]:
    """The ``costEstimate`` stack output (also ``nimctl cost --json``) of ``shape``, the shape of
    ``cfg`` (:func:`nimgke.shape.stack_shape`): see the module docstring.

    Raises :class:`PriceError` (naming the setting, machine and region) when the price table
    lacks a price the stack needs.
    """
    commitment = cfg.settings.cost.commitment
    return _estimate(cfg, shape, shape.gpu_pool.spot, commitment, prices or load())


def alternatives(
    cfg: StackConfig, shape: StackShape, prices: PriceSheet | None = None
) -> list[dict[str, Any]]:
    """The same stack bought on demand, as Spot, and with 1- and 3-year commitments.

    Each entry says which settings it stands for, its GPU node rate and the four monthly
    figures, and ``expectedVsCurrent``. An option the price table lacks is ``available: false``
    with the reason.
    """
    prices = prices or load()
    spot_now, commitment_now = shape.gpu_pool.spot, cfg.settings.cost.commitment
    current = purchase_option(spot_now, commitment_now)
    base = _estimate(cfg, shape, spot_now, commitment_now, prices)
    out = []
    for option in PURCHASE_OPTIONS:
        spot = option == "spot"
        commitment = commitment_now if spot else ("none" if option == "on-demand" else option)
        entry: dict[str, Any] = {
            "purchaseOption": option,
            "current": option == current,
            "settings": {"gpuPool.spot": spot, "cost.commitment": commitment},
        }
        try:
            e = _estimate(cfg, shape, spot, commitment, prices)
        except PriceError as err:
            out.append({**entry, "available": False, "reason": str(err)})
            continue
        entry.update(
            {
                "available": True,
                "gpuNodeHourly": e["gpuNodeHourly"],
                "systemPoolPurchaseOption": e["systemPoolPurchaseOption"],
                **{f"{sc}Monthly": e[f"{sc}Monthly"] for sc in SCENARIOS},
                "expectedVsCurrent": round(e["expectedMonthly"] - base["expectedMonthly"], 2),
            }
        )
        if commitment != "none" and not spot and e["expectedMonthly"] < e["alwaysOnMonthly"]:
            entry["note"] = (
                "a commitment is billed every hour of its term: committing the serving GPU "
                f"nodes costs the always-on figure ({e['alwaysOnMonthly']:.2f}), not the expected "
                "one; commit only what runs 24/7"
            )
        out.append(entry)
    return out


def _estimate(
    cfg: StackConfig, shape: StackShape, spot: bool, commitment: str, prices: PriceSheet
) -> dict[str, Any]:
    s = cfg.settings
    region, pool, sp = s.region, shape.gpu_pool, s.cluster.system_pool
    machine = catalog.MACHINE_TYPES[pool.machine_type]
    option = purchase_option(spot, commitment)
    system_option = purchase_option(sp.spot, commitment)

    # GPU pool: every version on gpuPool, canaries included.
    idle = serving_nodes(pool.min_nodes, shape.warm_replicas_on(MAIN_POOL))
    serving = serving_nodes(pool.min_nodes, shape.serving_replicas_on(MAIN_POOL))
    hours_per_day, hours_from = awake_hours(cfg, shape)
    rate, lines = gpu_pool_lines(
        pool,
        nodes_item="GPU nodes",
        disks_item="GPU boot disks",
        option=option,
        idle=idle,
        serving=serving,
        gpu_hours_per_day=hours_per_day,
        region=region,
        prices=prices,
    )

    # System pool: always on.
    sp_nodes = max(1, sp.min_nodes)
    sp_rate = prices.machine_hourly(
        sp.machine_type, region, system_option, f"{NAMESPACE}:cluster.systemPool.machineType"
    )
    sp_disk = prices.disk_gb_month(sp.disk_type, region, f"{NAMESPACE}:cluster.systemPool.diskType")
    lines += [
        Line(
            f"System pool: {sp_nodes} x {sp.machine_type}, {system_option}",
            "node-hour",
            sp_rate,
            fixed(sp_nodes * HOURS_PER_MONTH),
        ),
        Line(
            f"System boot disks: {sp_nodes} x {sp.disk_size_gb} GB {sp.disk_type}",
            "GB-month",
            sp_disk,
            fixed(sp_nodes * sp.disk_size_gb),
        ),
    ]

    # Model caches: one PVC per replica, kept when the GPU pool is at zero. A regional disk (an
    # N1 GPU pool over two zones: cloud.google.com/compute/docs/disks/
    # about-regional-persistent-disk) is billed by its own SKU, twice the zonal price.
    cache = shape.cache
    cache_price = prices.disk_gb_month(
        cache.disk_type, region, f"{NAMESPACE}:nim.storageClass", regional=cache.regional
    )
    replication = "regional " if cache.regional else ""
    # With the shared cache the chart mounts its claim instead of a disk per replica: the bucket
    # (image_lines) is the cache. The canaries' caches are rollout lines.
    for v in [] if cache.shared else shape.versions:
        if v.role != MAIN:
            continue
        size_gb = math.ceil(v.plan.cache_gib)
        lines.append(
            Line(
                f"Model cache {v.model}: {v.plan.replicas} x {size_gb} GB "
                f"{replication}{cache.disk_type} ({cache.storage_class})",
                "GB-month",
                cache_price,
                fixed(v.plan.replicas * size_gb),
            )
        )

    # greenPool, the canaries' caches, the Gateway's forwarding rule.
    lines += rollout_lines(cfg, shape, commitment, prices, hours_per_day)
    lines += image_lines(cfg, shape)

    # GKE management fee and the free tier credit.
    regional = s.cluster.regional
    fee, credit = management_fee(regional)
    kind = "regional" if regional else "zonal"
    lines.append(
        Line(
            f"GKE management fee ({kind} cluster)",
            "cluster-hour",
            GKE_FEE_PER_CLUSTER_HOUR,
            fixed(HOURS_PER_MONTH),
        )
    )
    if credit:
        lines.append(
            Line(
                "GKE free tier credit (zonal cluster)",
                "cluster-hour",
                -GKE_FEE_PER_CLUSTER_HOUR,
                fixed(credit / GKE_FEE_PER_CLUSTER_HOUR),
            )
        )

    monthly = [line.monthly() for line in lines]
    totals = {sc: round(sum(m[sc] for m in monthly), 2) + 0.0 for sc in SCENARIOS}
    # The same in every scenario: what the stack costs besides its GPU pool.
    overhead = round(sum(m["idle"] for m, li in zip(monthly, lines, strict=True) if not li.gpu), 2)
    return {
        "currency": CURRENCY,
        "pricesAsOf": prices.as_of,
        "pricesSource": prices.source,
        "stack": cfg.stack,
        "region": region,
        "clusterType": kind,
        "gpuMachineType": machine.name,
        "gpusPerNode": {
            "type": machine.gpu or pool.gpu_type,
            "count": machine.gpu_count if machine.gpu else pool.gpu_count,
            "includedInMachinePrice": machine.gpu is not None,
        },
        "purchaseOption": option,
        "systemPoolPurchaseOption": system_option,
        "gpuNodeHourly": round(rate, 6),
        "gpuNodes": {
            "min": pool.min_nodes,
            "idle": idle,
            "serving": serving,
            "max": pool.max_nodes,
        },
        "gpuHoursPerDay": round(hours_per_day, 6),
        "gpuHoursPerDayFrom": hours_from,
        "hoursPerMonth": HOURS_PER_MONTH,
        **{f"{sc}Monthly": totals[sc] for sc in SCENARIOS},
        "nonGpuOverheadMonthly": overhead + 0.0,
        "lines": [line.as_dict() for line in lines],
        "definitions": dict(DEFINITIONS),
        "assumptions": _assumptions(
            cfg,
            shape,
            machine,
            option=option,
            system_option=system_option,
            commitment=commitment,
            prices=prices,
        ),
        "notIncluded": [*NOT_INCLUDED, *rollout_not_included(cfg)],
        "monitoring": _monitoring(cfg, shape, lines, totals),
        "capacity": capacity(cfg, shape, prices, totals["expected"], hours_per_day),
    }


def _monitoring(
    cfg: StackConfig, shape: StackShape, lines: list[Line], totals: dict[str, float]
) -> dict[str, Any]:
    """What monitoring adds, beside the totals: see :mod:`nimgke.cost_monitoring`.
    The GPU node-hours are those of every GPU pool (gpuPool and greenPool): each node runs one
    NIM pod and is scraped alike."""
    s = cfg.settings
    hours = {
        sc: sum(li.quantity[sc] for li in lines if li.gpu and li.unit == "node-hour")
        for sc in SCENARIOS
    }
    mon = monitoring_estimate(
        system_nodes=max(1, s.cluster.system_pool.min_nodes),
        gpu_node_hours=hours,
        alert_conditions=len(alert_specs(shape.scope, s.monitoring.alerts)),
        managed_prometheus=s.monitoring.managed_prometheus,
    )
    mon["withMonitoringMonthly"] = {
        sc: round(totals[sc] + mon["monthly"][sc], 2) + 0.0 for sc in SCENARIOS
    }
    return mon


def _gpu_pool_note(cfg: StackConfig, shape: StackShape) -> str:
    """What runs of gpuPool when, and why: the idle nodes, the serving ones and their hours."""
    pool, auto = shape.gpu_pool, shape.autoscaling
    warm = shape.warm_replicas_on(MAIN_POOL)
    idle = serving_nodes(pool.min_nodes, warm)
    replicas = shape.serving_replicas_on(MAIN_POOL)
    hours, source = awake_hours(cfg, shape)
    if auto is not None and auto.sleeps:
        why = (
            "the versions sleep at zero replicas when idle (monitoring.hpa.minReplicas: 0), so "
            "no GPU node runs for them then"
        )
    elif auto is not None:
        why = "each version's HPA keeps its minReplicas running"
    else:
        why = "without an HPA every replica runs around the clock"
    note = (
        f"GPU pool: {idle} idle node(s) 24/7, max(minNodes {pool.min_nodes}, {warm} warm); "
        f"{serving_nodes(pool.min_nodes, replicas)} serving, max(minNodes, {replicas} replicas), "
        "for "
    )
    if source == FROM_SCHEDULE and auto is not None and auto.schedule is not None:
        sched = auto.schedule
        return note + (
            f"{hours:.2f} h a day on average: the wake schedule's {sched.window_hours:g} h "
            f"({sched.start}-{sched.end} {sched.time_zone}) on {len(sched.days)} day(s) a week, "
            f"each followed by {auto.idle_minutes} min before the HPA lets a version sleep and "
            f"~{NODE_REMOVAL_MINUTES} min before GKE removes the empty node, x "
            f"{len(sched.days)}/7; wakes outside the schedule (requests, nimctl wake) are not "
            f"counted. Idle: {why}."
        )
    return note + (
        f"cost.gpuHoursPerDay = {hours:g} h a day, an ASSUMPTION (no wake schedule says when "
        f"they run); node-hours include node boot and the ~{NODE_REMOVAL_MINUTES} min GKE waits "
        f"before removing an idle node. Idle: {why}."
    )


def _assumptions(
    cfg: StackConfig,
    shape: StackShape,
    machine: catalog.MachineType,
    *,
    option: str,
    system_option: str,
    commitment: str,
    prices: PriceSheet,
) -> list[str]:
    s = cfg.settings
    pool, sp = shape.gpu_pool, s.cluster.system_pool
    out = [
        f"ESTIMATE from Google Cloud list prices as of {prices.as_of} ({prices.source}); "
        f"not a quote. A month is {HOURS_PER_MONTH} hours.",
    ]
    if machine.gpu:
        out.append(
            f"{machine.name} is billed with its {machine.gpu_count} x {machine.gpu}: the machine "
            "price includes the GPU, no GPU price is added."
        )
    else:
        out.append(f"{machine.name} price plus {pool.gpu_count} x attached {pool.gpu_type}.")
    if option == "spot":
        out.append(
            f"GPU nodes are Spot VMs at the Spot price of {prices.as_of}: Spot prices change "
            "often, and Spot nodes can be reclaimed at any time (30 s notice) or be unavailable."
        )
        if commitment != "none":
            where = (
                "it is not applied to the Spot system pool either"
                if system_option == "spot"
                else "it is applied to the system pool"
            )
            out.append(
                f"cost.commitment {commitment} is not applied to the Spot GPU pool (committed-use "
                f"discounts do not cover Spot VMs); {where}."
            )
    if {option, system_option} & {"1y", "3y"}:
        out.append(
            "Committed-use prices are month_1y/month_3y / 730 per node-hour actually run; a real "
            "commitment is billed every hour of its term whether used or not, so it pays only for "
            "nodes that run 24/7 (minNodes, system pool)."
        )
    out.append(_gpu_pool_note(cfg, shape))
    sp_note = (
        f"System pool: {max(1, sp.min_nodes)} x {sp.machine_type} (minNodes, a total across "
        f"zones) 24/7, {system_option}"
    )
    if sp.min_nodes < 1:
        sp_note += "; minNodes 0 still keeps one node, for the kube-system pods"
    if sp.spot:
        sp_note += (
            f"; Spot at the price of {prices.as_of}: a reclaimed node is replaced by the "
            "autoscaler, and DNS, metrics and kubectl logs pause meanwhile"
        )
    out.append(sp_note + ".")
    cache_note = (
        "Model caches: one PVC per model replica, kept while the GPU pool is at zero (and after "
        "a release is deleted, until the PVC is)"
    )
    if shape.cache.shared:
        cache_note = (
            "Model cache: one Cloud Storage bucket every replica mounts, a directory per model "
            "version, priced as Standard storage of up to the versions' cacheSize (no disk per "
            "replica); kept on pulumi destroy until you delete it"
        )
    if shape.cache.regional:
        cache_note += (
            "; a regional persistent disk (the GPU pool spans two zones), priced by the regional "
            "SKU"
        )
    out.append(cache_note + ".")
    if s.cluster.regional:
        out.append(
            f"GKE management fee ${GKE_FEE_PER_CLUSTER_HOUR:.2f}/cluster-hour; the free tier "
            "covers only one zonal or Autopilot cluster, so a regional cluster pays it all."
        )
    else:
        out.append(
            f"GKE management fee ${GKE_FEE_PER_CLUSTER_HOUR:.2f}/cluster-hour, covered by the free "
            f"tier credit (${GKE_FREE_TIER_CREDIT_MONTHLY:.2f}/month per billing account) "
            "ASSUMING no other zonal or Autopilot cluster on the billing account uses it."
        )
    out += rollout_assumptions(cfg, shape)
    wake = shape.autoscaling is not None and shape.autoscaling.wake_gauge
    if s.registry.mirror or shape.cache.shared or wake:
        python = f", the wake signal's Python image {WAKE_IMAGE_GB:g} GB (ESTIMATE)" if wake else ""
        out.append(
            f"Images close to the nodes: each NIM image cached in Artifact Registry counts "
            f"{NIM_IMAGE_GB:g} GB (ESTIMATE, the top of 10-15 GB){python}; list prices outside "
            "the dated sheet, quoted 2026-11-28: Artifact Registry "
            f"${AR_STORAGE_GB_MONTH:.2f}/GB-month, "
            f"Secret Manager ${SECRET_VERSION_MONTH:.2f}/version-month, Cloud Storage Standard "
            f"${GCS_STANDARD_GB_MONTH:.3f}/GB-month; free tiers not deducted."
        )
    out.append(
        "No sustained-use discounts (E2, G2, A2 and A3 get none; N1 would get some); the system "
        "pool may grow to maxNodes under load (not in peak)."
    )
    return out
