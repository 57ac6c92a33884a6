"""The stack's Cloud Monitoring dashboard and alert policies, built as plain data (pure, tested
without the engine). ``components/observability.py`` turns them into resources.

Every query is PromQL over Google Cloud Managed Service for Prometheus (GMP). Cloud Monitoring
answers PromQL over GMP data with the Prometheus metric names as the exporter wrote them, and GMP
adds the target labels ``project_id``, ``location``, ``cluster``, ``namespace``, ``job``,
``instance`` (and ``pod`` for PodMonitoring targets) to every series
(cloud.google.com/stackdriver/docs/managed-prometheus/query, "PromQL in Cloud Monitoring";
the ``prometheus_target`` monitored resource). Each selector below names the stack's cluster, so
one project can hold several stacks. The dashboard API's PromQL field is
``timeSeriesQuery.prometheusQuery`` and the alert condition is ``conditionPrometheusQueryLanguage``
(google.monitoring.dashboard.v1 / google.monitoring.v3 messages; the tests parse both with the
official protos).

Where each metric name was read is written next to it (:data:`METRICS`); the tests check that
every query names only metrics listed there, and that each alert's metric is also on the dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# --- metric names and where they come from -----------------------------------------------------

NIM_DOC = (
    "NVIDIA NIM for LLMs, 'Observability' (docs.nvidia.com/nim/large-language-models/latest/"
    "observability.html): metric table, served on /v1/metrics port 8000"
)
RUNAI_DOC = (
    "NVIDIA Run:ai 'NIM Observability Metrics via API' (run-ai-docs.nvidia.com): "
    "NIM_REQUEST_SUCCESS_TOTAL / NIM_REQUEST_FAILURE_TOTAL, 'requests with finish reason stop or "
    "length are counted' as success, other finish reasons as failure"
)
DCGM_DOC = (
    "GKE 'Collect and view DCGM metrics' (cloud.google.com/kubernetes-engine/docs/how-to/"
    "dcgm-metrics): the managed DCGM package, NVIDIA dcgm-exporter default counters "
    "(github.com/NVIDIA/dcgm-exporter etc/default-counters.csv: DCGM_FI_DEV_GPU_UTIL gauge %, "
    "DCGM_FI_DEV_FB_USED gauge MiB, DCGM_FI_DEV_GPU_TEMP gauge C, DCGM_FI_DEV_POWER_USAGE gauge "
    "W); "
    "dcgm-exporter labels each series with Hostname (the node), gpu, UUID and modelName"
)
KSM_DOC = (
    "GKE 'Collect and view kube state metrics' (cloud.google.com/kubernetes-engine/docs/how-to/"
    "kube-state-metrics): the POD package (kube_pod_container_status_ready, "
    "kube_pod_status_phase; labels namespace, pod, container, phase), enabled by "
    "components/cluster.py MONITORING_COMPONENTS"
)
VLLM_LABEL = (
    "the per-model label of NIM's vLLM-derived metrics is model_name (vllm/engine/metrics.py "
    "labelnames ['model_name']; NIM's table gives every metric 'Per model' granularity)"
)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    """gauge, counter or histogram (a histogram is queried through its ``_bucket`` series)."""
    source: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("num_requests_running", "gauge", NIM_DOC),
        Metric("num_requests_waiting", "gauge", NIM_DOC),
        Metric("gpu_cache_usage_perc", "gauge", f"{NIM_DOC} ('1 means 100 percent usage')"),
        Metric("time_to_first_token_seconds", "histogram", NIM_DOC),
        Metric("time_per_output_token_seconds", "histogram", NIM_DOC),
        Metric("e2e_request_latency_seconds", "histogram", NIM_DOC),
        Metric("generation_tokens_total", "counter", NIM_DOC),
        Metric("request_success_total", "counter", RUNAI_DOC),
        Metric("request_failure_total", "counter", RUNAI_DOC),
        Metric("DCGM_FI_DEV_GPU_UTIL", "gauge", DCGM_DOC),
        Metric("DCGM_FI_DEV_FB_USED", "gauge", DCGM_DOC),
        Metric("DCGM_FI_DEV_GPU_TEMP", "gauge", DCGM_DOC),
        Metric("DCGM_FI_DEV_POWER_USAGE", "gauge", DCGM_DOC),
        Metric("kube_pod_container_status_ready", "gauge", KSM_DOC),
        Metric("kube_pod_status_phase", "gauge", KSM_DOC),
    )
}
NIM_CONTAINER = "nim-llm"  # the chart's container name (nim-llm 1.3.0 templates/deployment.yaml)
GPU_NODE_LABEL = "Hostname"
"""dcgm-exporter's node label: GPU panels are per node by it, and the pool's node count is the
number of distinct values (a node counts once its driver runs and its exporter reports)."""
RATE_WINDOW = "5m"


def legend(label: str) -> str:
    """A legend naming one label of a PromQL series, in Cloud Monitoring's syntax
    ``${labels.<label>}`` (google.monitoring.dashboard.v1 XyChart.DataSet.legend_template), not
    Grafana's ``{{label}}``: "Grafana legends follow the format of {{var}}. Cloud ops legends
    using prometheus metrics follow the form ${labels.var}"
    (GoogleCloudPlatform/monitoring-dashboard-samples@6a189960
    scripts/dashboard-importer/src/dashboards/converter/legend.ts, replaceDoubleBraces)."""
    return "${labels." + label + "}"


GKE_NODE_NAME = "gke-{cluster}-{node pool}-{hash}-{suffix}"
"""How GKE names a pool's nodes (its instances; e.g. ``gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-x7k2``
in the doctor fixtures): the node pool's name is in each node's name. dcgm-exporter reports the
node name as ``Hostname``, so a pool's GPU nodes are the series whose Hostname holds its name.
GKE shortens long cluster and pool names in node names (the rule is not published): with a
cluster name near GKE's 40-character limit the match can miss, and the pool line reads 0."""


@dataclass(frozen=True, kw_only=True)
class Scope:
    """What the queries are about: the stack's cluster, the NIM namespace, the GPU pools whose
    nodes the pool line and the ``gpuPoolAtMax`` alert count."""

    stack: str
    cluster: str
    namespace: str
    gpu_min_nodes: int
    gpu_max_nodes: int
    """The bounds of the counted pools together (their ``minNodes``/``maxNodes`` summed)."""
    gpu_version_nodes: int
    """The GPU nodes the versions on the counted pools may ask for at once: each version's HPA
    ``maxReplicas`` (its ``replicas`` without an HPA) in nodes, summed
    (:func:`nimgke.shape.version_gpu_nodes`)."""
    gpu_pools: tuple[str, ...] = ("gpu",)
    """The counted pools (``gpu`` is gpuPool; the stack counts every priority of its ComputeClass,
    ``gpu``, ``gpu-2``, ...; greenPool is another pool and is not counted by default): each pool's
    GKE node pool is auto-named ``<pool>-pool-<random>`` (:func:`node_pool_prefix`)."""

    @property
    def gpu_ceiling_nodes(self) -> int:
        """The most GPU nodes the stack lets its versions use: the fewer of the pools' maximum
        (every priority's ``maxNodes`` together) and what the versions may ask for. Validation
        keeps ``maxNodes`` at or above the versions' ask, so the ask is usually the ceiling; the
        pools' maximum alone is never reached while the HPAs cap the pods below it, and an alert
        at it could never fire."""
        return min(self.gpu_max_nodes, self.gpu_version_nodes)

    def sel(self, *extra: str) -> str:
        """A label selector for a NIM series (PodMonitoring in the NIM namespace)."""
        parts = [f'cluster="{self.cluster}"', f'namespace="{self.namespace}"', *extra]
        return "{" + ",".join(parts) + "}"

    def gpu_sel(self) -> str:
        """Every GPU node of the cluster (the per-node GPU panels)."""
        return "{" + f'cluster="{self.cluster}"' + "}"

    def pool_sel(self) -> str:
        """The GPU nodes of the counted pools only, by node name (``GKE_NODE_NAME``)."""
        pools = "|".join(node_pool_prefix(p) for p in self.gpu_pools)
        return "{" + f'cluster="{self.cluster}",{GPU_NODE_LABEL}=~"gke-.+-({pools})-.+"' + "}"


def node_pool_prefix(pool: str) -> str:
    """The GKE node pool of ``pool``: the GpuNodePool component ``<pool>`` registers its
    ``gcp.container.NodePool`` as ``<pool>-pool``, which pulumi-gcp auto-names
    ``<pool>-pool-<random suffix>``."""
    return f"{pool}-pool"


def _quantile(q: float, metric: str, scope: Scope) -> str:
    """A percentile from a NIM histogram: ``histogram_quantile`` over the per-second rate of its
    ``_bucket`` series, summed per model and bucket bound (``le``)."""
    return (
        f"histogram_quantile({q:g}, sum by (model_name, le) "
        f"(rate({metric}_bucket{scope.sel()}[{RATE_WINDOW}])))"
    )


def gpu_node_count(scope: Scope) -> str:
    """GPU nodes of the counted pools that report DCGM series (a node counts once its driver
    runs)."""
    return f"count(count by ({GPU_NODE_LABEL}) (DCGM_FI_DEV_GPU_UTIL{scope.pool_sel()}))"


def requests_waiting(scope: Scope) -> str:
    """NIM's queue: requests waiting behind the running batch, one series per pod."""
    return f"num_requests_waiting{scope.sel()}"


def error_ratio(scope: Scope) -> str:
    fail = f"sum by (model_name) (rate(request_failure_total{scope.sel()}[{RATE_WINDOW}]))"
    ok = f"sum by (model_name) (rate(request_success_total{scope.sel()}[{RATE_WINDOW}]))"
    return f"{fail} / ({fail} + {ok})"


# --- the dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    query: str
    legend: str
    metrics: tuple[str, ...]
    """The metric names the query reads (checked against the query text by the tests)."""


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    """A UCUM unit for the y axis (``1`` for a count, ``s``, ``%``, ``MiBy``, ``Cel``, ``W``)."""
    series: tuple[Series, ...]
    thresholds: tuple[tuple[str, float], ...] = ()
    """(label, value) lines on the chart: the pool's bounds, an alert's threshold."""
    description: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    panels: tuple[Panel, ...]


def _nim_section(scope: Scope) -> Section:
    s = scope.sel
    by_model = "sum by (model_name)"
    return Section(
        "NIM (per model)",
        (
            Panel(
                "Requests running and waiting",
                "1",
                (
                    Series(
                        f"{by_model} (num_requests_running{s()})",
                        f"running {legend('model_name')}",
                        ("num_requests_running",),
                    ),
                    Series(
                        f"{by_model} ({requests_waiting(scope)})",
                        f"waiting {legend('model_name')}",
                        ("num_requests_waiting",),
                    ),
                ),
                description="Requests on the GPU and queued behind them; a queue that grows "
                "while running stays flat means the NIM is saturated (the HPA scales on the "
                "per-pod average of waiting).",
            ),
            Panel(
                "KV-cache usage",
                "10^2.%",
                (
                    Series(
                        f"max by (model_name) (gpu_cache_usage_perc{s()})",
                        legend("model_name"),
                        ("gpu_cache_usage_perc",),
                    ),
                ),
                description="Fraction of the GPU KV cache in use (1 = full); near 1, new "
                "requests wait or are preempted.",
            ),
            Panel(
                "Time to first token (p50, p95, p99)",
                "s",
                tuple(
                    Series(
                        _quantile(q, "time_to_first_token_seconds", scope),
                        f"p{int(q * 100)} {legend('model_name')}",
                        ("time_to_first_token_seconds",),
                    )
                    for q in (0.5, 0.95, 0.99)
                ),
                description="From NIM's histogram over 5 minutes: queueing plus prefill.",
            ),
            Panel(
                "Inter-token latency (p50, p95, p99)",
                "s",
                tuple(
                    Series(
                        _quantile(q, "time_per_output_token_seconds", scope),
                        f"p{int(q * 100)} {legend('model_name')}",
                        ("time_per_output_token_seconds",),
                    )
                    for q in (0.5, 0.95, 0.99)
                ),
                description="Time per output token of one stream (decode); on one L4 an 8B "
                "model cannot go below ~50 ms (FP16) or ~27 ms (FP8) per token (L4: 300 GB/s "
                "over 16 GB or 8 GB of weights).",
            ),
            Panel(
                "End-to-end request latency (p50, p95)",
                "s",
                tuple(
                    Series(
                        _quantile(q, "e2e_request_latency_seconds", scope),
                        f"p{int(q * 100)} {legend('model_name')}",
                        ("e2e_request_latency_seconds",),
                    )
                    for q in (0.5, 0.95)
                ),
            ),
            Panel(
                "Output tokens per second (all streams)",
                "1/s",
                (
                    Series(
                        f"{by_model} (rate(generation_tokens_total{s()}[{RATE_WINDOW}]))",
                        legend("model_name"),
                        ("generation_tokens_total",),
                    ),
                ),
                description="Aggregate decode throughput over every concurrent request, not "
                "the speed of one stream.",
            ),
            Panel(
                "Requests finished: success and failure",
                "1/s",
                (
                    Series(
                        f"{by_model} (rate(request_success_total{s()}[{RATE_WINDOW}]))",
                        f"success {legend('model_name')}",
                        ("request_success_total",),
                    ),
                    Series(
                        f"{by_model} (rate(request_failure_total{s()}[{RATE_WINDOW}]))",
                        f"failure {legend('model_name')}",
                        ("request_failure_total",),
                    ),
                ),
                description="Success: finish reason stop or length; failure: any other.",
            ),
            Panel(
                "Error ratio",
                "10^2.%",
                (
                    Series(
                        error_ratio(scope),
                        legend("model_name"),
                        ("request_failure_total", "request_success_total"),
                    ),
                ),
            ),
        ),
    )


def _gpu_section(scope: Scope) -> Section:
    g = scope.gpu_sel()
    # The bounds of several counted pools (a ComputeClass's priorities) are their sums.
    every = "" if len(scope.gpu_pools) == 1 else " (every priority)"
    by_node = f"max by ({GPU_NODE_LABEL})"
    node = legend(GPU_NODE_LABEL)

    def one(title: str, unit: str, metric: str, description: str = "") -> Panel:
        return Panel(
            title,
            unit,
            (Series(f"{by_node} ({metric}{g})", node, (metric,)),),
            description=description,
        )

    return Section(
        "GPU nodes (DCGM)",
        (
            one("GPU utilisation", "%", "DCGM_FI_DEV_GPU_UTIL", "Share of time a kernel ran."),
            one("GPU framebuffer memory used", "MiBy", "DCGM_FI_DEV_FB_USED"),
            one("GPU temperature", "Cel", "DCGM_FI_DEV_GPU_TEMP"),
            one("GPU power draw", "W", "DCGM_FI_DEV_POWER_USAGE"),
            Panel(
                "GPU pool nodes (with a working driver) against its bounds",
                "1",
                (Series(gpu_node_count(scope), "GPU nodes", ("DCGM_FI_DEV_GPU_UTIL",)),),
                thresholds=(
                    (f"gpuPool.maxNodes{every}", float(scope.gpu_max_nodes)),
                    (f"gpuPool.minNodes{every}", float(scope.gpu_min_nodes)),
                ),
                description="Distinct nodes of the pool reporting DCGM series (by the pool's name "
                "in the node's name: every priority of its ComputeClass; greenPool is another "
                "pool): a node counts once its NVIDIA driver is installed (a few minutes after it "
                "joins).",
            ),
        ),
    )


def _pods_section(scope: Scope) -> Section:
    s = scope.sel
    ready_sel = s(f'container="{NIM_CONTAINER}"')
    pending_sel = s('phase="Pending"')
    return Section(
        "Pods",
        (
            Panel(
                "NIM pods not ready",
                "1",
                (
                    Series(
                        f"sum by (pod) (kube_pod_container_status_ready{ready_sel} == bool 0)",
                        legend("pod"),
                        ("kube_pod_container_status_ready",),
                    ),
                ),
                description="1 while a NIM container is not ready: during every cold start "
                "for up to the startup budget (~31 min), then a problem (nimctl doctor).",
            ),
            Panel(
                "Pods Pending in the NIM namespace",
                "1",
                (
                    Series(
                        f"sum(kube_pod_status_phase{pending_sel})",
                        "Pending",
                        ("kube_pod_status_phase",),
                    ),
                ),
            ),
        ),
    )


def sections(scope: Scope) -> tuple[Section, ...]:
    return (_nim_section(scope), _gpu_section(scope), _pods_section(scope))


COLUMNS = 48  # the mosaic layout's grid width
PANEL_W, PANEL_H, HEADER_H = 24, 16, 4


def dashboard(scope: Scope) -> dict[str, Any]:
    """The dashboard as the Monitoring API's JSON (``Dashboard`` message, camelCase)."""
    tiles: list[dict[str, Any]] = []
    y = 0
    for section in sections(scope):
        tiles.append(
            {
                "xPos": 0,
                "yPos": y,
                "width": COLUMNS,
                "height": HEADER_H,
                "widget": {"title": section.title, "sectionHeader": {"dividerBelow": True}},
            }
        )
        y += HEADER_H
        for i, panel in enumerate(section.panels):
            tiles.append(
                {
                    "xPos": (i % 2) * PANEL_W,
                    "yPos": y + (i // 2) * PANEL_H,
                    "width": PANEL_W,
                    "height": PANEL_H,
                    "widget": _chart(panel),
                }
            )
        y += -(-len(section.panels) // 2) * PANEL_H
    return {
        "displayName": f"nim-gke {scope.stack}: NIM and GPUs ({scope.cluster})",
        "labels": {"nim-gke": "", f"stack-{scope.stack}": ""},
        "mosaicLayout": {"columns": COLUMNS, "tiles": tiles},
    }


def _chart(panel: Panel) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "dataSets": [
            {
                "timeSeriesQuery": {"prometheusQuery": s.query, "unitOverride": panel.unit},
                "plotType": "LINE",
                "legendTemplate": s.legend,
                "targetAxis": "Y1",
            }
            for s in panel.series
        ],
        "yAxis": {"scale": "LINEAR", "label": panel.unit},
    }
    if panel.thresholds:
        chart["thresholds"] = [
            {"label": label, "value": value, "targetAxis": "Y1"}
            for label, value in panel.thresholds
        ]
    return {"title": panel.title, "xyChart": chart}


def dashboard_json(scope: Scope) -> str:
    return json.dumps(dashboard(scope), indent=1, sort_keys=True)


def dashboard_metrics(scope: Scope) -> set[str]:
    return {m for sec in sections(scope) for p in sec.panels for s in p.series for m in s.metrics}
