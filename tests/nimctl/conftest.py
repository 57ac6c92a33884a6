"""Shared helpers for the nimctl tests (the fake server lives in fake_openai.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.nimctl.plan_stacks import green_walk_through, walk_through


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Parse ``argv`` with a command module's own parser, run it: (exit code, stdout, stderr)."""

    def run(module: object, *argv: str) -> tuple[int, str, str]:
        args = module.COMMAND.build_parser().parse_args(list(argv))  # type: ignore[attr-defined]
        code = args.func(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The stack file and plan of each step of docs/rollouts.md's walk-through (prod)."""
    return walk_through(tmp_path_factory.mktemp("walk"))


@pytest.fixture(scope="session")
def green(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The same for its blue/green walk-through onto greenPool."""
    return green_walk_through(tmp_path_factory.mktemp("green"))
