"""A plan diff as text: resources by component, then outputs, cost and warnings."""

from __future__ import annotations

import difflib
import json
import re
import textwrap
from typing import Any

from nimctl.plan.diff import is_empty
from nimctl.plan.document import key_name, key_type
from nimctl.plan.paths import JSON_STEP, property_lines, show
from nimctl.plan.safety import TITLES
from nimctl.plan.safety.findings import DELETED
from nimctl.plan.text import HEADINGS, message_lines, money, table
from nimgke.cost import SCENARIOS
from nimgke.node_pool_changes import NODE_POOL_TYPE

LONG = 100
"""A value longer than this (as JSON) prints below its path; a longer string changed in place
prints as a word diff."""
CONTEXT = 30
"""Characters (whole words) kept on each side of a change in a word diff."""


def render_diff(d: dict[str, Any], base_name: str, full: bool = False) -> str:
    """The diff ``d``. An added resource like an existing one prints as its differences from it,
    unless ``full``."""
    entries = d["resources"]
    counts = {k: sum(1 for r in entries if r["change"] == k) for k in ("added", "removed")}
    changed = sum(1 for r in entries if r["change"] == "changed")
    out = [
        f"Plan diff of stack '{d['stack']}' ({d['stackFile']}) against {base_name} (stack "
        f"'{d['baseStack']}', {d['baseStackFile']}): {counts['added']} to add, "
        f"{counts['removed']} to remove, {changed} to change"
    ]
    if is_empty(d):
        return "\n".join([*out, "No changes."])
    safety = d.get("safety")
    out += _resources(entries, full)
    if d["outputs"]:
        out += ["", "Outputs:", *change_lines(d["outputs"], "    ")]
    if d["cost"]:
        out += ["", *_cost(d["cost"], full)]
    warnings = d["warnings"]
    if warnings["added"] or warnings["removed"]:
        out += ["", "Warnings (what pulumi preview prints):"]
        for sign, key in (("+", "added"), ("-", "removed")):
            for message in warnings[key]:
                out += message_lines(f"  {sign} warning: ", "      ", message)
    if safety is not None:
        out += ["", *safety_lines(safety)]
    else:
        out += [
            "",
            f"Rollout safety: not checked: stack '{d['stack']}' is compared with another stack "
            f"('{d['baseStack']}'); it judges an edit of one stack (its plan before, --json).",
        ]
    return "\n".join(out)


WIDTH = 100


def _wrapped(text: str, pad: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False
    )


def safety_lines(safety: dict[str, Any]) -> list[str]:
    """The rollout safety check (:mod:`nimctl.plan.safety`): its findings, then the node pools the
    edit replaces, deletes or whose nodes it recreates."""
    findings = safety["findings"]
    if not findings:
        out = ["Rollout safety: no change drops or fails requests."]
    else:
        n = len(findings)
        out = [
            f"Rollout safety: {n} change{'s' if n > 1 else ''} would drop or fail requests "
            "(exit code 4):"
        ]
    for f in findings:
        out += [
            f"  ! {TITLES[f['kind']]} ({f['kind']})",
            f"      {f['type']}  {f['name']}",
            *_wrapped(f["reason"], "      "),
            *_wrapped(f"fix: {f['fix']}", "      "),
        ]
    if safety["nodePools"]:
        out += ["", "Node pools replaced, recreated or deleted by this edit:"]
    for pool in safety["nodePools"]:
        sign = "-" if pool["effect"] == DELETED else "~"
        out.append(f"  {sign} {NODE_POOL_TYPE}  {pool['name']}: {pool['effect']}")
        out += [f"      {line}" for line in pool["changes"]]
        out += _wrapped(f"cost: {pool['cost']}", "      ")
        serving = ", ".join(pool["versions"]) or "no version"
        out += _wrapped(f"{_serving(pool)}: {serving}", "      ")
    return out


def _serving(pool: dict[str, Any]) -> str:
    """What the versions listed for a node pool are to it: a fallback of their ComputeClass runs
    their pods only when the priorities before it have no node to give."""
    priority = pool.get("priority")
    if priority is None or priority == 1:
        return "serving on it"
    return (
        f"serving on it when their pods fall back to it (priority {priority} of ComputeClass "
        f"{pool['computeClass']})"
    )


_SIGN = {"added": "+", "removed": "-", "changed": "~"}


def _resources(entries: list[dict[str, Any]], full: bool) -> list[str]:
    """Grouped by component (in the order they come), each group under its component's line."""
    components = {r["resource"]: r for r in entries if not r["custom"]}
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in entries:
        if r["custom"] or r["change"] == "changed":
            groups.setdefault(r["component"], []).append(r)
        else:
            groups.setdefault(r["resource"], [])
    out: list[str] = []
    for component, members in groups.items():
        out.append("")
        if component is None:
            out.append("(no component)")
        else:
            entry = components.get(component)
            sign = f"{_SIGN[entry['change']]} " if entry else ""
            out.append(f"{sign}{key_type(component)}  {key_name(component)}")
        for r in members:
            out += _resource(r, full)
    return out


def _resource(r: dict[str, Any], full: bool) -> list[str]:
    head = f"    {_SIGN[r['change']]} {r['type']}  {r['name']}"
    pad = "        "
    if r["change"] == "removed":
        return [head]
    if r["change"] == "added":
        if "like" in r and not full:
            like = key_name(r["like"])
            return [f"{head}  (as {like}, but:)", *change_lines(r["likeChanges"], pad)]
        return [head, *property_lines(r.get("inputs", {}), pad, fold=not full)]
    out = [head]
    if "provider" in r:
        p = r["provider"]
        out.append(f"{pad}~ (provider): {_key_name(p['before'])} => {_key_name(p['after'])}")
    return out + change_lines(r["changes"], pad)


def _key_name(key: str | None) -> str:
    return f"{key_type(key)} {key_name(key)}" if key else "(default)"


def change_lines(changes: list[dict[str, Any]], pad: str) -> list[str]:
    """One line per change (more for a long value); the changes inside one JSON document under a
    line for the document."""
    out: list[str] = []
    document = None
    for c in changes:
        outer, step, inner = c["path"].partition(JSON_STEP)
        if step:
            if outer != document:
                out.append(f"{pad}~ {outer}: a JSON document; inside it:")
                document = outer
            out += _change(dict(c, path=inner.removeprefix(".")), pad + "    ")
        else:
            document = None
            out += _change(c, pad)
    return out


def _change(c: dict[str, Any], pad: str) -> list[str]:
    sign, path = _SIGN[c["change"]], c["path"]
    where = f"  (in {json.dumps(c['label'], ensure_ascii=False)})" if "label" in c else ""
    if c["change"] != "changed":
        value = c["after"] if c["change"] == "added" else c["before"]
        one = show(value)
        if len(one) <= LONG or not isinstance(value, dict | list):
            return [f"{pad}{sign} {path}: {one}{where}"]
        return [f"{pad}{sign} {path}:{where}", *property_lines(value, pad + "    ")]
    before, after = c["before"], c["after"]
    if isinstance(before, str) and isinstance(after, str):
        if "\n" in before or "\n" in after:
            lines = difflib.unified_diff(before.splitlines(), after.splitlines(), n=1, lineterm="")
            return [f"{pad}~ {path}:{where}", *(f"{pad}    {line}" for line in list(lines)[2:])]
        if max(len(before), len(after)) > LONG // 2:
            return [f"{pad}~ {path}: {word_diff(before, after)}{where}"]
    return [f"{pad}~ {path}: {show(before)} => {show(after)}{where}"]


_WORDS = re.compile(r"\w+|\s+|[^\w\s]+")


def word_diff(before: str, after: str) -> str:
    """``before`` turned into ``after`` as ``git diff --word-diff=plain`` marks it (removed
    ``[-...-]``, added ``{+...+}``; https://git-scm.com/docs/git-diff, ``--word-diff``), with
    about ``CONTEXT`` characters of what stays around each change and ``...`` for the rest."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    out = []
    for n, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op != "equal":
            out += [f"[-{''.join(a[i1:i2])}-]" if i2 > i1 else ""]
            out += [f"{{+{''.join(b[j1:j2])}+}}" if j2 > j1 else ""]
            continue
        words = a[i1:i2]
        head = "" if n == 0 else "".join(_context(words))
        tail = "" if n == len(opcodes) - 1 else "".join(_context(words[::-1])[::-1])
        if len(head) + len(tail) >= len("".join(words)):
            out.append("".join(words))
        else:
            out.append(f"{head}...{tail}")
    return "".join(out)


def _context(words: list[str]) -> list[str]:
    """The first of ``words`` up to ``CONTEXT`` characters (whole words)."""
    kept: list[str] = []
    for word in words:
        if sum(map(len, kept)) >= CONTEXT:
            break
        kept.append(word)
    return kept


# --- cost --------------------------------------------------------------------------------------


def _cell(before: float | None, after: float | None) -> str:
    if before is None or after is None or before == after:
        return money(after if before is None else before)  # type: ignore[arg-type]
    return f"{money(before)} -> {money(after)}"


def _monthly(line: dict[str, Any] | None, scenario: str) -> float | None:
    return None if line is None else line["monthly"][scenario]


MONITORING = "costEstimate.monitoring."
"""The figures of Cloud Monitoring's own estimate: one row of the table unless ``full``."""
CAPACITY = "costEstimate.capacity."
"""The figures of each ComputeClass priority and their blend (``nimctl cost`` shows them):
counted unless ``full``, but for the GPU quota the priorities need, which a diff must show."""
FOLDED = {MONITORING: "costEstimate.monitoring", CAPACITY: "costEstimate.capacity"}
SHOWN = (f"{CAPACITY}gpuQuota",)


def _cost(c: dict[str, Any], full: bool) -> list[str]:
    rows = []
    for line in c["lines"]:
        a, b = line["before"], line["after"]
        cells = [_cell(_monthly(a, s), _monthly(b, s)) for s in SCENARIOS]
        rows.append([f"{_SIGN[line['change']]} {line['item']}", *cells])
        if a is not None and b is not None and a["item"] != b["item"]:
            rows.append([f"    (was: {a['item']})", *([""] * len(SCENARIOS))])
    totals = [("Total per month", c["totals"])]
    if c["withMonitoring"]:
        totals.append(("with Cloud Monitoring (not in the total)", c["withMonitoring"]))
    for name, t in totals:
        rows.append([name, *(_cell(t[s]["before"], t[s]["after"]) for s in SCENARIOS)])
    lines = table(["item", *HEADINGS], rows)
    rule = lines[1]
    body = lines[2 : len(lines) - len(totals)]
    out = [
        f"Cost per month (costEstimate): ESTIMATE in {c['currency']}, the lines that change and "
        "the totals",
        *(f"  {line}" for line in [*lines[:2], *body, rule, *lines[len(lines) - len(totals) :]]),
    ]
    changes = c["changes"]
    if c["withMonitoring"]:  # in the table
        changes = [x for x in changes if not x["path"].startswith(f"{MONITORING}withMonitoring")]
    if not full:
        counted = []
        for prefix, name in FOLDED.items():
            hidden = [x for x in changes if _folded(x["path"], prefix)]
            changes = [x for x in changes if not _folded(x["path"], prefix)]
            if hidden:
                counted.append(f"{len(hidden)} of {name}")
        if counted:
            out.append(f"  (more figures change: {', '.join(counted)}; --full lists them)")
    return out + change_lines(changes, "  ")


def _folded(path: str, prefix: str) -> bool:
    return path.startswith(prefix) and not path.startswith(SHOWN)
