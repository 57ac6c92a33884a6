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


def _plan_diff(
    work: Path, head: str, python: str = sys.executable, stacks: str = "prod"
) -> tuple[int, str]:
    out = work / f"{head}.md"
    done = subprocess.run(
        [str(ROOT / ".ci" / "plan-diff"), "base", head, str(out), python],
        check=False,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "STACKS": stacks},
    )
    return done.returncode, out.read_text()


FAKE_NIMCTL = """#!/bin/sh
# stands in for `python -m nimctl plan STACK ...`: exits with $CODE_<STACK> for --diff
stack=$4
case "$*" in *--json*) echo '{}'; exit 0 ;; esac
echo "diff of $stack"
eval "exit \\${CODE_$stack:-0}"
"""


@pytest.mark.parametrize(
    ("codes", "status"),
    [({"dev": 0, "prod": 0}, 0), ({"dev": 4, "prod": 0}, 4), ({"dev": 4, "prod": 1}, 1),
     ({"dev": 1, "prod": 4}, 1), ({"dev": 2, "prod": 0}, 1)],
)  # fmt: skip
def test_plan_diff_exits_4_on_findings_and_1_on_a_failed_plan(tmp_path, codes, status):
    """The script's own status: 4 (nimctl plan's EXIT_UNSAFE) when a stack has findings and
    every plan ran, 1 when any plan failed (a config mistake is 2 from nimctl)."""
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    fake = tmp_path / "python"
    fake.write_text(FAKE_NIMCTL)
    fake.chmod(0o755)
    out = tmp_path / "out.md"
    env = {"PATH": "/usr/bin:/bin", **{f"CODE_{k}": str(v) for k, v in codes.items()}}
    done = subprocess.run(
        [str(ROOT / ".ci" / "plan-diff"), "base", "head", str(out), str(fake)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == status
    text = out.read_text()
    assert text.startswith("<!-- nimctl-plan-diff -->")
    assert text.count("diff of ") == 2
    assert (f"the label\n`{LABEL}`" in text) == (status == plan.EXIT_UNSAFE)


def test_plan_diff_runs_nimctl_on_two_checkouts(tmp_path):
    """For real, on prod: its tag edited in place (the serving version removed with its weight)
    exits EXIT_UNSAFE with the finding and what to do."""
    _checkout(tmp_path / "base")
    unsafe = _checkout(tmp_path / "unsafe")
    stack = unsafe / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace('tag: "1.0.3"', 'tag: "1.1.2"'))
    code, text = _plan_diff(tmp_path, "unsafe")
    assert code == plan.EXIT_UNSAFE == 4
    assert "Rollout safety: 1 change would drop or fail requests (exit code 4):" in text
    assert "(weighted-backend-removed)" in text
    assert text.rstrip().endswith(
        "Once reviewed, a maintainer adds the label\n"
        f"`{LABEL}`, which passes the `rollout-safety` check (docs/ci.md)."
    )
