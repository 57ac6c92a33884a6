"""``nimctl doctor``'s parsers of the components' wording."""

from __future__ import annotations

import pytest

from nimctl import doctor

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
