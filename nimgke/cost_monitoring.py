"""What monitoring adds to a stack's bill: Managed Prometheus samples and alert policies.

ESTIMATES from list prices that are not in the dated price sheet (``nimgke/prices.yaml`` holds
Compute Engine and GKE SKUs only), each with its page. Dashboards are free (Cloud Monitoring
charges for ingestion, API reads beyond the free allotment, and alerting; not for dashboards).

Samples: every series a target exposes is one sample per scrape. Series counts are assumptions,
stated in :data:`ASSUMED_SERIES` with their reasons; the interval is the PodMonitoring's 30 s
(components/nim_release.py), assumed for GKE's managed packages too.
"""

from __future__ import annotations

from typing import Any

from nimgke.pricing import HOURS_PER_MONTH

PRICES_SOURCE = (
    "cloud.google.com/stackdriver/pricing (Google Cloud Observability pricing, Cloud "
    "Monitoring): Managed Service for Prometheus samples ingested $0.06 per million for the first "
    "50 billion a month; alerting $0.10 per condition per month plus $0.35 per million time "
    "series returned by a condition's query; list prices as read for this estimate, not in the "
    "dated sheet: check the page before relying on them"
)
USD_PER_MILLION_SAMPLES = 0.06
USD_PER_CONDITION_MONTH = 0.10
USD_PER_MILLION_SERIES_RETURNED = 0.35
SCRAPE_INTERVAL_S = 30
ALERT_EVALUATION_S = 60  # nimgke.alerts.EVALUATION_INTERVAL
SERIES_PER_ALERT = 2
"""Series a condition returns per evaluation (one per model or GPU node; two allows a second)."""

ASSUMED_SERIES = {
    "cluster": 800,
    "per_system_node": 30,
    "per_gpu_node": 260,
    "per_nim_pod": 120,
}
"""Series counts assumed (not measured):

- ``cluster`` 800: the kube-state packages (POD, DEPLOYMENT, STATEFULSET, DAEMONSET, HPA,
  STORAGE) and cAdvisor for GKE's own ~35 pods and ~15 workloads on a small cluster, about 10
  series per pod and 5 per workload, plus ~8 cAdvisor series per container for ~45 containers.
- ``per_system_node`` 30: the kubelet package's per-node series.
- ``per_gpu_node`` 260: kubelet (30), the GPU node's daemonset pods in kube-state and cAdvisor
  (~10 containers x 10, GPU driver installer, device plugin, DCGM exporter, metadata server,
  logging, networking), and the DCGM package's ~20 fields for its one GPU; rounded up.
- ``per_nim_pod`` 120: NIM's /v1/metrics: 4 gauges, ~6 counters, 5 histograms (TTFT, time per
  output token, end-to-end latency, prompt and generation tokens) of ~12 buckets plus sum and
  count, and the Python process metrics a Prometheus client exports by default.
"""


def samples_per_series_month() -> float:
    return HOURS_PER_MONTH * 3600 / SCRAPE_INTERVAL_S


def monitoring_estimate(
    *,
    system_nodes: int,
    gpu_node_hours: dict[str, float],
    alert_conditions: int,
    managed_prometheus: bool,
) -> dict[str, Any]:
    """Monthly USD per scenario for samples (fixed and GPU-dependent) and alerting."""
    per_month = samples_per_series_month()
    fixed_series = (
        ASSUMED_SERIES["cluster"] + ASSUMED_SERIES["per_system_node"] * system_nodes
        if managed_prometheus
        else 0
    )
    gpu_series = (
        ASSUMED_SERIES["per_gpu_node"] + ASSUMED_SERIES["per_nim_pod"] if managed_prometheus else 0
    )
    evaluations = HOURS_PER_MONTH * 3600 / ALERT_EVALUATION_S
    returned_m = alert_conditions * SERIES_PER_ALERT * evaluations / 1e6
    alerting = round(
        alert_conditions * USD_PER_CONDITION_MONTH + returned_m * USD_PER_MILLION_SERIES_RETURNED,
        2,
    )
    lines = []
    totals: dict[str, float] = {}
    for sc, node_hours in gpu_node_hours.items():
        fixed_m = fixed_series * per_month / 1e6
        gpu_m = gpu_series * node_hours * 3600 / SCRAPE_INTERVAL_S / 1e6
        cost = round(fixed_m * USD_PER_MILLION_SAMPLES, 2) + round(
            gpu_m * USD_PER_MILLION_SAMPLES, 2
        )
        totals[sc] = round(cost + alerting, 2)
        lines.append((sc, round(fixed_m, 2), round(gpu_m, 2)))
    return {
        "estimate": True,
        "source": PRICES_SOURCE,
        "scrapeIntervalSeconds": SCRAPE_INTERVAL_S,
        "assumedSeries": dict(ASSUMED_SERIES),
        "samplesMillion": {sc: {"cluster": f, "gpuNodesAndNim": g} for sc, f, g in lines},
        "alertConditions": alert_conditions,
        "alertingMonthly": alerting,
        "dashboardsMonthly": 0.0,
        "monthly": totals,
    }
