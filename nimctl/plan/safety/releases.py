"""The findings of a Helm release (a version) the edit adds, removes or changes: its weight, its
pod, what its StatefulSet cannot take."""

from __future__ import annotations

from nimctl.plan.flat import Change
from nimctl.plan.safety.findings import ROLLOUTS_DOC, Finding, shown
from nimctl.plan.safety.versions import STATEFULSET_FIXED, Version, changes_pod, touches
from nimgke.config.versions import chart_fullname
from nimgke.helm_values import is_deployment, min_replicas

RESTART_FIX = (
    "give the model the shared cache (nim.sharedCache.enabled: its versions surge) or replicas: 2 "
    "first, or make the change a new version on greenPool (a canary with pool: green, moved to by "
    f"weight) ({ROLLOUTS_DOC}, 'Serving through changes')"
)
KIND_FIX = (
    "the cache is the stack's: no edit switches it without this restart; switch it when the "
    "model may be down for a cold start, and acknowledge this finding"
)


def findings(
    key: str, found: list[Change], before: dict[str, Version], after: dict[str, Version]
) -> list[Finding]:
    """The findings of release ``key``, whose changes are ``found``."""
    c = found[0]
    at = {"resource": key, "type": c.type, "name": c.name}
    if c.whole == "removed":
        v = before.get(key)
        return [] if v is None or v.weight <= 0 else [Finding(**at, **_removed(v))]
    if c.whole == "added":
        v = after.get(key)
        # A new model has no clients yet; a model that served before moves their requests.
        served = any(o.model == v.model and o.weight > 0 for o in before.values()) if v else False
        if v is None or v.weight <= 0 or v.waits or not served:
            return []
        return [Finding(**at, **_created_with_weight(v))]
    old, new = before.get(key), after.get(key)
    if old is None or new is None:
        return []
    out = [Finding(**at, **f) for f in _refused(old, new, found)]
    pod = [x for x in found if changes_pod(x.path)]
    down = _down(old, new, shown(pod)) if pod else None
    if down is None:
        return out
    if old.weight > 0:
        fix = KIND_FIX if is_deployment(old.values) != is_deployment(new.values) else RESTART_FIX
        why = f"release {old.release}, which takes {old.share()}, {down}"
        return [*out, Finding("pod-restart", **at, reason=why, fix=fix)]
    if new.weight > 0 and not new.waits:
        return [*out, Finding(**at, **_weight_onto_restart(new, down))]
    return out


def _removed(v: Version) -> dict[str, str]:
    return {
        "kind": "weighted-backend-removed",
        "reason": (
            f"release {v.release} still takes {v.share()} and is removed in the same "
            "update that moves them: Pulumi changes the route (or the model's Service) "
            "and deletes the release seconds later, before the traffic has left it "
            "(nothing waits for the load balancer to be reprogrammed, nor for connections "
            "open to its pods), so requests in flight there, and new ones routed there "
            "meanwhile, fail"
        ),
        "fix": (
            "set its weight to 0 first (one `pulumi up`) and remove it in a later update "
            f"(the roll back of {ROLLOUTS_DOC}, 'Walk-through (prod)'); a new tag for the "
            "model's own version goes out as a canary, promoted in two edits (the same "
            "walk-through)"
        ),
    }


def _created_with_weight(v: Version) -> dict[str, str]:
    return {
        "kind": "weight-before-ready",
        "reason": (
            f"release {v.release} gets {v.share()} in the update that creates it, and "
            "nothing waits for its pod to be Ready (without a Gateway the release does "
            "not wait): those requests fail until it has started (a cold start, "
            "docs/startup.md)"
        ),
        "fix": (
            "create it at weight 0, and give it its weight in a later update once "
            f"`nimctl doctor --release {v.release}` finds it ready"
        ),
    }


def _weight_onto_restart(v: Version, down: str) -> dict[str, str]:
    """A version on standby (weight 0) given weight in the update that restarts its pod: nothing
    waits for the new pod (no Gateway: the model's Service switches its selector at once)."""
    return {
        "kind": "weight-before-ready",
        "reason": (
            f"release {v.release} gets {v.share()} (it had none) in the update that {down}; "
            "nothing waits for the new pod (without a Gateway the release does not wait), and "
            "the model's Service switches to the version at once"
        ),
        "fix": (
            "change its pod at weight 0 first, and give it its weight in a later update once "
            f"`nimctl doctor --release {v.release}` finds it ready"
        ),
    }


def _down(old: Version, new: Version, changes: str) -> str | None:
    """How a pod change (``changes``) leaves version ``old`` without a ready pod for a while, or
    None when it keeps one (a Deployment surges; a StatefulSet of two replicas or more replaces
    one at a time). Read after "release X, which takes N %, ..." or "in the update that ..."."""
    if is_deployment(old.values) != is_deployment(new.values):
        was, now = ("Deployment", "StatefulSet")
        if is_deployment(new.values):
            was, now = now, was
        return (
            f"changes from a {was} to a {now} ({changes}): Helm deletes the {was} and its pods "
            f"as it creates the {now}, whose pods then start cold while the model's share still "
            "goes there"
        )
    if is_deployment(new.values):
        # Whatever replicas run (the HPA's, from its minimum up), Kubernetes' defaults surge one
        # pod or more and keep all but a quarter (deployment_rollout): the old pods serve until
        # new ones are Ready.
        return None
    if min_replicas(old.values) >= 2 and min_replicas(new.values) >= 2:
        return None  # one replica at a time, the others serve
    return (
        f"changes its pod ({changes}) and runs as a {old.workload()}: the pod is deleted before "
        "its replacement starts, so its share of requests fails for a cold start "
        "(docs/startup.md: minutes, up to the startup budget of ~31 min)"
    )


def _refused(old: Version, new: Version, found: list[Change]) -> list[dict[str, str]]:
    """A StatefulSet (before and after) whose spec outside what an update may change would
    change: the API server refuses the patch, so the Helm upgrade fails."""
    if is_deployment(old.values) or is_deployment(new.values):
        return []
    fixed = [c for c in found if touches(c.path, STATEFULSET_FIXED)]
    if not fixed:
        return []
    workload = chart_fullname(old.release)
    return [
        {
            "kind": "statefulset-update-refused",
            "reason": (
                f"release {old.release} runs as a StatefulSet, and this edit changes what the "
                f"chart renders into its volume claim template, service name or selector "
                f'({shown(fixed)}): Kubernetes refuses that update ("updates to statefulset '
                "spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden\"), so its Helm upgrade fails and `pulumi up` "
                "stops there with the StatefulSet and its pods as they were (and what waits on "
                "the release, its route or the model's Service, not updated)"
            ),
            "fix": (
                "keep the old value for a version that runs: a StatefulSet keeps the claim "
                "template it was created with (its disk grows in place instead: GKE volume "
                f"expansion of claim model-store-{workload}-0); or let Helm create the "
                f"StatefulSet anew: `kubectl -n {old.namespace} delete statefulset {workload} "
                "--cascade=orphan` "
                "right before `pulumi up` (its pods and claims stay; Kubernetes docs, 'Delete a "
                "StatefulSet')"
            ),
        }
    ]
