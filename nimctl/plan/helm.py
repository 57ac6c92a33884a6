"""``--render``: each NIM Helm release rendered with a real ``helm`` and the chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nimctl import chart, mock_engine
from nimctl.plan.document import PlanError, mask

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


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


def chart_dir(given: str | None) -> Path | None:
    """The chart for --render: ``given`` (--chart), else ``$NIM_LLM_CHART_DIR``, else none."""
    given = given or os.environ.get(chart.CHART_DIR_ENV)
    if not given:
        return None
    path = Path(given).expanduser().resolve()
    if not chart.is_chart(path):
        raise PlanError(f"--render: {path} is not an unpacked chart (no Chart.yaml)")
    return path
