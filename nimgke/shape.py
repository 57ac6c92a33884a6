"""The stack's shape: what a validated config makes, computed once by :func:`stack_shape`.

The GPU capacity plans (a ComputeClass each, whose priorities are node pools), the versions of
each model (one Helm release each), where their model files are cached, the route that leads to
each model's versions, and what the dashboard and the alerts watch: frozen dataclasses, derived
from the
:class:`~nimgke.config.StackConfig` by one pure function. ``__main__.py`` turns the shape into
components, the cost model (:mod:`nimgke.cost`) prices it; neither derives it again from the
settings. (Not :mod:`nimgke.config.shape`, the first pass of validation: the settings' types.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nimgke import autoscaling, catalog
from nimgke.config import StackConfig
from nimgke.config.check_autoscaling import wake_signals
from nimgke.config.pools import GREEN_POOL, MAIN_POOL, class_name, priorities
from nimgke.config.settings import GpuPoolSettings, HpaSettings
from nimgke.config.versions import Version, route_prefix, stable_target, versions
from nimgke.observability import Scope


@dataclass(frozen=True)
class PoolShape:
    """A GPU node pool: one priority of a capacity plan, everything
    :class:`components.gpu_node_pool.GpuNodePool` takes from the stack file."""

    name: str
    """``gpu`` (``gpuPool``) or ``green`` (``greenPool``) for the plan's first priority, the
    versions' ``pool``; ``gpu-2``, ``gpu-3``, ... for the priorities after it."""
    zones: tuple[str, ...]
    """The priority's zones, else the pool's, else the cluster's."""
    machine_type: str
    gpu_type: str
    gpu_count: int
    """GPUs per node."""
    min_nodes: int
    """Total across the zones (the pool's minNodes on the first priority, 0 after)."""
    max_nodes: int
    """Total across the zones."""
    spot: bool
    driver_version: str
    disk_size_gb: int
    disk_type: str
    image_streaming: bool
    image_cache_disk: str | None
    """The disk image attached as a secondary boot disk with the NIM image preloaded, if any."""
    plan: str = MAIN_POOL
    """The capacity plan (``gpu`` or ``green``) whose ComputeClass this pool serves."""
    priority: int = 1
    """Its place in the class's priorities, from 1."""
    compute_class: str = "nim-gpu"
    """The ComputeClass whose label and taint the pool's nodes carry."""
    reservation: str | None = None
    """A specific reservation the nodes consume, if any."""

    @property
    def gpus_per_node(self) -> int:
        """The GPUs a node carries: a G2/A2/A3 machine's own (fixed by its type), else the
        ``gpu_count`` attached to it (N1)."""
        machine = catalog.MACHINE_TYPES.get(self.machine_type)
        return machine.gpu_count if machine is not None and machine.gpu else self.gpu_count


@dataclass(frozen=True)
class CapacityShape:
    """A GPU capacity plan: a ComputeClass (:mod:`nimgke.compute_class`) whose priorities are the
    plan's node pools, tried in order. The plan's versions select the class."""

    name: str
    """``gpu`` or ``green``: what versions name as their ``pool``."""
    compute_class: str
    priorities: tuple[PoolShape, ...]

    @property
    def first(self) -> PoolShape:
        """The preferred source: the pool as the stack file states it."""
        return self.priorities[0]

    @property
    def spot(self) -> bool:
        """Some priority is Spot: the pods tolerate Spot nodes."""
        return any(p.spot for p in self.priorities)

    @property
    def active_migration(self) -> bool:
        """Spot comes first and an on-demand fallback follows: GKE moves pods back to Spot when
        it has capacity again (``activeMigration.optimizeRulePriority``)."""
        return self.first.spot and any(not p.spot for p in self.priorities[1:])


@dataclass(frozen=True)
class CacheShape:
    """Where the versions keep their model files: a disk per replica (the chart's claim template,
    of ``storage_class``), or with ``shared`` one bucket every replica mounts, a directory (and a
    claim) per version. Each version's size is its ``plan.cache_size``."""

    shared: bool
    """``nim.sharedCache.enabled``: the bucket is the cache, there is no disk per replica."""
    storage_class: str
    """The StorageClass the chart's claims name."""
    disk_type: str
    """The persistent disk type behind ``storage_class``."""
    regional: bool
    """A regional disk (replicated across ``zones``); else zonal."""
    zones: tuple[str, ...]
    """The GPU zones: where a regional disk keeps its replicas."""


@dataclass(frozen=True)
class RouteShape:
    """How a model is reached: its Gateway path, its versions' shares, its stable Service."""

    model: str
    """The model's release name: its stable Service and its path."""
    prefix: str
    """The Gateway path of its OpenAI API."""
    backends: tuple[Version, ...]
    """The model's versions, main first, each with its ``weight`` (percent of requests)."""
    stable: Version
    """The version the stable Service selects (a selector cannot split traffic)."""


@dataclass(frozen=True)
class ScheduleShape:
    """``monitoring.hpa.wakeSchedule``: the hours every version is awake."""

    days: tuple[str, ...]
    start: str
    end: str
    time_zone: str

    @property
    def window_hours(self) -> float:
        """Hours from ``start`` to ``end`` on each of its days."""
        (h0, m0), (h1, m1) = (map(int, t.split(":")) for t in (self.start, self.end))
        return (h1 * 60 + m1 - h0 * 60 - m0) / 60

    def as_dict(self) -> dict[str, Any]:
        """As :mod:`nimgke.wake_signal` reads it (``NIM_WAKE_SCHEDULE``)."""
        return {
            "days": list(self.days),
            "start": self.start,
            "end": self.end,
            "timeZone": self.time_zone,
        }


@dataclass(frozen=True)
class AutoscalingShape:
    """Each version's HPA (``monitoring.hpa``), through GKE's managed metrics adapter:
    :mod:`nimgke.autoscaling` builds its signals."""

    min_replicas: int | None
    """None: each version's ``replicas``; 0: versions sleep when idle."""
    max_replicas: int
    idle_minutes: int
    metric: str
    target_average: float
    wake_on_requests: bool
    """A request through the Gateway wakes a sleeping version (only with a Gateway)."""
    wake_on_command: bool
    schedule: ScheduleShape | None

    @property
    def sleeps(self) -> bool:
        return self.min_replicas == 0

    @property
    def wake_gauge(self) -> bool:
        """Whether the stack writes the wake gauge (a schedule or ``nimctl wake``)."""
        return self.sleeps and (self.schedule is not None or self.wake_on_command)

    def floor(self, replicas: int) -> int:
        """The HPA's ``minReplicas`` for a version of ``replicas``."""
        return replicas if self.min_replicas is None else self.min_replicas

    def ceiling(self, replicas: int) -> int:
        """The HPA's ``maxReplicas`` for a version of ``replicas``."""
        return max(self.max_replicas, replicas, self.floor(replicas))

    def release(self, v: Version, scope: Scope) -> tuple[dict[str, Any], dict[str, Any]]:
        """A version's chart ``autoscaling`` values and its AutoscalingMetric ``spec``."""
        where = autoscaling.ReleaseScope(
            release=v.release, fullname=v.service, cluster=scope.cluster, namespace=scope.namespace
        )
        signals = autoscaling.release_signals(
            where,
            metric=self.metric,
            target_average=self.target_average,
            sleeps=self.sleeps,
            wake_on_requests=self.wake_on_requests,
            wake_gauge=self.wake_gauge,
        )
        values = autoscaling.chart_autoscaling(
            v.release,
            signals,
            min_replicas=self.floor(v.plan.replicas),
            max_replicas=self.ceiling(v.plan.replicas),
            idle_seconds=self.idle_minutes * 60,
        )
        return values, autoscaling.autoscaling_metric_spec(signals)


@dataclass(frozen=True)
class StackShape:
    """What the stack makes, as :func:`stack_shape` derives it from a validated config."""

    gpu_pool: PoolShape
    """gpuPool's first priority (the pool as the stack file states it)."""
    green_pool: PoolShape | None
    """greenPool's first priority; declared for a blue/green rollout, else None."""
    versions: tuple[Version, ...]
    """Every version of every model, mains first within each model."""
    cache: CacheShape
    routes: tuple[RouteShape, ...]
    """One per model, in the order of ``nim.models``."""
    scope: Scope
    """What the dashboard and the alert policies watch: the cluster, the NIM namespace, gpuPool."""
    plans: tuple[CapacityShape, ...] = ()
    """The capacity plans: ``gpu``, then ``green`` if declared."""
    autoscaling: AutoscalingShape | None = None
    """``monitoring.hpa`` when enabled: each version's HPA; None: no HPA."""

    @property
    def pools(self) -> tuple[PoolShape, ...]:
        """Every GPU node pool: each plan's priorities in order, ``gpu`` then ``green``."""
        return tuple(p for plan in self.plans for p in plan.priorities)

    def pool(self, name: str) -> PoolShape:
        """A node pool by name; a version's ``pool`` names its plan's first priority
        (validation lets a version name only a declared pool)."""
        return {p.name: p for p in self.pools}[name]

    def plan(self, name: str) -> CapacityShape:
        """The capacity plan a version names (``gpu`` or ``green``)."""
        return {p.name: p for p in self.plans}[name]

    def replicas_on(self, pool: str) -> int:
        """Replicas of every version (main and canary) that runs on ``pool``."""
        return sum(v.plan.replicas for v in self.versions if v.pool == pool)

    def warm_replicas_on(self, pool: str) -> int:
        """Replicas on ``pool`` that run whether anyone uses them: each version's ``replicas``
        without an HPA, its ``minReplicas`` with one (0 while it sleeps)."""
        auto = self.autoscaling
        return sum(
            v.plan.replicas if auto is None else auto.floor(v.plan.replicas)
            for v in self.versions
            if v.pool == pool
        )

    def serving_replicas_on(self, pool: str) -> int:
        """Replicas on ``pool`` while the versions serve: their ``replicas``, never below the
        HPA's floor."""
        auto = self.autoscaling
        return sum(
            v.plan.replicas if auto is None else max(v.plan.replicas, auto.floor(v.plan.replicas))
            for v in self.versions
            if v.pool == pool
        )


def _plan(name: str, p: GpuPoolSettings, cluster_zones: list[str]) -> CapacityShape:
    compute_class = class_name(name)
    return CapacityShape(
        name=name,
        compute_class=compute_class,
        priorities=tuple(
            PoolShape(
                name=name if prio.index == 1 else f"{name}-{prio.index}",
                zones=prio.zones or tuple(cluster_zones),
                machine_type=prio.machine_type,
                gpu_type=p.gpu_type,
                gpu_count=p.gpu_count,
                min_nodes=prio.min_nodes,
                max_nodes=prio.max_nodes,
                spot=prio.spot,
                driver_version=p.driver_version,
                disk_size_gb=p.disk_size_gb,
                disk_type=p.disk_type,
                image_streaming=p.image_streaming,
                image_cache_disk=p.image_cache_disk.disk_image if p.image_cache_disk else None,
                plan=name,
                priority=prio.index,
                compute_class=compute_class,
                reservation=prio.reservation,
            )
            for prio in priorities(p)
        ),
    )


def _autoscaling(cfg: StackConfig, hpa: HpaSettings) -> AutoscalingShape | None:
    if not hpa.enabled:
        return None
    sched = hpa.wake_schedule
    return AutoscalingShape(
        min_replicas=hpa.min_replicas,
        max_replicas=hpa.max_replicas,
        idle_minutes=hpa.idle_minutes,
        metric=hpa.metric,
        target_average=hpa.target_average,
        wake_on_requests="requests" in wake_signals(cfg.settings),
        wake_on_command=hpa.wake_on_command,
        schedule=None
        if sched is None
        else ScheduleShape(tuple(sched.days), sched.start, sched.end, sched.time_zone),
    )


def version_gpu_nodes(
    plan: CapacityShape, all_versions: tuple[Version, ...], auto: AutoscalingShape | None
) -> int:
    """The GPU nodes the versions on ``plan`` may ask for at once: per version, the pods its HPA
    may run (``maxReplicas``, :meth:`AutoscalingShape.ceiling`; its ``replicas`` without an HPA)
    times the GPUs a pod requests (the pool's ``gpuCount``, the chart's ``nvidia.com/gpu``), over
    the GPUs of the pool's node, rounded up; summed. No HPA scales a version past it ("maxReplicas
    is the upper limit for the number of replicas to which the autoscaler can scale up",
    kubernetes/api@6e64302b autoscaling/v2/types.go HorizontalPodAutoscalerSpec), so once the pool
    runs this many nodes no more pods come, whatever the queue: the ``gpuPoolAtMax`` alert's
    ceiling (with the pool's ``maxNodes``, :attr:`Scope.gpu_ceiling_nodes`)."""
    pool = plan.first
    return sum(
        math.ceil(
            (v.plan.replicas if auto is None else auto.ceiling(v.plan.replicas))
            * pool.gpu_count
            / pool.gpus_per_node
        )
        for v in all_versions
        if v.pool == plan.name
    )


def stack_shape(cfg: StackConfig) -> StackShape:
    """The shape of a validated stack (pure: reads ``cfg`` only)."""
    s = cfg.settings
    zones = s.cluster.zones
    plans = (_plan(MAIN_POOL, s.gpu_pool, zones),) + (
        () if s.green_pool is None else (_plan(GREEN_POOL, s.green_pool, zones),)
    )
    gpu = plans[0].first
    green = plans[1].first if len(plans) > 1 else None
    all_versions = tuple(versions(cfg))
    auto = _autoscaling(cfg, s.monitoring.hpa)
    by_model: dict[str, list[Version]] = {}
    for v in all_versions:
        by_model.setdefault(v.model, []).append(v)
    return StackShape(
        gpu_pool=gpu,
        green_pool=green,
        versions=all_versions,
        cache=CacheShape(
            shared=s.nim.shared_cache.enabled,
            storage_class=cfg.cache_storage_class,
            disk_type=cfg.cache_disk_type,
            regional=cfg.cache_regional,
            zones=gpu.zones,
        ),
        routes=tuple(
            RouteShape(
                model=model,
                prefix=route_prefix(model),
                backends=tuple(vs),
                stable=stable_target(vs),
            )
            for model, vs in by_model.items()
        ),
        scope=Scope(
            stack=cfg.stack,
            cluster=cfg.cluster_name,
            namespace=s.nim.namespace,
            # gpuPool's nodes on every priority of its ComputeClass: the pool line and gpuPoolAtMax
            # count them all, against the priorities' bounds summed (the class adds nodes until
            # every priority is at its maximum) and the nodes gpuPool's versions may ask for.
            gpu_min_nodes=sum(p.min_nodes for p in plans[0].priorities),
            gpu_max_nodes=sum(p.max_nodes for p in plans[0].priorities),
            gpu_version_nodes=version_gpu_nodes(plans[0], all_versions, auto),
            gpu_pools=tuple(p.name for p in plans[0].priorities),
        ),
        plans=plans,
        autoscaling=auto,
    )
