"""One table per resource rule: the stack's own (compliant prod) resource passes, each bad variant
is rejected with its exact message, and values unknown during preview are deferred, not judged."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases import (
    API_KEY_SECRET,
    CLUSTER,
    DELETE,
    NAMESPACE,
    NODE_POOL,
    PULL_SECRET,
    RELEASE,
    SECRET_OUTPUTS,
    SERVICE,
    check,
    edit,
)

from components.cluster import MONITORING_COMPONENTS
from policy.nim_gke_policies import rules
from policy.nim_gke_policies.engine import path_keys
from policy.nim_gke_policies.model import UNKNOWN


def case(
    id: str,
    props: dict[str, Any],
    messages: tuple[str, ...] = (),
    unknowns: tuple[str, ...] = (),
    config: dict[str, Any] | None = None,
) -> Any:
    return pytest.param(props, list(messages), list(unknowns), config or {}, id=id)


PARAMS = ("props", "messages", "unknowns", "config")


def assert_findings(rule: str, props, messages, unknowns, config, **kw: Any) -> None:
    findings = check(rule, props, config=config, **kw)
    assert findings.messages == messages
    assert findings.unknowns == unknowns


# --- gke-private-cluster ----------------------------------------------------------------------

PRIVATE_NODES_OFF = (
    "privateClusterConfig.enablePrivateNodes is {}: nodes get public IP addresses. "
    "Set private_cluster_config.enable_private_nodes=True."
)
OPEN_CONTROL_PLANE = (
    "The control plane is open to the internet: masterAuthorizedNetworksConfig.cidrBlocks is {} "
    "and privateClusterConfig.enablePrivateEndpoint is {}. Set "
    "master_authorized_networks_config.cidr_blocks (without 0.0.0.0/0) or "
    "private_cluster_config.enable_private_endpoint=True."
)
PRIVATE_ENDPOINT_NEEDS_BLOCK = (
    "privateClusterConfig.enablePrivateEndpoint is true but masterAuthorizedNetworksConfig is "
    "unset, so the provider sends authorized networks disabled and GKE refuses the cluster "
    "(Error 400: Master authorized networks must be enabled if private endpoint is enabled). "
    'Set master_authorized_networks_config={"cidr_blocks": []} (an empty list is enough).'
)
OPEN_CIDR = (
    "masterAuthorizedNetworksConfig.cidrBlocks contains {}, which admits every address to the "
    "control plane. List only the networks that run kubectl/Pulumi."
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "private endpoint instead of authorized networks, the block sent empty",
            edit(
                CLUSTER,
                (("masterAuthorizedNetworksConfig",), {"cidrBlocks": []}),
                (("privateClusterConfig", "enablePrivateEndpoint"), True),
            ),
        ),
        # hashicorp/terraform-provider-google@887701b5 google/services/container/
        # resource_container_cluster.go, expandMasterAuthorizedNetworksConfig: no block, Enabled
        # false; GKE: "Master authorized networks must be enabled if private endpoint is enabled"
        # (GoogleCloudPlatform/magic-modules#8338).
        case(
            "private endpoint without the authorized-networks block GKE requires",
            edit(
                CLUSTER,
                (("masterAuthorizedNetworksConfig",), DELETE),
                (("privateClusterConfig", "enablePrivateEndpoint"), True),
            ),
            (PRIVATE_ENDPOINT_NEEDS_BLOCK,),
        ),
        case(
            "IP endpoint disabled (DNS endpoint only)",
            edit(
                CLUSTER,
                (("masterAuthorizedNetworksConfig",), DELETE),
                (("controlPlaneEndpointsConfig", "ipEndpointsConfig", "enabled"), False),
            ),
        ),
        case(
            "private nodes unset (GKE default public)",
            edit(CLUSTER, (("privateClusterConfig", "enablePrivateNodes"), DELETE)),
            (PRIVATE_NODES_OFF.format("unset"),),
        ),
        case(
            "no private cluster config at all",
            edit(CLUSTER, (("privateClusterConfig",), DELETE)),
            (PRIVATE_NODES_OFF.format("unset"),),
        ),
        case(
            "control plane open: no authorized networks, public endpoint",
            edit(CLUSTER, (("masterAuthorizedNetworksConfig",), DELETE)),
            (OPEN_CONTROL_PLANE.format("unset", "false"),),
        ),
        case(
            "authorized networks block without CIDRs",
            edit(CLUSTER, (("masterAuthorizedNetworksConfig", "cidrBlocks"), [])),
            (OPEN_CONTROL_PLANE.format("[]", "false"),),
        ),
        case(
            "0.0.0.0/0 among authorized networks",
            edit(
                CLUSTER,
                (
                    ("masterAuthorizedNetworksConfig", "cidrBlocks"),
                    [{"cidrBlock": "203.0.113.0/24"}, {"cidrBlock": "0.0.0.0/0"}],
                ),
            ),
            (OPEN_CIDR.format("0.0.0.0/0"),),
        ),
        case(
            "::/0 is as open as 0.0.0.0/0",
            edit(
                CLUSTER, (("masterAuthorizedNetworksConfig", "cidrBlocks"), [{"cidrBlock": "::/0"}])
            ),
            (OPEN_CIDR.format("::/0"),),
        ),
        case(
            "all Compute Engine public IPs allowed",
            edit(
                CLUSTER, (("masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled"), True)
            ),
            (
                "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true: any Compute "
                "Engine VM, anyone's, reaches the control plane. "
                "Set gcp_public_cidrs_access_enabled=False.",
            ),
        ),
        case(
            "authorized CIDR unknown during preview counts as an entry",
            edit(
                CLUSTER,
                (("masterAuthorizedNetworksConfig", "cidrBlocks"), [{"cidrBlock": UNKNOWN}]),
            ),
            (),
            ("masterAuthorizedNetworksConfig.cidrBlocks[0].cidrBlock",),
        ),
        case(
            "private nodes unknown during preview",
            edit(CLUSTER, (("privateClusterConfig", "enablePrivateNodes"), UNKNOWN)),
            (),
            ("privateClusterConfig.enablePrivateNodes",),
        ),
    ],
)
def test_gke_private_cluster(props, messages, unknowns, config):
    assert_findings("gke-private-cluster", props, messages, unknowns, config)


# --- gke-workload-identity --------------------------------------------------------------------


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "cluster nodeConfig without a mode inherits GKE_METADATA",
            edit(CLUSTER, (("nodeConfig",), {"machineType": "e2-small"})),
        ),
        case(
            "workload pool unset",
            edit(CLUSTER, (("workloadIdentityConfig",), DELETE)),
            (
                "workloadIdentityConfig.workloadPool is unset: pods fall back to the node's "
                "service account. Set "
                'workload_identity_config.workload_pool="<project>.svc.id.goog".',
            ),
        ),
        case(
            "workload pool not a .svc.id.goog pool",
            edit(CLUSTER, (("workloadIdentityConfig", "workloadPool"), "nim-prod-project")),
            (
                'workloadIdentityConfig.workloadPool is "nim-prod-project": GKE\'s workload pool '
                'is named "<project>.svc.id.goog".',
            ),
        ),
        case(
            "cluster nodeConfig exposes the Compute Engine metadata server",
            edit(CLUSTER, (("nodeConfig", "workloadMetadataConfig", "mode"), "GCE_METADATA")),
            (
                'nodeConfig.workloadMetadataConfig.mode is "GCE_METADATA": pods can read the '
                "node's credentials from the Compute Engine metadata server. Set "
                'node_config.workload_metadata_config.mode="GKE_METADATA" or leave it unset.',
            ),
        ),
        case(
            "workload pool unknown during preview",
            edit(CLUSTER, (("workloadIdentityConfig", "workloadPool"), UNKNOWN)),
            (),
            ("workloadIdentityConfig.workloadPool",),
        ),
    ],
)
def test_gke_workload_identity(props, messages, unknowns, config):
    assert_findings("gke-workload-identity", props, messages, unknowns, config)


# --- gke-cluster-hardening --------------------------------------------------------------------

LEGACY_DATAPATH = (
    "datapathProvider is {} (unset means LEGACY_DATAPATH): NetworkPolicy objects are not "
    'enforced without Dataplane V2. Set datapath_provider="ADVANCED_DATAPATH".'
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "shielded nodes, ABAC and client certificate unset take the safe GKE defaults",
            edit(
                CLUSTER,
                (("enableShieldedNodes",), DELETE),
                (("enableLegacyAbac",), DELETE),
                (("masterAuth",), DELETE),
            ),
        ),
        case(
            "shielded nodes off",
            edit(CLUSTER, (("enableShieldedNodes",), False)),
            (
                "enableShieldedNodes is false: nodes join without Shielded VM identity checks. "
                "Remove it (GKE defaults to true) or set enable_shielded_nodes=True.",
            ),
        ),
        case(
            "datapath unset (legacy)",
            edit(CLUSTER, (("datapathProvider",), DELETE)),
            (LEGACY_DATAPATH.format("unset"),),
        ),
        case(
            "datapath legacy",
            edit(CLUSTER, (("datapathProvider",), "LEGACY_DATAPATH")),
            (LEGACY_DATAPATH.format('"LEGACY_DATAPATH"'),),
        ),
        case(
            "legacy ABAC on",
            edit(CLUSTER, (("enableLegacyAbac",), True)),
            (
                "enableLegacyAbac is true: legacy ABAC grants static permissions that bypass "
                "RBAC. Remove it or set enable_legacy_abac=False.",
            ),
        ),
        case(
            "client certificate issued",
            edit(
                CLUSTER,
                (("masterAuth", "clientCertificateConfig", "issueClientCertificate"), True),
            ),
            (
                "masterAuth.clientCertificateConfig.issueClientCertificate is true: GKE issues a "
                "cluster-admin client certificate that cannot be revoked. Remove it or set it to "
                "False.",
            ),
        ),
        case(
            "default node pool kept",
            edit(CLUSTER, (("removeDefaultNodePool",), DELETE)),
            (
                "removeDefaultNodePool is unset: the default pool (Compute Engine default service "
                "account, not covered by the node-pool policies) stays. "
                "Set remove_default_node_pool=True.",
            ),
        ),
        case(
            "datapath unknown during preview",
            edit(CLUSTER, (("datapathProvider",), UNKNOWN)),
            (),
            ("datapathProvider",),
        ),
    ],
)
def test_gke_cluster_hardening(props, messages, unknowns, config):
    assert_findings("gke-cluster-hardening", props, messages, unknowns, config)


# --- gke-secrets-encryption -------------------------------------------------------------------


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "no database encryption",
            edit(CLUSTER, (("databaseEncryption",), DELETE)),
            (
                "databaseEncryption.state is unset: Kubernetes Secrets (the NGC key) are stored "
                "in etcd without application-layer encryption. Set "
                'database_encryption={"state": "ENCRYPTED", "key_name": <Cloud KMS key>}.',
            ),
        ),
        case(
            "decrypted",
            edit(CLUSTER, (("databaseEncryption",), {"state": "DECRYPTED"})),
            (
                'databaseEncryption.state is "DECRYPTED": Kubernetes Secrets (the NGC key) are '
                "stored in etcd without application-layer encryption. Set "
                'database_encryption={"state": "ENCRYPTED", "key_name": <Cloud KMS key>}.',
            ),
        ),
        case(
            "encrypted without a key",
            edit(CLUSTER, (("databaseEncryption", "keyName"), DELETE)),
            (
                "databaseEncryption.keyName is unset: application-layer encryption needs a Cloud "
                "KMS key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>).",
            ),
        ),
        case(
            "key name not a KMS key",
            edit(CLUSTER, (("databaseEncryption", "keyName"), "etcd-key")),
            (
                'databaseEncryption.keyName is "etcd-key", not a Cloud KMS key name '
                "(projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>).",
            ),
        ),
        case(
            "key created in the same stack is unknown during preview",
            edit(CLUSTER, (("databaseEncryption", "keyName"), UNKNOWN)),
            (),
            ("databaseEncryption.keyName",),
        ),
    ],
)
def test_gke_secrets_encryption(props, messages, unknowns, config):
    assert_findings("gke-secrets-encryption", props, messages, unknowns, config)


# --- gke-upgrade-policy -----------------------------------------------------------------------

NO_WINDOW = (
    "maintenancePolicy has no dailyMaintenanceWindow, recurringWindow or "
    "recurringMaintenanceWindow: GKE may upgrade the control plane and restart GPU nodes at any "
    "hour. Set maintenance_policy with a window."
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "stable channel, daily window",
            edit(
                CLUSTER,
                (("releaseChannel", "channel"), "STABLE"),
                (("maintenancePolicy",), {"dailyMaintenanceWindow": {"startTime": "03:00"}}),
            ),
        ),
        case(
            "RAPID allowed by config",
            edit(CLUSTER, (("releaseChannel", "channel"), "RAPID")),
            config={"allowedReleaseChannels": ["RAPID", "REGULAR"]},
        ),
        case(
            "RAPID channel",
            edit(CLUSTER, (("releaseChannel", "channel"), "RAPID")),
            (
                'releaseChannel.channel is "RAPID": allowed are REGULAR, STABLE (policy config '
                'allowedReleaseChannels). Set release_channel={"channel": "REGULAR"}.',
            ),
        ),
        case(
            "no release channel",
            edit(CLUSTER, (("releaseChannel",), DELETE)),
            (
                "releaseChannel.channel is unset: allowed are REGULAR, STABLE (policy config "
                'allowedReleaseChannels). Set release_channel={"channel": "REGULAR"}.',
            ),
        ),
        case(
            "no maintenance policy",
            edit(CLUSTER, (("maintenancePolicy",), DELETE)),
            (NO_WINDOW,),
        ),
        case(
            "maintenance policy with exclusions only",
            edit(CLUSTER, (("maintenancePolicy",), {"maintenanceExclusions": [{"name": "x"}]})),
            (NO_WINDOW,),
        ),
    ],
)
def test_gke_upgrade_policy(props, messages, unknowns, config):
    assert_findings("gke-upgrade-policy", props, messages, unknowns, config)


# --- gke-deletion-protection ------------------------------------------------------------------


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "unset takes the pulumi-gcp default (true)",
            edit(CLUSTER, (("deletionProtection",), DELETE)),
        ),
        case(
            "turned off",
            edit(CLUSTER, (("deletionProtection",), False)),
            (
                "deletionProtection is false: a stray `pulumi destroy` or a replacing change "
                "deletes the cluster. Remove it (pulumi-gcp defaults to true) or set "
                "deletion_protection=True.",
            ),
        ),
    ],
)
def test_gke_deletion_protection(props, messages, unknowns, config):
    assert_findings("gke-deletion-protection", props, messages, unknowns, config)


# --- gke-gpu-monitoring -----------------------------------------------------------------------

NO_GMP = (
    "monitoringConfig.managedPrometheus.enabled is {}: nothing collects the NIM PodMonitoring. "
    "Set monitoring_config.managed_prometheus.enabled=True."
)
NO_DCGM = (
    'monitoringConfig.enableComponents is {} and lacks "DCGM": no GPU utilisation or GPU memory '
    'metrics. Add "DCGM" (next to "SYSTEM_COMPONENTS").'
)
WORKLOAD_COMPONENTS = "STORAGE, HPA, POD, DAEMONSET, DEPLOYMENT, STATEFULSET, KUBELET, CADVISOR"
# enable_components replaces GKE's default list, so a cluster that names only SYSTEM_COMPONENTS
# and DCGM loses the kube-state metrics
# (https://github.com/hashicorp/terraform-provider-google/issues/15704).
NO_WORKLOAD_METRICS = (
    "monitoringConfig.enableComponents is {} and lacks {}: enable_components replaces GKE's "
    "defaults, so pod readiness, restarts, HPA and volume state are not in Cloud Monitoring. "
    'List them next to "SYSTEM_COMPONENTS" and "DCGM".'
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own cluster", CLUSTER),
        case(
            "no monitoring config",
            edit(CLUSTER, (("monitoringConfig",), DELETE)),
            (
                NO_GMP.format("unset"),
                NO_DCGM.format("unset"),
                NO_WORKLOAD_METRICS.format("unset", WORKLOAD_COMPONENTS),
            ),
        ),
        case(
            "managed Prometheus off",
            edit(CLUSTER, (("monitoringConfig", "managedPrometheus", "enabled"), False)),
            (NO_GMP.format("false"),),
        ),
        case(
            "DCGM missing",
            edit(CLUSTER, (("monitoringConfig", "enableComponents"), ["SYSTEM_COMPONENTS"])),
            (
                NO_DCGM.format('["SYSTEM_COMPONENTS"]'),
                NO_WORKLOAD_METRICS.format('["SYSTEM_COMPONENTS"]', WORKLOAD_COMPONENTS),
            ),
        ),
        case(
            "only SYSTEM_COMPONENTS and DCGM (drops the kube-state metrics)",
            edit(
                CLUSTER, (("monitoringConfig", "enableComponents"), ["SYSTEM_COMPONENTS", "DCGM"])
            ),
            (NO_WORKLOAD_METRICS.format('["SYSTEM_COMPONENTS", "DCGM"]', WORKLOAD_COMPONENTS),),
        ),
        case(
            "everything but the kubelet and cAdvisor",
            edit(
                CLUSTER,
                (
                    ("monitoringConfig", "enableComponents"),
                    [
                        "SYSTEM_COMPONENTS",
                        "DCGM",
                        "STORAGE",
                        "HPA",
                        "POD",
                        "DAEMONSET",
                        "DEPLOYMENT",
                        "STATEFULSET",
                    ],
                ),
            ),
            (
                NO_WORKLOAD_METRICS.format(
                    '["SYSTEM_COMPONENTS", "DCGM", "STORAGE", "HPA", "POD", "DAEMONSET", '
                    '"DEPLOYMENT", "STATEFULSET"]',
                    "KUBELET, CADVISOR",
                ),
            ),
        ),
        case(
            "component list unknown during preview",
            edit(CLUSTER, (("monitoringConfig", "enableComponents"), UNKNOWN)),
            (),
            ("monitoringConfig.enableComponents",),
        ),
    ],
)
def test_gke_gpu_monitoring(props, messages, unknowns, config):
    assert_findings("gke-gpu-monitoring", props, messages, unknowns, config)


# --- gke-node-pool-hardening ------------------------------------------------------------------

NO_GKE_METADATA = (
    "nodeConfig.workloadMetadataConfig.mode is {}: without the GKE metadata server pods can take "
    "the node service account's token. Set "
    'node_config.workload_metadata_config.mode="GKE_METADATA".'
)
NO_SECURE_BOOT = (
    "nodeConfig.shieldedInstanceConfig.enableSecureBoot is {}: nodes boot unsigned kernels and "
    "modules. Set node_config.shielded_instance_config.enable_secure_boot=True."
)
DEFAULT_SA_UNSET = (
    "nodeConfig.serviceAccount is {}: nodes run as the Compute Engine default service account "
    "(Editor on the project). Set node_config.service_account to a dedicated least-privilege "
    "service account."
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own GPU pool", NODE_POOL),
        case(
            "integrity monitoring unset (GKE default on)",
            edit(
                NODE_POOL,
                (("nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"), DELETE),
            ),
        ),
        case(
            "metadata mode unset (the pool cannot see the cluster's default)",
            edit(NODE_POOL, (("nodeConfig", "workloadMetadataConfig"), DELETE)),
            (NO_GKE_METADATA.format("unset"),),
        ),
        case(
            "GCE metadata exposed",
            edit(NODE_POOL, (("nodeConfig", "workloadMetadataConfig", "mode"), "GCE_METADATA")),
            (NO_GKE_METADATA.format('"GCE_METADATA"'),),
        ),
        case(
            "secure boot unset (GKE default off)",
            edit(NODE_POOL, (("nodeConfig", "shieldedInstanceConfig"), DELETE)),
            (NO_SECURE_BOOT.format("unset"),),
        ),
        case(
            "integrity monitoring off",
            edit(
                NODE_POOL,
                (("nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"), False),
            ),
            (
                "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false: boot "
                "integrity is not attested. Remove it (GKE defaults to true) or set it to True.",
            ),
        ),
        case(
            "service account unset",
            edit(NODE_POOL, (("nodeConfig", "serviceAccount"), DELETE)),
            (DEFAULT_SA_UNSET.format("unset"),),
        ),
        case(
            'service account "default"',
            edit(NODE_POOL, (("nodeConfig", "serviceAccount"), "default")),
            (DEFAULT_SA_UNSET.format('"default"'),),
        ),
        case(
            "Compute Engine default service account",
            edit(
                NODE_POOL,
                (
                    ("nodeConfig", "serviceAccount"),
                    "123456789012-compute@developer.gserviceaccount.com",
                ),
            ),
            (
                "nodeConfig.serviceAccount is "
                '"123456789012-compute@developer.gserviceaccount.com", the Compute Engine '
                "default service account (Editor on the project). Use a "
                "dedicated least-privilege service account.",
            ),
        ),
        case(
            "no nodeConfig at all",
            edit(NODE_POOL, (("nodeConfig",), DELETE)),
            (
                NO_GKE_METADATA.format("unset"),
                NO_SECURE_BOOT.format("unset"),
                DEFAULT_SA_UNSET.format("unset"),
            ),
        ),
        case(
            "service account created in the same stack is unknown during preview",
            edit(NODE_POOL, (("nodeConfig", "serviceAccount"), UNKNOWN)),
            (),
            ("nodeConfig.serviceAccount",),
        ),
    ],
)
def test_gke_node_pool_hardening(props, messages, unknowns, config):
    assert_findings("gke-node-pool-hardening", props, messages, unknowns, config)


# --- gke-node-pool-management -----------------------------------------------------------------


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own GPU pool", NODE_POOL),
        case("management unset (GKE default on)", edit(NODE_POOL, (("management",), DELETE))),
        case(
            "auto-repair off",
            edit(NODE_POOL, (("management", "autoRepair"), False)),
            (
                "management.autoRepair is false: unhealthy GPU nodes stay in the pool. Remove it "
                "(GKE defaults to true) or set management.auto_repair=True.",
            ),
        ),
        case(
            "auto-upgrade off",
            edit(NODE_POOL, (("management", "autoUpgrade"), False)),
            (
                "management.autoUpgrade is false: nodes miss security patches and drift from the "
                "control plane. Remove it (GKE defaults to true) or set "
                "management.auto_upgrade=True.",
            ),
        ),
    ],
)
def test_gke_node_pool_management(props, messages, unknowns, config):
    assert_findings("gke-node-pool-management", props, messages, unknowns, config)


# --- gke-compute-class-pool -------------------------------------------------------------------

# GKE "Configure manually-created node pools for ComputeClass use" (cloud.google.com/
# kubernetes-engine/docs/concepts/about-custom-compute-classes): the node label and the NoSchedule
# taint cloud.google.com/compute-class=NAME, both.
LABEL_WITHOUT_TAINT = (
    'nodeConfig.labels["cloud.google.com/compute-class"] is "nim-gpu" but nodeConfig.taints has '
    "no cloud.google.com/compute-class=nim-gpu:NO_SCHEDULE taint: GKE associates a manually "
    "created pool with a ComputeClass by the label and the taint together, and without the taint "
    'any pod may take the pool\'s GPU nodes. Add the taint {"key": '
    '"cloud.google.com/compute-class", "value": "nim-gpu", "effect": "NO_SCHEDULE"} to '
    "node_config.taints."
)
TAINT_WITHOUT_LABEL = (
    "nodeConfig.taints has cloud.google.com/compute-class=nim-gpu:NO_SCHEDULE but "
    'nodeConfig.labels["cloud.google.com/compute-class"] is {}: GKE associates the pool with '
    "ComputeClass nim-gpu only when the node label says so too, so the class's pods never scale "
    'it up. Set node_config.labels["cloud.google.com/compute-class"] to "nim-gpu".'
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own GPU pool, a priority of nim-gpu", NODE_POOL),
        case(
            "a pool outside any class",
            edit(
                NODE_POOL,
                (("nodeConfig", "labels"), {"nim-gke/pool": "gpu"}),
                (("nodeConfig", "taints"), DELETE),
            ),
        ),
        case(
            "the label without the taint",
            edit(NODE_POOL, (("nodeConfig", "taints"), DELETE)),
            (LABEL_WITHOUT_TAINT,),
        ),
        case(
            "a PreferNoSchedule taint does not keep other pods off",
            edit(NODE_POOL, (("nodeConfig", "taints", 0, "effect"), "PREFER_NO_SCHEDULE")),
            (LABEL_WITHOUT_TAINT,),
        ),
        case(
            "the taint without the label",
            edit(NODE_POOL, (("nodeConfig", "labels"), {"nim-gke/pool": "gpu"})),
            (TAINT_WITHOUT_LABEL.format("unset"),),
        ),
        case(
            "label and taint of two classes",
            edit(
                NODE_POOL,
                (("nodeConfig", "labels", "cloud.google.com/compute-class"), "nim-green"),
            ),
            (
                LABEL_WITHOUT_TAINT.replace("nim-gpu", "nim-green"),
                TAINT_WITHOUT_LABEL.format('"nim-green"'),
            ),
        ),
        case(
            "taints unknown during preview",
            edit(NODE_POOL, (("nodeConfig", "taints"), UNKNOWN)),
            (),
            ("nodeConfig.taints",),
        ),
    ],
)
def test_gke_compute_class_pool(props, messages, unknowns, config):
    assert_findings("gke-compute-class-pool", props, messages, unknowns, config)


# --- gke-gpu-driver ---------------------------------------------------------------------------

NO_DRIVER = (
    "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion is {}: "
    "through the API this installs no NVIDIA driver and NIM pods never see a GPU. Set "
    'gpu_driver_installation_config.gpu_driver_version="DEFAULT" or "LATEST".'
)
CPU_POOL = edit(
    NODE_POOL,
    (("nodeConfig", "machineType"), "e2-standard-4"),
    (("nodeConfig", "guestAccelerators"), DELETE),
)
# The GKE API's GPUDriverInstallationConfig.GPUDriverVersion: GPU_DRIVER_VERSION_UNSPECIFIED
# "Default value is to not install any GPU driver" (google.container.v1; terraform-provider-google
# website/docs/r/container_cluster.html.markdown adds that from GKE 1.30.1-gke.1156000 it installs
# the "Default" driver). Either way the rule asks for DEFAULT or LATEST by name.


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own GPU pool", NODE_POOL),
        case("a CPU pool needs no driver", CPU_POOL),
        case(
            "LATEST driver",
            edit(
                NODE_POOL,
                (
                    ("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig"),
                    {"gpuDriverVersion": "LATEST"},
                ),
            ),
        ),
        case(
            "zero-count accelerator block attaches nothing",
            edit(
                CPU_POOL,
                (("nodeConfig", "guestAccelerators"), [{"type": "nvidia-l4", "count": 0.0}]),
            ),
        ),
        case(
            "driver config missing (the API installs no driver for an unset version)",
            edit(
                NODE_POOL,
                (("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig"), DELETE),
            ),
            (NO_DRIVER.format("unset"),),
        ),
        case(
            "installation disabled",
            edit(
                NODE_POOL,
                (
                    ("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig"),
                    {"gpuDriverVersion": "INSTALLATION_DISABLED"},
                ),
            ),
            (NO_DRIVER.format('"INSTALLATION_DISABLED"'),),
        ),
        case(
            "g2 machine without guestAccelerators (GPU attached, no driver requested)",
            edit(NODE_POOL, (("nodeConfig", "guestAccelerators"), DELETE)),
            (
                'nodeConfig.machineType is "g2-standard-8", which comes with GPUs, but '
                "nodeConfig.guestAccelerators is unset, so no GPU driver is requested. Declare "
                "guest_accelerators (the machine's GPU type and count) with "
                "gpu_driver_installation_config.",
            ),
        ),
        case(
            "driver version unknown during preview",
            edit(
                NODE_POOL,
                (
                    ("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig"),
                    {"gpuDriverVersion": UNKNOWN},
                ),
            ),
            (),
            ("nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion",),
        ),
    ],
)
def test_gke_gpu_driver(props, messages, unknowns, config):
    assert_findings("gke-gpu-driver", props, messages, unknowns, config)


# Accelerator-optimized machine types come with a fixed model and number of NVIDIA GPUs attached
# (https://cloud.google.com/compute/docs/accelerator-optimized-machines); N1 machines get GPUs only
# when guestAccelerators attaches them.
@pytest.mark.parametrize(
    ("machine", "comes_with_gpus"),
    [
        ("a2-highgpu-1g", True),
        ("a2-ultragpu-1g", True),
        ("a3-highgpu-8g", True),
        ("a4-highgpu-8g", True),
        ("g2-standard-4", True),
        ("g4-standard-48", True),
        ("n1-standard-8", False),
    ],
)
def test_gke_gpu_driver_knows_which_machines_come_with_gpus(machine, comes_with_gpus):
    props = edit(
        NODE_POOL,
        (("nodeConfig", "machineType"), machine),
        (("nodeConfig", "guestAccelerators"), DELETE),
    )
    expected = [
        f'nodeConfig.machineType is "{machine}", which comes with GPUs, but '
        "nodeConfig.guestAccelerators is unset, so no GPU driver is requested. Declare "
        "guest_accelerators (the machine's GPU type and count) with "
        "gpu_driver_installation_config."
    ]
    assert check("gke-gpu-driver", props).messages == (expected if comes_with_gpus else [])


# --- no-public-load-balancer: Services ----------------------------------------------------------

PUBLIC_SERVICE = (
    'spec.type is "LoadBalancer" and metadata.annotations lacks '
    'networking.gke.io/load-balancer-type: "Internal": GKE gives the Service a public IP. Use '
    "ClusterIP or an internal load balancer, or set policy config allowPublicLoadBalancer=true "
    "for this stack."
)
PUBLIC_LB_SERVICE = edit(SERVICE, (("metadata", "annotations"), DELETE))


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own internal load balancer Service", SERVICE),
        case("ClusterIP Service", edit(PUBLIC_LB_SERVICE, (("spec", "type"), "ClusterIP"))),
        case("type unset (ClusterIP)", edit(PUBLIC_LB_SERVICE, (("spec", "type"), DELETE))),
        case(
            "legacy internal annotation",
            edit(
                PUBLIC_LB_SERVICE,
                (("metadata", "annotations"), {"cloud.google.com/load-balancer-type": "Internal"}),
            ),
        ),
        case(
            "public LB explicitly allowed by config",
            PUBLIC_LB_SERVICE,
            config={"allowPublicLoadBalancer": True},
        ),
        case("public load balancer", PUBLIC_LB_SERVICE, (PUBLIC_SERVICE,)),
        case(
            "annotation with the wrong value",
            edit(
                SERVICE,
                (("metadata", "annotations", "networking.gke.io/load-balancer-type"), "External"),
            ),
            (PUBLIC_SERVICE,),
        ),
        case(
            "config false is the default",
            PUBLIC_LB_SERVICE,
            (PUBLIC_SERVICE,),
            config={"allowPublicLoadBalancer": False},
        ),
        case(
            "type unknown during preview",
            edit(SERVICE, (("spec", "type"), UNKNOWN)),
            (),
            ("spec.type",),
        ),
    ],
)
def test_no_public_load_balancer_service(props, messages, unknowns, config):
    assert_findings(
        "no-public-load-balancer", props, messages, unknowns, config, type_=rules.SERVICE
    )


# --- no-public-load-balancer: the Gateway ------------------------------------------------------

GATEWAY = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "nim-internal", "namespace": "nim"},
    "spec": {
        "gatewayClassName": "gke-l7-rilb",
        "addresses": [{"type": "NamedAddress", "value": "nim-prod-nim-gateway"}],
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80.0}],
    },
}


def _public_gateway(name: str) -> str:
    return (
        f'spec.gatewayClassName is "{name}", not one of GKE\'s internal classes (gke-l7-rilb, '
        "gke-l7-rilb-mc, gke-l7-cross-regional-internal-managed-mc): its load balancer gets a "
        "public IP and the NIM OpenAI endpoint, which has no authentication, is on the internet. "
        "Use gke-l7-rilb, or set policy config allowPublicLoadBalancer=true for this stack."
    )


EXTERNAL = edit(GATEWAY, (("spec", "gatewayClassName"), "gke-l7-global-external-managed"))


@pytest.mark.parametrize(
    PARAMS,
    [
        case("the stack's internal Gateway", GATEWAY),
        case(
            "GKE's external class",
            EXTERNAL,
            (_public_gateway("gke-l7-global-external-managed"),),
        ),
        case(
            "GKE's regional external class",
            edit(GATEWAY, (("spec", "gatewayClassName"), "gke-l7-regional-external-managed")),
            (_public_gateway("gke-l7-regional-external-managed"),),
        ),
        case(
            "an unknown class is not assumed internal",
            edit(GATEWAY, (("spec", "gatewayClassName"), "istio")),
            (_public_gateway("istio"),),
        ),
        case("public allowed by config", EXTERNAL, config={"allowPublicLoadBalancer": True}),
        case(
            "class unknown during preview",
            edit(GATEWAY, (("spec", "gatewayClassName"), UNKNOWN)),
            (),
            ("spec.gatewayClassName",),
        ),
    ],
)
def test_no_public_gateway(props, messages, unknowns, config):
    assert_findings(
        "no-public-load-balancer", props, messages, unknowns, config, type_=rules.GATEWAY
    )


# --- no-public-load-balancer: the NIM Helm release ----------------------------------------------

PUBLIC_RELEASE = (
    'values.service.type is "LoadBalancer" and values.service.annotations lacks '
    'networking.gke.io/load-balancer-type: "Internal": the NIM OpenAI endpoint, which has no '
    "authentication, gets a public IP. Use ClusterIP or an internal load balancer, or set policy "
    "config allowPublicLoadBalancer=true for this stack."
)
LB_RELEASE = edit(RELEASE, (("values", "service", "type"), "LoadBalancer"))


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own release", RELEASE),
        case(
            "internal load balancer through the chart's service annotations",
            edit(
                LB_RELEASE,
                (
                    ("values", "service", "annotations"),
                    {"networking.gke.io/load-balancer-type": "Internal"},
                ),
            ),
        ),
        case("allowed by config", LB_RELEASE, config={"allowPublicLoadBalancer": True}),
        case(
            "another chart's values are not judged",
            edit(LB_RELEASE, (("chart",), "ingress-nginx")),
        ),
        case("public load balancer", LB_RELEASE, (PUBLIC_RELEASE,)),
        case(
            "chart referenced by repo/name",
            edit(LB_RELEASE, (("chart",), "ngc/nim-llm")),
            (PUBLIC_RELEASE,),
        ),
    ],
)
def test_no_public_load_balancer_release(props, messages, unknowns, config):
    assert_findings(
        "no-public-load-balancer", props, messages, unknowns, config, type_=rules.HELM_RELEASE
    )


# --- nim-ngc-credentials ----------------------------------------------------------------------

KEY_IN_VALUES = (
    "values.model.ngcAPIKey is set: the NGC API key would be stored as a plain Helm value "
    "(release history, `helm get values`) and the chart would generate its own Secrets. Remove "
    "it; put the key in the Secret named by values.model.ngcAPISecret."
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own release", RELEASE),
        case(
            "empty ngcAPIKey (the chart default)",
            edit(RELEASE, (("values", "model", "ngcAPIKey"), "")),
        ),
        case(
            "secret names unknown during preview count as set",
            edit(
                RELEASE,
                (("values", "model", "ngcAPISecret"), UNKNOWN),
                (("values", "imagePullSecrets"), [{"name": UNKNOWN}]),
            ),
        ),
        case(
            "env from a secretKeyRef",
            edit(
                RELEASE,
                (
                    ("values", "env"),
                    [{"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "ngc-api"}}}],
                ),
            ),
        ),
        case(
            "key as a plain value (a secret arrives unwrapped, so the same)",
            edit(RELEASE, (("values", "model", "ngcAPIKey"), "nvapi-EXAMPLE-not-a-key")),
            (KEY_IN_VALUES,),
        ),
        case(
            "key from an Output unknown during preview",
            edit(RELEASE, (("values", "model", "ngcAPIKey"), UNKNOWN)),
            (KEY_IN_VALUES,),
        ),
        case(
            "values unknown as a whole: undecided, not a violation",
            edit(RELEASE, (("values",), UNKNOWN)),
            (),
            ("values.model.ngcAPIKey", "values.model.ngcAPISecret", "values.imagePullSecrets"),
        ),
        case(
            "literal NGC_API_KEY env",
            edit(RELEASE, (("values", "env"), [{"name": "NGC_API_KEY", "value": "nvapi-x"}])),
            (
                "values.env[0] sets NGC_API_KEY as a literal value: the NGC key would be stored as "
                "a plain Helm value. Use valueFrom.secretKeyRef or values.model.ngcAPISecret.",
            ),
        ),
        case(
            "values from files",
            edit(RELEASE, (("valueYamlFiles",), ["values-prod.yaml"])),
            (
                "valueYamlFiles is set: values read from files are invisible to this policy pack "
                "(an NGC key could hide there). Pass the NIM values inline through `values`.",
            ),
        ),
        case(
            "API key Secret name unset",
            edit(RELEASE, (("values", "model", "ngcAPISecret"), DELETE)),
            (
                "values.model.ngcAPISecret is unset: the chart falls back to a Secret named "
                '"ngc-api" that this program does not create. Set it to the Secret that holds '
                "NGC_API_KEY.",
            ),
        ),
        case(
            "no image pull secrets",
            edit(RELEASE, (("values", "imagePullSecrets"), [])),
            (
                "values.imagePullSecrets is []: nvcr.io images cannot be pulled (the chart default "
                'names a Secret "ngc-secret" that this program does not create). Set it to '
                '[{"name": <the kubernetes.io/dockerconfigjson Secret>}].',
            ),
        ),
        case(
            "no pull secret, image through the Artifact Registry mirror of nvcr.io",
            edit(
                RELEASE,
                (("values", "imagePullSecrets"), []),
                (
                    ("values", "image", "repository"),
                    "us-central1-docker.pkg.dev/p/nvcr-remote/nim/meta/llama3-8b-instruct",
                ),
            ),
        ),
        case(
            "no pull secret and no image repository (the chart defaults to nvcr.io)",
            edit(
                RELEASE,
                (("values", "imagePullSecrets"), []),
                (("values", "image", "repository"), DELETE),
            ),
            (
                "values.imagePullSecrets is []: nvcr.io images cannot be pulled (the chart default "
                'names a Secret "ngc-secret" that this program does not create). Set it to '
                '[{"name": <the kubernetes.io/dockerconfigjson Secret>}].',
            ),
        ),
        case(
            "pull secret entry without a name",
            edit(RELEASE, (("values", "imagePullSecrets"), [{}])),
            ("values.imagePullSecrets[0].name is unset: name the pull Secret.",),
        ),
        case(
            "not the NIM chart",
            edit(RELEASE, (("chart",), "kube-prometheus-stack"), (("values",), {"x": 1.0})),
        ),
    ],
)
def test_nim_ngc_credentials(props, messages, unknowns, config):
    assert_findings("nim-ngc-credentials", props, messages, unknowns, config)


# --- nim-gpu-scheduling -----------------------------------------------------------------------

GPU_LIMIT = (
    'values.resources.limits["nvidia.com/gpu"] is {}: without a GPU limit of at least 1 the NIM '
    "pod gets no GPU (and no GPU toleration). Set it to the GPUs per replica."
)
NODE_SELECTOR = (
    "values.nodeSelector is {}: it must pin the NIM pods to GPU nodes with "
    "cloud.google.com/compute-class (the GPU pools' ComputeClass), cloud.google.com/gke-nodepool "
    "or cloud.google.com/gke-accelerator."
)
# GKE "About custom ComputeClasses": a pod that selects a class and a system label the class
# decides is rejected ("Node selectors for system node labels"); the class's nodes carry the
# NoSchedule taint cloud.google.com/compute-class=NAME, which the pods tolerate themselves on
# Standard without node auto-provisioning (kubernetes-engine/docs/how-to/workload-separation).
CLASS_AND_SYSTEM_LABEL = (
    'values.nodeSelector selects ComputeClass "nim-gpu" and also {0}, which the class decides: '
    "GKE rejects such pods. Remove {0} from the node selector."
)
CLASS_UNTOLERATED = (
    'values.tolerations is {}: the nodes of ComputeClass "nim-gpu" carry the taint '
    "cloud.google.com/compute-class=nim-gpu:NoSchedule, so the NIM pods never schedule there. "
    'Add {{"key": "cloud.google.com/compute-class", "operator": "Equal", "value": "nim-gpu", '
    '"effect": "NoSchedule"}} to values.tolerations.'
)
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own release", RELEASE),
        case(
            "limit as a string, selector on the accelerator label",
            edit(
                RELEASE,
                (("values", "resources", "limits", "nvidia.com/gpu"), "2"),
                (("values", "nodeSelector"), {"cloud.google.com/gke-accelerator": "nvidia-l4"}),
            ),
        ),
        case(
            "no GPU limit",
            edit(RELEASE, (("values", "resources"), {"limits": {"cpu": "4"}})),
            (GPU_LIMIT.format("unset"),),
        ),
        case(
            "zero GPUs",
            edit(RELEASE, (("values", "resources", "limits", "nvidia.com/gpu"), 0.0)),
            (GPU_LIMIT.format("0"),),
        ),
        case(
            "fractional GPUs",
            edit(RELEASE, (("values", "resources", "limits", "nvidia.com/gpu"), 0.5)),
            (GPU_LIMIT.format("0.5"),),
        ),
        case(
            "no node selector",
            edit(RELEASE, (("values", "nodeSelector"), DELETE)),
            (NODE_SELECTOR.format("unset"),),
        ),
        case(
            "selector on a non-GPU label",
            edit(RELEASE, (("values", "nodeSelector"), {"nvidia.com/gpu.present": "true"})),
            (NODE_SELECTOR.format('{"nvidia.com/gpu.present": "true"}'),),
        ),
        case(
            "pool name unknown during preview is still a GPU pool selector",
            edit(
                RELEASE,
                (("values", "nodeSelector"), {"cloud.google.com/gke-nodepool": UNKNOWN}),
            ),
        ),
        case(
            "a class and the accelerator label the class decides",
            edit(
                RELEASE,
                (
                    ("values", "nodeSelector", "cloud.google.com/gke-accelerator"),
                    "nvidia-l4",
                ),
            ),
            (CLASS_AND_SYSTEM_LABEL.format("cloud.google.com/gke-accelerator"),),
        ),
        case(
            "a class and Spot selected beside it",
            edit(RELEASE, (("values", "nodeSelector", "cloud.google.com/gke-spot"), "true")),
            (CLASS_AND_SYSTEM_LABEL.format("cloud.google.com/gke-spot"),),
        ),
        case(
            "a class whose taint the pods do not tolerate",
            edit(RELEASE, (("values", "tolerations"), [GPU_TOLERATION])),
            (
                CLASS_UNTOLERATED.format(
                    '[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]'
                ),
            ),
        ),
        case(
            "a toleration of another class is not one of this class",
            edit(RELEASE, (("values", "tolerations", 1, "value"), "nim-green")),
            (
                CLASS_UNTOLERATED.format(
                    '[{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}, '
                    '{"effect": "NoSchedule", "key": "cloud.google.com/compute-class", '
                    '"operator": "Equal", "value": "nim-green"}]'
                ),
            ),
        ),
        case(
            "an Exists toleration of the class key covers every class",
            edit(
                RELEASE,
                (
                    ("values", "tolerations", 1),
                    {"key": "cloud.google.com/compute-class", "operator": "Exists"},
                ),
            ),
        ),
        case(
            "tolerations unknown during preview",
            edit(RELEASE, (("values", "tolerations"), UNKNOWN)),
            (),
            ("values.tolerations",),
        ),
        case(
            "GPU limit unknown during preview",
            edit(RELEASE, (("values", "resources", "limits", "nvidia.com/gpu"), UNKNOWN)),
            (),
            ('values.resources.limits["nvidia.com/gpu"]',),
        ),
    ],
)
def test_nim_gpu_scheduling(props, messages, unknowns, config):
    assert_findings("nim-gpu-scheduling", props, messages, unknowns, config)


# --- ngc-secret-values-secret -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "secret_outputs", "messages", "unknowns"),
    [
        pytest.param(API_KEY_SECRET, SECRET_OUTPUTS, [], [], id="stack's own API key Secret"),
        pytest.param(PULL_SECRET, SECRET_OUTPUTS, [], [], id="stack's own pull Secret"),
        pytest.param(
            {"metadata": {"name": "other"}, "stringData": {"token": "x"}},
            (),
            [],
            [],
            id="a Secret without NGC keys is not judged",
        ),
        pytest.param(
            API_KEY_SECRET,
            (),
            [
                "stringData carries NGC_API_KEY but stringData is not in the resource's "
                "additionalSecretOutputs: the NGC key could land in plain text in the Pulumi "
                "state. Create it with pulumi_kubernetes.core.v1.Secret (which marks data and "
                'stringData secret) or pass additional_secret_outputs=["stringData"].'
            ],
            [],
            id="NGC key Secret registered without secret outputs",
        ),
        pytest.param(
            {"data": {"NGC_API_KEY": "bnZhcGk=", "NGC_CLI_API_KEY": "bnZhcGk="}},
            ("stringData",),
            [
                "data carries NGC_API_KEY, NGC_CLI_API_KEY but data is not in the resource's "
                "additionalSecretOutputs: the NGC key could land in plain text in the Pulumi "
                "state. Create it with pulumi_kubernetes.core.v1.Secret (which marks data and "
                'stringData secret) or pass additional_secret_outputs=["data"].'
            ],
            [],
            id="base64 data not marked",
        ),
        pytest.param(
            {"stringData": UNKNOWN},
            (),
            [],
            ["stringData"],
            id="unmarked data unknown during preview",
        ),
        # The nim-llm chart's image pull Secret is type kubernetes.io/dockerconfigjson with the
        # key under .dockerconfigjson (NVIDIA/nim-deploy@ded6de861fc4:
        # helm/nim-llm/templates/secrets.yaml).
        pytest.param(
            PULL_SECRET,
            (),
            [
                "stringData carries .dockerconfigjson but stringData is not in the resource's "
                "additionalSecretOutputs: the NGC key could land in plain text in the Pulumi "
                "state. Create it with pulumi_kubernetes.core.v1.Secret (which marks data and "
                'stringData secret) or pass additional_secret_outputs=["stringData"].'
            ],
            [],
            id="pull Secret registered without secret outputs",
        ),
    ],
)
def test_ngc_secret_values_secret(props, secret_outputs, messages, unknowns):
    findings = check("ngc-secret-values-secret", props, secret_outputs=secret_outputs)
    assert findings.messages == messages
    assert findings.unknowns == unknowns


# --- nim-namespace-pod-security ---------------------------------------------------------------

PSS = (
    'metadata.labels["pod-security.kubernetes.io/enforce"] is {}: the NIM namespace must enforce '
    "the {} Pod Security Standard (policy config minimumLevel={}). Add the label "
    "pod-security.kubernetes.io/enforce: {}."
)
BASELINE_NS = edit(
    NAMESPACE, (("metadata", "labels", "pod-security.kubernetes.io/enforce"), "baseline")
)


@pytest.mark.parametrize(
    PARAMS,
    [
        case("stack's own namespace", NAMESPACE),
        case("baseline allowed by config (dev)", BASELINE_NS, config={"minimumLevel": "baseline"}),
        case(
            "a namespace that is not the NIM one is not judged",
            {"metadata": {"name": "tools", "labels": {"team": "x"}}},
        ),
        case(
            "baseline in prod",
            BASELINE_NS,
            (PSS.format('"baseline"', "'restricted'", "restricted", "restricted"),),
        ),
        case(
            "no Pod Security label",
            edit(NAMESPACE, (("metadata", "labels", "pod-security.kubernetes.io/enforce"), DELETE)),
            (PSS.format("unset", "'restricted'", "restricted", "restricted"),),
        ),
        case(
            "privileged even where baseline is allowed",
            edit(
                NAMESPACE,
                (("metadata", "labels", "pod-security.kubernetes.io/enforce"), "privileged"),
            ),
            (PSS.format('"privileged"', "'baseline' or 'restricted'", "baseline", "baseline"),),
            config={"minimumLevel": "baseline"},
        ),
        case(
            "labels unknown during preview",
            edit(NAMESPACE, (("metadata", "labels"), UNKNOWN)),
            (),
            ("metadata.labels",),
        ),
    ],
)
def test_nim_namespace_pod_security(props, messages, unknowns, config):
    assert_findings("nim-namespace-pod-security", props, messages, unknowns, config)


# --- helpers the rules share ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        ("nim-llm", True),
        ("ngc/nim-llm", True),
        ("./charts/nim-llm/", True),
        ("oci://nvcr.io/nim/charts/nim-llm", True),
        ("https://helm.ngc.nvidia.com/nim/charts/nim-llm-1.3.0.tgz", True),
        ("nim-llm-operator", False),
        ("nim-llm-extras-1.0.tgz", False),
        ("ingress-nginx", False),
        (UNKNOWN, False),
        (None, False),
    ],
)
def test_is_nim_chart(chart, expected):
    assert rules.is_nim_chart(chart) is expected


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("deletionProtection", ("deletionProtection",)),
        (
            "nodeConfig.workloadMetadataConfig.mode",
            ("nodeConfig", "workloadMetadataConfig", "mode"),
        ),
        (
            'values.resources.limits["nvidia.com/gpu"]',
            ("values", "resources", "limits", "nvidia.com/gpu"),
        ),
        (
            'metadata.labels["pod-security.kubernetes.io/enforce"]',
            ("metadata", "labels", "pod-security.kubernetes.io/enforce"),
        ),
    ],
)
def test_a_check_reads_the_path_its_message_names(path, keys):
    assert path_keys(path) == keys


def test_the_packs_metric_components_are_the_clusters() -> None:
    """The policy pack runs in its own virtualenv (policy/requirements.txt) and cannot import
    components/, so it keeps its own copy of the monitoring components GkeCluster enables:
    both lists must stay the same, or the pack rejects (or lets through) what the stack does."""
    assert MONITORING_COMPONENTS == ("SYSTEM_COMPONENTS", *rules.WORKLOAD_METRIC_COMPONENTS)
