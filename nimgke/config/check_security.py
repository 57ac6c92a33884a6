"""Pass 2 for the security settings, the NGC key and the budget."""

from __future__ import annotations

import ipaddress
from typing import Any

from nimgke.config._base import (
    _BILLING_ACCOUNT,
    _DNS_LABEL,
    _HHMM,
    _KMS_KEY,
    _MISSING,
    DOCUMENTATION_RANGES,
    NAMESPACE,
    NGC_KEY,
    WEEKDAYS,
    Problem,
)
from nimgke.config.settings import StackSettings


def _relation(net: ipaddress.IPv4Network | ipaddress.IPv6Network, other: Any) -> str:
    if net == other:
        return "is"
    return "is inside" if net.subnet_of(other) else "contains"


def check_security(s: StackSettings, ngc_key: tuple[bool, bool]) -> list[Problem]:
    key, sec = f"{NAMESPACE}:security", s.security
    problems: list[Problem] = []
    for i, net in enumerate(sec.master_authorized_networks):
        try:
            network = ipaddress.ip_network(net.cidr, strict=True)
        except ValueError:
            problems.append(
                Problem(
                    f"{key}.masterAuthorizedNetworks[{i}].cidr",
                    net.cidr,
                    "is not a CIDR block (a network address and prefix length)",
                    "write it like 10.0.0.0/8, with the host bits zero",
                )
            )
            continue
        doc_range = next((d for d in DOCUMENTATION_RANGES if network.overlaps(d)), None)
        if doc_range is not None:
            problems.append(
                Problem(
                    f"{key}.masterAuthorizedNetworks[{i}].cidr",
                    net.cidr,
                    f"{_relation(network, doc_range)} {doc_range}, an address range reserved "
                    "for documentation (RFC "
                    f"{5737 if doc_range.version == 4 else 3849}): no deployer or CI runner has "
                    "such an address, so it would let nobody in",
                    "list your own egress ranges, or remove the entry: kubectl, Pulumi and CI "
                    "reach the control plane through the DNS endpoint (security.dnsEndpoint: "
                    "true), authorised by IAM",
                )
            )
    if sec.private_endpoint and not sec.private_nodes:
        problems.append(
            Problem(
                f"{key}.privateEndpoint",
                True,
                "a private endpoint needs private nodes",
                "set privateNodes: true, or privateEndpoint: false",
            )
        )
    if sec.kms_key is not None and not _KMS_KEY.fullmatch(sec.kms_key):
        problems.append(
            Problem(
                f"{key}.kmsKey",
                sec.kms_key,
                "is not a Cloud KMS key name",
                "write projects/P/locations/L/keyRings/R/cryptoKeys/K, or remove "
                "it to let the stack create one",
            )
        )
    for i, ns in enumerate(sec.allowed_client_namespaces):
        if not _DNS_LABEL.fullmatch(ns):
            problems.append(
                Problem(
                    f"{key}.allowedClientNamespaces[{i}]",
                    ns,
                    "is not a namespace name",
                    "use a DNS label such as 'apps'",
                )
            )
    mw = sec.maintenance_window
    if not _HHMM.fullmatch(mw.start):
        problems.append(
            Problem(
                f"{key}.maintenanceWindow.start",
                mw.start,
                "is not a UTC time",
                'write it like "03:00"',
            )
        )
    bad_days = [d for d in mw.days if d not in WEEKDAYS]
    if bad_days:
        problems.append(
            Problem(
                f"{key}.maintenanceWindow.days",
                mw.days,
                f"has days GKE does not know: {', '.join(bad_days)}",
                f"use the two-letter codes {', '.join(WEEKDAYS)}",
            )
        )
    elif len(set(mw.days)) * mw.hours < 12:
        problems.append(
            Problem(
                f"{key}.maintenanceWindow",
                {"days": mw.days, "hours": mw.hours},
                "GKE needs at least 48 hours of maintenance availability in 32 "
                "days (about 12 hours a week)",
                "add days or hours",
            )
        )
    has_key, key_is_secret = ngc_key
    if sec.ngc_key_source == "config":
        if not has_key:
            problems.append(
                Problem(
                    NGC_KEY,
                    _MISSING,
                    "the NGC API key is required",
                    f"run: pulumi config set --secret {NGC_KEY} <nvapi-...>, or "
                    "set security.ngcKeySource: secretManager",
                )
            )
        elif not key_is_secret:
            problems.append(
                Problem(
                    NGC_KEY,
                    "(hidden)",
                    "is stored in plain text",
                    f"run: pulumi config set --secret {NGC_KEY} <nvapi-...>",
                )
            )
    elif not sec.ngc_secret:
        problems.append(
            Problem(
                f"{key}.ngcSecret",
                _MISSING,
                "ngcKeySource is secretManager but no secret is named",
                "set ngcSecret to the Secret Manager secret id, e.g. ngc-api-key",
            )
        )
    return problems


def check_budget(s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    if s.budget is not None and not _BILLING_ACCOUNT.fullmatch(s.budget.billing_account):
        problems.append(
            Problem(
                f"{NAMESPACE}:budget.billingAccount",
                s.budget.billing_account,
                "is not a billing account id",
                "write it like 012345-6789AB-CDEF01",
            )
        )
    return problems
