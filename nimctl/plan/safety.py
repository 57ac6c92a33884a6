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
- **A pod change without a surge or a second replica** (``pod-restart``). The chart's StatefulSet
  deletes its pod before the new one starts; a Deployment (over the shared cache) starts the new
  one first (Kubernetes' RollingUpdate defaults, :func:`nimgke.helm_values.deployment_rollout`);
  a StatefulSet of two replicas or more replaces one at a time. A change of the workload's kind
  (the cache switched) deletes the old workload as the new one is created.
- **A GPU pool replaced, or its nodes recreated, under a serving version** (``pool-replaced``,
  ``nodes-recreated``; :mod:`nimgke.node_pool_changes`). A version's pods select its ComputeClass
  (``cloud.google.com/compute-class``), whose priorities are node pools (the plan's ComputeClass
  object, ``spec.priorities[].nodepools``): every pool of the class is under the version. A
  replaced pool gets a new name in the class, not in the release, so nothing moves the pods: GKE
  drains the old pool when Pulumi deletes it (last in an update), without honouring
  PodDisruptionBudgets (cloud.google.com/kubernetes-engine/docs/concepts/node-pools, "Deleting
  node pools"). Only a Deployment whose release waits and whose pod changes in the same update
  surges first: its new pod can only go where the class now points (the new pool; the old one's
  GPU nodes are taken) and Helm waits for it before the deletion. Recreated nodes are drained one
  by one: a version keeps serving only with a second replica (its PodDisruptionBudget lets a drain
  take one at a time). A release of a plan from before ComputeClasses selects its pool by name
  (``cloud.google.com/gke-nodepool``).
- **A fallback pool** (priority 2 or later) runs the version's pods only after the priorities
  before it could not add a node (a Spot stock-out), until active migration moves them back. The
  plan cannot see where the pods run now, so a fallback replaced or recreated under a serving
  version is a finding too, whose fix says how to check (``nimctl doctor`` names each pod's
  priority) before acknowledging it.

A version "serves" when the plan before gives it a share of its model above 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nimctl.mock_engine import node_pool_name
from nimctl.plan.document import key_of
from nimctl.plan.flat import Change, changes
from nimctl.plan.paths import show
from nimgke import compute_class
from nimgke.helm_values import is_deployment, min_replicas
from nimgke.node_pool_changes import NODE_POOL_TYPE, REPLACED, effect, pool_effect

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CLASS_TYPE = f"kubernetes:{compute_class.API_VERSION}:{compute_class.KIND}"
POOL_LABEL = "cloud.google.com/gke-nodepool"
ROLLOUTS_DOC = "docs/rollouts.md"

TITLES = {
    "weighted-backend-removed": "a backend that carries weight is removed with its release",
    "weight-before-ready": "weight given to a version before it has a ready pod",
    "pod-restart": "a serving version's pod changes without a surge or a second replica",
    "pool-replaced": "a GPU node pool is replaced under a serving version",
    "nodes-recreated": "a GPU node pool's nodes are recreated under a serving version",
}
"""Each kind of finding, as the text names it (the kinds are stable identifiers)."""

NOT_POD = (
    "values.autoscaling",
    "values.replicaCount",
    "values.service",
    "values.metrics",
    "values.persistence.size",
    "values.persistence.stsPersistentVolumeClaimRetentionPolicy",
)
"""Release values that change no pod template: the HPA, the replica count, the Service, the
metrics scrape, the claim's size and retention."""
POD_INPUTS = ("version", "chart", "values")
"""Release inputs that change the pod: the chart (its version) and its values (but NOT_POD)."""


@dataclass(frozen=True)
class Finding:
    kind: str
    """One of :data:`TITLES`."""
    resource: str
    """The resource that changes (its URN without the stack)."""
    type: str
    name: str
    reason: str
    fix: str


@dataclass(frozen=True)
class PoolChange:
    """A node pool the edit replaces or whose nodes it recreates."""

    resource: str
    name: str
    effect: str
    """:data:`~nimgke.node_pool_changes.REPLACED` or :data:`~nimgke.node_pool_changes.RECREATED`."""
    changes: list[str]
    """``path: before => after`` of each input that does it."""
    cost: str
    versions: list[str]
    """The serving versions on the pool (on any pool of their ComputeClass), with their share."""
    computeClass: str | None  # noqa: N815 - the JSON field's name
    """The ComputeClass whose priority the pool is, if any."""
    priority: int | None
    """Its place in the class's priorities, from 1 (2 and later: a fallback)."""


# --- what the plans say about each version ------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    release: str
    model: str | None
    weight: int
    values: dict[str, Any]
    waits: bool
    """Helm waits for Ready pods (``skipAwait`` false)."""

    @property
    def selector(self) -> dict[str, Any]:
        selector = self.values.get("nodeSelector")
        return selector if isinstance(selector, dict) else {}

    @property
    def pool(self) -> str | None:
        """The node pool it selects by name (a plan from before ComputeClasses)."""
        return self.selector.get(POOL_LABEL)

    @property
    def compute_class(self) -> str | None:
        return self.selector.get(compute_class.LABEL)

    def runs_on(self, pool: str, place: _Place | None) -> bool:
        """Whether its pods may run on node pool ``pool`` (its GKE name)."""
        if place is not None and self.compute_class == place.compute_class:
            return True
        return self.pool == pool

    def share(self) -> str:
        return f"{self.weight} % of {self.model}'s requests"

    def workload(self) -> str:
        kind = "Deployment" if is_deployment(self.values) else "StatefulSet"
        n = min_replicas(self.values)
        if n == 0:  # monitoring.hpa.minReplicas 0: the HPA wakes it to one (docs/autoscaling.md)
            return f"{kind}, 1 replica while awake (0 asleep)"
        return f"{kind}, {n} replica{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class _Place:
    """Where a node pool stands in a ComputeClass."""

    compute_class: str
    priority: int
    """From 1; 2 and later are fallbacks."""

    @property
    def fallback(self) -> bool:
        return self.priority > 1


def _places(doc: dict[str, Any]) -> dict[str, _Place]:
    """Each node pool (its GKE name) a ComputeClass of ``doc`` names, with its priority."""
    out: dict[str, _Place] = {}
    for r in doc["resources"]:
        if r["type"] != CLASS_TYPE:
            continue
        name = str((r["inputs"].get("metadata") or {}).get("name"))
        rules = (r["inputs"].get("spec") or {}).get("priorities") or []
        for index, rule in enumerate(rules, 1):
            for pool in rule.get("nodepools") or []:
                out[pool] = _Place(name, index)
    return out


def _weights(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """release -> (model, percent of the model's requests), from the ``rollout`` output."""
    rollout = doc["outputs"].get("rollout")
    out: dict[str, tuple[str, int]] = {}
    if isinstance(rollout, dict):
        for model, shares in rollout.items():
            for release, weight in (shares or {}).items():
                out[release] = (model, int(weight))
    return out


def _versions(doc: dict[str, Any]) -> dict[str, _Version]:
    """Each Helm release of ``doc``, by its resource (URN without the stack)."""
    weights = _weights(doc)
    out = {}
    for r in doc["resources"]:
        if r["type"] == RELEASE_TYPE:
            name = r["inputs"].get("name", r["name"])
            model, weight = weights.get(name, (None, 0))
            values = r["inputs"].get("values")
            out[key_of(r["urn"])] = _Version(
                name,
                model,
                weight,
                values if isinstance(values, dict) else {},
                r["inputs"].get("skipAwait") is False,
            )
    return out


def changes_pod(path: str) -> bool:
    """Whether a change of a Helm release's input at ``path`` changes its pod template."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    if top not in POD_INPUTS:
        return False
    return not any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in NOT_POD)


def _line(c: Change) -> str:
    if c.change == "added":
        return f"{c.path}: (none) => {show(c.after)}"
    if c.change == "removed":
        return f"{c.path}: {show(c.before)} => (none)"
    return f"{c.path}: {show(c.before)} => {show(c.after)}"


# --- the check -----------------------------------------------------------------------------------


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
    before, after = _versions(base), _versions(head)
    by_resource: dict[str, list[Change]] = {}
    for c in changes(d):
        if c.resource is not None:
            by_resource.setdefault(c.resource, []).append(c)
    findings: list[Finding] = []
    pools: list[PoolChange] = []
    restarted = {
        key
        for key, found in by_resource.items()
        if found[0].type == RELEASE_TYPE and any(changes_pod(c.path) for c in found)
    }
    for key, found in by_resource.items():
        first = found[0]
        if first.type == RELEASE_TYPE:
            findings += _release(key, found, before, after)
        elif first.type == NODE_POOL_TYPE:
            pool = _pool(key, found, base, before, after, restarted)
            if pool is not None:
                pools.append(pool[0])
                findings += pool[1]
    return Report(findings, pools)


def _release(
    key: str, found: list[Change], before: dict[str, _Version], after: dict[str, _Version]
) -> list[Finding]:
    c = found[0]
    at = {"resource": key, "type": c.type, "name": c.name}
    if c.path == "" and c.change == "removed":
        v = before.get(key)
        if v is None or v.weight <= 0:
            return []
        return [
            Finding(
                "weighted-backend-removed",
                **at,
                reason=(
                    f"release {v.release} still takes {v.share()} and is removed in the same "
                    "update that moves them: Pulumi changes the route (or the model's Service) "
                    "and deletes the release seconds later, before the traffic has left it "
                    "(nothing waits for the load balancer to be reprogrammed, nor for connections "
                    "open to its pods), so requests in flight there, and new ones routed there "
                    "meanwhile, fail"
                ),
                fix=(
                    "set its weight to 0 first (one `pulumi up`) and remove it in a later update "
                    f"(the roll back of {ROLLOUTS_DOC}, 'Walk-through (prod)'); a new tag for the "
                    "model's own version goes out as a canary, promoted in two edits (the same "
                    "walk-through)"
                ),
            )
        ]
    if c.path == "" and c.change == "added":
        v = after.get(key)
        # A new model has no clients yet; a model that served before moves their requests.
        served = any(o.model == v.model and o.weight > 0 for o in before.values()) if v else False
        if v is None or v.weight <= 0 or v.waits or not served:
            return []
        return [
            Finding(
                "weight-before-ready",
                **at,
                reason=(
                    f"release {v.release} gets {v.share()} in the update that creates it, and "
                    "nothing waits for its pod to be Ready (without a Gateway the release does "
                    "not wait): those requests fail until it has started (a cold start, "
                    "docs/startup.md)"
                ),
                fix=(
                    "create it at weight 0, and give it its weight in a later update once "
                    f"`nimctl doctor --release {v.release}` finds it ready"
                ),
            )
        ]
    pod = [x for x in found if changes_pod(x.path)]
    old, new = before.get(key), after.get(key)
    if not pod or old is None or new is None or old.weight <= 0:
        return []
    shown = ", ".join(_line(x) for x in pod[:3]) + (
        f" (+{len(pod) - 3} more)" if len(pod) > 3 else ""
    )
    replicas = min_replicas(new.values)
    if is_deployment(old.values) != is_deployment(new.values):
        was, now = ("Deployment", "StatefulSet")
        if is_deployment(new.values):
            was, now = now, was
        why = (
            f"release {old.release}, which takes {old.share()}, changes from a {was} to a {now} "
            f"({shown}): Helm deletes the {was} and its pods as it creates the {now}, whose pods "
            "then start cold while the model's share still goes there"
        )
    elif is_deployment(new.values):
        # Whatever replicas run (the HPA's, from its minimum up), Kubernetes' defaults surge one
        # pod or more and keep all but a quarter (deployment_rollout): the old pods serve until
        # new ones are Ready.
        return []
    elif min_replicas(old.values) >= 2 and replicas >= 2:
        return []  # one replica at a time, the others serve
    else:
        why = (
            f"release {old.release}, which takes {old.share()}, changes its pod ({shown}) and runs "
            f"as a {old.workload()}: the pod is deleted before its replacement starts, so its "
            "share of requests fails for a cold start (docs/startup.md: minutes, up to the "
            "startup budget of ~31 min)"
        )
    fix = (
        "the cache is the stack's: no edit switches it without this restart; switch it when the "
        "model may be down for a cold start, and acknowledge this finding"
        if is_deployment(old.values) != is_deployment(new.values)
        else "give the model the shared cache (nim.sharedCache.enabled: its versions surge) or "
        "replicas: 2 first, or make the change a new version on greenPool (a canary with pool: "
        f"green, moved to by weight) ({ROLLOUTS_DOC}, 'Serving through changes')"
    )
    return [Finding("pod-restart", **at, reason=why, fix=fix)]


def _pool(
    key: str,
    found: list[Change],
    base: dict[str, Any],
    before: dict[str, _Version],
    after: dict[str, _Version],
    restarted: set[str],
) -> tuple[PoolChange, list[Finding]] | None:
    """The node pool change of resource ``key`` and its findings; ``restarted``: the releases
    whose pod the same update changes."""
    paths = [c.path for c in found]
    outcome = pool_effect(paths)
    if outcome is None:
        return None
    name = found[0].name
    pool_name = node_pool_name(name)
    place = _places(base).get(pool_name)
    serving = {k: v for k, v in before.items() if v.runs_on(pool_name, place) and v.weight > 0}
    inputs: dict[str, Any] = next(
        (r["inputs"] for r in base["resources"] if key_of(r["urn"]) == key), {}
    )
    pool = PoolChange(
        key,
        name,
        outcome,
        [_line(c) for c in found if effect(c.path)],
        _cost(outcome, inputs),
        [f"{v.release} ({v.share()}; {v.workload()})" for v in serving.values()],
        place.compute_class if place else None,
        place.priority if place else None,
    )
    at = {"resource": key, "type": NODE_POOL_TYPE, "name": name}
    changes = ", ".join(pool.changes)
    findings = []
    for release_key, v in serving.items():
        now = after.get(release_key, v)
        where = _where(v, place)
        # A fallback runs pods only while the priorities before it have no node to give.
        fallback = place is not None and place.fallback and v.pool != pool_name
        check = (
            f"apply it while no pod of release {v.release} runs on node pool {name} (`nimctl "
            f"doctor --release {v.release}` names the priority each pod got) and acknowledge "
            "this finding, or "
            if fallback
            else ""
        )
        if outcome == REPLACED:
            moved = release_key in restarted and now.waits and is_deployment(now.values)
            if moved:
                continue  # Helm surges it onto the new pool before Pulumi deletes the old one
            findings.append(
                Finding(
                    "pool-replaced",
                    **at,
                    reason=(
                        f"node pool {name} is replaced ({changes}) while release {v.release} "
                        f"serves {v.share()} {where} as a {now.workload()}"
                        + _not_moved(now, release_key in restarted, v.compute_class)
                        + f": {'any of its pods there' if fallback else 'its pods'} go with the "
                        "old pool before new ones are Ready on the new pool, a cold start without "
                        "a server"
                    ),
                    fix=check + POOL_FIX,
                )
            )
        elif min_replicas(now.values) < 2:
            findings.append(
                Finding(
                    "nodes-recreated",
                    **at,
                    reason=(
                        f"every node of pool {name} is recreated ({changes}) while release "
                        f"{v.release} serves {v.share()} {where} as a {now.workload()}: "
                        f"{'if its pod runs there, ' if fallback else ''}GKE drains its node and "
                        "the pod starts again on another, a cold start without a server"
                    ),
                    fix=check + RECREATE_FIX,
                )
            )
    return pool, findings


POOL_FIX = (
    "move the model first: declare the new machines as greenPool, run a version there and move "
    f"the weight ({ROLLOUTS_DOC}, 'Blue/green onto other machines'); replace the pool once nothing "
    "serves on it"
)
RECREATE_FIX = (
    "run a second replica while the nodes are recreated (replicas: 2: its PodDisruptionBudget "
    f"lets a drain take one at a time), or move the model to greenPool first ({ROLLOUTS_DOC}, "
    "'Blue/green onto other machines')"
)


def _where(v: _Version, place: _Place | None) -> str:
    """Where ``v`` serves, seen from a node pool of its ComputeClass (or the pool it names)."""
    if place is None or not place.fallback or v.pool is not None:
        return "on it"
    return (
        f"through ComputeClass {place.compute_class}, whose priority {place.priority} it is (a "
        "fallback: the pods run there only after the priorities before it could not add a node, "
        "which the plan cannot see)"
    )


def _not_moved(v: _Version, pod_changes: bool, selected_class: str | None) -> str:
    """Why a replaced pool's pods are not moved before it goes ('' when the workload says it: a
    StatefulSet replaces a pod by deleting it first)."""
    if not v.waits:
        return " whose release does not wait for Ready pods"
    if not pod_changes and selected_class is not None:
        return (
            f" whose pod does not change in this update (it selects ComputeClass {selected_class}, "
            "not the pool: nothing moves it before GKE deletes the old pool, which honours no "
            "PodDisruptionBudget)"
        )
    return ""


def _cost(outcome: str, inputs: dict[str, Any]) -> str:
    auto = inputs.get("autoscaling") or {}
    most = auto.get("totalMaxNodeCount")
    accel = (inputs.get("nodeConfig") or {}).get("guestAccelerators") or []
    gpus = f"{accel[0].get('count', 1)} x {accel[0].get('type')} per node" if accel else "no GPU"
    if outcome == REPLACED:
        return (
            f"two pools until the old one is deleted: up to {most} nodes each ({gpus}), so twice "
            "the pool's GPU quota for a while; every pod on the old pool is evicted"
        )
    return (
        f"one surge node at a time ({gpus}, quota for one more node); every pod on the pool is "
        f"evicted once, node by node (up to {most} nodes)"
    )
