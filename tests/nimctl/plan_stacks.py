"""The stack files ``nimctl plan`` tests plan, edited as docs/rollouts.md tells a user to edit
them."""

from __future__ import annotations

import contextlib
import io
from functools import cache
from pathlib import Path
from typing import Any

from nimctl import plan
from tests.conftest import ROOT

STACKS = ("dev", "prod")


def stack_file(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


@cache
def plan_json(stack: str) -> str:
    """``nimctl plan STACK --json`` as printed."""
    return capture("plan", stack, "--json")


@cache
def plan_text(stack: str) -> str:
    return capture("plan", stack)


def capture(*argv: str) -> str:
    """What ``nimctl`` prints for ``argv``, which must succeed without a word on stderr."""
    args = plan.COMMAND.build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = args.func(args)
    assert (code, err.getvalue()) == (0, "")
    return out.getvalue()


def write_copy(tmp_path: Path, stack: str, old: str, new: str) -> Path:
    """``Pulumi.<stack>.yaml`` in ``tmp_path`` (same stack name) with one line edited."""
    text = stack_file(stack).read_text()
    assert text.count(old) == 1, f"{old!r} is not on exactly one line of Pulumi.{stack}.yaml"
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(text.replace(old, new))
    return path


# --- docs/rollouts.md "Walk-through (prod)": canary at 10 %, 50 %, promote, roll back -----------

MODEL = "        release: llama3-8b\n        cacheSize: 50Gi\n"
POOL_MAX = "    maxNodes: 2\n"


def canary(weight: int) -> str:
    return f'        canary:\n          tag: "1.1.2"\n          weight: {weight}\n'


def edited_prod(folder: Path, tag: str, canary: str = "", max_nodes: int = 4) -> Path:
    """prod with the walk-through's edits: the tag, the canary block, and gpuPool.maxNodes (4
    while two versions run: each version's HPA may scale to monitoring.hpa.maxReplicas, 2)."""
    text = stack_file("prod").read_text()
    assert text.count(MODEL) == 1 and text.count('tag: "1.0.3"') == 1
    assert text.count(POOL_MAX) == 1
    text = text.replace('tag: "1.0.3"', f'tag: "{tag}"').replace(MODEL, MODEL + canary)
    text = text.replace(POOL_MAX, f"    maxNodes: {max_nodes}\n")
    folder.mkdir()
    path = folder / "Pulumi.prod.yaml"
    path.write_text(text)
    return path


WALK_THROUGH = {
    "w10": ("1.0.3", canary(10), 4),
    "w0": ("1.0.3", canary(0), 4),
    "w50": ("1.0.3", canary(50), 4),
    "w100": ("1.0.3", canary(100), 4),
    "promoted": ("1.1.2", "", 4),
    "shrunk": ("1.1.2", "", 2),
    "rolled-back": ("1.0.3", "", 4),
}
"""Each step's stack file: (the model's tag, its canary block, gpuPool.maxNodes)."""


def walk_through(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every step's stack file and plan, and ``base``: prod as it is. (``w0``: the canary at
    weight 0, the first of a rollback's two edits; ``rolled-back``: the second.)"""
    steps = {"base": (stack_file("prod"), plan.plan(plan.stack_input(stack_file("prod"))))}
    for name, (tag, block, max_nodes) in WALK_THROUGH.items():
        path = edited_prod(folder / name, tag, block, max_nodes)
        steps[name] = (path, plan.plan(plan.stack_input(path)))
    return steps


def edited(folder: Path, stack: str, *edits: tuple[str, str]) -> Path:
    """``Pulumi.<stack>.yaml`` in ``folder`` (made here) with each ``(old, new)`` edit, ``old`` on
    exactly one place of the file."""
    text = stack_file(stack).read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not in exactly one place of Pulumi.{stack}.yaml"
        text = text.replace(old, new)
    folder.mkdir(parents=True)
    path = folder / f"Pulumi.{stack}.yaml"
    path.write_text(text)
    return path


# --- docs/rollouts.md "Blue/green onto other machines: greenPool" (prod) ------------------------

NIM = "  nim-gke:nim:\n"
GREEN_POOL = (
    "  nim-gke:greenPool:\n"
    "    machineType: g2-standard-8\n"
    "    gpuType: nvidia-l4\n"
    "    gpuCount: 1\n"
    "    minNodes: {min_nodes}\n"
    "    maxNodes: 2                    # the canary's HPA maximum\n"
    "    requireWarmNode: {warm}\n"
    "    driverVersion: LATEST\n"
)
GPU_WARM = (
    "    minNodes: 1                    # totals across zones: the autoscaler never removes the "
    "last L4\n"
)


def green_canary(weight: int) -> str:
    return canary(weight) + "          pool: green\n"


def green_pool(min_nodes: int = 0, warm: str = "false") -> str:
    return GREEN_POOL.format(min_nodes=min_nodes, warm=warm)


GREEN_WALK_THROUGH: dict[str, tuple[tuple[str, str], ...]] = {
    "green10": ((NIM, green_pool() + NIM), (MODEL, MODEL + green_canary(10))),
    "green100": ((NIM, green_pool() + NIM), (MODEL, MODEL + green_canary(100))),
    "on-green": (
        (NIM, green_pool() + NIM),
        ('tag: "1.0.3"', 'tag: "1.1.2"'),
        (MODEL, MODEL + "        pool: green\n"),
    ),
    "drained": (
        (GPU_WARM, "    minNodes: 0\n"),
        ("    requireWarmNode: true\n", "    requireWarmNode: false\n"),
        (NIM, green_pool(1, "true") + NIM),
        ('tag: "1.0.3"', 'tag: "1.1.2"'),
        (MODEL, MODEL + "        pool: green\n"),
    ),
    "reshaped": (
        (GPU_WARM, "    minNodes: 0\n"),
        ("    requireWarmNode: true\n", "    requireWarmNode: false\n"),
        ("    machineType: g2-standard-4\n", "    machineType: g2-standard-8\n"),
        (NIM, green_pool(1, "true") + NIM),
        ('tag: "1.0.3"', 'tag: "1.1.2"'),
        (MODEL, MODEL + "        pool: green\n"),
    ),
}
"""Each step's edits of Pulumi.prod.yaml: greenPool declared with a canary on it at 10 %, at
100 %, the model promoted onto greenPool, gpuPool drained (its warm node moves to greenPool), and
the empty gpuPool reshaped."""


def green_walk_through(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    steps = {"base": (stack_file("prod"), plan.plan(plan.stack_input(stack_file("prod"))))}
    for name, edits in GREEN_WALK_THROUGH.items():
        path = edited(folder / name, "prod", *edits)
        steps[name] = (path, plan.plan(plan.stack_input(path), steps[_before(name)][1]))
    return steps


def _before(step: str) -> str:
    names = ["base", *GREEN_WALK_THROUGH]
    return names[names.index(step) - 1]
