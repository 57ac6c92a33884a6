"""``nimctl bench``: latency and throughput of the NIM at a sweep of concurrencies.

Runs NVIDIA AIPerf (``aiperf profile``, PyPI package ``aiperf``, checked with 0.13.0) once per
concurrency level of a preset, streaming chat completions with fixed input/output lengths, then
reads AIPerf's JSON exports and writes a summary table (Markdown and CSV) and a PNG chart (the
metrics are listed in ``results``). Exit codes: 0 done, 1 a benchmark run failed, 2 could not
start (AIPerf missing, server unreachable, bad arguments).

The package, by what a reader looks for:

- ``aiperf``: AIPerf, the program: its version and install line, the presets, a sweep's
  ``Plan``, the ``aiperf profile`` command line, finding the executable; ``BenchError``.
- ``results``: AIPerf's JSON exports read into one ``LevelResult`` per level; the summary
  (Markdown, CSV), the chart and the report.
- here, the command: its arguments, the sweep (``run_level`` runs AIPerf at one level),
  ``--report``, exit codes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from nimctl import _cli, _http
from nimctl.bench.aiperf import (
    AIPERF_ENV,
    CONSOLE_LOG,
    EXPORT_FILE,
    INSTALL,
    LEVEL_PREFIX,
    PRESETS,
    BenchError,
    Plan,
    aiperf_command,
    find_aiperf,
    level_dir,
    redacted,
)
from nimctl.bench.results import LevelResult, load_level, load_results, report_title, write_report

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
