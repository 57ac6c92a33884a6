"""Rollouts: what canaries, greenPool and the Gateway add to the estimate (hand-computed)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nimgke import cost
from nimgke.config import parse
from nimgke.cost_rollout import (
    DATA_PROCESSING_PER_GIB,
    FORWARDING_RULE_HOURLY,
    GATEWAY_PRICES_READ,
    GATEWAY_PRICES_SOURCE,
)
from nimgke.pricing import PriceError
from tests.cost.cost_stacks import cost_estimate
from tests.cost.test_cost_estimate import line
from tests.test_config_validation import ROOMY, raw_stack

GREEN = {"machineType": "g2-standard-8", "minNodes": 0, "maxNodes": 2, "driverVersion": "LATEST"}


def estimate(stack: str, canary: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw_stack(stack))
    if canary is not None:
        raw["nim-gke:nim"]["models"][0]["canary"] = canary
    for key, value in extra.items():
        raw[f"nim-gke:{key}"] = value
    return cost_estimate(parse(stack, raw, (True, True)))


def test_the_gateway_is_one_forwarding_rule_an_hour_labelled_an_estimate():
    est = estimate("prod")
    rule = line(est, "Gateway forwarding rule")
    assert rule["item"] == "Gateway forwarding rule (internal load balancer), ESTIMATE"
    assert (rule["unitPrice"], rule["unit"]) == (0.025, "rule-hour")
    assert rule["monthly"] == dict.fromkeys(cost.SCENARIOS, 18.25)  # 730 h x 0.025
    assert FORWARDING_RULE_HOURLY == 0.025 and DATA_PROCESSING_PER_GIB == 0.008
    (said,) = [a for a in est["assumptions"] if a.startswith("Gateway: ESTIMATE")]
    assert GATEWAY_PRICES_SOURCE in said and GATEWAY_PRICES_READ in said
    assert "proxy-only subnet is a subnet, with no charge of its own" in said
    assert any("proxy instances" in n and "0.008/GiB" in n for n in est["notIncluded"])
    # dev has no Gateway: no line, no such exclusion.
    dev = estimate("dev")
    assert not [li for li in dev["lines"] if li["item"].startswith("Gateway")]
    assert not [n for n in dev["notIncluded"] if "proxy instances" in n]


def test_a_canary_adds_its_gpu_node_its_cache_and_its_image():
    # prod with maxNodes 4 (room for both versions at their HPA maximum of 2): minNodes 1, the
    # model 1 replica + the canary 1 replica, each version's HPA keeping its 1 (prod sets no
    # minReplicas: each version keeps its replicas): 2 nodes run 24/7, idle as well as serving.
    base, est = estimate(ROOMY), estimate(ROOMY, {"tag": "1.1.2", "weight": 10})
    assert est["gpuNodes"] == {"min": 1, "idle": 2, "serving": 2, "max": 4}
    gpu = line(est, "GPU nodes")
    assert gpu["quantity"]["alwaysOn"] == 1460  # 2 x 730
    assert gpu["monthly"]["alwaysOn"] == 1031.97
    # prod caches in the shared bucket: the canary's cache is its directory there (50 GB more
    # Standard storage, 50 x 0.020 = 1.00), not a disk of its own.
    assert not [li for li in est["lines"] if li["item"].startswith("Canary cache")]
    bucket = line(est, "Shared model cache bucket:")
    assert bucket["item"] == "Shared model cache bucket: up to 100 GB Standard storage"
    assert bucket["monthly"]["idle"] == 2.00
    # The canary's tag is a second image in the nvcr.io mirror: 2 x 15 GB x 0.10 = 3.00.
    mirror = line(est, "Artifact Registry:")
    assert mirror["item"].startswith("Artifact Registry: 2 cached NIM image(s) x 15 GB")
    assert mirror["monthly"]["idle"] == 3.00
    # 24 h/day: expected = always-on; + one node (1031.97 - 515.99 = 515.98, the rounded lines),
    # its boot disk (20.00), its bucket directory (1.00) and its image (1.50)
    assert est["alwaysOnMonthly"] == round(base["alwaysOnMonthly"] + 515.98 + 20 + 1.00 + 1.50, 2)
    # The whole month, by hand (prod, canary of 1 replica, maxNodes 4):
    #   GPU nodes   idle = always-on 1460 h x 0.706832 = 1031.97472 -> 1031.97 (both versions'
    #               HPAs keep one replica each); peak 2920 h = 2063.94944 -> 2063.95
    #   boot disks  200 GB x 0.10 per node-month: 40.00 / 40.00 / 80.00
    #   fixed       system 195.67 + disks 10.00 + bucket 100 GB x 0.020 = 2.00 + Gateway 18.25
    #               + mirror 3.00 + fee 73.00 = 301.92
    #   idle     = 1031.97 + 40.00 + 301.92  = 1373.89
    #   alwaysOn = 1031.97 + 40.00 + 301.92  = 1373.89 (= expected at 24 h/day)
    #   peak     = 2063.95 + 80.00 + 301.92  = 2445.87
    assert est["nonGpuOverheadMonthly"] == 301.92
    assert (est["idleMonthly"], est["alwaysOnMonthly"], est["peakMonthly"]) == (
        1373.89,
        1373.89,
        2445.87,
    )
    assert any(
        a.startswith("Canaries run beside their model: llama3-8b-1-1-2 (1 on pool gpu)")
        for a in est["assumptions"]
    )


def test_a_canary_with_a_disk_cache_adds_its_own_disk():
    """Without the shared cache (one GPU zone: a zonal disk) the canary has its own cache disk."""
    raw = copy.deepcopy(raw_stack(ROOMY))
    raw["nim-gke:gpuPool"]["zones"] = ["us-central1-a"]
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": False}
    raw["nim-gke:nim"]["models"][0]["canary"] = {"tag": "1.1.2", "weight": 10}
    est = cost_estimate(parse("prod", raw, (True, True)))
    cache = line(est, "Canary cache")
    assert cache["item"] == (
        "Canary cache llama3-8b-1-1-2 (of llama3-8b): 1 x 50 GB pd-balanced (standard-rwo)"
    )
    assert cache["monthly"]["idle"] == 5.00  # 50 GB x 0.10


def test_a_canary_on_green_is_priced_on_greens_machines():
    est = estimate("prod", {"tag": "1.1.2", "weight": 10, "pool": "green"}, greenPool=GREEN)
    # gpuPool serves only the model again; greenPool: 0 min, 1 serving, 2 max, g2-standard-8,
    # and the canary's HPA keeps its one replica there: its node runs in idle too.
    assert est["gpuNodes"] == {"min": 1, "idle": 1, "serving": 1, "max": 2}
    nodes = line(est, "Green pool GPU nodes")
    assert nodes["item"] == "Green pool GPU nodes: g2-standard-8 (1 x nvidia-l4 incl.), on-demand"
    rate = nodes["unitPrice"]
    assert nodes["quantity"] == {"idle": 730, "expected": 730, "alwaysOn": 730, "peak": 1460}
    assert nodes["monthly"]["alwaysOn"] == round(730 * rate, 2)
    disks = line(est, "Green pool boot disks")
    assert disks["quantity"]["alwaysOn"] == 200  # one 200 GB disk for a month
    # The green pool's nodes move with usage: not part of the overhead; the canary's directory
    # of the shared bucket (50 GB x 0.020 = 1.00) and its image in the mirror (1.50) are.
    base = estimate("prod")["nonGpuOverheadMonthly"]
    assert est["nonGpuOverheadMonthly"] == round(base + 1.00 + 1.50, 2)


def test_retained_caches_of_removed_versions_are_named_as_not_included():
    assert any(
        "kept (Retain) until their PVC is deleted" in n for n in estimate("dev")["notIncluded"]
    )


def test_an_unpriced_green_pool_machine_is_named_by_its_own_setting():
    # The price error names the setting to change: greenPool's machine, not gpuPool's (which is
    # priced). a2-highgpu-2g (2 x A100 40 GB) is in the catalog but not in the price sheet.
    green = {**GREEN, "machineType": "a2-highgpu-2g", "gpuType": "nvidia-tesla-a100", "gpuCount": 2}
    with pytest.raises(PriceError) as err:
        estimate(ROOMY, {"tag": "1.1.2", "weight": 10, "pool": "green"}, greenPool=green)
    assert str(err.value).startswith("nim-gke:greenPool.machineType = 'a2-highgpu-2g': no price")
