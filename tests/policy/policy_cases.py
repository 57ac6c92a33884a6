"""Compliant prod resources as the nim-gke program registers them (wire form: camelCase inputs,
numbers as floats), plus a helper to derive bad variants. Shared by the policy tests.

Kept out of conftest.py on purpose: these tests must not depend on the project's conftest.
"""

from __future__ import annotations

import copy
from typing import Any

from policy.nim_gke_policies import rules
from policy.nim_gke_policies.model import Findings, Resource, StackResource

DELETE = object()
"""Use as a value in `edit` to remove the key."""


def edit(base: dict[str, Any], *changes: tuple[tuple[str | int, ...], Any]) -> dict[str, Any]:
    """A deep copy of `base` with each (path, value) applied; missing parents are created."""
    out = copy.deepcopy(base)
    for path, value in changes:
        cur: Any = out
        for key in path[:-1]:
            cur = cur.setdefault(key, {}) if isinstance(cur, dict) else cur[key]
        if value is DELETE:
            cur.pop(path[-1], None)
        else:
            cur[path[-1]] = value
    return out


RULES = {r.name: r for r in rules.RESOURCE_RULES}
STACK_RULES = {r.name: r for r in rules.STACK_RULES}


def check(
    rule_name: str,
    props: dict[str, Any],
    *,
    type_: str | None = None,
    config: dict[str, Any] | None = None,
    secret_outputs: tuple[str, ...] = (),
) -> Findings:
    rule = RULES[rule_name]
    resource_type = type_ or next(iter(rule.resource_types))
    assert resource_type in rule.resource_types
    resource = Resource(type=resource_type, props=props, secret_outputs=secret_outputs)
    return rule.check(resource, config or {})


PROJECT = "nim-prod-project"

CLUSTER = {
    "name": "nim-prod",
    "location": "us-central1",
    "initialNodeCount": 1.0,
    "removeDefaultNodePool": True,
    "deletionProtection": True,
    "networkingMode": "VPC_NATIVE",
    "privateClusterConfig": {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": False,
    },
    "masterAuthorizedNetworksConfig": {
        "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "ci-runners"}],
    },
    "workloadIdentityConfig": {"workloadPool": f"{PROJECT}.svc.id.goog"},
    "enableShieldedNodes": True,
    "datapathProvider": "ADVANCED_DATAPATH",
    "releaseChannel": {"channel": "REGULAR"},
    "maintenancePolicy": {
        "recurringWindow": {
            "startTime": "2026-01-03T03:00:00Z",
            "endTime": "2026-01-03T09:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=SA",
        }
    },
    "databaseEncryption": {
        "state": "ENCRYPTED",
        "keyName": f"projects/{PROJECT}/locations/us-central1/keyRings/nim/cryptoKeys/etcd",
    },
    "monitoringConfig": {
        "enableComponents": ["SYSTEM_COMPONENTS", *rules.WORKLOAD_METRIC_COMPONENTS, "DCGM"],
        "managedPrometheus": {"enabled": True},
    },
}

NODE_POOL = {
    "cluster": "nim-prod",
    "location": "us-central1",
    "nodeLocations": ["us-central1-a"],
    "autoscaling": {"totalMinNodeCount": 0.0, "totalMaxNodeCount": 2.0},
    "management": {"autoRepair": True, "autoUpgrade": True},
    "nodeConfig": {
        "machineType": "g2-standard-8",
        "diskSizeGb": 200.0,
        "serviceAccount": f"nim-nodes@{PROJECT}.iam.gserviceaccount.com",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
        # A priority of the GPU pools' ComputeClass: its label and taint (GKE's wire form).
        "labels": {"nim-gke/pool": "gpu", "cloud.google.com/compute-class": "nim-gpu"},
        "taints": [
            {"key": "cloud.google.com/compute-class", "value": "nim-gpu", "effect": "NO_SCHEDULE"}
        ],
        "guestAccelerators": [
            {
                "type": "nvidia-l4",
                "count": 1.0,
                "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
            }
        ],
    },
}

RELEASE = {
    "chart": "nim-llm",
    "version": "1.3.0",
    "name": "nim",
    "namespace": "nim",
    "repositoryOpts": {
        "repo": "https://helm.ngc.nvidia.com/nim",
        "username": "$oauthtoken",
        "password": "nvapi-EXAMPLE-not-a-key",
    },
    "values": {
        "image": {"repository": "nvcr.io/nim/meta/llama3-8b-instruct", "tag": "1.0.3"},
        "model": {"name": "meta/llama3-8b-instruct", "ngcAPISecret": "ngc-api"},
        "imagePullSecrets": [{"name": "ngc-registry"}],
        "resources": {"limits": {"nvidia.com/gpu": 1.0}},
        "nodeSelector": {"cloud.google.com/compute-class": "nim-gpu"},
        "tolerations": [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
            {
                "key": "cloud.google.com/compute-class",
                "operator": "Equal",
                "value": "nim-gpu",
                "effect": "NoSchedule",
            },
        ],
        "service": {"type": "ClusterIP", "openaiPort": 8000.0},
        "persistence": {"enabled": True, "size": "50Gi"},
    },
}

SERVICE = {
    "metadata": {
        "name": "nim-internal",
        "namespace": "nim",
        "annotations": {"networking.gke.io/load-balancer-type": "Internal"},
    },
    "spec": {
        "type": "LoadBalancer",
        "selector": {"app.kubernetes.io/name": "nim-llm", "app.kubernetes.io/instance": "nim"},
        "ports": [{"port": 8000.0, "targetPort": 8000.0}],
    },
}

API_KEY_SECRET = {
    "metadata": {"name": "ngc-api", "namespace": "nim"},
    "type": "Opaque",
    "stringData": {"NGC_API_KEY": "nvapi-EXAMPLE-not-a-key"},
}

PULL_SECRET = {
    "metadata": {"name": "ngc-registry", "namespace": "nim"},
    "type": "kubernetes.io/dockerconfigjson",
    "stringData": {".dockerconfigjson": '{"auths": {"nvcr.io": {"username": "$oauthtoken"}}}'},
}

# What pulumi_kubernetes.core.v1.Secret always registers (it merges this into the options).
SECRET_OUTPUTS = ("data", "stringData")

NAMESPACE = {
    "metadata": {
        "name": "nim",
        "labels": {
            "app.kubernetes.io/part-of": "nim-gke",
            "pod-security.kubernetes.io/enforce": "restricted",
        },
    }
}

# --- Stack view: outputs, as the engine hands them to stack policies -------------------------

URN = "urn:pulumi:prod::nim-gke::"
NS_URN = URN + "kubernetes:core/v1:Namespace::nim"
NETPOL_URN = URN + "kubernetes:networking.k8s.io/v1:NetworkPolicy::nim-default-deny"
PODMON_URN = URN + "kubernetes:monitoring.googleapis.com/v1:PodMonitoring::nim-metrics"
RELEASE_URN = URN + "kubernetes:helm.sh/v3:Release::nim"

NAMESPACE_OUT = edit(NAMESPACE, (("metadata", "uid"), "0b4f"))

DEFAULT_DENY_OUT = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "nim-default-deny", "namespace": "nim"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}

POD_MONITORING_OUT = {
    "apiVersion": "monitoring.googleapis.com/v1",
    "kind": "PodMonitoring",
    "metadata": {"name": "nim-metrics", "namespace": "nim"},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "nim-llm"}},
        "endpoints": [{"port": 8000.0, "path": "/v1/metrics", "interval": "30s"}],
    },
}

RELEASE_OUT = edit(RELEASE, (("status",), {"status": "deployed", "namespace": "nim"}))


def stack(
    namespace: dict[str, Any] | None = None,
    network_policy: dict[str, Any] | None = None,
    pod_monitoring: dict[str, Any] | None = None,
    release: dict[str, Any] | None = None,
    *,
    deps: tuple[str, ...] = (),
) -> list[StackResource]:
    """The stack's own NIM resources (outputs); pass a dict to replace one, {} to drop it."""
    parts = [
        (rules.NAMESPACE, NS_URN, NAMESPACE_OUT if namespace is None else namespace),
        (
            rules.NETWORK_POLICY,
            NETPOL_URN,
            DEFAULT_DENY_OUT if network_policy is None else network_policy,
        ),
        (
            rules.POD_MONITORING,
            PODMON_URN,
            POD_MONITORING_OUT if pod_monitoring is None else pod_monitoring,
        ),
        (rules.HELM_RELEASE, RELEASE_URN, RELEASE_OUT if release is None else release),
    ]
    out = [
        StackResource(type=t, urn=u, props=p, dependencies=deps if u != NS_URN else ())
        for t, u, p in parts
        if p != {}
    ]
    # Unrelated resources the stack also has.
    out.append(StackResource(type=rules.CLUSTER, urn=URN + rules.CLUSTER + "::nim", props=CLUSTER))
    return out
