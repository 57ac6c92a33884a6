"""The CRDs' CEL rules (``x-kubernetes-validations``), evaluated the way the API server does.

The evaluator is cel-expr-python (github.com/cel-expr/cel-python), the Python binding of the CEL
C++ implementation, with the strings extension at version 2, as Kubernetes' CEL environment has it
(kubernetes/kubernetes@002315b9745c1ca0f15295ab870e0b4b56203b0e:
staging/src/k8s.io/apiserver/pkg/cel/environment/base.go, ``ext.Strings(ext.StringsVersion(2))``).
Rules are type-checked when compiled: a rule that calls one of Kubernetes' own CEL libraries
(``isURL``, ``quantity``, lists, sets, ...) does not compile here, and must be listed in
``UNEVALUATED`` with the reason (``test_schemas_bite.py`` holds the list to exactly those rules).

What the API server does, and this module follows (kubernetes/kubernetes@
0961719a057666a18e7356a759385b6670d130f4:staging/src/k8s.io/apiserver/pkg/cel/apivalidation/
cel_validate.go, ``validateExpressions``):
- every rule of a schema node runs on each non-null value at that node; transition rules (those
  naming ``oldSelf``) only on an update, against the stored object;
- a rule that is not true is reported with its ``messageExpression``, else its ``message``, else
  ``failed rule: <rule>``; a rule whose evaluation fails (a missing key, ...) is reported as
  ``<error> evaluating rule: <rule>``: the object is refused either way.
Values are typed by the schema before the rules see them (``to_cel``), and the schema's defaults
are applied first (``crds.default``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import durationpy
from cel_expr_python import cel
from cel_expr_python.ext import ext_strings
from google.protobuf import duration_pb2, timestamp_pb2

ENV = cel.NewEnv(
    variables={"self": cel.Type.DYN, "oldSelf": cel.Type.DYN},
    extensions=[ext_strings.ExtStrings(2)],
)

UNEVALUATED: dict[tuple[str, str], str] = {
    (
        "monitoring.googleapis.com_podmonitorings.yaml",
        "isURL(self) && !self.matches('@')",
    ): "isURL is Kubernetes' URL library (kubernetes/kubernetes@dd3b1de79251f4105b33f0beae9c505"
    "afff41eff:staging/src/k8s.io/apiserver/pkg/cel/library/urls.go: Go's url.ParseRequestURI), "
    "which cel-expr-python does not have; the stacks set no "
    "oauth2.proxyUrl, and test_no_object_reaches_an_unevaluated_rule fails if one does",
    (
        "monitoring.googleapis.com_clusterpodmonitorings.yaml",
        "isURL(self) && !self.matches('@')",
    ): "isURL: as for PodMonitoring; the stacks create no ClusterPodMonitoring",
    (
        "gateway.networking.k8s.io_gatewayclasses.yaml",
        "self == oldSelf",
    ): "a transition rule (spec.controllerName is immutable): the API server runs it only on an "
    "update, against the stored object; these tests check objects as created",
}
"""(CRD file, rule) -> why the rule is not evaluated. Nothing else is skipped."""

# Property names of typed objects that are not CEL identifiers reach CEL escaped
# (kubernetes/kubernetes@37005d1a7ef979c16295d682b37a5e01e45664b2:
# staging/src/k8s.io/apiserver/pkg/cel/escaping.go, ``Escape``).
_RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
    "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
    "void", "while",
}  # fmt: skip
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPABLE = re.compile(r"^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$")


def escape(name: str) -> str | None:
    """The CEL name of an object property, or None when CEL cannot name it."""
    if name in _RESERVED:
        return f"__{name}__"
    if not _ESCAPABLE.match(name):
        return None
    return re.sub(r"__|[./-]", lambda m: _ESCAPES[m.group(0)], name)


def duration(text: str) -> duration_pb2.Duration:
    """A ``format: duration`` string as the API server types it for CEL (kube-openapi strfmt
    ``ParseDuration``: Go's ``time.ParseDuration`` first; durationpy parses that syntax)."""
    out = duration_pb2.Duration()
    out.FromTimedelta(durationpy.from_str(text))
    return out


def to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` typed by ``schema`` as the API server hands it to CEL (kubernetes/kubernetes@
    00eeffd6bfd4073685b62e7eeb003f64317a7266:staging/src/k8s.io/apiserver/pkg/cel/common/
    valuesunstructured.go, ``UnstructuredToVal``): object properties escaped, map keys as they
    are, ``format: duration`` and ``date-time`` strings as durations and timestamps, ``number``
    as a double. A value the conversion refuses raises ValueError (the API server refuses it)."""
    if schema.get("x-kubernetes-int-or-string"):
        return value
    kind = schema.get("type")
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties")
        if props is not None:
            return {
                escape(k) or k: to_cel(v, props.get(k, {}))
                for k, v in value.items()
                if v is not None
            }
        extra = schema.get("additionalProperties")
        return {k: to_cel(v, extra if isinstance(extra, dict) else {}) for k, v in value.items()}
    if kind == "array" and isinstance(value, list):
        return [to_cel(v, schema.get("items", {})) for v in value]
    if kind == "string" and isinstance(value, str):
        if schema.get("format") == "duration":
            return duration(value)
        if schema.get("format") == "date-time":
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(datetime.fromisoformat(value).astimezone(UTC))
            return stamp
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class Rule:
    crd: str
    """The CRD file the rule is in."""
    rule: str
    message: str | None
    message_expression: str | None

    @property
    def transition(self) -> bool:
        return re.search(r"\boldSelf\b", self.rule) is not None


@cache
def compiled(expression: str) -> Any:
    """The compiled expression; RuntimeError (the type checker's message) if it cannot be."""
    return ENV.compile(expression)


def compile_error(expression: str) -> str | None:
    try:
        compiled(expression)
    except RuntimeError as err:
        return str(err).splitlines()[0]
    return None


def rules_at(crd: str, schema: dict[str, Any]) -> list[Rule]:
    return [
        Rule(crd, r["rule"], r.get("message"), r.get("messageExpression"))
        for r in schema.get("x-kubernetes-validations", [])
    ]


def all_rules(crd: str, schema: dict[str, Any]) -> Iterator[Rule]:
    """Every rule of a structural schema, wherever it sits."""
    yield from rules_at(crd, schema)
    for sub in (schema.get("properties") or {}).values():
        yield from all_rules(crd, sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from all_rules(crd, schema[key])


def _message(rule: Rule, activation: dict[str, Any]) -> str:
    if rule.message_expression:
        try:
            out = compiled(rule.message_expression).eval(data=activation)
            if out.type() == cel.Type.STRING and str(out.value()).strip():
                return str(out.value()).strip()
        except RuntimeError:
            pass
    if rule.message:
        return rule.message.strip()
    return f"failed rule: {rule.rule.strip()}"


@dataclass
class Outcome:
    errors: list[str]
    """``<path>: <message>`` for each rule the value breaks."""
    unevaluated: list[str]
    """``<path>: <rule>`` for each rule in UNEVALUATED that applied to a value."""


def evaluate(crd: str, schema: dict[str, Any], value: Any, path: str = "") -> Outcome:
    """Every rule of ``schema`` on ``value`` (already defaulted), recursively."""
    out = Outcome([], [])
    if value is None:
        return out
    here = path or "<root>"
    activation: dict[str, Any] | None = None
    for rule in rules_at(crd, schema):
        if (crd, rule.rule) in UNEVALUATED:
            out.unevaluated.append(f"{here}: {rule.rule}")
            continue
        if rule.transition:
            raise AssertionError(f"{crd} {here}: transition rule not listed: {rule.rule}")
        if activation is None:
            try:
                activation = {"self": to_cel(value, schema)}
            except ValueError as err:  # the same bad value fails every rule above it: said once
                out.errors.append(f"(CEL) a value the API server cannot type: {err}")
                break
        result = compiled(rule.rule).eval(data=activation)
        if result.type() == cel.Type.ERROR:
            out.errors.append(f"{here}: {result.value()} evaluating rule: {rule.rule.strip()}")
        elif result.value() is not True:
            out.errors.append(f"{here}: {_message(rule, activation)}")
    children: list[tuple[str, dict[str, Any], Any]] = []
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, sub in value.items():
            if key in props:
                children.append((f"{path}.{key}", props[key], sub))
            elif isinstance(extra, dict):
                children.append((f"{path}[{key!r}]", extra, sub))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        children = [(f"{path}[{i}]", schema["items"], v) for i, v in enumerate(value)]
    for child_path, child_schema, child in children:
        sub_out = evaluate(crd, child_schema, child, child_path)
        out.errors += sub_out.errors
        out.unevaluated += sub_out.unevaluated
    return out
