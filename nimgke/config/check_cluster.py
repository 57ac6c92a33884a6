"""Pass 2 for the project, region, zones, cluster, system pool and GPU pool."""

from __future__ import annotations

from nimgke import catalog
from nimgke.config._base import (
    _CLUSTER_NAME,
    _PROJECT_ID,
    MIN_GPU_BOOT_DISK_GB,
    NAMESPACE,
    PROJECT_KEY,
    Problem,
    _nearest,
)
from nimgke.config.settings import StackSettings


def _zones_without_gpu(
    key: str, zones: list[str], region: str, gpu: str, *, via_cluster: bool = False
) -> list[Problem]:
    """Zones of ``region`` in ``zones`` that do not offer ``gpu`` (unknown zones are not judged)."""
    known, offering = catalog.region_zones(region), catalog.gpu_zones(gpu, region)
    if not offering:
        # No zone could fix this: the region is the setting to change (reported once).
        return [
            Problem(
                f"{NAMESPACE}:region",
                region,
                f"has no zone offering {gpu} (gpuPool.gpuType)",
                f"use a region that does: {', '.join(catalog.regions_offering(gpu))}, "
                "or another GPU",
            )
        ]
    note = " (the GPU pool uses the cluster's zones)" if via_cluster else ""
    fix = f"use zones that do: {', '.join(offering)}" + (
        ", or set gpuPool.zones" if via_cluster else ""
    )
    return [
        Problem(f"{key}[{i}]", zone, f"does not offer {gpu} GPUs{note}", fix)
        for i, zone in enumerate(zones)
        if zone in known and zone not in offering
    ]


def _check_zones(key: str, zones: list[str], region: str, gpu: str | None) -> list[Problem]:
    known = catalog.region_zones(region)
    problems = [
        Problem(f"{key}[{i}]", zone, f"is not a zone of region {region}", _nearest(zone, known))
        for i, zone in enumerate(zones)
        if zone not in known
    ]
    if gpu:
        problems += _zones_without_gpu(key, zones, region, gpu)
    if len(set(zones)) != len(zones):
        problems.append(Problem(key, zones, "lists a zone twice", "list each zone once"))
    return problems


def _check_pool_bounds(key: str, lo: int, hi: int) -> list[Problem]:
    if lo > hi:
        return [
            Problem(
                f"{key}.minNodes",
                lo,
                f"is above maxNodes ({hi})",
                f"set minNodes <= maxNodes, e.g. minNodes: {hi} or maxNodes: {lo}",
            )
        ]
    if hi < 1:
        return [
            Problem(
                f"{key}.maxNodes",
                hi,
                "must be at least 1, or nothing can ever run",
                "set maxNodes: 1 or more",
            )
        ]
    return []


def _check_gpu_pool(s: StackSettings) -> list[Problem]:
    key, pool = f"{NAMESPACE}:gpuPool", s.gpu_pool
    problems: list[Problem] = []
    machine = catalog.MACHINE_TYPES.get(pool.machine_type)
    gpu_known = pool.gpu_type in catalog.GPUS
    if not gpu_known:
        problems.append(
            Problem(
                f"{key}.gpuType",
                pool.gpu_type,
                "is not a GPU type GKE offers",
                _nearest(pool.gpu_type, catalog.GPUS),
            )
        )
    if machine is None:
        gpu_machines = [m for m, t in catalog.MACHINE_TYPES.items() if t.gpu or t.attachable_gpus]
        problems.append(
            Problem(
                f"{key}.machineType",
                pool.machine_type,
                "is not a GPU machine type in the catalog",
                _nearest(pool.machine_type, gpu_machines),
            )
        )
    elif machine.gpu:
        if gpu_known and pool.gpu_type != machine.gpu:
            problems.append(
                Problem(
                    f"{key}.gpuType",
                    pool.gpu_type,
                    f"{machine.name} comes with {machine.gpu}, not {pool.gpu_type}",
                    f"set gpuType: {machine.gpu}, or pick a machine that carries {pool.gpu_type}",
                )
            )
        if pool.gpu_count != machine.gpu_count:
            same = [
                m.name
                for m in catalog.MACHINE_TYPES.values()
                if m.gpu == machine.gpu and m.gpu_count == pool.gpu_count
            ]
            alt = f", or for {pool.gpu_count} GPUs use {', '.join(same)}" if same else ""
            problems.append(
                Problem(
                    f"{key}.gpuCount",
                    pool.gpu_count,
                    f"{machine.name} comes with exactly {machine.gpu_count} {machine.gpu}",
                    f"set gpuCount: {machine.gpu_count}{alt}",
                )
            )
    elif machine.attachable_gpus:
        if gpu_known and pool.gpu_type not in machine.attachable_gpus:
            problems.append(
                Problem(
                    f"{key}.gpuType",
                    pool.gpu_type,
                    f"cannot be attached to {machine.name}",
                    _nearest(pool.gpu_type, machine.attachable_gpus),
                )
            )
        if pool.gpu_count not in (1, 2, 4, 8):
            problems.append(
                Problem(
                    f"{key}.gpuCount",
                    pool.gpu_count,
                    "N1 machines take 1, 2, 4 or 8 GPUs",
                    "use 1, 2, 4 or 8",
                )
            )
    else:
        problems.append(
            Problem(
                f"{key}.machineType",
                pool.machine_type,
                "carries no GPU",
                "use a g2, a2, a3 or n1 machine type",
            )
        )
    problems += _check_pool_bounds(key, pool.min_nodes, pool.max_nodes)
    if pool.require_warm_node and pool.min_nodes < 1:
        problems.append(
            Problem(
                f"{key}.minNodes",
                pool.min_nodes,
                "requireWarmNode is true, so at least one GPU node must stay up",
                "set minNodes: 1, or requireWarmNode: false to allow scale to zero",
            )
        )
    if pool.disk_size_gb < MIN_GPU_BOOT_DISK_GB:
        problems.append(
            Problem(
                f"{key}.diskSizeGb",
                pool.disk_size_gb,
                f"is too small for the NIM image layers (min {MIN_GPU_BOOT_DISK_GB})",
                f"set diskSizeGb: {MIN_GPU_BOOT_DISK_GB} or more (200 recommended)",
            )
        )
    disks = catalog.disk_support(pool.machine_type)
    if machine is not None and disks is not None and pool.disk_type not in disks.pd_types:
        problems.append(
            Problem(
                f"{key}.diskType",
                pool.disk_type,
                f"{machine.name} cannot attach a {pool.disk_type} disk (its family takes "
                f"{', '.join(disks.pd_types)}; {catalog.DISK_TYPES_PAGE})",
                f"set diskType: {disks.pd_types[0]}",
            )
        )
    if pool.zones and s.region in catalog.REGION_ZONES:  # an empty list means the cluster's
        problems += _check_zones(
            f"{key}.zones", pool.zones, s.region, pool.gpu_type if gpu_known else None
        )
    elif s.region in catalog.REGION_ZONES and gpu_known:
        problems += _zones_without_gpu(
            f"{NAMESPACE}:cluster.zones",
            s.cluster.zones,
            s.region,
            pool.gpu_type,
            via_cluster=True,
        )
    return problems


def check_cluster(stack: str, s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    if not _PROJECT_ID.fullmatch(s.project):
        problems.append(
            Problem(
                PROJECT_KEY,
                s.project,
                "is not a GCP project id",
                "use the project id (6-30 lowercase letters, digits, '-'), not its name or number",
            )
        )
    region_ok = s.region in catalog.REGION_ZONES
    if not region_ok:
        problems.append(
            Problem(
                f"{NAMESPACE}:region",
                s.region,
                "is not a region this stack supports",
                _nearest(s.region, catalog.REGION_ZONES),
            )
        )
    else:
        problems += _check_zones(f"{NAMESPACE}:cluster.zones", s.cluster.zones, s.region, None)
    name = s.cluster.name
    if name is not None and not _CLUSTER_NAME.fullmatch(name):
        problems.append(
            Problem(
                f"{NAMESPACE}:cluster.name",
                name,
                "a GKE cluster name is 1-40 lowercase letters, digits and '-', "
                "starting with a letter",
                f"e.g. nim-{stack}",
            )
        )
    sp = s.cluster.system_pool
    sp_machine = catalog.MACHINE_TYPES.get(sp.machine_type)
    if sp_machine is None or sp_machine.gpu:
        general = [m for m, t in catalog.MACHINE_TYPES.items() if t.family == "e2"]
        problems.append(
            Problem(
                f"{NAMESPACE}:cluster.systemPool.machineType",
                sp.machine_type,
                "must be a general-purpose machine type in the catalog",
                _nearest(sp.machine_type, general),
            )
        )
    problems += _check_pool_bounds(f"{NAMESPACE}:cluster.systemPool", sp.min_nodes, sp.max_nodes)
    problems += _check_gpu_pool(s)
    return problems
