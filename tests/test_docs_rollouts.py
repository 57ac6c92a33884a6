"""docs/rollouts.md holds to what is tested: the walk-throughs' YAML snippets, applied to
Pulumi.prod.yaml, validate and configure exactly the stacks the rollout tests plan
(``tests/nimctl/plan_stacks.py``); and the bound of each event says what the chart lets the stack
do about a pod that goes.

The bound: with container-native load balancing, a pod's SIGTERM races its removal from the
network endpoint group, and requests the load balancer sends it meanwhile get 502/503; Google's
remedy is a preStop sleep (cloud.google.com/knowledge/kb/
502-503-errors-on-external-http-s-load-balancer-000006416), which nim-llm 1.3.0 has no value for
(``tests/test_chart_updates.py`` renders it). So no row may say that new requests "none fail"
for an event that removes a serving pod.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from nimgke.config import load_stack_file
from nimgke.config.loading import read_stack_file
from nimgke.helm_values import TERMINATION_GRACE_PERIOD_S
from tests.conftest import ROOT
from tests.nimctl.plan_stacks import (
    GREEN_WALK_THROUGH,
    WALK_THROUGH,
    edited,
    edited_prod,
    stack_file,
)
from tests.test_docs import _FENCE

ROLLOUTS = ROOT / "docs" / "rollouts.md"
WALK = "## Walk-through (prod): canary at 10 %, 50 %, promote, roll back"
GREEN = "## Blue/green onto other machines: greenPool"


def section(title: str) -> str:
    text = ROLLOUTS.read_text()
    start = text.index(f"\n{title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def yaml_snippets(text: str) -> list[str]:
    """The ```yaml blocks of ``text``, each without the fence's own indentation (a block inside a
    list item is indented with it)."""
    out: list[str] = []
    lines: list[str] | None = None
    pad = 0
    for line in text.splitlines():
        if _FENCE.match(line):
            if lines is None:
                if line.strip() == "```yaml":
                    lines, pad = [], len(line) - len(line.lstrip())
                else:
                    lines, pad = ["<other>"], 0
            else:
                if lines[:1] != ["<other>"]:
                    out.append("\n".join(x[pad:] for x in lines) + "\n")
                lines = None
        elif lines is not None:
            lines.append(line)
    return out


def _segments(snippet: str) -> list[tuple[int, Any]]:
    """A snippet cut at its ``...`` lines: each part's indentation in the stack file and its
    YAML."""
    parts, current = [], []
    for line in snippet.splitlines():
        if line.strip() == "...":
            parts.append(current)
            current = []
        else:
            current.append(line)
    parts.append(current)
    out = []
    for part in parts:
        body = [x for x in part if x.strip()]
        indent = min(len(x) - len(x.lstrip()) for x in body)
        out.append((indent, yaml.safe_load("\n".join(x[indent:] for x in body))))
    return out


def _merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    """Mappings merge key by key; anything else (a list, a scalar) is the snippet's."""
    for key, value in part.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _holders(node: Any, depth: int, keys: set[str]) -> list[dict[str, Any]]:
    """The mappings ``depth`` levels under ``node`` that have every key of ``keys``."""
    if not isinstance(node, dict):
        return []
    if depth == 0:
        return [node] if keys <= set(node) else []
    return [h for child in node.values() for h in _holders(child, depth - 1, keys)]


def apply(config: dict[str, Any], snippet: str) -> dict[str, Any]:
    """``config`` (a stack file's ``config:``) with a snippet of the docs applied as a reader
    would: each part goes where its keys are at its indentation (two spaces a level under
    ``config:``); a list item replaces the item of the same ``name``."""
    out = copy.deepcopy(config)
    for indent, part in _segments(snippet):
        depth = indent // 2 - 1
        if isinstance(part, list):  # list items: the model entries of nim-gke:nim.models
            (models,) = [h["models"] for h in _holders(out, depth - 1, {"models"})]
            for item in part:
                (i,) = [n for n, m in enumerate(models) if m["name"] == item["name"]]
                models[i] = copy.deepcopy(item)
            continue
        if depth == 0:
            _merge(out, part)
            continue
        (holder,) = _holders(out, depth, set(part))
        _merge(holder, part)
    return out


def model(config: dict[str, Any]) -> dict[str, Any]:
    return config["nim-gke:nim"]["models"][0]


def inline(code: str, text: str) -> str:
    """An edit the page gives inline (in backticks): it must be on the page as written."""
    assert f"`{code}`" in text, f"docs/rollouts.md no longer says `{code}`"
    return code


def _weight(config: dict[str, Any], weight: int) -> dict[str, Any]:
    out = copy.deepcopy(config)
    model(out)["canary"]["weight"] = weight
    return out


def _without_canary(config: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(config)
    del model(out)["canary"]
    return out


def documented_walk_through() -> dict[str, dict[str, Any]]:
    """Each step of the prod walk-through, as the page tells a reader to edit Pulumi.prod.yaml."""
    text = section(WALK)
    add, promote = yaml_snippets(text)
    prod = read_stack_file(stack_file("prod"))
    steps = {"w10": apply(prod, add)}
    steps["w50"] = _weight(steps["w10"], int(inline("weight: 50", text).split()[1]))
    steps["w100"] = _weight(steps["w50"], int(inline("weight: 100", text).split()[1]))
    steps["promoted"] = apply(steps["w100"], promote)
    shrunk = copy.deepcopy(steps["promoted"])
    shrunk["nim-gke:gpuPool"]["maxNodes"] = int(inline("gpuPool.maxNodes: 2", text).split()[1])
    steps["shrunk"] = shrunk
    steps["w0"] = _weight(steps["w10"], int(inline("weight: 0", text).split()[1]))
    assert "then remove the `canary` block" in " ".join(text.split())
    steps["rolled-back"] = _without_canary(steps["w0"])
    return steps


def documented_green_walk_through() -> dict[str, dict[str, Any]]:
    """greenPool's steps: its snippet and the canary on it, promoted, the old pool drained."""
    text = section(GREEN)
    (pool,) = yaml_snippets(text)
    flow = re.search(r"`(canary: \{[^`]*\})`", text)
    assert flow, "docs/rollouts.md no longer gives the canary on greenPool inline"
    green_canary = yaml.safe_load(flow.group(1))["canary"]
    with_pool = apply(read_stack_file(stack_file("prod")), pool)
    steps = {"green10": copy.deepcopy(with_pool)}
    model(steps["green10"])["canary"] = green_canary
    steps["green100"] = _weight(steps["green10"], 100)
    on_green = _without_canary(steps["green100"])
    inline("pool: green", text)
    model(on_green).update(tag=green_canary["tag"], pool="green")
    steps["on-green"] = on_green
    drained = copy.deepcopy(on_green)
    for code in ("gpuPool.minNodes: 0", "greenPool.minNodes: 1"):
        key, value = inline(code, text).split(": ")
        pool_key, setting = key.split(".")
        drained[f"nim-gke:{pool_key}"][setting] = int(value)
    inline("requireWarmNode: false", text)
    inline("requireWarmNode: true", text)
    drained["nim-gke:gpuPool"]["requireWarmNode"] = False
    drained["nim-gke:greenPool"]["requireWarmNode"] = True
    steps["drained"] = drained
    reshaped = copy.deepcopy(drained)
    assert "reshaping the empty gpuPool (its machine type can change" in " ".join(text.split())
    reshaped["nim-gke:gpuPool"]["machineType"] = "g2-standard-8"  # the tests' new machine
    steps["reshaped"] = reshaped
    return steps


def _written(folder: Path, config: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    path = folder / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def test_the_walk_throughs_have_the_snippets_this_test_applies():
    assert len(yaml_snippets(section(WALK))) == 2
    assert len(yaml_snippets(section(GREEN))) == 1


def test_the_documented_walk_through_is_the_tested_one(tmp_path):
    """Every step validates (as `nimctl plan` and `pulumi preview` validate the stack file) and
    configures the same stack as the step ``test_nimctl_plan_safety.py`` runs through the
    rollout safety check."""
    documented = documented_walk_through()
    assert set(documented) == set(WALK_THROUGH)
    (tmp_path / "tested").mkdir()
    for name, config in documented.items():
        tag, block, max_nodes = WALK_THROUGH[name]
        tested = load_stack_file(edited_prod(tmp_path / "tested" / name, tag, block, max_nodes))
        assert load_stack_file(_written(tmp_path / "documented" / name, config)) == tested, name


def test_the_documented_green_pool_walk_through_is_the_tested_one(tmp_path):
    """The same for greenPool's: its snippet validates on prod (maxNodes must hold the canary's
    HPA maximum, 2), and each step is the tests' step."""
    documented = documented_green_walk_through()
    assert list(documented) == list(GREEN_WALK_THROUGH)
    for name, config in documented.items():
        tested = load_stack_file(
            edited(tmp_path / "tested" / name, "prod", *GREEN_WALK_THROUGH[name])
        )
        assert load_stack_file(_written(tmp_path / "documented" / name, config)) == tested, name


# --- the bound of each event -----------------------------------------------------------------

BOUNDS = "## The bound of each event"
REMOVES_A_SERVING_POD = {
    "pod change": "a Deployment's old pod goes once the new one is Ready (RollingUpdate)",
    "GPU pool replaced or deleted (any priority of the class)": "the old pool is drained",
    "nodes recreated, node upgrade": "each node is drained",
    "node repair": "the broken node is drained",
    "Spot reclaim (dev's GPU pool)": "the node is reclaimed",
    "migrating back from a fallback (active migration, where Spot comes first: dev)": (
        "the on-demand node is drained"
    ),
    "HPA scale-in": "the HPA deletes a replica",
}
"""The events of the table that take a serving pod away, and how."""


def bound_rows() -> dict[str, dict[str, str]]:
    lines = [x for x in section(BOUNDS).splitlines() if x.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for row in lines[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def test_the_bound_of_each_event_states_the_window_of_a_removed_pod():
    """No event that takes a serving pod away claims that no new request fails: each names the
    window in which the load balancer still sends new requests to the pod after its SIGTERM
    (502/503), and says its requests in flight meet SIGTERM (their end depends on NIM)."""
    rows = bound_rows()
    assert set(REMOVES_A_SERVING_POD) <= set(rows)
    for event in REMOVES_A_SERVING_POD:
        new, in_flight = rows[event]["new requests"], rows[event]["requests in flight"]
        assert "none fail" not in new, event
        assert "502/503" in new, event
        assert "SIGTERM" in in_flight, event


def test_the_bound_uses_the_stacks_own_numbers():
    """The grace period is the chart's (helm_values.TERMINATION_GRACE_PERIOD_S, rendered by
    test_chart_render) and the draining timeout prod's."""
    text = " ".join(section(BOUNDS).split())
    prod = read_stack_file(stack_file("prod"))
    draining = prod["nim-gke:gateway"]["drainingTimeoutSec"]
    assert f"`gateway.drainingTimeoutSec` {draining} s (prod)" in text
    assert f"`terminationGracePeriodSeconds` {TERMINATION_GRACE_PERIOD_S} s" in text
