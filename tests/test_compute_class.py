"""The GPU capacity plan's ComputeClass: its exact fields, held to GKE's CRD reference, the
component that creates it, and the program wiring the classes to their pools and releases.

No CRD of ComputeClass is in ../shared/reference/crds (``tests/schemas`` lists the kind in
UNCHECKED_KINDS), so the fields are checked here against the names GKE's CRD reference spells
(cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass, read 2026-12-03; the same
names and enums are in the CRD's JSON schema as datreeio/CRDs-catalog@2b29511366d6
cloud.google.com/computeclass_v1.json extracted it from a cluster):

- ``spec.priorities[]`` with ``nodepools`` (a list of node pool names), which "cannot be set
  along with other fields" (the CRD's rule "Nodepool field cannot be set along with other
  fields");
- ``spec.activeMigration.optimizeRulePriority`` (boolean, required within activeMigration);
- ``spec.nodePoolAutoCreation.enabled`` (boolean, required within nodePoolAutoCreation);
- ``spec.whenUnsatisfiable``: ``ScaleUpAnyway`` or ``DoNotScaleUp`` (required by the schema).
"""

from __future__ import annotations

import pytest

from components.compute_class import GpuComputeClass, GpuComputeClassArgs
from nimgke import compute_class
from tests.conftest import FAKE_NGC_KEY, resolve, run_program, stack_config, unwrap

COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
# The CRD reference's field names, and the values its enums allow.
SPEC_FIELDS = {"priorities", "activeMigration", "nodePoolAutoCreation", "whenUnsatisfiable"}
PRIORITY_NODEPOOLS = "nodepools"
ACTIVE_MIGRATION_FIELDS = {"optimizeRulePriority"}
AUTO_CREATION_FIELDS = {"enabled"}
WHEN_UNSATISFIABLE = ("ScaleUpAnyway", "DoNotScaleUp")


def test_the_spec_uses_only_the_crd_references_fields():
    spec = compute_class.spec(["gpu-pool-1", "gpu-2-pool-2"], active_migration=True)
    assert set(spec) == SPEC_FIELDS
    assert spec["priorities"] == [{"nodepools": ["gpu-pool-1"]}, {"nodepools": ["gpu-2-pool-2"]}]
    # A nodepools rule holds no other field, and one pool per rule orders them ("The list of node
    # pools that you specify in the nodepools field has no priority").
    for rule in spec["priorities"]:
        assert set(rule) == {PRIORITY_NODEPOOLS} and len(rule[PRIORITY_NODEPOOLS]) == 1
    assert set(spec["activeMigration"]) == ACTIVE_MIGRATION_FIELDS
    assert spec["activeMigration"]["optimizeRulePriority"] is True
    assert spec["nodePoolAutoCreation"] == {"enabled": False}
    assert set(spec["nodePoolAutoCreation"]) == AUTO_CREATION_FIELDS
    # Set explicitly: GKE's default changed with 1.33 ("explicitly specify this field").
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp" and spec["whenUnsatisfiable"] in (
        WHEN_UNSATISFIABLE
    )


def test_a_class_needs_a_priority():
    with pytest.raises(ValueError, match="at least one priority"):
        compute_class.spec([], active_migration=False)


def test_pods_select_the_class_and_tolerate_its_taint():
    """GKE "About custom ComputeClasses": the node selector cloud.google.com/compute-class: NAME;
    the pools' taint cloud.google.com/compute-class=NAME:NoSchedule, tolerated by the pods."""
    assert compute_class.node_selector("nim-gpu") == {"cloud.google.com/compute-class": "nim-gpu"}
    assert compute_class.toleration("nim-gpu") == {
        "key": "cloud.google.com/compute-class",
        "operator": "Equal",
        "value": "nim-gpu",
        "effect": "NoSchedule",
    }


def test_the_component_creates_the_class_from_the_pools_names(mocks):
    cc = GpuComputeClass(
        "gpu-capacity",
        GpuComputeClassArgs(
            name="nim-gpu", node_pools=["gpu-pool-a1", "gpu-2-pool-b2"], active_migration=True
        ),
    )
    resolve(lambda: {"name": cc.name})
    made = mocks.one(COMPUTE_CLASS)
    assert made.name == "gpu-capacity-class"
    inputs = unwrap(made.inputs)
    assert (inputs["apiVersion"], inputs["kind"]) == ("cloud.google.com/v1", "ComputeClass")
    assert inputs["metadata"] == {"name": "nim-gpu"}
    assert inputs["spec"] == compute_class.spec(
        ["gpu-pool-a1", "gpu-2-pool-b2"], active_migration=True
    )
    assert any(
        u.endswith("GpuComputeClass$" + COMPUTE_CLASS + "::gpu-capacity-class")
        for u in (mocks.urns())
    )
    assert cc.node_selector == {"cloud.google.com/compute-class": "nim-gpu"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"node_pools": []}, "at least one node pool"),
        # "The name of your ComputeClass can't begin with gke or autopilot" (GKE, Limitations).
        ({"name": "gke-gpu"}, "may not begin with gke or autopilot"),
        ({"name": "autopilot-l4"}, "may not begin with gke or autopilot"),
    ],
)
def test_args_refuse_what_gke_would(overrides, message):
    with pytest.raises(ValueError, match=message):
        GpuComputeClassArgs(**{"name": "nim-gpu", "node_pools": ["p"], **overrides})


@pytest.mark.parametrize(
    ("stack", "pools", "migrates"),
    [
        # dev: Spot, then on demand: GKE moves the pod back to Spot when it can.
        ("dev", ["gpu-pool", "gpu-2-pool"], True),
        # prod: on demand g2-standard-4, then g2-standard-8: nothing to move back for.
        ("prod", ["gpu-pool", "gpu-2-pool"], False),
    ],
)
def test_each_stack_carries_a_class_of_two_priorities_that_every_release_selects(
    stack, pools, migrates
):
    run = run_program(
        stack, stack_config(stack, **{"nim-gke:ngcApiKey": FAKE_NGC_KEY}), ["nim-gke:ngcApiKey"]
    )
    (cc,) = [unwrap(c.inputs) for c in run.mocks.of_type(COMPUTE_CLASS)]
    names = [run.mocks.state[p]["name"] for p in pools]
    assert cc["metadata"]["name"] == "nim-gpu"
    assert cc["spec"] == compute_class.spec(names, active_migration=migrates)
    releases = run.mocks.of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    for release in releases:
        values = unwrap(release.inputs["values"])
        assert values["nodeSelector"] == {"cloud.google.com/compute-class": "nim-gpu"}
        assert compute_class.toleration("nim-gpu") in values["tolerations"]
