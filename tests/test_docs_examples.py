"""What the docs quote is what the code prints: the error messages of docs/validation.md are the
messages ``nimgke.config.parse`` gives, and the outputs of docs/cost.md are what ``nimctl cost``
prints. A changed message or price breaks this test, not the reader's trust in the page."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimctl.__main__ import main as nimctl_main
from nimgke.config import ConfigError, parse
from tests.conftest import ROOT
from tests.test_config_validation import (
    DELETE,
    MEANING_CASES,
    SHAPE_CASES,
    raw_stack,
    set_path,
)
from tests.test_docs import _FENCE

VALIDATION = ROOT / "docs" / "validation.md"
COST = ROOT / "docs" / "cost.md"
NGC_KEY = "nim-gke:ngcApiKey"


def _blocks(path: Path) -> Iterator[tuple[str, list[str]]]:
    """``(info string, lines)`` of each fenced code block of a page."""
    info, lines = None, []
    for line in path.read_text().splitlines():
        if _FENCE.match(line):
            if info is None:
                info, lines = line.strip().lstrip("`~"), []
            else:
                yield info, lines
                info = None
        elif info is not None:
            lines.append(line)


def _abridged(text: str) -> re.Pattern[str]:
    """A quoted message whose ``…`` (or ``...``) stands for what the page left out."""
    return re.compile(".*?".join(re.escape(part) for part in re.split(r"…|\.\.\.", text)) + r"\Z")


# --- docs/validation.md ------------------------------------------------------------------------

EDITS = [
    # Each: the stack, its edits (path, value), and whether the NGC key is set and secret.
    # Situations the one-setting cases of tests/test_config_validation.py do not make:
    ("dev", [], (False, False)),
    ("dev", [], (True, False)),
    (
        "dev",
        [
            ("nim-gke:region", "us-east1"),
            ("nim-gke:cluster.zones", ["us-east1-b", "us-east1-c"]),
            ("nim-gke:gpuPool.machineType", "a2-ultragpu-1g"),
            ("nim-gke:gpuPool.gpuType", "nvidia-a100-80gb"),
            ("nim-gke:nim.sharedCache", {"enabled": True}),
        ],
        (True, True),
    ),
    ("dev", [("nim-gke:nim.models[0]", {"name": "acme/mystery-7b", "tag": "1"})], (True, True)),
    (
        "dev",
        [
            ("nim-gke:registry.mirror", False),
            ("nim-gke:gpuPool.imageStreaming", False),
            (
                "nim-gke:greenPool",
                {"machineType": "g2-standard-8", "maxNodes": 1, "driverVersion": "LATEST"},
            ),
        ],
        (True, True),
    ),
    (
        "dev",
        [
            ("nim-gke:gpuPool.imageStreaming", False),
            ("nim-gke:gpuPool.imageCacheDisk", {"diskImage": "global/images/nim"}),
        ],
        (True, True),
    ),
    (
        "dev",
        [
            ("nim-gke:nim.sharedCache", {"enabled": True}),
            ("nim-gke:nim.models[0].memory", "12.3Gi"),
        ],
        (True, True),
    ),
    (
        "dev",
        [
            ("nim-gke:cluster.minMasterVersion", "1.36.4-gke.1247000"),
            ("nim-gke:monitoring.hpa.managedAdapterPreview", True),
        ],
        (True, True),
    ),
    (
        "dev",
        [
            ("nim-gke:monitoring.hpa", {"enabled": False}),
            ("nim-gke:nim.models[0].canary", {"tag": "1.1.2", "weight": 0, "replicas": 2}),
        ],
        (True, True),
    ),
]


def _raw(stack: str, edits: list[tuple[str, Any]]) -> dict[str, Any]:
    raw = raw_stack(stack)
    for path, value in edits:
        raw = set_path(raw, path, value)
    return raw


def _problems(stack: str, edits: list[tuple[str, Any]], ngc_key: tuple[bool, bool]) -> list[str]:
    try:
        parse(stack, _raw(stack, edits), ngc_key)
    except ConfigError as err:
        return [str(p) for p in err.problems]
    return []


def _warnings(stack: str, edits: list[tuple[str, Any]]) -> list[str]:
    return list(parse(stack, _raw(stack, edits), (True, True)).warnings)


def real_messages() -> set[str]:
    """Every message of the validation cases and of the situations above."""
    found: set[str] = set()
    for _, stack, path, value, *_ in SHAPE_CASES + MEANING_CASES:
        found.update(_problems(stack, [(path, value)], (True, True)))
    for stack, edits, ngc_key in EDITS:
        found.update(_problems(stack, edits, ngc_key))
    return found


_ROW = re.compile(r"^\| .* \| `(?P<message>[^`]*(?:`[^`|]*`[^`]*)*)` \|$")


def table_messages() -> list[str]:
    """The example error of each row of the rules tables (the last cell, in one code span)."""
    return [
        m.group("message")
        for line in VALIDATION.read_text().splitlines()
        if (m := _ROW.match(line))
    ]


def test_every_example_error_is_a_real_message() -> None:
    quoted = table_messages()
    assert len(quoted) > 100
    real = real_messages()
    wrong = [q for q in quoted if not any(_abridged(q).match(r) for r in real)]
    assert not wrong, "docs/validation.md quotes messages the code does not give:\n" + "\n".join(
        wrong
    )


def _value(shown: str) -> Any:
    """A value as a message shows it (``'text'``, ``2``, ``["a"]``, ``(not set)``)."""
    if shown == "(not set)":
        return DELETE
    return ast.literal_eval(shown) if shown.startswith("'") else json.loads(shown)


@pytest.mark.parametrize("block", [0, 1], ids=["shape", "meaning"])
def test_several_mistakes_at_once_are_reported_as_shown(block: int) -> None:
    """Each example of "Several mistakes at once", made from the values its lines show on dev,
    prints exactly as the page shows it."""
    lines = _examples()[block]
    edits, ngc_key = [], (True, True)
    for line in lines[1:]:
        key, _, rest = line.removeprefix("  - ").partition(" = ")
        shown = rest.split(": ", 1)[0]
        if key == NGC_KEY:
            ngc_key = (False, False)
        else:
            edits.append((key, _value(shown)))
    with pytest.raises(ConfigError) as err:
        parse("dev", _raw("dev", edits), ngc_key)
    assert str(err.value).splitlines() == lines


def _examples() -> list[list[str]]:
    examples = [lines for _, lines in _blocks(VALIDATION) if lines[0].startswith("stack 'dev': ")]
    assert len(examples) == 2
    return examples


def test_the_warning_rows_are_real_warnings() -> None:
    (row,) = [
        ln
        for ln in VALIDATION.read_text().splitlines()
        if ln.startswith("| `security.dnsEndpoint`")
    ]
    (quoted,) = re.findall(r"`(nim-gke:security\.dnsEndpoint = [^`]*)`", row)
    real = _warnings("prod", [("nim-gke:security.dnsEndpoint", False)])
    assert any(_abridged(quoted).match(w) for w in real), real


def test_an_abridged_quote_matches_only_its_message() -> None:
    assert _abridged("use one of: g2-standard-4, … (did you mean 'x'?)").match(
        "use one of: g2-standard-4, g2-standard-8 (did you mean 'x'?)"
    )
    assert not _abridged("use one of: g2-standard-4, … (did you mean 'x'?)").match(
        "use one of: g2-standard-4, g2-standard-8 (did you mean 'y'?)"
    )
    assert not _abridged("is required").match("is required. Fix: more")


# --- docs/cost.md ------------------------------------------------------------------------------


def _cost_outputs() -> list[tuple[list[str], list[str]]]:
    return [
        (lines[0].removeprefix("$ nimctl ").split(), lines[1:])
        for info, lines in _blocks(COST)
        if lines and lines[0].startswith("$ nimctl cost ")
    ]


def test_the_cost_outputs_are_what_nimctl_cost_prints(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = _cost_outputs()
    assert [argv for argv, _ in outputs] == [["cost", "dev"], ["cost", "prod"]]
    for argv, shown in outputs:
        assert nimctl_main(argv) == 0
        assert capsys.readouterr().out.splitlines() == shown, f"docs/cost.md: nimctl {argv}"


def _within(shown: Any, real: Any, where: str = "") -> list[str]:
    """Where ``shown`` (an abridged copy: fewer keys, fewer list items, ``"..."``) differs from
    ``real``. A list item shown must be one of the real list's items."""
    if isinstance(shown, dict) and isinstance(real, dict):
        return [
            problem
            for key, value in shown.items()
            for problem in (
                _within(value, real[key], f"{where}.{key}") if key in real else [f"{where}.{key}"]
            )
        ]
    if isinstance(shown, list) and isinstance(real, list):
        return [
            f"{where}[{i}]"
            for i, item in enumerate(shown)
            if item != "..." and all(_within(item, r, where) for r in real)
        ]
    return [] if shown == real else [f"{where}: {shown!r} != {real!r}"]


def test_the_json_sample_is_part_of_nimctl_cost_json(capsys: pytest.CaptureFixture[str]) -> None:
    (sample,) = [json.loads("\n".join(lines)) for info, lines in _blocks(COST) if info == "json"]
    assert nimctl_main(["cost", "prod", "--json"]) == 0
    real = json.loads(capsys.readouterr().out)
    assert len(sample) > 15 and sample["lines"] and sample["alternatives"]
    assert not _within(sample, real), _within(sample, real)
    assert _within({"idleMonthly": 1.0}, real) and _within({"lines": [{"item": "x"}]}, real)
