"""An Artifact Registry remote repository of Docker Hub in the stack's region, beside the nvcr.io
mirror (``components/image_mirror.py``): the images the stack runs from Docker Hub (the wake
signal's Python) come through it, pinned by digest, so the nodes never pull from Docker Hub.

- A DOCKER repository in ``REMOTE_REPOSITORY`` mode whose upstream is Docker Hub,
  ``remote_repository_config.docker_repository.public_repository = DOCKER_HUB``
  (pulumi/pulumi-gcp@v9.37.1:sdk/python/pulumi_gcp/artifactregistry/repository.py, example
  "Artifact Registry Repository Remote"; ``RepositoryRemoteRepositoryConfigDockerRepositoryArgsDict
  .public_repository``: "Possible values are: ``DOCKER_HUB``").
- "The first time that you request a version of a package, Artifact Registry downloads and caches
  the package in the remote repository. The next time you request the same package version,
  Artifact Registry serves the cached copy" (cloud.google.com/artifact-registry/docs/repositories/
  remote-overview): Docker Hub is asked once per digest, by Artifact Registry, not by every node
  through the stack's one Cloud NAT address.
- No upstream credentials: Docker Hub's official images are public.
- The nodes pull with their own service account, which holds ``roles/artifactregistry.reader`` on
  the project (``components/cluster.py`` NODE_ROLES), the grant the nvcr.io mirror relies on too:
  no image pull Secret.
- Docker Hub's official images live under ``library/``: a one-part name on docker.io is
  normalised to ``library/<name>`` before any request ("to convert "ubuntu" to
  "docker.io/library/ubuntu:latest"", distribution/reference, normalize.go ``splitDockerDomain``,
  https://github.com/distribution/reference/blob/main/normalize.go), so the name Docker Hub's
  registry serves is ``library/python``. The image asks the remote repository for that canonical
  name, ``<region>-docker.pkg.dev/<project>/<repository>/library/python@sha256:...``, not for a
  short form only clients expand. That Artifact Registry forwards the path unchanged is read from
  its remote-repository pages, not yet observed on a project (docs/status.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.image_mirror import remote_repository, url_of

TYPE = "nim-gke:registry:DockerHubCache"
UPSTREAM = "DOCKER_HUB"
REPOSITORY_SUFFIX = "-dockerhub"
"""The repository id is ``<cluster name>-dockerhub``: one per stack, so two stacks in a project do
not share (or delete) each other's."""


def repository_id(cluster_name: str) -> str:
    return f"{cluster_name}{REPOSITORY_SUFFIX}"


@dataclass(frozen=True, kw_only=True)
class DockerHubCacheArgs:
    project: str
    region: str
    """The stack's region: the nodes pull from the same region."""
    repository_id: str


class DockerHubCache(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    """``<region>-docker.pkg.dev/<project>/<repository>``: replaces ``docker.io`` in image names."""

    def __init__(
        self, name: str, args: DockerHubCacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        repo = remote_repository(
            f"{name}-repository",
            project=args.project,
            region=args.region,
            repository_id=args.repository_id,
            description="nim-gke: pull-through cache of Docker Hub (the wake signal's image)",
            remote={
                "description": "Docker Hub, anonymous (official images)",
                "docker_repository": {"public_repository": UPSTREAM},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.repository_url = url_of(repo)
        self.register_outputs({"repository_url": self.repository_url})
