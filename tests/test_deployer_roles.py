"""The deployer's roles are complete: every resource type the program creates maps to a role
(nimgke/deployer_roles.py), and docs/deploying.md's role table lists exactly those roles.

A new resource type without a role fails here, before a least-privilege deployer meets a 403 on a
real ``pulumi up``. Cloud Monitoring's create permissions (monitoring.dashboards.create,
monitoring.alertPolicies.create, monitoring.notificationChannels.create) are in the roles named in
nimgke/deployer_roles.py (cloud.google.com/iam/docs/roles-permissions/monitoring).
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from nimgke import deployer_roles
from tests.conftest import FAKE_NGC_KEY, ROOT, ProgramRun, run_program, stack_config

DEPLOYING = ROOT / "docs" / "deploying.md"
NGC = "nim-gke:ngcApiKey"


def _prod_everything() -> dict[str, str]:
    """prod with every optional resource: a canary on greenPool, a budget, e-mail channels,
    global access for the endpoint (the shared cache, the Gateway and the HPA are prod's own)."""
    base = {k: json.loads(v) for k, v in stack_config("prod").items() if v[:1] in "[{"}
    nim, mon, gw = base["nim-gke:nim"], base["nim-gke:monitoring"], base["nim-gke:gateway"]
    nim["models"][0]["canary"] = {"tag": "1.1.2", "weight": 10, "pool": "green"}
    mon["alerts"]["notificationEmails"] = ["oncall@example.com"]
    gw["globalAccess"] = True
    return stack_config(
        "prod",
        **{
            "nim-gke:nim": nim,
            "nim-gke:monitoring": mon,
            "nim-gke:gateway": gw,
            "nim-gke:greenPool": {"machineType": "g2-standard-8", "minNodes": 0, "maxNodes": 2},
            "nim-gke:budget": {"billingAccount": "012345-6789AB-CDEF01", "monthlyUsd": 1500},
            NGC: FAKE_NGC_KEY,
        },
    )


@cache
def run(variant: str) -> ProgramRun:
    if variant == "dev":
        return run_program("dev", stack_config("dev", **{NGC: FAKE_NGC_KEY}), [NGC])
    if variant == "prod":
        return run_program("prod", stack_config("prod"))
    return run_program("prod", _prod_everything(), [NGC])


VARIANTS = ("dev", "prod", "prod-everything")


def types_of(variant: str) -> set[str]:
    return {r.typ for r in run(variant).mocks.resources}


def table_roles() -> set[str]:
    """The first role named in each row of docs/deploying.md's role table."""
    text = DEPLOYING.read_text()
    section = text.split("### Roles of the deploying identity", 1)[1].split("\n### ", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| `(roles/[A-Za-z.]+)`", section, re.M)}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_resource_type_maps_to_a_role(variant):
    unknown = sorted(t for t in types_of(variant) if _unknown(t))
    assert unknown == [], f"add these types and the role that creates them: {unknown}"


def _unknown(type_token: str) -> bool:
    try:
        deployer_roles.roles_for(type_token)
    except KeyError:
        return True
    return False


def test_the_docs_role_table_is_the_roles_the_program_needs():
    assert table_roles() == deployer_roles.all_roles()


def test_every_mapped_type_is_created_by_some_variant():
    """No stale rows: each type in the table is one the program creates."""
    created = set().union(*(types_of(v) for v in VARIANTS))
    assert set(deployer_roles.ROLE_FOR_TYPE) <= created


def test_cloud_monitoring_is_granted():
    assert deployer_roles.roles_for("gcp:monitoring/dashboard:Dashboard") == (
        "roles/monitoring.dashboardEditor",
    )
    assert deployer_roles.roles_for("gcp:monitoring/alertPolicy:AlertPolicy") == (
        "roles/monitoring.alertPolicyEditor",
    )
    assert deployer_roles.roles_for("gcp:monitoring/notificationChannel:NotificationChannel") == (
        "roles/monitoring.notificationChannelEditor",
    )
    assert {
        "gcp:monitoring/dashboard:Dashboard",
        "gcp:monitoring/alertPolicy:AlertPolicy",
        "gcp:monitoring/notificationChannel:NotificationChannel",
    } <= types_of("prod-everything")
