"""Argument-parsing helpers shared by the nimctl commands."""

from __future__ import annotations

import argparse
import asyncio
import gc
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


def close_event_loops() -> None:
    """Close every asyncio loop still open. ``nimctl`` runs this at exit (``atexit``, before the
    interpreter tears itself down).

    ``nimctl plan`` runs the program under the Pulumi SDK's mocks, whose monitor sets an event loop
    on each thread of the default executor and closes none (pulumi 3.272.0,
    ``pulumi/runtime/mocks.py``: ``MockMonitor.RegisterResource`` and ``Invoke`` call
    ``_ensure_event_loop()``). A loop nobody closed is closed by its ``__del__`` when the collector
    frees it; if its self-pipe socket is finalised first, the process prints "Exception ignored
    in: <function BaseEventLoop.__del__ ...> ValueError: Invalid file descriptor: -1" (about once
    in 100 runs here). Closed here, none is left to that order."""
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.AbstractEventLoop) and not obj.is_closed():
            if not obj.is_running():
                obj.close()
