"""The dashboard and alerts read right: legends in Cloud Monitoring's syntax, the GPU pool's own
nodes counted, and no page for a NIM that is still in a legitimate first start.

Sources:
- Legends: google.monitoring.dashboard.v1 XyChart.DataSet.legend_template; Google's Grafana
  importer converts Grafana's ``{{label}}`` to ``${labels.label}``: "Grafana legends follow the
  format of {{var}}. Cloud ops legends using prometheus metrics follow the form ${labels.var}"
  (GoogleCloudPlatform/monitoring-dashboard-samples@6a189960
  scripts/dashboard-importer/src/dashboards/converter/legend.ts).
- The startup budget: the nim-llm chart's startup probe, 40 s + 180 x 10 s = 1,840 s.
- kube_pod_status_phase reports every phase of a pod, 1 for the current one and 0 for the others
  (kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import promql_parser
import pytest

from nimgke import alerts, observability
from nimgke.config.settings import AlertsSettings
from tests.conftest import stack_config
from tests.schemas import stack_objects
from tests.test_chart_contract import program
from tests.test_observability import SCOPE

GRAFANA = re.compile(r"\{\{.*?\}\}")
CLOUD_MONITORING = re.compile(r"\$\{labels\.([A-Za-z_][A-Za-z0-9_]*)\}")


def data_sets(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for tile in board["mosaicLayout"]["tiles"]:
        yield from tile["widget"].get("xyChart", {}).get("dataSets", [])


def nodes(expr: Any) -> Iterator[Any]:
    """Every node of a promql_parser expression tree."""
    yield expr
    for attr in ("lhs", "rhs", "expr", "vector_selector"):
        child = getattr(expr, attr, None)
        if child is not None:
            yield from nodes(child)
    for arg in getattr(expr, "args", None) or ():
        yield from nodes(arg)


def windows(query: str) -> dict[str, float]:
    """phase -> range (s) of each ``min_over_time(kube_pod_status_phase{phase=..}[r])``."""
    found = {}
    for node in nodes(promql_parser.parse(query)):
        if isinstance(node, promql_parser.Call) and node.func.name == "min_over_time":
            (matrix,) = node.args
            matchers = {m.name: m.value for m in matrix.vector_selector.matchers.matchers}
            assert matrix.vector_selector.name == "kube_pod_status_phase"
            found[matchers["phase"]] = matrix.range.total_seconds()
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_legend_is_in_cloud_monitorings_syntax(stack):
    (board,) = program(stack).mocks.of_type("gcp:monitoring/dashboard:Dashboard")
    legends = [
        (ds["legendTemplate"], ds) for ds in data_sets(json.loads(board.inputs["dashboardJson"]))
    ]
    assert legends
    for text, ds in legends:
        assert not GRAFANA.search(text), text
        query = ds["timeSeriesQuery"]["prometheusQuery"]
        for label in CLOUD_MONITORING.findall(text):
            # The label is one the query keeps (it groups by it).
            assert re.search(rf"by \(([^)]*\b)?{label}\b", query), (text, query)
    assert "running ${labels.model_name}" in [t for t, _ in legends]
    assert "${labels.Hostname}" in [t for t, _ in legends]


def test_legend_builds_the_cloud_monitoring_form():
    assert observability.legend("model_name") == "${labels.model_name}"


def test_the_not_ready_alert_counts_only_pods_past_a_first_start():
    """A pod counts once it has been Running for the whole startup budget (1,840 s), or Pending
    for the whole first-start allowance (node, driver, pull: 3,600 s, the same Helm waits)."""
    query = alerts.nim_not_ready(SCOPE)
    assert alerts.STARTUP_BUDGET_S == 40 + 180 * 10
    assert windows(query) == {"Running": 1840.0, "Pending": 3600.0}
    spec = next(s for s in alerts.alert_specs(SCOPE, AlertsSettings()) if s.key == "nimNotReady")
    assert spec.query == f"{query} >= 1"
    # Not ready is joined to "Running for the whole budget" per pod.
    (join,) = [
        n
        for n in nodes(promql_parser.parse(query))
        if isinstance(n, promql_parser.BinaryExpr) and str(n.op) == "and"
    ]
    assert str(join.modifier.matching) == "on (pod)"


def test_the_not_ready_alert_pages_after_forminutes_not_after_the_startup_budget():
    """The budget is in the query, so forMinutes (5 by default, prod's too) is only how long a pod
    past its first start may stay not ready; no longer validated against the budget."""
    assert AlertsSettings().nim_not_ready.for_minutes == 5
    mon = json.loads(stack_config("prod")["nim-gke:monitoring"])
    assert mon["alerts"]["nimNotReady"] == {"threshold": 1, "forMinutes": 5}


def test_the_pool_line_and_the_at_max_alert_count_only_that_pools_nodes():
    """GKE names a node gke-<cluster>-<node pool>-<hash>-<suffix>; dcgm-exporter reports it as
    Hostname. gpuPool's node pool is gpu-pool-<random> (GpuNodePool "gpu"), greenPool's
    green-pool-<random>: the filter takes the counted pools' names."""
    (matcher,) = [
        m
        for n in nodes(promql_parser.parse(observability.gpu_node_count(SCOPE)))
        if isinstance(n, promql_parser.VectorSelector)
        for m in n.matchers.matchers
        if m.name == "Hostname"
    ]
    pattern = re.compile(matcher.value)  # PromQL anchors label regexes at both ends
    assert pattern.fullmatch("gke-nim-prod-gpu-pool-a1b2c3-3f2a1b7c-x7k2")
    assert not pattern.fullmatch("gke-nim-prod-green-pool-d4e5f6-9a8b7c6d-q2w3")
    both = observability.Scope(**{**SCOPE.__dict__, "gpu_pools": ("gpu", "green")})
    assert 'Hostname=~"gke-.+-(gpu-pool|green-pool)-.+"' in observability.gpu_node_count(both)


def test_with_greenpool_the_at_max_alert_still_counts_gpupool_only():
    """gpuPool is every priority of its ComputeClass (gpu, its fallback gpu-2); greenPool is
    another ComputeClass."""
    run = stack_objects.run("prod-green-canary")  # prod with a canary on greenPool
    (cond,) = run.mocks.named("observability-alert-gpupoolatmax").inputs["conditions"]
    query = cond["conditionPrometheusQueryLanguage"]["query"]
    assert 'Hostname=~"gke-.+-(gpu-pool|gpu-2-pool)-.+"' in query and "green" not in query
    # and the node pool really is named after the pool (the mock cloud auto-names like pulumi-gcp)
    assert run.mocks.state["gpu-pool"]["name"].startswith("gpu-pool-")
    assert run.mocks.state["green-pool"]["name"].startswith("green-pool-")  # greenPool is there
