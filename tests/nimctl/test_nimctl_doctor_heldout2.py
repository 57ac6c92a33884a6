"""``nimctl doctor`` on the second held-out set (``fixtures/doctor/make_heldout2.py``).

The snapshots were written by an author who had not read the rules, from the components' own
sources (each file's ``_sources``), in wordings of several Kubernetes, containerd and GKE versions.
Each file's ``_expected`` was decided from those sources and the catalogue before doctor ran on
it: the causes that must appear (all of ``causes``, one of each ``one_of`` group), those that must
not, how often one may, and the exit code (0 healthy or asleep, 1 a problem, 3 waiting). A
snapshot doctor reads otherwise is marked ``xfail(strict=True)`` below with the difference; the
expectation is never changed to match doctor.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fixtures.doctor import make_heldout2
from fixtures.doctor.support import FIXTURES

from nimctl import doctor
from nimctl.doctor.report import ASLEEP, ERROR, EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_WAITING, WAITING

HELDOUT2 = FIXTURES / "heldout2"

# What doctor reads differently from the sources, snapshot by snapshot (see each file's _expected).
MISREAD: dict[str, str] = {}


def load(name: str) -> dict[str, Any]:
    return json.loads((HELDOUT2 / f"{name}.json").read_text(encoding="utf-8"))


def cases() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=MISREAD[name]))
        if name in MISREAD
        else name
        for name in sorted(make_heldout2.SCENARIOS)
    ]


def test_the_files_are_what_make_heldout2_writes() -> None:
    assert {p.stem for p in HELDOUT2.glob("*.json")} == set(make_heldout2.SCENARIOS)
    for name, build in make_heldout2.SCENARIOS.items():
        assert make_heldout2.render(build()) == (HELDOUT2 / f"{name}.json").read_text(
            encoding="utf-8"
        ), f"re-run {Path(make_heldout2.__file__).name}"


def test_the_set_covers_the_eight_patterns_and_the_waits() -> None:
    expected = {name: load(name)["_expected"] for name in make_heldout2.SCENARIOS}
    assert len(expected) >= 20
    named = Counter(c for e in expected.values() for c in e["causes"])
    for cause in (
        "gateway-proxy-subnet-missing",
        "gateway-load-balancer-error",
        "gateway-address-not-usable",
        "route-unsupported-field",
        "gateway-controller-missing",
        "health-check-mismatch",
        "mirror-pull-forbidden",
        "mirror-upstream-failed",
        "gcsfuse-sidecar-missing",
        "gcsfuse-bucket-forbidden",
        "gcsfuse-bucket-not-found",
        "hpa-metric-pending",
        "node-went-not-ready",
        "gpu-unhealthy",
        "metrics-api-unavailable",
        "release-asleep",
    ):
        assert named[cause] >= 1, cause
    exits = Counter(e["exit"] for e in expected.values())
    assert exits[EXIT_HEALTHY] >= 2 and exits[EXIT_WAITING] >= 5 and exits[EXIT_PROBLEMS] >= 15


@pytest.mark.parametrize("name", sorted(make_heldout2.SCENARIOS))
def test_each_snapshot_is_a_kubectl_list_with_its_sources_and_an_expectation_the_catalogue_allows(
    name: str,
) -> None:
    doc = load(name)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert doc["_sources"] and all(isinstance(s, str) and len(s) > 40 for s in doc["_sources"])
    for event in (i for i in doc["items"] if i["kind"] == "Event"):
        if event["reportingComponent"] == "default-scheduler":  # events.k8s.io/v1 via core/v1
            assert "count" not in event and event["eventTime"] and event["source"] == {}
            assert event["firstTimestamp"] is None and event["lastTimestamp"] is None
        else:  # core/v1 recorders
            assert event["count"] >= 1 and event["eventTime"] is None
            assert event["firstTimestamp"] <= event["lastTimestamp"]
            assert event["source"]["component"] == event["reportingComponent"]
    expected = doc["_expected"]
    named = set(expected["causes"]) | {c for g in expected["one_of"] for c in g}
    named |= set(expected["not_causes"]) | set(expected["max_count"])
    assert named <= set(doctor.CAUSES), named - set(doctor.CAUSES)
    assert not set(expected["causes"]) & set(expected["not_causes"])
    # The exit code the required causes imply (report.py): any ERROR 1, else any WAITING 3, else 0.
    severities = {doctor.CAUSES[c].severity for c in expected["causes"]}
    if ERROR in severities:
        assert expected["exit"] == EXIT_PROBLEMS
    elif WAITING in severities:
        assert expected["exit"] in (EXIT_WAITING, EXIT_PROBLEMS)
    if expected["exit"] == EXIT_HEALTHY:
        assert severities <= {ASLEEP, doctor.WARNING}
    assert expected["why"]


@pytest.mark.parametrize("name", cases())
def test_doctor_reads_the_held_out_snapshot(name: str, run_cli) -> None:
    doc = load(name)
    expected = doc["_expected"]
    report = doctor.diagnose(doc)
    found = Counter(f.cause for f in report.findings)
    seen = [(f.cause, f.object) for f in report.findings]
    for cause in expected["causes"]:
        assert cause in found, f"{cause} not reported; doctor said {seen}"
    for group in expected["one_of"]:
        assert found.keys() & set(group), f"none of {group}; doctor said {seen}"
    for cause in expected["not_causes"]:
        assert cause not in found, f"{cause} reported; doctor said {seen}"
    for cause, most in expected["max_count"].items():
        assert found[cause] <= most, f"{cause} {found[cause]} times; doctor said {seen}"
    code, out, err = run_cli(doctor, "doctor", "--from-file", str(HELDOUT2 / f"{name}.json"))
    assert err == ""
    assert code == expected["exit"] == report.exit_code, f"exit {code}; doctor said {seen}"
    for cause in found:
        assert f"[{cause}]" in out
