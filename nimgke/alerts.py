"""The stack's alert policies as plain data: one PromQL condition each, from ``monitoring.alerts``.

A condition of type ``conditionPrometheusQueryLanguage`` fires while its PromQL returns a series
for ``duration`` (google.monitoring.v3 AlertPolicy.Condition.PrometheusQueryLanguageCondition:
"the duration ... the expression must be true before an alert fires"; pulumi-gcp 9
``AlertPolicyConditionConditionPrometheusQueryLanguageArgs``: ``query``, ``duration``,
``evaluation_interval``, ``labels``, ``rule_group``, ``alert_rule``). Every query reads metrics
the dashboard also charts (:mod:`nimgke.observability`), so an incident links to a chart that
shows it. The thresholds and durations are settings (``AlertsSettings``); a rule with
``enabled: false`` creates no policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimgke.config.settings import AlertRule, AlertsSettings
from nimgke.helm_values import (
    FIRST_START_ALLOWANCE_S,
    STARTUP_FAILURE_THRESHOLD,
    STARTUP_INITIAL_DELAY_S,
    STARTUP_PERIOD_S,
)
from nimgke.observability import (
    NIM_CONTAINER,
    RATE_WINDOW,
    Scope,
    error_ratio,
    gpu_node_count,
    requests_waiting,
)

EVALUATION_INTERVAL = "60s"
"""How often Cloud Monitoring evaluates each condition: once a minute (the API's default is 30 s;
alerting is billed per time series returned, and none of these needs finer than a minute)."""
STARTUP_BUDGET_S = STARTUP_INITIAL_DELAY_S + STARTUP_FAILURE_THRESHOLD * STARTUP_PERIOD_S
"""The startup probe's budget, 40 s + 180 x 10 s (the nim-llm chart's values): a NIM loading its
model is not ready this long after its container starts, on every cold start."""


def nim_not_ready(scope: Scope) -> str:
    """NIM pods that are not ready although a legitimate first start would be over:

    - a NIM container not ready in a pod that has been Running (its containers started: image
      pulled) for the whole startup budget, ``min_over_time(... phase="Running" [budget]) == 1``.
      kube-state-metrics reports every phase of a pod, 1 for its current one and 0 for the others
      (kube_pod_status_phase, kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md),
      so a pod that was Pending within the window is not counted yet;
    - a pod still Pending (no GPU node yet, or its image not pulled: ErrImagePull keeps a pod
      Pending) for the whole first-start allowance (node scale-up, driver, pull:
      ``FIRST_START_ALLOWANCE_S``).

    The ``for`` duration then only decides how long such a pod may stay before anyone is paged.
    """
    ready = scope.sel(f'container="{NIM_CONTAINER}"')
    # The Running side is joined on the pod's name to the namespace's NIM containers, so it needs
    # no namespace of its own (the query stays one readable line in `nimctl plan`).
    running = "{" + f'cluster="{scope.cluster}",phase="Running"' + "}"
    pending = scope.sel('phase="Pending"')
    # PromQL binds == before and, and before or: no parentheses needed.
    started = (
        f"kube_pod_container_status_ready{ready} == 0 and on(pod) "
        f"min_over_time(kube_pod_status_phase{running}[{STARTUP_BUDGET_S}s]) == 1"
    )
    stuck = f"min_over_time(kube_pod_status_phase{pending}[{FIRST_START_ALLOWANCE_S}s]) == 1"
    return f"count({started} or {stuck})"


@dataclass(frozen=True)
class AlertSpec:
    key: str
    """The setting under ``monitoring.alerts`` (camelCase), also the resource name's suffix."""
    display_name: str
    query: str
    for_minutes: int
    severity: str
    """CRITICAL, ERROR or WARNING (AlertPolicy.Severity)."""
    metrics: tuple[str, ...]
    runbook: str
    """Markdown for the incident: what it means and what to do."""


def _ttft_p95(scope: Scope) -> str:
    return (
        "histogram_quantile(0.95, sum by (model_name, le) "
        f"(rate(time_to_first_token_seconds_bucket{scope.sel()}[{RATE_WINDOW}])))"
    )


def _ceiling_source(scope: Scope) -> str:
    """What sets gpuPool's ceiling (:attr:`Scope.gpu_ceiling_nodes`), the other bound beside it."""
    asked = "its versions' HPA maxReplicas in nodes"
    most = "every priority's maxNodes together"
    if scope.gpu_version_nodes <= scope.gpu_max_nodes:
        return f"{asked} ({most}: {scope.gpu_max_nodes})"
    return f"{most} ({asked}: {scope.gpu_version_nodes})"


def _specs(scope: Scope, a: AlertsSettings) -> list[tuple[AlertRule, AlertSpec]]:
    ns, s = scope.namespace, scope.sel
    doctor = f"`nimctl doctor --namespace {ns}` says why and what fixes it."
    r = a.nim_not_ready
    return [
        (
            r,
            AlertSpec(
                "nimNotReady",
                "NIM not ready",
                f"{nim_not_ready(scope)} >= {r.threshold:g}",
                r.for_minutes,
                "CRITICAL",
                ("kube_pod_container_status_ready", "kube_pod_status_phase"),
                f"At least {r.threshold:g} NIM pod(s) in namespace `{ns}` stayed not ready for "
                f"{r.for_minutes} min after a cold start should have ended: Running for longer "
                f"than the startup probe's budget ({STARTUP_BUDGET_S} s), or Pending for longer "
                f"than a GPU node, its driver and the image pull take ({FIRST_START_ALLOWANCE_S} "
                f"s). {doctor}",
            ),
        ),
        (
            a.requests_waiting,
            AlertSpec(
                "requestsWaiting",
                "NIM requests waiting",
                f"avg by (model_name) ({requests_waiting(scope)}) > "
                f"{a.requests_waiting.threshold:g}",
                a.requests_waiting.for_minutes,
                "WARNING",
                ("num_requests_waiting",),
                "Requests queue behind the running batch (per-pod average). Add replicas "
                "(monitoring.hpa, gpuPool.maxNodes) or shorten the requests.",
            ),
        ),
        (
            a.kv_cache_usage,
            AlertSpec(
                "kvCacheUsage",
                "NIM KV cache near full",
                f"max by (model_name) (gpu_cache_usage_perc{s()}) > {a.kv_cache_usage.threshold:g}",
                a.kv_cache_usage.for_minutes,
                "WARNING",
                ("gpu_cache_usage_perc",),
                "The GPU KV cache is nearly full: new requests wait or running ones are "
                "preempted. Lower concurrency or context length, or use more GPU memory.",
            ),
        ),
        (
            a.ttft_p95_seconds,
            AlertSpec(
                "ttftP95Seconds",
                "NIM time to first token p95 above SLO",
                f"{_ttft_p95(scope)} > {a.ttft_p95_seconds.threshold:g}",
                a.ttft_p95_seconds.for_minutes,
                "WARNING",
                ("time_to_first_token_seconds",),
                "p95 time to first token is above the SLO: requests queue (see requests "
                "waiting) or prompts are long. Scale out or cap prompt length.",
            ),
        ),
        (
            a.error_rate,
            AlertSpec(
                "errorRate",
                "NIM error rate",
                f"{error_ratio(scope)} > {a.error_rate.threshold:g}",
                a.error_rate.for_minutes,
                "ERROR",
                ("request_failure_total", "request_success_total"),
                "A share of requests ended with a finish reason other than stop or length. "
                f"Read the NIM logs: `kubectl -n {ns} logs -l app.kubernetes.io/name=nim-llm`.",
            ),
        ),
        (
            a.gpu_pool_at_max,
            AlertSpec(
                "gpuPoolAtMax",
                "GPU pool at its scaling ceiling with requests waiting",
                f"{gpu_node_count(scope)} >= {scope.gpu_ceiling_nodes} and on() "
                f"(sum({requests_waiting(scope)}) >= {a.gpu_pool_at_max.threshold:g})",
                a.gpu_pool_at_max.for_minutes,
                "ERROR",
                ("DCGM_FI_DEV_GPU_UTIL", "num_requests_waiting"),
                f"gpuPool ({', '.join(scope.gpu_pools)}) runs {scope.gpu_ceiling_nodes} GPU "
                f"node(s), its ceiling: {_ceiling_source(scope)}, and "
                f"{a.gpu_pool_at_max.threshold:g}+ requests still wait in `{ns}`: no more "
                "replicas will come. Raise monitoring.hpa.maxReplicas and gpuPool.maxNodes (and "
                "the GPU quota), or add a replica elsewhere (greenPool).",
            ),
        ),
        (
            a.gpu_temperature_celsius,
            AlertSpec(
                "gpuTemperatureCelsius",
                "GPU temperature high",
                f"max by (Hostname) (DCGM_FI_DEV_GPU_TEMP{scope.gpu_sel()}) > "
                f"{a.gpu_temperature_celsius.threshold:g}",
                a.gpu_temperature_celsius.for_minutes,
                "WARNING",
                ("DCGM_FI_DEV_GPU_TEMP",),
                "A GPU runs hot and will throttle. GKE owns the node: if it persists, drain "
                "the node (`kubectl drain`) so the autoscaler replaces it.",
            ),
        ),
    ]


def alert_specs(scope: Scope, alerts: AlertsSettings) -> list[AlertSpec]:
    """The policies to create: every rule that is enabled (none when alerts are off)."""
    if not alerts.enabled:
        return []
    return [spec for rule, spec in _specs(scope, alerts) if rule.enabled]


def all_alert_keys() -> tuple[str, ...]:
    """Every alert a stack can have, enabled or not (for docs and tests)."""
    scope = Scope(
        stack="s", cluster="c", namespace="n", gpu_min_nodes=0, gpu_max_nodes=1, gpu_version_nodes=1
    )
    return tuple(spec.key for _, spec in _specs(scope, AlertsSettings()))


def policy_json(spec: AlertSpec, scope: Scope, channels: list[str]) -> dict[str, Any]:
    """The policy as the Monitoring API's JSON (``AlertPolicy`` message, camelCase)."""
    return {
        "displayName": f"nim-gke {scope.stack}: {spec.display_name}",
        "combiner": "OR",
        "enabled": True,
        "severity": spec.severity,
        "userLabels": {"nim-gke": scope.stack, "alert": spec.key.lower()},
        "documentation": {
            "content": spec.runbook,
            "mimeType": "text/markdown",
            "subject": f"[nim-gke {scope.stack}] {spec.display_name}",
        },
        "conditions": [
            {
                "displayName": spec.display_name,
                "conditionPrometheusQueryLanguage": {
                    "query": spec.query,
                    "duration": f"{spec.for_minutes * 60}s",
                    "evaluationInterval": EVALUATION_INTERVAL,
                },
            }
        ],
        "notificationChannels": list(channels),
    }
