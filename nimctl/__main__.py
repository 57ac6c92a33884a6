"""Entry point: the ``nimctl`` command (``[project.scripts]`` in pyproject.toml), used as
``nimctl <command> ...``. It runs as a module too: ``.ci/plan-diff`` runs each checkout's own
nimctl that way.

Each command lives in its own module ``nimctl/<command>.py`` (or package), declared once as its
``COMMAND``, a ``nimctl._cli.Command`` whose ``register(subparsers)`` this calls (it sets
``func``), so commands stay independent of each other.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from nimctl._cli import close_event_loops

COMMANDS = ("plan", "cost", "smoke", "bench", "doctor", "timeline", "wake", "sleep")

CUT_BY_PIPE = 128 + signal.SIGPIPE
"""The status when the reader of our output went away (``nimctl plan prod | head``): what a shell
reports for a command ended by SIGPIPE, "128+N" for signal N (bash manual, Exit Status:
https://www.gnu.org/software/bash/manual/html_node/Exit-Status.html), so ``set -o pipefail``
sees nimctl like ``cat`` or ``grep``."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nimctl",
        description="Day-2 tooling for NVIDIA NIM on GKE deployed by nim-gke.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"nimctl.{name}").COMMAND.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    atexit.unregister(close_event_loops)  # once, however often main() runs in one process
    atexit.register(close_event_loops)
    try:
        status = int(args.func(args) or 0)
        # Flush here, inside the try: a pipe closed by its reader otherwise fails at exit.
        sys.stdout.flush()
    except BrokenPipeError:
        # Python ignores SIGPIPE and raises this instead. As the Python docs advise ("Note on
        # SIGPIPE", https://docs.python.org/3/library/signal.html#note-on-sigpipe): point stdout at
        # devnull so the flush at shutdown does not fail again, and exit without a traceback.
        # (Not SIGPIPE's default action, which those docs warn against: smoke, bench and doctor
        # write to sockets.)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return CUT_BY_PIPE
    return status


if __name__ == "__main__":
    sys.exit(main())
