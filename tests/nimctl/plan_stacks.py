"""The stack files ``nimctl plan`` tests plan, edited as the README tells a user to edit them."""

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
    args = plan.build_parser().parse_args(argv)
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


# --- the README's walk-through (prod): canary at 10 %, 50 %, promote, roll back ----------------

MODEL = "        release: llama3-8b\n        cacheSize: 50Gi\n"
POOL_MAX = "    maxNodes: 2\n"


def canary(weight: int) -> str:
    return f'        canary:\n          tag: "1.1.2"\n          weight: {weight}\n'


def edited_prod(folder: Path, tag: str, canary: str = "", max_nodes: int = 4) -> Path:
    """prod with the README's edits: the tag, the canary block, and gpuPool.maxNodes (4 while two
    versions run: each version's HPA may scale to monitoring.hpa.maxReplicas, 2)."""
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
    "w50": ("1.0.3", canary(50), 4),
    "w100": ("1.0.3", canary(100), 4),
    "promoted": ("1.1.2", "", 4),
    "shrunk": ("1.1.2", "", 2),
    "rolled-back": ("1.0.3", "", 4),
}
"""Each step's stack file: (the model's tag, its canary block, gpuPool.maxNodes)."""


def walk_through(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every step's stack file and plan, and ``base``: prod as it is."""
    steps = {"base": (stack_file("prod"), plan.plan(plan.stack_input(stack_file("prod"))))}
    for name, (tag, block, max_nodes) in WALK_THROUGH.items():
        path = edited_prod(folder / name, tag, block, max_nodes)
        steps[name] = (path, plan.plan(plan.stack_input(path)))
    return steps
