"""bench/cdci_coverage.py in a reduced form: it runs the whole computation on simulated surveys and its
report is well formed (the figures themselves come from the full run; docs/cdci-methodology.md)."""

import importlib.util
import sys
from pathlib import Path

import pytest

from cdci.method import COVERAGE_STUDY, coverage_entry
from cdci.method.coverage import passes

BENCH = Path(__file__).resolve().parents[3] / "bench" / "cdci_coverage.py"


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("cdci_coverage", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_reduced_study_reports_a_proportion_per_unit_and_scenario(study):
    report = study.run_study(surveys=20, replicates=200)

    assert report["normalisation"] == "fixed" and report["surveys"] == 20 and report["replicates"] == 200
    assert [scenario["scenario"] for scenario in report["scenarios"]] == list(study.SCENARIOS)
    lowest = []
    for scenario in report["scenarios"]:
        units = scenario["units"]
        assert len(units) == len(study.SCENARIOS[scenario["scenario"]].qualities)
        assert sorted(unit["true_rank"] for unit in units) == list(range(1, len(units) + 1))
        for unit in units:
            for key in ("total_coverage", "rank_coverage"):
                assert 0.0 <= unit[key] <= 1.0
                assert (unit[key] * 20) == pytest.approx(round(unit[key] * 20))  # a share of 20 surveys
        assert scenario["min_total_coverage"] == min(unit["total_coverage"] for unit in units)
        lowest += [scenario["min_total_coverage"], scenario["min_rank_coverage"]]
    assert report["min_coverage"] == min(lowest)


def test_the_method_carries_the_measured_figures_with_their_command():
    for normalisation in ("fixed", "minmax"):
        entry = coverage_entry(normalisation)
        assert entry == COVERAGE_STUDY[normalisation]
        assert entry["normalisation"] == normalisation and "bench/cdci_coverage.py" in entry["command"]
        assert entry["min_coverage"] is None or 0.0 <= entry["min_coverage"] <= 1.0
        assert isinstance(entry["passed"], bool)
    assert coverage_entry("other")["passed"] is False
    assert COVERAGE_STUDY["fixed"]["passed"] is True and COVERAGE_STUDY["minmax"]["passed"] is False


def test_the_pass_rule_allows_for_the_studys_own_noise():
    # 2 * sqrt(0.93 * 0.07 / 1000) = 0.0161: 0.914 passes at 1,000 surveys, 0.913 does not.
    assert passes(0.914, 1000) and not passes(0.913, 1000)
    assert passes(0.95, 20)
