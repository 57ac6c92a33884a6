"""Contract tests of the GKE cluster component: exact wire inputs, parentage, secrets."""

from __future__ import annotations

import json

import pytest

from components.cluster import NODE_ROLES, AuthorizedNetwork, ClusterArgs, GkeCluster
from components.kubeconfig import make_kubeconfig
from tests.conftest import DNS_ENDPOINT_ID, PROJECT_NUMBER, is_secret, resolve

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"


def make_args(**overrides) -> ClusterArgs:
    base = dict(
        project="my-proj",
        region="us-central1",
        location="us-central1",
        node_zones=["us-central1-a", "us-central1-c"],
        cluster_name="nim-prod",
        authorized_networks=[AuthorizedNetwork(cidr="203.0.113.0/24", name="ops")],
    )
    base.update(overrides)
    return ClusterArgs(**base)


def build(mocks, **overrides):
    cluster = GkeCluster("cluster", make_args(**overrides))
    return resolve(lambda: {"kubeconfig": cluster.kubeconfig, "sa": cluster.node_service_account})


def test_default_pool_removed_and_system_pool_autoscales_with_auto_repair(mocks):
    build(mocks)
    inputs = mocks.one(CLUSTER).inputs
    assert inputs["removeDefaultNodePool"] is True
    pool = mocks.one(NODE_POOL).inputs
    assert mocks.one(NODE_POOL).name == "cluster-system"
    assert pool["nodeConfig"]["machineType"] == "e2-standard-4"
    assert pool["autoscaling"] == {
        "totalMinNodeCount": 1,
        "totalMaxNodeCount": 3,
        "locationPolicy": "BALANCED",
    }
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool["nodeLocations"] == ["us-central1-a", "us-central1-c"]


def test_hardening_inputs(mocks):
    build(mocks)
    c = mocks.one(CLUSTER).inputs
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["workloadIdentityConfig"] == {"workloadPool": "my-proj.svc.id.goog"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableShieldedNodes"] is True
    assert c["enableLegacyAbac"] is False
    assert c["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert c["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": False,
    }
    assert c["masterAuthorizedNetworksConfig"] == {
        "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "ops"}]
    }
    assert c["deletionProtection"] is True
    assert c["monitoringConfig"]["managedPrometheus"] == {"enabled": True}
    assert c["maintenancePolicy"] == {
        "recurringWindow": {
            "startTime": "2026-01-01T03:00:00Z",
            "endTime": "2026-01-01T09:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
        }
    }
    # Regional cluster: every zone is a node location.
    assert c["location"] == "us-central1"
    assert c["nodeLocations"] == ["us-central1-a", "us-central1-c"]


# hashicorp/terraform-provider-google#15704: enable_components is the whole list, not an
# addition to GKE's defaults. Naming only SYSTEM_COMPONENTS and DCGM drops the kube-state metrics
# (kube_pod_status_ready, restarts, HPA state) and the kubelet/cAdvisor ones. Values as documented
# by pulumi-gcp 9 (ClusterMonitoringConfigArgsDict.enable_components).
KUBE_STATE = ["STORAGE", "HPA", "POD", "DAEMONSET", "DEPLOYMENT", "STATEFULSET"]


@pytest.mark.parametrize("dcgm", [True, False])
def test_monitoring_keeps_kube_state_and_kubelet_components_when_adding_dcgm(mocks, dcgm):
    build(mocks, dcgm_metrics=dcgm)
    components = mocks.one(CLUSTER).inputs["monitoringConfig"]["enableComponents"]
    assert components == [
        "SYSTEM_COMPONENTS",
        *KUBE_STATE,
        "KUBELET",
        "CADVISOR",
        *(["DCGM"] if dcgm else []),
    ]


def test_zonal_cluster_omits_its_own_zone_from_node_locations(mocks):
    build(mocks, location="us-central1-a", node_zones=["us-central1-a"])
    c = mocks.one(CLUSTER).inputs
    assert c["location"] == "us-central1-a"
    assert "nodeLocations" not in c


def test_nodes_use_a_dedicated_least_privilege_service_account(mocks):
    out = build(mocks)
    sa = mocks.one("gcp:serviceaccount/account:Account").inputs
    assert sa["accountId"] == "nim-nodes-x7k2qp"  # random suffix: ids are not reusable at once
    roles = sorted(r.inputs["role"] for r in mocks.of_type("gcp:projects/iAMMember:IAMMember"))
    assert roles == sorted(NODE_ROLES)
    assert not any("roles/editor" in r or "roles/owner" in r for r in roles)
    for pool in (mocks.one(NODE_POOL).inputs,):
        node = pool["nodeConfig"]
        assert node["serviceAccount"] == out["sa"] == "nim-nodes-x7k2qp@p.iam.gserviceaccount.com"
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert node["shieldedInstanceConfig"] == {
            "enableSecureBoot": True,
            "enableIntegrityMonitoring": True,
        }


def test_secrets_encrypted_with_a_created_kms_key_granted_to_gke(mocks):
    build(mocks)
    ring = mocks.one("gcp:kms/keyRing:KeyRing").inputs
    assert ring["name"] == "nim-prod-x7k2qp" and ring["location"] == "us-central1"
    key = mocks.one("gcp:kms/cryptoKey:CryptoKey")
    grant = mocks.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").inputs
    assert grant["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["member"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    )
    enc = mocks.one(CLUSTER).inputs["databaseEncryption"]
    assert enc["state"] == "ENCRYPTED"
    assert enc["keyName"].endswith(f"/cryptoKeys/{key.name}")


def test_given_kms_key_is_used_and_none_created(mocks):
    name = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
    build(mocks, kms_key=name)
    assert mocks.of_type("gcp:kms/cryptoKey:CryptoKey") == []
    assert mocks.one(CLUSTER).inputs["databaseEncryption"] == {
        "state": "ENCRYPTED",
        "keyName": name,
    }


def test_private_nodes_get_cloud_nat_and_public_nodes_do_not(mocks):
    build(mocks)
    nat = mocks.one("gcp:compute/routerNat:RouterNat").inputs
    assert nat["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"


def test_public_nodes_relaxation_has_no_nat(mocks):
    build(mocks, private_nodes=False, authorized_networks=[], secrets_encryption=False)
    assert mocks.of_type("gcp:compute/routerNat:RouterNat") == []
    c = mocks.one(CLUSTER).inputs
    assert c["privateClusterConfig"] == {
        "enablePrivateNodes": False,
        "enablePrivateEndpoint": False,
    }
    assert "masterAuthorizedNetworksConfig" not in c
    assert c["databaseEncryption"] == {"state": "DECRYPTED"}


def test_cluster_carries_no_node_settings_gke_would_not_return(mocks):
    """Once the default pool is removed GKE returns no cluster nodeConfig; the provider
    reads node_config back empty and, the field being ForceNew (terraform-provider-google
    node_config.go schemaNodeConfig; resource_container_cluster.go `d.Set("node_config",
    flattenNodeConfig(cluster.NodeConfig, ...))`), a second `pulumi up` would replace the cluster
    (pulumi/pulumi-gcp#744, pulumi/pulumi-gcp#2247). Node settings belong to the pools."""
    build(mocks)
    c = mocks.one(CLUSTER).inputs
    assert "nodeConfig" not in c
    assert "nodePools" not in c
    assert c["removeDefaultNodePool"] is True
    # initialNodeCount only matters at creation and is read back from a deprecated field.
    assert mocks.options["cluster-gke"]["ignoreChanges"] == ["initialNodeCount"]
    # The pools own their nodes' settings, including the least-privilege service account.
    assert mocks.one(NODE_POOL).inputs["nodeConfig"]["serviceAccount"].startswith("nim-nodes-")
    # initialNodeCount of a pool is ForceNew and drifts on a manual resize (provider docs).
    assert mocks.options["cluster-system"]["ignoreChanges"] == ["initialNodeCount"]


def test_private_cluster_is_psc_based_without_a_master_cidr(mocks):
    """master_ipv4_cidr_block makes a legacy VPC-peering private cluster
    (cloud.google.com/kubernetes-engine/docs/concepts/network-isolation); without it
    the provider sends enable_private_nodes as networkConfig.defaultEnablePrivateNodes
    (terraform-provider-google resource_container_cluster.go expandDefaultEnablePrivateNodes)."""
    build(mocks, private_endpoint=True)
    c = mocks.one(CLUSTER).inputs
    assert c["privateClusterConfig"] == {"enablePrivateNodes": True, "enablePrivateEndpoint": True}
    assert "masterIpv4CidrBlock" not in json.dumps(c)


def test_dns_endpoint_takes_external_traffic_authorised_by_iam(mocks):
    """The DNS-based endpoint is reached through Google's front end and authorised by IAM, with
    no source-address list (cloud.google.com/kubernetes-engine/docs/concepts/network-isolation).
    The provider always sends allowExternalTraffic and sends false when it is unset
    (terraform-provider-google expandControlPlaneEndpointsConfig, ForceSendFields), so it must be
    set explicitly."""
    build(mocks, private_endpoint=True)
    assert mocks.one(CLUSTER).inputs["controlPlaneEndpointsConfig"] == {
        "dnsEndpointConfig": {"allowExternalTraffic": True},
        "ipEndpointsConfig": {"enabled": True},
    }


def test_kubeconfig_uses_the_dns_endpoint_and_application_default_credentials(mocks):
    """pulumi-gcp authenticates with ADC; gke-gcloud-auth-plugin uses gcloud's active
    account unless given --use_application_default_credentials (kubernetes/cloud-provider-gcp
    cmd/gke-gcloud-auth-plugin/cred.go). The provider and the exported kubeconfig are one and
    the same, so `kubectl` and `nimctl doctor` act as the identity that ran `pulumi up`."""
    out = build(mocks)
    doc = json.loads(out["kubeconfig"])
    (cluster,) = doc["clusters"]
    assert cluster["cluster"] == {
        "server": f"https://{DNS_ENDPOINT_ID}-{PROJECT_NUMBER}.us-central1.gke.goog"
    }
    (user,) = doc["users"]
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert user["user"]["exec"]["args"] == ["--use_application_default_credentials"]
    assert user["user"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert "token" not in json.dumps(doc["users"])
    provider = mocks.one("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])
    assert json.loads(provider.inputs["kubeconfig"]["value"]) == doc


def test_without_the_dns_endpoint_the_kubeconfig_uses_the_ip_endpoint_and_its_ca(mocks):
    out = build(mocks, dns_endpoint=False)
    assert mocks.one(CLUSTER).inputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {
        "allowExternalTraffic": False
    }
    doc = json.loads(out["kubeconfig"])
    assert doc["clusters"][0]["cluster"] == {
        "server": "https://203.0.113.10",
        "certificate-authority-data": "Q0EtQ0VSVA==",
    }
    assert doc["users"][0]["user"]["exec"]["args"] == ["--use_application_default_credentials"]


def test_children_are_parented_to_the_component(mocks):
    build(mocks)
    prefix = "nim-gke:gke:Cluster$"
    children = [u for u in mocks.urns() if prefix in u]
    expected = {"cluster-gke", "cluster-system", "cluster-vpc", "cluster-k8s", "cluster-nodes"}
    assert expected <= {u.rsplit("::", 1)[1] for u in children}
    # Every resource but the component itself is its child and named after it.
    others = [u for u in mocks.urns() if not u.endswith("::cluster")]
    assert others and all(
        prefix in u and u.rsplit("::", 1)[1].startswith("cluster-") for u in others
    )


def test_make_kubeconfig_shape():
    doc = json.loads(make_kubeconfig("c", "https://1.2.3.4", "Q0E="))
    assert doc["current-context"] == "gke-c"
    assert doc["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="
    assert (
        "certificate-authority-data"
        not in json.loads(make_kubeconfig("c", "https://gke-x.gke.goog", None))["clusters"][0][
            "cluster"
        ]
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"release_channel": "FAST"}, "release_channel must be one of"),
        ({"system_min_nodes": 4, "system_max_nodes": 3}, "system_min_nodes <= system_max_nodes"),
        ({"node_zones": []}, "node_zones must name at least one zone"),
    ],
)
def test_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_args(**overrides)


@pytest.mark.parametrize("spot", [False, True])
def test_system_pool_spot_is_a_setting(mocks, spot):
    build(mocks, system_spot=spot)
    assert mocks.one(NODE_POOL).inputs["nodeConfig"]["spot"] is spot


# --- the Gateway's network ----------------------------------------------------------------


def test_without_a_gateway_no_proxy_subnet_no_firewall_no_gateway_api(mocks):
    build(mocks)
    assert [r.name for r in mocks.of_type("gcp:compute/subnetwork:Subnetwork")] == [
        "cluster-subnet"
    ]
    assert mocks.of_type("gcp:compute/firewall:Firewall") == []
    c = mocks.one(CLUSTER).inputs
    assert "gatewayApiConfig" not in c
    # HttpLoadBalancing is GKE's default; stated either way.
    assert c["addonsConfig"]["httpLoadBalancing"] == {"disabled": False}


def test_a_gateway_gets_its_proxy_only_subnet_and_the_gateway_api(mocks):
    """Gateway API channel, VPC-native, HttpLoadBalancing, a proxy-only subnet
    (REGIONAL_MANAGED_PROXY, ACTIVE) in the cluster's region and VPC
    (cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways;
    cloud.google.com/load-balancing/docs/proxy-only-subnets)."""
    build(mocks, gateway_proxy_subnet="10.129.0.0/23")
    c = mocks.one(CLUSTER).inputs
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert c["networkingMode"] == "VPC_NATIVE"
    assert c["addonsConfig"] == {
        "gcePersistentDiskCsiDriverConfig": {"enabled": True},
        "httpLoadBalancing": {"disabled": False},
    }
    proxy = mocks.named("cluster-proxy-only").inputs
    assert proxy == {
        "project": "my-proj",
        "region": "us-central1",
        "network": "cluster-vpc-id",
        "ipCidrRange": "10.129.0.0/23",
        "purpose": "REGIONAL_MANAGED_PROXY",
        "role": "ACTIVE",
    }


def test_only_the_proxies_and_health_checkers_reach_the_nim_port_of_the_stacks_nodes(mocks):
    out = build(mocks, gateway_proxy_subnet="10.129.0.0/23")
    fw = mocks.one("gcp:compute/firewall:Firewall").inputs
    assert fw["direction"] == "INGRESS"
    assert fw["sourceRanges"] == ["10.129.0.0/23", "35.191.0.0/16", "130.211.0.0/22"]
    assert fw["allows"] == [{"protocol": "tcp", "ports": ["8000"]}]
    assert fw["targetServiceAccounts"] == [out["sa"]]
    assert fw["network"] == "cluster-vpc-id"
    assert "sourceTags" not in fw and "targetTags" not in fw


def test_a_minimum_version_and_the_hpa_profile_only_when_set(mocks):
    """``min_master_version`` (a minimum GKE upgrades past) and ``pod_autoscaling.hpa_profile``
    (pulumi-gcp 9 ClusterPodAutoscalingArgs: NONE or PERFORMANCE) are sent as set; unset, the
    cluster keeps GKE's defaults (the channel's version, GKE's profile)."""
    build(mocks, min_master_version="1.37.0-gke.3100000", hpa_profile="PERFORMANCE")
    c = mocks.one(CLUSTER).inputs
    assert c["minMasterVersion"] == "1.37.0-gke.3100000"
    assert c["podAutoscaling"] == {"hpaProfile": "PERFORMANCE"}


def test_no_version_and_no_profile_by_default(mocks):
    build(mocks)
    c = mocks.one(CLUSTER).inputs
    assert "minMasterVersion" not in c and "podAutoscaling" not in c


# --- authorized networks and the private endpoint ------------------------------------------------
# hashicorp/terraform-provider-google@887701b5 google/services/container/
# resource_container_cluster.go, expandMasterAuthorizedNetworksConfig: "TF doesn't have an explicit
# enabled field for authorized networks, it is assumed to be enabled based on whether the
# master_authorized_networks_config is present at all" (absent: Enabled false). GKE answers a
# private endpoint with authorized networks disabled with "Error 400: Master authorized networks
# must be enabled if private endpoint is enabled., badRequest" (GoogleCloudPlatform/
# magic-modules#8338; terraform-google-kubernetes-engine#2217: "an empty list [] (with
# master_authorized_networks_config block enabled, but no cidr_blocks)").


@pytest.mark.parametrize(
    ("private_endpoint", "networks", "expected"),
    [
        # The private endpoint needs the block even when no network is listed.
        (True, [], {"cidrBlocks": []}),
        (
            True,
            [AuthorizedNetwork(cidr="10.0.0.0/8", name="vpn")],
            {"cidrBlocks": [{"cidrBlock": "10.0.0.0/8", "displayName": "vpn"}]},
        ),
        (
            False,
            [AuthorizedNetwork(cidr="10.0.0.0/8")],
            {"cidrBlocks": [{"cidrBlock": "10.0.0.0/8", "displayName": "10.0.0.0/8"}]},
        ),
        # No private endpoint and nothing listed: no block, so authorized networks stay off.
        (False, [], None),
    ],
)
def test_a_private_endpoint_always_sends_an_enabled_authorized_networks_block(
    mocks, private_endpoint, networks, expected
):
    build(mocks, private_endpoint=private_endpoint, authorized_networks=networks)
    c = mocks.one(CLUSTER).inputs
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is private_endpoint
    assert c.get("masterAuthorizedNetworksConfig") == expected
