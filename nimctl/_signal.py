"""What ``nimctl wake`` and ``nimctl sleep`` share: set a version's wake signal, never its replicas.

A version that sleeps is held at zero replicas by its HPA, which reads External metrics
(docs/autoscaling.md). Scaling the workload by hand works against it: the HPA undoes any manual
scale, and it never wakes a workload set to zero by hand ("Manually setting a Deployment to zero
has always paused autoscaling. The HPA preserves that behavior and will not wake a workload that
it did not scale down itself", kubernetes.io/blog/2026/09/02/kubernetes-v1-37-hpa-scale-to-zero-
beta). So both commands change what the HPA reads instead:

1. they write an override (``awake`` or ``asleep`` until a time) for the version into the
   ConfigMap ``nim-wake-overrides`` (key ``overrides.json``), which the stack's wake-signal
   CronJob mounts and which ``pulumi up`` does not manage (so it never reverts it);
2. they start a Job from that CronJob at once, as ``kubectl create job --from=cronjob/...`` does
   (kubernetes/kubectl pkg/cmd/create/create_job.go ``createJobFromCronJob``: the job template's
   spec, the annotation ``cronjob.kubernetes.io/instantiate: manual``, an owner reference to the
   CronJob), so the gauge changes now rather than at the next 2-minute run.

The program that turns the override into the gauge is :mod:`nimgke.wake_signal`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from nimctl import _cli
from nimctl.doctor.kube import DEFAULT_NAMESPACE, get
from nimctl.doctor.snapshot import DoctorInputError
from nimgke.autoscaling import WINDOW_MINUTES
from nimgke.config.versions import chart_fullname
from nimgke.wake_signal import AWAKE, OVERRIDES_KEY

CRON_JOB = "nim-wake-signal"
OVERRIDES = "nim-wake-overrides"
MANUAL = {"cronjob.kubernetes.io/instantiate": "manual"}
EXIT_OK, EXIT_UNUSABLE = 0, 2
_DURATION = re.compile(r"(\d+)([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class SignalError(Exception):
    """What stops wake or sleep, with what to do (printed without a traceback)."""


class Cluster(Protocol):
    """The few reads and writes of the Kubernetes API the commands make (dicts as ``kubectl -o
    json`` prints them; None for an object that does not exist)."""

    def cron_job(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    def config_map(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    def save_config_map(self, namespace: str, body: dict[str, Any], exists: bool) -> None: ...
    def create_job(self, namespace: str, body: dict[str, Any]) -> None: ...
    def hpa(self, namespace: str, name: str) -> dict[str, Any] | None: ...


def duration(text: str) -> timedelta:
    """argparse ``type=`` for ``90m``, ``2h``, ``1d``."""
    m = _DURATION.fullmatch(text.strip())
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90m, 2h or 1d")
    return timedelta(**{UNITS[m.group(2)]: int(m.group(1))})


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def releases_of(cron: dict[str, Any]) -> list[str]:
    """The version releases the CronJob writes a signal for (its ``NIM_WAKE_RELEASES``)."""
    containers = get(cron, "spec", "jobTemplate", "spec", "template", "spec", "containers") or []
    for c in containers:
        for e in c.get("env") or []:
            if e.get("name") == "NIM_WAKE_RELEASES":
                return [r for r in str(e.get("value") or "").split(",") if r]
    return []


def with_override(
    current: dict[str, Any], releases: list[str], state: str, until: datetime, now: datetime
) -> dict[str, Any]:
    """The overrides with ``releases`` set to ``state`` until ``until``; expired entries of other
    releases are dropped, unexpired ones kept."""
    kept = {
        r: e
        for r, e in current.items()
        if r not in releases
        and isinstance(e, dict)
        and str(e.get("until") or "") > iso(now)  # RFC 3339 UTC strings sort as times
    }
    by = f"nimctl {'wake' if state == AWAKE else 'sleep'}"
    mine = {r: {"state": state, "until": iso(until), "by": by, "at": iso(now)} for r in releases}
    return kept | mine


def overrides_in(config_map: dict[str, Any] | None) -> dict[str, Any]:
    if config_map is None:
        return {}
    try:
        doc = json.loads((config_map.get("data") or {}).get(OVERRIDES_KEY) or "{}")
    except ValueError:
        return {}  # unreadable: the writer ignores it too; replaced below
    return doc if isinstance(doc, dict) else {}


def config_map_body(namespace: str, overrides: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": OVERRIDES,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "nim-gke"},
        },
        "data": {OVERRIDES_KEY: json.dumps(overrides, indent=1, sort_keys=True)},
    }


def job_from_cron_job(cron: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The Job ``kubectl create job --from=cronjob/NAME`` would create (see the module
    docstring), named ``<cronjob>-manual-<unix time>``."""
    template = cron["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    name = cron["metadata"]["name"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{name}-manual-{int(now.timestamp())}",
            "namespace": cron["metadata"].get("namespace"),
            "labels": dict(meta.get("labels") or {}),
            "annotations": {**(meta.get("annotations") or {}), **MANUAL},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cron["metadata"].get("uid"),
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }


@dataclass(frozen=True)
class Outcome:
    releases: list[str]
    until: datetime
    job: str
    idle: dict[str, int | None]
    """Each release's HPA idle window in seconds (None: no HPA read)."""


def set_signal(
    cluster: Cluster,
    namespace: str,
    release: str | None,
    state: str,
    lasting: timedelta,
    now: datetime,
) -> Outcome:
    cron = cluster.cron_job(namespace, CRON_JOB)
    if cron is None:
        raise SignalError(
            f"no wake signal in namespace {namespace} (cronjob/{CRON_JOB}): its versions do not "
            "sleep, or nimctl wake is off. The stack writes one when monitoring.hpa.minReplicas "
            "is 0 with wakeOnCommand or a wakeSchedule (docs/autoscaling.md); check --namespace"
        )
    known = releases_of(cron)
    if release is not None and release not in known:
        raise SignalError(
            f"{release!r} is not a version with a wake signal here; the versions are: "
            f"{', '.join(known) or '(none)'} (a version's release is <release>-<tag>, `pulumi "
            "stack output rollout`)"
        )
    targets = [release] if release is not None else known
    until = now + lasting
    existing = cluster.config_map(namespace, OVERRIDES)
    merged = with_override(overrides_in(existing), targets, state, until, now)
    cluster.save_config_map(namespace, config_map_body(namespace, merged), existing is not None)
    job = job_from_cron_job(cron, now)
    cluster.create_job(namespace, job)
    idle: dict[str, int | None] = {}
    for r in targets:
        hpa = cluster.hpa(namespace, chart_fullname(r))
        window = get(hpa or {}, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds")
        idle[r] = int(window) if isinstance(window, int | float) else None
    return Outcome(targets, until, job["metadata"]["name"], idle)


def report(outcome: Outcome, state: str, namespace: str) -> str:
    lines = [
        f"{r}: {state} until {iso(outcome.until)} (configmap/{OVERRIDES})" for r in outcome.releases
    ]
    lines.append(f"started job/{outcome.job} from cronjob/{CRON_JOB}: the wake gauge changes now")
    if state == AWAKE:
        lines.append(
            "The HPA reads the gauge within about a minute or two (ESTIMATE) and scales the "
            "version from zero; a GPU node, its driver and the model then take about 6-7 minutes "
            "(ESTIMATE, docs/startup.md). Follow it with: nimctl timeline -n "
            f"{namespace} --release {outcome.releases[0]}"
        )
    else:
        windows = {w for w in outcome.idle.values() if w}
        after = f"{min(windows) // 60} min, " if windows else ""
        lines.append(
            f"The HPA lets a version sleep once nothing has asked for it for its idle window + "
            f"up to {WINDOW_MINUTES} min ({after}monitoring.hpa.idleMinutes; the wake signal is "
            f"the gauge's highest value over {WINDOW_MINUTES} minutes, so its last 1 counts that "
            "much longer): requests in flight and requests through the Gateway still keep it "
            "awake or wake it. GKE removes the empty GPU node about 10 minutes later."
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, state: str, cluster: Cluster | None = None) -> int:
    name = "wake" if state == AWAKE else "sleep"
    try:
        namespace = args.namespace
        if cluster is None:
            cluster, namespace = live_cluster(args.namespace, args.context)
        outcome = set_signal(
            cluster, namespace, args.release, state, args.lasting, datetime.now(UTC)
        )
    except (SignalError, DoctorInputError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(report(outcome, state, namespace))
    return EXIT_OK


def command(
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    default: str,
    summary: str,
    description: str,
    examples: tuple[str, ...],
) -> _cli.Command:
    """``nimctl wake`` or ``nimctl sleep``; ``--for`` defaults to ``default``."""

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--release",
            help="one version's release (<release>-<tag>, `pulumi stack output rollout`); "
            "default: every version the stack's wake signal covers",
        )
        parser.add_argument(
            "--for",
            dest="lasting",
            type=duration,
            default=duration(default),
            help=f"how long the override lasts, e.g. 90m, 2h, 1d (default: {default})",
        )
        _cli.add_kube_arguments(parser, DEFAULT_NAMESPACE)

    return _cli.Command(
        name=name,
        summary=summary,
        description=description,
        examples=tuple(f"nimctl {name} {e}" for e in examples),
        arguments=add_arguments,
        run=run,
    )


class KubeCluster:
    """:class:`Cluster` over the official ``kubernetes`` client."""

    def __init__(self, api_client: Any) -> None:
        from kubernetes import client  # noqa: PLC0415 - optional dependency

        self.api = api_client
        # Typed Any: the client sends a dict body as it is (ApiClient.sanitize_for_serialization
        # passes dicts through), which its V1ConfigMap/V1Job annotations do not say.
        self.core: Any = client.CoreV1Api(api_client)
        self.batch: Any = client.BatchV1Api(api_client)
        self.autoscaling: Any = client.AutoscalingV2Api(api_client)

    def _read(self, what: str, read: Any) -> dict[str, Any] | None:
        try:
            return dict(self.api.sanitize_for_serialization(read()))
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            if getattr(exc, "status", None) == 404:
                return None
            raise SignalError(_api_error(what, exc)) from None

    def cron_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._read(
            f"cronjob/{name}", lambda: self.batch.read_namespaced_cron_job(name, namespace)
        )

    def config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._read(
            f"configmap/{name}", lambda: self.core.read_namespaced_config_map(name, namespace)
        )

    def hpa(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self._read(
                f"hpa/{name}",
                lambda: self.autoscaling.read_namespaced_horizontal_pod_autoscaler(name, namespace),
            )
        except SignalError:
            return None  # only for the message: an identity that may not read HPAs still wakes

    def save_config_map(self, namespace: str, body: dict[str, Any], exists: bool) -> None:
        try:
            if exists:
                self.core.replace_namespaced_config_map(OVERRIDES, namespace, body)
            else:
                self.core.create_namespaced_config_map(namespace, body)
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            raise SignalError(_api_error(f"configmap/{OVERRIDES}", exc)) from None

    def create_job(self, namespace: str, body: dict[str, Any]) -> None:
        try:
            self.batch.create_namespaced_job(namespace, body)
        except Exception as exc:  # kubernetes.client.ApiException, urllib3 errors
            raise SignalError(_api_error("a job", exc)) from None


def _api_error(what: str, exc: Exception) -> str:
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0][:200]
    if status in (401, 403):
        return (
            f"the cluster refused access to {what} (HTTP {status} {reason}): wake and sleep read "
            "the wake signal's CronJob and write a ConfigMap and a Job in the NIM namespace"
        )
    if status:
        return f"{what}: HTTP {status} {reason}"
    return f"cannot reach the cluster API ({reason}); check the kube context and the network"


def live_cluster(namespace: str | None, context: str | None) -> tuple[Cluster, str]:
    from nimctl.doctor.live import connect  # noqa: PLC0415 - the kubernetes client is optional

    api_client, ns = connect(namespace, context, offline="")
    return KubeCluster(api_client), ns
