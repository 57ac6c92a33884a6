"""The Docker Hub cache (components/dockerhub_cache.py) and the images the stack runs outside the
nim-llm chart: each comes from one of the stack's Artifact Registry repositories or is pinned by
digest, and the wake signal's is both.

Sources: pulumi/pulumi-gcp@v9.37.1:sdk/python/pulumi_gcp/artifactregistry/repository.py (example
"Artifact Registry Repository Remote": ``mode: REMOTE_REPOSITORY``,
``remote_repository_config.docker_repository.public_repository: DOCKER_HUB``); Docker Hub's
canonical name of an official image, ``library/<name>`` (distribution/reference normalize.go
``splitDockerDomain``, https://github.com/distribution/reference/blob/main/normalize.go);
cloud.google.com/artifact-registry/docs/repositories/remote-overview (the first request of a
version is downloaded and cached, later ones are served from the cache);
docker-library/repo-info@2986dca3a80cb11b70fc4599941096374ea9e509:repos/python/remote/3.13-slim.md
(python:3.13-slim's index digest, read 2026-12-03).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from components.dockerhub_cache import DockerHubCache, DockerHubCacheArgs
from tests.conftest import resolve, unwrap
from tests.test_wake_signal_component import DEV_CANARY, WAKE_IMAGE, run

REPOSITORY = "gcp:artifactregistry/repository:Repository"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


def test_the_cache_is_a_remote_docker_repository_of_docker_hub(mocks):
    cache = DockerHubCache(
        "dockerhub",
        DockerHubCacheArgs(
            project="my-project", region="us-central1", repository_id="nim-dockerhub"
        ),
    )
    url = resolve(lambda: cache.repository_url)
    repo = mocks.one(REPOSITORY)
    assert repo.inputs == {
        "project": "my-project",
        "location": "us-central1",
        "repositoryId": "nim-dockerhub",
        "format": "DOCKER",
        "mode": "REMOTE_REPOSITORY",
        "description": "nim-gke: pull-through cache of Docker Hub (the wake signal's image)",
        "labels": {"part-of": "nim-gke"},
        "remoteRepositoryConfig": {
            "description": "Docker Hub, anonymous (official images)",
            "dockerRepository": {"publicRepository": "DOCKER_HUB"},
        },
    }
    # Anonymous: Docker Hub's official images are public; no credentials, no secret to read.
    assert "upstreamCredentials" not in repo.inputs["remoteRepositoryConfig"]
    assert url == "us-central1-docker.pkg.dev/my-project/nim-dockerhub"


def test_dev_creates_its_cache_in_its_region_and_the_cronjob_waits_for_it():
    (repo,) = [
        unwrap(r.inputs)
        for r in run("dev").mocks.of_type(REPOSITORY)
        if unwrap(r.inputs)["repositoryId"] == "nim-dev-dockerhub"
    ]
    assert (repo["project"], repo["location"]) == ("my-nim-dev-project", "us-central1")
    assert repo["remoteRepositoryConfig"]["dockerRepository"] == {"publicRepository": "DOCKER_HUB"}
    # The CronJob itself waits for the repository: its first run pulls through it.
    deps = run("dev").mocks.options["wake-signal-cronjob"]["dependencies"]
    assert any(d.endswith("::dockerhub-repository") for d in deps)
    # prod writes no wake signal, so it caches nothing from Docker Hub.
    assert [unwrap(r.inputs)["repositoryId"] for r in run("prod").mocks.of_type(REPOSITORY)] == [
        "nvcr-remote"
    ]


def test_the_nodes_that_run_the_cronjob_may_read_the_cache():
    """The CronJob runs on the system pool, whose nodes run as the stack's node service account;
    that account holds roles/artifactregistry.reader on the project, which covers every
    repository in it (the grant the nvcr.io mirror relies on)."""
    mocks = run("dev").mocks
    (system_pool,) = [
        unwrap(p.inputs)
        for p in mocks.of_type("gcp:container/nodePool:NodePool")
        if unwrap(p.inputs)["nodeConfig"].get("labels", {}).get("nim-gke/pool") == "system"
    ]
    account = system_pool["nodeConfig"]["serviceAccount"]
    readers = [
        unwrap(g.inputs)
        for g in mocks.of_type("gcp:projects/iAMMember:IAMMember")
        if unwrap(g.inputs)["role"] == "roles/artifactregistry.reader"
    ]
    assert readers == [
        {
            "project": "my-nim-dev-project",
            "role": "roles/artifactregistry.reader",
            "member": f"serviceAccount:{account}",
        }
    ]
    cron = unwrap(mocks.of_type("kubernetes:batch/v1:CronJob")[0].inputs)
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nim-gke/pool": "system"}


def _containers(obj: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every container and init container of a pod template, anywhere in ``obj``."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                for i, c in enumerate(value):
                    yield f"{path}.{key}[{i}]", c
            else:
                yield from _containers(value, f"{path}.{key}")
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _containers(item, f"{path}[{i}]")


@pytest.mark.parametrize("stack", ["dev", DEV_CANARY, "prod"])
def test_every_image_the_stack_runs_outside_the_chart_is_its_own_or_pinned(stack):
    """Outside the nim-llm chart (the Helm release's values are the chart's business), every
    container of every workload the stack creates comes from one of the stack's Artifact
    Registry repositories or names its image by digest."""
    mocks = run(stack).mocks
    prefixes = [
        f"{r['location']}-docker.pkg.dev/{r['project']}/{r['repositoryId']}/"
        for r in (unwrap(x.inputs) for x in mocks.of_type(REPOSITORY))
    ]
    found = {}
    for r in mocks.resources:
        if not r.typ.startswith("kubernetes:") or r.typ.split(":")[-1] not in WORKLOAD_KINDS:
            continue
        for where, container in _containers(unwrap(r.inputs)):
            found[f"{r.name}{where}"] = container["image"]
    for where, image in found.items():
        assert image.startswith(tuple(prefixes)) or DIGEST.search(image), (where, image)
    if stack == "prod":
        assert found == {}
    else:
        # The wake signal's image is both: the stack's cache, and a digest.
        assert list(found.values()) == [WAKE_IMAGE]
        assert WAKE_IMAGE.startswith(tuple(prefixes)) and DIGEST.search(WAKE_IMAGE)
