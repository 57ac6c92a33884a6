"""The roles the deploying identity (a user or CI service account) needs, by resource type.

Every resource type the program registers (``nimctl plan --json`` lists them) maps to the role(s)
that let the deployer create it; ``docs/deploying.md``'s role table is checked against this
(``tests/test_deployer_roles.py``): a new resource type without a role, or a role the table does
not list, fails the tests. Roles come from Google's IAM reference (cloud.google.com/iam/docs/
roles-permissions/<service>, read 2026-12-03): each role named holds the ``<resource>.create``
permission of its types.
"""

from __future__ import annotations

CONTAINER_ADMIN = "roles/container.admin"
SA_USER = "roles/iam.serviceAccountUser"

ROLE_FOR_TYPE: dict[str, tuple[str, ...]] = {
    # The nvcr.io mirror and the Docker Hub cache (artifactregistry.repositories.create).
    "gcp:artifactregistry/repository:Repository": ("roles/artifactregistry.admin",),
    "gcp:billing/budget:Budget": ("roles/billing.costsManager",),
    "gcp:compute/address:Address": ("roles/compute.networkAdmin",),
    "gcp:compute/firewall:Firewall": ("roles/compute.securityAdmin",),
    "gcp:compute/network:Network": ("roles/compute.networkAdmin",),
    "gcp:compute/router:Router": ("roles/compute.networkAdmin",),
    "gcp:compute/routerNat:RouterNat": ("roles/compute.networkAdmin",),
    "gcp:compute/subnetwork:Subnetwork": ("roles/compute.networkAdmin",),
    # A pool (and the cluster's temporary default pool) runs as a service account: GKE needs the
    # Service Account User role on it.
    "gcp:container/cluster:Cluster": (CONTAINER_ADMIN, SA_USER),
    "gcp:container/nodePool:NodePool": (CONTAINER_ADMIN, SA_USER),
    "gcp:kms/cryptoKey:CryptoKey": ("roles/cloudkms.admin",),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ("roles/cloudkms.admin",),
    "gcp:kms/keyRing:KeyRing": ("roles/cloudkms.admin",),
    # Cloud Monitoring: monitoring.dashboards.create, monitoring.alertPolicies.create and
    # monitoring.notificationChannels.create (cloud.google.com/iam/docs/roles-permissions/
    # monitoring; roles/monitoring.editor holds all three).
    "gcp:monitoring/alertPolicy:AlertPolicy": ("roles/monitoring.alertPolicyEditor",),
    "gcp:monitoring/dashboard:Dashboard": ("roles/monitoring.dashboardEditor",),
    "gcp:monitoring/notificationChannel:NotificationChannel": (
        "roles/monitoring.notificationChannelEditor",
    ),
    "gcp:projects/iAMMember:IAMMember": ("roles/resourcemanager.projectIamAdmin",),
    # services.generateServiceIdentity needs serviceusage.services.generateServiceIdentity.
    "gcp:projects/serviceIdentity:ServiceIdentity": ("roles/serviceusage.serviceUsageAdmin",),
    "gcp:secretmanager/secret:Secret": ("roles/secretmanager.admin",),
    "gcp:secretmanager/secretIamMember:SecretIamMember": ("roles/secretmanager.admin",),
    "gcp:secretmanager/secretVersion:SecretVersion": ("roles/secretmanager.admin",),
    "gcp:serviceaccount/account:Account": ("roles/iam.serviceAccountAdmin",),
    "gcp:storage/bucket:Bucket": ("roles/storage.admin",),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("roles/storage.admin",),
}
"""Pulumi type token -> the deployer's role(s) that create it."""

KUBERNETES_PREFIX = "kubernetes:"
"""Every Kubernetes object goes through the cluster's DNS endpoint (container.clusters.connect)
and Kubernetes RBAC: roles/container.admin grants both."""

NO_CLOUD_CALL = ("nim-gke:", "pulumi:providers:", "pulumi:pulumi:StackReference", "random:")
"""Component resources, provider instances, the stack's reference to its own last deployment (read
from the Pulumi backend the deployer already uses) and random suffixes: nothing is asked of
Google."""

ROLES_FOR_READS: dict[str, str] = {
    "roles/secretmanager.secretAccessor": "prod reads the NGC key (get_secret_version_access)",
}
"""Roles the program needs for what it reads rather than creates."""


def roles_for(type_token: str) -> tuple[str, ...]:
    """The deployer's role(s) for ``type_token``; ``()`` for types that call no Google API.

    Raises ``KeyError`` for a type this table does not know (add it, with its role)."""
    if type_token.startswith(NO_CLOUD_CALL):
        return ()
    if type_token.startswith(KUBERNETES_PREFIX):
        return (CONTAINER_ADMIN,)
    return ROLE_FOR_TYPE[type_token]


def all_roles() -> set[str]:
    """Every role the table names, creating or reading."""
    found = {CONTAINER_ADMIN, *ROLES_FOR_READS}
    for roles in ROLE_FOR_TYPE.values():
        found.update(roles)
    return found
