"""The stack program under Pulumi's mocks, with the config of one stack file."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimctl import mock_engine
from nimctl.plan.document import document
from nimgke import config

PLACEHOLDER_KEY = "nvapi-PLACEHOLDER-nimctl-plan-not-a-real-key"
"""Stands in for an NGC key the stack file does not hold; marked secret, so it never prints."""
PLACEHOLDER_SECRET = "PLACEHOLDER-nimctl-plan-secret"
"""Stands in for any other encrypted (``secure:``) value of the stack file."""


@dataclass(frozen=True)
class StackInput:
    """What the engine is given for one stack file, as ``pulumi preview`` would give it."""

    stack: str
    path: Path
    config: dict[str, str]
    secret_keys: list[str]
    placeholders: list[str]


def stack_input(path: Path) -> StackInput:
    """The stack file's config with encrypted values (``secure:``) and a missing NGC key
    replaced by placeholder secrets. A plain-text key stays plain: the program refuses it."""
    raw = config.read_stack_file(path)
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    secret_keys: list[str] = []
    placeholders: list[str] = []
    for key, value in list(raw.items()):
        if isinstance(value, dict) and set(value) == {"secure"}:
            raw[key] = PLACEHOLDER_KEY if key == config.NGC_KEY else PLACEHOLDER_SECRET
            secret_keys.append(key)
            placeholders.append(key)
    security = raw.get(f"{config.NAMESPACE}:security")
    source = security.get("ngcKeySource") if isinstance(security, dict) else None
    if config.NGC_KEY not in raw and source != "secretManager":
        raw[config.NGC_KEY] = PLACEHOLDER_KEY
        secret_keys.append(config.NGC_KEY)
        placeholders.append(config.NGC_KEY)
    return StackInput(
        stack=stack,
        path=path,
        config=mock_engine.engine_config(raw),
        secret_keys=secret_keys,
        placeholders=sorted(placeholders),
    )


def _engine_logger() -> logging.Logger:
    log = logging.getLogger("nimctl.plan.engine")
    log.propagate = False  # what it logs is shown as diagnostics, not by the logging module
    log.setLevel(logging.INFO)
    return log


def run(inp: StackInput, previous: dict[str, Any] | None = None) -> mock_engine.ProgramRun:
    """Run the program for ``inp``; a config mistake raises the program's ``ConfigError``.
    ``previous``: the plan of the stack's last deployment, whose outputs the program reads back
    (``components/pool_changes.py``) as ``pulumi preview`` would; none: never deployed."""
    return mock_engine.run_program(
        inp.stack,
        inp.config,
        inp.secret_keys,
        logger=_engine_logger(),
        previous_outputs=previous["outputs"] if previous else None,
    )


def plan(inp: StackInput, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plan document (the ``--json`` shape) of one stack (after ``previous``, see
    :func:`run`)."""
    return from_run(inp, run(inp, previous))


def from_run(inp: StackInput, done: mock_engine.ProgramRun) -> dict[str, Any]:
    """The plan document of a run of ``inp``."""
    return document(done, stack=inp.stack, stack_file=inp.path.name, placeholders=inp.placeholders)


def secret_values(inp: StackInput) -> set[str]:
    """Plain texts that must never print: secret config values and the Secret Manager stand-in."""
    values = {inp.config[k] for k in inp.secret_keys}
    return {v for v in values | {mock_engine.SECRET_MANAGER_KEY, PLACEHOLDER_KEY} if v}
