"""An HPA that cannot read its metric, the metrics adapter behind it, and a version asleep at zero.

The HPA controller (kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go) sets the
autoscaling/v2 condition ``ScalingActive`` to ``False`` with the reason of the failed metric
(``FailedGetPodsMetric`` for a Pods metric, ``FailedGetExternalMetric``, ``FailedGetObjectMetric``,
``FailedGetResourceMetric``) and the message "the HPA was unable to compute the replica count:
%v" (``getUnableComputeReplicaCountCondition``, which also records an event with that reason),
then an event ``FailedComputeMetricsReplicas``. The aggregator's availability controller
(kube-aggregator pkg/controllers/status/remote/remote_available_controller.go) sets an
APIService's ``Available`` condition ``False`` with reasons such as ``MissingEndpoints``,
``EndpointsNotFound``, ``ServiceNotFound`` and ``FailedDiscoveryCheck``.

Two things are not problems of their own:

- An unavailable metrics API makes every HPA that reads it fail: one finding for the Service
  behind it (each APIService's ``spec.service``, "a reference to the service for this API
  server": kubernetes.io/docs/reference/kubernetes-api/cluster-resources/api-service-v1), its
  APIServices listed together, the HPAs' failures its evidence. One adapter serves several:
  the Custom Metrics Stackdriver Adapter registers custom.metrics.k8s.io v1beta1 and v1beta2 and
  external.metrics.k8s.io v1beta1 on one Service (GoogleCloudPlatform/k8s-stackdriver@0857364d1513
  custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml).
- A metric with no series yet: the Custom Metrics Stackdriver Adapter answers "the server could
  not find the metric %q for %s" or "... the descriptor for metric %q" when Cloud Monitoring holds
  no series (GoogleCloudPlatform/k8s-stackdriver@673c7dd872a7 custom-metrics-stackdriver-adapter/
  pkg/adapter/translator/errors.go; kubernetes-sigs/custom-metrics-apiserver words it without the
  quotes), the HPA controller "no metrics returned from custom metrics API" for an empty answer
  (kubernetes/kubernetes pkg/controller/podautoscaler/metrics/rest_metrics_client.go). While the
  model loads no pod of the version is ready and NIM publishes nothing: a wait, until the version
  has been ready for ``METRIC_PATIENCE``.

A version with no pod is not missing when its HPA holds it at zero (:func:`check_sleep`). From
Kubernetes 1.37 (``HPAScaleToZero``, beta, on by default) an HPA with ``minReplicas: 0`` and an
External or Object metric scales its workload to zero and records the condition ``ScaledToZero``
``True``, reason ``ScaledToZero``, "the HPA controller scaled the workload to zero"; once it scales
back up, ``False``, reason ``NotScaledToZero``, "the HPA controller did not scale the workload to
zero" (kubernetes/kubernetes#135118, pkg/controller/podautoscaler/horizontal.go, beta in 1.37 by
kubernetes#139648; kubernetes.io/blog/2026/09/02/kubernetes-v1-37-hpa-scale-to-zero-beta). While
it holds the workload at zero it keeps reading its metrics (``ScalingActive`` ``True``,
``ValidMetricFound``), which is how it wakes. A workload at zero without ``ScaledToZero=True`` was
set to zero by hand: "The HPA preserves that behavior and will not wake a workload that it did not
scale down itself" (same post), and its ``ScalingActive`` is ``False``, ``ScalingDisabled``,
"scaling is disabled since the replica count of the target is zero" (horizontal.go). GKE supports
scaling to zero with the nodes at 1.37 or later too (cloud.google.com/kubernetes-engine/docs/
tutorials/scale-to-from-zero-hpa): a node whose kubelet is older is a warning.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.fixes import Names
from nimctl.doctor.gateway import release_of
from nimctl.doctor.kube import (
    CHART_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    condition,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
)
from nimgke.autoscaling import HPA_METRIC_PREFIX, WAKE_SIGNALS

FAILED_METRIC_REASONS = (
    "FailedGetPodsMetric",
    "FailedGetExternalMetric",
    "FailedGetObjectMetric",
    "FailedGetResourceMetric",
)
METRICS_APIS = ("custom.metrics.k8s.io", "external.metrics.k8s.io")
# The metrics API group each failing reason reads through.
_API_OF_REASON = {
    "FailedGetPodsMetric": "custom.metrics.k8s.io",
    "FailedGetObjectMetric": "custom.metrics.k8s.io",
    "FailedGetExternalMetric": "external.metrics.k8s.io",
}
_NO_SERIES = re.compile(
    r"could not find the (?:metric|descriptor for metric)|no metrics returned from"
)
# How long after a version's first pod turned ready its metric may still be missing: Managed
# Prometheus scrapes a PodMonitoring every 60 s by default and the adapter reads the series back
# from Cloud Monitoring (ESTIMATE: a few minutes; not measured here).
METRIC_PATIENCE = timedelta(minutes=10)


def _targets_release(hpa: dict[str, Any], release: str | None) -> bool:
    """The HPA scales a chart's StatefulSet (``nim-llm.fullname``: ``<release>-nim-llm``, or the
    release itself when it contains ``nim-llm``: NVIDIA/nim-deploy helm/nim-llm
    templates/_helpers.tpl); each model version's release renders its own HPA for its own
    StatefulSet."""
    target = str(get(hpa, "spec", "scaleTargetRef", "name") or "")
    if release is None:
        return CHART_NAME in target
    return release_of(target) == release


def _metric_names(hpa: dict[str, Any], said: str = "") -> str:
    """The HPA's metrics that ``said`` (its condition's message) names, else all of them: the
    controller's error names the one metric it failed on ("unable to get external metric
    %s/%s/%+v: %s", namespace, metricName, selector: kubernetes/kubernetes
    pkg/controller/podautoscaler/replica_calculator.go ``GetExternalMetricReplicas``)."""
    names = [
        n
        for m in get(hpa, "spec", "metrics") or []
        if (
            n := str(get(m, "pods", "metric", "name") or get(m, "external", "metric", "name") or "")
        )
    ]
    named = [n for n in names if f"/{n}/" in said]
    return ", ".join(named or names) or "its metric"


def _backing_service(apiservice: dict[str, Any]) -> str:
    """``namespace/name`` of the Service an APIService sends its requests to (its group for one
    the API server serves itself, which has no ``spec.service``)."""
    service = get(apiservice, "spec", "service") or {}
    if not service.get("name"):
        return str(get(apiservice, "spec", "group"))
    return f"{service.get('namespace')}/{service.get('name')}"


def _unavailable_apis(diag: Diagnosis) -> dict[str, list[dict[str, Any]]]:
    """The Service behind them (``namespace/name``) -> the metrics APIServices whose Available
    condition is False: one adapter down is one cause, however many groups and versions it
    serves."""
    out: dict[str, list[dict[str, Any]]] = {}
    for svc in sorted(diag.snap.apiservices, key=name):
        group = get(svc, "spec", "group")
        available = condition(svc, "Available")
        if group in METRICS_APIS and available and available.get("status") == "False":
            out.setdefault(_backing_service(svc), []).append(svc)
    return out


def _ready_for(diag: Diagnosis, release: str) -> timedelta | None:
    """How long the version's longest-ready pod has been Ready (None: no pod is)."""
    since = [
        parse_time(c.get("lastTransitionTime"))
        for p in diag.snap.pods
        if labels(p).get(NAME_LABEL) == CHART_NAME and labels(p).get(INSTANCE_LABEL) == release
        for c in [condition(p, "Ready") or {}]
        if c.get("status") == "True"
    ]
    known = [s for s in since if s]
    if since and not known:
        return timedelta.max  # ready since an unknown time: not a fresh start
    return diag.now - min(known) if known else None


SCALED_TO_ZERO = "ScaledToZero"
SCALING_DISABLED = "ScalingDisabled"
SCALE_TO_ZERO_MINOR = (1, 37)
_KUBELET = re.compile(r"v?(\d+)\.(\d+)")


def _current(hpa: dict[str, Any]) -> int:
    """``status.currentReplicas``: autoscaling/v2 omits it when 0 (``omitempty``)."""
    value = get(hpa, "status", "currentReplicas")
    return int(value) if isinstance(value, int | float) else 0


def _wakes_on(hpa: dict[str, Any]) -> str:
    """What can wake a sleeping HPA: the stack's wake signals it reads (nimgke/autoscaling.py), in
    words; for an HPA of another making, its External and Object metrics by name."""
    names = [
        str(get(m, "external", "metric", "name") or get(m, "object", "metric", "name") or "")
        for m in get(hpa, "spec", "metrics") or []
        if m.get("type") in ("External", "Object")
    ]
    signals = [n.rsplit("|", 1)[-1] for n in names]
    ours = [WAKE_SIGNALS[s] for s in signals if s in WAKE_SIGNALS]
    if ours or any(n.startswith(f"{HPA_METRIC_PREFIX}|") for n in names):
        return " or ".join(ours) or "nothing: none of its metrics exists while no pod runs"
    return ", ".join(n for n in names if n) or "its External metrics"


def check_sleep(diag: Diagnosis, pods: list[dict[str, Any]], release: str | None) -> set[str]:
    """The versions with no pod that their HPA holds at zero (reported as asleep), or that were
    set to zero by hand (a problem: nothing will wake them). Returns the sleeping versions."""
    running = {labels(p).get(INSTANCE_LABEL) for p in pods}
    asleep: set[str] = set()
    for hpa in diag.snap.hpas:
        if not _targets_release(hpa, release) or _current(hpa) != 0:
            continue
        version = release_of(str(get(hpa, "spec", "scaleTargetRef", "name") or ""))
        if version in running:
            continue  # pods still terminating: the pod rules judge them
        zero = condition(hpa, SCALED_TO_ZERO) or {}
        active = condition(hpa, "ScalingActive") or {}
        target = f"{get(hpa, 'spec', 'scaleTargetRef', 'kind')}/" + str(
            get(hpa, "spec", "scaleTargetRef", "name")
        )
        if zero.get("status") == "True":
            asleep.add(version)
            if active.get("status") == "False":
                continue  # asleep and unable to read what would wake it: check_autoscaling
            diag.add(
                "release-asleep",
                f"hpa/{name(hpa)}",
                f"version {version} is asleep: its HPA {name(hpa)} scaled {target} to zero and "
                f"wakes it on {_wakes_on(hpa)}",
                [
                    f"{SCALED_TO_ZERO} {zero.get('status')} {zero.get('reason', '')}: "
                    f"{zero.get('message', '')}",
                    f"minReplicas {get(hpa, 'spec', 'minReplicas')}, current 0, desired "
                    f"{get(hpa, 'status', 'desiredReplicas')}",
                ],
                release=version,
                signals=_wakes_on(hpa),
            )
        elif active.get("reason") == SCALING_DISABLED:
            diag.add(
                "release-paused",
                f"hpa/{name(hpa)}",
                f"version {version} was set to zero replicas by hand: its HPA {name(hpa)} does not "
                "wake a workload it did not scale down itself",
                [f"ScalingActive {active.get('status')} {SCALING_DISABLED}: {msg(active)}"],
                release=version,
                target=target,
                hpa=name(hpa),
            )
    if asleep or any(get(h, "spec", "minReplicas") == 0 for h in diag.snap.hpas):
        _check_node_versions(diag)
    diag.asleep |= asleep
    return asleep


def _check_node_versions(diag: Diagnosis) -> None:
    for node in diag.snap.nodes:
        kubelet = str(get(node, "status", "nodeInfo", "kubeletVersion") or "")
        m = _KUBELET.match(kubelet)
        if m and (int(m.group(1)), int(m.group(2))) < SCALE_TO_ZERO_MINOR:
            diag.add(
                "node-below-scale-to-zero",
                f"node/{name(node)}",
                f"node {name(node)} runs kubelet {kubelet}: GKE supports HPA scale to zero only "
                "with the nodes at 1.37 or later too",
                [f"status.nodeInfo.kubeletVersion {kubelet}"],
                node=name(node),
            )


def check_autoscaling(diag: Diagnosis, release: str | None) -> None:
    unavailable = _unavailable_apis(diag)
    # The Service each unavailable metrics API group is served by, for the HPAs that read it.
    service_of = {
        str(get(s, "spec", "group")): service
        for service, apiservices in unavailable.items()
        for s in apiservices
    }
    folded: dict[str, list[str]] = {}
    for hpa in diag.snap.hpas:
        if not _targets_release(hpa, release):
            continue
        active = condition(hpa, "ScalingActive")
        if not active or active.get("status") != "False":
            continue
        reason = str(active.get("reason") or "")
        if reason not in FAILED_METRIC_REASONS:
            continue  # e.g. ScalingDisabled: replicas set to 0 on purpose
        message = str(active.get("message") or "")
        service = service_of.get(_API_OF_REASON.get(reason, ""))
        if service is not None:
            folded.setdefault(service, []).append(f"HPA {name(hpa)} ({reason}): {message}")
            continue
        events = [
            msg(e)
            for e in diag.snap.events_for("HorizontalPodAutoscaler", hpa)
            if e.get("reason") in (reason, "FailedComputeMetricsReplicas")
        ]
        version = release_of(str(get(hpa, "spec", "scaleTargetRef", "name") or ""))
        ready_for = _ready_for(diag, version)
        metrics = _metric_names(hpa, message)
        fields = {"hpa": name(hpa), "metric": metrics}
        starting = ready_for is None or ready_for <= METRIC_PATIENCE
        if _NO_SERIES.search(message) and starting and version not in diag.asleep:
            state = (
                "no pod of it is ready yet"
                if ready_for is None
                else f"its first pod turned ready {fmt_duration(ready_for)} ago"
            )
            diag.add(
                "hpa-metric-pending",
                f"hpa/{name(hpa)}",
                f"HPA {name(hpa)} has no {metrics} yet: version {version} is starting ({state})",
                [message, *events[-1:]],
                patience=fmt_duration(METRIC_PATIENCE),
                **fields,
            )
            continue
        at_zero = _current(hpa) == 0 and version in diag.asleep
        outcome = (
            "its version is asleep at zero and will not wake" if at_zero else "it will not scale"
        )
        diag.add(
            "hpa-metric-unavailable",
            f"hpa/{name(hpa)}",
            f"HPA {name(hpa)} cannot read {metrics} ({reason}): {outcome}",
            [message, *events[-1:]],
            **fields,
        )
    for service, apiservices in unavailable.items():
        names = [name(s) for s in apiservices]
        groups = list(dict.fromkeys(str(get(s, "spec", "group")) for s in apiservices))
        reasons = [str((condition(s, "Available") or {}).get("reason") or "") for s in apiservices]
        namespace, _, service_name = service.rpartition("/")
        diag.add(
            "metrics-api-unavailable",
            f"apiservice/{names[0]}",
            f"the {' and '.join(groups)} API{'s are' if len(groups) > 1 else ' is'} not "
            f"available ({', '.join(dict.fromkeys(reasons))}: {', '.join(names)}, served by "
            f"Service {service}): no HPA can read {_kinds_of(groups)} metrics",
            [
                f"{name(s)} {r}: {(condition(s, 'Available') or {}).get('message') or ''}"
                for s, r in zip(apiservices, reasons, strict=True)
            ]
            + folded.get(service, []),
            apiservices=Names(names),
            service=service,
            service_ns=namespace or "default",
            service_name=service_name,
            reason=", ".join(dict.fromkeys(reasons)),
        )


def _kinds_of(groups: list[str]) -> str:
    """'custom', 'external' or 'custom or external' for the metrics API groups named."""
    return " or ".join(g.split(".", 1)[0] for g in groups)
