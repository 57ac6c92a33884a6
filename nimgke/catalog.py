"""Hardware facts the stack is checked against: machine types, the GPUs they carry, zones.

Sources (read 2026-11-28; re-check when adding a region or machine):
- Machine shapes and the GPUs that come with them: Google Cloud "GPU machine types"
  (cloud.google.com/compute/docs/gpus) and "Accelerator-optimized machine family"
  (cloud.google.com/compute/docs/accelerator-optimized-machines). Accelerator-optimized
  machines (a2, a3, g2) carry a fixed number of GPUs; T4/V100/P4/P100 attach to N1 machines.
- GPU memory: NVIDIA data sheets (L4 24 GB, A100 40/80 GB, H100 80 GB, T4 16 GB, V100 16 GB,
  P4 8 GB, P100 16 GB).
- Zones offering each GPU: see ``GPU_ZONES`` (a dated snapshot; availability changes).
- Allocatable resources: GKE "Standard cluster architecture: node allocatable"
  (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes), implemented in
  :func:`allocatable`.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3


@dataclass(frozen=True)
class Gpu:
    """A GPU model as GKE names it (the ``guest_accelerators`` type)."""

    name: str
    memory_gb: int
    """Device memory in GB (10^9 bytes), as NVIDIA states it."""


GPUS: dict[str, Gpu] = {
    g.name: g
    for g in (
        Gpu("nvidia-l4", 24),
        Gpu("nvidia-tesla-a100", 40),
        Gpu("nvidia-a100-80gb", 80),
        Gpu("nvidia-h100-80gb", 80),
        Gpu("nvidia-tesla-t4", 16),
        Gpu("nvidia-tesla-v100", 16),
        Gpu("nvidia-tesla-p4", 8),
        Gpu("nvidia-tesla-p100", 16),
    )
}


@dataclass(frozen=True)
class MachineType:
    name: str
    vcpus: int
    memory_gib: float
    gpu: str | None = None
    """The GPU this machine comes with (accelerator-optimized), or None."""
    gpu_count: int = 0
    """How many of ``gpu`` come with the machine; fixed by the machine type."""
    attachable_gpus: tuple[str, ...] = ()
    """GPUs that can be attached to this (N1) machine; empty for fixed-GPU machines."""

    @property
    def family(self) -> str:
        return self.name.split("-", 1)[0]


_N1_GPUS = ("nvidia-tesla-t4", "nvidia-tesla-v100", "nvidia-tesla-p4", "nvidia-tesla-p100")

MACHINE_TYPES: dict[str, MachineType] = {
    m.name: m
    for m in (
        # General purpose, for the system pool.
        MachineType("e2-medium", 2, 4),
        MachineType("e2-standard-2", 2, 8),
        MachineType("e2-standard-4", 4, 16),
        MachineType("e2-standard-8", 8, 32),
        # G2: NVIDIA L4, fixed count per shape (cloud.google.com/compute/docs/
        # accelerator-optimized-machines).
        MachineType("g2-standard-4", 4, 16, "nvidia-l4", 1),
        MachineType("g2-standard-8", 8, 32, "nvidia-l4", 1),
        MachineType("g2-standard-12", 12, 48, "nvidia-l4", 1),
        MachineType("g2-standard-16", 16, 64, "nvidia-l4", 1),
        MachineType("g2-standard-24", 24, 96, "nvidia-l4", 2),
        MachineType("g2-standard-32", 32, 128, "nvidia-l4", 1),
        MachineType("g2-standard-48", 48, 192, "nvidia-l4", 4),
        MachineType("g2-standard-96", 96, 384, "nvidia-l4", 8),
        # A2: A100 40 GB (highgpu) and 80 GB (ultragpu).
        MachineType("a2-highgpu-1g", 12, 85, "nvidia-tesla-a100", 1),
        MachineType("a2-highgpu-2g", 24, 170, "nvidia-tesla-a100", 2),
        MachineType("a2-highgpu-4g", 48, 340, "nvidia-tesla-a100", 4),
        MachineType("a2-highgpu-8g", 96, 680, "nvidia-tesla-a100", 8),
        MachineType("a2-ultragpu-1g", 12, 170, "nvidia-a100-80gb", 1),
        MachineType("a2-ultragpu-2g", 24, 340, "nvidia-a100-80gb", 2),
        MachineType("a2-ultragpu-4g", 48, 680, "nvidia-a100-80gb", 4),
        MachineType("a2-ultragpu-8g", 96, 1360, "nvidia-a100-80gb", 8),
        # A3: H100 80 GB.
        MachineType("a3-highgpu-1g", 26, 234, "nvidia-h100-80gb", 1),
        MachineType("a3-highgpu-2g", 52, 468, "nvidia-h100-80gb", 2),
        MachineType("a3-highgpu-4g", 104, 936, "nvidia-h100-80gb", 4),
        MachineType("a3-highgpu-8g", 208, 1872, "nvidia-h100-80gb", 8),
        # N1: GPUs attach separately.
        MachineType("n1-standard-4", 4, 15, attachable_gpus=_N1_GPUS),
        MachineType("n1-standard-8", 8, 30, attachable_gpus=_N1_GPUS),
        MachineType("n1-standard-16", 16, 60, attachable_gpus=_N1_GPUS),
        MachineType("n1-highmem-8", 8, 52, attachable_gpus=_N1_GPUS),
    )
}


@dataclass(frozen=True)
class DiskSupport:
    """The Persistent Disk types a machine family can attach, as boot or data disk."""

    family: str
    pd_types: tuple[str, ...]
    """Of ``pd-balanced``, ``pd-ssd``, ``pd-standard`` (the types GKE's storage classes and the
    pools' ``diskType`` offer)."""
    regional_pd: bool
    """Whether a regional Persistent Disk (``replication-type: regional-pd``) attaches to it."""


DISK_SUPPORT_READ = "2026-12-03"
"""When the sources of :data:`DISK_SUPPORT` were read."""
# "G2 VMs can use the following block storage types: Balanced Persistent Disk (pd-balanced), SSD
# (performance) Persistent Disk (pd-ssd), Hyperdisk ML, Hyperdisk Throughput, Local SSD"; A3 lists
# pd-balanced and pd-ssd (and Hyperdisk); A2 lists pd-standard as well. G2, A2 and A3 "can't use
# regional persistent disks" (each series' limitations).
DISK_TYPES_PAGE = "cloud.google.com/compute/docs/accelerator-optimized-machines"
# "You can attach regional Persistent Disk only to VMs that use E2, N1, N2, and N2D machine types."
REGIONAL_PD_PAGE = "cloud.google.com/compute/docs/disks/about-regional-persistent-disk"
_ALL_PD = ("pd-balanced", "pd-ssd", "pd-standard")
DISK_SUPPORT: dict[str, DiskSupport] = {
    d.family: d
    for d in (
        DiskSupport("g2", ("pd-balanced", "pd-ssd"), regional_pd=False),
        # A2 does take pd-standard (unlike G2 and A3), as its disk list says.
        DiskSupport("a2", _ALL_PD, regional_pd=False),
        DiskSupport("a3", ("pd-balanced", "pd-ssd"), regional_pd=False),
        # General purpose: every Persistent Disk type; regional PD per the limitation above.
        DiskSupport("n1", _ALL_PD, regional_pd=True),
        DiskSupport("e2", _ALL_PD, regional_pd=True),
    )
}


def disk_support(machine_type: str) -> DiskSupport | None:
    """What the family of ``machine_type`` can attach (None for a family outside the table)."""
    return DISK_SUPPORT.get(machine_type.split("-", 1)[0])


# Zones of the supported regions (Google Cloud "Regions and zones").
REGION_ZONES: dict[str, tuple[str, ...]] = {
    "us-central1": ("a", "b", "c", "f"),
    "us-east1": ("b", "c", "d"),
    "us-east4": ("a", "b", "c"),
    "us-west1": ("a", "b", "c"),
    "us-west4": ("a", "b", "c"),
    "europe-west1": ("b", "c", "d"),
    "europe-west4": ("a", "b", "c"),
    "asia-southeast1": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"),
}

# Zones (per region) where each GPU is offered. Snapshot: skypilot-org/skypilot-catalog
# catalogs/v8/gcp/vms.csv @ 006059e0f18a (accelerator rows; read 2026-11-28), cross-checked
# against Google's GPU regions/zones page where it was reachable. Re-check before relying on a
# zone: gcloud compute accelerator-types list --filter="zone~REGION".
GPU_ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "nvidia-l4": {
        "us-central1": ("a", "b", "c"),
        "us-east1": ("b", "c", "d"),
        "us-east4": ("a", "c"),
        "us-west1": ("a", "b", "c"),
        "us-west4": ("a", "c"),
        "europe-west1": ("b", "c"),
        "europe-west4": ("a", "b", "c"),
        "asia-southeast1": ("a", "b", "c"),
        "asia-northeast1": ("a", "b", "c"),
    },
    "nvidia-tesla-a100": {
        "us-central1": ("a", "b", "c", "f"),
        "us-east1": ("b",),
        "us-west1": ("b",),
        "us-west4": ("b",),
        "europe-west4": ("a", "b"),
        "asia-southeast1": ("a", "b", "c"),
        "asia-northeast1": ("a", "c"),
    },
    "nvidia-a100-80gb": {
        "us-central1": ("a", "c"),
        "us-east4": ("c",),
        "europe-west4": ("a",),
        "asia-southeast1": ("c",),
    },
    "nvidia-h100-80gb": {
        "us-central1": ("a", "b", "c"),
        "us-east4": ("a", "b", "c"),
        "us-west1": ("a", "b"),
        "us-west4": ("a",),
        "europe-west1": ("b", "c"),
        "europe-west4": ("b", "c"),
        "asia-southeast1": ("b", "c"),
        "asia-northeast1": ("b",),
    },
    "nvidia-tesla-t4": {
        "us-central1": ("a", "b", "c", "f"),
        "us-east1": ("b", "c", "d"),
        "us-east4": ("a", "b", "c"),
        "us-west1": ("a", "b"),
        "us-west4": ("a", "b"),
        "europe-west1": ("b", "c", "d"),
        "europe-west4": ("a", "b", "c"),
        "asia-southeast1": ("a", "b", "c"),
        "asia-northeast1": ("a", "c"),
    },
    "nvidia-tesla-v100": {
        "us-central1": ("a", "b", "c", "f"),
        "us-east1": ("b", "c"),
        "us-west1": ("a", "b"),
        "europe-west4": ("a", "b", "c"),
    },
    "nvidia-tesla-p4": {
        "us-central1": ("a", "c"),
        "us-east4": ("a", "b", "c"),
        "europe-west4": ("b", "c"),
        "asia-southeast1": ("a", "b", "c"),
    },
    "nvidia-tesla-p100": {
        "us-central1": ("c", "f"),
        "us-east1": ("b", "c"),
        "us-west1": ("a", "b"),
        "europe-west1": ("b", "d"),
        "europe-west4": ("a",),
    },
}

# What GKE runs on every GPU node besides the workload (kube-proxy or anetd, logging and metrics
# agents, the NVIDIA device plugin and driver installer, the PD CSI node plugin, the Managed
# Prometheus collector). ESTIMATE from the requests of those DaemonSets on GKE 1.30-1.33 GPU
# nodes, rounded up: the NIM pod's requests must leave this much of allocatable free.
DAEMONSET_CPU_MILLI = 500
DAEMONSET_MEMORY_MIB = 1024


def region_zones(region: str) -> tuple[str, ...]:
    return tuple(f"{region}-{z}" for z in REGION_ZONES.get(region, ()))


def gpu_zones(gpu: str, region: str) -> tuple[str, ...]:
    return tuple(f"{region}-{z}" for z in GPU_ZONES.get(gpu, {}).get(region, ()))


def regions_offering(gpu: str) -> tuple[str, ...]:
    return tuple(GPU_ZONES.get(gpu, {}))


# (from GiB, to GiB, share reserved) for GKE's kube-reserved memory.
_MEMORY_RESERVATION_TIERS = (
    (0, 4, 0.25),
    (4, 8, 0.20),
    (8, 16, 0.10),
    (16, 128, 0.06),
    (128, float("inf"), 0.02),
)


SHARED_CORE_E2 = ("e2-micro", "e2-small", "e2-medium")
SHARED_CORE_CPU_RESERVED = 1060


@dataclass(frozen=True)
class Allocatable:
    cpu_milli: int
    memory_mib: int


def allocatable(machine: MachineType) -> Allocatable:
    """What kubelet offers pods on a GKE node of this machine type.

    GKE reserves memory: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the
    next 112, 2% above 128 GiB, plus a 100 MiB eviction threshold; and CPU: 6% of the first core,
    1% of the next, 0.5% of the next two, 0.25% of every core above four.
    """
    mem_mib = machine.memory_gib * 1024
    reserved = 0.0
    for lower_gib, upper_gib, rate in _MEMORY_RESERVATION_TIERS:
        if mem_mib > lower_gib * 1024:
            reserved += (min(mem_mib, upper_gib * 1024) - lower_gib * 1024) * rate
    memory = int(mem_mib - reserved - 100)

    cores = machine.vcpus
    cpu_reserved = 60.0 + (10 if cores > 1 else 0) + 5 * min(max(cores - 2, 0), 2)
    cpu_reserved += 2.5 * max(cores - 4, 0)
    if machine.name in SHARED_CORE_E2:
        # "For shared-core E2 machine types, GKE still reserves a total of 1060 millicores"
        # (GKE docs, plan-node-sizes); an e2-medium node reports "Allocatable: cpu 940m".
        cpu_reserved = SHARED_CORE_CPU_RESERVED
    return Allocatable(cpu_milli=int(cores * 1000 - cpu_reserved), memory_mib=memory)


def workload_budget(machine: MachineType) -> Allocatable:
    """Allocatable minus what GKE's own DaemonSets take: the most one pod may request."""
    alloc = allocatable(machine)
    return Allocatable(
        cpu_milli=alloc.cpu_milli - DAEMONSET_CPU_MILLI,
        memory_mib=alloc.memory_mib - DAEMONSET_MEMORY_MIB,
    )
