"""Shared helpers for the nimctl tests (the fake server lives in fake_openai.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest


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
        args = module.build_parser().parse_args(list(argv))  # type: ignore[attr-defined]
        code = args.func(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run
