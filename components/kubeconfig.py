"""The kubeconfig :class:`components.cluster.GkeCluster` hands out (and its Kubernetes provider
uses): the cluster's DNS endpoint when it has one, authenticated by ``gke-gcloud-auth-plugin`` with
Application Default Credentials."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_gcp as gcp

ADC_FLAG = "--use_application_default_credentials"


def make_kubeconfig(name: str, server: str, ca_certificate: str | None) -> str:
    """A kubeconfig that authenticates with ``gke-gcloud-auth-plugin`` and Application Default
    Credentials (no static credentials, no token in state).

    ``--use_application_default_credentials`` makes the plugin use ADC, the identity pulumi-gcp
    uses; without it the plugin runs ``gcloud config config-helper`` and uses gcloud's active
    account instead (kubernetes/cloud-provider-gcp
    cmd/gke-gcloud-auth-plugin/cred.go: ``use_application_default_credentials``, "Output is an
    ExecCredential filled with application default credentials"; with it the plugin does not run
    gcloud at all). The plugin has no endpoint logic, so the same user works against the DNS
    endpoint (Cloud SDK 545.0.0 removed the gcloud-side refusal,
    DNSEndpointOrUseApplicationDefaultCredentialsError). client-go runs the plugin whenever
    the token expires, so a long ``pulumi up`` never outlives it.

    ``ca_certificate`` is None for the DNS endpoint, which serves a publicly trusted certificate
    (gcloud writes no certificate-authority-data for it, Cloud SDK api_lib/container/
    kubeconfig.py).
    """
    context = f"gke-{name}"
    cluster: dict[str, str] = {"server": server}
    if ca_certificate:
        cluster["certificate-authority-data"] = ca_certificate
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "users": [
                {
                    "name": context,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "args": [ADC_FLAG],
                            "installHint": "Install gke-gcloud-auth-plugin: gcloud components "
                            "install gke-gcloud-auth-plugin (and run gcloud auth "
                            "application-default login)",
                            "provideClusterInfo": True,
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def kubeconfig_server(ip_endpoint: str, dns_endpoint: str | None) -> tuple[str, bool]:
    """``(server URL, uses the DNS endpoint)``: the DNS endpoint when the cluster has one."""
    if dns_endpoint:
        return f"https://{dns_endpoint}", True
    return f"https://{ip_endpoint}", False


def _field(obj: object, name: str) -> Any:
    """A field of a resolved output object: Pulumi's output types are dicts with attributes."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def cluster_kubeconfig(cluster: gcp.container.Cluster, *, dns_endpoint: bool) -> pulumi.Output[str]:
    """Secret: the kubeconfig of ``cluster``, through its DNS endpoint when ``dns_endpoint``."""

    def kubeconfig(name: str, ip: str, auth: object, endpoints: object) -> str:
        dns = _field(_field(endpoints, "dns_endpoint_config"), "endpoint")
        server, via_dns = kubeconfig_server(ip, dns if dns_endpoint else None)
        ca = None if via_dns else _field(auth, "cluster_ca_certificate")
        return make_kubeconfig(name, server, ca)

    return pulumi.Output.secret(
        pulumi.Output.all(
            cluster.name,
            cluster.endpoint,
            cluster.master_auth,
            cluster.control_plane_endpoints_config,
        ).apply(lambda a: kubeconfig(*a))
    )
