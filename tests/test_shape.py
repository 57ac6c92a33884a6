"""The stack's shape (nimgke/shape.py): exactly what dev, prod and a rollout variant make.

Pure: no engine. Each expected value follows from the stack file (pools, zones, the storage class)
or from a rule pinned elsewhere: version names and weights in ``test_rollout_config.py``, the
shared cache in ``test_cache_placement.py``, the catalog's cpu/memory for a g2-standard-8
in ``test_config_validation.py``.
"""

from __future__ import annotations

import dataclasses

import pytest

from nimgke.config import StackConfig, parse
from nimgke.config.versions import Version
from nimgke.observability import Scope
from nimgke.shape import (
    AutoscalingShape,
    CacheShape,
    CapacityShape,
    PoolShape,
    RouteShape,
    ScheduleShape,
    StackShape,
    stack_shape,
    version_gpu_nodes,
)
from tests.test_config_validation import raw_stack
from tests.test_rollout_config import GREEN, stack

TWO_ZONES = ("us-central1-a", "us-central1-c")
CACHE_DISK_IMAGE = "global/images/nim-llama3-8b-1-1-2"
ZONAL_CACHE = CacheShape(
    shared=False,
    storage_class="standard-rwo",
    disk_type="pd-balanced",
    regional=False,
    zones=("us-central1-a",),
)
"""dev's: a zonal pd-balanced disk per replica, of GKE's built-in standard-rwo."""
SHARED_CACHE = CacheShape(
    shared=True,
    storage_class="standard-rwo",
    disk_type="pd-balanced",
    regional=False,
    zones=TWO_ZONES,
)
"""prod's: the bucket every replica mounts (its GPU pool spans two zones of g2 machines, which
attach no regional disk); no claim names the StorageClass."""


DEV_HPA = AutoscalingShape(
    min_replicas=0,
    max_replicas=1,
    idle_minutes=30,
    metric="num_requests_waiting",
    target_average=10,
    wake_on_requests=False,  # no Gateway in dev
    wake_on_command=True,
    schedule=ScheduleShape(("MO", "TU", "WE", "TH", "FR"), "09:00", "17:00", "America/Chicago"),
)
"""dev's monitoring.hpa: sleeps (minReplicas 0), wakes on its schedule and on nimctl wake."""
PROD_HPA = AutoscalingShape(
    min_replicas=None,
    max_replicas=2,
    idle_minutes=30,
    metric="num_requests_waiting",
    target_average=10,
    wake_on_requests=True,
    wake_on_command=True,
    schedule=None,
)
"""prod's: each version keeps its replicas (one warm), up to 2."""


def gpu_pool(**changes: object) -> PoolShape:
    """dev's gpuPool, changed."""
    pool = PoolShape(
        name="gpu",
        zones=("us-central1-a",),
        machine_type="g2-standard-4",
        gpu_type="nvidia-l4",
        gpu_count=1,
        min_nodes=0,
        max_nodes=2,
        spot=True,
        driver_version="LATEST",
        disk_size_gb=200,
        disk_type="pd-balanced",
        image_streaming=True,
        image_cache_disk=None,
    )
    return dataclasses.replace(pool, **changes)


def fallback(first: PoolShape, **changes: object) -> PoolShape:
    """The second priority of ``first``'s plan: its node pool ``<plan>-2``, no warm node."""
    return dataclasses.replace(first, name=f"{first.plan}-2", priority=2, min_nodes=0, **changes)


def plan(*pools: PoolShape) -> CapacityShape:
    """The capacity plan of these node pools (their ComputeClass nim-<plan>)."""
    return CapacityShape(name=pools[0].plan, compute_class=f"nim-{pools[0].plan}", priorities=pools)


def config(name: str, raw: dict) -> StackConfig:
    return parse(name, raw, (True, True))


def route(*backends: Version, stable: Version) -> RouteShape:
    """llama3-8b's route: its path, and its versions behind it."""
    return RouteShape(model="llama3-8b", prefix="/llama3-8b/v1", backends=backends, stable=stable)


def scope(stack: str, gpu_min_nodes: int, gpu_max_nodes: int, gpu_version_nodes: int) -> Scope:
    """What a stack's dashboard and alerts watch: nim-<stack>, the nim namespace, gpuPool's nodes
    on every priority of its ComputeClass (gpu and its fallback gpu-2), against the priorities'
    bounds summed (the class adds nodes until each priority is at its maximum) and the GPU nodes
    gpuPool's versions may ask for."""
    return Scope(
        stack=stack,
        cluster=f"nim-{stack}",
        namespace="nim",
        gpu_min_nodes=gpu_min_nodes,
        gpu_max_nodes=gpu_max_nodes,
        gpu_version_nodes=gpu_version_nodes,
        gpu_pools=("gpu", "gpu-2"),
    )


def main_version(cfg: StackConfig, weight: int = 100) -> Version:
    """The model's main version: its tag on gpuPool, its plan the validated model's."""
    (plan,) = cfg.models
    assert (plan.tag, plan.release, plan.pool) == ("1.0.3", "llama3-8b", "gpu")
    return Version(
        model="llama3-8b",
        index=0,
        role="main",
        release="llama3-8b-1-0-3",
        pool="gpu",
        weight=weight,
        plan=plan,
    )


def test_dev_is_one_pool_one_version_one_zonal_disk_per_replica():
    cfg = config("dev", raw_stack("dev"))
    main = main_version(cfg)
    # Spot first, then the same machine on demand (gpuPool.fallbacks), in dev's one zone.
    assert stack_shape(cfg) == StackShape(
        gpu_pool=gpu_pool(),
        green_pool=None,
        versions=(main,),
        cache=ZONAL_CACHE,
        routes=(route(main, stable=main),),
        # the fallback's maxNodes is the pool's; one version, its HPA up to maxReplicas 1, one
        # L4 a pod on a g2-standard-4 of one L4: 1 node
        scope=scope("dev", 0, 2 + 2, 1),
        plans=(plan(gpu_pool(), fallback(gpu_pool(), spot=False)),),
        autoscaling=DEV_HPA,
    )


def test_prod_spans_two_zones_with_a_minimum_node_and_the_shared_cache():
    cfg = config("prod", raw_stack("prod"))
    main = main_version(cfg)
    first = gpu_pool(zones=TWO_ZONES, min_nodes=1, spot=False)
    # On demand in both zones, then the same L4 on a g2-standard-8 there; the warm node is the
    # first priority's.
    assert stack_shape(cfg) == StackShape(
        gpu_pool=first,
        green_pool=None,
        versions=(main,),
        cache=SHARED_CACHE,
        routes=(route(main, stable=main),),
        # a fallback starts at 0 nodes; one version, its HPA up to maxReplicas 2, one L4 a pod on
        # a g2-standard-4 of one L4: 2 nodes
        scope=scope("prod", 1 + 0, 2 + 2, 2 * 1),
        plans=(plan(first, fallback(first, machine_type="g2-standard-8")),),
        autoscaling=PROD_HPA,
    )


def rollout() -> StackConfig:
    """prod with room for a canary: 10 % of llama3-8b on 1.1.2 on a greenPool of g2-standard-8
    whose nodes boot with the image preloaded."""
    green = {**GREEN, "imageCacheDisk": {"diskImage": CACHE_DISK_IMAGE}}
    canary = {"tag": "1.1.2", "weight": 10, "pool": "green"}
    return config("prod", stack(canary=canary, green=green))


def test_a_canary_on_green_pool_is_a_second_pool_version_and_backend():
    cfg = rollout()
    main = main_version(cfg, weight=90)
    # The canary runs the model's settings at its own tag on greenPool's machine: the cpu and
    # memory a g2-standard-8 gives, and no profile (the catalog pins none for 1.1.2 on one L4).
    canary = Version(
        model="llama3-8b",
        index=0,
        role="canary",
        release="llama3-8b-1-1-2-green",
        pool="green",
        weight=10,
        plan=dataclasses.replace(
            main.plan,
            tag="1.1.2",
            pool="green",
            cpu="7",
            memory="27Gi",
            profile=None,
            profile_from="none",
        ),
    )
    first = gpu_pool(zones=TWO_ZONES, min_nodes=1, max_nodes=4, spot=False)
    # greenPool's zones are unset: the cluster's, like gpuPool's; it has no fallbacks.
    green = gpu_pool(
        name="green",
        zones=TWO_ZONES,
        machine_type="g2-standard-8",
        spot=False,
        image_cache_disk=CACHE_DISK_IMAGE,
        plan="green",
        compute_class="nim-green",
    )
    assert stack_shape(cfg) == StackShape(
        gpu_pool=first,
        green_pool=green,
        versions=(main, canary),
        cache=SHARED_CACHE,
        routes=(route(main, canary, stable=main),),
        # The dashboard's and the alerts' pool is gpuPool, every priority (1..4 each here; the
        # fallback follows the pool's maxNodes), not greenPool: its one version, up to 2 nodes
        # (the canary on greenPool is not counted).
        scope=scope("prod", 1 + 0, 4 + 4, 2),
        plans=(plan(first, fallback(first, machine_type="g2-standard-8")), plan(green)),
        autoscaling=PROD_HPA,
    )


def test_pools_are_found_by_the_name_a_version_gives():
    shape = stack_shape(rollout())
    assert [p.name for p in shape.pools] == ["gpu", "gpu-2", "green"]
    assert shape.pool("green") is shape.green_pool
    assert shape.plan("green").first is shape.green_pool
    assert [p.name for p in shape.plan("gpu").priorities] == ["gpu", "gpu-2"]
    assert [shape.pool(v.pool).machine_type for v in shape.versions] == [
        "g2-standard-4",
        "g2-standard-8",
    ]
    assert (shape.replicas_on("gpu"), shape.replicas_on("green")) == (1, 1)
    with pytest.raises(KeyError):
        stack_shape(config("dev", raw_stack("dev"))).pool("green")


def test_replicas_on_a_pool_count_every_version_on_it():
    raw = stack(canary={"tag": "1.1.2", "weight": 10, "replicas": 2})
    raw["nim-gke:monitoring"]["hpa"]["enabled"] = False
    shape = stack_shape(config("prod", raw))
    assert [(v.role, v.pool, v.plan.replicas) for v in shape.versions] == [
        ("main", "gpu", 1),
        ("canary", "gpu", 2),
    ]
    assert (shape.replicas_on("gpu"), shape.replicas_on("green")) == (3, 0)


def test_the_gpu_nodes_gpupools_versions_may_ask_for_follow_each_versions_hpa_ceiling():
    """Per version on gpuPool: its HPA's maxReplicas (max(maxReplicas, replicas)), the most it
    scales to ("maxReplicas is the upper limit for the number of replicas to which the autoscaler
    can scale up", kubernetes/api@6e64302b autoscaling/v2/types.go), else its replicas; one
    g2-standard-4 (one L4) per pod of one L4; greenPool's versions are not gpuPool's. prod with
    room for a canary: gpuPool maxNodes 4, so every priority together 4 + 4."""
    with_hpa = stack_shape(config("prod", stack(canary={"tag": "1.1.2", "weight": 10})))
    # main 1 replica, canary 1: each HPA scales to maxReplicas 2
    assert (with_hpa.scope.gpu_version_nodes, with_hpa.scope.gpu_max_nodes) == (2 + 2, 4 + 4)
    assert with_hpa.scope.gpu_ceiling_nodes == 4
    bigger = stack(canary={"tag": "1.1.2", "weight": 10, "replicas": 3})
    bigger["nim-gke:gpuPool"]["maxNodes"] = 5  # room for them (validated)
    # the canary's replicas (3) above maxReplicas (2): its HPA keeps 3
    assert stack_shape(config("prod", bigger)).scope.gpu_version_nodes == 2 + 3
    without = stack(canary={"tag": "1.1.2", "weight": 10, "replicas": 2})
    without["nim-gke:monitoring"]["hpa"]["enabled"] = False
    assert stack_shape(config("prod", without)).scope.gpu_version_nodes == 1 + 2
    assert stack_shape(rollout()).scope.gpu_version_nodes == 2  # the canary is on greenPool


def test_a_versions_pods_take_their_gpus_over_the_gpus_of_a_node_rounded_up():
    """GPUs per pod: the pool's gpuCount (the chart's nvidia.com/gpu); GPUs per node: the
    machine's own (g2-standard-24 carries 2 L4), or gpuCount attached (N1). Validation makes
    them equal today (a G2 pool's gpuCount is its machine's), so a pod is a node; the
    arithmetic still rounds a pod that takes part of a node up to the node."""
    assert gpu_pool(machine_type="g2-standard-24", gpu_count=2).gpus_per_node == 2
    assert gpu_pool(machine_type="n1-standard-8", gpu_count=4).gpus_per_node == 4
    cfg = config("prod", stack(canary={"tag": "1.1.2", "weight": 10}))
    main, canary = stack_shape(cfg).versions  # 2 pods each at most (HPA)
    whole = plan(gpu_pool(machine_type="g2-standard-24", gpu_count=2))
    assert version_gpu_nodes(whole, (main, canary), PROD_HPA) == 2 + 2
    half = plan(gpu_pool(machine_type="g2-standard-24", gpu_count=1))
    assert version_gpu_nodes(half, (main, canary), PROD_HPA) == 1 + 1  # 2 x 1 / 2 each
    three = dataclasses.replace(canary, plan=dataclasses.replace(canary.plan, replicas=3))
    assert version_gpu_nodes(half, (main, three), None) == 1 + 2  # 1 / 2 -> 1, 3 / 2 -> 2


def test_at_weight_100_the_route_keeps_both_backends_and_the_stable_service_follows_the_canary():
    shape = stack_shape(config("prod", stack(canary={"tag": "1.1.2", "weight": 100})))
    (route,) = shape.routes
    assert [(v.release, v.weight) for v in route.backends] == [
        ("llama3-8b-1-0-3", 0),
        ("llama3-8b-1-1-2", 100),
    ]
    assert route.stable is route.backends[1]


def test_a_pools_own_zones_win_over_the_clusters():
    raw = raw_stack("dev")
    raw["nim-gke:cluster"]["zones"] = list(TWO_ZONES)
    raw["nim-gke:gpuPool"]["zones"] = ["us-central1-c"]
    raw["nim-gke:greenPool"] = {**GREEN, "zones": ["us-central1-c"]}
    shape = stack_shape(config("dev", raw))
    # dev's on-demand fallback sets no zones: the pool's.
    assert [p.zones for p in shape.pools] == [("us-central1-c",)] * 3
    # One GPU zone: a zonal disk there (cacheReplication auto).
    assert shape.cache == dataclasses.replace(ZONAL_CACHE, zones=("us-central1-c",))


def test_the_shared_cache_is_the_bucket_with_the_storage_class_the_claims_name():
    raw = raw_stack("dev")
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": True}
    assert stack_shape(config("dev", raw)).cache == dataclasses.replace(ZONAL_CACHE, shared=True)


def test_the_shape_is_frozen():
    shape = stack_shape(config("dev", raw_stack("dev")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.gpu_pool.max_nodes = 5  # type: ignore[misc]


def test_a_fallback_keeps_what_it_sets_and_takes_the_rest_from_its_pool():
    raw = raw_stack("prod")
    raw["nim-gke:gpuPool"]["fallbacks"] = [
        {"zones": ["us-central1-a"], "maxNodes": 1, "reservation": "l4-reserved"},
        {"spot": True},
    ]
    shape = stack_shape(config("prod", raw))
    first = shape.gpu_pool
    assert shape.plan("gpu").priorities == (
        first,
        fallback(first, zones=("us-central1-a",), max_nodes=1, reservation="l4-reserved"),
        dataclasses.replace(fallback(first, spot=True), name="gpu-3", priority=3),
    )


@pytest.mark.parametrize(
    ("spots", "migrates"),
    [
        # Spot first with an on-demand fallback: GKE moves pods back to Spot when it can.
        ((True, False), True),
        ((True, True, False), True),
        # On demand first: nothing cheaper to move back to; all Spot: nothing to leave.
        ((False, False), False),
        ((False, True), False),
        ((True, True), False),
        ((True,), False),
    ],
)
def test_active_migration_only_where_spot_comes_first_and_on_demand_follows(spots, migrates):
    pools = tuple(
        dataclasses.replace(gpu_pool(), name=f"gpu-{i}", priority=i, spot=spot)
        for i, spot in enumerate(spots, 1)
    )
    capacity = plan(*pools)
    assert capacity.active_migration is migrates
    assert capacity.spot is any(spots)
