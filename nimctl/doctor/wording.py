"""How Kubernetes components word what they report: the parsers of event and status messages.

Every rule that depends on a component's exact wording reads it through this module, so the
wording (and the source it was checked against) lives in one place.
"""

from __future__ import annotations

import re


def parse_reasons(message: str) -> dict[str, int]:
    """Scheduler / autoscaler reason list -> {reason: node count}.

    ``0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node
    affinity/selector. preemption: ...`` and ``pod didn't trigger scale-up: 1 max node group size
    reached`` both have that shape; reasons without a count get 0.
    """
    head = re.split(r"\.? preemption:", message, maxsplit=1)[0]
    match = re.search(r"(?:are available|scale-up(?: \([^)]*\))?): (.*)$", head, flags=re.S)
    body = (match.group(1) if match else head).strip().rstrip(".")
    reasons: dict[str, int] = {}
    for raw in re.split(r", (?=\d+ )", body):
        part = raw.strip()
        if not part:
            continue
        counted = re.match(r"(\d+) (.*)", part)
        if counted:
            reasons[counted.group(2)] = reasons.get(counted.group(2), 0) + int(counted.group(1))
        else:
            reasons[part] = 0
    return reasons


def scale_up_group(message: str) -> str:
    """``pod triggered scale-up: [{<group> 0->1 (max: 2)}]`` -> ``<group name> 0->1 (max: 2)``."""
    match = re.search(r"\{(\S+) (\d+->\d+ \(max: \d+\))\}", message)
    if not match:
        return message.removeprefix("pod triggered scale-up: ")
    group = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    return f"{group} {match.group(2)}"
