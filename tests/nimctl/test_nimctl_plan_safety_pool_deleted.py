"""The rollout safety check of ``nimctl plan --diff`` for a GPU node pool the edit deletes: a
``gpuPool.fallbacks`` entry or greenPool removed from the stack file. Pulumi deletes the pool last
in the update, and "PodDisruptionBudget settings are not honored during node pool deletion": GKE
drains every node of it at once (cloud.google.com/kubernetes-engine/docs/concepts/node-pools,
"Deleting node pools"; cloud.google.com/sdk/gcloud/reference/container/node-pools/delete). The
diff shows the pool as a removed resource, whose effect no input path gives
(``nimgke.node_pool_changes.pool_effect``): the check reads the removal itself. Shared helpers:
``test_nimctl_plan_safety.py``.
"""

from __future__ import annotations

import json

from nimctl import plan
from tests.nimctl.plan_stacks import GREEN_POOL, MODEL, NIM, green_canary, green_pool, stack_file
from tests.nimctl.test_nimctl_plan_safety import (
    FALLBACK,
    FALLBACK_KEY,
    NODE_POOL,
    edit,
    found,
    words,
)

DEV_FALLBACK = (
    "    fallbacks:\n      - spot: false                # on-demand g2-standard-4, same zone\n",
    "",
)
PROD_FALLBACK = (
    "    fallbacks:\n      - machineType: g2-standard-8 # on demand, same zones\n",
    "",
)
DELETE_FIX = (
    "move the model off it first: its weight to a version on another pool, or the version's "
    "`pool`, in an earlier update (docs/rollouts.md, 'Blue/green onto other machines'); delete "
    "the pool once nothing serves on it"
)
CHECK_FALLBACK = (
    "apply it while no pod of release llama3-8b-1-0-3 runs on node pool gpu-2-pool (`nimctl "
    "doctor --release llama3-8b-1-0-3` names the priority each pod got) and acknowledge this "
    "finding, or "
)
DELETED_COST = (
    "its nodes (up to 2, 1 x nvidia-l4 per node) are drained all at once and deleted: every pod "
    "on it is evicted, PodDisruptionBudgets or not; its GPU quota is freed"
)
GREEN_KEY = f"nim-gke:gke:GpuNodePool${NODE_POOL}::green-pool"


def test_removing_devs_fallback_deletes_a_pool_under_its_serving_version(tmp_path, run_cli):
    """dev's `gpuPool.fallbacks` entry (the on-demand priority 2 of ComputeClass nim-gpu) removed:
    if its pod fell back there (a Spot stock-out), the pool's deletion takes it, and dev's release
    does not wait. Reproduced as a user would: `nimctl plan dev --json > before.json`, edit,
    `nimctl plan <edited> --diff before.json` exits 4."""
    d = edit(tmp_path / "diff", "dev", [], [DEV_FALLBACK])
    assert found(d) == [
        {
            "kind": "pool-deleted",
            "resource": FALLBACK_KEY,
            "type": NODE_POOL,
            "name": "gpu-2-pool",
            "reason": (
                "node pool gpu-2-pool is deleted while release llama3-8b-1-0-3 serves 100 % of "
                f"llama3-8b's requests {FALLBACK} as a StatefulSet, 1 replica while awake (0 "
                "asleep) whose release does not wait for Ready pods: GKE drains every node of the "
                "pool at once when Pulumi deletes it (last in the update), without honouring "
                "PodDisruptionBudgets, so any of its pods there stop before new ones are Ready "
                "elsewhere, a cold start without a server"
            ),
            "fix": CHECK_FALLBACK + DELETE_FIX,
        }
    ]
    assert d["safety"]["nodePools"] == [
        {
            "resource": FALLBACK_KEY,
            "name": "gpu-2-pool",
            "effect": "deleted",
            "changes": [],
            "cost": DELETED_COST,
            "versions": [
                "llama3-8b-1-0-3 (100 % of llama3-8b's requests; StatefulSet, 1 replica while "
                "awake (0 asleep))"
            ],
            "computeClass": "nim-gpu",
            "priority": 2,
        }
    ]
    base = tmp_path / "before.json"
    base.write_text(json.dumps(plan.plan(plan.stack_input(stack_file("dev")))))
    edited = tmp_path / "diff" / "after" / "Pulumi.dev.yaml"
    code, out, err = run_cli(plan, "plan", str(edited), "--diff", str(base))
    assert (code, err) == (plan.EXIT_UNSAFE, "")
    section = out[out.index("\nRollout safety:") :]
    assert "! a GPU node pool is deleted under a serving version (pool-deleted)" in section
    assert words(section).endswith(
        words(
            "Node pools replaced, recreated or deleted by this edit:\n"
            f"  - {NODE_POOL}  gpu-2-pool: deleted\n"
            f"      cost: {DELETED_COST}\n"
            "      serving on it when their pods fall back to it (priority 2 of ComputeClass "
            "nim-gpu): llama3-8b-1-0-3 (100 % of llama3-8b's requests; StatefulSet, 1 replica "
            "while awake (0 asleep))\n"
        )
    )
    assert max(len(line) for line in section.splitlines()) <= 100


def test_removing_prods_fallback_is_a_finding_though_its_release_waits(tmp_path):
    """prod's version is a Deployment whose release waits (Gateway), but nothing changes its pod
    in this edit: nothing moves it off the fallback before GKE deletes the pool."""
    d = edit(tmp_path, "prod", [], [PROD_FALLBACK])
    (finding,) = found(d)
    assert (finding["kind"], finding["name"]) == ("pool-deleted", "gpu-2-pool")
    assert finding["reason"] == (
        f"node pool gpu-2-pool is deleted while release llama3-8b-1-0-3 serves 100 % of "
        f"llama3-8b's requests {FALLBACK} as a Deployment, 1 replica whose pod does not change in "
        "this update (it selects ComputeClass nim-gpu, not the pool: nothing moves it before GKE "
        "deletes the pool): GKE drains every node of the pool at once when Pulumi deletes it "
        "(last in the update), without honouring PodDisruptionBudgets, so any of its pods there "
        "stop before new ones are Ready elsewhere, a cold start without a server"
    )
    assert finding["fix"] == CHECK_FALLBACK + DELETE_FIX


ON_GREEN = (MODEL, MODEL + "        pool: green\n")
WITH_GREEN = (NIM, green_pool(1, "true") + NIM)


def test_greenpool_removed_once_nothing_serves_on_it_is_listed_not_found(tmp_path):
    """The end of a blue/green: the canary on greenPool at weight 0 removed with greenPool. The
    pool's deletion is listed (its cost), with no version on it: no finding."""
    standby = (MODEL, MODEL + green_canary(0))
    d = edit(tmp_path, "prod", [(NIM, green_pool() + NIM), standby], [])
    assert found(d) == []
    (pool,) = [p for p in d["safety"]["nodePools"] if p["resource"] == GREEN_KEY]
    assert (pool["effect"], pool["versions"], pool["computeClass"], pool["priority"]) == (
        "deleted",
        [],
        "nim-green",
        1,
    )


def test_a_deleted_fallback_keeps_serving_a_deployment_that_surges_in_the_same_edit(tmp_path):
    """prod's fallback removed in the edit that also sets the model's profile: its Deployment
    surges (ResolveFenceposts: one surge pod, none unavailable), its new pod goes where the class
    now points (priority 1 only), and Helm waits for it (Gateway) before Pulumi deletes the pool,
    last in the update. Listed, no finding."""
    profile = (MODEL, MODEL + '        profile: "my-profile"\n')
    d = edit(tmp_path, "prod", [], [PROD_FALLBACK, profile])
    assert found(d) == []
    assert [(p["name"], p["effect"]) for p in d["safety"]["nodePools"]] == [
        ("gpu-2-pool", "deleted")
    ]


def test_greenpool_removed_with_the_version_on_it_is_the_versions_removal(tmp_path):
    """The model on greenPool (release llama3-8b-1-0-3-green) moved back to gpuPool in the edit
    that removes greenPool: the version on greenPool is removed with its weight, which is its own
    finding (weighted-backend-removed); the pool's deletion lists it and adds no second one."""
    assert GREEN_POOL.startswith("  nim-gke:greenPool:\n")
    d = edit(tmp_path, "prod", [WITH_GREEN, ON_GREEN], [])
    assert [(f["kind"], f["name"]) for f in found(d)] == [
        ("weighted-backend-removed", "nim-llama3-8b-1-0-3-green-release")
    ]
    (pool,) = [p for p in d["safety"]["nodePools"] if p["resource"] == GREEN_KEY]
    assert (pool["effect"], pool["versions"]) == (
        "deleted",
        ["llama3-8b-1-0-3-green (100 % of llama3-8b's requests; Deployment, 1 replica)"],
    )
