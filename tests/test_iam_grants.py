"""One IAM grant per (project, role, member), whatever the pools.

``gcp.projects.IAMMember`` adds one member to the project's binding of one role, and its delete
removes that member from the binding (hashicorp/terraform-provider-google
tpgiamresource/resource_iam_member.go: Delete reads the policy, removes the member from the
binding of the role and writes the policy back). Two resources granting the same (role, member)
share one binding entry, so deleting either revokes the other's grant while state still records
it. When greenPool (which streams images, like gpuPool) is removed, the main pool's
image-streaming grant must stay: the grant exists once, in the cluster component, and keeps its
URN with or without greenPool.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from components.cluster import STREAMING_ROLE
from tests.conftest import FAKE_NGC_KEY, run_program, stack_config

IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
GREEN = {
    "machineType": "g2-standard-8",
    "minNodes": 0,
    "maxNodes": 2,
    "driverVersion": "LATEST",
    "imageStreaming": True,
}


def prod(green: bool) -> Any:
    extra: dict[str, Any] = {"nim-gke:ngcApiKey": FAKE_NGC_KEY}
    if green:
        nim = json.loads(stack_config("prod")["nim-gke:nim"])
        nim["models"][0]["canary"] = {"tag": "1.1.2", "weight": 10, "pool": "green"}
        extra |= {"nim-gke:greenPool": GREEN, "nim-gke:nim": nim}
    return run_program("prod", stack_config("prod", **extra), ["nim-gke:ngcApiKey"])


def grants(run: Any) -> dict[tuple[str, str, str], list[str]]:
    """(project, role, member) -> the URNs of the IAMMember resources granting it."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for reg in run.mocks.registrations:
        if reg.args.typ == IAM_MEMBER:
            i = reg.args.inputs
            found.setdefault((i["project"], i["role"], i["member"]), []).append(reg.urn)
    return found


@pytest.mark.parametrize("green", [False, True])
def test_each_project_role_member_is_granted_once(green):
    found = grants(prod(green))
    assert {k: len(v) for k, v in found.items() if len(v) > 1} == {}
    roles = Counter(role for _, role, _ in found)
    assert roles[STREAMING_ROLE] == 1


def test_removing_greenpool_keeps_the_streaming_grant_and_its_urn():
    with_green, without = grants(prod(True)), grants(prod(False))
    ((key, urns),) = [(k, v) for k, v in with_green.items() if k[1] == STREAMING_ROLE]
    assert key[2] == "serviceAccount:nim-nodes-x7k2qp@p.iam.gserviceaccount.com"
    # Same resource, same URN: removing greenPool deletes no grant of this member.
    assert without[key] == urns
    assert urns[0].endswith(
        "nim-gke:gke:Cluster$gcp:projects/iAMMember:IAMMember::cluster-nodes-image-streaming"
    )


def test_the_old_per_pool_grant_is_adopted_not_deleted():
    """Stacks deployed before the move hold the grant as gpu-streaming-usage under the gpu pool's
    component: the alias makes the update a rename, so no delete revokes the member."""
    run = prod(False)
    (alias,) = run.mocks.options["cluster-nodes-image-streaming"]["aliases"]
    assert alias["spec"]["name"] == "gpu-streaming-usage"
    assert alias["spec"]["parentUrn"].endswith("::nim-gke:gke:GpuNodePool::gpu")


def test_no_streaming_no_grant():
    pool = json.loads(stack_config("dev")["nim-gke:gpuPool"])
    pool["imageStreaming"] = False
    config = stack_config("dev", **{"nim-gke:gpuPool": pool, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    found = grants(run_program("dev", config, ["nim-gke:ngcApiKey"]))
    assert [k for k in found if k[1] == STREAMING_ROLE] == []


def test_dev_with_its_fallback_pool_grants_each_once():
    """dev streams images on both priorities of its ComputeClass (gpu, then gpu-2): one grant."""
    run = run_program(
        "dev", stack_config("dev", **{"nim-gke:ngcApiKey": FAKE_NGC_KEY}), ["nim-gke:ngcApiKey"]
    )
    found = grants(run)
    assert {k: len(v) for k, v in found.items() if len(v) > 1} == {}
    assert Counter(role for _, role, _ in found)[STREAMING_ROLE] == 1
    pools = [r for r in run.mocks.registrations if r.args.typ == "gcp:container/nodePool:NodePool"]
    streaming = [
        r for r in pools if r.args.inputs["nodeConfig"].get("gcfsConfig", {}).get("enabled")
    ]
    assert len(streaming) >= 2  # the grant serves more than one pool
