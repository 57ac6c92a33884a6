"""``nimctl doctor``: why is the NIM not serving, and what fixes it?

Reads the NIM's namespace (pods labelled ``app.kubernetes.io/name=nim-llm``, their events and
PVCs, and the nodes; the Gateway, its HTTPRoutes and GKE policies when there are any) from the
current kube context, or offline from the JSON of ``kubectl get pods,events,pvc,nodes -n NS -o
json`` (``live.GATEWAY_GET`` adds the Gateway's kinds), and reports each problem it recognises
with its cause and its fix (the causes are listed in ``catalogue``).

Exit codes: 0 healthy, 1 problems that need a fix, 2 the namespace could not be read,
3 nothing to fix but not ready yet (a GPU node or the model is still coming up). What is still
coming up becomes a problem after its patience: ``SCALE_UP_PATIENCE``, ``NODE_READY_PATIENCE``,
``GPU_DRIVER_PATIENCE`` (``scaleup``), ``PROVISIONING_PATIENCE`` (``storage``), the startup
probe's budget (``lifecycle.startup_budget``).

The package, by what a reader looks for:

- ``gateway``: the Gateway, its routes and backends; ``policies``: GKE's policies on them.
- ``snapshot`` (a file or stdin) and ``live`` (the Kubernetes client) read the namespace into
  one kubectl-shaped v1 List; ``kube`` holds the small helpers over those dicts.
- ``engine.diagnose`` routes each NIM pod to the area that explains its state, and collects
  findings in a ``diagnosis.Diagnosis``.
- One module per area, each holding its rules: ``scheduling`` (taints, selectors, requests),
  ``scaleup`` (the cluster autoscaler), ``nodes`` (nodes joining, not ready, going away; GPUs
  and drivers), ``images`` (nvcr.io, the Artifact Registry mirror), ``secrets``, ``storage``
  (PVCs, disks, Cloud Storage FUSE), ``lifecycle`` (probes, model loading, OOM, crash loops),
  ``workloads`` (pods never created), ``autoscaling`` (HPA, metrics APIs), ``policies``.
- ``wording`` parses the components' messages (scheduler, autoscaler, kubelet, containerd, CSI
  drivers, GKE's Gateway controller).
- ``catalogue`` is the data: every cause, its severity and its fix (texts in ``fixes``).
- ``report`` (findings, exit codes) and ``render`` (text and ``--json``) produce the output.

Adding a failure mode: one rule in its area module that calls ``diag.add(cause, ...)``, one
``catalogue`` entry for the cause, its text in ``fixes``, and one fixture in
``tests/nimctl/fixtures/doctor/make_fixtures.py`` with its row in the test table.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nimctl import _cli
from nimctl.doctor.catalogue import CAUSES, FIXES
from nimctl.doctor.engine import diagnose
from nimctl.doctor.kube import (
    ACCELERATOR_LABEL,
    CHART_NAME,
    DEFAULT_NAMESPACE,
    GPU_RESOURCE,
    INSTANCE_LABEL,
    NAME_LABEL,
    NODEPOOL_LABEL,
    event_time,
    fmt_duration,
    fmt_quantity,
    parse_quantity,
    parse_time,
    pod_requests,
    snapshot_time,
)
from nimctl.doctor.lifecycle import startup_budget
from nimctl.doctor.live import GATEWAY_GET, collect, read_live
from nimctl.doctor.nodes import GPU_DRIVER_PATIENCE, NODE_READY_PATIENCE
from nimctl.doctor.render import render, render_json
from nimctl.doctor.report import (
    ERROR,
    EXIT_HEALTHY,
    EXIT_PROBLEMS,
    EXIT_UNREADABLE,
    EXIT_WAITING,
    WAITING,
    WARNING,
    Finding,
    PodState,
    Report,
)
from nimctl.doctor.scaleup import SCALE_UP_PATIENCE
from nimctl.doctor.snapshot import DoctorInputError, Snapshot, is_nim_pod, load_file
from nimctl.doctor.storage import PROVISIONING_PATIENCE
from nimctl.doctor.wording import parse_reasons

__all__ = [
    "ACCELERATOR_LABEL",
    "CAUSES",
    "CHART_NAME",
    "DEFAULT_NAMESPACE",
    "DESCRIPTION",
    "ERROR",
    "EXIT_HEALTHY",
    "EXIT_PROBLEMS",
    "EXIT_UNREADABLE",
    "EXIT_WAITING",
    "FIXES",
    "GPU_DRIVER_PATIENCE",
    "GPU_RESOURCE",
    "INSTANCE_LABEL",
    "NAME_LABEL",
    "NODEPOOL_LABEL",
    "NODE_READY_PATIENCE",
    "PROVISIONING_PATIENCE",
    "SCALE_UP_PATIENCE",
    "WAITING",
    "WARNING",
    "DoctorInputError",
    "Finding",
    "PodState",
    "Report",
    "Snapshot",
    "collect",
    "diagnose",
    "event_time",
    "fmt_duration",
    "fmt_quantity",
    "is_nim_pod",
    "load_file",
    "parse_quantity",
    "parse_reasons",
    "parse_time",
    "pod_requests",
    "read_live",
    "render",
    "render_json",
    "run",
    "snapshot_time",
    "startup_budget",
]

DESCRIPTION = (
    """\
Why is the NIM not serving, and what fixes it?

Reads the NIM pods (labelled app.kubernetes.io/name=nim-llm), their events and PVCs, and the
nodes, from the current kube context or from `kubectl get pods,events,pvc,nodes -n NS -o json`
output, and reports each problem it recognises with its cause and its fix: GPU shortage (pool
maximum, quota, zone stockout, the autoscaler retrying a failed scale-up), GPU nodes joining or
installing their driver, a node not ready or going away (a Spot reclaim), a GPU the device plugin
marked unhealthy, untolerated taints, node selectors that match no pool, image pulls refused by
nvcr.io (401, 402 not entitled, 403) or by the Artifact Registry mirror (the nodes' reader role,
the repository, the mirror's upstream), a missing API key Secret or key, Pending PVCs, a zonal
disk in the wrong zone, the shared cache's Cloud Storage FUSE errors, model loads against the
startup-probe budget, probe failures, OOMKilled, CrashLoopBackOff, pods stopped by a (Spot) node
shutdown, an HPA that cannot read its metric (ScalingActive False; none yet while the model loads
is a wait) and a metrics API that is not available; behind the Gateway: a Gateway not accepted or
programmed (its address unusable, no proxy-only subnet, Compute Engine's refusal, GKE's GWCER
errors, no controller at all), a route not accepted, with unresolved backends or a field GKE does
not support, a policy not attached or missing, a health check of another port or path than the
pods serve, a version that takes traffic without a ready pod, and caches of removed versions. For
a snapshot with the Gateway's objects:
  kubectl get pods,events,pvc,nodes,hpa,apiservices,GATEWAY_KINDS -n NS -o json
with GATEWAY_KINDS = """
    + GATEWAY_GET
    + """

Exit codes: 0 healthy, 1 problems to fix, 2 the namespace could not be read,
3 nothing to fix but not ready yet (a node, its GPU driver or the model is still coming up;
each wait becomes a problem after its patience)."""
)


def _parse_now(text: str) -> datetime:
    parsed = parse_time(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time (2026-01-31T12:00:00Z)")
    return parsed


def read_snapshot(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    """The snapshot and namespace the :func:`add_snapshot_arguments` options name: the file of
    ``--from-file``, else the live namespace through the kube context."""
    if args.from_file:
        return load_file(Path(args.from_file)), args.namespace
    return read_live(args.namespace, args.release, args.context)


def run(args: argparse.Namespace) -> int:
    try:
        doc, namespace = read_snapshot(args)
        if args.save:
            Path(args.save).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        # Offline snapshots are judged as of their newest timestamp, live ones as of now.
        now = args.now or (None if args.from_file else datetime.now(UTC))
        report = diagnose(doc, namespace=namespace, release=args.release, now=now)
    except DoctorInputError as exc:
        print(f"doctor: cannot read the namespace: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(render_json(report) if args.json else render(report))
    return report.exit_code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_snapshot_arguments(parser)
    parser.add_argument(
        "--save", metavar="FILE", help="also write what was read as a v1 List JSON (to share)"
    )
    parser.add_argument(
        "--now",
        type=_parse_now,
        help="evaluate ages as of this ISO time (default: now; for --from-file the newest "
        "timestamp in the file)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def add_snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a namespace snapshot comes from: the options ``doctor`` and ``timeline`` share."""
    _cli.add_kube_arguments(parser, DEFAULT_NAMESPACE)
    parser.add_argument(
        "--release",
        help="Helm release name of one model version (<release>-<tag>, `pulumi stack output "
        "rollout`): only pods labelled app.kubernetes.io/instance=RELEASE",
    )
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="read `kubectl get pods,events,pvc,nodes,hpa,apiservices -n NS -o json` output "
        "instead of the cluster ('-' for stdin; hpa and apiservices may be left out)",
    )


COMMAND = _cli.Command(
    name="doctor",
    summary="diagnose a NIM that is not serving (scheduling, GPU, image pull, secrets, probes)",
    description=DESCRIPTION,
    examples=(
        "nimctl doctor --namespace nim --release llama3-8b-1-0-3",
        "kubectl get pods,events,pvc,nodes,hpa,apiservices -n nim -o json > nim.json",
        "nimctl doctor --from-file nim.json --json",
    ),
    arguments=add_arguments,
    run=run,
)
