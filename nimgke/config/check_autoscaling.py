"""Pass 2 for the HPA: what GKE version and cluster settings each option needs, and the signals a
version asleep at zero replicas can wake on.

- The HPA reads its metrics through GKE's managed metrics adapter (``AutoscalingMetric``
  ``autoscaling.gke.io/v1beta1``, PromQL over Cloud Monitoring): GKE 1.37.0-gke.3100000 or later,
  from 1.36.4-gke.1247000 in Preview, and the cluster's HPA ``PERFORMANCE`` profile
  (cloud.google.com/kubernetes-engine/docs/how-to/autoscale-using-metrics).
- ``minReplicas: 0`` needs the control plane and the nodes at 1.37 or later and at least one
  External or Object metric, a signal that exists while no pod runs
  (cloud.google.com/kubernetes-engine/docs/tutorials/scale-to-from-zero-hpa, "Considerations";
  kubernetes.io/blog/2026/09/02/kubernetes-v1-37-hpa-scale-to-zero-beta: "The API server rejects
  an HPA that only contains resource metrics").

Only ``cluster.minMasterVersion`` tells validation the cluster's version (a release channel alone
says nothing about it), so a feature that needs a version needs that setting.
"""

from __future__ import annotations

import zoneinfo

from nimgke import gke_version
from nimgke.config._base import _HHMM, _MISSING, NAMESPACE, WEEKDAYS, Problem
from nimgke.config.settings import StackSettings

HPA = f"{NAMESPACE}:monitoring.hpa"
CLUSTER = f"{NAMESPACE}:cluster"
ADAPTER_FIX = (
    f"set cluster.minMasterVersion: {gke_version.MANAGED_ADAPTER} or later (the version must be "
    "one the release channel offers: gcloud container get-server-config), or "
    "monitoring.hpa.enabled: false"
)


def wake_signals(s: StackSettings) -> list[str]:
    """The External signals a sleeping version can wake on: ``requests`` (the Gateway's load
    balancer), ``schedule``, ``command`` (``nimctl wake``)."""
    hpa = s.monitoring.hpa
    found = []
    if hpa.wake_on_requests and s.gateway.enabled:
        found.append("requests")
    if hpa.wake_schedule is not None:
        found.append("schedule")
    if hpa.wake_on_command:
        found.append("command")
    return found


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _check_version(s: StackSettings) -> list[Problem]:
    version = s.cluster.min_master_version
    if version is None or gke_version.is_valid(version):
        return []
    return [
        Problem(
            f"{CLUSTER}.minMasterVersion",
            version,
            "is not a GKE version",
            f"write a full version such as {gke_version.MANAGED_ADAPTER}, a minor such as 1.37, "
            "or latest",
        )
    ]


def _check_adapter(s: StackSettings) -> list[Problem]:
    hpa, version = s.monitoring.hpa, s.cluster.min_master_version
    problems = []
    if version is None:
        problems.append(
            Problem(
                f"{CLUSTER}.minMasterVersion",
                _MISSING,
                "the HPA (monitoring.hpa.enabled) reads its metrics through GKE's managed "
                f"metrics adapter, which needs GKE {gke_version.MANAGED_ADAPTER} or later, and "
                "without a minimum version the cluster's is unknown",
                ADAPTER_FIX,
            )
        )
    elif gke_version.is_valid(version) and not gke_version.at_least(
        version, gke_version.MANAGED_ADAPTER
    ):
        preview = gke_version.at_least(version, gke_version.MANAGED_ADAPTER_PREVIEW)
        if not (preview and hpa.managed_adapter_preview):
            rule = (
                f"is below {gke_version.MANAGED_ADAPTER}, the first GKE version whose managed "
                "metrics adapter (which the HPA reads its metrics through) is generally available"
            )
            if preview:
                fix = (
                    f"{ADAPTER_FIX}, or accept the Preview: "
                    "monitoring.hpa.managedAdapterPreview: true"
                )
            else:
                rule += f"; it is in Preview from {gke_version.MANAGED_ADAPTER_PREVIEW}"
                fix = ADAPTER_FIX
            problems.append(Problem(f"{CLUSTER}.minMasterVersion", version, rule, fix))
    if s.cluster.hpa_profile != "PERFORMANCE":
        problems.append(
            Problem(
                f"{CLUSTER}.hpaProfile",
                s.cluster.hpa_profile if s.cluster.hpa_profile is not None else _MISSING,
                "the HPA reads its metrics through GKE's managed metrics adapter, which needs the "
                "cluster's HPA performance profile",
                "set cluster.hpaProfile: PERFORMANCE",
            )
        )
    return problems


def _check_sleep(s: StackSettings) -> list[Problem]:
    """``minReplicas: 0``: the version, and a signal to wake on."""
    version = s.cluster.min_master_version
    problems = []
    if (
        version is not None
        and gke_version.is_valid(version)
        and gke_version.at_least(version, gke_version.MANAGED_ADAPTER_PREVIEW)
        and not gke_version.at_least(version, gke_version.SCALE_TO_ZERO)
    ):
        # Below the adapter's Preview the version is reported once, by _check_adapter.
        problems.append(
            Problem(
                f"{HPA}.minReplicas",
                0,
                "an HPA scales to zero replicas from GKE 1.37 on (control plane and nodes: "
                f"HPAScaleToZero, on by default from Kubernetes 1.37), and "
                f"cluster.minMasterVersion is {version}",
                f"set cluster.minMasterVersion: {gke_version.MANAGED_ADAPTER} or later, or "
                "minReplicas: 1",
            )
        )
    if not wake_signals(s):
        why = ["wakeOnCommand is false", "there is no wakeSchedule"]
        why.append(
            "wakeOnRequests is false"
            if s.gateway.enabled
            else "there is no Gateway whose requests could wake it (gateway.enabled: false)"
        )
        problems.append(
            Problem(
                f"{HPA}.minReplicas",
                0,
                "a version at zero replicas has no pod to measure, so only an External metric can "
                f"wake it, and it would have none: {', '.join(why)}",
                "set wakeOnCommand: true (nimctl wake), add a wakeSchedule, or minReplicas: 1",
            )
        )
    return problems


def _check_schedule(s: StackSettings) -> list[Problem]:
    hpa = s.monitoring.hpa
    sched = hpa.wake_schedule
    if sched is None:
        return []
    key = f"{HPA}.wakeSchedule"
    problems = []
    if hpa.min_replicas != 0:
        problems.append(
            Problem(
                key,
                {"start": sched.start, "end": sched.end},
                "wakes versions that never sleep: only minReplicas: 0 lets a version go to zero",
                "set monitoring.hpa.minReplicas: 0, or remove wakeSchedule",
            )
        )
    bad_days = [d for d in sched.days if d not in WEEKDAYS]
    if bad_days or len(set(sched.days)) != len(sched.days):
        problems.append(
            Problem(
                f"{key}.days",
                list(sched.days),
                "lists an unknown day" if bad_days else "lists a day twice",
                f"use each of the two-letter codes {', '.join(WEEKDAYS)} at most once",
            )
        )
    times_ok = True
    for field in ("start", "end"):
        value = getattr(sched, field)
        if not _HHMM.fullmatch(value):
            times_ok = False
            problems.append(
                Problem(
                    f"{key}.{field}", value, "is not a time of day", 'write HH:MM, e.g. "08:00"'
                )
            )
    if times_ok and _minutes(sched.end) <= _minutes(sched.start):
        problems.append(
            Problem(
                f"{key}.end",
                sched.end,
                f"is not after start ({sched.start}): a window must end on the day it starts",
                f'set an end after {sched.start}, at most "23:59"',
            )
        )
    try:
        zoneinfo.ZoneInfo(sched.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(
            Problem(
                f"{key}.timeZone",
                sched.time_zone,
                "is not an IANA time zone",
                "write e.g. America/Chicago, Europe/Berlin or UTC",
            )
        )
    return problems


def check_autoscaling(s: StackSettings) -> list[Problem]:
    hpa = s.monitoring.hpa
    problems = _check_version(s)
    if hpa.enabled:
        problems += _check_adapter(s)
        if hpa.min_replicas == 0:
            problems += _check_sleep(s)
        if hpa.min_replicas is not None and hpa.min_replicas > hpa.max_replicas:
            problems.append(
                Problem(
                    f"{HPA}.minReplicas",
                    hpa.min_replicas,
                    f"is above maxReplicas ({hpa.max_replicas})",
                    f"set minReplicas <= maxReplicas, e.g. maxReplicas: {hpa.min_replicas}",
                )
            )
    elif hpa.min_replicas == 0:
        problems.append(
            Problem(
                f"{HPA}.minReplicas",
                0,
                "only the HPA scales a version to zero, and monitoring.hpa.enabled is false",
                "set monitoring.hpa.enabled: true, or remove minReplicas",
            )
        )
    problems += _check_schedule(s)
    return problems
