"""A GPU capacity plan: a GKE ComputeClass whose priorities are the stack's own GPU node pools.

The spec is :func:`nimgke.compute_class.spec` (which says what GKE does with each field); the
pools carry the class's label and taint (``GpuNodePoolArgs.compute_class``), and the NIM pods
select the class through :attr:`GpuComputeClass.node_selector` and tolerate its taint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from nimgke import compute_class

TYPE = "nim-gke:gke:GpuComputeClass"


@dataclass(frozen=True, kw_only=True)
class GpuComputeClassArgs:
    """Inputs for :class:`GpuComputeClass`."""

    name: str
    """The class's name (cluster-scoped), e.g. ``nim-gpu``."""
    node_pools: list[pulumi.Input[str]]
    """The GKE names of the priorities' node pools, preferred first."""
    active_migration: bool = False
    """Move pods back to a higher priority when it has capacity again."""

    def __post_init__(self) -> None:
        if not self.node_pools:
            raise ValueError("a ComputeClass needs at least one node pool")
        if self.name.startswith(("gke", "autopilot")):
            raise ValueError(
                f"a ComputeClass name may not begin with gke or autopilot: {self.name}"
            )


class GpuComputeClass(pulumi.ComponentResource):
    """The ``cloud.google.com/v1`` ``ComputeClass`` of one GPU capacity plan."""

    name: str
    node_selector: dict[str, str]
    """The pods' ``nodeSelector``: the class, nothing GKE would reject beside it."""
    toleration: dict[str, str]
    """The pods' toleration of the taint on the class's nodes."""

    def __init__(
        self, name: str, args: GpuComputeClassArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {"name": args.name}
        k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version=compute_class.API_VERSION,
            kind=compute_class.KIND,
            metadata=metadata,
            spec=pulumi.Output.all(*args.node_pools).apply(
                lambda pools: compute_class.spec(
                    list(pools), active_migration=args.active_migration
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = args.name
        self.node_selector = compute_class.node_selector(args.name)
        self.toleration = compute_class.toleration(args.name)
        self.register_outputs({"name": args.name, "node_selector": self.node_selector})
