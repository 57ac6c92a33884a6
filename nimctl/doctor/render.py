"""The one place that turns a :class:`~nimctl.doctor.report.Report` into output."""

from __future__ import annotations

import json

from nimctl.doctor.report import ASLEEP, ERROR, WAITING, WARNING, Report

_MARK = {ERROR: "PROBLEM", WAITING: "WAITING", WARNING: "WARNING", ASLEEP: "ASLEEP"}


def render(report: Report) -> str:
    """The human-readable report: pods, then each finding with its evidence and fix."""
    lines = [
        f"nimctl doctor: namespace {report.namespace or '? (pass --namespace)'}"
        + (f", release {report.release}" if report.release else "")
        + f" (as of {report.snapshot_time})"
    ]
    for pod in report.pods:
        lines.append(
            f"  pod {pod.name}: {pod.phase}, {pod.ready} ready, {pod.restarts} restart(s)"
            + (f", on {pod.node}" if pod.node else "")
            + (f" ({pod.capacity})" if pod.capacity else "")
        )
    for finding in report.findings:
        lines.append("")
        lines.append(f"{_MARK[finding.severity]} [{finding.cause}] {finding.object}")
        lines.append(f"  {finding.summary}")
        for evidence in finding.evidence:
            lines.append(f"  seen: {evidence}")
        lines.append(f"  fix [{finding.fix}]: {finding.fix_text}")
    lines.append("")
    healthy = "healthy: every NIM pod is ready"
    if report.asleep:
        versions = ", ".join(report.asleep)
        healthy = f"healthy: asleep ({versions}), on purpose" + (
            "; every other NIM pod is ready" if report.pods else ""
        )
    summary = {
        "healthy": healthy,
        "waiting": "not ready yet, nothing to fix: re-run in a few minutes",
        "problems": f"{sum(f.severity == ERROR for f in report.findings)} problem(s) to fix",
    }[report.status]
    lines.append(f"doctor: {summary}")
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """``--json``: the shape of :meth:`Report.to_json`, indented."""
    return json.dumps(report.to_json(), indent=2)
