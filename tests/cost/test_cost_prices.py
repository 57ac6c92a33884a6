"""nimgke/prices.yaml and scripts/refresh_prices.py: provenance, trimming, reproducibility."""

from __future__ import annotations

import runpy

import pytest
import yaml
from cost_stacks import REFERENCE_PRICES, ROOT, reference_sheet

from nimgke import catalog, pricing

SCRIPT = ROOT / "scripts" / "refresh_prices.py"
# The reference sheet has no regional disks; the upstream sheet of the same build does (an
# extract of it is committed with its source commit).
REGIONAL_DISKS = ROOT / "scripts" / "prices" / "regional-disks-2026-07-30.yaml"


def refresh(*argv: str) -> int:
    main = runpy.run_path(str(SCRIPT))["main"]
    return main(list(argv))


def table() -> dict:
    return yaml.safe_load(pricing.PRICES_FILE.read_text())


def test_table_is_dated_and_names_its_source():
    about = table()["about"]
    assert about["as_of"] == "2026-07-30"
    assert about["generated"] == "Thu Jul 30 06:13:17 2026"
    assert about["trimmed_from"] == "gcp-prices-2026-07-30.yaml"
    assert "Cloud Billing SKUs" in about["source"]
    assert "Cyclenerd/google-cloud-pricing-cost-calculator" in about["source"]
    assert "refresh_prices.py" in pricing.PRICES_FILE.read_text().splitlines()[0]
    prices = pricing.load()
    assert (prices.as_of, prices.source) == ("2026-07-30", about["source"])


def test_table_holds_only_what_the_stack_supports():
    doc = table()
    assert set(doc["machines"]) <= set(catalog.MACHINE_TYPES)
    assert {"g2-standard-4", "g2-standard-8", "e2-standard-4"} <= set(doc["machines"])
    for machine, entry in doc["machines"].items():
        assert set(entry["cost"]) == set(catalog.REGION_ZONES), machine
    assert set(doc["disks"]) == {
        "balanced",
        "ssd",
        "hdd",
        "balanced-replicated",
        "ssd-replicated",
        "hdd-replicated",
    }
    for kind, by_region in doc["disks"].items():
        assert set(by_region) == set(catalog.REGION_ZONES), kind


def test_table_agrees_with_the_reference_sheet():
    sheet = reference_sheet()
    doc = table()
    for machine, entry in doc["machines"].items():
        for region, fields in entry["cost"].items():
            assert fields == sheet["machines"][machine]["cost"][region], (machine, region)
    extract = yaml.safe_load(REGIONAL_DISKS.read_text())["compute"]["storage"]
    for kind, by_region in doc["disks"].items():
        for region, price in by_region.items():
            if kind.endswith("-replicated"):
                assert price == extract[kind]["cost"][region]
            else:
                assert price == sheet["disks"][kind][region]


def test_regional_disks_are_priced_by_their_own_sku():
    """A regional PD keeps two replicas and is billed as such (SKU "Regional SSD backed PD
    Capacity"): in us-central1 pd-ssd is 0.17 zonal and 0.34 regional per GB-month."""
    prices = pricing.load()
    assert prices.disk_gb_month("pd-ssd", "us-central1") == 0.17
    assert prices.disk_gb_month("pd-ssd", "us-central1", regional=True) == 0.34
    assert prices.disk_gb_month("pd-balanced", "us-central1", regional=True) == 0.2
    extract = yaml.safe_load(REGIONAL_DISKS.read_text())
    assert extract["about"]["generated"] == table()["about"]["generated"]


def test_refresh_reproduces_the_committed_table(tmp_path, capsys):
    if not REFERENCE_PRICES.is_file():
        pytest.skip(f"reference price sheet not present: {REFERENCE_PRICES}")
    out = tmp_path / "prices.yaml"
    assert (
        refresh(str(REFERENCE_PRICES), "--disks-from", str(REGIONAL_DISKS), "--out", str(out)) == 0
    )
    assert out.read_text() == pricing.PRICES_FILE.read_text()
    printed = capsys.readouterr()
    assert "prices as of 2026-07-30" in printed.out
    # Catalog machines the sheet lacks are reported, not silently dropped.
    assert "a2-highgpu-2g" in printed.err
    assert "e2-standard-8" in printed.err


UPSTREAM = {
    "about": {
        "generated": "Thu Mar  6 03:53:56 2025",
        "timestamp": 1741233236,
        "url": "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator",
    },
    "compute": {
        "instance": {
            "g2-standard-4": {
                "cpu": 4,
                "ram": 16,
                "cost": {
                    "us-central1": {"hour": 0.7, "hour_spot": 0.3, "month_1y": 320.0},
                    "asia-east1": {"hour": 0.9},
                },
            },
            "c4-standard-4": {"cost": {"us-central1": {"hour": 0.2}}},
        },
        "storage": {
            "balanced": {"cost": {"us-central1": {"month": 0.1}}},
            "ssd": {"cost": {"us-central1": {"month": 0.17}}},
            "local": {"cost": {"us-central1": {"month": 0.08}}},
        },
    },
}


def test_refresh_reads_the_upstream_pricing_yml_layout(tmp_path, capsys):
    source = tmp_path / "pricing.yml"
    source.write_text(yaml.safe_dump(UPSTREAM))
    out = tmp_path / "prices.yaml"
    assert refresh(str(source), "--out", str(out)) == 0
    doc = yaml.safe_load(out.read_text())
    # Only catalog machines and regions, and only the persistent disk types (zonal, regional).
    assert list(doc["machines"]) == ["g2-standard-4"]
    assert list(doc["machines"]["g2-standard-4"]["cost"]) == ["us-central1"]
    assert doc["disks"] == {
        "balanced": {"us-central1": {"month": 0.1}},
        "ssd": {"us-central1": {"month": 0.17}},
        "hdd": {},
        "balanced-replicated": {},
        "ssd-replicated": {},
        "hdd-replicated": {},
    }
    assert doc["about"]["as_of"] == "2025-03-06"
    assert doc["about"]["source"].startswith("Cyclenerd/google-cloud-pricing-cost-calculator")
    prices = pricing.load(out)
    assert prices.machine_hourly("g2-standard-4", "us-central1", "1y") == pytest.approx(320 / 730)
    with pytest.raises(pricing.PriceError, match="no 3y price for machine type g2-standard-4"):
        prices.machine_hourly("g2-standard-4", "us-central1", "3y")
    err = capsys.readouterr().err
    assert "g2-standard-4 in us-east1" in err
    assert "disk hdd in us-central1" in err


def test_refresh_needs_a_date(tmp_path, capsys):
    undated = {k: v for k, v in UPSTREAM.items() if k != "about"}
    source = tmp_path / "sheet.yaml"
    source.write_text(yaml.safe_dump(undated))
    out = tmp_path / "prices.yaml"
    assert refresh(str(source), "--out", str(out)) == 2
    assert "pass --as-of YYYY-MM-DD" in capsys.readouterr().err
    assert not out.exists()
    assert refresh(str(source), "--out", str(out), "--as-of", "2026-08-01") == 0
    assert yaml.safe_load(out.read_text())["about"]["as_of"] == "2026-08-01"


def test_refresh_takes_the_date_from_the_file_name(tmp_path):
    undated = {k: v for k, v in UPSTREAM.items() if k != "about"}
    source = tmp_path / "gcp-prices-2026-09-01.yaml"
    source.write_text(yaml.safe_dump(undated))
    out = tmp_path / "prices.yaml"
    assert refresh(str(source), "--out", str(out)) == 0
    assert pricing.load(out).as_of == "2026-09-01"


def test_refresh_of_a_missing_file_exits_2(tmp_path, capsys):
    assert refresh(str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "p.yaml")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_price_table_is_a_clear_error(tmp_path):
    with pytest.raises(pricing.PriceError, match="is missing.*refresh_prices.py"):
        pricing.load(tmp_path / "prices.yaml")


def test_disks_are_filled_only_from_a_sheet_of_the_same_day(tmp_path, capsys):
    source = tmp_path / "pricing.yml"
    source.write_text(yaml.safe_dump(UPSTREAM))
    # REGIONAL_DISKS is of 2026-07-30, UPSTREAM of 2025-03-06.
    assert (
        refresh(str(source), "--disks-from", str(REGIONAL_DISKS), "--out", str(tmp_path / "x.yaml"))
        == 2
    )
    assert "its prices are of 2026-07-30, not 2025-03-06" in capsys.readouterr().err
