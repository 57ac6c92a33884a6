"""How Kubernetes components word what they report: the parsers of event and status messages.

Every rule that depends on a component's exact wording reads it through this module, so the
wording, and the source it was checked against, lives in one place. The fixtures quote the same
sources (``tests/nimctl/fixtures/doctor/make_fixtures.py``, ``SOURCES``). "k8s 1.30" below is
Kubernetes' code as vendored in kubernetes/autoscaler at tag cluster-autoscaler-1.30.0
(55a18a301ee9, ``cluster-autoscaler/vendor/k8s.io/kubernetes/pkg/scheduler``); "k8s 1.25" the
same at tag cluster-autoscaler-1.25.0 (e8d3e9b1d986).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# --- kube-scheduler: FailedScheduling -------------------------------------------------------
#
# FitError.Error() (framework/types.go, k8s 1.25 and 1.30) writes
#   "0/<N> nodes are available: <count> <reason>, <count> <reason>." + " " + <PostFilter message>
# with the "<count> <reason>" strings sorted; a PreFilter rejection gives one reason without a
# count ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.").
# The PostFilter message is "preemption: 0/<N> nodes are available: ..." (defaultpreemption),
# since Kubernetes 1.34 (DRA on by default) preceded by the DynamicResources plugin's
# "no new claims to deallocate" and joined with ", " (framework/runtime/framework.go
# RunPostFilterPlugins): "... 2 Insufficient memory. no new claims to deallocate, preemption: ...".
# So the reasons end at the first ". " (a reason itself holds no ". ": taint keys and values are
# label-like) or at the final ".".
_FIT_ERROR = re.compile(r"0/\d+ nodes are available:\s*(.*)", re.S)
_END_OF_REASONS = re.compile(r"\.(?:\s|$)")

# --- cluster autoscaler: NotTriggerScaleUp --------------------------------------------------
#
# Upstream (kubernetes/autoscaler processors/status/eventing_scale_up_processor.go, tag
# cluster-autoscaler-1.34.0, dd28ada760f0): "pod didn't trigger scale-up: <count> <reason>, ..."
# (counts are node groups, in no particular order); up to cluster-autoscaler 1.19 (tag
# cluster-autoscaler-1.18.0, d5c57aeef3a3): "pod didn't trigger scale-up (it wouldn't fit if a new
# node is added): ..."; GKE's autoscaler (GoogleCloudPlatform/cluster-autoscaler@7d250507339b
# pkg/processors/scaleup/internal_eventing_scale_up_processor.go): "Pod didn't trigger scale-up:
# ..." and "Pod triggered scale-up: [...]", capitalised.
_NOT_TRIGGERED = re.compile(r"didn't trigger scale-up(?: \([^)]*\))?:\s*(.*)", re.S | re.I)
WOULD_NOT_FIT = "it wouldn't fit if a new node is added"  # cluster-autoscaler <= 1.19 prefix

# --- the reasons themselves -----------------------------------------------------------------
#
# noderesources/fit.go: "Insufficient %v" (cpu, memory, nvidia.com/gpu, ...).
_INSUFFICIENT = re.compile(r"Insufficient (\S+)")
# tainttoleration/taint_toleration.go: "node(s) had untolerated taint {%s: %s}" (k8s 1.25 to
# 1.34), "node(s) had untolerated taint(s)" with no key (kubernetes/kubernetes#134740, 1.35 and
# 1.34 patch releases), "node(s) had taint {%s: %s}, that the pod didn't tolerate" (before 1.25).
_TAINT = re.compile(r"had untolerated taint|had taints? .*that the pod didn't tolerate")
_TAINT_KEY = re.compile(r"taint \{([^:}]+):\s?([^}]*)\}")
# nodeaffinity/node_affinity.go: "node(s) didn't match Pod's node affinity/selector" (k8s 1.25,
# 1.30); older schedulers said "node(s) didn't match node selector".
_AFFINITY = re.compile(r"didn't match (?:Pod's node affinity|node selector)")
# volumebinding/binder.go: "node(s) had volume node affinity conflict" (a bound PV, e.g. a zonal
# disk, that the node cannot reach); volumezone/volume_zone.go: "node(s) had no available volume
# zone" (k8s 1.25, 1.30).
_VOLUME_ZONE = re.compile(r"had volume node affinity conflict|had no available volume zone")


def parse_reasons(message: str) -> dict[str, int]:
    """Scheduler / autoscaler reason list -> {reason: node (or node group) count}.

    ``0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node
    affinity/selector. preemption: ...`` (with or without ``no new claims to deallocate, `` before
    ``preemption:``) and ``pod didn't trigger scale-up: 1 max node group size reached`` both have
    that shape; reasons without a count get 0. Any other message is one reason.
    """
    text = message.strip()
    fit = _FIT_ERROR.search(text)
    if fit:
        body = _END_OF_REASONS.split(fit.group(1), maxsplit=1)[0]
    else:
        not_triggered = _NOT_TRIGGERED.search(text)
        body = not_triggered.group(1) if not_triggered else text
    body = body.strip().rstrip(".")
    reasons: dict[str, int] = {}
    for raw in re.split(r", (?=\d+ )", body):
        part = raw.strip()
        if not part:
            continue
        counted = re.match(r"(\d+) (.*)", part)
        if counted:
            reasons[counted.group(2)] = reasons.get(counted.group(2), 0) + int(counted.group(1))
        else:
            reasons[part] = 0
    return reasons


def insufficient(reasons: Iterable[str]) -> set[str]:
    """The resources named by ``Insufficient <resource>`` reasons."""
    return {m.group(1) for r in reasons for m in [_INSUFFICIENT.fullmatch(r)] if m}


def taint_reason(reasons: Iterable[str]) -> bool:
    """Some node(s) had a taint the pod does not tolerate (any wording)."""
    return any(_TAINT.search(r) for r in reasons)


def taints_named(reasons: Iterable[str]) -> list[tuple[str, str]]:
    """(key, value) of the taints the reasons name (none since Kubernetes 1.35)."""
    return [
        (m.group(1).strip(), m.group(2).strip())
        for r in reasons
        if _TAINT.search(r)
        for m in [_TAINT_KEY.search(r)]
        if m
    ]


def affinity_mismatch(reasons: Iterable[str]) -> bool:
    """Some node(s) did not match the pod's nodeSelector or node affinity (any wording)."""
    return any(_AFFINITY.search(r) for r in reasons)


def volume_zone_conflicts(reasons: dict[str, int]) -> int:
    """How many nodes (node groups) cannot reach a volume the pod's claims are bound to."""
    return sum(n or 1 for r, n in reasons.items() if _VOLUME_ZONE.search(r))


def is_autoscaler_not_triggered(message: str) -> bool:
    return _NOT_TRIGGERED.search(message) is not None


def scale_up_group(message: str) -> str:
    """``pod triggered scale-up: [{<group> 0->1 (max: 2)}]`` -> ``<group name> 0->1 (max: 2)``.

    ScaleUpInfo.String() is ``{%v %v->%v (max: %v)}`` (kubernetes/autoscaler
    processors/nodegroupset/nodegroup_set_processor.go, cluster-autoscaler-1.34.0); on GKE the
    group is the managed instance group's URL.
    """
    match = re.search(r"\{(\S+) (\d+->\d+ \(max: \d+\))\}", message)
    if not match:
        return re.sub(r"(?i)^pod triggered scale-up: ", "", message)
    group = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    return f"{group} {match.group(2)}"


# --- GKE's cluster autoscaler: FailedScaleUp ------------------------------------------------
#
# GoogleCloudPlatform/cluster-autoscaler@7d250507339b pkg/visibility/events/
# failed_scale_up_event_logger.go: "Node scale up in zones %v associated with this pod failed: %v.
# Pod is at risk of not being scheduled.", the zones and the distinct causes each joined with
# ", " ("GCE quota exceeded, GCE out of resources" in its _test.go), the whole message cut at 250
# characters (so the end, even the last cause, may be missing). Other causes: "IP space
# exhausted", "Service Account was deleted", "Some nodes in node group %q failed to appear in
# time", "Reservation ...", "Internal error".
_FAILED_SCALE_UP = re.compile(
    r"Node scale up in zones ?(.*?) associated with this pod failed: (.*?)"
    r"(?:\. Pod is at risk of not being scheduled\.?)?$",
    re.S,
)
QUOTA_EXCEEDED = "GCE quota exceeded"
OUT_OF_RESOURCES = "GCE out of resources"


@dataclass(frozen=True)
class FailedScaleUp:
    zones: tuple[str, ...]
    causes: tuple[str, ...]  # empty when the message is not GKE's


def parse_failed_scale_up(message: str) -> FailedScaleUp:
    match = _FAILED_SCALE_UP.search(message.strip())
    if not match:
        return FailedScaleUp((), ())
    zones = tuple(z.strip() for z in match.group(1).split(",") if z.strip())
    causes = [c.strip() for c in match.group(2).split(", ") if c.strip()]
    if causes and "Pod is at risk" not in message:  # cut at 250 characters: complete the last
        causes[-1] = next(
            (k for k in (QUOTA_EXCEEDED, OUT_OF_RESOURCES) if k.startswith(causes[-1])), causes[-1]
        )
    return FailedScaleUp(zones, tuple(causes))


# --- image pulls: the registry's HTTP status ------------------------------------------------
#
# containerd (core/remotes/errors/errors.go, containerd@301026e58c61): "unexpected status from %s
# request to %s: %s" with the response's "402 Payment Required"; kubelet prefixes "Failed to pull
# image %q: " (pkg/kubelet/images/image_manager.go). containers/image (CRI-O, podman): "invalid
# status code from registry 402 (Payment Required)"; docker: "received unexpected HTTP status:
# 502 Bad Gateway". nvcr.io answers 401 to a bad key, 402 to a valid key whose organization is
# not entitled to the image (NVIDIA/k8s-nim-operator#491, NVIDIA-AI-Blueprints/3d-guided-genai-
# rtx#6), 403 when access is denied.
_REGISTRY_STATUS = re.compile(
    r"unexpected status from \w+ request to \S+: (\d{3})\b"
    r"|invalid status code from registry (\d{3})\b"
    r"|received unexpected HTTP status: (\d{3})\b"
)


def registry_status(message: str) -> int | None:
    """The HTTP status a registry answered, as the container runtime reports it."""
    match = _REGISTRY_STATUS.search(message)
    if not match:
        return None
    return int(next(g for g in match.groups() if g))


# --- kubelet: Pulled ------------------------------------------------------------------------
#
# kubernetes/kubernetes pkg/kubelet/images/image_manager.go (EnsureImageExists), reason
# "Pulled" (events.PulledImage) in both cases:
#   "Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes."
#   (the pull itself, then the time including waiting in the kubelet's pull queue; Go durations
#   such as "1m28.512s", truncated to milliseconds; the image size since Kubernetes 1.30)
#   "Container image %q already present on machine" (no pull), since Kubernetes 1.33 with
#   " and can be accessed by the pod" appended (as kubectl describe shows it on 1.33+ nodes).
# Older kubelets wrote "Successfully pulled image %q in %v" alone: the extras are optional.
_PULLED = re.compile(
    r'Successfully pulled image "(?P<image>[^"]+)" in (?P<pull>[0-9.hmsuµn]+)'
    r"(?: \((?P<waiting>[0-9.hmsuµn]+) including waiting\))?"
    r"(?:\. Image size: (?P<size>\d+) bytes)?"
)
_PRESENT = re.compile(r'Container image "(?P<image>[^"]+)" already present on machine')
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration_seconds(text: str) -> float | None:
    """Go's ``time.Duration.String()`` ("1h2m3.5s", "850ms", "0s") in seconds."""
    parts = _GO_DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


@dataclass(frozen=True)
class Pulled:
    image: str
    present: bool
    """The image was already on the node: no pull."""
    pull_seconds: float | None = None
    waiting_seconds: float | None = None
    """The pull including the time it waited in the kubelet's queue."""
    size_bytes: int | None = None


def parse_pulled(message: str) -> Pulled | None:
    """kubelet's Pulled message, or None when it is not one."""
    present = _PRESENT.search(message)
    if present:
        return Pulled(present.group("image"), present=True)
    m = _PULLED.search(message)
    if not m:
        return None
    waiting = m.group("waiting")
    return Pulled(
        m.group("image"),
        present=False,
        pull_seconds=go_duration_seconds(m.group("pull")),
        waiting_seconds=go_duration_seconds(waiting) if waiting else None,
        size_bytes=int(m.group("size")) if m.group("size") else None,
    )


# --- image pulls: which request the registry refused -----------------------------------------
#
# containerd's "unexpected status from %s request to %s: %s" names the URL it asked
# (containerd@301026e58c61 core/remotes/errors/errors.go), so the token request can be told from
# the manifest or blob request: nvcr.io's token endpoint is ``https://nvcr.io/proxy_auth?...``,
# Artifact Registry's ``https://<region>-docker.pkg.dev/v2/token?...`` (the docker registry token
# protocol; a pull of ``us-docker.pkg.dev/<project>/does-not-exist/...`` is refused there with
# "404 Not Found" when the repository does not exist).
_REQUEST_STATUS = re.compile(
    r"unexpected status from \w+ request to (\S+): (\d{3})\b"
    # containerd's fetcher (core/remotes/docker/fetcher.go) for a manifest or blob: "unexpected
    # status code %v: %v" with the URL and the status
    r"|unexpected status code (https?://\S+): (\d{3})\b"
)
# containerd before 1.7 printed the status alone ("unexpected status: %s", release/1.6
# remotes/errors/errors.go); "failed to fetch oauth token" / "failed to fetch anonymous token"
# (core/remotes/docker/authorizer.go) still say it was the token request.
_BARE_STATUS = re.compile(r"unexpected status: (\d{3})\b")
_TOKEN_FETCH = re.compile(r"failed to fetch (?:oauth|anonymous) token")
# Artifact Registry's Docker hosts: ``<location>-docker.pkg.dev`` (components/image_mirror.py
# ``registry_host``; cloud.google.com/artifact-registry/docs/docker/names).
_ARTIFACT_REGISTRY_HOST = re.compile(r"^(?:[a-z0-9-]+-)?docker\.pkg\.dev/")


@dataclass(frozen=True)
class RegistryRefusal:
    status: int
    url: str | None
    """The request the registry answered, when the runtime names it (containerd does)."""
    token_fetch: bool = False
    """The runtime says it was fetching a token, whatever URL it names (or none)."""

    @property
    def token_request(self) -> bool:
        """The refusal came from the registry's token endpoint (before any image was read)."""
        return self.token_fetch or (
            self.url is not None
            and bool(re.search(r"/v2/token\b|/proxy_auth\b|/token\?", self.url))
        )


def registry_refusal(message: str) -> RegistryRefusal | None:
    """The HTTP status a registry answered and, with containerd, the URL it answered for."""
    token = _TOKEN_FETCH.search(message) is not None
    request = _REQUEST_STATUS.search(message)
    if request:
        url, status = request.group(1) or request.group(3), request.group(2) or request.group(4)
        return RegistryRefusal(int(status), url, token)
    bare = _BARE_STATUS.search(message)
    found = int(bare.group(1)) if bare else registry_status(message)
    return RegistryRefusal(found, None, token) if found is not None else None


def is_artifact_registry(image: str) -> bool:
    """The image is pulled from Artifact Registry (the stack's mirror of nvcr.io)."""
    return _ARTIFACT_REGISTRY_HOST.match(image) is not None


# --- CSI drivers: FailedMount -----------------------------------------------------------------
#
# kubelet reports a CSI NodePublishVolume failure as "MountVolume.SetUp failed for volume %q : %v"
# with the driver's gRPC status, which grpc-go prints "rpc error: code = %s desc = %s"
# (google.golang.org/grpc status.Error). The Cloud Storage FUSE CSI driver's codes
# (GoogleCloudPlatform/gcs-fuse-csi-driver@5fcdc04a02d2:docs/troubleshooting.md "MountVolume.SetUp
# failures", pkg/csi_driver/node.go): FailedPrecondition "failed to find the sidecar container in
# Pod spec" (the pod is not annotated gke-gcsfuse/volumes: "true"), Internal "the webhook failed to
# inject the sidecar container into the Pod spec", PermissionDenied "failed to get GCS bucket %q:
# googleapi: Error 403: ..." (the Kubernetes service account may not read the bucket), NotFound
# "failed to get GCS bucket %q: storage: bucket doesn't exist", Unauthenticated "failed to prepare
# storage service: ..." (credentials still propagating: "If you still see this warning after 5
# minutes", check the service account set-up).
_CSI_STATUS = re.compile(r"rpc error: code = (\w+) desc = (.*)", re.S)
_GCS_BUCKET = re.compile(r'GCS bucket "([^"]+)"')


@dataclass(frozen=True)
class CsiFailure:
    code: str
    """The gRPC code name: FailedPrecondition, PermissionDenied, NotFound, ..."""
    detail: str
    bucket: str | None = None
    """The Cloud Storage bucket the Cloud Storage FUSE driver names, if any."""

    @property
    def gcsfuse(self) -> bool:
        """A failure of the Cloud Storage FUSE CSI driver (by its own wording)."""
        return (
            self.bucket is not None
            or "sidecar container" in self.detail
            or "storage service" in self.detail
            or "gcsfuse" in self.detail.lower()
        )


def csi_failure(message: str) -> CsiFailure | None:
    """A CSI driver's gRPC status as kubelet reports it in a FailedMount event."""
    match = _CSI_STATUS.search(message)
    if not match:
        return None
    detail = match.group(2).strip()
    bucket = _GCS_BUCKET.search(detail)
    return CsiFailure(match.group(1), detail, bucket.group(1) if bucket else None)


# --- GKE's Gateway controller ---------------------------------------------------------------
#
# GKE keeps a Gateway whose load balancer Compute Engine refused at Programmed=False with reason
# Pending, and says why in the message: "error cause: gceSync: generic::invalid_argument: Insert:
# Invalid value for field 'resource.target': '...'. An active proxy-only subnetwork is required in
# the same region and VPC as the forwarding rule." (selvik/llmd@01e77a7c5d45 install.md, a
# Gateway's status as GKE wrote it), also "generic::deadline_exceeded: Insert: context deadline
# exceeded" for a call that timed out. Its own validation errors carry a GWCER code, in the
# cluster's events (Google's gcpdiag reads "Error GWCER106: Gateway" and "Error GWCER101:
# Annotation" there: GoogleCloudPlatform/gcpdiag@87306ae34b0b gcpdiag/lint/gke/
# err_2023_007_gw_controller_http_route_misconfig.py, err_2023_006_...) and conditions: "failed to
# translate Gateway "gateway/test": Error GWCER106: Gateway "gateway/test" is invalid, err:
# unsupported address type "IPAddress", only "NamedAddress" is supported.." (a SYNC event quoted in
# kubernetes-sigs/gateway-api#2632). The other wordings the fixtures use (GWCER106 'address "X"
# does not exist', GWCER104 'HTTPRoute "ns/name" is misconfigured, err: Timeouts are not
# supported.', GWCER102 'services ns/name not found' inside a GWCER104 inside a BackendNotFound
# message, and deadline_exceeded) are quoted from real clusters in public files that the code
# index returns without their repository; the fixtures' SOURCES quote them. No GKE page lists
# the codes.
_GCE_SYNC = re.compile(r"gceSync:\s*(?:generic::(\w+):\s*)?(.*)", re.S)
TRANSIENT_GCE_CODES = ("deadline_exceeded", "unavailable", "aborted")
"""Canonical codes of a Compute Engine call that failed for now; GKE retries it."""
PROXY_SUBNET_MISSING = "An active proxy-only subnetwork is required"
_GWCER = re.compile(r"Error (GWCER\d{3}): ")
_GWCER_OBJECT = re.compile(
    r'(Gateway|HTTPRoute) "(?:[^"/]+/)?([^"]+)" is (?:invalid|misconfigured)'
)
_MISSING_ADDRESS = re.compile(r'address "([^"]+)" does not exist')


@dataclass(frozen=True)
class GceSyncError:
    code: str | None
    """The canonical code after ``generic::`` (invalid_argument, deadline_exceeded, ...)."""
    detail: str

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_GCE_CODES

    @property
    def proxy_subnet_missing(self) -> bool:
        return PROXY_SUBNET_MISSING in self.detail


def parse_gce_sync(message: str) -> GceSyncError | None:
    """GKE's "error cause: gceSync: ..." (a Compute Engine call the Gateway controller made)."""
    match = _GCE_SYNC.search(message)
    if not match:
        return None
    return GceSyncError(match.group(1), " ".join(match.group(2).split()))


@dataclass(frozen=True)
class GatewayControllerError:
    codes: tuple[str, ...]
    """Every GWCER code, outermost first (a GWCER104 may wrap a GWCER102)."""
    kind: str | None
    """The object the outermost error names: Gateway or HTTPRoute."""
    name: str | None
    detail: str
    """What follows the last "err: " (or the last code)."""

    @property
    def code(self) -> str:
        """The innermost code: the error itself, not the object it made invalid."""
        return self.codes[-1]

    @property
    def missing_address(self) -> str | None:
        match = _MISSING_ADDRESS.search(self.detail)
        return match.group(1) if match else None


def parse_gateway_controller_error(message: str) -> GatewayControllerError | None:
    """GKE's "Error GWCERnnn: ..." in a Gateway or HTTPRoute condition or a SYNC event."""
    codes = tuple(_GWCER.findall(message))
    if not codes:
        return None
    obj = _GWCER_OBJECT.search(message)
    tail = _GWCER.split(message.rsplit("err: ", 1)[-1])[-1]
    return GatewayControllerError(
        codes,
        obj.group(1) if obj else None,
        obj.group(2) if obj else None,
        " ".join(tail.split()).rstrip("."),
    )
