"""A model's stable in-cluster name: a ClusterIP Service ``<release>`` in front of one version.

Each version of a model is its own Helm release with its own Service (``<version>-nim-llm``). This
Service keeps one name for the model across rollouts: it selects the pods of the version that takes
all of the model's traffic (the main version, or the canary at weight 100), by the chart's labels
(nim-llm 1.3.0 templates/_helpers.tpl ``nim-llm.selectorLabels``), so the ``models`` and
``portForward`` outputs do not change when a version is promoted.
Without a Gateway it is also how a rollout switches: a Service selector moves every new
connection at once (no weighted split; connections already open finish on the old pods, which keep
running until the old release is removed).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.nim_release import pod_labels
from nimgke.helm_values import OPENAI_PORT

TYPE = "nim-gke:nim:ModelService"
# The chart's container port name for the OpenAI API (templates/deployment.yaml, service.yaml
# targetPort http-openai); the render test checks the pod has it on 8000.
CHART_PORT_NAME = "http-openai"


@dataclass(frozen=True, kw_only=True)
class ModelServiceArgs:
    model: str
    """The model's release name: the Service's name (a DNS-1035 label)."""
    namespace: pulumi.Input[str]
    target_release: str
    """The Helm release of the version that serves the model's in-cluster clients."""


class ModelService(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    url: pulumi.Output[str]
    port_forward_command: pulumi.Output[str]

    def __init__(
        self, name: str, args: ModelServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        svc = k8s.core.v1.Service(
            f"{name}-service",
            metadata={
                "name": args.model,
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": "nim-gke", "nim-gke/model": args.model},
            },
            spec={
                "type": "ClusterIP",
                "selector": pod_labels(args.target_release),
                "ports": [
                    {
                        "name": CHART_PORT_NAME,
                        "port": OPENAI_PORT,
                        "target_port": CHART_PORT_NAME,
                        "protocol": "TCP",
                    }
                ],
            },
            # A component's depends_on does not reach its children: hand it to the Service (the
            # release it selects; behind a Gateway that release waits for Ready pods).
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=(opts.depends_on if opts else None)
            ),
        )
        ns = pulumi.Output.from_input(args.namespace)
        model = args.model
        self.service_name = svc.metadata.name
        self.url = ns.apply(lambda n: f"http://{model}.{n}.svc.cluster.local:{OPENAI_PORT}/v1")
        self.port_forward_command = ns.apply(
            lambda n: f"kubectl -n {n} port-forward svc/{model} {OPENAI_PORT}:{OPENAI_PORT}"
        )
        self.register_outputs(
            {
                "service_name": self.service_name,
                "url": self.url,
                "port_forward_command": self.port_forward_command,
            }
        )
