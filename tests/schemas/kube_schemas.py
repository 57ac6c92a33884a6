"""Which schema checks an object, and the check: Kubernetes' own OpenAPI schemas for the built-in
kinds (the ``kubernetes-validate`` package, ``-strict`` variants: a field the schema does not
declare is an error), the real CRDs for custom resources (``crds.py``).

An object whose kind has neither must be listed in ``UNCHECKED_KINDS`` with the reason; any other
raises ``UnknownKind``, so a new kind cannot slip through unchecked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils

from tests.schemas import crds

KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35", "1.36", "1.37")
"""Every minor the stacks can run on. They pin no version, only a release channel
(``cluster.releaseChannel``: dev RAPID, prod REGULAR; STABLE allowed), and GKE's release notes
list 1.33 as the oldest minor the Rapid, Regular and Stable channels offer ("Current versions",
docs.cloud.google.com/kubernetes-engine/docs/release-notes, 2026); 1.37 is the newest Kubernetes
release and the newest schemas kubernetes-validate 1.37.0 ships."""

UNCHECKED_KINDS: dict[tuple[str, str], str] = {
    ("cloud.google.com/v1", "ComputeClass"): (
        "GKE installs the computeclasses.cloud.google.com CRD itself and publishes no YAML of it; "
        "../shared/reference/crds holds none. tests/test_compute_class.py checks the spec's "
        "field names and values against the CRD reference page "
        "(cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass) instead."
    ),
    ("autoscaling.gke.io/v1beta1", "AutoscalingMetric"): (
        "GKE's managed metrics adapter installs this CRD itself and publishes no copy of it (no "
        "public repository holds it, so ../shared/reference/crds has none); its fields are held "
        "to the shape of GKE's documented examples instead, in tests/test_autoscaling.py"
    ),
}
"""(apiVersion, kind) -> why no schema checks it. Every other kind the stacks and the chart create
has a schema (the Kubernetes OpenAPI schemas or a CRD in ../shared/reference/crds)."""

# kubernetes-validate reads and parses its JSON schema files (1.4 MB of definitions) on every
# call; they are read-only package data, so one parse per file serves every object.
kubernetes_validate.utils.schema_contents = functools.cache(
    kubernetes_validate.utils.schema_contents
)


class UnknownKind(Exception):
    """An object of a kind no schema covers and UNCHECKED_KINDS does not list."""


@dataclass
class Result:
    schema: str
    """What checked the object: ``kubernetes 1.33..1.37 (strict)``, a CRD file, or ``unchecked``."""
    errors: list[str] = field(default_factory=list)
    unevaluated: list[str] = field(default_factory=list)
    """CEL rules that applied but are not evaluated (``cel_rules.UNEVALUATED``)."""


def builtin_errors(obj: dict[str, Any], version: str) -> list[str] | None:
    """Errors of ``obj`` against Kubernetes ``version``'s strict schema, None if it has none for
    the kind. kubernetes-validate reports the first error only."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return None
    except kubernetes_validate.ValidationError as err:
        where = ".".join(str(p) for p in err.path) or "<root>"
        return [f"{version}: {where}: {err.message}"]
    return []


def check(obj: dict[str, Any]) -> Result:
    key = (obj["apiVersion"], obj["kind"])
    crd = crds.crds().get(key)
    if crd is not None:
        verdict = crds.check(obj, crd)
        return Result(f"CRD {crd.file}", verdict.errors, verdict.unevaluated)
    per_version = [builtin_errors(obj, v) for v in KUBERNETES_VERSIONS]
    if all(e is not None for e in per_version):
        span = f"{KUBERNETES_VERSIONS[0]}..{KUBERNETES_VERSIONS[-1]}"
        return Result(f"kubernetes {span} (strict)", [e for es in per_version for e in es or []])
    if key in UNCHECKED_KINDS:
        return Result("unchecked")
    missing = [v for v, e in zip(KUBERNETES_VERSIONS, per_version, strict=True) if e is None]
    raise UnknownKind(
        f"{key[0]} {key[1]} ({obj.get('metadata', {}).get('name')}): no schema in "
        f"kubernetes-validate for {', '.join(missing)} and no CRD in {crds.CRD_DIR}; add the "
        f"CRD there (with its source in SOURCES.md) or list the kind in UNCHECKED_KINDS with "
        f"the reason"
    )
