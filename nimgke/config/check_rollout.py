"""Pass 2 for rollouts: canaries, the green pool, version names, GPU headroom, the Gateway.

Each model's versions (see :mod:`nimgke.config.versions`) are one Helm release per (tag, pool);
these rules keep them startable side by side and the traffic split meaningful.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict

from nimgke.config._base import NAMESPACE, Problem
from nimgke.config.check_cluster import _check_gpu_pool
from nimgke.config.check_nim import _release_name
from nimgke.config.pools import GREEN_POOL, MAIN_POOL, POOL_KEYS, POOLS, pool_settings
from nimgke.config.settings import StackSettings
from nimgke.config.versions import (
    CANARY,
    CHART,
    MAIN,
    STATEFULSET_NAME_MAX,
    chart_fullname,
    plan_canary,
    tag_slug,
    version_release,
)
from nimgke.helm_values import TERMINATION_GRACE_PERIOD_S

# The stack's own VPC ranges (components/cluster_network.py SUBNET_CIDR, PODS_CIDR,
# SERVICES_CIDR; a test keeps them equal): the proxy-only subnet must not overlap any of them.
CLUSTER_RANGES = {
    "the cluster subnet": "10.10.0.0/20",
    "the pods range": "10.16.0.0/14",
    "the services range": "10.20.0.0/20",
}
# "A proxy-only subnet must provide 64 or more IP addresses" (cloud.google.com/load-balancing/
# docs/proxy-only-subnets, "Plan the size of your proxy-only subnet"; its example is a /23).
PROXY_SUBNET_MAX_PREFIX = 26


def _key(i: int, field: str) -> str:
    return f"{NAMESPACE}:nim.models[{i}].{field}"


def _check_canaries(s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    for i, m in enumerate(s.nim.models):
        c = m.canary
        if c is None:
            continue
        if not 0 <= c.weight <= 100:
            problems.append(
                Problem(
                    _key(i, "canary.weight"),
                    c.weight,
                    "is the percent of the model's requests the canary gets, 0 to 100",
                    "set weight: 10 to try it, 100 to move all traffic, 0 to drain it",
                )
            )
        elif not s.gateway.enabled and c.weight not in (0, 100):
            problems.append(
                Problem(
                    _key(i, "canary.weight"),
                    c.weight,
                    "without the Gateway nothing can split the traffic: the model's Service "
                    "selects one version's pods (weight 0: the model's, 100: the canary's)",
                    "set gateway.enabled: true (the HTTPRoute splits by weight), or weight 0 "
                    "(canary on standby) or 100 (switch the Service to it)",
                )
            )
        pool = c.pool or m.pool
        if tag_slug(c.tag) == tag_slug(m.tag) and pool == m.pool:
            problems.append(
                Problem(
                    _key(i, "canary.tag"),
                    c.tag,
                    f"is the model's own version (tag {m.tag!r} on pool {m.pool}): a version is a "
                    "tag on a pool, each its own release",
                    "give the canary the new tag, or pool: green to move the same tag to other "
                    "machines",
                )
            )
    return problems


def _check_canary_values(s: StackSettings) -> list[Problem]:
    """The canary's tag, image and requests, judged like a model's on the canary's pool."""
    problems: list[Problem] = []
    for i, m in enumerate(s.nim.models):
        c = m.canary
        if c is not None and ((c.pool or m.pool) != GREEN_POOL or s.green_pool is not None):
            problems += plan_canary(i, m, s)[0]
    return problems


def _check_pools_exist(s: StackSettings) -> list[Problem]:
    if s.green_pool is not None:
        return []
    problems = []
    for i, m in enumerate(s.nim.models):
        for field, pool in (("pool", m.pool), ("canary.pool", m.canary and m.canary.pool)):
            if pool == GREEN_POOL:
                problems.append(
                    Problem(
                        _key(i, field),
                        pool,
                        "names greenPool, which the stack file does not declare",
                        "add a nim-gke:greenPool block (same settings as gpuPool), or use "
                        "pool: gpu",
                    )
                )
    return problems


def _check_green_pool(s: StackSettings) -> list[Problem]:
    """greenPool is checked like gpuPool (machine, GPU, bounds, zones) and must cover the same
    zones: the model cache's StorageClass follows the GPU zones."""
    green = s.green_pool
    if green is None:
        return []
    gpu_key, green_key = POOL_KEYS[MAIN_POOL], POOL_KEYS[GREEN_POOL]
    problems = []
    for p in _check_gpu_pool(s.model_copy(update={"gpu_pool": green})):
        key, rule = p.key, p.rule
        if key.startswith(gpu_key):
            key = green_key + key.removeprefix(gpu_key)
        else:
            rule = f"for greenPool ({green.gpu_type}), {rule}"
        problems.append(Problem(key, p.value, rule, p.fix.replace("gpuPool.", "greenPool.")))
    gpu_zones = list(s.gpu_pool.zones or s.cluster.zones)
    green_zones = list(green.zones or s.cluster.zones)
    if green_zones != gpu_zones:
        problems.append(
            Problem(
                f"{green_key}.zones",
                green_zones,
                f"differs from the zones of gpuPool ({', '.join(gpu_zones)}): the model cache "
                "disks of both pools' versions are made for those zones",
                "give greenPool the zones of gpuPool (or leave zones unset in both)",
            )
        )
    return problems


def _versions(s: StackSettings) -> list[tuple[int, str, str, str, int]]:
    """(model index, role, release, pool, replicas) of every version named in the stack file."""
    out: list[tuple[int, str, str, str, int]] = []
    for i, m in enumerate(s.nim.models):
        release = _release_name(m)
        out.append((i, MAIN, version_release(release, m.tag, m.pool), m.pool, m.replicas))
        c = m.canary
        if c is not None:
            pool = c.pool or m.pool
            name = version_release(release, c.tag, pool)
            out.append((i, CANARY, name, pool, c.replicas or m.replicas))
    return out


def _check_names(s: StackSettings) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, tuple[int, str]] = {}
    for i, role, release, _pool, _replicas in _versions(s):
        field = "release" if role == MAIN else "canary.tag"
        sts = chart_fullname(release)
        if len(sts) > STATEFULSET_NAME_MAX:
            model_release = _release_name(s.nim.models[i])
            full = release if CHART in release else f"{release}-{CHART}"  # before the chart's cut
            room = STATEFULSET_NAME_MAX - (len(full) - len(model_release))
            problems.append(
                Problem(
                    _key(i, "release"),
                    model_release,
                    f"makes the {role} version's StatefulSet {sts!r} {len(sts)} characters long; "
                    f"Kubernetes creates no pod for one over {STATEFULSET_NAME_MAX} (the pods' "
                    "controller-revision-hash label is the name plus an 11-character hash, at "
                    "most 63)",
                    f"set release to at most {max(room, 1)} characters",
                )
            )
        elif release in seen and seen[release][0] != i:  # within a model: _check_canaries
            j, other = seen[release]
            problems.append(
                Problem(
                    _key(i, field),
                    release,
                    f"is also the release of nim.models[{j}]'s {other} version: each version is "
                    "its own Helm release",
                    "give the models distinct release names",
                )
            )
        seen.setdefault(release, (i, role))
    # The models' stable Services share the namespace with the chart's Services of each version.
    chart_services = {chart_fullname(r) for _, _, r, _, _ in _versions(s)}
    chart_services |= {f"{n}-sts" for n in chart_services}
    for i, m in enumerate(s.nim.models):
        release = _release_name(m)
        if release in chart_services:
            problems.append(
                Problem(
                    _key(i, "release"),
                    release,
                    "is also the name of a chart Service of another version: the model's own "
                    "Service would clash with it",
                    "pick a release name that does not end like '-<tag>-nim-llm'",
                )
            )
    return problems


def _check_headroom(s: StackSettings) -> list[Problem]:
    """Every version runs one GPU node per replica (the chart's HPA up to maxReplicas each):
    the pool a version runs on must hold all of them at once, since a canary runs beside the
    model's version, and the new version starts before the old one goes."""
    hpa = s.monitoring.hpa
    on_pool: dict[str, list[tuple[int, str, str, int]]] = defaultdict(list)
    for i, role, release, pool, replicas in _versions(s):
        peak = max(hpa.max_replicas, replicas) if hpa.enabled else replicas
        on_pool[pool].append((i, role, release, peak))
    problems = []
    for pool in POOLS:
        settings = pool_settings(s, pool)
        versions = on_pool.get(pool, [])
        if settings is None or settings.max_nodes < 1 or not versions:
            continue  # an undeclared pool and maxNodes 0 are problems of their own
        need = sum(v[3] for v in versions)
        mains = sum(v[3] for v in versions if v[1] == MAIN)
        if need <= settings.max_nodes or (pool == MAIN_POOL and mains > settings.max_nodes):
            continue  # check_nim reports the models of gpuPool alone
        listing = ", ".join(f"{release}: {peak}" for _, _, release, peak in versions)
        what = "replicas (up to hpa.maxReplicas each)" if hpa.enabled else "replicas"
        # With the HPA on, fewer replicas do not help: each version's HPA scales to maxReplicas.
        fewer = "lower monitoring.hpa.maxReplicas" if hpa.enabled else "with fewer replicas"
        problems.append(
            Problem(
                f"{POOL_KEYS[pool]}.maxNodes",
                settings.max_nodes,
                f"the versions on pool {pool} run {need} {what}, one GPU node each ({listing}), "
                "so one of them could never schedule",
                f"set maxNodes: {need} or more, or run the canary on another pool"
                + (f", or {fewer}" if hpa.enabled else f" or {fewer}"),
            )
        )
    return problems


def _check_draining(s: StackSettings) -> list[Problem]:
    """Draining longer than the pod's grace period buys nothing: when a pod is deleted (scale-in,
    a removed version) kubelet kills it TERMINATION_GRACE_PERIOD_S later, while the load balancer
    would still hold its connections open. The other direction is allowed: a shorter draining cuts
    streams earlier than the pod would stop, which some may want (faster rollbacks)."""
    g = s.gateway
    if not g.enabled or g.draining_timeout_sec <= TERMINATION_GRACE_PERIOD_S:
        return []
    return [
        Problem(
            f"{NAMESPACE}:gateway.drainingTimeoutSec",
            g.draining_timeout_sec,
            f"is longer than the NIM pod's termination grace period "
            f"({TERMINATION_GRACE_PERIOD_S} s, fixed in the nim-llm chart's templates): the pod "
            "is killed then, so a stream still in flight is cut before the draining ends and "
            "the longer draining only holds connections to a pod that is gone",
            f"set drainingTimeoutSec: {TERMINATION_GRACE_PERIOD_S} or less",
        )
    ]


def _check_gateway(s: StackSettings) -> list[Problem]:
    g, key = s.gateway, f"{NAMESPACE}:gateway.proxySubnetCidr"
    if not g.enabled:
        return []
    try:
        net = ipaddress.ip_network(g.proxy_subnet_cidr, strict=True)
    except ValueError:
        return [
            Problem(
                key,
                g.proxy_subnet_cidr,
                "is not a CIDR block (a network address and prefix length)",
                "write it like 10.129.0.0/23, with the host bits zero",
            )
        ]
    if net.version != 4 or net.prefixlen > PROXY_SUBNET_MAX_PREFIX:
        return [
            Problem(
                key,
                g.proxy_subnet_cidr,
                "a proxy-only subnet must be an IPv4 range of at least 64 addresses "
                f"(/{PROXY_SUBNET_MAX_PREFIX} or larger)",
                "use a /23 such as 10.129.0.0/23 (Google's recommended size)",
            )
        ]
    for what, cidr in CLUSTER_RANGES.items():
        if net.overlaps(ipaddress.ip_network(cidr)):
            return [
                Problem(
                    key,
                    g.proxy_subnet_cidr,
                    f"overlaps {what} ({cidr}) of the stack's VPC",
                    "pick a range outside 10.10.0.0/20, 10.16.0.0/14 and 10.20.0.0/20, e.g. "
                    "10.129.0.0/23",
                )
            ]
    return []


def check_rollout(s: StackSettings) -> list[Problem]:
    return (
        _check_canaries(s)
        + _check_canary_values(s)
        + _check_pools_exist(s)
        + _check_green_pool(s)
        + _check_names(s)
        + _check_headroom(s)
        + _check_gateway(s)
        + _check_draining(s)
    )


def rollout_warnings(s: StackSettings) -> list[str]:
    """A pool that runs no version but keeps nodes warm: paid for, used by nothing."""
    used = {pool for _, _, _, pool, _ in _versions(s)}
    found = []
    for pool in POOLS:
        settings = pool_settings(s, pool)
        if settings is not None and pool not in used and settings.min_nodes > 0:
            found.append(
                f"{POOL_KEYS[pool]}.minNodes = {settings.min_nodes}: no model version runs on "
                f"pool {pool}, but it keeps {settings.min_nodes} GPU node(s) up. Set minNodes: 0 "
                "(and requireWarmNode: false) while it is drained"
                + (", or remove the greenPool block." if pool == GREEN_POOL else ".")
            )
    found += _single_replica_warnings(s)
    return found


def _single_replica_warnings(s: StackSettings) -> list[str]:
    """A version that carries traffic and keeps exactly one warm replica: every drain of its GPU
    node (a GKE node upgrade or auto-repair) leaves it without a server for a cold start. A
    Deployment does not surge on an eviction, and GKE evicts despite a PodDisruptionBudget after
    ``node_drain_config.pdb_timeout_duration`` (an hour): cloud.google.com/kubernetes-engine/docs/
    concepts/node-pool-upgrade-strategies ("Surge upgrades"); auto-repair and Compute Engine host
    maintenance of GPU VMs ignore the maintenance window (cloud.google.com/kubernetes-engine/docs/
    concepts/maintenance-windows-and-exclusions)."""
    hpa = s.monitoring.hpa
    found = []
    for i, role, _release, _pool, replicas in _versions(s):
        canary = s.nim.models[i].canary
        canary_weight = canary.weight if canary is not None else 0
        weight = canary_weight if role == CANARY else 100 - canary_weight
        warm = hpa.min_replicas if hpa.enabled and hpa.min_replicas is not None else replicas
        if weight > 0 and warm == 1:
            where = ".canary" if role == CANARY else ""
            found.append(
                f"{NAMESPACE}:nim.models[{i}]{where}.replicas = 1: a GKE node upgrade or "
                "auto-repair of its GPU node leaves this version without a server for a cold "
                "start (up to ~31 min); the maintenance window times upgrades, not repairs. "
                "Set replicas: 2 to keep serving (one more GPU node at all times), or accept "
                "it (docs/rollouts.md, node upgrades and repairs)."
            )
    return found
