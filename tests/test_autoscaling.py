"""Each version's autoscaler (nimgke/autoscaling.py): its AutoscalingMetric, the signals and the
chart's ``autoscaling`` values, for dev (sleeps), prod (a warm replica) and a sleeping stack behind
the Gateway. Pure: no engine, but for the AutoscalingMetric the program registers.

``AutoscalingMetric`` has no public CRD (tests/schemas/kube_schemas.py UNCHECKED_KINDS), so its
fields are held here to what GKE publishes:

- ``GKE_POD_EXAMPLE``: the example of "Expose custom metrics for autoscaling", quoted as the page
  prints it: its apiVersion, kind, metadata and the shape of ``spec.metrics`` (a list of entries,
  each one mapping of one kind) are what the program's AutoscalingMetric is checked against;
- the ``promql`` entry, ``spec.metrics[].promql.{name, query}``, read by the HPA as
  ``autoscaling.gke.io|<AutoscalingMetric>|<name>`` ("Autoscale Pods by using custom or external
  metrics", cloud.google.com/kubernetes-engine/docs/how-to/autoscale-using-metrics): that page's
  PromQL example could not be read here (only its opening, which says "External metrics can be
  fetched from Cloud Monitoring by using a PromQL query"), so these two names remain unverified
  (docs/status.md, "Not verified here").
"""

from __future__ import annotations

import re

import pytest
import yaml

from nimgke import autoscaling
from nimgke.config import parse
from nimgke.shape import stack_shape
from tests.conftest import unwrap
from tests.test_config_validation import raw_stack, set_path

GKE_POD_EXAMPLE = """\
apiVersion: autoscaling.gke.io/v1beta1
kind: AutoscalingMetric
metadata:
  name: NAME
  namespace: NAMESPACE
spec:
  metrics:
  - pod:
      selector:
        matchLabels:
          APP_LABEL_NAME: APP_LABEL_VALUE
      containers:
      - endpoint:
          port: METRIC_PORT
          path: METRIC_PATH
        metrics:
        - gauge:
          name: METRIC
          prometheusMetricName: METRIC_PROMETHEUS_NAME
"""
"""Quoted from https://cloud.google.com/kubernetes-engine/docs/how-to/expose-custom-metrics-autoscaling
("Expose metrics for autoscaling", step 2), read 2026-12-03 (docs.cloud.google.com copy), with its
indentation (``name`` and ``prometheusMetricName`` level with ``gauge:``, as printed). The stack
uses no ``pod`` entry: NIM's gauges already reach Cloud Monitoring through the
PodMonitoring, and a sleeping version needs External metrics anyway."""
PROMQL_ENTRY_KEYS = {"name", "query"}
"""The ``promql`` entry's fields, unverified against GKE's page (module docstring)."""


def shape(stack: str, **changes):
    raw = raw_stack(stack)
    for path, value in changes.items():
        raw = set_path(raw, path, value)
    return stack_shape(parse(stack, raw, (True, True)))


def release(stack: str, **changes):
    s = shape(stack, **changes)
    v = s.versions[0]
    assert s.autoscaling is not None
    return (v.release, *s.autoscaling.release(v, s.scope))


def queries(spec: dict) -> dict[str, str]:
    return {m["promql"]["name"]: m["promql"]["query"] for m in spec["metrics"]}


def test_the_programs_autoscaling_metric_has_the_documented_shape():
    """The AutoscalingMetric dev registers, against GKE's published example: the same apiVersion
    and kind, metadata of a name and the namespace of the version it serves (the AutoscalingMetric,
    the HPA and the workload must share it: cloud.google.com/kubernetes-engine/docs/tutorials/
    scale-to-from-zero-hpa), a spec of ``metrics`` only, each entry one mapping of one kind."""
    from tests.test_wake_signal_component import run  # noqa: PLC0415 - the engine, once

    documented = yaml.safe_load(GKE_POD_EXAMPLE)
    (registered,) = [
        unwrap(m.inputs)
        for m in run("dev").mocks.of_type("kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric")
    ]
    (release,) = [
        unwrap(r.inputs) for r in run("dev").mocks.of_type("kubernetes:helm.sh/v3:Release")
    ]
    assert (registered["apiVersion"], registered["kind"]) == (
        documented["apiVersion"],
        documented["kind"],
    )
    assert set(registered["metadata"]) == set(documented["metadata"]) == {"name", "namespace"}
    assert registered["metadata"]["namespace"] == release["namespace"]
    assert set(registered["spec"]) == set(documented["spec"]) == {"metrics"}
    for entry in (*registered["spec"]["metrics"], *documented["spec"]["metrics"]):
        assert isinstance(entry, dict) and len(entry) == 1
    for entry in registered["spec"]["metrics"]:
        assert set(entry) == {"promql"}
        assert set(entry["promql"]) == PROMQL_ENTRY_KEYS
        # metric names are DNS labels (the HPA's name joins them with "|")
        assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", entry["promql"]["name"])


def test_dev_sleeps_and_wakes_on_its_gauge():
    name, values, spec = release("dev")
    assert name == "llama3-8b-1-0-3"
    assert list(queries(spec)) == ["load", "busy", "wake"]  # no Gateway: no request signal
    pods = 'cluster="nim-dev",namespace="nim",pod=~"llama3-8b-1-0-3-nim-llm-.+"'
    assert queries(spec) == {
        "load": f"sum(num_requests_waiting{{{pods}}}) or vector(0)",
        "busy": f"(sum(num_requests_running{{{pods}}}) or vector(0)) > bool 0",
        # No "or vector(0)": a writer that stopped must show as a failed metric, not as "asleep".
        "wake": "max(max_over_time(custom_googleapis_com:nim_gke_wake{"
        'monitored_resource="k8s_cluster",cluster_name="nim-dev",release="llama3-8b-1-0-3"}'
        "[5m]))",
    }
    assert values == {
        "enabled": True,
        "minReplicas": 0,
        "maxReplicas": 1,
        "scaleDownStabilizationSecs": 1800,
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {"name": f"autoscaling.gke.io|llama3-8b-1-0-3|{m}"},
                    "target": {"type": "AverageValue", "averageValue": target},
                },
            }
            for m, target in (("load", "10"), ("busy", "1"), ("wake", "1"))
        ],
    }


def test_prod_keeps_a_warm_replica_under_the_same_autoscaler():
    """prod sets no minReplicas: each version keeps its replicas (1), and a version that never
    sleeps needs no signal to wake on: its HPA reads the load only."""
    name, values, spec = release("prod")
    assert list(queries(spec)) == ["load"]
    assert queries(spec)["load"] == (
        'sum(num_requests_waiting{cluster="nim-prod",namespace="nim",'
        'pod=~"llama3-8b-1-0-3-nim-llm-.+"}) or vector(0)'
    )
    assert (values["minReplicas"], values["maxReplicas"]) == (1, 2)
    assert values["metrics"][0]["external"]["metric"]["name"] == (
        "autoscaling.gke.io|llama3-8b-1-0-3|load"
    )


def test_a_sleeping_version_behind_the_gateway_wakes_on_its_requests():
    """prod with minReplicas 0: the load balancer's request count for the version's backend,
    503s of a sleeping version included, wakes it."""
    name, values, spec = release("prod", **{"nim-gke:monitoring.hpa.minReplicas": 0})
    assert list(queries(spec)) == ["load", "busy", "requests", "wake"]
    assert queries(spec)["requests"] == (
        "(sum(rate(loadbalancing_googleapis_com:https_internal_request_count{"
        'monitored_resource="internal_http_lb_rule",'
        'backend_target_name=~"gkegw1-.+-nim-llama3-8b-1-0-3-nim-llm-8000-.+"}[5m])) '
        "or vector(0)) > bool 0"
    )
    assert values["minReplicas"] == 0


def test_without_wake_on_command_and_a_schedule_the_gateway_alone_wakes_it():
    hpa = {"enabled": True, "minReplicas": 0, "wakeOnCommand": False}
    _, _, spec = release("prod", **{"nim-gke:monitoring.hpa": hpa})
    assert list(queries(spec)) == ["load", "busy", "requests"]


@pytest.mark.parametrize(
    ("metric_type", "promql"),
    [
        # the examples of cloud.google.com/monitoring/promql/promql-mapping
        ("kubernetes.io/container/cpu/limit_cores", "kubernetes_io:container_cpu_limit_cores"),
        (
            "compute.googleapis.com/instance/cpu/utilization",
            "compute_googleapis_com:instance_cpu_utilization",
        ),
        ("logging.googleapis.com/log_entry_count", "logging_googleapis_com:log_entry_count"),
        (autoscaling.WAKE_METRIC_TYPE, "custom_googleapis_com:nim_gke_wake"),
        (
            autoscaling.LB_REQUEST_COUNT,
            "loadbalancing_googleapis_com:https_internal_request_count",
        ),
    ],
)
def test_metric_types_are_named_as_cloud_monitorings_promql_names_them(metric_type, promql):
    assert autoscaling.promql_name(metric_type) == promql


def test_the_request_signal_selects_this_versions_backend_only():
    """GKE names a Gateway's backend services gkegw1-<id>-<namespace>-<service>-<port>-<hash>
    (the Gateway's networking.gke.io/backend-services annotation, as the doctor fixtures copy it:
    tests/nimctl/fixtures/doctor/make_fixtures.py gateway_obj)."""
    pattern = re.compile(autoscaling.gateway_backend_pattern("nim", "llama3-8b-1-0-3-nim-llm"))
    assert pattern.fullmatch("gkegw1-x7k2-nim-llama3-8b-1-0-3-nim-llm-8000-0f1e2d3c4b5a")
    assert not pattern.fullmatch("gkegw1-x7k2-nim-llama3-8b-1-1-2-nim-llm-8000-9a8b7c6d5e4f")
    assert not pattern.fullmatch("gkegw1-x7k2-nim-nim-internal-a1b2c3d4e5f6")
