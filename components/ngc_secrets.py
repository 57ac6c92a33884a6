"""The NIM namespace and the two Secrets NIM needs from NGC: image pull and API key.

The key only ever travels as a secret Output; both Secrets are written through ``string_data``
with ``additional_secret_outputs`` so state holds them encrypted.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

TYPE = "nim-gke:ngc:NgcSecrets"
REGISTRY = "nvcr.io"
REGISTRY_USER = "$oauthtoken"
# The chart reads env NGC_API_KEY from this key (nim-llm 1.3.0
# templates/deployment.yaml, secretKeyRef key NGC_API_KEY). The legacy name is
# written too so older charts and init containers keep working.
API_KEY_KEYS = ("NGC_API_KEY", "NGC_CLI_API_KEY")
PART_OF_LABEL = {"app.kubernetes.io/part-of": "nim-gke"}
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")


def docker_config_json(api_key: str) -> str:
    """A ``.dockerconfigjson`` document authenticating to nvcr.io with the NGC key."""
    auth = base64.b64encode(f"{REGISTRY_USER}:{api_key}".encode()).decode()
    return json.dumps(
        {"auths": {REGISTRY: {"username": REGISTRY_USER, "password": api_key, "auth": auth}}}
    )


def clean_ngc_key(key: pulumi.Input[str]) -> pulumi.Output[str]:
    """The NGC key without surrounding whitespace, as a secret Output (never unwrapped).

    A key stored with a shell here-string (``gcloud secrets create ... --data-file=- <<<
    "nvapi-..."``) ends with a newline: "The result is supplied as a single string, with a newline
    appended, to the command on its standard input" (GNU Bash manual, 3.6.7 Here Strings,
    www.gnu.org/software/bash/manual/bash.html#Here-Strings). NGC keys contain no whitespace, so
    stripping only removes what the shell added; a newline inside the dockerconfigjson password or
    NGC_API_KEY would fail every pull and download."""
    return pulumi.Output.secret(key).apply(lambda k: k.strip())


def stored_key_warning(secret: str, version: str, data: str) -> str | None:
    """A preview warning when the Secret Manager version holds whitespace around the key: the
    stack strips it for the Kubernetes Secrets and Helm, but the Artifact Registry mirror hands
    the stored version to nvcr.io as it is. Never shows the key."""
    if data == data.strip():
        return None
    return (
        f"security.ngcSecret {secret!r} ({version}) holds the NGC key with surrounding whitespace "
        "(a shell here-string adds a newline): the stack strips it for the Kubernetes Secrets, "
        "but the Artifact Registry mirror sends the stored version to nvcr.io as it is, and "
        "nvcr.io refuses it. Add a clean version: printf '%s' \"$NGC_API_KEY\" | gcloud secrets "
        f"versions add {secret} --data-file=-"
    )


def pod_security_labels(level: str) -> dict[str, str]:
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


@dataclass(frozen=True, kw_only=True)
class NgcSecretsArgs:
    ngc_api_key: pulumi.Input[str]
    """The NGC API key; wrapped in ``Output.secret`` and stripped (:func:`clean_ngc_key`) whatever
    is passed."""
    namespace: str = "nim"
    pull_secret_name: str = "ngc-registry"
    api_secret_name: str = "ngc-api"
    pod_security: str = "restricted"
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pod_security not in POD_SECURITY_LEVELS:
            raise ValueError(
                f"pod_security must be one of {POD_SECURITY_LEVELS}, got {self.pod_security!r}"
            )


class NgcSecrets(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    pull_secret_name: pulumi.Output[str]
    api_secret_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NgcSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        key = clean_ngc_key(args.ngc_api_key)
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    **args.labels,
                    **PART_OF_LABEL,
                    **pod_security_labels(args.pod_security),
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(
            parent=self, depends_on=[ns], additional_secret_outputs=["data", "stringData"]
        )
        pull = k8s.core.v1.Secret(
            f"{name}-registry",
            metadata={
                "name": args.pull_secret_name,
                "namespace": ns.metadata.name,
                "labels": PART_OF_LABEL,
            },
            type="kubernetes.io/dockerconfigjson",
            # `key` is a secret Output, so everything derived from it stays secret.
            string_data={".dockerconfigjson": key.apply(docker_config_json)},
            opts=in_ns,
        )
        api = k8s.core.v1.Secret(
            f"{name}-api-key",
            metadata={
                "name": args.api_secret_name,
                "namespace": ns.metadata.name,
                "labels": PART_OF_LABEL,
            },
            type="Opaque",
            string_data={k: key for k in API_KEY_KEYS},
            opts=in_ns,
        )
        self.namespace = ns.metadata.name
        self.pull_secret_name = pull.metadata.name
        self.api_secret_name = api.metadata.name
        self.register_outputs(
            {
                "namespace": self.namespace,
                "pull_secret_name": self.pull_secret_name,
                "api_secret_name": self.api_secret_name,
            }
        )
