"""The schema checks refuse what the API server refuses: broken copies of real objects the stacks
create, each with the schema's own message; and the lists of what is not checked are exact."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.schemas import cel_rules, crds, kube_schemas, stack_objects
from tests.schemas.crds import require_crds

require_crds()


def real(kind: str) -> dict[str, Any]:
    """A deep copy of the first object of ``kind`` prod-canary creates."""
    for o in stack_objects.objects("prod-canary"):
        if o.obj["kind"] == kind:
            return copy.deepcopy(o.obj)
    raise AssertionError(f"prod-canary creates no {kind}")


def broken(kind: str, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    obj = real(kind)
    change(obj)
    return obj


def every_version(message: str) -> list[str]:
    return [f"{v}: {message}" for v in kube_schemas.KUBERNETES_VERSIONS]


def test_the_real_objects_pass():
    for kind in ("Service", "NetworkPolicy", "HealthCheckPolicy", "HTTPRoute"):
        assert kube_schemas.check(real(kind)).errors == [], kind


BUILTIN_CASES = [
    pytest.param(
        broken("Service", lambda o: o["spec"]["ports"][0].update(port="http")),
        every_version("spec.ports.0.port: 'http' is not of type 'integer'"),
        id="wrong-type",
    ),
    pytest.param(
        broken("Service", lambda o: o["spec"]["ports"][0].pop("port")),
        every_version("spec.ports.0: 'port' is a required property"),
        id="missing-required",
    ),
    pytest.param(
        broken("NetworkPolicy", lambda o: o["spec"].update(podSelectors={})),
        every_version(
            "spec: Additional properties are not allowed ('podSelectors' was unexpected)"
        ),
        id="unknown-field",
    ),
    pytest.param(
        broken("Service", lambda o: o["spec"]["ports"][0].update(port=8000.5)),
        every_version("spec.ports.0.port: 8000.5 is not of type 'integer'"),
        id="fractional-number",
    ),
]


@pytest.mark.parametrize(("obj", "errors"), BUILTIN_CASES)
def test_kubernetes_schemas_refuse_a_broken_copy(obj, errors):
    result = kube_schemas.check(obj)
    assert result.schema == "kubernetes 1.33..1.37 (strict)"
    assert result.errors == errors


def _http_check(o: dict[str, Any]) -> dict[str, Any]:
    return o["spec"]["default"]["config"]["httpHealthCheck"]


def _backend(o: dict[str, Any]) -> dict[str, Any]:
    return o["spec"]["rules"][0]["backendRefs"][0]


CRD_CASES = [
    # The structural schema.
    pytest.param(
        broken("HealthCheckPolicy", lambda o: o["spec"]["default"].update(healthyThreshold="1")),
        ["$.spec.default.healthyThreshold: '1' is not of type 'integer'"],
        id="wrong-type",
    ),
    pytest.param(
        broken("HTTPRoute", lambda o: _backend(o).pop("name")),
        ["$.spec.rules[0].backendRefs[0]: 'name' is a required property"],
        id="missing-required",
    ),
    pytest.param(
        broken("GCPBackendPolicy", lambda o: o["spec"]["default"].update(timeoutSecs=600)),
        ["$.spec.default: Additional properties are not allowed ('timeoutSecs' was unexpected)"],
        id="unknown-field",
    ),
    pytest.param(
        broken("PodMonitoring", lambda o: o["spec"]["endpoints"][0].update(interval="30 secs")),
        [
            "$.spec.endpoints[0].interval: '30 secs' is not a 'duration'",
            "(CEL) a value the API server cannot type: Invalid duration 30 secs",
        ],
        id="bad-duration",
    ),
    # The CEL rules: an invalid health-check config...
    pytest.param(
        broken("HealthCheckPolicy", lambda o: o["spec"]["default"]["config"].update(type="TCP")),
        [".spec.default.config: tcpHealthCheck must be specified for type TCP"],
        id="cel-health-check-config-for-another-type",
    ),
    pytest.param(
        broken("HealthCheckPolicy", lambda o: _http_check(o).update(portName="http-openai")),
        [
            ".spec.default.config.httpHealthCheck: for portSpecification being USE_FIXED_PORT, "
            "port must be set and portName must be unset"
        ],
        id="cel-health-check-port-and-port-name",
    ),
    pytest.param(
        broken("HealthCheckPolicy", lambda o: o["spec"]["default"].update(timeoutSec=30)),
        [".spec.default: timeOutSec cannot exceed checkIntervalSec"],
        id="cel-health-check-timeout-above-interval",
    ),
    # ... a route (the Service reference's group and kind come from the CRD's defaults) ...
    pytest.param(
        broken("HTTPRoute", lambda o: _backend(o).pop("port")),
        [".spec.rules[0].backendRefs[0]: Must have port for Service reference"],
        id="cel-route-service-without-port-defaults-applied",
    ),
    pytest.param(
        broken(
            "HTTPRoute",
            lambda o: o["spec"]["rules"][0]["matches"][0]["path"].update(value="llama3-8b/v1"),
        ),
        [
            ".spec.rules[0].matches[0].path: value must be an absolute path and start with '/' "
            "when type one of ['Exact', 'PathPrefix']"
        ],
        id="cel-route-relative-path",
    ),
    # ... a Gateway, and a scrape timeout beyond its interval (compared as durations).
    pytest.param(
        broken("Gateway", lambda o: o["spec"]["listeners"].append(o["spec"]["listeners"][0])),
        [
            ".spec.listeners: Listener name must be unique within the Gateway",
            ".spec.listeners: Combination of port, protocol and hostname must be unique for each "
            "listener",
        ],
        id="cel-gateway-duplicate-listener",
    ),
    pytest.param(
        broken("PodMonitoring", lambda o: o["spec"]["endpoints"][0].update(timeout="1m")),
        [".spec.endpoints[0]: scrape timeout (60s) must not be greater than scrape interval (30s)"],
        id="cel-scrape-timeout-above-interval",
    ),
]


@pytest.mark.parametrize(("obj", "errors"), CRD_CASES)
def test_crds_refuse_a_broken_copy(obj, errors):
    result = kube_schemas.check(obj)
    assert result.schema.startswith("CRD ")
    assert result.errors == errors
    assert result.unevaluated == []


def test_durations_are_compared_as_durations():
    """``format: duration`` fields reach CEL as durations (UnstructuredToVal): a 5 s timeout
    under a 30 s interval passes, though the strings compare the other way ("5s" > "30s")."""
    obj = broken("PodMonitoring", lambda o: o["spec"]["endpoints"][0].update(timeout="5s"))
    assert obj["spec"]["endpoints"][0]["interval"] == "30s"
    assert kube_schemas.check(obj).errors == []


def test_numbers_reach_the_api_server_as_json_numbers():
    (svc,) = [
        r for r in stack_objects.run("prod").mocks.resources if r.name == "svc-llama3-8b-service"
    ]
    assert svc.inputs["spec"]["ports"][0]["port"] == 8000.0  # as Pulumi's engine carries it
    port = stack_objects.manifest(svc.inputs)["spec"]["ports"][0]["port"]
    assert (port, type(port)) == (8000, int)


def test_an_unevaluated_rule_that_applies_is_reported():
    obj = broken(
        "PodMonitoring",
        lambda o: o["spec"]["endpoints"][0].update(
            oauth2={
                "clientID": "nim",
                "tokenURL": "https://auth.example/token",
                "proxyUrl": "http://proxy.example:3128",
            }
        ),
    )
    result = kube_schemas.check(obj)
    assert result.errors == []
    assert result.unevaluated == [
        ".spec.endpoints[0].oauth2.proxyUrl: isURL(self) && !self.matches('@')"
    ]


def test_a_kind_without_a_schema_is_refused_unless_listed():
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}
    with pytest.raises(kube_schemas.UnknownKind, match="monitoring.coreos.com/v1 ServiceMonitor"):
        kube_schemas.check({**monitor, "metadata": {"name": "nim"}})
    assert ("monitoring.coreos.com/v1", "ServiceMonitor") not in kube_schemas.UNCHECKED_KINDS


def test_the_unevaluated_rules_are_exactly_those_that_cannot_be_evaluated():
    """Every rule of every CRD (every served version) compiles and is evaluated, except those
    UNEVALUATED lists: rules the evaluator cannot compile, and transition rules."""
    cannot: dict[tuple[str, str], str] = {}
    for crd in crds.crds().values():
        for rule in cel_rules.all_rules(crd.file, crd.schema):
            error = cel_rules.compile_error(rule.rule)
            if error or rule.transition:
                cannot[crd.file, rule.rule] = error or "transition rule"
    assert {c.file for c in crds.crds().values()} == {p.name for p in crds.CRD_DIR.glob("*.yaml")}
    assert set(cannot) == set(cel_rules.UNEVALUATED)
    is_url = ("monitoring.googleapis.com_podmonitorings.yaml", "isURL(self) && !self.matches('@')")
    assert "undeclared reference to 'isURL'" in cannot[is_url]


def test_every_format_the_crds_use_is_checked_or_listed():
    def formats(schema: dict[str, Any]) -> set[str]:
        found = {schema["format"]} if "format" in schema else set()
        subs = [*(schema.get("properties") or {}).values()]
        subs += [
            schema[k] for k in ("items", "additionalProperties") if isinstance(schema.get(k), dict)
        ]
        subs += [s for k in ("allOf", "anyOf", "oneOf") for s in schema.get(k, [])]
        return found.union(*(formats(s) for s in subs))

    used = set().union(*(formats(c.schema) for c in crds.crds().values()))
    assert used == set(crds.FORMATS_CHECKED) | set(crds.FORMATS_NOT_CHECKED)


def test_the_kubernetes_versions_are_all_shipped():
    """kubernetes-validate silently uses the newest schemas not newer than the version asked for:
    each version checked must be one it ships."""
    import kubernetes_validate.utils  # noqa: PLC0415

    shipped = {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
    assert set(kube_schemas.KUBERNETES_VERSIONS) <= shipped


@pytest.mark.parametrize(
    ("name", "cel_name"),
    [
        ("namespace", "__namespace__"),
        ("x-kubernetes-int-or-string", "x__dash__kubernetes__dash__int__dash__or__dash__string"),
        ("app.kubernetes.io/name", "app__dot__kubernetes__dot__io__slash__name"),
        ("a__b", "a__underscores__b"),
        ("port", "port"),
        ("1st", None),
        ("a b", None),
    ],
)
def test_property_names_are_escaped_as_kubernetes_does(name, cel_name):
    """kubernetes/kubernetes@37005d1a7ef979c16295d682b37a5e01e45664b2:staging/src/k8s.io/
    apiserver/pkg/cel/escaping.go, Escape."""
    assert cel_rules.escape(name) == cel_name
