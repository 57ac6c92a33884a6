"""``nimctl plan``: every resource a stack would create, without a cloud, a Pulumi account or CLI.

Runs the stack program (``__main__.py``) under Pulumi's mocks, the engine the tests use
(``nimctl/mock_engine.py``), with the config of ``Pulumi.<stack>.yaml``. Nothing is created and
nothing is contacted: the mock cloud echoes inputs back (plus a few computed fields such as the
node pool's name) and answers the Secret Manager read with a stand-in. It prints each resource
the program registers, grouped by its component, with its inputs; the stack outputs; the cost
summary (the ``costEstimate`` output); and the warnings ``pulumi preview`` would print. An input
holding a JSON document (the dashboard's ``dashboardJson``) prints as one line saying what it is
(panels, size); ``--full`` prints it. A config mistake is reported as ``pulumi preview`` reports
it, and nothing else is printed.

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

``--diff BASE`` compares this plan with BASE: an earlier ``--json`` plan (another branch), or
the plan of another stack file or stack (``--diff Pulumi.dev.yaml``, ``--diff dev``). Resources
are matched by their URN without the stack (``<parent types$type>::<name>``), so dev and prod
compare resource by resource. It shows resources added and removed, and for each changed one
the inputs that change, by property path:

- A string holding a JSON document (``dashboardJson``) compares structurally: only the paths
  that change inside it, as ``dashboardJson(json).mosaicLayout.tiles[14]...``; key order and
  spacing are no change (the provider compares it parsed too).
- Named list items (``name``, ``title``, a dashboard tile's ``widget.title``) are matched by
  name, so adding one does not shift the others; ``(in "...")`` names the item a change is in.
- A long string changed in place prints as a word diff: ``[-removed-]{+added+}``.
- An added resource like an existing one of its type (a canary's release and its model's)
  prints as its differences from it (``--full``: every input).
- Components appear only as the heading of their resources, with + or - when added or
  removed: their own inputs are empty, and what changes under them shows on their resources.
- Cost lines are matched by item (and by what the item is about when its figures change),
  with each scenario's total as before -> after; the figures of Cloud Monitoring's estimate and
  of each ComputeClass priority (but the GPU quota) are counted (``--full``: listed). Warnings
  added and removed are listed.
- Secret values compare as equal: a changed secret does not show.
- The warnings ``pulumi preview`` would print after the plan BASE was deployed: BASE's outputs
  stand for the stack's last deployment (a GPU pool replaced or its nodes recreated is warned).

The rollout safety check (an edit of one stack: BASE and the stack file have the same stack
name) ends the diff: every change that would drop or fail requests, with the resource and the
reason, and the node pools the edit replaces or whose nodes it recreates, with what that costs:

- weighted-backend-removed: a release removed in the same update that takes its weight away
  (Pulumi deletes it seconds after moving the traffic; set weight 0 first, remove it later);
- weight-before-ready: a release given weight in the update that creates it when nothing waits
  for its pod to be Ready (no Gateway);
- pod-restart: a serving version's pod changes and it neither surges (a Deployment over the
  shared cache) nor has a second replica;
- pool-replaced, nodes-recreated: a GPU node pool replaced (a field the provider cannot change
  in place) or its nodes recreated (machine type, boot disk) under a serving version that loses
  its pods meanwhile: any pool of the ComputeClass the version selects, a fallback priority too
  (its pods run there after a stock-out, which the plan cannot see).

With findings it exits 4 (the diff is printed all the same).

With ``--json`` it prints (shape ``nimctl-plan-diff/v3``; v2 had no ``safety``; v1 compared
outputs and resources by position and full URN)::

    {"format": "nimctl-plan-diff/v3", "stack": "prod", "stackFile": "Pulumi.prod.yaml",
     "baseStack": "dev", "baseStackFile": "Pulumi.dev.yaml",
     "resources": [{"resource": "<URN without stack>", "urn", "type", "name", "custom",
                    "component": "<URN without stack> or null",
                    "change": "added"|"removed"|"changed",
                    "inputs": {...},               # added, removed (not for components)
                    "like": "<URN without stack>", "likeChanges": [CHANGE],   # added, if any
                    "changes": [CHANGE],           # changed
                    "provider": {"before", "after"}}],   # changed provider, if it did
     "outputs": [CHANGE],                          # stack outputs but costEstimate
     "cost": {"currency", "lines": [{"item", "change", "before": LINE, "after": LINE}],
              "totals": {"idle": {"before", "after"}, ...},     # each scenario's total
              "withMonitoring": {...same...} or null,           # with Cloud Monitoring's
              "changes": [CHANGE]} or null,                      # its other fields
     "warnings": {"added": ["..."], "removed": ["..."]},
     "safety": {"findings": [{"kind", "resource", "type", "name", "reason", "fix"}],
                "nodePools": [{"resource", "name", "effect": "replaced"|"recreated",
                               "changes": ["path: before => after"], "cost",
                               "versions": ["release (share, workload)"],
                               "computeClass": "nim-gpu" or null,   # the class it serves
                               "priority": 1 or null}]}             # 2 and later: a fallback
               or null}                           # null: BASE is another stack
    # CHANGE: {"path", "change": "added"|"removed"|"changed", "before" (not for added),
    #          "after" (not for removed), "label" (the named list item it is in, if any)}

``--render`` also renders each ``nim-llm`` Helm release with a real ``helm`` and the chart
(``--chart DIR``, else ``$NIM_LLM_CHART_DIR``, else ``helm pull`` from the release's repository
with the key in ``$NGC_API_KEY``) and shows the pod spec and the Pod Security ``restricted``
verdict.

Exit codes: 0 done; 1 ``--render`` or ``--diff`` could not be done; 2 no stack file or a config
mistake (nothing printed on stdout); 4 ``--diff`` found a change that would drop or fail requests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from nimctl import _cli, chart, cost, mock_engine
from nimctl.plan.diff import diff
from nimctl.plan.diff_text import render_diff
from nimctl.plan.document import PlanError
from nimctl.plan.engine import StackInput, from_run, run, secret_values, stack_input
from nimctl.plan.helm import chart_dir, render_releases
from nimctl.plan.text import diagnostics, render_text
from nimgke import config

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_UNSAFE = 4
"""``--diff`` found a change that would drop or fail requests (the diff is printed all the same)."""


class _Stop(Exception):
    """End the command with ``code`` after printing ``message`` on stderr."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def guard(text: str, secrets: set[str]) -> str:
    """``text`` unless it carries a secret value (then refuse rather than print it)."""
    if any(s in text for s in secrets):
        raise PlanError("refusing to print: the output would contain a secret value (a bug)")
    return text


def _input(stack: str, missing: int = EXIT_CONFIG) -> StackInput:
    """The input of a stack (a name or a stack file); a missing file ends with ``missing``."""
    try:
        return stack_input(cost.resolve_stack_file(stack))
    except cost.StackFileNotFound as err:
        raise _Stop(missing, f"plan: {err}") from None
    except (OSError, yaml.YAMLError) as err:
        raise _Stop(EXIT_CONFIG, f"plan: cannot read the stack file: {err}") from None


def _planned(
    stack: str | StackInput, missing: int = EXIT_CONFIG, previous: dict[str, Any] | None = None
) -> tuple[StackInput, mock_engine.ProgramRun]:
    """The input and the run of a stack (a name, a stack file or its input), after ``previous``
    (a plan of its last deployment); a config mistake ends with the diagnostics ``pulumi
    preview`` prints."""
    inp = stack if isinstance(stack, StackInput) else _input(stack, missing)
    try:
        return inp, run(inp, previous)
    except config.ConfigError as err:
        report = "\n".join(diagnostics(inp.stack, "error", [str(err)]))
        try:
            raise _Stop(EXIT_CONFIG, guard(report, secret_values(inp))) from None
        except PlanError as refused:
            raise _Stop(EXIT_CONFIG, f"plan: {refused}") from None


def _base(given: str) -> tuple[dict[str, Any], set[str]]:
    """What --diff compares against: a ``plan --json`` file, or the plan of a stack file (a path
    ending in .yaml) or a stack name; with the secret values that plan holds."""
    path = Path(given)
    if path.suffix not in (".yaml", ".yml") and path.is_file():
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise PlanError(f"--diff: cannot read {path}: {err}") from None
        if not isinstance(doc, dict):
            raise PlanError(f"--diff: {path} is not a plan document")
        return doc, set()
    inp, done = _planned(given, missing=EXIT_FAILED)
    return from_run(inp, done), secret_values(inp)


def run_command(args: argparse.Namespace) -> int:
    code = EXIT_OK
    try:
        inp = _input(args.stack)
        base: dict[str, Any] | None = None
        base_secrets: set[str] = set()
        if args.diff:
            base, base_secrets = _base(args.diff)
        # The plan before an edit of the same stack stands for its last deployment.
        previous = base if base is not None and base.get("stack") == inp.stack else None
        inp, done = _planned(inp, previous=previous)
        doc = from_run(inp, done)
        secrets = secret_values(inp) | base_secrets
        if args.render:
            doc["rendered"] = render_releases(done, chart_dir(args.chart), args.helm)
        if base is not None:
            d = diff(base, doc)
            if d["safety"] and d["safety"]["findings"]:
                code = EXIT_UNSAFE
            text = (
                json.dumps(d, indent=2, sort_keys=True)
                if args.json
                else render_diff(d, args.diff, full=args.full)
            )
        else:
            text = (
                json.dumps(doc, indent=2, sort_keys=True)
                if args.json
                else render_text(doc, full=args.full)
            )
        print(guard(text, secrets))
    except _Stop as stop:
        print(stop, file=sys.stderr)
        return stop.code
    except (PlanError, chart.ChartError) as err:
        print(f"plan: {err}", file=sys.stderr)
        return EXIT_FAILED
    return code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _cli.add_stack_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the plan (or diff) as JSON")
    parser.add_argument(
        "--diff",
        metavar="BASE",
        help="show what changes against BASE: an earlier `plan --json` file, another stack file "
        "(Pulumi.dev.yaml) or stack name (dev)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="print everything: JSON documents inside inputs (the dashboard) in full, and with "
        "--diff every input of an added resource and every cost figure that changes",
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


COMMAND = _cli.Command(
    name="plan",
    summary="every resource a stack would create, under mocks (no cloud, no Pulumi CLI)",
    description=__doc__ or "",
    examples=(
        "nimctl plan dev",
        "nimctl plan dev --full                 # the dashboard's JSON too",
        "nimctl plan prod --json > prod.json",
        "nimctl plan prod --diff prod.json      # after editing Pulumi.prod.yaml",
        "nimctl plan prod --diff dev            # prod against another stack file",
        "nimctl plan dev --render --chart ../nim-llm",
    ),
    arguments=add_arguments,
    run=run_command,
)
