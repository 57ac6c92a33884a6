"""``nimctl wake``: wake a sleeping model version now, through its HPA.

Sets the version's wake signal to "awake" for a while (``--for``, default 2 h) and has the stack's
wake-signal CronJob write it at once; the version's HPA, which reads that signal as an External
metric, scales it from zero. It never scales the workload itself: the HPA would undo it, and it
does not wake a workload set to zero by hand (:mod:`nimctl._signal` says why and how).

Exit code 0 when the signal is set, 2 when it could not be (no wake signal in the namespace, an
unknown release, no access to the cluster).
"""

from __future__ import annotations

import argparse

from nimctl import _signal
from nimgke.wake_signal import AWAKE

DEFAULT_FOR = "2h"
DESCRIPTION = """\
Wake a sleeping model version now, through its HPA.

Writes "awake until <now + --for>" for the version (every version by default) into the
ConfigMap nim-wake-overrides and starts a run of the stack's wake-signal CronJob, so the gauge
its HPA reads says 1 at once. The HPA then scales the version from zero (it reads the gauge
within a minute or two); a GPU node and the model take about 6-7 minutes more (both ESTIMATES,
docs/autoscaling.md): follow it with `nimctl timeline`. Once the override ends, the wake
schedule (if any) decides again, and the version sleeps after its idle window without requests.

Exit codes: 0 the signal is set, 2 it could not be (no wake signal here, an unknown release, no
access)."""


def run(args: argparse.Namespace) -> int:
    return _signal.run(args, AWAKE)


COMMAND = _signal.command(
    "wake",
    run,
    default=DEFAULT_FOR,
    summary="wake a sleeping model version now (sets its wake signal; the HPA scales it up)",
    description=DESCRIPTION,
    examples=("-n nim", "-n nim --release llama3-8b-1-0-3 --for 4h"),
)
