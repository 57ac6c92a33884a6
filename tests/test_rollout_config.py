"""Rollouts: a model's versions (main and canary), their pools, names and traffic shares.

The single-setting rules are rows of ``test_config_validation.py``'s table; these are the rules and
resolutions that need two settings at once (a canary on greenPool, HPA and a canary), and the
promotion invariant: the canary at weight 100 and the promoted model are the same release with the
same values, so the promoting edit restarts nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components import cluster_network
from nimgke.config import ConfigError, parse
from nimgke.config.check_rollout import CLUSTER_RANGES
from nimgke.config.versions import (
    Version,
    chart_fullname,
    stable_target,
    tag_slug,
    version_release,
    versions,
)
from nimgke.helm_values import ReleaseValues, build_values
from tests.test_config_validation import ROOMY, raw_stack

CANARY = {"tag": "1.1.2", "weight": 10}
GREEN = {
    "machineType": "g2-standard-8",
    "gpuType": "nvidia-l4",
    "gpuCount": 1,
    "minNodes": 0,
    "maxNodes": 2,
    "driverVersion": "LATEST",
}


def stack(name: str = ROOMY, **changes: Any) -> dict[str, Any]:
    """prod (with room for a canary beside the model unless ``name`` says otherwise), changed."""
    raw = raw_stack(name)
    model = raw["nim-gke:nim"]["models"][0]
    for key, value in changes.items():
        if key == "green":
            raw["nim-gke:greenPool"] = value
        elif key == "hpa":
            raw["nim-gke:monitoring"]["hpa"].update(value)
        else:
            model[key] = value
    return raw


def problems(raw: dict[str, Any], name: str = "prod") -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse(name, raw, (True, True))
    return [str(p) for p in err.value.problems]


def of(raw: dict[str, Any], name: str = "prod") -> list[Version]:
    return versions(parse(name, raw, (True, True)))


def test_names_follow_the_chart_and_the_tag():
    assert tag_slug("1.1.2") == "1-1-2"
    assert tag_slug("1.0.3_RC1") == "1-0-3-rc1"
    assert version_release("llama3-8b", "1.1.2", "gpu") == "llama3-8b-1-1-2"
    assert version_release("llama3-8b", "1.1.2", "green") == "llama3-8b-1-1-2-green"
    # nim-llm.fullname (templates/_helpers.tpl): the release alone when it contains the chart name
    assert chart_fullname("llama3-8b-1-1-2") == "llama3-8b-1-1-2-nim-llm"
    assert chart_fullname("my-nim-llm-1-0-3") == "my-nim-llm-1-0-3"


def test_a_canary_is_a_second_release_with_its_share_of_the_traffic():
    main, canary = of(stack(canary=CANARY))
    assert (main.role, main.release, main.pool, main.weight) == (
        "main",
        "llama3-8b-1-0-3",
        "gpu",
        90,
    )
    assert (canary.role, canary.release, canary.pool, canary.weight) == (
        "canary",
        "llama3-8b-1-1-2",
        "gpu",
        10,
    )
    assert main.weight + canary.weight == 100
    assert canary.service == "llama3-8b-1-1-2-nim-llm"
    # The canary keeps the model's other settings.
    assert (canary.plan.image, canary.plan.cache_size, canary.plan.cpu, canary.plan.memory) == (
        main.plan.image,
        main.plan.cache_size,
        main.plan.cpu,
        main.plan.memory,
    )
    assert canary.plan.tag == "1.1.2"
    assert stable_target([main, canary]) is main


def test_at_weight_100_the_stable_service_follows_the_canary():
    main, canary = of(stack(canary={**CANARY, "weight": 100}))
    assert (main.weight, canary.weight) == (0, 100)
    assert stable_target([main, canary]) is canary


def _values(v: Version) -> dict[str, Any]:
    p = v.plan
    return build_values(
        ReleaseValues(
            model_name=p.name,
            image=p.image,
            tag=p.tag,
            pull_secret="ngc-registry",
            api_secret="ngc-api",
            gpu_count=1,
            cpu=p.cpu,
            memory=p.memory,
            node_selector={},
            cache_size=p.cache_size,
            storage_class="premium-rwo",
            replicas=p.replicas,
            profile=p.profile,
        )
    )


@pytest.mark.parametrize(
    "canary",
    [
        pytest.param({"tag": "1.1.2", "weight": 100}, id="same-pool"),
        pytest.param(
            {"tag": "1.1.2", "weight": 100, "pool": "green", "replicas": 1, "profile": "vllm-bf16"},
            id="green-pool-with-profile",
        ),
    ],
)
def test_promotion_restarts_nothing(canary: dict[str, Any]):
    """Step (a) canary.weight 100, step (b) the canary's settings become the model's and the block
    goes: the release that then serves is the same release, with the same values."""
    before = stack(canary=canary, green=GREEN)
    promoted = {k: v for k, v in canary.items() if k != "weight"}
    after = stack(green=GREEN, **promoted)  # the canary block is gone
    assert "canary" not in after["nim-gke:nim"]["models"][0]
    (_, serving), (now,) = of(before), of(after)
    assert now.release == serving.release
    assert now.plan == serving.plan
    assert _values(now) == _values(serving)
    assert (serving.weight, now.weight) == (100, 100)


def test_a_model_on_green_gets_the_green_machines_defaults():
    (main,) = of(stack(pool="green", green=GREEN))
    assert (main.release, main.pool) == ("llama3-8b-1-0-3-green", "green")
    # g2-standard-8: 7 vCPU and 27Gi left after GKE's reservations (g2-standard-4: 3 and 12Gi)
    assert (main.plan.cpu, main.plan.memory) == ("7", "27Gi")


def test_a_canary_that_does_not_fit_its_pool_names_the_pool():
    t4 = {**GREEN, "machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4"}
    found = problems(stack(canary={**CANARY, "pool": "green"}, green=t4))
    assert found == [
        "nim-gke:nim.models[0].canary.pool = 'green': on this pool, nim.models[0].name = "
        "'meta/llama3-8b-instruct': needs about 19.3 GB of GPU memory (bf16, weights + 20% KV "
        "cache, an estimate) but a n1-standard-8 node has 1 x 16 GB = 16 GB. Fix: use a machine "
        "with more GPU memory (g2-standard-4, g2-standard-8, g2-standard-12, g2-standard-16), or "
        "serve it at fp8 (set precision: fp8 and pin a matching profile)"
    ]


def test_the_green_pool_must_hold_its_versions():
    found = problems(
        stack(canary={**CANARY, "pool": "green", "replicas": 2}, green={**GREEN, "maxNodes": 1})
    )
    assert found == [
        "nim-gke:greenPool.maxNodes = 1: the versions on pool green run 2 replicas (up to "
        "hpa.maxReplicas each), one GPU node each (llama3-8b-1-1-2-green: 2), so one of them "
        "could never schedule. Fix: set maxNodes: 2 or more, or run the canary on another pool, "
        "or lower monitoring.hpa.maxReplicas"
    ]


def test_headroom_counts_each_versions_autoscaler_maximum():
    # prod as shipped: maxNodes 2, hpa.maxReplicas 2: the model alone fits (check_nim), the
    # canary does not, and fewer canary replicas would not help (its HPA scales to 2 anyway).
    assert of(stack("prod", hpa={"enabled": True}))
    found = problems(stack("prod", canary={**CANARY, "replicas": 1}, hpa={"enabled": True}))
    assert found == [
        "nim-gke:gpuPool.maxNodes = 2: the versions on pool gpu run 4 replicas (up to "
        "hpa.maxReplicas each), one GPU node each (llama3-8b-1-0-3: 2, llama3-8b-1-1-2: 2), so one "
        "of them could never schedule. Fix: set maxNodes: 4 or more, or run the canary on another "
        "pool, or lower monitoring.hpa.maxReplicas"
    ]
    # Without the HPA each version counts its replicas: the model and a canary fit 2 nodes.
    assert len(of(stack("prod", canary=CANARY, hpa={"enabled": False}))) == 2


def test_a_canary_on_green_does_not_count_against_gpu_pool():
    main, canary = of(stack(canary={**CANARY, "pool": "green", "replicas": 2}, green=GREEN))
    assert (main.pool, canary.pool, canary.plan.replicas) == ("gpu", "green", 2)


@pytest.mark.parametrize("weight", [0, 100])
def test_without_the_gateway_a_canary_is_a_standby_or_the_switched_version(weight: int):
    main, canary = of(stack("dev", canary={**CANARY, "weight": weight}), "dev")
    assert stable_target([main, canary]) is (canary if weight == 100 else main)


def test_two_canaries_of_two_models_are_judged_each():
    raw = stack(canary={"tag": "1.0.3", "weight": 10})
    second = copy.deepcopy(raw["nim-gke:nim"]["models"][0])
    second.update(
        name="meta/llama-3.1-8b-instruct", release="llama31", canary={"tag": "x", "weight": 101}
    )
    raw["nim-gke:nim"]["models"].append(second)
    raw["nim-gke:gpuPool"]["maxNodes"] = 8  # two models and two canaries, HPA maxima of 2
    assert [p.split(" = ")[0] for p in problems(raw)] == [
        "nim-gke:nim.models[0].canary.tag",
        "nim-gke:nim.models[1].canary.weight",
    ]


def test_a_drained_pool_that_keeps_nodes_warm_is_a_warning():
    cfg = parse("prod", stack(pool="green", green={**GREEN, "minNodes": 1}), (True, True))
    assert (
        "nim-gke:gpuPool.minNodes = 1: no model version runs on pool gpu, but it keeps 1 GPU "
        "node(s) up. Set minNodes: 0 (and requireWarmNode: false) while it is drained."
    ) in cfg.warnings
    idle = stack(green={**GREEN, "minNodes": 1})
    assert any(
        w.startswith("nim-gke:greenPool.minNodes = 1:")
        for w in parse("prod", idle, (True, True)).warnings
    )


def single_replica(raw: dict[str, Any], name: str = "prod") -> list[str]:
    return [
        w.split(":", 2)[1] for w in parse(name, raw, (True, True)).warnings if "= 1: a GKE" in w
    ]


def test_one_warm_replica_under_traffic_is_a_warning():
    """A drain of the only replica's node (a node upgrade or auto-repair) is a cold start with no
    server: GKE evicts despite a PodDisruptionBudget after an hour (cloud.google.com/
    kubernetes-engine/docs/concepts/node-pool-upgrade-strategies) and auto-repair ignores the
    maintenance window (.../concepts/maintenance-windows-and-exclusions)."""
    (warning,) = [
        w for w in parse("prod", raw_stack("prod"), (True, True)).warnings if "= 1: a GKE" in w
    ]
    assert warning.startswith(
        "nim-gke:nim.models[0].replicas = 1: a GKE node upgrade or auto-repair of its GPU node "
        "leaves this version without a server for a cold start"
    )
    assert "Set replicas: 2 to keep serving" in warning
    # A second ready replica (the HPA's minimum follows replicas when minReplicas is unset).
    assert single_replica(stack(replicas=2)) == []
    # The HPA's own minimum decides what stays warm.
    assert single_replica(stack(replicas=2, hpa={"minReplicas": 1})) == [
        "nim.models[0].replicas = 1"
    ]
    # A version that sleeps (minReplicas 0) has nothing warm to lose: dev.
    assert single_replica(raw_stack("dev"), "dev") == []
    # A canary carrying weight on one replica is named; a standby at weight 0 is not.
    assert single_replica(stack(replicas=2, canary={**CANARY, "replicas": 1})) == [
        "nim.models[0].canary.replicas = 1"
    ]
    assert single_replica(stack(replicas=2, canary={**CANARY, "weight": 0, "replicas": 1})) == []


def test_the_proxy_subnet_rule_knows_the_stacks_own_ranges():
    assert CLUSTER_RANGES == {
        "the cluster subnet": cluster_network.SUBNET_CIDR,
        "the pods range": cluster_network.PODS_CIDR,
        "the services range": cluster_network.SERVICES_CIDR,
    }


def test_a_canary_of_a_new_tag_does_not_inherit_the_models_profile():
    """A NIM_MODEL_PROFILE id belongs to one tag's model manifest (nimgke/models.py L4_PROFILES):
    the model's profile follows the canary only for the same tag (a move to greenPool); a new
    tag takes canary.profile, else the catalog's pin for that tag, else none, and preview says
    so for the canary's own key and pod."""
    pinned = "8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d"
    main, canary = of(stack(profile="my-1-0-3-profile", canary=CANARY))
    assert (main.plan.profile, main.plan.profile_from) == ("my-1-0-3-profile", "config")
    assert (canary.plan.profile, canary.plan.profile_from) == (None, "none")
    cfg = parse("prod", stack(canary=CANARY), (True, True))
    main, canary = versions(cfg)
    assert (main.plan.profile, main.plan.profile_from) == (pinned, "catalog")
    assert canary.plan.profile is None
    assert (
        "nim-gke:nim.models[0].canary.profile: meta/llama3-8b-instruct:1.1.2 runs without a pinned "
        "NIM_MODEL_PROFILE: the catalog (nimgke/models.py) knows no profile of this tag for 1 x "
        "nvidia-l4, so NIM selects one at every start (NIM for LLMs, 'Model profiles'). Once it "
        "runs, read `kubectl -n nim exec deploy/llama3-8b-1-1-2-nim-llm -- list-model-profiles` "
        "and set the profile id."
    ) in cfg.warnings
    assert not [w for w in cfg.warnings if w.startswith("nim-gke:nim.models[0].profile:")]
    # The same tag on greenPool keeps the model's profile (and the catalog's pin).
    _, moved = of(stack(canary={"tag": "1.0.3", "weight": 10, "pool": "green"}, green=GREEN))
    assert (moved.plan.profile, moved.plan.profile_from) == (pinned, "catalog")
    _, moved = of(
        stack(profile="p", canary={"tag": "1.0.3", "weight": 10, "pool": "green"}, green=GREEN)
    )
    assert moved.plan.profile == "p"


def test_the_unpinned_profile_warning_names_a_pod_of_the_workload_the_chart_renders():
    """Over the shared cache a version is a Deployment, whose pods have no ``-0`` name: the
    command names the Deployment (``kubectl exec deploy/NAME`` runs in one of its pods)."""
    nim = stack(canary=CANARY)
    nim["nim-gke:nim"]["sharedCache"] = {"enabled": True}
    cfg = parse("prod", nim, (True, True))
    (warning,) = [w for w in cfg.warnings if w.startswith("nim-gke:nim.models[0].canary.profile")]
    assert warning.endswith(
        "read `kubectl -n nim exec deploy/llama3-8b-1-1-2-nim-llm -- list-model-profiles` and "
        "set the profile id."
    )
