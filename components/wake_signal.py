"""The wake signal's writer: a CronJob that writes, every 2 minutes, whether each model version
should be awake, as a gauge in Cloud Monitoring that the versions' HPAs read
(:mod:`nimgke.wake_signal` is the program and says why; :mod:`nimgke.autoscaling` reads it).

Why a CronJob writing a gauge: a version asleep at zero replicas can only be woken by an External or
Object metric, one that exists while no pod runs (kubernetes.io/blog/2026/09/02/
kubernetes-v1-37-hpa-scale-to-zero-beta), and Kubernetes has no metric of the clock. A schedule
(``monitoring.hpa.wakeSchedule``) and ``nimctl wake``/``sleep`` become one such metric here, the
pattern of Google's own sample (GoogleCloudPlatform/kubernetes-engine-samples@c401873e26105d
cost-optimization/gke-scheduled-autoscaler: CronJobs writing a ``custom.googleapis.com`` gauge, an
HPA reading it as External). ``nimctl wake`` writes an override into a ConfigMap the pods mount
(``OVERRIDES_CONFIGMAP``, not managed by the stack: ``pulumi up`` never reverts it) and starts a
Job from the CronJob at once; scaling the workload by hand would not do, since the HPA does not
wake a workload set to zero by hand and undoes any other manual scale (same blog post).

Its parts, and what each is for:

- a Kubernetes service account whose Workload Identity Federation principal holds
  ``roles/monitoring.metricWriter`` on the project, no Google service account
  (``principal_service_account``, as the shared model cache grants its bucket);
- a ConfigMap with the program, the CronJob (every 2 minutes, one run at a time, on the system
  pool), its pods ``restricted`` (non-root UID 65534, no privilege escalation or capabilities,
  read-only root filesystem, RuntimeDefault seccomp) on ``python:3.13-slim`` pinned by digest and
  pulled through the stack's Artifact Registry cache of Docker Hub
  (``components/dockerhub_cache.py``), never from Docker Hub by tag;
- with the namespace's default-deny policies: egress to the GKE metadata server, which hands out
  the Workload Identity token (``components.network_policies.metadata_server_egress``, as for the
  pods that mount the shared model cache).
  DNS and HTTPS (monitoring.googleapis.com) are already allowed to every pod of the namespace
  (``components/network_policies.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.cluster import SYSTEM_POOL_LABEL
from components.network_policies import metadata_server_egress
from components.shared_cache import principal_service_account
from nimgke import wake_signal

TYPE = "nim-gke:k8s:WakeSignal"
NAME = "nim-wake-signal"
"""The CronJob, its service account and its program's ConfigMap."""
OVERRIDES_CONFIGMAP = "nim-wake-overrides"
"""Written by ``nimctl wake``/``sleep`` (key ``overrides.json``); optional for the pods."""
IMAGE_PATH = "library/python"
"""Docker Hub's official Python image, under the path the Docker Hub cache keeps."""
IMAGE_DIGEST = "sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6"
"""``python:3.13-slim`` as Docker Hub served it on 2026-08-05 (its layers' date): the multi-platform
index (an OCI image index; linux/amd64 43.0 MB compressed), Python 3.13.14 on Debian trixie, whose
Dockerfile installs ``tzdata`` (the schedule's time zones). Read from docker-library/repo-info@
2986dca3a80cb11b70fc4599941096374ea9e509:repos/python/remote/3.13-slim.md on 2026-12-03. A digest
names one image for good: ``IfNotPresent`` then never runs another one, and a new Python is a
reviewed change of this line."""


def image(cache_url: str) -> str:
    """The writer's image: ``python:3.13-slim`` by digest, through the Docker Hub cache at
    ``cache_url`` (:func:`components.image_mirror.repository_url`)."""
    return f"{cache_url}/{IMAGE_PATH}@{IMAGE_DIGEST}"


SCHEDULE = "*/2 * * * *"
ROLE = "roles/monitoring.metricWriter"
RUN_AS = 65534
SCRIPT_DIR = "/opt/nim-wake"
SCRIPT = "wake_signal.py"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "nim-gke"}


def program() -> str:
    """The program the pods run: :mod:`nimgke.wake_signal`, as it is in the repository."""
    return Path(wake_signal.__file__).read_text(encoding="utf-8")


@dataclass(frozen=True, kw_only=True)
class WakeSignalArgs:
    project: str
    project_number: pulumi.Input[str]
    namespace: pulumi.Input[str]
    location: str
    """The cluster's location (zone or region): a label of the ``k8s_cluster`` resource."""
    cluster: pulumi.Input[str]
    """The cluster's name: a label of the ``k8s_cluster`` resource."""
    image: str
    """The writer's image (:func:`image`): through the stack's Docker Hub cache, by digest."""
    image_from: pulumi.Resource | None = None
    """The cache the image comes through: the CronJob waits for it."""
    releases: list[str]
    """Every model version release: one series each."""
    schedule: dict[str, Any] | None = None
    """``{days, start, end, timeZone}`` (:meth:`nimgke.shape.ScheduleShape.as_dict`), or None."""
    network_policy: bool = True


def pod_spec(args: WakeSignalArgs, cluster: str) -> k8s.core.v1.PodSpecArgsDict:
    """The writer's pod: the program from its ConfigMap, the overrides ConfigMap if it exists."""
    env: list[k8s.core.v1.EnvVarArgsDict] = [
        {"name": "NIM_WAKE_RELEASES", "value": ",".join(sorted(args.releases))},
        {"name": "NIM_WAKE_PROJECT", "value": args.project},
        {"name": "NIM_WAKE_LOCATION", "value": args.location},
        {"name": "NIM_WAKE_CLUSTER", "value": cluster},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
    ]
    if args.schedule is not None:
        env += [
            {"name": "NIM_WAKE_DAYS", "value": ",".join(args.schedule["days"])},
            {"name": "NIM_WAKE_START", "value": args.schedule["start"]},
            {"name": "NIM_WAKE_END", "value": args.schedule["end"]},
            {"name": "NIM_WAKE_TIME_ZONE", "value": args.schedule["timeZone"]},
        ]
    return {
        "service_account_name": NAME,
        "restart_policy": "Never",
        "node_selector": dict(SYSTEM_POOL_LABEL),
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": RUN_AS,
            "run_as_group": RUN_AS,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "wake-signal",
                "image": args.image,
                "image_pull_policy": "IfNotPresent",
                "command": ["python3", f"{SCRIPT_DIR}/{SCRIPT}"],
                "env": env,
                "resources": {
                    "requests": {"cpu": "10m", "memory": "32Mi"},
                    "limits": {"memory": "64Mi"},
                },
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": RUN_AS,
                    "run_as_group": RUN_AS,
                    "allow_privilege_escalation": False,
                    "privileged": False,
                    "read_only_root_filesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                "volume_mounts": [
                    {"name": "program", "mount_path": SCRIPT_DIR, "read_only": True},
                    {"name": "overrides", "mount_path": "/etc/nim-wake", "read_only": True},
                ],
            }
        ],
        "volumes": [
            {"name": "program", "config_map": {"name": NAME}},
            {"name": "overrides", "config_map": {"name": OVERRIDES_CONFIGMAP, "optional": True}},
        ],
    }


class WakeSignal(pulumi.ComponentResource):
    cron_job_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: WakeSignalArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ksa, member = principal_service_account(
            f"{name}-sa",
            {"name": NAME, "namespace": args.namespace, "labels": LABELS},
            args.project,
            args.project_number,
            child,
        )
        grant = gcp.projects.IAMMember(
            f"{name}-metric-writer", project=args.project, role=ROLE, member=member, opts=child
        )
        script = k8s.core.v1.ConfigMap(
            f"{name}-program",
            metadata={"name": NAME, "namespace": args.namespace, "labels": LABELS},
            data={SCRIPT: program()},
            opts=child,
        )
        cluster = pulumi.Output.from_input(args.cluster)
        cron = k8s.batch.v1.CronJob(
            f"{name}-cronjob",
            metadata={"name": NAME, "namespace": args.namespace, "labels": LABELS},
            spec=cluster.apply(
                lambda c: {
                    "schedule": SCHEDULE,
                    "concurrency_policy": "Forbid",
                    "starting_deadline_seconds": 100,
                    "successful_jobs_history_limit": 1,
                    "failed_jobs_history_limit": 3,
                    "job_template": {
                        "metadata": {"labels": LABELS},
                        "spec": {
                            "backoff_limit": 1,
                            "active_deadline_seconds": 90,
                            "ttl_seconds_after_finished": 600,
                            "template": {
                                "metadata": {"labels": LABELS},
                                "spec": pod_spec(args, c),
                            },
                        },
                    },
                }
            ),
            # The principal's grant first: a run before it would be refused by Cloud Monitoring;
            # the image's cache too: a pull before it exists fails.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[grant, script, ksa, *([args.image_from] if args.image_from else [])],
            ),
        )
        if args.network_policy:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-metadata-egress",
                metadata={
                    "name": "allow-wake-signal-metadata",
                    "namespace": args.namespace,
                    "labels": LABELS,
                },
                spec={
                    "pod_selector": {"match_labels": dict(LABELS)},
                    "policy_types": ["Egress"],
                    "egress": metadata_server_egress(),
                },
                opts=child,
            )
        self.cron_job_name = cron.metadata["name"]
        self.register_outputs({"cron_job_name": self.cron_job_name})
