"""The cost arithmetic, piece by piece, against figures computed by hand (in the comments)."""

from __future__ import annotations

import pytest

from nimgke import catalog, cost, cost_arithmetic
from nimgke.pricing import HOURS_PER_MONTH, PriceError, from_document, load

G2_4_US_CENTRAL1 = {
    "hour": 0.706832,
    "hour_spot": 0.397336,
    "month": 515.987546,
    "month_1y": 325.072152,
    "month_3y": 232.194387,
}


def small_sheet(**extra):
    """A two-machine price table, to test look-ups without the project's table."""
    doc = {
        "about": {"source": "test sheet", "as_of": "2026-07-30"},
        "machines": {
            "g2-standard-4": {"cost": {"us-central1": dict(G2_4_US_CENTRAL1)}},
            "n1-standard-8": {"cost": {"us-central1": {"hour": 0.379998, "hour_spot": 0.13402}}},
        },
        "disks": {"balanced": {"us-central1": {"month": 0.1}}},
        **extra,
    }
    return from_document(doc, "test-sheet.yaml")


def test_a_month_is_730_hours():
    # 365 d x 24 h / 12 = 730
    assert HOURS_PER_MONTH == 730


@pytest.mark.parametrize(
    ("spot", "commitment", "option"),
    [
        (False, "none", "on-demand"),
        (False, "1y", "1y"),
        (False, "3y", "3y"),
        (True, "none", "spot"),
        (True, "1y", "spot"),  # committed-use discounts do not cover Spot VMs
        (True, "3y", "spot"),
    ],
)
def test_purchase_option(spot, commitment, option):
    assert cost.purchase_option(spot, commitment) == option


@pytest.mark.parametrize(
    ("min_nodes", "replicas", "serving"),
    [(0, 1, 1), (1, 1, 1), (2, 1, 2), (0, 3, 3), (1, 2, 2)],
)
def test_serving_nodes_is_one_per_replica_but_never_below_min(min_nodes, replicas, serving):
    assert cost.serving_nodes(min_nodes, replicas) == serving


def test_gpu_node_hours_scale_to_zero_pool():
    # min 0, serving 1, max 2, 8 h/day:
    #   idle     = 0 x 730                    = 0
    #   expected = 0 x 730 + (1 - 0) x 8 x 730 / 24 = 5840 / 24 = 243.333...
    #   alwaysOn = 1 x 730                    = 730
    #   peak     = 2 x 730                    = 1460
    hours = cost.gpu_node_hours(0, 1, 2, 8)
    assert hours["idle"] == 0
    assert hours["expected"] == pytest.approx(243.3333333)
    assert hours["alwaysOn"] == 730
    assert hours["peak"] == 1460


def test_gpu_node_hours_warm_pool_with_burst():
    # min 1, serving 3, max 4, 6 h/day:
    #   idle     = 1 x 730                         = 730
    #   expected = 730 + (3 - 1) x 6 x 730 / 24    = 730 + 365 = 1095
    #   alwaysOn = 3 x 730                         = 2190
    #   peak     = 4 x 730                         = 2920
    assert cost.gpu_node_hours(1, 3, 4, 6) == {
        "idle": 730,
        "expected": 1095,
        "alwaysOn": 2190,
        "peak": 2920,
    }


def test_expected_spans_idle_to_always_on_with_the_hours_per_day():
    assert cost.gpu_node_hours(1, 2, 2, 0)["expected"] == 730  # = idle
    assert cost.gpu_node_hours(1, 2, 2, 24)["expected"] == 1460  # = alwaysOn
    assert cost.gpu_node_hours(1, 2, 2, 12)["expected"] == 1095  # halfway


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1, 2, 25), "within 0..24"),
        ((0, 1, 2, -1), "within 0..24"),
        ((0, 3, 2, 8), "idle_nodes <= serving <= max_nodes"),
        ((2, 1, 2, 8), "idle_nodes <= serving <= max_nodes"),
    ],
)
def test_gpu_node_hours_refuses_impossible_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        cost.gpu_node_hours(*args)


def test_boot_disks_are_paid_only_while_their_node_exists():
    # 200 GB for 243.333 node-hours = 200 x 243.333 / 730 = 66.667 GB-months
    assert cost.disk_gb_months(200, 730 / 3) == pytest.approx(66.6666667)
    # x $0.10 per GB-month = $6.67
    assert round(cost.disk_gb_months(200, 730 / 3) * 0.10, 2) == 6.67
    assert cost.disk_gb_months(200, 0) == 0


def test_management_fee_zonal_is_covered_by_the_free_tier():
    # fee 0.10 x 730 = 73.00; the $74.40 credit covers all of it (73.00 <= 74.40)
    fee, credit = cost.management_fee(regional=False)
    assert fee == pytest.approx(73.00)
    assert credit == pytest.approx(73.00)


def test_management_fee_regional_pays_it_all():
    fee, credit = cost.management_fee(regional=True)
    assert (fee, credit) == (pytest.approx(73.00), 0.0)


def test_line_rounds_each_scenario_to_cents():
    # 0.706832 x 365 = 257.99368 -> 257.99; x 730 = 515.98736 -> 515.99;
    # x 1460 = 1031.97472 -> 1031.97
    line = cost.Line(
        "GPU nodes",
        "node-hour",
        0.706832,
        {"idle": 0, "expected": 365, "alwaysOn": 730, "peak": 1460},
    )
    assert line.monthly() == {"idle": 0.0, "expected": 257.99, "alwaysOn": 515.99, "peak": 1031.97}
    assert line.as_dict()["unitPrice"] == 0.706832


@pytest.mark.parametrize(
    ("option", "hourly"),
    [
        ("on-demand", 0.706832),
        ("spot", 0.397336),
        ("1y", 325.072152 / 730),  # = 0.44530432
        ("3y", 232.194387 / 730),  # = 0.31807450
    ],
)
def test_machine_hourly_per_purchase_option(option, hourly):
    assert small_sheet().machine_hourly("g2-standard-4", "us-central1", option) == pytest.approx(
        hourly
    )


def test_g2_rate_never_adds_a_gpu_price():
    # Even with an L4 price in the table, a g2-standard-4 node costs the machine price: the L4
    # is part of it (cloud.google.com/compute/docs/accelerator-optimized-machines; the Cloud
    # Billing SKUs of nimgke/prices.yaml).
    sheet = small_sheet(gpus={"nvidia-l4": {"cost": {"us-central1": {"hour": 0.73}}}})
    machine = catalog.MACHINE_TYPES["g2-standard-4"]
    rate = cost.gpu_node_hourly(
        sheet, machine, gpu_type="nvidia-l4", gpu_count=1, region="us-central1", option="on-demand"
    )
    assert rate == 0.706832


def test_n1_rate_adds_its_attached_gpus():
    # n1-standard-8 0.379998 + 2 x T4 0.35 = 1.079998 per hour
    sheet = small_sheet(gpus={"nvidia-tesla-t4": {"cost": {"us-central1": {"hour": 0.35}}}})
    machine = catalog.MACHINE_TYPES["n1-standard-8"]
    rate = cost.gpu_node_hourly(
        sheet,
        machine,
        gpu_type="nvidia-tesla-t4",
        gpu_count=2,
        region="us-central1",
        option="on-demand",
    )
    assert rate == pytest.approx(1.079998)


def test_n1_without_a_gpu_price_is_refused_not_underpriced():
    machine = catalog.MACHINE_TYPES["n1-standard-8"]
    with pytest.raises(PriceError) as err:
        cost.gpu_node_hourly(
            small_sheet(),
            machine,
            gpu_type="nvidia-tesla-t4",
            gpu_count=2,
            region="us-central1",
            option="on-demand",
        )
    message = str(err.value)
    assert "nim-gke:gpuPool.gpuType = 'nvidia-tesla-t4'" in message
    assert "attached GPU nvidia-tesla-t4 in region us-central1" in message


def test_missing_machine_error_names_machine_region_and_the_fix():
    with pytest.raises(PriceError) as err:
        small_sheet().machine_hourly("a2-highgpu-2g", "us-central1", "on-demand", "key.machineType")
    message = str(err.value)
    assert message.startswith("key.machineType = 'a2-highgpu-2g': no price for machine type ")
    assert "a2-highgpu-2g in region us-central1" in message
    assert "prices as of 2026-07-30" in message
    assert "g2-standard-4, n1-standard-8" in message  # what is priced there
    assert "scripts/refresh_prices.py" in message
    assert not isinstance(err.value, KeyError)


def test_missing_region_error_lists_the_priced_regions():
    with pytest.raises(PriceError, match=r"g2-standard-4 in region europe-west4 .*us-central1"):
        small_sheet().machine_hourly("g2-standard-4", "europe-west4", "spot")


def test_missing_purchase_option_error_says_which_options_exist():
    with pytest.raises(PriceError) as err:
        small_sheet().machine_hourly("n1-standard-8", "us-central1", "1y")
    assert "no 1y price for machine type n1-standard-8 in region us-central1" in str(err.value)
    assert "priced as: on-demand, spot" in str(err.value)


def test_disk_prices_map_gke_disk_types_to_the_sheet():
    prices = load()
    # us-central1: balanced 0.10, ssd 0.17, hdd (pd-standard) 0.04 per GB-month (nimgke/prices.yaml,
    # Cloud Billing SKUs of 2026-07-30)
    assert prices.disk_gb_month("pd-balanced", "us-central1") == 0.10
    assert prices.disk_gb_month("pd-ssd", "us-central1") == 0.17
    assert prices.disk_gb_month("pd-standard", "us-central1") == 0.04
    with pytest.raises(PriceError, match="no price for disk type pd-balanced"):
        small_sheet().disk_gb_month("pd-balanced", "europe-west4")


def test_price_errors_are_run_errors_so_pulumi_prints_no_traceback():
    import pulumi  # noqa: PLC0415

    assert issubclass(PriceError, pulumi.RunError)


@pytest.mark.parametrize(
    ("window", "days", "idle", "hours"),
    [
        # (8 h + (30 + 10) min) x 5/7 = 8.6667 x 5/7 = 6.190476 h a day
        (8, 5, 30, 6.190476),
        # (10 h + (60 + 10) min) x 7/7 = 11.1667
        (10, 7, 60, 11.166667),
        # a window to 23:59 plus the tail would pass 24 h: never more than the day
        (23.9833, 7, 60, 24.0),
    ],
)
def test_awake_hours_add_the_idle_window_and_the_node_removal(window, days, idle, hours):
    assert cost_arithmetic.NODE_REMOVAL_MINUTES == 10
    assert cost_arithmetic.awake_hours_per_day(window, days, idle) == pytest.approx(hours)
