"""The Helm values each stack passes keep every contract of the nim-llm chart
(docs/sources.md, "The nim-llm Helm chart").

The program runs under mocks; the values it hands the Release are checked against the Secrets,
node pool and chart schema the same run creates, so a pod rendered from them would start on that
stack's GPU pool. ``test_chart_render.py`` renders the real chart with the same values.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from nimgke import catalog
from nimgke.config import _parse_cpu_milli, _parse_quantity_gib
from nimgke.helm_values import startup_budget_seconds
from nimgke.models import L4_PROFILES
from tests.conftest import (
    FAKE_NGC_KEY,
    SECRET_MANAGER_KEY,
    SHARED_REFERENCE,
    ProgramRun,
    run_program,
    stack_config,
    unwrap,
)

STACKS = ("dev", "dev-canary", "prod", "prod-canary")
"""``prod-canary``: prod with a canary at 10 % (docs/rollouts.md); ``dev-canary``: dev with a canary
on standby (weight 0: dev has no Gateway to split traffic), two versions that each sleep and wake.
Each canary's release must keep the same contract as the model's."""
CANARY = {"tag": "1.1.2", "weight": 10}
CANARIES = {"prod-canary": CANARY, "dev-canary": {**CANARY, "weight": 0}}
L4_PROFILE_103 = L4_PROFILES[("meta/llama3-8b-instruct", "1.0.3")].profile_id
CHART_STARTUP_BUDGET_S = 40 + 180 * 10  # nim-llm 1.1.2 values.yaml, startupProbe
SCHEMA = SHARED_REFERENCE / "nim-llm-1.1.2" / "values.schema.json"


def config_of(stack: str, **overrides: Any) -> dict[str, str]:
    """The stack file's config (a ``-canary`` variant: its stack's, with the canary) plus
    ``overrides``."""
    name = stack_name(stack)
    if stack not in CANARIES:
        return stack_config(stack, **{"nim-gke:ngcApiKey": FAKE_NGC_KEY, **overrides})
    nim = json.loads(stack_config(name)["nim-gke:nim"])
    nim["models"][0]["canary"] = CANARIES[stack]
    changes: dict[str, Any] = {"nim-gke:nim": nim}
    if name == "prod":
        # Room for both versions at their HPA maximum (docs/rollouts.md, "GPU headroom").
        changes["nim-gke:gpuPool"] = {
            **json.loads(stack_config("prod")["nim-gke:gpuPool"]),
            "maxNodes": 4,
        }
    return stack_config(name, **{**changes, "nim-gke:ngcApiKey": FAKE_NGC_KEY, **overrides})


def stack_name(stack: str) -> str:
    return stack.removesuffix("-canary")


@cache
def program(stack: str) -> ProgramRun:
    return run_program(stack_name(stack), config_of(stack), ["nim-gke:ngcApiKey"])


def stack_key(stack: str) -> str:
    return FAKE_NGC_KEY if stack_name(stack) == "dev" else SECRET_MANAGER_KEY


def release_values(stack: str) -> list[dict[str, Any]]:
    releases = program(stack).mocks.of_type("kubernetes:helm.sh/v3:Release")
    assert releases, "no Release registered"
    return [unwrap(r.inputs["values"]) for r in releases]


def secrets(stack: str) -> dict[str, dict[str, Any]]:
    return {
        unwrap(s.inputs)["metadata"]["name"]: unwrap(s.inputs)
        for s in program(stack).mocks.of_type("kubernetes:core/v1:Secret")
    }


def gpu_pools(stack: str) -> list[dict[str, Any]]:
    """The GPU node pools the run creates (gpuPool's priorities), with their state (GKE name)."""
    mocks = program(stack).mocks
    pools = [
        unwrap(mocks.state[p.name])
        for p in mocks.of_type("gcp:container/nodePool:NodePool")
        if "guestAccelerators" in p.inputs["nodeConfig"]
    ]
    assert len(pools) == 2  # both stacks' gpuPool has one fallback
    return pools


def compute_class(stack: str) -> dict[str, Any]:
    (cc,) = program(stack).mocks.of_type("kubernetes:cloud.google.com/v1:ComputeClass")
    return unwrap(cc.inputs)


@pytest.mark.parametrize("stack", STACKS)
def test_api_key_secret_exists_with_the_key_the_chart_reads(stack):
    for values in release_values(stack):
        secret = secrets(stack)[values["model"]["ngcAPISecret"]]
        assert secret["stringData"]["NGC_API_KEY"] == stack_key(stack)
        assert secret["metadata"]["namespace"] == "nim"


@pytest.mark.parametrize("stack", STACKS)
def test_the_image_comes_through_the_stacks_nvcr_mirror_without_a_pull_secret(stack):
    """Images close to the nodes: the NIM image is pulled through the Artifact Registry remote
    repository the same run creates (same region, project and repository id), keeping nvcr.io's
    path; the node's service account authenticates there, so no nvcr.io pull Secret is named."""
    (repo,) = [
        r
        for r in program(stack).mocks.of_type("gcp:artifactregistry/repository:Repository")
        if r.name == "registry-repository"  # dev's other repository caches Docker Hub
    ]
    r = unwrap(repo.inputs)
    prefix = f"{r['location']}-docker.pkg.dev/{r['project']}/{r['repositoryId']}/"
    assert r["remoteRepositoryConfig"]["commonRepository"]["uri"] == "https://nvcr.io"
    for values in release_values(stack):
        assert values["image"]["repository"] == prefix + "nim/meta/llama3-8b-instruct"
        assert values["imagePullSecrets"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_pull_secret_is_valid_for_nvcr_when_the_mirror_is_off(stack):
    config = config_of(stack, **{"nim-gke:registry": {"mirror": False}})
    pool = json.loads(config["nim-gke:gpuPool"])
    pool["imageStreaming"] = False  # streaming serves nothing from nvcr.io (GKE's image streaming
    # requirements: cloud.google.com/kubernetes-engine/docs/how-to/image-streaming)
    config["nim-gke:gpuPool"] = json.dumps(pool)
    run = run_program(stack_name(stack), config, ["nim-gke:ngcApiKey"])
    # No nvcr.io mirror (dev keeps its Docker Hub cache for the wake signal's image).
    assert [
        unwrap(r.inputs)["remoteRepositoryConfig"]
        for r in run.mocks.of_type("gcp:artifactregistry/repository:Repository")
        if "commonRepository" in unwrap(r.inputs)["remoteRepositoryConfig"]
    ] == []
    found = {
        unwrap(s.inputs)["metadata"]["name"]: unwrap(s.inputs)
        for s in run.mocks.of_type("kubernetes:core/v1:Secret")
    }
    for release in run.mocks.of_type("kubernetes:helm.sh/v3:Release"):
        values = unwrap(release.inputs["values"])
        (ref,) = values["imagePullSecrets"]
        secret = found[ref["name"]]
        assert secret["type"] == "kubernetes.io/dockerconfigjson"
        auth = json.loads(secret["stringData"][".dockerconfigjson"])["auths"]["nvcr.io"]
        assert (auth["username"], auth["password"]) == ("$oauthtoken", stack_key(stack))
        assert values["image"]["repository"].startswith("nvcr.io/nim/")


@pytest.mark.parametrize("stack", STACKS)
def test_pods_select_the_class_whose_priorities_are_the_gpu_pools(stack):
    """GKE's "About custom ComputeClasses": pods select a class with the node selector
    cloud.google.com/compute-class: NAME (and no system label the class decides, such as
    gke-accelerator or gke-spot, which GKE rejects beside it); a manually created pool serves the
    class when it carries the class's node label and NoSchedule taint; a nodepools priority names
    the pools GKE tries, in order. The pods tolerate the class's taint themselves (Standard
    clusters without node auto-provisioning: kubernetes-engine/docs/how-to/workload-separation),
    GKE's GPU taint, and Spot nodes when a priority is Spot."""
    pools = gpu_pools(stack)
    cc = compute_class(stack)
    name = cc["metadata"]["name"]
    assert name == "nim-gpu"
    assert cc["spec"]["priorities"] == [{"nodepools": [p["name"]]} for p in pools]
    for pool in pools:
        node = pool["nodeConfig"]
        assert node["labels"]["cloud.google.com/compute-class"] == name
        assert node["taints"] == [
            {"key": "cloud.google.com/compute-class", "value": name, "effect": "NO_SCHEDULE"}
        ]
    spot = any(p["nodeConfig"]["spot"] for p in pools)
    assert spot is (stack_name(stack) == "dev")
    for values in release_values(stack):
        assert values["nodeSelector"] == {"cloud.google.com/compute-class": name}
        tolerations = values["tolerations"]
        assert {
            "key": "nvidia.com/gpu",
            "operator": "Exists",
            "effect": "NoSchedule",
        } in tolerations
        assert {
            "key": "cloud.google.com/compute-class",
            "operator": "Equal",
            "value": name,
            "effect": "NoSchedule",
        } in tolerations
        spot_toleration = {
            "key": "cloud.google.com/gke-spot",
            "operator": "Equal",
            "value": "true",
            "effect": "NoSchedule",
        }
        assert (spot_toleration in tolerations) is spot


@pytest.mark.parametrize("stack", STACKS)
def test_gpu_and_requests_fit_one_node_of_every_priority(stack):
    for pool in gpu_pools(stack):
        gpus = pool["nodeConfig"]["guestAccelerators"][0]["count"]
        machine = catalog.MACHINE_TYPES[pool["nodeConfig"]["machineType"]]
        alloc = catalog.allocatable(machine)
        for values in release_values(stack):
            res = values["resources"]
            assert 1 <= res["limits"]["nvidia.com/gpu"] <= gpus
            assert res["requests"]["nvidia.com/gpu"] == res["limits"]["nvidia.com/gpu"]
            cpu_m = _parse_cpu_milli(res["requests"]["cpu"])
            mem_mib = _parse_quantity_gib(res["requests"]["memory"]) * 1024
            assert cpu_m + catalog.DAEMONSET_CPU_MILLI <= alloc.cpu_milli
            assert mem_mib + catalog.DAEMONSET_MEMORY_MIB <= alloc.memory_mib
            # A 16Gi request never schedules on a 16 GB node (its allocatable is ~13 GiB:
            # cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes).
            assert mem_mib < machine.memory_gib * 1024


@pytest.mark.parametrize("stack", STACKS)
def test_probes_hit_nim_health_paths_with_the_chart_startup_budget(stack):
    for values in release_values(stack):
        assert values["livenessProbe"]["path"] == "/v1/health/live"
        assert values["readinessProbe"]["path"] == "/v1/health/ready"
        assert values["startupProbe"]["path"] == "/v1/health/ready"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            # The chart's probes are scalars (values.yaml startupProbe.path, ...): it ignores
            # Kubernetes httpGet blocks.
            assert "httpGet" not in values[probe]
            assert values[probe]["enabled"] is True
        assert startup_budget_seconds(values) >= CHART_STARTUP_BUDGET_S


SHARED_CACHE = {"dev": False, "dev-canary": False, "prod": True, "prod-canary": True}
"""Which stacks cache the model in the shared bucket (prod: ``nim.sharedCache.enabled``)."""


@pytest.mark.parametrize("stack", STACKS)
def test_model_cache_is_persisted(stack):
    for values in release_values(stack):
        p = values["persistence"]
        assert p["enabled"] is True
        assert p["size"] == "50Gi"
        # A disk per replica (ReadWriteOnce) is a StatefulSet's claim template; the shared cache
        # (ReadWriteMany) is one claim per release on the bucket, mounted by a Deployment, which
        # surges.
        if SHARED_CACHE[stack]:
            assert p["accessMode"] == "ReadWriteMany"
            assert p["existingClaim"] == f"{values_release(values)}-model-cache"
        else:
            assert p["accessMode"] == "ReadWriteOnce"
            assert "existingClaim" not in p
        assert values["statefulSet"]["enabled"] is not SHARED_CACHE[stack]


def values_release(values: dict[str, Any]) -> str:
    """The release a version's values belong to: ``<model release>-<tag slug>``."""
    return "llama3-8b-" + values["image"]["tag"].replace(".", "-")


def storage_classes(stack: str) -> dict[str, dict[str, Any]]:
    return {
        unwrap(sc.inputs)["metadata"]["name"]: unwrap(sc.inputs)
        for sc in program(stack).mocks.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    }


@pytest.mark.parametrize("stack", STACKS)
def test_model_cache_attaches_in_every_zone_of_the_gpu_pool(stack):
    """A zonal PD pins its pod to one zone after the first bind, and a regional PD attaches only
    to E2, N1, N2 and N2D VMs (https://cloud.google.com/compute/docs/disks/
    about-regional-persistent-disk, Limitations), not to g2. So a one-zone pool keeps a zonal
    disk, and a g2 pool over two zones (prod) mounts the shared bucket: a ReadWriteMany claim on
    the Cloud Storage FUSE driver, reachable from a node in any zone; no StorageClass is made. Every
    priority of the ComputeClass spans the same zones."""
    (zones,) = {tuple(p["nodeLocations"]) for p in gpu_pools(stack)}  # every priority's
    zones = list(zones)
    created = storage_classes(stack)
    assert created == {}
    for values in release_values(stack):
        if len(zones) == 1:
            assert values["persistence"]["storageClass"] in ("standard-rwo", "premium-rwo")
            continue
        claim = values["persistence"]["existingClaim"]
        (pvc,) = [
            unwrap(r.inputs)
            for r in program(stack).mocks.of_type("kubernetes:core/v1:PersistentVolumeClaim")
            if unwrap(r.inputs)["metadata"]["name"] == claim
        ]
        assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
        (pv,) = [
            unwrap(r.inputs)
            for r in program(stack).mocks.of_type("kubernetes:core/v1:PersistentVolume")
            if unwrap(r.inputs)["metadata"]["name"] == pvc["spec"]["volumeName"]
        ]
        assert pv["spec"]["csi"]["driver"] == "gcsfuse.csi.storage.gke.io"
        assert "nodeAffinity" not in pv["spec"]


def test_the_canary_release_differs_from_the_models_only_in_its_version():
    """The canary keeps every contract above (they run for each release of prod-canary) and,
    besides its version, the model's values: same Secrets, pool, probes, requests, HPA; its own
    claim on the shared bucket (a version's model files are its own). Its version is its image tag
    (through the mirror) and its profile: a NIM_MODEL_PROFILE id belongs to one tag's manifest
    (nimgke/models.py), so 1.0.3's catalog pin does not follow the canary to 1.1.2, for which the
    catalog knows none (NIM selects; preview warns)."""
    main, canary = sorted(release_values("prod-canary"), key=lambda v: v["image"]["tag"])
    assert (main["image"]["tag"], canary["image"]["tag"]) == ("1.0.3", "1.1.2")
    assert main["image"]["repository"] == canary["image"]["repository"]
    assert main["image"]["repository"].startswith("us-central1-docker.pkg.dev/")
    assert main["env"] == [{"name": "NIM_MODEL_PROFILE", "value": L4_PROFILE_103}]
    assert canary["env"] == []
    # The same HPA, reading its own version's AutoscalingMetric (one per release, named after it:
    # nimgke/autoscaling.py).
    own = json.loads(
        json.dumps(canary["autoscaling"]).replace("llama3-8b-1-1-2", "llama3-8b-1-0-3")
    )
    assert main["autoscaling"] == own and main["autoscaling"]["enabled"]
    assert (main["persistence"]["existingClaim"], canary["persistence"]["existingClaim"]) == (
        "llama3-8b-1-0-3-model-cache",
        "llama3-8b-1-1-2-model-cache",
    )
    same = {
        "image": main["image"],
        "env": main["env"],
        "persistence": main["persistence"],
        "autoscaling": own,
    }
    assert {**canary, **same} == main


def test_prod_spans_two_gpu_zones_with_the_shared_bucket_cache():
    for pool in gpu_pools("prod"):  # every priority
        assert pool["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    (values,) = release_values("prod")
    assert values["persistence"]["existingClaim"] == "llama3-8b-1-0-3-model-cache"
    assert "storageClass" not in values["persistence"] and storage_classes("prod") == {}
    assert [r.typ for r in program("prod").mocks.of_type("gcp:storage/bucket:Bucket")] == [
        "gcp:storage/bucket:Bucket"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_no_key_in_values_and_restricted_security_contexts(stack):
    for values in release_values(stack):
        assert "ngcAPIKey" not in values["model"]
        assert stack_key(stack) not in json.dumps(values)
        csc = values["containerSecurityContext"]
        assert csc["allowPrivilegeEscalation"] is False
        assert csc["capabilities"] == {"drop": ["ALL"]}
        assert csc["runAsNonRoot"] is True
        assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


@pytest.mark.skipif(not SCHEMA.exists(), reason="chart schema not found beside the repository")
@pytest.mark.parametrize("stack", STACKS)
def test_values_validate_against_the_chart_schema(stack):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    for values in release_values(stack):
        jsonschema.validate(values, schema)
        # The schema does not forbid unknown keys, so check ours are all keys the chart knows.
        defaults = (SCHEMA.parent / "values.yaml").read_text()
        for key in values:
            assert f"\n{key}:" in f"\n{defaults}", f"{key} is not a nim-llm value"
