"""Every config rule: one bad value in a real stack file -> one error naming key, value, rule, fix.

Each case starts from ``Pulumi.dev.yaml`` (or prod), changes one setting, and expects exactly one
problem with the given key, and message fragments for the rule and the fix.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from nimgke.config import ConfigError, load_stack_file, parse, read_stack_file
from tests.conftest import ROOT, run_program, stack_config

DELETE = object()


def raw_stack(stack: str = "dev") -> dict[str, Any]:
    return copy.deepcopy(read_stack_file(ROOT / f"Pulumi.{stack}.yaml"))


def with_value(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``nim-gke:gpuPool.machineType`` or ``nim-gke:nim.models[0].tag`` style paths."""
    top, _, rest = path.partition(".")
    if not rest:
        if value is DELETE:
            raw.pop(top, None)
        else:
            raw[top] = value
        return raw
    cur: Any = raw.setdefault(top, {})
    parts = rest.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if part.isdigit() else cur.setdefault(part, {})
    last = parts[-1]
    if value is DELETE:
        cur.pop(last, None)
    elif last.isdigit():
        cur[int(last)] = value
    else:
        cur[last] = value
    return raw


def problems_for(raw: dict[str, Any], stack: str = "dev", ngc=(True, True)) -> list:
    with pytest.raises(ConfigError) as err:
        parse(stack, raw, ngc)
    assert isinstance(err.value, pulumi.RunError)  # printed by Pulumi without a traceback
    return err.value.problems


# (id, stack, path, value, expected key(s) in order, rule and fix fragments of the first)
# fmt: off
CASES = [
    ("bool-as-word", "dev", "nim-gke:gpuPool.spot", "yes",
     "nim-gke:gpuPool.spot", "must be true or false", "without quotes"),
    ("bool-as-string", "dev", "nim-gke:cluster.regional", "true",
     "nim-gke:cluster.regional", "must be true or false", "without quotes"),
    ("number-as-word", "dev", "nim-gke:gpuPool.maxNodes", "two",
     "nim-gke:gpuPool.maxNodes", "whole number", "such as 2"),
    ("number-as-string", "dev", "nim-gke:gpuPool.maxNodes", "2",
     "nim-gke:gpuPool.maxNodes", "whole number", "without quotes"),
    ("number-as-float", "dev", "nim-gke:gpuPool.gpuCount", 1.5,
     "nim-gke:gpuPool.gpuCount", "whole number", "such as 2"),
    ("negative-min", "dev", "nim-gke:gpuPool.minNodes", -1,
     "nim-gke:gpuPool.minNodes", "greater than or equal to 0", "allowed range"),
    ("hours-per-day-over-24", "dev", "nim-gke:cost.gpuHoursPerDay", 30,
     "nim-gke:cost.gpuHoursPerDay", "less than or equal to 24", "allowed range"),
    ("typo-key", "dev", "nim-gke:cluster.relaseChannel", "REGULAR",
     "nim-gke:cluster.relaseChannel", "not a setting", "did you mean 'releaseChannel'"),
    ("unknown-top-key", "dev", "nim-gke:gpupool", {"spot": True},
     "nim-gke:gpupool", "not a setting", "did you mean 'gpuPool'"),
    ("enum", "dev", "nim-gke:cluster.releaseChannel", "FAST",
     "nim-gke:cluster.releaseChannel", "not an allowed value", "RAPID, REGULAR, STABLE"),
    ("driver-unset-value", "dev", "nim-gke:gpuPool.driverVersion", "INSTALLATION_DISABLED",
     "nim-gke:gpuPool.driverVersion", "not an allowed value", "DEFAULT, LATEST"),
    ("object-as-string", "dev", "nim-gke:cluster.systemPool", "e2-standard-4",
     "nim-gke:cluster.systemPool", "must be an object", "mapping"),
    ("list-as-string", "dev", "nim-gke:cluster.zones", "us-central1-a",
     "nim-gke:cluster.zones", "must be a list", "one '- item' per line"),
    ("empty-models", "dev", "nim-gke:nim.models", [],
     "nim-gke:nim.models", "must not be empty", "at least one"),
    ("missing-chart-version", "dev", "nim-gke:nim.chartVersion", DELETE,
     "nim-gke:nim.chartVersion", "is required", "stack file"),
    ("missing-region", "dev", "nim-gke:region", DELETE,
     "nim-gke:region", "is required", "stack file"),
    ("tag-as-number", "dev", "nim-gke:nim.models[0].tag", 1.1,
     "nim-gke:nim.models[0].tag", "must be text", "quote"),
    ("project-id", "dev", "gcp:project", "My Project",
     "gcp:project", "not a GCP project id", "project id"),
    ("unknown-region", "dev", "nim-gke:region", "us-central2",
     "nim-gke:region", "not a region this stack supports", "did you mean 'us-central1'"),
    ("zone-not-in-region", "dev", "nim-gke:cluster.zones", ["us-east1-b"],
     "nim-gke:cluster.zones[0]", "not a zone of region us-central1", "us-central1-a"),
    ("zone-without-l4", "dev", "nim-gke:cluster.zones", ["us-central1-f"],
     "nim-gke:cluster.zones[0]", "does not offer nvidia-l4", "us-central1-a, us-central1-b"),
    ("gpu-pool-zone-without-l4", "dev", "nim-gke:gpuPool.zones", ["us-central1-f"],
     "nim-gke:gpuPool.zones[0]", "does not offer nvidia-l4", "us-central1-a"),
    ("unknown-machine", "dev", "nim-gke:gpuPool.machineType", "g2-standard-5",
     "nim-gke:gpuPool.machineType", "not a GPU machine type", "g2-standard-4, g2-standard-8"),
    ("machine-without-gpu", "dev", "nim-gke:gpuPool.machineType", "e2-standard-4",
     "nim-gke:gpuPool.machineType", "carries no GPU", "g2, a2, a3 or n1"),
    ("unknown-gpu", "dev", "nim-gke:gpuPool.gpuType", "nvidia-l40",
     "nim-gke:gpuPool.gpuType", "not a GPU type GKE offers", "did you mean 'nvidia-l4'"),
    ("machine-gpu-mismatch", "dev", "nim-gke:gpuPool.gpuType", "nvidia-tesla-t4",
     "nim-gke:gpuPool.gpuType", "g2-standard-4 comes with nvidia-l4", "gpuType: nvidia-l4"),
    ("wrong-gpu-count", "dev", "nim-gke:gpuPool.gpuCount", 2,
     "nim-gke:gpuPool.gpuCount", "comes with exactly 1 nvidia-l4", "g2-standard-24"),
    ("min-above-max", "dev", "nim-gke:gpuPool.minNodes", 3,
     "nim-gke:gpuPool.minNodes", "above maxNodes (2)", "minNodes <= maxNodes"),
    ("max-zero", "dev", "nim-gke:gpuPool.maxNodes", 0,
     "nim-gke:gpuPool.maxNodes", "at least 1", "maxNodes: 1"),
    ("prod-without-warm-node", "prod", "nim-gke:gpuPool.minNodes", 0,
     "nim-gke:gpuPool.minNodes", "requireWarmNode is true", "minNodes: 1"),
    ("system-min-above-max", "dev", "nim-gke:cluster.systemPool.minNodes", 4,
     "nim-gke:cluster.systemPool.minNodes", "above maxNodes (3)", "minNodes <= maxNodes"),
    ("system-gpu-machine", "dev", "nim-gke:cluster.systemPool.machineType", "g2-standard-4",
     "nim-gke:cluster.systemPool.machineType", "general-purpose", "e2-standard-4"),
    ("boot-disk-too-small", "dev", "nim-gke:gpuPool.diskSizeGb", 50,
     "nim-gke:gpuPool.diskSizeGb", "too small for the NIM image", "diskSizeGb: 100"),
    ("chart-latest", "dev", "nim-gke:nim.chartVersion", "latest",
     "nim-gke:nim.chartVersion", "pin a released chart version", "1.3.0"),
    ("chart-empty", "dev", "nim-gke:nim.chartVersion", "",
     "nim-gke:nim.chartVersion", "pin a released chart version", "1.3.0"),
    ("image-latest", "dev", "nim-gke:nim.models[0].tag", "latest",
     "nim-gke:nim.models[0].tag", "pin an image version", "'1.0.3'"),
    ("image-empty", "dev", "nim-gke:nim.models[0].tag", " ",
     "nim-gke:nim.models[0].tag", "pin an image version", "'1.0.3'"),
    ("namespace-not-dns", "dev", "nim-gke:nim.namespace", "NIM_Models",
     "nim-gke:nim.namespace", "DNS label", "e.g. nim"),
    ("release-not-dns", "dev", "nim-gke:nim.models[0].release", "Llama3.8B",
     "nim-gke:nim.models[0].release", "DNS label", "llama3-8b"),
    ("storage-class", "dev", "nim-gke:nim.storageClass", "premium",
     "nim-gke:nim.storageClass", "not a GKE storage class", "did you mean 'premium-rwo'"),
    ("cache-malformed", "dev", "nim-gke:nim.models[0].cacheSize", "50GB",
     "nim-gke:nim.models[0].cacheSize", "not a Kubernetes size", "50Gi"),
    ("cache-too-small", "dev", "nim-gke:nim.models[0].cacheSize", "10Gi",
     "nim-gke:nim.models[0].cacheSize", "smaller than model plus engine", "cacheSize: 30Gi"),
    ("cpu-over-allocatable", "dev", "nim-gke:nim.models[0].cpu", "4",
     "nim-gke:nim.models[0].cpu", "does not fit a g2-standard-4 node", "at most 3420m"),
    ("memory-over-allocatable", "dev", "nim-gke:nim.models[0].memory", "16Gi",
     "nim-gke:nim.models[0].memory", "about 12.3Gi is left", "at most 12Gi"),
    ("memory-malformed", "dev", "nim-gke:nim.models[0].memory", "12 GB",
     "nim-gke:nim.models[0].memory", "not a memory quantity", "12Gi"),
    ("cpu-malformed", "dev", "nim-gke:nim.models[0].cpu", "three",
     "nim-gke:nim.models[0].cpu", "not a CPU quantity", "3500m"),
    ("model-too-big", "dev", "nim-gke:nim.models[0].name",
     "meta/llama3-70b-instruct", ("nim-gke:nim.models[0].name", "nim-gke:nim.models[0].cacheSize"),
     "needs about 169.4 GB of GPU memory", "use a machine with more GPU memory (g2-standard-96"),
    ("unknown-model-no-image", "dev", "nim-gke:nim.models[0].name",
     "acme/mystery-7b", ("nim-gke:nim.models[0].image", "nim-gke:nim.models[0].gpuMemoryGb"),
     "not in the catalog", "nvcr.io/nim/acme/mystery-7b"),
    ("replicas-over-pool", "dev", "nim-gke:nim.models[0].replicas", 3,
     "nim-gke:gpuPool.maxNodes", "ask for 3 replicas", "maxNodes: 3"),
    ("public-lb", "dev", "nim-gke:nim.serviceType", "LoadBalancer",
     "nim-gke:nim.serviceType", "unauthenticated GPU endpoint", "allowPublicLoadBalancer: true"),
    ("secret-manager-without-name", "prod", "nim-gke:security.ngcSecret", DELETE,
     "nim-gke:security.ngcSecret", "no secret is named", "ngc-api-key"),
    ("bad-cidr", "prod", "nim-gke:security.masterAuthorizedNetworks[0].cidr", "10.0.0.300/8",
     "nim-gke:security.masterAuthorizedNetworks[0].cidr", "not a CIDR block", "203.0.113.0/24"),
    ("private-endpoint-public-nodes", "dev", "nim-gke:security.privateEndpoint", True,
     "nim-gke:security.privateEndpoint", "needs private nodes", "privateNodes: true"),
    ("bad-kms-key", "prod", "nim-gke:security.kmsKey",
     "my-key", "nim-gke:security.kmsKey",
     "not a Cloud KMS key name", "projects/P/locations/L/keyRings/R/cryptoKeys/K"),
    ("bad-client-namespace", "prod", "nim-gke:security.allowedClientNamespaces", ["Apps"],
     "nim-gke:security.allowedClientNamespaces[0]", "not a namespace name", "apps"),
    ("bad-window-time", "prod", "nim-gke:security.maintenanceWindow.start", "3am",
     "nim-gke:security.maintenanceWindow.start", "not a UTC time", "03:00"),
    ("bad-window-day", "prod", "nim-gke:security.maintenanceWindow.days", ["SAT"],
     "nim-gke:security.maintenanceWindow.days", "not weekdays", "MO, TU"),
    ("window-too-short", "prod", "nim-gke:security.maintenanceWindow.hours", 4,
     "nim-gke:security.maintenanceWindow", "48 hours", "add days or hours"),
    ("bad-billing-account", "dev", "nim-gke:budget",
     {"billingAccount": "my-account", "monthlyUsd": 300}, "nim-gke:budget.billingAccount",
     "not a billing account id", "012345-6789AB-CDEF01"),
    ("cluster-name", "dev", "nim-gke:cluster.name", "NIM_dev",
     "nim-gke:cluster.name", "GKE cluster name", "nim-dev"),
]
# fmt: on


@pytest.mark.parametrize(
    ("stack", "path", "value", "key", "rule", "fix"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_each_rule_names_key_value_rule_and_fix(stack, path, value, key, rule, fix):
    problems = problems_for(with_value(raw_stack(stack), path, value), stack)
    keys = list(key) if isinstance(key, tuple) else [key]
    assert [p.key for p in problems] == keys, [str(p) for p in problems]
    text = str(problems[0])
    assert rule in text and fix in text, text
    if value is not DELETE and isinstance(value, str | int | float) and not isinstance(value, bool):
        assert repr(value) in text or str(value) in text, text


def test_missing_ngc_key_and_plain_key():
    (missing,) = problems_for(raw_stack("dev"), ngc=(False, False))
    assert missing.key == "nim-gke:ngcApiKey"
    assert "(not set)" in str(missing) and "pulumi config set --secret" in str(missing)
    (plain,) = problems_for(raw_stack("dev"), ngc=(True, False))
    assert "stored in plain text" in str(plain)
    assert "nvapi" not in str(plain.value)  # the value itself is never echoed


def test_several_shape_mistakes_are_reported_together():
    raw = raw_stack("dev")
    for path, value in [
        ("nim-gke:gpuPool.spot", "yes"),
        ("nim-gke:gpuPool.maxNodes", "two"),
        ("nim-gke:cluster.relaseChannel", "RAPID"),
        ("nim-gke:nim.models[0].tag", 3),
    ]:
        with_value(raw, path, value)
    keys = {p.key for p in problems_for(raw)}
    assert keys == {
        "nim-gke:gpuPool.spot",
        "nim-gke:gpuPool.maxNodes",
        "nim-gke:cluster.relaseChannel",
        "nim-gke:nim.models[0].tag",
    }


def test_several_meaning_mistakes_are_reported_together():
    raw = raw_stack("dev")
    for path, value in [
        ("gcp:project", "X"),
        ("nim-gke:gpuPool.gpuCount", 2),
        ("nim-gke:gpuPool.minNodes", 5),
        ("nim-gke:nim.chartVersion", "latest"),
        ("nim-gke:nim.storageClass", "fast"),
        ("nim-gke:nim.models[0].cacheSize", "lots"),
    ]:
        with_value(raw, path, value)
    problems = problems_for(raw, ngc=(False, False))
    assert len(problems) == 7
    message = str(ConfigError("dev", problems))
    assert message.startswith("stack 'dev': 7 config problems; nothing was created:")
    assert message.count("\n  - ") == 7


def test_unknown_image_is_accepted_with_its_memory_need_stated():
    raw = raw_stack("dev")
    with_value(
        raw,
        "nim-gke:nim.models[0]",
        {
            "name": "acme/mystery-7b",
            "image": "nvcr.io/nim/acme/mystery-7b",
            "tag": "1.0.0",
            "gpuMemoryGb": 18,
            "paramsBillion": 7,
            "release": "mystery",
        },
    )
    cfg = parse("dev", raw, (True, True))
    (plan,) = cfg.models
    assert (plan.image, plan.gpu_memory_needed_gb, plan.release) == (
        "nvcr.io/nim/acme/mystery-7b",
        18,
        "mystery",
    )
    with_value(raw, "nim-gke:nim.models[0].gpuMemoryGb", 30)
    (problem,) = problems_for(raw)
    assert "needs about 30.0 GB" in str(problem) and "1 x 24 GB = 24 GB" in str(problem)


@pytest.mark.parametrize(
    ("pool", "fits"),
    [
        ({"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "gpuCount": 2}, True),
        ({"machineType": "g2-standard-24", "gpuType": "nvidia-l4", "gpuCount": 2}, True),
        ({"machineType": "a2-highgpu-1g", "gpuType": "nvidia-l4", "gpuCount": 1}, False),
        ({"machineType": "n1-standard-8", "gpuType": "nvidia-tesla-t4", "gpuCount": 3}, False),
    ],
)
def test_machine_and_gpu_pairs(pool, fits):
    raw = raw_stack("dev")
    raw["nim-gke:gpuPool"].update(pool)
    if fits:
        assert parse("dev", raw, (True, True)).gpu_machine.name == pool["machineType"]
    else:
        assert problems_for(raw)[0].key.startswith("nim-gke:gpuPool.gpu")


def test_valid_stacks_parse_with_resolved_defaults():
    dev = load_stack_file(ROOT / "Pulumi.dev.yaml")
    prod = load_stack_file(ROOT / "Pulumi.prod.yaml")
    (model,) = dev.models
    assert (model.image, model.cpu, model.memory, model.release) == (
        "nvcr.io/nim/meta/llama3-8b-instruct",
        "3",
        "12Gi",
        "llama3-8b",
    )
    assert dev.cluster_location == "us-central1-a" and prod.cluster_location == "us-central1"
    assert prod.gpu_zones == ["us-central1-a", "us-central1-c"]
    assert dev.cache_disk_type == "pd-balanced" and prod.cache_disk_type == "pd-ssd"


def test_stack_file_yes_is_a_string_as_in_pulumi(tmp_path: Path):
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("spot: true ", "spot: yes  ")
    assert "spot: yes" in text
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_stack_file(path)
    assert "nim-gke:gpuPool.spot = 'yes': must be true or false" in str(err.value)


def test_program_stops_before_registering_any_resource():
    config = stack_config("dev", **{"nim-gke:gpuPool": {"machineType": "g2-standard-5"}})
    with pytest.raises(Exception) as err:
        run_program("dev", config, [])
    assert "nim-gke:gpuPool.machineType = 'g2-standard-5'" in str(err.value)
    assert "nothing was created" in str(err.value)
    # The mocks saw nothing: validation ran before the first resource.
    from tests import conftest  # noqa: PLC0415

    assert conftest.LAST_RUN is not None and conftest.LAST_RUN.mocks.resources == []


def test_host_memory_risk_is_a_warning_not_an_error():
    dev = load_stack_file(ROOT / "Pulumi.dev.yaml")
    (warning,) = dev.warnings
    assert warning.startswith("nim-gke:nim.models[0].memory = '12Gi'")
    assert "about 15 GB of host memory" in warning and "g2-standard-8" in warning
    raw = raw_stack("dev")
    raw["nim-gke:gpuPool"]["machineType"] = "g2-standard-8"
    assert parse("dev", raw, (True, True)).warnings == ()
