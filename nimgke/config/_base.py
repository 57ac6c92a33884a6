"""Shared pieces of the config package: names, patterns, the settings base and the error type."""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

NAMESPACE = "nim-gke"
PROJECT_KEY = "gcp:project"
NGC_KEY = f"{NAMESPACE}:ngcApiKey"

# GKE's built-in storage classes and the persistent disk type each provisions.
STORAGE_CLASSES = {
    "standard-rwo": "pd-balanced",
    "premium-rwo": "pd-ssd",
    "standard": "pd-standard",
}
DISK_TYPES = ("pd-balanced", "pd-standard", "pd-ssd")
# The StorageClass the stack creates for a regional model cache: nim-cache-regional-pd-ssd, ...
REGIONAL_CACHE_CLASS_PREFIX = "nim-cache-regional-"
# A regional disk has exactly two replicas, in two zones of one region.
REGIONAL_DISK_ZONES = 2
MIN_GPU_BOOT_DISK_GB = 100
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Matched with ``fullmatch`` (``$`` alone would let a trailing newline through).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_CLUSTER_NAME = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")
_SEMVER = re.compile(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?")
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(Mi|Gi|Ti|M|G|T)")
_CPU = re.compile(r"(\d+(?:\.\d+)?)(m?)")
_PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_KMS_KEY = re.compile(r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+")
_BILLING_ACCOUNT = re.compile(r"[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}")
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# Address ranges reserved for documentation (RFC 5737, RFC 3849): they match no real host.
DOCUMENTATION_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


class _Settings(BaseModel):
    model_config = ConfigDict(
        # Stack files use the camelCase names only: ``gpu_pool`` is an unknown key, not an alias.
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
    )


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    rule: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key} = {_show(self.value)}: {self.rule}. Fix: {self.fix}"


class ConfigError(pulumi.RunError):
    """Every problem found in a stack's config, reported at once before anything is created."""

    def __init__(self, stack: str, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"stack '{stack}': {len(problems)} config {noun}; nothing was created:"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(not set)"
    # default=str: a stack file read outside the engine may hold other YAML types.
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


_MISSING = object()


def _nearest(value: Any, choices: Iterable[str]) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
    listing = ", ".join(choices)
    return f"use one of: {listing}" + (f" (did you mean '{close[0]}'?)" if close else "")


# --- quantities -------------------------------------------------------------------------------


def _parse_quantity_gib(text: str) -> float | None:
    m = _QUANTITY.fullmatch(text)
    if not m:
        return None
    n, unit = float(m.group(1)), m.group(2)
    factor = {
        "Mi": 1 / 1024,
        "Gi": 1,
        "Ti": 1024,
        "M": 1e6 / 1024**3,
        "G": 1e9 / 1024**3,
        "T": 1e12 / 1024**3,
    }[unit]
    return n * factor


def _parse_cpu_milli(text: str) -> int | None:
    m = _CPU.fullmatch(text)
    if not m:
        return None
    n = float(m.group(1))
    return int(n) if m.group(2) else int(n * 1000)
