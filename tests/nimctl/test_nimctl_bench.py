"""``nimctl bench``: AIPerf command lines, result parsing, summary, chart, and the run loop.

The run loop is exercised with a stand-in ``aiperf`` executable (a tiny Python script) that
records its argv and writes a recorded AIPerf 0.13.0 export, so no real benchmark runs here.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import stat
import sys
from pathlib import Path

import pytest
from fake_openai import DEFAULT_MODEL, FakeOpenAI

from nimctl import bench
from nimctl.bench.aiperf import PRESETS, BenchError, Plan, aiperf_command, redacted
from nimctl.bench.results import (
    load_level,
    load_results,
    parse_export,
    summary_csv,
    summary_markdown,
    write_chart,
    write_report,
)

FIXTURES = Path(__file__).parent / "fixtures" / "bench"
SWEEP = FIXTURES / "sweep"
WITH_ERRORS = FIXTURES / "with-errors"


def make_plan(tmp_path: Path, **overrides: object) -> Plan:
    preset = PRESETS["chat"]
    values: dict[str, object] = {
        "aiperf": "/opt/aiperf/bin/aiperf",
        "url": "http://localhost:8000",
        "model": DEFAULT_MODEL,
        "preset": preset,
        "out_dir": tmp_path / "out",
        "concurrencies": preset.concurrencies,
        "isl": preset.isl,
        "osl": preset.osl,
    }
    values.update(overrides)
    return Plan(**values)  # type: ignore[arg-type]


def test_exact_aiperf_command_for_one_level(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    assert aiperf_command(plan, 4) == [
        "/opt/aiperf/bin/aiperf", "profile",
        "--model", "meta/llama3-8b-instruct",
        "--url", "http://localhost:8000",
        "--endpoint-type", "chat",
        "--streaming",
        "--concurrency", "4",
        "--request-count", "8",
        "--warmup-request-count", "4",
        "--isl", "512", "--isl-stddev", "0",
        "--osl", "256", "--osl-stddev", "0",
        "--extra-inputs", "ignore_eos:true",
        "--use-server-token-count",
        "--tokenizer", "builtin",
        "--random-seed", "42",
        "--request-timeout-seconds", "600",
        "--artifact-dir", str(tmp_path / "out" / "concurrency-004"),
        "--ui-type", "none",
        "--no-gpu-telemetry",
        "--no-server-metrics",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("preset", "isl", "osl", "requests"),
    [
        ("quick", 128, 64, {1: 4, 4: 8}),
        ("chat", 512, 256, {1: 8, 2: 8, 4: 8, 8: 16, 16: 32}),
        ("summarize", 2048, 256, {1: 8, 2: 8, 4: 8, 8: 16, 16: 32}),
        ("generate", 256, 512, {1: 8, 2: 8, 4: 8, 8: 16, 16: 32}),
    ],
)
def test_each_preset_sweeps_its_concurrencies(
    tmp_path: Path, preset: str, isl: int, osl: int, requests: dict[int, int]
) -> None:
    p = PRESETS[preset]
    plan = make_plan(tmp_path, preset=p, concurrencies=p.concurrencies, isl=p.isl, osl=p.osl)
    assert p.concurrencies == tuple(requests)
    for concurrency, count in requests.items():
        joined = " ".join(aiperf_command(plan, concurrency))
        assert f"--concurrency {concurrency} " in joined
        assert f"--request-count {count} " in joined
        assert f"--warmup-request-count {concurrency} " in joined
        assert f"--isl {isl} --isl-stddev 0 --osl {osl} --osl-stddev 0" in joined
        assert f"--artifact-dir {tmp_path / 'out' / f'concurrency-{concurrency:03d}'} " in joined
        assert f"--model {DEFAULT_MODEL} " in joined


def test_overrides_and_api_key_are_passed_and_redacted(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, request_count=50, tokenizer="/models/tok", api_key="s3cret")
    cmd = aiperf_command(plan, 1)
    assert cmd[-2:] == ["--api-key", "s3cret"]
    assert "--request-count 50 " in " ".join(cmd)
    assert "--tokenizer /models/tok " in " ".join(cmd)
    shown = redacted(cmd)
    assert "s3cret" not in shown
    assert shown.endswith("--api-key '<redacted>'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,2,4", (1, 2, 4)), ("8, 1,4,4", (1, 4, 8)), ("32", (32,))],
)
def test_concurrency_list(text: str, expected: tuple[int, ...]) -> None:
    args = bench.COMMAND.build_parser().parse_args(["bench", "--url", "x", "--concurrency", text])
    assert args.concurrency == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench"], "one of the arguments --url --report is required"),
        (["bench", "--url", "x", "--report", "d"], "not allowed with argument --url"),
        (["bench", "--url", "x", "--concurrency", "0,2"], "concurrencies must be > 0"),
        (["bench", "--url", "x", "--concurrency", "a"], "'a' is not a list like 1,2,4,8"),
        (["bench", "--url", "x", "--preset", "huge"], "invalid choice: 'huge'"),
        (["bench", "--url", "x", "--osl", "-1"], "must be > 0"),
    ],
)
def test_argument_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.COMMAND.build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_dry_run_prints_every_level_without_contacting_the_server(run_cli, tmp_path) -> None:
    code, out, err = run_cli(
        bench, "bench", "--url", "http://127.0.0.1:9", "--model", DEFAULT_MODEL,
        "--dry-run", "--aiperf", "aiperf-not-installed", "--output-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 5
    assert all(line.startswith("aiperf-not-installed profile --model meta/llama3-8b-instruct")
               for line in lines)  # fmt: skip
    assert [line.split("--concurrency ")[1].split()[0] for line in lines] == [
        "1", "2", "4", "8", "16",
    ]  # fmt: skip
    assert not any(tmp_path.iterdir())  # nothing written


def test_missing_aiperf_says_how_to_install(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("NIMCTL_AIPERF", raising=False)
    code, out, err = run_cli(bench, "bench", "--url", "http://127.0.0.1:9")
    assert code == 2
    assert "AIPerf is not installed (no `aiperf` on PATH)" in err
    assert "pip install 'aiperf==0.13.0'" in err
    assert out == ""


def test_explicit_aiperf_path_that_does_not_exist(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli(
        bench, "bench", "--url", "http://127.0.0.1:9", "--aiperf", str(tmp_path / "nope")
    )
    assert code == 2
    assert f"AIPerf not found at '{tmp_path / 'nope'}'" in err


# --------------------------------------------------------------------------------------------
# Parsing AIPerf's export.


def test_parse_recorded_export() -> None:
    result = load_level(SWEEP / "concurrency-004")
    assert result.concurrency == 4  # read from input_config.phases[profiling]
    assert (result.requests_ok, result.requests_failed) == (8, 0)
    assert result.ttft_p50_ms == pytest.approx(4.793977)
    assert result.ttft_p99_ms == pytest.approx(6.77536391)
    assert result.itl_p50_ms == pytest.approx(2.12807937)
    assert result.tokens_per_s_per_stream == pytest.approx(470.0398666)
    assert result.tokens_per_s_aggregate == pytest.approx(1430.2847213)
    assert result.latency_p50_ms == pytest.approx(36.8910715)
    assert (result.model, result.isl, result.osl) == (DEFAULT_MODEL, 64.0, 16.0)
    assert result.errors == ()


def test_parse_export_with_failed_requests() -> None:
    result = load_level(WITH_ERRORS / "concurrency-001")
    assert (result.requests_ok, result.requests_failed) == (4, 2)
    assert result.errors == ("2 x HTTP 500 Internal Server Error: CUDA out of memory",)


def test_load_results_orders_levels_by_concurrency() -> None:
    assert [r.concurrency for r in load_results(SWEEP)] == [1, 2, 4]


@pytest.mark.parametrize("doc", [[], {"foo": 1}, "text"])
def test_rejects_what_is_not_an_aiperf_export(doc: object) -> None:
    with pytest.raises(BenchError, match="not an AIPerf profile export"):
        parse_export(doc)


def test_missing_export_file(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="no AIPerf export at .*profile_export_aiperf.json"):
        load_level(tmp_path)


def test_summary_table_names_each_metric_and_formats_rows() -> None:
    results = load_results(SWEEP)
    table = summary_markdown(results, "meta/llama3-8b-instruct — preset quick")
    lines = table.splitlines()
    assert lines[0] == "## meta/llama3-8b-instruct — preset quick"
    assert lines[2].split("|")[1:-1] == [
        " concurrency ", " requests ok ", " failed ", " TTFT p50 (ms) ", " TTFT p99 (ms) ",
        " ITL p50 (ms) ", " ITL p99 (ms) ", " tokens/s per stream ", " tokens/s aggregate ",
        " requests/s ", " latency p50 (s) ",
    ]  # fmt: skip
    cells = [c.strip() for c in lines[6].split("|")[1:-1]]
    assert cells == ["4", "8", "0", "4.8", "6.8", "2.1", "2.2", "470.0", "1430.3", "89.39", "0.04"]
    assert "aggregate: output tokens/s over all concurrent streams" in table
    assert "Errors:" not in table


def test_summary_lists_errors_and_marks_missing_metrics() -> None:
    result = load_level(WITH_ERRORS / "concurrency-001")
    empty = parse_export({"request_count": {"avg": 0}, "error_summary": []}, concurrency=8)
    table = summary_markdown([result, empty], "t")
    assert "- concurrency 1: 2 x HTTP 500 Internal Server Error: CUDA out of memory" in table
    assert table.splitlines()[5].count("n/a") == 8


def test_summary_csv_has_raw_values() -> None:
    rows = summary_csv(load_results(SWEEP)).splitlines()
    assert rows[0].startswith("concurrency,requests_ok,requests_failed,ttft_p50_ms,ttft_p99_ms")
    assert rows[3].startswith("4,8,0,4.793977,")


def test_chart_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "chart.png"
    assert write_chart(load_results(SWEEP), path, "title") is True
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000


def test_without_matplotlib_the_report_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    text = write_report(load_results(SWEEP), tmp_path, "t", chart=True)
    assert "no chart: matplotlib is not installed (pip install -r requirements-bench.txt)" in text
    assert (tmp_path / "summary.md").is_file()
    assert not (tmp_path / "chart.png").exists()


def test_report_mode_rebuilds_summary_from_a_previous_run(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(SWEEP, out)
    code, text, err = run_cli(bench, "bench", "--report", str(out), "--no-chart")
    assert code == 0, err
    assert "## meta/llama3-8b-instruct, 64 in / 16 out tokens" in text
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("## meta/llama3-8b")
    assert (out / "summary.csv").is_file()


def test_report_mode_on_an_empty_directory(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli(bench, "bench", "--report", str(tmp_path))
    assert code == 1
    assert "no AIPerf results under" in err


# --------------------------------------------------------------------------------------------
# The run loop, with a stand-in aiperf executable.

FAKE_AIPERF = """#!{python}
import json, os, shutil, sys
argv = sys.argv[1:]
with open(os.environ["FAKE_AIPERF_LOG"], "a") as log:
    log.write(json.dumps(argv) + "\\n")
flag = lambda name: argv[argv.index(name) + 1]
concurrency = int(flag("--concurrency"))
if str(concurrency) == os.environ.get("FAKE_AIPERF_FAIL_AT"):
    print("ERROR    All 8 inference request(s) failed; no successful responses were collected.")
    sys.exit(1)
source = os.path.join(os.environ["FAKE_AIPERF_EXPORTS"], "concurrency-%03d" % concurrency)
os.makedirs(flag("--artifact-dir"), exist_ok=True)
shutil.copy(os.path.join(source, "profile_export_aiperf.json"), flag("--artifact-dir"))
print("JSON Export: done")
"""


@pytest.fixture
def fake_aiperf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    script = tmp_path / "bin" / "aiperf"
    script.parent.mkdir()
    script.write_text(FAKE_AIPERF.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "aiperf-calls.jsonl"
    monkeypatch.setenv("FAKE_AIPERF_LOG", str(log))
    monkeypatch.setenv("FAKE_AIPERF_EXPORTS", str(SWEEP))
    monkeypatch.setenv("NIMCTL_AIPERF", str(script))
    return script, log


def test_full_sweep_writes_summary_and_chart(run_cli, tmp_path: Path, fake_aiperf) -> None:
    script, log = fake_aiperf
    out = tmp_path / "results"
    with FakeOpenAI() as server:
        code, text, err = run_cli(
            bench, "bench", "--url", server.url, "--preset", "quick",
            "--concurrency", "1,2,4", "--output-dir", str(out),
        )  # fmt: skip
    assert code == 0, err
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c[c.index("--concurrency") + 1] for c in calls] == ["1", "2", "4"]
    assert calls[0][:5] == ["profile", "--model", DEFAULT_MODEL, "--url", server.url]
    assert "[3/3] concurrency 4: 8 requests ... done in" in text
    assert "|           4 |           8 |      0 |" in text
    assert (out / "summary.md").is_file()
    assert (out / "concurrency-002" / "aiperf-console.log").read_text().startswith(str(script))
    if importlib.util.find_spec("matplotlib"):
        assert (out / "chart.png").is_file()


def test_a_failing_level_stops_the_sweep_and_keeps_earlier_results(
    run_cli, tmp_path: Path, fake_aiperf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_AIPERF_FAIL_AT", "2")
    out = tmp_path / "results"
    with FakeOpenAI() as server:
        code, text, err = run_cli(
            bench, "bench", "--url", server.url, "--concurrency", "1,2,4",
            "--output-dir", str(out), "--no-chart",
        )  # fmt: skip
    assert code == 1
    assert "[2/3] concurrency 2: 8 requests ... failed" in text
    assert "[3/3]" not in text
    assert "bench: FAIL: aiperf failed at concurrency 2 (exit code 1)" in err
    assert "All 8 inference request(s) failed" in err  # tail of AIPerf's output
    assert "|           1 |" in (out / "summary.md").read_text()


def test_unreachable_server_stops_before_running_aiperf(
    run_cli, free_port: int, fake_aiperf
) -> None:
    _, log = fake_aiperf
    code, _, err = run_cli(bench, "bench", "--url", f"http://127.0.0.1:{free_port}")
    assert code == 2
    assert "bench: cannot start: cannot connect to" in err
    # a version asleep at zero: the same hint as smoke's, how to wake it
    assert "has no pod to forward to: `nimctl wake -n nim`" in err
    assert not log.exists()


def test_unknown_model_stops_before_running_aiperf(run_cli, fake_aiperf) -> None:
    _, log = fake_aiperf
    with FakeOpenAI() as server:
        code, _, err = run_cli(bench, "bench", "--url", server.url, "--model", "nope/model")
    assert code == 2
    assert "model 'nope/model' is not served" in err
    assert not log.exists()
