"""``nimctl cost``: what a stack costs per month, from its stack file, before ``pulumi up``.

Reads ``Pulumi.<stack>.yaml`` (needs neither the Pulumi CLI nor a cloud account), validates it
like ``pulumi preview`` does, and prices it with the dated list prices in ``nimgke/prices.yaml``:
idle (what runs while nobody uses the models: no GPU node for a version that sleeps), expected
(serving nodes for the awake hours of the wake schedule, else cost.gpuHoursPerDay), always-on
(serving nodes 24/7) and peak (maxNodes 24/7), line by line, then what Spot and 1- or 3-year
commitments would change. ``--json`` prints the ``costEstimate`` stack output plus
``alternatives``.

Exit code 0, or 2 when the stack file is missing, invalid, or needs a price the table lacks.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from nimctl import _cli
from nimgke import config
from nimgke.cost import SCENARIOS, alternatives, estimate
from nimgke.pricing import PriceError
from nimgke.shape import stack_shape

REPO_ROOT = Path(__file__).resolve().parent.parent

EXIT_OK = 0
EXIT_CONFIG = 2
WIDTH = 100

_HEADINGS = {"idle": "idle", "expected": "expected", "alwaysOn": "always-on", "peak": "peak"}


class StackFileNotFound(Exception):
    """No stack file for the name or path given."""


def resolve_stack_file(stack: str, cwd: Path | None = None) -> Path:
    """``dev`` -> ``Pulumi.dev.yaml`` in ``cwd`` or else the repo root; a path is used as is."""
    path = Path(stack)
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        if path.is_file():
            return path
        raise StackFileNotFound(f"no stack file {stack}")
    name = f"Pulumi.{stack}.yaml"
    candidates = [(cwd or Path.cwd()) / name, REPO_ROOT / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " and ".join(str(c) for c in dict.fromkeys(candidates))
    raise StackFileNotFound(f"no stack file for stack '{stack}': looked for {looked}")


# --- rendering ------------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _rate(value: float) -> str:
    """A unit price with the sheet's precision but at least cents: 0.1 -> 0.10."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.partition(".")[2]))


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_on_hyphens=False,
    )


def _setting(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i])
            for i, c in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def render(est: dict[str, Any], alts: list[dict[str, Any]]) -> str:
    """The human-readable report: estimate table, purchase-option comparison, assumptions."""
    gpus = est["gpusPerNode"]
    carries = (
        f"{gpus['count']} x {gpus['type']} (included in the machine price)"
        if gpus["includedInMachinePrice"]
        else f"{gpus['count']} x {gpus['type']} attached (priced separately)"
    )
    nodes = est["gpuNodes"]
    out = [
        f"Cost estimate for stack '{est['stack']}': {est['region']}, {est['clusterType']} cluster",
        f"ESTIMATE in {est['currency']} per month ({est['hoursPerMonth']} h) from list prices "
        f"as of {est['pricesAsOf']}",
        f"  source: {est['pricesSource']}",
        f"GPU node: {est['gpuMachineType']} with {carries}, {est['purchaseOption']}: "
        f"${est['gpuNodeHourly']:.6f}/h",
        f"GPU pool: {nodes['min']} min, {nodes['idle']} idle, {nodes['serving']} serving, "
        f"{nodes['max']} max nodes; serving nodes run {est['gpuHoursPerDay']:.2f} h/day "
        f"({est['gpuHoursPerDayFrom']})",
        "",
    ]
    headers = ["item", "unit price", "qty (expected)", *(_HEADINGS[s] for s in SCENARIOS)]
    rows = [
        [
            line["item"],
            f"{_rate(line['unitPrice'])}/{line['unit']}",
            f"{line['quantity']['expected']:g} {line['unit']}s",
            *(_money(line["monthly"][s]) for s in SCENARIOS),
        ]
        for line in est["lines"]
    ]
    rows.append(["Total per month", "", "", *(_money(est[f"{s}Monthly"]) for s in SCENARIOS)])
    overhead = _money(est["nonGpuOverheadMonthly"])
    rows.append(["  of which non-GPU overhead", "", "", *([overhead] * len(SCENARIOS))])
    table = _table(headers, rows, right={1, 2, 3, 4, 5, 6})
    out += [*table[:-2], table[1], *table[-2:], ""]
    for s in SCENARIOS:
        out += _wrap(f"{_HEADINGS[s]}: {est['definitions'][f'{s}Monthly']}", "  ", "    ")
    out += _wrap(f"non-GPU overhead: {est['definitions']['nonGpuOverheadMonthly']}", "  ", "    ")

    out += ["", "What Spot and committed use would change (same usage, same list prices):"]
    alt_rows = []
    notes = []
    for a in alts:
        label = a["purchaseOption"] + (" (this stack)" if a["current"] else "")
        settings = ", ".join(f"{k}: {_setting(v)}" for k, v in a["settings"].items())
        if not a["available"]:
            alt_rows.append([label, settings, "n/a", "", "", "", "", ""])
            notes += _wrap(f"{a['purchaseOption']}: {a['reason']}", "  ", "    ")
            continue
        delta = a["expectedVsCurrent"]
        alt_rows.append(
            [
                label,
                settings,
                f"{a['gpuNodeHourly']:.6f}",
                *(_money(a[f"{s}Monthly"]) for s in SCENARIOS),
                "" if a["current"] else f"{delta:+,.2f}",
            ]
        )
        if "note" in a:
            notes += _wrap(f"{a['purchaseOption']}: {a['note']}", "  ", "    ")
    out += _table(
        [
            "option",
            "settings",
            "GPU node $/h",
            *(_HEADINGS[s] for s in SCENARIOS),
            "expected vs now",
        ],
        alt_rows,
        right={2, 3, 4, 5, 6, 7},
    )
    out += notes
    out += _capacity_section(est.get("capacity"), est["expectedMonthly"])
    out += _monitoring_section(est.get("monitoring"))
    out += ["", "Assumptions:"]
    for a in est["assumptions"]:
        out += _wrap(a, "  - ")
    out += ["Not included:"]
    for n in est["notIncluded"]:
        out += _wrap(n, "  - ")
    return "\n".join(out)


def _capacity_section(cap: dict[str, Any] | None, expected: float) -> list[str]:
    """Each GPU pool's ComputeClass priorities with their price, and the blended figure."""
    if not cap:
        return []
    out = [
        "",
        "Where the GPU nodes come from (each pool's ComputeClass, in order; docs/capacity.md):",
    ]
    rows = []
    for plan in cap["plans"]:
        for p in plan["priorities"]:
            hourly = "n/a" if p["gpuNodeHourly"] is None else f"{p['gpuNodeHourly']:.6f}"
            monthly = "n/a" if p["expectedMonthly"] is None else _money(p["expectedMonthly"])
            rows.append(
                [
                    f"{plan['pool']}: {p['priority']}",
                    p["nodePool"],
                    p["machineType"],
                    p["purchaseOption"]
                    + (f", reservation {p['reservation']}" if p["reservation"] else ""),
                    hourly,
                    f"{p['share']:.0%}",
                    monthly,
                ]
            )
    out += _table(
        ["priority", "node pool", "machine", "bought as", "GPU node $/h", "share", "expected"],
        rows,
        right={4, 5, 6},
    )
    blended = cap["blendedExpectedMonthly"]
    if blended is None:
        out += _wrap("blended: n/a (a priority has no price in the sheet)", "  ", "    ")
    else:
        out += _wrap(
            f"blended expected per month: {_money(blended)} (expected at the first priorities: "
            f"{_money(expected)})",
            "  ",
            "    ",
        )
    quota = "; ".join(
        f"{gpu}: {q['onDemand']} on demand, {q['spot']} Spot" for gpu, q in cap["gpuQuota"].items()
    )
    out += _wrap(f"GPU quota the priorities may need at once: {quota}", "  ", "    ")
    out += _wrap(cap["assumption"], "  ", "    ")
    return out


def _monitoring_section(mon: dict[str, Any] | None) -> list[str]:
    """What monitoring adds: Managed Prometheus samples and alerting, beside the totals above."""
    if not mon:
        return []
    out = ["", "What monitoring adds (ESTIMATE, not in the totals above):"]
    rows = [
        [
            "Managed Prometheus samples (millions)",
            *(
                f"{v['cluster'] + v['gpuNodesAndNim']:,.1f}"
                for v in (mon["samplesMillion"][s] for s in SCENARIOS)
            ),
        ],
        [
            f"Alert policies ({mon['alertConditions']} conditions)",
            *[_money(mon["alertingMonthly"])] * 4,
        ],
        ["Dashboard", *[_money(mon["dashboardsMonthly"])] * 4],
        ["Monitoring per month", *(_money(mon["monthly"][s]) for s in SCENARIOS)],
        ["Total with monitoring", *(_money(mon["withMonitoringMonthly"][s]) for s in SCENARIOS)],
    ]
    out += _table(["item", *(_HEADINGS[s] for s in SCENARIOS)], rows, right={1, 2, 3, 4})
    series = mon["assumedSeries"]
    out += _wrap(
        f"samples: one per series every {mon['scrapeIntervalSeconds']} s; assumed series: "
        f"{series['cluster']} cluster-wide (kube-state, cAdvisor), {series['per_system_node']} per "
        f"system node (kubelet), {series['per_gpu_node']} per GPU node (DCGM, its daemonsets) "
        f"and {series['per_nim_pod']} per NIM pod (/v1/metrics) (nimgke/cost_monitoring.py)",
        "  ",
        "    ",
    )
    out += _wrap(f"prices: {mon['source']}", "  ", "    ")
    return out


# --- command ----------------------------------------------------------------------------------


def report(cfg: config.StackConfig) -> dict[str, Any]:
    """What ``--json`` prints: the ``costEstimate`` stack output plus ``alternatives``."""
    shape = stack_shape(cfg)
    return {**estimate(cfg, shape), "alternatives": alternatives(cfg, shape)}


def run(args: argparse.Namespace) -> int:
    try:
        path = resolve_stack_file(args.stack)
        cfg = config.load_stack_file(path)
    except StackFileNotFound as err:
        print(f"cost: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except config.ConfigError as err:
        print(str(err), file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, yaml.YAMLError) as err:
        print(f"cost: cannot read the stack file: {err}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        doc = report(cfg)
    except PriceError as err:
        print(f"stack '{cfg.stack}': cannot estimate the cost: {err}", file=sys.stderr)
        return EXIT_CONFIG
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(render({k: v for k, v in doc.items() if k != "alternatives"}, doc["alternatives"]))
    return EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _cli.add_stack_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON: the costEstimate stack output plus 'alternatives' (purchase options)",
    )


COMMAND = _cli.Command(
    name="cost",
    summary="monthly cost estimate of a stack file (idle/expected/always-on/peak)",
    description=__doc__ or "",
    examples=(
        "nimctl cost dev",
        "nimctl cost prod --json",
        "nimctl cost path/to/Pulumi.staging.yaml",
    ),
    notes="How to read it, and what is not included: docs/cost.md",
    arguments=add_arguments,
    run=run,
)
