"""GKE's policies on the versions' Services: whether each is attached, and whether the
HealthCheckPolicy checks what the pods serve.

- Attachment: one ``Attached`` condition, reason ``Attached``, or ``Conflicted``, ``Invalid``,
  ``TargetNotFound`` when not (GoogleCloudPlatform/gke-gateway-api@fc40d606a533
  ``apis/networking/v1/shared_types.go``).
- The health check (``apis/networking/v1/healthcheck_types.go`` at the same commit): ``config.type``
  (TCP, HTTP, HTTPS, HTTP2, GRPC; "If not specified, health check type defaults to HTTP") with its
  block (``httpHealthCheck``, ...); ``portSpecification`` ``USE_FIXED_PORT`` (``port``),
  ``USE_NAMED_PORT`` (``portName``) or ``USE_SERVING_PORT`` ("For NetworkEndpointGroup, the port
  specified for each network endpoint is used", the default when neither port nor portName is
  set); ``requestPath`` ("If not specified or left empty, a default value of \"/\" is used").
  GKE's Gateway sends traffic only to endpoints that pass this check, while Kubernetes marks a pod
  Ready by its readiness probe: a check of another path, port or protocol than the readiness
  probe's leaves ready pods unhealthy (503 "no healthy upstream"), with one exception. A check of
  the pods' liveness path passes EARLIER than readiness: NIM's ``/v1/health/live`` "Returns 200 OK
  when the container is running. This endpoint is served by the nginx layer and does not require
  the model to be loaded" (https://docs.nvidia.com/nim/large-language-models/latest/reference/
  api-reference/health-live), so the load balancer sends requests to a pod still loading its
  model, and they fail while it starts (``health-check-before-ready``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.gateway import GATEWAY_PATIENCE, release_of, said, stale
from nimctl.doctor.kube import (
    CHART_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    age,
    condition,
    fmt_duration,
    get,
    labels,
    name,
)

POLICY_KINDS = {
    "HealthCheckPolicy": "healthcheckpolicies",
    "GCPBackendPolicy": "gcpbackendpolicies",
}
"""The resource name ``kubectl get`` knows each policy kind by."""
_CHECK_BLOCKS = {
    "TCP": "tcpHealthCheck",
    "HTTP": "httpHealthCheck",
    "HTTPS": "httpsHealthCheck",
    "HTTP2": "http2HealthCheck",
    "GRPC": "grpcHealthCheck",
}


def check_policies(diag: Diagnosis, explained: set[str]) -> None:
    """Each policy's attachment and, for an attached HealthCheckPolicy, what it checks.
    ``explained``: policies (``kind/name``) whose missing status a Gateway's error explains."""
    for policy in diag.snap.policies:
        kind = str(policy.get("kind"))
        if f"{kind.lower()}/{name(policy)}" in explained:
            continue
        if _attached(diag, policy) and kind == "HealthCheckPolicy":
            _check_health_check(diag, policy)


def _attached(diag: Diagnosis, policy: Mapping[str, Any]) -> bool:
    kind, policy_name = str(policy.get("kind")), name(policy)
    ref = f"{kind.lower()}/{policy_name}"
    target = get(policy, "spec", "targetRef", "name")
    attached = condition(policy, "Attached")
    if attached is None or stale(policy, attached):
        waited = age(policy, diag.now)
        if waited <= GATEWAY_PATIENCE:
            diag.add(
                "policy-pending",
                ref,
                f"{kind} {policy_name} was created {fmt_duration(waited)} ago and is not attached "
                "yet",
                [],
                patience=fmt_duration(GATEWAY_PATIENCE),
                gateway="nim-internal",
            )
            return False
        attached = {"type": "Attached", "status": "Unknown", "reason": "NoStatus"}
    if attached.get("status") == "True":
        return True
    diag.add(
        "policy-not-attached",
        ref,
        f"{kind} {policy_name} is not attached to Service {target} ({attached.get('reason')})",
        [said(attached)],
        kind=kind,
        policy=policy_name,
        plural=POLICY_KINDS.get(kind, kind.lower()),
        target=target,
    )
    return False


def http_probe(pod: Mapping[str, Any], probe: str) -> tuple[str, int | None, str] | None:
    """(scheme, port, path) of the pod's HTTP ``probe`` (``readinessProbe``, ``livenessProbe``),
    a named port resolved through the container's ports; None when no container has one."""
    for container in get(pod, "spec", "containers") or []:
        http = get(container, probe, "httpGet")
        if not isinstance(http, Mapping):
            continue
        port: Any = http.get("port")
        if isinstance(port, str) and not port.isdigit():
            port = next(
                (
                    p.get("containerPort")
                    for p in container.get("ports") or []
                    if p.get("name") == port
                ),
                None,
            )
        scheme = str(http.get("scheme") or "HTTP").upper()
        return scheme, int(port) if port is not None else None, str(http.get("path") or "/")
    return None


def _port_names(pod: Mapping[str, Any]) -> set[str]:
    return {
        str(p.get("name"))
        for c in get(pod, "spec", "containers") or []
        for p in c.get("ports") or []
        if p.get("name")
    }


def _check_health_check(diag: Diagnosis, policy: Mapping[str, Any]) -> None:
    """An attached HealthCheckPolicy that checks another protocol, port or path than the one the
    version's pods answer their readiness on."""
    service = str(get(policy, "spec", "targetRef", "name") or "")
    version = release_of(service)
    pods = [
        p
        for p in diag.snap.pods
        if labels(p).get(NAME_LABEL) == CHART_NAME and labels(p).get(INSTANCE_LABEL) == version
    ]
    served = next((r for p in pods if (r := http_probe(p, "readinessProbe")) is not None), None)
    if served is None:
        return  # no pod to compare with: nothing to say about the check
    scheme, port, path = served
    config = get(policy, "spec", "default", "config") or {}
    check_type = str(config.get("type") or "HTTP")
    block = config.get(_CHECK_BLOCKS.get(check_type, "")) or {}
    spec = block.get("portSpecification") or (
        "USE_FIXED_PORT"
        if block.get("port")
        else "USE_NAMED_PORT"
        if block.get("portName")
        else "USE_SERVING_PORT"
    )
    checked_path = str(block.get("requestPath") or "/")
    why = []
    if check_type != scheme:
        why.append(f"it checks with {check_type}, the pods answer {scheme}")
    if spec == "USE_FIXED_PORT" and block.get("port") != port:
        why.append(f"it checks port {block.get('port')}, the pods serve on {port}")
    if spec == "USE_NAMED_PORT" and block.get("portName") not in _port_names(pods[0]):
        why.append(f"it checks the named port {block.get('portName')}, which the pods lack")
    wrong_path = check_type != "TCP" and checked_path != path
    if wrong_path:
        why.append(f"it requests {checked_path}, the pods' readiness is {path}")
    if not why:
        return
    live = http_probe(pods[0], "livenessProbe")
    if len(why) == 1 and wrong_path and live is not None and live[2] == checked_path:
        _check_passes_early(diag, policy, service, checked_path, path, port)
        return
    where = {
        "USE_FIXED_PORT": f"port {block.get('port')}",
        "USE_NAMED_PORT": f"named port {block.get('portName')}",
        "USE_SERVING_PORT": "the serving port",
    }.get(spec, spec)
    checked = f"{check_type} {where}" + ("" if check_type == "TCP" else f" {checked_path}")
    serving = f"{scheme} port {port} {path}"
    _report(
        diag,
        "health-check-mismatch",
        policy,
        service,
        f"HealthCheckPolicy {name(policy)} checks {checked} on Service {service}, but its pods "
        f"are ready on {serving}: the load balancer marks ready pods unhealthy",
        [
            f"HealthCheckPolicy {name(policy)}: type {check_type}, {where} ({spec})"
            + ("" if check_type == "TCP" else f", requestPath {checked_path}"),
            f"pod {name(pods[0])} readinessProbe: {serving}",
        ],
        checked=checked,
        serving=serving,
        why="; ".join(why),
        path=path,
        port=port,
    )


def _check_passes_early(
    diag: Diagnosis,
    policy: Mapping[str, Any],
    service: str,
    checked_path: str,
    path: str,
    port: int | None,
) -> None:
    """The check requests the pods' liveness path on the right port: it passes as soon as the
    container runs, before the model is loaded, so the load balancer sends requests to pods that
    cannot answer them yet (NIM's /v1/health/live: the module's docstring)."""
    _report(
        diag,
        "health-check-before-ready",
        policy,
        service,
        f"HealthCheckPolicy {name(policy)} checks {checked_path} on Service {service}, the pods' "
        f"liveness path, not their readiness {path}: the load balancer counts a pod healthy "
        "before its model is loaded",
        [
            f"HealthCheckPolicy {name(policy)}: requestPath {checked_path}",
            f"pods' livenessProbe {checked_path}, readinessProbe {path}",
        ],
        checked_path=checked_path,
        path=path,
        port=port,
    )


def _report(
    diag: Diagnosis,
    cause: str,
    policy: Mapping[str, Any],
    service: str,
    summary: str,
    evidence: list[str],
    **context: Any,
) -> None:
    """A finding ``cause`` about HealthCheckPolicy ``policy`` on Service ``service``: the policy's
    ``Attached`` condition closes its evidence; ``policy`` and ``service`` fill the fix text
    with ``context``."""
    attached = [said(c) for c in [condition(policy, "Attached")] if c]
    diag.add(
        cause,
        f"healthcheckpolicy/{name(policy)}",
        summary,
        [*evidence, *attached],
        policy=name(policy),
        service=service,
        **context,
    )
