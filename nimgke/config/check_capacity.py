"""Pass 2 for the GPU pools' capacity plans: the fallbacks of each pool's ComputeClass.

A fallback is a source of GPU nodes GKE turns to when the pool and the fallbacks before it cannot
add a node (docs/capacity.md). Every fallback must be able to run the pool's pods as they are: the
same GPUs (the pods request them and run the NIM profile pinned for them), zones of the region that
offer the GPU and that the model cache reaches, a reservation only where Compute Engine honours
one, and room for at least one node. The pods' requests are judged on the smallest machine of the
priorities (:func:`nimgke.config.pools.fit_machine`, in :mod:`~nimgke.config.check_nim`).
"""

from __future__ import annotations

import re

from nimgke import catalog
from nimgke.config._base import NAMESPACE, Problem, _nearest
from nimgke.config.check_cluster import _check_zones
from nimgke.config.check_rollout import _versions
from nimgke.config.pools import (
    POOL_KEYS,
    POOLS,
    Priority,
    pool_settings,
    priorities,
    priority_key,
    same_gpus,
)
from nimgke.config.settings import GpuPoolSettings, StackSettings

# A specific reservation as a reservation affinity names it: "either a name to a reservation in
# the same project or projects/different-project/reservations/some-reservation-name to target a
# shared reservation" (Compute Engine API, ReservationAffinity.values); a reservation name is a
# Compute Engine resource name (RFC 1035, 1-63 characters).
_RESERVATION = re.compile(
    r"(?:projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/reservations/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
)


def _check_machine(key: str, p: Priority, pool: GpuPoolSettings) -> list[Problem]:
    base = catalog.MACHINE_TYPES.get(pool.machine_type)
    machine = catalog.MACHINE_TYPES.get(p.machine_type)
    if machine is None:
        gpu_machines = [m for m, t in catalog.MACHINE_TYPES.items() if t.gpu or t.attachable_gpus]
        return [
            Problem(
                f"{key}.machineType",
                p.machine_type,
                "is not a GPU machine type in the catalog",
                _nearest(p.machine_type, gpu_machines),
            )
        ]
    if base is None or p.machine_type == pool.machine_type:
        return []  # the pool's machine: judged with the pool
    if not same_gpus(machine, base):
        same = [m.name for m in catalog.MACHINE_TYPES.values() if same_gpus(m, base)]
        carries = f"{machine.gpu_count} x {machine.gpu}" if machine.gpu else "attached GPUs"
        return [
            Problem(
                f"{key}.machineType",
                p.machine_type,
                f"carries {carries}, but the pool's pods request {pool.gpu_count} x "
                f"{pool.gpu_type} and run the NIM profile pinned for them: every priority of a "
                "ComputeClass must carry the same GPUs",
                f"use one of {', '.join(same)}, or another pool for other GPUs",
            )
        ]
    return []


def _check_zones_of(
    s: StackSettings, key: str, p: Priority, pool: GpuPoolSettings, cache_zones: list[str]
) -> list[Problem]:
    zones = list(p.zones or ())
    if not zones:
        return [
            Problem(
                f"{key}.zones",
                zones,
                "must not be empty: a priority without zones can never add a node",
                "list at least one zone, or leave zones unset for the pool's",
            )
        ]
    problems: list[Problem] = []
    if s.region in catalog.REGION_ZONES:
        gpu = pool.gpu_type if pool.gpu_type in catalog.GPUS else None
        problems += _check_zones(f"{key}.zones", zones, s.region, gpu)
    outside = [z for z in zones if z not in cache_zones]
    if outside and not s.nim.shared_cache.enabled and not problems:
        problems.append(
            Problem(
                f"{key}.zones",
                zones,
                f"{', '.join(outside)} is outside the zones of the model cache disks "
                f"({', '.join(cache_zones)}): a pod whose disk is there could never start on a "
                "node of this priority (a persistent disk attaches only in its zones)",
                "use the zones of gpuPool, or set nim.sharedCache.enabled: true (a bucket every "
                "zone reaches)",
            )
        )
    return problems


def _check_reservation(key: str, p: Priority) -> list[Problem]:
    if p.reservation is None:
        return []
    if p.spot:
        # "You can't consume a reservation to create ... Spot VMs or preemptible instances"
        # (cloud.google.com/compute/docs/instances/reservations-consume, "Limitations").
        return [
            Problem(
                f"{key}.reservation",
                p.reservation,
                "a reservation holds on-demand capacity: Spot VMs do not consume reservations",
                "set spot: false on this priority, or remove the reservation",
            )
        ]
    if not _RESERVATION.fullmatch(p.reservation):
        return [
            Problem(
                f"{key}.reservation",
                p.reservation,
                "is not a reservation name (NAME, or projects/PROJECT/reservations/NAME for a "
                "shared one)",
                "write the reservation's name as `gcloud compute reservations list` shows it",
            )
        ]
    return []


def _check_max_nodes(key: str, p: Priority, pool: GpuPoolSettings, pool_key: str) -> list[Problem]:
    if p.max_nodes < 1:
        return [
            Problem(
                f"{key}.maxNodes",
                p.max_nodes,
                "must be at least 1, or this priority can never add a node",
                "set maxNodes: 1 or more, or remove the priority",
            )
        ]
    if p.max_nodes > pool.max_nodes:
        return [
            Problem(
                f"{key}.maxNodes",
                p.max_nodes,
                f"is above {pool_key.removeprefix(f'{NAMESPACE}:')}.maxNodes ({pool.max_nodes}), "
                "the GPU nodes the pool's pods can use at once (one per replica): a fallback "
                "never needs more, and the GPU quota would have to cover them",
                f"set maxNodes: {pool.max_nodes} or less (or leave it unset)",
            )
        ]
    return []


def _source(p: Priority) -> tuple[object, ...]:
    return (p.spot, p.machine_type, p.zones, p.reservation)


def check_capacity(s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    cache_zones = list(s.gpu_pool.zones or s.cluster.zones)
    for name in POOLS:
        pool = pool_settings(s, name)
        if pool is None:
            continue
        pool_key = POOL_KEYS[name]
        for p in priorities(pool):
            if p.index == 1:
                continue  # the pool as configured: judged by the pool's own rules
            key = priority_key(name, p.index)
            given = pool.fallbacks[p.index - 2]
            # What a fallback leaves unset is the pool's, judged with the pool.
            if given.machine_type is not None:
                problems += _check_machine(key, p, pool)
            if given.zones is not None:
                problems += _check_zones_of(s, key, p, pool, cache_zones)
            problems += _check_reservation(key, p)
            if given.max_nodes is not None:
                problems += _check_max_nodes(key, p, pool, pool_key)
    return problems


def capacity_warnings(s: StackSettings) -> list[str]:
    """A fallback that is the same source as a priority before it (it fails when that one does),
    and one that cannot hold every replica of the pool's versions (while the priorities before
    it have no capacity, some replicas wait)."""
    found = []
    hpa = s.monitoring.hpa
    for name in POOLS:
        pool = pool_settings(s, name)
        if pool is None or not pool.fallbacks:
            continue
        seen: dict[tuple[object, ...], int] = {}
        for p in priorities(pool):
            first = seen.setdefault(_source(p), p.index)
            if first != p.index:
                found.append(
                    f"{priority_key(name, p.index)} is the same source of GPU nodes as "
                    f"{priority_key(name, first).removeprefix(f'{NAMESPACE}:')} (purchase "
                    "option, machine, zones, reservation): it has capacity only when that one "
                    "has. Make it another source (spot, machineType, zones or reservation), or "
                    "remove it."
                )
        need = sum(
            max(hpa.max_replicas, replicas) if hpa.enabled else replicas
            for _, _, _, pool_of, replicas in _versions(s)
            if pool_of == name
        )
        for p in priorities(pool):
            if p.index > 1 and 1 <= p.max_nodes < need:
                found.append(
                    f"{priority_key(name, p.index)}.maxNodes = {p.max_nodes}: the versions on "
                    f"pool {name} may run {need} replicas, one GPU node each; while the "
                    f"priorities before it have no capacity, only {p.max_nodes} can run here and "
                    "the rest wait. Raise its maxNodes if that is not what you want."
                )
    return found
