"""Whole-program tests: ``__main__.py`` run with each stack file under mocks."""

from __future__ import annotations

import json

import pytest

from tests.conftest import (
    FAKE_NGC_KEY,
    SECRET_MANAGER_KEY,
    is_secret,
    plain_strings,
    run_program,
    stack_config,
    unwrap,
)
from tests.test_chart_contract import program

COMPONENTS = {
    "nim-gke:gke:Cluster",
    "nim-gke:gke:GpuNodePool",
    "nim-gke:ngc:NgcSecrets",
    "nim-gke:nim:NimRelease",
}
K8S_PREFIX = "kubernetes:"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_runs_with_the_four_components(stack):
    types = {r.typ for r in program(stack).mocks.resources}
    assert COMPONENTS <= types


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_is_parented_to_a_component(stack):
    urns = program(stack).mocks.urns()
    assert len(urns) > 20
    for urn in urns:
        # urn:pulumi:<stack>::<project>::<parent type>$...$<type>::<name>
        chain = urn.split("::")[2].removeprefix("pulumi:pulumi:Stack$")
        assert chain.split("$")[0].startswith("nim-gke:"), f"not under a component: {urn}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_kubernetes_resources_use_the_cluster_provider(stack):
    k8s = [r for r in program(stack).mocks.resources if r.typ.startswith(K8S_PREFIX)]
    assert k8s
    for r in k8s:
        assert r.provider and "::cluster-k8s::" in r.provider, (r.name, r.provider)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_exports(stack):
    run = program(stack)
    out = run.outputs
    assert out["clusterName"] == f"nim-{stack}"
    assert out["gpuPoolName"] == "gpu-pool-a1b2c3"
    # gpuPool's ComputeClass and its node pools, preferred first (both stacks have a fallback)
    assert out["capacity"] == {
        "gpu": {"computeClass": "nim-gpu", "nodePools": ["gpu-pool-a1b2c3", "gpu-2-pool-a1b2c3"]}
    }
    assert out["namespace"] == "nim"
    # Rollouts: the model's stable Service <release>, in front of its serving version
    assert out["models"] == {"llama3-8b": "http://llama3-8b.nim.svc.cluster.local:8000/v1"}
    assert out["portForward"] == {
        "llama3-8b": "kubectl -n nim port-forward svc/llama3-8b 8000:8000"
    }
    assert out["rollout"] == {"llama3-8b": {"llama3-8b-1-0-3": 100}}
    if stack == "prod":  # the Gateway's address is the mock cloud's
        assert out["endpoints"] == {"llama3-8b": "http://10.10.0.50/llama3-8b/v1"}
    else:
        assert "endpoints" not in out
    assert "kubeconfig" in run.secret_outputs
    assert json.loads(out["kubeconfig"])["kind"] == "Config"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_ngc_key_never_appears_unmarked(stack):
    run = program(stack)
    for key in (FAKE_NGC_KEY, SECRET_MANAGER_KEY):
        for r in run.mocks.resources:
            leaked = [p for p, s in plain_strings(r.inputs) if key in s]
            assert leaked == [], f"{r.typ} {r.name} carries the key unmarked at {leaked}"
        assert key not in json.dumps(
            {k: v for k, v in run.outputs.items() if k not in run.secret_outputs}
        )
        # Nor in what the (mock) provider returned for each resource, i.e. what state would hold,
        # the Secret Manager version of the image mirror included.
        for res_name, outputs in run.mocks.state.items():
            leaked = [p for p, s in plain_strings(outputs) if key in s]
            assert leaked == [], f"{res_name} outputs carry the key unmarked at {leaked}"
    # The key does reach the Secrets, as a secret.
    api = run.mocks.named("ngc-api-key").inputs
    assert is_secret(api["stringData"]) or all(is_secret(v) for v in api["stringData"].values())


def test_dev_is_zonal_spot_scale_to_zero_and_destroyable():
    m = program("dev").mocks
    cluster = m.one("gcp:container/cluster:Cluster").inputs
    assert cluster["location"] == "us-central1-a"
    assert cluster["releaseChannel"] == {"channel": "RAPID"}
    assert cluster["deletionProtection"] is False
    gpu = m.named("gpu-pool").inputs
    assert gpu["autoscaling"]["totalMinNodeCount"] == 0
    assert gpu["autoscaling"]["totalMaxNodeCount"] == 2
    assert gpu["nodeConfig"]["spot"] is True
    # dev's always-on system node is a Spot e2-standard-2 (docs/cost.md, "dev idle").
    system = m.named("cluster-system").inputs["nodeConfig"]
    assert (system["machineType"], system["spot"]) == ("e2-standard-2", True)
    # Relaxations stated in Pulumi.dev.yaml: public nodes, no NAT, no KMS key.
    assert m.of_type("gcp:compute/routerNat:RouterNat") == []
    assert m.of_type("gcp:kms/cryptoKey:CryptoKey") == []
    # The key came from stack config, not Secret Manager.
    assert not [c for c in m.calls if "secretmanager" in c.token]


def test_prod_is_regional_warm_protected_and_reads_the_key_from_secret_manager():
    m = program("prod").mocks
    cluster = m.one("gcp:container/cluster:Cluster").inputs
    assert cluster["location"] == "us-central1"
    assert cluster["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["deletionProtection"] is True
    gpu = m.named("gpu-pool").inputs
    assert gpu["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    assert gpu["autoscaling"]["totalMinNodeCount"] == 1
    # initialNodeCount is per zone (terraform-provider-google docs, container_node_pool); prod
    # starts no more L4s than minNodes in total.
    assert gpu["initialNodeCount"] * len(gpu["nodeLocations"]) <= 1
    assert gpu["nodeConfig"]["spot"] is False
    # get_secret_version_access needs only secretmanager.versions.access, the one
    # permission of roles/secretmanager.secretAccessor (the mock refuses getSecretVersion, which
    # also needs versions.get, as the real API does for such an identity).
    (call,) = [c for c in m.calls if "secretmanager" in c.token]
    assert call.token == "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess"
    assert call.args["secret"] == "ngc-api-key"
    assert unwrap(m.named("ngc-api-key").inputs["stringData"])["NGC_API_KEY"] == SECRET_MANAGER_KEY


def test_each_model_gets_its_own_release():
    nim = json.loads(stack_config("dev")["nim-gke:nim"])
    nim["models"].append(
        {"name": "meta/llama-3.2-1b-instruct", "tag": "1.8.5", "cacheSize": "20Gi"}
    )
    config = stack_config("dev", **{"nim-gke:nim": nim, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    names = sorted(r.inputs["name"] for r in run.mocks.of_type("kubernetes:helm.sh/v3:Release"))
    assert names == ["llama-3-2-1b-instruct-1-8-5", "llama3-8b-1-0-3"]
    assert set(run.outputs["models"]) == {"llama-3-2-1b-instruct", "llama3-8b"}
    small = [
        unwrap(r.inputs["values"])
        for r in run.mocks.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "llama-3-2-1b-instruct-1-8-5"
    ][0]
    assert small["image"] == {
        # through the stack's nvcr.io mirror, nvcr.io's path kept
        "repository": "us-central1-docker.pkg.dev/my-nim-dev-project/nvcr-remote/nim/meta/"
        "llama-3.2-1b-instruct",
        "tag": "1.8.5",
        "pullPolicy": "IfNotPresent",
    }
    assert small["persistence"]["size"] == "20Gi"


def test_stack_file_settings_flow_to_resources():
    pool = json.loads(stack_config("dev")["nim-gke:gpuPool"])
    pool["machineType"] = "g2-standard-8"
    config = stack_config("dev", **{"nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    assert run.mocks.named("gpu-pool").inputs["nodeConfig"]["machineType"] == "g2-standard-8"
    values = unwrap(run.mocks.one("kubernetes:helm.sh/v3:Release").inputs["values"])
    # A larger node gives the pod a larger default request.
    assert values["resources"]["requests"]["cpu"] == "7"
    assert values["resources"]["requests"]["memory"] == "27Gi"


def test_budget_is_created_only_when_configured():
    assert program("dev").mocks.of_type("gcp:billing/budget:Budget") == []
    config = stack_config(
        "dev",
        **{
            "nim-gke:ngcApiKey": FAKE_NGC_KEY,
            "nim-gke:budget": {"billingAccount": "012345-6789AB-CDEF01", "monthlyUsd": 300},
        },
    )
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    budget = run.mocks.one("gcp:billing/budget:Budget").inputs
    assert budget["amount"] == {"specifiedAmount": {"currencyCode": "USD", "units": "300"}}
    assert budget["budgetFilter"] == {"projects": ["projects/123456789012"]}
    assert [r["thresholdPercent"] for r in budget["thresholdRules"]] == [0.5, 0.9, 1.0, 1.0]


def test_cost_estimate_is_exported_and_an_unpriced_machine_only_loses_its_estimate():
    est = program("dev").outputs["costEstimate"]
    assert est["currency"] == "USD" and est["gpuNodeHourly"] == pytest.approx(0.397336)
    pool = json.loads(stack_config("dev")["nim-gke:gpuPool"])
    pool.update(machineType="n1-standard-8", gpuType="nvidia-tesla-t4", gpuCount=2, spot=False)
    pool["fallbacks"] = [{"spot": True}]  # on demand first now: Spot after it
    config = stack_config("dev", **{"nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    assert "no price for attached GPU nvidia-tesla-t4" in run.outputs["costEstimate"]["error"]
    accel = run.mocks.named("gpu-pool").inputs["nodeConfig"]["guestAccelerators"][0]
    assert accel["type"] == "nvidia-tesla-t4"


def test_preview_prints_config_warnings(caplog):
    config = stack_config("dev", **{"nim-gke:ngcApiKey": FAKE_NGC_KEY})
    with caplog.at_level("WARNING"):
        run_program("dev", config, ["nim-gke:ngcApiKey"])
    assert any("about 15 GB of host memory" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_deployers_and_ci_reach_the_control_plane_without_an_address_list(stack):
    """Authorized networks lock out every deployer and CI runner not listed (and
    203.0.113.0/24 lists nobody). Both stacks as shipped are deployable from a laptop or a
    GitHub-hosted runner through the IAM-authorised DNS endpoint, and prod does not open its
    IP endpoint to the internet for it."""
    run = program(stack)
    cluster = run.mocks.one("gcp:container/cluster:Cluster").inputs
    dns = cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]
    assert dns == {"allowExternalTraffic": True}
    server = json.loads(run.outputs["kubeconfig"])["clusters"][0]["cluster"]["server"]
    assert server.endswith(".gke.goog")
    if stack == "prod":
        # No IP endpoint for the internet, and no address list: the block GKE requires with a
        # private endpoint is sent enabled and empty (components/cluster.py,
        # authorized_networks_config; hashicorp/terraform-provider-google@887701b5
        # resource_container_cluster.go, expandMasterAuthorizedNetworksConfig).
        assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
        assert cluster["masterAuthorizedNetworksConfig"] == {"cidrBlocks": []}
    else:
        assert "masterAuthorizedNetworksConfig" not in cluster


def test_a_vpc_only_control_plane_is_a_warning_in_preview(caplog):
    sec = json.loads(stack_config("prod")["nim-gke:security"])
    sec["dnsEndpoint"] = False
    with caplog.at_level("WARNING"):
        run_program("prod", stack_config("prod", **{"nim-gke:security": sec}))
    assert any(
        "the control plane is reachable only from inside the VPC" in r.getMessage()
        for r in caplog.records
    )


# --- images close to the nodes: the nvcr.io mirror, streaming, the pinned profile --------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_pull_nim_through_an_artifact_registry_mirror_of_nvcr(stack):
    m = program(stack).mocks
    (repo,) = [
        r.inputs
        for r in m.of_type("gcp:artifactregistry/repository:Repository")
        if r.name == "registry-repository"  # dev's other repository caches Docker Hub
    ]
    assert (repo["mode"], repo["format"], repo["location"]) == (
        "REMOTE_REPOSITORY",
        "DOCKER",
        "us-central1",
    )
    creds = repo["remoteRepositoryConfig"]["upstreamCredentials"]["usernamePasswordCredentials"]
    grant = m.one("gcp:secretmanager/secretIamMember:SecretIamMember").inputs
    agent = "service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    assert grant["member"] == f"serviceAccount:{agent}"
    assert grant["role"] == "roles/secretmanager.secretAccessor"
    if stack == "prod":
        # The existing secret (security.ngcSecret) at the version Secret Manager resolved.
        assert grant["secretId"] == "ngc-api-key"
        assert m.of_type("gcp:secretmanager/secret:Secret") == []
        assert (
            creds["passwordSecretVersion"] == "projects/123456789012/secrets/ngc-api-key/versions/3"
        )
    else:
        secret = m.one("gcp:secretmanager/secret:Secret").inputs
        assert grant["secretId"] == secret["secretId"] == "nim-dev-ngc-api-key"
        assert creds["passwordSecretVersion"] == (
            "projects/123456789012/secrets/nim-dev-ngc-api-key/versions/1"
        )
    # The agent's access is to that one secret: no project-level Secret Manager role for anyone.
    roles = [r.inputs["role"] for r in m.of_type("gcp:projects/iAMMember:IAMMember")]
    assert not [r for r in roles if r.startswith("roles/secretmanager.")]
    assert "roles/artifactregistry.reader" in roles  # the nodes' own pull permission


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_gpu_pool_streams_images(stack):
    """Every priority's node pool streams (gpu and its fallback gpu-2), under one grant for the
    node service account: two identical project grants would revoke each other on delete."""
    m = program(stack).mocks
    for pool in ("gpu-pool", "gpu-2-pool"):
        assert m.named(pool).inputs["nodeConfig"]["gcfsConfig"] == {"enabled": True}
        assert "secondaryBootDisks" not in m.named(pool).inputs["nodeConfig"]
    grants = [
        r.name
        for r in m.of_type("gcp:projects/iAMMember:IAMMember")
        if r.inputs["role"] == "roles/serviceusage.serviceUsageConsumer"
    ]
    assert grants == ["cluster-nodes-image-streaming"]
    usage = m.named("cluster-nodes-image-streaming").inputs
    assert usage["role"] == "roles/serviceusage.serviceUsageConsumer"
    assert usage["member"] == "serviceAccount:nim-nodes-x7k2qp@p.iam.gserviceaccount.com"


def test_dev_key_in_secret_manager_is_secret_in_inputs_and_in_state():
    run = program("dev")
    version = run.mocks.one("gcp:secretmanager/secretVersion:SecretVersion")
    assert is_secret(version.inputs["secretData"])
    assert unwrap(version.inputs["secretData"]) == FAKE_NGC_KEY
    assert "secretData" in run.mocks.options[version.name]["additionalSecretOutputs"]


def test_a_configured_boot_disk_reaches_the_pool():
    pool = json.loads(stack_config("dev")["nim-gke:gpuPool"])
    pool["imageCacheDisk"] = {"diskImage": "global/images/nim-llama3-8b-1-0-3"}
    config = stack_config("dev", **{"nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    node = run_program("dev", config, ["nim-gke:ngcApiKey"]).mocks.named("gpu-pool").inputs
    assert node["nodeConfig"]["secondaryBootDisks"] == [
        {"diskImage": "global/images/nim-llama3-8b-1-0-3", "mode": "CONTAINER_IMAGE_CACHE"}
    ]


def test_preview_says_when_a_model_runs_without_a_pinned_profile(caplog):
    nim = json.loads(stack_config("dev")["nim-gke:nim"])
    nim["models"][0]["tag"] = "1.0.0"  # no pin known for this tag
    config = stack_config("dev", **{"nim-gke:nim": nim, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    with caplog.at_level("WARNING"):
        run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    assert any(
        r.getMessage().startswith(
            "nim-gke:nim.models[0].profile: meta/llama3-8b-instruct:1.0.0 runs without a pinned "
            "NIM_MODEL_PROFILE"
        )
        for r in caplog.records
    )
    values = unwrap(run.mocks.one("kubernetes:helm.sh/v3:Release").inputs["values"])
    assert values["env"] == []


def test_replicas_without_a_shared_cache_are_a_preview_warning(caplog):
    # dev (one zone, a zonal disk per replica) with two replicas.
    nim = json.loads(stack_config("dev")["nim-gke:nim"])
    nim["models"][0]["replicas"] = 2
    with caplog.at_level("WARNING"):
        run_program(
            "dev",
            stack_config("dev", **{"nim-gke:nim": nim, "nim-gke:ngcApiKey": FAKE_NGC_KEY}),
            ["nim-gke:ngcApiKey"],
        )
    assert any(
        r.getMessage().startswith(
            "nim-gke:nim.sharedCache.enabled = false with 2 replicas for llama3-8b: every replica "
            "has its own cache disk and downloads the model from NGC on its first start."
        )
        for r in caplog.records
    )


def test_the_shared_cache_is_wired_from_cluster_to_release(caplog):
    nim = json.loads(stack_config("prod")["nim-gke:nim"])
    nim["models"][0]["replicas"] = 2
    nim["sharedCache"] = {"enabled": True}
    with caplog.at_level("WARNING"):
        run = run_program("prod", stack_config("prod", **{"nim-gke:nim": nim}))
    assert not any("sharedCache" in r.getMessage() for r in caplog.records)
    m = run.mocks
    addons = m.one("gcp:container/cluster:Cluster").inputs["addonsConfig"]
    assert addons["gcsFuseCsiDriverConfig"] == {"enabled": True}
    values = unwrap(m.one("kubernetes:helm.sh/v3:Release").inputs["values"])
    assert values["persistence"] == {
        "enabled": True,
        "existingClaim": "llama3-8b-1-0-3-model-cache",  # one claim per version release
        "accessMode": "ReadWriteMany",
        "size": "50Gi",
    }
    assert values["serviceAccount"] == {"create": False, "name": "nim-model-cache"}
    assert values["podAnnotations"]["gke-gcsfuse/volumes"] == "true"
    (claim,) = m.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    assert claim.inputs["metadata"]["name"] == values["persistence"]["existingClaim"]
    # The release waits for the cache (its claim must exist before the pods mount it).
    release_deps = m.options["nim-llama3-8b-1-0-3-release"]["dependencies"]
    assert any(d.endswith("::model-cache-llama3-8b-1-0-3-claim") for d in release_deps)


def test_prod_ships_with_the_shared_cache_and_dev_without():
    """prod's GPU pool spans two zones of g2 machines, which take no regional disk: its cache is
    the bucket (docs/startup.md, "A model cache the replicas share"). dev runs in one zone on a
    disk."""
    shipped = {"dev": False, "prod": True}
    for stack, shared in shipped.items():
        m = program(stack).mocks
        assert len(m.of_type("gcp:storage/bucket:Bucket")) == int(shared)
        addons = m.one("gcp:container/cluster:Cluster").inputs["addonsConfig"]
        assert ("gcsFuseCsiDriverConfig" in addons) is shared
        assert m.of_type("kubernetes:storage.k8s.io/v1:StorageClass") == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_helm_release_waits_for_the_image_mirror_and_the_pool(stack):
    """depends_on given to the NimRelease component reaches its Helm release (a component's
    depends_on is not inherited by its children): the pods select the ComputeClass, so the
    release waits for it and for every priority's node pool."""
    deps = program(stack).mocks.options["nim-llama3-8b-1-0-3-release"]["dependencies"]
    names = {d.split("::")[-1] for d in deps}
    assert {
        "registry-repository",
        "registry-agent-reads-key",
        "gpu-pool",
        "gpu-2-pool",
        "gpu-capacity-class",
    } <= names


def test_each_version_gets_its_own_shared_cache_claim_and_mirrored_image():
    """prod with a canary and the shared cache: one claim (and bucket directory, only-dir) per
    version release, since a version's model files are its own; each release mounts its own,
    pulls its own tag through the mirror, and waits for its claim and its AutoscalingMetric (the
    queries its HPA reads through GKE's managed metrics adapter)."""
    nim = json.loads(stack_config("prod")["nim-gke:nim"])
    nim["sharedCache"] = {"enabled": True}
    nim["models"][0]["canary"] = {"tag": "1.1.2", "weight": 10}
    pool = {**json.loads(stack_config("prod")["nim-gke:gpuPool"]), "maxNodes": 4}
    m = run_program(
        "prod", stack_config("prod", **{"nim-gke:nim": nim, "nim-gke:gpuPool": pool})
    ).mocks
    claims = {
        unwrap(c.inputs)["metadata"]["name"]
        for c in m.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    }
    assert claims == {"llama3-8b-1-0-3-model-cache", "llama3-8b-1-1-2-model-cache"}
    dirs = {
        unwrap(v.inputs)["spec"]["mountOptions"][1]
        for v in m.of_type("kubernetes:core/v1:PersistentVolume")
    }
    assert dirs == {"only-dir=llama3-8b-1-0-3", "only-dir=llama3-8b-1-1-2"}
    for rel in m.of_type("kubernetes:helm.sh/v3:Release"):
        name, values = unwrap(rel.inputs["name"]), unwrap(rel.inputs["values"])
        assert values["persistence"]["existingClaim"] == f"{name}-model-cache"
        tag = name.removeprefix("llama3-8b-").replace("-", ".")
        assert values["image"] == {
            "repository": "us-central1-docker.pkg.dev/my-nim-prod-project/nvcr-remote/"
            "nim/meta/llama3-8b-instruct",
            "tag": tag,
            "pullPolicy": values["image"]["pullPolicy"],
        }
        deps = {d.split("::")[-1] for d in m.options[f"nim-{name}-release"]["dependencies"]}
        assert {f"model-cache-{name}-claim", f"nim-{name}-autoscaling-metric"} <= deps
