"""A node pool edit that replaces the pool or recreates its nodes, and ``pulumi preview``'s
warning about it (``nimgke/node_pool_changes.py``, ``components/pool_changes.py``).

Sources: hashicorp/terraform-provider-google@6f756229ab21d14d238c6280d2255262e4cccfc4 (v7.45.0,
what pulumi-gcp 9 bridges): google/services/container/node_config.go (``schemaNodeConfig``:
``ForceNew``; ``nodePoolNodeConfigUpdate``: machine_type, disk_type, disk_size_gb sent to
``nodePools.update``), resource_container_node_pool.go; pulumi/pulumi@
1b5949891b3cefcb9974752b24a5ecef0acc86c8: pkg/resource/deploy/builtins.go ``readStackReference``
(a StackReference reads the named stack's last outputs; nothing refuses the stack itself).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from components.cluster import POOL_IGNORE_CHANGES
from components.pool_changes import TYPE as WATCH_TYPE
from nimgke.node_pool_changes import (
    FORCE_NEW,
    INPUT_PATH,
    RECREATED,
    REPLACED,
    effect,
    pool_effect,
)
from tests.conftest import FAKE_NGC_KEY, run_program, stack_config, unwrap
from tests.schemas.stack_objects import run as variant_run

NODE_POOL = "gcp:container/nodePool:NodePool"


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        # ForceNew in node_config.go: a new pool
        ("nodeConfig.guestAccelerators[0].type", REPLACED),
        ("nodeConfig.guestAccelerators[0].count", REPLACED),
        ("nodeConfig.guestAccelerators[0].gpuPartitionSize", REPLACED),
        ("nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion", REPLACED),
        ("nodeConfig.spot", REPLACED),
        ("nodeConfig.secondaryBootDisks", REPLACED),  # the block added or removed
        ("nodeConfig.secondaryBootDisks[0].diskImage", REPLACED),
        ("nodeConfig.secondaryBootDisks[0].mode", REPLACED),
        ("nodeConfig.reservationAffinity", REPLACED),
        ("nodeConfig.serviceAccount", REPLACED),
        ("nodeConfig.confidentialNodes", REPLACED),  # holds confidential_instance_type
        ("cluster", REPLACED),
        # updated in place through nodePools.update: every node recreated
        ("nodeConfig.machineType", RECREATED),
        ("nodeConfig.diskType", RECREATED),
        ("nodeConfig.diskSizeGb", RECREATED),
        ("nodeConfig.bootDisk.sizeGb", RECREATED),
        # neither
        ("autoscaling.totalMaxNodeCount", None),
        ("autoscaling.totalMinNodeCount", None),
        ("nodeLocations[1]", None),
        ("management.autoUpgrade", None),
        ("upgradeSettings.maxSurge", None),
        ("nodeConfig.labels", None),
        ("nodeConfig.soleTenantConfig.minNodeCpus", None),  # not ForceNew in its ForceNew block
    ],
)
def test_what_a_node_pool_edit_does_to_the_nodes(path, outcome):
    assert effect(path) == outcome


def test_the_initial_node_count_replaces_nothing_because_its_changes_are_ignored():
    """initial_node_count is ForceNew (resource_container_node_pool.go), and a change of minNodes
    changes it (it is the total minimum per zone): the program ignores its changes, so Pulumi never
    replaces a pool for it, and the check does not count it."""
    assert "initialNodeCount" in POOL_IGNORE_CHANGES
    assert "initialNodeCount" not in FORCE_NEW and effect("initialNodeCount") is None


def test_the_strongest_effect_wins():
    assert pool_effect(["nodeConfig.machineType", "nodeConfig.spot"]) == REPLACED
    assert pool_effect(["nodeConfig.machineType", "autoscaling.totalMaxNodeCount"]) == RECREATED
    assert pool_effect(["autoscaling.totalMaxNodeCount"]) is None


def _at(value: Any, path: str) -> Any:
    for step in path.replace("[", ".[").split("."):
        if step.startswith("["):
            value = value[int(step[1:-1])] if isinstance(value, list) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize("variant", ["dev", "prod", "prod-green-canary"])
def test_the_watched_settings_are_what_each_gpu_pool_receives(variant):
    """The ``gpuPools`` output (what preview compares with the last deployment) holds, for every
    GPU pool, exactly the values the node pool's inputs carry at INPUT_PATH, and each of those
    inputs replaces the pool or recreates its nodes."""
    run = variant_run(variant)
    watched = run.outputs["gpuPools"]
    pools = {
        r.name.removesuffix("-pool"): unwrap(r.inputs)
        for r in run.mocks.of_type(NODE_POOL)
        if "guestAccelerators" in r.inputs["nodeConfig"]
    }
    assert set(watched) == set(pools) and pools
    for name, inputs in pools.items():
        assert set(watched[name]) == set(INPUT_PATH)
        for setting, path in INPUT_PATH.items():
            assert _at(inputs, path) == watched[name][setting], (name, setting)
            assert effect(path) in (REPLACED, RECREATED)
    assert set(pools) == ({"gpu", "green"} if "green" in variant else {"gpu"})


def _previous(stack: str, **changed: Any) -> dict[str, Any]:
    """The outputs of a last deployment whose gpuPool had ``changed`` settings."""
    run = run_program(stack, _config(stack), ["nim-gke:ngcApiKey"])
    pools = json.loads(json.dumps(run.outputs["gpuPools"]))
    pools["gpu"].update(changed)
    return {"gpuPools": pools}


def _config(stack: str) -> dict[str, str]:
    return stack_config(stack, **{"nim-gke:ngcApiKey": FAKE_NGC_KEY})


def _warnings(stack: str, previous: dict[str, Any] | None, caplog: Any) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run = run_program(stack, _config(stack), ["nim-gke:ngcApiKey"], previous)
    (ref,) = run.mocks.of_type("pulumi:pulumi:StackReference")
    # The stack reads its own last outputs: <organization>/<project>/<stack>, under a component.
    assert ref.inputs["name"] == f"organization/nim-gke/{stack}"
    assert ref.name == "pool-changes-previous-deployment"
    (watch,) = run.mocks.of_type(WATCH_TYPE)
    assert watch.name == "pool-changes"
    return [r.getMessage() for r in caplog.records if "GPU node pool" in r.getMessage()]


def test_preview_warns_when_an_edit_replaces_a_gpu_pool(caplog):
    """prod's last deployment ran gpuPool on Spot; the stack file now says on-demand: a ForceNew
    field. (Floats, as outputs read back carry them, print as the stack file writes them.)"""
    previous = _previous("prod", spot=True, diskSizeGb=200.0)
    assert _warnings("prod", previous, caplog) == [
        "nim-gke:gpuPool.spot true -> false: replaces the GPU node pool 'gpu' (the provider cannot "
        "change this field in place: terraform-provider-google node_config.go, ForceNew). Pulumi "
        "creates the new pool before it deletes the old one, so both exist for a while, each up "
        "to maxNodes (2) nvidia-l4 nodes: the GPU quota must hold twice that. Every pod on the old "
        "pool is evicted when it goes and starts again on the new one (a cold start; "
        "docs/rollouts.md, 'The bound of each event'). `nimctl plan --diff` names the versions it "
        "takes down."
    ]


def test_preview_warns_when_an_edit_recreates_every_node(caplog):
    previous = _previous("dev", machineType="g2-standard-8", diskSizeGb=100.0)
    assert _warnings("dev", previous, caplog) == [
        'nim-gke:gpuPool.machineType "g2-standard-8" -> "g2-standard-4", '
        "nim-gke:gpuPool.diskSizeGb 100 -> 200: GKE recreates every node of the GPU node pool "
        "'gpu' (updated in place through nodePools.update, one surge node at a time): each pod on "
        "it is evicted and starts again (a cold start), so a version with one replica stops "
        "serving meanwhile (docs/rollouts.md, 'The bound of each event'). `nimctl plan --diff` "
        "names the versions it takes down."
    ]


def test_preview_says_nothing_on_a_first_deployment_or_an_unchanged_pool(caplog):
    assert _warnings("prod", None, caplog) == []
    assert _warnings("prod", _previous("prod"), caplog) == []
    # A pool the last deployment did not have (greenPool declared now) is created, not replaced.
    assert _warnings("prod", {"gpuPools": {}}, caplog) == []
