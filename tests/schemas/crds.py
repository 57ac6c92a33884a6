"""The real CRDs (``../shared/reference/crds``, sources in its SOURCES.md), as the API server
applies them to a custom resource: defaults, then the structural schema, then the CEL rules.

The CRDs stay out of the repository, like the chart: on a machine without them the tests skip
with the reason, and in CI (``NIM_LLM_RENDER_REQUIRED=1``, which ``.ci/run`` sets for everything
it reads from ``../shared/reference``) they fail instead.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import SHARED_REFERENCE
from tests.helm_env import REQUIRED
from tests.schemas import cel_rules

CRD_DIR = SHARED_REFERENCE / "crds"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: 2 MB of CRDs in 0.2 s

FORMATS_CHECKED = ("duration", "ipv4", "ipv6")
"""The ``format`` values the API server checks (kubernetes/kube-openapi@
15d2b63eb8c1d1c1ab581a75e61cea9d063d9312:pkg/validation/strfmt/default.go registers ipv4, ipv6,
...; strfmt/duration.go registers duration) that the CRDs use where a spec can set them."""
FORMATS_NOT_CHECKED = {
    "date-time": "only under status, which no object the stacks create sets (asserted)",
    "int32": "a type hint: the API server's format registry (strfmt/default.go) has no int32",
    "int64": "a type hint: the API server's format registry (strfmt/default.go) has no int64",
}

_FORMATS = jsonschema.FormatChecker(formats=("ipv4", "ipv6"))


@_FORMATS.checks("duration", raises=ValueError)
def _is_duration(value: object) -> bool:
    if isinstance(value, str):
        cel_rules.duration(value)
    return True


@dataclass(frozen=True)
class Crd:
    file: str
    api_version: str
    kind: str
    schema: dict[str, Any]
    """``openAPIV3Schema`` as published."""

    @cached_property
    def validator(self) -> jsonschema.Draft4Validator:
        """The structural schema, strict (``_strict``), as OpenAPI v3 reads it: JSON Schema draft
        4's keywords (boolean exclusiveMinimum), the formats the API server checks."""
        return jsonschema.Draft4Validator(_strict(self.schema), format_checker=_FORMATS)


def require_crds() -> None:
    """Skip (fail when required) at module level when the CRDs are not beside the repository."""
    if not any(CRD_DIR.glob("*.yaml")):
        reason = f"the real CRDs are not in {CRD_DIR} (see its SOURCES.md)"
        if REQUIRED:
            pytest.fail(f"NIM_LLM_RENDER_REQUIRED=1 but: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@cache
def crds() -> dict[tuple[str, str], Crd]:
    """Every served version of every CRD, by (apiVersion, kind)."""
    found: dict[tuple[str, str], Crd] = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        doc = yaml.load(path.read_text(), Loader=_LOADER)
        group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
        for version in doc["spec"]["versions"]:
            if version.get("served"):
                api_version = f"{group}/{version['name']}"
                schema = version["schema"]["openAPIV3Schema"]
                found[api_version, kind] = Crd(path.name, api_version, kind, schema)
    return found


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema refusing fields it does not declare. The API server prunes them from a custom
    resource (or refuses them, with strict field validation): either way a misspelled field does
    nothing, which is the defect these tests are after."""
    out = dict(schema)
    props = schema.get("properties")
    if props is not None:
        out["properties"] = {k: _strict(v) for k, v in props.items()}
        if "additionalProperties" not in schema and not schema.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = _strict(schema[key])
    # allOf/anyOf/oneOf branches only constrain values in a structural schema (they declare no
    # fields of their own), so they stay as published.
    return out


def default(value: Any, schema: dict[str, Any]) -> Any:
    """A copy of ``value`` with the schema's defaults applied, as the API server does before it
    validates (kubernetes/kubernetes@0961719a057666a18e7356a759385b6670d130f4:staging/src/k8s.io/
    apiserver/pkg/cel/apivalidation/defaulting/algorithm.go, ``Default``): an absent property
    with a default gets a copy of it, then every property, map value and list item is visited."""
    if isinstance(value, dict):
        out = dict(value)
        props = schema.get("properties") or {}
        for key, prop in props.items():
            if "default" in prop and out.get(key) is None:
                out[key] = copy.deepcopy(prop["default"])
        extra = schema.get("additionalProperties")
        for key, sub in out.items():
            if key in props:
                out[key] = default(sub, props[key])
            elif isinstance(extra, dict):
                out[key] = default(sub, extra)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [default(v, schema["items"]) for v in value]
    return value


@dataclass
class Verdict:
    errors: list[str]
    unevaluated: list[str]


def check(obj: dict[str, Any], crd: Crd) -> Verdict:
    """``obj`` against ``crd``: its defaults, then its structural schema, then its CEL rules."""
    defaulted = default(obj, crd.schema)
    errors = [
        f"{e.json_path}: {e.message}"
        for e in sorted(crd.validator.iter_errors(defaulted), key=lambda e: e.json_path)
    ]
    outcome = cel_rules.evaluate(crd.file, crd.schema, defaulted)
    return Verdict(list(dict.fromkeys(errors + outcome.errors)), outcome.unevaluated)
