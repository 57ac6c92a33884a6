"""``nimctl cost``: the table, ``--json`` equal to the stack output, stack lookup, exit codes."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from cost_stacks import ROOT, cost_alternatives, cost_estimate, raw_with, stack_file, write_stack

from nimctl import cost as cli
from nimgke.config import ConfigError, load_stack_file, parse
from tests.conftest import FAKE_NGC_KEY, stack_config

STACKS = ("dev", "prod")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.COMMAND.main(["cost", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("stack", STACKS)
def test_json_equals_the_stack_output_plus_alternatives(capsys, stack):
    rc, out, err = run_cli(capsys, stack, "--json")
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    alts = doc.pop("alternatives")
    cfg = load_stack_file(stack_file(stack))
    assert doc == cost_estimate(cfg)
    assert alts == cost_alternatives(cfg)


@pytest.mark.parametrize("stack", STACKS)
def test_json_equals_the_estimate_from_config_as_the_engine_passes_it(capsys, stack):
    # Under `pulumi up` the config arrives as JSON strings (structured values) and the program
    # exports the estimate of load_from_pulumi()'s shape; the same parse of the same file gives
    # the same dict.
    engine_raw = stack_config(stack, **{"nim-gke:ngcApiKey": FAKE_NGC_KEY})
    engine_cfg = parse(stack, engine_raw, (True, True))
    _, out, _ = run_cli(capsys, stack, "--json")
    cli_doc = json.loads(out)
    cli_doc.pop("alternatives")
    assert cli_doc == cost_estimate(engine_cfg)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_output_cost_estimate_equals_the_cli(capsys, stack):
    from tests.test_chart_contract import program  # noqa: PLC0415 - runs __main__.py

    outputs = program(stack).outputs
    if "costEstimate" not in outputs:
        pytest.skip("__main__.py does not export costEstimate yet")
    _, out, _ = run_cli(capsys, stack, "--json")
    cli_doc = json.loads(out)
    cli_doc.pop("alternatives")
    assert json.loads(json.dumps(outputs["costEstimate"])) == cli_doc


def test_table_shows_the_figures_date_source_and_comparison(capsys):
    rc, out, _ = run_cli(capsys, "dev")
    assert rc == 0
    assert "ESTIMATE in USD" in out
    assert "as of 2026-07-30" in out
    assert "Cyclenerd/google-cloud-pricing-cost-calculator" in out
    assert "$0.397336/h" in out
    total = next(li for li in out.splitlines() if li.startswith("Total per month"))
    # test_cost_estimate.test_dev_figures: the same sums
    assert total.split()[-4:] == ["40.92", "120.90", "350.98", "661.03"]
    overhead = next(li for li in out.splitlines() if "of which non-GPU overhead" in li)
    assert overhead.split()[-4:] == ["40.92"] * 4
    rows = {li.split()[0]: li for li in out.splitlines() if li.split()[:1] in (["on-demand"],)}
    assert "0.706832" in rows["on-demand"]
    # on demand, the same awake hours: 188.2937 node-hours x 0.706832 = 133.09, disk 5.16:
    # 40.92 + 133.09 + 5.16 = 179.17; 179.17 - 120.90 = +58.27
    assert "+58.27" in rows["on-demand"]
    assert "spot (this stack)" in out
    assert "Not included:" in out
    assert "network egress" in out


def test_prod_table_totals(capsys):
    _, out, _ = run_cli(capsys, "prod")
    total = next(li for li in out.splitlines() if li.startswith("Total per month"))
    # the shared cache bucket ($1.00) in place of a regional pd-ssd disk ($17.00), as in
    # test_cost_estimate
    assert total.split()[-4:] == ["835.41", "835.41", "835.41", "1,371.39"]
    assert "on-demand (this stack)" in out


def test_stack_name_is_found_in_the_current_directory_first(capsys, tmp_path, monkeypatch):
    changes = {"monitoring.hpa.wakeSchedule": None, "cost.gpuHoursPerDay": 24}
    write_stack(tmp_path, "dev", raw_with("dev", changes))
    monkeypatch.chdir(tmp_path)
    _, out, _ = run_cli(capsys, "dev", "--json")
    doc = json.loads(out)
    assert doc["gpuHoursPerDay"] == 24
    assert doc["gpuHoursPerDayFrom"] == "cost.gpuHoursPerDay (assumption)"
    assert doc["expectedMonthly"] == doc["alwaysOnMonthly"]


def test_stack_name_falls_back_to_the_repo_root(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.resolve_stack_file("prod") == ROOT / "Pulumi.prod.yaml"
    rc, out, _ = run_cli(capsys, "prod", "--json")
    assert rc == 0
    assert json.loads(out)["stack"] == "prod"


def test_a_path_is_accepted(capsys, tmp_path):
    path = write_stack(tmp_path, "staging", raw_with("prod", {"gpuPool.spot": True}))
    rc, out, _ = run_cli(capsys, str(path), "--json")
    assert rc == 0
    doc = json.loads(out)
    assert (doc["stack"], doc["purchaseOption"]) == ("staging", "spot")


def test_missing_stack_file_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, "nosuchstack")
    assert (rc, out) == (2, "")
    assert "no stack file for stack 'nosuchstack'" in err
    rc, _, err = run_cli(capsys, str(tmp_path / "Pulumi.gone.yaml"))
    assert rc == 2
    assert "no stack file" in err


def test_config_error_prints_the_config_error_message_and_exits_2(capsys, tmp_path):
    path = write_stack(tmp_path, "bad", raw_with("dev", {"gpuPool.minNodes": 3}))
    with pytest.raises(ConfigError) as expected:
        load_stack_file(path)
    rc, out, err = run_cli(capsys, str(path))
    assert (rc, out) == (2, "")
    assert err.strip() == str(expected.value)
    assert "nim-gke:gpuPool.minNodes = 3: is above maxNodes (2)" in err
    assert "Traceback" not in err


def test_unpriced_machine_exits_2_naming_machine_and_region(capsys, tmp_path):
    changes = {
        "gpuPool.machineType": "a2-highgpu-2g",
        "gpuPool.gpuType": "nvidia-tesla-a100",
        "gpuPool.gpuCount": 2,
    }
    path = write_stack(tmp_path, "big", raw_with("dev", changes))
    rc, out, err = run_cli(capsys, str(path), "--json")
    assert (rc, out) == (2, "")
    assert err.startswith("stack 'big': cannot estimate the cost: ")
    assert "a2-highgpu-2g in region us-central1" in err
    assert "Traceback" not in err


def test_missing_commitment_price_shows_as_not_available(capsys, tmp_path):
    changes = {
        "gpuPool.machineType": "a2-ultragpu-1g",
        "gpuPool.gpuType": "nvidia-a100-80gb",
    }
    path = write_stack(tmp_path, "a100", raw_with("dev", changes))
    rc, out, _ = run_cli(capsys, str(path))
    assert rc == 0
    row = next(li for li in out.splitlines() if li.startswith("1y "))
    assert "n/a" in row
    assert "no 1y price for machine type a2-ultragpu-1g" in out


def test_help_explains_the_command(capsys):
    with pytest.raises(SystemExit) as done:
        cli.COMMAND.main(["cost", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "usage: nimctl cost [-h] [--json] STACK" in text
    assert "idle" in text and "always-on" in text and "peak" in text
    assert "Pulumi.dev.yaml" in text
    assert "docs/cost.md" in text


def test_python_dash_m_nimctl_cost(tmp_path):
    for name in ("smoke", "bench", "doctor"):
        try:
            importlib.import_module(f"nimctl.{name}")
        except ImportError:
            pytest.skip(f"nimctl.{name} is not there yet: the dispatcher imports every command")
    done = subprocess.run(
        [sys.executable, "-m", "nimctl", "cost", "prod", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    doc.pop("alternatives")
    assert doc == cost_estimate(load_stack_file(stack_file("prod")))
