"""Render the real nim-llm chart with each stack's values and check the pod would start.

Needs a ``helm`` binary and the unpacked chart in ``$NIM_LLM_CHART_DIR`` (see
``tests/helm_env.py``). ``.ci/run`` installs helm and points at the complete chart 1.3.0 beside
the repository (``../shared/reference/nim-llm-1.3.0``), so CI renders it on every change.
Elsewhere the tests skip with the reason unless a chart is given, e.g. ``helm pull nim-llm
--repo https://helm.ngc.nvidia.com/nim --username '$oauthtoken' --password $NGC_API_KEY
--version 1.3.0 --untar``: the chart is not redistributed in this repository.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.nim_release import READY_TIMEOUT_SECONDS
from nimctl import chart
from nimgke.config.versions import chart_fullname
from nimgke.helm_values import TERMINATION_GRACE_PERIOD_S, deployment_rollout
from tests.conftest import unwrap
from tests.helm_env import require_chart
from tests.test_chart_contract import (
    STACKS,
    compute_class,
    gpu_pools,
    program,
    secrets,
    stack_name,
)

pytestmark = pytest.mark.helm
HELM, CHART = require_chart()
CHART_VERSION = chart.chart_version(CHART)
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def releases(stack: str) -> list[dict[str, Any]]:
    found = program(stack).mocks.of_type("kubernetes:helm.sh/v3:Release")
    assert found, "no Release registered"
    return [unwrap(r.inputs) for r in found]


def rendered(stack: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each Release's inputs and the objects ``helm template`` makes of them."""
    return [
        (rel, chart.template(HELM, rel["name"], CHART, rel["namespace"], rel["values"]))
        for rel in releases(stack)
    ]


def workload_name(release: str) -> str:
    """The StatefulSet's name: ``<release>`` up to chart 1.1.x, ``<release>-nim-llm`` from the NGC
    chart 1.3.0 on (templates/_helpers.tpl, nim-llm.fullname)."""
    major, minor = (int(p) for p in CHART_VERSION.split(".")[:2])
    return f"{release}-nim-llm" if (major, minor) >= (1, 3) else release


def test_the_chart_is_the_version_the_stacks_pin():
    for stack in STACKS:
        assert {rel["version"] for rel in releases(stack)} == {CHART_VERSION}


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_pod_would_start_on_the_stack(stack):
    pools = gpu_pools(stack)
    cc = compute_class(stack)
    for rel, docs in rendered(stack):
        release, values = rel["name"], rel["values"]
        (sts,) = chart.workloads(docs)
        # A version on the shared cache (ReadWriteMany) is a Deployment, so it surges; a disk
        # per replica (ReadWriteOnce) keeps the StatefulSet.
        shared = bool(values["persistence"].get("existingClaim"))
        assert sts["kind"] == ("Deployment" if shared else "StatefulSet")
        assert sts["metadata"]["name"] == workload_name(release)
        labels = {"app.kubernetes.io/name": "nim-llm", "app.kubernetes.io/instance": release}
        assert sts["spec"]["selector"]["matchLabels"] == labels
        if values["autoscaling"]["enabled"]:
            # With an HPA the chart leaves replicas to it (no spec.replicas, which every
            # `helm upgrade` would otherwise reset, and a new workload starts at one replica, as
            # an HPA that scales to zero needs); its minimum is the configured one.
            assert "replicas" not in sts["spec"]
            (hpa,) = [d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"]
            assert hpa["spec"]["minReplicas"] == values["autoscaling"]["minReplicas"]
            assert hpa["spec"]["scaleTargetRef"]["name"] == sts["metadata"]["name"]
            assert hpa["spec"]["metrics"] == values["autoscaling"]["metrics"]
        else:
            assert sts["spec"]["replicas"] == values["replicaCount"]
        pod = sts["spec"]["template"]["spec"]
        assert labels.items() <= sts["spec"]["template"]["metadata"]["labels"].items()
        (container,) = [c for c in pod["containers"] if c["name"] == "nim-llm"]
        assert container["image"] == f"{values['image']['repository']}:{values['image']['tag']}"

        # Every Secret key the pod reads exists in a Secret the stack creates.
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets(stack)[ref["name"]]["stringData"], ref
        assert any(
            e["name"] == "NGC_API_KEY" and e["valueFrom"]["secretKeyRef"]["key"] == "NGC_API_KEY"
            for e in container["env"]
        )
        # Pulled through the stack's Artifact Registry mirror of nvcr.io (nvcr.io's
        # path kept), authenticated by the node's service account: the pod names no pull Secret.
        # Each version pulls its own tag (prod-canary: 1.0.3 and the canary's 1.1.2).
        tag = values["image"]["tag"]
        assert container["image"] == (
            f"us-central1-docker.pkg.dev/my-nim-{stack_name(stack)}-project/nvcr-remote/"
            f"nim/meta/llama3-8b-instruct:{tag}"
        )
        assert "imagePullSecrets" not in pod
        # No wasted start-up work: the catalog's L4 profile is pinned (nimgke/models.py) for the
        # tag it was read for; a profile id belongs to one tag, so 1.1.2 runs unpinned (warned).
        pin = {
            "name": "NIM_MODEL_PROFILE",
            "value": "8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d",
        }
        if tag == "1.0.3":
            assert pin in container["env"]
        else:
            assert not [e for e in container["env"] if e["name"] == "NIM_MODEL_PROFILE"]

        # Scheduling: the rendered pod selects the ComputeClass whose priorities are the GPU
        # pools, tolerates the class's taint on each of them (node label and NoSchedule taint
        # cloud.google.com/compute-class, GKE "Configure manually-created node pools for
        # ComputeClass use") and GKE's GPU taint, and Spot nodes where a priority is Spot. No
        # node selector on a label the class decides (gke-accelerator, gke-spot): GKE rejects
        # such pods beside a class ("About custom ComputeClasses").
        assert pod["nodeSelector"] == {"cloud.google.com/compute-class": cc["metadata"]["name"]}
        assert cc["spec"]["priorities"] == [{"nodepools": [p["name"]]} for p in pools]
        for taint in {t["key"]: t for p in pools for t in p["nodeConfig"]["taints"]}.values():
            effect = {"NO_SCHEDULE": "NoSchedule"}[taint["effect"]]
            assert {
                "key": taint["key"],
                "operator": "Equal",
                "value": taint["value"],
                "effect": effect,
            } in pod["tolerations"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
            "tolerations"
        ]
        spot = {
            "key": "cloud.google.com/gke-spot",
            "operator": "Equal",
            "value": "true",
            "effect": "NoSchedule",
        }
        assert (spot in pod["tolerations"]) is any(p["nodeConfig"]["spot"] for p in pools)
        gpus = min(p["nodeConfig"]["guestAccelerators"][0]["count"] for p in pools)
        assert 1 <= container["resources"]["limits"]["nvidia.com/gpu"] <= gpus
        assert container["resources"]["requests"] == values["resources"]["requests"]

        # Probes on the NIM health paths with at least the chart's startup budget.
        assert container["livenessProbe"]["httpGet"]["path"] == "/v1/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/v1/health/ready"
        startup = container["startupProbe"]
        assert startup["httpGet"]["path"] == "/v1/health/ready"
        budget = (
            startup["initialDelaySeconds"] + startup["failureThreshold"] * startup["periodSeconds"]
        )
        assert budget >= 40 + 180 * 10

        # The model cache is a persisted claim of the requested size and class, or the shared
        # claim (checked in full below).
        if shared:
            volumes = {v["name"]: v for v in pod["volumes"]}
            assert volumes["model-store"]["persistentVolumeClaim"] == {
                "claimName": values["persistence"]["existingClaim"]
            }
        else:
            (claim,) = sts["spec"]["volumeClaimTemplates"]
            size = claim["spec"]["resources"]["requests"]["storage"]
            assert size == values["persistence"]["size"]
            assert claim["spec"]["storageClassName"] == values["persistence"]["storageClass"]
            assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
            mounts = {m["name"] for m in container["volumeMounts"]}
            assert claim["metadata"]["name"] in mounts

        # The Service the stack exports exists with the OpenAI port.
        services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
        assert services[f"{release}-nim-llm"]["spec"]["ports"][0]["port"] == 8000
        assert services[f"{release}-nim-llm"]["spec"]["type"] == values["service"]["type"]

        # What the Gateway and the model's Service rely on. The route's backendRef and
        # both policies name this Service (chart_fullname), port 8000; the model's Service
        # selects these pod labels and targets the container port named http-openai.
        assert chart_fullname(release) in services
        assert services[chart_fullname(release)]["spec"]["ports"][0] == {
            "port": 8000,
            "targetPort": "http-openai",
            "name": "http-openai",
        }
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http-openai"] == 8000
        assert sts["metadata"]["name"] == chart_fullname(release)


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_pods_pass_the_namespace_pod_security_level(stack):
    """The namespace enforces Pod Security "restricted" (ngc-namespace labels): a workload that
    breaks it is refused at admission and never gets a pod."""
    namespace = program(stack).mocks.named("ngc-namespace")
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for _rel, docs in rendered(stack):
        workloads = chart.workloads(docs)
        assert workloads
        for w in workloads:
            assert chart.restricted_violations(chart.pod_spec(w) or {}) == [], w["metadata"]
        # Nothing else the install creates runs a pod outside those workloads.
        installed = [d for d in docs if not chart.is_hook(d)]
        assert {d["kind"] for d in installed} <= {
            "ConfigMap",
            "Service",
            "StatefulSet",
            "Deployment",
            "HorizontalPodAutoscaler",
            "ServiceAccount",
            "PersistentVolumeClaim",
        }


@pytest.mark.parametrize("stack", STACKS)
def test_the_charts_helm_test_pods_cannot_run_in_the_stacks_namespace(stack):
    """Why the docs support `nimctl smoke`, not `helm test` (docs/operations.md, "Why not helm
    test"): the chart's test hooks
    (templates/tests/*.yaml, curlimages/curl) set no securityContext, so the namespace's
    `restricted` level refuses them at admission (pod-security-admission's
    check_allowPrivilegeEscalation, check_runAsNonRoot, check_seccompProfile_restricted,
    check_capabilities_restricted), and the NIM's ingress policy admits no pod of the namespace
    itself."""
    for _rel, docs in rendered(stack):
        hooks = [d for d in docs if chart.is_hook(d) and d["kind"] == "Pod"]
        assert {d["metadata"]["annotations"]["helm.sh/hook"] for d in hooks} == {"test"}
        assert len(hooks) == 3  # models, completions, streaming chat
        for pod in hooks:
            violations = chart.restricted_violations(chart.pod_spec(pod) or {})
            assert any("allowPrivilegeEscalation" in v for v in violations), violations
            assert any("runAsNonRoot" in v for v in violations), violations
    policies = [
        unwrap(p.inputs)
        for p in program(stack).mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if unwrap(p.inputs)["metadata"]["name"].endswith("-allow-clients")
    ]
    assert len(policies) == len(releases(stack))  # one per version
    for policy in policies:
        assert {"podSelector": {}} not in policy["spec"]["ingress"][0]["from"]


# --- the shared model cache, as the real chart renders it --------------------------------------


def shared_cache_run(stack: str, replicas: int) -> Any:
    """``stack`` with nim.sharedCache.enabled and ``replicas`` per version."""
    import json  # noqa: PLC0415

    from tests.conftest import FAKE_NGC_KEY, run_program, stack_config  # noqa: PLC0415

    nim = json.loads(stack_config(stack)["nim-gke:nim"])
    nim["sharedCache"] = {"enabled": True}
    nim["models"][0]["replicas"] = replicas
    config = stack_config(stack, **{"nim-gke:nim": nim, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    return run_program(stack, config, ["nim-gke:ngcApiKey"])


@pytest.mark.parametrize(("stack", "replicas"), [("prod", 2), ("dev", 1)])
def test_over_the_shared_cache_a_version_is_a_deployment_that_surges(stack, replicas):
    """nim.sharedCache.enabled: the chart (1.3.0) renders a Deployment (statefulSet.enabled:
    false), mounts the stack's ReadWriteMany claim on the bucket as model-store in the pod
    template, makes no per-replica claim, runs the pods as the service account the bucket trusts
    and carries the annotation that makes GKE inject the gcsfuse sidecar; the pod still passes Pod
    Security restricted. The chart sets no update strategy (templates/deployment.yaml), so
    Kubernetes' defaults apply: maxSurge 25 % and maxUnavailable 25 % (kubernetes/kubernetes@
    04791b4906602ffda5ccf9bc4c84d3329f1d7080: pkg/apis/apps/v1/defaults.go), which
    ResolveFenceposts (kubernetes/kubernetes@277391ee713412cf75e4b46ad5d6e5ae9844abf1:
    pkg/controller/deployment/util/deployment_util.go) turns into one pod of surge and none
    unavailable for one or two replicas: a changed pod starts beside the old one."""
    run = shared_cache_run(stack, replicas)
    claim = unwrap(run.mocks.one("kubernetes:core/v1:PersistentVolumeClaim").inputs)
    ksa = unwrap(run.mocks.named("model-cache-sa").inputs)
    rel = unwrap(run.mocks.one("kubernetes:helm.sh/v3:Release").inputs)
    values = rel["values"]
    assert values["statefulSet"] == {"enabled": False}
    assert values["persistence"] == {
        "enabled": True,
        "existingClaim": claim["metadata"]["name"],
        "accessMode": "ReadWriteMany",
        "size": "50Gi",
    }
    docs = chart.template(HELM, rel["name"], CHART, rel["namespace"], values)
    (workload,) = chart.workloads(docs)
    assert workload["kind"] == "Deployment"
    assert workload["metadata"]["name"] == chart_fullname(rel["name"])
    assert "strategy" not in workload["spec"]  # Kubernetes' RollingUpdate defaults
    assert deployment_rollout(replicas) == (1, 0)
    # The chart waits an hour for progress, as long as Helm waits behind a Gateway.
    assert workload["spec"]["progressDeadlineSeconds"] == READY_TIMEOUT_SECONDS == 3600
    assert "volumeClaimTemplates" not in workload["spec"]
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    if values["autoscaling"]["enabled"]:
        # With an HPA the chart leaves the replica count to it, and the HPA scales the Deployment.
        assert "replicas" not in workload["spec"]
        (hpa,) = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": workload["metadata"]["name"],
        }
        # dev's versions sleep (monitoring.hpa.minReplicas: 0); prod keeps its replicas warm.
        assert hpa["spec"]["minReplicas"] == (0 if stack == "dev" else replicas)
    else:
        assert workload["spec"]["replicas"] == replicas
    pod = workload["spec"]["template"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["model-store"]["persistentVolumeClaim"] == {
        "claimName": claim["metadata"]["name"]
    }
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pod["spec"]["serviceAccountName"] == ksa["metadata"]["name"] == "nim-model-cache"
    assert pod["metadata"]["annotations"]["gke-gcsfuse/volumes"] == "true"
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "nim-llm"]
    assert {"mountPath": "/model-store", "name": "model-store"} in container["volumeMounts"]
    assert chart.restricted_violations(pod["spec"]) == []
    # Two replicas or more: the stack's disruption budget selects exactly these pods, so a node
    # drain takes one of them at a time; one replica gets none.
    budgets = [unwrap(b.inputs) for b in run.mocks.of_type(PDB)]
    if replicas >= 2:
        (budget,) = budgets
        selector = budget["spec"]["selector"]["matchLabels"]
        assert selector == workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        assert budget["spec"]["maxUnavailable"] == 1
    else:
        assert budgets == []


def _hpa(stack: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The main version's values and the HorizontalPodAutoscaler the chart renders from them."""
    rel, docs = rendered(stack)[0]
    (hpa,) = [d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"]
    return rel["values"], hpa


DEV_VERSIONS = {
    "dev": ["llama3-8b-1-0-3"],
    "dev-canary": ["llama3-8b-1-0-3", "llama3-8b-1-1-2"],
}
"""dev's version releases, and with a canary on standby (tests/test_chart_contract.py)."""


@pytest.mark.parametrize("stack", list(DEV_VERSIONS))
def test_every_dev_version_renders_an_hpa_that_scales_to_zero_on_its_own_wake_signal(stack):
    """nim-llm 1.3.0 templates/hpa.yaml, rendered for each dev version: ``autoscaling.minReplicas``
    0 as minReplicas 0 (not dropped as "empty"), ``scaleDownStabilizationSecs`` as behavior.
    scaleDown.stabilizationWindowSeconds (the idle time before a version sleeps), each of
    ``autoscaling.metrics`` as it is: External metrics of the version's own AutoscalingMetric,
    which exist while no pod runs (what minReplicas 0 needs: kubernetes.io/blog/2026/09/02/
    kubernetes-v1-37-hpa-scale-to-zero-beta), the wake signal among them: a version whose HPA
    does not read it never wakes on its schedule or on `nimctl wake`."""
    seen = []
    for rel, docs in rendered(stack):
        release = rel["name"]
        seen.append(release)
        (hpa,) = [d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["name"] == workload_name(release)
        assert hpa["spec"]["minReplicas"] == 0
        assert hpa["spec"]["maxReplicas"] == 1
        assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 1800}}
        names = [m["external"]["metric"]["name"] for m in hpa["spec"]["metrics"]]
        assert names == [
            f"autoscaling.gke.io|{release}|load",
            f"autoscaling.gke.io|{release}|busy",
            f"autoscaling.gke.io|{release}|wake",
        ]
        assert {m["type"] for m in hpa["spec"]["metrics"]} == {"External"}
        assert [m["external"]["target"] for m in hpa["spec"]["metrics"]] == [
            {"type": "AverageValue", "averageValue": "10"},
            {"type": "AverageValue", "averageValue": "1"},
            {"type": "AverageValue", "averageValue": "1"},
        ]
    assert sorted(seen) == DEV_VERSIONS[stack]


def test_prod_renders_the_same_autoscaler_with_a_warm_replica():
    """prod: the same managed-adapter HPA, its minimum the version's one replica, its only
    signal the load (a version that never sleeps needs none to wake)."""
    values, hpa = _hpa("prod")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 2)
    assert [m["external"]["metric"]["name"] for m in hpa["spec"]["metrics"]] == [
        "autoscaling.gke.io|llama3-8b-1-0-3|load"
    ]
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 1800


@pytest.mark.parametrize("stack", STACKS)
def test_the_pods_termination_grace_period_is_the_one_the_draining_rule_assumes(stack):
    """nim-llm 1.3.0 hard-codes terminationGracePeriodSeconds: 60 (templates/deployment.yaml; no
    value sets it). gateway.drainingTimeoutSec is validated against it
    (nimgke/config/check_rollout.py): a stream in flight survives scale-in or a removed version
    for at most this long."""
    for _, docs in rendered(stack):
        (sts,) = chart.workloads(docs)
        grace = sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace == TERMINATION_GRACE_PERIOD_S == 60
