"""A GPU capacity plan as a GKE ComputeClass, built as plain data so it can be tested without the
engine. ``components/compute_class.py`` creates it; the node pools and the NIM pods use the same
label, taint and toleration from here.

What GKE does with it (cloud.google.com/kubernetes-engine/docs/concepts/
about-custom-compute-classes, read 2026-12-03; field names as the CRD reference spells them,
cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass):

- ``spec.priorities`` is tried in order when a pod that selects the class needs a new node;
  a ``nodepools`` rule names manually created node pools and may hold no other field ("You can't
  use other spec.priorities fields alongside the nodepools field"); one pool per rule makes the
  order explicit ("The list of node pools that you specify in the nodepools field has no
  priority").
- A manually created pool serves the class only with the node label **and** the taint
  ``cloud.google.com/compute-class=NAME`` (NoSchedule) ("Configure manually-created node pools
  for ComputeClass use"). On Standard clusters without node auto-provisioning the pod must
  tolerate that taint itself (kubernetes-engine/docs/how-to/workload-separation: "Add a
  toleration for that taint to the Pod specification"; GKE's autoscaler says only Autopilot pods
  get it from a webhook: GoogleCloudPlatform/cluster-autoscaler@7d250507339b
  pkg/autoprovisioning/injection.go), so the chart's values carry :func:`toleration`.
- Pods select the class with the node selector ``cloud.google.com/compute-class: NAME`` and no
  selector on a system label the class decides (``cloud.google.com/gke-spot``,
  ``cloud.google.com/gke-accelerator``, ...): "GKE also rejects any Pods that select system labels
  that have a corresponding field in the ComputeClass specification".
- ``activeMigration.optimizeRulePriority`` replaces nodes of a lower priority with nodes of a
  higher one when it has capacity again: the pod is evicted (honouring PodDisruptionBudgets) and
  restarts there. It never evicts a pod of a pool's ``--min-nodes``.
- ``whenUnsatisfiable`` defaults by GKE version ("explicitly specify this field"):
  ``DoNotScaleUp`` leaves the pod Pending rather than scaling "any manually created node pool that
  defines a label and taint matching" the class, which are the priorities' pools anyway.
- ``nodePoolAutoCreation.enabled: false``: the stack's own pools carry what it configures per
  pool (image streaming, the image cache disk, the node service account, bounds); docs/capacity.md
  says why.
"""

from __future__ import annotations

from typing import Any

API_VERSION = "cloud.google.com/v1"
KIND = "ComputeClass"
LABEL = "cloud.google.com/compute-class"
"""The node label, the taint key and the pods' node selector key."""
TAINT_EFFECT = "NoSchedule"
WHEN_UNSATISFIABLE = "DoNotScaleUp"


def node_selector(name: str) -> dict[str, str]:
    """What a pod sets to run on the class's nodes."""
    return {LABEL: name}


def toleration(name: str) -> dict[str, str]:
    """The pods' toleration of the taint every pool of the class carries."""
    return {"key": LABEL, "operator": "Equal", "value": name, "effect": TAINT_EFFECT}


def spec(node_pools: list[str], *, active_migration: bool) -> dict[str, Any]:
    """The class's ``spec``: one ``nodepools`` priority per node pool, in order."""
    if not node_pools:
        raise ValueError("a ComputeClass needs at least one priority")
    return {
        "priorities": [{"nodepools": [pool]} for pool in node_pools],
        "activeMigration": {"optimizeRulePriority": active_migration},
        "nodePoolAutoCreation": {"enabled": False},
        "whenUnsatisfiable": WHEN_UNSATISFIABLE,
    }
