"""The nimctl commands share one declaration (``nimctl/_cli.py``: ``Command``): each module's
``COMMAND`` gives ``register``, ``build_parser`` and ``main``, and the arguments several commands
take (``STACK``; ``--namespace`` and ``--context``) are declared once, with one help text."""

from __future__ import annotations

import argparse
import importlib

import pytest

from nimctl import _cli
from nimctl.__main__ import COMMANDS, build_parser


def _action(parser: argparse.ArgumentParser, command: str, dest: str) -> argparse.Action:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return next(a for a in sub.choices[command]._actions if a.dest == dest)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_is_declared_once(name: str) -> None:
    module = importlib.import_module(f"nimctl.{name}")
    command = module.COMMAND
    assert isinstance(command, _cli.Command) and command.name == name
    assert not {"register", "build_parser", "main"} & set(vars(module))  # no second name for it
    parser = command.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == [name]
    epilog = sub.choices[name].epilog or ""
    assert epilog.startswith("Examples:\n  ")
    assert all(line in epilog for line in command.examples)


def test_the_stack_argument_is_one() -> None:
    parser = build_parser()
    for command in ("plan", "cost"):
        stack = _action(parser, command, "stack")
        assert (stack.metavar, stack.help) == ("STACK", _cli.STACK_HELP)


@pytest.mark.parametrize("command", ["doctor", "timeline", "wake", "sleep"])
def test_the_kube_arguments_are_one(command: str) -> None:
    """The namespace defaults to the context's, else nim: ``nimctl.doctor.live.connect``."""
    parser = build_parser()
    namespace = _action(parser, command, "namespace")
    assert namespace.option_strings == ["--namespace", "-n"]
    assert (
        namespace.help == "namespace of the NIM (default: the kube context's namespace, else nim)"
    )
    context = _action(parser, command, "context")
    assert context.help == "kube context to use (default: the current one)"


def test_main_runs_the_parsed_command(capsys: pytest.CaptureFixture[str]) -> None:
    calls = []
    command = _cli.Command(
        name="probe",
        summary="s",
        description="d",
        examples=("nimctl probe x",),
        arguments=lambda p: p.add_argument("what"),
        run=lambda args: calls.append(args.what) or 7,
    )
    assert command.main(["probe", "x"]) == 7
    assert calls == ["x"]
    with pytest.raises(SystemExit):
        command.main(["probe", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: nimctl probe [-h] what")
    assert "Examples:\n  nimctl probe x\n" in out
