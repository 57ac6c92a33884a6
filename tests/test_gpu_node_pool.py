"""Contract tests of the GPU node pool: accelerator, driver, bounds totalled across zones."""

from __future__ import annotations

import dataclasses

import pytest

from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs
from tests.conftest import resolve
from tests.test_shape import gpu_pool

NODE_POOL = "gcp:container/nodePool:NodePool"
PLACE = {
    "project": "p",
    "cluster": "projects/p/locations/us-central1/clusters/c",
    "location": "us-central1",
    "service_account": "nodes@p.iam.gserviceaccount.com",
}
"""Where the pool goes: what :meth:`GpuNodePoolArgs.from_shape` takes besides the pool."""


def make_args(compute_class: str | None = None, **changes: object) -> GpuNodePoolArgs:
    """dev's gpuPool (``tests/test_shape.py``: one g2-standard-4 with an L4 per node, 0..2 nodes)
    over two zones, on demand, without image streaming, changed by ``changes`` (its fields), as
    the stack passes it; in ComputeClass ``compute_class``, none unless given (the stack's shape
    always names one: here the pool is tested alone)."""
    alone = {"zones": ("us-central1-a", "us-central1-c"), "spot": False, "image_streaming": False}
    pool = gpu_pool(**{**alone, **changes})
    args = GpuNodePoolArgs.from_shape(pool, **PLACE)
    return dataclasses.replace(args, compute_class=compute_class)


def build(**overrides):
    pool = GpuNodePool("gpu", make_args(**overrides))
    return resolve(lambda: {"name": pool.node_pool_name, "selector": pool.node_selector})


def test_one_l4_per_g2_standard_4_with_the_driver_installed_explicitly(mocks):
    build()
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["machineType"] == "g2-standard-4"
    assert node["guestAccelerators"] == [
        {
            "type": "nvidia-l4",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
        }
    ]
    assert node["diskSizeGb"] == 200 and node["diskType"] == "pd-balanced"
    assert node["spot"] is False
    assert node["labels"] == {"nim-gke/pool": "gpu"}


def test_bounds_are_totals_across_zones_and_scale_to_zero(mocks):
    build()
    inputs = mocks.one(NODE_POOL).inputs
    # Per-zone min/max would multiply by the zone count; totals do not (terraform-provider-google
    # docs, container_node_pool autoscaling).
    assert inputs["autoscaling"] == {
        "totalMinNodeCount": 0,
        "totalMaxNodeCount": 2,
        "locationPolicy": "ANY",
    }
    assert "minNodeCount" not in inputs["autoscaling"]
    assert inputs["initialNodeCount"] == 0
    assert inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert inputs["nodeLocations"] == ["us-central1-a", "us-central1-c"]


def test_nodes_are_replaced_one_surge_node_at_a_time(mocks):
    """A node upgrade, repair or recreation creates one new node before it drains an old one
    (GKE docs, "Node pool upgrade strategies": surge upgrades, maxSurge nodes added and
    maxUnavailable taken away at once; terraform-provider-google v7.45
    resource_container_node_pool.go, upgrade_settings: strategy SURGE or BLUE_GREEN), so the pool
    needs quota for one more GPU node, not a second set of them (blue-green)."""
    build()
    assert mocks.one(NODE_POOL).inputs["upgradeSettings"] == {
        "strategy": "SURGE",
        "maxSurge": 1,
        "maxUnavailable": 0,
    }


@pytest.mark.parametrize(
    ("total_min", "per_zone"),
    [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2)],
)
def test_initial_nodes_never_exceed_the_total_minimum(mocks, total_min, per_zone):
    """initial_node_count is per zone (terraform-provider-google docs,
    container_node_pool: "The initial number of nodes for the pool. In regional or multi-zonal
    clusters, this is the number of nodes per zone"). Over two zones, 1 would start two L4s
    whatever total_min_node_count says; the pool starts at most the total minimum."""
    build(min_nodes=total_min, max_nodes=4)
    inputs = mocks.one(NODE_POOL).inputs
    assert inputs["autoscaling"]["totalMinNodeCount"] == total_min
    zones = len(inputs["nodeLocations"])
    assert zones == 2
    assert inputs["initialNodeCount"] == per_zone
    assert inputs["initialNodeCount"] * zones <= total_min


def test_spot_and_node_security(mocks):
    build(spot=True)
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["spot"] is True
    assert node["serviceAccount"] == "nodes@p.iam.gserviceaccount.com"
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["shieldedInstanceConfig"]["enableSecureBoot"] is True


def test_node_selector_pins_to_this_pool_and_gpu(mocks):
    out = build()
    assert out["selector"] == {
        "cloud.google.com/gke-nodepool": "gpu-pool-a1b2c3",
        "cloud.google.com/gke-accelerator": "nvidia-l4",
    }
    assert out["name"] == "gpu-pool-a1b2c3"


def test_child_is_parented_to_the_component(mocks):
    build()
    suffix = "nim-gke:gke:GpuNodePool$gcp:container/nodePool:NodePool::gpu-pool"
    assert any(u.endswith(suffix) for u in mocks.urns()), mocks.urns()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"gpu_count": 0}, "accelerator_count must be >= 1"),
        ({"min_nodes": 3, "max_nodes": 1}, "total_min_nodes <= total_max_nodes"),
        ({"min_nodes": -1}, "total_min_nodes <= total_max_nodes"),
        ({"driver_version": "GPU_DRIVER_VERSION_UNSPECIFIED"}, "gpu_driver_version must be"),
        ({"zones": ()}, "node_zones must name at least one zone"),
        ({"spot": True, "reservation": "l4"}, "a Spot pool cannot consume a reservation"),
    ],
)
def test_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)


# --- image streaming and the preloaded image ------------------------------------------------


def test_streaming_off_by_default_in_the_component_and_nothing_extra_granted(mocks):
    build()
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert "gcfsConfig" not in node and "secondaryBootDisks" not in node
    assert mocks.of_type("gcp:projects/iAMMember:IAMMember") == []


def test_image_streaming_enables_gcfs_and_the_pool_grants_nothing(mocks):
    """The pool turns streaming on; the node service account's role for it is granted once by the
    cluster (tests/test_iam_grants.py), never by a pool."""
    build(image_streaming=True)
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["gcfsConfig"] == {"enabled": True}
    assert "secondaryBootDisks" not in node
    assert mocks.of_type("gcp:projects/iAMMember:IAMMember") == []


def test_a_preloaded_image_is_a_secondary_boot_disk_in_image_cache_mode(mocks):
    build(image_streaming=True, image_cache_disk="global/images/nim-llama3-8b-1-0-3")
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["secondaryBootDisks"] == [
        {"diskImage": "global/images/nim-llama3-8b-1-0-3", "mode": "CONTAINER_IMAGE_CACHE"}
    ]
    assert node["gcfsConfig"] == {"enabled": True}


def test_a_boot_disk_without_streaming_is_refused():
    # pulumi-gcp 9: "`gcfs_config` must be `enabled=true` for this feature to work".
    with pytest.raises(ValueError, match="image_cache_disk needs image_streaming"):
        make_args(image_cache_disk="global/images/x")


def test_args_from_a_pool_of_the_stack_shape_carry_every_field():
    # dev's pool (zonal, image streaming) with every other value off the Args' defaults, so a
    # field the constructor forgot would fail.
    pool = gpu_pool(
        machine_type="n1-standard-8",
        gpu_type="nvidia-tesla-t4",
        gpu_count=2,
        min_nodes=1,
        max_nodes=3,
        spot=False,
        driver_version="DEFAULT",
        disk_size_gb=300,
        disk_type="pd-ssd",
        image_cache_disk="global/images/nim-llama3-8b-1-1-2",
        compute_class="nim-green",
        reservation="projects/shared-p/reservations/l4-block",
    )
    assert GpuNodePoolArgs.from_shape(pool, **PLACE) == GpuNodePoolArgs(
        **PLACE,
        node_zones=["us-central1-a"],
        machine_type="n1-standard-8",
        accelerator_type="nvidia-tesla-t4",
        accelerator_count=2,
        total_min_nodes=1,
        total_max_nodes=3,
        spot=False,
        gpu_driver_version="DEFAULT",
        disk_size_gb=300,
        disk_type="pd-ssd",
        image_streaming=True,
        image_cache_disk="global/images/nim-llama3-8b-1-1-2",
        compute_class="nim-green",
        reservation="projects/shared-p/reservations/l4-block",
    )


# --- a priority of a ComputeClass -------------------------------------------------------------


def test_a_pool_of_a_compute_class_carries_its_label_and_its_taint(mocks):
    """GKE's "Configure manually-created node pools for ComputeClass use"
    (cloud.google.com/kubernetes-engine/docs/concepts/about-custom-compute-classes): the node
    label cloud.google.com/compute-class=NAME and the taint cloud.google.com/compute-class=NAME:
    NoSchedule, both; NO_SCHEDULE is the GKE API's spelling of the effect."""
    build(compute_class="nim-gpu")
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["labels"] == {"nim-gke/pool": "gpu", "cloud.google.com/compute-class": "nim-gpu"}
    assert node["taints"] == [
        {"key": "cloud.google.com/compute-class", "value": "nim-gpu", "effect": "NO_SCHEDULE"}
    ]
    assert "reservationAffinity" not in node


def test_a_pool_outside_a_class_has_no_class_label_and_no_taint(mocks):
    build()
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert "taints" not in node and "cloud.google.com/compute-class" not in node["labels"]


def test_a_specific_reservation_is_consumed_by_name(mocks):
    """pulumi-gcp 9 NodePoolNodeConfigReservationAffinityArgs: SPECIFIC_RESERVATION with the key
    compute.googleapis.com/reservation-name and the reservation's name as its value."""
    build(reservation="l4-reserved")
    node = mocks.one(NODE_POOL).inputs["nodeConfig"]
    assert node["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["l4-reserved"],
    }
