"""What monitoring adds (the dashboard and alerts): Managed Prometheus samples and alerting,
hand-computed."""

from __future__ import annotations

import pytest

from nimctl import cost as cost_cli
from nimgke import cost_monitoring as cm
from nimgke.cost import SCENARIOS
from tests.cost.test_cost_estimate import estimate_of


def test_samples_per_series_a_month_at_the_podmonitoring_interval():
    # 730 h x 3600 s / 30 s = 87,600 samples per series.
    assert cm.samples_per_series_month() == 87_600


def test_dev_idle_with_monitoring_stays_under_sixty_dollars():
    est = estimate_of("dev")
    mon = est["monitoring"]
    # cluster: (800 + 30 x 1 system node) series x 87,600 = 72.708 M samples x $0.06 = $4.36;
    # the GPU pool is at zero when idle; dev has alerts off (0 conditions).
    assert mon["samplesMillion"]["idle"] == {"cluster": 72.71, "gpuNodesAndNim": 0.0}
    assert (mon["alertConditions"], mon["alertingMonthly"]) == (0, 0.0)
    assert mon["monthly"]["idle"] == 4.36
    # idle 40.92 (with the nvcr.io mirror and the Docker Hub cache) + 4.36 = 45.28
    assert mon["withMonitoringMonthly"]["idle"] == round(est["idleMonthly"] + 4.36, 2) == 45.28
    # dev's idle target (docs/cost.md, "dev idle")
    assert mon["withMonitoringMonthly"]["idle"] <= 60
    assert mon["dashboardsMonthly"] == 0.0 and mon["estimate"] is True


def test_prod_adds_gpu_node_series_and_seven_alert_conditions():
    mon = estimate_of("prod")["monitoring"]
    # cluster: (800 + 30 x 2) x 87,600 = 75.336 M -> $4.52; one GPU node 24/7 with its NIM pod:
    # (260 + 120) x 87,600 = 33.288 M -> $2.00. Alerting: 7 x $0.10 = $0.70 plus 7 conditions x
    # 2 series x 43,800 evaluations (one a minute) = 0.6132 M series x $0.35 = $0.21 -> $0.91.
    assert mon["samplesMillion"]["idle"] == {"cluster": 75.34, "gpuNodesAndNim": 33.29}
    assert (mon["alertConditions"], mon["alertingMonthly"]) == (7, 0.91)
    assert mon["monthly"]["idle"] == round(4.52 + 2.00 + 0.91, 2) == 7.43
    # peak: two GPU nodes -> 66.58 M -> $3.99.
    assert mon["monthly"]["peak"] == round(4.52 + 3.99 + 0.91, 2)


def test_without_managed_prometheus_no_samples_are_counted():
    mon = cm.monitoring_estimate(
        system_nodes=1,
        gpu_node_hours={"idle": 730.0},
        alert_conditions=0,
        managed_prometheus=False,
    )
    assert mon["monthly"] == {"idle": 0.0}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nimctl_cost_lists_what_monitoring_adds(stack, capsys):
    assert cost_cli.COMMAND.main(["cost", stack]) == 0
    out = capsys.readouterr().out
    assert "What monitoring adds (ESTIMATE, not in the totals above):" in out
    mon = estimate_of(stack)["monitoring"]
    (row,) = [line for line in out.splitlines() if line.startswith("Total with monitoring")]
    assert row.split()[-4:] == [f"{mon['withMonitoringMonthly'][s]:,.2f}" for s in SCENARIOS]
    assert "cloud.google.com/stackdriver/pricing" in out
