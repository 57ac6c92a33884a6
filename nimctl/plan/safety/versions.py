"""What the two plans say about each version (Helm release): its model and share (the ``rollout``
output), its values and workload (:mod:`nimgke.helm_values`), where its pods run (its node
selector, the ComputeClass's priorities), and which of its inputs a change of restarts the pod or
touches what a StatefulSet never updates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimctl.doctor.kube import DEFAULT_NAMESPACE
from nimctl.plan.document import key_of
from nimgke import compute_class
from nimgke.helm_values import is_deployment, min_replicas

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CLASS_TYPE = f"kubernetes:{compute_class.API_VERSION}:{compute_class.KIND}"
POOL_LABEL = "cloud.google.com/gke-nodepool"

NOT_POD = (
    "values.autoscaling",
    "values.replicaCount",
    "values.service",
    "values.metrics",
    "values.persistence.size",
    "values.persistence.storageClass",
    "values.persistence.annotations",
    "values.persistence.stsPersistentVolumeClaimRetentionPolicy",
)
"""Release values that change no pod template: the HPA, the replica count, the Service, the
metrics scrape, the claim's size, class, annotations and retention (nim-llm 1.3.0 renders the
``persistence`` ones only into ``volumeClaimTemplates`` or its PersistentVolumeClaim,
templates/deployment.yaml and templates/pvc.yaml; the pod names the claim, not its class). A test
renders the real chart to hold this list to it."""
POD_INPUTS = ("version", "chart", "values")
"""Release inputs that change the pod: the chart (its version) and its values (but NOT_POD)."""

STATEFULSET_FIXED = (
    "version",
    "values.persistence.size",
    "values.persistence.storageClass",
    "values.persistence.annotations",
    "values.service.name",
    "values.model.labels",
)
"""Release inputs that the chart renders into a StatefulSet's spec outside what Kubernetes lets
an update change. The API server refuses any other change of a StatefulSet's spec: "updates to
statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy',
'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
(kubernetes/kubernetes@2dd1588c490775be7cd90d0afc59c6dcef07032a:
pkg/apis/apps/validation/validation.go, ``ValidateStatefulSetUpdate``). nim-llm 1.3.0
(templates/deployment.yaml) renders ``persistence.size``, ``storageClass`` and ``annotations``
into ``volumeClaimTemplates``, whose labels carry the chart's version (``helm.sh/chart``,
templates/_helpers.tpl ``nim-llm.labels``); ``service.name`` into ``serviceName``;
``model.labels`` into the ``selector``. (``accessMode`` goes there too, but changing it switches
the workload to a Deployment: the StatefulSet is deleted, not updated.) A test renders the real
chart to hold this list to it."""


def touches(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether input path ``path`` is one of ``prefixes`` or inside one."""
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in prefixes)


def changes_pod(path: str) -> bool:
    """Whether a change of a Helm release's input at ``path`` changes its pod template."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    return top in POD_INPUTS and not touches(path, NOT_POD)


@dataclass(frozen=True)
class Version:
    release: str
    model: str | None
    weight: int
    values: dict[str, Any]
    waits: bool
    """Helm waits for Ready pods (``skipAwait`` false)."""
    namespace: str

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

    def runs_on(self, pool: str, place: Place | None) -> bool:
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
class Place:
    """Where a node pool stands in a ComputeClass."""

    compute_class: str
    priority: int
    """From 1; 2 and later are fallbacks."""

    @property
    def fallback(self) -> bool:
        return self.priority > 1


def places(doc: dict[str, Any]) -> dict[str, Place]:
    """Each node pool (its GKE name) a ComputeClass of ``doc`` names, with its priority."""
    out: dict[str, Place] = {}
    for r in doc["resources"]:
        if r["type"] != CLASS_TYPE:
            continue
        name = str((r["inputs"].get("metadata") or {}).get("name"))
        rules = (r["inputs"].get("spec") or {}).get("priorities") or []
        for index, rule in enumerate(rules, 1):
            for pool in rule.get("nodepools") or []:
                out[pool] = Place(name, index)
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


def versions(doc: dict[str, Any]) -> dict[str, Version]:
    """Each Helm release of ``doc``, by its resource (URN without the stack)."""
    weights = _weights(doc)
    out = {}
    for r in doc["resources"]:
        if r["type"] == RELEASE_TYPE:
            name = r["inputs"].get("name", r["name"])
            model, weight = weights.get(name, (None, 0))
            values = r["inputs"].get("values")
            out[key_of(r["urn"])] = Version(
                name,
                model,
                weight,
                values if isinstance(values, dict) else {},
                r["inputs"].get("skipAwait") is False,
                str(r["inputs"].get("namespace", DEFAULT_NAMESPACE)),
            )
    return out
