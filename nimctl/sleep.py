"""``nimctl sleep``: let a model version sleep, through its HPA.

Sets the version's wake signal to "asleep" for a while (``--for``, default 12 h), overriding its
wake schedule, and has the stack's wake-signal CronJob write it at once; the version's HPA scales
it to zero once nothing has asked for it for its idle window. It never scales the workload
itself: a workload set to zero by hand is one the HPA no longer wakes (:mod:`nimctl._signal`).

Exit code 0 when the signal is set, 2 when it could not be.
"""

from __future__ import annotations

import argparse

from nimctl import _signal
from nimgke.wake_signal import ASLEEP

DEFAULT_FOR = "12h"
DESCRIPTION = """\
Let a model version sleep, through its HPA.

Writes "asleep until <now + --for>" for the version (every version by default) into the
ConfigMap nim-wake-overrides and starts a run of the stack's wake-signal CronJob, so the gauge
its HPA reads says 0 at once, whatever the wake schedule says. The HPA scales the version to zero
once nothing has asked for it for its idle window (monitoring.hpa.idleMinutes): requests in
flight, and requests through the Gateway, still keep it awake or wake it. GKE removes the empty
GPU node about 10 minutes later.

Exit codes: 0 the signal is set, 2 it could not be (no wake signal here, an unknown release, no
access)."""


def run(args: argparse.Namespace) -> int:
    return _signal.run(args, ASLEEP)


COMMAND = _signal.command(
    "sleep",
    run,
    default=DEFAULT_FOR,
    summary="let a model version sleep (sets its wake signal; the HPA scales it to zero)",
    description=DESCRIPTION,
    examples=("-n nim", "-n nim --release llama3-8b-1-0-3 --for 3d"),
)
