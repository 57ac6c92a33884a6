"""The stack's Cloud Monitoring dashboard, alert policies and their e-mail notification channels.

The dashboard and the policies are built as plain data by :mod:`nimgke.observability` and
:mod:`nimgke.alerts` (the same JSON the tests parse with the Monitoring API's protos); this
component only registers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from nimgke.alerts import AlertSpec, policy_json
from nimgke.observability import Scope, dashboard_json

TYPE = "nim-gke:monitoring:Observability"


def _resource_suffix(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    project: str
    scope: Scope
    dashboard: bool = True
    alerts: list[AlertSpec] = field(default_factory=list)
    """The policies to create (already filtered to the enabled ones)."""
    notification_emails: list[str] = field(default_factory=list)


class Observability(pulumi.ComponentResource):
    dashboard_id: pulumi.Output[str] | None
    policy_names: dict[str, pulumi.Output[str]]
    """Alert key -> the policy's resource name (``projects/P/alertPolicies/ID``)."""

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-email-{_resource_suffix(email)}",
                project=args.project,
                type="email",
                display_name=f"nim-gke {scope.stack}: {email}",
                # The email channel's one label (notificationChannelDescriptors "email":
                # email_address).
                labels={"email_address": email},
                opts=child,
            )
            for email in args.notification_emails
        ]
        self.dashboard_id = None
        if args.dashboard:
            board = gcp.monitoring.Dashboard(
                f"{name}-dashboard",
                project=args.project,
                dashboard_json=dashboard_json(scope),
                opts=child,
            )
            self.dashboard_id = board.id
        channel_names = [c.name for c in channels]
        self.policy_names = {}
        for spec in args.alerts:
            body = policy_json(spec, scope, [])
            cond = body["conditions"][0]
            promql = cond["conditionPrometheusQueryLanguage"]
            doc = body["documentation"]
            policy = gcp.monitoring.AlertPolicy(
                f"{name}-alert-{_resource_suffix(spec.key)}",
                project=args.project,
                display_name=body["displayName"],
                combiner=body["combiner"],
                enabled=body["enabled"],
                severity=body["severity"],
                user_labels=body["userLabels"],
                documentation={
                    "content": doc["content"],
                    "mime_type": doc["mimeType"],
                    "subject": doc["subject"],
                },
                conditions=[
                    {
                        "display_name": cond["displayName"],
                        "condition_prometheus_query_language": {
                            "query": promql["query"],
                            "duration": promql["duration"],
                            "evaluation_interval": promql["evaluationInterval"],
                        },
                    }
                ],
                notification_channels=channel_names,
                opts=child,
            )
            self.policy_names[spec.key] = policy.name
        self.register_outputs(
            {"dashboard_id": self.dashboard_id, "policies": dict(self.policy_names)}
        )
