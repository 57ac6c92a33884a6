"""A billing budget with alert thresholds: the cost guard for a stack with GPUs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

TYPE = "nim-gke:billing:CostGuard"


@dataclass(frozen=True, kw_only=True)
class CostGuardArgs:
    billing_account: str
    project: str
    monthly_usd: float
    thresholds: list[float] = field(default_factory=lambda: [0.5, 0.9, 1.0])
    display_name: str = "nim-gke"

    def __post_init__(self) -> None:
        if self.monthly_usd <= 0:
            raise ValueError(f"monthly_usd must be > 0, got {self.monthly_usd}")


class CostGuard(pulumi.ComponentResource):
    """Emails billing admins when actual (and forecast, at 100 %) spend crosses each threshold."""

    budget_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CostGuardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        number = gcp.organizations.get_project_output(project_id=args.project).number
        rules: list[gcp.billing.BudgetThresholdRuleArgsDict] = [
            {"threshold_percent": t, "spend_basis": "CURRENT_SPEND"} for t in args.thresholds
        ]
        rules.append({"threshold_percent": 1.0, "spend_basis": "FORECASTED_SPEND"})
        budget = gcp.billing.Budget(
            f"{name}-budget",
            billing_account=args.billing_account,
            display_name=args.display_name,
            budget_filter={"projects": [number.apply(lambda n: f"projects/{n}")]},
            amount={
                "specified_amount": {
                    "currency_code": "USD",
                    "units": str(int(round(args.monthly_usd))),
                }
            },
            threshold_rules=rules,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.budget_name = budget.name
        self.register_outputs({"budget_name": self.budget_name})
