"""The README and docs/ hold together: a short front door, links and anchors that resolve, no
references a reader cannot follow, commands that exist, a configuration table that matches the
settings the code reads, and cost figures that are what ``nimctl cost`` prints.

Anchors follow GitHub's rules for heading ids (github/cmark-gfm ``extensions/autolink``-style
slugs as rendered on github.com): lower case, every character that is not a letter, digit,
space, ``-`` or ``_`` dropped, spaces turned into ``-``, and ``-1``, ``-2``, ... appended to
repeated ids.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from nimctl.__main__ import COMMANDS, build_parser
from nimctl.__main__ import main as nimctl_main
from nimgke.config.settings import StackSettings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_MAX_LINES = 300

_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE_CODE = re.compile(r"`([^`]+)`")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _prose(path: Path) -> Iterator[tuple[int, str]]:
    """The lines of a page outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def _code_blocks(path: Path) -> Iterator[tuple[int, str]]:
    """The lines of a page inside fenced code blocks, numbered from 1; a line continued with a
    backslash is joined to the next."""
    fenced, held, start = False, "", 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            continue
        if not held:
            start = number
        if line.endswith("\\"):
            held += line[:-1] + " "
            continue
        yield start, held + line
        held = ""


def slug(heading: str) -> str:
    """GitHub's id for a heading's text (markdown of the heading as written)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose(path):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_slug_follows_github() -> None:
    assert slug("dev idle: from $107.84 to $40.91 a month (with monitoring $45.27)") == (
        "dev-idle-from-10784-to-4091-a-month-with-monitoring-4527"
    )
    assert slug("When `pulumi up` returns") == "when-pulumi-up-returns"
    assert slug("Blue/green onto other machines: greenPool") == (
        "bluegreen-onto-other-machines-greenpool"
    )
    assert slug("Read, not yet handled by the code") == "read-not-yet-handled-by-the-code"


def test_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"
    headings = [m.group(2) for _, ln in _prose(README) if (m := _HEADING.match(ln))]
    # what it is, the picture, then set-up and the plan, before deploying and the rest
    assert headings[:4] == ["nim-gke", "The picture", "Set up", "See the plan without a cloud"]


def _links() -> Iterator[tuple[Path, int, str]]:
    for page in PAGES:
        for number, line in _prose(page):
            for target in _LINK.findall(_INLINE_CODE.sub("", line)):
                yield page, number, target


def test_every_relative_link_and_anchor_resolves() -> None:
    broken = []
    checked = 0
    for page, number, target in _links():
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        checked += 1
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        where = f"{_rel(page)}:{number}: {target}"
        if not dest.is_file():
            broken.append(f"{where} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{where} (no heading #{anchor} in {_rel(dest)})")
    assert checked > 50
    assert not broken, "\n".join(broken)


# Our tracker's references: "FACTS 12", "issue 11", "issues 12, 13", "#11" on its own. An
# upstream issue keeps its repository ("hashicorp/terraform-provider-google#15704").
_TRACKER = [
    re.compile(r"\bFACTS\b"),
    re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE),
    re.compile(r"(?<![\w/.\-])#\d+\b"),
]


def test_no_reference_a_reader_cannot_follow() -> None:
    found = [
        f"{_rel(page)}:{number}: {line.strip()}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if any(p.search(line) for p in _TRACKER)
    ]
    assert not found, "\n".join(found)


def test_the_tracker_patterns_spare_upstream_issues() -> None:
    assert not any(p.search("hashicorp/terraform-provider-google#15704") for p in _TRACKER)
    assert all(
        any(p.search(text) for p in _TRACKER)
        for text in ("(FACTS 19)", "issue 11", "see #12", "(issue 13)")
    )


def test_the_components_table_lists_every_component() -> None:
    """Every component's type token (``TYPE`` in components/), with its class, in the README's
    Components table, and nothing else there."""
    tokens = {}
    for path in sorted((ROOT / "components").glob("*.py")):
        text = path.read_text()
        for token in re.findall(r'^TYPE = "(nim-gke:[a-z0-9]+:[A-Za-z]+)"', text, re.M):
            tokens[token] = re.findall(r"^class (\w+)\(pulumi\.ComponentResource\)", text, re.M)
    rows = re.findall(
        r"^\| `(\w+)` \| `(nim-gke:[^`]+)` \|", "\n".join(_section(README, "Components")), re.M
    )
    assert {token for _, token in rows} == set(tokens)
    assert all([cls] == tokens[token] for cls, token in rows)
    assert "nim-gke:gke:PoolChangeWatch" in tokens


# --- commands -------------------------------------------------------------------------------


def _section(path: Path, title: str) -> list[str]:
    lines = path.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _commands(text: str) -> list[list[str]]:
    """Simple shell command lines split at ``&&``, ``;`` and newlines, comments dropped."""
    commands = []
    for raw in text.splitlines():
        line = raw.split(" #", maxsplit=1)[0].strip()
        if line.startswith("#"):
            continue
        for part in re.split(r"&&|;", line):
            try:
                words = shlex.split(part)
            except ValueError:  # a continued line or a quote across lines: not a simple command
                continue
            if words:
                commands.append(words)
    return commands


# Options that only change what a command prints, not what it does.
_QUIET = {"-q", "--quiet", "--disable-pip-version-check", "-v", "-p", "no:warnings"}


def _normal(words: list[str]) -> list[str]:
    return [w for w in words if w not in _QUIET]


def _setup_commands() -> list[list[str]]:
    block, fenced = [], False
    for line in _section(README, "Set up"):
        if _FENCE.match(line):
            fenced = not fenced
        elif fenced:
            block.append(line)
    return _commands("\n".join(block))


def test_the_setup_installs_and_tests_as_ci_does() -> None:
    setup = _setup_commands()
    ci = [_normal(c) for c in _commands((ROOT / ".ci" / "run").read_text())]
    assert setup, "README's Set up has no command block"
    for words in setup:
        assert _normal(words) in ci, f"README's set-up runs {' '.join(words)!r}; .ci/run does not"
        if "-r" in words:
            assert (ROOT / words[words.index("-r") + 1]).is_file()
    assert ["python3", "-m", "venv", ".venv"] in setup
    assert [".venv/bin/python", "-m", "pytest"] in setup


def test_no_documented_teardown_waits_on_a_claim_a_pod_mounts() -> None:
    """A PVC a pod still uses is removed only once no pod uses it
    (https://kubernetes.io/docs/concepts/storage/persistent-volumes/#storage-object-in-use-protection)
    and `kubectl delete` waits for that by default (`--wait`, default true:
    https://kubernetes.io/docs/reference/kubectl/generated/kubectl_delete/). A teardown that
    deletes the model caches' claims before `pulumi destroy` removes their pods must not wait."""
    teardowns = []
    for page in PAGES:
        lines = [line for _, line in _code_blocks(page)]
        for i, line in enumerate(lines):
            words = next(iter(_commands(line)), [])
            if words[:1] == ["kubectl"] and "delete" in words and "pvc" in words:
                destroys_after = any("pulumi destroy" in later for later in lines[i + 1 : i + 3])
                if destroys_after:
                    teardowns.append((f"{_rel(page)}: {line.strip()}", "--wait=false" in words))
    assert len(teardowns) >= 2, teardowns  # the README's step 5 and deploying.md's tear down
    hanging = [where for where, waits_not in teardowns if not waits_not]
    assert not hanging, f"deleting a mounted claim waits for its pod: {hanging}"


def test_the_readme_wakes_dev_before_reaching_it() -> None:
    """dev sleeps at zero replicas outside its wake schedule: the Reach step of the README names the
    schedule as the dev stack file sets it (days, hours, time zone) and wakes it first."""
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    schedule = config["nim-gke:monitoring"]["hpa"]["wakeSchedule"]
    days = f"{schedule['days'][0]}-{schedule['days'][-1]}"
    window = f"{days} {schedule['start']}-{schedule['end']} {schedule['timeZone']}"
    assert window == "MO-FR 09:00-17:00 America/Chicago"
    deploy = "\n".join(_section(README, "Deploy"))
    reach = deploy[deploy.index("**Reach**") : deploy.index("**Destroy**")]
    assert window in " ".join(reach.split())
    calls = [c for c in _commands(reach) if c[:1] == ["nimctl"]]
    assert calls[:2] == [["nimctl", "wake"], ["nimctl", "doctor"]]


def _console_scripts() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("project", {})
    return dict(project.get("scripts", {}))


def test_the_setup_puts_nimctl_on_the_path() -> None:
    """The docs call ``nimctl`` by name: the install must provide that command."""
    assert _console_scripts().get("nimctl") == "nimctl.__main__:main"
    installs = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-e ." in [ln.split("#")[0].strip() for ln in installs]


def test_venv_paths_appear_only_in_the_setup() -> None:
    setup = {ln for ln in _section(README, "Set up")}
    found = [
        f"{_rel(page)}:{number}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if ".venv/bin/" in line and not (page == README and line in setup)
    ]
    assert not found, "one command style: `nimctl ...` after the set-up, .venv/bin/ only in it"


def _nimctl_calls(text: str) -> Iterator[list[str]]:
    """The argument lists of the ``nimctl`` commands in one shell line (pipes, ``&&``, ``;``,
    ``&`` and redirections end a command; ``<placeholder>`` stands for a value)."""
    text = re.sub(r"<[\w .\-]+>", "PLACEHOLDER", text.split(" #", maxsplit=1)[0])
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = [*lexer, ";"]
    except ValueError:  # not a shell line
        if "nimctl" in text:
            yield ["(not a shell line)", text]
        return
    segment: list[str] = []
    for token in tokens:
        if token and set(token) <= set("&|;<>()"):
            if segment[:1] == ["nimctl"]:
                yield segment[1:]
            segment = []
        elif token in {"until", "while", "then", "do"} and not segment:
            continue
        else:
            segment.append(token)


def test_every_documented_nimctl_command_line_parses() -> None:
    """Command lines in code blocks parse with nimctl's own parser; a command named in prose
    (`nimctl doctor`) is one nimctl has."""
    parser = build_parser()
    lines = [(page, n, t) for page in PAGES for n, t in _code_blocks(page)]
    calls = [(f"{_rel(p)}:{n}", argv) for p, n, t in lines for argv in _nimctl_calls(t)]
    assert len(calls) > 20
    wrong = []
    for where, argv in calls:
        try:
            parser.parse_args(argv)
        except SystemExit:
            wrong.append(f"{where}: nimctl {' '.join(argv)}")
    named = {
        f"{_rel(page)}:{n}: nimctl {' '.join(argv)}": argv[0]
        for page in PAGES
        for n, line in _prose(page)
        for code in _INLINE_CODE.findall(line)
        for argv in _nimctl_calls(code)
        if argv
    }
    wrong += [where for where, command in named.items() if command not in COMMANDS]
    assert {argv[0] for _, argv in calls if argv} == set(COMMANDS)
    assert not wrong, "\n".join(wrong)


def test_one_command_style() -> None:
    found = [
        f"{_rel(page)}:{number}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if re.search(r"python3? -m nimctl", line)
    ]
    assert not found, "call it `nimctl ...`, the installed command"


# --- the suite's size ---------------------------------------------------------------------------

_SUITE_SIZE = re.compile(r"about ([\d,]+|\w+ (?:hundred|thousand)) tests")
_NUMBER_WORDS = {
    w: n for n, w in enumerate("one two three four five six seven eight nine".split(), 1)
}


def _number(text: str) -> int:
    """``1,380`` or ``two thousand``."""
    if text[0].isdigit():
        return int(text.replace(",", ""))
    word, scale = text.split()
    return _NUMBER_WORDS[word] * {"hundred": 100, "thousand": 1000}[scale]


def _collected(request: pytest.FixtureRequest) -> int:
    """The tests of the whole suite: this session's when it collected all of them, else a
    ``pytest --collect-only`` of its own."""
    option = request.config.option
    paths = {Path(arg).resolve() for arg in request.config.args}
    whole = paths <= {ROOT, ROOT / "tests"} and not (
        option.keyword or option.markexpr or option.deselect or getattr(option, "lf", False)
    )  # ``lf`` exists only with the cache provider plugin (``-p no:cacheprovider`` drops it)
    if whole:
        return len(request.session.items)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    collected = re.search(r"^(\d+) tests? collected", done.stdout, re.M)
    assert collected, done.stdout + done.stderr
    return int(collected.group(1))


def test_the_suite_size_the_pages_give_is_within_a_tenth(request: pytest.FixtureRequest) -> None:
    said = {
        f"{_rel(page)}:{number}": _number(m.group(1))
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        for m in _SUITE_SIZE.finditer(line)
    }
    assert len(said) >= 3, said
    count = _collected(request)
    wrong = {where: n for where, n in said.items() if abs(n - count) > count / 10}
    assert not wrong, f"the suite has {count} tests; the pages say {wrong}"


def test_suite_sizes_read_as_written() -> None:
    assert [_number(t) for t in ("1,380", "two thousand", "three hundred")] == [1380, 2000, 300]


# --- the configuration table ----------------------------------------------------------------

CONFIGURATION = ROOT / "docs" / "configuration.md"
NOT_IN_SETTINGS = {"nim-gke:ngcApiKey"}  # read with require_secret, not part of the settings


def _models(annotation: typing.Any) -> tuple[type[BaseModel] | None, bool]:
    """The settings model inside an annotation, and whether it sits in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = typing.get_origin(annotation)
    in_list = origin is list
    for arg in typing.get_args(annotation):
        model, nested = _models(arg)
        if model is not None:
            return model, in_list or nested
    return None, False


def setting_paths(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """``(path, is_leaf)`` of every setting, e.g. ``nim.models[].canary.tag``."""
    for field in model.model_fields.values():
        name = field.alias or ""
        path = f"{prefix}{name}"
        inner, in_list = _models(field.annotation)
        if inner is None:
            yield path, True
            continue
        path += "[]" if in_list else ""
        yield path, False
        yield from setting_paths(inner, f"{path}.")


def _full(key: str) -> str:
    if key == "project":
        return "gcp:project"
    return f"nim-gke:{key}"


def _documented_keys() -> list[str]:
    keys = []
    for line in _section(CONFIGURATION, "Settings"):
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        names = _INLINE_CODE.findall(cell)
        first = names[0].replace("…models[]", "nim-gke:nim.models[]")
        stem = first.rsplit(".", 1)[0] if "." in first else first
        for i, name in enumerate(names):
            key = first if i == 0 else f"{stem}.{name}"
            braces = re.search(r"\{([^}]*)\}", key)
            if braces:
                for part in braces.group(1).split(","):
                    keys.append(key[: braces.start()] + part.strip() + key[braces.end() :])
            else:
                keys.append(key)
    return keys


def _covers(documented: str, path: str) -> bool:
    if documented.endswith(".*"):
        return path.startswith(documented[:-1])
    pattern = re.escape(documented).replace(re.escape("<alert>"), r"[A-Za-z0-9]+")
    return re.fullmatch(pattern, path) is not None


def test_the_configuration_table_lists_every_setting_and_only_real_ones() -> None:
    paths = {_full(p): leaf for p, leaf in setting_paths(StackSettings)}
    documented = _documented_keys()
    assert len(documented) > 60
    missing = [
        p for p, leaf in paths.items() if leaf and not any(_covers(d, p) for d in documented)
    ]
    assert not missing, f"settings missing from {_rel(CONFIGURATION)}: {missing}"
    unknown = [
        d for d in documented if d not in NOT_IN_SETTINGS and not any(_covers(d, p) for p in paths)
    ]
    assert not unknown, (
        f"{_rel(CONFIGURATION)} documents settings the code does not read: {unknown}"
    )


def test_the_outputs_table_lists_every_stack_output() -> None:
    """The outputs of dev, prod and prod with greenPool (each output some stack exports) are the
    rows of the configuration page's outputs table."""
    from tests.schemas.stack_objects import run  # noqa: PLC0415 - runs the program

    exported = {
        key for variant in ("dev", "prod", "prod-green-canary") for key in run(variant).outputs
    }
    documented = {
        _INLINE_CODE.findall(line)[0]
        for line in _section(CONFIGURATION, "Outputs")
        if line.startswith("| `")
    }
    assert "greenPoolName" in exported and "endpoints" in exported
    assert documented == exported, (
        f"missing from the table: {sorted(exported - documented)}; "
        f"not exported: {sorted(documented - exported)}"
    )


def test_setting_paths_sees_nested_lists_and_optional_blocks() -> None:
    paths = dict(setting_paths(StackSettings))
    assert paths["nim.models[].canary.weight"] is True
    assert paths["security.masterAuthorizedNetworks[].cidr"] is True
    assert paths["greenPool"] is False and paths["greenPool.machineType"] is True
    assert paths["monitoring.alerts.nimNotReady.forMinutes"] is True


# --- the README's cost figures ----------------------------------------------------------------


def _money(value: float) -> str:
    return f"{value:,.2f}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_readme_cost_figures_are_what_nimctl_cost_prints(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert nimctl_main(["cost", str(ROOT / f"Pulumi.{stack}.yaml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    figures = [
        _money(doc[k]) for k in ("idleMonthly", "expectedMonthly", "alwaysOnMonthly", "peakMonthly")
    ]
    (row,) = [ln for ln in _section(README, "What it costs") if ln.startswith(f"| {stack} |")]
    assert [c.strip() for c in row.strip("|").split("|")][-4:] == figures
    monitoring = _money(doc["monitoring"]["monthly"]["idle"])
    assert f"${monitoring} ({stack})" in "\n".join(_section(README, "What it costs"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_readme_capacity_plans_are_what_nimctl_cost_prints(
    stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "Getting an L4": each priority's machine and purchase option, the expected and blended
    figures and the fallback share are those of `nimctl cost STACK --json`."""
    assert nimctl_main(["cost", str(ROOT / f"Pulumi.{stack}.yaml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    section = _section(README, "Getting an L4")
    (row,) = [ln for ln in section if ln.startswith(f"| {stack} |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    (plan,) = [p for p in doc["capacity"]["plans"] if p["pool"] == "gpu"]
    for cell, priority in zip(cells[1:-2], plan["priorities"], strict=True):
        assert cell.startswith(f"{priority['machineType']}, {priority['purchaseOption']}"), cell
    assert cells[-2:] == [
        _money(doc["expectedMonthly"]),
        _money(doc["capacity"]["blendedExpectedMonthly"]),
    ]
    share = doc["capacity"]["fallbackShare"]
    assert f"`cost.fallbackShare` = {share:g}" in "\n".join(section)
    assert f"{share * 100:g} % of the GPU node-hours" in "\n".join(section)


# --- sources.md points at real code -----------------------------------------------------------

SOURCES = ROOT / "docs" / "sources.md"
_CODE_REF = re.compile(
    r"`((?:components|nimgke|nimctl|policy|tests|scripts)/[\w/.]+?\.(?:py|yaml))"
)
_CODE_NAME = re.compile(r"`((?:components|nimgke|nimctl|policy)/[\w/]+\.py):(\w+)`")


def test_sources_name_code_that_exists() -> None:
    """Every file the sources page names exists, and every ``file:name`` is defined there."""
    text = SOURCES.read_text()
    files = set(_CODE_REF.findall(text))
    assert len(files) > 30
    missing = [f for f in sorted(files) if not (ROOT / f).is_file()]
    assert not missing, f"{_rel(SOURCES)} names files that do not exist: {missing}"
    undefined = [
        f"{path}:{name}"
        for path, name in _CODE_NAME.findall(text)
        if not re.search(
            rf"^\s*(?:def|class) {name}\b|^{name}\s*[:=]", (ROOT / path).read_text(), re.M
        )
    ]
    assert not undefined, f"{_rel(SOURCES)} names code that is not there: {undefined}"
