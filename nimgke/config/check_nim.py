"""Pass 2 for the NIM releases: namespace, chart, model cache, each model, replicas, exposure."""

from __future__ import annotations

import re

from nimgke import catalog
from nimgke.config._base import (
    _DNS_LABEL,
    _IMAGE_TAG,
    _MISSING,
    _SEMVER,
    NAMESPACE,
    REGIONAL_DISK_ZONES,
    STORAGE_CLASSES,
    Problem,
    _nearest,
    _parse_cpu_milli,
    _parse_quantity_gib,
)
from nimgke.config.pools import MAIN_POOL, POOL_KEYS, pool_budget, pool_settings, pool_view
from nimgke.config.resolved import ModelPlan
from nimgke.config.settings import ModelSettings, StackSettings
from nimgke.models import (
    BYTES_PER_PARAM,
    KV_CACHE_MARGIN,
    MODELS,
    cache_needed_gib,
    gpu_memory_needed_gb,
    pinned_profile,
)

# k8s.io/apimachinery validation IsDNS1035Label (Service names): a letter first.
_DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


SHARED_CACHE_FIX = (
    "set nim.sharedCache.enabled: true (one Cloud Storage bucket every replica mounts, in every "
    "zone)"
)


def _disk_cache_pools(s: StackSettings) -> dict[str, str]:
    """The pools a version with a disk cache runs on: config key -> machine type."""
    pools = {m.pool for m in s.nim.models}
    pools |= {m.canary.pool or m.pool for m in s.nim.models if m.canary is not None}
    found = {}
    for pool in sorted(pools):
        settings = pool_settings(s, pool)
        if settings is not None:
            found[f"{POOL_KEYS[pool]}.machineType"] = settings.machine_type
    return found


def _check_cache_disk_type(s: StackSettings) -> list[Problem]:
    """The cache disk's type must attach to every machine a version runs on (no disk with the
    shared cache)."""
    if s.nim.shared_cache.enabled:
        return []
    disk_type = STORAGE_CLASSES.get(s.nim.storage_class)
    problems = []
    for key, machine_type in _disk_cache_pools(s).items():
        disks = catalog.disk_support(machine_type)
        if disk_type is None or disks is None or disk_type in disks.pd_types:
            continue
        fitting = [c for c, t in STORAGE_CLASSES.items() if t in disks.pd_types]
        problems.append(
            Problem(
                f"{NAMESPACE}:nim.storageClass",
                s.nim.storage_class,
                f"the model cache would be a {disk_type} disk, which {machine_type} ({key}) "
                f"cannot attach (its family takes {', '.join(disks.pd_types)}; "
                f"{catalog.DISK_TYPES_PAGE})",
                f"use {' or '.join(fitting)}, or {SHARED_CACHE_FIX}",
            )
        )
    return problems


def _check_cache_replication(s: StackSettings) -> list[Problem]:
    """The model cache disk must attach in every zone of the GPU pool, on its machines: a zonal
    disk pins its pod to one zone, and a regional disk attaches only to E2, N1, N2 and N2D VMs
    (catalog.REGIONAL_PD_PAGE). With the shared cache the bucket is the cache: no disk."""
    if s.nim.shared_cache.enabled:
        return []
    zones = list(dict.fromkeys(s.gpu_pool.zones or s.cluster.zones))
    zones_key = f"{NAMESPACE}:{'gpuPool' if s.gpu_pool.zones else 'cluster'}.zones"
    mode, key = s.nim.cache_replication, f"{NAMESPACE}:nim.cacheReplication"
    if len(zones) > REGIONAL_DISK_ZONES:
        return [
            Problem(
                zones_key,
                zones,
                f"the GPU pool would span {len(zones)} zones, but a model cache disk can attach "
                f"in at most {REGIONAL_DISK_ZONES} (a regional disk has two replicas), so the NIM "
                "pod could not follow a GPU node into the others",
                f"{SHARED_CACHE_FIX}, or give the GPU pool two zones (set gpuPool.zones)",
            )
        ]
    if mode == "zonal" and len(zones) > 1:
        return [
            Problem(
                key,
                mode,
                f"the GPU pool spans {', '.join(zones)}, but a zonal disk pins the NIM pod to the "
                "zone it was first attached in, so a GPU node in the other zone could never run it",
                f"{SHARED_CACHE_FIX}, or give the GPU pool one zone",
            )
        ]
    if mode == "regional" and len(zones) < REGIONAL_DISK_ZONES:
        return [
            Problem(
                key,
                mode,
                f"a regional disk replicates across two zones, but the GPU pool has only "
                f"{', '.join(zones)}",
                "set cacheReplication: auto (zonal in one zone), or give the GPU pool two zones",
            )
        ]
    regional = mode == "regional" or (mode == "auto" and len(zones) == REGIONAL_DISK_ZONES)
    if not regional:
        return []
    problems = []
    for machine_key, machine_type in _disk_cache_pools(s).items():
        disks = catalog.disk_support(machine_type)
        if disks is None or disks.regional_pd:
            continue
        why = f" (auto, because the GPU pool spans {len(zones)} zones)" if mode == "auto" else ""
        problems.append(
            Problem(
                key,
                mode,
                f"the model cache would be a regional persistent disk{why}, which attaches only "
                f"to E2, N1, N2 and N2D VMs, not to {machine_type} ({machine_key}; "
                f"{catalog.REGIONAL_PD_PAGE}): the NIM pod would never leave ContainerCreating",
                f"{SHARED_CACHE_FIX}, or give the GPU pool one zone "
                f"(gpuPool.zones: [{zones[0]}]) for a zonal disk",
            )
        )
    return problems


def _gpu_memory_gb(machine_type: str) -> int:
    m = catalog.MACHINE_TYPES[machine_type]
    return catalog.GPUS[m.gpu].memory_gb * m.gpu_count if m.gpu else 0


def _release_name(m: ModelSettings) -> str:
    """The Helm release: as set, or the last part of the model name as a DNS label."""
    return m.release or m.name.rsplit("/", 1)[-1].replace(".", "-").replace("_", "-").lower()


def _check_request(
    key: str,
    text: str,
    amount: float | None,
    limit: float,
    *,
    kind: str,
    example: str,
    left: str,
    node: str,
    most: str,
) -> list[Problem]:
    """A CPU or memory request: a quantity, above 0, within what one node gives a pod."""
    if amount is None:
        return [Problem(key, text, f"is not a {kind} quantity", f"write it like {example}")]
    if amount <= 0:
        return [Problem(key, text, "must be more than 0", f"write it like {example}")]
    if amount > limit:
        return [
            Problem(
                key,
                text,
                f"does not fit a {node} node: {left} after GKE's reservations and system pods",
                f"request at most {most}, or use a larger machine",
            )
        ]
    return []


def _check_model(
    i: int, m: ModelSettings, s: StackSettings, budget: catalog.Allocatable | None
) -> tuple[list[Problem], ModelPlan | None]:
    key = f"{NAMESPACE}:nim.models[{i}]"
    problems: list[Problem] = []
    known = MODELS.get(m.name)
    image = m.image or (known.image if known else None)
    if image is None:
        problems.append(
            Problem(
                f"{key}.image",
                _MISSING,
                f"model {m.name!r} is not in the catalog, so its image is unknown",
                f"set image (e.g. nvcr.io/nim/{m.name}), or {_nearest(m.name, MODELS)}",
            )
        )
    precision = m.precision or (known.default_precision if known else "bf16")
    params = m.params_billion
    if params is None and known is not None:
        params = known.params_billion
    if m.gpu_memory_gb is not None:
        need_gb = m.gpu_memory_gb
    elif known is not None and params is not None:
        need_gb = gpu_memory_needed_gb(params, precision)
    else:
        # Outside the catalog the need must be stated: a parameter count alone is only a guess.
        need_gb = 0.0
        problems.append(
            Problem(
                f"{key}.gpuMemoryGb",
                _MISSING,
                f"model {m.name!r} is not in the catalog, so its GPU memory need must be stated"
                + (" (paramsBillion alone is not enough)" if params is not None else ""),
                "set gpuMemoryGb to the GB of GPU memory it needs (and paramsBillion for the "
                "cache check)",
            )
        )
    tag = m.tag.strip()
    example_tag = known.example_tag if known else "1.0.3"
    if not tag or tag == "latest":
        problems.append(
            Problem(
                f"{key}.tag",
                m.tag,
                "must pin an image version",
                f"set a released tag such as {example_tag!r}",
            )
        )
    elif not _IMAGE_TAG.fullmatch(tag):
        problems.append(
            Problem(
                f"{key}.tag",
                m.tag,
                "is not an image tag (letters, digits, '_', '.', '-', at most 128)",
                f"set a released tag such as {example_tag!r}",
            )
        )
    release = _release_name(m)
    # It names the model's Service (a DNS-1035 label: a letter first) and prefixes the Helm
    # release of each version; check_rollout limits the length of those.
    if not _DNS_1035.fullmatch(release) or len(release) > 63:
        problems.append(
            Problem(
                f"{key}.release",
                release,
                "names the model's Service and its releases, so it must be a DNS-1035 label "
                "(lowercase letters, digits, '-', starting with a letter)",
                "set release to e.g. 'llama3-8b'",
            )
        )
    # GPU memory against one node of the pool.
    machine = catalog.MACHINE_TYPES.get(s.gpu_pool.machine_type)
    # A machine that comes with its GPUs decides which GPU the node really has.
    gpu = catalog.GPUS.get(machine.gpu if machine and machine.gpu else s.gpu_pool.gpu_type)
    if gpu is not None and need_gb:
        gpus = machine.gpu_count if machine and machine.gpu else s.gpu_pool.gpu_count
        have_gb = gpu.memory_gb * gpus
        if need_gb > have_gb:
            options = sorted(
                {
                    t.name
                    for t in catalog.MACHINE_TYPES.values()
                    if t.gpu and catalog.GPUS[t.gpu].memory_gb * t.gpu_count >= need_gb
                },
                key=lambda n: (_gpu_memory_gb(n), catalog.MACHINE_TYPES[n].vcpus),
            )
            smaller = [
                p
                for p, b in BYTES_PER_PARAM.items()
                if params and gpu_memory_needed_gb(params, p) <= have_gb
            ]
            fix = f"use a machine with more GPU memory ({', '.join(options[:4]) or 'none known'})"
            if smaller:
                # precision only feeds this estimate: NIM serves what its profile says.
                low = smaller[0]
                fix += f", or serve it at {low} (set precision: {low} and pin a matching profile)"
            problems.append(
                Problem(
                    f"{key}.name",
                    m.name,
                    f"needs about {need_gb:.1f} GB of GPU memory ({precision}, weights + "
                    f"{KV_CACHE_MARGIN:.0%} KV cache, an estimate) but a "
                    f"{s.gpu_pool.machine_type} node "
                    f"has {gpus} x {gpu.memory_gb} GB = {have_gb} GB",
                    fix,
                )
            )
    # Cache volume.
    cache_gib = _parse_quantity_gib(m.cache_size)
    if cache_gib is None:
        problems.append(
            Problem(
                f"{key}.cacheSize",
                m.cache_size,
                "is not a Kubernetes size",
                "write it like 50Gi or 1Ti",
            )
        )
        cache_gib = 0.0
    elif params is not None:
        need_gib = cache_needed_gib(params, precision)
        if cache_gib < need_gib:
            problems.append(
                Problem(
                    f"{key}.cacheSize",
                    m.cache_size,
                    f"is smaller than model plus engine (about {need_gib:.0f}Gi for {m.name} at "
                    f"{precision}, an estimate)",
                    f"set cacheSize: {int(-(-need_gib // 10) * 10)}Gi",
                )
            )
    # Requests against what one node can give.
    cpu, memory = m.cpu, m.memory
    if budget is not None:
        cpu = cpu or f"{budget.cpu_milli // 1000}"
        memory = memory or f"{budget.memory_mib // 1024}Gi"
        node = machine.name if machine else ""
        problems += _check_request(
            f"{key}.cpu",
            cpu,
            _parse_cpu_milli(cpu),
            budget.cpu_milli,
            kind="CPU",
            example="3 or 3500m",
            left=f"about {budget.cpu_milli}m CPU is left",
            node=node,
            most=f"{budget.cpu_milli}m",
        )
        mem_gib = _parse_quantity_gib(memory)
        problems += _check_request(
            f"{key}.memory",
            memory,
            None if mem_gib is None else mem_gib * 1024,
            budget.memory_mib,
            kind="memory",
            example="12Gi",
            left=f"about {budget.memory_mib / 1024:.1f}Gi is left",
            node=node,
            most=f"{budget.memory_mib // 1024}Gi",
        )
    if problems or image is None or budget is None or cpu is None or memory is None:
        return problems, None
    profile, profile_from = _profile(m, tag, s, machine)
    return problems, ModelPlan(
        name=m.name,
        image=image,
        tag=tag,
        release=release,
        precision=precision,
        gpu_memory_needed_gb=round(need_gb, 2),
        cache_gib=cache_gib,
        cache_size=m.cache_size,
        cpu=cpu,
        memory=memory,
        replicas=m.replicas,
        profile=profile,
        profile_from=profile_from,
        pool=m.pool,
    )


def _profile(
    m: ModelSettings, tag: str, s: StackSettings, machine: catalog.MachineType | None
) -> tuple[str | None, str]:
    """NIM_MODEL_PROFILE: as configured, else the catalog's pin for this tag and GPU."""
    if m.profile:
        return m.profile, "config"
    gpus = machine.gpu_count if machine and machine.gpu else s.gpu_pool.gpu_count
    gpu = machine.gpu if machine and machine.gpu else s.gpu_pool.gpu_type
    pin = pinned_profile(m.name, tag, gpu or "", gpus)
    if pin is None:
        return None, "none"
    return pin.profile_id, "catalog"


def check_nim(s: StackSettings) -> tuple[list[Problem], list[ModelPlan]]:
    problems: list[Problem] = []

    nim = s.nim
    if not _DNS_LABEL.fullmatch(nim.namespace) or len(nim.namespace) > 63:
        problems.append(
            Problem(
                f"{NAMESPACE}:nim.namespace",
                nim.namespace,
                "a namespace must be a DNS label (lowercase letters, digits, '-', at most 63)",
                "e.g. nim",
            )
        )
    if not _SEMVER.fullmatch(nim.chart_version):
        problems.append(
            Problem(
                f"{NAMESPACE}:nim.chartVersion",
                nim.chart_version,
                "must pin a released chart version (semver, not empty or 'latest')",
                'e.g. chartVersion: "1.3.0"',
            )
        )
    if nim.storage_class not in STORAGE_CLASSES:
        problems.append(
            Problem(
                f"{NAMESPACE}:nim.storageClass",
                nim.storage_class,
                "is not a GKE storage class for the model cache",
                _nearest(nim.storage_class, STORAGE_CLASSES),
            )
        )
    problems += _check_cache_replication(s)
    problems += _check_cache_disk_type(s)
    plans: list[ModelPlan] = []
    for i, m in enumerate(nim.models):
        # Judged on the machines of the pool the model runs on (gpuPool or greenPool).
        found, plan = _check_model(i, m, pool_view(s, m.pool), pool_budget(s, m.pool))
        problems += found
        if plan:
            plans.append(plan)
    first_use: dict[str, int] = {}
    for i, m in enumerate(nim.models):
        release = _release_name(m)
        if release in first_use:
            problems.append(
                Problem(
                    f"{NAMESPACE}:nim.models[{i}].release",
                    release,
                    f"nim.models[{first_use[release]}] already uses this Helm release name",
                    "give each model a distinct release",
                )
            )
        first_use.setdefault(release, i)
    # The models on gpuPool (greenPool and canaries: check_rollout).
    on_main = [m for m in nim.models if m.pool == MAIN_POOL]
    replicas = sum(m.replicas for m in on_main)
    hpa = s.monitoring.hpa
    if replicas > s.gpu_pool.max_nodes >= 1:
        problems.append(
            Problem(
                f"{NAMESPACE}:gpuPool.maxNodes",
                s.gpu_pool.max_nodes,
                f"the models ask for {replicas} replicas, one GPU node each, "
                "so some could never schedule",
                f"set maxNodes: {replicas} or more, or deploy fewer replicas",
            )
        )
    elif hpa.enabled and s.gpu_pool.max_nodes >= 1:
        # The chart's HPA scales each release up to max(maxReplicas, replicas).
        peak = sum(max(hpa.max_replicas, m.replicas) for m in on_main)
        if peak > s.gpu_pool.max_nodes:
            problems.append(
                Problem(
                    f"{NAMESPACE}:monitoring.hpa.maxReplicas",
                    hpa.max_replicas,
                    f"the autoscaler could scale to {peak} replicas (up to {hpa.max_replicas} "
                    f"per model), one GPU node each, but gpuPool.maxNodes is "
                    f"{s.gpu_pool.max_nodes}",
                    f"set gpuPool.maxNodes: {peak} or more, or lower hpa.maxReplicas",
                )
            )
    if nim.service_type == "LoadBalancer" and not s.security.allow_public_load_balancer:
        problems.append(
            Problem(
                f"{NAMESPACE}:nim.serviceType",
                nim.service_type,
                "would expose an unauthenticated GPU endpoint on the internet",
                "keep ClusterIP and use port-forward or an authenticated gateway, "
                "or set security.allowPublicLoadBalancer: true",
            )
        )
    return problems, plans
