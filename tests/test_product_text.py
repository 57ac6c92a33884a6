"""The program's own text (code comments, docstrings, messages, the stack files) cites sources a
reader can follow, like the docs (``tests/test_docs.py``): no reference to our tracker's notes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT
from tests.test_docs import _TRACKER

PRODUCT = [
    *(
        p
        for d in ("components", "nimgke", "nimctl", "policy", "scripts")
        for p in (ROOT / d).rglob("*.py")
    ),
    ROOT / "__main__.py",
    *ROOT.glob("Pulumi*.yaml"),
]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_product_names_no_tracker_note() -> None:
    found = [
        f"{_rel(path)}:{number}: {line.strip()}"
        for path in PRODUCT
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(p.search(line) for p in _TRACKER)
    ]
    assert len(PRODUCT) > 80
    assert not found, "\n".join(found)
