"""Argument-parsing helpers shared by the nimctl commands.

Each command module declares itself once as a :class:`Command` (its name, help, examples, the
arguments it adds and the function it runs) and takes ``register`` (what ``nimctl`` calls),
``build_parser`` (``nimctl`` with only that command, for tests) and ``main`` from it."""

from __future__ import annotations

import argparse
import asyncio
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Register = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]"], argparse.ArgumentParser
]

STACK_HELP = (
    "a stack name (dev -> Pulumi.dev.yaml in the current directory, else the repo root) or the "
    "path of a stack file"
)


@dataclass(frozen=True, kw_only=True)
class Command:
    """One ``nimctl`` command, declared once."""

    name: str
    summary: str
    """One line, in ``nimctl --help``'s list of commands."""
    description: str
    """``nimctl NAME --help``'s text, printed as written."""
    examples: Sequence[str]
    """Command lines printed under "Examples:" (``nimctl ...``, and the ``kubectl`` lines that go
    with them)."""
    arguments: Callable[[argparse.ArgumentParser], object]
    """Adds the command's arguments to its parser."""
    run: Callable[[argparse.Namespace], int]
    notes: str = ""
    """More text after the examples (presets, where to read further)."""

    def register(
        self, sub: argparse._SubParsersAction[argparse.ArgumentParser]
    ) -> argparse.ArgumentParser:
        epilog = "Examples:\n" + "\n".join(f"  {line}" for line in self.examples)
        parser = sub.add_parser(
            self.name,
            help=self.summary,
            description=self.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"{epilog}\n\n{self.notes}" if self.notes else epilog,
        )
        self.arguments(parser)
        parser.set_defaults(func=self.run)
        return parser

    def build_parser(self) -> argparse.ArgumentParser:
        """``nimctl`` with only this command, so the command is testable on its own."""
        return standalone_parser(self.register)

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self.build_parser().parse_args(argv)
        return int(args.func(args))


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    """``STACK``: the stack file a command reads (``plan``, ``cost``)."""
    parser.add_argument("stack", metavar="STACK", help=STACK_HELP)


def add_kube_arguments(parser: argparse.ArgumentParser, default_namespace: str) -> None:
    """``--namespace``/``-n`` and ``--context``: where a command that talks to the cluster looks
    (``doctor``, ``timeline``, ``wake``, ``sleep``; ``nimctl.doctor.live.connect`` resolves
    them)."""
    parser.add_argument(
        "--namespace",
        "-n",
        help="namespace of the NIM (default: the kube context's namespace, else "
        f"{default_namespace})",
    )
    parser.add_argument("--context", help="kube context to use (default: the current one)")


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
