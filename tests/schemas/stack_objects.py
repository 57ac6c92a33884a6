"""The Kubernetes objects each stack variant creates, as the API server would receive them.

The program runs under the recording mocks (``tests/conftest.py``); every ``kubernetes:*`` resource
it registers is an object, except those in ``NOT_OBJECTS``. pulumi-kubernetes' inputs already
carry the manifest's own field names (``apiVersion``, ``kind``, ``metadata``, ``spec``...); what
differs on the way to the API server is handled by ``manifest``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.conftest import FAKE_NGC_KEY, ProgramRun, run_program, stack_config, unwrap
from tests.test_chart_contract import config_of, program

NOT_OBJECTS = {
    "kubernetes:helm.sh/v3:Release": "a Helm release, not an object: what it installs is what "
    "the chart renders from its values, checked in test_schemas_chart.py",
}


def _prod(change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> dict[str, str]:
    """prod's config with ``change(nim, gpuPool)`` -> extra config keys applied."""
    nim = json.loads(stack_config("prod")["nim-gke:nim"])
    pool = json.loads(stack_config("prod")["nim-gke:gpuPool"])
    extra = change(nim, pool)
    return stack_config(
        "prod",
        **{"nim-gke:nim": nim, "nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY, **extra},
    )


def _shared_cache(nim: dict[str, Any], _pool: dict[str, Any]) -> dict[str, Any]:
    """The shared cache on and two replicas mounting it (docs/startup.md, "A model
    cache the replicas share")."""
    nim["sharedCache"] = {"enabled": True}
    nim["models"][0]["replicas"] = 2
    return {}


def _green_canary(nim: dict[str, Any], _pool: dict[str, Any]) -> dict[str, Any]:
    """A canary on greenPool (docs/rollouts.md, "Blue/green onto other machines"), greenPool
    sized for its HPA maximum."""
    nim["models"][0]["canary"] = {"tag": "1.1.2", "weight": 10, "pool": "green"}
    green = {
        "machineType": "g2-standard-8",
        "minNodes": 0,
        "maxNodes": 2,
        "driverVersion": "LATEST",
    }
    return {"nim-gke:greenPool": green}


VARIANTS: dict[str, Callable[[], dict[str, str]]] = {
    "dev": lambda: config_of("dev"),
    "prod": lambda: config_of("prod"),
    "prod-canary": lambda: config_of("prod-canary"),
    "prod-shared-cache": lambda: _prod(_shared_cache),
    "prod-green-canary": lambda: _prod(_green_canary),
}
"""Each stack file, and prod with each feature that adds or changes Kubernetes objects."""


@cache
def run(variant: str) -> ProgramRun:
    if variant in ("dev", "prod", "prod-canary"):
        return program(variant)  # the same cached runs as the chart-contract tests
    return run_program("prod", VARIANTS[variant](), ["nim-gke:ngcApiKey"])


def _json_numbers(value: Any) -> Any:
    """Numbers as the API server decodes them. Pulumi's engine carries every number as a double
    (resource inputs travel as google.protobuf.Struct, whose number_value is a double: the mocks
    record 8000.0); Go's encoding/json writes an integral float64 without a fraction ("8000"),
    and the API server decodes a number without "." as an int64 (kubernetes-sigs/json@
    e01b0de0dabd60a34de1777a4c0b25f75853102f:json.go, UnmarshalCaseSensitivePreserveInts)."""
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def manifest(inputs: dict[str, Any]) -> dict[str, Any]:
    """The object a ``kubernetes:*`` resource's recorded inputs become: secrets unwrapped (the
    provider sends their values), numbers as JSON numbers."""
    return _json_numbers(unwrap(inputs))


def type_token(obj: dict[str, Any]) -> str:
    """pulumi-kubernetes' type token of an object: ``kubernetes:<group>/<version>:<Kind>``, the
    core group spelled ``core``."""
    api_version = obj["apiVersion"] if "/" in obj["apiVersion"] else f"core/{obj['apiVersion']}"
    return f"kubernetes:{api_version}:{obj['kind']}"


@dataclass(frozen=True)
class StackObject:
    where: str
    """``<variant>: <Pulumi type> <Pulumi name>``, for messages."""
    obj: dict[str, Any]


def objects(variant: str) -> list[StackObject]:
    return [
        StackObject(f"{variant}: {r.typ} {r.name}", manifest(r.inputs))
        for r in run(variant).mocks.resources
        if r.typ.startswith("kubernetes:") and r.typ not in NOT_OBJECTS
    ]


def releases(variant: str) -> list[dict[str, Any]]:
    """The inputs (name, namespace, values...) of each Helm release the variant creates."""
    return [unwrap(r.inputs) for r in run(variant).mocks.of_type("kubernetes:helm.sh/v3:Release")]
