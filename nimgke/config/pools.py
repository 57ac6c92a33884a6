"""The GPU pools a model version can run on: ``gpu`` (``nim-gke:gpuPool``, always there) and
``green`` (``nim-gke:greenPool``, declared for a blue/green rollout onto other machines).

Two pools are enough for any number of rollouts: the one no version runs on can be reshaped
(another machine type) or removed while the other serves, then the next rollout moves back.

Each pool is a GPU capacity plan: a GKE ComputeClass whose priorities are node pools of their
own, tried in order: the pool as configured, then its ``fallbacks`` (e.g. on-demand after Spot;
:func:`priorities`, docs/capacity.md). What a fallback leaves unset is the pool's.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimgke import catalog
from nimgke.config._base import NAMESPACE
from nimgke.config.settings import FallbackSettings, GpuPoolSettings, StackSettings

MAIN_POOL = "gpu"
GREEN_POOL = "green"
POOLS = (MAIN_POOL, GREEN_POOL)
POOL_KEYS = {MAIN_POOL: f"{NAMESPACE}:gpuPool", GREEN_POOL: f"{NAMESPACE}:greenPool"}


def pool_settings(s: StackSettings, pool: str) -> GpuPoolSettings | None:
    """The settings of ``pool``; None for ``green`` when no greenPool is declared."""
    return s.gpu_pool if pool == MAIN_POOL else s.green_pool


@dataclass(frozen=True)
class Priority:
    """One priority of a pool's ComputeClass, with what it leaves unset taken from the pool."""

    index: int
    """1 for the preferred source, 2 for its fallback, ..."""
    spot: bool
    machine_type: str
    zones: tuple[str, ...] | None
    """None: the pool's zones (which default to the cluster's)."""
    reservation: str | None
    min_nodes: int
    """The pool's minNodes on the first priority (a warm node is a preferred one), 0 after."""
    max_nodes: int


def priorities(settings: GpuPoolSettings) -> list[Priority]:
    """The pool's priorities in order: the pool itself, then its fallbacks."""
    given = [FallbackSettings(), *settings.fallbacks]
    return [
        Priority(
            index=i,
            spot=settings.spot if p.spot is None else p.spot,
            machine_type=p.machine_type or settings.machine_type,
            zones=tuple(p.zones) if p.zones is not None else _zones(settings),
            reservation=p.reservation,
            min_nodes=settings.min_nodes if i == 1 else 0,
            max_nodes=settings.max_nodes if p.max_nodes is None else p.max_nodes,
        )
        for i, p in enumerate(given, 1)
    ]


def _zones(settings: GpuPoolSettings) -> tuple[str, ...] | None:
    return tuple(settings.zones) if settings.zones else None


def priority_key(pool: str, index: int) -> str:
    """The stack-file key of a priority (``index`` from 1): ``nim-gke:gpuPool`` for the pool
    itself, ``nim-gke:gpuPool.fallbacks[0]`` for the second."""
    return POOL_KEYS[pool] if index == 1 else f"{POOL_KEYS[pool]}.fallbacks[{index - 2}]"


def class_name(pool: str) -> str:
    """The ComputeClass of ``pool``: ``nim-gpu``, ``nim-green`` (a name may not begin with
    ``gke`` or ``autopilot``: cloud.google.com/kubernetes-engine/docs/concepts/
    about-custom-compute-classes, "Limitations")."""
    return f"nim-{pool}"


def fit_machine(settings: GpuPoolSettings) -> str:
    """The machine a pod of this pool must fit: of the priorities' machines that carry the pool's
    GPUs (the others are refused on their own), the one that leaves a pod the least memory."""
    base = catalog.MACHINE_TYPES.get(settings.machine_type)
    candidates = [settings.machine_type]
    for p in priorities(settings):
        machine = catalog.MACHINE_TYPES.get(p.machine_type)
        if base is not None and machine is not None and same_gpus(base, machine):
            candidates.append(machine.name)

    def room(name: str) -> tuple[int, int]:
        machine = catalog.MACHINE_TYPES.get(name)
        if machine is None:
            return (1 << 62, 1 << 62)
        budget = catalog.workload_budget(machine)
        return (budget.memory_mib, budget.cpu_milli)

    return min(candidates, key=room)


def same_gpus(a: catalog.MachineType, b: catalog.MachineType) -> bool:
    """Two machines that carry the same GPUs (type and count, or both attach them)."""
    return (a.gpu, a.gpu_count, a.attachable_gpus) == (b.gpu, b.gpu_count, b.attachable_gpus)


def pool_view(s: StackSettings, pool: str) -> StackSettings:
    """The stack as a version on ``pool`` sees it: that pool in the place of ``gpuPool``, on the
    machine of its priorities a pod must fit (:func:`fit_machine`), so the per-node checks (GPU
    memory, requests, defaults) judge every machine the version may land on. An undeclared pool
    falls back to gpuPool (its absence is a problem of its own)."""
    settings = pool_settings(s, pool) or s.gpu_pool
    fit = fit_machine(settings)
    if fit != settings.machine_type:
        settings = settings.model_copy(update={"machine_type": fit})
    if settings is s.gpu_pool:
        return s
    return s.model_copy(update={"gpu_pool": settings})


def pool_budget(s: StackSettings, pool: str) -> catalog.Allocatable | None:
    """What one pod may request on every node of ``pool`` (None for a machine outside the
    catalog)."""
    settings = pool_settings(s, pool) or s.gpu_pool
    machine = catalog.MACHINE_TYPES.get(fit_machine(settings))
    return catalog.workload_budget(machine) if machine else None
