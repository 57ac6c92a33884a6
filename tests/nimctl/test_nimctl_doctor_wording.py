"""``nimctl doctor``'s parsers of the components' wording."""

from __future__ import annotations

import re

import pytest
from fixtures.doctor.support import FIXTURES, findings, load

from nimctl import doctor
from nimctl.doctor import wording

GPU_TAINT = "node(s) had untolerated taint {nvidia.com/gpu: present}"
PREEMPTION = " preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            f"0/4 nodes are available: 1 {GPU_TAINT}, 3 Insufficient nvidia.com/gpu.{PREEMPTION}",
            {GPU_TAINT: 1, "Insufficient nvidia.com/gpu": 3},
        ),
        (
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
            + PREEMPTION,
            {"pod has unbound immediate PersistentVolumeClaims": 0},
        ),
        (
            "pod didn't trigger scale-up (it wouldn't fit if a new node is added): "
            "1 Insufficient memory",
            {"Insufficient memory": 1},
        ),
        (
            "pod didn't trigger scale-up: 1 max node group size reached",
            {"max node group size reached": 1},
        ),
    ],
)
def test_parse_reasons(message: str, expected: dict[str, int]) -> None:
    assert doctor.parse_reasons(message) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16Gi", 16 * 2**30),
        ("29236452Ki", 29236452 * 1024),
        ("7910m", 7.91),
        ("1", 1.0),
        ("x", None),
    ],
)
def test_parse_quantity(value: str, expected: float | None) -> None:
    assert doctor.parse_quantity(value) == (pytest.approx(expected) if expected else expected)


# FailedScheduling and NotTriggerScaleUp as each version words them, built from the format strings
# the fixtures' SOURCES name: FitError.Error() with the "preemption: " PostFilter message (1.25 to
# 1.33), the DRA plugin's "no new claims to deallocate, " before it (1.34+), the key-less
# "untolerated taint(s)" (1.35, kubernetes/kubernetes#134740), the pre-1.25 taint wording, a
# PreFilter rejection (no count), upstream and GKE autoscaler messages.
DRA_PREEMPTION = (
    " no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not "
    "helpful for scheduling, 2 No preemption victims found for incoming pod."
)
AFFINITY = "node(s) didn't match Pod's node affinity/selector"
OLD_TAINT = "node(s) had taint {nvidia.com/gpu: present}, that the pod didn't tolerate"
NOT_READY = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
WORDINGS = [
    # message, {reason: count}, Insufficient resources, a taint reason, taints named, affinity
    (
        f"0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 {AFFINITY}.{PREEMPTION}",
        {"Insufficient nvidia.com/gpu": 1, AFFINITY: 2},
        {"nvidia.com/gpu"},
        False,
        [],
        True,
    ),
    (
        f"0/3 nodes are available: 1 {AFFINITY}, 2 Insufficient memory.{DRA_PREEMPTION}",
        {AFFINITY: 1, "Insufficient memory": 2},
        {"memory"},
        False,
        [],
        True,
    ),
    (
        f"0/3 nodes are available: 1 {GPU_TAINT}, 2 Insufficient cpu.{DRA_PREEMPTION}",
        {GPU_TAINT: 1, "Insufficient cpu": 2},
        {"cpu"},
        True,
        [("nvidia.com/gpu", "present")],
        False,
    ),
    (
        "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu, "
        f"2 Insufficient memory.{DRA_PREEMPTION}",
        {"node(s) had untolerated taint(s)": 1, "Insufficient cpu": 2, "Insufficient memory": 2},
        {"cpu", "memory"},
        True,
        [],
        False,
    ),
    (
        f"0/3 nodes are available: 1 {OLD_TAINT}, 2 {AFFINITY}.",
        {
            "node(s) had taint {nvidia.com/gpu: present}, that the pod didn't tolerate": 1,
            AFFINITY: 2,
        },
        set(),
        True,
        [("nvidia.com/gpu", "present")],
        True,
    ),
    (
        f"0/3 nodes are available: 1 {NOT_READY}, 2 {AFFINITY}.{DRA_PREEMPTION}",
        {NOT_READY: 1, AFFINITY: 2},
        set(),
        True,
        [("node.kubernetes.io/not-ready", "")],
        True,
    ),
    (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
        + DRA_PREEMPTION,
        {"pod has unbound immediate PersistentVolumeClaims": 0},
        set(),
        False,
        [],
        False,
    ),
    (
        "0/3 nodes are available: 3 Insufficient cpu.",
        {"Insufficient cpu": 3},
        {"cpu"},
        False,
        [],
        False,
    ),
    (
        f"pod didn't trigger scale-up: 1 max node group size reached, 1 {AFFINITY}",
        {"max node group size reached": 1, AFFINITY: 1},
        set(),
        False,
        [],
        True,
    ),
    (
        f"Pod didn't trigger scale-up: 1 Insufficient memory, 1 {AFFINITY}",
        {"Insufficient memory": 1, AFFINITY: 1},
        {"memory"},
        False,
        [],
        True,
    ),
    (
        "pod didn't trigger scale-up (it wouldn't fit if a new node is added): "
        "1 Insufficient memory",
        {"Insufficient memory": 1},
        {"memory"},
        False,
        [],
        False,
    ),
    (
        "pod didn't trigger scale-up: max total nodes in cluster reached",
        {"max total nodes in cluster reached": 0},
        set(),
        False,
        [],
        False,
    ),
]


@pytest.mark.parametrize(("message", "reasons", "short", "taint", "named", "affinity"), WORDINGS)
def test_reasons_in_every_wording(
    message: str,
    reasons: dict[str, int],
    short: set[str],
    taint: bool,
    named: list[tuple[str, str]],
    affinity: bool,
) -> None:
    assert wording.parse_reasons(message) == reasons
    assert wording.insufficient(reasons) == short
    assert wording.taint_reason(reasons) is taint
    assert wording.taints_named(reasons) == named
    assert wording.affinity_mismatch(reasons) is affinity


@pytest.mark.parametrize(
    ("message", "group"),
    [
        (
            "pod triggered scale-up: [{https://www.googleapis.com/compute/v1/projects/p/zones/"
            "us-central1-a/instanceGroups/gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-grp 0->1 (max: 2)}]",
            "gke-nim-dev-gpu-pool-a1b2c3-3f2a1b7c-grp 0->1 (max: 2)",
        ),
        (
            "Pod triggered scale-up: [{https://www.googleapis.com/compute/v1/projects/p/zones/"
            "us-central1-b/instanceGroups/gke-x-grp 1->2 (max: 3)}]",
            "gke-x-grp 1->2 (max: 3)",
        ),
        ("Pod triggered scale-up: something else", "something else"),
    ],
)
def test_scale_up_group(message: str, group: str) -> None:
    assert wording.scale_up_group(message) == group


# GKE's FailedScaleUp (GoogleCloudPlatform/cluster-autoscaler failed_scale_up_event_logger.go and
# its _test.go): zones and causes joined with ", ", the message cut at 250 characters.
AT_RISK = ". Pod is at risk of not being scheduled."


@pytest.mark.parametrize(
    ("message", "zones", "causes"),
    [
        (
            "Node scale up in zones us-central1-c, us-central1-a associated with this pod failed: "
            "GCE quota exceeded, GCE out of resources" + AT_RISK,
            ("us-central1-c", "us-central1-a"),
            ("GCE quota exceeded", "GCE out of resources"),
        ),
        (
            "Node scale up in zones us-central1 associated with this pod failed: Internal error"
            + AT_RISK,
            ("us-central1",),
            ("Internal error",),
        ),
        (
            "Node scale up in zones us-central1-a associated with this pod failed: Some nodes in "
            'node group ["ng1"] failed to appear in time, GCE out of resour',
            ("us-central1-a",),
            ('Some nodes in node group ["ng1"] failed to appear in time', "GCE out of resources"),
        ),
        ("Scale-up failed for group ng1: quota", (), ()),
    ],
)
def test_failed_scale_up_names_each_cause(
    message: str, zones: tuple[str, ...], causes: tuple[str, ...]
) -> None:
    assert wording.parse_failed_scale_up(message) == wording.FailedScaleUp(zones, causes)


NVCR = "https://nvcr.io/proxy_auth?scope=repository%3Anim%2Fmeta%2Fllama3-8b-instruct%3Apull"


@pytest.mark.parametrize(
    ("message", "status"),
    [
        (
            f"failed to fetch oauth token: unexpected status from GET request to {NVCR}: 402 Pay",
            402,
        ),
        ("unexpected status from POST request to https://nvcr.io/proxy_auth: 402 Payment Req", 402),
        (
            "failed to resolve reference: unexpected status from HEAD request to "
            "https://nvcr.io/v2/nvidia/gpu-operator/manifests/v24.6.2: 403 Forbidden",
            403,
        ),
        ("Requesting bearer token: invalid status code from registry 402 (Payment Required)", 402),
        ("received unexpected HTTP status: 502 Bad Gateway", 502),
        # digits in a digest or URL are not a status
        ("nvcr.io/nim/meta/llama3-8b@sha256:401403deadbeef: not found", None),
    ],
)
def test_registry_status(message: str, status: int | None) -> None:
    assert wording.registry_status(message) == status


# Every fixture, re-worded as each Kubernetes version and autoscaler would word it, is diagnosed
# the same: the DRA PostFilter's "no new claims to deallocate, " before "preemption:" (1.34+),
# the key-less "untolerated taint(s)" (1.35), GKE's capitalised "Pod (didn't) trigger(ed)
# scale-up". Fixtures already in a newer wording are left as they are by the older rewrites.
def reword(text: str, version: str) -> str:
    if version in ("1.34", "1.35") and "no new claims to deallocate" not in text:
        text = text.replace(". preemption: ", ". no new claims to deallocate, preemption: ")
    if version == "1.35":
        text = re.sub(r"untolerated taint \{[^}]*\}", "untolerated taint(s)", text)
    if version == "gke":
        text = re.sub(r"^pod (didn't trigger|triggered) scale-up", r"Pod \1 scale-up", text)
    return text


@pytest.mark.parametrize("version", ["1.34", "1.35", "gke"])
@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_every_fixture_reads_the_same_in_every_wording(name: str, version: str) -> None:
    doc = load(name)
    expected = doctor.diagnose(doc)
    for item in doc["items"]:
        if item["kind"] == "Event":
            item["message"] = reword(item["message"], version)
        for cond in (item.get("status") or {}).get("conditions") or []:
            if cond.get("message"):
                cond["message"] = reword(cond["message"], version)
    reworded = doctor.diagnose(doc)
    assert findings(reworded) == findings(expected)
    assert reworded.exit_code == expected.exit_code
