"""Image pulls: nvcr.io refusing the credentials, a missing pull secret, a wrong tag, slow pulls."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import event_time, fmt_duration, get, msg, name, quoted
from nimctl.doctor.wording import registry_status


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
