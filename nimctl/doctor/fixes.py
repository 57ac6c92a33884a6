"""The fix texts of the catalogue (:mod:`nimctl.doctor.catalogue`): what to do for each cause.

A fix identifier names what to do (``request-gpu-quota``); scripts match on it: never rename one.
A text is a ``str.format`` template; the rule that reports the cause passes the fields it names
(``{ns}`` is always there), a list of names as :class:`Names`, which the text joins. Where a
text relies on how a real system behaves, it names its source.
"""

from __future__ import annotations


class Names(tuple[str, ...]):
    """Names a fix text lists, joined by the template's format spec: ``{field:, }`` for prose,
    ``{field: }`` for a command's arguments (", " when the spec is empty)."""

    __slots__ = ()

    def __format__(self, separator: str) -> str:
        return (separator or ", ").join(self)


FIXES: dict[str, str] = {
    "check-release-namespace": (
        "Check the namespace and release: `helm -n {ns} list`; find NIM pods anywhere with "
        "`kubectl get pods -A -l app.kubernetes.io/name=nim-llm`, then pass --namespace and "
        "--release. If the Helm release failed to install, `pulumi up` shows why."
    ),
    "raise-resource-quota": (
        "A ResourceQuota in namespace {ns} forbids the pod: see `kubectl -n {ns} describe "
        "resourcequota` and raise the limit named in the message (e.g. "
        "requests.nvidia.com/gpu), or lower the NIM replicas."
    ),
    "describe-workload": (
        "The controller cannot create the pod: `kubectl -n {ns} describe {workload}` shows the "
        "full error (admission webhooks, Pod Security, LimitRange)."
    ),
    "request-gpu-quota": (
        "Compute Engine refused the GPU node for quota. Request more GPU quota for the pool's "
        "region (IAM & Admin > Quotas: the GPU type's metric, e.g. NVIDIA_L4_GPUS, or "
        "PREEMPTIBLE_NVIDIA_L4_GPUS for Spot, and GPUS_ALL_REGIONS); "
        "`gcloud compute regions describe REGION` shows usage. Meanwhile lower the replicas."
    ),
    "use-other-zones": (
        "Compute Engine has no free capacity for this GPU in {zones} right now (a stockout, "
        "not a quota). Add zones where the GPU is offered to the pool's node locations "
        "(`gcloud compute accelerator-types list --filter=name=nvidia-l4`), try on-demand "
        "instead of Spot (or the reverse), use a reservation, or retry later."
    ),
    "check-autoscaler-errors": (
        "A GPU node scale-up failed ({detail}). The cluster autoscaler's visibility logs "
        "(Logs Explorer, log `container.googleapis.com/cluster-autoscaler-visibility`) name the "
        "quota or zone error; the autoscaler retries after a backoff."
    ),
    "raise-pool-max-nodes": (
        "The GPU node pool is at its autoscaling maximum. Raise its max_node_count (a per-zone "
        "bound) or total_max_node_count, or lower the NIM replicas, or free a GPU used by "
        "another workload."
    ),
    "add-capacity-source": (
        "Every node pool of ComputeClass {compute_class} is at its maximum or backing off after "
        "a failed scale-up: the autoscaler retries each after its backoff, and a stock-out "
        "(GCE out of resources) ends when Compute Engine has capacity again. To get a node "
        "sooner, give the pool a fallback it does not have yet (gpuPool.fallbacks: on demand "
        "after Spot, other zones, another g2 size or a reservation; docs/capacity.md), raise a "
        "priority's maxNodes within the GPU quota (IAM & Admin > Quotas: NVIDIA_L4_GPUS, "
        "PREEMPTIBLE_NVIDIA_L4_GPUS for Spot), or lower the replicas."
    ),
    "expect-fallback-cost": (
        "Nothing to fix: the pod serves. A fallback costs what its machine and purchase option "
        "cost: `nimctl cost` prices each priority of {compute_class} and a blended figure (its "
        "cost.fallbackShare is an assumption: raise it if pods run here often). To run on the "
        "preferred priority more often, give it more room (zones, a reservation, quota)."
    ),
    "wait-for-gpu-node": (
        "Wait: the cluster autoscaler is adding a GPU node ({group}). A GPU node usually takes "
        "5-10 minutes to boot, install the driver and report nvidia.com/gpu. Re-run "
        "`nimctl doctor` in a few minutes."
    ),
    "check-gpu-node-provisioning": (
        "The scale-up started {age} ago and no node has taken the pod. Look for a NotReady node "
        "(`kubectl get nodes -L cloud.google.com/gke-nodepool`), the pool's operations "
        "(`gcloud container operations list`) and the autoscaler visibility logs for quota or "
        "stockout errors."
    ),
    "set-gpu-driver-version": (
        "GPU node(s) {nodes} report no allocatable nvidia.com/gpu: no NVIDIA driver is "
        "installed. Through the GKE API an unset driver version installs no driver: set "
        "node_config.guest_accelerators[].gpu_driver_installation_config.gpu_driver_version to "
        "DEFAULT or LATEST on the GPU pool (this recreates its nodes)."
    ),
    "wait-for-gpu-driver": (
        "Wait: a new GPU node advertises nvidia.com/gpu only once GKE has installed the NVIDIA "
        "driver and the device plugin has started, a few minutes after the node turns Ready "
        "(doctor calls it stuck after {patience}). Watch it with `kubectl get node {node} -o "
        "jsonpath='{{.status.allocatable}}'`; the scheduler places the pod as soon as the GPU "
        "shows up."
    ),
    "wait-for-node-ready": (
        "Wait: node {node} has just joined the cluster and turns Ready once its network plugin "
        "and system pods are up, usually within a minute or two (doctor calls it broken after "
        "{patience}). The not-ready taint goes away by itself: add no toleration for it."
    ),
    "wait-for-node-recovery": (
        "Wait: node {node} stopped being Ready {down} ago. A kubelet restart, a node upgrade or "
        "repair, or a VM being stopped (Spot) looks like this for a few minutes: the node comes "
        "back, or GKE's node auto-repair and the cluster autoscaler replace it and the "
        "StatefulSet recreates the pod (doctor calls it broken after {patience} NotReady). "
        "`kubectl describe node {node}` shows its conditions and events."
    ),
    "check-node": (
        "Node {node} does not turn Ready: `kubectl describe node {node}` shows its conditions "
        "and events. GKE's node auto-repair and the cluster autoscaler replace a node that stays "
        "unready; to do it now, delete the VM (`gcloud compute instances delete {node}`) and the "
        "node pool's instance group recreates it."
    ),
    "check-gpu-driver-installer": (
        "GKE installs the NVIDIA driver on {nodes}, but after {age} no nvidia.com/gpu is "
        "advertised: the installation or the device plugin fails. Read the GPU pods on the node: "
        "`kubectl -n kube-system get pods -o wide --field-selector spec.nodeName={node}` "
        "(nvidia-driver-installer, nvidia-gpu-device-plugin) and their logs (`kubectl -n "
        "kube-system logs POD --all-containers`). A driver version the GPU or node image does "
        "not support is the usual cause: try gpuPool.driverVersion DEFAULT instead of LATEST "
        "(or the reverse); deleting the VM (`gcloud compute instances delete {node}`) makes the "
        "node pool's instance group recreate it and retry."
    ),
    "replace-unhealthy-gpu-node": (
        "The NVIDIA device plugin marked the GPU of node {node} unhealthy (usually an XID error "
        "after the GPU faulted): the kubelet keeps it in capacity but not in allocatable, so no "
        "pod gets it. The driver is installed; the GPU is not usable. Read why: `kubectl -n "
        "kube-system logs -l k8s-app=nvidia-gpu-device-plugin --all-containers` on that node, "
        "and the node's serial console or `journalctl -k | grep -i xid`. GKE's node auto-repair "
        "recreates a node whose GPU stays unallocatable for more than 15 minutes "
        "(cloud.google.com/kubernetes-engine/docs/how-to/node-auto-repair); to do it now: "
        "`kubectl drain {node} --ignore-daemonsets --delete-emptydir-data` then `gcloud compute "
        "instances delete {node}` (the pool's instance group recreates the VM)."
    ),
    "add-gpu-capacity": (
        "No node has a free nvidia.com/gpu and the cluster autoscaler reported nothing for "
        "this pod. Check that autoscaling is enabled on the GPU pool, its max_node_count (per "
        "zone), the region's GPU quota, and that the GPU type is offered in the pool's zones."
    ),
    "add-toleration": (
        "Nodes {nodes} carry the taint {taint}, which the pod does not tolerate. {detail}"
    ),
    "fix-node-selector": (
        "The pod's nodeSelector {selector} matches no node and the cluster autoscaler found no "
        "pool for it. The nodes carry {available}. Set the chart's nodeSelector to the GPU "
        "pool's labels (e.g. cloud.google.com/gke-nodepool=<pool> or "
        "cloud.google.com/gke-accelerator=<type>)."
    ),
    "fit-requests-to-node": (
        "The pod requests {requests}, more than a node of the pool can allocate "
        "({allocatable}; allocatable is well below the machine size, e.g. ~13 GiB on a "
        "16 GB g2-standard-4). Lower resources.requests/limits or give the GPU pool a larger "
        "machine type (e.g. g2-standard-8)."
    ),
    "add-capacity-or-lower-requests": (
        "No node has enough free {resources} for the pod's requests ({requests}). Lower "
        "resources.requests, free capacity, or let the pool grow (max_node_count)."
    ),
    "read-scheduler-message": (
        "Read the scheduler's message; `kubectl -n {ns} describe pod {pod}` shows all events."
    ),
    "fix-ngc-pull-secret": (
        "nvcr.io rejected the credentials in the image pull secret ({secrets}): the NGC API "
        "key is wrong, expired or revoked, or the username is not `$oauthtoken`. Recreate it "
        'as a kubernetes.io/dockerconfigjson Secret with auths["nvcr.io"] = `$oauthtoken` / '
        "a valid NGC key: `kubectl -n {ns} create secret docker-registry <name> "
        "--docker-server=nvcr.io --docker-username='$oauthtoken' "
        '--docker-password="$NGC_API_KEY"`, then delete the pod to retry.'
    ),
    "create-image-pull-secret": (
        "The image was pulled without credentials (imagePullSecrets: {secrets}). Create a "
        "kubernetes.io/dockerconfigjson Secret for nvcr.io (username `$oauthtoken`, password "
        "the NGC API key) in namespace {ns} with the name the chart's imagePullSecrets uses: "
        "`kubectl -n {ns} create secret docker-registry <name> --docker-server=nvcr.io "
        "--docker-username='$oauthtoken' --docker-password=\"$NGC_API_KEY\"`."
    ),
    "get-nim-entitlement": (
        "nvcr.io accepted the NGC API key of the pull secret ({secrets}) but will not serve "
        "{image} to its organization (402 Payment Required): the organization has no entitlement "
        "to this NIM. Open the image in the NGC catalog (ngc.nvidia.com) with the same account "
        "and organization; get the entitlement there (NVIDIA AI Enterprise, or its evaluation, "
        "or the NVIDIA Developer Program for development) or create the key in an organization "
        "that has it, then update the NGC key (`pulumi config set --secret nim-gke:ngcApiKey`, "
        "`pulumi up`) and delete the pod. A new key of the same organization does not help."
    ),
    "check-ngc-entitlement": (
        "nvcr.io accepted the key but denies {image}: the key's NGC organization is not "
        "entitled to this NIM (it needs NVIDIA AI Enterprise or the NVIDIA Developer Program) "
        "or the repository path is wrong. Open the image in the NGC catalog with the same "
        "account, or use a key from an entitled organization."
    ),
    "fix-image-reference": (
        "The image {image} does not exist: check image.repository and image.tag against the "
        "tags listed in the NGC catalog (versions like 1.0.3; avoid `latest`)."
    ),
    "grant-node-artifact-reader": (
        "Artifact Registry refused the node ({status} from its token endpoint) before any image "
        "was read: the GPU nodes' service account may not read the mirror repository. It needs "
        "roles/artifactregistry.reader on the project or the repository "
        "(cloud.google.com/artifact-registry/docs/integrate-gke#permissions; the stack grants it "
        "with the pool's service account: `pulumi up` restores a removed grant), and the nodes "
        "need the cloud-platform access scope. Check with `gcloud artifacts repositories "
        "get-iam-policy REPOSITORY --location REGION` and `gcloud projects get-iam-policy "
        "PROJECT --flatten=bindings --filter=bindings.role=roles/artifactregistry.reader`. "
        "This is not an NGC key or entitlement problem."
    ),
    "fix-mirror-repository": (
        "Artifact Registry answered 404 to the token request for {image}: the repository in the "
        "image path does not exist in that project and region (a typo in registry.repositoryId, "
        "another region, or the mirror was deleted). `gcloud artifacts repositories list "
        "--location REGION` lists what exists; `pulumi up` creates the stack's mirror "
        "(nim-gke:registry.mirror true) and writes its path into the release."
    ),
    "fix-mirror-upstream": (
        "The mirror answered {status}: Artifact Registry could not fetch {image} from nvcr.io "
        "(a remote repository answers 502 when its upstream answers with an error: "
        "cloud.google.com/artifact-registry/docs/troubleshoot-remote). The mirror's upstream "
        "credentials are what fails: the Artifact Registry service agent needs "
        "roles/secretmanager.secretAccessor on the NGC key's secret, the secret version it "
        "names must hold a valid NGC key (user $oauthtoken), and that key's organization must be "
        "entitled to the NIM. `gcloud artifacts repositories describe REPOSITORY --location "
        "REGION` shows the upstream and the secret version; `docker login nvcr.io` with the key "
        "tests it. After a key rotation, `pulumi up` points the mirror at the new version. "
        "nim-gke:registry.mirror false pulls from nvcr.io directly while you fix it."
    ),
    "check-image-pull": (
        "Pulling {image} failed. Check the nodes' egress to nvcr.io (Cloud NAT for private "
        "nodes) and `kubectl -n {ns} describe pod {pod}`."
    ),
    "wait-for-image-pull": (
        "Wait: NIM images are large (10+ GB) and images from nvcr.io cannot use GKE image "
        "streaming, so the first pull on a node takes minutes. An Artifact Registry remote "
        "repository in front of nvcr.io, or a secondary boot disk holding the image, speeds "
        "this up."
    ),
    "create-api-key-secret": (
        "Create the API key Secret {secret} in namespace {ns} with the key NGC_API_KEY (its "
        "name must equal the chart's model.ngcAPISecret): `kubectl -n {ns} create secret "
        'generic {secret} --from-literal=NGC_API_KEY="$NGC_API_KEY"`.'
    ),
    "add-secret-key": (
        "{detail} Write the key the chart reads (adding the other one too is harmless): "
        "`kubectl -n {ns} create secret generic {secret} "
        '--from-literal=NGC_API_KEY="$NGC_API_KEY" '
        '--from-literal=NGC_CLI_API_KEY="$NGC_API_KEY" --dry-run=client -o yaml | '
        "kubectl apply -f -`, then delete the pod."
    ),
    "fix-container-config": (
        "The container's configuration references something missing; create it or fix the "
        "reference, then delete the pod."
    ),
    "fix-volume-mount": (
        "A volume could not be mounted. `kubectl -n {ns} describe pod {pod}` names it and the "
        "driver's error: for a persistent disk, check that its PVC is Bound and that the disk is "
        "in the node's zone; for the shared cache (Cloud Storage FUSE) the error's code says "
        "what is wrong (GoogleCloudPlatform/gcs-fuse-csi-driver, docs/troubleshooting.md on "
        "GitHub)."
    ),
    "enable-gcsfuse-sidecar": (
        "The Cloud Storage FUSE CSI driver found no gcsfuse sidecar in pod {pod}: its webhook "
        'injects one only into pods annotated gke-gcsfuse/volumes: "true", before they are '
        "created. The stack sets the annotation with nim-gke:nim.sharedCache.enabled (chart "
        "value podAnnotations): `kubectl -n {ns} get pod {pod} -o "
        "jsonpath='{{.metadata.annotations}}'` shows whether it is there; after `pulumi up` "
        "restores it, delete the pod so the StatefulSet recreates it with the sidecar. If the "
        "annotation is there, the cluster's GcsFuseCsiDriver add-on is off or its webhook failed "
        "(`kubectl get mutatingwebhookconfiguration gcsfuse-sidecar-injector.csi.storage.gke.io`)."
    ),
    "grant-bucket-access": (
        "Cloud Storage refused bucket {bucket} to pod {pod}'s Kubernetes service account "
        "(PermissionDenied). The pod must run as the service account the bucket grants "
        "roles/storage.objectUser to (the stack's nim-model-cache, through Workload Identity "
        "Federation: principal://iam.googleapis.com/projects/NUMBER/locations/global/"
        "workloadIdentityPools/PROJECT.svc.id.goog/subject/ns/{ns}/sa/nim-model-cache), and "
        "the cluster and the GPU pool need Workload Identity. `gcloud storage buckets "
        "get-iam-policy gs://{bucket}` shows the grant; `pulumi up` restores it."
    ),
    "fix-bucket-name": (
        "Bucket {bucket} does not exist (NotFound): the PersistentVolume's volumeHandle names "
        "a bucket that was deleted or mistyped. `gcloud storage buckets list --filter="
        "name:{bucket}`; with nim-gke:nim.sharedCache.enabled `pulumi up` creates the stack's "
        "bucket and its PersistentVolumes (a PV's volumeHandle is immutable: the stack replaces "
        "it)."
    ),
    "wait-for-workload-identity": (
        "Wait: the Cloud Storage FUSE driver cannot get pod {pod}'s credentials yet "
        "(Unauthenticated). Right after the service account and its bucket grant are created "
        "this lasts a few minutes while the credentials propagate; if it lasts more than "
        "{patience}, check the Workload Identity set-up (the pod's service account, the bucket "
        "grant to its principal; GoogleCloudPlatform/gcs-fuse-csi-driver, "
        "docs/troubleshooting.md on GitHub, Unauthenticated)."
    ),
    "keep-cache-in-gpu-zone": (
        "PVC {pvc} (StorageClass {storage_class}) is a zonal persistent disk: after its first "
        "bind it pins its pod to {disk_zone} (`kubectl get pv {volume} -o "
        "jsonpath='{{.spec.nodeAffinity}}'`), and the GPU pool has no node there now "
        "({node_zones}). The GPU pool's machines ({machines}) cannot attach a regional disk "
        "(a regional persistent disk attaches only to E2, N1, N2 and N2D VMs: "
        "cloud.google.com/compute/docs/disks/about-regional-persistent-disk; G2 supports no "
        "regional disk type: compute/docs/accelerator-optimized-machines), so run the GPU pool "
        "in the disk's zone (nim-gke:gpuPool.zones [{disk_zone}]), or share one cache that every "
        "zone reaches: a Cloud Storage bucket (nim-gke:nim.sharedCache.enabled true). A "
        "StatefulSet keeps its claim: delete PVC {pvc} and the pod so both are recreated (the "
        "model is downloaded again)."
    ),
    "use-regional-disk": (
        "PVC {pvc} (StorageClass {storage_class}) is a zonal persistent disk: after its first "
        "bind it pins its pod to {disk_zone} (`kubectl get pv {volume} -o "
        "jsonpath='{{.spec.nodeAffinity}}'`), and the GPU pool has no node there now "
        "({node_zones}). Its machines ({machines}) can attach a regional persistent disk (E2, "
        "N1, N2, N2D: cloud.google.com/compute/docs/disks/about-regional-persistent-disk), so a "
        "pool over two zones can use one for the model cache (nim-gke:nim.cacheReplication auto "
        "or regional: StorageClass nim-cache-regional-<type>); or keep the pool in {disk_zone}, "
        "or share the cache through Cloud Storage (nim-gke:nim.sharedCache.enabled true). A "
        "StatefulSet keeps its claim: delete PVC {pvc} and the pod so both are recreated (the "
        "model is downloaded again)."
    ),
    "fix-storage-class": (
        "StorageClass {storage_class} does not exist. Set persistence.storageClass to an "
        "existing class (`kubectl get storageclass`; GKE has standard-rwo and premium-rwo) or "
        "leave it empty for the default, then delete PVC {pvc} and the pod so the StatefulSet "
        "recreates them (its claim template is immutable)."
    ),
    "set-storage-class": (
        "PVC {pvc} names no StorageClass and the cluster has no default one: set "
        "persistence.storageClass (e.g. standard-rwo) or mark a StorageClass as default."
    ),
    "fix-provisioning": (
        "The provisioner could not create the disk for PVC {pvc}. Usual causes: disk quota "
        "(SSD_TOTAL_GB, DISKS_TOTAL_GB) in the region, an access mode the driver does not "
        "support (Persistent Disk is ReadWriteOnce, not ReadWriteMany), or a size limit."
    ),
    "wait-for-volume": (
        "Wait: {provisioner} is creating the disk for PVC {pvc}; this normally takes under a "
        "minute."
    ),
    "check-csi-driver": (
        "PVC {pvc} has waited {age} for {provisioner}. Check that the Compute Engine "
        "persistent disk CSI driver is enabled on the cluster (add-on "
        "GcePersistentDiskCsiDriver) and running: `kubectl -n kube-system get pods "
        "-l app=gcp-compute-persistent-disk-csi-driver`."
    ),
    "describe-pvc": "`kubectl -n {ns} describe pvc {pvc}` shows why it is not bound.",
    "wait-for-model-load": (
        "Wait: NIM is downloading and loading the model, {elapsed} so far of the {budget} the "
        "startup probe allows ({remaining} left). Follow it with `kubectl -n {ns} logs -f "
        "{pod}`. Persistence (a PVC for the model cache) lets restarts skip the download."
    ),
    "extend-startup-budget": (
        "The startup probe killed the container after its {budget} budget while the model "
        "was still loading ({restarts} restart(s)). Give it more time (startupProbe."
        "failureThreshold; keep at least 40 s + 180 x 10 s), enable persistence so the "
        "download survives restarts, pin NIM_MODEL_PROFILE, and read why it was slow: "
        "`kubectl -n {ns} logs {pod} --previous`."
    ),
    "check-readiness": (
        "The model had loaded (the startup probe passed) but /v1/health/ready now fails. Read "
        "`kubectl -n {ns} logs {pod} --tail=100` for engine errors (GPU memory, a crashed "
        "worker)."
    ),
    "check-liveness": (
        "The liveness probe (/v1/health/live) keeps restarting the container. Read "
        "`kubectl -n {ns} logs {pod} --previous`; a wedged engine or an overloaded pod "
        "(probe timeout 1 s) are the usual causes."
    ),
    "wait-for-ready": "Wait: the pod is starting; re-run `nimctl doctor` in a minute.",
    "raise-memory-limit": (
        "Container {container} was OOMKilled (memory limit {limit}). Raise "
        "resources.limits.memory and requests.memory; a node must have that much allocatable "
        "memory (~13 GiB on g2-standard-4, ~29 GiB on g2-standard-8), so pick a larger machine "
        "type if needed."
    ),
    "read-previous-logs": (
        "Read why it exits: `kubectl -n {ns} logs {pod} -c {container} --previous`. Common NIM "
        "causes: no model profile for this GPU (run list-model-profiles, pin "
        "NIM_MODEL_PROFILE), a cache volume not writable by uid 1000 (podSecurityContext "
        "fsGroup), too little GPU memory for the model."
    ),
    "describe-pod": "See `kubectl -n {ns} describe pod {pod}`.",
    "wait-for-replacement-pod": (
        "Wait: the StatefulSet controller deletes a failed pod and creates it again, and the "
        "cluster autoscaler adds a GPU node if no free one is left; re-run `nimctl doctor` to "
        "follow the new pod (the model cache PVC survives). A Spot GPU node can be reclaimed at "
        "any time: if it keeps happening, run the pool on demand (nim-gke:gpuPool.spot false), "
        "in more zones, or on a reservation."
    ),
    "fix-hpa-metric": (
        "The HPA {hpa} cannot read {metric}, so it never scales. nim-gke's HPAs read GKE's "
        "managed metrics adapter: check the version's AutoscalingMetric (`kubectl -n {ns} get "
        "autoscalingmetrics -o yaml`), that its PromQL query returns a value in Cloud Monitoring "
        "(Metrics Explorer, PromQL), that NIM's metrics reach it (the PodMonitoring in {ns}; "
        "nim-gke:monitoring.podMonitoring true) and, for the wake signal, that the CronJob "
        "nim-wake-signal's last Job succeeded (`kubectl -n {ns} get jobs`, its logs). The cluster "
        "needs the HPA performance profile (nim-gke:cluster.hpaProfile). Another adapter "
        "installed by hand serves custom.metrics.k8s.io instead: `kubectl get apiservice "
        "v1beta1.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io`."
    ),
    "wake-when-needed": (
        "Nothing to fix: the version sleeps on purpose (nim-gke:monitoring.hpa.minReplicas 0) "
        "and its GPU node goes about 10 minutes after its pod. It wakes on {signals}; to wake it "
        "now: `nimctl wake -n {ns} --release {release}` (a request sent meanwhile gets 503 "
        "through the Gateway, or a refused connection through a port-forward: docs/"
        "autoscaling.md)."
    ),
    "hand-back-to-hpa": (
        "Someone scaled {target} to zero by hand (kubectl scale), and an HPA never wakes a "
        "workload it did not scale down itself. Hand it back: `kubectl -n {ns} scale {target} "
        "--replicas=1`; to let it sleep, use `nimctl sleep -n {ns} --release {release}`, which "
        "sets the signal the HPA {hpa} reads instead."
    ),
    "upgrade-nodes-for-scale-to-zero": (
        "Node {node} runs a kubelet older than 1.37. GKE supports HPA scale to zero with the "
        "control plane and the nodes at 1.37 or later: the node pools follow "
        "nim-gke:cluster.minMasterVersion by auto-upgrade in the maintenance window; `gcloud "
        "container node-pools list --cluster CLUSTER` shows their versions, and `gcloud "
        "container clusters upgrade CLUSTER --node-pool POOL` upgrades one now."
    ),
    "wait-for-first-metric": (
        "Wait: HPA {hpa} reads {metric}, which has no series yet: NIM's pods publish it once they "
        "serve, and Cloud Monitoring has it a minute or two after the first scrape (the HPA "
        "keeps the current replicas meanwhile). doctor calls it a problem {patience} after a "
        "pod of the version turned ready."
    ),
    "fix-metrics-adapter": (
        "The API server cannot reach Service {service}, the metrics adapter behind "
        "{apiservices:, } ({reason}; the Custom Metrics Stackdriver Adapter, when it is "
        "custom-metrics/custom-metrics-stackdriver-adapter). "
        "`kubectl -n {service_ns} get pods,endpoints` and its logs; a pod that is not ready, a "
        "NetworkPolicy that blocks its port, or a missing Workload Identity binding (the "
        "adapter's logs show Cloud Monitoring refusing it) are the usual causes. nim-gke no "
        "longer installs such an adapter (its HPAs read GKE's managed metrics adapter): "
        "APIServices left from an earlier install can be deleted, once nothing else uses them, "
        "with `kubectl delete apiservice {apiservices: }`."
    ),
    "wait-for-gateway": (
        "Wait: GKE's Gateway controller is building the internal load balancer (forwarding rule, "
        "proxies, URL map, backend services, health checks), a few minutes; doctor calls it stuck "
        "after {patience}. `kubectl -n {ns} describe gateway {gateway}` shows its conditions and "
        "events."
    ),
    "check-gateway-class": (
        "GatewayClass {gateway_class} did not accept the Gateway ({reason}). It needs the "
        "cluster's Gateway API (nim-gke:gateway.enabled sets gateway_api_config "
        "CHANNEL_STANDARD: `kubectl get gatewayclass` lists gke-l7-rilb) and an ACTIVE proxy-only "
        "subnet in the region (`gcloud compute networks subnets list "
        "--filter=purpose=REGIONAL_MANAGED_PROXY`); `pulumi up` creates both."
    ),
    "fix-gateway-address": (
        "The Gateway names the reserved internal address {address}, which it cannot use: it does "
        "not exist in the region, is not in the nodes' subnet, or another forwarding rule holds "
        "it. `gcloud compute addresses describe {address} --region REGION` shows it (status "
        "RESERVED, or IN_USE by this Gateway's rule); `pulumi up` recreates a deleted one."
    ),
    "read-gateway-status": (
        "`kubectl -n {ns} describe gateway {gateway}` shows the controller's conditions and "
        "events; the load balancer parts it made are named in its networking.gke.io/* "
        "annotations (forwarding-rules, backend-services, health-checks, url-maps)."
    ),
    "enable-gateway-controller": (
        "No controller has taken Gateway {gateway} in {age}: its status is still the CRD's "
        "default and it carries none of GKE's marks (finalizer "
        "gateway.finalizer.networking.gke.io, networking.gke.io/* annotations), so "
        "GatewayClass {gateway_class} has no controller here, and its routes and policies wait "
        "for the same controller. GKE runs it once the cluster's Gateway API is on "
        "(nim-gke:gateway.enabled sets gateway_api_config CHANNEL_STANDARD; `gcloud container "
        "clusters describe CLUSTER --location LOCATION "
        "--format='value(networkConfig.gatewayApiConfig.channel)'`), and `kubectl get "
        "gatewayclass` then lists gke-l7-rilb with ACCEPTED True. Gateway API CRDs installed by "
        "hand do not bring GKE's controller."
    ),
    "create-proxy-only-subnet": (
        'Compute Engine refused the Gateway\'s forwarding rule: "{detail}". GatewayClass '
        "gke-l7-rilb (a regional internal Application Load Balancer) needs an ACTIVE proxy-only "
        "subnet (purpose REGIONAL_MANAGED_PROXY) in the Gateway's region and VPC: `gcloud compute "
        "networks subnets list --filter=purpose=REGIONAL_MANAGED_PROXY`. `pulumi up` creates it "
        "with nim-gke:gateway.enabled; GKE retries the load balancer by itself once it exists."
    ),
    "fix-load-balancer-error": (
        "Compute Engine refused a part of Gateway {gateway}'s load balancer ({code}): "
        '"{detail}". GKE retries, but the same spec fails again: fix what the message names '
        "(an address, a certificate, a quota: `gcloud compute project-info describe` and the "
        "region's quotas), then `kubectl -n {ns} describe gateway {gateway}` shows the next "
        "attempt."
    ),
    "fix-gateway-spec": (
        'GKE\'s Gateway controller refused Gateway {gateway} ({code}): "{detail}". It builds '
        "no load balancer for it until the spec is valid; `pulumi up` writes the stack's Gateway "
        "back (a NamedAddress naming the reserved internal address, one HTTP listener)."
    ),
    "remove-unsupported-route-field": (
        "GKE's Gateway controller does not support a field of HTTPRoute {route} ({code}): "
        '"{detail}" (GatewayClass capabilities: cloud.google.com/kubernetes-engine/docs/how-to/'
        "gatewayclass-capabilities). A route GKE refuses also stops the Gateway's other routes "
        "from being programmed. Remove the field (request timeouts belong in a GCPBackendPolicy's "
        "timeoutSec: nim-gke:gateway.timeoutSec); `pulumi up` writes the stack's route back."
    ),
    "fix-route-parent": (
        "HTTPRoute {route} must name Gateway {parent} and its listener (sectionName http) in its "
        "own namespace, and the listener must admit HTTPRoutes from it (allowedRoutes from Same). "
        "The stack writes both: `pulumi up` puts back a route or Gateway edited by hand."
    ),
    "create-route-backend": (
        "The route names a Service that does not exist ({services}): a version's release is "
        "missing or failed (`helm -n {ns} list`, `kubectl -n {ns} get svc`). `pulumi up` installs "
        "it; or remove the version from the stack file (the canary block) so the route stops "
        "naming it."
    ),
    "keep-backends-in-namespace": (
        "A backendRef of {route} points into another namespace without a ReferenceGrant; the "
        "stack keeps every version's Service in {ns} beside the route."
    ),
    "read-route-status": (
        "`kubectl -n {ns} describe httproute {route}` shows each parent's conditions and the "
        "controller's message."
    ),
    "drain-or-fix-version": (
        "{share}% of the requests of route {route} go to {service} and fail (the load balancer "
        "answers 503 'no healthy upstream'). Drain that version now (canary.weight: 0 in the "
        "stack file, `pulumi up`), fix its pod (its own finding), then raise the weight again."
    ),
    "add-health-check-policy": (
        "Create the HealthCheckPolicy for Service {service} (`pulumi up` does, for every version "
        "behind the Gateway): networking.gke.io/v1, targetRef Service {service}, type HTTP, "
        "requestPath /v1/health/ready, port 8000 (portSpecification USE_FIXED_PORT)."
    ),
    "fix-health-check-policy": (
        "HealthCheckPolicy {policy} makes the load balancer check {checked}, but the pods of "
        "{service} answer their readiness on {serving}: {why}, so the load balancer marks them "
        "unhealthy and the endpoint answers 503 'no healthy upstream' while the pods are Ready. "
        "The check must be type HTTP, requestPath {path}, port {port} (portSpecification "
        "USE_FIXED_PORT): `pulumi up` writes the stack's policy back."
    ),
    "check-readiness-path": (
        "HealthCheckPolicy {policy} makes the load balancer request {checked_path}, the pods' "
        "liveness path. NIM answers it 200 as soon as the container runs, before the model is "
        "loaded (docs.nvidia.com/nim/large-language-models/latest/reference/api-reference/"
        "health-live), so the check passes EARLIER than the pods' readiness: each pod of "
        "{service} gets requests while it still loads its model (a new replica, a wake from "
        "zero, a rollout), and they fail until it is ready. The check must request the "
        "readiness path: type HTTP, requestPath {path}, port {port} (portSpecification "
        "USE_FIXED_PORT): `pulumi up` writes the stack's policy back."
    ),
    "add-backend-policy": (
        "Create the GCPBackendPolicy for Service {service} (`pulumi up` does: "
        "nim-gke:gateway.timeoutSec and drainingTimeoutSec)."
    ),
    "fix-policy-target": (
        "{kind} {policy} is not attached to Service {target}. TargetNotFound: that Service does "
        "not exist (yet), see `kubectl -n {ns} get svc {target}`; Conflicted: another {kind} "
        "targets it (keep one per Service: `kubectl -n {ns} get {plural}`); Invalid: its spec "
        "breaks a rule of the CRD (`kubectl -n {ns} describe {plural} {policy}`)."
    ),
    "delete-retained-cache": (
        "If release {release} will not come back: `kubectl -n {ns} delete pvc {pvc}` (its "
        "StorageClass deletes the disk). A version added again later downloads the model anew."
    ),
}
