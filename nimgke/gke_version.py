"""GKE versions as ``cluster.minMasterVersion`` writes them, and the versions features need.

GKE accepts a full version (``1.37.0-gke.3100000``), a patch (``1.37.0``), a minor (``1.37``) or
``latest`` as ``min_master_version`` and picks a version that matches ("Specifying cluster
version", cloud.google.com/kubernetes-engine/versioning#specifying_cluster_version, as the
pulumi-gcp 9 ``container.Cluster`` docstring of ``min_master_version`` links it). A prefix is
judged by the lowest version it can name (``1.37`` as ``1.37.0-gke.0``): validation runs before
GKE resolves it, so only what the prefix guarantees counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+)(?:-gke\.(\d+))?)?")
LATEST = "latest"


@dataclass(frozen=True, order=True)
class GkeVersion:
    """A comparable GKE version: ``(major, minor, patch, gke build)``."""

    major: int
    minor: int
    patch: int = 0
    build: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}-gke.{self.build}"


def parse(text: str) -> GkeVersion | None:
    """The lowest version ``text`` can name; None when it is not a GKE version (or ``latest``,
    which :func:`at_least` handles)."""
    m = _VERSION.fullmatch(text.strip())
    if not m:
        return None
    major, minor, patch, build = (int(g) if g else 0 for g in m.groups())
    return GkeVersion(major, minor, patch, build)


def is_valid(text: str) -> bool:
    return text.strip() == LATEST or parse(text) is not None


def at_least(text: str | None, floor: GkeVersion) -> bool:
    """Whether a cluster whose minimum version is ``text`` runs ``floor`` or later: ``latest``
    does; an unset or unreadable version does not (nothing guarantees it)."""
    if text is None:
        return False
    if text.strip() == LATEST:
        return True
    version = parse(text)
    return version is not None and version >= floor


SCALE_TO_ZERO = GkeVersion(1, 37)
"""HPA ``minReplicas: 0``: Kubernetes 1.37 turns ``HPAScaleToZero`` on by default (beta;
kubernetes.io/blog/2026/09/02/kubernetes-v1-37-hpa-scale-to-zero-beta); GKE supports it with the
control plane and the nodes at 1.37 or later
(cloud.google.com/kubernetes-engine/docs/tutorials/scale-to-from-zero-hpa, "Considerations")."""
MANAGED_ADAPTER = GkeVersion(1, 37, 0, 3100000)
"""GKE's managed metrics adapter (``AutoscalingMetric``), generally available
(cloud.google.com/kubernetes-engine/docs/how-to/autoscale-using-metrics)."""
MANAGED_ADAPTER_PREVIEW = GkeVersion(1, 36, 4, 1247000)
"""The same adapter in Preview (same page)."""
