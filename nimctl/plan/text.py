"""The plan as text: resources by component, warnings, outputs, the cost table, renders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from nimctl import cost, mock_engine
from nimctl.plan.document import STACK_TYPE
from nimctl.plan.paths import property_lines
from nimgke.cost import SCENARIOS


def diagnostics(stack: str, level: str, messages: Sequence[str]) -> list[str]:
    """Messages as ``pulumi preview`` lists them under the stack resource."""
    if not messages:
        return []
    out = ["Diagnostics:", f"  {STACK_TYPE} ({mock_engine.PROJECT}-{stack}):"]
    for message in messages:
        out += message_lines(f"    {level}: ", "    ", message)
    return [*out, ""]


def message_lines(first_pad: str, pad: str, message: str) -> list[str]:
    """A message of several lines: the first after ``first_pad``, the others after ``pad``."""
    first, *rest = message.splitlines()
    return [f"{first_pad}{first}", *(f"{pad}{line}" for line in rest)]


def render_text(doc: dict[str, Any], full: bool = False) -> str:
    """The plan of ``doc``; a JSON document inside an input (the dashboard) prints as a one-line
    summary unless ``full``."""
    resources = doc["resources"]
    components = [r for r in resources if not r["custom"]]
    out = [
        f"Plan of stack '{doc['stack']}' from {doc['stackFile']}: {len(resources)} resources "
        f"to create ({len(components)} components, {len(resources) - len(components)} "
        "cloud and Kubernetes resources)",
        "Run under Pulumi mocks: nothing was created and nothing was contacted. Values the cloud "
        "computes (ids, names with random suffixes) are the mock's.",
    ]
    for key in doc["placeholders"]:
        out.append(
            f"{key} is not in the stack file in plain form (set it with `pulumi config set "
            "--secret`): planned with a placeholder secret."
        )
    depth: dict[str | None, int] = {None: 0}
    for r in resources:
        level = depth[r["parent"]] if r["parent"] in depth else 0
        depth[r["urn"]] = level + 1
        pad = "  " * level
        if not r["custom"]:
            if level == 0:
                out.append("")
            out.append(f"{pad}{r['type']}  {r['name']}")
            continue
        provider = f"  (provider {r['provider'].rsplit('::', 1)[1]})" if r["provider"] else ""
        out.append(f"{pad}  + {r['type']}  {r['name']}{provider}")
        out += property_lines(r["inputs"], pad + "        ", fold=not full)
    out += ["", *diagnostics(doc["stack"], "warning", doc["warnings"]), "Outputs:"]
    est = doc["outputs"].get("costEstimate")
    for name, value in doc["outputs"].items():
        if name == "costEstimate" and isinstance(est, dict) and "lines" in est:
            out.append("    costEstimate: (see Cost)")
            continue
        out += property_lines({name: value}, "    ")
    if isinstance(est, dict):
        out += ["", *cost_lines(doc["stack"], est)]
    for rendered in doc.get("rendered", []):
        out += ["", *rendered_lines(rendered)]
    return "\n".join(out)


HEADINGS = [cost._HEADINGS[s] for s in SCENARIOS]


def money(value: float) -> str:
    return cost._money(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A table with the item column left and every scenario column right aligned."""
    return cost._table(headers, rows, right=set(range(1, len(headers))))


def cost_lines(stack: str, est: dict[str, Any]) -> list[str]:
    if "lines" not in est:
        return [f"Cost: no estimate: {est.get('error', 'not computed')}"]
    rows = [
        [line["item"], *(money(line["monthly"][s]) for s in SCENARIOS)] for line in est["lines"]
    ]
    rows.append(["Total per month", *(money(est[f"{s}Monthly"]) for s in SCENARIOS)])
    lines = table(["item", *HEADINGS], rows)
    return [
        f"Cost (the costEstimate output): ESTIMATE in {est['currency']} per month from list "
        f"prices as of {est['pricesAsOf']}; `nimctl cost {stack}` explains each line",
        *(f"  {line}" for line in [*lines[:-1], lines[1], lines[-1]]),
    ]


def rendered_lines(r: dict[str, Any]) -> list[str]:
    out = [
        f"Rendered: release {r['release']} (namespace {r['namespace']}) with helm "
        f"{r['helm']} and chart {r['chart']} {r['chartVersion']} from {r['chartSource']}",
    ]
    if r["chartVersion"] != r["version"]:
        out.append(f"  note: the stack pins chart version {r['version']}")
    out.append("  objects: " + ", ".join(f"{o['kind']} {o['name']}" for o in r["objects"]))
    if r["hooks"]:
        out.append(
            "  hooks (not created by install): "
            + ", ".join(f"{o['kind']} {o['name']}" for o in r["hooks"])
        )
    for w in r["workloads"]:
        verdict = (
            "admitted"
            if not w["restrictedViolations"]
            else "REFUSED: " + "; ".join(w["restrictedViolations"])
        )
        out.append(f"  {w['kind']} {w['name']}: Pod Security restricted: {verdict}")
        out.append("  pod spec:")
        dumped = yaml.safe_dump(w["podSpec"], sort_keys=False, default_flow_style=False)
        out += [f"    {line}" for line in dumped.splitlines()]
        if w["volumeClaimTemplates"]:
            out.append("  volumeClaimTemplates:")
            dumped = yaml.safe_dump(w["volumeClaimTemplates"], sort_keys=False)
            out += [f"    {line}" for line in dumped.splitlines()]
    return out
