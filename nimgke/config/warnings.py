"""Risks that are not errors: the stack is valid, and ``pulumi preview`` prints these."""

from __future__ import annotations

from nimgke.config._base import NAMESPACE, _parse_quantity_gib
from nimgke.config.resolved import ModelPlan
from nimgke.config.settings import StackSettings
from nimgke.models import MODELS


def stack_warnings(s: StackSettings, plans: list[ModelPlan]) -> list[str]:
    found = []
    sec = s.security
    if sec.private_endpoint and not sec.dns_endpoint:
        found.append(
            f"{NAMESPACE}:security.dnsEndpoint = false with privateEndpoint: true: the control "
            "plane is reachable only from inside the VPC, so `pulumi up` from a laptop or a "
            "GitHub-hosted runner cannot create the Kubernetes resources. Run Pulumi from the VPC, "
            "or set dnsEndpoint: true (IAM-authorised, no address list)."
        )
    for i, plan in enumerate(plans):
        known = MODELS.get(plan.name)
        mem_gib = _parse_quantity_gib(plan.memory) or 0.0
        if known and known.host_memory_gb and mem_gib * 1024**3 / 1e9 < known.host_memory_gb:
            found.append(
                f"{NAMESPACE}:nim.models[{i}].memory = {plan.memory!r}: NVIDIA's rough guide asks "
                f"about {known.host_memory_gb:g} GB of host memory for {plan.name} (NIM 1.3.0 "
                f"support matrix); a {s.gpu_pool.machine_type} node can give the pod "
                f"{plan.memory}. If `nimctl doctor` reports OOMKilled while loading, use a larger "
                "machine (e.g. gpuPool.machineType: g2-standard-8)."
            )
    return found
