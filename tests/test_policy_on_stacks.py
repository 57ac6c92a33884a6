"""The policy pack against the resources the real program registers for each stack.

prod must pass every rule; dev may only break the rules its stack file relaxes on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy.nim_gke_policies import rules
from policy.nim_gke_policies.model import Resource, StackResource
from tests.conftest import ROOT, is_secret, unwrap
from tests.test_chart_contract import program

# Rules Pulumi.dev.yaml relaxes, each stated there: public nodes and an open control plane, no
# KMS key, the RAPID channel, no deletion protection.
DEV_RELAXED = {
    "gke-private-cluster",
    "gke-secrets-encryption",
    "gke-upgrade-policy",
    "gke-deletion-protection",
}


def policy_config(stack: str) -> dict[str, Any]:
    path = ROOT / "policy" / f"config.{stack}.json"
    return {k: v for k, v in json.loads(path.read_text()).items() if isinstance(v, dict)}


def resources(stack: str) -> list[Resource]:
    out = []
    for r in program(stack).mocks.resources:
        # Secretness as the engine saw it: top-level properties whose value arrived wrapped.
        secret = tuple(
            k
            for k, v in r.inputs.items()
            if is_secret(v) or (isinstance(v, dict) and v and all(is_secret(x) for x in v.values()))
        )
        out.append(Resource(type=r.typ, props=unwrap(r.inputs), secret_outputs=secret, name=r.name))
    return out


def stack_resources(stack: str) -> list[StackResource]:
    regs = program(stack).mocks.monitor.resources
    return [
        StackResource(type=urn.split("::")[2].split("$")[-1], urn=urn, props=unwrap(reg.state))
        for urn, reg in regs.items()
    ]


def violations(stack: str) -> dict[str, list[str]]:
    config = policy_config(stack)
    found: dict[str, list[str]] = {}
    for rule in rules.RESOURCE_RULES:
        for res in resources(stack):
            if res.type in rule.resource_types:
                msgs = rule.check(res, config.get(rule.name, {})).messages
                if msgs:
                    found.setdefault(rule.name, []).extend(f"{res.name}: {m}" for m in msgs)
    for srule in rules.STACK_RULES:
        msgs = srule.check(stack_resources(stack), config.get(srule.name, {})).messages
        if msgs:
            found.setdefault(srule.name, []).extend(msgs)
    return found


def test_every_rule_sees_the_stacks():
    """Each rule judges a resource of prod or dev (workload-images-pinned: dev's wake-signal
    CronJob; prod creates no workload of its own)."""
    types = {r.type for stack in ("prod", "dev") for r in resources(stack)}
    for rule in rules.RESOURCE_RULES:
        assert rule.resource_types & types, f"{rule.name} matches no resource of the stacks"


def test_prod_passes_every_policy():
    assert violations("prod") == {}


def test_dev_breaks_only_the_relaxations_its_stack_file_states():
    found = violations("dev")
    assert set(found) == DEV_RELAXED, json.dumps(found, indent=1)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_policy_configs_exist_for_each_stack(stack):
    raw = json.loads((ROOT / "policy" / f"config.{stack}.json").read_text())
    assert raw["all"] == ("advisory" if stack == "dev" else "mandatory")
