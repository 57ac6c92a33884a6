"""GKE versions as ``cluster.minMasterVersion`` takes them (nimgke/gke_version.py): a prefix is
judged by the lowest version it can name, ``latest`` by what it will be."""

from __future__ import annotations

import pytest

from nimgke import gke_version
from nimgke.gke_version import GkeVersion


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("1.37.0-gke.3100000", GkeVersion(1, 37, 0, 3100000)),
        ("1.37.2", GkeVersion(1, 37, 2, 0)),
        ("1.37", GkeVersion(1, 37, 0, 0)),
        (" 1.36.4-gke.1247000 ", GkeVersion(1, 36, 4, 1247000)),
        ("latest", None),
        ("1.37.x", None),
        ("v1.37.0", None),
    ],
)
def test_parse(text, version):
    assert gke_version.parse(text) == version


def test_builds_compare_as_numbers_not_text():
    assert GkeVersion(1, 37, 0, 3100000) > GkeVersion(1, 37, 0, 999999)
    assert str(gke_version.MANAGED_ADAPTER) == "1.37.0-gke.3100000"


@pytest.mark.parametrize(
    ("text", "floor", "ok"),
    [
        ("1.37", gke_version.SCALE_TO_ZERO, True),
        ("1.37", gke_version.MANAGED_ADAPTER, False),  # 1.37 may still be 1.37.0-gke.1
        ("1.37.1", gke_version.MANAGED_ADAPTER, True),
        ("latest", gke_version.MANAGED_ADAPTER, True),
        (None, gke_version.SCALE_TO_ZERO, False),
        ("1.37.x", gke_version.SCALE_TO_ZERO, False),
        ("1.36.4-gke.1247000", gke_version.MANAGED_ADAPTER_PREVIEW, True),
    ],
)
def test_at_least(text, floor, ok):
    assert gke_version.at_least(text, floor) is ok
