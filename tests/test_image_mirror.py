"""Contract tests of the nvcr.io mirror: an Artifact Registry remote repository authenticated with
the NGC key from Secret Manager, read by the Artifact Registry service agent and nobody else."""

from __future__ import annotations

import pytest

from components.image_mirror import ImageMirror, ImageMirrorArgs, repository_url
from nimctl.mock_engine import is_secret, plain_strings
from tests.conftest import FAKE_NGC_KEY, resolve

REPOSITORY = "gcp:artifactregistry/repository:Repository"
SECRET = "gcp:secretmanager/secret:Secret"
VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
GRANT = "gcp:secretmanager/secretIamMember:SecretIamMember"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
AGENT = "serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com"


def build(**overrides):
    base = dict(
        project="my-project",
        region="us-central1",
        repository_id="nvcr-remote",
    )
    base.update(overrides)
    mirror = ImageMirror("registry", ImageMirrorArgs(**base))
    return resolve(lambda: {"url": mirror.repository_url, "version": mirror.secret_version})


def test_key_from_config_goes_into_a_secret_the_stack_owns_marked_secret(mocks):
    out = build(ngc_api_key=FAKE_NGC_KEY, secret_id="nim-dev-ngc-api-key")
    secret = mocks.one(SECRET)
    assert secret.inputs == {
        "project": "my-project",
        "secretId": "nim-dev-ngc-api-key",
        "replication": {"auto": {}},
        "labels": {"part-of": "nim-gke"},
    }
    version = mocks.one(VERSION)
    assert version.inputs["secret"] == "projects/my-project/secrets/nim-dev-ngc-api-key"
    assert is_secret(version.inputs["secretData"])
    for r in mocks.resources:
        assert [p for p, s in plain_strings(r.inputs) if FAKE_NGC_KEY in s] == [], r.name
    assert mocks.options["registry-ngc-key-version"]["dependencies"]  # after the secret
    assert out["version"] == "projects/123456789012/secrets/nim-dev-ngc-api-key/versions/1"


def test_the_repository_is_a_remote_docker_repository_of_nvcr_with_the_ngc_user(mocks):
    out = build(ngc_api_key=FAKE_NGC_KEY)
    repo = mocks.one(REPOSITORY).inputs
    assert repo == {
        "project": "my-project",
        "location": "us-central1",
        "repositoryId": "nvcr-remote",
        "format": "DOCKER",
        "mode": "REMOTE_REPOSITORY",
        "description": "nim-gke: pull-through cache of nvcr.io (NIM images)",
        "labels": {"part-of": "nim-gke"},
        "remoteRepositoryConfig": {
            "description": "nvcr.io, authenticated with the NGC API key",
            "commonRepository": {"uri": "https://nvcr.io"},
            "upstreamCredentials": {
                "usernamePasswordCredentials": {
                    "username": "$oauthtoken",
                    # a numbered version, never "latest"
                    "passwordSecretVersion": "projects/123456789012/secrets/"
                    "nim-gke-ngc-api-key/versions/1",
                }
            },
        },
    }
    assert out["url"] == "us-central1-docker.pkg.dev/my-project/nvcr-remote"
    assert repository_url("europe-west4", "p", "r") == "europe-west4-docker.pkg.dev/p/r"


def test_only_the_artifact_registry_agent_may_read_only_that_secret(mocks):
    build(ngc_api_key=FAKE_NGC_KEY, secret_id="nim-dev-ngc-api-key")
    (grant,) = mocks.of_type(GRANT)
    assert grant.inputs == {
        "project": "my-project",
        "secretId": "nim-dev-ngc-api-key",
        "role": "roles/secretmanager.secretAccessor",
        "member": AGENT,
    }
    # No project-wide grant of any kind.
    assert [r.typ for r in mocks.resources if "iam" in r.typ.lower()] == [GRANT]
    # The member is the one the agent resource returned (the mock cloud answers what
    # services.generateServiceIdentity does), not an address built from the project number.
    assert grant.inputs["member"] == mocks.state["registry-agent"]["member"]
    # The repository is created after the grant (its first pull reads the key).
    repo_deps = mocks.options["registry-repository"]["dependencies"]
    assert any(d.endswith("::registry-agent-reads-key") for d in repo_deps)


def test_an_existing_secret_is_granted_and_used_at_its_resolved_version(mocks):
    build(
        existing_secret="ngc-api-key",
        existing_version="projects/123456789012/secrets/ngc-api-key/versions/3",
    )
    assert mocks.of_type(SECRET) == [] and mocks.of_type(VERSION) == []
    (grant,) = mocks.of_type(GRANT)
    assert (grant.inputs["secretId"], grant.inputs["member"]) == ("ngc-api-key", AGENT)
    creds = mocks.one(REPOSITORY).inputs["remoteRepositoryConfig"]["upstreamCredentials"]
    assert creds["usernamePasswordCredentials"]["passwordSecretVersion"] == (
        "projects/123456789012/secrets/ngc-api-key/versions/3"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "give exactly one of ngc_api_key and existing_secret"),
        (
            {"ngc_api_key": "k", "existing_secret": "s", "existing_version": "v"},
            "give exactly one of ngc_api_key and existing_secret",
        ),
        ({"existing_secret": "s"}, "existing_secret needs existing_version"),
    ],
)
def test_args_name_one_source_of_the_key(overrides, message):
    with pytest.raises(ValueError, match=message):
        ImageMirrorArgs(project="p", region="us-central1", repository_id="r", **overrides)


@pytest.mark.parametrize(
    "key",
    [
        {"ngc_api_key": FAKE_NGC_KEY},
        {
            "existing_secret": "ngc-api-key",
            "existing_version": "projects/1/secrets/ngc-api-key/versions/3",
        },
    ],
)
def test_the_artifact_registry_agent_is_created_before_it_is_granted(mocks, key):
    """In a fresh project the Artifact Registry service agent does not exist until the first
    repository, or services.generateServiceIdentity, creates it
    (cloud.google.com/artifact-registry/docs/ar-service-account: "gcloud beta services identity
    create --service=artifactregistry.googleapis.com"), and granting it a role before then fails
    (hashicorp/terraform-provider-google#15572). The component creates it
    (google_project_service_identity) and grants the member it returns, after it."""
    build(**key)
    (agent,) = mocks.of_type(IDENTITY)
    assert agent.inputs == {"project": "my-project", "service": "artifactregistry.googleapis.com"}
    order = [r.name for r in mocks.resources]
    assert order.index("registry-agent") < order.index("registry-agent-reads-key")
    deps = mocks.options["registry-agent-reads-key"]["dependencies"]
    assert any(d.endswith("::registry-agent") for d in deps)
