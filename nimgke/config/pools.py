"""The GPU pools a model version can run on: ``gpu`` (``nim-gke:gpuPool``, always there) and
``green`` (``nim-gke:greenPool``, declared for a blue/green rollout onto other machines).

Two pools are enough for any number of rollouts: the one no version runs on can be reshaped
(another machine type) or removed while the other serves, then the next rollout moves back.
"""

from __future__ import annotations

from nimgke import catalog
from nimgke.config._base import NAMESPACE
from nimgke.config.settings import GpuPoolSettings, StackSettings

MAIN_POOL = "gpu"
GREEN_POOL = "green"
POOLS = (MAIN_POOL, GREEN_POOL)
POOL_KEYS = {MAIN_POOL: f"{NAMESPACE}:gpuPool", GREEN_POOL: f"{NAMESPACE}:greenPool"}


def pool_settings(s: StackSettings, pool: str) -> GpuPoolSettings | None:
    """The settings of ``pool``; None for ``green`` when no greenPool is declared."""
    return s.gpu_pool if pool == MAIN_POOL else s.green_pool


def pool_view(s: StackSettings, pool: str) -> StackSettings:
    """The stack as a version on ``pool`` sees it: that pool in the place of ``gpuPool``, so the
    per-node checks (GPU memory, requests, defaults) judge the machine the version runs on. An
    undeclared pool falls back to gpuPool (its absence is a problem of its own)."""
    settings = pool_settings(s, pool)
    if settings is None or pool == MAIN_POOL:
        return s
    return s.model_copy(update={"gpu_pool": settings})


def pool_budget(s: StackSettings, pool: str) -> catalog.Allocatable | None:
    """What one pod may request on a node of ``pool`` (None for a machine outside the catalog)."""
    settings = pool_settings(s, pool) or s.gpu_pool
    machine = catalog.MACHINE_TYPES.get(settings.machine_type)
    return catalog.workload_budget(machine) if machine else None
