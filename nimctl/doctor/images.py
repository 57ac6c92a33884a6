"""Image pulls: nvcr.io refusing the credentials, a missing pull secret, a wrong tag, slow pulls;
and pulls through the Artifact Registry mirror of nvcr.io, whose refusals need mirror fixes (the
nodes' reader role, the repository, the mirror's upstream credentials), not NGC-key fixes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import event_time, fmt_duration, get, msg, name, quoted
from nimctl.doctor.wording import (
    RegistryRefusal,
    is_artifact_registry,
    registry_refusal,
    registry_status,
)


def check_image_pull(
    diag: Diagnosis,
    pod: dict[str, Any],
    events: list[dict[str, Any]],
    status: Mapping[str, Any],
    waiting_message: str,
) -> None:
    """A container in ErrImagePull / ImagePullBackOff: why the registry said no."""
    pod_name = name(pod)
    obj = f"pod/{pod_name}"
    image = str(status.get("image") or "the image")
    secrets = (
        ", ".join(s.get("name", "?") for s in get(pod, "spec", "imagePullSecrets") or []) or "none"
    )
    failures = [
        msg(e)
        for e in events
        if e.get("reason") == "Failed" and msg(e).startswith("Failed to pull image")
    ]
    detail = failures[-1] if failures else waiting_message
    missing_secret = [e for e in events if e.get("reason") == "FailedToRetrieveImagePullSecret"]
    text = detail.lower()
    answered = registry_status(detail)
    evidence = [detail]
    if is_artifact_registry(image) and _check_mirror_pull(diag, obj, image, detail):
        return
    if missing_secret:
        diag.add(
            "pull-secret-not-found",
            obj,
            f"the image pull secret ({secrets}) of pod {pod_name} does not exist, so {image} "
            "is pulled without credentials",
            [msg(missing_secret[-1]), detail],
            secrets=secrets,
        )
    elif answered == 401 or (answered is None and re.search(r"\b401\b|unauthorized", text)):
        if "anonymous token" in text or secrets == "none":
            diag.add(
                "image-pull-no-credentials",
                obj,
                f"nvcr.io answered 401 to an anonymous pull of {image}",
                evidence,
                secrets=secrets,
            )
        else:
            diag.add(
                "image-pull-unauthorized",
                obj,
                f"nvcr.io answered 401 Unauthorized when pulling {image}",
                evidence,
                secrets=secrets,
            )
    elif answered == 402 or "payment required" in text:
        diag.add(
            "image-pull-not-entitled",
            obj,
            f"nvcr.io answered 402 Payment Required when pulling {image}: the key is valid but "
            "its organization is not entitled to this NIM",
            evidence,
            image=image,
            secrets=secrets,
        )
    elif answered == 403 or (
        answered is None and re.search(r"\b403\b|forbidden|denied|insufficient_scope", text)
    ):
        diag.add(
            "image-pull-forbidden",
            obj,
            f"nvcr.io answered 403 Forbidden when pulling {image}",
            evidence,
            image=image,
        )
    elif answered == 404 or "not found" in text or "manifest unknown" in text:
        diag.add("image-not-found", obj, f"image {image} not found", evidence, image=image)
    else:
        diag.add(
            "image-pull-failed",
            obj,
            f"pulling {image} failed",
            evidence,
            image=image,
            pod=pod_name,
        )


def _check_mirror_pull(diag: Diagnosis, obj: str, image: str, detail: str) -> bool:
    """A pull from Artifact Registry (the stack's remote repository in front of nvcr.io). The
    nodes authenticate with their own service account, so a refusal at the token endpoint is the
    node's permission (403; gcpdiag's GKE image-pull runbook: "Verify the node SA has the correct
    permissions", GoogleCloudPlatform/gcpdiag@06ec8584ec59 gcpdiag/runbook/gke/templates/
    imagepull.jinja) or a repository that does not exist (404); a 502 is the remote repository's
    upstream answering with an error (cloud.google.com/artifact-registry/docs/troubleshoot-remote,
    "502 (bad gateway) error"). Other answers keep the general rules."""
    refusal = registry_refusal(detail)
    if refusal is None:
        # Clients that print Artifact Registry's own error instead of the status (crane,
        # containers/image): "DENIED: Permission \"artifactregistry.repositories.
        # downloadArtifacts\" denied on resource ..." (cloud.google.com/artifact-registry/docs/
        # troubleshoot, 403 errors).
        if not re.search(r"downloadArtifacts|\bdenied\b|forbidden|unauthorized", detail, re.I):
            return False
        refusal = RegistryRefusal(403, None)
    status = refusal.status
    if status in (401, 403):
        diag.add(
            "mirror-pull-forbidden",
            obj,
            f"Artifact Registry answered {status} to the node's request for {image}: the node "
            "may not read the mirror repository",
            [detail],
            status=status,
        )
    elif status == 404 and refusal.token_request:
        diag.add(
            "mirror-repository-not-found",
            obj,
            f"Artifact Registry answered 404 to the token request for {image}: the mirror "
            "repository in its path does not exist",
            [detail],
            image=image,
        )
    elif status in (502, 504):
        diag.add(
            "mirror-upstream-failed",
            obj,
            f"the mirror answered {status} for {image}: Artifact Registry could not fetch it "
            "from nvcr.io",
            [detail],
            image=image,
            status=status,
        )
    else:
        return False
    return True


def check_pulling(diag: Diagnosis, pod: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    """Scheduled, no container status yet, the latest pull event is ``Pulling``: still pulling."""
    pulls = [e for e in events if e.get("reason") in ("Pulling", "Pulled", "Failed")]
    if not pulls or pulls[-1].get("reason") != "Pulling":
        return False
    pod_name = name(pod)
    started = event_time(pulls[-1])
    since = f" for {fmt_duration(diag.now - started)}" if started else ""
    image = quoted(msg(pulls[-1])) or "the image"
    diag.add(
        "image-pulling",
        f"pod/{pod_name}",
        f"pod {pod_name} is pulling {image}{since}",
        [msg(pulls[-1])],
    )
    return True
