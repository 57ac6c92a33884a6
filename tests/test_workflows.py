"""The pull request workflows show the rollout safety findings and fail the `rollout-safety` check
until someone acknowledges them with a label; ``.ci/plan-diff`` (which both run) says which.

GitHub's semantics the mechanism relies on (docs.github.com, "Events that trigger workflows",
``pull_request`` activity types ``labeled``/``unlabeled``; "Contexts", ``github.event`` is the
webhook payload, whose ``pull_request.labels`` are the labels the pull request has when the event
fires; ``contains(array, item)`` in "Expressions").
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nimctl import plan
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
LABEL = "rollout-acknowledged"


def workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(wf: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true.
    return wf[True] if True in wf else wf["on"]


def test_the_gate_runs_again_when_a_label_is_added_or_removed_and_on_every_push():
    wf = workflow("rollout-safety.yml")
    assert triggers(wf) == {
        "pull_request": {"types": ["opened", "synchronize", "reopened", "labeled", "unlabeled"]}
    }
    assert wf["permissions"] == {"contents": "read"}  # no secret, no write: forks run it too
    assert wf["env"]["ACKNOWLEDGED"] == LABEL


def test_the_gate_fails_on_findings_unless_the_label_is_there():
    (job,) = workflow("rollout-safety.yml")["jobs"].values()
    steps = {s.get("name", s.get("uses")): s for s in job["steps"]}
    check = steps["Plan diff and rollout safety check"]
    assert "head/.ci/plan-diff base head plan-diff.md" in check["run"]
    # exit 4 (findings) is recorded, anything else but 0 fails the step itself
    assert 'echo "code=$code" >> "$GITHUB_OUTPUT"' in check["run"]
    assert 'if [ "$code" -ne 0 ] && [ "$code" -ne 4 ]; then exit "$code"; fi' in check["run"]
    gate = steps["Findings need an acknowledgement"]
    assert " ".join(gate["if"].split()) == (
        f"steps.{check['id']}.outputs.code == '{plan.EXIT_UNSAFE}' && "
        "!contains(github.event.pull_request.labels.*.name, env.ACKNOWLEDGED)"
    )
    assert gate["run"].rstrip().endswith("exit 1")
    passed = steps["Acknowledged"]
    assert " ".join(passed["if"].split()) == (
        f"steps.{check['id']}.outputs.code == '{plan.EXIT_UNSAFE}' && "
        "contains(github.event.pull_request.labels.*.name, env.ACKNOWLEDGED)"
    )
    assert "exit 1" not in passed["run"]


def test_the_plan_diff_comment_shows_the_findings_without_failing_on_them():
    """pull-request.yml's plan-diff job posts the same diff (with its safety section) and fails
    only when a plan fails; plan-comment.yml posts that text for forks."""
    job = workflow("pull-request.yml")["jobs"]["plan-diff"]
    (step,) = [s for s in job["steps"] if s.get("name") == "Plan base and head"]
    assert 'head/.ci/plan-diff base head plan-diff.md "$PWD/.venv/bin/python"' in step["run"]
    assert 'if [ "$status" -eq 4 ]; then status=0; fi' in step["run"]
    uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert "plan-diff.md" in uploads[0]["with"]["path"]


def _checkout(to: Path) -> Path:
    """The repository's program and stack files, as a workflow's checkout has them."""
    keep = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "pyproject.toml")
    to.mkdir()
    for name in keep:
        shutil.copy(ROOT / name, to / name)
    for package in ("components", "nimgke", "nimctl"):
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__"))
    return to


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("workspace")
    _checkout(work / "base")
    return work


def _plan_diff(work: Path, head: Path) -> tuple[int, str]:
    out = work / f"{head.name}.md"
    done = subprocess.run(
        [str(ROOT / ".ci" / "plan-diff"), "base", head.name, str(out), sys.executable],
        check=False,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, out.read_text()


def test_plan_diff_exits_4_with_the_findings_and_0_without(checkouts):
    """Run for real on two checkouts: prod's tag edited in place (its serving version removed
    with its weight) exits EXIT_UNSAFE and says what to do; an unchanged head exits 0."""
    same = _checkout(checkouts / "same")
    code, text = _plan_diff(checkouts, same)
    assert code == 0
    assert text.count("Rollout safety: no change drops or fails requests.") == 0  # no changes
    assert text.count("No changes.") == 2
    unsafe = _checkout(checkouts / "unsafe")
    stack = unsafe / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace('tag: "1.0.3"', 'tag: "1.1.2"'))
    code, text = _plan_diff(checkouts, unsafe)
    assert code == plan.EXIT_UNSAFE
    assert "Rollout safety: 1 change would drop or fail requests (exit code 4):" in text
    assert "(weighted-backend-removed)" in text
    assert text.rstrip().endswith(
        "Once reviewed, a maintainer adds the label\n"
        f"`{LABEL}`, which passes the `rollout-safety` check (docs/ci.md)."
    )
