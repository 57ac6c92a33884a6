"""The rollout safety check of ``nimctl plan --diff`` with ComputeClasses: a release selects its
class (``cloud.google.com/compute-class``), and every node pool among the class's priorities
(``spec.priorities[].nodepools``, GKE docs: about-custom-compute-classes) is under it, a fallback
included. Shared helpers and findings: ``test_nimctl_plan_safety.py``.

- A replaced pool changes the class, not the release: nothing moves the pods, and GKE deletes a
  node pool without honouring PodDisruptionBudgets (GKE docs, concepts/node-pools, "Deleting node
  pools").
- A fallback runs the pods only after the priorities before it could not add a node, which a plan
  cannot see: a change there is a finding whose fix says how to check.
"""

from __future__ import annotations

import json
from typing import Any

from nimctl import plan
from nimctl.plan.diff_text import render_diff
from tests.nimctl.plan_stacks import edited
from tests.nimctl.test_nimctl_plan_safety import (
    CHECK_FALLBACK,
    FALLBACK,
    FALLBACK_KEY,
    NODE_POOL,
    POOL_FIX,
    POOL_KEY,
    PROD_DISK_CACHE,
    RECREATE_FIX,
    RECREATED_COST,
    RELEASE,
    TWO_REPLICAS,
    edit,
    found,
    kinds,
    words,
)

DRIVER = ("    driverVersion: LATEST\n", "    driverVersion: DEFAULT\n")
PROD_FALLBACK = "      - machineType: g2-standard-8 # on demand, same zones\n"
FALLBACK_MACHINE = (PROD_FALLBACK, "      - machineType: g2-standard-12\n")
FALLBACK_RESERVED = (PROD_FALLBACK, PROD_FALLBACK + "        reservation: l4-reserved\n")


def test_a_replaced_pool_takes_down_a_deployment_whose_pod_does_not_change(tmp_path):
    """gpuPool.driverVersion (ForceNew) on prod (over the shared cache): the release selects
    ComputeClass nim-gpu, so a new pool changes the class, not the release, and nothing surges.
    GKE deletes the old pool without honouring PodDisruptionBudgets (concepts/node-pools,
    "Deleting node pools"): the pod goes with it. (When the release selected the pool by name, a
    new pool changed its pod and the Deployment surged onto it.)"""
    d = edit(tmp_path, "prod", [], [DRIVER])
    change = (
        "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion: "
        '"LATEST" => "DEFAULT"'
    )
    not_moved = (
        "as a Deployment, 1 replica whose pod does not change in this update (it selects "
        "ComputeClass nim-gpu, not the pool: nothing moves it before GKE deletes the old pool, "
        "which honours no PodDisruptionBudget)"
    )
    assert found(d) == [
        {
            "kind": "pool-replaced",
            "resource": POOL_KEY,
            "type": NODE_POOL,
            "name": "gpu-pool",
            "reason": (
                f"node pool gpu-pool is replaced ({change}) while release llama3-8b-1-0-3 serves "
                f"100 % of llama3-8b's requests on it {not_moved}: its pods go with the old pool "
                "before new ones are Ready on the new pool, a cold start without a server"
            ),
            "fix": POOL_FIX,
        },
        {
            "kind": "pool-replaced",
            "resource": FALLBACK_KEY,
            "type": NODE_POOL,
            "name": "gpu-2-pool",
            "reason": (
                f"node pool gpu-2-pool is replaced ({change}) while release llama3-8b-1-0-3 "
                f"serves 100 % of llama3-8b's requests {FALLBACK} {not_moved}: any of its pods "
                "there go with the old pool before new ones are Ready on the new pool, a cold "
                "start without a server"
            ),
            "fix": CHECK_FALLBACK + POOL_FIX,
        },
    ]


def test_a_fallback_pool_replaced_alone_is_a_finding_the_plan_cannot_rule_out(tmp_path):
    """prod's fallback (gpu-2, priority 2 of nim-gpu) given a reservation (reservation_affinity is
    ForceNew): normally no pod runs there, but one does after a stock-out of priority 1, which the
    plan cannot see; the fix says how to check before acknowledging. gpuPool itself is
    untouched. prod's version is a Deployment, but nothing changes its pod: it does not surge."""
    d = edit(tmp_path, "prod", [], [FALLBACK_RESERVED])
    affinity = (
        'nodeConfig.reservationAffinity: (none) => {"consumeReservationType": '
        '"SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name", "values": '
        '["l4-reserved"]}'
    )
    assert found(d) == [
        {
            "kind": "pool-replaced",
            "resource": FALLBACK_KEY,
            "type": NODE_POOL,
            "name": "gpu-2-pool",
            "reason": (
                f"node pool gpu-2-pool is replaced ({affinity}) while release llama3-8b-1-0-3 "
                f"serves 100 % of llama3-8b's requests {FALLBACK} as a Deployment, 1 replica "
                "whose pod does not change in this update (it selects ComputeClass nim-gpu, not "
                "the pool: nothing moves it before GKE deletes the old pool, which honours no "
                "PodDisruptionBudget): any of its pods there go with the old pool before new ones "
                "are Ready on the new pool, a cold start without a server"
            ),
            "fix": CHECK_FALLBACK + POOL_FIX,
        }
    ]
    assert [(p["name"], p["computeClass"], p["priority"]) for p in d["safety"]["nodePools"]] == [
        ("gpu-2-pool", "nim-gpu", 2)
    ]


def test_a_fallback_pools_recreated_nodes_are_a_finding_unless_two_replicas(tmp_path):
    """prod's fallback on a g2-standard-12 (the same L4; machineType is updated in place, every
    node recreated): a one-replica version loses its pod if it runs there (a Deployment does not
    surge on an eviction); with two replicas and their disruption budget it keeps serving, and the
    pool is listed as its fallback."""
    d = edit(tmp_path / "one", "prod", [], [FALLBACK_MACHINE])
    shown = 'nodeConfig.machineType: "g2-standard-8" => "g2-standard-12"'
    assert found(d) == [
        {
            "kind": "nodes-recreated",
            "resource": FALLBACK_KEY,
            "type": NODE_POOL,
            "name": "gpu-2-pool",
            "reason": (
                f"every node of pool gpu-2-pool is recreated ({shown}) while release "
                f"llama3-8b-1-0-3 serves 100 % of llama3-8b's requests {FALLBACK} as a "
                "Deployment, 1 replica: if its pod runs there, GKE drains its node and the pod "
                "starts again on another, a cold start without a server"
            ),
            "fix": CHECK_FALLBACK + RECREATE_FIX,
        }
    ]
    d = edit(tmp_path / "two", "prod", [TWO_REPLICAS], [TWO_REPLICAS, FALLBACK_MACHINE])
    assert found(d) == []
    text = render_diff(d, "before.json")
    section = text[text.index("\nNode pools replaced, recreated or deleted by this edit:") :]
    assert words(section) == words(
        "Node pools replaced, recreated or deleted by this edit:\n"
        f"  ~ {NODE_POOL}  gpu-2-pool: recreated\n"
        f"      {shown}\n"
        f"      cost: {RECREATED_COST}\n"
        "      serving on it when their pods fall back to it (priority 2 of ComputeClass "
        "nim-gpu): llama3-8b-1-0-3 (100 % of llama3-8b's requests; Deployment, 2 replicas)\n"
    )


def _before_compute_classes(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as a plan made before ComputeClasses: no class, no fallback pool, and each release
    selecting its pool by name (and its GPU), as components/gpu_node_pool.py's node_selector did."""
    old = json.loads(json.dumps(doc))
    old["resources"] = [
        r for r in old["resources"] if "GpuComputeClass" not in r["urn"] and "gpu-2" not in r["urn"]
    ]
    for r in old["resources"]:
        if r["type"] == RELEASE:
            r["inputs"]["values"]["nodeSelector"] = {
                "cloud.google.com/gke-nodepool": "gpu-pool-a1b2c3",
                "cloud.google.com/gke-accelerator": "nvidia-l4",
            }
    return old


def test_a_plan_from_before_compute_classes_links_a_release_to_its_pool_by_name(tmp_path):
    """A release of a plan made before ComputeClasses selects its pool by name
    (``cloud.google.com/gke-nodepool``): a replaced gpuPool is still found under it. Its pod changes
    too (the selector becomes the class), so the one-replica StatefulSet (prod with a disk cache)
    restarts on its own."""
    before = edited(tmp_path / "before", "prod", *PROD_DISK_CACHE)
    base = _before_compute_classes(plan.plan(plan.stack_input(before)))
    after = edited(tmp_path / "after", "prod", *PROD_DISK_CACHE, DRIVER)
    head = plan.plan(plan.stack_input(after), base)
    d = plan.diff(base, head)
    change = (
        "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion: "
        '"LATEST" => "DEFAULT"'
    )
    assert found(d)[0]["reason"] == (
        f"node pool gpu-pool is replaced ({change}) while release llama3-8b-1-0-3 serves 100 % of "
        "llama3-8b's requests on it as a StatefulSet, 1 replica: its pods go with the old pool "
        "before new ones are Ready on the new pool, a cold start without a server"
    )
    assert kinds(d) == [
        ("pool-replaced", "gpu-pool"),
        ("pod-restart", "nim-llama3-8b-1-0-3-release"),
    ]
    assert [(p["name"], p["computeClass"], p["priority"]) for p in d["safety"]["nodePools"]] == [
        ("gpu-pool", None, None)
    ]
