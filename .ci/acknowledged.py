#!/usr/bin/env python3
"""Whether this run of the `rollout-safety` check may take the acknowledgement label as given for
the pull request's current head. Run by .github/workflows/rollout-safety.yml when the plan diff
has findings; reads the webhook payload GitHub writes to $GITHUB_EVENT_PATH and the label's name
from $ACKNOWLEDGED. Prints why, and exits 0 (acknowledged) or 1 (not).

An acknowledgement holds for the head it was given on, not for later pushes, and one rule says
which run takes it, for this repository's branches and forks alike: only the run that adding the
label starts (`action` `labeled`, `label.name` the label) came after the last push. Every other run
refuses it: a push's (`synchronize`: every label then is older than the push), and a run for
another label (`labeled`/`unlabeled`) or a reopening, whose label may be older than the head. The
workflow's expire-acknowledgement job also removes the label on a push to a branch of this
repository, as a courtesy that shows the acknowledgement is gone; nothing here relies on it (it may
fail, and a fork's read-only token cannot remove the label).

Payload fields: `action`; `label`, the label added (the `labeled` action) or removed
(`unlabeled`): GitHub Docs, "Webhook events and payloads", pull_request,
https://docs.github.com/en/webhooks/webhook-events-and-payloads?actionType=labeled#pull_request
(a required property of that action in GitHub's schema for it,
octokit/webhooks@b948c08494676b8aa8ce72f3bc354b0749fca726:
payload-schemas/api.github.com/pull_request/labeled.schema.json); `pull_request.labels`, the
labels the pull request has when the event fires.
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
    # `label` is the label whose adding started this run (GitHub Docs, pull_request `labeled`).
    if action == "labeled" and (event.get("label") or {}).get("name") == label:
        return True, f"the label '{label}' was added after the last push"
    if action == "synchronize":
        return False, f"a push came after the label '{label}': {again}"
    return False, (
        f"the label '{label}' counts only in the run that adding it starts (it may be older than "
        f"the pull request's head): {again}"
    )


def main() -> int:
    with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
        event = json.load(f)
    ok, why = decide(event, os.environ["ACKNOWLEDGED"])
    print(why)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
