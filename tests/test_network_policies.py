"""Contract tests of the namespace NetworkPolicies: default deny, DNS and HTTPS egress only."""

from __future__ import annotations

from components.network_policies import NamespacePolicies, NamespacePoliciesArgs
from tests.conftest import resolve

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def policies(mocks) -> dict[str, dict]:
    NamespacePolicies("netpol", NamespacePoliciesArgs(namespace="nim"))
    resolve(lambda: None)
    return {r.inputs["metadata"]["name"]: r.inputs for r in mocks.of_type(NETPOL)}


def test_default_deny_selects_every_pod_both_directions(mocks):
    deny = policies(mocks)["default-deny"]
    assert deny["metadata"]["namespace"] == "nim"
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_egress_allows_only_cluster_dns_and_https_not_the_metadata_server(mocks):
    spec = policies(mocks)["allow-dns-and-ngc-egress"]["spec"]
    assert spec["podSelector"] == {} and spec["policyTypes"] == ["Egress"]
    dns, https = spec["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert https["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]
    assert https["ports"] == [{"protocol": "TCP", "port": 443}]


def test_policies_are_children_of_the_component(mocks):
    policies(mocks)
    children = {u.rsplit("::", 1)[1] for u in mocks.urns() if "NamespacePolicies$" in u}
    assert children == {"netpol-default-deny", "netpol-allow-dns-and-ngc-egress"}
