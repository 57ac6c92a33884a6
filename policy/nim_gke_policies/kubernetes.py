"""Rules for the Kubernetes side: Services and Gateways, the nim-llm Helm release, the NGC
Secrets, the NIM namespace and the images of the workloads the stack creates itself. Messages name
the engine's camelCase wire paths."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .engine import (
    Check,
    Config,
    ResourceRule,
    Schema,
    Step,
    as_count,
    config_value,
    lookup,
    nonempty,
    one_of,
)
from .model import (
    COMPUTE_CLASS_LABEL,
    GATEWAY,
    HELM_RELEASE,
    NAMESPACE,
    SECRET,
    SERVICE,
    UNKNOWN_ANCESTOR,
    Findings,
    Resource,
    Unknown,
    dig,
    show,
)

# GKE's GatewayClasses whose load balancer has only internal addresses (GKE "GatewayClass
# capabilities": gke-l7-rilb, gke-l7-rilb-mc, gke-l7-cross-regional-internal-managed-mc); every
# other class, GKE's external ones included, is judged public.
INTERNAL_GATEWAY_CLASSES = (
    "gke-l7-rilb",
    "gke-l7-rilb-mc",
    "gke-l7-cross-regional-internal-managed-mc",
)

# GKE creates an internal passthrough load balancer for a Service carrying either annotation
# (the second is the older spelling GKE still honours).
INTERNAL_LB_ANNOTATIONS = (
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
)

# The label the program puts on the NIM namespace; namespace rules apply only to it.
PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF_VALUE = "nim-gke"
PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

# Where the NGC API key lives in the nim-llm chart's Secrets
# (NVIDIA/nim-deploy@ded6de861fc4:helm/nim-llm/templates/): deployment.yaml gives the NIM
# container NGC_API_KEY from key NGC_API_KEY of model.ngcAPISecret and the model-puller init
# container NGC_CLI_API_KEY (the key charts up to 1.0.0 read); secrets.yaml writes the image
# pull Secret as type kubernetes.io/dockerconfigjson under .dockerconfigjson.
NGC_SECRET_KEYS = ("NGC_API_KEY", "NGC_CLI_API_KEY", ".dockerconfigjson")
NGC_ENV_NAMES = ("NGC_API_KEY", "NGC_CLI_API_KEY")

GPU_NODE_SELECTOR_KEYS = (
    "cloud.google.com/gke-nodepool",
    "cloud.google.com/gke-accelerator",
    COMPUTE_CLASS_LABEL,
)
# The system labels a ComputeClass decides: "GKE also rejects any Pods that select system labels
# that have a corresponding field in the ComputeClass specification" (cloud.google.com/
# kubernetes-engine/docs/concepts/about-custom-compute-classes, "Node selectors for system node
# labels", its table of node labels and ComputeClass fields).
CLASS_DECIDED_LABELS = (
    "cloud.google.com/machine-family",
    "cloud.google.com/machine-type",
    "cloud.google.com/gke-spot",
    "cloud.google.com/gke-accelerator",
    "cloud.google.com/gke-gpu-driver-version",
    "cloud.google.com/reservation-name",
    "cloud.google.com/reservation-project",
    "cloud.google.com/reservation-affinity",
    "cloud.google.com/gke-ephemeral-storage-local-ssd",
    "cloud.google.com/gke-boot-disk",
    "cloud.google.com/gke-boot-disk-size",
    "cloud.google.com/gke-node-pool-group-name",
    "cloud.google.com/gke-workload-type",
    "node.kubernetes.io/instance-type",
)
_NIM_CHART_RE = re.compile(r"^nim-llm(-\d[\w.+-]*)?$")

# Workloads the stack creates itself, and where each holds its pod spec (the nim-llm chart's are
# rendered by Helm from the release, which other rules judge).
POD_SPECS = {
    "kubernetes:core/v1:Pod": "spec",
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
}
# Artifact Registry's Docker hosts are <location>-docker.pkg.dev, images
# <host>/<project>/<repository>/<image> (cloud.google.com/artifact-registry/docs/docker/names).
_ARTIFACT_REGISTRY_IMAGE = re.compile(r"^[a-z0-9-]+-docker\.pkg\.dev/[^/]+/[^/]+/.+")
# An image named by digest: <name>@sha256:<64 hex> (the OCI distribution spec's digest form).
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

LB_SCHEMA: Schema = {
    "allowPublicLoadBalancer": {
        "type": "boolean",
        "default": False,
        "description": "Allow Services (and the NIM chart's service) of type LoadBalancer "
        "without the GKE internal load balancer annotation.",
    }
}

PSS_SCHEMA: Schema = {
    "minimumLevel": {
        "type": "string",
        "enum": ["baseline", "restricted"],
        "default": "restricted",
        "description": "Weakest Pod Security Standard the NIM namespace may enforce.",
    }
}


def is_nim_chart(chart: Any) -> bool:
    """True for the nim-llm chart however it is referenced: `nim-llm`, `ngc/nim-llm`, a path
    ending in `nim-llm`, an OCI reference, or a `nim-llm-<version>.tgz` URL."""
    if not isinstance(chart, str):
        return False
    base = chart.rstrip("/").rsplit("/", 1)[-1]
    base = base.removesuffix(".tgz")
    return bool(_NIM_CHART_RE.match(base))


def is_nim_namespace(props: Mapping[str, Any]) -> bool | None:
    """True/False for the part-of label; None when the labels are unknown."""
    labels = dig(props, "metadata", "labels")
    if isinstance(labels, Unknown):
        return None
    value = dig(labels, PART_OF_LABEL)
    if isinstance(value, Unknown):
        return None
    return value == PART_OF_VALUE


# --- guards: the resources a rule is about ------------------------------------------------------


def _nim_release(resource: Resource, config: Config, f: Findings) -> bool:
    """Only the nim-llm release; other Helm releases are left alone."""
    return is_nim_chart(dig(resource.props, "chart"))


def _selects_a_class_it_can_run_on(resource: Resource, config: Config, f: Findings) -> None:
    """A release that selects a ComputeClass selects nothing the class decides, and tolerates
    the taint on the class's nodes (on Standard clusters without node auto-provisioning the pod
    must carry it: cloud.google.com/kubernetes-engine/docs/how-to/workload-separation)."""
    selector = dig(resource.props, "values", "nodeSelector")
    name = dig(selector, COMPUTE_CLASS_LABEL) if isinstance(selector, Mapping) else None
    if name is None or isinstance(name, Unknown):
        if isinstance(name, Unknown):
            f.unknown(f'values.nodeSelector["{COMPUTE_CLASS_LABEL}"]')
        return
    assert isinstance(selector, Mapping)
    decided = [k for k in CLASS_DECIDED_LABELS if k in selector]
    if decided:
        f.fail(
            f"values.nodeSelector selects ComputeClass {show(name)} and also "
            f"{', '.join(decided)}, which the class decides: GKE rejects such pods. Remove "
            f"{', '.join(decided)} from the node selector."
        )
    tolerations = dig(resource.props, "values", "tolerations")
    if isinstance(tolerations, Unknown) or any(
        isinstance(t, Unknown) for t in (tolerations if isinstance(tolerations, list) else ())
    ):
        f.unknown("values.tolerations")
        return
    tolerated = any(
        dig(t, "key") == COMPUTE_CLASS_LABEL
        and dig(t, "effect") in (None, "NoSchedule")
        and (
            dig(t, "operator") == "Exists"
            or (dig(t, "operator") in (None, "Equal") and dig(t, "value") == name)
        )
        for t in (tolerations if isinstance(tolerations, list) else ())
    )
    if not tolerated:
        f.fail(
            f"values.tolerations is {show(tolerations)}: the nodes of ComputeClass {show(name)} "
            f"carry the taint {COMPUTE_CLASS_LABEL}={name}:NoSchedule, so the NIM pods never "
            f'schedule there. Add {{"key": "{COMPUTE_CLASS_LABEL}", "operator": "Equal", '
            f'"value": {show(name)}, "effect": "NoSchedule"}} to values.tolerations.'
        )


def _nim_namespace(resource: Resource, config: Config, f: Findings) -> bool:
    nim = is_nim_namespace(resource.props)
    if nim is None:
        f.unknown("metadata.labels")
    return nim is True


def _public_lb_not_allowed(resource: Resource, config: Config, f: Findings) -> bool:
    return config_value(LB_SCHEMA, config, "allowPublicLoadBalancer") is not True


# --- steps --------------------------------------------------------------------------------------


def _is_internal_lb(annotations: Any) -> bool:
    if not isinstance(annotations, Mapping):
        return False
    return any(annotations.get(key) == "Internal" for key in INTERNAL_LB_ANNOTATIONS)


def _internal_load_balancer(type_path: str, annotations_path: str, consequence: str) -> Step:
    """A service of type LoadBalancer carries GKE's internal load balancer annotation."""

    def step(resource: Resource, config: Config, f: Findings) -> None:
        service_type = lookup(resource.props, type_path)
        annotations = lookup(resource.props, annotations_path)
        if isinstance(service_type, Unknown):
            f.unknown(type_path)
            return
        if service_type != "LoadBalancer" or _is_internal_lb(annotations):
            return
        if isinstance(annotations, Unknown) or (
            isinstance(annotations, Mapping)
            and any(isinstance(annotations.get(k), Unknown) for k in INTERNAL_LB_ANNOTATIONS)
        ):
            f.unknown(annotations_path)
            return
        f.fail(
            f'{type_path} is "LoadBalancer" and {annotations_path} lacks '
            f'networking.gke.io/load-balancer-type: "Internal": {consequence}. Use ClusterIP or '
            "an internal load balancer, or set policy config allowPublicLoadBalancer=true for "
            "this stack."
        )

    return step


def _no_key_in_values(key: Any) -> bool:
    """Absent or blank. An unknown key counts as set: an Output (often a secret) was put there."""
    if isinstance(key, str):
        return not key.strip()
    return key is None


def _no_literal_ngc_env(resource: Resource, config: Config, f: Findings) -> None:
    env = dig(resource.props, "values", "env")
    for i, item in enumerate(env if isinstance(env, list) else ()):
        name = dig(item, "name")
        if name in NGC_ENV_NAMES and dig(item, "value") is not None:
            f.fail(
                f"values.env[{i}] sets {name} as a literal value: the NGC key would be "
                "stored as a plain Helm value. Use valueFrom.secretKeyRef or "
                "values.model.ngcAPISecret."
            )


def _pull_secrets_named(resource: Resource, config: Config, f: Findings) -> None:
    p = resource.props
    pull = dig(p, "values", "imagePullSecrets")
    # Only nvcr.io needs the pull Secret: through the Artifact Registry mirror in front of it
    # (components/image_mirror.py) the node's service account authenticates. An unset or unknown
    # repository counts as nvcr.io (the chart's default image is there).
    repository = dig(p, "values", "image", "repository")
    from_nvcr = not isinstance(repository, str) or repository.startswith("nvcr.io/")
    if pull is UNKNOWN_ANCESTOR:
        f.unknown("values.imagePullSecrets")
    elif not nonempty(pull) and from_nvcr:
        f.fail(
            f"values.imagePullSecrets is {show(pull)}: nvcr.io images cannot be pulled (the chart "
            'default names a Secret "ngc-secret" that this program does not create). Set it to '
            '[{"name": <the kubernetes.io/dockerconfigjson Secret>}].'
        )
    elif isinstance(pull, list):
        for i, item in enumerate(pull):
            if not nonempty(dig(item, "name")) and not isinstance(item, Unknown):
                f.fail(f"values.imagePullSecrets[{i}].name is unset: name the pull Secret.")


def _kept_secret(fieldname: str) -> Step:
    """A Secret's `fieldname` (data or stringData) holding the NGC key is secret in the state."""

    def step(resource: Resource, config: Config, f: Findings) -> None:
        values = dig(resource.props, fieldname)
        secret = fieldname in resource.secret_outputs
        if isinstance(values, Unknown):
            if not secret:
                f.unknown(fieldname)
            return
        if not isinstance(values, Mapping):
            return
        keys = [k for k in NGC_SECRET_KEYS if k in values]
        if keys and not secret:
            f.fail(
                f"{fieldname} carries {', '.join(keys)} but {fieldname} is not in the resource's "
                "additionalSecretOutputs: the NGC key could land in plain text in the Pulumi "
                "state. Create it with pulumi_kubernetes.core.v1.Secret (which marks data and "
                f'stringData secret) or pass additional_secret_outputs=["{fieldname}"].'
            )

    return step


def _images_pinned_or_from_artifact_registry(
    resource: Resource, config: Config, f: Findings
) -> None:
    """Each container's image is pulled from Artifact Registry or named by digest."""
    path = POD_SPECS[resource.type]
    pod = lookup(resource.props, path)
    if isinstance(pod, Unknown):
        f.unknown(path)
        return
    for kind in ("initContainers", "containers"):
        containers = dig(pod, kind)
        if isinstance(containers, Unknown):
            f.unknown(f"{path}.{kind}")
            continue
        for i, container in enumerate(containers if isinstance(containers, list) else ()):
            where = f"{path}.{kind}[{i}].image"
            image = dig(container, "image")
            if isinstance(image, Unknown):
                f.unknown(where)
            elif not isinstance(image, str) or not (
                _ARTIFACT_REGISTRY_IMAGE.match(image) or _DIGEST.search(image)
            ):
                # Docker Hub: "Unauthenticated users | 10 per IPv4 address or IPv6 /64 subnet"
                # pulls an hour (https://docs.docker.com/docker-hub/usage/, docker/docs
                # content/manuals/docker-hub/usage/_index.md, read 2026-12-03).
                f.fail(
                    f"{where} is {show(image)}: an image by tag from outside Artifact Registry "
                    "can change under the stack, and every node pulls it from the internet "
                    "(Docker Hub limits anonymous pulls per address; private nodes share one NAT "
                    "address). Pull it through an Artifact Registry remote repository of its "
                    "registry in the stack's region, or name it by digest "
                    "(<image>@sha256:<digest>); the stack's own images do both."
                )


def _pod_security_level(resource: Resource, config: Config, f: Findings) -> bool:
    minimum = config_value(PSS_SCHEMA, config, "minimumLevel")
    allowed = ("restricted",) if minimum == "restricted" else ("baseline", "restricted")
    return Check(
        f'metadata.labels["{PSS_ENFORCE_LABEL}"]',
        one_of(*allowed),
        lambda level: (
            f'metadata.labels["{PSS_ENFORCE_LABEL}"] is {show(level)}: the NIM namespace must '
            f"enforce the {' or '.join(repr(a) for a in allowed)} Pod Security Standard (policy "
            f"config minimumLevel={minimum}). Add the label {PSS_ENFORCE_LABEL}: {minimum}."
        ),
    )(resource, config, f)


# --- the rules, in registry order ---------------------------------------------------------------

KUBERNETES_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        name="no-public-load-balancer",
        description=(
            "No Service, and no nim-llm release service, of type LoadBalancer unless it is an "
            "internal load balancer (networking.gke.io/load-balancer-type: Internal), and no "
            "Gateway of a class other than GKE's internal ones, unless the stack's policy config "
            "sets allowPublicLoadBalancer."
        ),
        severity="critical",
        remediation="Use ClusterIP, an internal load balancer or the gke-l7-rilb GatewayClass.",
        steps={
            SERVICE: (
                _public_lb_not_allowed,
                _internal_load_balancer(
                    "spec.type", "metadata.annotations", "GKE gives the Service a public IP"
                ),
            ),
            HELM_RELEASE: (
                _public_lb_not_allowed,
                _nim_release,
                _internal_load_balancer(
                    "values.service.type",
                    "values.service.annotations",
                    "the NIM OpenAI endpoint, which has no authentication, gets a public IP",
                ),
            ),
            GATEWAY: (
                _public_lb_not_allowed,
                Check(
                    "spec.gatewayClassName",
                    one_of(*INTERNAL_GATEWAY_CLASSES),
                    "spec.gatewayClassName is {value}, not one of GKE's internal classes ("
                    + ", ".join(INTERNAL_GATEWAY_CLASSES)
                    + "): its load balancer gets a public IP and the NIM OpenAI endpoint, which "
                    "has no authentication, is on the internet. Use gke-l7-rilb, or set policy "
                    "config allowPublicLoadBalancer=true for this stack.",
                ),
            ),
        },
        config_schema=LB_SCHEMA,
    ),
    ResourceRule(
        name="nim-ngc-credentials",
        description=(
            "The nim-llm release never carries the NGC key in Helm values (model.ngcAPIKey absent "
            "or empty, no literal NGC_API_KEY env, no valueYamlFiles) and names its Secrets "
            "explicitly (model.ngcAPISecret, imagePullSecrets)."
        ),
        severity="critical",
        remediation="Create the NGC Secrets in the stack and reference them by name.",
        steps={
            HELM_RELEASE: (
                _nim_release,
                # Never echo the key itself in a message.
                Check(
                    "values.model.ngcAPIKey",
                    _no_key_in_values,
                    "values.model.ngcAPIKey is set: the NGC API key would be stored as a plain "
                    "Helm value (release history, `helm get values`) and the chart would generate "
                    "its own Secrets. Remove it; put the key in the Secret named by "
                    "values.model.ngcAPISecret.",
                    judge_unknown=True,
                ),
                _no_literal_ngc_env,
                Check(
                    "valueYamlFiles",
                    lambda files: not nonempty(files),
                    "valueYamlFiles is set: values read from files are invisible to this policy "
                    "pack (an NGC key could hide there). Pass the NIM values inline through "
                    "`values`.",
                    judge_unknown=True,
                ),
                Check(
                    "values.model.ngcAPISecret",
                    nonempty,
                    "values.model.ngcAPISecret is {value}: the chart falls back to a Secret named "
                    '"ngc-api" that this program does not create. Set it to the Secret that holds '
                    "NGC_API_KEY.",
                    judge_unknown=True,
                ),
                _pull_secrets_named,
            )
        },
    ),
    ResourceRule(
        name="nim-gpu-scheduling",
        description=(
            'The nim-llm release requests at least one GPU (resources.limits["nvidia.com/gpu"], '
            "required explicitly) and pins its pods to GPU nodes through nodeSelector (a GPU pool, "
            "or a ComputeClass whose taint it tolerates, without a label the class decides)."
        ),
        severity="medium",
        remediation="Set the GPU limit and a cloud.google.com/compute-class node selector.",
        steps={
            HELM_RELEASE: (
                _nim_release,
                Check(
                    'values.resources.limits["nvidia.com/gpu"]',
                    lambda limit: (as_count(limit) or 0) >= 1,
                    'values.resources.limits["nvidia.com/gpu"] is {value}: without a GPU limit of '
                    "at least 1 the NIM pod gets no GPU (and no GPU toleration). Set it to the "
                    "GPUs per replica.",
                ),
                Check(
                    "values.nodeSelector",
                    lambda selector: (
                        isinstance(selector, Mapping)
                        and any(nonempty(selector.get(key)) for key in GPU_NODE_SELECTOR_KEYS)
                    ),
                    "values.nodeSelector is {value}: it must pin the NIM pods to GPU nodes "
                    "with cloud.google.com/compute-class (the GPU pools' ComputeClass), "
                    "cloud.google.com/gke-nodepool or cloud.google.com/gke-accelerator.",
                ),
                _selects_a_class_it_can_run_on,
            )
        },
    ),
    ResourceRule(
        name="ngc-secret-values-secret",
        description=(
            "A Secret holding NGC_API_KEY, NGC_CLI_API_KEY or .dockerconfigjson keeps those fields "
            "secret in the Pulumi state (data/stringData listed in additionalSecretOutputs)."
        ),
        severity="critical",
        remediation="Create the Secret with pulumi_kubernetes.core.v1.Secret.",
        steps={SECRET: (_kept_secret("data"), _kept_secret("stringData"))},
    ),
    ResourceRule(
        name="nim-namespace-pod-security",
        description=(
            "The NIM namespace (label app.kubernetes.io/part-of: nim-gke) enforces the restricted "
            "Pod Security Standard (config minimumLevel may allow baseline)."
        ),
        severity="high",
        remediation="Label the namespace pod-security.kubernetes.io/enforce: restricted.",
        steps={NAMESPACE: (_nim_namespace, _pod_security_level)},
        config_schema=PSS_SCHEMA,
    ),
    ResourceRule(
        name="workload-images-pinned",
        description=(
            "Every container and init container of a workload the stack creates itself (Pod, "
            "Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; the nim-llm chart's "
            "are the Helm release's) names an Artifact Registry image "
            "(<location>-docker.pkg.dev/...) or pins its image by digest (@sha256:...)."
        ),
        severity="high",
        remediation=(
            "Pin the image by digest and pull it through an Artifact Registry remote repository."
        ),
        steps={kind: (_images_pinned_or_from_artifact_registry,) for kind in POD_SPECS},
    ),
)
