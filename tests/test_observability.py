"""The dashboard and alert policies: valid Monitoring API JSON, real PromQL, metric names
from the sources cited in nimgke/observability.py, each alert's metric on the dashboard, channels
from config, and the preview warning when nobody would be notified."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import promql_parser
import pytest

from nimctl.__main__ import build_parser
from nimgke import alerts, observability
from nimgke.config import load_stack_file
from nimgke.config.settings import AlertsSettings
from tests.conftest import FAKE_NGC_KEY, ROOT, run_program, stack_config, unwrap
from tests.test_chart_contract import program

with warnings.catch_warnings():
    # google.api_core warns about Python 3.11's end of life (2027) on import.
    warnings.simplefilter("ignore", FutureWarning)
    from google.cloud import monitoring_dashboard_v1, monitoring_v3

DASHBOARD = "gcp:monitoring/dashboard:Dashboard"
POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
SCOPE = observability.Scope(
    stack="prod",
    cluster="nim-prod",
    namespace="nim",
    gpu_min_nodes=1,
    gpu_max_nodes=2,
    gpu_version_nodes=2,
)
# A metric name followed by its selector: every query here selects by cluster.
_METRIC_REF = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\{")
_HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")


def metrics_in(query: str) -> set[str]:
    names = set()
    for found in _METRIC_REF.findall(query):
        base = found
        for part in _HISTOGRAM_PARTS:
            if found.endswith(part) and found.removesuffix(part) in observability.METRICS:
                base = found.removesuffix(part)
        names.add(base)
    return names


def dashboard_queries(board: dict[str, Any]) -> list[str]:
    return [
        ds["timeSeriesQuery"]["prometheusQuery"]
        for tile in board["mosaicLayout"]["tiles"]
        if "xyChart" in tile["widget"]
        for ds in tile["widget"]["xyChart"]["dataSets"]
    ]


def recorded_dashboard(stack: str) -> dict[str, Any]:
    (board,) = program(stack).mocks.of_type(DASHBOARD)
    return json.loads(board.inputs["dashboardJson"])


# --- the dashboard ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_dashboard_is_a_valid_monitoring_api_dashboard(stack):
    text = program(stack).mocks.one(DASHBOARD).inputs["dashboardJson"]
    # from_json refuses any field the google.monitoring.dashboard.v1.Dashboard message lacks.
    board = monitoring_dashboard_v1.Dashboard.from_json(text)
    assert board.display_name == f"nim-gke {stack}: NIM and GPUs (nim-{stack})"
    assert board.mosaic_layout.columns == 48
    titles = [t.widget.title for t in board.mosaic_layout.tiles]
    assert titles[0] == "NIM (per model)"
    for expected in (
        "Requests running and waiting",
        "KV-cache usage",
        "Time to first token (p50, p95, p99)",
        "Inter-token latency (p50, p95, p99)",
        "Output tokens per second (all streams)",
        "Requests finished: success and failure",
        "GPU utilisation",
        "GPU framebuffer memory used",
        "GPU temperature",
        "GPU power draw",
        "GPU pool nodes (with a working driver) against its bounds",
        "NIM pods not ready",
    ):
        assert expected in titles


def test_dashboard_tiles_do_not_overlap():
    board = observability.dashboard(SCOPE)
    cells: set[tuple[int, int]] = set()
    for tile in board["mosaicLayout"]["tiles"]:
        assert tile["xPos"] + tile["width"] <= 48
        mine = {
            (x, y)
            for x in range(tile["xPos"], tile["xPos"] + tile["width"])
            for y in range(tile["yPos"], tile["yPos"] + tile["height"])
        }
        assert not cells & mine, tile["widget"]["title"]
        cells |= mine


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_dashboard_query_is_promql_over_cited_metrics_of_this_cluster(stack):
    queries = dashboard_queries(recorded_dashboard(stack))
    assert len(queries) == 22
    for query in queries:
        promql_parser.parse(query)  # raises ValueError on anything that is not PromQL
        names = metrics_in(query)
        assert names and names <= set(observability.METRICS), query
        # Every selector names the stack's cluster: one project can hold several stacks.
        assert query.count("{") == query.count(f'{{cluster="nim-{stack}"'), query


def test_latency_panels_are_percentiles_of_nim_histogram_buckets():
    board = observability.dashboard(SCOPE)
    ttft = [q for q in dashboard_queries(board) if "time_to_first_token" in q]
    assert ttft == [
        f"histogram_quantile({q}, sum by (model_name, le) (rate(time_to_first_token_seconds_bucket"
        '{cluster="nim-prod",namespace="nim"}[5m])))'
        for q in ("0.5", "0.95", "0.99")
    ]
    assert any("time_per_output_token_seconds_bucket" in q for q in dashboard_queries(board))


def test_the_gpu_pool_panel_draws_the_pool_bounds():
    board = recorded_dashboard("prod")
    (tile,) = [
        t for t in board["mosaicLayout"]["tiles"] if t["widget"]["title"].startswith("GPU pool")
    ]
    chart = tile["widget"]["xyChart"]
    # gpuPool's nodes on every priority of its ComputeClass: gpu and its fallback gpu-2.
    assert [ds["timeSeriesQuery"]["prometheusQuery"] for ds in chart["dataSets"]] == [
        'count(count by (Hostname) (DCGM_FI_DEV_GPU_UTIL{cluster="nim-prod",'
        'Hostname=~"gke-.+-(gpu-pool|gpu-2-pool)-.+"}))'
    ]
    # prod's gpuPool: minNodes 1, maxNodes 2 (totals); its fallback: 0 (a fallback starts empty)
    # and the pool's maxNodes, 2. The class adds nodes until both are at their maximum: 2 + 2.
    assert chart["thresholds"] == [
        {"label": "gpuPool.maxNodes (every priority)", "value": 4.0, "targetAxis": "Y1"},
        {"label": "gpuPool.minNodes (every priority)", "value": 1.0, "targetAxis": "Y1"},
    ]


def test_a_dashboard_can_be_turned_off():
    mon = json.loads(stack_config("dev")["nim-gke:monitoring"])
    mon["dashboard"] = False
    config = stack_config("dev", **{"nim-gke:monitoring": mon, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    assert run.mocks.of_type(DASHBOARD) == []
    assert "nim-gke:monitoring:Observability" not in {r.typ for r in run.mocks.resources}


# --- the alert policies -------------------------------------------------------------------------


def policy_from_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """A recorded AlertPolicy's inputs as the Monitoring API's JSON (the wire names are the API's,
    less the provider's ``project``)."""
    body = unwrap(inputs)
    body.pop("project")
    return body


def test_prod_creates_one_policy_per_alert_each_valid_api_json():
    policies = program("prod").mocks.of_type(POLICY)
    assert sorted(p.name for p in policies) == sorted(
        f"observability-alert-{k.lower()}" for k in alerts.all_alert_keys()
    )
    for p in policies:
        body = policy_from_inputs(p.inputs)
        # from_json refuses a field the google.monitoring.v3.AlertPolicy message lacks.
        policy = monitoring_v3.AlertPolicy.from_json(json.dumps(body))
        (cond,) = policy.conditions
        assert cond.condition_prometheus_query_language.evaluation_interval.seconds == 60
        assert policy.combiner == monitoring_v3.AlertPolicy.ConditionCombinerType.OR
        assert policy.documentation.mime_type == "text/markdown"


def test_the_runbooks_name_the_doctor_command_the_set_up_installs():
    """The incident text Cloud Monitoring shows names ``nimctl doctor`` as the set-up installs it
    (the console script), with the stack's namespace, in a form nimctl's own parser accepts."""
    specs = {spec.key: spec for spec in alerts.alert_specs(SCOPE, AlertsSettings())}
    doctor = "`nimctl doctor --namespace nim` says why and what fixes it."
    asking = sorted(key for key, spec in specs.items() if doctor in spec.runbook)
    assert asking == ["nimNotReady"]
    assert not any("python" in spec.runbook for spec in specs.values())
    args = build_parser().parse_args(["doctor", "--namespace", "nim"])
    assert args.command == "doctor" and args.namespace == "nim"


def test_every_alert_query_is_promql_and_its_metric_is_on_the_dashboard():
    shown = observability.dashboard_metrics(SCOPE)
    specs = alerts.alert_specs(SCOPE, AlertsSettings())
    assert len(specs) == 7
    for spec in specs:
        promql_parser.parse(spec.query)
        assert metrics_in(spec.query) == set(spec.metrics), spec.key
        assert set(spec.metrics) <= shown, spec.key


@pytest.mark.parametrize(
    ("key", "query", "duration"),
    [
        (
            "nimNotReady",
            'count(kube_pod_container_status_ready{cluster="nim-prod",namespace="nim",'
            'container="nim-llm"} == 0 and on(pod) min_over_time(kube_pod_status_phase'
            '{cluster="nim-prod",phase="Running"}[1840s]) == 1 or min_over_time('
            'kube_pod_status_phase{cluster="nim-prod",namespace="nim",phase="Pending"}[3600s]) '
            "== 1) >= 1",
            "300s",
        ),
        (
            "requestsWaiting",
            'avg by (model_name) (num_requests_waiting{cluster="nim-prod",namespace="nim"}) > 10',
            "300s",
        ),
        (
            "kvCacheUsage",
            'max by (model_name) (gpu_cache_usage_perc{cluster="nim-prod",namespace="nim"}) > 0.9',
            "600s",
        ),
        (
            "ttftP95Seconds",
            "histogram_quantile(0.95, sum by (model_name, le) (rate(time_to_first_token_seconds_"
            'bucket{cluster="nim-prod",namespace="nim"}[5m]))) > 2',
            "600s",
        ),
        (
            # Pulumi.prod.yaml: gpuPool 1..2 and its fallback 0..2, one model of 1 replica whose
            # HPA scales to maxReplicas 2, a pod takes the one L4 of a g2-standard-4: the
            # ceiling is min(2 + 2, 2 x 1 / 1) = 2 nodes, with 10 requests waiting.
            "gpuPoolAtMax",
            'count(count by (Hostname) (DCGM_FI_DEV_GPU_UTIL{cluster="nim-prod",'
            'Hostname=~"gke-.+-(gpu-pool|gpu-2-pool)-.+"})) >= 2 and on() '
            '(sum(num_requests_waiting{cluster="nim-prod",namespace="nim"}) >= 10)',
            "900s",
        ),
        (
            "gpuTemperatureCelsius",
            'max by (Hostname) (DCGM_FI_DEV_GPU_TEMP{cluster="nim-prod"}) > 85',
            "300s",
        ),
    ],
)
def test_prod_alert_conditions_as_configured(key, query, duration):
    inputs = program("prod").mocks.named(f"observability-alert-{key.lower()}").inputs
    (cond,) = inputs["conditions"]
    assert cond["conditionPrometheusQueryLanguage"] == {
        "query": query,
        "duration": duration,
        "evaluationInterval": "60s",
    }


def test_dev_with_alerts_on_waits_at_one_node():
    """Pulumi.dev.yaml (alerts off as shipped): gpuPool 0..2 and its fallback 0..2, one model of
    1 replica whose HPA scales to maxReplicas 1 (and sleeps at 0), one L4 a pod and a node: the
    ceiling is min(2 + 2, 1 x 1 / 1) = 1 node; the threshold the default, 10 requests."""
    mon = json.loads(stack_config("dev")["nim-gke:monitoring"])
    mon["alerts"] = {"enabled": True}
    config = stack_config("dev", **{"nim-gke:monitoring": mon, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("dev", config, ["nim-gke:ngcApiKey"])
    (cond,) = run.mocks.named("observability-alert-gpupoolatmax").inputs["conditions"]
    assert cond["conditionPrometheusQueryLanguage"] == {
        "query": 'count(count by (Hostname) (DCGM_FI_DEV_GPU_UTIL{cluster="nim-dev",'
        'Hostname=~"gke-.+-(gpu-pool|gpu-2-pool)-.+"})) >= 1 and on() '
        '(sum(num_requests_waiting{cluster="nim-dev",namespace="nim"}) >= 10)',
        "duration": "900s",
        "evaluationInterval": "60s",
    }


def test_the_ceiling_is_max_nodes_where_the_pools_hold_fewer_nodes_than_the_versions_ask():
    """Validation keeps every priority's maxNodes together at or above what the versions ask for,
    but the ceiling is the fewer of the two either way: the pool cannot grow past its maxNodes."""
    tight = observability.Scope(**{**SCOPE.__dict__, "gpu_max_nodes": 1, "gpu_version_nodes": 3})
    assert tight.gpu_ceiling_nodes == 1
    (spec,) = [s for s in alerts.alert_specs(tight, AlertsSettings()) if s.key == "gpuPoolAtMax"]
    assert spec.query.startswith(f"{observability.gpu_node_count(tight)} >= 1 and on() (sum(")
    assert spec.runbook.startswith(
        "gpuPool (gpu) runs 1 GPU node(s), its ceiling: every priority's maxNodes together (its "
        "versions' HPA maxReplicas in nodes: 3), and 10+ requests still wait in `nim`: no more "
        "replicas will come. Raise monitoring.hpa.maxReplicas and gpuPool.maxNodes"
    )
    roomy = observability.Scope(**{**SCOPE.__dict__, "gpu_max_nodes": 4})
    assert roomy.gpu_ceiling_nodes == 2  # prod: its HPA's 2, not maxNodes' 4
    (spec,) = [s for s in alerts.alert_specs(roomy, AlertsSettings()) if s.key == "gpuPoolAtMax"]
    assert spec.runbook.startswith(
        "gpuPool (gpu) runs 2 GPU node(s), its ceiling: its versions' HPA maxReplicas in nodes "
        "(every priority's maxNodes together: 4), and 10+ requests"
    )


def test_the_at_ceiling_alert_sums_the_queue_the_requests_waiting_alert_averages():
    """One expression for NIM's queue (``num_requests_waiting``, NIM for LLMs "Observability"),
    read per pod by requestsWaiting and summed over the namespace by gpuPoolAtMax."""
    specs = {s.key: s for s in alerts.alert_specs(SCOPE, AlertsSettings())}
    queue = observability.requests_waiting(SCOPE)
    assert queue == 'num_requests_waiting{cluster="nim-prod",namespace="nim"}'
    assert f"avg by (model_name) ({queue}) > 10" == specs["requestsWaiting"].query
    assert specs["gpuPoolAtMax"].query.endswith(f"and on() (sum({queue}) >= 10)")
    assert AlertsSettings().gpu_pool_at_max.threshold == AlertsSettings().requests_waiting.threshold


def test_thresholds_and_durations_come_from_the_stack_file():
    mon = json.loads(stack_config("prod")["nim-gke:monitoring"])
    mon["alerts"]["requestsWaiting"] = {"threshold": 4, "forMinutes": 2}
    run = run_program("prod", stack_config("prod", **{"nim-gke:monitoring": mon}))
    (cond,) = run.mocks.named("observability-alert-requestswaiting").inputs["conditions"]
    promql = cond["conditionPrometheusQueryLanguage"]
    assert promql["query"].endswith(") > 4") and promql["duration"] == "120s"


def test_an_alert_with_enabled_false_is_not_created():
    mon = json.loads(stack_config("prod")["nim-gke:monitoring"])
    mon["alerts"]["gpuTemperatureCelsius"]["enabled"] = False
    run = run_program("prod", stack_config("prod", **{"nim-gke:monitoring": mon}))
    names = {p.name for p in run.mocks.of_type(POLICY)}
    assert "observability-alert-gputemperaturecelsius" not in names
    assert len(names) == 6


def test_dev_has_the_dashboard_but_no_alert_policies():
    run = program("dev")
    assert run.mocks.of_type(POLICY) == [] and len(run.mocks.of_type(DASHBOARD)) == 1


def test_email_channels_are_created_and_every_policy_notifies_them():
    emails = ["oncall@example.com", "gpu-team@example.com"]
    mon = json.loads(stack_config("prod")["nim-gke:monitoring"])
    mon["alerts"]["notificationEmails"] = emails
    run = run_program("prod", stack_config("prod", **{"nim-gke:monitoring": mon}))
    # Channels are looked up by address, never by position in the mock's list: the SDK sends each
    # registration from a worker thread once its inputs resolve, so the order the engine sees is
    # not the order the program created them in (pulumi/pulumi@014ec25aa347daffd797e1a4d7b6147a27a
    # 424ca:sdk/python/lib/pulumi/runtime/resource.py, register_resource: asyncio.ensure_future,
    # then run_in_executor(None, do_rpc_call)).
    channels = {c.inputs["labels"]["email_address"]: c for c in run.mocks.of_type(CHANNEL)}
    assert sorted(channels) == sorted(emails) and len(run.mocks.of_type(CHANNEL)) == 2
    assert all(
        c.inputs["type"] == "email" and len(c.inputs["labels"]) == 1 for c in channels.values()
    )
    names = [run.mocks.state[channels[email].name]["name"] for email in emails]
    assert all(n.startswith("projects/my-nim-prod-project/notificationChannels/") for n in names)
    assert len(set(names)) == 2
    # What the program sends does not depend on that order: every policy lists the channels in the
    # stack file's order, so `pulumi preview` shows no change between two runs of the same config.
    policies = run.mocks.of_type(POLICY)
    assert len(policies) == 7
    for policy in policies:
        assert policy.inputs["notificationChannels"] == names
    assert not [r for r in run.log if "notify nobody" in r.getMessage()]


def test_the_policies_list_their_channels_in_the_stack_files_order():
    emails = ["gpu-team@example.com", "oncall@example.com", "sre@example.com"]
    mon = json.loads(stack_config("prod")["nim-gke:monitoring"])
    mon["alerts"]["notificationEmails"] = emails
    run = run_program("prod", stack_config("prod", **{"nim-gke:monitoring": mon}))
    name_of = {
        c.inputs["labels"]["email_address"]: run.mocks.state[c.name]["name"]
        for c in run.mocks.of_type(CHANNEL)
    }
    for policy in run.mocks.of_type(POLICY):
        assert policy.inputs["notificationChannels"] == [name_of[e] for e in emails]


def test_without_a_channel_the_policies_exist_and_preview_says_so(caplog):
    (warning,) = [w for w in load_stack_file(ROOT / "Pulumi.prod.yaml").warnings if "nobody" in w]
    assert warning == (
        "nim-gke:monitoring.alerts.notificationEmails = []: the 7 alert policies are created but "
        "notify nobody (incidents only show in Cloud Monitoring > Alerting). Add "
        "notificationEmails: [oncall@example.com], or set alerts.enabled: false."
    )
    with caplog.at_level("WARNING"):
        run = run_program("prod", stack_config("prod"))
    assert len(run.mocks.of_type(POLICY)) == 7
    assert all(p.inputs.get("notificationChannels", []) == [] for p in run.mocks.of_type(POLICY))
    assert any(r.getMessage() == warning for r in caplog.records)
