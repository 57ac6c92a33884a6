"""Shared Pulumi mocks: every test gets a fresh engine that records every registration.

The recording mock cloud lives in ``nimctl/mock_engine.py`` (``nimctl plan`` runs the program on
it too); its names are re-exported here. Inputs are recorded as the engine sees them (wire names,
camelCase), with secret values still wrapped, so tests can assert both exact inputs and secretness.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from nimctl import mock_engine
from nimctl.mock_engine import (  # noqa: F401 - re-exported for the tests
    DNS_ENDPOINT_ID,
    PROJECT_NUMBER,
    ROOT,
    SECRET_MANAGER_KEY,
    ProgramRun,
    RecordingMocks,
    RecordingMonitor,
    asyncio_future,
    engine_config,
    is_secret,
    plain_strings,
    unwrap,
)
from nimgke.config import read_stack_file

SHARED_REFERENCE = ROOT.parent / "shared" / "reference"
FAKE_NGC_KEY = "nvapi-TEST-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def mocks() -> RecordingMocks:
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, project="nim-gke", stack="test", preview=False, monitor=m.monitor)
    pulumi.runtime.set_all_config({}, [])
    return m


# --- whole-program runs -----------------------------------------------------------------------


def stack_config(stack: str, **overrides: Any) -> dict[str, str]:
    """A stack file's config as the engine passes it: structured values as JSON strings."""
    raw = read_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    raw.update(overrides)
    return engine_config(raw)


LAST_RUN: ProgramRun | None = None


def _remember(run: ProgramRun) -> None:
    global LAST_RUN  # noqa: PLW0603 - lets a test inspect a run that raised
    LAST_RUN = run


def run_program(
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    previous_outputs: dict[str, Any] | None = None,
) -> ProgramRun:
    """Run ``__main__.py`` under fresh mocks for ``stack`` and collect its resolved exports
    (``previous_outputs``: those of the stack's last deployment, read back by the program)."""
    return mock_engine.run_program(
        stack, config, secret_keys, on_start=_remember, previous_outputs=previous_outputs
    )


def resolve(build: Any) -> Any:
    """Run ``build()`` under the current mocks, wait for every registration, and return what it
    returned with all Outputs resolved (so tests assert after the engine is quiet)."""
    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def _run() -> pulumi.Output:
        return pulumi.Output.from_input(build()).apply(lambda v: box.setdefault("value", v))

    _run()
    return box.get("value")


def urn_suffix(urn: str) -> str:
    """``parentType$childType::name`` part of a URN, to assert parentage."""
    return urn.split("::", 2)[2]
