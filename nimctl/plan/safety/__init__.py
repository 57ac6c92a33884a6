"""The rollout safety check of ``nimctl plan --diff``: every change of a stack edit that would drop
or fail requests, with the resource and the reason.

It reads the diff as data (:func:`nimctl.plan.diff.changes`) and, for what the diff does not
repeat, the two plans: which release serves which share of a model (the ``rollout`` output), on
which GPU pool (its node selector), as which workload (:mod:`nimgke.helm_values`). What it knows
of the real systems, each from its source:

- **A removed backend that still carries weight** (``weighted-backend-removed``). Pulumi updates
  the HTTPRoute (or the model's Service) and deletes the release seconds later; custom resources
  are ready at once unless asked to wait (pulumi-kubernetes ``pulumi.com/waitFor``, v4.18.0+), and
  nothing waits for GKE to reprogram the load balancer. The removed share meets deleted pods.
- **Weight before a ready pod** (``weight-before-ready``). A release created with weight > 0 whose
  Helm release does not wait (``skipAwait``: no Gateway) is routed to at once (the model's Service
  switches its selector). Behind a Gateway the release waits for Ready pods and the route and the
  Service are created after it (``components/gateway.py``, ``__main__.py``), so no finding.
- **Weight moved onto a pod that restarts** (``weight-before-ready`` too). A version on standby
  (weight 0) given weight in the update that changes its pod, when its release does not wait: the
  Service switches to it while its pod is recreated (a one-replica StatefulSet deletes its pod
  first) or its workload is replaced.
- **A pod change without a surge or a second replica** (``pod-restart``). The chart's StatefulSet
  deletes its pod before the new one starts; a Deployment (over the shared cache) starts the new
  one first (Kubernetes' RollingUpdate defaults, :func:`nimgke.helm_values.deployment_rollout`);
  a StatefulSet of two replicas or more replaces one at a time. A change of the workload's kind
  (the cache switched) deletes the old workload as the new one is created.
- **A StatefulSet field Kubernetes does not update** (``statefulset-update-refused``): what the
  chart renders into a StatefulSet's spec outside its pod template, replicas, update strategy and
  claim retention (the cache's size or StorageClass, the chart's version in the claim template's
  labels: :data:`versions.STATEFULSET_FIXED`). The API server refuses the patch
  (kubernetes/kubernetes ``ValidateStatefulSetUpdate``), Helm's upgrade fails ("cannot patch ...
  with kind StatefulSet": helm/helm@374d5f1b53e213a4400185406294ce0aa9a0f67e pkg/kube/client.go),
  and ``pulumi up`` stops there, whatever the version's weight. Helm creates a workload that is
  missing ("Since the resource does not exist, create it", the same file), hence the fix: delete
  the StatefulSet with ``--cascade=orphan`` (its pods and claims stay) before the update.
- **A GPU pool replaced, deleted, or its nodes recreated, under a serving version**
  (``pool-replaced``, ``pool-deleted``, ``nodes-recreated``; :mod:`nimgke.node_pool_changes`). A
  version's pods select its ComputeClass (``cloud.google.com/compute-class``), whose priorities
  are node pools (the plan's ComputeClass object, ``spec.priorities[].nodepools``): every pool of
  the class is under the version. A replaced pool gets a new name in the class, not in the
  release, so nothing moves the pods: GKE drains the old pool when Pulumi deletes it (last in an
  update), without honouring PodDisruptionBudgets
  (cloud.google.com/kubernetes-engine/docs/concepts/node-pools, "Deleting node pools"). A pool
  removed from the stack (a ``gpuPool.fallbacks`` entry, greenPool) is deleted the same way,
  after the ComputeClass has stopped naming it; the diff shows it as a removed resource, which
  :func:`~nimgke.node_pool_changes.pool_effect` (input paths) does not see. Only a Deployment
  whose release waits and whose pod changes in the same update surges first: its new pod can only
  go where the class now points (not the old pool, whose GPU nodes are taken) and Helm waits for
  it before the deletion. Recreated nodes are drained one by one: a version keeps serving only
  with a second replica (its PodDisruptionBudget lets a drain take one at a time). A release of a
  plan from before ComputeClasses selects its pool by name (``cloud.google.com/gke-nodepool``).
- **A fallback pool** (priority 2 or later) runs the version's pods only after the priorities
  before it could not add a node (a Spot stock-out), until active migration moves them back. The
  plan cannot see where the pods run now, so a fallback replaced, deleted or recreated under a
  serving version is a finding too, whose fix says how to check (``nimctl doctor`` names each pod's
  priority) before acknowledging it.

A version "serves" when the plan before gives it a share of its model above 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nimctl.plan.flat import Change, changes
from nimctl.plan.safety import pools, releases
from nimctl.plan.safety.findings import ROLLOUTS_DOC, TITLES, Finding, PoolChange
from nimctl.plan.safety.versions import RELEASE_TYPE, changes_pod, versions
from nimgke.node_pool_changes import NODE_POOL_TYPE

__all__ = ["ROLLOUTS_DOC", "TITLES", "Finding", "PoolChange", "Report", "changes_pod", "check"]


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    pools: list[PoolChange]

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": [asdict(f) for f in self.findings],
            "nodePools": [asdict(p) for p in self.pools],
        }


def check(base: dict[str, Any], head: dict[str, Any], d: dict[str, Any]) -> Report:
    """The findings of diff ``d`` from plan ``base`` to plan ``head`` (both of one stack)."""
    before, after = versions(base), versions(head)
    by_resource: dict[str, list[Change]] = {}
    for c in changes(d):
        if c.resource is not None:
            by_resource.setdefault(c.resource, []).append(c)
    findings: list[Finding] = []
    changed_pools: list[PoolChange] = []
    restarted = {
        key
        for key, found in by_resource.items()
        if found[0].type == RELEASE_TYPE and any(changes_pod(c.path) for c in found)
    }
    for key, found in by_resource.items():
        first = found[0]
        if first.type == RELEASE_TYPE:
            findings += releases.findings(key, found, before, after)
        elif first.type == NODE_POOL_TYPE:
            pool = pools.findings(key, found, base, before, after, restarted)
            if pool is not None:
                changed_pools.append(pool[0])
                findings += pool[1]
    return Report(findings, changed_pools)
