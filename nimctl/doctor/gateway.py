"""The Gateway in front of the NIM releases: its own state, its routes and their backends (the
policies are :mod:`nimctl.doctor.policies`).

Judged from the objects' status conditions by type and reason, and from GKE's own words where its
reasons say too little (parsed in :mod:`nimctl.doctor.wording`): a load balancer Compute Engine
refused stays ``Programmed=False`` with reason ``Pending`` and a "gceSync" message, GKE's own
validation says "Error GWCERnnn" (in a condition, or a SYNC Warning event of the Gateway, even when
the conditions never left their default), and a Gateway no controller has ever touched keeps the
CRD's default status forever. The condition types and reasons:

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
  balancer then checks ``GET /``, which NIM answers with 404; GKE's default health check:
  cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources). The load
  balancer's own view is ``gcloud compute backend-services get-health`` of the backend services
  named in the Gateway's ``networking.gke.io/backend-services`` annotation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from nimctl.doctor.diagnosis import Diagnosis
from nimctl.doctor.kube import (
    CHART_NAME,
    INSTANCE_LABEL,
    NAME_LABEL,
    age,
    fmt_duration,
    get,
    labels,
    msg,
    name,
    parse_time,
    pod_ready,
)
from nimctl.doctor.wording import (
    GatewayControllerError,
    parse_gateway_controller_error,
    parse_gce_sync,
)

GATEWAY_PATIENCE = timedelta(minutes=15)
"""A new internal load balancer takes a few minutes (GKE builds its forwarding rule, proxies,
URL map, backend services and health checks); doctor calls it stuck after this."""
PROGRAMMED_FAILURES = {"Invalid", "NoResources", "AddressNotAssigned"}
# What GKE's controller leaves on a Gateway it manages: its finalizer and networking.gke.io/*
# annotations (GoogleCloudPlatform/gke-networking-recipes gateway/single-cluster/global-l7-xlb/
# README.md, `kubectl describe gateway`). A Gateway with neither, still in the CRD's default status
# after GATEWAY_PATIENCE, has no controller.
GKE_FINALIZER = "gateway.finalizer.networking.gke.io"
GKE_ANNOTATION_PREFIX = "networking.gke.io/"


def _condition(conditions: Any, kind: str) -> Mapping[str, Any] | None:
    for cond in conditions or []:
        if isinstance(cond, Mapping) and cond.get("type") == kind:
            return cond
    return None


def stale(obj: Mapping[str, Any], cond: Mapping[str, Any] | None) -> bool:
    """The condition speaks of an older generation: the controller has not seen the last edit."""
    seen, current = (cond or {}).get("observedGeneration"), get(obj, "metadata", "generation")
    return isinstance(seen, int) and isinstance(current, int) and seen < current


def said(cond: Mapping[str, Any]) -> str:
    text = f"{cond.get('type')}={cond.get('status')}: {cond.get('reason')}"
    message = " ".join(str(cond.get("message") or "").split())
    return f"{text} {message}" if message else text


def release_of(service: str) -> str:
    """The release whose chart Service this is: ``<release>-nim-llm`` (or ``<release>`` when the
    release name contains ``nim-llm``), nim-llm.fullname of the chart (NVIDIA/nim-deploy
    helm/nim-llm templates/_helpers.tpl)."""
    return service.removesuffix(f"-{CHART_NAME}") if service.endswith(f"-{CHART_NAME}") else service


def check_gateway(diag: Diagnosis, release: str | None) -> set[str]:
    """Every rule of this module, for the snapshot's Gateways and routes. Returns the policies
    (``kind/name``) whose missing status a Gateway's own error already explains."""
    explained: set[str] = set()
    for gw in diag.snap.gateways:
        routes, policies = _silent_dependents(diag, gw)
        if _check_gateway(diag, gw, routes + policies):
            explained |= {f"httproute/{name(r)}" for r in routes}
            explained |= {f"{p.get('kind', '').lower()}/{name(p)}" for p in policies}
    for route in diag.snap.routes:
        if f"httproute/{name(route)}" not in explained:
            _check_route(diag, route, release)
    if release is None:
        _check_retained_caches(diag)
    return explained


def _silent_dependents(
    diag: Diagnosis, gw: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Gateway's routes and their backends' policies that no controller has reported on."""
    routes = [
        r
        for r in diag.snap.routes
        if any(p.get("name") == name(gw) for p in get(r, "spec", "parentRefs") or [])
        and not get(r, "status", "parents")
    ]
    services = {s for r in routes for s in _backends(r)}
    policies = [
        p
        for p in diag.snap.policies
        if get(p, "spec", "targetRef", "name") in services
        and _condition(get(p, "status", "conditions"), "Attached") is None
    ]
    return routes, policies


def _waiting_or_stuck(
    diag: Diagnosis, obj: Mapping[str, Any], waiting_cause: str, what: str, evidence: list[str]
) -> bool:
    """Report a Gateway object no controller has reconciled yet: a wait, then a problem."""
    obj_age = age(obj, diag.now)
    kind, obj_name = str(obj.get("kind")), name(obj)
    ref = f"{kind.lower()}/{obj_name}"
    if obj_age <= GATEWAY_PATIENCE:
        diag.add(
            waiting_cause,
            ref,
            f"{kind} {obj_name} was created {fmt_duration(obj_age)} ago and {what}",
            evidence,
            patience=fmt_duration(GATEWAY_PATIENCE),
            gateway=obj_name if kind == "Gateway" else _parent_names(obj) or "nim-internal",
        )
        return True
    diag.add(
        "gateway-not-programmed" if kind == "Gateway" else "route-refs-unresolved",
        ref,
        f"{kind} {obj_name} {what}, {fmt_duration(obj_age)} after it was created",
        evidence,
        gateway=obj_name if kind == "Gateway" else _parent_names(obj) or "nim-internal",
        route=obj_name,
    )
    return True


def _parent_names(route: Mapping[str, Any]) -> str:
    return ", ".join(str(p.get("name")) for p in get(route, "spec", "parentRefs") or [])


def _gke_says(diag: Diagnosis, gw: Mapping[str, Any], conditions: list[Any]) -> list[str]:
    """What GKE's controller wrote about the Gateway: its conditions' messages, and the Warning
    events since its last successful sync ("SYNC on <ns>/<name> was a success")."""
    messages = [str(c.get("message") or "") for c in conditions if c]
    for event in diag.snap.events_for("Gateway", gw):
        if event.get("type") == "Warning":
            messages.append(msg(event))
        elif "was a success" in msg(event):
            messages = [str(c.get("message") or "") for c in conditions if c]
    return [m for m in messages if m]


def _untouched(gw: Mapping[str, Any], conditions: list[Mapping[str, Any] | None]) -> bool:
    """No controller has ever written to this Gateway: no GKE mark, the CRD's default status."""
    annotations = get(gw, "metadata", "annotations") or {}
    if GKE_FINALIZER in (get(gw, "metadata", "finalizers") or []):
        return False
    if any(str(k).startswith(GKE_ANNOTATION_PREFIX) for k in annotations):
        return False
    return all(
        c is None or (c.get("status"), c.get("reason")) == ("Unknown", "Pending")
        for c in conditions
    )


def _check_gateway(
    diag: Diagnosis, gw: Mapping[str, Any], silent: Sequence[Mapping[str, Any]]
) -> bool:
    """The Gateway's own state. True when it reported an error that explains why its routes and
    policies (``silent``) have no status: those are folded into it, as its evidence."""
    conditions = get(gw, "status", "conditions")
    accepted, programmed = (_condition(conditions, t) for t in ("Accepted", "Programmed"))
    gw_name, ref = name(gw), f"gateway/{name(gw)}"
    gw_class = get(gw, "spec", "gatewayClassName")
    evidence = [said(c) for c in (accepted, programmed) if c]
    waiting_on_it = [f"waiting on it: {o.get('kind')} {name(o)} (no status)" for o in silent]
    if any(stale(gw, c) for c in (accepted, programmed) if c):
        # An edit the controller has not processed: its conditions speak of the old spec.
        diag.add(
            "gateway-programming",
            ref,
            f"Gateway {gw_name} was changed (generation {get(gw, 'metadata', 'generation')}) and "
            "its controller has not reported on the change yet",
            evidence,
            patience=fmt_duration(GATEWAY_PATIENCE),
            gateway=gw_name,
        )
        return False
    messages = _gke_says(diag, gw, [accepted, programmed])
    if _gke_error(diag, gw, messages, evidence + waiting_on_it):
        return True
    if _untouched(gw, [accepted, programmed]) and age(gw, diag.now) > GATEWAY_PATIENCE:
        diag.add(
            "gateway-controller-missing",
            ref,
            f"no controller has taken Gateway {gw_name} (GatewayClass {gw_class}) in "
            f"{fmt_duration(age(gw, diag.now))}: it builds no load balancer, and its routes and "
            "policies wait with it",
            evidence + waiting_on_it,
            gateway=gw_name,
            gateway_class=gw_class,
            age=fmt_duration(age(gw, diag.now)),
        )
        return True
    if accepted is not None and accepted.get("status") == "False":
        diag.add(
            "gateway-not-accepted",
            ref,
            f"Gateway {gw_name} was not accepted by GatewayClass {gw_class} "
            f"({accepted.get('reason')})",
            evidence,
            gateway_class=gw_class,
            reason=accepted.get("reason"),
        )
        return False
    if programmed is not None and programmed.get("status") == "False":
        reason = programmed.get("reason")
        if reason == "AddressNotUsable":
            _address_not_usable(diag, gw, evidence)
            return False
        if reason in PROGRAMMED_FAILURES or age(gw, diag.now) > GATEWAY_PATIENCE:
            diag.add(
                "gateway-not-programmed",
                ref,
                f"Gateway {gw_name} is not programmed ({reason}): its load balancer does not serve",
                evidence,
                gateway=gw_name,
            )
            return False
    if programmed is None or programmed.get("status") != "True":
        _waiting_or_stuck(
            diag, gw, "gateway-programming", "its load balancer is not programmed yet", evidence
        )
        return False
    if not get(gw, "status", "addresses"):
        diag.add(
            "gateway-no-address",
            ref,
            f"Gateway {gw_name} is programmed but reports no address",
            evidence,
            gateway=gw_name,
        )
    return False


def _address_not_usable(
    diag: Diagnosis, gw: Mapping[str, Any], evidence: list[str], address: str | None = None
) -> None:
    address = address or next(
        (a.get("value") for a in get(gw, "spec", "addresses") or [] if a.get("value")), "?"
    )
    diag.add(
        "gateway-address-not-usable",
        f"gateway/{name(gw)}",
        f"Gateway {name(gw)} cannot use the address it names ({address}), so it has no "
        "load balancer: the models' endpoint does not answer",
        evidence,
        address=address,
    )


def _gke_error(
    diag: Diagnosis, gw: Mapping[str, Any], messages: list[str], evidence: list[str]
) -> bool:
    """GKE's own words about the Gateway: a GWCER validation error (of the Gateway, or of a route
    it cannot translate) or a gceSync error from Compute Engine. True when one was reported."""
    gw_name, ref = name(gw), f"gateway/{name(gw)}"
    for message in messages:
        error = parse_gateway_controller_error(message)
        if error is None:
            continue
        shown = [*evidence, message]
        if error.kind == "HTTPRoute" and error.name:
            _route_error(diag, error.name, error, shown, gateway=gw_name)
        elif error.missing_address:
            _address_not_usable(diag, gw, shown, error.missing_address)
        else:
            diag.add(
                "gateway-invalid",
                ref,
                f"GKE refused Gateway {gw_name} ({error.code}): {error.detail}",
                shown,
                gateway=gw_name,
                code=error.code,
                detail=error.detail,
            )
        return True
    for message in messages:
        sync = parse_gce_sync(message)
        if sync is None:
            continue
        shown = [*evidence, message] if message not in " ".join(evidence) else evidence
        if sync.transient and _unprogrammed_for(diag, gw) <= GATEWAY_PATIENCE:
            return False  # a call that timed out: GKE retries it (the Gateway is programming)
        if sync.proxy_subnet_missing:
            diag.add(
                "gateway-proxy-subnet-missing",
                ref,
                f"Gateway {gw_name} has no load balancer: Compute Engine requires an active "
                "proxy-only subnet in its region and VPC",
                shown,
                detail=sync.detail,
            )
        else:
            diag.add(
                "gateway-load-balancer-error",
                ref,
                f"Compute Engine refused Gateway {gw_name}'s load balancer "
                f"({sync.code or 'error'}): {sync.detail}",
                shown,
                gateway=gw_name,
                code=sync.code or "error",
                detail=sync.detail,
            )
        return True
    return False


def _unprogrammed_for(diag: Diagnosis, gw: Mapping[str, Any]) -> timedelta:
    """How long the Gateway has not been programmed: since its Programmed condition last changed
    (a Gateway that served for days and failed a minute ago has waited a minute), else its age."""
    programmed = _condition(get(gw, "status", "conditions"), "Programmed") or {}
    since = parse_time(programmed.get("lastTransitionTime"))
    if since is None or since.year < 2000:  # the CRD's default 1970-01-01 means "never"
        return age(gw, diag.now)
    return diag.now - since


def _route_error(
    diag: Diagnosis,
    route_name: str,
    error: GatewayControllerError,
    evidence: list[str],
    *,
    gateway: str,
) -> None:
    """A GWCER error about an HTTPRoute: a missing backend (GWCER102 inside) or a field GKE does
    not support (GWCER104)."""
    route = next((r for r in diag.snap.routes if name(r) == route_name), {})
    if "GWCER102" in error.codes and "not found" in error.detail:
        diag.add(
            "route-backend-not-found",
            f"httproute/{route_name}",
            f"HTTPRoute {route_name} names a backend that does not exist ({error.detail})",
            evidence,
            services=", ".join(_backends(route)) or error.detail,
        )
        return
    diag.add(
        "route-unsupported-field",
        f"httproute/{route_name}",
        f"GKE cannot program HTTPRoute {route_name} of Gateway {gateway} ({error.code}): "
        f"{error.detail}",
        evidence,
        route=route_name,
        code=error.code,
        detail=error.detail,
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
        refused = [
            c
            for c in conditions or []
            if c.get("status") == "False"
            and parse_gateway_controller_error(str(c.get("message") or ""))
        ]
        if refused:
            error = parse_gateway_controller_error(str(refused[0].get("message")))
            assert error is not None
            _route_error(diag, route_name, error, [said(refused[0])], gateway=str(gw))
            unresolved = True
            continue
        accepted, resolved = (_condition(conditions, t) for t in ("Accepted", "ResolvedRefs"))
        if accepted is not None and accepted.get("status") == "False":
            diag.add(
                "route-not-accepted",
                ref,
                f"HTTPRoute {route_name} is not attached to Gateway {gw} "
                f"({accepted.get('reason')}): none of its requests reach a model",
                [said(accepted)],
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
                [said(resolved)],
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
        # No pod at all: a missing Service is the route's own finding (BackendNotFound). A
        # version asleep at zero answers 503 on purpose until its HPA wakes it (autoscaling.py).
        asleep = version in diag.asleep and not pods
        if weight > 0 and (pods or resolved) and not asleep and not any(pod_ready(p) for p in pods):
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
        if not pods and not resolved:
            continue  # the missing Service is the route's finding; no policy for it is the same
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


def _check_retained_caches(diag: Diagnosis) -> None:
    """A cache PVC of a release with no pod: a version removed from the stack file keeps its cache
    (the chart's StatefulSet PVC retention is Retain), and its disk is billed. A version asleep at
    zero keeps its cache on purpose: its next wake reads the model from it."""
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
            or version in diag.asleep
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
