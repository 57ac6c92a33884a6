"""``pulumi preview`` warns before an edit replaces a GPU node pool or recreates its nodes.

The program only sees the stack file as it is now; what the pools were is in the stack's last
deployment. So the program exports, per GPU pool, the inputs whose change replaces the pool or
recreates its nodes (:func:`nimgke.node_pool_changes.watched_inputs`, output ``gpuPools``), and
reads the same output of its own last deployment through a ``StackReference`` to its own stack.
Nothing in Pulumi forbids a stack to reference itself: the engine reads the named stack's outputs
from its last checkpoint, and an empty map when it has none (pulumi/pulumi@
1b5949891b3cefcb9974752b24a5ecef0acc86c8: pkg/resource/deploy/builtins.go
``readStackReference``; pkg/backend/backend.go ``GetStackOutputs``; pkg/backend/diy/state.go
``getSnapshotStackOutputs``), and a StackReference is read during ``pulumi preview`` as during
``pulumi up``. A first deployment therefore warns about nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from nimgke.node_pool_changes import pool_change_warnings, watched_inputs
from nimgke.shape import PoolShape

TYPE = "nim-gke:gke:PoolChangeWatch"
OUTPUT = "gpuPools"
"""The stack output holding each GPU pool's watched inputs."""


def own_stack() -> str:
    """This stack's fully qualified name, ``<organization>/<project>/<stack>``, the form every
    backend parses (pkg/backend ``ParseStackReference``)."""
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"


@dataclass(frozen=True, kw_only=True)
class PoolChangeWatchArgs:
    pools: Sequence[PoolShape]
    """The GPU pools as the stack file has them now."""
    keys: Mapping[str, str]
    """Each pool's config key (``nim-gke:gpuPool``), for the warnings."""


class PoolChangeWatch(pulumi.ComponentResource):
    """Warns about each GPU pool the last deployment had with other watched inputs; ``watched``
    (to export as :data:`OUTPUT`) holds them as they are now."""

    watched: dict[str, dict[str, Any]]

    def __init__(
        self, name: str, args: PoolChangeWatchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        current = {p.name: watched_inputs(p) for p in args.pools}
        by_name = {p.name: p for p in args.pools}
        previous = pulumi.StackReference(
            f"{name}-previous-deployment",
            stack_name=own_stack(),
            opts=pulumi.ResourceOptions(parent=self),
        )

        def warn(before: Any) -> None:
            before = before if isinstance(before, dict) else {}
            for message in pool_change_warnings(before, current, by_name, dict(args.keys)):
                pulumi.log.warn(message)

        previous.get_output(OUTPUT).apply(warn)
        self.watched = current
        self.register_outputs({"watched": current})
