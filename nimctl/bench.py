"""``nimctl bench``: latency and throughput of the NIM at a sweep of concurrencies.

Runs NVIDIA AIPerf (``aiperf profile``, PyPI package ``aiperf``, checked with 0.13.0) once per
concurrency level of a preset, streaming chat completions with fixed input/output lengths, then
reads AIPerf's JSON exports and writes a summary table (Markdown and CSV) and a PNG chart of:

* time to first token (TTFT) p50/p99, ms
* inter-token latency (ITL) p50/p99, ms
* output tokens/s per stream (AIPerf ``output_token_throughput_per_user``, average)
* output tokens/s aggregate over all streams (AIPerf ``output_token_throughput``)

"Tokens/s" without saying which is ambiguous: on an L4, one stream of an 8B FP16 model decodes
at most ~19 tokens/s, while the aggregate grows with concurrency. The table names both.

AIPerf is not imported: it is a separate program with heavy dependencies, best installed in its
own virtualenv (see INSTALL below). Exit codes: 0 done, 1 a benchmark run failed, 2 could not
start (AIPerf missing, server unreachable, bad arguments).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nimctl import _cli, _http

AIPERF_VERSION = "0.13.0"
AIPERF_ENV = "NIMCTL_AIPERF"
INSTALL = (
    f"python3 -m venv ~/.venvs/aiperf && ~/.venvs/aiperf/bin/pip install 'aiperf=={AIPERF_VERSION}'"
)
EXPORT_FILE = "profile_export_aiperf.json"  # AIPerf's summary export in each artifact dir
CONSOLE_LOG = "aiperf-console.log"
LEVEL_PREFIX = "concurrency-"
RANDOM_SEED = 42

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CANNOT_RUN = 2

DESCRIPTION = """\
Latency and throughput of the NIM at a sweep of concurrencies, measured by NVIDIA AIPerf.

Runs `aiperf profile` once per concurrency level (streaming chat, fixed input/output lengths),
then writes summary.md, summary.csv and chart.png with: time to first token (TTFT) p50/p99,
inter-token latency (ITL) p50/p99, output tokens/s per stream and aggregate over all streams.

Exit codes: 0 done, 1 a benchmark run failed, 2 could not start (AIPerf missing, server
unreachable)."""


class BenchError(Exception):
    """A problem the user can fix; ``str()`` is the message."""


@dataclass(frozen=True)
class Preset:
    """A workload shape swept over concurrency levels."""

    name: str
    description: str
    isl: int  # input (prompt) tokens per request
    osl: int  # output tokens per request (ignore_eos makes the server produce exactly this)
    concurrencies: tuple[int, ...]
    min_requests: int  # per level
    requests_per_stream: int  # per level: concurrency x this, at least min_requests

    def request_count(self, concurrency: int) -> int:
        return max(self.min_requests, concurrency * self.requests_per_stream)


SWEEP = (1, 2, 4, 8, 16)
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("quick", "check the setup in a few minutes: 128 in / 64 out", 128, 64, (1, 4), 4, 2),
        Preset(
            "chat",
            "interactive chat: 512 in / 256 out; TTFT and per-stream tokens/s",
            512,
            256,
            SWEEP,
            8,
            2,
        ),
        Preset(
            "summarize",
            "long prompt, short answer: 2048 in / 256 out; prefill-bound, stresses TTFT",
            2048,
            256,
            SWEEP,
            8,
            2,
        ),
        Preset(
            "generate",
            "short prompt, long answer: 256 in / 512 out; decode-bound, stresses ITL and "
            "aggregate tokens/s",
            256,
            512,
            SWEEP,
            8,
            2,
        ),
    )
}


@dataclass(frozen=True)
class Plan:
    """Everything needed to build the AIPerf command lines of one sweep."""

    aiperf: str
    url: str
    model: str
    preset: Preset
    out_dir: Path
    concurrencies: tuple[int, ...]
    isl: int
    osl: int
    tokenizer: str = "builtin"
    request_count: int | None = None  # fixed per level, else from the preset
    request_timeout: float = 600.0
    api_key: str | None = None

    def requests_at(self, concurrency: int) -> int:
        return self.request_count or self.preset.request_count(concurrency)


def level_dir(out_dir: Path, concurrency: int) -> Path:
    return out_dir / f"{LEVEL_PREFIX}{concurrency:03d}"


def aiperf_command(plan: Plan, concurrency: int) -> list[str]:
    """The ``aiperf profile`` command line for one concurrency level (flags of aiperf 0.13.0)."""
    cmd = [
        plan.aiperf,
        "profile",
        "--model",
        plan.model,
        "--url",
        plan.url,
        "--endpoint-type",
        "chat",
        "--streaming",
        "--concurrency",
        str(concurrency),
        "--request-count",
        str(plan.requests_at(concurrency)),
        "--warmup-request-count",
        str(concurrency),
        "--isl",
        str(plan.isl),
        "--isl-stddev",
        "0",
        "--osl",
        str(plan.osl),
        "--osl-stddev",
        "0",
        # Generate exactly --osl tokens (NIM/vLLM honour ignore_eos), so levels compare.
        "--extra-inputs",
        "ignore_eos:true",
        # Count tokens from the server's usage: no Hugging Face tokenizer download needed for
        # the metrics (the tokenizer only shapes the synthetic prompts).
        "--use-server-token-count",
        "--tokenizer",
        plan.tokenizer,
        "--random-seed",
        str(RANDOM_SEED),
        "--request-timeout-seconds",
        f"{plan.request_timeout:g}",
        "--artifact-dir",
        str(level_dir(plan.out_dir, concurrency)),
        "--ui-type",
        "none",
        # No DCGM exporter next to the client, and NIM serves /v1/metrics, which AIPerf 0.13.0
        # does not scrape (it looks for <url>/metrics): skip both collectors.
        "--no-gpu-telemetry",
        "--no-server-metrics",
    ]
    if plan.api_key:
        cmd += ["--api-key", plan.api_key]
    return cmd


def redacted(cmd: Sequence[str]) -> str:
    """Shell-quoted command with the value of --api-key hidden."""
    shown = list(cmd)
    for i, arg in enumerate(shown[:-1]):
        if arg == "--api-key":
            shown[i + 1] = "<redacted>"
    return shlex.join(shown)


# ------------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class LevelResult:
    """The metrics we report for one concurrency level, from an AIPerf JSON export."""

    concurrency: int
    requests_ok: int
    requests_failed: int
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    itl_p50_ms: float | None
    itl_p99_ms: float | None
    tokens_per_s_per_stream: float | None
    tokens_per_s_aggregate: float | None
    requests_per_s: float | None
    latency_p50_ms: float | None
    model: str | None = None
    isl: float | None = None
    osl: float | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)


def _stat(doc: dict[str, Any], metric: str, stat: str) -> float | None:
    entry = doc.get(metric)
    if not isinstance(entry, dict):
        return None
    value = entry.get(stat)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def parse_export(doc: Any, concurrency: int | None = None) -> LevelResult:
    """Read an AIPerf ``profile_export_aiperf.json`` (schema 1.4, aiperf 0.13.0)."""
    if not isinstance(doc, dict) or ("request_count" not in doc and "error_summary" not in doc):
        raise BenchError(
            f"not an AIPerf profile export (no 'request_count' / 'error_summary'); expected "
            f"{EXPORT_FILE} written by aiperf {AIPERF_VERSION}"
        )
    config = doc.get("input_config") or {}
    if concurrency is None:
        profiling = [p for p in config.get("phases") or [] if p.get("kind") == "profiling"]
        if not profiling or not isinstance(profiling[0].get("concurrency"), int):
            raise BenchError("the AIPerf export does not say its concurrency")
        concurrency = int(profiling[0]["concurrency"])
    models = (config.get("models") or {}).get("items") or [{}]
    prompts = ((config.get("datasets") or [{}])[0] or {}).get("prompts") or {}
    errors = tuple(
        f"{e.get('count', '?')} x {_describe_error(e.get('error_details') or {})}"
        for e in doc.get("error_summary") or []
    )
    return LevelResult(
        concurrency=concurrency,
        requests_ok=int(_stat(doc, "request_count", "avg") or 0),
        requests_failed=int(_stat(doc, "error_request_count", "avg") or 0),
        ttft_p50_ms=_stat(doc, "time_to_first_token", "p50"),
        ttft_p99_ms=_stat(doc, "time_to_first_token", "p99"),
        itl_p50_ms=_stat(doc, "inter_token_latency", "p50"),
        itl_p99_ms=_stat(doc, "inter_token_latency", "p99"),
        tokens_per_s_per_stream=_stat(doc, "output_token_throughput_per_user", "avg"),
        tokens_per_s_aggregate=_stat(doc, "output_token_throughput", "avg"),
        requests_per_s=_stat(doc, "request_throughput", "avg"),
        latency_p50_ms=_stat(doc, "request_latency", "p50"),
        model=models[0].get("name"),
        isl=(prompts.get("isl") or {}).get("mean"),
        osl=(prompts.get("osl") or {}).get("mean"),
        errors=errors,
    )


def _describe_error(details: dict[str, Any]) -> str:
    code = details.get("code")
    kind = details.get("type") or "error"
    message = str(details.get("message") or "")
    try:  # AIPerf keeps the server's error body; show its own message when it is JSON
        inner = json.loads(message)
    except ValueError:
        inner = None
    if isinstance(inner, dict) and inner.get("message"):
        message = str(inner["message"])
    message = " ".join(message.split())
    head = f"HTTP {code} {kind}" if code else str(kind)
    return f"{head}: {message[:160]}" if message else head


def load_level(directory: Path, concurrency: int | None = None) -> LevelResult:
    path = directory / EXPORT_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"no AIPerf export at {path}") from None
    except (OSError, ValueError) as exc:
        raise BenchError(f"cannot read {path}: {exc}") from None
    return parse_export(doc, concurrency)


def load_results(out_dir: Path) -> list[LevelResult]:
    """Every ``concurrency-NNN`` level under a bench output directory, by concurrency."""
    results = []
    for directory in sorted(out_dir.glob(f"{LEVEL_PREFIX}*")):
        if (directory / EXPORT_FILE).is_file():
            results.append(load_level(directory))
    return sorted(results, key=lambda r: r.concurrency)


COLUMNS = (
    ("concurrency", "concurrency", "{:d}"),
    ("requests ok", "requests_ok", "{:d}"),
    ("failed", "requests_failed", "{:d}"),
    ("TTFT p50 (ms)", "ttft_p50_ms", "{:.1f}"),
    ("TTFT p99 (ms)", "ttft_p99_ms", "{:.1f}"),
    ("ITL p50 (ms)", "itl_p50_ms", "{:.1f}"),
    ("ITL p99 (ms)", "itl_p99_ms", "{:.1f}"),
    ("tokens/s per stream", "tokens_per_s_per_stream", "{:.1f}"),
    ("tokens/s aggregate", "tokens_per_s_aggregate", "{:.1f}"),
    ("requests/s", "requests_per_s", "{:.2f}"),
    ("latency p50 (s)", "latency_p50_ms", "{:.2f}"),
)


def _cell(result: LevelResult, attr: str, fmt: str) -> str:
    value = getattr(result, attr)
    if value is None:
        return "n/a"
    if attr == "latency_p50_ms":
        value = value / 1000.0
    return fmt.format(value)


def summary_rows(results: Sequence[LevelResult]) -> list[list[str]]:
    return [[_cell(r, attr, fmt) for _, attr, fmt in COLUMNS] for r in results]


def summary_markdown(results: Sequence[LevelResult], title: str) -> str:
    headers = [h for h, _, _ in COLUMNS]
    rows = summary_rows(results)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [f"## {title}", "", line(headers)]
    out.append("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    out += [line(row) for row in rows]
    out += [
        "",
        "TTFT: time to first token. ITL: inter-token latency. tokens/s per stream: output "
        "tokens/s seen by one request (AIPerf output_token_throughput_per_user, average); "
        "aggregate: output tokens/s over all concurrent streams (output_token_throughput).",
    ]
    errors = [(r.concurrency, e) for r in results for e in r.errors]
    if errors:
        out += ["", "Errors:"] + [f"- concurrency {c}: {e}" for c, e in errors]
    return "\n".join(out) + "\n"


def summary_csv(results: Sequence[LevelResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([attr for _, attr, _ in COLUMNS])
    for r in results:
        writer.writerow(["" if getattr(r, a) is None else getattr(r, a) for _, a, _ in COLUMNS])
    return buffer.getvalue()


def write_chart(results: Sequence[LevelResult], path: Path, title: str) -> bool:
    """Plot the four metrics against concurrency; False when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: PLC0415 - optional dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    xs = [r.concurrency for r in results]
    panels = (
        ("Time to first token (ms)", (("p50", "ttft_p50_ms"), ("p99", "ttft_p99_ms"))),
        ("Inter-token latency (ms)", (("p50", "itl_p50_ms"), ("p99", "itl_p99_ms"))),
        ("Output tokens/s per stream", (("average", "tokens_per_s_per_stream"),)),
        ("Output tokens/s aggregate", (("all streams", "tokens_per_s_aggregate"),)),
    )
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    for ax, (label, series) in zip(axes.flat, panels, strict=True):
        for name, attr in series:
            points = [(x, getattr(r, attr)) for x, r in zip(xs, results, strict=True)]
            points = [(x, y) for x, y in points if y is not None]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=name)
        ax.set_title(label)
        ax.set_xlabel("concurrency (streams)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(results: Sequence[LevelResult], out_dir: Path, title: str, chart: bool) -> str:
    """Write summary.md, summary.csv and (if possible) chart.png; return what to print."""
    table = summary_markdown(results, title)
    (out_dir / "summary.md").write_text(table, encoding="utf-8")
    (out_dir / "summary.csv").write_text(summary_csv(results), encoding="utf-8")
    lines = [table, f"wrote {out_dir / 'summary.md'} and {out_dir / 'summary.csv'}"]
    if chart:
        if write_chart(results, out_dir / "chart.png", title):
            lines.append(f"wrote {out_dir / 'chart.png'}")
        else:
            lines.append(
                "no chart: matplotlib is not installed (pip install -r requirements-bench.txt)"
            )
    return "\n".join(lines)


def report_title(results: Sequence[LevelResult], preset: str | None = None) -> str:
    first = results[0] if results else None
    model = (first.model if first else None) or "model"
    shape = ""
    if first and first.isl is not None and first.osl is not None:
        shape = f", {first.isl:g} in / {first.osl:g} out tokens"
    return f"{model}{' — preset ' + preset if preset else ''}{shape}"


# ------------------------------------------------------------------------------------------
# Running AIPerf.


def find_aiperf(explicit: str | None) -> str:
    """--aiperf PATH, else $NIMCTL_AIPERF, else ``aiperf`` on PATH."""
    candidate = explicit or os.environ.get(AIPERF_ENV)
    if candidate:
        path = Path(candidate).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(candidate)
        if found:
            return found
        raise BenchError(
            f"AIPerf not found at {candidate!r} (--aiperf / ${AIPERF_ENV}). Install it into its "
            f"own virtualenv: {INSTALL}, then pass --aiperf ~/.venvs/aiperf/bin/aiperf"
        )
    found = shutil.which("aiperf")
    if found:
        return found
    raise BenchError(
        "AIPerf is not installed (no `aiperf` on PATH). Install it into its own virtualenv: "
        f"{INSTALL}, then pass --aiperf ~/.venvs/aiperf/bin/aiperf (or set ${AIPERF_ENV}, or "
        "put it on PATH)."
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])


def run_level(plan: Plan, concurrency: int, *, verbose: bool) -> LevelResult:
    directory = level_dir(plan.out_dir, concurrency)
    directory.mkdir(parents=True, exist_ok=True)
    cmd = aiperf_command(plan, concurrency)
    log = directory / CONSOLE_LOG
    with log.open("w", encoding="utf-8") as sink:
        sink.write(redacted(cmd) + "\n")
        sink.flush()
        try:
            completed = subprocess.run(  # noqa: S603 - argv list, no shell
                cmd,
                stdout=None if verbose else sink,
                stderr=None if verbose else subprocess.STDOUT,
                check=False,
            )
        except OSError as exc:
            raise BenchError(f"cannot start AIPerf ({plan.aiperf}): {exc}") from None
    if completed.returncode != 0:
        raise BenchError(
            f"aiperf failed at concurrency {concurrency} (exit code {completed.returncode}); "
            f"its output is in {log}:\n{_tail(log)}"
        )
    return load_level(directory, concurrency)


def run(args: argparse.Namespace) -> int:
    if args.report:
        return _report_only(Path(args.report), args)
    preset = PRESETS[args.preset]
    try:
        try:
            aiperf = find_aiperf(args.aiperf)
        except BenchError:
            if not args.dry_run:
                raise
            aiperf = args.aiperf or "aiperf"  # a dry run only prints the commands
        base = _http.normalize_base_url(args.url)
        api_key = _http.resolve_api_key(args.api_key)
        if args.dry_run and args.model:
            model = args.model
        else:
            served = _http.list_models(base, api_key=api_key, timeout=30.0)
            model = _http.pick_model(args.model, served, base)
    except (BenchError, _http.HttpProblem) as exc:
        print(f"bench: cannot start: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.output_dir or Path("bench-results") / f"{stamp}-{preset.name}")
    plan = Plan(
        aiperf=aiperf,
        url=base,
        model=model,
        preset=preset,
        out_dir=out_dir,
        concurrencies=tuple(args.concurrency or preset.concurrencies),
        isl=args.isl or preset.isl,
        osl=args.osl or preset.osl,
        tokenizer=args.tokenizer,
        request_count=args.request_count,
        request_timeout=args.request_timeout,
        api_key=api_key,
    )
    if args.dry_run:
        for concurrency in plan.concurrencies:
            print(redacted(aiperf_command(plan, concurrency)))
        return EXIT_OK

    print(
        f"nimctl bench: {model} at {base}, preset {preset.name} ({plan.isl} in / {plan.osl} "
        f"out tokens), concurrency {', '.join(map(str, plan.concurrencies))} -> {out_dir}"
    )
    results: list[LevelResult] = []
    failure: str | None = None
    for number, concurrency in enumerate(plan.concurrencies, start=1):
        print(
            f"[{number}/{len(plan.concurrencies)}] concurrency {concurrency}: "
            f"{plan.requests_at(concurrency)} requests ...",
            end="",
            flush=True,
        )
        started = time.monotonic()
        try:
            result = run_level(plan, concurrency, verbose=args.verbose)
        except BenchError as exc:
            print(" failed")
            failure = str(exc)
            break
        except KeyboardInterrupt:
            print(" interrupted")
            failure = "interrupted"
            break
        results.append(result)
        note = f", {result.requests_failed} failed" if result.requests_failed else ""
        print(f" done in {time.monotonic() - started:.0f} s{note}")
    if results:
        title = report_title(results, preset.name)
        print()
        print(write_report(results, out_dir, title, chart=not args.no_chart))
    if failure:
        print(f"bench: FAIL: {failure}", file=sys.stderr)
        return EXIT_FAILED
    if any(r.requests_failed for r in results):
        print("bench: some requests failed: see Errors in the summary", file=sys.stderr)
    return EXIT_OK


def _report_only(out_dir: Path, args: argparse.Namespace) -> int:
    try:
        results = load_results(out_dir)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not results:
        print(
            f"bench: no AIPerf results under {out_dir} (expected {LEVEL_PREFIX}NNN/{EXPORT_FILE})",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(write_report(results, out_dir, report_title(results), chart=not args.no_chart))
    return EXIT_OK


def _concurrency_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 1,2,4,8") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"concurrencies must be > 0, got {text!r}")
    return tuple(sorted(set(values)))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="base URL of the NIM, e.g. http://localhost:8000")
    source.add_argument(
        "--report",
        metavar="DIR",
        help="only rebuild summary and chart from a previous run's output directory",
    )
    parser.add_argument("--model", help="model id (default: the first one /v1/models lists)")
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), default="chat", help="workload (default: %(default)s)"
    )
    parser.add_argument(
        "--concurrency",
        type=_concurrency_list,
        help="comma-separated concurrency levels (default: the preset's)",
    )
    parser.add_argument("--isl", type=_cli.positive_int, help="input tokens (default: preset's)")
    parser.add_argument("--osl", type=_cli.positive_int, help="output tokens (default: preset's)")
    parser.add_argument(
        "--request-count",
        type=_cli.positive_int,
        help="requests per level (default: 2 per stream, at least the preset's minimum)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_cli.positive_float,
        default=600.0,
        help="seconds before AIPerf gives up on one request (default: %(default)g)",
    )
    parser.add_argument(
        "--tokenizer",
        default="builtin",
        help="AIPerf --tokenizer for the synthetic prompts: 'builtin' (tiktoken, downloads its "
        "vocabulary once), a Hugging Face id or a local directory (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key", help=f"bearer token if a gateway wants one (default: ${_http.API_KEY_ENV})"
    )
    parser.add_argument(
        "--aiperf",
        metavar="PATH",
        help=f"the aiperf executable (default: ${AIPERF_ENV}, else aiperf on PATH)",
    )
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where AIPerf artifacts and the summary go (default: bench-results/<time>-<preset>)",
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the aiperf command lines and exit (with --model, without contacting the URL)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show AIPerf's own output instead of logging it"
    )


_PRESETS = "\n".join(
    f"  {p.name:<10} {p.description}; concurrency {','.join(map(str, p.concurrencies))}"
    for p in PRESETS.values()
)
COMMAND = _cli.Command(
    name="bench",
    summary="benchmark TTFT, inter-token latency and tokens/s with NVIDIA AIPerf",
    description=DESCRIPTION,
    examples=(
        "nimctl bench --url http://localhost:8000 --preset chat "
        "--aiperf ~/.venvs/aiperf/bin/aiperf",
    ),
    notes=f"Presets:\n{_PRESETS}\n\nInstall AIPerf (once):\n  {INSTALL}",
    arguments=add_arguments,
    run=run,
)
