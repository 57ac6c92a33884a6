"""Argument-parsing helpers shared by the nimctl commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]"], argparse.ArgumentParser
]


def _positive(cast: Callable[[str], float], noun: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


positive_int = _positive(int, "an integer")
"""argparse ``type=`` for an integer > 0."""
positive_float = _positive(float, "a number")
"""argparse ``type=`` for a number > 0."""


def standalone_parser(register: Register) -> argparse.ArgumentParser:
    """A ``nimctl`` parser holding one command, so a command is testable on its own."""
    parser = argparse.ArgumentParser(prog="nimctl")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    return parser
