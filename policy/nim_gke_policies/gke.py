"""Rules for the GKE cluster (gcp:container/cluster:Cluster) and its node pools
(gcp:container/nodePool:NodePool). Messages name the engine's camelCase wire paths; fixes name
the program's Python (snake_case) arguments."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .engine import (
    Check,
    Config,
    Predicate,
    ResourceRule,
    Schema,
    as_count,
    config_value,
    equals,
    is_true,
    nonempty,
    not_true,
    one_of,
    true_or_unset,
    unset_or,
)
from .model import CLUSTER, NODE_POOL, UNKNOWN, Findings, Resource, Unknown, dig, show

# GKE's kube-state and kubelet metric packages (pulumi-gcp 9 ClusterMonitoringConfig docs).
WORKLOAD_METRIC_COMPONENTS = (
    "STORAGE",
    "HPA",
    "POD",
    "DAEMONSET",
    "DEPLOYMENT",
    "STATEFULSET",
    "KUBELET",
    "CADVISOR",
)
# The driver versions that install a driver. The GKE API's GPU_DRIVER_VERSION_UNSPECIFIED is "to
# not install any GPU driver" (google.container.v1 GPUDriverInstallationConfig.GPUDriverVersion;
# terraform-provider-google's container_cluster docs note GKE 1.30.1-gke.1156000 and later install
# the "Default" one), so the version is asked for by name.
GPU_DRIVER_VERSIONS = ("DEFAULT", "LATEST")
# Accelerator-optimized machine types come with a fixed model and number of NVIDIA GPUs attached
# (https://cloud.google.com/compute/docs/accelerator-optimized-machines).
_GPU_MACHINE_RE = re.compile(r"^(a2|a3|a4|g2|g4)-")
_COMPUTE_DEFAULT_SA_RE = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_KMS_KEY_RE = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
_MAINTENANCE_WINDOWS = ("dailyMaintenanceWindow", "recurringWindow", "recurringMaintenanceWindow")

UPGRADE_SCHEMA: Schema = {
    "allowedReleaseChannels": {
        "type": "array",
        "items": {"type": "string", "enum": ["RAPID", "REGULAR", "STABLE", "EXTENDED"]},
        "default": ["REGULAR", "STABLE"],
        "description": "Release channels the cluster may use.",
    }
}


# --- the control plane's reach ------------------------------------------------------------------


def _cidr_blocks(props: Mapping[str, Any]) -> Iterator[tuple[int, Any]]:
    blocks = dig(props, "masterAuthorizedNetworksConfig", "cidrBlocks")
    for i, block in enumerate(blocks if isinstance(blocks, list) else ()):
        yield i, dig(block, "cidrBlock")


def _prefix_length(cidr: str) -> int | None:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen
    except ValueError:
        return None  # GKE rejects it at deploy time; nothing to judge here.


def _no_open_cidr(resource: Resource, config: Config, f: Findings) -> None:
    for i, cidr in _cidr_blocks(resource.props):
        if isinstance(cidr, Unknown):
            f.unknown(f"masterAuthorizedNetworksConfig.cidrBlocks[{i}].cidrBlock")
        elif isinstance(cidr, str) and _prefix_length(cidr) == 0:
            f.fail(
                f"masterAuthorizedNetworksConfig.cidrBlocks contains {cidr}, which admits "
                "every address to the control plane. List only the networks that run "
                "kubectl/Pulumi."
            )


def _private_endpoint_keeps_authorized_networks(
    resource: Resource, config: Config, f: Findings
) -> None:
    """GKE refuses a private endpoint with authorized networks disabled ("Master authorized
    networks must be enabled if private endpoint is enabled"), and the provider disables them
    whenever master_authorized_networks_config is absent (terraform-provider-google
    resource_container_cluster.go, expandMasterAuthorizedNetworksConfig)."""
    p = resource.props
    private_endpoint = dig(p, "privateClusterConfig", "enablePrivateEndpoint")
    block = dig(p, "masterAuthorizedNetworksConfig")
    if isinstance(private_endpoint, Unknown) or isinstance(block, Unknown):
        f.unknown("masterAuthorizedNetworksConfig")
    elif private_endpoint is True and block is None:
        f.fail(
            "privateClusterConfig.enablePrivateEndpoint is true but masterAuthorizedNetworksConfig "
            "is unset, so the provider sends authorized networks disabled and GKE refuses the "
            "cluster (Error 400: Master authorized networks must be enabled if private endpoint "
            'is enabled). Set master_authorized_networks_config={"cidr_blocks": []} (an empty '
            "list is enough)."
        )


def _control_plane_restricted(resource: Resource, config: Config, f: Findings) -> None:
    """Authorized networks with at least one entry, a private endpoint, or no IP endpoint."""
    p = resource.props
    blocks = dig(p, "masterAuthorizedNetworksConfig", "cidrBlocks")
    private_endpoint = dig(p, "privateClusterConfig", "enablePrivateEndpoint")
    ip_endpoint = dig(p, "controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled")
    has_entries = any(isinstance(cidr, str | Unknown) for _, cidr in _cidr_blocks(p))
    if private_endpoint is True or ip_endpoint is False or has_entries:
        return
    if any(isinstance(v, Unknown) for v in (blocks, private_endpoint, ip_endpoint)):
        f.unknown("masterAuthorizedNetworksConfig.cidrBlocks")
        return
    f.fail(
        "The control plane is open to the internet: masterAuthorizedNetworksConfig.cidrBlocks is "
        f"{show(blocks)} and privateClusterConfig.enablePrivateEndpoint is "
        f"{show(private_endpoint)}. "
        "Set master_authorized_networks_config.cidr_blocks (without 0.0.0.0/0) or "
        "private_cluster_config.enable_private_endpoint=True."
    )


# --- upgrades and monitoring --------------------------------------------------------------------


def _allowed_release_channel(resource: Resource, config: Config, f: Findings) -> bool:
    allowed = list(config_value(UPGRADE_SCHEMA, config, "allowedReleaseChannels"))
    return Check(
        "releaseChannel.channel",
        lambda channel: channel in allowed,
        lambda channel: (
            f"releaseChannel.channel is {show(channel)}: allowed are {', '.join(allowed)} "
            "(policy config allowedReleaseChannels). "
            f'Set release_channel={{"channel": "{allowed[0]}"}}.'
        ),
    )(resource, config, f)


def _has_window(policy: Any) -> bool:
    return any(nonempty(dig(policy, window)) for window in _MAINTENANCE_WINDOWS)


def _missing(components: Any, wanted: tuple[str, ...]) -> Any:
    """The `wanted` components `components` does not list (all when unset), or UNKNOWN while an
    entry is unknown during preview."""
    if isinstance(components, list) and any(isinstance(c, Unknown) for c in components):
        return UNKNOWN
    listed = components if isinstance(components, list) else []
    return [c for c in wanted if c not in listed]


def _lists(*wanted: str) -> Predicate:
    def ok(components: Any) -> Any:
        missing = _missing(components, wanted)
        return UNKNOWN if missing is UNKNOWN else not missing

    return ok


# --- node pools ---------------------------------------------------------------------------------


def _gpu_driver_requested(resource: Resource, config: Config, f: Findings) -> None:
    p = resource.props
    accelerators = dig(p, "nodeConfig", "guestAccelerators")
    if isinstance(accelerators, Unknown):
        f.unknown("nodeConfig.guestAccelerators")
        return
    if isinstance(accelerators, list) and accelerators:
        for i, accel in enumerate(accelerators):
            if isinstance(accel, Unknown):
                f.unknown(f"nodeConfig.guestAccelerators[{i}]")
                continue
            if as_count(dig(accel, "count")) == 0:
                continue  # a zero-count block attaches nothing
            path = f"nodeConfig.guestAccelerators[{i}].gpuDriverInstallationConfig.gpuDriverVersion"
            version = dig(accel, "gpuDriverInstallationConfig", "gpuDriverVersion")
            if isinstance(version, Unknown):
                f.unknown(path)
            elif version not in GPU_DRIVER_VERSIONS:
                f.fail(
                    f"{path} is {show(version)}: through the API this installs no NVIDIA driver "
                    "and NIM pods never see a GPU. Set "
                    'gpu_driver_installation_config.gpu_driver_version="DEFAULT" or "LATEST".'
                )
        return
    machine = dig(p, "nodeConfig", "machineType")
    if isinstance(machine, str) and _GPU_MACHINE_RE.match(machine):
        f.fail(
            f"nodeConfig.machineType is {show(machine)}, which comes with GPUs, but "
            "nodeConfig.guestAccelerators is unset, so no GPU driver is requested. Declare "
            "guest_accelerators (the machine's GPU type and count) with "
            "gpu_driver_installation_config."
        )


# --- the rules, in registry order ---------------------------------------------------------------

GKE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        name="gke-private-cluster",
        description=(
            "GKE nodes have private IPs only (privateClusterConfig.enablePrivateNodes; GKE "
            "default: public) and the control plane is restricted: authorized networks without "
            "0.0.0.0/0, a private endpoint, or the IP endpoint disabled. A private endpoint "
            "keeps the authorized-networks block (GKE refuses it disabled)."
        ),
        severity="critical",
        remediation="Set private_cluster_config.enable_private_nodes and either "
        "master_authorized_networks_config.cidr_blocks or enable_private_endpoint.",
        steps={
            CLUSTER: (
                Check(
                    "privateClusterConfig.enablePrivateNodes",
                    is_true,
                    "privateClusterConfig.enablePrivateNodes is {value}: nodes get public IP "
                    "addresses. Set private_cluster_config.enable_private_nodes=True.",
                ),
                _no_open_cidr,
                Check(
                    "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
                    not_true,
                    "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true: any "
                    "Compute Engine VM, anyone's, reaches the control plane. Set "
                    "gcp_public_cidrs_access_enabled=False.",
                ),
                _control_plane_restricted,
                _private_endpoint_keeps_authorized_networks,
            )
        },
    ),
    ResourceRule(
        name="gke-workload-identity",
        description=(
            "Workload Identity is on (workloadIdentityConfig.workloadPool = <project>.svc.id.goog) "
            "and a cluster nodeConfig, if any, does not opt out of the GKE metadata server "
            "(unset mode means GKE_METADATA once Workload Identity is on)."
        ),
        severity="high",
        remediation="Set workload_identity_config.workload_pool.",
        steps={
            CLUSTER: (
                Check(
                    "workloadIdentityConfig.workloadPool",
                    bool,
                    "workloadIdentityConfig.workloadPool is {value}: pods fall back to the node's "
                    "service account. Set "
                    'workload_identity_config.workload_pool="<project>.svc.id.goog".',
                ),
                Check(
                    "workloadIdentityConfig.workloadPool",
                    unset_or(lambda pool: str(pool).endswith(".svc.id.goog")),
                    "workloadIdentityConfig.workloadPool is {value}: GKE's workload pool is named "
                    '"<project>.svc.id.goog".',
                ),
                # With Workload Identity on, GKE gives node configs GKE_METADATA unless they say
                # otherwise.
                Check(
                    "nodeConfig.workloadMetadataConfig.mode",
                    one_of(None, "GKE_METADATA"),
                    "nodeConfig.workloadMetadataConfig.mode is {value}: pods can read the node's "
                    "credentials from the Compute Engine metadata server. Set "
                    'node_config.workload_metadata_config.mode="GKE_METADATA" or leave it unset.',
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-cluster-hardening",
        description=(
            "Shielded nodes on (unset = GKE default true), Dataplane V2 (datapathProvider "
            "ADVANCED_DATAPATH; unset = LEGACY_DATAPATH), legacy ABAC off (unset = off), no client "
            "certificate (unset = none issued), default node pool removed (unset = kept)."
        ),
        severity="high",
        remediation='Set datapath_provider="ADVANCED_DATAPATH" and remove_default_node_pool=True.',
        steps={
            CLUSTER: (
                Check(
                    "enableShieldedNodes",
                    true_or_unset,
                    "enableShieldedNodes is {value}: nodes join without Shielded VM identity "
                    "checks. Remove it (GKE defaults to true) or set enable_shielded_nodes=True.",
                ),
                Check(
                    "datapathProvider",
                    equals("ADVANCED_DATAPATH"),
                    "datapathProvider is {value} (unset means LEGACY_DATAPATH): NetworkPolicy "
                    "objects are not enforced without Dataplane V2. "
                    'Set datapath_provider="ADVANCED_DATAPATH".',
                ),
                Check(
                    "enableLegacyAbac",
                    not_true,
                    "enableLegacyAbac is true: legacy ABAC grants static permissions that bypass "
                    "RBAC. Remove it or set enable_legacy_abac=False.",
                ),
                Check(
                    "masterAuth.clientCertificateConfig.issueClientCertificate",
                    not_true,
                    "masterAuth.clientCertificateConfig.issueClientCertificate is true: GKE issues "
                    "a cluster-admin client certificate that cannot be revoked. Remove it or set "
                    "it to False.",
                ),
                Check(
                    "removeDefaultNodePool",
                    is_true,
                    "removeDefaultNodePool is {value}: the default pool (Compute Engine default "
                    "service account, not covered by the node-pool policies) stays. "
                    "Set remove_default_node_pool=True.",
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-secrets-encryption",
        description=(
            "Kubernetes Secrets are encrypted at the application layer with a Cloud KMS key "
            "(databaseEncryption.state ENCRYPTED with keyName; unset = not encrypted)."
        ),
        severity="high",
        remediation="Set database_encryption with state ENCRYPTED and a Cloud KMS key_name.",
        steps={
            CLUSTER: (
                Check(
                    "databaseEncryption.state",
                    equals("ENCRYPTED"),
                    "databaseEncryption.state is {value}: Kubernetes Secrets (the NGC key) are "
                    "stored in etcd without application-layer encryption. Set "
                    'database_encryption={"state": "ENCRYPTED", "key_name": <Cloud KMS key>}.',
                    stop=True,
                ),
                Check(
                    "databaseEncryption.keyName",
                    bool,
                    "databaseEncryption.keyName is unset: application-layer encryption needs a "
                    "Cloud KMS key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>).",
                ),
                Check(
                    "databaseEncryption.keyName",
                    unset_or(lambda key: _KMS_KEY_RE.match(str(key))),
                    "databaseEncryption.keyName is {value}, not a Cloud KMS key name "
                    "(projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>).",
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-upgrade-policy",
        description=(
            "The cluster is enrolled explicitly in an allowed release channel (config "
            "allowedReleaseChannels, default REGULAR/STABLE) and has a maintenance window."
        ),
        severity="medium",
        remediation="Set release_channel and maintenance_policy.",
        steps={
            CLUSTER: (
                _allowed_release_channel,
                Check(
                    "maintenancePolicy",
                    _has_window,
                    "maintenancePolicy has no dailyMaintenanceWindow, recurringWindow or "
                    "recurringMaintenanceWindow: GKE may upgrade the control plane and restart "
                    "GPU nodes at any hour. Set maintenance_policy with a window.",
                ),
            )
        },
        config_schema=UPGRADE_SCHEMA,
    ),
    ResourceRule(
        name="gke-deletion-protection",
        description="deletionProtection is true (unset = pulumi-gcp default true).",
        severity="high",
        remediation="Remove deletion_protection=False.",
        steps={
            CLUSTER: (
                Check(
                    "deletionProtection",
                    true_or_unset,
                    "deletionProtection is {value}: a stray `pulumi destroy` or a replacing "
                    "change deletes the cluster. Remove it (pulumi-gcp defaults to true) or set "
                    "deletion_protection=True.",
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-gpu-monitoring",
        description=(
            "Managed Service for Prometheus is on (monitoringConfig.managedPrometheus.enabled, "
            "required explicitly) and GPU metrics are exported (enableComponents includes DCGM)."
        ),
        severity="medium",
        remediation="Set monitoring_config with managed_prometheus.enabled and DCGM.",
        steps={
            CLUSTER: (
                Check(
                    "monitoringConfig.managedPrometheus.enabled",
                    is_true,
                    "monitoringConfig.managedPrometheus.enabled is {value}: nothing collects the "
                    "NIM PodMonitoring. Set monitoring_config.managed_prometheus.enabled=True.",
                ),
                Check(
                    "monitoringConfig.enableComponents",
                    _lists("DCGM"),
                    'monitoringConfig.enableComponents is {value} and lacks "DCGM": no GPU '
                    'utilisation or GPU memory metrics. Add "DCGM" (next to "SYSTEM_COMPONENTS").',
                ),
                # enable_components is the whole list, not an addition: a list without the
                # kube-state and kubelet components turns them off
                # (https://github.com/hashicorp/terraform-provider-google/issues/15704).
                Check(
                    "monitoringConfig.enableComponents",
                    _lists(*WORKLOAD_METRIC_COMPONENTS),
                    lambda components: (
                        f"monitoringConfig.enableComponents is {show(components)} and lacks "
                        f"{', '.join(_missing(components, WORKLOAD_METRIC_COMPONENTS))}: "
                        "enable_components replaces GKE's defaults, so pod readiness, restarts, "
                        "HPA and volume state are not in Cloud Monitoring. List them next to "
                        '"SYSTEM_COMPONENTS" and "DCGM".'
                    ),
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-node-pool-hardening",
        description=(
            "Node pools run the GKE metadata server (workloadMetadataConfig.mode GKE_METADATA, "
            "required explicitly), Secure Boot (unset = off) and integrity monitoring (unset = "
            "on), as a dedicated service account, not the Compute Engine default one (unset = "
            "default)."
        ),
        severity="high",
        remediation="Set node_config.workload_metadata_config, shielded_instance_config and "
        "service_account.",
        steps={
            NODE_POOL: (
                Check(
                    "nodeConfig.workloadMetadataConfig.mode",
                    equals("GKE_METADATA"),
                    "nodeConfig.workloadMetadataConfig.mode is {value}: without the GKE metadata "
                    "server pods can take the node service account's token. Set "
                    'node_config.workload_metadata_config.mode="GKE_METADATA".',
                ),
                Check(
                    "nodeConfig.shieldedInstanceConfig.enableSecureBoot",
                    is_true,
                    "nodeConfig.shieldedInstanceConfig.enableSecureBoot is {value}: nodes boot "
                    "unsigned kernels and modules. "
                    "Set node_config.shielded_instance_config.enable_secure_boot=True.",
                ),
                Check(
                    "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring",
                    true_or_unset,
                    "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is {value}: boot "
                    "integrity is not attested. Remove it (GKE defaults to true) or set it to "
                    "True.",
                ),
                Check(
                    "nodeConfig.serviceAccount",
                    lambda account: account and account != "default",
                    "nodeConfig.serviceAccount is {value}: nodes run as the Compute Engine "
                    "default service account (Editor on the project). Set "
                    "node_config.service_account to a dedicated least-privilege service account.",
                ),
                Check(
                    "nodeConfig.serviceAccount",
                    lambda account: not _COMPUTE_DEFAULT_SA_RE.match(str(account)),
                    "nodeConfig.serviceAccount is {value}, the Compute Engine default service "
                    "account (Editor on the project). Use a dedicated least-privilege service "
                    "account.",
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-node-pool-management",
        description="Node auto-repair and auto-upgrade are on (unset = GKE default on).",
        severity="medium",
        remediation="Remove management.auto_repair/auto_upgrade=False.",
        steps={
            NODE_POOL: (
                Check(
                    "management.autoRepair",
                    true_or_unset,
                    "management.autoRepair is {value}: unhealthy GPU nodes stay in the pool. "
                    "Remove it (GKE defaults to true) or set management.auto_repair=True.",
                ),
                Check(
                    "management.autoUpgrade",
                    true_or_unset,
                    "management.autoUpgrade is {value}: nodes miss security patches and drift "
                    "from the control plane. Remove it (GKE defaults to true) or set "
                    "management.auto_upgrade=True.",
                ),
            )
        },
    ),
    ResourceRule(
        name="gke-gpu-driver",
        description=(
            "A pool with GPUs requests the NVIDIA driver (guestAccelerators[]."
            "gpuDriverInstallationConfig.gpuDriverVersion DEFAULT or LATEST; through the API unset "
            "installs none), and accelerator-optimized machines declare their guestAccelerators."
        ),
        severity="high",
        remediation='Set gpu_driver_installation_config.gpu_driver_version="DEFAULT".',
        steps={NODE_POOL: (_gpu_driver_requested,)},
    ),
)
