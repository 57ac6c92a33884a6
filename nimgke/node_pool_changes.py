"""What an edit of a GKE node pool does to its nodes: nothing, every node recreated in place, or
the whole pool replaced.

The provider decides, not GKE's API: pulumi-gcp 9 is terraform-provider-google v7 bridged, and a
field marked ``ForceNew`` there makes Pulumi replace the pool. Read from
hashicorp/terraform-provider-google@6f756229ab21d14d238c6280d2255262e4cccfc4 (v7.45.0):

- **replaced**: the ``ForceNew`` fields of ``google/services/container/node_config.go``
  (``schemaNodeConfig``: ``guest_accelerator`` and all of its fields, ``spot``,
  ``secondary_boot_disks`` ``disk_image``/``mode``, ``gpu_partition_size``,
  ``reservation_affinity``, ``service_account``, ``oauth_scopes``, ``metadata``...) and of
  ``resource_container_node_pool.go`` (``project``, ``cluster``, ``location``, ``name``,
  ``max_pods_per_node``, ``placement_policy``, ``network_config``'s pod ranges...). A replaced pool
  with a provider-made name is created before the old one is deleted (Pulumi's default
  create-before-delete): for a while both pools exist, each up to its ``maxNodes``, against one
  GPU quota; every pod of the old pool is evicted when it goes.
- **recreated**: ``machine_type``, ``disk_type``, ``disk_size_gb`` (and ``boot_disk``, their newer
  home) are not ``ForceNew`` since provider v5.10.0; ``node_config.go``
  ``nodePoolNodeConfigUpdate`` sends them to ``nodePools.update`` ("updating GKE node pool
  disk_size_gb/disk_type/machine_type/storage_pools/boot_disk"), and GKE recreates every node of
  the pool under its upgrade strategy: each node drained in turn, its pods evicted.

Paths are the property paths of the resource's inputs as ``nimctl plan --diff`` prints them
(Pulumi's wire names: ``guest_accelerator`` is ``guestAccelerators``), list positions left out.
``initialNodeCount`` is ``ForceNew`` too, but the program ignores changes to it
(``components/cluster.py`` ``POOL_IGNORE_CHANGES``), so it replaces nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nimgke.shape import PoolShape

NODE_POOL_TYPE = "gcp:container/nodePool:NodePool"
REPLACED = "replaced"
RECREATED = "recreated"

_NODE_CONFIG_FORCE_NEW = (
    "guestAccelerators",
    "guestAccelerators.count",
    "guestAccelerators.type",
    "guestAccelerators.gpuDriverInstallationConfig",
    "guestAccelerators.gpuDriverInstallationConfig.gpuDriverVersion",
    "guestAccelerators.gpuPartitionSize",
    "guestAccelerators.gpuSharingConfig",
    "guestAccelerators.gpuSharingConfig.gpuSharingStrategy",
    "guestAccelerators.gpuSharingConfig.maxSharedClientsPerGpu",
    "localSsdCount",
    "ephemeralStorageLocalSsdConfig",
    "ephemeralStorageLocalSsdConfig.localSsdCount",
    "ephemeralStorageLocalSsdConfig.dataCacheCount",
    "localNvmeSsdBlockConfig",
    "localNvmeSsdBlockConfig.localSsdCount",
    "secondaryBootDisks",
    "secondaryBootDisks.diskImage",
    "secondaryBootDisks.mode",
    "metadata",
    "minCpuPlatform",
    "oauthScopes",
    "preemptible",
    "reservationAffinity",
    "reservationAffinity.consumeReservationType",
    "reservationAffinity.key",
    "reservationAffinity.values",
    "spot",
    "serviceAccount",
    "shieldedInstanceConfig",
    "shieldedInstanceConfig.enableSecureBoot",
    "shieldedInstanceConfig.enableIntegrityMonitoring",
    "sandboxConfig",
    "bootDiskKmsKey",
    "nodeGroup",
    "advancedMachineFeatures",
    "advancedMachineFeatures.threadsPerCore",
    "advancedMachineFeatures.enableNestedVirtualization",
    "soleTenantConfig",
    "soleTenantConfig.nodeAffinities",
    "soleTenantConfig.nodeAffinities.key",
    "soleTenantConfig.nodeAffinities.operator",
    "soleTenantConfig.nodeAffinities.values",
    "hostMaintenancePolicy",
    "hostMaintenancePolicy.maintenanceInterval",
    "confidentialNodes.confidentialInstanceType",
    "enableConfidentialStorage",
    "localSsdEncryptionMode",
    "maxRunDuration",
    "flexStart",
)
FORCE_NEW: frozenset[str] = frozenset(
    (
        "project",
        "cluster",
        "location",
        "name",
        "namePrefix",
        "maxPodsPerNode",
        "placementPolicy",
        "placementPolicy.policyName",
        "queuedProvisioning",
        "queuedProvisioning.enabled",
        "networkConfig.acceleratorNetworkProfile",
        "networkConfig.createPodRange",
        "networkConfig.podRange",
        "networkConfig.podIpv4CidrBlock",
        "networkConfig.additionalNodeNetworkConfigs",
        "networkConfig.additionalNodeNetworkConfigs.network",
        "networkConfig.additionalNodeNetworkConfigs.subnetwork",
        "networkConfig.additionalPodNetworkConfigs",
        "networkConfig.additionalPodNetworkConfigs.subnetwork",
        "networkConfig.additionalPodNetworkConfigs.secondaryPodRange",
        "networkConfig.additionalPodNetworkConfigs.maxPodsPerNode",
        "networkConfig.podCidrOverprovisionConfig",
        "networkConfig.subnetwork",
        *(f"nodeConfig.{p}" for p in _NODE_CONFIG_FORCE_NEW),
    )
)
"""Input paths (list positions left out) whose change replaces the node pool."""
RECREATE: frozenset[str] = frozenset(
    (
        "nodeConfig.machineType",
        "nodeConfig.diskType",
        "nodeConfig.diskSizeGb",
        "nodeConfig.bootDisk",
    )
)
"""Input paths updated in place by ``nodePools.update``, which recreates every node."""

_INDEX = re.compile(r"\[\d+\]")


def field_of(path: str) -> str:
    """A property path without list positions: ``nodeConfig.guestAccelerators[0].type`` ->
    ``nodeConfig.guestAccelerators.type``."""
    return _INDEX.sub("", path)


def effect(path: str) -> str | None:
    """What a change of the node pool input at ``path`` does: :data:`REPLACED`, :data:`RECREATED`
    or None (updated without touching the nodes, as far as the provider says). A block added or
    removed as a whole replaces the pool when it holds a ``ForceNew`` field."""
    field = field_of(path)
    if field in FORCE_NEW or any(f.startswith(f"{field}.") for f in FORCE_NEW):
        return REPLACED
    if any(field == f or field.startswith(f"{f}.") or f.startswith(f"{field}.") for f in RECREATE):
        return RECREATED  # bootDisk's fields too
    return None


def pool_effect(paths: list[str]) -> str | None:
    """The strongest effect of a set of changed paths: replaced over recreated over none."""
    found = {effect(p) for p in paths}
    return REPLACED if REPLACED in found else RECREATED if RECREATED in found else None


# --- the GPU pools' watched inputs, for `pulumi preview` ------------------------------------------

INPUT_PATH: dict[str, str] = {
    "machineType": "nodeConfig.machineType",
    "diskType": "nodeConfig.diskType",
    "diskSizeGb": "nodeConfig.diskSizeGb",
    "spot": "nodeConfig.spot",
    "gpuType": "nodeConfig.guestAccelerators[0].type",
    "gpuCount": "nodeConfig.guestAccelerators[0].count",
    "driverVersion": "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion",
    "imageCacheDisk": "nodeConfig.secondaryBootDisks[0].diskImage",
}
"""The GPU pool settings whose change replaces the pool or recreates its nodes, with the node pool
input each one feeds (``components/gpu_node_pool.py``)."""


def watched_inputs(pool: PoolShape) -> dict[str, Any]:
    """The values of ``pool``'s :data:`INPUT_PATH` settings, as the node pool receives them (a
    test holds them to what ``components/gpu_node_pool.py`` sends)."""
    return {
        "machineType": pool.machine_type,
        "diskType": pool.disk_type,
        "diskSizeGb": pool.disk_size_gb,
        "spot": pool.spot,
        "gpuType": pool.gpu_type,
        "gpuCount": pool.gpu_count,
        "driverVersion": pool.driver_version,
        "imageCacheDisk": pool.image_cache_disk,
    }


def _show(value: Any) -> str:
    """A setting's value as the stack file writes it (an output read back carries numbers as
    floats: 200.0 is 200)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def pool_change_warnings(
    before: dict[str, Any],
    after: dict[str, dict[str, Any]],
    pools: dict[str, PoolShape],
    keys: dict[str, str],
) -> list[str]:
    """What ``pulumi preview`` warns about a GPU pool whose watched inputs (:func:`watched_inputs`,
    by pool name) changed since the last deployment (``before``; empty on a first deployment).
    ``pools``: the pools as the stack file now has them; ``keys``: each pool's config key."""
    found = []
    for name, now in after.items():
        was = before.get(name)
        if not isinstance(was, dict):
            continue
        changed = [k for k in now if k in was and was[k] != now[k]]
        outcome = pool_effect([INPUT_PATH[k] for k in changed])
        if outcome is None:
            continue
        pool, key = pools[name], keys.get(name, name)
        edits = ", ".join(
            f"{key}.{k} {_show(was[k])} -> {_show(now[k])}"
            for k in changed
            if effect(INPUT_PATH[k])
        )
        if outcome == REPLACED:
            found.append(
                f"{edits}: replaces the GPU node pool {name!r} (the provider cannot change "
                "this field in place: terraform-provider-google node_config.go, ForceNew). Pulumi "
                "creates the new pool before it deletes the old one, so both exist for a while, "
                f"each up to maxNodes ({pool.max_nodes}) {pool.gpu_type} nodes: the GPU quota "
                "must hold twice that. Every pod on the old pool is evicted when it goes and "
                "starts again on the new one (a cold start; docs/rollouts.md, 'The bound of each "
                "event'). `nimctl plan --diff` names the versions it takes down."
            )
        else:
            found.append(
                f"{edits}: GKE recreates every node of the GPU node pool {name!r} (updated in "
                "place through nodePools.update, one surge node at a time): each pod on it is "
                "evicted and starts again (a cold start), so a version with one replica stops "
                "serving meanwhile (docs/rollouts.md, 'The bound of each event'). `nimctl plan "
                "--diff` names the versions it takes down."
            )
    return found
