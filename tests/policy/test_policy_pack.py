"""The pack as the Pulumi CLI loads it: PulumiPolicy.yaml, `policy/__main__.py` run as a directory
(without starting the gRPC server), the config files, and the SDK's own analyzer servicer fed
with engine-shaped requests (secret markers, unknown sentinels, policy config) to show what each
stack's enforcement level and what a secret look like to the rules."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import struct_pb2
from policy_cases import API_KEY_SECRET, CLUSTER, NAMESPACE_OUT, NS_URN, RELEASE, URN, edit
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policy.nim_gke_policies.model import UNKNOWN
from policy.nim_gke_policies.pack import UndecidedDuringPreview, to_plain

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"

RESOURCE_POLICIES = [
    "gke-private-cluster",
    "gke-workload-identity",
    "gke-cluster-hardening",
    "gke-secrets-encryption",
    "gke-upgrade-policy",
    "gke-deletion-protection",
    "gke-gpu-monitoring",
    "gke-node-pool-hardening",
    "gke-node-pool-management",
    "gke-compute-class-pool",
    "gke-gpu-driver",
    "no-public-load-balancer",
    "nim-ngc-credentials",
    "nim-gpu-scheduling",
    "ngc-secret-values-secret",
    "nim-namespace-pod-security",
    "workload-images-pinned",
]
STACK_POLICIES = [
    "nim-namespace-default-deny",
    "nim-namespace-pod-monitoring",
    "nim-release-in-labelled-namespace",
    "compute-class-pools-associated",
]


@pytest.fixture(scope="module")
def pack_args() -> dict[str, Any]:
    # Exactly how the CLI's analyzer runs the pack (runpy.run_path on the directory, which puts it
    # on sys.path), except for run_name: anything but "__main__" skips PolicyPack(), whose
    # constructor starts the gRPC server and blocks forever.
    module_globals = runpy.run_path(str(POLICY_DIR), run_name="nim_gke_policy_pack_under_test")
    assert module_globals["PolicyPack"] is PolicyPack
    return module_globals["pack_args"]()


def secret(value: Any) -> dict[str, Any]:
    """A secret as the engine marshals it to analyzers (KeepSecrets: true)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


def servicer(pack_args: dict[str, Any]) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(
        pack_args["name"], "0.1.0", pack_args["policies"], pack_args["enforcement_level"]
    )


def configure_like_the_cli(server: _PolicyAnalyzerServicer, config_file: Path) -> None:
    """Mirror of the engine's ReconcilePolicyPackConfig/applyConfig for a --policy-pack-config
    file: start from each policy's level and schema defaults, apply "all", then per-policy entries
    (a level string, or an object with an optional enforcementLevel and properties)."""
    config = json.loads(config_file.read_text())
    info = server.GetAnalyzerInfo(None, None)
    levels = {p.name: p.enforcementLevel for p in info.policies}
    props: dict[str, dict[str, Any]] = {p.name: {} for p in info.policies}
    by_name = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "disabled": proto.DISABLED}
    if isinstance(config.get("all"), str):
        levels = dict.fromkeys(levels, by_name[config["all"]])
    for name, value in config.items():
        if name == "all":
            continue
        if isinstance(value, str):
            levels[name] = by_name[value]
        else:
            entry = dict(value)
            if "enforcementLevel" in entry:
                levels[name] = by_name[entry.pop("enforcementLevel")]
            props[name].update(entry)
    request = proto.ConfigureAnalyzerRequest(
        policyConfig={
            name: proto.PolicyConfig(enforcementLevel=levels[name], properties=struct(props[name]))
            for name in levels
        }
    )
    server.Configure(request, None)


def analyze(
    server: _PolicyAnalyzerServicer,
    type_: str,
    props: dict[str, Any],
    secret_outputs: tuple[str, ...] = (),
) -> list[Any]:
    request = proto.AnalyzeRequest(
        urn=f"{URN}{type_}::nim",
        type=type_,
        name="nim",
        properties=struct(props),
        options=proto.AnalyzerResourceOptions(additionalSecretOutputs=list(secret_outputs)),
    )
    return list(server.Analyze(request, None).diagnostics)


# --- files -----------------------------------------------------------------------------------


def test_pulumi_policy_yaml_declares_a_python_pack_with_its_own_venv():
    manifest = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    # The CLI's Python analyzer shim runs <pack dir>/<virtualenv>/bin/python -m pulumi.policy.
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert manifest["version"] == "0.1.0"
    assert manifest["description"]
    assert set(manifest) <= {"runtime", "version", "description", "main", "author", "license"}


def test_policy_venv_is_not_committed():
    ignored = (POLICY_DIR.parent / ".gitignore").read_text().splitlines()
    assert "venv/" in ignored  # matches policy/venv/ at any depth


def test_requirements_bound_pulumi_policy():
    lines = (POLICY_DIR / "requirements.txt").read_text().splitlines()
    assert "pulumi-policy>=1.21,<2" in lines
    assert "pulumi>=3.204,<4" in lines


@pytest.mark.parametrize(
    ("file", "all_level"), [("config.dev.json", "advisory"), ("config.prod.json", "mandatory")]
)
def test_config_files_use_the_cli_format(pack_args, file, all_level):
    config = json.loads((POLICY_DIR / file).read_text())
    assert config["all"] == all_level
    schemas = {p.name: p.config_schema for p in pack_args["policies"]}
    levels = {"advisory", "mandatory", "disabled"}
    for name, value in config.items():
        if name == "all":
            continue
        assert name in schemas, f"{file}: {name} is not a policy of the pack"
        if isinstance(value, str):
            assert value in levels
            continue
        assert value.get("enforcementLevel", "advisory") in levels
        for key in set(value) - {"enforcementLevel"}:
            assert schemas[name] is not None and key in schemas[name].properties, (file, key)


# --- the pack object -------------------------------------------------------------------------


def test_pack_lists_every_policy_mandatory_by_default(pack_args):
    assert pack_args["name"] == "nim-gke"
    assert pack_args["enforcement_level"] is EnforcementLevel.MANDATORY
    policies = pack_args["policies"]
    assert [p.name for p in policies] == RESOURCE_POLICIES + STACK_POLICIES
    assert all(isinstance(p, ResourceValidationPolicy) for p in policies[: len(RESOURCE_POLICIES)])
    assert all(isinstance(p, StackValidationPolicy) for p in policies[len(RESOURCE_POLICIES) :])
    # No policy pins its own level: "all" in a stack's config must be able to lower every one.
    assert {p.enforcement_level for p in policies} == {None}
    assert all(p.description and p.remediation_steps and p.severity for p in policies)


def test_configurable_policies_publish_their_schema_and_defaults(pack_args):
    schemas = {p.name: p.config_schema for p in pack_args["policies"] if p.config_schema}
    assert {name: s.properties for name, s in schemas.items()} == {
        "gke-upgrade-policy": {
            "allowedReleaseChannels": {
                "type": "array",
                "items": {"type": "string", "enum": ["RAPID", "REGULAR", "STABLE", "EXTENDED"]},
                "default": ["REGULAR", "STABLE"],
                "description": "Release channels the cluster may use.",
            }
        },
        "no-public-load-balancer": {
            "allowPublicLoadBalancer": {
                "type": "boolean",
                "default": False,
                "description": "Allow Services (and the NIM chart's service) of type "
                "LoadBalancer without the GKE internal load balancer annotation.",
            }
        },
        "nim-namespace-pod-security": {
            "minimumLevel": {
                "type": "string",
                "enum": ["baseline", "restricted"],
                "default": "restricted",
                "description": "Weakest Pod Security Standard the NIM namespace may enforce.",
            }
        },
    }


# --- through the SDK's analyzer, as the engine calls it ---------------------------------------

BAD_RELEASE = edit(RELEASE, (("values", "model", "ngcAPIKey"), secret("nvapi-REAL-LOOKING-KEY")))


def test_analyzer_info_reports_every_policy_mandatory(pack_args):
    info = servicer(pack_args).GetAnalyzerInfo(None, None)
    assert info.name == "nim-gke"
    assert info.supportsConfig
    assert [p.name for p in info.policies] == RESOURCE_POLICIES + STACK_POLICIES
    assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}


def test_prod_compliant_resources_produce_no_diagnostics(pack_args):
    server = servicer(pack_args)
    configure_like_the_cli(server, POLICY_DIR / "config.prod.json")
    assert analyze(server, "gcp:container/cluster:Cluster", CLUSTER) == []
    assert analyze(server, "kubernetes:helm.sh/v3:Release", RELEASE) == []
    assert (
        analyze(server, "kubernetes:core/v1:Secret", API_KEY_SECRET, ("data", "stringData")) == []
    )


@pytest.mark.parametrize(
    ("config_file", "level"),
    [
        ("config.prod.json", proto.MANDATORY),
        ("config.dev.json", proto.ADVISORY),
        (None, proto.MANDATORY),  # no --policy-pack-config at all: the pack default
    ],
)
def test_secret_ngc_key_in_values_is_reported_at_the_stacks_level(pack_args, config_file, level):
    server = servicer(pack_args)
    if config_file:
        configure_like_the_cli(server, POLICY_DIR / config_file)
    [diagnostic] = analyze(server, "kubernetes:helm.sh/v3:Release", BAD_RELEASE)
    assert diagnostic.policyName == "nim-ngc-credentials"
    assert diagnostic.enforcementLevel == level
    assert "values.model.ngcAPIKey is set" in diagnostic.message
    # The SDK hands the rule the decrypted value; the message must never echo it.
    assert "nvapi-REAL-LOOKING-KEY" not in diagnostic.message


def test_secret_outputs_option_reaches_the_secret_rule(pack_args):
    server = servicer(pack_args)
    [diagnostic] = analyze(server, "kubernetes:core/v1:Secret", API_KEY_SECRET)
    assert diagnostic.policyName == "ngc-secret-values-secret"
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "stringData carries NGC_API_KEY" in diagnostic.message


def test_policy_config_properties_reach_the_rule(pack_args, tmp_path):
    lb_release = edit(RELEASE, (("values", "service", "type"), "LoadBalancer"))
    server = servicer(pack_args)
    [diagnostic] = analyze(server, "kubernetes:helm.sh/v3:Release", lb_release)
    assert diagnostic.policyName == "no-public-load-balancer"

    relaxed = tmp_path / "config.json"
    relaxed.write_text(json.dumps({"no-public-load-balancer": {"allowPublicLoadBalancer": True}}))
    configure_like_the_cli(server, relaxed)
    assert analyze(server, "kubernetes:helm.sh/v3:Release", lb_release) == []


def test_single_policy_can_be_relaxed_or_disabled(pack_args, tmp_path):
    no_protection = edit(CLUSTER, (("deletionProtection",), False), (("datapathProvider",), None))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"all": "mandatory", "gke-deletion-protection": "disabled"}))
    server = servicer(pack_args)
    configure_like_the_cli(server, config)
    diagnostics = analyze(server, "gcp:container/cluster:Cluster", no_protection)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("gke-cluster-hardening", proto.MANDATORY)
    ]


def test_unknown_values_during_preview_become_an_advisory_note(pack_args):
    server = servicer(pack_args)
    preview_cluster = edit(
        CLUSTER,
        (("databaseEncryption", "keyName"), UNKNOWN_STRING_VALUE),
        (("deletionProtection",), False),
    )
    diagnostics = analyze(server, "gcp:container/cluster:Cluster", preview_cluster)
    assert [(d.policyName, d.enforcementLevel, d.message) for d in diagnostics] == [
        (
            "gke-secrets-encryption",
            proto.ADVISORY,
            "can't run policy 'gke-secrets-encryption' from policy pack 'nim-gke@v0.1.0' during "
            "preview: databaseEncryption.keyName can't be known during preview; `pulumi up` "
            "checks it again once known",
        ),
        (
            "gke-deletion-protection",
            proto.MANDATORY,
            "deletionProtection is true (unset = pulumi-gcp default true).\n"
            "deletionProtection is false: a stray `pulumi destroy` or a replacing change deletes "
            "the cluster. Remove it (pulumi-gcp defaults to true) or set deletion_protection=True.",
        ),
    ]


def test_unknown_ngc_key_is_still_a_violation(pack_args):
    server = servicer(pack_args)
    release = edit(RELEASE, (("values", "model", "ngcAPIKey"), secret(UNKNOWN_STRING_VALUE)))
    [diagnostic] = analyze(server, "kubernetes:helm.sh/v3:Release", release)
    assert (diagnostic.policyName, diagnostic.enforcementLevel) == (
        "nim-ngc-credentials",
        proto.MANDATORY,
    )


def test_stack_policy_points_at_the_namespace(pack_args):
    server = servicer(pack_args)
    namespace = proto.AnalyzerResource(
        urn=NS_URN,
        type="kubernetes:core/v1:Namespace",
        name="nim",
        properties=struct(NAMESPACE_OUT),
    )
    response = server.AnalyzeStack(proto.AnalyzeStackRequest(resources=[namespace]), None)
    assert sorted((d.policyName, d.urn, d.enforcementLevel) for d in response.diagnostics) == [
        ("nim-namespace-default-deny", NS_URN, proto.MANDATORY),
        ("nim-namespace-pod-monitoring", NS_URN, proto.MANDATORY),
    ]


# --- the adapter's conversion of SDK proxies -------------------------------------------------


def test_to_plain_unwraps_secrets_and_marks_unknowns():
    wire = {
        "a": secret("s3cr3t"),
        "b": UNKNOWN_STRING_VALUE,
        "c": [1.0, UNKNOWN_STRING_VALUE, {"d": secret({"e": True})}],
    }
    proxied = unknown_checking_proxy(deserialize_properties(wire))
    with pytest.raises(UnknownValueError):
        proxied["b"]  # noqa: B018 - the SDK proxy raises on unknowns; to_plain must not
    assert to_plain(proxied) == {
        "a": "s3cr3t",
        "b": UNKNOWN,
        "c": [1.0, UNKNOWN, {"d": {"e": True}}],
    }


def test_undecided_is_the_sdks_unknown_error():
    error = UndecidedDuringPreview(["a.b", "c"])
    assert isinstance(error, UnknownValueError)
    assert (
        error.message
        == "a.b, c can't be known during preview; `pulumi up` checks it again once known"
    )
