"""The Custom Metrics Stackdriver Adapter: serves Cloud Monitoring (Managed Prometheus) metrics to
the HPA through the ``custom.metrics.k8s.io`` and ``external.metrics.k8s.io`` aggregated APIs.

The objects are those of GoogleCloudPlatform/k8s-stackdriver
``custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml`` at
commit 673c7dd872a7d8b7c1a26c2af7cca7c33549efa0 (2026-08-18, "update custom-metrics-stackdriver-
adapter image to v0.16.9-gke.0"), recreated as Pulumi resources, with these changes and why:

- **Workload Identity, no node credentials.** The adapter reads Cloud Monitoring with
  ``google.DefaultTokenSource(..., monitoring.read)`` (adapter.go), i.e. Application Default
  Credentials, which on a GKE_METADATA node pool is the GKE metadata server's Workload Identity
  token for the pod's KSA. The stack makes a GCP service account with ``roles/monitoring.viewer``
  only, lets the KSA impersonate it (``roles/iam.workloadIdentityUser`` for
  ``serviceAccount:<project>.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]``)
  and annotates the KSA ``iam.gke.io/gcp-service-account``. Every node pool runs
  ``workload_metadata_config: GKE_METADATA`` (components/cluster.py), so a pod never sees the
  node's credentials: there is no fallback to the node service account.
- **Pod Security ``restricted``.** The upstream Deployment sets no securityContext and serves on
  443 (custom-metrics-apiserver ``NewSecureServingOptions``: "default is 443, which requires
  privileges", pkg/cmd/options/options_test.go at v1.35.0, the version the adapter's go.mod
  pins). Here it runs as UID 65532 (the distroless image has no USER, Dockerfile
  ``FROM gcr.io/distroless/static``), without privilege escalation or capabilities, with a
  read-only root filesystem, on ``--secure-port=8443``; the self-signed serving certificate goes
  to an emptyDir (``--cert-dir``, which genericapiserver's ``MaybeDefaultWithSelfSignedCerts``
  writes into). The Service keeps port 443, which the APIServices address.
- ``imagePullPolicy: IfNotPresent`` (upstream ``Always``) for a pinned tag.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.cluster import SYSTEM_POOL_LABEL
from components.network_policies import METADATA_EGRESS, metadata_server_egress

TYPE = "nim-gke:k8s:MetricsAdapter"
UPSTREAM = (
    "GoogleCloudPlatform/k8s-stackdriver@673c7dd872a7d8b7c1a26c2af7cca7c33549efa0 "
    "custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml"
)
IMAGE = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.16.9-gke.0"
NAMESPACE = "custom-metrics"
KSA = "custom-metrics-stackdriver-adapter"
APP_LABELS = {"run": KSA, "k8s-app": KSA}
SERVING_PORT = 8443
SERVICE_PORT = 443
RUN_AS = 65532
CERT_DIR = "/var/run/serving-cert"
ROLE = "roles/monitoring.viewer"
HPA_SA = ("kube-system", "horizontal-pod-autoscaler")
# (group, version, versionPriority) of each APIService, as upstream.
API_SERVICES = (
    ("custom.metrics.k8s.io", "v1beta1", 100),
    ("custom.metrics.k8s.io", "v1beta2", 200),
    ("external.metrics.k8s.io", "v1beta1", 100),
)
# Egress the adapter needs besides DNS. The GKE metadata server (Workload Identity tokens, the
# project and cluster attributes the adapter reads in pkg/config/gce_config.go):
# components/network_policies.py METADATA_EGRESS. Cloud Monitoring (monitoring.googleapis.com) and
# the API server (kubernetes.default, for pods, TokenReviews and SubjectAccessReviews) are both
# HTTPS on 443 at addresses that are not stable.


@dataclass(frozen=True, kw_only=True)
class MetricsAdapterArgs:
    project: str
    pod_security: str = "restricted"
    network_policies: bool = True


def _sa_suffix(name: str, role: str) -> str:
    return f"{name}-{role.rsplit('/', maxsplit=1)[-1].replace('.', '-').lower()}"


class MetricsAdapter(pulumi.ComponentResource):
    service_account_email: pulumi.Output[str]
    namespace: pulumi.Output[str]

    def __init__(
        self, name: str, args: MetricsAdapterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # GCP side: a service account that may only read Cloud Monitoring.
        suffix = random.RandomString(
            f"{name}-suffix", length=6, special=False, upper=False, opts=child
        )
        gsa = gcp.serviceaccount.Account(
            f"{name}-gsa",
            project=args.project,
            account_id=suffix.result.apply(lambda s: f"nim-metrics-{s}"),
            display_name="Custom Metrics Stackdriver Adapter (reads Cloud Monitoring)",
            opts=child,
        )
        gcp.projects.IAMMember(
            _sa_suffix(name, ROLE),
            project=args.project,
            role=ROLE,
            member=gsa.email.apply(lambda e: f"serviceAccount:{e}"),
            opts=child,
        )
        wi_binding = gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            service_account_id=gsa.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{args.project}.svc.id.goog[{NAMESPACE}/{KSA}]",
            opts=child,
        )

        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": NAMESPACE,
                "labels": {
                    f"pod-security.kubernetes.io/{mode}": args.pod_security
                    for mode in ("enforce", "audit", "warn")
                },
            },
            opts=child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        ksa = k8s.core.v1.ServiceAccount(
            f"{name}-ksa",
            metadata={
                "name": KSA,
                "namespace": NAMESPACE,
                "annotations": {"iam.gke.io/gcp-service-account": gsa.email},
            },
            opts=in_ns,
        )
        subject: k8s.rbac.v1.SubjectArgsDict = {
            "kind": "ServiceAccount",
            "name": KSA,
            "namespace": NAMESPACE,
        }
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-auth-delegator",
            metadata={"name": "custom-metrics:system:auth-delegator"},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:auth-delegator",
            },
            subjects=[subject],
            opts=in_ns,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-auth-reader",
            metadata={"name": "custom-metrics-auth-reader", "namespace": "kube-system"},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "extension-apiserver-authentication-reader",
            },
            subjects=[subject],
            opts=in_ns,
        )
        reader = k8s.rbac.v1.ClusterRole(
            f"{name}-resource-reader",
            metadata={"name": "custom-metrics-resource-reader"},
            rules=[
                {
                    "api_groups": [""],
                    "resources": ["pods", "nodes", "nodes/stats"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
            opts=child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-resource-reader",
            metadata={"name": "custom-metrics-resource-reader"},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": reader.metadata["name"],
            },
            subjects=[subject],
            opts=in_ns,
        )
        external = k8s.rbac.v1.ClusterRole(
            f"{name}-external-metrics-reader",
            metadata={"name": "external-metrics-reader"},
            rules=[
                {
                    "api_groups": ["external.metrics.k8s.io"],
                    "resources": ["*"],
                    "verbs": ["list", "get", "watch"],
                }
            ],
            opts=child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-external-metrics-reader",
            metadata={"name": "external-metrics-reader"},
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": external.metadata["name"],
            },
            subjects=[{"kind": "ServiceAccount", "name": HPA_SA[1], "namespace": HPA_SA[0]}],
            opts=child,
        )

        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": KSA, "namespace": NAMESPACE, "labels": dict(APP_LABELS)},
            spec=_deployment_spec(),
            # The KSA must be bound before the pod asks the metadata server for a token.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ksa, wi_binding]),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata={
                "name": KSA,
                "namespace": NAMESPACE,
                "labels": {**APP_LABELS, "kubernetes.io/name": "Adapter"},
            },
            spec={
                "type": "ClusterIP",
                "selector": dict(APP_LABELS),
                "ports": [{"port": SERVICE_PORT, "protocol": "TCP", "target_port": SERVING_PORT}],
            },
            opts=in_ns,
        )
        for group, version, priority in API_SERVICES:
            k8s.apiregistration.v1.APIService(
                f"{name}-{version}-{group.split('.')[0]}",
                metadata={"name": f"{version}.{group}"},
                spec={
                    # As upstream: the adapter serves a self-signed certificate, so the
                    # aggregator cannot verify it (no caBundle).
                    "insecure_skip_tls_verify": True,
                    "group": group,
                    "group_priority_minimum": 100,
                    "version_priority": priority,
                    "service": {"name": KSA, "namespace": NAMESPACE, "port": SERVICE_PORT},
                    "version": version,
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[service, deployment]),
            )
        if args.network_policies:
            _network_policies(name, in_ns)

        self.service_account_email = gsa.email
        self.namespace = ns.metadata["name"]
        self.register_outputs(
            {"service_account_email": self.service_account_email, "namespace": self.namespace}
        )


def _deployment_spec() -> k8s.apps.v1.DeploymentSpecArgsDict:
    container_security: k8s.core.v1.SecurityContextArgsDict = {
        "run_as_non_root": True,
        "run_as_user": RUN_AS,
        "run_as_group": RUN_AS,
        "allow_privilege_escalation": False,
        "privileged": False,
        "read_only_root_filesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    return {
        "replicas": 1,
        "selector": {"match_labels": dict(APP_LABELS)},
        "template": {
            "metadata": {"labels": {**APP_LABELS, "kubernetes.io/cluster-service": "true"}},
            "spec": {
                "service_account_name": KSA,
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": RUN_AS,
                    "run_as_group": RUN_AS,
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                # Upstream tolerates the GPU and TPU taints; this stack keeps it off the GPU
                # pool, whose nodes scale to zero (it would hold a GPU node up).
                "node_selector": dict(SYSTEM_POOL_LABEL),
                "containers": [
                    {
                        "name": "pod-custom-metrics-stackdriver-adapter",
                        "image": IMAGE,
                        "image_pull_policy": "IfNotPresent",
                        "command": [
                            "/adapter",
                            "--use-new-resource-model=true",
                            "--fallback-for-container-metrics=true",
                            f"--secure-port={SERVING_PORT}",
                            f"--cert-dir={CERT_DIR}",
                        ],
                        "ports": [{"container_port": SERVING_PORT, "protocol": "TCP"}],
                        "resources": {
                            "limits": {"cpu": "250m", "memory": "200Mi"},
                            "requests": {"cpu": "250m", "memory": "200Mi"},
                        },
                        "readiness_probe": {
                            "http_get": {
                                "path": "/healthz",
                                "port": SERVING_PORT,
                                "scheme": "HTTPS",
                            },
                            "initial_delay_seconds": 40,
                            "period_seconds": 10,
                            "timeout_seconds": 5,
                        },
                        "security_context": container_security,
                        "volume_mounts": [{"name": "serving-cert", "mount_path": CERT_DIR}],
                    }
                ],
                "volumes": [{"name": "serving-cert", "empty_dir": {}}],
            },
        },
    }


def _network_policies(name: str, opts: pulumi.ResourceOptions) -> None:
    """Default deny in the adapter's namespace, then exactly what it needs.

    Ingress: the API server's aggregator calls the adapter's endpoint (the pod IP, port
    ``SERVING_PORT``) for discovery and for every metric read. On GKE that traffic comes from the
    control plane, directly or through the Konnectivity agents in kube-system ("all control plane
    to nodes traffic then goes through these connections", kubernetes.io
    docs/concepts/architecture/control-plane-node-communication), so its source address is not
    one stable range: the port is open to any source, and every request is authenticated and
    authorised by the adapter itself (delegated to the API server: system:auth-delegator,
    extension-apiserver-authentication-reader above). Egress: DNS, HTTPS (Cloud Monitoring, the
    API server) and the GKE metadata server.
    """
    metadata = metadata_server_egress()
    policies: dict[str, k8s.networking.v1.NetworkPolicySpecArgsDict] = {
        "default-deny": {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        "allow-apiserver-ingress": {
            "pod_selector": {"match_labels": dict(APP_LABELS)},
            "policy_types": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": SERVING_PORT}]}],
        },
        "allow-adapter-egress": {
            "pod_selector": {"match_labels": dict(APP_LABELS)},
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
                    "to": [
                        {
                            "ip_block": {
                                "cidr": "0.0.0.0/0",
                                "except_": [cidr for cidr, _ in METADATA_EGRESS],
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
                *metadata,
            ],
        },
    }
    for policy, spec in policies.items():
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{policy}",
            metadata={"name": policy, "namespace": NAMESPACE},
            spec=spec,
            opts=opts,
        )
