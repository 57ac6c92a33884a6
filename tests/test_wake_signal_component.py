"""The wake signal's writer in dev (components/wake_signal.py): a CronJob that Pod Security
``restricted`` admits, on the system pool, writing with its own Workload Identity principal (one
role, no Google service account), allowed to the metadata server by the namespace's policies; and
the versions' AutoscalingMetrics and the cluster settings the managed metrics adapter needs."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from components.wake_signal import IMAGE, NAME, OVERRIDES_CONFIGMAP, SCHEDULE, program
from nimctl.chart import restricted_violations
from nimgke import wake_signal
from tests.conftest import FAKE_NGC_KEY, ProgramRun, run_program, stack_config, unwrap

DEV_PRINCIPAL = (
    "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
    "my-nim-dev-project.svc.id.goog/subject/ns/nim/sa/nim-wake-signal"
)


@cache
def run(stack: str) -> ProgramRun:
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
    assert (spec["schedule"], SCHEDULE) == ("*/2 * * * *", "*/2 * * * *")
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == IMAGE == "python:3.13-slim"
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
    program_map = [
        unwrap(c.inputs)
        for c in run("dev").mocks.of_type("kubernetes:core/v1:ConfigMap")
        if unwrap(c.inputs)["metadata"]["name"] == NAME
    ]
    assert program_map[0]["data"] == {"wake_signal.py": program()}
    assert program() == Path(wake_signal.__file__).read_text()
    # the overrides nimctl writes are optional: the first runs find none
    assert {"name": "overrides", "configMap": {"name": OVERRIDES_CONFIGMAP, "optional": True}} in (
        pod["volumes"]
    )
    assert pod["nodeSelector"] == {"nim-gke/pool": "system"}
    assert pod["serviceAccountName"] == NAME


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


def test_each_version_gets_its_autoscaling_metric_before_its_release():
    for stack in ("dev", "prod"):
        (metric,) = run(stack).mocks.of_type(
            "kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric"
        )
        inputs = unwrap(metric.inputs)
        assert inputs["apiVersion"] == "autoscaling.gke.io/v1beta1"
        assert inputs["metadata"] == {"name": "llama3-8b-1-0-3", "namespace": "nim"}
        names = [m["promql"]["name"] for m in inputs["spec"]["metrics"]]
        assert names == (["load", "busy", "wake"] if stack == "dev" else ["load"])
        deps = run(stack).mocks.options["nim-llama3-8b-1-0-3-release"]["dependencies"]
        assert any(d.endswith("::nim-llama3-8b-1-0-3-autoscaling-metric") for d in deps)


def test_the_cluster_has_the_version_and_profile_the_adapter_needs():
    for stack in ("dev", "prod"):
        cluster = one(stack, "gcp:container/cluster:Cluster")
        assert cluster["minMasterVersion"] == "1.37.0-gke.3100000"
        assert cluster["podAutoscaling"] == {"hpaProfile": "PERFORMANCE"}
