"""What GKE's own pods request on the system pool, for sizing it (and warning when it is too small).

The GPU nodes are tainted ``nvidia.com/gpu=present:NoSchedule``
(cloud.google.com/kubernetes-engine/docs/how-to/gpus) and the GPU pool scales to zero, so every
non-GPU system pod lives on the system pool. Requests as seen on real GKE
nodes (MEASURED) where such output was found, else from the upstream manifest (MANIFEST), else an
ESTIMATE. Sources:

- MEASURED: ``kubectl describe node`` of a GKE v1.29.6-gke.1038001 e2-small node with Workload
  Identity, Managed Prometheus, the kube-state package, PD CSI and system logging (a public
  GitHub status report, "Tenderd DevOps Assignment", 2024-07-23: "Non-terminated Pods" with their
  requests, "Allocatable: cpu 940m"); the same DaemonSet requests on a GKE v1.36 node (2026).
- MANIFEST: kube-dns (kubernetes/kubernetes cluster/addons/dns/kube-dns/kube-dns.yaml.in: 100m +
  150m + 10m CPU), the dns autoscaler's ``"preventSinglePointFailure": true`` (two kube-dns
  replicas once there are two nodes), the Managed Prometheus collector and operator
  (GoogleCloudPlatform/prometheus-engine manifests/operator.yaml), rule-evaluator and
  alertmanager with 0 replicas unless rules exist (pkg/operator/rules.go).
- anetd (Dataplane V2's agent): 205m CPU from a DaemonSet request listing; its memory request
  was not found (ESTIMATE 100Mi). With Dataplane V2 there is no kube-proxy.

A cluster's real figures are in ``kubectl describe node <system node>`` ("Allocated resources");
GKE changes these between versions, so the sizing check warns and never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimgke import catalog


@dataclass(frozen=True)
class SystemPod:
    name: str
    cpu_milli: int
    memory_mib: int
    per_node: bool
    """A DaemonSet (on every system node) rather than a cluster-wide Deployment."""
    replicas: int = 1
    """Replicas on the system pool at peak (Deployments only)."""
    source: str = "MEASURED"


# Always there on a GKE Standard cluster.
BASE = (
    # Two replicas once a GPU node joins (preventSinglePointFailure); the GPU taint keeps the
    # second on the system pool too.
    SystemPod("kube-dns", 265, 140, per_node=False, replicas=2),
    SystemPod("kube-dns-autoscaler", 20, 10, per_node=False),
    SystemPod("konnectivity-agent", 15, 60, per_node=False, replicas=2),
    SystemPod("konnectivity-agent-autoscaler", 10, 10, per_node=False),
    SystemPod("metrics-server", 48, 105, per_node=False),
    SystemPod("event-exporter-gke", 3, 100, per_node=False),
    SystemPod("gke-metrics-agent", 19, 155, per_node=True),
    SystemPod("netd", 7, 60, per_node=True),
    SystemPod("pdcsi-node", 10, 20, per_node=True),
)
LOGGING = (SystemPod("fluentbit-gke", 105, 230, per_node=True),)
WORKLOAD_IDENTITY = (SystemPod("gke-metadata-server", 100, 100, per_node=True),)
DATAPLANE_V2 = (SystemPod("anetd", 205, 100, per_node=True, source="MEASURED cpu, ESTIMATE mem"),)
KUBE_STATE = (SystemPod("kube-state-metrics (gke-managed-cim)", 105, 130, per_node=False),)
MANAGED_PROMETHEUS = (
    SystemPod("gmp collector", 5, 35, per_node=True, source="MANIFEST"),
    SystemPod("gmp-operator", 1, 16, per_node=False, source="MANIFEST"),
)


@dataclass(frozen=True)
class Sizing:
    machine: str
    nodes_min: int
    nodes_max: int
    per_node_cpu: int
    per_node_mem: int
    cluster_cpu: int
    cluster_mem: int
    allocatable: catalog.Allocatable

    def free_cpu(self, nodes: int) -> int:
        """CPU left for the cluster-wide pods and everything else on ``nodes`` system nodes."""
        return nodes * (self.allocatable.cpu_milli - self.per_node_cpu) - self.cluster_cpu

    def free_mem(self, nodes: int) -> int:
        return nodes * (self.allocatable.memory_mib - self.per_node_mem) - self.cluster_mem

    @property
    def total_cpu(self) -> int:
        """Requests with one system node: the figure to hold against one node's allocatable."""
        return self.per_node_cpu + self.cluster_cpu


def system_pods(*, managed_prometheus: bool, kube_state: bool) -> tuple[SystemPod, ...]:
    """The system pods of this stack's clusters (Dataplane V2, Workload Identity and system
    logging are always on; the monitoring packages follow the stack's settings)."""
    pods = [*BASE, *LOGGING, *WORKLOAD_IDENTITY, *DATAPLANE_V2]
    if kube_state:
        pods += KUBE_STATE
    if managed_prometheus:
        pods += MANAGED_PROMETHEUS
    return tuple(pods)


def sizing(
    machine: catalog.MachineType, nodes_min: int, nodes_max: int, pods: tuple[SystemPod, ...]
) -> Sizing:
    daemonsets = [p for p in pods if p.per_node]
    deployments = [p for p in pods if not p.per_node]
    return Sizing(
        machine=machine.name,
        nodes_min=max(1, nodes_min),
        nodes_max=nodes_max,
        per_node_cpu=sum(p.cpu_milli for p in daemonsets),
        per_node_mem=sum(p.memory_mib for p in daemonsets),
        cluster_cpu=sum(p.cpu_milli * p.replicas for p in deployments),
        cluster_mem=sum(p.memory_mib * p.replicas for p in deployments),
        allocatable=catalog.allocatable(machine),
    )
