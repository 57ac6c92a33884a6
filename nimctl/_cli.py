"""Argument-parsing helpers shared by the nimctl commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]"], argparse.ArgumentParser
]


def positive_int(text: str) -> int:
    """argparse ``type=`` for an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type=`` for a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def standalone_parser(register: Register) -> argparse.ArgumentParser:
    """A ``nimctl`` parser holding one command, so a command is testable on its own."""
    parser = argparse.ArgumentParser(prog="nimctl")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser
