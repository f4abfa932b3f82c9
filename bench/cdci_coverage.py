#!/usr/bin/env python
"""Coverage study of the CDCI intervals: do the published 95% intervals hold the truth 95% of the time?

    .venv/bin/python bench/cdci_coverage.py [--surveys 200] [--replicates 1000] [--normalisation fixed]
                                            [--scenarios close,small,separated,unequal_segments] [--json out.json]

For each scenario it builds a population of businesses with known answers (each unit has a hidden quality;
a business has its own generosity, shared by its answers about the one or two units it rated; in-province
and out-of-province businesses may answer differently), computes the truth, then draws `surveys` samples,
runs the whole `compute_cdci` on each (bootstrap with `replicates`, sensitivity included) and counts how
often each unit's total interval holds its true total and its rank range holds its true rank.

The truth is the unit's score computed by the same method on the whole population (its "infinite
sample"): `compute_cdci` on every answer of the population, segment-weighted by the population's own
segment sizes, so every step (bounds, components, weights) is exactly the one the surveys estimate. The
population is 200 times the sample in each stratum (segment x units rated), and each survey draws the same
number of businesses per stratum, as the design does.

Scenarios (unit qualities on the latent scale, where a respondent's spread is 1):
- close: 7 units 0.05 apart, about 50 respondents each;
- small: 4 units of 6, 8, 10 and 12 respondents (min_respondents lowered to 5 for this study only);
- separated: 5 units 0.6 apart, about 40 respondents each;
- unequal_segments: 5 units 0.2 apart, about 60 respondents, in-province 70% of the population but 40% of
  the respondents and answering better (+0.4): weighted by segment.
About 20% of businesses rate two neighbouring units.

It is a command, not a test (a reduced run is in tests/cdci/method/test_coverage_study.py). It prints one
table per scenario and the lowest coverage, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdci.method.composite import ANSWER_COLUMNS, CLUSTER, compute_cdci

POPULATION_FACTOR = 200
PAIR_SHARE = 0.2
QUESTIONS = pd.DataFrame(
    {
        "question": ["a1", "a2", "b1", "b2", "c1", "c2", "d1", "d2"],
        "component": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "direction": ["positive", "positive", "positive", "positive", "negative", "positive", "negative", "positive"],
        "kind": [
            "agreement_5",
            "agreement_5",
            "yes_no",
            "agreement_5",
            "number",
            "agreement_5",
            "yes_no",
            "agreement_5",
        ],
        "scale_min": [1, 1, 0, 1, 0, 1, 0, 1],
        "scale_max": [5, 5, 1, 5, 48, 5, 1, 5],
    }
)
COMPONENTS = pd.DataFrame({"component": ["A", "B", "C", "D"], "weight": [30.0, 30.0, 20.0, 20.0]})


@dataclass(frozen=True)
class Scenario:
    name: str
    qualities: tuple[float, ...]
    respondents: tuple[int, ...]  # sample businesses per unit (single-unit and pairs together, about)
    in_share_population: float = 0.5
    in_share_sample: float = 0.5
    in_effect: float = 0.0
    weighted: bool = False
    min_respondents: int = 10


SCENARIOS = {
    "close": Scenario("close", tuple(0.05 * k for k in range(7)), (50,) * 7),
    "small": Scenario("small", (0.0, 0.35, 0.7, 1.05), (6, 8, 10, 12), min_respondents=5),
    "separated": Scenario("separated", tuple(0.6 * k for k in range(5)), (40,) * 5),
    "unequal_segments": Scenario(
        "unequal_segments",
        tuple(0.2 * k for k in range(5)),
        (60,) * 5,
        in_share_population=0.7,
        in_share_sample=0.4,
        in_effect=0.4,
        weighted=True,
    ),
}


def _strata(scenario: Scenario) -> list[dict[str, Any]]:
    """Sample sizes per stratum (segment x the units rated): singles per unit, pairs (u, u + 1)."""
    strata = []
    unit_count = len(scenario.qualities)
    for segment, share in (
        ("in_province", scenario.in_share_sample),
        ("out_of_province", 1 - scenario.in_share_sample),
    ):
        for u, size in enumerate(scenario.respondents):
            pairs = int(round(size * PAIR_SHARE / 2)) if u + 1 < unit_count else 0
            singles = max(
                1,
                int(round(size * share))
                - pairs
                - (int(round(scenario.respondents[u - 1] * PAIR_SHARE / 2)) if u else 0),
            )
            strata.append({"segment": segment, "units": (u,), "sample": max(singles, 1)})
            if pairs:
                strata.append(
                    {"segment": segment, "units": (u, u + 1), "sample": max(1, int(round(pairs * share * 2)))}
                )
    population_in = scenario.in_share_population
    for stratum in strata:
        # The population per stratum: the sample times the factor, reweighted when segments respond unequally.
        share_sample = scenario.in_share_sample if stratum["segment"] == "in_province" else 1 - scenario.in_share_sample
        share_population = population_in if stratum["segment"] == "in_province" else 1 - population_in
        stratum["population"] = int(round(stratum["sample"] * POPULATION_FACTOR * share_population / share_sample))
    return strata


def _answers(rng: np.random.Generator, scenario: Scenario, units: tuple[int, ...], segment: str, count: int):
    """(count * len(units), Q) answers of `count` businesses about `units`, rows business-major."""
    generosity = rng.normal(0, 0.5, size=(count, 1, 1))
    quality = np.array([scenario.qualities[u] for u in units])[None, :, None]
    effect = scenario.in_effect if segment == "in_province" else 0.0
    latent = quality + effect + generosity + rng.normal(0, 1, size=(count, len(units), len(QUESTIONS)))
    values = np.empty_like(latent)
    for q, row in enumerate(QUESTIONS.itertuples(index=False)):
        x = latent[..., q]
        if row.kind == "agreement_5":
            values[..., q] = np.clip(np.round(3.2 + 0.9 * x), 1, 5)
        elif row.kind == "yes_no":
            values[..., q] = (
                (x > (0.3 if row.direction == "negative" else -0.5)) if row.direction == "positive" else (x < -1.2)
            )
        else:  # hours: fewer at a better unit
            values[..., q] = np.clip(np.round(8 * np.exp(-0.3 * x + rng.normal(0, 0.3, size=x.shape)) * 2) / 2, 0, 48)
    return values.reshape(count * len(units), len(QUESTIONS))


def build_population(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Every business of the population, by stratum: answers (businesses, units, Q)."""
    rng = np.random.default_rng([seed, 99])
    strata = _strata(scenario)
    for stratum in strata:
        stratum["answers"] = _answers(rng, scenario, stratum["units"], stratum["segment"], stratum["population"])
    return {"strata": strata}


def _frame(strata: list[dict[str, Any]], picks: list[np.ndarray]) -> pd.DataFrame:
    """The long answers frame of the chosen businesses of each stratum."""
    parts = []
    cluster_base = 0
    for stratum, chosen in zip(strata, picks, strict=True):
        per_business = len(stratum["units"])
        values = stratum["answers"].reshape(-1, per_business, len(QUESTIONS))[chosen]
        count = len(chosen)
        cluster = np.repeat(cluster_base + np.arange(count), per_business)
        unit = np.tile(np.array([f"U{u}" for u in stratum["units"]]), count)
        respondent = cluster * 2 + np.tile(np.arange(per_business), count)
        flat = values.reshape(count * per_business, len(QUESTIONS))
        frame = pd.DataFrame(flat, columns=QUESTIONS["question"])
        frame["respondent_id"], frame["unit"], frame[CLUSTER] = respondent, unit, cluster
        frame["segment"] = stratum["segment"]
        parts.append(frame)
        cluster_base += count
    wide = pd.concat(parts, ignore_index=True)
    long = wide.melt(id_vars=["respondent_id", "unit", "segment", CLUSTER], var_name="question", value_name="value")
    return long[[*ANSWER_COLUMNS, CLUSTER]]


def _invited(strata: list[dict[str, Any]], key: str) -> pd.DataFrame:
    rows = [(f"U{u}", stratum["segment"], stratum[key]) for stratum in strata for u in stratum["units"]]
    return pd.DataFrame(rows, columns=["unit", "segment", "invited"]).groupby(["unit", "segment"], as_index=False).sum()


def truth(scenario: Scenario, population: dict[str, Any], normalisation: str) -> pd.DataFrame:
    """Each unit's true total and rank: the method on the whole population, weighted by its segment sizes."""
    strata = population["strata"]
    everyone = _frame(strata, [np.arange(stratum["population"]) for stratum in strata])
    result = compute_cdci(
        everyone,
        QUESTIONS,
        COMPONENTS,
        invited=_invited(strata, "population"),
        replicates=0,
        sensitivity_draws=0,
        normalisation=normalisation,
        min_respondents=1,
        decimals=6,
    )
    totals = result.units["total"]
    ranks = 1 + (totals.to_numpy()[None, :] > totals.to_numpy()[:, None]).sum(axis=1)
    return pd.DataFrame({"true_total": totals, "true_rank": ranks}, index=totals.index)


def run_scenario(scenario: Scenario, surveys: int, replicates: int, normalisation: str, seed: int) -> dict[str, Any]:
    population = build_population(scenario, seed)
    strata = population["strata"]
    true = truth(scenario, population, normalisation)
    rng = np.random.default_rng([seed, 1])
    invited = _invited(strata, "population") if scenario.weighted else None
    hits_total = pd.Series(0, index=true.index)
    hits_rank = pd.Series(0, index=true.index)
    respondents = pd.Series(0.0, index=true.index)
    for survey in range(surveys):
        picks = [rng.choice(stratum["population"], size=stratum["sample"], replace=False) for stratum in strata]
        result = compute_cdci(
            _frame(strata, picks),
            QUESTIONS,
            COMPONENTS,
            invited=invited,
            replicates=replicates,
            seed=seed * 100_000 + survey,
            normalisation=normalisation,
            min_respondents=scenario.min_respondents,
        )
        units = result.units.reindex(true.index)
        hits_total += (units["total_low"] <= true["true_total"]) & (true["true_total"] <= units["total_high"])
        hits_rank += (units["rank_low"] <= true["true_rank"]) & (true["true_rank"] <= units["rank_high"])
        respondents += units["respondents"].fillna(0)
    table = pd.DataFrame(
        {
            "true_total": true["true_total"].round(2),
            "true_rank": true["true_rank"],
            "respondents": (respondents / surveys).round(1),
            "total_coverage": hits_total / surveys,
            "rank_coverage": hits_rank / surveys,
        }
    )
    return {
        "scenario": scenario.name,
        "units": [{"unit": str(unit), **{k: float(v) for k, v in row.items()}} for unit, row in table.iterrows()],
        "min_total_coverage": float(table["total_coverage"].min()),
        "min_rank_coverage": float(table["rank_coverage"].min()),
    }


def run_study(
    surveys: int = 200,
    replicates: int = 1000,
    normalisation: str = "fixed",
    scenarios: list[str] | None = None,
    seed: int = 12,
) -> dict[str, Any]:
    """The study as a plain dict: per scenario each unit's coverage, and the lowest over everything."""
    names = scenarios or list(SCENARIOS)
    reports = [run_scenario(SCENARIOS[name], surveys, replicates, normalisation, seed) for name in names]
    lowest = min(min(report["min_total_coverage"], report["min_rank_coverage"]) for report in reports)
    return {
        "normalisation": normalisation,
        "surveys": surveys,
        "replicates": replicates,
        "scenarios": reports,
        "min_coverage": lowest,
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"normalisation={report['normalisation']} surveys={report['surveys']} replicates={report['replicates']}")
    for scenario in report["scenarios"]:
        print(f"\n{scenario['scenario']}")
        print(f"{'unit':<6}{'true total':>11}{'true rank':>10}{'resp.':>7}{'total cov.':>11}{'rank cov.':>10}")
        for unit in scenario["units"]:
            print(
                f"{unit['unit']:<6}{unit['true_total']:>11.2f}{int(unit['true_rank']):>10d}{unit['respondents']:>7.1f}"
                f"{unit['total_coverage']:>11.3f}{unit['rank_coverage']:>10.3f}"
            )
    print(f"\nlowest coverage over every unit and scenario: {report['min_coverage']:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--surveys", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--normalisation", default="fixed", choices=["fixed", "minmax"])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()
    started = time.perf_counter()
    report = run_study(args.surveys, args.replicates, args.normalisation, args.scenarios.split(","), args.seed)
    print_report(report)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
