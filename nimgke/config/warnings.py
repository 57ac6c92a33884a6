"""Risks that are not errors: the stack is valid, and ``pulumi preview`` prints these."""

from __future__ import annotations

from nimgke import catalog, system_pods
from nimgke.config._base import NAMESPACE, _parse_quantity_gib
from nimgke.config.check_capacity import capacity_warnings
from nimgke.config.check_images import SIDECAR_MEMORY_MIB
from nimgke.config.check_monitoring import alert_warnings
from nimgke.config.check_rollout import rollout_warnings
from nimgke.config.pools import pool_budget, pool_settings
from nimgke.config.resolved import ModelPlan
from nimgke.config.settings import StackSettings
from nimgke.config.versions import chart_fullname, plan_canary, version_release
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
    found += _system_pool_warnings(s)
    found += rollout_warnings(s)
    found += capacity_warnings(s)
    found += alert_warnings(s)
    found += cold_start_warnings(s, plans)
    found += _host_memory_warnings(s, plans)
    return found


def _host_memory_warnings(s: StackSettings, plans: list[ModelPlan]) -> list[str]:
    """A memory request under NVIDIA's host-memory guide: a warning (the guide is rough), whose
    fix depends on whether the node could give the pod more (less the shared cache's gcsfuse
    sidecar, which shares the node)."""
    sidecar_mib = SIDECAR_MEMORY_MIB if s.nim.shared_cache.enabled else 0
    found = []
    for i, plan in enumerate(plans):
        known = MODELS.get(plan.name)
        if not (known and known.host_memory_gb):
            continue
        need_gib = known.host_memory_gb * 1e9 / 1024**3
        if (_parse_quantity_gib(plan.memory) or 0.0) >= need_gib:
            continue
        machine = (pool_settings(s, plan.pool) or s.gpu_pool).machine_type
        budget = pool_budget(s, plan.pool)
        most_gib = (budget.memory_mib - sidecar_mib) / 1024 if budget else None
        if most_gib is not None and most_gib >= need_gib:
            fix = f"raise memory (a {machine} node gives the pod up to {most_gib:.1f}Gi)"
        elif most_gib is not None:
            fix = (
                f"a {machine} node gives the pod at most {most_gib:.1f}Gi: use a larger machine "
                "(e.g. gpuPool.machineType: g2-standard-8)"
            )
        else:
            fix = "use a machine with more memory"
        found.append(
            f"{NAMESPACE}:nim.models[{i}].memory = {plan.memory!r}: NVIDIA's rough guide asks "
            f"about {known.host_memory_gb:g} GB of host memory for {plan.name} (NIM 1.3.0 "
            f"support matrix) and the pod requests {plan.memory}. If `nimctl doctor` reports "
            f"OOMKilled while loading, {fix}."
        )
    return found


def _system_pool_warnings(s: StackSettings) -> list[str]:
    """The system pool against the requests of GKE's own pods (nimgke.system_pods): a warning,
    since the figures are measured on other clusters and change with GKE versions."""
    sp = s.cluster.system_pool
    machine = catalog.MACHINE_TYPES.get(sp.machine_type)
    if machine is None or machine.gpu:
        return []  # an error of its own
    mon = s.monitoring
    pods = system_pods.system_pods(managed_prometheus=mon.managed_prometheus, kube_state=True)
    size = system_pods.sizing(machine, sp.min_nodes, sp.max_nodes, pods)
    key = f"{NAMESPACE}:cluster.systemPool"
    need = (
        f"GKE's own pods request about {size.total_cpu}m CPU and "
        f"{size.per_node_mem + size.cluster_mem} MiB on one system node (estimate, "
        f"nimgke/system_pods.py), and one {machine.name} node offers "
        f"{size.allocatable.cpu_milli}m and {size.allocatable.memory_mib} MiB"
    )
    if size.free_cpu(size.nodes_max) < 0 or size.free_mem(size.nodes_max) < 0:
        return [
            f"{key}.machineType = {sp.machine_type!r}: {need}; even {size.nodes_max} node(s) "
            "(maxNodes) leave system pods Pending (kube-dns, metrics). Use e2-standard-2 or larger."
        ]
    if size.free_cpu(size.nodes_min) < 0 or size.free_mem(size.nodes_min) < 0:
        return [
            f"{key}.machineType = {sp.machine_type!r}: {need}; the pool will grow past minNodes "
            f"({size.nodes_min}) to fit them, so the idle cost is above the estimate. Use a "
            "larger machine, or raise minNodes."
        ]
    return []


def cold_start_warnings(s: StackSettings, plans: list[ModelPlan]) -> list[str]:
    """Start-up work the stack cannot save: an unpinned profile (of each version: a
    profile belongs to one tag), and replicas that each download the model from NGC because they
    do not share a cache."""
    found = []
    hpa = s.monitoring.hpa
    for i, plan in enumerate(plans):
        canary = plan_canary(i, s.nim.models[i], s)[1]
        for field, v in (("profile", plan), ("canary.profile", canary)):
            if v is None or v.profile_from != "none":
                continue
            pool = pool_settings(s, v.pool) or s.gpu_pool
            workload = chart_fullname(version_release(v.release, v.tag, v.pool))
            # The StatefulSet's first pod, or a pod of the Deployment over the shared cache
            # (kubectl exec takes TYPE/NAME and picks one of its pods).
            pod = f"deploy/{workload}" if s.nim.shared_cache.enabled else f"{workload}-0"
            found.append(
                f"{NAMESPACE}:nim.models[{i}].{field}: {v.name}:{v.tag} runs without a pinned "
                f"NIM_MODEL_PROFILE: the catalog (nimgke/models.py) knows no profile of this tag "
                f"for {pool.gpu_count} x {pool.gpu_type}, so NIM selects one at every start "
                "(NIM for LLMs, 'Model profiles'). Once it runs, read "
                f"`kubectl -n {s.nim.namespace} exec {pod} -- "
                "list-model-profiles` and set the profile id."
            )
        several = plan.replicas > 1 or (hpa.enabled and hpa.max_replicas > 1)
        if several and not s.nim.shared_cache.enabled:
            found.append(
                f"{NAMESPACE}:nim.sharedCache.enabled = false with "
                + (f"{plan.replicas} replicas" if plan.replicas > 1 else "the HPA on")
                + f" for {plan.release}: every replica has its own cache disk and downloads the "
                "model from NGC on its first start. Set nim.sharedCache.enabled: true for one "
                "cache they share (docs/startup.md, 'A model cache the replicas share')."
            )
    return found
