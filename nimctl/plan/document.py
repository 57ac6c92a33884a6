"""The plan document (``--json``): every resource the program registers, with its inputs."""

from __future__ import annotations

import logging
from typing import Any

from nimctl import mock_engine
from nimctl.plan.paths import SECRET

FORMAT = "nimctl-plan/v1"
STACK_TYPE = "pulumi:pulumi:Stack"


class PlanError(Exception):
    """The plan could not be made or shown as asked; ``str()`` says why."""


def mask(value: Any) -> Any:
    """``value`` with every secret as ``[secret]`` and whole numbers as integers."""
    if mock_engine.is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A URN is urn:pulumi:<stack>::<project>::<qualified type>::<name>, the qualified type being the
# parent's type chain joined by "$" and the name everything after the third "::" (pulumi/pulumi@
# 6ad367262d221fe2c1f95237003ea4f0d8db7fd1: sdk/go/common/resource/urn/urn.go, `URN`, `Name`).
def key_of(urn: str) -> str:
    """The URN without its stack and project: ``<qualified type>::<name>``. It names the same
    resource in the plans of two stack files (``Pulumi.dev.yaml``, ``Pulumi.prod.yaml``); within
    one stack it is as unique as the URN (Pulumi's ``URN.RenameStack`` rewrites only the stack).
    The root stack type is not part of a qualified type (``urn.New`` leaves it out); the mocks'
    URNs of top-level components carry it, so it is dropped here."""
    return urn.split("::", 2)[2].removeprefix(f"{STACK_TYPE}$")


def key_type(key: str) -> str:
    """The resource's own type: the last element of the qualified type."""
    return key.split("::", 1)[0].rsplit("$", maxsplit=1)[-1]


def key_name(key: str) -> str:
    return key.split("::", 1)[1]


def type_of(urn: str) -> str:
    return key_type(key_of(urn))


def _provider_urn(ref: str | None) -> str | None:
    """A provider reference is ``<urn>::<id>``."""
    return ref.rsplit("::", 1)[0] if ref else None


def document(
    done: mock_engine.ProgramRun, *, stack: str, stack_file: str, placeholders: list[str]
) -> dict[str, Any]:
    regs = done.mocks.registrations
    # A read resource (the StackReference) comes without the flag: reads are custom resources.
    custom = {r.urn: r.args.custom is not False for r in regs}
    parents = {r.urn: r.parent for r in regs}

    def parent_of(urn: str) -> str | None:
        parent = parents.get(urn) or None
        return None if parent is None or type_of(parent) == STACK_TYPE else parent

    def component_of(urn: str) -> str | None:
        up = parent_of(urn)
        while up is not None and custom.get(up, False):
            up = parent_of(up)
        return up

    resources = [
        {
            "urn": r.urn,
            "type": r.args.typ,
            "name": r.args.name,
            "parent": parent_of(r.urn),
            "component": component_of(r.urn),
            "custom": custom[r.urn],
            "provider": _provider_urn(r.args.provider),
            "inputs": mask(r.args.inputs),
        }
        for r in regs
    ]
    outputs = {k: SECRET if k in done.secret_outputs else mask(v) for k, v in done.outputs.items()}
    return {
        "format": FORMAT,
        "stack": stack,
        "project": mock_engine.PROJECT,
        "stackFile": stack_file,
        "placeholders": placeholders,
        "warnings": [r.getMessage() for r in done.log if r.levelno == logging.WARNING],
        "resources": _in_tree_order(resources),
        "outputs": dict(sorted(outputs.items())),
    }


def _in_tree_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each component followed by its children, depth first; siblings by type, then name.
    (Registration order varies from run to run: the SDK registers from worker threads.)"""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for r in resources:
        children.setdefault(r["parent"], []).append(r)
    for siblings in children.values():
        # Components first, then the resources, so each group reads top down.
        siblings.sort(key=lambda r: (r["custom"], r["type"], r["name"]))
    ordered: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for r in children.get(parent, []):
            ordered.append(r)
            walk(r["urn"])

    walk(None)
    return ordered
