"""The rollout safety check of ``nimctl plan --diff`` (``nimctl/plan/safety/``): each transition,
safe and unsafe, run as the real stack edits, with the exact finding.

What the check relies on, with its source (each test names the one it pins):

- Pulumi updates an HTTPRoute and deletes the removed backend's release seconds later; custom
  resources are ready at once unless asked (pulumi-kubernetes ``pulumi.com/waitFor``, v4.18.0+).
- Behind a Gateway a release waits for Ready pods (Helm ``--wait``: helm/helm pkg/kube/ready.go)
  and the route and the model's Service are created after it; without one it does not wait.
- The chart's StatefulSet replaces its pod by deleting it first; its Deployment rolls with
  Kubernetes' defaults, one surge pod and none unavailable for up to 3 replicas
  (kubernetes/kubernetes@277391ee713412cf75e4b46ad5d6e5ae9844abf1:
  pkg/controller/deployment/util/deployment_util.go, ResolveFenceposts).
- Node pool fields that replace the pool or recreate its nodes: terraform-provider-google
  v7.45.0 node_config.go (``nimgke/node_pool_changes.py``).
- NIM pods select their ComputeClass (``cloud.google.com/compute-class``), whose
  ``spec.priorities[].nodepools`` are the stack's pools (GKE docs, about-custom-compute-classes);
  GKE deletes a node pool without honouring PodDisruptionBudgets (GKE docs,
  concepts/node-pools, "Deleting node pools").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nimctl import plan
from nimctl.plan.diff_text import render_diff
from tests.nimctl.plan_stacks import (
    MODEL,
    canary,
    edited,
    stack_file,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "gcp:container/nodePool:NodePool"
SHARED = (
    "    serviceType: ClusterIP\n",
    "    serviceType: ClusterIP\n    sharedCache:\n      enabled: true\n",
)
"""dev over the shared cache (prod ships with it)."""
ONE_ZONE = ("    gpuCount: 1\n", "    gpuCount: 1\n    zones: [us-central1-a]\n")
NO_SHARED = (
    "      enabled: true                # one bucket every replica mounts, in both GPU zones: "
    "g2 takes\n",
    "      enabled: false\n",
)
PROD_DISK_CACHE = [ONE_ZONE, NO_SHARED]
"""prod with a disk per replica (the chart's StatefulSet): in one GPU zone, since g2 attaches no
regional disk."""
TWO_REPLICAS = (MODEL, MODEL + "        replicas: 2\n")
PROFILE = (MODEL, MODEL + '        profile: "my-profile"\n')
SPOT = ("    spot: false\n", "    spot: true\n")
DEV_ON_DEMAND = (
    "    spot: true                     # ~44% cheaper; nodes can be reclaimed with 30 s notice\n",
    "    spot: false\n",
)
MACHINE = ("    machineType: g2-standard-4\n", "    machineType: g2-standard-8\n")
DISK = ("    diskSizeGb: 200\n", "    diskSizeGb: 300\n")
PINNED = "8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d"
"""The catalog's L4 profile of llama3-8b-instruct 1.0.3 (nimgke/models.py)."""

REMOVED_REASON = (
    "release {release} still takes {weight} % of llama3-8b's requests and is removed in the same "
    "update that moves them: Pulumi changes the route (or the model's Service) and deletes the "
    "release seconds later, before the traffic has left it (nothing waits for the load balancer "
    "to be reprogrammed, nor for connections open to its pods), so requests in flight there, and "
    "new ones routed there meanwhile, fail"
)
REMOVED_FIX = (
    "set its weight to 0 first (one `pulumi up`) and remove it in a later update (the roll back "
    "of docs/rollouts.md, 'Walk-through (prod)'); a new tag for the model's own version goes out "
    "as a canary, promoted in two edits (the same walk-through)"
)
RESTART_FIX = (
    "give the model the shared cache (nim.sharedCache.enabled: its versions surge) or replicas: 2 "
    "first, or make the change a new version on greenPool (a canary with pool: green, moved to by "
    "weight) (docs/rollouts.md, 'Serving through changes')"
)
POOL_FIX = (
    "move the model first: declare the new machines as greenPool, run a version there and move "
    "the weight (docs/rollouts.md, 'Blue/green onto other machines'); replace the pool once "
    "nothing serves on it"
)


def release_key(release: str) -> str:
    return f"nim-gke:nim:NimRelease${RELEASE}::nim-{release}-release"


def removed(release: str, weight: int) -> dict[str, str]:
    """The finding of ``release`` removed while it takes ``weight`` % of llama3-8b."""
    return {
        "kind": "weighted-backend-removed",
        "resource": release_key(release),
        "type": RELEASE,
        "name": f"nim-{release}-release",
        "reason": REMOVED_REASON.format(release=release, weight=weight),
        "fix": REMOVED_FIX,
    }


POOL_KEY = f"nim-gke:gke:GpuNodePool${NODE_POOL}::gpu-pool"
FALLBACK_KEY = f"nim-gke:gke:GpuNodePool${NODE_POOL}::gpu-2-pool"
FALLBACK = (
    "through ComputeClass nim-gpu, whose priority 2 it is (a fallback: the pods run there only "
    "after the priorities before it could not add a node, which the plan cannot see)"
)
"""How a finding on prod's fallback pool says where the version serves."""
CHECK_FALLBACK = (
    "apply it while no pod of release llama3-8b-1-0-3 runs on node pool gpu-2-pool (`nimctl "
    "doctor --release llama3-8b-1-0-3` names the priority each pod got) and acknowledge this "
    "finding, or "
)
RECREATE_FIX = (
    "run a second replica while the nodes are recreated (replicas: 2: its PodDisruptionBudget "
    "lets a drain take one at a time), or move the model to greenPool first (docs/rollouts.md, "
    "'Blue/green onto other machines')"
)
REPLACED_COST = (
    "two pools until the old one is deleted: up to 2 nodes each (1 x nvidia-l4 per node), so "
    "twice the pool's GPU quota for a while; every pod on the old pool is evicted"
)
RECREATED_COST = (
    "one surge node at a time (1 x nvidia-l4 per node, quota for one more node); every pod on the "
    "pool is evicted once, node by node (up to 2 nodes)"
)


def words(text: str) -> str:
    """``text`` with its line breaks and runs of spaces as single spaces (the text wraps long
    reasons at 100 columns)."""
    return " ".join(text.split())


def found(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["safety"]["findings"]


def kinds(d: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["kind"], f["name"]) for f in found(d)]


def edit(tmp_path: Path, stack: str, before: list[Any], after: list[Any]) -> dict[str, Any]:
    """The diff of ``stack`` edited by ``after`` against it edited by ``before`` (the plan before
    standing for the last deployment, as ``nimctl plan --diff before.json`` has it)."""
    base_file = edited(tmp_path / "before", stack, *before) if before else stack_file(stack)
    base = plan.plan(plan.stack_input(base_file))
    head = plan.plan(plan.stack_input(edited(tmp_path / "after", stack, *after)), base)
    return plan.diff(base, head)


# --- the walk-throughs of docs/rollouts.md are safe by construction ----------------------------

WALK = [
    ("base", "w10"),  # 1. a canary at 10 %
    ("w10", "w50"),  # 2. 50 %
    ("w50", "w100"),  # 3a. 100 %
    ("w100", "promoted"),  # 3b. the model takes the tag, the canary block goes
    ("promoted", "shrunk"),  # 3c. maxNodes back to 2
    ("w10", "w0"),  # roll back, first edit: weight 0
    ("w0", "rolled-back"),  # roll back, second edit: the canary removed
]


@pytest.mark.parametrize(("before", "after"), WALK)
def test_every_step_of_the_walk_through_keeps_serving(walk, before, after):
    d = plan.diff(walk[before][1], walk[after][1])
    assert d["safety"] == {"findings": [], "nodePools": []}


def test_a_rollback_in_one_edit_is_named_with_its_resource_and_reason(walk, tmp_path, run_cli):
    """Removing the canary while it carries 10 %: Pulumi deletes its release seconds after it
    changes the route, and nothing waits for the load balancer (pulumi-kubernetes custom
    resources are ready at once without ``pulumi.com/waitFor``)."""
    d = plan.diff(walk["w10"][1], walk["rolled-back"][1])
    assert found(d) == [removed("llama3-8b-1-1-2", 10)]
    base = tmp_path / "before.json"
    base.write_text(json.dumps(walk["w10"][1]))
    code, out, err = run_cli(plan, "plan", str(walk["rolled-back"][0]), "--diff", str(base))
    assert (code, err) == (plan.EXIT_UNSAFE, "") and plan.EXIT_UNSAFE == 4
    section = out[out.index("\nRollout safety:") :]
    assert words(section) == words(
        "Rollout safety: 1 change would drop or fail requests (exit code 4):\n"
        "  ! a backend that carries weight is removed with its release (weighted-backend-removed)\n"
        f"      {RELEASE}  nim-llama3-8b-1-1-2-release\n"
        f"      {REMOVED_REASON.format(release='llama3-8b-1-1-2', weight=10)}\n"
        f"      fix: {REMOVED_FIX}\n"
    )
    assert max(len(line) for line in section.splitlines()) <= 100  # wrapped
    code, out, _ = run_cli(plan, "plan", str(walk["rolled-back"][0]), "--diff", str(base), "--json")
    assert code == 4 and json.loads(out)["safety"] == d["safety"]
    # Both edits of the two-step rollback exit 0.
    base.write_text(json.dumps(walk["w0"][1]))
    code, out, _ = run_cli(plan, "plan", str(walk["rolled-back"][0]), "--diff", str(base))
    assert code == 0
    assert out.endswith("\nRollout safety: no change drops or fails requests.\n")


GREEN = ["base", "green10", "green100", "on-green", "drained", "reshaped"]


@pytest.mark.parametrize(("before", "after"), list(zip(GREEN, GREEN[1:], strict=False)))
def test_every_step_of_the_green_pool_walk_through_keeps_serving(green, before, after):
    """greenPool declared with the canary on it, 100 %, the model promoted onto it, gpuPool
    drained, and the empty gpuPool reshaped: none drops a request. Reshaping recreates gpuPool's
    nodes (machine type: nodePools.update), which the diff lists with nothing serving on it."""
    d = plan.diff(green[before][1], green[after][1])
    assert found(d) == []
    if after != "reshaped":
        assert d["safety"]["nodePools"] == []
        return
    assert d["safety"]["nodePools"] == [
        {
            "resource": POOL_KEY,
            "name": "gpu-pool",
            "effect": "recreated",
            "changes": ['nodeConfig.machineType: "g2-standard-4" => "g2-standard-8"'],
            "cost": RECREATED_COST,
            "versions": [],
            "computeClass": "nim-gpu",  # gpuPool's class, which no version selects any more
            "priority": 1,
        }
    ]
    text = render_diff(d, "before.json")
    section = text[text.index("\nRollout safety:") :]
    assert section.startswith(
        "\nRollout safety: no change drops or fails requests.\n\n"
        "Node pools replaced, recreated or deleted by this edit:\n"
        f"  ~ {NODE_POOL}  gpu-pool: recreated\n"
        '      nodeConfig.machineType: "g2-standard-4" => "g2-standard-8"\n'
        "      cost: "
    )
    assert words(section).endswith(
        words(
            "cost: one surge node at a time (1 x nvidia-l4 per node, quota for one more node); "
            "every pod on the pool is evicted once, node by node (up to 2 nodes) "
            "serving on it: no version"
        )
    )


# --- weight --------------------------------------------------------------------------------------


def test_a_new_tag_in_place_removes_the_serving_version_with_its_weight(tmp_path):
    """prod, `tag: "1.1.2"` edited in place: a new release (behind the Gateway it waits for Ready
    pods, and the route waits for it: no weight-before-ready), and the old one, with 100 %, goes
    in the same update."""
    d = edit(tmp_path, "prod", [], [('tag: "1.0.3"', 'tag: "1.1.2"')])
    assert found(d) == [removed("llama3-8b-1-0-3", 100)]


def test_without_a_gateway_weight_on_a_new_release_comes_before_its_pod(tmp_path):
    """dev (no Gateway: the release does not wait, skipAwait): a canary at 100 % in the edit
    that creates it switches the model's Service to a pod still starting; a new tag in place does
    that and removes the serving version."""
    reason = (
        "release llama3-8b-1-1-2 gets 100 % of llama3-8b's requests in the update that creates it, "
        "and nothing waits for its pod to be Ready (without a Gateway the release does not wait): "
        "those requests fail until it has started (a cold start, docs/startup.md)"
    )
    fix = (
        "create it at weight 0, and give it its weight in a later update once `nimctl doctor "
        "--release llama3-8b-1-1-2` finds it ready"
    )
    d = edit(tmp_path / "canary", "dev", [], [(MODEL, MODEL + canary(100))])
    assert found(d) == [
        {
            "kind": "weight-before-ready",
            "resource": release_key("llama3-8b-1-1-2"),
            "type": RELEASE,
            "name": "nim-llama3-8b-1-1-2-release",
            "reason": reason,
            "fix": fix,
        }
    ]
    d = edit(tmp_path / "tag", "dev", [], [('tag: "1.0.3"', 'tag: "1.1.2"')])
    assert kinds(d) == [
        ("weight-before-ready", "nim-llama3-8b-1-1-2-release"),
        ("weighted-backend-removed", "nim-llama3-8b-1-0-3-release"),
    ]
    # The same in two edits: the canary on standby at 0, then 100 once it is ready.
    d = edit(
        tmp_path / "standby", "dev", [(MODEL, MODEL + canary(0))], [(MODEL, MODEL + canary(100))]
    )
    assert found(d) == []


CANARY_PROFILE = '          profile: "my-profile"\n'
STANDBY = (MODEL, MODEL + canary(0))


def test_weight_moved_onto_a_standby_whose_pod_restarts_in_the_same_edit(tmp_path):
    """dev (no Gateway: skipAwait, the model's Service switches its selector at once): the canary
    on standby goes from weight 0 to 100 in the edit that sets its profile. Its one-replica
    StatefulSet deletes its pod before the new one starts (the chart sets no update strategy:
    Kubernetes' RollingUpdate of a StatefulSet replaces a pod by deleting it first), so the
    model's requests go to a pod that is not there for a cold start."""
    d = edit(tmp_path / "one", "dev", [STANDBY], [(MODEL, MODEL + canary(100) + CANARY_PROFILE)])
    profile = 'values.env[0]: (none) => {"name": "NIM_MODEL_PROFILE", "value": "my-profile"}'
    assert found(d) == [
        {
            "kind": "weight-before-ready",
            "resource": release_key("llama3-8b-1-1-2"),
            "type": RELEASE,
            "name": "nim-llama3-8b-1-1-2-release",
            "reason": (
                "release llama3-8b-1-1-2 gets 100 % of llama3-8b's requests (it had none) in the "
                f"update that changes its pod ({profile}) and runs as a StatefulSet, 1 replica "
                "while awake (0 asleep): the pod is deleted before its replacement starts, so its "
                "share of requests fails for a cold start (docs/startup.md: minutes, up to the "
                "startup budget of ~31 min); nothing waits for the new pod (without a Gateway the "
                "release does not wait), and the model's Service switches to the version at once"
            ),
            "fix": (
                "change its pod at weight 0 first, and give it its weight in a later update once "
                "`nimctl doctor --release llama3-8b-1-1-2` finds it ready"
            ),
        }
    ]
    # In two edits: the profile at weight 0 (nothing serves there), then the weight.
    at_zero = (MODEL, MODEL + canary(0) + CANARY_PROFILE)
    assert found(edit(tmp_path / "two-a", "dev", [STANDBY], [at_zero])) == []
    after = [(MODEL, MODEL + canary(100) + CANARY_PROFILE)]
    assert found(edit(tmp_path / "two-b", "dev", [at_zero], after)) == []


@pytest.mark.parametrize(
    ("stack", "setting", "extra"),
    [
        ("dev", "shared cache: the standby is a Deployment that surges", [SHARED]),
        ("prod", "behind the Gateway the release waits and the route follows it",
         [("    maxNodes: 2\n", "    maxNodes: 4\n")]),
    ],
)  # fmt: skip
def test_weight_onto_a_restarting_pod_is_safe_when_it_surges_or_is_awaited(
    tmp_path, stack, setting, extra
):
    """A Deployment keeps its old pod until the new one is Ready (ResolveFenceposts: one surge
    pod, none unavailable); behind a Gateway Helm waits for Ready pods and the HTTPRoute, which
    depends on the release, changes its weights after it (components/gateway.py)."""
    after = [*extra, (MODEL, MODEL + canary(100) + CANARY_PROFILE)]
    d = edit(tmp_path, stack, [*extra, STANDBY], after)
    assert release_key("llama3-8b-1-1-2") in [c["resource"] for c in d["resources"]]
    assert found(d) == [], setting


# --- the pod of a serving version ------------------------------------------------------------


def test_a_pod_change_of_a_one_replica_statefulset_is_a_restart(tmp_path):
    """A profile set on prod's model (a disk per replica: the chart's StatefulSet, which deletes
    its one pod before the new one starts)."""
    d = edit(tmp_path, "prod", PROD_DISK_CACHE, [*PROD_DISK_CACHE, PROFILE])
    assert found(d) == [
        {
            "kind": "pod-restart",
            "resource": release_key("llama3-8b-1-0-3"),
            "type": RELEASE,
            "name": "nim-llama3-8b-1-0-3-release",
            "reason": (
                "release llama3-8b-1-0-3, which takes 100 % of llama3-8b's requests, changes its "
                f'pod (values.env[0].value: "{PINNED}" => "my-profile") and runs as a '
                "StatefulSet, 1 replica: the pod is deleted before its replacement starts, so its "
                "share of requests fails for a cold start (docs/startup.md: minutes, up to the "
                "startup budget of ~31 min)"
            ),
            "fix": RESTART_FIX,
        }
    ]


@pytest.mark.parametrize(
    ("setting", "before"),
    [
        ("shared cache: a Deployment that surges", []),
        ("two replicas", [*PROD_DISK_CACHE, TWO_REPLICAS]),
    ],
)
def test_a_pod_change_keeps_serving_with_a_surge_or_a_second_replica(tmp_path, setting, before):
    """Over the shared cache the version is a Deployment: one surge pod, none unavailable
    (ResolveFenceposts); a StatefulSet of two replicas replaces one pod at a time."""
    d = edit(tmp_path, "prod", before, [*before, PROFILE])
    assert [c["resource"] for c in d["resources"]] == [release_key("llama3-8b-1-0-3")]
    assert found(d) == [], setting


def test_a_change_that_is_not_the_pods_restarts_nothing(tmp_path):
    """The HPA's target (values.autoscaling) changes no pod template."""
    target = ("      targetAverage: 10\n", "      targetAverage: 20\n")
    d = edit(tmp_path, "prod", [], [target])
    release = [r for r in d["resources"] if r["type"] == RELEASE]
    assert [c["path"] for c in release[0]["changes"]] == [
        "values.autoscaling.metrics[0].external.target.averageValue"
    ]
    assert found(d) == []


def test_switching_the_cache_replaces_the_workload_and_restarts_the_version(tmp_path):
    """nim.sharedCache.enabled turned on: the chart renders a Deployment instead of the
    StatefulSet, and Helm deletes the StatefulSet and its pod as it creates the Deployment."""
    (finding,) = found(edit(tmp_path, "prod", PROD_DISK_CACHE, [ONE_ZONE]))
    assert finding["kind"] == "pod-restart"
    assert finding["reason"].startswith(
        "release llama3-8b-1-0-3, which takes 100 % of llama3-8b's requests, changes from a "
        'StatefulSet to a Deployment (values.persistence.accessMode: "ReadWriteOnce" => '
        '"ReadWriteMany", values.persistence.existingClaim: (none) => '
        '"llama3-8b-1-0-3-model-cache", '
    )
    assert finding["reason"].endswith(
        " (+2 more)): Helm deletes the StatefulSet and its pods as it creates the Deployment, "
        "whose pods then start cold while the model's share still goes there"
    )
    assert finding["fix"] == (
        "the cache is the stack's: no edit switches it without this restart; switch it when the "
        "model may be down for a cold start, and acknowledge this finding"
    )


# --- GPU node pools ----------------------------------------------------------------------------


def test_a_replaced_pool_under_a_one_replica_statefulset_drops_the_version(tmp_path):
    """gpuPool.spot: a ForceNew field (terraform-provider-google v7.45.0 node_config.go): a new
    pool, and a new fallback pool too, which takes spot from its pool (prod's fallback states only
    its machine). The release's pod also changes (the Spot toleration), a restart of its own."""
    d = edit(tmp_path, "prod", PROD_DISK_CACHE, [*PROD_DISK_CACHE, SPOT])
    assert found(d)[0] == {
        "kind": "pool-replaced",
        "resource": POOL_KEY,
        "type": NODE_POOL,
        "name": "gpu-pool",
        "reason": (
            "node pool gpu-pool is replaced (nodeConfig.spot: false => true) while release "
            "llama3-8b-1-0-3 serves 100 % of llama3-8b's requests on it as a StatefulSet, 1 "
            "replica: its pods go with the old pool before new ones are Ready on the new pool, a "
            "cold start without a server"
        ),
        "fix": POOL_FIX,
    }
    assert found(d)[1] == {
        "kind": "pool-replaced",
        "resource": FALLBACK_KEY,
        "type": NODE_POOL,
        "name": "gpu-2-pool",
        "reason": (
            "node pool gpu-2-pool is replaced (nodeConfig.spot: false => true) while release "
            f"llama3-8b-1-0-3 serves 100 % of llama3-8b's requests {FALLBACK} as a StatefulSet, "
            "1 replica: any of its pods there go with the old pool before new ones are Ready on "
            "the new pool, a cold start without a server"
        ),
        "fix": CHECK_FALLBACK + POOL_FIX,
    }
    assert kinds(d)[2:] == [("pod-restart", "nim-llama3-8b-1-0-3-release")]
    serving = ["llama3-8b-1-0-3 (100 % of llama3-8b's requests; StatefulSet, 1 replica)"]
    assert d["safety"]["nodePools"] == [
        {
            "resource": key,
            "name": name,
            "effect": "replaced",
            "changes": ["nodeConfig.spot: false => true"],
            "cost": REPLACED_COST,
            "versions": serving,
            "computeClass": "nim-gpu",
            "priority": priority,
        }
        for key, name, priority in ((POOL_KEY, "gpu-pool", 1), (FALLBACK_KEY, "gpu-2-pool", 2))
    ]


def test_a_replaced_pool_keeps_serving_a_deployment_whose_release_waits(tmp_path):
    """prod over the shared cache: the same edit changes the release's pod (the Spot toleration),
    so the Deployment surges; its new pod can only go where the ComputeClass now points (the new
    pools: the old pool's one GPU node is taken), Helm waits until it is Ready, and Pulumi deletes
    the old pools last: listed, no finding. dev's release does not wait: the old pool goes while
    the new pod starts."""
    d = edit(tmp_path / "prod", "prod", [], [SPOT])
    assert found(d) == []
    assert [(p["name"], p["effect"], p["priority"]) for p in d["safety"]["nodePools"]] == [
        ("gpu-pool", "replaced", 1),
        ("gpu-2-pool", "replaced", 2),  # the fallback takes spot from its pool
    ]
    for pool in d["safety"]["nodePools"]:
        assert pool["versions"] == [
            "llama3-8b-1-0-3 (100 % of llama3-8b's requests; Deployment, 1 replica)"
        ]
    d = edit(tmp_path / "dev", "dev", [SHARED], [SHARED, DEV_ON_DEMAND])
    assert found(d)[0]["reason"] == (
        "node pool gpu-pool is replaced (nodeConfig.spot: true => false) while release "
        "llama3-8b-1-0-3 serves 100 % of llama3-8b's requests on it as a Deployment, 1 replica "
        "while awake (0 asleep) whose release does not wait for Ready pods: its pods go with the "
        "old pool before new ones are Ready on the new pool, a cold start without a server"
    )


@pytest.mark.parametrize(
    ("change", "shown"),
    [(MACHINE, 'nodeConfig.machineType: "g2-standard-4" => "g2-standard-8"'),
     (DISK, "nodeConfig.diskSizeGb: 200 => 300")],
)  # fmt: skip
def test_recreated_nodes_drop_a_one_replica_version(tmp_path, change, shown):
    """machineType and diskSizeGb are updated in place (nodePools.update since provider v5.10.0),
    and GKE recreates every node: the pod is evicted, and a Deployment does not surge on an
    eviction."""
    d = edit(tmp_path, "prod", [], [change])
    assert found(d)[0] == {
        "kind": "nodes-recreated",
        "resource": POOL_KEY,
        "type": NODE_POOL,
        "name": "gpu-pool",
        "reason": (
            f"every node of pool gpu-pool is recreated ({shown}) while release llama3-8b-1-0-3 "
            "serves 100 % of llama3-8b's requests on it as a Deployment, 1 replica: GKE drains its "
            "node and the pod starts again on another, a cold start without a server"
        ),
        "fix": RECREATE_FIX,
    }


def test_recreated_nodes_keep_serving_a_version_of_two_replicas(tmp_path):
    """gpuPool.diskSizeGb is the pool's for every priority: both pools' nodes are recreated, and
    both list the version (the second as its fallback)."""
    d = edit(
        tmp_path, "prod", [*PROD_DISK_CACHE, TWO_REPLICAS], [*PROD_DISK_CACHE, TWO_REPLICAS, DISK]
    )
    assert found(d) == []
    assert [(p["name"], p["priority"]) for p in d["safety"]["nodePools"]] == [
        ("gpu-pool", 1),
        ("gpu-2-pool", 2),
    ]
    for pool in d["safety"]["nodePools"]:
        assert pool["versions"] == [
            "llama3-8b-1-0-3 (100 % of llama3-8b's requests; StatefulSet, 2 replicas)"
        ]


def test_two_stacks_compared_are_not_a_rollout(run_cli):
    code, out, _ = run_cli(plan, "plan", "prod", "--diff", "dev", "--json")
    assert code == 0 and json.loads(out)["safety"] is None
    code, out, _ = run_cli(plan, "plan", "prod", "--diff", "dev")
    # No findings and no pools: one line saying the check did not run, and why.
    (line,) = [x for x in out.splitlines() if x.startswith("Rollout safety")]
    assert line.startswith("Rollout safety: not checked: stack 'prod' is compared with another")
    assert code == 0


def test_every_node_pool_is_watched_not_only_the_gpu_pool(tmp_path):
    """The check reads every node pool of the plan: the system pool's machine type recreates its
    nodes (listed), and no model version runs there (no finding)."""
    d = edit(
        tmp_path,
        "dev",
        [],
        [("      machineType: e2-standard-2\n", "      machineType: e2-standard-4\n")],
    )
    assert found(d) == []
    (pool,) = d["safety"]["nodePools"]
    assert (pool["name"], pool["effect"], pool["versions"]) == ("cluster-system", "recreated", [])
    assert pool["changes"] == ['nodeConfig.machineType: "e2-standard-2" => "e2-standard-4"']
