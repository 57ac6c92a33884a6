"""Secrets and container configuration: the API key Secret or its key is missing."""

from __future__ import annotations

import re
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import msg, name


def check_config_error(
    diag: Diagnosis, pod: dict[str, Any], events: list[dict[str, Any]], container: str, message: str
) -> None:
    """A container in CreateContainerConfigError: a Secret (or key) its env refers to is missing."""
    pod_name = name(pod)
    obj = f"pod/{pod_name}"
    failed = [msg(e) for e in events if e.get("reason") == "Failed"]
    text = message or (failed[-1] if failed else "")
    missing_key = re.search(r"couldn't find key (\S+) in Secret ([^/\s]+)/(\S+)", text)
    missing_secret = re.search(r'secret "([^"]+)" not found', text)
    if missing_key:
        key, secret = missing_key.group(1), missing_key.group(3)
        if key == "NGC_API_KEY":
            detail = (
                f"Secret {secret} has no key NGC_API_KEY, which nim-llm charts >= 1.1.2 read "
                "(a Secret written for charts <= 1.0.0 holds only NGC_CLI_API_KEY)."
            )
        elif key == "NGC_CLI_API_KEY":
            detail = (
                f"Secret {secret} has no key NGC_CLI_API_KEY, which nim-llm charts <= 1.0.0 "
                "and the legacy NGC init container read."
            )
        else:
            detail = f"Secret {secret} has no key {key}."
        diag.add(
            "secret-key-not-found",
            obj,
            f"container {container} cannot start: Secret {secret} has no key {key}",
            [text],
            secret=secret,
            detail=detail,
        )
    elif missing_secret:
        secret = missing_secret.group(1)
        diag.add(
            "secret-not-found",
            obj,
            f"container {container} cannot start: Secret {secret} does not exist in "
            f"namespace {diag.ns}",
            [text],
            secret=secret,
        )
    else:
        diag.add(
            "container-config-error",
            obj,
            f"container {container} cannot start: its configuration is invalid",
            [text],
        )
