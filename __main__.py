"""nim-gke: NVIDIA NIM on GKE. Reads the stack config once, computes its shape (the pools, the
models' versions, their caches and routes: nimgke/shape.py), builds the components, exports."""

import pulumi
import pulumi_gcp as gcp

from components.budget import CostGuard, CostGuardArgs
from components.cache_storage import CacheStorage, CacheStorageArgs
from components.cluster import AuthorizedNetwork, ClusterArgs, GkeCluster
from components.compute_class import GpuComputeClass, GpuComputeClassArgs
from components.dockerhub_cache import DockerHubCache, DockerHubCacheArgs
from components.dockerhub_cache import repository_id as dockerhub_repository_id
from components.gateway import Backend, ModelGateway, ModelGatewayArgs, ModelRoute
from components.gpu_node_pool import GpuNodePool, GpuNodePoolArgs
from components.image_mirror import ImageMirror, ImageMirrorArgs, repository_url
from components.model_service import ModelService, ModelServiceArgs
from components.network_policies import NamespacePolicies, NamespacePoliciesArgs
from components.ngc_secrets import NgcSecrets, NgcSecretsArgs, clean_ngc_key, stored_key_warning
from components.nim_release import READY_TIMEOUT_SECONDS, NimRelease, NimReleaseArgs
from components.observability import Observability, ObservabilityArgs
from components.pool_changes import OUTPUT as POOLS_OUTPUT
from components.pool_changes import PoolChangeWatch, PoolChangeWatchArgs
from components.shared_cache import CacheVolume, SharedModelCache, SharedModelCacheArgs
from components.wake_signal import WakeSignal, WakeSignalArgs, image
from nimgke.alerts import alert_specs
from nimgke.config import NAMESPACE, load_from_pulumi
from nimgke.config.pools import GREEN_POOL, MAIN_POOL
from nimgke.cost import estimate
from nimgke.helm_values import ReleaseValues
from nimgke.pricing import PriceError
from nimgke.shape import stack_shape

cfg = load_from_pulumi()
shape = stack_shape(cfg)
for warning in cfg.warnings:
    pulumi.log.warn(warning)
try:
    cost_estimate: dict = estimate(cfg, shape)
except PriceError as err:  # an unpriced machine must not block a deployment, only its estimate
    pulumi.log.warn(str(err))
    cost_estimate = {"currency": "USD", "error": str(err)}
s = cfg.settings
sec, mon, gw, cache = s.security, s.monitoring, s.gateway, shape.cache

cluster = GkeCluster(
    "cluster",
    ClusterArgs(
        project=cfg.project,
        region=cfg.region,
        location=cfg.cluster_location,
        node_zones=list(s.cluster.zones),
        cluster_name=cfg.cluster_name,
        release_channel=s.cluster.release_channel,
        min_master_version=s.cluster.min_master_version,
        hpa_profile=s.cluster.hpa_profile,
        deletion_protection=s.cluster.deletion_protection,
        system_machine_type=s.cluster.system_pool.machine_type,
        system_min_nodes=s.cluster.system_pool.min_nodes,
        system_max_nodes=s.cluster.system_pool.max_nodes,
        system_disk_size_gb=s.cluster.system_pool.disk_size_gb,
        system_disk_type=s.cluster.system_pool.disk_type,
        system_spot=s.cluster.system_pool.spot,
        private_nodes=sec.private_nodes,
        private_endpoint=sec.private_endpoint,
        dns_endpoint=sec.dns_endpoint,
        authorized_networks=[
            AuthorizedNetwork(cidr=n.cidr, name=n.name) for n in sec.master_authorized_networks
        ],
        secrets_encryption=sec.secrets_encryption,
        kms_key=sec.kms_key,
        managed_prometheus=mon.managed_prometheus,
        dcgm_metrics=mon.dcgm,
        maintenance_start=sec.maintenance_window.start,
        maintenance_hours=sec.maintenance_window.hours,
        maintenance_days=list(sec.maintenance_window.days),
        gateway_proxy_subnet=s.gateway.proxy_subnet_cidr if s.gateway.enabled else None,
        gcs_fuse_csi=cache.shared,
        image_streaming=any(pool.image_streaming for pool in shape.pools),
    ),
)

# gpuPool, and greenPool when declared for a blue/green rollout (docs/rollouts.md), each a
# capacity plan: a node pool per priority (gpu, gpu-2, ...; the name is in the URN of every
# resource of the pool) and a ComputeClass that tries them in order (docs/capacity.md).
pools = {
    pool.name: GpuNodePool(
        pool.name,
        GpuNodePoolArgs.from_shape(
            pool,
            project=cfg.project,
            cluster=cluster.cluster_id,
            location=cfg.cluster_location,
            service_account=cluster.node_service_account,
        ),
    )
    for pool in shape.pools
}
classes = {
    plan.name: GpuComputeClass(
        f"{plan.name}-capacity",
        GpuComputeClassArgs(
            name=plan.compute_class,
            node_pools=[pools[p.name].node_pool_name for p in plan.priorities],
            active_migration=plan.active_migration,
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.provider]),
    )
    for plan in shape.plans
}
# `pulumi preview` warns when an edit replaces one of them (any priority) or recreates its nodes.
pool_watch = PoolChangeWatch("pool-changes", PoolChangeWatchArgs(pools=shape.pools))

ngc_access = None
if sec.ngc_key_source == "secretManager":
    # get_secret_version_access needs only secretmanager.versions.access (secretAccessor);
    # get_secret_version also reads version metadata (versions.get).
    ngc_access = gcp.secretmanager.get_secret_version_access_output(
        project=cfg.project, secret=sec.ngc_secret
    )
    raw_key: pulumi.Input[str] = ngc_access.secret_data
    if s.registry.mirror:
        pulumi.Output.all(ngc_access.name, ngc_access.secret_data).apply(
            lambda v: (
                (w := stored_key_warning(str(sec.ngc_secret), v[0], v[1])) and pulumi.log.warn(w)
            )
        )
else:
    raw_key = pulumi.Config(NAMESPACE).require_secret("ngcApiKey")
# Stripped (a shell here-string adds a newline) and secret, once for every consumer.
ngc_api_key = clean_ngc_key(raw_key)

# The NIM image through an Artifact Registry remote repository in front of nvcr.io.
registry_url: str | None = None
mirror_deps: list[pulumi.Resource] = []
project_number = gcp.organizations.get_project_output(project_id=cfg.project).number
if s.registry.mirror:
    key_source: dict = (
        {"existing_secret": sec.ngc_secret, "existing_version": ngc_access.name}
        if ngc_access is not None
        else {"ngc_api_key": ngc_api_key, "secret_id": f"{cfg.cluster_name}-ngc-api-key"}
    )
    mirror_deps.append(
        ImageMirror(
            "registry",
            ImageMirrorArgs(
                project=cfg.project,
                region=cfg.region,
                repository_id=s.registry.repository_id,
                **key_source,
            ),
        )
    )
    registry_url = repository_url(cfg.region, cfg.project, s.registry.repository_id)

k8s_opts = pulumi.ResourceOptions(providers=[cluster.provider])
cache_deps: list[pulumi.Resource] = []
if cache.regional:
    cache_deps.append(
        CacheStorage(
            "cache",
            CacheStorageArgs(
                name=cache.storage_class, disk_type=cache.disk_type, zones=list(cache.zones)
            ),
            opts=k8s_opts,
        )
    )
ngc = NgcSecrets(
    "ngc",
    NgcSecretsArgs(
        ngc_api_key=ngc_api_key, namespace=s.nim.namespace, pod_security=sec.pod_security
    ),
    opts=k8s_opts,
)
if sec.network_policies:
    NamespacePolicies("netpol", NamespacePoliciesArgs(namespace=ngc.namespace), opts=k8s_opts)

# Observability: the dashboard and alert policies (Cloud Monitoring).
if mon.dashboard or mon.alerts.enabled:
    Observability(
        "observability",
        ObservabilityArgs(
            project=cfg.project,
            scope=shape.scope,
            dashboard=mon.dashboard,
            alerts=alert_specs(shape.scope, mon.alerts),
            notification_emails=list(mon.alerts.notification_emails),
        ),
    )
# Each version's HPA reads its metrics through GKE's managed metrics adapter (an AutoscalingMetric
# per version, created with its release). A version that sleeps at zero replicas wakes on External
# metrics; the schedule and `nimctl wake` are a gauge this CronJob writes (docs/autoscaling.md).
# Its Python comes by digest through an Artifact Registry cache of Docker Hub in the region.
auto = shape.autoscaling
if auto is not None and auto.wake_gauge:
    hub_id = dockerhub_repository_id(cfg.cluster_name)
    dockerhub = DockerHubCache(
        "dockerhub",
        DockerHubCacheArgs(project=cfg.project, region=cfg.region, repository_id=hub_id),
    )
    WakeSignal(
        "wake-signal",
        WakeSignalArgs(
            project=cfg.project,
            project_number=project_number,
            namespace=ngc.namespace,
            location=cfg.cluster_location,
            cluster=cluster.cluster_name,
            image=image(repository_url(cfg.region, cfg.project, hub_id)),
            image_from=dockerhub,
            releases=[v.release for v in shape.versions],
            schedule=auto.schedule.as_dict() if auto.schedule else None,
            network_policy=sec.network_policies,
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.provider], depends_on=[ngc]),
    )

# One model cache every replica shares (a bucket through the Cloud Storage FUSE driver),
# a claim (and a directory of the bucket) per version: a version's model files are its own.
shared_cache: SharedModelCache | None = None
if cache.shared:
    shared_cache = SharedModelCache(
        "model-cache",
        SharedModelCacheArgs(
            project=cfg.project,
            region=cfg.region,
            project_number=project_number,
            namespace=ngc.namespace,
            bucket_prefix=f"{cfg.cluster_name}-model-cache",
            volumes=[
                CacheVolume(release=v.release, size=v.plan.cache_size) for v in shape.versions
            ],
            network_policy=sec.network_policies,
        ),
        opts=pulumi.ResourceOptions(providers=[cluster.provider], depends_on=[ngc]),
    )

# Each version of a model (its tag on its pool, and an optional canary) is its own release; the
# model's Service and, behind the Gateway, its route lead to them (docs/rollouts.md).
releases: dict[str, NimRelease] = {}
for v in shape.versions:
    on, plan = shape.pool(v.pool), shape.plan(v.pool)
    hpa_values, hpa_metrics = auto.release(v, shape.scope) if auto else (None, None)
    releases[v.release] = NimRelease(
        f"nim-{v.release}",
        NimReleaseArgs(
            release=v.release,
            namespace=ngc.namespace,
            chart_version=s.nim.chart_version,
            chart_repo=s.nim.chart_repo,
            ngc_api_key=ngc_api_key,
            node_selector=classes[v.pool].node_selector,
            values=ReleaseValues(
                model_name=v.plan.name,
                image=v.plan.image,
                tag=v.plan.tag,
                pull_secret="ngc-registry",
                api_secret="ngc-api",
                gpu_count=on.gpu_count,
                cpu=v.plan.cpu,
                memory=v.plan.memory,
                node_selector={},
                cache_size=v.plan.cache_size,
                storage_class=cache.storage_class,
                replicas=v.plan.replicas,
                service_type=s.nim.service_type,
                profile=v.plan.profile,
                spot=plan.spot,
                compute_class=plan.compute_class,
                restricted=sec.pod_security == "restricted",
                autoscaling=hpa_values,
                registry=registry_url,
                shared_cache_claim=shared_cache.claims[v.release] if shared_cache else None,
                service_account=shared_cache.service_account_name if shared_cache else None,
            ),
            pod_monitoring=mon.pod_monitoring,
            network_policy=sec.network_policies,
            allowed_client_namespaces=list(sec.allowed_client_namespaces),
            await_ready=gw.enabled,
            timeout_seconds=READY_TIMEOUT_SECONDS if gw.enabled else 600,
            autoscaling_metric=hpa_metrics,
        ),
        opts=pulumi.ResourceOptions(
            providers=[cluster.provider],
            depends_on=[
                ngc,
                classes[v.pool],
                *(pools[p.name] for p in plan.priorities),
                *cache_deps,
                *mirror_deps,
                *([shared_cache] if shared_cache else []),
            ],
        ),
    )
services = {
    route.model: ModelService(
        f"svc-{route.model}",
        ModelServiceArgs(
            model=route.model, namespace=ngc.namespace, target_release=route.stable.release
        ),
        # After the release it selects: behind a Gateway that release waits for Ready pods, so the
        # Service moves to a new version only once it can answer.
        opts=pulumi.ResourceOptions(
            providers=[cluster.provider], depends_on=[releases[route.stable.release]]
        ),
    )
    for route in shape.routes
}
gateway = None
if gw.enabled:
    gateway = ModelGateway(
        "gateway",
        ModelGatewayArgs(
            project=cfg.project,
            region=cfg.region,
            subnetwork=cluster.subnet_id,
            address_name=f"{cfg.cluster_name}-nim-gateway",
            namespace=ngc.namespace,
            proxy_subnet_cidr=gw.proxy_subnet_cidr,
            routes=[
                ModelRoute(
                    model=route.model,
                    prefix=route.prefix,
                    backends=[Backend(service=v.service, weight=v.weight) for v in route.backends],
                    depends_on=[releases[v.release] for v in route.backends],
                )
                for route in shape.routes
            ],
            timeout_sec=gw.timeout_sec,
            draining_timeout_sec=gw.draining_timeout_sec,
            network_policy=sec.network_policies,
            global_access=gw.global_access,
        ),
        # The cluster's Gateway API (CRDs, GatewayClasses) first: a change of the cluster does not
        # change the Kubernetes provider, so nothing else would wait for it.
        opts=pulumi.ResourceOptions(providers=[cluster.provider], depends_on=[cluster]),
    )

if s.budget is not None:
    CostGuard(
        "budget",
        CostGuardArgs(
            billing_account=s.budget.billing_account,
            project=cfg.project,
            monthly_usd=s.budget.monthly_usd,
            thresholds=list(s.budget.thresholds),
            display_name=f"nim-gke {cfg.stack}",
        ),
    )

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("gpuPoolName", pools[MAIN_POOL].node_pool_name)
# Each GPU pool's ComputeClass and its node pools in priority order (docs/capacity.md).
pulumi.export(
    "capacity",
    {
        plan.name: {
            "computeClass": plan.compute_class,
            "nodePools": [pools[p.name].node_pool_name for p in plan.priorities],
        }
        for plan in shape.plans
    },
)
pulumi.export("namespace", ngc.namespace)
pulumi.export("models", {m: svc.url for m, svc in services.items()})
pulumi.export("portForward", {m: svc.port_forward_command for m, svc in services.items()})
pulumi.export("rollout", {r.model: {v.release: v.weight for v in r.backends} for r in shape.routes})
if gateway is not None:
    pulumi.export("endpoints", gateway.endpoints)
if GREEN_POOL in pools:
    pulumi.export("greenPoolName", pools[GREEN_POOL].node_pool_name)
pulumi.export(POOLS_OUTPUT, pool_watch.watched)
pulumi.export("costEstimate", cost_estimate)
