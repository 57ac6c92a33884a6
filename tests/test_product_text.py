"""The program's own text (code comments, docstrings, messages, the stack files, CI) cites sources a
reader can follow, like the docs (``tests/test_docs.py``): no reference to our tracker's notes, and
every place in the docs it sends the reader to (``docs/<page>.md, "<heading>"``) exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_docs import _HEADING, _TRACKER, _prose

PRODUCT = [
    *(
        p
        for d in ("components", "nimgke", "nimctl", "policy", "scripts")
        for p in (ROOT / d).rglob("*.py")
    ),
    ROOT / "__main__.py",
    *ROOT.glob("Pulumi*.yaml"),
]
"""The program, the CLI, the policy pack and the scripts, and the stack files."""

AROUND = [
    *(ROOT / ".ci").iterdir(),
    *(ROOT / ".github" / "workflows").glob("*.yml"),
    *ROOT.glob("requirements*.txt"),
    *(ROOT / "policy").glob("*.yaml"),
    *(ROOT / "policy").glob("*.txt"),
    ROOT / "pyproject.toml",
]
"""What installs, checks and deploys it: CI, the requirements and the project files."""

TEST_FILES = sorted(
    p
    for p in (ROOT / "tests").rglob("*")
    if p.suffix in {".py", ".json", ".md", ".yaml", ".txt"} and p != Path(__file__)
)
"""The tests, their fixtures and the fixtures' generators (but this file, which spells what it
looks for)."""


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _found(
    files: list[Path], patterns: list[re.Pattern[str]], allowed: dict[str, set[str]]
) -> tuple[list[str], set[tuple[str, str]]]:
    """Lines of ``files`` any pattern matches, but those of ``allowed`` (file -> the lines,
    stripped, allowed there), and the allowed lines that were seen."""
    found, seen = [], set()
    for path in files:
        rel = _rel(path)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not any(p.search(line) for p in patterns):
                continue
            if line.strip() in allowed.get(rel, set()):
                seen.add((rel, line.strip()))
            else:
                found.append(f"{rel}:{number}: {line.strip()}")
    return found, seen


def _pairs(allowed: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(path, line) for path, lines in allowed.items() for line in lines}


# The tracker patterns themselves and the test that they work.
TRACKER_SPELLED = {
    "tests/test_docs.py": {
        '# Our tracker\'s references: "FACTS 12", "issue 11", "issues 12, 13", "#11" on its own.'
        " An",
        'for text in ("(FACTS 19)", "issue 11", "see #12", "(issue 13)")',
    },
}


def test_the_product_names_no_tracker_note() -> None:
    found, _ = _found(PRODUCT + AROUND, _TRACKER, {})
    assert len(PRODUCT) > 80
    assert not found, "\n".join(found)


def test_the_tests_name_no_tracker_note() -> None:
    """Tests cite the source they stand for, as the product does, and name the feature they are
    about, not our notes."""
    found, seen = _found(TEST_FILES, _TRACKER, TRACKER_SPELLED)
    assert len(TEST_FILES) > 150
    assert not found, "\n".join(found)
    assert seen == _pairs(TRACKER_SPELLED), "an allowed line is gone: drop it from the list"


# --- one command style ---------------------------------------------------------------------------

# `python -m nimctl`, `python3 -m nimctl`, `"$python" -m nimctl`, `.venv/bin/python -m nimctl`.
_MODULE_CALL = re.compile(r"python\S*\s+-m\s+nimctl\b")
# Where running nimctl as a module is deliberate: the plan diff runs each checkout's own nimctl
# from its directory (an installed `nimctl` is one checkout's), and the tests that say so.
MODULE_CALL_DELIBERATE = {
    ".ci/plan-diff": {
        'if (cd "$base" && "$python" -m nimctl plan "$stack" --json > "$json" 2>/dev/null); then',
        '(cd "$head" && "$python" -m nimctl plan "$stack" --diff "$json" 2>&1)',
        '(cd "$head" && "$python" -m nimctl plan "$stack" 2>&1) || status=1',
    },
    ".github/workflows/pull-request.yml": {
        "# `python -m nimctl` from its directory (an installed `nimctl` would be one checkout's).",
    },
    "tests/test_workflows.py": {
        "# stands in for `python -m nimctl plan STACK ...`: exits with $CODE_<STACK> for --diff",
    },
    "tests/nimctl/test_nimctl_install.py": {
        '"""From `tests/`, `python -m nimctl` imported the test folder `tests/nimctl` instead'
        " of the",
    },
    "tests/test_docs.py": {'if re.search(r"python3? -m nimctl", line)'},
}


def test_one_command_style_in_help_messages_and_code() -> None:
    """Help texts, messages and comments say `nimctl <command>` (the console script the set-up
    installs); `python -m nimctl` only where a checkout must run its own (the plan diff)."""
    assert _MODULE_CALL.search('(cd "$head" && "$python" -m nimctl plan dev)')
    assert _MODULE_CALL.search("run .venv/bin/python -m nimctl cost dev")
    assert not _MODULE_CALL.search("nimctl cost dev; python -m pytest")
    found, seen = _found(PRODUCT + AROUND + TEST_FILES, [_MODULE_CALL], MODULE_CALL_DELIBERATE)
    assert not found, "\n".join(found)
    assert seen == _pairs(MODULE_CALL_DELIBERATE), "a deliberate call is gone: drop it here"


# --- places in the docs named in text ----------------------------------------------------------

# `docs/<page>.md` or the README, then (after "'s", "," or ":") a heading in quotes. A page of
# another repository (`owner/repo@commit:docs/x.md`, `.../README.md`) is not ours: the character
# before it is part of its path.
_PAGE = re.compile(r"(?<![\w/.@:-])(README|docs/[\w-]+\.md)\b(?!\.md)('s\b)?")
_QUOTED = re.compile(r"[,:]?\s*(?:\"([^\"]{1,90}?)\"|'([^']{1,90}?)')")
# A module's own name for a page (`ROLLOUTS_DOC = "docs/rollouts.md"`), used in f-strings.
_PAGE_CONSTANT = re.compile(r"^(\w+)\s*=\s*\"(docs/[\w-]+\.md)\"", re.MULTILINE)


def _flat(text: str) -> str:
    """One line of running text: strings continued on the next line joined (Python's implicit
    concatenation), comment markers of continued comments dropped, whitespace collapsed."""
    for name, page in _PAGE_CONSTANT.findall(text):
        text = text.replace("{" + name + "}", page)
    text = re.sub(r"\"\s*\n\s*[rf]?\"(?!\")", "", text)
    text = re.sub(r"'\s*\n\s*[rf]?'(?!')", "", text)
    text = re.sub(r"\n\s*#+ ?", " ", text)
    return re.sub(r"\s+", " ", text)


def doc_references(text: str) -> Iterator[tuple[str, str | None]]:
    """``(page, heading)`` of each page of ours named in ``text`` (heading None when none is
    quoted)."""
    flat = _flat(text)
    for match in _PAGE.finditer(flat):
        quoted = _QUOTED.match(flat, match.end())
        heading = (quoted.group(1) or quoted.group(2)) if quoted else None
        if heading is not None and not re.match(r"[\w`]", heading):
            heading = None
        yield match.group(1), heading


def headings(page: Path) -> list[str]:
    return [m.group(2) for _, line in _prose(page) if (m := _HEADING.match(line))]


def names_heading(heading: str, quoted: str) -> bool:
    """A reference names a heading in full, or its part before the colon ("dev idle" for
    "dev idle: from $107.84 to ...")."""
    return quoted in (heading, heading.split(":", 1)[0])


def test_doc_references_are_read_as_written() -> None:
    python = (
        'fix = (\n    "build it (README, \'Preloading the image on a "\n'
        '    "secondary boot disk\')"\n)\n'
        '# weighted canaries (docs/rollouts.md, "The\n# endpoint"); see gcs-fuse-csi-driver@abc:'
        'docs/troubleshooting.md "X", gateway/README.md "Y"\n'
        'DOC = "docs/cost.md"\nmsg = f"({DOC}, \'Spot\')"\nend = "docs/ci.md", "next string"'
    )
    assert list(doc_references(python)) == [
        ("README", "Preloading the image on a secondary boot disk"),
        ("docs/rollouts.md", "The endpoint"),
        ("docs/cost.md", None),
        ("docs/cost.md", "Spot"),
        ("docs/ci.md", None),
    ]
    assert names_heading("dev idle: from $107.84 to $40.91 a month", "dev idle")
    assert not names_heading("Walk-through (prod): canary at 10 %", "Roll back")


@pytest.mark.parametrize("group", ["product", "around", "tests"])
def test_every_doc_page_and_heading_named_exists(group: str) -> None:
    """A later rename of a page or a heading breaks this test, not the reader."""
    files = {"product": PRODUCT, "around": AROUND, "tests": TEST_FILES}[group]
    named, wrong = 0, []
    for path in files:
        for page, heading in doc_references(path.read_text()):
            named += 1
            target = ROOT / ("README.md" if page == "README" else page)
            if not target.is_file():
                wrong.append(f"{_rel(path)}: {page} (no such page)")
            elif heading and not any(names_heading(h, heading) for h in headings(target)):
                wrong.append(f"{_rel(path)}: {page}, {heading!r} (no such heading)")
    assert named > 5
    assert not wrong, "\n".join(wrong)
