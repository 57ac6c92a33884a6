"""Every object the pinned nim-llm chart renders from each stack variant's Helm values, against
Kubernetes' schemas (strict, every minor in ``kube_schemas.KUBERNETES_VERSIONS``): the install's
objects and the chart's test hooks alike.

Renders with a real helm like ``tests/test_chart_render.py`` (``tests/helm_env.py``: skipped
without helm and the chart, failed instead in CI).
"""

from __future__ import annotations

import pytest

from nimctl import chart
from tests.helm_env import require_chart
from tests.schemas import kube_schemas, stack_objects

pytestmark = pytest.mark.helm
HELM, CHART = require_chart()

VARIANTS = tuple(stack_objects.VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_object_the_chart_renders_passes_its_schema(variant):
    failures: dict[str, list[str]] = {}
    kinds: set[str] = set()
    releases = stack_objects.releases(variant)
    assert releases
    for rel in releases:
        docs = chart.template(HELM, rel["name"], CHART, rel["namespace"], rel["values"])
        # A version on the shared cache is a Deployment (it surges), else a StatefulSet.
        kind = "Deployment" if rel["values"]["persistence"].get("existingClaim") else "StatefulSet"
        assert [d["kind"] for d in chart.workloads(docs)] == [kind], rel["name"]
        for doc in docs:
            result = kube_schemas.check(doc)
            assert result.schema == "kubernetes 1.33..1.37 (strict)", doc["kind"]
            kinds.add(doc["kind"])
            if result.errors:
                failures[f"{variant}: {rel['name']}: {doc['kind']} {doc['metadata']['name']}"] = (
                    result.errors
                )
    assert failures == {}
    # Rendered once, at helm's own Kubernetes version: the chart consults
    # .Capabilities.KubeVersion only in templates/ingress.yaml (nim-llm 1.3.0), and no stack
    # renders an Ingress, so the objects are the same on every minor checked.
    assert "Ingress" not in kinds
    assert {"Service", "ConfigMap", "Pod"} <= kinds
