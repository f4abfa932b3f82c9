#!/usr/bin/env python
"""Time the whole CDCI computation on a national-size campaign (issue 7, item 8).

    .venv/bin/python bench/cdci.py [--units 40] [--questions 60] [--respondents 100000] [--replicates 1000]

In one run it:
1. generates, with a fixed seed, a campaign of 8 components over the questions (one of them, informal
   charges, negative; agreement 1-5, yes/no, hours and single-choice questions), units of uneven size
   with their own in/out-of-province mix, respondents whose answers follow a hidden quality of their
   unit, about 3% of questions skipped; plus invitations (for segment weighting), two earlier campaigns'
   unit means (min-max over three campaigns, for the min-max option), department assessments for most
   units and a previous published result. The answers are the long frame cdci.method takes: one row per answer
   (~5.8 million rows at the defaults), with categorical unit, segment and question columns;
2. times cdci.method.compute_cdci with every option on and the bootstrap replicates, once plainly and
   once under tracemalloc for the peak memory the computation itself allocates, and prints the
   process's peak resident size;
3. checks the result: both runs give the same totals and intervals, every unit is ranked, no point
   estimate lies far outside its interval, and the ranking follows the hidden quality.

It is a command, not a test: it prints figures and exits non-zero when a check fails. The machine is
shared, so run it more than once and note the load average.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdci.method.composite import PreviousResult, compute_cdci

COMPONENTS = [
    "transparency",
    "dynamism",
    "time_cost",
    "informal_charges",
    "fair_treatment",
    "support",
    "legal_institutions",
    "head_of_unit",
]
WEIGHTS = [15, 10, 15, 15, 10, 15, 10, 10]
SKIP_RATE = 0.03


def build_campaign(unit_count: int, question_count: int, respondent_count: int, seed: int) -> dict:
    """The frames of one synthetic campaign, and each unit's hidden quality to check the ranking with."""
    rng = np.random.default_rng(seed)
    units = np.array([f"unit-{number:02d}" for number in range(1, unit_count + 1)])
    quality = rng.normal(size=unit_count)

    # Questions spread over the 8 components; informal charges is a negative component, and a question
    # about hours is negative wherever it is (more hours is worse).
    component_of = np.sort(np.arange(question_count) % len(COMPONENTS))
    kind = rng.choice(
        ["agreement_5", "yes_no", "number", "single_choice"], size=question_count, p=[0.7, 0.15, 0.1, 0.05]
    )
    negative = (component_of == COMPONENTS.index("informal_charges")) | (kind == "number")
    questions = pd.DataFrame(
        {
            "question": [f"Q{number:02d}" for number in range(1, question_count + 1)],
            "component": np.array(COMPONENTS)[component_of],
            "direction": np.where(negative, "negative", "positive"),
            "kind": kind,
            # Fixed bounds: the answer scales, and a declared 0-30 for the numbers (hours).
            "scale_min": np.select([kind == "agreement_5"], [1.0], 0.0),
            "scale_max": np.select(
                [kind == "agreement_5", kind == "yes_no", kind == "number", kind == "single_choice"],
                [5.0, 1.0, 30.0, 4.0],
            ),
        }
    )
    components = pd.DataFrame({"component": COMPONENTS, "weight": WEIGHTS})

    # Units of uneven size, each with its own share of in-province respondents.
    sizes = rng.gamma(2.0, size=unit_count)
    respondent_unit = np.sort(rng.choice(unit_count, size=respondent_count, p=sizes / sizes.sum()))
    in_share = rng.uniform(0.35, 0.75, size=unit_count)
    respondent_in = rng.random(respondent_count) < in_share[respondent_unit]

    # Answers driven by the unit's quality (sign flipped for negative questions) and noise.
    signal = quality[respondent_unit][:, None] * np.where(negative, -1.0, 1.0)[None, :]
    signal = signal + 0.3 * respondent_in[:, None]  # in-province businesses are a little kinder
    noise = rng.normal(size=(respondent_count, question_count))
    values = np.empty((respondent_count, question_count))
    for name, columns in (
        ("agreement_5", kind == "agreement_5"),
        ("yes_no", kind == "yes_no"),
        ("number", kind == "number"),
        ("single_choice", kind == "single_choice"),
    ):
        latent = 0.4 * signal[:, columns] + noise[:, columns]
        if name == "agreement_5":
            values[:, columns] = np.clip(np.round(3.6 + latent), 1, 5)
        elif name == "yes_no":
            values[:, columns] = (latent > -0.8).astype(float)
        elif name == "number":
            values[:, columns] = np.round(np.exp(1.5 + 0.5 * latent), 1)
        else:
            values[:, columns] = np.clip(np.round(2 + latent), 0, 4)
    del signal, noise
    answered = rng.random((respondent_count, question_count)) >= SKIP_RATE
    answered[:, 0] = True  # every response answers something
    rows, columns = np.nonzero(answered)
    answers = pd.DataFrame(
        {
            "respondent_id": (1_000_000 + rows).astype(np.int64),
            "unit": pd.Categorical.from_codes(respondent_unit[rows], categories=units),
            "segment": pd.Categorical.from_codes(
                respondent_in[rows].astype(int) ^ 1, categories=["in_province", "out_of_province"]
            ),
            "question": pd.Categorical.from_codes(columns, categories=questions["question"]),
            "value": values[rows, columns],
        }
    )
    del rows, columns

    # Invitations: the respondents' mix is not the invited mix, so weighting has work to do.
    invited_in = rng.integers(300, 700, size=unit_count)
    invited_out = rng.integers(300, 700, size=unit_count)
    invited = pd.DataFrame(
        {
            "unit": np.concatenate([units, units]),
            "segment": ["in_province"] * unit_count + ["out_of_province"] * unit_count,
            "invited": np.concatenate([invited_in, invited_out]),
        }
    )

    # Two earlier campaigns: this campaign's unit means, moved a little.
    sums = np.zeros((unit_count, question_count))
    counts = np.zeros((unit_count, question_count))
    np.add.at(sums, respondent_unit, np.where(answered, values, 0.0))
    np.add.at(counts, respondent_unit, answered)
    means = sums / counts
    history = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": year,
                    "unit": np.repeat(units, question_count),
                    "question": np.tile(questions["question"], unit_count),
                    "mean": (means * rng.normal(1.0, 0.05, size=means.shape)).ravel(),
                }
            )
            for year in (2023, 2024)
        ]
    )

    assessed = rng.random(unit_count) < 0.9
    assessment = pd.Series(rng.uniform(70, 95, size=assessed.sum()).round(1), index=units[assessed])
    previous = PreviousResult(
        units=pd.DataFrame(
            {
                "total": rng.uniform(60, 95, size=unit_count).round(2),
                "rank": np.arange(1, unit_count + 1),
                "business_score": rng.uniform(55, 95, size=unit_count).round(2),
                "assessment": rng.uniform(70, 95, size=unit_count).round(1),
                "business_share": 0.7,
            },
            index=units,
        ),
        component_indexes=pd.DataFrame(
            rng.uniform(1, 10, size=(unit_count, len(COMPONENTS))).round(2), index=units, columns=COMPONENTS
        ),
    )
    return {
        "answers": answers,
        "questions": questions,
        "components": components,
        "invited": invited,
        "history": history,
        "assessment": assessment,
        "previous": previous,
        "quality": pd.Series(quality, index=units),
    }


def run(campaign: dict, replicates: int, seed: int):
    return compute_cdci(
        campaign["answers"],
        campaign["questions"],
        campaign["components"],
        invited=campaign["invited"],
        history=campaign["history"],
        assessment=campaign["assessment"],
        previous=campaign["previous"],
        replicates=replicates,
        seed=seed,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    campaign = build_campaign(args.units, args.questions, args.respondents, args.seed)
    answers = campaign["answers"]
    print(
        f"generated {len(answers):,} answers from {answers['respondent_id'].nunique():,} respondents, "
        f"{args.units} units, {args.questions} questions in {time.perf_counter() - started:.1f} s; "
        f"answers frame {answers.memory_usage(deep=True).sum() / 2**20:.0f} MiB; "
        f"peak RSS so far {peak_rss_mib():.0f} MiB"
    )

    started = time.perf_counter()
    result = run(campaign, replicates=0, seed=args.seed)
    point_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = run(campaign, args.replicates, args.seed)
    seconds = time.perf_counter() - started
    rss_after = peak_rss_mib()

    tracemalloc.start()
    again = run(campaign, args.replicates, args.seed)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    load = os.getloadavg()
    print(f"point estimate only (preparation included): {point_seconds:.2f} s")
    print(f"full computation with {args.replicates} replicates: {seconds:.2f} s")
    print(
        f"peak memory allocated by the computation (tracemalloc): {traced_peak:.0f} MiB; "
        f"process peak RSS (input included): {rss_after:.0f} MiB"
    )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    units = result.units
    print(
        units[
            [
                "respondents",
                "total",
                "total_low",
                "total_high",
                "rank",
                "rank_low",
                "rank_high",
                "method_rank_low",
                "method_rank_high",
                "tier",
            ]
        ]
        .head(8)
        .round(2)
        .to_string()
    )

    failures = []
    if not np.array_equal(result.bootstrap_totals, again.bootstrap_totals):
        failures.append("two runs with the same seed differ")
    if units["rank"].isna().any():
        failures.append("a unit is unranked")
    inside = ((units["total_low"] <= units["total"]) & (units["total"] <= units["total_high"])).mean()
    # A unit at the edge of many questions can sit just outside its percentile interval on small
    # samples (docs/cdci-methodology.md, "Uncertainty"); far outside would mean a bug.
    width = units["total_high"] - units["total_low"]
    near = (units["total"] >= units["total_low"] - width) & (units["total"] <= units["total_high"] + width)
    if not near.all():
        failures.append(f"point estimates far outside their intervals: {units.index[~near].tolist()}")
    # Spearman as the Pearson correlation of ranks (pandas' own spearman would need scipy).
    correlation = units["business_score"].rank().corr(campaign["quality"].reindex(units.index).rank())
    if correlation < 0.8:
        failures.append(f"the ranking hardly follows the hidden quality (Spearman {correlation:.2f})")
    print(f"intervals holding the point estimate: {inside:.0%}; Spearman(business score, quality) {correlation:.2f}")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
