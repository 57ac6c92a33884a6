"""Where the model cache lives, and which disks the GPU machines take.

Sources (read 2026-12-03), the same ones ``nimgke/catalog.py`` DISK_SUPPORT cites:

- https://cloud.google.com/compute/docs/disks/about-regional-persistent-disk, Limitations: "You
  can attach regional Persistent Disk only to VMs that use E2, N1, N2, and N2D machine types."
- https://cloud.google.com/compute/docs/accelerator-optimized-machines: "G2 VMs can use the
  following block storage types: Balanced Persistent Disk (pd-balanced), SSD (performance)
  Persistent Disk (pd-ssd), Hyperdisk ML, Hyperdisk Throughput, Local SSD"; the A3 series lists
  pd-balanced and pd-ssd, no pd-standard; "A2 VMs can use ... Standard Persistent Disk
  (pd-standard)"; G2, A2 and A3 "can't use regional persistent disks".

prod shares one Cloud Storage bucket between its replicas (docs/startup.md, "A model cache the
replicas share"); these tests keep a regional disk cache, and pd-standard where the source says it
does not attach, from reaching a real ``pulumi up``.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from nimgke import catalog
from nimgke.config import ConfigError, parse, read_stack_file
from tests import conftest
from tests.conftest import FAKE_NGC_KEY, ROOT, run_program, stack_config

# A model small enough for one T4 (16 GB), for the N1 cases.
SMALL_T4_MODEL = {
    "name": "acme/small-llm",
    "image": "nvcr.io/nim/acme/small-llm",
    "tag": "1.0.0",
    "release": "small",
    "gpuMemoryGb": 8,
    "paramsBillion": 1,
    "cacheSize": "20Gi",
}


def prod() -> dict[str, Any]:
    return copy.deepcopy(read_stack_file(ROOT / "Pulumi.prod.yaml"))


def dev() -> dict[str, Any]:
    return copy.deepcopy(read_stack_file(ROOT / "Pulumi.dev.yaml"))


@pytest.mark.parametrize(
    ("family", "pd_types", "regional"),
    [
        ("g2", ("pd-balanced", "pd-ssd"), False),
        ("a3", ("pd-balanced", "pd-ssd"), False),
        # Follows the source, not the wish for one rule: A2 does list pd-standard.
        ("a2", ("pd-balanced", "pd-ssd", "pd-standard"), False),
        ("n1", ("pd-balanced", "pd-ssd", "pd-standard"), True),
        ("e2", ("pd-balanced", "pd-ssd", "pd-standard"), True),
    ],
)
def test_the_disk_table_says_what_each_family_attaches(family, pd_types, regional):
    support = catalog.DISK_SUPPORT[family]
    assert (support.pd_types, support.regional_pd) == (pd_types, regional)
    assert catalog.DISK_SUPPORT_READ == "2026-12-03"
    assert catalog.DISK_TYPES_PAGE == "cloud.google.com/compute/docs/accelerator-optimized-machines"
    assert catalog.REGIONAL_PD_PAGE == (
        "cloud.google.com/compute/docs/disks/about-regional-persistent-disk"
    )


def test_every_gpu_machine_of_the_catalog_has_a_disk_row():
    gpu_machines = [m for m in catalog.MACHINE_TYPES.values() if m.gpu or m.attachable_gpus]
    assert {m.family for m in gpu_machines} <= set(catalog.DISK_SUPPORT)


def test_prod_caches_in_the_bucket_every_replica_mounts_in_both_zones():
    cfg = parse("prod", prod(), (True, True))
    assert cfg.settings.nim.shared_cache.enabled
    assert cfg.gpu_zones == ["us-central1-a", "us-central1-c"]
    # No disk at all, so no regional one.
    assert cfg.cache_regional is False


def test_prod_with_a_disk_cache_is_refused_before_any_resource():
    """Today's prod with a cache disk per replica: auto picks a regional disk for two zones, which
    a g2 VM cannot attach (the pod would stay in ContainerCreating)."""
    config = stack_config(
        "prod",
        **{
            "nim-gke:nim": {**prod()["nim-gke:nim"], "sharedCache": {"enabled": False}},
            "nim-gke:ngcApiKey": FAKE_NGC_KEY,
        },
    )
    with pytest.raises(ConfigError) as err:
        run_program("prod", config, ["nim-gke:ngcApiKey"])
    assert isinstance(err.value, pulumi.RunError)
    (problem,) = err.value.problems
    assert (problem.key, problem.value) == ("nim-gke:nim.cacheReplication", "auto")
    assert "attaches only to E2, N1, N2 and N2D VMs, not to g2-standard-4" in problem.rule
    assert problem.fix.startswith("set nim.sharedCache.enabled: true")
    run = conftest.LAST_RUN
    assert run is not None and run.mocks.resources == []


def test_one_gpu_zone_keeps_a_zonal_disk_cache_on_g2():
    raw = prod()
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": False}
    raw["nim-gke:gpuPool"]["zones"] = ["us-central1-a"]
    cfg = parse("prod", raw, (True, True))
    assert (cfg.cache_regional, cfg.cache_storage_class) == (False, "standard-rwo")


def test_a2_takes_pd_standard_as_its_source_says():
    """The same settings refused on g2 are accepted on an A2 (boot and cache disk)."""
    raw = dev()
    raw["nim-gke:gpuPool"].update(
        {"machineType": "a2-highgpu-1g", "gpuType": "nvidia-tesla-a100", "diskType": "pd-standard"}
    )
    raw["nim-gke:nim"]["storageClass"] = "standard"
    cfg = parse("dev", raw, (True, True))
    assert (cfg.settings.gpu_pool.disk_type, cfg.cache_disk_type) == ("pd-standard", "pd-standard")


def test_an_n1_pool_over_two_zones_still_gets_a_regional_cache():
    """N1 (T4) takes a regional disk: its cache keeps the regional StorageClass."""
    raw = dev()
    raw["nim-gke:cluster"]["zones"] = ["us-central1-a", "us-central1-b"]
    raw["nim-gke:gpuPool"].update(
        {"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "gpuCount": 1}
    )
    raw["nim-gke:nim"]["models"] = [dict(SMALL_T4_MODEL)]
    cfg = parse("dev", raw, (True, True))
    assert (cfg.cache_regional, cfg.cache_storage_class) == (True, "nim-cache-regional-pd-balanced")


def test_a_version_on_greenpool_is_judged_on_greens_machine():
    """A canary on greenPool runs on greenPool's machines: with a disk cache over two zones, a g2
    greenPool cannot attach the regional disk even when gpuPool could (an N1 gpuPool)."""
    raw = prod()
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": False}
    raw["nim-gke:gpuPool"].update(
        {"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "maxNodes": 4}
    )
    raw["nim-gke:monitoring"]["hpa"]["enabled"] = False
    raw["nim-gke:nim"]["models"] = [
        SMALL_T4_MODEL | {"canary": {"tag": "1.0.1", "weight": 10, "pool": "green"}}
    ]
    raw["nim-gke:greenPool"] = {"machineType": "g2-standard-8", "minNodes": 0, "maxNodes": 1}
    with pytest.raises(ConfigError) as err:
        parse("prod", raw, (True, True))
    (problem,) = err.value.problems
    assert problem.key == "nim-gke:nim.cacheReplication"
    assert "not to g2-standard-8 (nim-gke:greenPool.machineType" in problem.rule
