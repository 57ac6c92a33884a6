"""The validated stack: settings plus what the catalogs resolve from them."""

from __future__ import annotations

from dataclasses import dataclass

from nimgke import catalog
from nimgke.config._base import REGIONAL_CACHE_CLASS_PREFIX, STORAGE_CLASSES
from nimgke.config.settings import StackSettings


@dataclass(frozen=True)
class ModelPlan:
    """One NIM release with every default resolved."""

    name: str
    image: str
    tag: str
    release: str
    precision: str
    gpu_memory_needed_gb: float
    cache_gib: float
    cache_size: str
    cpu: str
    memory: str
    replicas: int
    profile: str | None
    profile_from: str = "config"
    """Where ``profile`` comes from: ``config`` (``models[].profile``), ``catalog`` (a known L4
    profile, :data:`nimgke.models.L4_PROFILES`), or ``none`` (NIM selects one at start)."""
    pool: str = "gpu"
    """The GPU pool the version runs on (``gpu`` or ``green``)."""


@dataclass(frozen=True)
class StackConfig:
    """The validated stack: settings plus what the catalogs resolve from them."""

    stack: str
    settings: StackSettings
    models: tuple[ModelPlan, ...]
    warnings: tuple[str, ...] = ()
    """Risks that are not errors (the stack is valid), printed by ``pulumi preview``."""

    @property
    def project(self) -> str:
        return self.settings.project

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def cluster_name(self) -> str:
        return self.settings.cluster.name or f"nim-{self.stack}"

    @property
    def cluster_location(self) -> str:
        c = self.settings.cluster
        return self.settings.region if c.regional else c.zones[0]

    @property
    def gpu_zones(self) -> list[str]:
        return list(self.settings.gpu_pool.zones or self.settings.cluster.zones)

    @property
    def gpu_machine(self) -> catalog.MachineType:
        return catalog.MACHINE_TYPES[self.settings.gpu_pool.machine_type]

    @property
    def cache_disk_type(self) -> str:
        return STORAGE_CLASSES[self.settings.nim.storage_class]

    @property
    def cache_regional(self) -> bool:
        """Whether the model cache is a regional disk (validation keeps this consistent with the
        GPU zones and machines: a zonal disk pins its pod to one zone, a regional one attaches
        only to E2, N1, N2 and N2D VMs). Never with the shared cache: the bucket is the cache."""
        if self.settings.nim.shared_cache.enabled:
            return False
        mode = self.settings.nim.cache_replication
        return mode == "regional" or (mode == "auto" and len(self.gpu_zones) > 1)

    @property
    def cache_storage_class(self) -> str:
        """The StorageClass the chart's volumeClaimTemplate names."""
        if self.cache_regional:
            return f"{REGIONAL_CACHE_CLASS_PREFIX}{self.cache_disk_type}"
        return self.settings.nim.storage_class
