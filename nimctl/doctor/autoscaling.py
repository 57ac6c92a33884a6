"""An HPA that cannot read its metric, and the metrics adapter behind it.

The HPA controller (kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go) sets the
autoscaling/v2 condition ``ScalingActive`` to ``False`` with the reason of the failed metric
(``FailedGetPodsMetric`` for a Pods metric, ``FailedGetExternalMetric``, ``FailedGetObjectMetric``,
``FailedGetResourceMetric``) and the message "the HPA was unable to compute the replica count:
%v" (``getUnableComputeReplicaCountCondition``, which also records an event with that reason),
then an event ``FailedComputeMetricsReplicas``. The aggregator's availability controller
(kube-aggregator pkg/controllers/status/remote/remote_available_controller.go) sets an
APIService's ``Available`` condition ``False`` with reasons such as ``MissingEndpoints``,
``EndpointsNotFound``, ``ServiceNotFound`` and ``FailedDiscoveryCheck``.
"""

from __future__ import annotations

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.gateway import release_of
from nimctl.doctor.kube import CHART_NAME, condition, get, msg, name

FAILED_METRIC_REASONS = (
    "FailedGetPodsMetric",
    "FailedGetExternalMetric",
    "FailedGetObjectMetric",
    "FailedGetResourceMetric",
)
METRICS_APIS = ("custom.metrics.k8s.io", "external.metrics.k8s.io")


def _targets_release(hpa: dict, release: str | None) -> bool:
    """The HPA scales a chart's StatefulSet (``nim-llm.fullname``: ``<release>-nim-llm``, or the
    release itself when it contains ``nim-llm``, FACTS 3); each model version's release renders
    its own HPA for its own StatefulSet."""
    target = str(get(hpa, "spec", "scaleTargetRef", "name") or "")
    if release is None:
        return CHART_NAME in target
    return release_of(target) == release


def _metric_names(hpa: dict) -> str:
    names = [
        str(get(m, "pods", "metric", "name") or get(m, "external", "metric", "name") or "")
        for m in get(hpa, "spec", "metrics") or []
    ]
    return ", ".join(n for n in names if n) or "its metric"


def check_autoscaling(diag: Diagnosis, release: str | None) -> None:
    for hpa in diag.snap.hpas:
        if not _targets_release(hpa, release):
            continue
        active = condition(hpa, "ScalingActive")
        if not active or active.get("status") != "False":
            continue
        reason = str(active.get("reason") or "")
        if reason not in FAILED_METRIC_REASONS:
            continue  # e.g. ScalingDisabled: replicas set to 0 on purpose
        events = [
            msg(e)
            for e in diag.snap.events_for("HorizontalPodAutoscaler", hpa)
            if e.get("reason") in (reason, "FailedComputeMetricsReplicas")
        ]
        diag.add(
            "hpa-metric-unavailable",
            f"hpa/{name(hpa)}",
            f"HPA {name(hpa)} cannot read {_metric_names(hpa)} ({reason}): it will not scale",
            [str(active.get("message") or ""), *events[-1:]],
            hpa=name(hpa),
            metric=_metric_names(hpa),
        )
    for svc in diag.snap.apiservices:
        if get(svc, "spec", "group") not in METRICS_APIS:
            continue
        available = condition(svc, "Available")
        if not available or available.get("status") != "False":
            continue
        reason = str(available.get("reason") or "")
        diag.add(
            "metrics-api-unavailable",
            f"apiservice/{name(svc)}",
            f"APIService {name(svc)} is not available ({reason}): no HPA can read custom or "
            "external metrics",
            [f"{reason}: {available.get('message') or ''}"],
            apiservice=name(svc),
            reason=reason,
        )
