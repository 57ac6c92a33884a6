"""One NIM model served by the ``nim-llm`` Helm chart, with its metrics scrape and ingress policy.

Await strategy: without a Gateway the release is installed with ``skip_await`` so ``pulumi up``
returns once Helm has applied the manifests; a first NIM start (image pull, model download, engine
build) takes 10 to 30 minutes and is watched by the startup probe, ``nimctl doctor`` and ``nimctl
smoke`` instead. Behind a Gateway (``await_ready``) Helm waits until the StatefulSet's pods are
Ready, for longer than the chart's startup budget, because the HTTPRoute that sends traffic to a
version is created only after its release: a new version takes no request before it can answer.
Over the shared cache the release is a Deployment, so a change of its pod starts the new pod
beside the old one, and Helm's wait (helm/helm pkg/kube/ready.go ``deploymentReady``: the new
ReplicaSet's ready pods >= replicas - maxUnavailable, which is 0 here) returns once it is Ready.
What would keep the pod from ever starting (GPU type, requests above allocatable, missing Secret
keys, wrong node selector) is rejected by config validation before anything is created, and the
selector, Secret names and GPU count are wired from the resources that provide them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from nimgke import autoscaling
from nimgke.config.versions import chart_fullname
from nimgke.helm_values import (
    FIRST_START_ALLOWANCE_S,
    METRICS_PATH,
    OPENAI_PORT,
    ReleaseValues,
    build_values,
)

TYPE = "nim-gke:nim:NimRelease"
CHART = "nim-llm"
CHART_REPO = "https://helm.ngc.nvidia.com/nim"
GMP_NAMESPACE = "gmp-system"
# How long Helm waits for a version's pods behind a Gateway: a whole cold start (the chart's
# startup budget, a GPU node's scale-up and driver, the image pull; nimgke/helm_values.py).
READY_TIMEOUT_SECONDS = FIRST_START_ALLOWANCE_S


def pod_labels(release: str) -> dict[str, str]:
    """Select the release's pods by the chart's labels, never by name (templates/_helpers.tpl
    ``nim-llm.selectorLabels``)."""
    return {"app.kubernetes.io/name": CHART, "app.kubernetes.io/instance": release}


@dataclass(frozen=True, kw_only=True)
class NimReleaseArgs:
    release: str
    namespace: pulumi.Input[str]
    chart_version: str
    values: ReleaseValues
    """Release values; ``node_selector`` is replaced by ``node_selector`` below."""
    node_selector: pulumi.Input[dict[str, str]]
    ngc_api_key: pulumi.Input[str]
    """Password for the NGC Helm repository (kept secret)."""
    chart_repo: str = CHART_REPO
    pod_monitoring: bool = True
    network_policy: bool = True
    allowed_client_namespaces: list[str] = field(default_factory=list)
    timeout_seconds: int = 600
    await_ready: bool = False
    """Wait for the pods to be Ready (Helm ``--wait``) up to ``timeout_seconds``."""
    autoscaling_metric: dict | None = None
    """The spec of the version's ``AutoscalingMetric`` (:mod:`nimgke.autoscaling`), the queries
    its HPA reads through GKE's managed metrics adapter; None without an HPA."""


class NimRelease(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    url: pulumi.Output[str]
    port_forward_command: pulumi.Output[str]
    values: pulumi.Output[dict]

    def __init__(
        self, name: str, args: NimReleaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        values = pulumi.Output.from_input(args.node_selector).apply(
            lambda sel: build_values(dataclasses.replace(args.values, node_selector=dict(sel)))
        )
        deps = opts.depends_on if opts else None
        before_release: list[Any] = (
            [] if deps is None else list(deps) if isinstance(deps, list | tuple) else [deps]
        )
        if args.autoscaling_metric is not None:
            # The HPA's metrics, in the release's namespace (GKE requires the AutoscalingMetric,
            # the HPA and the workload in one: docs/tutorials/scale-to-from-zero-hpa), created
            # before the chart's HPA reads them.
            metric_meta: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": args.release,
                "namespace": args.namespace,
            }
            before_release.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-autoscaling-metric",
                    api_version=autoscaling.API_VERSION,
                    kind=autoscaling.KIND,
                    metadata=metric_meta,
                    spec=args.autoscaling_metric,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(before_release)),
                )
            )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=args.release,
            chart=CHART,
            version=args.chart_version,
            repository_opts={
                "repo": args.chart_repo,
                "username": "$oauthtoken",
                "password": pulumi.Output.secret(args.ngc_api_key),
            },
            namespace=args.namespace,
            values=values,
            skip_await=not args.await_ready,
            timeout=args.timeout_seconds,
            atomic=False,
            cleanup_on_fail=False,
            max_history=10,
            # A component's depends_on does not reach its children: hand it to the release, so
            # Helm installs after what the pods need (cache StorageClass or claim, the image
            # mirror, the Secrets).
            opts=pulumi.ResourceOptions(parent=self, depends_on=before_release),
        )
        selector = pod_labels(args.release)
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])
        if args.pod_monitoring:
            # CustomResource types metadata as InputType[ObjectMetaArgs], which admits any
            # Mapping[str, Any]: annotate it so mypy checks the keys. (spec is Any; no SDK type.)
            metrics_meta: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": f"{args.release}-metrics",
                "namespace": args.namespace,
            }
            k8s.apiextensions.CustomResource(
                f"{name}-metrics",
                api_version="monitoring.googleapis.com/v1",
                kind="PodMonitoring",
                metadata=metrics_meta,
                spec={
                    "selector": {"matchLabels": selector},
                    "endpoints": [{"port": OPENAI_PORT, "path": METRICS_PATH, "interval": "30s"}],
                },
                opts=after_release,
            )
        if args.network_policy:
            allowed = [*args.allowed_client_namespaces, GMP_NAMESPACE]
            # No same-namespace peer: nothing of the stack's calls NIM from inside the namespace.
            # The chart's `helm test` pods (curlimages/curl without any securityContext) are
            # rejected by the namespace's `restricted` Pod Security level anyway; `nimctl smoke`
            # is the supported end-to-end check (docs/operations.md, "Why not helm test").
            sources: list[k8s.networking.v1.NetworkPolicyPeerArgsDict] = [
                {
                    "namespace_selector": {
                        "match_expressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "In",
                                "values": allowed,
                            }
                        ]
                    }
                },
            ]
            spec: k8s.networking.v1.NetworkPolicySpecArgsDict = {
                "pod_selector": {"match_labels": selector},
                "policy_types": ["Ingress"],
                "ingress": [
                    {"from_": sources, "ports": [{"protocol": "TCP", "port": OPENAI_PORT}]}
                ],
            }
            k8s.networking.v1.NetworkPolicy(
                f"{name}-ingress",
                metadata={"name": f"{args.release}-allow-clients", "namespace": args.namespace},
                spec=spec,
                opts=after_release,
            )
        if args.values.replicas >= 2:  # the HPA's minimum too, unless monitoring.hpa.minReplicas
            # Node upgrades and repairs drain one node at a time (the GPU pool's surge upgrade);
            # with two replicas or more this keeps all but one of them while a drained one
            # starts again elsewhere. GKE honours a PodDisruptionBudget during a node upgrade for
            # up to an hour (node_drain_config.pdb_timeout_duration; GKE docs, "Node pool upgrade
            # strategies"), more than a NIM start (the chart's startup budget, ~31 min). One
            # replica gets none: a budget would only delay its eviction by that hour.
            pdb_meta: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": f"{args.release}-nim-llm",
                "namespace": args.namespace,
            }
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata=pdb_meta,
                spec={"selector": {"match_labels": selector}, "max_unavailable": 1},
                opts=after_release,
            )
        # The chart's Service is named ``nim-llm.fullname`` (nim-llm 1.3.0 templates/service.yaml).
        svc = chart_fullname(args.release)
        ns = pulumi.Output.from_input(args.namespace)
        self.service_name = pulumi.Output.from_input(svc)
        self.namespace = ns
        self.values = values
        self.url = ns.apply(lambda n: f"http://{svc}.{n}.svc.cluster.local:{OPENAI_PORT}/v1")
        self.port_forward_command = ns.apply(
            lambda n: f"kubectl -n {n} port-forward svc/{svc} {OPENAI_PORT}:{OPENAI_PORT}"
        )
        self.register_outputs(
            {
                "service_name": self.service_name,
                "namespace": self.namespace,
                "url": self.url,
                "port_forward_command": self.port_forward_command,
            }
        )
