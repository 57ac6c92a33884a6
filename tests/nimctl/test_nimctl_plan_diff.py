"""``nimctl plan --diff``: what an edit of a stack file changes, as text and as data.

The edits are the ones a user makes: the canary walk-through of docs/rollouts.md on prod, a pool
bound on dev, a new model, and prod against dev."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from nimctl import plan
from nimctl.plan import command
from nimctl.plan.compare import compare
from nimctl.plan.diff import cost_diff
from nimctl.plan.diff_text import render_diff, word_diff
from nimgke.cost import SCENARIOS
from tests.conftest import FAKE_NGC_KEY, SECRET_MANAGER_KEY
from tests.nimctl.plan_stacks import plan_json, stack_file, write_copy

NODE_POOL = "gcp:container/nodePool:NodePool"
DASHBOARD = "gcp:monitoring/dashboard:Dashboard"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
RELEASE = "kubernetes:helm.sh/v3:Release"
AUTOSCALING_METRIC = "kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric"
REFS = "spec.rules[0].backendRefs"
GPU_TILE = "GPU pool nodes (with a working driver) against its bounds"
"""The dashboard's panel that draws gpuPool.maxNodes as a threshold."""


def step(walk: dict[str, Any], before: str, after: str) -> dict[str, Any]:
    return plan.diff(walk[before][1], walk[after][1])


def by_name(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in d["resources"]}


def cli_diff(tmp_path: Path, run_cli: Any, base: dict[str, Any], head: Path, *flags: str) -> str:
    """``nimctl plan HEAD --diff base.json [flags]`` as printed (it must succeed)."""
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))
    code, out, err = run_cli(plan, "plan", str(head), "--diff", str(base_file), *flags)
    assert (code, err) == (0, "")
    return out.replace(str(base_file), "base.json")


def test_the_help_shows_the_format_the_json_has(walk, tmp_path, run_cli):
    """`nimctl plan --help` gives the shape of each JSON document with its "format": the
    examples name the formats the real `--json` output carries."""
    sub = argparse.ArgumentParser(prog="nimctl").add_subparsers()
    shown = re.findall(r'"format": "([^"]+)"', command.COMMAND.register(sub).format_help())
    diff = json.loads(cli_diff(tmp_path, run_cli, walk["w10"][1], walk["w50"][0], "--json"))
    assert shown == [walk["w10"][1]["format"], diff["format"]]
    assert shown == ["nimctl-plan/v1", "nimctl-plan-diff/v3"]


# --- the walk-through, step by step -----------------------------------------------------------


def test_a_canary_weight_change_is_the_route_and_the_rollout_output(walk, tmp_path, run_cli):
    """Step 2 (10 % -> 50 %), all of it: the two weights, named by their backend."""
    out = cli_diff(tmp_path, run_cli, walk["w10"][1], walk["w50"][0])
    assert out == "\n".join(
        [
            "Plan diff of stack 'prod' (Pulumi.prod.yaml) against base.json (stack 'prod', "
            "Pulumi.prod.yaml): 0 to add, 0 to remove, 1 to change",
            "",
            "nim-gke:net:ModelGateway  gateway",
            f"    ~ {ROUTE}  gateway-llama3-8b-route",
            f'        ~ {REFS}[0].weight: 90 => 50  (in "llama3-8b-1-0-3-nim-llm")',
            f'        ~ {REFS}[1].weight: 10 => 50  (in "llama3-8b-1-1-2-nim-llm")',
            "",
            "Outputs:",
            '    ~ rollout["llama3-8b"]["llama3-8b-1-0-3"]: 90 => 50',
            '    ~ rollout["llama3-8b"]["llama3-8b-1-1-2"]: 10 => 50',
            "",
            "Rollout safety: no change drops or fails requests.",
            "",
        ]
    )
    # The same as data, one change per line, for a check that reads the diff
    d = json.loads(cli_diff(tmp_path, run_cli, walk["w10"][1], walk["w50"][0], "--json"))
    assert d["format"] == "nimctl-plan-diff/v3"
    route = "nim-gke:net:ModelGateway$" + ROUTE + "::gateway-llama3-8b-route"
    assert plan.changes(d) == [
        plan.Change(
            route, ROUTE, "gateway-llama3-8b-route", "spec.rules[0].backendRefs[0].weight",
            "changed", 90, 50, "llama3-8b-1-0-3-nim-llm",
        ),
        plan.Change(
            route, ROUTE, "gateway-llama3-8b-route", "spec.rules[0].backendRefs[1].weight",
            "changed", 10, 50, "llama3-8b-1-1-2-nim-llm",
        ),
        plan.Change(
            None, "pulumi:pulumi:Stack", "prod", 'rollout["llama3-8b"]["llama3-8b-1-0-3"]',
            "changed", 90, 50,
        ),
        plan.Change(
            None, "pulumi:pulumi:Stack", "prod", 'rollout["llama3-8b"]["llama3-8b-1-1-2"]',
            "changed", 10, 50,
        ),
    ]  # fmt: skip
    assert (d["cost"], d["warnings"]) == (None, {"added": [], "removed": []})


def test_the_canary_step_is_read_in_a_few_kilobytes(walk):
    """Step 1 (the canary at 10 % and room for it) printed 45 KB: the dashboard's JSON twice on
    one line, every cost figure by position, the new release's 90 inputs."""
    d = step(walk, "base", "w10")
    text = render_diff(d, "before.json")
    # ~8 KB: with the canary's AutoscalingMetric (as the model's, one query changed), the
    # idle GPU nodes its warm replica adds to the cost, gpuPool's fallback pool, whose bound
    # follows the pool's, and the at-ceiling alert's ceiling (query and runbook).
    assert len(text.encode()) < 8_000
    # The figures of each ComputeClass priority and their blend are counted (nimctl cost shows
    # them), the GPU quota they need is shown.
    assert (
        "  (more figures change: 8 of costEstimate.monitoring, 8 of costEstimate.capacity; "
        "--full lists them)\n"
    ) in text
    assert '  ~ costEstimate.capacity.gpuQuota["nvidia-l4"].onDemand: 2 => 4\n' in text
    # expected 1,373.89 at the first priority + blended GPU nodes 2 x 537.42 - 1,031.97 at the
    # first priority alone = 1,416.76 (tests/cost/test_cost_capacity.py has the per-node figures)
    full = render_diff(d, "before.json", full=True)
    assert "  ~ costEstimate.capacity.blendedExpectedMonthly: 856.84 => 1416.76\n" in full
    assert "more figures change" not in full
    assert max(len(line) for line in text.splitlines() if "warning:" not in line) < 200
    names = by_name(d)
    assert {n for n, r in names.items() if r["change"] == "changed"} == {
        "gpu-pool",
        "gpu-2-pool",  # the on-demand fallback takes gpuPool's maxNodes
        "observability-dashboard",
        "observability-alert-gpupoolatmax",
        "gateway-llama3-8b-route",
    }
    for pool in ("gpu-pool", "gpu-2-pool"):
        assert names[pool]["changes"] == [
            {"path": "autoscaling.totalMaxNodeCount", "change": "changed", "before": 2, "after": 4}
        ]
    assert names["gateway-llama3-8b-route"]["changes"] == [
        {
            "path": "spec.rules[0].backendRefs[0].weight",
            "change": "changed",
            "before": 100,
            "after": 90,
            "label": "llama3-8b-1-0-3-nim-llm",
        },
        {
            "path": "spec.rules[0].backendRefs[1]",
            "change": "added",
            "after": {"name": "llama3-8b-1-1-2-nim-llm", "port": 8000, "weight": 10},
        },
    ]
    assert not [r for r in d["resources"] if r["change"] == "removed"]


def test_the_dashboard_json_shows_only_the_threshold_that_moved(tmp_path, run_cli):
    """dev's gpuPool.maxNodes 2 -> 3: inside dashboardJson only the GPU panel's line at
    maxNodes changes, named by its panel's title. The line is the sum over gpuPool's priorities
    (gpu and its fallback gpu-2, which takes the pool's maxNodes): 2 + 2 -> 3 + 3."""
    path = write_copy(tmp_path, "dev", "maxNodes: 2\n", "maxNodes: 3\n")
    base = json.loads(plan_json("dev"))
    d = json.loads(cli_diff(tmp_path, run_cli, base, path, "--json"))
    board = by_name(d)["observability-dashboard"]
    assert board["changes"] == [
        {
            "path": "dashboardJson(json).mosaicLayout.tiles[14].widget.xyChart.thresholds[0].value",
            "change": "changed",
            "before": 4,
            "after": 6,
            "label": GPU_TILE,
        }
    ]
    out = cli_diff(tmp_path, run_cli, base, path)
    assert (
        "nim-gke:monitoring:Observability  observability\n"
        f"    ~ {DASHBOARD}  observability-dashboard\n"
        "        ~ dashboardJson: a JSON document; inside it:\n"
        "            ~ mosaicLayout.tiles[14].widget.xyChart.thresholds[0].value: 4 => 6"
        f'  (in "{GPU_TILE}")\n'
    ) in out
    # The pool and its on-demand fallback, which takes the pool's maxNodes, and the dashboard.
    assert "0 to add, 0 to remove, 3 to change" in out.splitlines()[0]
    assert "  ~ gcp:container/nodePool:NodePool  gpu-pool\n" in out
    assert "  ~ gcp:container/nodePool:NodePool  gpu-2-pool\n" in out
    assert "        ~ autoscaling.totalMaxNodeCount: 2 => 3\n" in out


def test_json_in_a_string_compares_parsed():
    """Key order, spacing and 2.0 against 2 are no change, as for the provider, which compares
    dashboard_json parsed (hashicorp/terraform-provider-google@
    160dc8274a1e94b77c7514fd748b45333ad27d7c: google/services/monitoring/
    resource_monitoring_dashboard.go, monitoringDashboardDiffSuppress: reflect.DeepEqual of the
    parsed documents)."""
    doc = {"displayName": "d", "mosaicLayout": {"tiles": [{"widget": {"title": "t", "v": 2.0}}]}}
    same = json.dumps(doc, indent=4, sort_keys=True).replace("2.0", "2")
    assert compare({"dashboardJson": json.dumps(doc)}, {"dashboardJson": same}) == []
    moved = json.dumps(doc).replace("2.0", "2.5")
    assert compare({"dashboardJson": json.dumps(doc)}, {"dashboardJson": moved}) == [
        {
            "path": "dashboardJson(json).mosaicLayout.tiles[0].widget.v",
            "change": "changed",
            "before": 2,
            "after": 2.5,
            "label": "t",
        }
    ]
    # a string that is not JSON on both sides compares whole
    assert compare({"s": "{not json"}, {"s": "{}"}) == [
        {"path": "s", "change": "changed", "before": "{not json", "after": "{}"}
    ]


def test_an_added_release_prints_as_its_differences_from_the_models(walk):
    """The canary's release is the model's but for its name, tag, (the catalog pins one for
    1.0.3 only) its profile and the AutoscalingMetric its HPA reads (each version's own, named
    after its release); --full prints every input."""
    d = step(walk, "base", "w10")
    release = by_name(d)["nim-llama3-8b-1-1-2-release"]
    model = [r for r in walk["base"][1]["resources"] if r["name"] == "nim-llama3-8b-1-0-3-release"]
    assert release["like"] == plan.key_of(model[0]["urn"])
    (profile,) = model[0]["inputs"]["values"]["env"]
    assert profile["name"] == "NIM_MODEL_PROFILE"
    assert release["likeChanges"] == [
        {"path": "name", "change": "changed", "before": "llama3-8b-1-0-3",
         "after": "llama3-8b-1-1-2"},
        {"path": "values.autoscaling.metrics[0].external.metric.name", "change": "changed",
         "before": "autoscaling.gke.io|llama3-8b-1-0-3|load",
         "after": "autoscaling.gke.io|llama3-8b-1-1-2|load"},
        {"path": "values.env[0]", "change": "removed", "before": profile},
        {"path": "values.image.tag", "change": "changed", "before": "1.0.3", "after": "1.1.2"},
        # prod's shared cache: each version mounts its own claim (its own bucket directory)
        {"path": "values.persistence.existingClaim", "change": "changed",
         "before": "llama3-8b-1-0-3-model-cache", "after": "llama3-8b-1-1-2-model-cache"},
    ]  # fmt: skip
    text = render_diff(d, "before.json")
    assert f"+ nim-gke:nim:NimRelease  nim-llama3-8b-1-1-2\n    + {AUTOSCALING_METRIC}  " in text
    assert (
        f"\n    + {RELEASE}  nim-llama3-8b-1-1-2-release  (as nim-llama3-8b-1-0-3-release, but:)\n"
        '        ~ name: "llama3-8b-1-0-3" => "llama3-8b-1-1-2"\n'
        "        ~ values.autoscaling.metrics[0].external.metric.name: "
        '"autoscaling.gke.io|llama3-8b-1-0-3|load" => "autoscaling.gke.io|llama3-8b-1-1-2|load"\n'
        "        - values.env[0]:\n"
        '            name: "NIM_MODEL_PROFILE"\n'
        f"            value: {json.dumps(profile['value'])}\n"
        '        ~ values.image.tag: "1.0.3" => "1.1.2"\n'
        '        ~ values.persistence.existingClaim: "llama3-8b-1-0-3-model-cache" => '
        '"llama3-8b-1-1-2-model-cache"\n'
    ) in text
    full = render_diff(d, "before.json", full=True)
    assert f"    + {RELEASE}  nim-llama3-8b-1-1-2-release\n" in full
    assert '        values.persistence.size: "50Gi"\n' in full


def test_components_only_head_their_resources(walk):
    """A component has no inputs of its own: it shows as the heading of what changes under it,
    with + or - when it is added or removed, never with an empty property."""
    d = step(walk, "base", "w10")
    components = [r for r in d["resources"] if not r["custom"]]
    assert [(r["type"], r["name"], r["change"]) for r in components] == [
        ("nim-gke:nim:NimRelease", "nim-llama3-8b-1-1-2", "added")
    ]
    assert "inputs" not in components[0]
    text = render_diff(d, "before.json")
    assert ": {}" not in text and "(the stack)" not in text
    headings = [line for line in text.splitlines() if line.startswith(("nim-gke:", "+ nim-gke:"))]
    assert headings == [
        "nim-gke:cache:SharedModelCache  model-cache",  # the canary's claim and volume
        "nim-gke:gke:GpuNodePool  gpu",
        "nim-gke:gke:GpuNodePool  gpu-2",
        "nim-gke:monitoring:Observability  observability",
        "nim-gke:net:ModelGateway  gateway",
        "+ nim-gke:nim:NimRelease  nim-llama3-8b-1-1-2",
    ]
    removed = render_diff(step(walk, "w10", "rolled-back"), "before.json")
    assert "\n- nim-gke:nim:NimRelease  nim-llama3-8b-1-1-2\n    - " + AUTOSCALING_METRIC in removed
    assert "\n    - " + RELEASE + "  nim-llama3-8b-1-1-2-release" in removed


def test_named_list_items_match_by_name(walk):
    """Promoting drops the old version's backend: one removed item, not a change of the other's
    name and weight; rolling back removes the canary's and restores the model's weight."""
    promoted = by_name(step(walk, "w100", "promoted"))["gateway-llama3-8b-route"]
    assert promoted["changes"] == [
        {
            "path": "spec.rules[0].backendRefs[0]",
            "change": "removed",
            "before": {"name": "llama3-8b-1-0-3-nim-llm", "port": 8000, "weight": 0},
        }
    ]
    rolled = by_name(step(walk, "w10", "rolled-back"))["gateway-llama3-8b-route"]
    assert [(c["path"], c["change"]) for c in rolled["changes"]] == [
        ("spec.rules[0].backendRefs[0].weight", "changed"),
        ("spec.rules[0].backendRefs[1]", "removed"),
    ]
    # by position when there is no unique name, or the named items changed order
    a, b = [{"name": "x", "v": 1}, {"name": "y", "v": 2}], [{"name": "y", "v": 2}, {"name": "x"}]
    assert [c["path"] for c in compare(a, b)] == ["[0].name", "[0].v", "[1].name", "[1].v"]
    assert compare([{"v": 1}], [{"v": 0}, {"v": 1}]) == [
        {"path": "[0].v", "change": "changed", "before": 1, "after": 0},
        {"path": "[1]", "change": "added", "after": {"v": 1}},
    ]
    assert compare(["a", "b", "c"], ["a", "c", "d"]) == [
        {"path": "[1]", "change": "removed", "before": "b"},
        {"path": "[2]", "change": "added", "after": "d"},
    ]


def test_a_long_string_changed_in_place_prints_as_a_word_diff(walk):
    """``git diff --word-diff=plain`` marks: [-removed-]{+added+} (https://git-scm.com/docs/
    git-diff)."""
    text = render_diff(step(walk, "base", "w10"), "before.json")
    # The at-ceiling alert's runbook: the canary's HPA doubles what gpuPool's versions may ask
    # for (2 -> 4 nodes), and its priorities gpu and gpu-2 (maxNodes 2 -> 4 each), summed.
    assert (
        "        ~ documentation.content: gpuPool (gpu, gpu-2) runs [-2-]{+4+} GPU node(s), its "
        "ceiling: its...priority's maxNodes together: [-4-]{+8+}), and 10+ requests still "
        "wait...\n"
    ) in text
    assert word_diff("a b c", "a x c") == "a [-b-]{+x+} c"
    assert word_diff("one two", "one") == "one[- two-]"


# --- cost and warnings ------------------------------------------------------------------------


def test_cost_lines_match_by_item_and_totals_show_before_and_after(walk):
    base, ten = walk["base"][1], walk["w10"][1]
    est_before, est_after = base["outputs"]["costEstimate"], ten["outputs"]["costEstimate"]
    c = step(walk, "base", "w10")["cost"]
    assert c == cost_diff(est_before, est_after)
    assert [(line["change"], line["item"]) for line in c["lines"]] == [
        ("changed", est_after["lines"][0]["item"]),  # GPU nodes: twice the node-hours at peak
        ("changed", est_after["lines"][1]["item"]),  # their boot disks
        ("changed", "Artifact Registry: 2 cached NIM image(s) x 15 GB (estimate) in the nvcr.io "
                    "mirror"),
        # prod's shared cache: the canary's directory of the bucket, no disk of its own
        ("changed", "Shared model cache bucket: up to 100 GB Standard storage"),
    ]  # fmt: skip
    registry = c["lines"][2]
    assert registry["before"]["item"].startswith("Artifact Registry: 1 cached NIM image(s)")
    assert c["totals"] == {
        s: {"before": est_before[f"{s}Monthly"], "after": est_after[f"{s}Monthly"]}
        for s in SCENARIOS
    }
    # The rest by path; none by the position of a line
    assert {"path": "costEstimate.gpuNodes.max", "change": "changed", "before": 2, "after": 4} in (
        c["changes"]
    )
    assert not [x for x in c["changes"] if "lines" in x["path"]]
    text = render_diff(step(walk, "base", "w10"), "before.json")
    rows = [" ".join(line.split()) for line in text.splitlines()]
    totals = " ".join(
        f"{est_before[f'{s}Monthly']:,.2f} -> {est_after[f'{s}Monthly']:,.2f}" for s in SCENARIOS
    )
    assert f"Total per month {totals}" in rows
    assert (
        "(was: Artifact Registry: 1 cached NIM image(s) x 15 GB (estimate) in the nvcr.io mirror)"
    ) in rows
    assert not [r for r in rows if "lines[" in r]


def test_cost_lines_in_another_order_or_with_one_inserted():
    def line(item: str, unit: str, monthly: float) -> dict[str, Any]:
        return {"item": item, "unit": unit, "monthly": dict.fromkeys(SCENARIOS, monthly)}

    def est(*lines: dict[str, Any]) -> dict[str, Any]:
        totals = {f"{s}Monthly": sum(x["monthly"][s] for x in lines) for s in SCENARIOS}
        return {"currency": "USD", "lines": list(lines), **totals}

    a, b = line("A: 1 x", "h", 1.0), line("B", "h", 2.0)
    assert cost_diff(est(a, b), est(b, a))["lines"] == []  # type: ignore[index]
    c = line("C, new", "h", 3.0)
    found = cost_diff(est(a, b), est(a, c, b))
    assert found is not None and [x["change"] for x in found["lines"]] == ["added"]
    # its figures in the item changed: the same line (same subject, same unit)
    a2 = line("A: 2 x", "h", 2.0)
    found = cost_diff(est(a, b), est(a2, b))
    assert found is not None
    assert found["lines"] == [{"item": "A: 2 x", "change": "changed", "before": a, "after": a2}]


def test_warnings_added_and_removed(walk):
    """The canary's tag has no pinned profile in the catalog, and the canary carries weight on
    one replica: the canary step adds both of preview's warnings, rolling back removes them."""
    base, ten = walk["base"][1], walk["w10"][1]
    added = [w for w in ten["warnings"] if w not in base["warnings"]]
    profile, replica = sorted(added)
    assert profile.startswith("nim-gke:nim.models[0].canary.profile: ")
    assert replica.startswith("nim-gke:nim.models[0].canary.replicas = 1: ")
    assert step(walk, "base", "w10")["warnings"] == {"added": added, "removed": []}
    back = step(walk, "w10", "rolled-back")
    assert back["warnings"] == {"added": [], "removed": added}
    text = render_diff(back, "before.json")
    listed = "".join(f"  - warning: {w}\n" for w in added)
    assert f"\nWarnings (what pulumi preview prints):\n{listed}\nRollout" in text


# --- what the walk-through's steps change ---------------------------------------------------

AT_POOL_MAX = {
    "gpu-pool",
    "gpu-2-pool",
    "observability-dashboard",
    "observability-alert-gpupoolatmax",
}
"""What gpuPool.maxNodes changes: the pool and its fallback (which takes the pool's maxNodes),
the dashboard's line at it, the at-ceiling alert (whose runbook names the bound)."""
AT_CEILING = "observability-alert-gpupoolatmax"
"""What a version on gpuPool coming or going changes besides its own resources: the alert's
ceiling, the nodes gpuPool's versions may ask for."""


def test_the_walk_through_edits_change_what_the_readme_says(walk):
    def changed(d: dict[str, Any]) -> set[str]:
        return {r["name"] for r in d["resources"] if r["change"] == "changed"}

    def of(d: dict[str, Any], kind: str) -> set[str]:
        return {r["name"] for r in d["resources"] if r["change"] == kind}

    # 1. the canary at 10 % and room for it: a new release, its policies; the route, the pool's
    # bound and what follows it (the dashboard's line, the gpuPoolAtMax alert) change
    d = step(walk, "base", "w10")
    assert {"nim-llama3-8b-1-1-2-release", "gateway-llama3-8b-1-1-2-nim-llm-health"} <= of(
        d, "added"
    )
    assert of(d, "removed") == set()
    assert changed(d) == {"gateway-llama3-8b-route"} | AT_POOL_MAX
    # 2. 50 %: only the route
    d = step(walk, "w10", "w50")
    assert (of(d, "added"), of(d, "removed"), changed(d)) == (
        set(),
        set(),
        {"gateway-llama3-8b-route"},
    )
    # 3a. 100 %: the route, and the model's Service follows the canary
    assert changed(step(walk, "w50", "w100")) == {
        "gateway-llama3-8b-route",
        "svc-llama3-8b-service",
    }
    # 3b. promote: nothing of the new version changes; the old one goes; the route drops it, and
    # the at-ceiling alert counts one version's HPA maximum again
    d = step(walk, "w100", "promoted")
    assert of(d, "added") == set() and changed(d) == {"gateway-llama3-8b-route", AT_CEILING}
    assert "nim-llama3-8b-1-0-3-release" in of(d, "removed")
    assert not [n for n in of(d, "removed") if "1-1-2" in n]
    # 3c. back to maxNodes 2 once one version runs: the pool's bound and what follows it
    d = step(walk, "promoted", "shrunk")
    assert (of(d, "added"), of(d, "removed"), changed(d)) == (set(), set(), AT_POOL_MAX)
    # roll back (at 10 %): the canary's resources go, the route is 100 % the model's again, the
    # at-ceiling alert counts one version
    d = step(walk, "w10", "rolled-back")
    assert of(d, "added") == set() and changed(d) == {"gateway-llama3-8b-route", AT_CEILING}
    assert of(d, "removed") and all("1-1-2" in n for n in of(d, "removed"))


# --- another stack file -----------------------------------------------------------------------


def test_prod_against_dev_matches_resources_across_stacks(run_cli):
    """URNs carry the stack (urn:pulumi:<stack>::...; pulumi/pulumi@
    6ad367262d221fe2c1f95237003ea4f0d8db7fd1: sdk/go/common/resource/urn/urn.go): matched
    without it, each resource both stacks have is one change, not a removal and an addition."""
    for base in ("dev", str(stack_file("dev"))):
        code, out, err = run_cli(plan, "plan", "prod", "--diff", base, "--json")
        assert (code, err) == (0, "")
        d = json.loads(out)
        assert (d["stack"], d["baseStack"], d["baseStackFile"]) == (
            "prod",
            "dev",
            "Pulumi.dev.yaml",
        )
        added, removed = (
            {(r["type"], r["name"]) for r in d["resources"] if r["change"] == kind}
            for kind in ("added", "removed")
        )
        assert added and not added & removed
        pool = by_name(d)["gpu-pool"]
        assert pool["change"] == "changed"
        assert {"path": "nodeConfig.spot", "change": "changed", "before": True, "after": False} in (
            pool["changes"]
        )
        assert {
            "path": "nodeLocations[1]",
            "change": "added",
            "after": "us-central1-c",
        } in pool["changes"]
    code, out, _ = run_cli(plan, "plan", "prod", "--diff", "dev")
    assert out.startswith(
        "Plan diff of stack 'prod' (Pulumi.prod.yaml) against dev (stack 'dev', Pulumi.dev.yaml):"
    )
    assert "    ~ gcp:container/nodePool:NodePool  gpu-pool\n" in out
    # The safety check judges an edit of one stack: across stacks it says it did not run.
    assert out.endswith(
        "\nRollout safety: not checked: stack 'prod' is compared with another stack ('dev'); "
        "it judges an edit of one stack (its plan before, --json).\n"
    )
    assert code == 0


def test_key_of_drops_the_stack_and_the_root_stack_type():
    """Pulumi leaves the root stack type out of a qualified type (urn.go ``New``); the mocks put
    it in for top-level components. The name is everything after the third ``::``."""
    pool = "nim-gke:gke:GpuNodePool$gcp:container/nodePool:NodePool::gpu-pool"
    assert plan.key_of(f"urn:pulumi:dev::nim-gke::{pool}") == pool
    assert plan.key_of(f"urn:pulumi:prod::nim-gke::{pool}") == pool
    assert plan.key_of("urn:pulumi:dev::p::pulumi:pulumi:Stack$nim-gke:gke:Cluster::c") == (
        "nim-gke:gke:Cluster::c"
    )
    assert plan.key_of("urn:pulumi:dev::p::t::a::b") == "t::a::b"


def test_base_that_cannot_be_planned(tmp_path, run_cli):
    code, out, err = run_cli(plan, "plan", "dev", "--diff", "nosuchstack")
    assert (code, out) == (plan.EXIT_FAILED, "")
    assert err.startswith("plan: no stack file for stack 'nosuchstack'")
    bad = write_copy(tmp_path, "dev", "gpuCount: 1", "gpuCount: 2")
    code, out, err = run_cli(plan, "plan", "dev", "--diff", str(bad))
    assert (code, out) == (plan.EXIT_CONFIG, "")
    assert err.startswith("Diagnostics:\n  pulumi:pulumi:Stack (nim-gke-dev):\n    error: ")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    code, out, err = run_cli(plan, "plan", "dev", "--diff", str(other))
    assert (code, out) == (plan.EXIT_FAILED, "")
    assert err == "plan: not a nimctl-plan/v1 document (format: None)\n"


def test_no_secret_in_a_diff_of_two_stacks():
    inputs = [plan.stack_input(stack_file(s)) for s in ("dev", "prod")]
    inputs[0] = plan.StackInput(
        stack="dev",
        path=inputs[0].path,
        config={**inputs[0].config, "nim-gke:ngcApiKey": FAKE_NGC_KEY},
        secret_keys=["nim-gke:ngcApiKey"],
        placeholders=[],
    )
    d = plan.diff(*(plan.plan(i) for i in inputs))
    for text in (json.dumps(d), render_diff(d, "dev"), render_diff(d, "dev", full=True)):
        for secret in (FAKE_NGC_KEY, SECRET_MANAGER_KEY, plan.PLACEHOLDER_KEY):
            assert secret not in text


# --- other edits ------------------------------------------------------------------------------


def test_diff_of_an_unchanged_stack_is_empty(tmp_path, run_cli):
    base = tmp_path / "base.json"
    base.write_text(plan_json("prod"))
    code, out, _ = run_cli(plan, "plan", "prod", "--diff", str(base), "--json")
    assert code == 0
    d = json.loads(out)
    assert (d["resources"], d["outputs"], d["cost"]) == ([], [], None)
    assert d["warnings"] == {"added": [], "removed": []}
    code, out, _ = run_cli(plan, "plan", "prod", "--diff", str(base))
    assert out.splitlines()[1:] == ["No changes."]


def test_diff_shows_the_resources_a_new_model_adds(tmp_path, run_cli):
    model = (
        "      - name: meta/llama-3.2-1b-instruct\n"
        '        tag: "1.8.5"\n'
        "        cacheSize: 20Gi\n"
        "  nim-gke:security:\n"
    )
    path = write_copy(tmp_path, "dev", "  nim-gke:security:\n", model)
    base = json.loads(plan_json("dev"))
    d = json.loads(cli_diff(tmp_path, run_cli, base, path, "--json"))
    # the model's version (release <release>-<tag>) and its stable Service <release>
    version = "nim-llama-3-2-1b-instruct-1-8-5"
    assert sorted((r["type"], r["name"]) for r in d["resources"] if r["change"] == "added") == [
        (AUTOSCALING_METRIC, f"{version}-autoscaling-metric"),
        ("kubernetes:core/v1:Service", "svc-llama-3-2-1b-instruct-service"),
        (RELEASE, f"{version}-release"),
        ("kubernetes:monitoring.googleapis.com/v1:PodMonitoring", f"{version}-metrics"),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{version}-ingress"),
        ("nim-gke:nim:ModelService", "svc-llama-3-2-1b-instruct"),
        ("nim-gke:nim:NimRelease", version),
    ]
    assert not [r for r in d["resources"] if r["change"] == "removed"]
    added = {c["path"]: c["after"] for c in d["outputs"] if c["change"] == "added"}
    assert added['rollout["llama-3-2-1b-instruct"]'] == {"llama-3-2-1b-instruct-1-8-5": 100}
    assert {'models["llama-3-2-1b-instruct"]', 'portForward["llama-3-2-1b-instruct"]'} <= set(added)
    out = cli_diff(tmp_path, run_cli, base, path)
    # the AutoscalingMetric its HPA reads comes first: the release depends on it
    assert f"\n+ nim-gke:nim:NimRelease  {version}\n    + {AUTOSCALING_METRIC}  " in out
    assert f"\n    + {RELEASE}  {version}-release" in out
    assert FAKE_NGC_KEY not in out and plan.PLACEHOLDER_KEY not in out
