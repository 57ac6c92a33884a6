"""``nimctl plan``: every resource a stack would create, without a cloud, a Pulumi account or CLI.

Runs the stack program (``__main__.py``) under Pulumi's mocks, the engine the tests use
(``nimctl/mock_engine.py``), with the config of ``Pulumi.<stack>.yaml``. Nothing is created and
nothing is contacted: the mock cloud echoes inputs back (plus a few computed fields such as the
node pool's name) and answers the Secret Manager read with a stand-in. It prints each resource
the program registers, grouped by its component, with its inputs; the stack outputs; the cost
summary (the ``costEstimate`` output); and the warnings ``pulumi preview`` would print. A config
mistake is reported as ``pulumi preview`` reports it, and nothing else is printed.

Secrets: every value the program marks secret prints as ``[secret]``. An NGC key the stack file
does not hold in plain form (not set, or encrypted with ``pulumi config set --secret``) is
replaced by a placeholder secret, which never prints either.

``--json`` prints a document of this shape (``format`` changes if the shape does)::

    {"format": "nimctl-plan/v1", "stack": "dev", "project": "nim-gke",
     "stackFile": "Pulumi.dev.yaml",
     "placeholders": ["nim-gke:ngcApiKey"],      # config keys planned with a placeholder secret
     "warnings": ["..."],                        # what preview prints as warnings
     "resources": [{"urn": "...", "type": "gcp:container/nodePool:NodePool", "name": "gpu-pool",
                    "parent": "<urn> or null", "component": "<urn> or null",
                    "custom": true, "provider": "<urn> or null",
                    "inputs": {...}}],            # wire names; secrets are "[secret]"
     "outputs": {"clusterName": "nim-dev", "kubeconfig": "[secret]", ...},
     "rendered": [...]}                           # only with --render

``parent`` is the parent resource (null: the stack), ``component`` the nearest enclosing
component resource (``nim-gke:...``; null at the top). Resources are sorted by component, then
type and name; whole numbers are integers.

``--diff BASE.json`` compares this plan with an earlier ``--json`` plan (another branch, another
stack file): resources added and removed (by URN), inputs and outputs changed, by property path.
Secret values compare as equal: a changed secret does not show. With ``--json`` it prints::

    {"format": "nimctl-plan-diff/v1", "stack": "dev", "baseStack": "dev",
     "added": [{"urn", "type", "name", "component", "inputs"}], "removed": [...same...],
     "changed": [{"urn", "type", "name", "changes": [CHANGE], "provider": {"before", "after"}}],
     "outputs": [CHANGE]}       # CHANGE: {"path", "change": "added"|"removed"|"changed",
                                #          "before" (not for added), "after" (not for removed)}

``--render`` also renders each ``nim-llm`` Helm release with a real ``helm`` and the chart
(``--chart DIR``, else ``$NIM_LLM_CHART_DIR``, else ``helm pull`` from the release's repository
with the key in ``$NGC_API_KEY``) and shows the pod spec and the Pod Security ``restricted``
verdict.

Exit codes: 0 done; 1 ``--render`` or ``--diff`` could not be done; 2 no stack file or a config
mistake (nothing printed on stdout).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nimctl import _cli, chart, cost, mock_engine
from nimgke import config
from nimgke.cost import SCENARIOS

FORMAT = "nimctl-plan/v1"
DIFF_FORMAT = "nimctl-plan-diff/v1"
SECRET = "[secret]"
PLACEHOLDER_KEY = "nvapi-PLACEHOLDER-nimctl-plan-not-a-real-key"
"""Stands in for an NGC key the stack file does not hold; marked secret, so it never prints."""
PLACEHOLDER_SECRET = "PLACEHOLDER-nimctl-plan-secret"
"""Stands in for any other encrypted (``secure:``) value of the stack file."""
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
STACK_TYPE = "pulumi:pulumi:Stack"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2


class PlanError(Exception):
    """The plan could not be made or shown as asked; ``str()`` says why."""


# --- the program under mocks ------------------------------------------------------------------


@dataclass(frozen=True)
class StackInput:
    """What the engine is given for one stack file, as ``pulumi preview`` would give it."""

    stack: str
    path: Path
    config: dict[str, str]
    secret_keys: list[str]
    placeholders: list[str]


def stack_input(path: Path) -> StackInput:
    """The stack file's config with encrypted values (``secure:``) and a missing NGC key
    replaced by placeholder secrets. A plain-text key stays plain: the program refuses it."""
    raw = config.read_stack_file(path)
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    secret_keys: list[str] = []
    placeholders: list[str] = []
    for key, value in list(raw.items()):
        if isinstance(value, dict) and set(value) == {"secure"}:
            raw[key] = PLACEHOLDER_KEY if key == config.NGC_KEY else PLACEHOLDER_SECRET
            secret_keys.append(key)
            placeholders.append(key)
    security = raw.get(f"{config.NAMESPACE}:security")
    source = security.get("ngcKeySource") if isinstance(security, dict) else None
    if config.NGC_KEY not in raw and source != "secretManager":
        raw[config.NGC_KEY] = PLACEHOLDER_KEY
        secret_keys.append(config.NGC_KEY)
        placeholders.append(config.NGC_KEY)
    return StackInput(
        stack=stack,
        path=path,
        config=mock_engine.engine_config(raw),
        secret_keys=secret_keys,
        placeholders=sorted(placeholders),
    )


def _engine_logger() -> logging.Logger:
    log = logging.getLogger("nimctl.plan.engine")
    log.propagate = False  # what it logs is shown as diagnostics, not by the logging module
    log.setLevel(logging.INFO)
    return log


def run(inp: StackInput) -> mock_engine.ProgramRun:
    """Run the program for ``inp``; a config mistake raises the program's ``ConfigError``."""
    return mock_engine.run_program(inp.stack, inp.config, inp.secret_keys, logger=_engine_logger())


def plan(inp: StackInput) -> dict[str, Any]:
    """The plan document (the ``--json`` shape) of one stack."""
    return document(inp, run(inp))


# --- the document -----------------------------------------------------------------------------


def mask(value: Any) -> Any:
    """``value`` with every secret as ``[secret]`` and whole numbers as integers."""
    if mock_engine.is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _provider_urn(ref: str | None) -> str | None:
    """A provider reference is ``<urn>::<id>``."""
    return ref.rsplit("::", 1)[0] if ref else None


def document(inp: StackInput, done: mock_engine.ProgramRun) -> dict[str, Any]:
    regs = done.mocks.registrations
    custom = {r.urn: r.args.custom for r in regs}
    parents = {r.urn: r.parent for r in regs}

    def parent_of(urn: str) -> str | None:
        parent = parents.get(urn) or None
        return None if parent is None or _type_of(parent) == STACK_TYPE else parent

    def component_of(urn: str) -> str | None:
        up = parent_of(urn)
        while up is not None and custom.get(up, False):
            up = parent_of(up)
        return up

    resources = [
        {
            "urn": r.urn,
            "type": r.args.typ,
            "name": r.args.name,
            "parent": parent_of(r.urn),
            "component": component_of(r.urn),
            "custom": r.args.custom,
            "provider": _provider_urn(r.args.provider),
            "inputs": mask(r.args.inputs),
        }
        for r in regs
    ]
    outputs = {k: SECRET if k in done.secret_outputs else mask(v) for k, v in done.outputs.items()}
    return {
        "format": FORMAT,
        "stack": inp.stack,
        "project": mock_engine.PROJECT,
        "stackFile": inp.path.name,
        "placeholders": inp.placeholders,
        "warnings": [r.getMessage() for r in done.log if r.levelno == logging.WARNING],
        "resources": _in_tree_order(resources),
        "outputs": dict(sorted(outputs.items())),
    }


def _type_of(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::<parentType$...$type>::<name>`` -> ``type``."""
    return urn.split("::")[2].rsplit("$", maxsplit=1)[-1]


def _in_tree_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each component followed by its children, depth first; siblings by type, then name.
    (Registration order varies from run to run: the SDK registers from worker threads.)"""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in resources:
        children.setdefault(r["parent"], []).append(r)
    for siblings in children.values():
        # Components first, then the resources, so each group reads top down.
        siblings.sort(key=lambda r: (r["custom"], r["type"], r["name"]))
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for r in children.get(parent, []):
            ordered.append(r)
            walk(r["urn"])

    walk(None)
    return ordered


# --- text -------------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _join(path: str, key: str | int) -> str:
    """Pulumi property paths: ``a.b``, ``a[0]``, ``a["nvidia.com/gpu"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(property path, leaf)`` pairs, keys sorted; a list of scalars is one leaf."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], _join(path, key))
    elif isinstance(value, list) and value and not _scalar_list(value):
        for i, v in enumerate(value):
            yield from flatten(v, _join(path, i))
    else:
        yield path, value


def show(value: Any) -> str:
    if value == SECRET:
        return SECRET
    return json.dumps(value, ensure_ascii=False)


def _short(urn: str | None) -> str:
    return f"{_type_of(urn)} {urn.rsplit('::', 1)[1]}" if urn else "(the stack)"


def _diagnostics(stack: str, level: str, messages: Sequence[str]) -> list[str]:
    """Messages as ``pulumi preview`` lists them under the stack resource."""
    if not messages:
        return []
    out = ["Diagnostics:", f"  {STACK_TYPE} ({mock_engine.PROJECT}-{stack}):"]
    for message in messages:
        first, *rest = message.splitlines()
        out.append(f"    {level}: {first}")
        out += [f"    {line}" for line in rest]
    return [*out, ""]


def render_text(doc: dict[str, Any]) -> str:
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
        out += _properties(r["inputs"], pad + "        ")
    out += ["", *_diagnostics(doc["stack"], "warning", doc["warnings"]), "Outputs:"]
    est = doc["outputs"].get("costEstimate")
    for name, value in doc["outputs"].items():
        if name == "costEstimate" and isinstance(est, dict) and "lines" in est:
            out.append("    costEstimate: (see Cost)")
            continue
        out += _properties({name: value}, "    ")
    if isinstance(est, dict):
        out += ["", *_cost_lines(doc["stack"], est)]
    for rendered in doc.get("rendered", []):
        out += ["", *_rendered_lines(rendered)]
    return "\n".join(out)


def _properties(values: Mapping[str, Any], pad: str) -> list[str]:
    lines = []
    for path, leaf in flatten(dict(values)):
        if isinstance(leaf, str) and "\n" in leaf:
            lines.append(f"{pad}{path}: |")
            lines += [f"{pad}    {line}" for line in leaf.splitlines()]
        else:
            lines.append(f"{pad}{path}: {show(leaf)}")
    return lines


def _cost_lines(stack: str, est: dict[str, Any]) -> list[str]:
    if "lines" not in est:
        return [f"Cost: no estimate: {est.get('error', 'not computed')}"]
    headings = [cost._HEADINGS[s] for s in SCENARIOS]
    rows = [
        [line["item"], *(cost._money(line["monthly"][s]) for s in SCENARIOS)]
        for line in est["lines"]
    ]
    rows.append(["Total per month", *(cost._money(est[f"{s}Monthly"]) for s in SCENARIOS)])
    table = cost._table(["item", *headings], rows, right={1, 2, 3, 4})
    return [
        f"Cost (the costEstimate output): ESTIMATE in {est['currency']} per month from list "
        f"prices as of {est['pricesAsOf']}; `python -m nimctl cost {stack}` explains each line",
        *(f"  {line}" for line in [*table[:-1], table[1], table[-1]]),
    ]


def _rendered_lines(r: dict[str, Any]) -> list[str]:
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


# --- diff -------------------------------------------------------------------------------------


def _changes(before: Any, after: Any) -> list[dict[str, Any]]:
    old, new = dict(flatten(before)), dict(flatten(after))
    found = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            found.append({"path": path, "change": "removed", "before": old[path]})
        elif path not in old:
            found.append({"path": path, "change": "added", "after": new[path]})
        elif old[path] != new[path]:
            found.append(
                {"path": path, "change": "changed", "before": old[path], "after": new[path]}
            )
    return found


def diff(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """What changes from plan ``base`` to plan ``head`` (both ``--json`` documents)."""
    if base.get("format") != FORMAT:
        raise PlanError(f"not a {FORMAT} document (format: {base.get('format')!r})")
    old = {r["urn"]: r for r in base["resources"]}
    new = {r["urn"]: r for r in head["resources"]}
    changed = []
    for urn in [u for u in new if u in old]:
        a, b = old[urn], new[urn]
        entry: dict[str, Any] = {"urn": urn, "type": b["type"], "name": b["name"]}
        entry["changes"] = _changes(a["inputs"], b["inputs"])
        if a["provider"] != b["provider"]:
            entry["provider"] = {"before": a["provider"], "after": b["provider"]}
        if entry["changes"] or "provider" in entry:
            changed.append(entry)
    return {
        "format": DIFF_FORMAT,
        "stack": head["stack"],
        "baseStack": base["stack"],
        "added": [_brief(new[u]) for u in new if u not in old],
        "removed": [_brief(old[u]) for u in old if u not in new],
        "changed": changed,
        "outputs": _changes(base["outputs"], head["outputs"]),
    }


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("urn", "type", "name", "component", "inputs")}


def render_diff(d: dict[str, Any], base_name: str) -> str:
    out = [
        f"Plan diff of stack '{d['stack']}' against {base_name} (stack '{d['baseStack']}'): "
        f"{len(d['added'])} to add, {len(d['removed'])} to remove, {len(d['changed'])} to change, "
        f"{len(d['outputs'])} output values changed"
    ]
    if not (d["added"] or d["removed"] or d["changed"] or d["outputs"]):
        out.append("No changes.")
    for r in d["added"]:
        out.append(f"  + {r['type']}  {r['name']}  (in {_short(r['component'])})")
        out += _properties(r["inputs"], "        ")
    for r in d["removed"]:
        out.append(f"  - {r['type']}  {r['name']}  (in {_short(r['component'])})")
    for r in d["changed"]:
        out.append(f"  ~ {r['type']}  {r['name']}")
        if "provider" in r:
            p = r["provider"]
            out.append(f"      ~ (provider): {_short(p['before'])} => {_short(p['after'])}")
        out += _change_lines(r["changes"], "      ")
    if d["outputs"]:
        out.append("Outputs:")
        out += _change_lines(d["outputs"], "      ")
    return "\n".join(out)


def _change_lines(changes: list[dict[str, Any]], pad: str) -> list[str]:
    lines = []
    for c in changes:
        if c["change"] == "added":
            lines.append(f"{pad}+ {c['path']}: {show(c['after'])}")
        elif c["change"] == "removed":
            lines.append(f"{pad}- {c['path']}: {show(c['before'])}")
        else:
            lines.append(f"{pad}~ {c['path']}: {show(c['before'])} => {show(c['after'])}")
    return lines


# --- render -----------------------------------------------------------------------------------


def render_releases(
    done: mock_engine.ProgramRun, chart_dir: Path | None, helm: str | None
) -> list[dict[str, Any]]:
    """``helm template`` of every Helm release of the plan, with the values the program passes."""
    found = chart.find_helm(helm)
    if found is None:
        raise PlanError(
            "--render needs helm: install it (https://helm.sh/docs/intro/install/), or pass "
            f"--helm PATH or set ${chart.HELM_ENV} (.ci/run puts one in .ci-tools/helm)"
        )
    version = chart.helm_version(found)
    releases = [r for r in done.mocks.registrations if r.args.typ == HELM_RELEASE]
    rendered = []
    for reg in releases:
        inputs = mock_engine.unwrap(reg.args.inputs)
        # Helm gets the values as the plan shows them: a secret in them would render "[secret]".
        inputs["values"] = mask(reg.args.inputs.get("values") or {})
        if not isinstance(inputs["values"], dict):
            raise PlanError(f"--render: the values of {reg.args.name} are secret as a whole")
        if chart_dir is not None:
            rendered.append(_render_one(found, version, inputs, chart_dir, str(chart_dir)))
            continue
        key = os.environ.get(chart.NGC_KEY_ENV)
        if not key:
            raise PlanError(
                "--render needs the nim-llm chart: pass --chart DIR (an unpacked chart), set "
                f"${chart.CHART_DIR_ENV}, or set ${chart.NGC_KEY_ENV} to pull it from "
                f"{inputs['repositoryOpts']['repo']}"
            )
        repo = inputs["repositoryOpts"]["repo"]
        with chart.pulled_chart(found, repo, inputs["chart"], inputs["version"], key) as pulled:
            rendered.append(_render_one(found, version, inputs, pulled, repo))
    return rendered


def _render_one(
    helm: str, helm_ver: str, inputs: dict[str, Any], chart_dir: Path, source: str
) -> dict[str, Any]:
    docs = chart.template(helm, inputs["name"], chart_dir, inputs["namespace"], inputs["values"])
    workloads = []
    for w in chart.workloads(docs):
        spec = chart.pod_spec(w) or {}
        workloads.append(
            {
                "kind": w["kind"],
                "name": w["metadata"]["name"],
                "podSpec": spec,
                "volumeClaimTemplates": w.get("spec", {}).get("volumeClaimTemplates") or [],
                "restrictedViolations": chart.restricted_violations(spec),
            }
        )
    return {
        "release": inputs["name"],
        "namespace": inputs["namespace"],
        "chart": inputs["chart"],
        "version": inputs["version"],
        "chartVersion": chart.chart_version(chart_dir),
        "chartSource": source,
        "helm": helm_ver,
        "objects": [
            {"kind": d["kind"], "name": d["metadata"]["name"]} for d in docs if not chart.is_hook(d)
        ],
        "hooks": [
            {"kind": d["kind"], "name": d["metadata"]["name"]} for d in docs if chart.is_hook(d)
        ],
        "workloads": workloads,
    }


# --- secrets guard ----------------------------------------------------------------------------


def secret_values(inp: StackInput) -> set[str]:
    """Plain texts that must never print: secret config values and the Secret Manager stand-in."""
    values = {inp.config[k] for k in inp.secret_keys}
    return {v for v in values | {mock_engine.SECRET_MANAGER_KEY, PLACEHOLDER_KEY} if v}


def guard(text: str, secrets: set[str]) -> str:
    """``text`` unless it carries a secret value (then refuse rather than print it)."""
    if any(s in text for s in secrets):
        raise PlanError("refusing to print: the output would contain a secret value (a bug)")
    return text


# --- command ----------------------------------------------------------------------------------


def _chart_dir(args: argparse.Namespace) -> Path | None:
    given = args.chart or os.environ.get(chart.CHART_DIR_ENV)
    if not given:
        return None
    path = Path(given).expanduser().resolve()
    if not chart.is_chart(path):
        raise PlanError(f"--render: {path} is not an unpacked chart (no Chart.yaml)")
    return path


def run_command(args: argparse.Namespace) -> int:
    try:
        path = cost.resolve_stack_file(args.stack)
        inp = stack_input(path)
    except cost.StackFileNotFound as err:
        print(f"plan: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, yaml.YAMLError) as err:
        print(f"plan: cannot read the stack file: {err}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        done = run(inp)
    except config.ConfigError as err:
        report = "\n".join(_diagnostics(inp.stack, "error", [str(err)]))
        try:
            print(guard(report, secret_values(inp)), file=sys.stderr)
        except PlanError as refused:
            print(f"plan: {refused}", file=sys.stderr)
        return EXIT_CONFIG
    doc = document(inp, done)
    secrets = secret_values(inp)
    try:
        if args.render:
            doc["rendered"] = render_releases(done, _chart_dir(args), args.helm)
        if args.diff:
            base = _load(Path(args.diff))
            d = diff(base, doc)
            text = (
                json.dumps(d, indent=2, sort_keys=True) if args.json else render_diff(d, args.diff)
            )
        else:
            text = json.dumps(doc, indent=2, sort_keys=True) if args.json else render_text(doc)
        print(guard(text, secrets))
    except (PlanError, chart.ChartError) as err:
        print(f"plan: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise PlanError(f"--diff: cannot read {path}: {err}") from None
    if not isinstance(doc, dict):
        raise PlanError(f"--diff: {path} is not a plan document")
    return doc


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "stack",
        metavar="STACK",
        help="a stack name (dev -> Pulumi.dev.yaml in the current directory, else the repo "
        "root) or the path of a stack file",
    )
    parser.add_argument("--json", action="store_true", help="print the plan (or diff) as JSON")
    parser.add_argument(
        "--diff",
        metavar="BASE.json",
        help="show what changes against an earlier `plan --json` (added, removed, changed)",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="also render each NIM release with helm and the chart; show the pod spec",
    )
    parser.add_argument(
        "--chart",
        metavar="DIR",
        help=f"unpacked nim-llm chart for --render (default ${chart.CHART_DIR_ENV}; without "
        f"either, pulled from the release's repository with ${chart.NGC_KEY_ENV})",
    )
    parser.add_argument(
        "--helm",
        metavar="PATH",
        help=f"helm binary for --render (default ${chart.HELM_ENV}, .ci-tools/helm, PATH)",
    )
    parser.set_defaults(func=run_command)
    return parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "plan",
        help="every resource a stack would create, under mocks (no cloud, no Pulumi CLI)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n"
        "  python -m nimctl plan dev\n"
        "  python -m nimctl plan prod --json > prod.json\n"
        "  python -m nimctl plan prod --diff prod.json      # after editing Pulumi.prod.yaml\n"
        "  python -m nimctl plan dev --render --chart ../nim-llm",
    )
    return add_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    """``nimctl`` with only this command (for tests; the real CLI uses :func:`register`)."""
    return _cli.standalone_parser(register)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
