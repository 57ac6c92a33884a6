"""The cost of each GPU pool's ComputeClass priorities and the blended expected figure
(``nimgke/cost_capacity.py``), hand-computed from the dated price sheet."""

from __future__ import annotations

import pytest
from cost_stacks import (
    config_with,
    cost_estimate,
    reference_sheet,
    sheet_hourly,
    stack_file,
)

from nimgke.config import load_stack_file
from nimgke.cost_capacity import priority_shares


def capacity_of(stack: str) -> dict:
    return cost_estimate(load_stack_file(stack_file(stack)))["capacity"]


@pytest.mark.parametrize(
    ("priorities", "share", "expected"),
    [
        (1, 0.2, [1.0]),
        (2, 0.2, [0.8, 0.2]),
        # each priority has no node 20 % of the time, independently: 0.8, 0.2 x 0.8, 0.2 x 0.2
        (3, 0.2, [0.8, 0.16, 0.04]),
        (2, 0.0, [1.0, 0.0]),
        (2, 1.0, [0.0, 1.0]),
    ],
)
def test_priority_shares_add_up_to_every_hour(priorities, share, expected):
    shares = priority_shares(priorities, share)
    assert shares == pytest.approx(expected)
    assert sum(shares) == pytest.approx(1.0)


def test_dev_spot_then_on_demand_blended_from_the_sheet():
    # dev: one replica that sleeps and wakes on its schedule, awake (8 h + 30 + 10 min) x 5/7 =
    # 130/21 = 6.190476 h a day (test_cost_estimate), from zero:
    #   1 x 130/21 x 730 / 24 = 94900/504 = 188.293651 GPU node-hours expected.
    sheet = reference_sheet()
    spot = sheet_hourly(sheet, "g2-standard-4", "us-central1", "spot")  # 0.397336
    on_demand = sheet_hourly(sheet, "g2-standard-4", "us-central1", "on-demand")  # 0.706832
    assert (spot, on_demand) == (0.397336, 0.706832)
    # cost.fallbackShare 0.2 (default): Spot serves 0.8, on demand 0.2 of the hours.
    #   Spot       188.293651 x 0.8 = 150.634921 h x 0.397336 = 59.8527 -> 59.85
    #   on demand  188.293651 x 0.2 =  37.658730 h x 0.706832 = 26.6184 -> 26.62
    #   blended GPU nodes 59.85 + 26.62 = 86.47; at Spot alone 188.293651 x 0.397336 = 74.82
    #   blended expected = expected 120.90 (test_cost_estimate) + 86.47 - 74.82 = 132.55
    #   blended rate 0.8 x 0.397336 + 0.2 x 0.706832 = 0.3178688 + 0.1413664 = 0.4592352
    cap = capacity_of("dev")
    (plan,) = cap["plans"]
    assert (plan["pool"], plan["computeClass"], plan["activeMigration"]) == (
        "gpu",
        "nim-gpu",
        True,
    )
    assert plan["expectedNodeHours"] == 188.29
    assert [
        (p["nodePool"], p["purchaseOption"], p["gpuNodeHourly"], p["share"], p["expectedMonthly"])
        for p in plan["priorities"]
    ] == [("gpu", "spot", spot, 0.8, 59.85), ("gpu-2", "on-demand", on_demand, 0.2, 26.62)]
    assert plan["firstPriorityExpectedMonthly"] == 74.82
    assert plan["blendedExpectedMonthly"] == 86.47
    assert plan["blendedGpuNodeHourly"] == 0.459235
    assert cap["blendedExpectedMonthly"] == 132.55
    assert cap["fallbackShare"] == 0.2
    assert cap["assumption"].startswith("ASSUMPTION (cost.fallbackShare = 0.2")


def test_prod_on_demand_then_a_larger_l4_blended_from_the_sheet():
    # prod: one warm node 24/7 = 730 GPU node-hours expected.
    sheet = reference_sheet()
    small = sheet_hourly(sheet, "g2-standard-4", "us-central1", "on-demand")  # 0.706832
    large = sheet_hourly(sheet, "g2-standard-8", "us-central1", "on-demand")  # 0.853624
    assert (small, large) == (0.706832, 0.853624)
    #   g2-standard-4  730 x 0.8 = 584 h x 0.706832 = 412.789888 -> 412.79
    #   g2-standard-8  730 x 0.2 = 146 h x 0.853624 = 124.629104 -> 124.63
    #   blended GPU nodes 537.42; at g2-standard-4 alone 730 x 0.706832 = 515.99
    #   blended expected = 835.41 (test_cost_estimate: the shared bucket, not a regional disk)
    #                      + 537.42 - 515.99 = 1372.83 - 515.99 = 856.84
    cap = capacity_of("prod")
    (plan,) = cap["plans"]
    assert plan["activeMigration"] is False
    assert [(p["machineType"], p["expectedMonthly"]) for p in plan["priorities"]] == [
        ("g2-standard-4", 412.79),
        ("g2-standard-8", 124.63),
    ]
    assert (plan["firstPriorityExpectedMonthly"], plan["blendedExpectedMonthly"]) == (
        515.99,
        537.42,
    )
    assert cap["blendedExpectedMonthly"] == 856.84


def test_the_fallback_share_moves_only_the_blended_figure():
    # fallbackShare 0.5 on dev: 188.293651 / 2 = 94.146825 h each.
    #   Spot       94.146825 x 0.397336 = 37.4079 -> 37.41
    #   on demand  94.146825 x 0.706832 = 66.5460 -> 66.55
    #   blended = 120.90 + 37.41 + 66.55 - 74.82 = 150.04
    est = cost_estimate(config_with("dev", {"cost.fallbackShare": 0.5}))
    assert est["expectedMonthly"] == 120.9
    assert est["capacity"]["blendedExpectedMonthly"] == 150.04
    # 0: the fallback never serves; the blend is the estimate.
    est = cost_estimate(config_with("dev", {"cost.fallbackShare": 0.0}))
    assert est["capacity"]["blendedExpectedMonthly"] == est["expectedMonthly"] == 120.9


def test_the_gpu_quota_covers_any_mix_of_the_priorities():
    # dev: 2 pods' nodes at most (maxNodes), each on Spot or on demand: 2 of each.
    assert capacity_of("dev")["gpuQuota"] == {"nvidia-l4": {"onDemand": 2, "spot": 2}}
    # prod: both priorities on demand; still at most maxNodes 2 at once.
    assert capacity_of("prod")["gpuQuota"] == {"nvidia-l4": {"onDemand": 2, "spot": 0}}
    # A fallback capped at one node needs no more quota than that.
    est = cost_estimate(config_with("dev", {"gpuPool.fallbacks": [{"spot": False, "maxNodes": 1}]}))
    assert est["capacity"]["gpuQuota"] == {"nvidia-l4": {"onDemand": 1, "spot": 2}}


def test_an_unpriced_fallback_leaves_the_blend_out_and_says_why():
    # a2-ultragpu-1g: on-demand and Spot prices, no 1y one. Spot first (no commitment applies),
    # then on demand under a 1y commitment: the fallback cannot be priced.
    est = cost_estimate(
        config_with(
            "dev",
            {
                "gpuPool.machineType": "a2-ultragpu-1g",
                "gpuPool.gpuType": "nvidia-a100-80gb",
                "cost.commitment": "1y",
            },
        )
    )
    (plan,) = est["capacity"]["plans"]
    assert plan["priorities"][0]["gpuNodeHourly"] is not None
    assert plan["priorities"][1]["gpuNodeHourly"] is None
    assert plan["blendedExpectedMonthly"] is None
    assert est["capacity"]["blendedExpectedMonthly"] is None
    assert "no 1y price for machine type a2-ultragpu-1g" in plan["unpriced"][0]
    assert plan["unpriced"][0].startswith("nim-gke:gpuPool.fallbacks[0].machineType")


def test_the_report_shows_each_priority_the_blend_and_its_assumption(capsys):
    from nimctl import cost as cli  # noqa: PLC0415

    assert cli.COMMAND.main(["cost", "dev"]) == 0
    out = capsys.readouterr().out
    section = out[out.index("Where the GPU nodes come from") :]
    assert "gpu: 1    gpu        g2-standard-4  spot           0.397336    80%     59.85" in section
    assert "gpu: 2    gpu-2      g2-standard-4  on-demand      0.706832    20%     26.62" in section
    assert "blended expected per month: 132.55 (expected at the first priorities: 120.90)" in (
        section
    )
    assert "GPU quota the priorities may need at once: nvidia-l4: 2 on demand, 2 Spot" in section
    assert "ASSUMPTION (cost.fallbackShare = 0.2" in section
