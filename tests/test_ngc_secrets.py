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
    # The chart reads key NGC_API_KEY (templates/deployment.yaml secretKeyRef); a Secret with
    # only NGC_CLI_API_KEY fails.
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


# --- the key as stored: a shell here-string adds a newline --------------------------------------
# GNU Bash manual, 3.6.7 Here Strings (www.gnu.org/software/bash/manual/bash.html#Here-Strings):
# "The result is supplied as a single string, with a newline appended, to the command on its
# standard input". `gcloud secrets create ngc-api-key --data-file=- <<< "nvapi-..."` stores it.


@pytest.mark.parametrize("stored", [FAKE_NGC_KEY + "\n", f"  {FAKE_NGC_KEY}\r\n", FAKE_NGC_KEY])
def test_a_key_stored_with_whitespace_reaches_the_secrets_without_it_still_secret(mocks, stored):
    NgcSecrets("ngc", NgcSecretsArgs(ngc_api_key=stored))
    resolve(lambda: None)
    api, pull = mocks.named("ngc-api-key").inputs, mocks.named("ngc-registry").inputs
    for data in (api["stringData"], pull["stringData"]):
        assert is_secret(data) or all(is_secret(v) for v in data.values())
    assert unwrap(api["stringData"]) == {
        "NGC_API_KEY": FAKE_NGC_KEY,
        "NGC_CLI_API_KEY": FAKE_NGC_KEY,
    }
    doc = unwrap(pull["stringData"])[".dockerconfigjson"]
    entry = json.loads(doc)["auths"]["nvcr.io"]
    assert entry["password"] == FAKE_NGC_KEY
    assert base64.b64decode(entry["auth"]).decode() == f"$oauthtoken:{FAKE_NGC_KEY}"
    assert "\n" not in doc


def test_clean_ngc_key_is_a_secret_output(mocks):
    from components.ngc_secrets import clean_ngc_key  # noqa: PLC0415

    out = clean_ngc_key(FAKE_NGC_KEY + "\n")
    assert resolve(lambda: out) == FAKE_NGC_KEY
    assert resolve(out.is_secret) is True


def test_the_stored_version_warning_names_the_fix_never_the_key():
    from components.ngc_secrets import stored_key_warning  # noqa: PLC0415

    version = "projects/1/secrets/ngc-api-key/versions/3"
    assert stored_key_warning("ngc-api-key", version, FAKE_NGC_KEY) is None
    warning = stored_key_warning("ngc-api-key", version, FAKE_NGC_KEY + "\n")
    assert warning is not None and FAKE_NGC_KEY not in warning
    assert (
        "printf '%s' \"$NGC_API_KEY\" | gcloud secrets versions add ngc-api-key --data-file=-"
        in (warning)
    )


def test_prod_strips_the_secret_manager_key_and_warns_about_the_stored_version(monkeypatch, caplog):
    """prod reads the key from Secret Manager: a version written with `<<<` carries a newline.
    Every consumer gets it stripped and secret; preview warns that the mirror, which reads the
    stored version itself, would still send the newline to nvcr.io."""
    from nimctl import mock_engine  # noqa: PLC0415
    from tests.conftest import SECRET_MANAGER_KEY, run_program, stack_config  # noqa: PLC0415

    monkeypatch.setattr(mock_engine, "SECRET_MANAGER_KEY", SECRET_MANAGER_KEY + "\n")
    with caplog.at_level("WARNING"):
        run = run_program("prod", stack_config("prod"))
    api = unwrap(run.mocks.named("ngc-api-key").inputs["stringData"])
    assert api["NGC_API_KEY"] == SECRET_MANAGER_KEY
    release = run.mocks.one("kubernetes:helm.sh/v3:Release").inputs
    opts = release["repositoryOpts"]
    assert is_secret(opts) or is_secret(opts["password"])
    assert unwrap(opts)["password"] == SECRET_MANAGER_KEY
    (warning,) = [
        r.getMessage() for r in caplog.records if "surrounding whitespace" in r.getMessage()
    ]
    assert warning.startswith("security.ngcSecret 'ngc-api-key' (projects/123456789012/secrets/")
    assert SECRET_MANAGER_KEY not in warning
