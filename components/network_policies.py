"""Namespace-wide NetworkPolicies: deny by default, allow DNS and the HTTPS egress NIM needs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

TYPE = "nim-gke:k8s:NamespacePolicies"
METADATA_SERVER = "169.254.169.254/32"
# The GKE metadata server (Workload Identity tokens, project and cluster attributes) as a
# NetworkPolicy sees it: 169.254.169.254:80 under Dataplane V2 and the DNAT'd 169.254.169.252:988
# under the older Calico dataplane (GKE's Workload Identity page, "network policy" limitation:
# allow 169.254.169.252/32 port 988, and 169.254.169.254/32 port 80 on Dataplane V2). Allowing
# both is safe on either dataplane.
METADATA_EGRESS = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))


def metadata_server_egress() -> list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict]:
    """Egress rules that let the selected pods reach the GKE metadata server (and nothing else)."""
    return [
        {"to": [{"ip_block": {"cidr": cidr}}], "ports": [{"protocol": "TCP", "port": port}]}
        for cidr, port in METADATA_EGRESS
    ]


@dataclass(frozen=True, kw_only=True)
class NamespacePoliciesArgs:
    namespace: pulumi.Input[str]


class NamespacePolicies(pulumi.ComponentResource):
    """Default deny for every pod in the namespace, then the two egress paths NIM needs:
    cluster DNS, and HTTPS to NGC (nvcr.io, api.ngc.nvidia.com and its CDN) but not the metadata
    server. Pods that need the metadata server get their own allow policy from the component
    that needs it (the shared model cache's, :mod:`components.shared_cache`)."""

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
