"""What an upgrade of the real nim-llm chart can change, rendered with ``helm template``: which
release inputs reach a StatefulSet's spec outside what Kubernetes lets an update change (the
rollout safety check's ``statefulset-update-refused``), and that the pods get no preStop hook (the
rollouts doc's bound of each event). Needs helm and the chart (``tests/helm_env.py``).

- The API server refuses any change of a StatefulSet's spec but "'replicas', 'ordinals',
  'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"
  (kubernetes/kubernetes@2dd1588c490775be7cd90d0afc59c6dcef07032a:
  pkg/apis/apps/validation/validation.go, ``ValidateStatefulSetUpdate``).
- With container-native load balancing a pod's SIGTERM races its removal from the network
  endpoint group, and requests sent to it meanwhile get 502/503; Google's remedy is a preStop
  sleep (cloud.google.com/knowledge/kb/502-503-errors-on-external-http-s-load-balancer-000006416).
  nim-llm 1.3.0's templates give the container no ``lifecycle`` and no value sets one, so the
  stack cannot add it: docs/rollouts.md states the window instead.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from nimctl import chart
from nimctl.plan.safety.versions import STATEFULSET_FIXED, changes_pod
from tests.test_chart_render import CHART, HELM, rendered

pytestmark = pytest.mark.helm

UPDATABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
"""The StatefulSet spec fields an update may change (ValidateStatefulSetUpdate)."""

EDITS: dict[str, Any] = {
    "persistence.size": "80Gi",
    "persistence.storageClass": "premium-rwo",
    "persistence.annotations": {"example.com/owner": "ml"},
    "service.name": "another-name",
    "model.labels": {"example.com/tier": "serving"},
    # Inputs the safety check counts as updatable (or as pod changes, which a StatefulSet takes):
    "persistence.stsPersistentVolumeClaimRetentionPolicy": {
        "whenDeleted": "Delete",
        "whenScaled": "Delete",
    },
    "replicaCount": 2,
    "image.tag": "1.1.2",
    "resources.requests.cpu": "4",
    "env": [{"name": "NIM_MODEL_PROFILE", "value": "my-profile"}],
    "nodeSelector": {"cloud.google.com/compute-class": "nim-green"},
    "service.openaiPort": 8001,
}
"""A new value for each release value the test tries (dotted paths under ``values``)."""


def _set(values: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(values)
    node = out
    *parents, last = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return out


def _statefulset(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (sts,) = chart.workloads(docs)
    assert sts["kind"] == "StatefulSet"
    return sts


def _fixed(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered StatefulSet's spec without what an update may change."""
    return {k: v for k, v in _statefulset(docs)["spec"].items() if k not in UPDATABLE}


def _pod_template(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The rendered StatefulSet's pod template: a change of it replaces the pods."""
    return dict(_statefulset(docs)["spec"]["template"])


def test_the_values_that_reach_a_statefulsets_fixed_spec_are_the_ones_the_check_lists():
    """dev's release (a disk per replica: the chart's StatefulSet), each value of EDITS changed
    alone: exactly the safety check's STATEFULSET_FIXED values change the spec an update may not
    touch, and the pod template changes exactly when the check's ``changes_pod`` says so (a
    ``pod-restart`` finding for a value that reaches only the claim template would be false)."""
    (rel, docs), *_ = rendered("dev")
    base, base_pod = _fixed(docs), _pod_template(docs)
    fixed = set()
    for path, value in EDITS.items():
        values = _set(rel["values"], path, value)
        assert values != rel["values"], f"{path}: the edit must change dev's value"
        docs = chart.template(HELM, rel["name"], CHART, rel["namespace"], values)
        if _fixed(docs) != base:
            fixed.add(f"values.{path}")
        assert (_pod_template(docs) != base_pod) == changes_pod(f"values.{path}"), path
    assert fixed == {p for p in STATEFULSET_FIXED if p.startswith("values.")}


def test_the_chart_version_is_in_the_claim_templates_labels():
    """``version`` (the chart's) is in STATEFULSET_FIXED because nim-llm renders its
    ``helm.sh/chart`` label into the volume claim template (templates/_helpers.tpl
    ``nim-llm.labels``): a new chart version changes the fixed spec."""
    assert "version" in STATEFULSET_FIXED
    (rel, docs), *_ = rendered("dev")
    (sts,) = chart.workloads(docs)
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["labels"]["helm.sh/chart"] == f"nim-llm-{rel['version']}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_chart_gives_the_pod_no_pre_stop_hook(stack):
    """No container of a rendered NIM pod has a ``lifecycle``, and no template of the chart
    writes one: nothing delays SIGTERM until the load balancer has let go of the pod, so
    docs/rollouts.md's bound of each event counts a window of failed requests per removed pod."""
    for _, docs in rendered(stack):
        for workload in chart.workloads(docs):
            spec = chart.pod_spec(workload) or {}
            for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                assert "lifecycle" not in container, container["name"]
    templates = sorted((CHART / "templates").glob("*.yaml"))
    assert templates
    for path in templates:
        text = path.read_text()
        assert "lifecycle" not in text and "preStop" not in text, path.name
