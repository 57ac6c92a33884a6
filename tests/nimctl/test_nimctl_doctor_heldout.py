"""``nimctl doctor`` on held-out snapshots (``fixtures/doctor/make_heldout.py``): written after the
rules, in wordings, places and orders the rules were not written from. The expected reading is
what the components' sources mean, not what the rules happened to say."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures.doctor import make_heldout
from fixtures.doctor.support import FIXTURES, GPU_NODE, POD, findings

from nimctl import doctor

HELDOUT = FIXTURES / "heldout"
GATEWAY = "gateway/nim-internal"
NODE = f"node/{GPU_NODE}"


def load(name: str) -> dict[str, Any]:
    return json.loads((HELDOUT / f"{name}.json").read_text(encoding="utf-8"))


# snapshot -> exit code, (cause, object) in report order
EXPECTED: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "subnet-with-deprecated-ready": (1, [("gateway-proxy-subnet-missing", GATEWAY)]),
    "lb-certificate-refused": (1, [("gateway-load-balancer-error", GATEWAY)]),
    "lb-quota": (1, [("gateway-load-balancer-error", GATEWAY)]),
    "address-only-in-events": (1, [("gateway-address-not-usable", GATEWAY)]),
    "address-in-accepted": (1, [("gateway-address-not-usable", GATEWAY)]),
    "route-filter-only-in-sync": (1, [("route-unsupported-field", "httproute/llama3-8b")]),
    "route-backend-gwcer102": (1, [("route-backend-not-found", "httproute/llama3-8b")]),
    "controller-missing-no-status": (1, [("gateway-controller-missing", GATEWAY)]),
    "health-check-live-path": (
        1,
        [
            ("health-check-before-ready", "healthcheckpolicy/llama3-8b-1-0-3-nim-llm"),
        ],
    ),
    "mirror-404-containerd16": (1, [("mirror-repository-not-found", POD)]),
    "mirror-403-containerd16": (1, [("mirror-pull-forbidden", POD)]),
    "mirror-502-blob": (1, [("mirror-upstream-failed", POD)]),
    "gcsfuse-forbidden-events-api": (1, [("gcsfuse-bucket-forbidden", POD)]),
    "gcsfuse-webhook-failed": (1, [("gcsfuse-sidecar-missing", POD)]),
    "gcsfuse-not-found-after-auth": (1, [("gcsfuse-bucket-not-found", POD)]),
    "hpa-pending-unquoted": (
        3,
        [("hpa-metric-pending", "hpa/llama3-8b-nim-llm"), ("model-loading", POD)],
    ),
    "spot-reclaim-135": (3, [("node-going-away", NODE)]),
    "spot-node-gone": (3, [("node-going-away", POD)]),
    "scale-down-taint": (3, [("node-going-away", NODE)]),
    "node-pleg": (3, [("node-went-not-ready", NODE)]),
    "gpu-half-unhealthy": (1, [("gpu-unhealthy", NODE)]),
    "crashloop-on-unhealthy-gpu": (
        1,
        [("gpu-unhealthy", NODE), ("crash-loop", POD)],
    ),
    "taint-outside-pool-135": (3, [("gpu-scale-up-in-progress", "pod/llama3-8b-nim-llm-1")]),
    "two-metrics-apis-down": (
        1,
        [
            ("metrics-api-unavailable", "apiservice/v1beta1.custom.metrics.k8s.io"),
        ],
    ),
    "zone-conflict-known-zone": (1, [("volume-zone-conflict", POD)]),
}


def test_every_heldout_snapshot_has_its_reading() -> None:
    assert {p.stem for p in HELDOUT.glob("*.json")} == set(EXPECTED) == set(make_heldout.HELDOUT)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_heldout_files_are_what_the_script_writes(name: str) -> None:
    built = json.loads(json.dumps(make_heldout.HELDOUT[name]()))
    assert built == load(name), f"re-run {FIXTURES / 'make_heldout.py'}"
    assert built["_sources"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_heldout_reading(name: str) -> None:
    code, expected = EXPECTED[name]
    report = doctor.diagnose(load(name))
    assert [(c, o) for c, _, o in findings(report)] == expected
    assert report.exit_code == code
