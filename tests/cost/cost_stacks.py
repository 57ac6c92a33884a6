"""Helpers for the cost tests: the project's stack files, modified copies, the reference sheet."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from nimgke import cost
from nimgke.config import NAMESPACE, StackConfig, parse, read_stack_file
from nimgke.shape import stack_shape

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_PRICES = ROOT.parent / "shared" / "reference" / "gcp-prices-2026-07-30.yaml"
"""The dated price sheet the table was built from; it stays out of the repo."""


def stack_file(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


def raw_with(stack: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stack file's config with ``{"gpuPool.machineType": "g2-standard-8", ...}`` applied."""
    raw = copy.deepcopy(read_stack_file(stack_file(stack)))
    for dotted, value in (changes or {}).items():
        head, *path = dotted.split(".")
        node = raw.setdefault(f"{NAMESPACE}:{head}", {})
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return raw


def config_with(stack: str, changes: dict[str, Any] | None = None) -> StackConfig:
    """A validated StackConfig of ``stack`` with ``changes``, as ``nimctl`` would read it."""
    return parse(stack, raw_with(stack, changes), (True, True))


def write_stack(tmp: Path, name: str, raw: dict[str, Any]) -> Path:
    path = tmp / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": raw}, sort_keys=False))
    return path


def reference_sheet() -> dict[str, Any]:
    """The reference price sheet, parsed independently of nimgke.pricing (skip when absent)."""
    if not REFERENCE_PRICES.is_file():
        pytest.skip(f"reference price sheet not present: {REFERENCE_PRICES}")
    return yaml.safe_load(REFERENCE_PRICES.read_text())


def sheet_hourly(sheet: dict[str, Any], machine: str, region: str, option: str) -> float:
    """The hourly rate straight from a sheet's fields (commitments: monthly / 730)."""
    cost = sheet["machines"][machine]["cost"][region]
    field, divisor = {
        "on-demand": ("hour", 1),
        "spot": ("hour_spot", 1),
        "1y": ("month_1y", 730),
        "3y": ("month_3y", 730),
    }[option]
    return cost[field] / divisor


def cost_estimate(cfg: StackConfig) -> dict[str, Any]:
    """The ``costEstimate`` of ``cfg`` as the program and ``nimctl cost`` compute it: its shape,
    priced."""
    return cost.estimate(cfg, stack_shape(cfg))


def cost_alternatives(cfg: StackConfig) -> list[dict[str, Any]]:
    """The purchase options of ``cfg`` as ``nimctl cost`` computes them: its shape, priced."""
    return cost.alternatives(cfg, stack_shape(cfg))
