"""The endpoint's reach (clients in other regions) and how long a stream survives its backend.

- ``gke-l7-rilb`` is a regional internal load balancer: clients in other regions need a
  ``GCPGatewayPolicy`` with ``spec.default.allowGlobalAccess: true`` targeting the Gateway
  (GoogleCloudPlatform/gke-gateway-api apis/networking/v1/gcpgatewaypolicy_types.go; the CRD as
  published: ../shared/reference/crds/networking.gke.io_gcpgatewaypolicies.yaml, fc40d606).
- The nim-llm 1.3.0 templates fix the pod's terminationGracePeriodSeconds at 60
  (templates/deployment.yaml): connection draining longer than that cannot keep a stream alive.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.gateway import ModelGateway, ModelGatewayArgs
from tests.conftest import FAKE_NGC_KEY, resolve, run_program, stack_config, unwrap
from tests.schemas import crds

POLICY = "kubernetes:networking.gke.io/v1:GCPGatewayPolicy"


def build(mocks, **overrides: Any) -> None:
    args = dict(
        project="p",
        region="us-central1",
        subnetwork="subnet",
        address_name="nim-prod-nim-gateway",
        namespace="nim",
        proxy_subnet_cidr="10.129.0.0/23",
        routes=[],
    )
    args.update(overrides)
    ModelGateway("gateway", ModelGatewayArgs(**args))
    resolve(lambda: None)


def test_global_access_is_a_gcpgatewaypolicy_on_the_gateway(mocks):
    build(mocks, global_access=True)
    (policy,) = mocks.of_type(POLICY)
    assert unwrap(policy.inputs) == {
        "apiVersion": "networking.gke.io/v1",
        "kind": "GCPGatewayPolicy",
        "metadata": {"name": "nim-internal", "namespace": "nim"},
        "spec": {
            "targetRef": {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": "nim-internal",
            },
            "default": {"allowGlobalAccess": True},
        },
    }
    deps = mocks.options["gateway-global-access"]["dependencies"]
    assert any(d.endswith("::gateway-gateway") for d in deps)


def test_no_policy_without_global_access(mocks):
    build(mocks)
    assert mocks.of_type(POLICY) == []


def test_the_policy_passes_the_published_crd(mocks):
    crds.require_crds()
    build(mocks, global_access=True)
    (policy,) = mocks.of_type(POLICY)
    obj = json.loads(json.dumps(unwrap(policy.inputs)))
    crd = crds.crds()[("networking.gke.io/v1", "GCPGatewayPolicy")]
    verdict = crds.check(obj, crd)
    assert (verdict.errors, verdict.unevaluated) == ([], [])
    # The schema bites: a misspelled field is refused.
    obj["spec"]["default"] = {"allowGlobalAcess": True}
    assert crds.check(obj, crd).errors


@pytest.mark.parametrize(("setting", "created"), [(None, 0), (False, 0), (True, 1)])
def test_prod_creates_the_policy_only_when_asked(setting, created):
    gateway = json.loads(stack_config("prod")["nim-gke:gateway"])
    if setting is not None:
        gateway["globalAccess"] = setting
    config = stack_config("prod", **{"nim-gke:gateway": gateway, "nim-gke:ngcApiKey": FAKE_NGC_KEY})
    run = run_program("prod", config, ["nim-gke:ngcApiKey"])
    assert len(run.mocks.of_type(POLICY)) == created
