"""Namespace-wide NetworkPolicies: deny by default, allow DNS and the HTTPS egress NIM needs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

TYPE = "nim-gke:k8s:NamespacePolicies"
METADATA_SERVER = "169.254.169.254/32"


@dataclass(frozen=True, kw_only=True)
class NamespacePoliciesArgs:
    namespace: pulumi.Input[str]


class NamespacePolicies(pulumi.ComponentResource):
    """Default deny for every pod in the namespace, then the two egress paths NIM needs:
    cluster DNS, and HTTPS to NGC (nvcr.io, api.ngc.nvidia.com and its CDN) but not the node
    metadata server."""

    def __init__(
        self, name: str, args: NamespacePoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        deny: k8s.networking.v1.NetworkPolicySpecArgsDict = {
            "pod_selector": {},
            "policy_types": ["Ingress", "Egress"],
        }
        egress: k8s.networking.v1.NetworkPolicySpecArgsDict = {
            "pod_selector": {},
            "policy_types": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespace_selector": {
                                "match_labels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except_": [METADATA_SERVER]}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        }
        for policy, spec in (("default-deny", deny), ("allow-dns-and-ngc-egress", egress)):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy}",
                metadata={"name": policy, "namespace": args.namespace},
                spec=spec,
                opts=child,
            )
        self.register_outputs({})
