"""Pass 2 for where the NIM image comes from: the Artifact Registry mirror, image streaming and the
secondary boot disk of the GPU pool, and the shared model cache.

What the rules rely on, with sources:

- Image streaming needs the image in an Artifact Registry standard or *remote* repository (or a
  public Docker Hub image): GKE docs, "Use Image streaming to pull container images",
  Requirements (docs.cloud.google.com/kubernetes-engine/docs/how-to/image-streaming, read in
  its zh-CN rendering 2026-11-28: "您的容器映像必须存储在 Artifact Registry
  中的标准制品库或远程制品库中, 或者存储在 Docker Hub 上的公共注册表中", i.e. "must be stored in a
  standard or remote repository in Artifact Registry, or in a public registry on Docker Hub").
  nvcr.io itself is not eligible, so
  streaming without the mirror would do nothing.
- A secondary boot disk needs ``gcfs_config.enabled = true`` (pulumi-gcp 9.37
  ``ClusterNodeConfigArgsDict.secondary_boot_disks``: "`gcfs_config` must be `enabled=true` for
  this feature to work"), and its ``disk_image`` is ``global/images/DISK_IMAGE_NAME`` after
  gke-disk-image-builder (pulumi-gcp docs of ``NodePoolNodeConfigSecondaryBootDisk.diskImage``).
  Compute Engine images are global resources (``projects/P/global/images/N``): there is no region
  to mismatch, but an image of another project is readable only after a grant this stack does
  not make (``compute.images.useReadOnly``, in ``roles/compute.imageUser``).
- Artifact Registry repository ids: lowercase letters, digits and hyphens, starting with a letter,
  ending with a letter or digit, at most 63 characters (Artifact Registry docs, "Create standard
  repositories": repository naming).
"""

from __future__ import annotations

import re

from nimgke import catalog
from nimgke.config._base import NAMESPACE, Problem, _parse_cpu_milli, _parse_quantity_gib
from nimgke.config.pools import POOL_KEYS, POOLS, pool_settings
from nimgke.config.settings import GpuPoolSettings, StackSettings

# What the gcsfuse sidecar of the shared model cache requests beside NIM: the driver's defaults,
# 250m CPU and 256 MiB (GKE docs, "Configure resources for the sidecar container"; the driver's
# own test config, pkg/webhook/config.go FakeConfig, uses the same).
SIDECAR_CPU_MILLI = 250
SIDECAR_MEMORY_MIB = 256

_REPOSITORY_ID = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
# global/images/NAME or projects/PROJECT/global/images/NAME (image names: RFC 1035 labels).
_DISK_IMAGE = re.compile(
    r"(?:projects/([a-z][-a-z0-9]{4,28}[a-z0-9])/)?global/images/([a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)"
)


def disk_image_project(disk_image: str, project: str) -> str | None:
    """The project a valid ``diskImage`` lives in (``project`` for ``global/images/N``)."""
    m = _DISK_IMAGE.fullmatch(disk_image)
    if not m:
        return None
    return m.group(1) or project


def check_images(s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    reg = s.registry
    if not _REPOSITORY_ID.fullmatch(reg.repository_id):
        problems.append(
            Problem(
                f"{NAMESPACE}:registry.repositoryId",
                reg.repository_id,
                "is not an Artifact Registry repository id (lowercase letters, digits, '-', "
                "starting with a letter, at most 63)",
                "e.g. repositoryId: nvcr-remote",
            )
        )
    # greenPool shares gpuPool's settings (GpuPoolSettings): the same rules, under its own key.
    for name in POOLS:
        pool = pool_settings(s, name)
        if pool is not None:
            problems += _check_pool_images(s, POOL_KEYS[name], pool)
    problems += _check_shared_cache(s)
    return problems


def _check_pool_images(s: StackSettings, pool_key: str, pool: GpuPoolSettings) -> list[Problem]:
    problems: list[Problem] = []
    short = pool_key.removeprefix(f"{NAMESPACE}:")
    if pool.image_streaming and not s.registry.mirror:
        problems.append(
            Problem(
                f"{pool_key}.imageStreaming",
                True,
                "image streaming only serves images from Artifact Registry (or public Docker "
                "Hub), and with registry.mirror: false the NIM image comes from nvcr.io",
                "set registry.mirror: true (the default), or imageStreaming: false",
            )
        )
    disk = pool.image_cache_disk
    if disk is None:
        return problems
    key = f"{pool_key}.imageCacheDisk"
    if not pool.image_streaming:
        problems.append(
            Problem(
                f"{key}.diskImage",
                disk.disk_image,
                "a secondary boot disk needs image streaming on the pool (GKE reads the "
                "preloaded image through it: gcfs_config must be enabled)",
                f"set {short}.imageStreaming: true, or remove imageCacheDisk",
            )
        )
    image_project = disk_image_project(disk.disk_image, s.project)
    if image_project is None:
        problems.append(
            Problem(
                f"{key}.diskImage",
                disk.disk_image,
                "is not a Compute Engine image path",
                "write global/images/NAME (an image in this project, as gke-disk-image-builder "
                "makes it) or projects/PROJECT/global/images/NAME",
            )
        )
    elif image_project != s.project and not disk.other_project_access:
        problems.append(
            Problem(
                f"{key}.diskImage",
                disk.disk_image,
                f"is an image of project {image_project}, not of the stack's project "
                f"{s.project}: GKE creates each node's secondary boot disk from it and fails "
                "unless the identities that create this project's nodes may use that project's "
                "images (compute.images.useReadOnly), which the stack cannot check",
                f"build the disk image in {s.project} (docs/startup.md, 'Preloading the image "
                "on a secondary boot disk'), or grant roles/compute.imageUser on it as GKE's "
                "instructions for a disk image from a different project say, then set "
                "otherProjectAccess: true",
            )
        )
    return problems


def _check_shared_cache(s: StackSettings) -> list[Problem]:
    """With the shared cache each NIM pod also runs the gcsfuse sidecar: its requests must fit the
    node beside the model's (else the pod never schedules). Each version on its own pool: the
    model on its pool, a canary (its own cpu/memory are the model's) on the canary's."""
    if not s.nim.shared_cache.enabled:
        return []
    problems = []
    for i, m in enumerate(s.nim.models):
        pools = [(m.pool, "")]
        if m.canary is not None and (m.canary.pool or m.pool) != m.pool:
            pools.append((m.canary.pool or m.pool, " (its canary)"))
        for pool, who in pools:
            settings = pool_settings(s, pool)
            machine = catalog.MACHINE_TYPES.get(settings.machine_type) if settings else None
            if machine is None:
                continue  # an undeclared pool or an unknown machine: problems of their own
            budget = catalog.workload_budget(machine)
            cpu = _parse_cpu_milli(m.cpu) if m.cpu else budget.cpu_milli // 1000 * 1000
            mem = _parse_quantity_gib(m.memory) if m.memory else float(budget.memory_mib // 1024)
            if cpu is None or mem is None:
                continue  # reported by the model's own rules
            cpu_left = budget.cpu_milli - SIDECAR_CPU_MILLI
            mem_left = budget.memory_mib - SIDECAR_MEMORY_MIB
            if cpu > cpu_left or mem * 1024 > mem_left:
                problems.append(
                    Problem(
                        f"{NAMESPACE}:nim.sharedCache.enabled",
                        True,
                        f"the shared cache's gcsfuse sidecar requests {SIDECAR_CPU_MILLI}m CPU "
                        f"and {SIDECAR_MEMORY_MIB} MiB beside nim.models[{i}]{who} "
                        f"({m.cpu or f'{cpu}m'}, {m.memory or f'{mem:g}Gi'}), more than a "
                        f"{machine.name} node gives a pod ({budget.cpu_milli}m, "
                        f"{budget.memory_mib} MiB)",
                        f"lower nim.models[{i}].cpu to {cpu_left}m or less and memory to "
                        f"{mem_left // 1024}Gi or less, or use a larger machine",
                    )
                )
    return problems
