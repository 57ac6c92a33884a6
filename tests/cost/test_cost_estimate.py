"""``estimate(cfg)`` for the real stacks and for modified ones: figures, invariants, errors."""

from __future__ import annotations

import itertools
import json

import pytest
from cost_stacks import (
    config_with,
    cost_alternatives,
    cost_estimate,
    raw_with,
    reference_sheet,
    sheet_hourly,
    stack_file,
)

from nimgke import cost
from nimgke.config import load_stack_file, parse
from nimgke.pricing import PURCHASE_OPTIONS, PriceError, load

STACKS = ("dev", "prod")
OPTION_SETTINGS = {
    "on-demand": {"gpuPool.spot": False, "cost.commitment": "none"},
    "spot": {"gpuPool.spot": True, "cost.commitment": "none"},
    "1y": {"gpuPool.spot": False, "cost.commitment": "1y"},
    "3y": {"gpuPool.spot": False, "cost.commitment": "3y"},
}


def estimate_of(stack: str) -> dict:
    return cost_estimate(load_stack_file(stack_file(stack)))


def line(est: dict, starts: str) -> dict:
    found = [li for li in est["lines"] if li["item"].startswith(starts)]
    assert len(found) == 1, [li["item"] for li in est["lines"]]
    return found[0]


def test_dev_figures():
    # dev: zonal, g2-standard-4 Spot us-central1 $0.397336/h, GPU pool 0..2, 1 replica that sleeps
    # (monitoring.hpa.minReplicas 0: no GPU node while idle) and wakes on its schedule MO-FR
    # 09:00-17:00, idleMinutes 30; system pool 1 x e2-standard-2 Spot $0.040212/h, 50 GB
    # pd-balanced cache.
    #   awake hours    per scheduled day 8 h + 30 min idle + 10 min until GKE removes the node
    #                  = 8.6667 h; x 5/7 days = 6.190476 h a day
    #   GPU nodes      expected 6.190476 x 730/24 = 188.2937 h x 0.397336 = 74.8158 -> 74.82
    #                  always-on 730 h x 0.397336   = 290.05528 -> 290.06; peak 580.11
    #   GPU boot disk  expected 200 GB x 188.2937/730 = 51.587 GB-months x 0.10 = 5.1587 -> 5.16
    #                  always-on 20.00; peak 40.00
    #   system pool    730 x 0.040212 = 29.35476 -> 29.35
    #   system disk    50 GB x 0.10 = 5.00
    #   model cache    50 GB x 0.10 = 5.00
    #   AR mirror      1 image x 15 GB (estimate) x 0.10 = 1.50   (the nvcr.io mirror)
    #   NGC key        1 Secret Manager version x 0.06  = 0.06   (dev's own secret)
    #   Docker Hub     the wake signal's Python, 0.05 GB (estimate) x 0.10 = 0.005 -> 0.01
    #   GKE fee        73.00 - free tier credit 73.00 = 0
    #   idle     = 29.35 + 5.00 + 5.00 + 1.50 + 0.06 + 0.01 = 40.92 (dev's idle target: at most 60)
    #   expected = 40.92 + 74.82 + 5.16                 = 120.90
    #   alwaysOn = 40.92 + 290.06 + 20.00               = 350.98
    #   peak     = 40.92 + 580.11 + 40.00               = 661.03
    est = estimate_of("dev")
    assert est["purchaseOption"] == "spot"
    assert est["gpuNodeHourly"] == 0.397336
    assert est["gpuNodes"] == {"min": 0, "idle": 0, "serving": 1, "max": 2}
    assert est["gpuHoursPerDay"] == pytest.approx(6.190476)
    assert est["gpuHoursPerDayFrom"] == "monitoring.hpa.wakeSchedule"
    assert (est["idleMonthly"], est["expectedMonthly"], est["alwaysOnMonthly"]) == (
        40.92,
        120.9,
        350.98,
    )
    assert est["peakMonthly"] == 661.03
    assert est["idleMonthly"] <= 60
    assert est["systemPoolPurchaseOption"] == "spot"
    assert est["nonGpuOverheadMonthly"] == 40.92
    mirror = line(est, "Artifact Registry: 1 cached")
    assert mirror["item"] == (
        "Artifact Registry: 1 cached NIM image(s) x 15 GB (estimate) in the nvcr.io mirror"
    )
    assert (mirror["unitPrice"], mirror["quantity"]["idle"]) == (0.10, 15.0)
    assert mirror["monthly"] == dict.fromkeys(("idle", "expected", "alwaysOn", "peak"), 1.50)
    hub = line(est, "Artifact Registry: the wake signal")
    assert hub["item"] == (
        "Artifact Registry: the wake signal's Python image (0.05 GB, estimate) in the Docker Hub "
        "cache"
    )
    assert (hub["unitPrice"], hub["quantity"]["idle"]) == (0.10, 0.05)
    assert hub["monthly"] == dict.fromkeys(("idle", "expected", "alwaysOn", "peak"), 0.01)
    assert line(est, "Secret Manager:")["monthly"]["idle"] == 0.06
    assert line(est, "GPU nodes")["monthly"] == {
        "idle": 0.0,
        "expected": 74.82,
        "alwaysOn": 290.06,
        "peak": 580.11,
    }
    assert line(est, "GKE management fee")["monthly"]["idle"] == 73.00
    assert line(est, "GKE free tier credit")["monthly"]["idle"] == -73.00


def test_prod_figures():
    # prod: regional, g2-standard-4 on demand $0.706832/h, GPU pool 1..2 over two zones, 1 replica,
    # 24 h/day, system pool 2 x e2-standard-4 (total across zones), the shared cache bucket (g2
    # attaches no regional disk: the bucket replaces the 50 GB regional pd-ssd at $0.34 it had).
    #   GPU nodes      730 x 0.706832 = 515.98736 -> 515.99 (peak 1460 h: 1031.97)
    #   GPU boot disk  200 GB x 0.10 = 20.00 (peak 40.00)
    #   system pool    2 x 730 x 0.134023 = 195.67358 -> 195.67
    #   system disks   2 x 50 GB x 0.10 = 10.00
    #   cache bucket   50 GB (cacheSize 50Gi, rounded up) x 0.020 Cloud Storage Standard = 1.00
    #   AR mirror      1 image x 15 GB (estimate) x 0.10 = 1.50 (prod's NGC secret exists
    #                  already, no version of the stack's own)
    #   GKE fee        regional: 0.10 x 730 = 73.00, no free tier
    #   Gateway        one forwarding rule 730 x 0.025 = 18.25 (dated list price)
    #   idle = expected = alwaysOn = 515.99 + 20 + 195.67 + 10 + 1.00 + 1.50 + 73 + 18.25 = 835.41
    #   peak = 1031.97 + 40 + 195.67 + 10 + 1.00 + 1.50 + 73 + 18.25                      = 1371.39
    est = estimate_of("prod")
    assert est["purchaseOption"] == "on-demand"
    assert est["gpuNodeHourly"] == 0.706832
    assert est["clusterType"] == "regional"
    assert est["idleMonthly"] == est["expectedMonthly"] == est["alwaysOnMonthly"] == 835.41
    assert est["peakMonthly"] == 1371.39
    assert line(est, "Artifact Registry:")["monthly"]["idle"] == 1.50
    assert not [li for li in est["lines"] if li["item"].startswith("Secret Manager")]
    bucket = line(est, "Shared model cache bucket:")
    assert (bucket["unitPrice"], bucket["quantity"]["idle"], bucket["monthly"]["idle"]) == (
        0.02,
        50.0,
        1.00,
    )
    # No disk per replica, and no regional disk price anywhere.
    assert not [li for li in est["lines"] if li["item"].startswith("Model cache")]
    assert not [li for li in est["lines"] if "regional pd" in li["item"]]
    assert line(est, "System pool:")["monthly"]["idle"] == 195.67
    assert not [li for li in est["lines"] if "credit" in li["item"]]


def test_a_one_zone_pool_keeps_a_zonal_cache_at_the_zonal_price():
    changes = {
        "gpuPool.zones": ["us-central1-a"],
        "nim.sharedCache.enabled": False,
        "nim.storageClass": "premium-rwo",
    }
    raw = raw_with("prod", changes)
    est = cost_estimate(parse("prod", raw, (True, True)))
    cache = line(est, "Model cache llama3-8b")
    assert cache["unitPrice"] == 0.17
    assert cache["item"] == "Model cache llama3-8b: 1 x 50 GB pd-ssd (premium-rwo)"


def test_output_shape_is_the_documented_one():
    est = estimate_of("dev")
    for key in (
        "currency",
        "pricesAsOf",
        "region",
        "gpuNodeHourly",
        "idleMonthly",
        "alwaysOnMonthly",
        "expectedMonthly",
        "peakMonthly",
        "purchaseOption",
        "assumptions",
        "lines",
    ):
        assert key in est
    assert (est["currency"], est["pricesAsOf"], est["region"]) == (
        "USD",
        "2026-07-30",
        "us-central1",
    )
    for li in est["lines"]:
        assert set(li) == {"item", "unit", "unitPrice", "quantity", "monthly"}
        assert set(li["quantity"]) == set(li["monthly"]) == set(cost.SCENARIOS)
    # A Pulumi stack output must be plain JSON.
    assert json.loads(json.dumps(est)) == est


@pytest.mark.parametrize("stack", STACKS)
def test_free_tier_assumption_is_stated(stack):
    text = " ".join(estimate_of(stack)["assumptions"])
    assert "free tier" in text
    if stack == "dev":
        assert "ASSUMING no other zonal or Autopilot cluster on the billing account" in text


# --- invariants over many configurations ------------------------------------------------------

VARIANTS = [
    {},
    {"cost.gpuHoursPerDay": 0},
    {"cost.gpuHoursPerDay": 24},
    {"cost.gpuHoursPerDay": 3.5},
    {"gpuPool.minNodes": 1},
    {"gpuPool.maxNodes": 4, "cost.gpuHoursPerDay": 12},
    {"gpuPool.spot": False, "cost.commitment": "1y"},
    {"gpuPool.spot": True, "cost.commitment": "3y"},
    {"cluster.regional": True},
    {"nim.storageClass": "premium-rwo"},
    {"nim.sharedCache.enabled": True},
]


@pytest.mark.parametrize(("stack", "changes"), list(itertools.product(STACKS, VARIANTS)))
def test_idle_le_expected_le_always_on_le_peak(stack, changes):
    est = cost_estimate(config_with(stack, changes))
    assert est["idleMonthly"] <= est["expectedMonthly"] <= est["alwaysOnMonthly"]
    assert est["alwaysOnMonthly"] <= est["peakMonthly"]


@pytest.mark.parametrize(("stack", "changes"), list(itertools.product(STACKS, VARIANTS)))
def test_lines_add_up_and_each_is_quantity_times_unit_price(stack, changes):
    est = cost_estimate(config_with(stack, changes))
    for sc in cost.SCENARIOS:
        assert round(sum(li["monthly"][sc] for li in est["lines"]), 2) == est[f"{sc}Monthly"]
        for li in est["lines"]:
            assert li["quantity"][sc] * li["unitPrice"] == pytest.approx(
                li["monthly"][sc], abs=0.01
            ), li["item"]


def test_expected_hours_per_day_moves_only_the_gpu_lines():
    # dev without its schedule, 0, 12 and 24 h/day: expected = idle, halfway, always-on (GPU
    # lines only).
    zero, half, full = (
        cost_estimate(
            config_with("dev", {"monitoring.hpa.wakeSchedule": None, "cost.gpuHoursPerDay": h})
        )
        for h in (0, 12, 24)
    )
    assert zero["expectedMonthly"] == zero["idleMonthly"]
    assert full["expectedMonthly"] == full["alwaysOnMonthly"]
    # 12 h: GPU 365 h x 0.397336 = 145.02764 -> 145.03; disk 100 GB-months x 0.10 = 10.00
    assert half["expectedMonthly"] == round(half["idleMonthly"] + 145.03 + 10.00, 2)


def test_replicas_above_min_make_more_serving_nodes():
    # 2 replicas on a 0..2 pool: serving 2; always-on GPU = 2 x 290.05528 = 580.11
    cfg = config_with(
        "dev",
        {
            "nim.models": [
                {"name": "meta/llama3-8b-instruct", "tag": "1.0.3", "replicas": 2},
            ]
        },
    )
    est = cost_estimate(cfg)
    assert est["gpuNodes"]["serving"] == 2
    assert line(est, "GPU nodes")["monthly"]["alwaysOn"] == 580.11
    # one cache PVC per replica: 2 x 50 GB x 0.10 = 10.00
    assert line(est, "Model cache")["monthly"]["idle"] == 10.00


def test_commitment_applies_to_the_system_pool_but_not_to_spot_gpus():
    # dev on an on-demand system pool with commitment 1y: GPU stays Spot 0.397336; system pool
    # e2-standard-2 month_1y / 730.
    changes = {"cost.commitment": "1y", "cluster.systemPool.spot": False}
    est = cost_estimate(config_with("dev", changes))
    assert est["purchaseOption"] == "spot"
    assert est["gpuNodeHourly"] == 0.397336
    assert est["systemPoolPurchaseOption"] == "1y"
    month_1y = load().machines["e2-standard-2"]["us-central1"]["month_1y"]
    assert line(est, "System pool:")["monthly"]["idle"] == round(month_1y, 2)
    assert any("it is applied to the system pool" in a for a in est["assumptions"])


def test_neither_spot_pool_takes_a_commitment():
    est = cost_estimate(config_with("dev", {"cost.commitment": "1y"}))
    assert (est["purchaseOption"], est["systemPoolPurchaseOption"]) == ("spot", "spot")
    assert any("not applied to the Spot system pool either" in a for a in est["assumptions"])


def test_prod_shows_its_non_gpu_overhead():
    # system pool 195.67 + system disks 10.00 + cache bucket 1.00 + mirror 1.50 + fee 73.00
    # + the Gateway's forwarding rule 18.25 = 299.42
    assert estimate_of("prod")["nonGpuOverheadMonthly"] == 299.42


def test_no_mirror_no_image_lines_and_a_shared_cache_bucket_is_priced():
    est = cost_estimate(
        config_with("dev", {"registry.mirror": False, "gpuPool.imageStreaming": False})
    )
    # Only the wake signal's Python stays cached (Docker Hub, 0.01): no NIM image, no NGC secret.
    assert [li["item"] for li in est["lines"] if li["item"].startswith(("Artifact", "Secret"))] == [
        "Artifact Registry: the wake signal's Python image (0.05 GB, estimate) in the Docker Hub "
        "cache"
    ]
    assert est["idleMonthly"] == 39.36
    est = cost_estimate(config_with("dev", {"nim.sharedCache.enabled": True}))
    bucket = line(est, "Shared model cache bucket:")
    # 50 GiB cacheSize -> 50 GB (rounded up, as the disks) x 0.020 = 1.00
    assert (bucket["unitPrice"], bucket["quantity"]["idle"], bucket["monthly"]["idle"]) == (
        0.02,
        50.0,
        1.00,
    )


def test_system_pool_min_zero_still_counts_one_node():
    est = cost_estimate(config_with("dev", {"cluster.systemPool.minNodes": 0}))
    assert line(est, "System pool:")["quantity"]["idle"] == 730
    assert any("minNodes 0 still keeps one node" in a for a in est["assumptions"])


# --- the rate follows the machine, the region and the purchase option ------------------------


@pytest.mark.parametrize(
    ("machine", "hourly"),
    [
        ("g2-standard-8", 0.853624),
        ("g2-standard-16", 1.147208),
        ("g2-standard-24", 2.000833),  # 2 x L4, still one machine price
    ],
)
def test_changing_the_machine_changes_gpu_node_hourly(machine, hourly):
    changes = {"gpuPool.machineType": machine, "gpuPool.spot": False}
    if machine == "g2-standard-24":
        changes["gpuPool.gpuCount"] = 2
    est = cost_estimate(config_with("dev", changes))
    assert est["gpuMachineType"] == machine
    assert est["gpuNodeHourly"] == hourly
    # always-on GPU line = hourly x 730
    assert line(est, "GPU nodes")["monthly"]["alwaysOn"] == round(hourly * 730, 2)


def test_changing_the_region_changes_gpu_node_hourly():
    # europe-west4 g2-standard-4 on demand: 0.742916/h; pd-balanced 0.11 per GB-month
    raw = raw_with("dev", {"gpuPool.spot": False, "cluster.zones": ["europe-west4-a"]})
    raw["nim-gke:region"] = "europe-west4"
    est = cost_estimate(parse("dev", raw, (True, True)))
    assert est["region"] == "europe-west4"
    assert est["gpuNodeHourly"] == 0.742916
    assert line(est, "Model cache")["unitPrice"] == 0.11


@pytest.mark.parametrize(("stack", "option"), list(itertools.product(STACKS, PURCHASE_OPTIONS)))
def test_gpu_node_hourly_matches_the_reference_sheet(stack, option):
    sheet = reference_sheet()
    cfg = config_with(stack, OPTION_SETTINGS[option])
    est = cost_estimate(cfg)
    expected = sheet_hourly(sheet, cfg.settings.gpu_pool.machine_type, cfg.region, option)
    assert est["purchaseOption"] == option
    assert est["gpuNodeHourly"] == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(("stack", "option"), list(itertools.product(STACKS, PURCHASE_OPTIONS)))
def test_gpu_node_hourly_matches_the_project_price_table(stack, option):
    cfg = config_with(stack, OPTION_SETTINGS[option])
    expected = load().machine_hourly(cfg.settings.gpu_pool.machine_type, cfg.region, option)
    assert cost_estimate(cfg)["gpuNodeHourly"] == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_as_configured_matches_the_sheet(stack):
    sheet = reference_sheet()
    cfg = load_stack_file(stack_file(stack))
    est = cost_estimate(cfg)
    expected = sheet_hourly(
        sheet, cfg.settings.gpu_pool.machine_type, cfg.region, est["purchaseOption"]
    )
    assert est["gpuNodeHourly"] == pytest.approx(expected, rel=0.01)


# --- machines without a price ------------------------------------------------------------------


def test_machine_in_the_catalog_without_a_price_is_a_clear_error():
    # a2-highgpu-2g (2 x A100 40 GB) is in the catalog but not in the price sheet.
    cfg = config_with(
        "dev",
        {
            "gpuPool.machineType": "a2-highgpu-2g",
            "gpuPool.gpuType": "nvidia-tesla-a100",
            "gpuPool.gpuCount": 2,
        },
    )
    with pytest.raises(PriceError) as err:
        cost_estimate(cfg)
    message = str(err.value)
    assert "nim-gke:gpuPool.machineType = 'a2-highgpu-2g'" in message
    assert "no price for machine type a2-highgpu-2g in region us-central1" in message


def test_system_machine_without_a_price_is_a_clear_error():
    cfg = config_with("prod", {"cluster.systemPool.machineType": "e2-standard-8"})
    with pytest.raises(PriceError, match=r"systemPool.machineType = 'e2-standard-8'.*us-central1"):
        cost_estimate(cfg)


def test_machine_without_a_commitment_price_is_a_clear_error():
    # a2-ultragpu-1g has on-demand and Spot prices, no 1y/3y ones in the sheet.
    changes = {
        "gpuPool.machineType": "a2-ultragpu-1g",
        "gpuPool.gpuType": "nvidia-a100-80gb",
        "gpuPool.spot": False,
    }
    est = cost_estimate(config_with("dev", changes))
    assert est["gpuNodeHourly"] == 5.068798
    with pytest.raises(PriceError, match="no 1y price for machine type a2-ultragpu-1g"):
        cost_estimate(config_with("dev", {**changes, "cost.commitment": "1y"}))
    alts = {a["purchaseOption"]: a for a in cost_alternatives(config_with("dev", changes))}
    assert alts["on-demand"]["available"] and alts["spot"]["available"]
    assert not alts["1y"]["available"]
    assert "a2-ultragpu-1g" in alts["1y"]["reason"]


def test_n1_pool_is_refused_because_the_sheet_has_no_attached_gpu_prices():
    cfg = config_with(
        "dev",
        {
            "gpuPool.machineType": "n1-standard-8",
            "gpuPool.gpuType": "nvidia-tesla-t4",
            "gpuPool.gpuCount": 2,
        },
    )
    with pytest.raises(PriceError, match="attached GPU nvidia-tesla-t4 in region us-central1"):
        cost_estimate(cfg)


# --- alternatives -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_alternatives_are_the_stack_with_other_purchase_settings(stack):
    cfg = load_stack_file(stack_file(stack))
    alts = cost_alternatives(cfg)
    assert [a["purchaseOption"] for a in alts] == list(PURCHASE_OPTIONS)
    assert sum(a["current"] for a in alts) == 1
    for a in alts:
        same = cost_estimate(config_with(stack, a["settings"]))
        assert a["gpuNodeHourly"] == same["gpuNodeHourly"]
        assert a["expectedMonthly"] == same["expectedMonthly"]
        current = cost_estimate(cfg)["expectedMonthly"]
        assert a["expectedVsCurrent"] == round(same["expectedMonthly"] - current, 2)


def test_spot_and_commitments_are_cheaper_than_on_demand_for_prod():
    alts = {a["purchaseOption"]: a for a in cost_alternatives(load_stack_file(stack_file("prod")))}
    # GPU node: on-demand 0.706832 > 1y 0.445304 > spot 0.397336 > 3y 0.318075
    rates = [alts[o]["gpuNodeHourly"] for o in ("on-demand", "1y", "spot", "3y")]
    assert rates == sorted(rates, reverse=True)
    assert alts["spot"]["expectedVsCurrent"] < 0


def test_commitment_alternative_warns_when_the_pool_is_not_busy_24_7():
    alts = {a["purchaseOption"]: a for a in cost_alternatives(load_stack_file(stack_file("dev")))}
    assert "billed every hour of its term" in alts["1y"]["note"]
    assert "note" not in alts["spot"]


# --- the cost follows the autoscaler: what runs while nobody uses the models -------------------


def test_dev_idles_without_a_gpu_node_because_its_version_sleeps():
    # dev's only version sleeps (monitoring.hpa.minReplicas 0): no warm replica, minNodes 0, so
    # idle has no GPU node and no GPU boot disk: 40.92, the fixed costs (test_dev_figures).
    est = estimate_of("dev")
    assert est["gpuNodes"]["idle"] == 0
    assert line(est, "GPU nodes")["quantity"]["idle"] == 0
    assert line(est, "GPU boot disks")["quantity"]["idle"] == 0
    assert est["idleMonthly"] == est["nonGpuOverheadMonthly"] == 40.92
    assert est["idleMonthly"] <= 60  # dev at idle: at most $60 a month
    (note,) = [a for a in est["assumptions"] if a.startswith("GPU pool:")]
    assert note.startswith(
        "GPU pool: 0 idle node(s) 24/7, max(minNodes 0, 0 warm); 1 serving, max(minNodes, 1 "
        "replicas), for 6.19 h a day"
    )
    assert note.endswith(
        "Idle: the versions sleep at zero replicas when idle (monitoring.hpa.minReplicas: 0), so "
        "no GPU node runs for them then."
    )
    assert "6.19 h a day on average: the wake schedule's 8 h (09:00-17:00 America/Chicago)" in note
    assert "30 min before the HPA lets a version sleep and ~10 min before GKE removes" in note


@pytest.mark.parametrize(
    "hpa",
    [
        pytest.param({"enabled": False}, id="no-hpa"),
        pytest.param({"enabled": True, "maxReplicas": 1}, id="hpa-keeps-its-replica"),
    ],
)
def test_a_version_that_does_not_sleep_keeps_its_gpu_node_in_idle(hpa):
    # dev whose version never sleeps: its replica runs around the clock, minNodes 0 or not.
    #   GPU node 730 h x 0.397336 = 290.05528 -> 290.06; boot disk 200 GB x 0.10 = 20.00
    #   idle = 40.91 + 290.06 + 20.00 = 350.97 = always-on (= expected: nothing to add); 40.91:
    #   test_dev_figures' fixed costs without the wake signal's image (a version that never
    #   sleeps needs no wake signal)
    est = cost_estimate(config_with("dev", {"monitoring.hpa": hpa}))
    assert est["gpuNodes"] == {"min": 0, "idle": 1, "serving": 1, "max": 2}
    assert line(est, "GPU nodes")["monthly"]["idle"] == 290.06
    assert est["idleMonthly"] == est["expectedMonthly"] == est["alwaysOnMonthly"] == 350.97
    (note,) = [a for a in est["assumptions"] if a.startswith("GPU pool:")]
    assert "GPU pool: 1 idle node(s) 24/7, max(minNodes 0, 1 warm)" in note
    assert ("without an HPA" in note) == (not hpa["enabled"])


def test_without_a_schedule_the_awake_hours_are_an_assumption():
    # dev asleep unless woken (no schedule): cost.gpuHoursPerDay 2 says how long it serves, and
    # the estimate says it is an assumption.
    #   2 h x 730/24 = 60.8333 node-hours x 0.397336 = 24.1713 -> 24.17
    #   boot disk 200 GB x 60.8333/730 = 16.667 GB-months x 0.10 = 1.67
    #   expected = 40.92 + 24.17 + 1.67 = 66.76 (idle 40.92: test_dev_figures)
    est = cost_estimate(
        config_with("dev", {"monitoring.hpa.wakeSchedule": None, "cost.gpuHoursPerDay": 2})
    )
    assert (est["gpuHoursPerDay"], est["gpuHoursPerDayFrom"]) == (
        2,
        "cost.gpuHoursPerDay (assumption)",
    )
    assert (est["idleMonthly"], est["expectedMonthly"]) == (40.92, 66.76)
    (note,) = [a for a in est["assumptions"] if a.startswith("GPU pool:")]
    assert "cost.gpuHoursPerDay = 2 h a day, an ASSUMPTION (no wake schedule" in note
