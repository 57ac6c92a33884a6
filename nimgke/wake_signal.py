"""The wake signal: a gauge in Cloud Monitoring that says, per model version, "be awake".

This file runs as it is in the stack's CronJob (``components/wake_signal.py`` mounts it into
``python:3.13-slim``, whose image installs ``tzdata``: docker-library/python@4f07059567fa
3.13/slim-trixie/Dockerfile) and in the tests, so it uses the standard library only and imports
nothing of the project.

Every run (every 2 minutes) writes one point per version release of
``custom.googleapis.com/nim_gke/wake`` (label ``release``) on the cluster's ``k8s_cluster``
resource: 1 while the version should be awake, else 0. The HPA reads it as an External metric
(:mod:`nimgke.autoscaling`), which is why a version can wake from zero replicas: the signal does not
come from its pods. Google's own sample does the same (a CronJob writing a
``custom.googleapis.com`` gauge that an HPA reads as an External metric:
GoogleCloudPlatform/kubernetes-engine-samples@c401873e26105d cost-optimization/
gke-scheduled-autoscaler, main.go and k8s/scheduled-autoscaler/, for the tutorial "Reducing costs
by scaling down GKE clusters during off-peak hours").

The value, for each release:

1. an unexpired override, written by ``nimctl wake`` (``awake``) or ``nimctl sleep`` (``asleep``)
   into the ConfigMap this pod mounts (``OVERRIDES_FILE``; none when absent), wins;
2. else 1 inside the schedule's window (``days``, ``start`` to ``end`` in ``timeZone``), else 0.

Writing: ``projects.timeSeries.create`` (``POST https://monitoring.googleapis.com/v3/projects/
PROJECT/timeSeries``); a ``custom.googleapis.com`` metric's descriptor is created by its first
point (GAUGE, DOUBLE). The access token comes from the GKE metadata server, which under Workload
Identity Federation for GKE answers for the pod's Kubernetes service account
(``/computeMetadata/v1/instance/service-accounts/default/token``, header ``Metadata-Flavor:
Google``); that principal holds ``roles/monitoring.metricWriter`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.request
import zoneinfo
from typing import Any

METRIC_TYPE = "custom.googleapis.com/nim_gke/wake"
RESOURCE_TYPE = "k8s_cluster"
OVERRIDES_FILE = "/etc/nim-wake/overrides.json"
OVERRIDES_KEY = "overrides.json"
AWAKE, ASLEEP = "awake", "asleep"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""Two-letter days, Monday first (``datetime.weekday()`` order)."""
TOKEN_URL = "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"
MONITORING_URL = "https://monitoring.googleapis.com/v3/projects/{project}/timeSeries"


def parse_time(text: str) -> dt.datetime:
    """An RFC 3339 time (``2026-12-07T17:00:00Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def in_schedule(now: dt.datetime, schedule: dict[str, Any] | None) -> bool:
    """Whether ``now`` (aware) falls in the window ``[start, end)`` of one of the schedule's days,
    on the local clock of its time zone (daylight saving time included)."""
    if not schedule:
        return False
    local = now.astimezone(zoneinfo.ZoneInfo(schedule["timeZone"]))
    if DAYS[local.weekday()] not in schedule["days"]:
        return False
    minute = local.hour * 60 + local.minute
    return _minutes(schedule["start"]) <= minute < _minutes(schedule["end"])


def override(release: str, overrides: dict[str, Any], now: dt.datetime) -> str | None:
    """``awake`` or ``asleep`` while the release's override lasts, else None."""
    entry = overrides.get(release)
    if not isinstance(entry, dict) or entry.get("state") not in (AWAKE, ASLEEP):
        return None
    until = entry.get("until")
    if until is None or parse_time(str(until)) > now:
        return str(entry["state"])
    return None


def wake_value(
    release: str, now: dt.datetime, schedule: dict[str, Any] | None, overrides: dict[str, Any]
) -> int:
    """1 (awake) or 0 for one release: its override, else the schedule."""
    state = override(release, overrides, now)
    if state is not None:
        return 1 if state == AWAKE else 0
    return 1 if in_schedule(now, schedule) else 0


def time_series_request(
    *, project: str, location: str, cluster: str, values: dict[str, int], now: dt.datetime
) -> dict[str, Any]:
    """The body of ``projects.timeSeries.create``: one GAUGE point per release."""
    end = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "timeSeries": [
            {
                "metric": {"type": METRIC_TYPE, "labels": {"release": release}},
                "resource": {
                    "type": RESOURCE_TYPE,
                    "labels": {
                        "project_id": project,
                        "location": location,
                        "cluster_name": cluster,
                    },
                },
                "points": [{"interval": {"endTime": end}, "value": {"doubleValue": value}}],
            }
            for release, value in sorted(values.items())
        ]
    }


def read_overrides(path: str = OVERRIDES_FILE) -> dict[str, Any]:
    """The overrides ``nimctl`` wrote; none when the ConfigMap (optional) is absent."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _token() -> str:
    req = urllib.request.Request(TOKEN_URL, headers={"Metadata-Flavor": "Google"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - fixed http URL
        return str(json.load(resp)["access_token"])


def write(body: dict[str, Any], project: str, token: str) -> None:
    req = urllib.request.Request(
        MONITORING_URL.format(project=project),
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30):  # noqa: S310 - fixed https URL
        pass


def settings(env: dict[str, str]) -> tuple[list[str], dict[str, Any] | None]:
    """The releases and the schedule the CronJob's environment names: ``NIM_WAKE_RELEASES``
    (comma-separated), and ``NIM_WAKE_DAYS`` (``MO,TU``), ``NIM_WAKE_START``, ``NIM_WAKE_END``,
    ``NIM_WAKE_TIME_ZONE`` when there is a schedule."""
    releases = [r for r in env["NIM_WAKE_RELEASES"].split(",") if r]
    if not env.get("NIM_WAKE_DAYS"):
        return releases, None
    return releases, {
        "days": env["NIM_WAKE_DAYS"].split(","),
        "start": env["NIM_WAKE_START"],
        "end": env["NIM_WAKE_END"],
        "timeZone": env["NIM_WAKE_TIME_ZONE"],
    }


def main() -> int:
    """Read the settings from the environment the CronJob sets, write one point per release."""
    env = dict(os.environ)
    releases, schedule = settings(env)
    project = env["NIM_WAKE_PROJECT"]
    now = dt.datetime.now(dt.UTC)
    overrides = read_overrides(OVERRIDES_FILE)
    values = {r: wake_value(r, now, schedule, overrides) for r in releases}
    body = time_series_request(
        project=project,
        location=env["NIM_WAKE_LOCATION"],
        cluster=env["NIM_WAKE_CLUSTER"],
        values=values,
        now=now,
    )
    write(body, project, _token())
    print(json.dumps({"wrote": METRIC_TYPE, "values": values, "at": now.isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
