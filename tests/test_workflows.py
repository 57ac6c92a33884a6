"""The pull request workflows on pull requests from forks.

GitHub runs a fork's pull request without the repository's secrets, with a read-only GITHUB_TOKEN
and no OIDC token: "With the exception of GITHUB_TOKEN, secrets are not passed to the runner when
a workflow is triggered from a forked repository. The GITHUB_TOKEN has read-only permissions in
pull requests from forked repositories."
(https://docs.github.com/en/actions/learn-github-actions/events-that-trigger-workflows#pull-request-events-for-forked-repositories;
id-token "none" for them: https://docs.github.com/en/actions/reference/github_token-reference).
A job that needs any of those must not run there; the plan diff, which needs none, must.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
FORK = "github.event.pull_request.head.repo.full_name != github.repository"


def workflow(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(doc, dict)
    # YAML 1.1 reads the key `on` as true.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def secrets_used(node: Any) -> set[str]:
    """Repository secrets a job or step reads (``${{ secrets.X }}``)."""
    return set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", json.dumps(node)))


def needs_what_forks_lack(job: dict[str, Any]) -> bool:
    writes = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
    return bool(secrets_used(job) - {"GITHUB_TOKEN"}) or "id-token" in writes


PR = workflow("pull-request.yml")


def test_the_workflow_runs_on_pull_requests_and_grants_nothing_by_default():
    assert list(PR["on"]) == ["pull_request"]
    # Write permissions and the OIDC token only where a job asks for them.
    assert PR["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("name", sorted(PR["jobs"]))
def test_a_job_that_needs_secrets_or_oidc_runs_only_for_this_repositorys_branches(name):
    job = PR["jobs"][name]
    if needs_what_forks_lack(job):
        assert job.get("if") == SAME_REPO, f"{name} needs secrets or OIDC: guard it"


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
    assert relay["on"] == {"workflow_run": {"workflows": ["pull-request"], "types": ["completed"]}}
    (comment_job,) = relay["jobs"].values()
    assert (
        "github.event.workflow_run.head_repository.full_name != github.repository"
        in (comment_job["if"])
    )
    assert secrets_used(relay) == set()
