"""The stack file's settings as typed models (pass 1, shape): what a key may hold.

Camel-case names only (``gpuPool``, not ``gpu_pool``), strict types, and every default here. A new
area of settings adds its model and a field of :class:`StackSettings`; its rules go in a
``check_<area>`` module.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from nimgke.config._base import _Settings

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]


class SystemPoolSettings(_Settings):
    machine_type: str = "e2-standard-4"
    min_nodes: NonNegInt = 1
    """Total across the cluster's zones."""
    max_nodes: NonNegInt = 3
    disk_size_gb: Annotated[int, Field(ge=10)] = 50
    disk_type: Literal["pd-balanced", "pd-standard", "pd-ssd"] = "pd-balanced"
    spot: bool = False
    """Spot VMs for the system pool (dev): cheaper, but DNS and metrics pause when reclaimed."""


class ClusterSettings(_Settings):
    name: str | None = None
    """GKE cluster name; defaults to ``nim-<stack>``."""
    regional: bool = False
    """A regional control plane (3 replicas, SLA, management fee) or a zonal one (free tier)."""
    zones: Annotated[list[str], Field(min_length=1)]
    """Zones for the nodes; a zonal cluster's control plane lives in the first."""
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    min_master_version: str | None = None
    """The control plane's minimum GKE version (``min_master_version``), e.g.
    ``1.37.0-gke.3100000``; the node pools follow it through auto-upgrade. Unset: GKE's default
    version of the release channel, which validation cannot know (features that need a version
    are refused)."""
    hpa_profile: Literal["NONE", "PERFORMANCE"] | None = None
    """The cluster's HPA profile (``pod_autoscaling.hpa_profile``); GKE's managed metrics adapter
    needs ``PERFORMANCE``. Unset: GKE's default."""
    deletion_protection: bool = True
    system_pool: SystemPoolSettings = SystemPoolSettings()


class ImageCacheDiskSettings(_Settings):
    """A disk image built with GKE's ``gke-disk-image-builder`` holding the NIM image, attached to
    every new GPU node as a secondary boot disk in ``CONTAINER_IMAGE_CACHE`` mode."""

    disk_image: str
    """``global/images/NAME`` (this project) or ``projects/PROJECT/global/images/NAME``."""
    other_project_access: bool = False
    """Set true only once the GKE service agent of this project may use images of the disk
    image's project (docs/startup.md, "Preloading the image on a secondary boot disk")."""


class FallbackSettings(_Settings):
    """A source of GPU nodes GKE falls back to when the ones before it cannot add a node: a
    priority of the pool's ComputeClass after the pool itself (docs/capacity.md). Each is a node
    pool of its own; what a fallback leaves unset is the pool's."""

    spot: bool | None = None
    """Spot VMs (``true``) or on-demand (``false``); default: the pool's ``spot``."""
    machine_type: str | None = None
    """Another machine carrying the pool's GPUs (same type and count: the pods and their pinned
    NIM profile are the same on every priority); default: the pool's ``machineType``."""
    zones: list[str] | None = None
    """Zones of this fallback; default: the pool's zones."""
    reservation: str | None = None
    """A specific Compute Engine reservation to consume: ``NAME`` (this project) or
    ``projects/PROJECT/reservations/NAME`` (shared); on-demand only."""
    max_nodes: NonNegInt | None = None
    """Nodes this fallback may add, total across its zones; default: the pool's ``maxNodes``."""


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
    image_streaming: bool = True
    """GKE image streaming (``gcfs_config``) on the GPU pool; needs the image in Artifact Registry
    (``registry.mirror``), see :mod:`nimgke.config.check_images`."""
    image_cache_disk: ImageCacheDiskSettings | None = None
    """A secondary boot disk with the NIM image preloaded (off unless set)."""
    fallbacks: list[FallbackSettings] = []
    """Where GKE gets nodes, in order, when the pool as configured cannot add one (the priorities
    of the pool's ComputeClass after the pool itself): e.g. on-demand after Spot."""


class CanarySettings(_Settings):
    """A second version of a model: its own Helm release, a share of the model's traffic."""

    tag: str
    """Image tag of the new version (a version is a tag on a pool)."""
    weight: int
    """Percent of the model's requests the canary gets, 0-100 (the HTTPRoute's backendRefs)."""
    image: str | None = None
    """Image repository; defaults to the model's."""
    profile: str | None = None
    """``NIM_MODEL_PROFILE``; defaults to the model's."""
    replicas: PosInt | None = None
    """Defaults to the model's."""
    pool: Literal["gpu", "green"] | None = None
    """Defaults to the model's pool; ``green`` runs the canary on greenPool (blue/green)."""


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
    pool: Literal["gpu", "green"] = "gpu"
    """The GPU pool this model's version runs on: ``gpu`` (gpuPool) or ``green`` (greenPool)."""
    canary: CanarySettings | None = None
    """A second version of the model, run as its own release; see docs/rollouts.md, "Versions"."""


class SharedCacheSettings(_Settings):
    """One model cache for every replica of a model, instead of a disk per replica."""

    enabled: bool = False
    """A Cloud Storage bucket mounted through the Cloud Storage FUSE CSI driver as the model
    cache of every replica (docs/startup.md, "A model cache the replicas share")."""


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
    shared_cache: SharedCacheSettings = SharedCacheSettings()


class GatewaySettings(_Settings):
    """A GKE Gateway (internal Application Load Balancer) with one stable path per model."""

    enabled: bool = False
    proxy_subnet_cidr: str = "10.129.0.0/23"
    """The region's proxy-only subnet (REGIONAL_MANAGED_PROXY): at least 64 addresses."""
    timeout_sec: PosInt = 600
    """Backend timeout (GCPBackendPolicy timeoutSec); GKE's default of 30 s cuts long answers."""
    draining_timeout_sec: Annotated[int, Field(ge=0, le=3600)] = 60
    """Connection draining when a version's endpoints leave the load balancer; at most the pod's
    60 s termination grace period (docs/rollouts.md, "The endpoint")."""
    global_access: bool = False
    """Admit clients from other regions (VPN, Interconnect, other regions' VMs) to the regional
    internal load balancer: a ``GCPGatewayPolicy`` with ``allowGlobalAccess``."""


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


class WakeScheduleSettings(_Settings):
    """Working hours: each release is awake from ``start`` to ``end`` on ``days``, in
    ``timeZone`` (the wake signal the stack writes, docs/autoscaling.md)."""

    days: Annotated[list[str], Field(min_length=1)]
    """``MO`` ... ``SU``."""
    start: str
    """``HH:MM``, local time in ``timeZone``."""
    end: str
    """``HH:MM``, after ``start`` on the same day."""
    time_zone: str
    """An IANA time zone, e.g. ``America/Chicago`` (daylight saving time follows it)."""


class HpaSettings(_Settings):
    enabled: bool = False
    metric: str = "num_requests_waiting"
    """The NIM gauge (``/v1/metrics``) whose per-replica average the HPA keeps at
    ``targetAverage``."""
    target_average: Annotated[float, Field(gt=0)] = 10
    max_replicas: PosInt = 2
    min_replicas: NonNegInt | None = None
    """The fewest replicas the HPA keeps of each version; unset: the version's ``replicas``.
    ``0``: a version sleeps when idle (no pod, and its GPU node goes) and wakes on a signal."""
    idle_minutes: Annotated[int, Field(ge=1, le=60)] = 30
    """How long every signal must have asked for fewer replicas before the HPA removes one (its
    ``behavior.scaleDown.stabilizationWindowSeconds``, at most 3600 s): with ``minReplicas: 0``,
    the time without requests after which a version sleeps."""
    wake_on_requests: bool = True
    """With the Gateway: a request to a sleeping version wakes it (the load balancer's request
    count)."""
    wake_on_command: bool = True
    """``nimctl wake`` and ``nimctl sleep`` (a gauge the stack writes to Cloud Monitoring)."""
    wake_schedule: WakeScheduleSettings | None = None
    """Working hours during which every version is awake."""
    managed_adapter_preview: bool = False
    """Accept GKE's managed metrics adapter in Preview (GKE 1.36.4-gke.1247000 to
    1.37.0-gke.3100000)."""


class AlertRule(_Settings):
    """One alert policy: on or off, the value it fires above, how long it must hold."""

    enabled: bool = True
    """``false`` creates no policy (mute it for good); a snooze in Cloud Monitoring mutes it for a
    while without a deployment (docs/observability.md, "Mute an alert")."""
    threshold: Annotated[float, Field(gt=0)]
    for_minutes: Annotated[int, Field(ge=1, le=1440)]
    """How long the condition must hold before the alert fires (the PromQL condition's duration)."""


def _rule(threshold: float, for_minutes: int) -> AlertRule:
    return AlertRule.model_validate({"threshold": threshold, "forMinutes": for_minutes})


class AlertsSettings(_Settings):
    """Cloud Monitoring alert policies (PromQL over Managed Prometheus), one per rule below."""

    enabled: bool = True
    notification_emails: list[str] = []
    """E-mail notification channels; with none, the policies exist but notify nobody (warned)."""
    nim_not_ready: AlertRule = _rule(1, 5)
    """Fires when at least ``threshold`` NIM pods stay not ready for ``forMinutes`` after a first
    start would be over: Running past the startup probe's budget (40 s + 180 x 10 s), or Pending
    past a GPU node, its driver and the image pull (``nimgke/alerts.py`` nim_not_ready)."""
    requests_waiting: AlertRule = _rule(10, 5)
    """Requests queued per pod (``num_requests_waiting``)."""
    kv_cache_usage: AlertRule = _rule(0.9, 10)
    """KV-cache usage as a fraction, 0-1 (``gpu_cache_usage_perc``)."""
    ttft_p95_seconds: AlertRule = _rule(2, 10)
    """Time-to-first-token p95 SLO in seconds."""
    error_rate: AlertRule = _rule(0.05, 10)
    """Failed requests as a fraction of finished ones, 0-1."""
    gpu_pool_at_max: AlertRule = _rule(10, 15)
    """gpuPool runs the most GPU nodes the stack lets its versions use (the fewer of every
    priority's ``maxNodes`` together and the versions' HPA ``maxReplicas`` in nodes) while at least
    ``threshold`` requests wait (``num_requests_waiting`` summed over the NIM namespace). 10, the
    queue ``requestsWaiting`` warns at per pod: summed, it is reached whenever that warning's is,
    and here no more replicas will come."""
    gpu_temperature_celsius: AlertRule = _rule(85, 5)


class MonitoringSettings(_Settings):
    managed_prometheus: bool = True
    dcgm: bool = True
    pod_monitoring: bool = True
    hpa: HpaSettings = HpaSettings()
    dashboard: bool = True
    """A Cloud Monitoring dashboard of the NIMs, the GPUs and the GPU pool (one per stack)."""
    alerts: AlertsSettings = AlertsSettings()


class CostSettings(_Settings):
    gpu_hours_per_day: Annotated[float, Field(ge=0, le=24)] = 24
    """Expected hours per day the GPU pool runs above its minimum (one node per model replica)."""
    commitment: Literal["none", "1y", "3y"] = "none"
    fallback_share: Annotated[float, Field(ge=0, le=1)] = 0.2
    """ASSUMPTION for the blended estimate: the share of the time a priority of a ComputeClass
    cannot add a node (a Spot or zone stock-out), so the next one serves; with two priorities,
    the share of GPU node-hours on the fallback."""


class RegistrySettings(_Settings):
    """Where the nodes pull the NIM image from (images close to the nodes)."""

    mirror: bool = True
    """An Artifact Registry remote repository in front of nvcr.io, in the stack's region; the
    NIM image is pulled through it (no image pull Secret for it)."""
    repository_id: str = "nvcr-remote"
    """The Artifact Registry repository id."""


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
    green_pool: GpuPoolSettings | None = None
    """A second GPU pool for blue/green rollouts (versions with ``pool: green``)."""
    nim: NimSettings
    security: SecuritySettings = SecuritySettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    cost: CostSettings = CostSettings()
    budget: BudgetSettings | None = None
    gateway: GatewaySettings = GatewaySettings()
    registry: RegistrySettings = RegistrySettings()
