"""The pull request workflows show the rollout safety findings and fail the `rollout-safety` check
until someone acknowledges them with a label; ``.ci/plan-diff`` (which both run) says which.

GitHub's semantics the mechanism relies on (docs.github.com, "Events that trigger workflows",
``pull_request`` activity types ``labeled``/``unlabeled``; "Contexts", ``github.event`` is the
webhook payload, whose ``pull_request.labels`` are the labels the pull request has when the event
fires; ``contains(array, item)`` in "Expressions").

On pull requests from forks, GitHub runs the workflow without the repository's secrets, with a
read-only GITHUB_TOKEN and no OIDC token: "With the exception of GITHUB_TOKEN, secrets are not
passed to the runner when a workflow is triggered from a forked repository. The GITHUB_TOKEN has
read-only permissions in pull requests from forked repositories."
(https://docs.github.com/en/actions/learn-github-actions/events-that-trigger-workflows#pull-request-events-for-forked-repositories;
id-token "none" for them: https://docs.github.com/en/actions/reference/github_token-reference).
A job that needs any of those must not run there; the plan diff, which needs none, must.
"""

from __future__ import annotations

import json
import re
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


def test_the_gate_fails_on_findings_unless_this_head_is_acknowledged():
    (job, expire) = workflow("rollout-safety.yml")["jobs"].values()
    steps = {s.get("name", s.get("uses")): s for s in job["steps"]}
    check = steps["Plan diff and rollout safety check"]
    assert "head/.ci/plan-diff base head plan-diff.md" in check["run"]
    # exit 4 (findings) is recorded, anything else but 0 fails the step itself
    assert 'echo "code=$code" >> "$GITHUB_OUTPUT"' in check["run"]
    assert 'if [ "$code" -ne 0 ] && [ "$code" -ne 4 ]; then exit "$code"; fi' in check["run"]
    gate = steps["Findings need an acknowledgement"]
    assert gate["if"] == f"steps.{check['id']}.outputs.code == '{plan.EXIT_UNSAFE}'"
    # .ci/acknowledged.py decides (its cases below); its verdict is the step's
    assert "if why=$(python3 head/.ci/acknowledged.py); then" in gate["run"]
    acknowledged, refused = gate["run"].split("else", 1)
    assert "exit 1" in refused and "exit 1" not in acknowledged


def test_a_push_removes_the_label_on_this_repositorys_branches():
    """On ``synchronize`` the label is deleted (REST "Remove a label from an issue", DELETE
    /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}, which a token with pull requests
    write may call: docs.github.com/en/rest/issues/labels). Only this repository's branches: a
    fork's GITHUB_TOKEN is read-only. The label event GITHUB_TOKEN causes starts no workflow run
    ("events triggered by the GITHUB_TOKEN, with the exception of workflow_dispatch and
    repository_dispatch, will not create a new workflow run":
    docs.github.com/actions/concepts/security/github_token), so the push's own run, which never
    takes the label, is the check's result. The job checks out and runs nothing of the pull
    request."""
    wf = workflow("rollout-safety.yml")
    expire = wf["jobs"]["expire-acknowledgement"]
    assert " ".join(expire["if"].split()) == (
        f"github.event.action == 'synchronize' && {SAME_REPO} && "
        f"contains(github.event.pull_request.labels.*.name, '{wf['env']['ACKNOWLEDGED']}')"
    )
    assert expire["permissions"] == {"pull-requests": "write"}
    (step,) = expire["steps"]
    assert "uses" not in step
    assert step["env"] == {
        "GH_TOKEN": "${{ github.token }}",
        "REPO": "${{ github.repository }}",
        "PR": "${{ github.event.pull_request.number }}",
    }
    assert 'gh api --method DELETE "repos/$REPO/issues/$PR/labels/$ACKNOWLEDGED"' in step["run"]
    assert "${{" not in step["run"]


def _event(action: str, labels: list[str], added: str | None = None, fork: bool = False):
    """A pull_request webhook payload with the fields .ci/acknowledged.py reads: ``action``;
    ``label``, the label added (``labeled``) or removed (``unlabeled``), a required property of
    the ``labeled`` action (GitHub Docs, "Webhook events and payloads", pull_request:
    https://docs.github.com/en/webhooks/webhook-events-and-payloads?actionType=labeled#pull_request;
    octokit/webhooks@b948c08494676b8aa8ce72f3bc354b0749fca726:
    payload-schemas/api.github.com/pull_request/labeled.schema.json); ``pull_request.labels``;
    and the head's and base's repositories, which the rule does not read (a fork's pull request
    and a branch's get the same verdicts)."""
    event: dict[str, Any] = {
        "action": action,
        "pull_request": {
            "labels": [{"name": n} for n in labels],
            "head": {"repo": {"full_name": "someone/nim-gke" if fork else "acme/nim-gke"}},
        },
        "repository": {"full_name": "acme/nim-gke"},
    }
    if added is not None:
        event["label"] = {"name": added}
    return event


AGAIN = f"remove the label '{LABEL}' and add it again once the findings are reviewed"
ADDED = f"the label '{LABEL}' was added after the last push"
PUSHED = f"a push came after the label '{LABEL}': {AGAIN}"
OLDER = (
    f"the label '{LABEL}' counts only in the run that adding it starts (it may be older than the "
    f"pull request's head): {AGAIN}"
)
NONE = f"the pull request has no label '{LABEL}'"


@pytest.mark.parametrize("fork", [False, True], ids=["branch", "fork"])
@pytest.mark.parametrize(
    ("event", "code", "why"),
    [
        (("labeled", [LABEL], LABEL), 0, ADDED),
        (("labeled", [LABEL, "docs"], LABEL), 0, ADDED),
        (("synchronize", [LABEL]), 1, PUSHED),
        # a run for another label: the acknowledgement may be older than the last push (were the
        # expire-acknowledgement job to have failed, or a label added before it removed ours)
        (("labeled", [LABEL, "docs"], "docs"), 1, OLDER),
        (("unlabeled", [LABEL], "docs"), 1, OLDER),
        (("reopened", [LABEL]), 1, OLDER),
        (("opened", [LABEL]), 1, OLDER),
        (("unlabeled", [], LABEL), 1, NONE),
        (("opened", []), 1, NONE),
    ],
)
def test_the_acknowledgement_holds_only_for_the_head_it_was_given_on(
    tmp_path, event, code, why, fork
):
    """The findings pushed after an acknowledgement are not acknowledged: one rule for this
    repository's branches and forks alike, only the run that adding the label starts counts it
    (a push's own run never does, and no other run relies on the push having removed it)."""
    event = _event(*event, fork=fork)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "acknowledged.py")],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "GITHUB_EVENT_PATH": str(path), "ACKNOWLEDGED": LABEL},
    )
    assert (done.returncode, done.stdout, done.stderr) == (code, why + "\n", "")


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


# --- pull requests from forks ---------------------------------------------------------------------

SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
FORK = "github.event.pull_request.head.repo.full_name != github.repository"


def secrets_used(node: Any) -> set[str]:
    """Repository secrets a job or step reads (``${{ secrets.X }}``)."""
    return set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", json.dumps(node)))


def needs_what_forks_lack(job: dict[str, Any]) -> bool:
    writes = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
    return bool(secrets_used(job) - {"GITHUB_TOKEN"}) or "id-token" in writes


PR = workflow("pull-request.yml")


def test_the_workflow_runs_on_pull_requests_and_grants_nothing_by_default():
    assert list(triggers(PR)) == ["pull_request"]
    # Write permissions and the OIDC token only where a job asks for them.
    assert PR["permissions"] == {"contents": "read"}


ON_PULL_REQUESTS = [
    (path.name, name)
    for path in sorted(WORKFLOWS.glob("*.yml"))
    if "pull_request" in triggers(workflow(path.name))
    for name in workflow(path.name)["jobs"]
]


def test_every_pull_request_workflow_is_checked():
    assert ("pull-request.yml", "preview") in ON_PULL_REQUESTS
    assert {"pull-request.yml", "rollout-safety.yml"} <= {wf for wf, _ in ON_PULL_REQUESTS}


@pytest.mark.parametrize(("file", "name"), ON_PULL_REQUESTS)
def test_a_job_that_needs_secrets_or_oidc_runs_only_for_this_repositorys_branches(file, name):
    wf = workflow(file)
    job = wf["jobs"][name]
    # A workflow-wide grant reaches every job: none may need what forks lack.
    assert not needs_what_forks_lack({"permissions": wf.get("permissions")})
    if needs_what_forks_lack(job):
        assert job.get("if") == SAME_REPO, f"{file}: {name} needs secrets or OIDC: guard it"


def test_the_jobs_that_need_secrets_are_the_previews():
    assert [n for n, job in PR["jobs"].items() if needs_what_forks_lack(job)] == ["preview"]
    preview = PR["jobs"]["preview"]
    assert secrets_used(preview) == {
        "GCP_WORKLOAD_IDENTITY_PROVIDER",
        "GCP_SERVICE_ACCOUNT",
        "PULUMI_ACCESS_TOKEN",
        "GITHUB_TOKEN",
    }
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }


def test_a_fork_is_told_why_there_is_no_preview():
    (skipped,) = [job for job in PR["jobs"].values() if job.get("if") == FORK]
    (step,) = skipped["steps"]
    assert "::notice title=pulumi preview skipped::" in step["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in step["run"]
    # The fork's name reaches the script through the environment, never pasted into it.
    assert "${{" not in step["run"]
    assert step["env"] == {"HEAD_REPO": "${{ github.event.pull_request.head.repo.full_name }}"}
    assert not needs_what_forks_lack(skipped)


def test_the_plan_diff_runs_for_forks_and_comments_only_where_it_may():
    job = PR["jobs"]["plan-diff"]
    assert "if" not in job and secrets_used(job) == set()
    (comment,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/github-script")]
    assert comment["if"] == f"always() && {SAME_REPO}"
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["with"]["name"] == "plan-diff"
    # For forks, plan-comment.yml posts the uploaded diff from the base repository's side.
    relay = workflow("plan-comment.yml")
    assert triggers(relay) == {
        "workflow_run": {"workflows": ["pull-request"], "types": ["completed"]}
    }
    (comment_job,) = relay["jobs"].values()
    assert (
        "github.event.workflow_run.head_repository.full_name != github.repository"
        in (comment_job["if"])
    )
    assert secrets_used(relay) == set()
