"""Each version's autoscaler as plain data: the signals it reads, the ``AutoscalingMetric`` that
serves them and the chart's ``autoscaling.*`` values (tested without the engine).

Every signal is an External metric, a PromQL query that GKE's managed metrics adapter runs against
Cloud Monitoring: an ``AutoscalingMetric`` (``autoscaling.gke.io/v1beta1``) in the release's
namespace names the queries, and the HPA reads each as ``autoscaling.gke.io|<AutoscalingMetric
name>|<metric name>`` (cloud.google.com/kubernetes-engine/docs/how-to/autoscale-using-metrics:
"External metrics can be fetched from Cloud Monitoring by using a PromQL query"; the
AutoscalingMetric, the HPA and the workload must share a namespace,
cloud.google.com/kubernetes-engine/docs/tutorials/scale-to-from-zero-hpa). External, not Pods:
an External metric exists while no pod runs, which is what a version at zero replicas needs to wake
(kubernetes.io/blog/2026/09/02/kubernetes-v1-37-hpa-scale-to-zero-beta).

The signals, each with an ``AverageValue`` target (for an External metric the HPA proposes
``ceil(value / target)`` replicas and takes the largest proposal over all metrics:
kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go
``GetExternalPerPodMetricReplicas``, horizontal.go ``computeReplicasForMetrics``):

- ``load``: the sum over the version's pods of the NIM gauge ``monitoring.hpa.metric`` (GMP, the
  PodMonitoring's scrape), target ``targetAverage`` per replica; 0 with no pod (``or vector(0)``).
- with ``minReplicas: 0`` only, the signals that keep a version awake or wake it, each 0 or 1 and
  target 1, so any of them holds one replica:

  - ``busy``: a request is running in one of its pods (NIM's ``num_requests_running``);
  - ``requests`` (a Gateway and ``wakeOnRequests``): the internal Application Load Balancer
    answered a request for the version's backend in the last 5 minutes, 503s included (what a
    sleeping version returns): ``loadbalancing.googleapis.com/https/internal/request_count``,
    resource ``internal_http_lb_rule``, "sampled every 60 seconds; after sampling, data is not
    visible for up to 90 seconds" (cloud.google.com/monitoring/api/metrics_gcp, loadbalancing);
  - ``wake`` (``wakeSchedule`` or ``wakeOnCommand``): the gauge the stack's CronJob writes
    (:mod:`nimgke.wake_signal`): 1 in working hours or after ``nimctl wake``, else 0. No
    ``or vector(0)``: a writer that stopped shows as the HPA's ``FailedGetExternalMetric``
    (``nimctl doctor``) instead of silently meaning "asleep".

Scale-down waits ``idleMinutes``: the HPA scales down to the highest proposal of that window
(``behavior.scaleDown.stabilizationWindowSeconds``, horizontal.go
``stabilizeRecommendationWithBehaviors``), so a version sleeps once nothing asked for it for that
long. Cloud Monitoring's PromQL names: the first ``/`` of a metric type becomes ``:``, every other
``/`` and ``.`` ``_``; ``monitored_resource`` selects the resource type
(cloud.google.com/monitoring/promql/promql-mapping).
"""

from __future__ import annotations

from dataclasses import dataclass

from nimgke.helm_values import OPENAI_PORT

API_VERSION = "autoscaling.gke.io/v1beta1"
KIND = "AutoscalingMetric"
HPA_METRIC_PREFIX = "autoscaling.gke.io"
WAKE_METRIC_TYPE = "custom.googleapis.com/nim_gke/wake"
"""The gauge :mod:`nimgke.wake_signal` writes, one series per version release (label
``release``) on the cluster's ``k8s_cluster`` resource."""
LB_REQUEST_COUNT = "loadbalancing.googleapis.com/https/internal/request_count"
LB_RESOURCE = "internal_http_lb_rule"
WINDOW_MINUTES = 5
WINDOW = f"{WINDOW_MINUTES}m"
"""How far back a signal looks: the request rate's window, and how long one wake point counts
(the writer writes every 2 minutes: two points per window). So a version sleeps up to this long
after its idle window: the gauge's last 1 (or the last request) still counts meanwhile."""
RUNNING_METRIC = "num_requests_running"
"""NIM's gauge of requests in the engine (NVIDIA NIM for LLMs, "Observability")."""
SIGNAL_TARGET = 1
WAKE_SIGNALS = {
    "requests": "a request through the Gateway",
    "wake": "its wake schedule or `nimctl wake`",
}
"""The signals that can wake a version at zero replicas (``load`` and ``busy`` come from its
pods, so they are 0 then), in words (``nimctl doctor``)."""


def promql_name(metric_type: str) -> str:
    """A Cloud Monitoring metric type as PromQL names it:
    ``custom.googleapis.com/nim_gke/wake`` -> ``custom_googleapis_com:nim_gke_wake``."""
    domain, _, path = metric_type.partition("/")
    return f"{domain.replace('.', '_')}:{path.replace('/', '_').replace('.', '_')}"


def gateway_backend_pattern(namespace: str, service: str) -> str:
    """The load balancer's backend service of a version's Service, as a regular expression.

    GKE's Gateway controller names it ``gkegw1-<id>-<namespace>-<service>-<port>-<hash>`` (what
    the Gateway's ``networking.gke.io/backend-services`` annotation lists; the controller is not
    open source, so the pattern is matched loosely around the part the stack knows)."""
    return f"gkegw1-.+-{namespace}-{service}-{OPENAI_PORT}-.+"


@dataclass(frozen=True)
class Signal:
    """One External metric of a version's HPA."""

    name: str
    """The metric's name in the AutoscalingMetric (a DNS label)."""
    query: str
    """The PromQL query the managed adapter runs."""
    target: float
    """The ``AverageValue`` target: replicas proposed = ceil(value / target)."""


@dataclass(frozen=True, kw_only=True)
class ReleaseScope:
    """Where a version's series live: its cluster, namespace, pods and load balancer backend."""

    release: str
    """The version's Helm release (and its AutoscalingMetric's name)."""
    fullname: str
    """The chart's workload and Service name (``<release>-nim-llm``): its pods' name prefix."""
    cluster: str
    namespace: str

    def pods(self) -> str:
        """The label selector of the version's NIM series (GMP adds ``pod``; a StatefulSet's pods
        are ``<fullname>-<n>``, a Deployment's ``<fullname>-<hash>-<id>``)."""
        return (
            f'{{cluster="{self.cluster}",namespace="{self.namespace}",pod=~"{self.fullname}-.+"}}'
        )


def load_signal(scope: ReleaseScope, metric: str, target_average: float) -> Signal:
    return Signal("load", f"sum({metric}{scope.pods()}) or vector(0)", target_average)


def busy_signal(scope: ReleaseScope) -> Signal:
    return Signal(
        "busy",
        f"(sum({RUNNING_METRIC}{scope.pods()}) or vector(0)) > bool 0",
        SIGNAL_TARGET,
    )


def requests_signal(scope: ReleaseScope) -> Signal:
    selector = (
        f'{{monitored_resource="{LB_RESOURCE}",'
        f'backend_target_name=~"{gateway_backend_pattern(scope.namespace, scope.fullname)}"}}'
    )
    rate = f"sum(rate({promql_name(LB_REQUEST_COUNT)}{selector}[{WINDOW}]))"
    return Signal("requests", f"({rate} or vector(0)) > bool 0", SIGNAL_TARGET)


def wake_signal(scope: ReleaseScope) -> Signal:
    selector = (
        f'{{monitored_resource="k8s_cluster",cluster_name="{scope.cluster}",'
        f'release="{scope.release}"}}'
    )
    return Signal(
        "wake",
        f"max(max_over_time({promql_name(WAKE_METRIC_TYPE)}{selector}[{WINDOW}]))",
        SIGNAL_TARGET,
    )


def release_signals(
    scope: ReleaseScope,
    *,
    metric: str,
    target_average: float,
    sleeps: bool,
    wake_on_requests: bool,
    wake_gauge: bool,
) -> tuple[Signal, ...]:
    """The External metrics of one version's HPA (see the module docstring)."""
    found = [load_signal(scope, metric, target_average)]
    if sleeps:
        found.append(busy_signal(scope))
        if wake_on_requests:
            found.append(requests_signal(scope))
        if wake_gauge:
            found.append(wake_signal(scope))
    return tuple(found)


def hpa_metric_name(release: str, signal: Signal) -> str:
    """How the HPA names an AutoscalingMetric's metric: ``autoscaling.gke.io|<name>|<metric>``."""
    return f"{HPA_METRIC_PREFIX}|{release}|{signal.name}"


def autoscaling_metric_spec(signals: tuple[Signal, ...]) -> dict:
    """The AutoscalingMetric's ``spec``: one ``promql`` entry per signal."""
    return {"metrics": [{"promql": {"name": s.name, "query": s.query}} for s in signals]}


def _target(value: float) -> str:
    return f"{value:g}"


def chart_autoscaling(
    release: str,
    signals: tuple[Signal, ...],
    *,
    min_replicas: int,
    max_replicas: int,
    idle_seconds: int,
) -> dict:
    """The chart's ``autoscaling`` values: nim-llm 1.3.0 templates/hpa.yaml renders ``minReplicas``,
    ``maxReplicas``, each of ``metrics`` as it is, and ``scaleDownStabilizationSecs`` as
    ``behavior.scaleDown.stabilizationWindowSeconds``."""
    return {
        "enabled": True,
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
        "scaleDownStabilizationSecs": idle_seconds,
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {"name": hpa_metric_name(release, s)},
                    "target": {"type": "AverageValue", "averageValue": _target(s.target)},
                },
            }
            for s in signals
        ],
    }
