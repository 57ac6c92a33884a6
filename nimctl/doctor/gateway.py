"""The Gateway in front of the NIM releases: its own state, its routes, their policies and backends.

Judged from the objects' status conditions, by type and reason only (the messages are GKE's own
wording, which is not public, and are shown as evidence):

- Gateway and HTTPRoute conditions: kubernetes-sigs/gateway-api ``apis/v1`` (``Accepted``,
  ``Programmed`` with ``Invalid``, ``NoResources``, ``AddressNotAssigned``, ``AddressNotUsable``;
  a route's ``Accepted`` with ``NotAllowedByListeners``, ``NoMatchingListenerHostname``,
  ``NoMatchingParent``, ``UnsupportedValue``, and ``ResolvedRefs`` with ``RefNotPermitted``,
  ``InvalidKind``, ``BackendNotFound``, ``UnsupportedProtocol``). Until a controller has seen the
  object its conditions are the CRD's default: ``Unknown``, ``Pending``, "Waiting for controller".
- GKE's policies (``HealthCheckPolicy``, ``GCPBackendPolicy``): one ``Attached`` condition, reason
  ``Attached``, or ``Conflicted``, ``Invalid``, ``TargetNotFound`` when not
  (GoogleCloudPlatform/gke-gateway-api ``apis/networking/v1/shared_types.go``).
- Backend health: GKE's Gateway puts the pods in standalone NEGs, whose pods get no readiness gate
  (kubernetes/ingress-gce ``pkg/neg/types/types.go`` ``PortInfo.ReadinessGate``: "If the service
  port is only exposed as stand alone NEG, it should not be enabled"), so no Kubernetes object
  carries the load balancer's health verdict. What doctor can see: a version the route sends
  traffic to whose pods are not Ready, and a version Service without a HealthCheckPolicy (the load
  balancer then checks ``GET /``, which NIM answers with 404: FACTS 24). The load balancer's own
  view is ``gcloud compute backend-services get-health`` of the backend services named in the
  Gateway's ``networking.gke.io/backend-services`` annotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    CHART_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    fmt_duration,
    get,
    labels,
    name,
    parse_time,
    pod_ready,
)

POLICY_KINDS = {
    "HealthCheckPolicy": "healthcheckpolicies",
    "GCPBackendPolicy": "gcpbackendpolicies",
}
"""The resource name ``kubectl get`` knows each policy kind by."""
GATEWAY_PATIENCE = timedelta(minutes=15)
"""A new internal load balancer takes a few minutes (GKE builds its forwarding rule, proxies,
URL map, backend services and health checks); doctor calls it stuck after this."""
PROGRAMMED_FAILURES = {"Invalid", "NoResources", "AddressNotAssigned"}


def _condition(conditions: Any, kind: str) -> Mapping[str, Any] | None:
    for cond in conditions or []:
        if isinstance(cond, Mapping) and cond.get("type") == kind:
            return cond
    return None


def _stale(obj: Mapping[str, Any], cond: Mapping[str, Any] | None) -> bool:
    """The condition speaks of an older generation: the controller has not seen the last edit."""
    seen, current = (cond or {}).get("observedGeneration"), get(obj, "metadata", "generation")
    return isinstance(seen, int) and isinstance(current, int) and seen < current


def _said(cond: Mapping[str, Any]) -> str:
    text = f"{cond.get('type')}={cond.get('status')}: {cond.get('reason')}"
    message = str(cond.get("message") or "").strip()
    return f"{text} {message}" if message else text


def _age(diag: Diagnosis, obj: Mapping[str, Any]) -> timedelta:
    created = parse_time(get(obj, "metadata", "creationTimestamp"))
    return diag.now - created if created else timedelta(0)


def release_of(service: str) -> str:
    """The release whose chart Service this is: ``<release>-nim-llm`` (or ``<release>`` when the
    release name contains ``nim-llm``), nim-llm.fullname of the chart (FACTS 3)."""
    return service.removesuffix(f"-{CHART_NAME}") if service.endswith(f"-{CHART_NAME}") else service


def check_gateway(diag: Diagnosis, release: str | None) -> None:
    """Every rule of this module, for the snapshot's Gateways, routes and policies."""
    for gw in diag.snap.gateways:
        _check_gateway(diag, gw)
    for route in diag.snap.routes:
        _check_route(diag, route, release)
    for policy in diag.snap.policies:
        _check_policy(diag, policy)
    if release is None:
        _check_retained_caches(diag)


def _waiting_or_stuck(
    diag: Diagnosis, obj: Mapping[str, Any], waiting_cause: str, what: str, evidence: list[str]
) -> bool:
    """Report a Gateway object no controller has reconciled yet: a wait, then a problem."""
    age = _age(diag, obj)
    kind, obj_name = str(obj.get("kind")), name(obj)
    ref = f"{kind.lower()}/{obj_name}"
    if age <= GATEWAY_PATIENCE:
        diag.add(
            waiting_cause,
            ref,
            f"{kind} {obj_name} was created {fmt_duration(age)} ago and {what}",
            evidence,
            patience=fmt_duration(GATEWAY_PATIENCE),
            gateway=obj_name if kind == "Gateway" else _parent_names(obj) or "nim-internal",
        )
        return True
    diag.add(
        "gateway-not-programmed" if kind == "Gateway" else "route-refs-unresolved",
        ref,
        f"{kind} {obj_name} {what}, {fmt_duration(age)} after it was created",
        evidence,
        gateway=obj_name if kind == "Gateway" else _parent_names(obj) or "nim-internal",
        route=obj_name,
    )
    return True


def _parent_names(route: Mapping[str, Any]) -> str:
    return ", ".join(str(p.get("name")) for p in get(route, "spec", "parentRefs") or [])


def _check_gateway(diag: Diagnosis, gw: Mapping[str, Any]) -> None:
    conditions = get(gw, "status", "conditions")
    accepted, programmed = (_condition(conditions, t) for t in ("Accepted", "Programmed"))
    gw_name, ref = name(gw), f"gateway/{name(gw)}"
    gw_class = get(gw, "spec", "gatewayClassName")
    said = [_said(c) for c in (accepted, programmed) if c]
    if any(_stale(gw, c) for c in (accepted, programmed) if c):
        # An edit the controller has not processed: its conditions speak of the old spec.
        diag.add(
            "gateway-programming",
            ref,
            f"Gateway {gw_name} was changed (generation {get(gw, 'metadata', 'generation')}) and "
            "its controller has not reported on the change yet",
            said,
            patience=fmt_duration(GATEWAY_PATIENCE),
            gateway=gw_name,
        )
        return
    if accepted is not None and accepted.get("status") == "False":
        diag.add(
            "gateway-not-accepted",
            ref,
            f"Gateway {gw_name} was not accepted by GatewayClass {gw_class} "
            f"({accepted.get('reason')})",
            said,
            gateway_class=gw_class,
            reason=accepted.get("reason"),
        )
        return
    if programmed is not None and programmed.get("status") == "False":
        reason = programmed.get("reason")
        if reason == "AddressNotUsable":
            address = next(
                (a.get("value") for a in get(gw, "spec", "addresses") or [] if a.get("value")), "?"
            )
            diag.add(
                "gateway-address-not-usable",
                ref,
                f"Gateway {gw_name} cannot use the address it names ({address}), so it has no "
                "load balancer: the models' endpoint does not answer",
                said,
                address=address,
            )
            return
        if reason in PROGRAMMED_FAILURES or _age(diag, gw) > GATEWAY_PATIENCE:
            diag.add(
                "gateway-not-programmed",
                ref,
                f"Gateway {gw_name} is not programmed ({reason}): its load balancer does not serve",
                said,
                gateway=gw_name,
            )
            return
    if programmed is None or programmed.get("status") != "True":
        _waiting_or_stuck(
            diag, gw, "gateway-programming", "its load balancer is not programmed yet", said
        )
        return
    if not get(gw, "status", "addresses"):
        diag.add(
            "gateway-no-address",
            ref,
            f"Gateway {gw_name} is programmed but reports no address",
            said,
            gateway=gw_name,
        )


def _check_route(diag: Diagnosis, route: Mapping[str, Any], release: str | None) -> None:
    route_name, ref = name(route), f"httproute/{name(route)}"
    parents = get(route, "status", "parents") or []
    if not parents:
        _waiting_or_stuck(
            diag,
            route,
            "route-pending",
            "no Gateway has reported on it yet",
            [f"parentRefs: {_parent_names(route)}"],
        )
        return
    unresolved = False
    for parent in parents:
        gw = get(parent, "parentRef", "name")
        conditions = parent.get("conditions")
        accepted, resolved = (_condition(conditions, t) for t in ("Accepted", "ResolvedRefs"))
        if accepted is not None and accepted.get("status") == "False":
            diag.add(
                "route-not-accepted",
                ref,
                f"HTTPRoute {route_name} is not attached to Gateway {gw} "
                f"({accepted.get('reason')}): none of its requests reach a model",
                [_said(accepted)],
                route=route_name,
                parent=gw,
            )
        if resolved is not None and resolved.get("status") == "False":
            unresolved = True
            reason = resolved.get("reason")
            cause = {
                "BackendNotFound": "route-backend-not-found",
                "RefNotPermitted": "route-ref-not-permitted",
            }.get(str(reason), "route-refs-unresolved")
            diag.add(
                cause,
                ref,
                f"HTTPRoute {route_name} names a backend Gateway {gw} cannot resolve ({reason})",
                [_said(resolved)],
                route=route_name,
                gateway=gw,
                services=", ".join(_backends(route)),
            )
    _check_backends(diag, route, release, resolved=not unresolved)


def _backends(route: Mapping[str, Any]) -> dict[str, int]:
    """Service -> weight of every backendRef (a weight defaults to 1: gateway-api BackendRef)."""
    out: dict[str, int] = {}
    for rule in get(route, "spec", "rules") or []:
        for ref in rule.get("backendRefs") or []:
            if ref.get("kind", "Service") == "Service" and ref.get("name"):
                weight = ref.get("weight")
                out[str(ref["name"])] = int(weight) if isinstance(weight, int) else 1
    return out


def _check_backends(
    diag: Diagnosis, route: Mapping[str, Any], release: str | None, *, resolved: bool
) -> None:
    route_name = name(route)
    backends = _backends(route)
    total = sum(backends.values()) or 1
    nim_pods = [p for p in diag.snap.pods if labels(p).get(NAME_LABEL) == CHART_NAME]
    targeted = {(get(p, "spec", "targetRef", "name"), p.get("kind")) for p in diag.snap.policies}
    for service, weight in backends.items():
        version = release_of(service)
        if release is not None and version != release:
            continue
        pods = [p for p in nim_pods if labels(p).get(INSTANCE_LABEL) == version]
        share = round(100 * weight / total)
        # No pod at all: a missing Service is the route's own finding (BackendNotFound).
        if weight > 0 and (pods or resolved) and not any(pod_ready(p) for p in pods):
            state = "is ready" if pods else "exists"
            diag.add(
                "route-backend-not-ready",
                f"httproute/{route_name}",
                f"HTTPRoute {route_name} sends {share}% of its requests to {service}, and no pod "
                f"of {version} {state}: those requests fail",
                [f"backendRef {service} weight {weight} of {total}"]
                + [f"pod {name(p)}: not ready" for p in pods],
                share=share,
                service=service,
                route=route_name,
            )
        if (service, "HealthCheckPolicy") not in targeted:
            diag.add(
                "health-check-policy-missing",
                f"service/{service}",
                f"no HealthCheckPolicy targets Service {service}: the load balancer checks GET / "
                "on its pods, which NIM answers with 404, so none of them is ever healthy",
                [f"HTTPRoute {route_name} backendRef {service}"],
                service=service,
            )
        if (service, "GCPBackendPolicy") not in targeted:
            diag.add(
                "backend-policy-missing",
                f"service/{service}",
                f"no GCPBackendPolicy targets Service {service}: GKE's 30 s backend timeout "
                "cuts longer generations and streams",
                [f"HTTPRoute {route_name} backendRef {service}"],
                service=service,
            )


def _check_policy(diag: Diagnosis, policy: Mapping[str, Any]) -> None:
    kind, policy_name = str(policy.get("kind")), name(policy)
    ref = f"{kind.lower()}/{policy_name}"
    target = get(policy, "spec", "targetRef", "name")
    attached = _condition(get(policy, "status", "conditions"), "Attached")
    if attached is None or _stale(policy, attached):
        age = _age(diag, policy)
        if age <= GATEWAY_PATIENCE:
            diag.add(
                "policy-pending",
                ref,
                f"{kind} {policy_name} was created {fmt_duration(age)} ago and is not attached yet",
                [],
                patience=fmt_duration(GATEWAY_PATIENCE),
                gateway="nim-internal",
            )
            return
        attached = {"type": "Attached", "status": "Unknown", "reason": "NoStatus"}
    if attached.get("status") != "True":
        diag.add(
            "policy-not-attached",
            ref,
            f"{kind} {policy_name} is not attached to Service {target} ({attached.get('reason')})",
            [_said(attached)],
            kind=kind,
            policy=policy_name,
            plural=POLICY_KINDS.get(kind, kind.lower()),
            target=target,
        )


def _check_retained_caches(diag: Diagnosis) -> None:
    """A cache PVC of a release with no pod: a version removed from the stack file keeps its cache
    (the chart's StatefulSet PVC retention is Retain), and its disk is billed."""
    running = {
        labels(p).get(INSTANCE_LABEL)
        for p in diag.snap.pods
        if labels(p).get(NAME_LABEL) == CHART_NAME
    }
    if not running:
        return  # nothing runs at all: the pods' own findings say why
    for pvc in diag.snap.pvcs:
        pvc_labels = labels(pvc)
        version = pvc_labels.get(INSTANCE_LABEL)
        if (
            pvc_labels.get(NAME_LABEL) != CHART_NAME
            or version in running
            or get(pvc, "status", "phase") != "Bound"
        ):
            continue
        size = get(pvc, "status", "capacity", "storage") or get(
            pvc, "spec", "resources", "requests", "storage"
        )
        diag.add(
            "cache-of-removed-version",
            f"pvc/{name(pvc)}",
            f"PVC {name(pvc)} is the model cache of release {version}, which has no pod: a "
            f"removed version's cache stays ({size}) and is billed until it is deleted",
            [f"no pod labelled {INSTANCE_LABEL}={version}"],
            pvc=name(pvc),
            release=version,
            size=size,
        )
