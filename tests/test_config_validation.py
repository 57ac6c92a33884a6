"""Config validation: every stack setting is validated before anything is created.

Each case starts from a real stack file (``Pulumi.dev.yaml`` or ``Pulumi.prod.yaml``), changes one
value and expects exactly one problem: its key, the value as the user sees it, and fragments of the
rule and the fix. The message format is ``<key> = <value>: <rule>. Fix: <fix>``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from nimgke import catalog, config
from nimgke.config import ConfigError, Problem, load_stack_file, parse, read_stack_file
from tests import conftest
from tests.conftest import FAKE_NGC_KEY, ROOT, run_program, stack_config

DELETE = object()
"""Remove the setting instead of changing it."""
NOT_SET = "(not set)"
DEV_MODEL = {"name": "meta/llama3-8b-instruct", "tag": "1.0.3", "release": "llama3-8b"}


ROOMY = "prod-room"
"""prod with ``gpuPool.maxNodes: 4``: room for a canary beside the model, since prod's HPA may
scale each version to ``monitoring.hpa.maxReplicas`` (2) GPU nodes (docs/rollouts.md, "GPU
headroom")."""
DISK_CACHE = "prod-disk-cache"
"""prod with ``nim.sharedCache.enabled: false``: a cache disk per replica on a GPU pool over two
zones. Not valid by itself on g2 (a regional disk would not attach): the cases that use it set
the one thing they are about, and their rule is the one reported."""


def raw_stack(stack: str = "dev") -> dict[str, Any]:
    if stack == ROOMY:
        raw = copy.deepcopy(read_stack_file(ROOT / "Pulumi.prod.yaml"))
        raw["nim-gke:gpuPool"]["maxNodes"] = 4
        return raw
    if stack == DISK_CACHE:
        raw = copy.deepcopy(read_stack_file(ROOT / "Pulumi.prod.yaml"))
        raw["nim-gke:nim"]["sharedCache"]["enabled"] = False
        return raw
    return copy.deepcopy(read_stack_file(ROOT / f"Pulumi.{stack}.yaml"))


def set_path(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set (or with ``DELETE`` remove) ``nim-gke:gpuPool.machineType``,
    ``nim-gke:nim.models[0].tag`` or a top-level key such as ``gcp:project``."""
    top, _, rest = path.partition(".")
    parts: list[str | int] = [top]
    for part in rest.replace("]", "").replace("[", ".").split(".") if rest else []:
        parts.append(int(part) if part.isdigit() else part)
    node: Any = raw
    for part in parts[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    last = parts[-1]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return raw


def problems_of(
    raw: dict[str, Any], stack: str = "dev", ngc_key: tuple[bool, bool] = (True, True)
) -> tuple[list[Problem], str]:
    """The problems parse() reports, and the whole message Pulumi would print."""
    with pytest.raises(ConfigError) as err:
        parse(stack, raw, ngc_key)
    assert isinstance(err.value, pulumi.RunError)  # printed by Pulumi without a traceback
    return err.value.problems, str(err.value)


def shown(value: Any) -> str:
    """A value as the message shows it: strings quoted, anything else as JSON."""
    if value is DELETE:
        return NOT_SET
    return repr(value) if isinstance(value, str) else json.dumps(value)


SAME = None
"""The problem shows the value that was set."""

# (id, stack, path, value set, problem key, value shown (SAME: the value set), rule, fix)
# fmt: off
SHAPE_CASES = [
    # booleans and numbers given as words or quoted
    ("bool-as-word", "dev", "nim-gke:gpuPool.spot", "yes",
     "nim-gke:gpuPool.spot", SAME, "must be true or false", "without quotes"),
    ("bool-quoted", "dev", "nim-gke:cluster.regional", "true",
     "nim-gke:cluster.regional", SAME, "must be true or false", "without quotes"),
    ("bool-null", "dev", "nim-gke:gpuPool.spot", None,
     "nim-gke:gpuPool.spot", "null", "must be true or false", "write true or false"),
    ("number-as-word", "dev", "nim-gke:gpuPool.maxNodes", "two",
     "nim-gke:gpuPool.maxNodes", SAME, "must be a whole number", "such as 2"),
    ("number-quoted", "dev", "nim-gke:gpuPool.maxNodes", "2",
     "nim-gke:gpuPool.maxNodes", SAME, "must be a whole number", "without quotes"),
    ("number-as-bool", "dev", "nim-gke:gpuPool.maxNodes", True,
     "nim-gke:gpuPool.maxNodes", SAME, "must be a whole number", "such as 2"),
    ("number-fraction", "dev", "nim-gke:gpuPool.gpuCount", 1.5,
     "nim-gke:gpuPool.gpuCount", SAME, "must be a whole number", "such as 2"),
    ("float-as-word", "dev", "nim-gke:cost.gpuHoursPerDay", "eight",
     "nim-gke:cost.gpuHoursPerDay", SAME, "must be a number", "such as 8"),
    # ranges
    ("gpu-min-negative", "dev", "nim-gke:gpuPool.minNodes", -1,
     "nim-gke:gpuPool.minNodes", SAME, "greater than or equal to 0", "use 0 or more"),
    ("gpu-max-negative", "dev", "nim-gke:gpuPool.maxNodes", -2,
     "nim-gke:gpuPool.maxNodes", SAME, "greater than or equal to 0", "use 0 or more"),
    ("system-min-negative", "dev", "nim-gke:cluster.systemPool.minNodes", -1,
     "nim-gke:cluster.systemPool.minNodes", SAME, "greater than or equal to 0", "use 0 or more"),
    ("gpu-count-zero", "dev", "nim-gke:gpuPool.gpuCount", 0,
     "nim-gke:gpuPool.gpuCount", SAME, "greater than or equal to 1", "use 1 or more"),
    ("replicas-zero", "dev", "nim-gke:nim.models[0].replicas", 0,
     "nim-gke:nim.models[0].replicas", SAME, "greater than or equal to 1", "use 1 or more"),
    ("hours-per-day-over-24", "dev", "nim-gke:cost.gpuHoursPerDay", 30,
     "nim-gke:cost.gpuHoursPerDay", SAME, "less than or equal to 24", "use 24 or less"),
    ("window-hours-under-4", "prod", "nim-gke:security.maintenanceWindow.hours", 2,
     "nim-gke:security.maintenanceWindow.hours", SAME, "greater than or equal to 4",
     "use 4 or more"),
    ("budget-threshold-over-2", "dev", "nim-gke:budget",
     {"billingAccount": "012345-6789AB-CDEF01", "monthlyUsd": 300, "thresholds": [0.5, 5]},
     "nim-gke:budget.thresholds[1]", "5", "less than or equal to 2", "use 2 or less"),
    # unknown keys: typos, other spellings, keys of another namespace
    ("typo-key", "dev", "nim-gke:cluster.relaseChannel", "RAPID",
     "nim-gke:cluster.relaseChannel", SAME, "not a setting nim-gke knows",
     "did you mean 'releaseChannel'"),
    ("typo-top-key", "dev", "nim-gke:gpupool", {"spot": True},
     "nim-gke:gpupool", SAME, "not a setting nim-gke knows", "did you mean 'gpuPool'"),
    ("snake-case-top-key", "dev", "nim-gke:gpu_pool", {"spot": True},
     "nim-gke:gpu_pool", SAME, "not a setting nim-gke knows", "did you mean 'gpuPool'"),
    ("snake-case-key", "dev", "nim-gke:gpuPool.machine_type", "g2-standard-8",
     "nim-gke:gpuPool.machine_type", SAME, "not a setting", "did you mean 'machineType'"),
    ("typo-in-list-item", "dev", "nim-gke:nim.models[0].cachesize", "50Gi",
     "nim-gke:nim.models[0].cachesize", SAME, "not a setting", "did you mean 'cacheSize'"),
    ("typo-deep", "prod", "nim-gke:security.maintenanceWindow.day", ["SA"],
     "nim-gke:security.maintenanceWindow.day", SAME, "not a setting", "did you mean 'days'"),
    ("project-in-wrong-namespace", "dev", "nim-gke:project", "other-project",
     "nim-gke:project", SAME, "not a setting nim-gke knows", "gcp:project"),
    # allowed values
    ("release-channel", "dev", "nim-gke:cluster.releaseChannel", "FAST",
     "nim-gke:cluster.releaseChannel", SAME, "not an allowed value", "RAPID, REGULAR, STABLE"),
    ("driver-version", "dev", "nim-gke:gpuPool.driverVersion", "INSTALLATION_DISABLED",
     "nim-gke:gpuPool.driverVersion", SAME, "not an allowed value", "DEFAULT, LATEST"),
    ("service-type", "dev", "nim-gke:nim.serviceType", "NodePort",
     "nim-gke:nim.serviceType", SAME, "not an allowed value", "ClusterIP, LoadBalancer"),
    ("precision", "dev", "nim-gke:nim.models[0].precision", "fp32",
     "nim-gke:nim.models[0].precision", SAME, "not an allowed value", "did you mean 'fp8'"),
    ("ngc-key-source", "prod", "nim-gke:security.ngcKeySource", "vault",
     "nim-gke:security.ngcKeySource", SAME, "not an allowed value", "config, secretManager"),
    # wrong types at every level
    ("top-object-as-string", "dev", "nim-gke:gpuPool", "g2-standard-4",
     "nim-gke:gpuPool", SAME, "must be an object", "YAML mapping"),
    ("top-object-as-empty-string", "dev", "nim-gke:cluster", "",
     "nim-gke:cluster", SAME, "must be an object", "YAML mapping"),
    ("top-object-as-list", "dev", "nim-gke:security", [{"privateNodes": True}],
     "nim-gke:security", SAME, "must be an object", "YAML mapping"),
    ("nested-object-as-string", "dev", "nim-gke:cluster.systemPool", "e2-standard-4",
     "nim-gke:cluster.systemPool", SAME, "must be an object", "YAML mapping"),
    ("list-item-as-string", "dev", "nim-gke:nim.models[0]", "meta/llama3-8b-instruct",
     "nim-gke:nim.models[0]", SAME, "must be an object", "YAML mapping"),
    ("list-as-string", "dev", "nim-gke:cluster.zones", "us-central1-a",
     "nim-gke:cluster.zones", SAME, "must be a list", "one '- item' per line"),
    ("list-as-object", "dev", "nim-gke:nim.models", DEV_MODEL,
     "nim-gke:nim.models", SAME, "must be a list", "one '- item' per line"),
    ("text-as-number", "dev", "nim-gke:nim.models[0].tag", 1.1,
     "nim-gke:nim.models[0].tag", SAME, "must be text", "quote values that look like numbers"),
    ("text-as-object", "dev", "nim-gke:nim.namespace", {"name": "nim"},
     "nim-gke:nim.namespace", SAME, "must be text", "write it as text"),
    ("text-as-list", "dev", "nim-gke:region", ["us-central1"],
     "nim-gke:region", SAME, "must be text", "write it as text"),
    ("malformed-json-from-engine", "dev", "nim-gke:nim", "{models: [",
     "nim-gke:nim", SAME, "not valid structured config", "YAML mapping"),
    # required and non-empty
    ("empty-models", "dev", "nim-gke:nim.models", [],
     "nim-gke:nim.models", SAME, "must not be empty", "at least one"),
    ("empty-cluster-zones", "dev", "nim-gke:cluster.zones", [],
     "nim-gke:cluster.zones", SAME, "must not be empty", "at least one"),
    ("missing-project", "dev", "gcp:project", DELETE,
     "gcp:project", SAME, "is required", "set it in the stack file"),
    ("missing-region", "dev", "nim-gke:region", DELETE,
     "nim-gke:region", SAME, "is required", "set it in the stack file"),
    ("missing-chart-version", "dev", "nim-gke:nim.chartVersion", DELETE,
     "nim-gke:nim.chartVersion", SAME, "is required", "set it in the stack file"),
    # the Gateway's and the canary's settings
    ("gateway-timeout-zero", "prod", "nim-gke:gateway.timeoutSec", 0,
     "nim-gke:gateway.timeoutSec", SAME, "greater than or equal to 1", "use 1 or more"),
    ("gateway-draining-over-an-hour", "prod", "nim-gke:gateway.drainingTimeoutSec", 7200,
     "nim-gke:gateway.drainingTimeoutSec", SAME, "less than or equal to 3600",
     "use 3600 or less"),
    ("gateway-enabled-as-word", "prod", "nim-gke:gateway.enabled", "yes",
     "nim-gke:gateway.enabled", SAME, "must be true or false", "without quotes"),
    ("canary-without-weight", "prod", "nim-gke:nim.models[0].canary", {"tag": "1.1.2"},
     "nim-gke:nim.models[0].canary.weight", NOT_SET, "is required", "set it in the stack file"),
    ("canary-weight-quoted", "prod", "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": "10"},
     "nim-gke:nim.models[0].canary.weight", "'10'", "must be a whole number", "without quotes"),
    ("missing-model-tag", "dev", "nim-gke:nim.models[0].tag", DELETE,
     "nim-gke:nim.models[0].tag", SAME, "is required", "set it in the stack file"),
]

MEANING_CASES = [
    # project, cluster
    ("project-name", "dev", "gcp:project", "My Project",
     "gcp:project", SAME, "not a GCP project id", "not its name or number"),
    ("project-number", "dev", "gcp:project", "123456789012",
     "gcp:project", SAME, "not a GCP project id", "not its name or number"),
    ("cluster-name", "dev", "nim-gke:cluster.name", "NIM_dev",
     "nim-gke:cluster.name", SAME, "GKE cluster name is 1-40 lowercase", "e.g. nim-dev"),
    ("cluster-name-too-long", "dev", "nim-gke:cluster.name", "n" * 41,
     "nim-gke:cluster.name", SAME, "GKE cluster name is 1-40 lowercase", "e.g. nim-dev"),
    # region and zones
    ("unknown-region", "dev", "nim-gke:region", "us-central2",
     "nim-gke:region", SAME, "not a region this stack supports", "did you mean 'us-central1'"),
    ("zone-outside-region", "dev", "nim-gke:cluster.zones", ["us-east1-b"],
     "nim-gke:cluster.zones[0]", "'us-east1-b'", "not a zone of region us-central1",
     "us-central1-a"),
    ("zone-that-does-not-exist", "dev", "nim-gke:cluster.zones", ["us-central1-z"],
     "nim-gke:cluster.zones[0]", "'us-central1-z'", "not a zone of region us-central1",
     "did you mean"),
    ("zone-twice", "dev", "nim-gke:cluster.zones", ["us-central1-a", "us-central1-a"],
     "nim-gke:cluster.zones", SAME, "lists a zone twice", "list each zone once"),
    ("cluster-zone-without-l4", "dev", "nim-gke:cluster.zones", ["us-central1-f"],
     "nim-gke:cluster.zones[0]", "'us-central1-f'",
     "does not offer nvidia-l4 GPUs (the GPU pool uses the cluster's zones)",
     "us-central1-a, us-central1-b, us-central1-c, or set gpuPool.zones"),
    ("gpu-zone-without-l4", "dev", "nim-gke:gpuPool.zones", ["us-central1-f"],
     "nim-gke:gpuPool.zones[0]", "'us-central1-f'", "does not offer nvidia-l4 GPUs",
     "use zones that do: us-central1-a, us-central1-b, us-central1-c"),
    ("gpu-zone-outside-region", "prod", "nim-gke:gpuPool.zones", ["europe-west4-a"],
     "nim-gke:gpuPool.zones[0]", "'europe-west4-a'", "not a zone of region us-central1",
     "use one of: us-central1-a"),
    # machine and GPU
    ("unknown-machine", "dev", "nim-gke:gpuPool.machineType", "g2-standard-5",
     "nim-gke:gpuPool.machineType", SAME, "not a GPU machine type in the catalog",
     "g2-standard-4, g2-standard-8"),
    ("machine-without-gpu", "dev", "nim-gke:gpuPool.machineType", "e2-standard-8",
     "nim-gke:gpuPool.machineType", SAME, "carries no GPU", "g2, a2, a3 or n1"),
    ("unknown-gpu", "dev", "nim-gke:gpuPool.gpuType", "nvidia-l40",
     "nim-gke:gpuPool.gpuType", SAME, "not a GPU type GKE offers", "did you mean 'nvidia-l4'"),
    ("gpu-not-the-machines", "dev", "nim-gke:gpuPool.gpuType", "nvidia-tesla-t4",
     "nim-gke:gpuPool.gpuType", SAME, "g2-standard-4 comes with nvidia-l4, not nvidia-tesla-t4",
     "set gpuType: nvidia-l4"),
    ("a2-with-l4", "dev", "nim-gke:gpuPool.machineType", "a2-highgpu-1g",
     "nim-gke:gpuPool.gpuType", "'nvidia-l4'",
     "a2-highgpu-1g comes with nvidia-tesla-a100, not nvidia-l4",
     "set gpuType: nvidia-tesla-a100"),
    ("gpu-count-not-the-machines", "dev", "nim-gke:gpuPool.gpuCount", 2,
     "nim-gke:gpuPool.gpuCount", SAME, "g2-standard-4 comes with exactly 1 nvidia-l4",
     "set gpuCount: 1, or for 2 GPUs use g2-standard-24"),
    ("n1-with-l4", "dev", "nim-gke:gpuPool",
     {"machineType": "n1-standard-8", "gpuType": "nvidia-l4", "gpuCount": 2},
     "nim-gke:gpuPool.gpuType", "'nvidia-l4'", "cannot be attached to n1-standard-8",
     "nvidia-tesla-t4"),
    ("n1-gpu-count", "dev", "nim-gke:gpuPool",
     {"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "gpuCount": 3},
     "nim-gke:gpuPool.gpuCount", "3", "N1 machines take 1, 2, 4 or 8 GPUs", "use 1, 2, 4 or 8"),
    ("system-pool-gpu-machine", "dev", "nim-gke:cluster.systemPool.machineType", "g2-standard-4",
     "nim-gke:cluster.systemPool.machineType", SAME, "general-purpose machine type",
     "e2-standard-4"),
    ("system-pool-unknown-machine", "dev", "nim-gke:cluster.systemPool.machineType",
     "e2-standard-5", "nim-gke:cluster.systemPool.machineType", SAME,
     "general-purpose machine type", "e2-medium, e2-standard-2, e2-standard-4, e2-standard-8"),
    ("boot-disk-too-small", "dev", "nim-gke:gpuPool.diskSizeGb", 50,
     "nim-gke:gpuPool.diskSizeGb", SAME, "too small for the NIM image layers (min 100)",
     "diskSizeGb: 100 or more"),
    # node bounds
    ("gpu-min-above-max", "dev", "nim-gke:gpuPool.minNodes", 3,
     "nim-gke:gpuPool.minNodes", SAME, "is above maxNodes (2)", "minNodes <= maxNodes"),
    ("gpu-max-zero", "dev", "nim-gke:gpuPool.maxNodes", 0,
     "nim-gke:gpuPool.maxNodes", SAME, "must be at least 1", "maxNodes: 1 or more"),
    ("prod-without-warm-node", "prod", "nim-gke:gpuPool.minNodes", 0,
     "nim-gke:gpuPool.minNodes", SAME, "requireWarmNode is true", "set minNodes: 1"),
    ("dev-asks-for-warm-node", "dev", "nim-gke:gpuPool.requireWarmNode", True,
     "nim-gke:gpuPool.minNodes", "0", "requireWarmNode is true", "requireWarmNode: false"),
    ("system-min-above-max", "dev", "nim-gke:cluster.systemPool.minNodes", 4,
     "nim-gke:cluster.systemPool.minNodes", SAME, "is above maxNodes (3)", "minNodes <= maxNodes"),
    ("replicas-over-max-nodes", "dev", "nim-gke:nim.models[0].replicas", 3,
     "nim-gke:gpuPool.maxNodes", "2", "the models ask for 3 replicas, one GPU node each",
     "set maxNodes: 3 or more"),
    ("hpa-over-max-nodes", "dev", "nim-gke:monitoring.hpa", {"enabled": True, "maxReplicas": 3},
     "nim-gke:monitoring.hpa.maxReplicas", "3", "could scale to 3 replicas",
     "gpuPool.maxNodes: 3 or more, or lower hpa.maxReplicas"),
    # chart, images, names
    ("chart-latest", "dev", "nim-gke:nim.chartVersion", "latest",
     "nim-gke:nim.chartVersion", SAME, "must pin a released chart version", '"1.3.0"'),
    ("chart-empty", "dev", "nim-gke:nim.chartVersion", "",
     "nim-gke:nim.chartVersion", SAME, "must pin a released chart version", '"1.3.0"'),
    ("chart-not-semver", "dev", "nim-gke:nim.chartVersion", "1.3",
     "nim-gke:nim.chartVersion", SAME, "semver", '"1.3.0"'),
    ("chart-with-space", "dev", "nim-gke:nim.chartVersion", " 1.3.0",
     "nim-gke:nim.chartVersion", SAME, "semver", '"1.3.0"'),
    ("tag-latest", "dev", "nim-gke:nim.models[0].tag", "latest",
     "nim-gke:nim.models[0].tag", SAME, "must pin an image version", "such as '1.0.3'"),
    ("tag-empty", "dev", "nim-gke:nim.models[0].tag", "",
     "nim-gke:nim.models[0].tag", SAME, "must pin an image version", "such as '1.0.3'"),
    ("tag-blank", "dev", "nim-gke:nim.models[0].tag", "  ",
     "nim-gke:nim.models[0].tag", SAME, "must pin an image version", "such as '1.0.3'"),
    ("tag-not-a-tag", "dev", "nim-gke:nim.models[0].tag", "1.0 3",
     "nim-gke:nim.models[0].tag", SAME, "is not an image tag", "such as '1.0.3'"),
    ("namespace-not-dns", "dev", "nim-gke:nim.namespace", "NIM_Models",
     "nim-gke:nim.namespace", SAME, "must be a DNS label", "e.g. nim"),
    ("namespace-too-long", "dev", "nim-gke:nim.namespace", "n" * 64,
     "nim-gke:nim.namespace", SAME, "at most 63", "e.g. nim"),
    ("namespace-trailing-newline", "dev", "nim-gke:nim.namespace", "nim\n",
     "nim-gke:nim.namespace", SAME, "must be a DNS label", "e.g. nim"),
    ("release-not-dns", "dev", "nim-gke:nim.models[0].release", "Llama3.8B",
     "nim-gke:nim.models[0].release", SAME, "must be a DNS-1035 label",
     "'llama3-8b'"),
    # the model's Service is named after its release, and Services are DNS-1035 labels
    ("release-starts-with-digit", "dev", "nim-gke:nim.models[0].release", "3b-model",
     "nim-gke:nim.models[0].release", SAME, "starting with a letter", "'llama3-8b'"),
    # a StatefulSet name over 52 characters gets no pod (kubernetes/kubernetes#64023):
    # 54 + '-1-0-3' + '-nim-llm' = 68
    ("release-too-long", "dev", "nim-gke:nim.models[0].release", "r" * 54,
     "nim-gke:nim.models[0].release", SAME,
     "makes the main version's StatefulSet 'rrrr", "set release to at most 38 characters"),
    ("release-too-long-for-its-statefulset", "dev", "nim-gke:nim.models[0].release", "r" * 39,
     "nim-gke:nim.models[0].release", SAME,
     "StatefulSet '" + "r" * 39 + "-1-0-3-nim-llm' 53 characters long; Kubernetes creates no "
     "pod for one over 52 (the pods' controller-revision-hash label is the name plus an "
     "11-character hash, at most 63)", "at most 38 characters"),
    ("release-twice", "dev", "nim-gke:nim.models",
     [DEV_MODEL, {**DEV_MODEL, "name": "meta/llama-3.1-8b-instruct", "tag": "1.3.3"}],
     "nim-gke:nim.models[1].release", "'llama3-8b'",
     "nim.models[0] already uses this Helm release name", "distinct release"),
    ("storage-class", "dev", "nim-gke:nim.storageClass", "premium",
     "nim-gke:nim.storageClass", SAME, "not a GKE storage class",
     "did you mean 'premium-rwo'"),
    # a zonal cache disk pins the pod to one zone; a regional one spans exactly two
    # (cloud.google.com/compute/docs/disks/about-regional-persistent-disk)
    ("cache-zonal-two-zones", DISK_CACHE, "nim-gke:nim.cacheReplication", "zonal",
     "nim-gke:nim.cacheReplication", SAME,
     "a zonal disk pins the NIM pod to the zone it was first attached in",
     "set nim.sharedCache.enabled: true (one Cloud Storage bucket every replica mounts, in every "
     "zone), or give the GPU pool one zone"),
    ("cache-regional-one-zone", "dev", "nim-gke:nim.cacheReplication", "regional",
     "nim-gke:nim.cacheReplication", SAME,
     "a regional disk replicates across two zones, but the GPU pool has only us-central1-a",
     "give the GPU pool two zones"),
    ("cache-replication-typo", "dev", "nim-gke:nim.cacheReplication", "region",
     "nim-gke:nim.cacheReplication", SAME, "not an allowed value", "did you mean 'regional'"),
    ("gpu-pool-three-zones", DISK_CACHE, "nim-gke:gpuPool.zones",
     ["us-central1-a", "us-central1-b", "us-central1-c"],
     "nim-gke:gpuPool.zones", SAME,
     "the GPU pool would span 3 zones, but a model cache disk can attach in at most 2",
     "set nim.sharedCache.enabled: true"),
    # A regional persistent disk attaches only to E2, N1, N2 and N2D VMs ("You can attach regional
    # Persistent Disk only to VMs that use E2, N1, N2, and N2D machine types":
    # https://cloud.google.com/compute/docs/disks/about-regional-persistent-disk, Limitations),
    # and G2 takes no pd-standard ("Supported disk types for G2": pd-balanced, pd-ssd, Hyperdisk
    # ML, Hyperdisk Throughput, Local SSD:
    # https://cloud.google.com/compute/docs/accelerator-optimized-machines).
    ("cache-regional-on-g2", DISK_CACHE, "nim-gke:nim.cacheReplication", "regional",
     "nim-gke:nim.cacheReplication", SAME,
     "the model cache would be a regional persistent disk, which attaches only to E2, N1, N2 and "
     "N2D VMs, not to g2-standard-4 (nim-gke:gpuPool.machineType; "
     "cloud.google.com/compute/docs/disks/about-regional-persistent-disk)",
     "set nim.sharedCache.enabled: true (one Cloud Storage bucket every replica mounts, in every "
     "zone), or give the GPU pool one zone (gpuPool.zones: [us-central1-a]) for a zonal disk"),
    ("cache-auto-regional-on-g2", "prod", "nim-gke:nim.sharedCache.enabled", False,
     "nim-gke:nim.cacheReplication", "'auto'",
     "the model cache would be a regional persistent disk (auto, because the GPU pool spans 2 "
     "zones), which attaches only to E2, N1, N2 and N2D VMs, not to g2-standard-4",
     "set nim.sharedCache.enabled: true"),
    ("cache-pd-standard-on-g2", "dev", "nim-gke:nim.storageClass", "standard",
     "nim-gke:nim.storageClass", SAME,
     "the model cache would be a pd-standard disk, which g2-standard-4 "
     "(nim-gke:gpuPool.machineType) cannot attach (its family takes pd-balanced, pd-ssd; "
     "cloud.google.com/compute/docs/accelerator-optimized-machines)",
     "use standard-rwo or premium-rwo, or set nim.sharedCache.enabled: true"),
    ("boot-disk-pd-standard-on-g2", "dev", "nim-gke:gpuPool.diskType", "pd-standard",
     "nim-gke:gpuPool.diskType", SAME,
     "g2-standard-4 cannot attach a pd-standard disk (its family takes pd-balanced, pd-ssd; "
     "cloud.google.com/compute/docs/accelerator-optimized-machines)",
     "set diskType: pd-balanced"),
    # model cache and requests
    ("cache-malformed", "dev", "nim-gke:nim.models[0].cacheSize", "50GB",
     "nim-gke:nim.models[0].cacheSize", SAME, "not a Kubernetes size", "50Gi or 1Ti"),
    ("cache-too-small", "dev", "nim-gke:nim.models[0].cacheSize", "10Gi",
     "nim-gke:nim.models[0].cacheSize", SAME,
     "smaller than model plus engine (about 27Gi for meta/llama3-8b-instruct at bf16",
     "set cacheSize: 30Gi"),
    ("cpu-malformed", "dev", "nim-gke:nim.models[0].cpu", "three",
     "nim-gke:nim.models[0].cpu", SAME, "not a CPU quantity", "3 or 3500m"),
    ("cpu-zero", "dev", "nim-gke:nim.models[0].cpu", "0",
     "nim-gke:nim.models[0].cpu", SAME, "must be more than 0", "3 or 3500m"),
    ("cpu-over-allocatable", "dev", "nim-gke:nim.models[0].cpu", "4",
     "nim-gke:nim.models[0].cpu", SAME,
     "does not fit a g2-standard-4 node: about 3420m CPU is left", "request at most 3420m"),
    ("memory-malformed", "dev", "nim-gke:nim.models[0].memory", "12 GB",
     "nim-gke:nim.models[0].memory", SAME, "not a memory quantity", "like 12Gi"),
    ("memory-zero", "dev", "nim-gke:nim.models[0].memory", "0Gi",
     "nim-gke:nim.models[0].memory", SAME, "must be more than 0", "like 12Gi"),
    ("memory-over-allocatable", "dev", "nim-gke:nim.models[0].memory", "16Gi",
     "nim-gke:nim.models[0].memory", SAME,
     "does not fit a g2-standard-4 node: about 12.3Gi is left", "request at most 12Gi"),
    ("model-too-big", "dev", "nim-gke:nim.models[0]",
     {"name": "meta/llama3-70b-instruct", "tag": "1.0.3", "cacheSize": "250Gi"},
     "nim-gke:nim.models[0].name", "'meta/llama3-70b-instruct'",
     "needs about 169.4 GB of GPU memory", "use a machine with more GPU memory"),
    ("unknown-model-with-params-only", "dev", "nim-gke:nim.models[0]",
     {"name": "acme/mystery-7b", "image": "nvcr.io/nim/acme/mystery-7b", "tag": "1.0.0",
      "paramsBillion": 7},
     "nim-gke:nim.models[0].gpuMemoryGb", NOT_SET, "paramsBillion alone is not enough",
     "set gpuMemoryGb"),
    # exposure and security
    ("public-load-balancer", "dev", "nim-gke:nim.serviceType", "LoadBalancer",
     "nim-gke:nim.serviceType", SAME, "unauthenticated GPU endpoint on the internet",
     "allowPublicLoadBalancer: true"),
    ("secret-manager-without-secret", "prod", "nim-gke:security.ngcSecret", DELETE,
     "nim-gke:security.ngcSecret", SAME, "ngcKeySource is secretManager but no secret is named",
     "e.g. ngc-api-key"),
    ("cidr-malformed", "prod", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "10.0.0.300/8", "name": "ops"}],
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "'10.0.0.300/8'",
     "not a CIDR block", "10.0.0.0/8"),
    ("cidr-host-bits", "prod", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "10.1.2.3/8"}],
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "'10.1.2.3/8'",
     "not a CIDR block", "host bits zero"),
    # a documentation range (RFC 5737/3849) matches no deployer or CI runner
    ("cidr-documentation-range", "prod", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "203.0.113.0/24", "name": "ops"}],
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "'203.0.113.0/24'",
     "is 203.0.113.0/24, an address range reserved for documentation (RFC 5737): no "
     "deployer or CI runner has such an address",
     "reach the control plane through the DNS endpoint (security.dnsEndpoint: true)"),
    ("cidr-inside-documentation-range", "dev", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "10.0.0.0/8"}, {"cidr": "198.51.100.128/25"}],
     "nim-gke:security.masterAuthorizedNetworks[1].cidr", "'198.51.100.128/25'",
     "is inside 198.51.100.0/24, an address range reserved for documentation",
     "your own egress"),
    ("cidr-around-documentation-range", "dev", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "192.0.0.0/16"}],
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "'192.0.0.0/16'",
     "contains 192.0.2.0/24", "your own egress"),
    ("cidr-ipv6-documentation", "dev", "nim-gke:security.masterAuthorizedNetworks",
     [{"cidr": "2001:db8::/48"}],
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "'2001:db8::/48'",
     "is inside 2001:db8::/32, an address range reserved for documentation (RFC 3849)",
     "your own"),
    ("private-endpoint-public-nodes", "dev", "nim-gke:security.privateEndpoint", True,
     "nim-gke:security.privateEndpoint", SAME, "needs private nodes", "privateNodes: true"),
    ("kms-key", "prod", "nim-gke:security.kmsKey", "my-key",
     "nim-gke:security.kmsKey", SAME, "not a Cloud KMS key name",
     "projects/P/locations/L/keyRings/R/cryptoKeys/K"),
    ("kms-key-ring-only", "prod", "nim-gke:security.kmsKey",
     "projects/p/locations/us-central1/keyRings/nim", "nim-gke:security.kmsKey", SAME,
     "not a Cloud KMS key name", "or remove it"),
    ("client-namespace", "prod", "nim-gke:security.allowedClientNamespaces", ["Apps"],
     "nim-gke:security.allowedClientNamespaces[0]", "'Apps'", "not a namespace name", "'apps'"),
    ("window-start-words", "prod", "nim-gke:security.maintenanceWindow.start", "3am",
     "nim-gke:security.maintenanceWindow.start", SAME, "not a UTC time", '"03:00"'),
    ("window-start-24h", "prod", "nim-gke:security.maintenanceWindow.start", "24:00",
     "nim-gke:security.maintenanceWindow.start", SAME, "not a UTC time", '"03:00"'),
    ("window-day", "prod", "nim-gke:security.maintenanceWindow.days", ["SAT"],
     "nim-gke:security.maintenanceWindow.days", SAME, "has days GKE does not know: SAT",
     "use the two-letter codes MO, TU, WE, TH, FR, SA, SU"),
    ("window-too-short", "prod", "nim-gke:security.maintenanceWindow.hours", 4,
     "nim-gke:security.maintenanceWindow", '{"days": ["SA", "SU"], "hours": 4}',
     "at least 48 hours of maintenance availability in 32 days", "add days or hours"),
    # rollouts: canaries, pools, versions, the Gateway
    ("canary-weight-over-100", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 150},
     "nim-gke:nim.models[0].canary.weight", "150",
     "is the percent of the model's requests the canary gets, 0 to 100", "weight: 10"),
    ("canary-weight-negative", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": -5},
     "nim-gke:nim.models[0].canary.weight", "-5", "0 to 100", "0 to drain it"),
    ("canary-split-without-gateway", "dev", "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 10},
     "nim-gke:nim.models[0].canary.weight", "10",
     "without the Gateway nothing can split the traffic",
     "set gateway.enabled: true (the HTTPRoute splits by weight), or weight 0"),
    ("canary-same-version", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1.0.3", "weight": 10},
     "nim-gke:nim.models[0].canary.tag", "'1.0.3'",
     "is the model's own version (tag '1.0.3' on pool gpu)", "pool: green"),
    ("canary-same-version-other-spelling", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1-0-3", "weight": 10},
     "nim-gke:nim.models[0].canary.tag", "'1-0-3'", "is the model's own version",
     "give the canary the new tag"),
    ("canary-tag-latest", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "latest", "weight": 10},
     "nim-gke:nim.models[0].canary.tag", "'latest'", "must pin an image version", "'1.0.3'"),
    ("canary-on-undeclared-green-pool", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 10, "pool": "green"},
     "nim-gke:nim.models[0].canary.pool", "'green'",
     "names greenPool, which the stack file does not declare", "add a nim-gke:greenPool block"),
    ("model-on-undeclared-green-pool", "prod", "nim-gke:nim.models[0].pool", "green",
     "nim-gke:nim.models[0].pool", SAME, "names greenPool", "or use pool: gpu"),
    ("canary-pool-typo", ROOMY, "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 10, "pool": "gren"},
     "nim-gke:nim.models[0].canary.pool", "'gren'", "not an allowed value",
     "did you mean 'green'"),
    # dev's HPA scales each version to at most 1 (maxReplicas), below the canary's 2 replicas.
    ("canary-without-gpu-headroom", "dev", "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 0, "replicas": 2},
     "nim-gke:gpuPool.maxNodes", "2",
     "the versions on pool gpu run 3 replicas (up to hpa.maxReplicas each), one GPU node each "
     "(llama3-8b-1-0-3: 1, llama3-8b-1-1-2: 2)",
     "set maxNodes: 3 or more, or run the canary on another pool, or lower "
     "monitoring.hpa.maxReplicas"),
    # prod runs the HPA (maxReplicas 2): each version may scale to 2 GPU nodes.
    ("canary-without-gpu-headroom-hpa", "prod", "nim-gke:nim.models[0].canary",
     {"tag": "1.1.2", "weight": 10},
     "nim-gke:gpuPool.maxNodes", "2",
     "the versions on pool gpu run 4 replicas (up to hpa.maxReplicas each), one GPU node each "
     "(llama3-8b-1-0-3: 2, llama3-8b-1-1-2: 2)",
     "set maxNodes: 4 or more, or run the canary on another pool, or lower "
     "monitoring.hpa.maxReplicas"),
    ("canary-release-too-long", ROOMY, "nim-gke:nim.models[0]",
     {**DEV_MODEL, "release": "r" * 36, "canary": {"tag": "1.1.2-rc1", "weight": 10}},
     "nim-gke:nim.models[0].release", "'" + "r" * 36 + "'",
     "makes the canary version's StatefulSet '" + "r" * 36 + "-1-1-2-rc1-nim-llm' 54 "
     "characters long", "at most 34 characters"),
    ("versions-share-a-release", "dev", "nim-gke:nim.models",
     [DEV_MODEL, {"name": "meta/llama-3.1-8b-instruct", "tag": "0.3", "release": "llama3-8b-1"}],
     "nim-gke:nim.models[1].release", "'llama3-8b-1-0-3'",
     "is also the release of nim.models[0]'s main version", "distinct release names"),
    ("model-service-clashes-with-a-chart-service", "dev", "nim-gke:nim.models",
     [DEV_MODEL,
      {"name": "meta/llama-3.1-8b-instruct", "tag": "1.3.3", "release": "llama3-8b-1-0-3-nim-llm"}],
     "nim-gke:nim.models[1].release", "'llama3-8b-1-0-3-nim-llm'",
     "is also the name of a chart Service of another version", "pick a release name"),
    ("green-pool-other-zones", "prod", "nim-gke:greenPool",
     {"machineType": "g2-standard-8", "zones": ["us-central1-a"]},
     "nim-gke:greenPool.zones", '["us-central1-a"]',
     "differs from the zones of gpuPool (us-central1-a, us-central1-c)",
     "give greenPool the zones of gpuPool"),
    ("green-pool-unknown-machine", "prod", "nim-gke:greenPool", {"machineType": "g2-standard-5"},
     "nim-gke:greenPool.machineType", "'g2-standard-5'", "not a GPU machine type in the catalog",
     "g2-standard-4, g2-standard-8"),
    ("green-pool-min-above-max", "prod", "nim-gke:greenPool", {"minNodes": 3, "maxNodes": 1},
     "nim-gke:greenPool.minNodes", "3", "is above maxNodes (1)", "minNodes <= maxNodes"),
    # nim-llm 1.3.0 hard-codes terminationGracePeriodSeconds: 60 (templates/deployment.yaml):
    # draining past it only holds connections to a killed pod.
    ("gateway-draining-past-the-grace-period", "prod", "nim-gke:gateway.drainingTimeoutSec", 120,
     "nim-gke:gateway.drainingTimeoutSec", SAME,
     "is longer than the NIM pod's termination grace period (60 s, fixed in the nim-llm chart's "
     "templates)", "set drainingTimeoutSec: 60 or less"),
    ("gateway-proxy-cidr-malformed", "prod", "nim-gke:gateway.proxySubnetCidr", "10.129.0.0/33",
     "nim-gke:gateway.proxySubnetCidr", SAME, "is not a CIDR block", "10.129.0.0/23"),
    ("gateway-proxy-cidr-host-bits", "prod", "nim-gke:gateway.proxySubnetCidr", "10.129.0.1/23",
     "nim-gke:gateway.proxySubnetCidr", SAME, "is not a CIDR block", "host bits zero"),
    ("gateway-proxy-cidr-too-small", "prod", "nim-gke:gateway.proxySubnetCidr", "10.129.0.0/27",
     "nim-gke:gateway.proxySubnetCidr", SAME, "at least 64 addresses (/26 or larger)",
     "use a /23"),
    ("gateway-proxy-cidr-ipv6", "prod", "nim-gke:gateway.proxySubnetCidr", "fd00::/64",
     "nim-gke:gateway.proxySubnetCidr", SAME, "an IPv4 range", "10.129.0.0/23"),
    ("gateway-proxy-cidr-overlaps-pods", "prod", "nim-gke:gateway.proxySubnetCidr",
     "10.16.0.0/23", "nim-gke:gateway.proxySubnetCidr", SAME,
     "overlaps the pods range (10.16.0.0/14) of the stack's VPC", "e.g. 10.129.0.0/23"),
    ("gateway-proxy-cidr-overlaps-nodes", "prod", "nim-gke:gateway.proxySubnetCidr",
     "10.10.0.0/16", "nim-gke:gateway.proxySubnetCidr", SAME,
     "overlaps the cluster subnet (10.10.0.0/20)", "pick a range outside"),
    ("billing-account", "dev", "nim-gke:budget",
     {"billingAccount": "my-account", "monthlyUsd": 300}, "nim-gke:budget.billingAccount",
     "'my-account'", "not a billing account id", "012345-6789AB-CDEF01"),
    # monitoring: dashboard, alerts, HPA (nimgke/config/check_monitoring.py)
    ("monitoring-without-managed-prometheus", "prod", "nim-gke:monitoring.managedPrometheus",
     False, "nim-gke:monitoring.managedPrometheus", SAME,
     "monitoring.dashboard, monitoring.alerts, monitoring.hpa read(s) Managed Prometheus",
     "set managedPrometheus: true"),
    ("hpa-without-pod-monitoring", "dev", "nim-gke:monitoring",
     {"podMonitoring": False, "hpa": {"enabled": True}, "alerts": {"enabled": False}},
     "nim-gke:monitoring.hpa.enabled", "true", "only the PodMonitoring (podMonitoring) sends",
     "set podMonitoring: true, or hpa.enabled: false"),
    ("alert-email", "prod", "nim-gke:monitoring.alerts.notificationEmails", ["oncall"],
     "nim-gke:monitoring.alerts.notificationEmails[0]", "'oncall'", "is not an e-mail address",
     "oncall@example.com"),
    ("kv-cache-threshold-as-percent", "prod", "nim-gke:monitoring.alerts.kvCacheUsage.threshold",
     90, "nim-gke:monitoring.alerts.kvCacheUsage.threshold", SAME, "is a fraction (0-1)",
     "0.9 for 90%"),
    ("error-rate-threshold-as-percent", "prod", "nim-gke:monitoring.alerts.errorRate.threshold",
     5, "nim-gke:monitoring.alerts.errorRate.threshold", SAME, "is a fraction (0-1)",
     "0.9 for 90%"),
    ("gpu-alert-without-dcgm", "dev", "nim-gke:monitoring",
     {"dcgm": False, "alerts": {"gpuPoolAtMax": {"enabled": False, "threshold": 1,
                                                 "forMinutes": 15}}},
     "nim-gke:monitoring.alerts.gpuTemperatureCelsius.enabled", "true",
     "reads DCGM GPU metrics", "set monitoring.dcgm: true, or alerts.gpuTemperatureCelsius"),
    *(
        (f"{case}-without-scrape", "dev", "nim-gke:monitoring",
         {"podMonitoring": False, "alerts": {
             k: {"enabled": k == alert, "threshold": 1, "forMinutes": 40}
             for k in ("requestsWaiting", "kvCacheUsage", "ttftP95Seconds", "errorRate",
                       "gpuPoolAtMax")}},
         f"nim-gke:monitoring.alerts.{alert}.enabled", "true", "reads NIM's /v1/metrics",
         f"set monitoring.podMonitoring: true, or alerts.{alert}.enabled: false")
        # gpuPoolAtMax counts the pool's nodes (DCGM) and NIM's waiting requests (PodMonitoring).
        for case, alert in (("nim-alert", "ttftP95Seconds"), ("at-ceiling-alert", "gpuPoolAtMax"))
    ),
    ("not-ready-fraction-of-a-pod", "prod", "nim-gke:monitoring.alerts.nimNotReady.threshold",
     1.5, "nim-gke:monitoring.alerts.nimNotReady.threshold", SAME, "counts pods",
     "write e.g. 1"),
    ("alert-for-minutes-zero", "prod", "nim-gke:monitoring.alerts.errorRate.forMinutes", 0,
     "nim-gke:monitoring.alerts.errorRate.forMinutes", SAME, "must be greater than or equal to 1",
     "use 1 or more"),
    ("alert-threshold-zero", "prod", "nim-gke:monitoring.alerts.requestsWaiting.threshold", 0,
     "nim-gke:monitoring.alerts.requestsWaiting.threshold", SAME, "must be greater than 0",
     "use a number above 0"),
    # images close to the nodes (nimgke/config/check_images.py)
    ("registry-repository-id", "dev", "nim-gke:registry.repositoryId", "NVCR_Remote",
     "nim-gke:registry.repositoryId", SAME, "is not an Artifact Registry repository id",
     "repositoryId: nvcr-remote"),
    ("registry-repository-id-too-long", "prod", "nim-gke:registry.repositoryId", "n" * 64,
     "nim-gke:registry.repositoryId", SAME, "at most 63", "repositoryId: nvcr-remote"),
    ("streaming-without-mirror", "dev", "nim-gke:registry.mirror", False,
     "nim-gke:gpuPool.imageStreaming", "true", "only serves images from Artifact Registry",
     "set registry.mirror: true (the default), or imageStreaming: false"),
    ("boot-disk-not-an-image-path", "dev", "nim-gke:gpuPool.imageCacheDisk",
     {"diskImage": "nim-llama3-8b"}, "nim-gke:gpuPool.imageCacheDisk.diskImage",
     "'nim-llama3-8b'", "is not a Compute Engine image path", "write global/images/NAME"),
    ("boot-disk-image-url", "dev", "nim-gke:gpuPool.imageCacheDisk",
     {"diskImage": "https://www.googleapis.com/compute/v1/projects/p-12345/global/images/x"},
     "nim-gke:gpuPool.imageCacheDisk.diskImage",
     "'https://www.googleapis.com/compute/v1/projects/p-12345/global/images/x'",
     "is not a Compute Engine image path", "projects/PROJECT/global/images/NAME"),
    ("boot-disk-other-project", "prod", "nim-gke:gpuPool.imageCacheDisk",
     {"diskImage": "projects/shared-images-1/global/images/nim"},
     "nim-gke:gpuPool.imageCacheDisk.diskImage", "'projects/shared-images-1/global/images/nim'",
     "is an image of project shared-images-1, not of the stack's project my-nim-prod-project",
     "set otherProjectAccess: true"),
    ("boot-disk-without-image", "dev", "nim-gke:gpuPool.imageCacheDisk", {},
     "nim-gke:gpuPool.imageCacheDisk.diskImage", NOT_SET, "is required",
     "docs/configuration.md, 'Settings'"),
    # the fallbacks of a pool's ComputeClass (nimgke/config/check_capacity.py)
    ("fallback-typo", "dev", "nim-gke:gpuPool.fallbacks[0].spto", False,
     "nim-gke:gpuPool.fallbacks[0].spto", SAME, "not a setting nim-gke knows",
     "did you mean 'spot'"),
    ("fallback-share-over-1", "dev", "nim-gke:cost.fallbackShare", 1.5,
     "nim-gke:cost.fallbackShare", SAME, "less than or equal to 1", "use 1 or less"),
    ("fallback-unknown-machine", "dev", "nim-gke:gpuPool.fallbacks[0].machineType",
     "g2-standrd-8", "nim-gke:gpuPool.fallbacks[0].machineType", SAME,
     "is not a GPU machine type in the catalog", "did you mean 'g2-standard-8'"),
    ("fallback-other-gpu", "dev", "nim-gke:gpuPool.fallbacks[0].machineType", "a2-highgpu-1g",
     "nim-gke:gpuPool.fallbacks[0].machineType", SAME,
     "carries 1 x nvidia-tesla-a100, but the pool's pods request 1 x nvidia-l4 and run the NIM "
     "profile pinned for them", "use one of g2-standard-4, g2-standard-8, g2-standard-12, "
     "g2-standard-16, g2-standard-32"),
    ("fallback-other-gpu-count", "prod", "nim-gke:gpuPool.fallbacks[0].machineType",
     "g2-standard-24", "nim-gke:gpuPool.fallbacks[0].machineType", SAME,
     "carries 2 x nvidia-l4, but the pool's pods request 1 x nvidia-l4",
     "or another pool for other GPUs"),
    ("fallback-zone-without-l4", "dev", "nim-gke:gpuPool.fallbacks[0].zones", ["us-central1-f"],
     "nim-gke:gpuPool.fallbacks[0].zones[0]", "'us-central1-f'", "does not offer nvidia-l4 GPUs",
     "use zones that do: us-central1-a, us-central1-b, us-central1-c"),
    ("fallback-zone-other-region", "prod", "nim-gke:gpuPool.fallbacks[0].zones",
     ["europe-west4-a"], "nim-gke:gpuPool.fallbacks[0].zones[0]", "'europe-west4-a'",
     "not a zone of region us-central1", "use one of"),
    ("fallback-zone-outside-the-cache", "dev", "nim-gke:gpuPool.fallbacks[0].zones",
     ["us-central1-b"], "nim-gke:gpuPool.fallbacks[0].zones", SAME,
     "us-central1-b is outside the zones of the model cache disks (us-central1-a)",
     "set nim.sharedCache.enabled: true"),
    ("fallback-zones-empty", "prod", "nim-gke:gpuPool.fallbacks[0].zones", [],
     "nim-gke:gpuPool.fallbacks[0].zones", SAME, "a priority without zones can never add a node",
     "list at least one zone"),
    ("fallback-spot-reservation", "dev", "nim-gke:gpuPool.fallbacks[0]",
     {"spot": True, "reservation": "l4-reserved"}, "nim-gke:gpuPool.fallbacks[0].reservation",
     "'l4-reserved'", "Spot VMs do not consume reservations", "set spot: false"),
    ("fallback-reservation-name", "prod", "nim-gke:gpuPool.fallbacks[0].reservation",
     "L4 Reserved", "nim-gke:gpuPool.fallbacks[0].reservation", SAME,
     "is not a reservation name", "gcloud compute reservations list"),
    ("fallback-max-zero", "prod", "nim-gke:gpuPool.fallbacks[0].maxNodes", 0,
     "nim-gke:gpuPool.fallbacks[0].maxNodes", SAME, "can never add a node",
     "set maxNodes: 1 or more"),
    ("fallback-max-above-the-pool", "prod", "nim-gke:gpuPool.fallbacks[0].maxNodes", 3,
     "nim-gke:gpuPool.fallbacks[0].maxNodes", SAME,
     "is above gpuPool.maxNodes (2), the GPU nodes the pool's pods can use at once",
     "set maxNodes: 2 or less"),
    # The HPA, sleeping and waking (nimgke/config/check_autoscaling.py): GKE's managed metrics
    # adapter from 1.37.0-gke.3100000 (Preview from 1.36.4-gke.1247000) with the PERFORMANCE
    # profile; minReplicas 0 from 1.37 with an External signal (docs/autoscaling.md).
    ("min-master-version-not-a-version", "dev", "nim-gke:cluster.minMasterVersion", "1.37.x",
     "nim-gke:cluster.minMasterVersion", SAME, "is not a GKE version",
     "write a full version such as 1.37.0-gke.3100000, a minor such as 1.37, or latest"),
    ("hpa-without-min-version", "prod", "nim-gke:cluster.minMasterVersion", DELETE,
     "nim-gke:cluster.minMasterVersion", NOT_SET,
     "reads its metrics through GKE's managed metrics adapter, which needs GKE "
     "1.37.0-gke.3100000 or later, and without a minimum version the cluster's is unknown",
     "set cluster.minMasterVersion: 1.37.0-gke.3100000 or later"),
    ("hpa-below-the-adapters-preview", "prod", "nim-gke:cluster.minMasterVersion",
     "1.36.2-gke.1000", "nim-gke:cluster.minMasterVersion", SAME,
     "is below 1.37.0-gke.3100000, the first GKE version whose managed metrics adapter (which "
     "the HPA reads its metrics through) is generally available; it is in Preview from "
     "1.36.4-gke.1247000", "or monitoring.hpa.enabled: false"),
    ("hpa-on-the-preview-unaccepted", "prod", "nim-gke:cluster.minMasterVersion",
     "1.36.4-gke.1247000", "nim-gke:cluster.minMasterVersion", SAME,
     "is below 1.37.0-gke.3100000", "or accept the Preview: "
     "monitoring.hpa.managedAdapterPreview: true"),
    ("a-minor-is-its-lowest-version", "prod", "nim-gke:cluster.minMasterVersion", "1.37",
     "nim-gke:cluster.minMasterVersion", SAME, "is below 1.37.0-gke.3100000",
     "set cluster.minMasterVersion: 1.37.0-gke.3100000 or later"),
    ("hpa-without-profile", "dev", "nim-gke:cluster.hpaProfile", DELETE,
     "nim-gke:cluster.hpaProfile", NOT_SET,
     "managed metrics adapter, which needs the cluster's HPA performance profile",
     "set cluster.hpaProfile: PERFORMANCE"),
    ("hpa-profile-none", "prod", "nim-gke:cluster.hpaProfile", "NONE",
     "nim-gke:cluster.hpaProfile", SAME, "needs the cluster's HPA performance profile",
     "set cluster.hpaProfile: PERFORMANCE"),
    ("hpa-profile-unknown", "dev", "nim-gke:cluster.hpaProfile", "FAST",
     "nim-gke:cluster.hpaProfile", SAME, "not an allowed value", "NONE, PERFORMANCE"),
    ("sleep-without-a-signal", "dev", "nim-gke:monitoring.hpa",
     {"enabled": True, "minReplicas": 0, "wakeOnCommand": False},
     "nim-gke:monitoring.hpa.minReplicas", "0",
     "only an External metric can wake it, and it would have none: wakeOnCommand is false, "
     "there is no wakeSchedule, there is no Gateway whose requests could wake it "
     "(gateway.enabled: false)",
     "set wakeOnCommand: true (nimctl wake), add a wakeSchedule, or minReplicas: 1"),
    ("sleep-behind-a-gateway-without-a-signal", "prod", "nim-gke:monitoring.hpa",
     {"enabled": True, "minReplicas": 0, "wakeOnCommand": False, "wakeOnRequests": False},
     "nim-gke:monitoring.hpa.minReplicas", "0", "wakeOnRequests is false",
     "add a wakeSchedule, or minReplicas: 1"),
    ("sleep-without-the-hpa", "dev", "nim-gke:monitoring.hpa", {"enabled": False,
     "minReplicas": 0}, "nim-gke:monitoring.hpa.minReplicas", "0",
     "only the HPA scales a version to zero, and monitoring.hpa.enabled is false",
     "set monitoring.hpa.enabled: true, or remove minReplicas"),
    ("min-replicas-above-max", "prod", "nim-gke:monitoring.hpa.minReplicas", 3,
     "nim-gke:monitoring.hpa.minReplicas", SAME, "is above maxReplicas (2)",
     "set minReplicas <= maxReplicas, e.g. maxReplicas: 3"),
    ("idle-minutes-over-an-hour", "dev", "nim-gke:monitoring.hpa.idleMinutes", 90,
     "nim-gke:monitoring.hpa.idleMinutes", SAME, "less than or equal to 60", "use 60 or less"),
    ("schedule-without-sleep", "dev", "nim-gke:monitoring.hpa.minReplicas", DELETE,
     "nim-gke:monitoring.hpa.wakeSchedule", '{"start": "09:00", "end": "17:00"}',
     "wakes versions that never sleep: only minReplicas: 0 lets a version go to zero",
     "set monitoring.hpa.minReplicas: 0, or remove wakeSchedule"),
    ("schedule-unknown-day", "dev", "nim-gke:monitoring.hpa.wakeSchedule.days", ["MO", "MON"],
     "nim-gke:monitoring.hpa.wakeSchedule.days", SAME, "lists an unknown day",
     "use each of the two-letter codes MO, TU, WE, TH, FR, SA, SU at most once"),
    ("schedule-day-twice", "dev", "nim-gke:monitoring.hpa.wakeSchedule.days", ["MO", "MO"],
     "nim-gke:monitoring.hpa.wakeSchedule.days", SAME, "lists a day twice", "at most once"),
    ("schedule-start-not-a-time", "dev", "nim-gke:monitoring.hpa.wakeSchedule.start", "9am",
     "nim-gke:monitoring.hpa.wakeSchedule.start", SAME, "is not a time of day",
     'write HH:MM, e.g. "08:00"'),
    ("schedule-ends-before-it-starts", "dev", "nim-gke:monitoring.hpa.wakeSchedule.end", "08:00",
     "nim-gke:monitoring.hpa.wakeSchedule.end", SAME,
     "is not after start (09:00): a window must end on the day it starts",
     "set an end after 09:00"),
    ("schedule-unknown-time-zone", "dev", "nim-gke:monitoring.hpa.wakeSchedule.timeZone",
     "Central Time", "nim-gke:monitoring.hpa.wakeSchedule.timeZone", SAME,
     "is not an IANA time zone", "write e.g. America/Chicago"),
]
# fmt: on


def test_a_boot_disk_needs_image_streaming() -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:gpuPool.imageStreaming", False)
    raw = set_path(raw, "nim-gke:gpuPool.imageCacheDisk", {"diskImage": "global/images/nim"})
    problems, _ = problems_of(raw)
    assert [str(p) for p in problems] == [
        "nim-gke:gpuPool.imageCacheDisk.diskImage = 'global/images/nim': a secondary boot disk "
        "needs image streaming on the pool (GKE reads the preloaded image through it: "
        "gcfs_config must be enabled). Fix: set gpuPool.imageStreaming: true, or remove "
        "imageCacheDisk"
    ]


@pytest.mark.parametrize(
    ("disk", "stack"),
    [
        ({"diskImage": "global/images/nim-llama3-8b-1-0-3"}, "dev"),
        ({"diskImage": "projects/my-nim-prod-project/global/images/nim"}, "prod"),
        (
            {"diskImage": "projects/shared-images-1/global/images/nim", "otherProjectAccess": True},
            "prod",
        ),
    ],
)
def test_boot_disk_images_the_nodes_can_read_are_accepted(disk: dict, stack: str) -> None:
    cfg = parse(
        stack, set_path(raw_stack(stack), "nim-gke:gpuPool.imageCacheDisk", disk), (True, True)
    )
    assert cfg.settings.gpu_pool.image_cache_disk is not None
    assert cfg.settings.gpu_pool.image_cache_disk.disk_image == disk["diskImage"]


def test_the_shared_cache_sidecar_must_fit_beside_the_model() -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:nim.sharedCache", {"enabled": True})
    assert parse("dev", raw, (True, True)).settings.nim.shared_cache.enabled  # defaults fit
    raw = set_path(raw, "nim-gke:nim.models[0].memory", "12.3Gi")  # fits alone (12597 MiB)
    problems, _ = problems_of(raw)
    assert [str(p) for p in problems] == [
        "nim-gke:nim.sharedCache.enabled = true: the shared cache's gcsfuse sidecar requests 250m "
        "CPU and 256 MiB beside nim.models[0] (3000m, 12.3Gi), more than a g2-standard-4 node "
        "gives a pod (3420m, 12597 MiB). Fix: lower nim.models[0].cpu to 3170m or less and "
        "memory to 12Gi or less, or use a larger machine"
    ]


def test_no_mirror_and_no_streaming_is_a_valid_stack() -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:registry.mirror", False)
    raw = set_path(raw, "nim-gke:gpuPool.imageStreaming", False)
    assert parse("dev", raw, (True, True)).settings.registry.mirror is False


def _params(cases: list[tuple]) -> list:
    return [pytest.param(*case[1:], id=case[0]) for case in cases]


@pytest.mark.parametrize(
    ("stack", "path", "value", "key", "value_shown", "rule", "fix"),
    _params(SHAPE_CASES) + _params(MEANING_CASES),
)
def test_one_mistake_one_problem_naming_key_value_rule_and_fix(
    stack: str, path: str, value: Any, key: str, value_shown: str | None, rule: str, fix: str
) -> None:
    problems, message = problems_of(set_path(raw_stack(stack), path, value), stack)
    assert [p.key for p in problems] == [key], message
    line = str(problems[0])
    assert line.startswith(f"{key} = {value_shown or shown(value)}: "), line
    rule_text, _, fix_text = line.partition(". Fix: ")
    assert rule in rule_text, line
    assert fix in fix_text, line
    assert message == f"stack '{stack}': 1 config problem; nothing was created:\n  - {line}"


@pytest.mark.parametrize("version", ["1.36.4-gke.1247000", "1.36.9-gke.2000000"])
def test_the_adapters_preview_is_accepted_when_asked_for_but_sleeping_needs_1_37(version):
    """prod (a warm replica) may run the managed metrics adapter in Preview when it says so; dev,
    whose version sleeps, may not: scaling to zero needs GKE 1.37."""
    raw = set_path(raw_stack("prod"), "nim-gke:cluster.minMasterVersion", version)
    raw = set_path(raw, "nim-gke:monitoring.hpa.managedAdapterPreview", True)
    assert parse("prod", raw, (True, True)).settings.cluster.min_master_version == version
    raw = set_path(raw_stack("dev"), "nim-gke:cluster.minMasterVersion", version)
    raw = set_path(raw, "nim-gke:monitoring.hpa.managedAdapterPreview", True)
    (problem,), _ = problems_of(raw)
    assert str(problem) == (
        "nim-gke:monitoring.hpa.minReplicas = 0: an HPA scales to zero replicas from GKE 1.37 on "
        "(control plane and nodes: HPAScaleToZero, on by default from Kubernetes 1.37), and "
        f"cluster.minMasterVersion is {version}. Fix: set cluster.minMasterVersion: "
        "1.37.0-gke.3100000 or later, or minReplicas: 1"
    )


@pytest.mark.parametrize("version", ["latest", "1.37.0-gke.3100000", "1.38", "1.37.2"])
def test_versions_that_guarantee_what_dev_needs_are_accepted(version):
    raw = set_path(raw_stack("dev"), "nim-gke:cluster.minMasterVersion", version)
    assert parse("dev", raw, (True, True)).settings.cluster.min_master_version == version


def test_without_an_hpa_fewer_canary_replicas_make_room() -> None:
    """The headroom rule without an HPA: the replicas themselves are what fewer of helps."""
    raw = set_path(raw_stack("dev"), "nim-gke:monitoring.hpa", {"enabled": False})
    canary = {"tag": "1.1.2", "weight": 0, "replicas": 2}
    raw = set_path(raw, "nim-gke:nim.models[0].canary", canary)
    (problem,), _ = problems_of(raw)
    assert problem.key == "nim-gke:gpuPool.maxNodes"
    assert "run 3 replicas, one GPU node each (llama3-8b-1-0-3: 1, llama3-8b-1-1-2: 2)" in str(
        problem
    )
    assert problem.fix == (
        "set maxNodes: 3 or more, or run the canary on another pool or with fewer replicas"
    )


def test_every_case_id_is_unique() -> None:
    ids = [c[0] for c in SHAPE_CASES + MEANING_CASES]
    assert len(ids) == len(set(ids))


# --- the NGC key -------------------------------------------------------------------------------


def test_missing_ngc_key() -> None:
    problems, _ = problems_of(raw_stack("dev"), ngc_key=(False, False))
    assert [str(p) for p in problems] == [
        "nim-gke:ngcApiKey = (not set): the NGC API key is required. Fix: run: pulumi config set "
        "--secret nim-gke:ngcApiKey <nvapi-...>, or set security.ngcKeySource: secretManager"
    ]


def test_ngc_key_in_plain_text_is_refused_without_echoing_it() -> None:
    problems, message = problems_of(raw_stack("dev"), ngc_key=(True, False))
    assert [p.key for p in problems] == ["nim-gke:ngcApiKey"]
    assert "is stored in plain text" in message
    assert "pulumi config set --secret nim-gke:ngcApiKey" in message
    assert "nvapi-" not in str(problems[0].value)


def test_secret_manager_stacks_need_no_ngc_key_in_config() -> None:
    assert parse("prod", raw_stack("prod"), (False, False)).settings.security.ngc_secret


# --- machines, GPUs, regions and models that are accepted or refused as a whole -----------------


@pytest.mark.parametrize(
    ("pool", "gpu_gb"),
    [
        pytest.param(
            {"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "gpuCount": 2},
            32,
            id="n1-with-2-t4",
        ),
        pytest.param(
            {"machineType": "g2-standard-24", "gpuType": "nvidia-l4", "gpuCount": 2},
            48,
            id="g2-standard-24-with-2-l4",
        ),
        pytest.param(
            {"machineType": "a2-highgpu-1g", "gpuType": "nvidia-tesla-a100", "gpuCount": 1},
            40,
            id="a2-highgpu-1g",
        ),
    ],
)
def test_matching_machine_and_gpu_pairs_are_accepted(pool: dict[str, Any], gpu_gb: int) -> None:
    raw = raw_stack("dev")
    raw["nim-gke:gpuPool"].update(pool)
    cfg = parse("dev", raw, (True, True))
    assert cfg.gpu_machine.name == pool["machineType"]
    (plan,) = cfg.models
    # The 8B model (about 19.3 GB) fits the node's GPU memory.
    assert catalog.GPUS[pool["gpuType"]].memory_gb * pool["gpuCount"] == gpu_gb
    assert plan.gpu_memory_needed_gb < gpu_gb


def test_n1_with_one_t4_is_too_small_for_8b_at_bf16_and_says_so() -> None:
    raw = raw_stack("dev")
    raw["nim-gke:gpuPool"].update({"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4"})
    (problem,), _ = problems_of(raw)
    assert problem.key == "nim-gke:nim.models[0].name"
    assert "needs about 19.3 GB of GPU memory (bf16" in str(problem)
    assert "a n1-standard-8 node has 1 x 16 GB = 16 GB" in str(problem)
    # precision alone does not change what NIM serves: the fix says a profile goes with it.
    assert "or serve it at fp8 (set precision: fp8 and pin a matching profile)" in str(problem)


def test_70b_model_on_g2_standard_4_shows_the_numbers_and_suggests_machines() -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:nim.models[0].name", "meta/llama3-70b-instruct")
    problems, message = problems_of(raw)
    assert [p.key for p in problems] == [
        "nim-gke:nim.models[0].name",
        "nim-gke:nim.models[0].cacheSize",
    ]
    memory, cache = (str(p) for p in problems)
    assert (
        "needs about 169.4 GB of GPU memory (bf16, weights + 20% KV cache, an estimate)" in memory
    )
    assert "but a g2-standard-4 node has 1 x 24 GB = 24 GB" in memory
    assert (
        "Fix: use a machine with more GPU memory "
        "(g2-standard-96, a2-ultragpu-4g, a2-highgpu-8g, a3-highgpu-4g)" in memory
    )
    assert "about 202Gi for meta/llama3-70b-instruct at bf16" in cache
    assert cache.endswith("Fix: set cacheSize: 210Gi")
    assert message.startswith("stack 'dev': 2 config problems; nothing was created:")


def test_a_region_without_the_gpu_is_reported_once_on_the_region() -> None:
    raw = raw_stack("dev")
    raw["nim-gke:region"] = "us-east1"
    raw["nim-gke:cluster"]["zones"] = ["us-east1-b", "us-east1-c"]
    raw["nim-gke:gpuPool"].update({"machineType": "a2-ultragpu-1g", "gpuType": "nvidia-a100-80gb"})
    # Two GPU zones: a cache disk would be regional, which an A2 cannot attach; the bucket can.
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": True}
    (problem,), _ = problems_of(raw)
    assert str(problem) == (
        "nim-gke:region = 'us-east1': has no zone offering nvidia-a100-80gb (gpuPool.gpuType). "
        "Fix: use a region that does: us-central1, us-east4, europe-west4, asia-southeast1, "
        "or another GPU"
    )
    # The same pool in a region that has the GPU is judged zone by zone.
    raw["nim-gke:region"] = "us-central1"
    raw["nim-gke:cluster"]["zones"] = ["us-central1-a", "us-central1-b"]
    (problem,), _ = problems_of(raw)
    assert problem.key == "nim-gke:cluster.zones[1]"
    assert "use zones that do: us-central1-a, us-central1-c" in str(problem)


def test_an_empty_gpu_pool_zone_list_falls_back_to_checked_cluster_zones() -> None:
    raw = raw_stack("dev")
    raw["nim-gke:cluster"]["zones"] = ["us-central1-f"]
    raw["nim-gke:gpuPool"]["zones"] = []
    (problem,), _ = problems_of(raw)
    assert problem.key == "nim-gke:cluster.zones[0]"
    assert "the GPU pool uses the cluster's zones" in str(problem)


def test_unknown_model_needs_an_image_and_its_gpu_memory() -> None:
    raw = set_path(
        raw_stack("dev"), "nim-gke:nim.models[0]", {"name": "acme/mystery-7b", "tag": "1"}
    )
    problems, _ = problems_of(raw)
    assert [str(p) for p in problems] == [
        "nim-gke:nim.models[0].image = (not set): model 'acme/mystery-7b' is not in the catalog, "
        "so its image is unknown. Fix: set image (e.g. nvcr.io/nim/acme/mystery-7b), or use one "
        "of: " + ", ".join(config.MODELS),
        "nim-gke:nim.models[0].gpuMemoryGb = (not set): model 'acme/mystery-7b' is not in the "
        "catalog, so its GPU memory need must be stated. Fix: set gpuMemoryGb to the GB of GPU "
        "memory it needs (and paramsBillion for the cache check)",
    ]


def test_unknown_model_is_accepted_with_image_and_memory_need() -> None:
    model = {
        "name": "acme/mystery-7b",
        "image": "nvcr.io/nim/acme/mystery-7b",
        "tag": "1.0.0",
        "gpuMemoryGb": 18,
        "paramsBillion": 7,
    }
    raw = set_path(raw_stack("dev"), "nim-gke:nim.models[0]", model)
    (plan,) = parse("dev", raw, (True, True)).models
    assert (plan.image, plan.tag, plan.release, plan.gpu_memory_needed_gb) == (
        "nvcr.io/nim/acme/mystery-7b",
        "1.0.0",
        "mystery-7b",
        18,
    )
    # paramsBillion feeds the cache check; the stated need is checked against the GPU.
    raw = set_path(raw, "nim-gke:nim.models[0].cacheSize", "10Gi")
    raw = set_path(raw, "nim-gke:nim.models[0].gpuMemoryGb", 30)
    problems, _ = problems_of(raw)
    assert [p.key for p in problems] == [
        "nim-gke:nim.models[0].name",
        "nim-gke:nim.models[0].cacheSize",
    ]
    assert "needs about 30.0 GB of GPU memory" in str(problems[0])
    assert "1 x 24 GB = 24 GB" in str(problems[0])


# --- several mistakes at once -----------------------------------------------------------------


def test_shape_mistakes_are_reported_together() -> None:
    raw = raw_stack("dev")
    for path, value in [
        ("nim-gke:project", "other-project"),
        ("nim-gke:gpuPool.spot", "yes"),
        ("nim-gke:gpuPool.maxNodes", "two"),
        ("nim-gke:cluster.relaseChannel", "RAPID"),
        ("nim-gke:nim.models[0].tag", 3),
        ("nim-gke:region", DELETE),
    ]:
        set_path(raw, path, value)
    problems, message = problems_of(raw)
    assert [p.key for p in problems] == [
        "nim-gke:project",
        "nim-gke:region",
        "nim-gke:cluster.relaseChannel",
        "nim-gke:gpuPool.maxNodes",
        "nim-gke:gpuPool.spot",
        "nim-gke:nim.models[0].tag",
    ]
    assert message.startswith("stack 'dev': 6 config problems; nothing was created:\n")
    assert message.count("\n  - ") == 6


def test_meaning_mistakes_are_reported_together() -> None:
    raw = raw_stack("dev")
    for path, value in [
        ("gcp:project", "X"),
        ("nim-gke:cluster.zones", ["us-central1-f"]),
        ("nim-gke:gpuPool.gpuCount", 2),
        ("nim-gke:gpuPool.minNodes", 5),
        ("nim-gke:nim.chartVersion", "latest"),
        ("nim-gke:nim.storageClass", "fast"),
        ("nim-gke:nim.models[0].cacheSize", "lots"),
    ]:
        set_path(raw, path, value)
    problems, message = problems_of(raw, ngc_key=(False, False))
    assert [p.key for p in problems] == [
        "gcp:project",
        "nim-gke:gpuPool.gpuCount",
        "nim-gke:gpuPool.minNodes",
        "nim-gke:cluster.zones[0]",
        "nim-gke:nim.chartVersion",
        "nim-gke:nim.storageClass",
        "nim-gke:nim.models[0].cacheSize",
        "nim-gke:ngcApiKey",
    ]
    assert message.startswith("stack 'dev': 8 config problems; nothing was created:\n")
    assert message.count("\n  - ") == 8


def test_meaning_is_checked_only_once_the_shape_is_right() -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:gpuPool.spot", "yes")
    set_path(raw, "nim-gke:nim.chartVersion", "latest")
    problems, _ = problems_of(raw)
    assert [p.key for p in problems] == ["nim-gke:gpuPool.spot"]


# --- valid stacks and their resolved defaults ---------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_files_are_valid(stack: str) -> None:
    cfg = parse(stack, raw_stack(stack), (True, True))
    assert cfg == load_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    (plan,) = cfg.models
    assert plan == config.ModelPlan(
        name="meta/llama3-8b-instruct",
        image="nvcr.io/nim/meta/llama3-8b-instruct",  # from the model catalog
        tag="1.0.3",
        release="llama3-8b",
        precision="bf16",
        gpu_memory_needed_gb=19.27,  # 8.03 B x 2 bytes x 1.2
        cache_gib=50.0,
        cache_size="50Gi",
        cpu="3",  # g2-standard-4: 3420m left after reservations and system pods
        memory="12Gi",  # about 12.3Gi left
        replicas=1,
        # The catalog's L4 pin for llama3-8b-instruct 1.0.3 (nimgke/models.py names the
        # list-model-profiles output it was read from).
        profile="8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d",
        profile_from="catalog",
    )
    assert cfg.cluster_name == f"nim-{stack}"
    assert cfg.gpu_machine.name == "g2-standard-4"


def test_dev_and_prod_differ_where_the_files_say() -> None:
    dev, prod = (parse(s, raw_stack(s), (True, True)) for s in ("dev", "prod"))
    assert (dev.cluster_location, prod.cluster_location) == ("us-central1-a", "us-central1")
    assert (dev.gpu_zones, prod.gpu_zones) == (
        ["us-central1-a"],
        ["us-central1-a", "us-central1-c"],
    )
    # prod's cache is the shared bucket (no disk, in both GPU zones), dev's a zonal disk.
    assert (dev.settings.nim.shared_cache.enabled, prod.settings.nim.shared_cache.enabled) == (
        False,
        True,
    )
    assert (dev.cache_regional, prod.cache_regional) == (False, False)
    assert (dev.settings.gpu_pool.min_nodes, prod.settings.gpu_pool.min_nodes) == (0, 1)


def test_defaults_resolve_from_the_catalogs() -> None:
    raw = raw_stack("dev")
    del raw["nim-gke:nim"]["models"][0]["release"]
    raw["nim-gke:gpuPool"]["machineType"] = "g2-standard-8"
    (plan,) = parse("dev", raw, (True, True)).models
    # release: the model name's last part; cpu/memory: what a g2-standard-8 node can give.
    assert (plan.release, plan.cpu, plan.memory) == ("llama3-8b-instruct", "7", "27Gi")


# --- stack files read without the engine: YAML 1.2 as Pulumi reads it --------------------------


def _stack_file(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    assert old in text
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_yes_in_a_stack_file_stays_a_string_and_is_refused(tmp_path: Path) -> None:
    path = _stack_file(tmp_path, "spot: false", "spot: yes")
    assert read_stack_file(path)["nim-gke:gpuPool"]["spot"] == "yes"
    with pytest.raises(ConfigError) as err:
        load_stack_file(path)
    assert [p.key for p in err.value.problems] == ["nim-gke:gpuPool.spot"]
    assert "nim-gke:gpuPool.spot = 'yes': must be true or false" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "path", "value"),
    [
        pytest.param(
            'start: "03:00"', "start: 12:30", ("nim-gke:security", "maintenanceWindow", "start"),
            "12:30", id="time-is-not-base-60",
        ),
        pytest.param(
            'tag: "1.0.3"', "tag: 2024-05-01", ("nim-gke:nim", "models", 0, "tag"),
            "2024-05-01", id="date-is-a-string",
        ),
    ],
)  # fmt: skip
def test_unquoted_values_read_as_pulumi_reads_them(
    tmp_path: Path, old: str, new: str, path: tuple, value: str
) -> None:
    stack_file = _stack_file(tmp_path, old, new)
    node: Any = read_stack_file(stack_file)
    for part in path:
        node = node[part]
    assert node == value
    load_stack_file(stack_file)  # valid, as under `pulumi up`


def test_plain_text_ngc_key_in_a_stack_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    path.write_text(text.replace("config:\n", "config:\n  nim-gke:ngcApiKey: nvapi-plain\n", 1))
    with pytest.raises(ConfigError) as err:
        load_stack_file(path)
    assert [p.key for p in err.value.problems] == ["nim-gke:ngcApiKey"]
    assert "nvapi-plain" not in str(err.value)
    path.write_text(text.replace("config:\n", "config:\n  nim-gke:ngcApiKey:\n    secure: v1:x\n"))
    assert load_stack_file(path).stack == "dev"


# --- the program stops before creating anything ------------------------------------------------

NGC = "nim-gke:ngcApiKey"


@pytest.mark.parametrize(
    ("overrides", "secret_keys", "expected"),
    [
        pytest.param(
            {"nim-gke:gpuPool": {"machineType": "g2-standard-5"}, NGC: FAKE_NGC_KEY},
            [NGC],
            "nim-gke:gpuPool.machineType = 'g2-standard-5': is not a GPU machine type",
            id="meaning",
        ),
        pytest.param(
            {"nim-gke:gpuPool": {"spot": "yes"}, NGC: FAKE_NGC_KEY},
            [NGC],
            "nim-gke:gpuPool.spot = 'yes': must be true or false",
            id="shape",
        ),
        pytest.param(
            {},
            [],
            "nim-gke:ngcApiKey = (not set): the NGC API key is required",
            id="ngc-key-missing",
        ),
        pytest.param(
            {NGC: FAKE_NGC_KEY},
            [],
            "nim-gke:ngcApiKey = '(hidden)': is stored in plain text",
            id="ngc-key-in-plain-text",
        ),
    ],
)
def test_the_program_stops_before_registering_any_resource(
    overrides: dict[str, Any], secret_keys: list[str], expected: str
) -> None:
    # The engine passes the ConfigError itself (a pulumi.RunError) out of the program.
    with pytest.raises(ConfigError) as err:
        run_program("dev", stack_config("dev", **overrides), secret_keys)
    assert isinstance(err.value, pulumi.RunError)
    assert len(err.value.problems) == 1
    assert f"  - {expected}" in str(err.value)
    assert FAKE_NGC_KEY not in str(err.value)
    run = conftest.LAST_RUN
    assert run is not None
    assert run.mocks.resources == []
    assert run.mocks.calls == []


def test_the_same_program_with_valid_config_registers_resources() -> None:
    """Control for the test above: the harness does see resources when config is valid."""
    run = run_program("dev", stack_config("dev", **{NGC: FAKE_NGC_KEY}), [NGC])
    assert run.mocks.resources


def test_host_memory_risk_is_a_warning_not_an_error() -> None:
    dev = load_stack_file(ROOT / "Pulumi.dev.yaml")
    (warning,) = dev.warnings
    assert warning.startswith("nim-gke:nim.models[0].memory = '12Gi'")
    assert "about 15 GB of host memory" in warning
    # The node's share, not the request, is what makes the larger machine the fix: a g2-standard-4
    # leaves a pod 12.3Gi (catalog.workload_budget), under 15 GB (13.97Gi).
    assert warning.endswith(
        "a g2-standard-4 node gives the pod at most 12.3Gi: use a larger machine "
        "(e.g. gpuPool.machineType: g2-standard-8)."
    )
    raw = raw_stack("dev")
    raw["nim-gke:gpuPool"]["machineType"] = "g2-standard-8"
    assert parse("dev", raw, (True, True)).warnings == ()
    # On a machine that can give enough, a small request is the thing to change.
    raw["nim-gke:nim"]["models"][0]["memory"] = "8Gi"
    (warning,) = parse("dev", raw, (True, True)).warnings
    assert "the pod requests 8Gi" in warning
    assert warning.endswith("raise memory (a g2-standard-8 node gives the pod up to 27.3Gi).")
    # With the shared cache the gcsfuse sidecar (256 MiB, nimgke/config/check_images.py) shares
    # the node: the pod may have 256 MiB less.
    budget = catalog.workload_budget(catalog.MACHINE_TYPES["g2-standard-8"])
    raw["nim-gke:nim"]["sharedCache"] = {"enabled": True}
    (warning,) = [w for w in parse("dev", raw, (True, True)).warnings if "host memory" in w]
    assert f"{budget.memory_mib / 1024:.1f}" == "27.3"  # the figure above
    assert warning.endswith(
        f"raise memory (a g2-standard-8 node gives the pod up to "
        f"{(budget.memory_mib - 256) / 1024:.1f}Gi)."
    )


@pytest.mark.parametrize(
    ("machine", "max_nodes", "expected"),
    [
        # e2-medium: GKE reserves 1060m on shared-core E2 (940m allocatable, as real e2-medium
        # nodes report), less than the ~1.2 vCPU GKE's own pods request on one system node.
        ("e2-medium", 3, "the pool will grow past minNodes (1) to fit them"),
        ("e2-medium", 1, "even 1 node(s) (maxNodes) leave system pods Pending"),
        ("e2-standard-2", 3, None),
        ("e2-standard-4", 1, None),
    ],
)
def test_a_system_pool_too_small_for_gke_is_a_warning(machine, max_nodes, expected) -> None:
    raw = raw_stack("dev")
    raw["nim-gke:cluster"]["systemPool"].update(machineType=machine, maxNodes=max_nodes)
    raw["nim-gke:gpuPool"]["machineType"] = "g2-standard-8"  # no host-memory warning
    warnings = parse("dev", raw, (True, True)).warnings
    if expected is None:
        assert warnings == ()
        return
    (warning,) = warnings
    assert warning.startswith(f"nim-gke:cluster.systemPool.machineType = '{machine}': ")
    assert "GKE's own pods request about 1198m CPU" in warning
    assert "one e2-medium node offers 940m" in warning
    assert expected in warning


def test_green_pool_is_held_to_the_image_rules_of_gpu_pool() -> None:
    """greenPool shares gpuPool's settings (imageStreaming on by default, imageCacheDisk): the
    same rules, under greenPool's own keys and fixes."""
    green = {"machineType": "g2-standard-8", "maxNodes": 1, "driverVersion": "LATEST"}
    raw = set_path(raw_stack("dev"), "nim-gke:registry.mirror", False)
    raw = set_path(raw, "nim-gke:gpuPool.imageStreaming", False)
    raw = set_path(raw, "nim-gke:greenPool", green)
    problems, _ = problems_of(raw)
    assert [str(p) for p in problems] == [
        "nim-gke:greenPool.imageStreaming = true: image streaming only serves images from "
        "Artifact Registry (or public Docker Hub), and with registry.mirror: false the NIM image "
        "comes from nvcr.io. Fix: set registry.mirror: true (the default), or "
        "imageStreaming: false"
    ]
    raw = set_path(
        raw_stack("dev"),
        "nim-gke:greenPool",
        {
            **green,
            "imageStreaming": False,
            "imageCacheDisk": {"diskImage": "global/images/nim"},
        },
    )
    problems, _ = problems_of(raw)
    assert [str(p) for p in problems] == [
        "nim-gke:greenPool.imageCacheDisk.diskImage = 'global/images/nim': a secondary boot disk "
        "needs image streaming on the pool (GKE reads the preloaded image through it: "
        "gcfs_config must be enabled). Fix: set greenPool.imageStreaming: true, or remove "
        "imageCacheDisk"
    ]


# --- the fallbacks of a pool's ComputeClass -----------------------------------------------------


def test_requests_must_fit_the_smallest_machine_of_the_pools_priorities() -> None:
    """The model fits each priority's machine: a pod may land on any of them. A fallback to a
    smaller machine makes the default requests those it leaves (a g2-standard-4's), and an
    explicit request that only the larger one holds is refused naming the smaller."""
    raw = set_path(raw_stack("prod"), "nim-gke:gpuPool.machineType", "g2-standard-8")
    raw = set_path(raw, "nim-gke:gpuPool.fallbacks", [{"machineType": "g2-standard-4"}])
    (plan,) = parse("prod", raw, (True, True)).models
    assert (plan.cpu, plan.memory) == ("3", "12Gi")  # a g2-standard-4's budget, not -8's 7/27Gi
    raw = set_path(raw, "nim-gke:nim.models[0].memory", "20Gi")
    problems, _ = problems_of(raw, "prod")
    assert [str(p) for p in problems] == [
        "nim-gke:nim.models[0].memory = '20Gi': does not fit a g2-standard-4 node: about 12.3Gi "
        "is left after GKE's reservations and system pods. Fix: request at most 12Gi, or use a "
        "larger machine"
    ]


def test_a_fallback_may_use_other_zones_with_the_shared_cache() -> None:
    """A bucket every zone reaches (nim.sharedCache) frees a fallback from the cache disk's
    zones; the zones must still offer the GPU."""
    raw = set_path(raw_stack("dev"), "nim-gke:nim.sharedCache", {"enabled": True})
    raw = set_path(raw, "nim-gke:gpuPool.fallbacks[0].zones", ["us-central1-b", "us-central1-c"])
    cfg = parse("dev", raw, (True, True))
    assert cfg.settings.gpu_pool.fallbacks[0].zones == ["us-central1-b", "us-central1-c"]


@pytest.mark.parametrize(
    ("fallbacks", "warning"),
    [
        (
            [{"spot": True}],
            "nim-gke:gpuPool.fallbacks[0] is the same source of GPU nodes as gpuPool (purchase "
            "option, machine, zones, reservation): it has capacity only when that one has. Make "
            "it another source (spot, machineType, zones or reservation), or remove it.",
        ),
        (
            [{"spot": False, "maxNodes": 1}],
            "nim-gke:gpuPool.fallbacks[0].maxNodes = 1: the versions on pool gpu may run 2 "
            "replicas, one GPU node each; while the priorities before it have no capacity, only 1 "
            "can run here and the rest wait. Raise its maxNodes if that is not what you want.",
        ),
    ],
)
def test_a_fallback_that_helps_less_than_it_seems_is_a_warning(fallbacks, warning) -> None:
    raw = set_path(raw_stack("dev"), "nim-gke:gpuPool.fallbacks", fallbacks)
    raw = set_path(raw, "nim-gke:nim.models[0].replicas", 2)
    assert warning in parse("dev", raw, (True, True)).warnings
