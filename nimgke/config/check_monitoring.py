"""Pass 2 for monitoring: the dashboard, the alert policies and the HPA need their metrics."""

from __future__ import annotations

import re

from nimgke.config._base import NAMESPACE, Problem
from nimgke.config.settings import AlertRule, StackSettings

KEY = f"{NAMESPACE}:monitoring"
# A deliberately plain address check (local@domain.tld): Cloud Monitoring verifies the address
# itself; this only catches a list entry that is not an address at all.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# Which metric source each alert reads (nimgke.alerts): NIM's PodMonitoring, DCGM, kube-state.
_NEEDS_DCGM = ("gpuPoolAtMax", "gpuTemperatureCelsius")
# gpuPoolAtMax reads both: the pool's nodes (DCGM) and NIM's queue.
_NEEDS_NIM_SCRAPE = (
    "requestsWaiting",
    "kvCacheUsage",
    "ttftP95Seconds",
    "errorRate",
    "gpuPoolAtMax",
)
_FRACTIONS = ("kvCacheUsage", "errorRate")


def _as_written(x: float) -> float | int:
    """A number as the stack file most likely wrote it (pydantic reads 90 as 90.0)."""
    return int(x) if x.is_integer() else x


def _rules(s: StackSettings) -> dict[str, AlertRule]:
    a = s.monitoring.alerts
    return {
        "nimNotReady": a.nim_not_ready,
        "requestsWaiting": a.requests_waiting,
        "kvCacheUsage": a.kv_cache_usage,
        "ttftP95Seconds": a.ttft_p95_seconds,
        "errorRate": a.error_rate,
        "gpuPoolAtMax": a.gpu_pool_at_max,
        "gpuTemperatureCelsius": a.gpu_temperature_celsius,
    }


def check_monitoring(s: StackSettings) -> list[Problem]:
    mon, problems = s.monitoring, []
    alerts = mon.alerts
    uses_gmp = mon.dashboard or alerts.enabled or mon.hpa.enabled
    if uses_gmp and not mon.managed_prometheus:
        what = [
            n
            for n, on in (
                ("dashboard", mon.dashboard),
                ("alerts", alerts.enabled),
                ("hpa", mon.hpa.enabled),
            )
            if on
        ]
        problems.append(
            Problem(
                f"{KEY}.managedPrometheus",
                False,
                f"monitoring.{', monitoring.'.join(what)} read(s) Managed Prometheus, which "
                "would collect nothing",
                "set managedPrometheus: true, or turn "
                + " and ".join(f"monitoring.{w}" for w in what)
                + " off",
            )
        )
    if mon.hpa.enabled and not mon.pod_monitoring:
        problems.append(
            Problem(
                f"{KEY}.hpa.enabled",
                True,
                f"the HPA scales on NIM's {mon.hpa.metric}, which only the PodMonitoring "
                "(podMonitoring) sends to Cloud Monitoring, so it would never read a value",
                "set podMonitoring: true, or hpa.enabled: false",
            )
        )
    for i, email in enumerate(alerts.notification_emails):
        if not _EMAIL.fullmatch(email):
            problems.append(
                Problem(
                    f"{KEY}.alerts.notificationEmails[{i}]",
                    email,
                    "is not an e-mail address",
                    "write it like oncall@example.com",
                )
            )
    if not alerts.enabled:
        return problems
    for key, rule in _rules(s).items():
        if not rule.enabled:
            continue
        at = f"{KEY}.alerts.{key}"
        if key in _FRACTIONS and rule.threshold > 1:
            problems.append(
                Problem(
                    f"{at}.threshold",
                    _as_written(rule.threshold),
                    "is a fraction (0-1), and this one could never be reached",
                    "write e.g. 0.9 for 90%",
                )
            )
        if key in _NEEDS_DCGM and not mon.dcgm:
            problems.append(
                Problem(
                    f"{at}.enabled",
                    True,
                    "this alert reads DCGM GPU metrics, which monitoring.dcgm: false turns off",
                    f"set monitoring.dcgm: true, or alerts.{key}.enabled: false",
                )
            )
        if key in _NEEDS_NIM_SCRAPE and not mon.pod_monitoring:
            problems.append(
                Problem(
                    f"{at}.enabled",
                    True,
                    "this alert reads NIM's /v1/metrics, which only the PodMonitoring sends to "
                    "Cloud Monitoring (monitoring.podMonitoring: false)",
                    f"set monitoring.podMonitoring: true, or alerts.{key}.enabled: false",
                )
            )
    # nimNotReady's forMinutes needs no floor: its query already skips a pod inside a first start
    # (nimgke/alerts.py nim_not_ready).
    ready = alerts.nim_not_ready
    if ready.enabled and ready.threshold != int(ready.threshold):
        problems.append(
            Problem(
                f"{KEY}.alerts.nimNotReady.threshold",
                ready.threshold,
                "counts pods, so it must be a whole number",
                "write e.g. 1",
            )
        )
    return problems


def alert_warnings(s: StackSettings) -> list[str]:
    """``pulumi preview`` says when the policies would notify nobody."""
    alerts = s.monitoring.alerts
    if not alerts.enabled or alerts.notification_emails:
        return []
    active = [k for k, r in _rules(s).items() if r.enabled]
    if not active:
        return []
    return [
        f"{KEY}.alerts.notificationEmails = []: the {len(active)} alert policies are created "
        "but notify nobody (incidents only show in Cloud Monitoring > Alerting). Add "
        "notificationEmails: [oncall@example.com], or set alerts.enabled: false."
    ]
