"""The wake signal's program (nimgke/wake_signal.py), as the CronJob runs it: the value per
release from the schedule and ``nimctl``'s overrides, and what it sends to Cloud Monitoring.

dev's schedule: MO-FR 09:00-17:00 America/Chicago, i.e. 15:00-23:00 UTC in winter (CST, UTC-6)
and 14:00-22:00 UTC in summer (CDT, UTC-5; daylight saving time from the second Sunday of March to
the first Sunday of November, which the tz database holds and the image's tzdata installs).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from nimgke import wake_signal as ws

DEV = {"days": ["MO", "TU", "WE", "TH", "FR"], "start": "09:00", "end": "17:00",
       "timeZone": "America/Chicago"}  # fmt: skip
RELEASE = "llama3-8b-1-0-3"


def utc(text: str) -> dt.datetime:
    return ws.parse_time(text)


@pytest.mark.parametrize(
    ("now", "awake"),
    [
        ("2026-12-07T14:59:00Z", False),  # Monday 08:59 CST
        ("2026-12-07T15:00:00Z", True),  # Monday 09:00 CST: the window opens
        ("2026-12-07T22:59:00Z", True),  # Monday 16:59 CST
        ("2026-12-07T23:00:00Z", False),  # Monday 17:00 CST: the window is [start, end)
        ("2026-12-12T16:00:00Z", False),  # Saturday 10:00 CST
        ("2026-12-12T03:00:00Z", False),  # Friday 21:00 CST, Saturday in UTC
        ("2026-07-06T14:00:00Z", True),  # Monday 09:00 CDT: summer time moves the window
        ("2026-07-06T22:30:00Z", False),  # Monday 17:30 CDT, though 16:30 in CST
    ],
)
def test_the_schedule_is_read_on_its_time_zones_clock(now, awake):
    assert ws.in_schedule(utc(now), DEV) is awake
    assert ws.wake_value(RELEASE, utc(now), DEV, {}) == int(awake)


def test_no_schedule_is_never_awake():
    assert ws.in_schedule(utc("2026-12-07T16:00:00Z"), None) is False


@pytest.mark.parametrize(
    ("override", "now", "value"),
    [
        # nimctl wake at night: awake until the override ends, then the schedule again
        ({"state": "awake", "until": "2026-12-08T05:00:00Z"}, "2026-12-08T03:00:00Z", 1),
        ({"state": "awake", "until": "2026-12-08T05:00:00Z"}, "2026-12-08T05:00:00Z", 0),
        # nimctl sleep in working hours: asleep until it ends
        ({"state": "asleep", "until": "2026-12-07T23:00:00Z"}, "2026-12-07T16:00:00Z", 0),
        ({"state": "asleep", "until": "2026-12-07T16:00:00Z"}, "2026-12-07T16:30:00Z", 1),
        # an entry it cannot read is no override
        ({"state": "maybe", "until": "2026-12-08T05:00:00Z"}, "2026-12-07T16:00:00Z", 1),
        ("awake", "2026-12-08T03:00:00Z", 0),
    ],
)
def test_an_unexpired_override_wins_over_the_schedule(override, now, value):
    assert ws.wake_value(RELEASE, utc(now), DEV, {RELEASE: override}) == value
    # other releases keep their own state
    assert ws.wake_value("other", utc(now), DEV, {RELEASE: override}) == ws.in_schedule(
        utc(now), DEV
    )


def test_the_request_is_one_gauge_point_per_release_on_the_cluster():
    """projects.timeSeries.create: a GAUGE point (endTime only) of a custom.googleapis.com type,
    on the k8s_cluster resource whose labels are project_id, location, cluster_name (Cloud
    Monitoring's monitored resource list; Google's sample main.go buildMonitoredResourceLabels
    writes the same three)."""
    body = ws.time_series_request(
        project="p",
        location="us-central1-a",
        cluster="nim-dev",
        values={"b": 0, "a": 1},
        now=utc("2026-12-07T15:00:30Z"),
    )
    assert body == {
        "timeSeries": [
            {
                "metric": {"type": "custom.googleapis.com/nim_gke/wake", "labels": {"release": r}},
                "resource": {
                    "type": "k8s_cluster",
                    "labels": {
                        "project_id": "p",
                        "location": "us-central1-a",
                        "cluster_name": "nim-dev",
                    },
                },
                "points": [
                    {"interval": {"endTime": "2026-12-07T15:00:30Z"}, "value": {"doubleValue": v}}
                ],
            }
            for r, v in (("a", 1), ("b", 0))
        ]
    }


def test_the_settings_come_from_the_cronjobs_environment():
    env = {"NIM_WAKE_RELEASES": "a,b", "NIM_WAKE_DAYS": "MO,FR", "NIM_WAKE_START": "08:00",
           "NIM_WAKE_END": "18:00", "NIM_WAKE_TIME_ZONE": "UTC"}  # fmt: skip
    assert ws.settings(env) == (
        ["a", "b"],
        {"days": ["MO", "FR"], "start": "08:00", "end": "18:00", "timeZone": "UTC"},
    )
    assert ws.settings({"NIM_WAKE_RELEASES": "a"}) == (["a"], None)


def test_a_missing_overrides_file_is_no_override(tmp_path):
    assert ws.read_overrides(str(tmp_path / "absent.json")) == {}
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps({RELEASE: {"state": "awake"}}))
    assert ws.read_overrides(str(path)) == {RELEASE: {"state": "awake"}}


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_main_gets_a_workload_identity_token_and_writes_the_points(monkeypatch, tmp_path):
    """The token from the GKE metadata server (its fixed address and the Metadata-Flavor header
    it requires), then one POST to Cloud Monitoring with it; no other request."""
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({RELEASE: {"state": "awake", "until": "2099-01-01T00:00:00Z"}}))
    monkeypatch.setattr(ws, "OVERRIDES_FILE", str(overrides))
    env = {"NIM_WAKE_RELEASES": RELEASE, "NIM_WAKE_PROJECT": "p", "NIM_WAKE_LOCATION": "z",
           "NIM_WAKE_CLUSTER": "nim-dev"}  # fmt: skip
    for key in list(env) + ["NIM_WAKE_DAYS"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sent: list[Any] = []

    def urlopen(req: Any, timeout: float) -> _Response:
        sent.append(req)
        if req.full_url.startswith("http://169.254.169.254/"):
            return _Response(json.dumps({"access_token": "tok", "expires_in": 3599}).encode())
        return _Response(b"{}")

    monkeypatch.setattr(ws.urllib.request, "urlopen", urlopen)
    assert ws.main() == 0
    token, write = sent
    assert token.full_url == (
        "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"
    )
    assert token.get_header("Metadata-flavor") == "Google"
    assert write.full_url == "https://monitoring.googleapis.com/v3/projects/p/timeSeries"
    assert write.get_method() == "POST"
    assert write.get_header("Authorization") == "Bearer tok"
    (series,) = json.loads(write.data)["timeSeries"]
    assert series["metric"]["labels"] == {"release": RELEASE}
    assert series["points"][0]["value"] == {"doubleValue": 1}  # the override: no schedule
