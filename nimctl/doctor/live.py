"""Reading a live cluster through the official ``kubernetes`` client into the snapshot's shape."""

from __future__ import annotations

import functools
from typing import Any

from nimctl.doctor.kube import CHART_NAME, DEFAULT_NAMESPACE, INSTANCE_LABEL, NAME_LABEL, get
from nimctl.doctor.snapshot import DoctorInputError

# The Gateway's objects: (kind, group, version, plural). A cluster without the Gateway
# API answers 404 for them, an identity that may not read them 403: both mean "no Gateway here".
CUSTOM_READS = (
    ("Gateway", "gateway.networking.k8s.io", "v1", "gateways"),
    ("HTTPRoute", "gateway.networking.k8s.io", "v1", "httproutes"),
    ("HealthCheckPolicy", "networking.gke.io", "v1", "healthcheckpolicies"),
    ("GCPBackendPolicy", "networking.gke.io", "v1", "gcpbackendpolicies"),
)
GATEWAY_GET = ",".join(f"{plural}.{group}" for _, group, _, plural in CUSTOM_READS)
"""What to add to ``kubectl get pods,events,pvc,nodes,hpa,apiservices`` for a snapshot with the
Gateway."""
CLUSTER_READS = (("ComputeClass", "cloud.google.com", "v1", "computeclasses"),)
"""Cluster-scoped custom objects: GKE's ComputeClasses, which say a node pool's priority. A cluster
without them answers 404, an identity that may not read them 403: the pods' nodes still say their
pool and class."""
KUBECONFIG_HINT = (
    "use the stack's kubeconfig (GKE's DNS endpoint, your Application Default Credentials): "
    "`pulumi stack output kubeconfig --show-secrets > kubeconfig && export "
    "KUBECONFIG=$PWD/kubeconfig`; or `gcloud container clusters get-credentials CLUSTER "
    "--location ZONE_OR_REGION --dns-endpoint`, which acts as gcloud's account"
)
"""How to get a working kube context, as docs/deploying.md, "Reach the endpoint", does it
(components/kubeconfig.py ``make_kubeconfig``: the DNS endpoint and ``gke-gcloud-auth-plugin
--use_application_default_credentials``; ``--location`` of ``gcloud container clusters
get-credentials`` takes a zone or a region, and the kubeconfig it writes refreshes "using the
same identity as gcloud": cloud.google.com/sdk/gcloud/reference/container/clusters/
get-credentials)."""
OPTIONAL_KINDS = ("Node", "HorizontalPodAutoscaler", "APIService")
"""Read when allowed: a 403 (RBAC) or 404 (no such API) leaves them out of the snapshot."""


def collect(
    core: Any,
    api_client: Any,
    namespace: str,
    release: str | None,
    custom: Any = None,
    *,
    autoscaling: Any = None,
    apiregistration: Any = None,
) -> dict[str, Any]:
    """Read pods (by label), events, PVCs and nodes into one kubectl-shaped v1 List, and when
    given the autoscaling/v2 HPAs of the namespace, the metrics APIServices, and (``custom``) the
    Gateway's objects.

    ``core`` is a ``kubernetes.client.CoreV1Api``, ``autoscaling`` an ``AutoscalingV2Api``,
    ``apiregistration`` an ``ApiregistrationV1Api``, ``custom`` a ``CustomObjectsApi``;
    ``api_client.sanitize_for_serialization`` turns the client's objects into the same camelCase
    dicts ``kubectl -o json`` prints; custom objects come back as those dicts already.
    """
    selector = f"{NAME_LABEL}={CHART_NAME}" + (f",{INSTANCE_LABEL}={release}" if release else "")
    reads: list[tuple[str, Any]] = [
        ("Pod", lambda: core.list_namespaced_pod(namespace, label_selector=selector)),
        ("Event", lambda: core.list_namespaced_event(namespace)),
        (
            "PersistentVolumeClaim",
            lambda: core.list_namespaced_persistent_volume_claim(namespace),
        ),
        ("Node", core.list_node),
    ]
    if autoscaling is not None:
        reads.append(
            (
                "HorizontalPodAutoscaler",
                lambda: autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace),
            )
        )
    if apiregistration is not None:
        reads.append(("APIService", apiregistration.list_api_service))
    items: list[dict[str, Any]] = []
    for kind, read in reads:
        try:
            listed = read()
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            status = getattr(exc, "status", None)
            if kind in OPTIONAL_KINDS and status in (403, 404):
                continue  # RBAC may hide these; the rest still diagnoses most problems
            raise DoctorInputError(_api_error(kind, namespace, exc)) from None
        for item in api_client.sanitize_for_serialization(listed).get("items", []):
            item.setdefault("apiVersion", "v1")
            item.setdefault("kind", kind)
            items.append(item)
    custom_reads: list[tuple[str, str, str, Any]] = [
        (
            kind,
            group,
            version,
            functools.partial(
                custom.list_namespaced_custom_object, group, version, namespace, plural
            ),
        )
        for kind, group, version, plural in (CUSTOM_READS if custom is not None else ())
    ] + [
        (
            kind,
            group,
            version,
            functools.partial(custom.list_cluster_custom_object, group, version, plural),
        )
        for kind, group, version, plural in (CLUSTER_READS if custom is not None else ())
    ]
    for kind, group, version, read in custom_reads:
        try:
            listed = read()
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            if getattr(exc, "status", None) in (403, 404):
                continue
            raise DoctorInputError(_api_error(kind, namespace, exc)) from None
        for item in listed.get("items", []):
            item.setdefault("apiVersion", f"{group}/{version}")
            item.setdefault("kind", kind)
            items.append(item)
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _api_error(kind: str, namespace: str, exc: Exception) -> str:
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0][:200]
    if status in (401, 403):
        return (
            f"the cluster refused to list {kind}s in namespace {namespace} (HTTP {status} "
            f"{reason}); check your credentials: {KUBECONFIG_HINT}"
        )
    if status:
        return f"listing {kind}s in namespace {namespace} failed: HTTP {status} {reason}"
    return f"cannot reach the cluster API ({reason}); check the kube context and the network"


def connect(
    namespace: str | None, context: str | None, offline: str = "; or pass --from-file"
) -> tuple[Any, str]:
    """A ``kubernetes.client.ApiClient`` for the kube context (else in-cluster config), and the
    namespace: the given one, else the context's, else ``nim``. ``offline`` ends the message when
    no context works (what else the command can read)."""
    try:
        from kubernetes import client, config  # noqa: PLC0415 - optional dependency
        from kubernetes.config.config_exception import ConfigException  # noqa: PLC0415
    except ImportError:
        raise DoctorInputError(
            "the Kubernetes Python client is not installed: pip install 'kubernetes>=37,<38' "
            "(or use --from-file with `kubectl get pods,events,pvc,nodes -n NS -o json`)"
        ) from None
    try:
        config.load_kube_config(context=context)
        if namespace is None:
            _, active = config.list_kube_config_contexts()
            namespace = get(active, "context", "namespace") or DEFAULT_NAMESPACE
    except (ConfigException, OSError) as exc:
        try:
            config.load_incluster_config()
        except ConfigException:
            raise DoctorInputError(
                f"no usable kube context ({exc}); {KUBECONFIG_HINT}{offline}"
            ) from None
        namespace = namespace or DEFAULT_NAMESPACE
    return client.ApiClient(), namespace


def read_live(
    namespace: str | None, release: str | None, context: str | None
) -> tuple[dict[str, Any], str]:
    api_client, namespace = connect(namespace, context)
    from kubernetes import client  # noqa: PLC0415 - optional dependency, checked by connect

    doc = collect(
        client.CoreV1Api(api_client),
        api_client,
        namespace,
        release,
        client.CustomObjectsApi(api_client),
        autoscaling=client.AutoscalingV2Api(api_client),
        apiregistration=client.ApiregistrationV1Api(api_client),
    )
    return doc, namespace
