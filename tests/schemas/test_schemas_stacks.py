"""Every Kubernetes object the stacks create, against the schemas the API server applies.

Built-in kinds: Kubernetes' OpenAPI schemas for every minor the stacks can run on
(``kube_schemas.KUBERNETES_VERSIONS``), strict (an undeclared field is an error, so a field the
program misspells, or a Python name that did not become the manifest's, fails). Custom resources:
the real CRDs in ``../shared/reference/crds`` with their defaults and CEL rules (``crds.py``,
``cel_rules.py``). ``test_schemas_bite.py`` shows each check refusing a broken copy of a real
object; ``test_schemas_chart.py`` checks what the nim-llm chart renders from the same stacks.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import pytest

from tests.schemas import kube_schemas, stack_objects
from tests.schemas.crds import require_crds

require_crds()

VARIANTS = tuple(stack_objects.VARIANTS)
BUILTIN = "kubernetes 1.33..1.37 (strict)"
UNCHECKED = "unchecked"

# What each variant is there for: the kinds it must create, and what checks them.
EXPECTED: dict[str, dict[str, str]] = {
    "dev": {
        "Namespace": BUILTIN,
        "Secret": BUILTIN,
        "NetworkPolicy": BUILTIN,
        "Service": BUILTIN,
        "PodMonitoring": "CRD monitoring.googleapis.com_podmonitorings.yaml",
        "CronJob": BUILTIN,
        "ConfigMap": BUILTIN,
        "ServiceAccount": BUILTIN,
        "AutoscalingMetric": UNCHECKED,
        # No CRD to check it against (UNCHECKED_KINDS): tests/test_compute_class.py holds its
        # fields to GKE's CRD reference page instead.
        "ComputeClass": UNCHECKED,
    },
    "prod": {
        "PersistentVolume": BUILTIN,
        "PersistentVolumeClaim": BUILTIN,
        "ServiceAccount": BUILTIN,
        "AutoscalingMetric": UNCHECKED,
        "Gateway": "CRD gateway.networking.k8s.io_gateways.yaml",
        "HTTPRoute": "CRD gateway.networking.k8s.io_httproutes.yaml",
        "HealthCheckPolicy": "CRD networking.gke.io_healthcheckpolicies.yaml",
        "GCPBackendPolicy": "CRD networking.gke.io_gcpbackendpolicies.yaml",
    },
    "prod-canary": {"HTTPRoute": "CRD gateway.networking.k8s.io_httproutes.yaml"},
    "prod-shared-cache": {
        "PersistentVolume": BUILTIN,
        "PersistentVolumeClaim": BUILTIN,
        "PodDisruptionBudget": BUILTIN,
    },
    "prod-green-canary": {"HealthCheckPolicy": "CRD networking.gke.io_healthcheckpolicies.yaml"},
}


@cache
def checked(variant: str) -> list[tuple[stack_objects.StackObject, kube_schemas.Result]]:
    return [(o, kube_schemas.check(o.obj)) for o in stack_objects.objects(variant)]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_object_the_stack_creates_passes_its_schema(variant):
    results = checked(variant)
    failures = {o.where: r.errors for o, r in results if r.errors}
    assert failures == {}
    schemas: dict[str, set[str]] = defaultdict(set)
    for o, r in results:
        schemas[o.obj["kind"]].add(r.schema)
    assert {k: {v} for k, v in EXPECTED[variant].items()}.items() <= schemas.items()
    # Only the kinds UNCHECKED_KINDS names (with the reason) go unchecked by a schema.
    unchecked = {(o.obj["apiVersion"], o.obj["kind"]) for o, r in results if r.schema == UNCHECKED}
    assert unchecked <= set(kube_schemas.UNCHECKED_KINDS)


def test_the_variants_create_what_they_are_for():
    """Two versions behind the route (both canaries), one claim per release of the shared cache,
    the green canary's own policies: the variants are not copies of prod."""

    def names(variant: str, kind: str) -> list[str]:
        return sorted(
            o.obj["metadata"]["name"]
            for o in stack_objects.objects(variant)
            if o.obj["kind"] == kind
        )

    (route,) = [o.obj for o in stack_objects.objects("prod-canary") if o.obj["kind"] == "HTTPRoute"]
    assert [b["weight"] for b in route["spec"]["rules"][0]["backendRefs"]] == [90, 10]
    assert names("prod-shared-cache", "PersistentVolumeClaim") == ["llama3-8b-1-0-3-model-cache"]
    assert names("prod-green-canary", "HealthCheckPolicy") == [
        "llama3-8b-1-0-3-nim-llm",
        "llama3-8b-1-1-2-green-nim-llm",
    ]
    assert names("prod", "Gateway") == ["nim-internal"] and names("dev", "Gateway") == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_kubernetes_registration_is_a_named_object_of_its_type(variant):
    """What is checked is what Pulumi registers: each ``kubernetes:*`` resource's manifest has the
    apiVersion and kind of its type token (or the type is listed in NOT_OBJECTS), a name (so the
    provider does not auto-name it), and no status (the CRDs' date-time formats are only there)."""
    registered = [
        r for r in stack_objects.run(variant).mocks.resources if r.typ.startswith("kubernetes:")
    ]
    objects = stack_objects.objects(variant)
    assert len(objects) == len([r for r in registered if r.typ not in stack_objects.NOT_OBJECTS])
    for obj in objects:
        assert obj.where.split(" ")[1] == stack_objects.type_token(obj.obj), obj.where
        assert obj.obj["metadata"].get("name"), obj.where
        assert "status" not in obj.obj, obj.where
    assert {r.typ for r in registered} & set(stack_objects.NOT_OBJECTS)


def test_no_object_reaches_an_unevaluated_rule():
    """The CEL rules cel_rules.UNEVALUATED lists are not checked: no object may depend on one."""
    reached = {o.where: r.unevaluated for v in VARIANTS for o, r in checked(v) if r.unevaluated}
    assert reached == {}
