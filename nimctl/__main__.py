"""Entry point: ``python -m nimctl <command> ...``.

Each command lives in its own module ``nimctl/<command>.py`` exposing
``register(subparsers) -> argparse.ArgumentParser`` (which sets ``func`` via
``set_defaults``) so commands stay independent of each other.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("plan", "cost", "smoke", "bench", "doctor", "timeline", "wake", "sleep")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nimctl",
        description="Day-2 tooling for NVIDIA NIM on GKE deployed by nim-gke.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"nimctl.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
