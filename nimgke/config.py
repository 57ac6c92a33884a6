"""Read and validate the whole stack configuration into typed objects, before anything is created.

One entry point for the Pulumi program (:func:`load_from_pulumi`) and one for tools that read a
stack file without the Pulumi CLI (:func:`load_stack_file`). Both run the same two passes:

1. shape: pydantic models (strict: ``"2"`` is not a number and ``yes`` is not a boolean);
2. meaning: the rules in :func:`_check` against the hardware and model catalogs.

Every mistake becomes a :class:`Problem` naming the config key, the value, the rule and a fix; all
problems of a pass are reported together in one :class:`ConfigError` (a ``pulumi.RunError``, which
Pulumi prints without a Python traceback).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from nimgke import catalog
from nimgke.models import (
    BYTES_PER_PARAM,
    KV_CACHE_MARGIN,
    MODELS,
    cache_needed_gib,
    gpu_memory_needed_gb,
)

NAMESPACE = "nim-gke"
PROJECT_KEY = "gcp:project"
NGC_KEY = f"{NAMESPACE}:ngcApiKey"

# GKE's built-in storage classes and the persistent disk type each provisions.
STORAGE_CLASSES = {
    "standard-rwo": "pd-balanced",
    "premium-rwo": "pd-ssd",
    "standard": "pd-standard",
}
DISK_TYPES = ("pd-balanced", "pd-standard", "pd-ssd")
# The StorageClass the stack creates for a regional model cache: nim-cache-regional-pd-ssd, ...
REGIONAL_CACHE_CLASS_PREFIX = "nim-cache-regional-"
# A regional disk has exactly two replicas, in two zones of one region.
REGIONAL_DISK_ZONES = 2
MIN_GPU_BOOT_DISK_GB = 100
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Matched with ``fullmatch`` (``$`` alone would let a trailing newline through).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_CLUSTER_NAME = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")
_SEMVER = re.compile(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?")
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(Mi|Gi|Ti|M|G|T)")
_CPU = re.compile(r"(\d+(?:\.\d+)?)(m?)")
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_KMS_KEY = re.compile(r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+")
_BILLING_ACCOUNT = re.compile(r"[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# Address ranges reserved for documentation (RFC 5737, RFC 3849): they match no real host.
DOCUMENTATION_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]


class _Settings(BaseModel):
    model_config = ConfigDict(
        # Stack files use the camelCase names only: ``gpu_pool`` is an unknown key, not an alias.
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
    )


class SystemPoolSettings(_Settings):
    machine_type: str = "e2-standard-4"
    min_nodes: NonNegInt = 1
    """Total across the cluster's zones."""
    max_nodes: NonNegInt = 3
    disk_size_gb: Annotated[int, Field(ge=10)] = 50
    disk_type: Literal["pd-balanced", "pd-standard", "pd-ssd"] = "pd-balanced"


class ClusterSettings(_Settings):
    name: str | None = None
    """GKE cluster name; defaults to ``nim-<stack>``."""
    regional: bool = False
    """A regional control plane (3 replicas, SLA, management fee) or a zonal one (free tier)."""
    zones: Annotated[list[str], Field(min_length=1)]
    """Zones for the nodes; a zonal cluster's control plane lives in the first."""
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    deletion_protection: bool = True
    system_pool: SystemPoolSettings = SystemPoolSettings()


class GpuPoolSettings(_Settings):
    machine_type: str = "g2-standard-4"
    gpu_type: str = "nvidia-l4"
    gpu_count: PosInt = 1
    """GPUs per node; fixed by the machine type on g2/a2/a3."""
    min_nodes: NonNegInt = 0
    """Total across zones (``total_min_node_count``); 0 lets the pool scale to zero."""
    max_nodes: NonNegInt = 2
    """Total across zones (``total_max_node_count``)."""
    require_warm_node: bool = False
    """Refuse a stack whose pool could scale to zero (prod keeps one node warm)."""
    spot: bool = False
    driver_version: Literal["DEFAULT", "LATEST"] = "LATEST"
    disk_size_gb: Annotated[int, Field(ge=10)] = 200
    disk_type: Literal["pd-balanced", "pd-standard", "pd-ssd"] = "pd-balanced"
    zones: list[str] | None = None
    """Zones for this pool; defaults to the cluster's zones."""


class ModelSettings(_Settings):
    name: str
    """The OpenAI model id NIM serves, e.g. ``meta/llama3-8b-instruct``."""
    tag: str
    """Image tag; pin it (never ``latest``)."""
    image: str | None = None
    """Image repository; defaults to the catalog's image for ``name``."""
    release: str | None = None
    """Helm release name; defaults to the last part of ``name``."""
    precision: Literal["bf16", "fp16", "fp8", "int8", "int4"] | None = None
    params_billion: Annotated[float, Field(gt=0)] | None = None
    """Parameter count, for images outside the catalog."""
    gpu_memory_gb: Annotated[float, Field(gt=0)] | None = None
    """GPU memory the model needs, for images outside the catalog (overrides the estimate)."""
    cache_size: str = "50Gi"
    profile: str | None = None
    """``NIM_MODEL_PROFILE`` to pin once ``list-model-profiles`` was read on the target GPU."""
    cpu: str | None = None
    """CPU request; defaults to what the GPU node can give after GKE's own pods."""
    memory: str | None = None
    """Memory request (and limit); defaults like ``cpu``."""
    replicas: PosInt = 1


class NimSettings(_Settings):
    namespace: str = "nim"
    chart_repo: str = "https://helm.ngc.nvidia.com/nim"
    chart_version: str
    storage_class: str = "standard-rwo"
    """GKE storage class whose disk type the model cache uses (zonal), see ``cacheReplication``."""
    cache_replication: Literal["auto", "zonal", "regional"] = "auto"
    """``auto``: a regional disk when the GPU pool spans two zones, zonal in one zone."""
    service_type: Literal["ClusterIP", "LoadBalancer"] = "ClusterIP"
    models: Annotated[list[ModelSettings], Field(min_length=1)]


class AuthorizedNetwork(_Settings):
    cidr: str
    name: str = ""


class MaintenanceWindow(_Settings):
    start: str = "03:00"
    """UTC start time, HH:MM."""
    hours: Annotated[int, Field(ge=4, le=24)] = 6
    days: Annotated[list[str], Field(min_length=1)] = ["SA", "SU"]


class SecuritySettings(_Settings):
    private_nodes: bool = True
    private_endpoint: bool = False
    """Turn the control plane's public IP endpoint off (the private one stays, for the VPC)."""
    dns_endpoint: bool = True
    """GKE's DNS-based control-plane endpoint, authorised by IAM (the kubeconfig uses it)."""
    master_authorized_networks: list[AuthorizedNetwork] = []
    """Source ranges allowed to the IP endpoints (not needed for the DNS endpoint)."""
    secrets_encryption: bool = True
    """Application-layer Secret encryption with Cloud KMS."""
    kms_key: str | None = None
    """An existing ``projects/.../cryptoKeys/...`` key; the stack creates one when unset."""
    pod_security: Literal["restricted", "baseline", "privileged"] = "restricted"
    network_policies: bool = True
    allowed_client_namespaces: list[str] = []
    allow_public_load_balancer: bool = False
    ngc_key_source: Literal["config", "secretManager"] = "config"
    ngc_secret: str | None = None
    """Secret Manager secret id holding the NGC key (with ``ngcKeySource: secretManager``)."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()


class HpaSettings(_Settings):
    enabled: bool = False
    metric: str = "num_requests_waiting"
    target_average: Annotated[float, Field(gt=0)] = 10
    max_replicas: PosInt = 2


class MonitoringSettings(_Settings):
    managed_prometheus: bool = True
    dcgm: bool = True
    pod_monitoring: bool = True
    hpa: HpaSettings = HpaSettings()


class CostSettings(_Settings):
    gpu_hours_per_day: Annotated[float, Field(ge=0, le=24)] = 24
    """Expected hours per day the GPU pool runs above its minimum (one node per model replica)."""
    commitment: Literal["none", "1y", "3y"] = "none"


class BudgetSettings(_Settings):
    billing_account: str
    monthly_usd: Annotated[float, Field(gt=0)]
    thresholds: list[Annotated[float, Field(gt=0, le=2)]] = [0.5, 0.9, 1.0]


class StackSettings(_Settings):
    """Everything a stack file sets, as read (before catalog defaults are applied)."""

    project: str
    region: str
    cluster: ClusterSettings
    gpu_pool: GpuPoolSettings = GpuPoolSettings()
    nim: NimSettings
    security: SecuritySettings = SecuritySettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    cost: CostSettings = CostSettings()
    budget: BudgetSettings | None = None


# --- resolved, ready-to-use objects ---------------------------------------------------------


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
        GPU zones: a zonal disk pins its pod to one zone, FACTS 20)."""
        mode = self.settings.nim.cache_replication
        return mode == "regional" or (mode == "auto" and len(self.gpu_zones) > 1)

    @property
    def cache_storage_class(self) -> str:
        """The StorageClass the chart's volumeClaimTemplate names."""
        if self.cache_regional:
            return f"{REGIONAL_CACHE_CLASS_PREFIX}{self.cache_disk_type}"
        return self.settings.nim.storage_class


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    rule: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key} = {_show(self.value)}: {self.rule}. Fix: {self.fix}"


class ConfigError(pulumi.RunError):
    """Every problem found in a stack's config, reported at once before anything is created."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"stack '{stack}': {len(problems)} config {noun}; nothing was created:"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(not set)"
    # default=str: a stack file read outside the engine may hold other YAML types.
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


_MISSING = object()


def _nearest(value: Any, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
    listing = ", ".join(choices)
    return f"use one of: {listing}" + (f" (did you mean '{close[0]}'?)" if close else "")


# --- pass 1: shape ----------------------------------------------------------------------------

_TYPE_RULES = {
    "bool_type": ("must be true or false", "write true or false, without quotes"),
    "int_type": ("must be a whole number", "write a number such as 2, without quotes"),
    "int_from_float": ("must be a whole number", "write a number such as 2"),
    "float_type": ("must be a number", "write a number such as 8, without quotes"),
    "string_type": ("must be text", "write it as text; quote values that look like numbers"),
    "list_type": ("must be a list", "write a YAML list, one '- item' per line"),
    "model_type": ("must be an object", "write a YAML mapping of settings"),
    "missing": ("is required", "set it in the stack file (see the README's config table)"),
}


_RANGE_FIXES = {
    "greater_than_equal": "use {ge:g} or more",
    "greater_than": "use a number above {gt:g}",
    "less_than_equal": "use {le:g} or less",
    "less_than": "use a number below {lt:g}",
}


def _key(loc: tuple[Any, ...]) -> str:
    head, *rest = loc
    # The key as the user wrote it (pydantic reports known settings by their camelCase alias).
    key = PROJECT_KEY if head == "project" else f"{NAMESPACE}:{head}"
    for part in rest:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model inside an annotation such as ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The settings allowed where an unknown key was found (for 'did you mean')."""
    model: type[BaseModel] | None = StackSettings
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    # ``project`` is set as gcp:project, not nim-gke:project.
    skip = {"project"} if model is StackSettings else set()
    return [f.alias or n for n, f in model.model_fields.items() if n not in skip]


def _pydantic_problems(err: ValidationError) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc, typ = tuple(e["loc"]), e["type"]
        value = e.get("input", _MISSING) if typ != "missing" else _MISSING
        if typ == "extra_forbidden":
            rule, fix = "is not a setting nim-gke knows", _nearest(loc[-1], _fields_at(loc))
            fix = "remove it, or " + fix
        elif typ == "literal_error":
            expected = re.findall(r"'([^']*)'", e["ctx"]["expected"])
            rule, fix = "is not an allowed value", _nearest(value, expected)
        elif typ in _TYPE_RULES:
            rule, fix = _TYPE_RULES[typ]
        elif typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            rule = e["msg"].replace("Input should be", "must be")
            fix = _RANGE_FIXES[typ].format(**e.get("ctx", {}))
        elif typ == "too_short":
            rule, fix = "must not be empty", "add at least one entry"
        else:
            rule, fix = e["msg"], "see the README's config table"
        problems.append(Problem(_key(loc), value, rule, fix))
    return problems


# --- pass 2: meaning --------------------------------------------------------------------------


def _parse_quantity_gib(text: str) -> float | None:
    m = _QUANTITY.fullmatch(text)
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2)
    factor = {
        "Mi": 1 / 1024,
        "Gi": 1,
        "Ti": 1024,
        "M": 1e6 / 1024**3,
        "G": 1e9 / 1024**3,
        "T": 1e12 / 1024**3,
    }[unit]
    return n * factor


def _parse_cpu_milli(text: str) -> int | None:
    m = _CPU.fullmatch(text)
    if not m:
        return None
    n = float(m.group(1))
    return int(n) if m.group(2) else int(n * 1000)


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


def _check_cache_replication(s: StackSettings) -> list[Problem]:
    """The model cache must be attachable in every zone of the GPU pool (FACTS 20)."""
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
                "give the GPU pool two zones (set gpuPool.zones)",
            )
        ]
    if mode == "zonal" and len(zones) > 1:
        return [
            Problem(
                key,
                mode,
                f"the GPU pool spans {', '.join(zones)}, but a zonal disk pins the NIM pod to the "
                "zone it was first attached in, so a GPU node in the other zone could never run it",
                "set cacheReplication: auto (a regional disk), or give the GPU pool one zone",
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
    return []


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
    if not _DNS_LABEL.fullmatch(release) or len(release) > 53:
        problems.append(
            Problem(
                f"{key}.release",
                release,
                "a Helm release name must be a DNS label of at most 53 characters "
                "(lowercase letters, digits, '-')",
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
        profile=m.profile,
    )


def _check(
    stack: str, s: StackSettings, ngc_key: tuple[bool, bool]
) -> tuple[list[Problem], list[ModelPlan]]:
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
    machine = catalog.MACHINE_TYPES.get(s.gpu_pool.machine_type)
    budget = catalog.workload_budget(machine) if machine else None
    plans: list[ModelPlan] = []
    for i, m in enumerate(nim.models):
        found, plan = _check_model(i, m, s, budget)
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
    replicas = sum(m.replicas for m in nim.models)
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
        peak = sum(max(hpa.max_replicas, m.replicas) for m in nim.models)
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
    problems += _check_security(s, ngc_key)
    if s.budget is not None and not _BILLING_ACCOUNT.fullmatch(s.budget.billing_account):
        problems.append(
            Problem(
                f"{NAMESPACE}:budget.billingAccount",
                s.budget.billing_account,
                "is not a billing account id",
                "write it like 012345-6789AB-CDEF01",
            )
        )
    return problems, plans


def _relation(net: ipaddress.IPv4Network | ipaddress.IPv6Network, other: Any) -> str:
    if net == other:
        return "is"
    return "is inside" if net.subnet_of(other) else "contains"


def _check_security(s: StackSettings, ngc_key: tuple[bool, bool]) -> list[Problem]:
    key, sec = f"{NAMESPACE}:security", s.security
    problems: list[Problem] = []
    for i, net in enumerate(sec.master_authorized_networks):
        try:
            network = ipaddress.ip_network(net.cidr, strict=True)
        except ValueError:
            problems.append(
                Problem(
                    f"{key}.masterAuthorizedNetworks[{i}].cidr",
                    net.cidr,
                    "is not a CIDR block (a network address and prefix length)",
                    "write it like 10.0.0.0/8, with the host bits zero",
                )
            )
            continue
        doc_range = next((d for d in DOCUMENTATION_RANGES if network.overlaps(d)), None)
        if doc_range is not None:
            problems.append(
                Problem(
                    f"{key}.masterAuthorizedNetworks[{i}].cidr",
                    net.cidr,
                    f"{_relation(network, doc_range)} {doc_range}, an address range reserved "
                    "for documentation (RFC "
                    f"{5737 if doc_range.version == 4 else 3849}): no deployer or CI runner has "
                    "such an address, so it would let nobody in",
                    "list your own egress ranges, or remove the entry: kubectl, Pulumi and CI "
                    "reach the control plane through the DNS endpoint (security.dnsEndpoint: "
                    "true), authorised by IAM",
                )
            )
    if sec.private_endpoint and not sec.private_nodes:
        problems.append(
            Problem(
                f"{key}.privateEndpoint",
                True,
                "a private endpoint needs private nodes",
                "set privateNodes: true, or privateEndpoint: false",
            )
        )
    if sec.kms_key is not None and not _KMS_KEY.fullmatch(sec.kms_key):
        problems.append(
            Problem(
                f"{key}.kmsKey",
                sec.kms_key,
                "is not a Cloud KMS key name",
                "write projects/P/locations/L/keyRings/R/cryptoKeys/K, or remove "
                "it to let the stack create one",
            )
        )
    for i, ns in enumerate(sec.allowed_client_namespaces):
        if not _DNS_LABEL.fullmatch(ns):
            problems.append(
                Problem(
                    f"{key}.allowedClientNamespaces[{i}]",
                    ns,
                    "is not a namespace name",
                    "use a DNS label such as 'apps'",
                )
            )
    mw = sec.maintenance_window
    if not _HHMM.fullmatch(mw.start):
        problems.append(
            Problem(
                f"{key}.maintenanceWindow.start",
                mw.start,
                "is not a UTC time",
                'write it like "03:00"',
            )
        )
    bad_days = [d for d in mw.days if d not in WEEKDAYS]
    if bad_days:
        problems.append(
            Problem(
                f"{key}.maintenanceWindow.days",
                mw.days,
                f"has days GKE does not know: {', '.join(bad_days)}",
                f"use the two-letter codes {', '.join(WEEKDAYS)}",
            )
        )
    elif len(set(mw.days)) * mw.hours < 12:
        problems.append(
            Problem(
                f"{key}.maintenanceWindow",
                {"days": mw.days, "hours": mw.hours},
                "GKE needs at least 48 hours of maintenance availability in 32 "
                "days (about 12 hours a week)",
                "add days or hours",
            )
        )
    has_key, key_is_secret = ngc_key
    if sec.ngc_key_source == "config":
        if not has_key:
            problems.append(
                Problem(
                    NGC_KEY,
                    _MISSING,
                    "the NGC API key is required",
                    f"run: pulumi config set --secret {NGC_KEY} <nvapi-...>, or "
                    "set security.ngcKeySource: secretManager",
                )
            )
        elif not key_is_secret:
            problems.append(
                Problem(
                    NGC_KEY,
                    "(hidden)",
                    "is stored in plain text",
                    f"run: pulumi config set --secret {NGC_KEY} <nvapi-...>",
                )
            )
    elif not sec.ngc_secret:
        problems.append(
            Problem(
                f"{key}.ngcSecret",
                _MISSING,
                "ngcKeySource is secretManager but no secret is named",
                "set ngcSecret to the Secret Manager secret id, e.g. ngc-api-key",
            )
        )
    return problems


# --- entry points -----------------------------------------------------------------------------


def parse(stack: str, raw: Mapping[str, Any], ngc_key: tuple[bool, bool]) -> StackConfig:
    """Validate raw config (``{"nim-gke:region": ..., "gcp:project": ...}``) into a StackConfig.

    ``ngc_key`` says whether the NGC key is set and whether it is stored as a secret; the key
    itself never reaches this function.
    """
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if full_key == PROJECT_KEY:
            data["project"] = value
        elif ns != NAMESPACE or full_key == NGC_KEY:
            continue
        elif key == "project":
            # Would otherwise stand in for (or silently replace) gcp:project.
            problems.append(
                Problem(
                    full_key,
                    value,
                    "is not a setting nim-gke knows",
                    f"remove it; the project is set as {PROJECT_KEY}",
                )
            )
        elif isinstance(value, str) and key != "region" and value[:1] in ("[", "{"):
            # The engine hands structured values over as JSON text.
            try:
                data[key] = json.loads(value)
            except json.JSONDecodeError:
                problems.append(
                    Problem(
                        full_key,
                        value,
                        "is not valid structured config",
                        "write it as a YAML mapping in the stack file",
                    )
                )
        else:
            data[key] = value
    try:
        settings = StackSettings.model_validate(data)
    except ValidationError as err:
        # Keys already reported above are not reported again as missing.
        seen = {p.key for p in problems}
        problems += [p for p in _pydantic_problems(err) if p.key not in seen]
    if problems:
        raise ConfigError(stack, problems)
    problems, plans = _check(stack, settings, ngc_key)
    if problems:
        raise ConfigError(stack, problems)
    return StackConfig(
        stack=stack,
        settings=settings,
        models=tuple(plans),
        warnings=tuple(_warnings(settings, plans)),
    )


def _warnings(s: StackSettings, plans: list[ModelPlan]) -> list[str]:
    found = []
    sec = s.security
    if sec.private_endpoint and not sec.dns_endpoint:
        found.append(
            f"{NAMESPACE}:security.dnsEndpoint = false with privateEndpoint: true: the control "
            "plane is reachable only from inside the VPC, so `pulumi up` from a laptop or a "
            "GitHub-hosted runner cannot create the Kubernetes resources. Run Pulumi from the VPC, "
            "or set dnsEndpoint: true (IAM-authorised, no address list)."
        )
    for i, plan in enumerate(plans):
        known = MODELS.get(plan.name)
        mem_gib = _parse_quantity_gib(plan.memory) or 0.0
        if known and known.host_memory_gb and mem_gib * 1024**3 / 1e9 < known.host_memory_gb:
            found.append(
                f"{NAMESPACE}:nim.models[{i}].memory = {plan.memory!r}: NVIDIA's rough guide asks "
                f"about {known.host_memory_gb:g} GB of host memory for {plan.name} (NIM 1.3.0 "
                f"support matrix); a {s.gpu_pool.machine_type} node can give the pod "
                f"{plan.memory}. If `nimctl doctor` reports OOMKilled while loading, use a larger "
                "machine (e.g. gpuPool.machineType: g2-standard-8)."
            )
    return found


def load_from_pulumi() -> StackConfig:
    """Read this stack's config from the Pulumi engine (``pulumi up``/``preview`` or mocks)."""
    from pulumi.runtime import config as rc  # noqa: PLC0415 - engine internals, read once

    raw = {**rc.get_config_env(), **rc.CONFIG.get()}
    secret_keys = set(rc.get_config_secret_keys_env()) | {k for k in raw if rc.is_config_secret(k)}
    has_key = bool(raw.get(NGC_KEY))
    return parse(pulumi.get_stack(), raw, (has_key, NGC_KEY in secret_keys))


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as Pulumi reads it (1.2): ``yes``/``no``/``on``/``off`` are strings, not booleans;
    ``2024-05-01`` is a string, not a date; ``12:30`` is a string, not the base-60 number 750."""


_YAML11_ONLY = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp", "value")}
_Yaml12Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag not in _YAML11_ONLY]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# PyYAML's own int and float patterns without their base-60 (``1:20``) forms.
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml`` file."""
    doc = yaml.load(path.read_text(), Loader=_Yaml12Loader) or {}  # noqa: S506 - safe subclass
    return dict(doc.get("config") or {})


def load_stack_file(path: Path) -> StackConfig:
    """Validate a stack file without the Pulumi engine (used by ``nimctl``)."""
    raw = read_stack_file(path)
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    key = raw.get(NGC_KEY)
    has_key = key is not None
    is_secret = isinstance(key, dict) and "secure" in key
    # Outside the engine the key may live elsewhere (CI): only a plain-text one is an error.
    return parse(stack, raw, (True, True) if not has_key else (has_key, is_secret))
