"""The wake signal's writer in dev (components/wake_signal.py): a CronJob that Pod Security
``restricted`` admits, on the system pool, writing with its own Workload Identity principal (one
role, no Google service account), allowed to the metadata server by the namespace's policies, on
``python:3.13-slim`` by digest through the stack's Docker Hub cache; and the versions'
AutoscalingMetrics and the cluster settings the managed metrics adapter needs, for dev and for a
dev with two versions (a canary on standby)."""

from __future__ import annotations

import ast
import json
import sys
from functools import cache

import pytest

from components.wake_signal import NAME, OVERRIDES_CONFIGMAP
from nimctl.chart import restricted_violations
from nimgke import wake_signal
from tests.conftest import FAKE_NGC_KEY, ROOT, ProgramRun, run_program, stack_config, unwrap
from tests.nimctl.plan_stacks import plan_json
from tests.test_chart_contract import program

DEV_PRINCIPAL = (
    "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
    "my-nim-dev-project.svc.id.goog/subject/ns/nim/sa/nim-wake-signal"
)


DEV_CANARY = "dev-canary"
"""dev with a second version of its model: a canary on standby (tests/test_chart_contract.py)."""
CANARY_RELEASE = "llama3-8b-1-1-2"
WAKE_IMAGE = (
    "us-central1-docker.pkg.dev/my-nim-dev-project/nim-dev-dockerhub/library/python"
    "@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6"
)
"""python:3.13-slim's multi-platform index digest as docker-library/repo-info@
2986dca3a80cb11b70fc4599941096374ea9e509:repos/python/remote/3.13-slim.md lists it (built
2026-08-05, read 2026-12-03), under dev's Docker Hub cache in us-central1, by Docker Hub's
canonical name ``library/python`` (distribution/reference normalize.go ``splitDockerDomain``
prefixes a one-part docker.io name with ``library/``: the name the upstream registry serves)."""


@cache
def run(stack: str) -> ProgramRun:
    if stack == DEV_CANARY:
        return program(DEV_CANARY)
    return run_program(
        stack, stack_config(stack, **{"nim-gke:ngcApiKey": FAKE_NGC_KEY}), ["nim-gke:ngcApiKey"]
    )


def one(stack: str, typ: str) -> dict:
    (found,) = run(stack).mocks.of_type(typ)
    return unwrap(found.inputs)


def test_dev_writes_its_wake_signal_with_one_role_of_its_own():
    (grant,) = [
        unwrap(g.inputs)
        for g in run("dev").mocks.of_type("gcp:projects/iAMMember:IAMMember")
        if "wake-signal" in g.name
    ]
    assert grant == {
        "project": "my-nim-dev-project",
        "role": "roles/monitoring.metricWriter",
        "member": DEV_PRINCIPAL,
    }
    accounts = [
        unwrap(a.inputs)["metadata"]
        for a in run("dev").mocks.of_type("kubernetes:core/v1:ServiceAccount")
    ]
    assert {"name": NAME, "namespace": "nim"}.items() <= accounts[0].items()
    # a principal, not a Google service account to impersonate: no annotation, no account
    assert "annotations" not in accounts[0]
    assert not [
        a
        for a in run("dev").mocks.of_type("gcp:serviceaccount/account:Account")
        if "wake" in a.name
    ]


def test_the_cronjob_runs_the_repositorys_program_every_two_minutes():
    cron = one("dev", "kubernetes:batch/v1:CronJob")
    spec = cron["spec"]
    # Every 2 minutes: two points inside the wake query's 5-minute lookback (nimgke/autoscaling.py).
    assert spec["schedule"] == "*/2 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    # By digest, through the stack's Docker Hub cache (tests/test_dockerhub_cache.py): a tag would
    # let Docker Hub change what runs, and the nodes would pull from Docker Hub themselves.
    assert container["image"] == WAKE_IMAGE
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["command"] == ["python3", "/opt/nim-wake/wake_signal.py"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "NIM_WAKE_RELEASES": "llama3-8b-1-0-3",
        "NIM_WAKE_PROJECT": "my-nim-dev-project",
        "NIM_WAKE_LOCATION": "us-central1-a",
        "NIM_WAKE_CLUSTER": "nim-dev",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NIM_WAKE_DAYS": "MO,TU,WE,TH,FR",
        "NIM_WAKE_START": "09:00",
        "NIM_WAKE_END": "17:00",
        "NIM_WAKE_TIME_ZONE": "America/Chicago",
    }
    # what the program reads from that environment is dev's schedule
    assert wake_signal.settings(env)[1] == {
        "days": ["MO", "TU", "WE", "TH", "FR"],
        "start": "09:00",
        "end": "17:00",
        "timeZone": "America/Chicago",
    }
    (program_map,) = [
        unwrap(c.inputs)
        for c in run("dev").mocks.of_type("kubernetes:core/v1:ConfigMap")
        if unwrap(c.inputs)["metadata"]["name"] == NAME
    ]
    # The command's file is the repository's program, mounted from this ConfigMap's key.
    assert program_map["data"] == {
        "wake_signal.py": (ROOT / "nimgke" / "wake_signal.py").read_text(encoding="utf-8")
    }
    assert {"name": "program", "mountPath": "/opt/nim-wake", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert {"name": "program", "configMap": {"name": NAME}} in pod["volumes"]
    # the overrides nimctl writes are optional: the first runs find none
    assert {"name": "overrides", "configMap": {"name": OVERRIDES_CONFIGMAP, "optional": True}} in (
        pod["volumes"]
    )
    assert pod["nodeSelector"] == {"nim-gke/pool": "system"}
    assert pod["serviceAccountName"] == NAME


def test_the_mounted_program_needs_nothing_but_pythons_standard_library():
    """The image is plain Python: the program the ConfigMap carries imports only modules of the
    standard library (sys.stdlib_module_names), none of the project's packages."""
    (program_map,) = [
        unwrap(c.inputs)
        for c in run("dev").mocks.of_type("kubernetes:core/v1:ConfigMap")
        if unwrap(c.inputs)["metadata"]["name"] == NAME
    ]
    tree = ast.parse(program_map["data"]["wake_signal.py"])
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    assert imported >= {"json", "urllib", "zoneinfo"}
    assert imported - set(sys.stdlib_module_names) == set()
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


def test_the_cronjobs_pod_passes_pod_security_restricted():
    pod = one("dev", "kubernetes:batch/v1:CronJob")["spec"]["jobTemplate"]["spec"]["template"]
    assert restricted_violations(pod["spec"]) == []
    (container,) = pod["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_its_only_extra_egress_is_the_metadata_server():
    """DNS and HTTPS are the namespace's (NamespacePolicies); the Workload Identity token comes
    from the GKE metadata server, which that policy leaves out."""
    (policy,) = [
        unwrap(p.inputs)
        for p in run("dev").mocks.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if unwrap(p.inputs)["metadata"]["name"] == "allow-wake-signal-metadata"
    ]
    assert policy["spec"] == {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "nim-gke"}
        },
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}],
             "ports": [{"protocol": "TCP", "port": 80}]},
            {"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}],
             "ports": [{"protocol": "TCP", "port": 988}]},
        ],
    }  # fmt: skip
    labels = one("dev", "kubernetes:batch/v1:CronJob")["spec"]["jobTemplate"]["spec"]["template"]
    assert (
        policy["spec"]["podSelector"]["matchLabels"].items() <= labels["metadata"]["labels"].items()
    )


def test_prod_keeps_a_warm_replica_and_writes_no_wake_signal():
    assert run("prod").mocks.of_type("kubernetes:batch/v1:CronJob") == []


VERSIONS = {
    "dev": ["llama3-8b-1-0-3"],
    DEV_CANARY: ["llama3-8b-1-0-3", CANARY_RELEASE],
    "prod": ["llama3-8b-1-0-3"],
}
"""Each variant's version releases: <release>-<tag with dots as dashes>."""


@pytest.mark.parametrize("stack", list(VERSIONS))
def test_each_version_gets_its_autoscaling_metric_before_its_release(stack):
    """One AutoscalingMetric per version, named after it: a dev version sleeps and wakes on its
    own load, busy and wake series; a prod version reads its load only."""
    metrics = {
        unwrap(m.inputs)["metadata"]["name"]: unwrap(m.inputs)
        for m in run(stack).mocks.of_type("kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric")
    }
    assert sorted(metrics) == VERSIONS[stack]
    for release, inputs in metrics.items():
        assert inputs["metadata"] == {"name": release, "namespace": "nim"}
        queries = {m["promql"]["name"]: m["promql"]["query"] for m in inputs["spec"]["metrics"]}
        assert list(queries) == (["load", "busy", "wake"] if stack != "prod" else ["load"])
        pods = f'pod=~"{release}-nim-llm-.+"'
        assert pods in queries["load"]
        if "wake" in queries:
            assert pods in queries["busy"]
            # Its own series of the gauge the CronJob writes: one per release.
            assert f'release="{release}"' in queries["wake"]
        deps = run(stack).mocks.options[f"nim-{release}-release"]["dependencies"]
        assert any(d.endswith(f"::nim-{release}-autoscaling-metric") for d in deps)


@pytest.mark.parametrize("stack", ["dev", DEV_CANARY])
def test_every_dev_version_is_in_the_wake_signal_and_its_hpa_reads_it(stack):
    """The CronJob writes a series for every version (NIM_WAKE_RELEASES), and each version's
    HPA (the chart's autoscaling values) reads its own: a version left out would never wake."""
    pod = one(stack, "kubernetes:batch/v1:CronJob")["spec"]["jobTemplate"]["spec"]["template"]
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["NIM_WAKE_RELEASES"] == ",".join(VERSIONS[stack])
    assert wake_signal.settings(env)[0] == VERSIONS[stack]
    helm = {
        unwrap(r.inputs)["name"]: unwrap(r.inputs)["values"]["autoscaling"]
        for r in run(stack).mocks.of_type("kubernetes:helm.sh/v3:Release")
    }
    assert sorted(helm) == VERSIONS[stack]
    for release, values in helm.items():
        assert values["minReplicas"] == 0
        names = [m["external"]["metric"]["name"] for m in values["metrics"]]
        assert names == [f"autoscaling.gke.io|{release}|{m}" for m in ("load", "busy", "wake")]


def test_the_cluster_has_the_version_and_profile_the_adapter_needs():
    for stack in ("dev", "prod"):
        cluster = one(stack, "gcp:container/cluster:Cluster")
        assert cluster["minMasterVersion"] == "1.37.0-gke.3100000"
        assert cluster["podAutoscaling"] == {"hpaProfile": "PERFORMANCE"}


# What the hand-installed Custom Metrics Stackdriver Adapter creates
# (GoogleCloudPlatform/k8s-stackdriver@0857364d151373fb985599f4ddee6504166de939:
# custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml): the
# namespace custom-metrics, the service account custom-metrics-stackdriver-adapter, its RBAC,
# Deployment and Service, and APIServices that register custom.metrics.k8s.io and
# external.metrics.k8s.io with the aggregator. GKE's managed adapter needs none of them.
ADAPTER_WORDS = (
    "custom-metrics-stackdriver-adapter",
    "custom.metrics.k8s.io",
    "external.metrics.k8s.io",
    "external-metrics-reader",
    "custom-metrics:system:auth-delegator",
)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_neither_plan_installs_the_custom_metrics_stackdriver_adapter(stack):
    """``nimctl plan STACK --json`` (what the program registers) holds no APIService, nothing in
    a ``custom-metrics`` namespace and no word of the adapter's manifest: the HPAs' metrics come
    from GKE's managed adapter through the AutoscalingMetrics."""
    doc = json.loads(plan_json(stack))
    types = {r["type"] for r in doc["resources"]}
    assert not {t for t in types if "apiregistration.k8s.io" in t}
    assert "kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric" in types
    text = json.dumps(doc)
    assert [w for w in ADAPTER_WORDS if w in text] == []
    for r in doc["resources"]:
        meta = r["inputs"].get("metadata") or {}
        assert "custom-metrics" not in (meta.get("name"), meta.get("namespace")), r["urn"]
        assert r["inputs"].get("namespace") != "custom-metrics", r["urn"]
