#!/usr/bin/env python3
"""Whether this run of the `rollout-safety` check may take the acknowledgement label as given for
the pull request's current head. Run by .github/workflows/rollout-safety.yml when the plan diff
has findings; reads the webhook payload GitHub writes to $GITHUB_EVENT_PATH and the label's name
from $ACKNOWLEDGED. Prints why, and exits 0 (acknowledged) or 1 (not).

An acknowledgement holds for the head it was given on, not for later pushes:

- a run started by adding the label itself (`labeled`, `label.name` the label) came after the
  last push: acknowledged;
- a push (`synchronize`) never is: every label on the pull request then was added before it;
- on a branch of this repository, a push also removes the label (the workflow's
  expire-acknowledgement job), so a label still there on a later run for another label
  (`labeled`/`unlabeled`) was added after the last push: acknowledged;
- on a pull request from a fork the token is read-only and the label stays after a push, so only
  the run its own adding starts takes it: any other run fails until a maintainer removes the label
  and adds it again.

Payload fields (GitHub Docs, "Webhook events and payloads", pull_request): `action`, `label` (for
labeled/unlabeled), `pull_request.labels`, `pull_request.head.repo.full_name`,
`repository.full_name`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def decide(event: dict[str, Any], label: str) -> tuple[bool, str]:
    pr = event.get("pull_request") or {}
    action = event.get("action")
    labels = {str(item.get("name")) for item in pr.get("labels") or []}
    again = f"remove the label '{label}' and add it again once the findings are reviewed"
    if label not in labels:
        return False, f"the pull request has no label '{label}'"
    if action == "labeled" and (event.get("label") or {}).get("name") == label:
        return True, f"the label '{label}' was added after the last push"
    if action == "synchronize":
        return False, f"a push came after the label '{label}': {again}"
    head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    same_repo = head is not None and head == (event.get("repository") or {}).get("full_name")
    if same_repo and action in ("labeled", "unlabeled"):
        return True, f"the label '{label}' was added after the last push (each push removes it)"
    if not same_repo:
        return False, (
            f"on a pull request from a fork the label '{label}' counts only in the run that adding "
            f"it starts (a push cannot remove it): {again}"
        )
    return False, f"the label '{label}' may be older than the pull request's head: {again}"


def main() -> int:
    with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
        event = json.load(f)
    ok, why = decide(event, os.environ["ACKNOWLEDGED"])
    print(why)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
