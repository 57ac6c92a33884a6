"""What ``nimctl bench`` makes of AIPerf's JSON exports (one per concurrency level): a summary
table (Markdown and CSV) and a PNG chart of:

* time to first token (TTFT) p50/p99, ms
* inter-token latency (ITL) p50/p99, ms
* output tokens/s per stream (AIPerf ``output_token_throughput_per_user``, average)
* output tokens/s aggregate over all streams (AIPerf ``output_token_throughput``)

"Tokens/s" without saying which is ambiguous: on an L4, one stream of an 8B FP16 model decodes
at most ~19 tokens/s, while the aggregate grows with concurrency. The table names both.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimctl.bench.aiperf import AIPERF_VERSION, EXPORT_FILE, LEVEL_PREFIX, BenchError


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
