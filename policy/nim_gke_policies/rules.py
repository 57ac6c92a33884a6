"""The nim-gke policy rules as pure functions over plain property dictionaries.

Every resource rule is `check(resource, config) -> Findings`; every stack rule is
`check(resources, config) -> Findings`. `pack.py` adapts them to the Policy SDK; tests call them
directly. Property paths in messages are the engine's camelCase wire names; fixes name the
Python (snake_case) arguments of the program.

Absent properties are judged by what GKE, pulumi-gcp or Kubernetes does when they are absent
(each rule's description says which default it relies on). A value that is unknown during preview
is not judged: it is recorded in `Findings.unknowns` and checked again by `pulumi up`, when the
value is known. The one exception is the NGC key in Helm values: a key that is set at all is a
violation, known or not.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import (
    UNKNOWN,
    UNKNOWN_ANCESTOR,
    Findings,
    Resource,
    StackResource,
    Unknown,
    dig,
    show,
)

# Resource type tokens, exactly as the engine reports them.
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"

# GKE's GatewayClasses whose load balancer has only internal addresses (GKE "GatewayClass
# capabilities": gke-l7-rilb, gke-l7-rilb-mc, gke-l7-cross-regional-internal-managed-mc); every
# other class, GKE's external ones included, is judged public.
INTERNAL_GATEWAY_CLASSES = (
    "gke-l7-rilb",
    "gke-l7-rilb-mc",
    "gke-l7-cross-regional-internal-managed-mc",
)

# The label the program puts on the NIM namespace; namespace rules apply only to it.
PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF_VALUE = "nim-gke"
PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

# GKE creates an internal passthrough load balancer for a Service carrying either annotation
# (the second is the older spelling GKE still honours).
INTERNAL_LB_ANNOTATIONS = (
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
)

# Keys of a Secret that hold the NGC API key (FACTS 1 and 2).
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
NGC_SECRET_KEYS = ("NGC_API_KEY", "NGC_CLI_API_KEY", ".dockerconfigjson")
NGC_ENV_NAMES = ("NGC_API_KEY", "NGC_CLI_API_KEY")

GPU_NODE_SELECTOR_KEYS = ("cloud.google.com/gke-nodepool", "cloud.google.com/gke-accelerator")
GPU_DRIVER_VERSIONS = ("DEFAULT", "LATEST")
# Accelerator-optimized machine families come with their GPUs attached (FACTS 10).
_GPU_MACHINE_RE = re.compile(r"^(a2|a3|a4|g2|g4)-")
_COMPUTE_DEFAULT_SA_RE = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_KMS_KEY_RE = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
_NIM_CHART_RE = re.compile(r"^nim-llm(-\d[\w.+-]*)?$")

Config = Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Rule metadata


@dataclass(frozen=True, kw_only=True)
class ResourceRule:
    name: str
    description: str
    severity: str
    """One of low, medium, high, critical (mapped to pulumi_policy.Severity)."""
    remediation: str
    resource_types: frozenset[str]
    check: Callable[[Resource, Config], Findings]
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON schema of each config property; `default` is what applies when config omits it."""


@dataclass(frozen=True, kw_only=True)
class StackRule:
    name: str
    description: str
    severity: str
    remediation: str
    check: Callable[[Sequence[StackResource], Config], Findings]
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def config_value(schema: Mapping[str, Mapping[str, Any]], config: Config, key: str) -> Any:
    """`config[key]` if given, else the schema default (the engine fills defaults the same way)."""
    if key in config:
        return config[key]
    return schema[key]["default"]


# --------------------------------------------------------------------------------------------
# Small helpers


def _is_true(value: Any, *, default: bool) -> bool:
    return default if value is None else value is True


def _require_bool(
    f: Findings, value: Any, path: str, *, default: bool, message: Callable[[Any], str]
) -> None:
    """Fail unless `value` (or `default` when absent) is True; unknown values are deferred."""
    if isinstance(value, Unknown):
        f.unknown(path)
    elif not _is_true(value, default=default):
        f.fail(message(value))


def _forbid_true(f: Findings, value: Any, path: str, message: str) -> None:
    """Fail when `value` is explicitly True (absent means the safe GKE default)."""
    if isinstance(value, Unknown):
        f.unknown(path)
    elif value is True:
        f.fail(message)


def _nonempty(value: Any) -> bool:
    """Set and not empty. An unknown value counts as set (it will be filled in at deploy)."""
    if isinstance(value, Unknown):
        return value is UNKNOWN
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return value is not None


def _as_count(value: Any) -> int | None:
    """A Kubernetes quantity meant as a whole count (1, 1.0 or "1"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def is_nim_chart(chart: Any) -> bool:
    """True for the nim-llm chart however it is referenced: `nim-llm`, `ngc/nim-llm`, a path
    ending in `nim-llm`, an OCI reference, or a `nim-llm-<version>.tgz` URL."""
    if not isinstance(chart, str):
        return False
    base = chart.rstrip("/").rsplit("/", 1)[-1]
    base = base.removesuffix(".tgz")
    return bool(_NIM_CHART_RE.match(base))


# --------------------------------------------------------------------------------------------
# gcp:container/cluster:Cluster


def check_private_cluster(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    private_nodes = dig(p, "privateClusterConfig", "enablePrivateNodes")
    _require_bool(
        f,
        private_nodes,
        "privateClusterConfig.enablePrivateNodes",
        default=False,
        message=lambda v: (
            f"privateClusterConfig.enablePrivateNodes is {show(v)}: nodes get public IP addresses. "
            "Set private_cluster_config.enable_private_nodes=True."
        ),
    )

    private_endpoint = dig(p, "privateClusterConfig", "enablePrivateEndpoint")
    ip_endpoint = dig(p, "controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled")
    blocks = dig(p, "masterAuthorizedNetworksConfig", "cidrBlocks")
    public_gce = dig(p, "masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled")

    has_entries = False
    undecided = isinstance(blocks, Unknown)
    if isinstance(blocks, list):
        for i, block in enumerate(blocks):
            cidr = dig(block, "cidrBlock")
            if isinstance(cidr, Unknown):
                f.unknown(f"masterAuthorizedNetworksConfig.cidrBlocks[{i}].cidrBlock")
                has_entries = True
                continue
            if not isinstance(cidr, str):
                continue
            has_entries = True
            try:
                network = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue  # GKE rejects it at deploy time; nothing to judge here.
            if network.prefixlen == 0:
                f.fail(
                    f"masterAuthorizedNetworksConfig.cidrBlocks contains {cidr}, which admits "
                    "every address to the control plane. List only the networks that run "
                    "kubectl/Pulumi."
                )
    _forbid_true(
        f,
        public_gce,
        "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
        "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true: any Compute Engine "
        "VM, anyone's, reaches the control plane. Set gcp_public_cidrs_access_enabled=False.",
    )

    if private_endpoint is True or ip_endpoint is False or has_entries:
        return f
    if undecided or isinstance(private_endpoint, Unknown) or isinstance(ip_endpoint, Unknown):
        f.unknown("masterAuthorizedNetworksConfig.cidrBlocks")
        return f
    f.fail(
        "The control plane is open to the internet: masterAuthorizedNetworksConfig.cidrBlocks is "
        f"{show(blocks)} and privateClusterConfig.enablePrivateEndpoint is "
        f"{show(private_endpoint)}. "
        "Set master_authorized_networks_config.cidr_blocks (without 0.0.0.0/0) or "
        "private_cluster_config.enable_private_endpoint=True."
    )
    return f


def check_workload_identity(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    pool = dig(p, "workloadIdentityConfig", "workloadPool")
    if isinstance(pool, Unknown):
        f.unknown("workloadIdentityConfig.workloadPool")
    elif not pool:
        f.fail(
            f"workloadIdentityConfig.workloadPool is {show(pool)}: pods fall back to the node's "
            'service account. Set workload_identity_config.workload_pool="<project>.svc.id.goog".'
        )
    elif not str(pool).endswith(".svc.id.goog"):
        f.fail(
            f"workloadIdentityConfig.workloadPool is {show(pool)}: GKE's workload pool is named "
            '"<project>.svc.id.goog".'
        )

    # With Workload Identity on, GKE gives node configs GKE_METADATA unless they say otherwise.
    mode = dig(p, "nodeConfig", "workloadMetadataConfig", "mode")
    if isinstance(mode, Unknown):
        f.unknown("nodeConfig.workloadMetadataConfig.mode")
    elif mode is not None and mode != "GKE_METADATA":
        f.fail(
            f"nodeConfig.workloadMetadataConfig.mode is {show(mode)}: pods can read the node's "
            "credentials from the Compute Engine metadata server. Set "
            'node_config.workload_metadata_config.mode="GKE_METADATA" or leave it unset.'
        )
    return f


def check_cluster_hardening(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    _require_bool(
        f,
        dig(p, "enableShieldedNodes"),
        "enableShieldedNodes",
        default=True,
        message=lambda v: (
            f"enableShieldedNodes is {show(v)}: nodes join without Shielded VM identity checks. "
            "Remove it (GKE defaults to true) or set enable_shielded_nodes=True."
        ),
    )
    datapath = dig(p, "datapathProvider")
    if isinstance(datapath, Unknown):
        f.unknown("datapathProvider")
    elif datapath != "ADVANCED_DATAPATH":
        f.fail(
            f"datapathProvider is {show(datapath)} (unset means LEGACY_DATAPATH): NetworkPolicy "
            "objects are not enforced without Dataplane V2. "
            'Set datapath_provider="ADVANCED_DATAPATH".'
        )
    _forbid_true(
        f,
        dig(p, "enableLegacyAbac"),
        "enableLegacyAbac",
        "enableLegacyAbac is true: legacy ABAC grants static permissions that bypass RBAC. "
        "Remove it or set enable_legacy_abac=False.",
    )
    _forbid_true(
        f,
        dig(p, "masterAuth", "clientCertificateConfig", "issueClientCertificate"),
        "masterAuth.clientCertificateConfig.issueClientCertificate",
        "masterAuth.clientCertificateConfig.issueClientCertificate is true: GKE issues a cluster-"
        "admin client certificate that cannot be revoked. Remove it or set it to False.",
    )
    _require_bool(
        f,
        dig(p, "removeDefaultNodePool"),
        "removeDefaultNodePool",
        default=False,
        message=lambda v: (
            f"removeDefaultNodePool is {show(v)}: the default pool (Compute Engine default service "
            "account, not covered by the node-pool policies) stays. "
            "Set remove_default_node_pool=True."
        ),
    )
    return f


def check_secrets_encryption(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    state = dig(p, "databaseEncryption", "state")
    key = dig(p, "databaseEncryption", "keyName")
    if isinstance(state, Unknown):
        f.unknown("databaseEncryption.state")
    elif state != "ENCRYPTED":
        f.fail(
            f"databaseEncryption.state is {show(state)}: Kubernetes Secrets (the NGC key) are "
            "stored in etcd without application-layer encryption. Set "
            'database_encryption={"state": "ENCRYPTED", "key_name": <Cloud KMS key>}.'
        )
        return f
    if isinstance(key, Unknown):
        f.unknown("databaseEncryption.keyName")
    elif not key:
        f.fail(
            "databaseEncryption.keyName is unset: application-layer encryption needs a Cloud KMS "
            "key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>)."
        )
    elif not _KMS_KEY_RE.match(str(key)):
        f.fail(
            f"databaseEncryption.keyName is {show(key)}, not a Cloud KMS key name "
            "(projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>)."
        )
    return f


_UPGRADE_SCHEMA: Mapping[str, Mapping[str, Any]] = {
    "allowedReleaseChannels": {
        "type": "array",
        "items": {"type": "string", "enum": ["RAPID", "REGULAR", "STABLE", "EXTENDED"]},
        "default": ["REGULAR", "STABLE"],
        "description": "Release channels the cluster may use.",
    }
}


def check_upgrade_policy(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    allowed = list(config_value(_UPGRADE_SCHEMA, config, "allowedReleaseChannels"))
    channel = dig(p, "releaseChannel", "channel")
    if isinstance(channel, Unknown):
        f.unknown("releaseChannel.channel")
    elif channel not in allowed:
        f.fail(
            f"releaseChannel.channel is {show(channel)}: allowed are {', '.join(allowed)} "
            "(policy config allowedReleaseChannels). "
            f'Set release_channel={{"channel": "{allowed[0]}"}}.'
        )
    policy = dig(p, "maintenancePolicy")
    windows = ("dailyMaintenanceWindow", "recurringWindow", "recurringMaintenanceWindow")
    if isinstance(policy, Unknown):
        f.unknown("maintenancePolicy")
    elif not any(_nonempty(dig(policy, w)) for w in windows):
        f.fail(
            "maintenancePolicy has no dailyMaintenanceWindow, recurringWindow or "
            "recurringMaintenanceWindow: GKE may upgrade the control plane and restart GPU nodes "
            "at any hour. Set maintenance_policy with a window."
        )
    return f


def check_deletion_protection(resource: Resource, config: Config) -> Findings:
    f = Findings()
    _require_bool(
        f,
        dig(resource.props, "deletionProtection"),
        "deletionProtection",
        default=True,
        message=lambda v: (
            f"deletionProtection is {show(v)}: a stray `pulumi destroy` or a replacing change "
            "deletes the cluster. Remove it (pulumi-gcp defaults to true) or set "
            "deletion_protection=True."
        ),
    )
    return f


def check_gpu_monitoring(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    _require_bool(
        f,
        dig(p, "monitoringConfig", "managedPrometheus", "enabled"),
        "monitoringConfig.managedPrometheus.enabled",
        default=False,
        message=lambda v: (
            f"monitoringConfig.managedPrometheus.enabled is {show(v)}: nothing collects the NIM "
            "PodMonitoring. Set monitoring_config.managed_prometheus.enabled=True."
        ),
    )
    components = dig(p, "monitoringConfig", "enableComponents")
    if isinstance(components, Unknown) or (
        isinstance(components, list) and any(isinstance(c, Unknown) for c in components)
    ):
        f.unknown("monitoringConfig.enableComponents")
        return f
    listed = components if isinstance(components, list) else []
    if "DCGM" not in listed:
        f.fail(
            f'monitoringConfig.enableComponents is {show(components)} and lacks "DCGM": '
            'no GPU utilisation or GPU memory metrics. Add "DCGM" '
            '(next to "SYSTEM_COMPONENTS").'
        )
    # enable_components is the whole list, not an addition (hashicorp/terraform-provider-google
    # #15704): a list without the kube-state and kubelet components turns them off.
    missing = [c for c in WORKLOAD_METRIC_COMPONENTS if c not in listed]
    if missing:
        f.fail(
            f"monitoringConfig.enableComponents is {show(components)} and lacks "
            f"{', '.join(missing)}: enable_components replaces GKE's defaults, so pod readiness, "
            "restarts, HPA and volume state are not in Cloud Monitoring. List them next to "
            '"SYSTEM_COMPONENTS" and "DCGM".'
        )
    return f


# --------------------------------------------------------------------------------------------
# gcp:container/nodePool:NodePool


def check_node_pool_hardening(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    mode = dig(p, "nodeConfig", "workloadMetadataConfig", "mode")
    if isinstance(mode, Unknown):
        f.unknown("nodeConfig.workloadMetadataConfig.mode")
    elif mode != "GKE_METADATA":
        f.fail(
            f"nodeConfig.workloadMetadataConfig.mode is {show(mode)}: without the GKE metadata "
            "server pods can take the node service account's token. Set "
            'node_config.workload_metadata_config.mode="GKE_METADATA".'
        )
    _require_bool(
        f,
        dig(p, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot"),
        "nodeConfig.shieldedInstanceConfig.enableSecureBoot",
        default=False,
        message=lambda v: (
            f"nodeConfig.shieldedInstanceConfig.enableSecureBoot is {show(v)}: nodes boot "
            "unsigned kernels and modules. "
            "Set node_config.shielded_instance_config.enable_secure_boot=True."
        ),
    )
    _require_bool(
        f,
        dig(p, "nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"),
        "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring",
        default=True,
        message=lambda v: (
            f"nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is {show(v)}: boot "
            "integrity is not attested. Remove it (GKE defaults to true) or set it to True."
        ),
    )
    account = dig(p, "nodeConfig", "serviceAccount")
    if isinstance(account, Unknown):
        f.unknown("nodeConfig.serviceAccount")
    elif not account or account == "default":
        f.fail(
            f"nodeConfig.serviceAccount is {show(account)}: nodes run as the Compute Engine "
            "default service account (Editor on the project). Set node_config.service_account to "
            "a dedicated least-privilege service account."
        )
    elif _COMPUTE_DEFAULT_SA_RE.match(str(account)):
        f.fail(
            f"nodeConfig.serviceAccount is {show(account)}, the Compute Engine default service "
            "account (Editor on the project). Use a dedicated least-privilege service account."
        )
    return f


def check_node_pool_management(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    _require_bool(
        f,
        dig(p, "management", "autoRepair"),
        "management.autoRepair",
        default=True,
        message=lambda v: (
            f"management.autoRepair is {show(v)}: unhealthy GPU nodes stay in the pool. "
            "Remove it (GKE defaults to true) or set management.auto_repair=True."
        ),
    )
    _require_bool(
        f,
        dig(p, "management", "autoUpgrade"),
        "management.autoUpgrade",
        default=True,
        message=lambda v: (
            f"management.autoUpgrade is {show(v)}: nodes miss security patches and drift from "
            "the control plane. Remove it (GKE defaults to true) or set "
            "management.auto_upgrade=True."
        ),
    )
    return f


def check_gpu_driver(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    accelerators = dig(p, "nodeConfig", "guestAccelerators")
    if isinstance(accelerators, Unknown):
        f.unknown("nodeConfig.guestAccelerators")
        return f
    if isinstance(accelerators, list) and accelerators:
        for i, accel in enumerate(accelerators):
            if isinstance(accel, Unknown):
                f.unknown(f"nodeConfig.guestAccelerators[{i}]")
                continue
            if _as_count(dig(accel, "count")) == 0:
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
        return f
    machine = dig(p, "nodeConfig", "machineType")
    if isinstance(machine, str) and _GPU_MACHINE_RE.match(machine):
        f.fail(
            f"nodeConfig.machineType is {show(machine)}, which comes with GPUs, but "
            "nodeConfig.guestAccelerators is unset, so no GPU driver is requested. Declare "
            "guest_accelerators (the machine's GPU type and count) with "
            "gpu_driver_installation_config."
        )
    return f


# --------------------------------------------------------------------------------------------
# Kubernetes: Services, the NIM Helm release, Secrets, the NIM namespace

_LB_SCHEMA: Mapping[str, Mapping[str, Any]] = {
    "allowPublicLoadBalancer": {
        "type": "boolean",
        "default": False,
        "description": "Allow Services (and the NIM chart's service) of type LoadBalancer "
        "without the GKE internal load balancer annotation.",
    }
}


def _is_internal_lb(annotations: Any) -> bool:
    if not isinstance(annotations, Mapping):
        return False
    return any(annotations.get(key) == "Internal" for key in INTERNAL_LB_ANNOTATIONS)


def check_no_public_load_balancer(resource: Resource, config: Config) -> Findings:
    f = Findings()
    if config_value(_LB_SCHEMA, config, "allowPublicLoadBalancer") is True:
        return f
    p = resource.props
    if resource.type == GATEWAY:
        gateway_class = dig(p, "spec", "gatewayClassName")
        if isinstance(gateway_class, Unknown):
            f.unknown("spec.gatewayClassName")
        elif gateway_class not in INTERNAL_GATEWAY_CLASSES:
            f.fail(
                f"spec.gatewayClassName is {show(gateway_class)}, not one of GKE's internal "
                f"classes ({', '.join(INTERNAL_GATEWAY_CLASSES)}): its load balancer gets a "
                "public IP and the NIM OpenAI endpoint, which has no authentication, is on the "
                "internet. Use gke-l7-rilb, or set policy config allowPublicLoadBalancer=true for "
                "this stack."
            )
        return f
    if resource.type == HELM_RELEASE:
        if not is_nim_chart(dig(p, "chart")):
            return f
        type_path, annotations_path = "values.service.type", "values.service.annotations"
        service_type = dig(p, "values", "service", "type")
        annotations = dig(p, "values", "service", "annotations")
        consequence = "the NIM OpenAI endpoint, which has no authentication, gets a public IP"
    else:
        type_path, annotations_path = "spec.type", "metadata.annotations"
        service_type = dig(p, "spec", "type")
        annotations = dig(p, "metadata", "annotations")
        consequence = "GKE gives the Service a public IP"
    if isinstance(service_type, Unknown):
        f.unknown(type_path)
        return f
    if service_type != "LoadBalancer" or _is_internal_lb(annotations):
        return f
    if isinstance(annotations, Unknown) or (
        isinstance(annotations, Mapping)
        and any(isinstance(annotations.get(k), Unknown) for k in INTERNAL_LB_ANNOTATIONS)
    ):
        f.unknown(annotations_path)
        return f
    f.fail(
        f'{type_path} is "LoadBalancer" and {annotations_path} lacks '
        f'networking.gke.io/load-balancer-type: "Internal": {consequence}. Use ClusterIP or an '
        "internal load balancer, or set policy config allowPublicLoadBalancer=true for this stack."
    )
    return f


def check_nim_ngc_credentials(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    if not is_nim_chart(dig(p, "chart")):
        return f
    # Never echo the key itself in a message.
    key = dig(p, "values", "model", "ngcAPIKey")
    if key is UNKNOWN_ANCESTOR:
        f.unknown("values.model.ngcAPIKey")
    elif key is UNKNOWN or (key.strip() if isinstance(key, str) else key is not None):
        # Unknown counts as set: an Output (often a secret) was put there.
        f.fail(
            "values.model.ngcAPIKey is set: the NGC API key would be stored as a plain Helm value "
            "(release history, `helm get values`) and the chart would generate its own Secrets. "
            "Remove it; put the key in the Secret named by values.model.ngcAPISecret."
        )

    env = dig(p, "values", "env")
    if isinstance(env, list):
        for i, item in enumerate(env):
            name = dig(item, "name")
            if name in NGC_ENV_NAMES and dig(item, "value") is not None:
                f.fail(
                    f"values.env[{i}] sets {name} as a literal value: the NGC key would be "
                    "stored as a plain Helm value. Use valueFrom.secretKeyRef or "
                    "values.model.ngcAPISecret."
                )

    if _nonempty(dig(p, "valueYamlFiles")):
        f.fail(
            "valueYamlFiles is set: values read from files are invisible to this policy pack (an "
            "NGC key could hide there). Pass the NIM values inline through `values`."
        )

    secret_name = dig(p, "values", "model", "ngcAPISecret")
    if secret_name is UNKNOWN_ANCESTOR:
        f.unknown("values.model.ngcAPISecret")
    elif not _nonempty(secret_name):
        f.fail(
            f"values.model.ngcAPISecret is {show(secret_name)}: the chart falls back to a Secret "
            'named "ngc-api" that this program does not create. Set it to the Secret that holds '
            "NGC_API_KEY."
        )

    pull = dig(p, "values", "imagePullSecrets")
    # Only nvcr.io needs the pull Secret: through the Artifact Registry mirror in front of it
    # (components/image_mirror.py) the node's service account authenticates. An unset or unknown
    # repository counts as nvcr.io (the chart's default image is there).
    repository = dig(p, "values", "image", "repository")
    from_nvcr = not isinstance(repository, str) or repository.startswith("nvcr.io/")
    if pull is UNKNOWN_ANCESTOR:
        f.unknown("values.imagePullSecrets")
    elif not _nonempty(pull) and from_nvcr:
        f.fail(
            f"values.imagePullSecrets is {show(pull)}: nvcr.io images cannot be pulled (the chart "
            'default names a Secret "ngc-secret" that this program does not create). Set it to '
            '[{"name": <the kubernetes.io/dockerconfigjson Secret>}].'
        )
    elif isinstance(pull, list):
        for i, item in enumerate(pull):
            if not _nonempty(dig(item, "name")) and not isinstance(item, Unknown):
                f.fail(f"values.imagePullSecrets[{i}].name is unset: name the pull Secret.")
    return f


def check_nim_gpu_scheduling(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    if not is_nim_chart(dig(p, "chart")):
        return f
    limit_path = 'values.resources.limits["nvidia.com/gpu"]'
    limit = dig(p, "values", "resources", "limits", "nvidia.com/gpu")
    if isinstance(limit, Unknown):
        f.unknown(limit_path)
    else:
        count = _as_count(limit)
        if count is None or count < 1:
            f.fail(
                f"{limit_path} is {show(limit)}: without a GPU limit of at least 1 the NIM pod "
                "gets no GPU (and no GPU toleration). Set it to the GPUs per replica."
            )
    selector = dig(p, "values", "nodeSelector")
    if isinstance(selector, Unknown):
        f.unknown("values.nodeSelector")
    elif not (
        isinstance(selector, Mapping)
        and any(_nonempty(selector.get(key)) for key in GPU_NODE_SELECTOR_KEYS)
    ):
        f.fail(
            f"values.nodeSelector is {show(selector)}: it must pin the NIM pods to the GPU pool "
            "with cloud.google.com/gke-nodepool or cloud.google.com/gke-accelerator."
        )
    return f


def check_ngc_secret_values(resource: Resource, config: Config) -> Findings:
    p = resource.props
    f = Findings()
    for fieldname in ("data", "stringData"):
        values = dig(p, fieldname)
        if isinstance(values, Unknown):
            if fieldname not in resource.secret_outputs:
                f.unknown(fieldname)
            continue
        if not isinstance(values, Mapping):
            continue
        keys = [k for k in NGC_SECRET_KEYS if k in values]
        if keys and fieldname not in resource.secret_outputs:
            f.fail(
                f"{fieldname} carries {', '.join(keys)} but {fieldname} is not in the resource's "
                "additionalSecretOutputs: the NGC key could land in plain text in the Pulumi "
                "state. Create it with pulumi_kubernetes.core.v1.Secret (which marks data and "
                f'stringData secret) or pass additional_secret_outputs=["{fieldname}"].'
            )
    return f


_PSS_SCHEMA: Mapping[str, Mapping[str, Any]] = {
    "minimumLevel": {
        "type": "string",
        "enum": ["baseline", "restricted"],
        "default": "restricted",
        "description": "Weakest Pod Security Standard the NIM namespace may enforce.",
    }
}


def _is_nim_namespace(props: Mapping[str, Any]) -> bool | None:
    """True/False for the part-of label; None when the labels are unknown."""
    labels = dig(props, "metadata", "labels")
    if isinstance(labels, Unknown):
        return None
    value = dig(labels, PART_OF_LABEL)
    if isinstance(value, Unknown):
        return None
    return value == PART_OF_VALUE


def check_namespace_pod_security(resource: Resource, config: Config) -> Findings:
    f = Findings()
    nim = _is_nim_namespace(resource.props)
    if nim is None:
        f.unknown("metadata.labels")
        return f
    if not nim:
        return f
    minimum = config_value(_PSS_SCHEMA, config, "minimumLevel")
    allowed = ("restricted",) if minimum == "restricted" else ("baseline", "restricted")
    level = dig(resource.props, "metadata", "labels", PSS_ENFORCE_LABEL)
    if isinstance(level, Unknown):
        f.unknown(f'metadata.labels["{PSS_ENFORCE_LABEL}"]')
    elif level not in allowed:
        f.fail(
            f'metadata.labels["{PSS_ENFORCE_LABEL}"] is {show(level)}: the NIM namespace must '
            f"enforce the {' or '.join(repr(a) for a in allowed)} Pod Security Standard (policy "
            f"config minimumLevel={minimum}). Add the label {PSS_ENFORCE_LABEL}: {minimum}."
        )
    return f


# --------------------------------------------------------------------------------------------
# Stack rules (they see every resource's *outputs*)


def _nim_namespaces(resources: Sequence[StackResource]) -> list[StackResource]:
    return [r for r in resources if r.type == NAMESPACE and _is_nim_namespace(r.props)]


def _ns_label(ns: StackResource) -> str:
    return show(dig(ns.props, "metadata", "name"))


def _in_namespace(resource: StackResource, namespace_name: Any, namespace: StackResource) -> bool:
    """Whether `resource` lives in `namespace`: by name, or, when either name is unknown during
    preview, by the resource depending on the Namespace resource."""
    own = dig(resource.props, "metadata", "namespace")
    if isinstance(own, Unknown) or isinstance(namespace_name, Unknown):
        return namespace.urn in resource.dependencies
    return (own or "default") == namespace_name


def _selects_all_pods(selector: Any) -> bool:
    if selector is None:
        return True
    if not isinstance(selector, Mapping):
        return False
    return not dig(selector, "matchLabels") and not dig(selector, "matchExpressions")


def is_default_deny_ingress(policy: StackResource) -> bool:
    spec = dig(policy.props, "spec")
    if not isinstance(spec, Mapping):
        return False
    types = dig(spec, "policyTypes")
    # Kubernetes defaults policyTypes to ["Ingress"] (plus Egress when egress rules exist).
    has_ingress_type = types is None or (isinstance(types, list) and "Ingress" in types)
    return (
        _selects_all_pods(dig(spec, "podSelector"))
        and has_ingress_type
        and not dig(spec, "ingress")
    )


def check_namespace_default_deny(resources: Sequence[StackResource], config: Config) -> Findings:
    f = Findings()
    policies = [r for r in resources if r.type == NETWORK_POLICY]
    for ns in _nim_namespaces(resources):
        name = dig(ns.props, "metadata", "name")
        if not any(is_default_deny_ingress(p) and _in_namespace(p, name, ns) for p in policies):
            f.fail(
                f"Namespace {_ns_label(ns)} ({PART_OF_LABEL}: {PART_OF_VALUE}) has no default-deny "
                "ingress NetworkPolicy (spec.podSelector {}, policyTypes with Ingress, no ingress "
                "rules): any pod in the cluster can call the NIM endpoint. Add one, plus explicit "
                "allow policies for the clients and for Managed Prometheus.",
                ns.urn,
            )
    return f


def check_namespace_pod_monitoring(resources: Sequence[StackResource], config: Config) -> Findings:
    f = Findings()
    monitors = [r for r in resources if r.type == POD_MONITORING]
    for ns in _nim_namespaces(resources):
        name = dig(ns.props, "metadata", "name")
        if not any(_in_namespace(m, name, ns) for m in monitors):
            f.fail(
                f"Namespace {_ns_label(ns)} ({PART_OF_LABEL}: {PART_OF_VALUE}) has no "
                "PodMonitoring (monitoring.googleapis.com/v1): Managed Prometheus does not scrape "
                "NIM's /v1/metrics, so queue depth and KV-cache use are invisible. Add a "
                "PodMonitoring that selects the NIM pods.",
                ns.urn,
            )
    return f


def check_release_in_nim_namespace(resources: Sequence[StackResource], config: Config) -> Findings:
    f = Findings()
    namespaces = _nim_namespaces(resources)
    for release in resources:
        if release.type != HELM_RELEASE or not is_nim_chart(dig(release.props, "chart")):
            continue
        target = dig(release.props, "namespace")
        covered = False
        for ns in namespaces:
            name = dig(ns.props, "metadata", "name")
            if isinstance(target, Unknown) or isinstance(name, Unknown):
                covered = covered or ns.urn in release.dependencies
            else:
                covered = covered or (target or "default") == name
        if not covered:
            f.fail(
                f"The nim-llm release is installed in namespace {show(target or 'default')}, which "
                f"is not a Namespace of this stack labelled {PART_OF_LABEL}: {PART_OF_VALUE}, so "
                "the namespace policies (Pod Security, default deny, PodMonitoring) do not cover "
                "it. Create that Namespace in the stack with the label and install the release "
                "there.",
                release.urn,
            )
    return f


# --------------------------------------------------------------------------------------------
# The registry: names are stable (config files refer to them), never rename one.

RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        name="gke-private-cluster",
        description=(
            "GKE nodes have private IPs only (privateClusterConfig.enablePrivateNodes; GKE "
            "default: public) and the control plane is restricted: authorized networks without "
            "0.0.0.0/0, a private endpoint, or the IP endpoint disabled."
        ),
        severity="critical",
        remediation="Set private_cluster_config.enable_private_nodes and either "
        "master_authorized_networks_config.cidr_blocks or enable_private_endpoint.",
        resource_types=frozenset({CLUSTER}),
        check=check_private_cluster,
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
        resource_types=frozenset({CLUSTER}),
        check=check_workload_identity,
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
        resource_types=frozenset({CLUSTER}),
        check=check_cluster_hardening,
    ),
    ResourceRule(
        name="gke-secrets-encryption",
        description=(
            "Kubernetes Secrets are encrypted at the application layer with a Cloud KMS key "
            "(databaseEncryption.state ENCRYPTED with keyName; unset = not encrypted)."
        ),
        severity="high",
        remediation="Set database_encryption with state ENCRYPTED and a Cloud KMS key_name.",
        resource_types=frozenset({CLUSTER}),
        check=check_secrets_encryption,
    ),
    ResourceRule(
        name="gke-upgrade-policy",
        description=(
            "The cluster is enrolled explicitly in an allowed release channel (config "
            "allowedReleaseChannels, default REGULAR/STABLE) and has a maintenance window."
        ),
        severity="medium",
        remediation="Set release_channel and maintenance_policy.",
        resource_types=frozenset({CLUSTER}),
        check=check_upgrade_policy,
        config_schema=_UPGRADE_SCHEMA,
    ),
    ResourceRule(
        name="gke-deletion-protection",
        description="deletionProtection is true (unset = pulumi-gcp default true).",
        severity="high",
        remediation="Remove deletion_protection=False.",
        resource_types=frozenset({CLUSTER}),
        check=check_deletion_protection,
    ),
    ResourceRule(
        name="gke-gpu-monitoring",
        description=(
            "Managed Service for Prometheus is on (monitoringConfig.managedPrometheus.enabled, "
            "required explicitly) and GPU metrics are exported (enableComponents includes DCGM)."
        ),
        severity="medium",
        remediation="Set monitoring_config with managed_prometheus.enabled and DCGM.",
        resource_types=frozenset({CLUSTER}),
        check=check_gpu_monitoring,
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
        resource_types=frozenset({NODE_POOL}),
        check=check_node_pool_hardening,
    ),
    ResourceRule(
        name="gke-node-pool-management",
        description="Node auto-repair and auto-upgrade are on (unset = GKE default on).",
        severity="medium",
        remediation="Remove management.auto_repair/auto_upgrade=False.",
        resource_types=frozenset({NODE_POOL}),
        check=check_node_pool_management,
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
        resource_types=frozenset({NODE_POOL}),
        check=check_gpu_driver,
    ),
    ResourceRule(
        name="no-public-load-balancer",
        description=(
            "No Service, and no nim-llm release service, of type LoadBalancer unless it is an "
            "internal load balancer (networking.gke.io/load-balancer-type: Internal), and no "
            "Gateway of a class other than GKE's internal ones, unless the stack's policy config "
            "sets allowPublicLoadBalancer."
        ),
        severity="critical",
        remediation="Use ClusterIP, an internal load balancer or the gke-l7-rilb GatewayClass.",
        resource_types=frozenset({SERVICE, HELM_RELEASE, GATEWAY}),
        check=check_no_public_load_balancer,
        config_schema=_LB_SCHEMA,
    ),
    ResourceRule(
        name="nim-ngc-credentials",
        description=(
            "The nim-llm release never carries the NGC key in Helm values (model.ngcAPIKey absent "
            "or empty, no literal NGC_API_KEY env, no valueYamlFiles) and names its Secrets "
            "explicitly (model.ngcAPISecret, imagePullSecrets)."
        ),
        severity="critical",
        remediation="Create the NGC Secrets in the stack and reference them by name.",
        resource_types=frozenset({HELM_RELEASE}),
        check=check_nim_ngc_credentials,
    ),
    ResourceRule(
        name="nim-gpu-scheduling",
        description=(
            'The nim-llm release requests at least one GPU (resources.limits["nvidia.com/gpu"], '
            "required explicitly) and pins its pods to the GPU pool through nodeSelector."
        ),
        severity="medium",
        remediation="Set the GPU limit and a cloud.google.com/gke-nodepool node selector.",
        resource_types=frozenset({HELM_RELEASE}),
        check=check_nim_gpu_scheduling,
    ),
    ResourceRule(
        name="ngc-secret-values-secret",
        description=(
            "A Secret holding NGC_API_KEY, NGC_CLI_API_KEY or .dockerconfigjson keeps those fields "
            "secret in the Pulumi state (data/stringData listed in additionalSecretOutputs)."
        ),
        severity="critical",
        remediation="Create the Secret with pulumi_kubernetes.core.v1.Secret.",
        resource_types=frozenset({SECRET}),
        check=check_ngc_secret_values,
    ),
    ResourceRule(
        name="nim-namespace-pod-security",
        description=(
            "The NIM namespace (label app.kubernetes.io/part-of: nim-gke) enforces the restricted "
            "Pod Security Standard (config minimumLevel may allow baseline)."
        ),
        severity="high",
        remediation="Label the namespace pod-security.kubernetes.io/enforce: restricted.",
        resource_types=frozenset({NAMESPACE}),
        check=check_namespace_pod_security,
        config_schema=_PSS_SCHEMA,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        name="nim-namespace-default-deny",
        description=(
            "The NIM namespace has a default-deny ingress NetworkPolicy (podSelector {}, "
            "policyTypes with Ingress, no ingress rules)."
        ),
        severity="high",
        remediation="Add a default-deny NetworkPolicy and explicit allow policies.",
        check=check_namespace_default_deny,
    ),
    StackRule(
        name="nim-namespace-pod-monitoring",
        description="The NIM namespace has a Managed Prometheus PodMonitoring.",
        severity="low",
        remediation="Add a monitoring.googleapis.com/v1 PodMonitoring for the NIM pods.",
        check=check_namespace_pod_monitoring,
    ),
    StackRule(
        name="nim-release-in-labelled-namespace",
        description=(
            "The nim-llm release is installed into a Namespace of this stack labelled "
            "app.kubernetes.io/part-of: nim-gke, so the namespace policies cover it."
        ),
        severity="high",
        remediation="Create the labelled Namespace in the stack and install the release there.",
        check=check_release_in_nim_namespace,
    ),
)
