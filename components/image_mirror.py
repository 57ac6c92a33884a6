"""An Artifact Registry remote repository in front of nvcr.io, so GPU nodes pull the NIM image from
the stack's own region (and can stream it) instead of across the internet from nvcr.io.

How it authenticates to nvcr.io, and with what (sources next to each use):

- A DOCKER repository in ``REMOTE_REPOSITORY`` mode whose upstream is a user-defined registry,
  ``common_repository.uri = https://nvcr.io``, with
  ``upstream_credentials.username_password_credentials``: the username
  and the *Secret Manager secret version* holding the password, as
  ``projects/{project}/secrets/{secret}/versions/{version}`` (pulumi-gcp 9.37
  ``RepositoryRemoteRepositoryConfigUpstreamCredentialsUsernamePasswordCredentialsArgsDict``;
  its example "Artifact Registry Repository Remote Docker Custom With Auth"). nvcr.io takes the
  NGC key as password for the user ``$oauthtoken`` (NIM for LLMs, "Installation": ``docker
  login nvcr.io --username '$oauthtoken'``).
- The Artifact Registry service agent ``service-<project number>@gcp-sa-artifactregistry.iam.
  gserviceaccount.com`` reads that secret on the repository's behalf and needs
  ``roles/secretmanager.secretAccessor`` on it (Artifact Registry docs, "Configure remote
  repository authentication to upstream sources": "grant the Artifact Registry service agent the
  Secret Manager Secret Accessor role" on the secret). The grant is on the one secret, never on
  the project.
- That agent does not exist in a fresh project until something creates it: Google creates it with
  the first repository, or on request (``services.generateServiceIdentity``, "gcloud beta services
  identity create --service=artifactregistry.googleapis.com":
  cloud.google.com/artifact-registry/docs/ar-service-account), and a grant to it before then fails
  (hashicorp/terraform-provider-google#15572). So the component creates it first
  (``gcp.projects.ServiceIdentity``, the provider's google_project_service_identity) and grants
  the member that resource returns, which also orders the grant after it.
- The version is a number, not ``latest``: prod passes the version Secret Manager resolved when the
  key was read (``get_secret_version_access(...).name``); dev passes the version this component
  creates. Rotating the key is a new version and a ``pulumi up``.

Nodes pull from ``<region>-docker.pkg.dev/<project>/<repository>/<path on nvcr.io>`` (the remote
repository keeps the upstream's path, as its Docker Hub example ``.../library/IMAGE`` shows) with
their own service account, which holds ``roles/artifactregistry.reader`` (``components/cluster.py``
NODE_ROLES): no image pull Secret is needed for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

TYPE = "nim-gke:registry:ImageMirror"
UPSTREAM = "https://nvcr.io"
UPSTREAM_HOST = "nvcr.io"
UPSTREAM_USER = "$oauthtoken"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"


def registry_host(region: str) -> str:
    """Artifact Registry's Docker host for a region, e.g. ``us-central1-docker.pkg.dev``."""
    return f"{region}-docker.pkg.dev"


def repository_url(region: str, project: str, repository_id: str) -> str:
    """The image prefix that replaces ``nvcr.io`` for images pulled through the mirror."""
    return f"{registry_host(region)}/{project}/{repository_id}"


def remote_repository(
    name: str,
    *,
    project: str,
    region: str,
    repository_id: str,
    description: str,
    remote: gcp.artifactregistry.RepositoryRemoteRepositoryConfigArgsDict,
    opts: pulumi.ResourceOptions,
) -> gcp.artifactregistry.Repository:
    """A DOCKER repository in ``REMOTE_REPOSITORY`` mode in the stack's region: a pull-through
    cache of the upstream ``remote`` names (this mirror's nvcr.io, the Docker Hub cache's)."""
    return gcp.artifactregistry.Repository(
        name,
        project=project,
        location=region,
        repository_id=repository_id,
        format="DOCKER",
        mode="REMOTE_REPOSITORY",
        description=description,
        labels={"part-of": "nim-gke"},
        remote_repository_config=remote,
        opts=opts,
    )


def url_of(repo: gcp.artifactregistry.Repository) -> pulumi.Output[str]:
    """:func:`repository_url` of a repository, from its outputs."""
    return pulumi.Output.all(repo.location, repo.project, repo.repository_id).apply(
        lambda v: repository_url(str(v[0]), str(v[1]), str(v[2]))
    )


AGENT_SERVICE = "artifactregistry.googleapis.com"
"""The service whose agent reads the NGC key secret for the remote repository."""


@dataclass(frozen=True, kw_only=True)
class ImageMirrorArgs:
    project: str
    region: str
    repository_id: str
    ngc_api_key: pulumi.Input[str] | None = None
    """The key, when the stack holds it (dev): stored in a secret the component owns."""
    existing_secret: str | None = None
    """Secret Manager secret id that already holds the key (prod's ``security.ngcSecret``)."""
    existing_version: pulumi.Input[str] | None = None
    """The resolved version name of ``existing_secret`` (``projects/.../versions/N``)."""
    secret_id: str = "nim-gke-ngc-api-key"
    """Id of the secret the component creates (with ``ngc_api_key``)."""

    def __post_init__(self) -> None:
        if (self.ngc_api_key is None) == (self.existing_secret is None):
            raise ValueError("give exactly one of ngc_api_key and existing_secret")
        if self.existing_secret is not None and self.existing_version is None:
            raise ValueError("existing_secret needs existing_version")


class ImageMirror(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    """``<region>-docker.pkg.dev/<project>/<repository>``: replaces ``nvcr.io`` in image names."""
    secret_version: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageMirrorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.ngc_api_key is not None:
            secret = gcp.secretmanager.Secret(
                f"{name}-ngc-key",
                project=args.project,
                secret_id=args.secret_id,
                replication={"auto": {}},
                labels={"part-of": "nim-gke"},
                opts=child,
            )
            secret_ref: pulumi.Input[str] = secret.secret_id
            version = gcp.secretmanager.SecretVersion(
                f"{name}-ngc-key-version",
                secret=secret.id,
                secret_data=pulumi.Output.secret(args.ngc_api_key),
                # The payload stays encrypted in state whatever the provider schema says.
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["secretData"]),
            )
            version_name: pulumi.Input[str] = version.name
            grant_deps: list[pulumi.Resource] = [secret]
        else:
            secret_ref = args.existing_secret  # type: ignore[assignment]  # checked above
            version_name = args.existing_version  # type: ignore[assignment]
            grant_deps = []
        agent = gcp.projects.ServiceIdentity(
            f"{name}-agent", project=args.project, service=AGENT_SERVICE, opts=child
        )
        grant = gcp.secretmanager.SecretIamMember(
            f"{name}-agent-reads-key",
            project=args.project,
            secret_id=secret_ref,
            role=SECRET_ACCESSOR,
            # The member the agent resource returns (serviceAccount:<its email>): the grant waits
            # for the agent to exist.
            member=agent.member,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*grant_deps, agent]),
        )
        repo = remote_repository(
            f"{name}-repository",
            project=args.project,
            region=args.region,
            repository_id=args.repository_id,
            description="nim-gke: pull-through cache of nvcr.io (NIM images)",
            remote={
                "description": "nvcr.io, authenticated with the NGC API key",
                # common_repository, not docker_repository.custom_repository (deprecated in
                # pulumi-gcp 9: "[Deprecated, please use commonRepository instead]"); its example
                # "Remote Common Repository With Custom Upstream" takes a registry URI with
                # upstream credentials, as here.
                "common_repository": {"uri": UPSTREAM},
                "upstream_credentials": {
                    "username_password_credentials": {
                        "username": UPSTREAM_USER,
                        "password_secret_version": version_name,
                    }
                },
            },
            # The agent must be able to read the key before the repository's first pull.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )
        self.repository_url = url_of(repo)
        self.secret_version = pulumi.Output.from_input(version_name)
        self.register_outputs(
            {"repository_url": self.repository_url, "secret_version": self.secret_version}
        )
