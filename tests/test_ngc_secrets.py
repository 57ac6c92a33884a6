"""Contract tests of the NGC secrets: key names, pull secret format, secretness."""

from __future__ import annotations

import base64
import json

import pulumi
import pytest

from components.ngc_secrets import NgcSecrets, NgcSecretsArgs, docker_config_json
from tests.conftest import FAKE_NGC_KEY, is_secret, plain_strings, resolve, unwrap

SECRET = "kubernetes:core/v1:Secret"


def build(**overrides):
    args = NgcSecretsArgs(ngc_api_key=FAKE_NGC_KEY, **overrides)
    ngc = NgcSecrets("ngc", args)
    return resolve(
        lambda: {
            "ns": ngc.namespace,
            "pull": ngc.pull_secret_name,
            "api": ngc.api_secret_name,
        }
    )


def test_api_key_secret_has_the_key_the_chart_reads(mocks):
    out = build()
    api = mocks.named("ngc-api-key").inputs
    assert api["type"] == "Opaque"
    assert api["metadata"]["name"] == out["api"] == "ngc-api"
    assert api["metadata"]["namespace"] == "nim"
    data = unwrap(api["stringData"])
    # FACTS 1: the chart reads key NGC_API_KEY; a Secret with only NGC_CLI_API_KEY fails.
    assert data["NGC_API_KEY"] == FAKE_NGC_KEY
    assert data["NGC_CLI_API_KEY"] == FAKE_NGC_KEY


def test_pull_secret_is_a_valid_nvcr_docker_config(mocks):
    out = build()
    pull = mocks.named("ngc-registry").inputs
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    assert pull["metadata"]["name"] == out["pull"] == "ngc-registry"
    doc = json.loads(unwrap(pull["stringData"])[".dockerconfigjson"])
    entry = doc["auths"]["nvcr.io"]
    assert entry["username"] == "$oauthtoken"
    assert entry["password"] == FAKE_NGC_KEY
    assert base64.b64decode(entry["auth"]).decode() == f"$oauthtoken:{FAKE_NGC_KEY}"


def test_key_is_secret_wherever_it_appears(mocks):
    build()
    for secret in mocks.of_type(SECRET):
        data = secret.inputs["stringData"]
        assert all(is_secret(v) or is_secret(data) for v in data.values()), secret.name
        leaked = [p for p, s in plain_strings(secret.inputs) if FAKE_NGC_KEY in s]
        assert leaked == [], f"{secret.name} has the key in plain text at {leaked}"


def test_plain_string_key_is_wrapped_secret(mocks):
    """Even a key passed as a plain str never reaches a resource unmarked."""
    NgcSecrets("ngc", NgcSecretsArgs(ngc_api_key=pulumi.Output.from_input(FAKE_NGC_KEY)))
    resolve(lambda: None)
    for r in mocks.resources:
        assert not [p for p, s in plain_strings(r.inputs) if FAKE_NGC_KEY in s], r.name


def test_namespace_is_labelled_for_pod_security(mocks):
    out = build(namespace="llm", pod_security="restricted")
    ns = mocks.one("kubernetes:core/v1:Namespace").inputs
    assert ns["metadata"]["name"] == out["ns"] == "llm"
    labels = ns["metadata"]["labels"]
    assert labels["app.kubernetes.io/part-of"] == "nim-gke"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_children_parented_and_named_after_component(mocks):
    build()
    children = [u for u in mocks.urns() if "nim-gke:ngc:NgcSecrets$" in u]
    assert {u.rsplit("::", 1)[1] for u in children} == {
        "ngc-namespace",
        "ngc-registry",
        "ngc-api-key",
    }


def test_docker_config_json_round_trip():
    doc = json.loads(docker_config_json("k"))
    assert doc == {
        "auths": {
            "nvcr.io": {
                "username": "$oauthtoken",
                "password": "k",
                "auth": base64.b64encode(b"$oauthtoken:k").decode(),
            }
        }
    }


def test_rejects_unknown_pod_security_level():
    with pytest.raises(ValueError, match="pod_security must be one of"):
        NgcSecretsArgs(ngc_api_key="k", pod_security="strict")
