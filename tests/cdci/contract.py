"""A stored CDCI result shaped as the method's contract says (docs: the result JSON of issue 12), built by
hand so the pages, API and Excel can be tested on known numbers: four ranked units (Móng Cái clearly ahead;
Hòn Gai, Cái Lân and Vạn Gia close), one unit with too few responses, one question answered at Vạn Gia by
only 3 businesses and one segment there of 4, which the public must not see."""

from django.utils import timezone

from cdci.models import CdciPublication, CdciRun, sha256_of
from core.jobs import JobStatus

COMPONENTS = [
    {"code": "C1", "name_vi": "Minh bạch", "name_en": "Transparency", "weight": "60.00"},
    {"code": "C2", "name_vi": "Thời gian", "name_en": "Time", "weight": "40.00"},
]
QUESTIONS = [
    {"code": "C1.1", "component": "C1", "direction": "positive"},
    {"code": "C2.1", "component": "C2", "direction": "positive"},
]


def _unit(unit_id, code, name, rank, total, *, respondents, segments, low, high, method):
    return {
        "unit_id": unit_id,
        "code": code,
        "name": name,
        "rank": rank,
        "respondents": respondents,
        "effective_n": round(respondents * 0.9, 1),
        "business_score": total,
        "assessment": None,
        "business_share": 100.0,
        "total": total,
        "total_low": round(total - 3, 2),
        "total_high": round(total + 3, 2),
        "rank_low": low,
        "rank_high": high,
        "method_rank_median": method[0],
        "method_rank_low": method[1],
        "method_rank_high": method[2],
        "first_on": 1 if rank == 1 else 0,
        "components": 2,
        "tier": "good" if total >= 80 else "fair",
        "segments": segments,
        "indexes": {"C1": 7.5, "C2": 6.5},
        "component_ranks": {"C1": rank, "C2": rank},
        "component_changes": {"C1": None, "C2": None},
        "contributions": {"C1": None, "C2": None, "assessment": None, "other": None},
        "previous_total": None,
        "total_change": None,
        "previous_rank": None,
        "rank_change": None,
    }


def contract_result(branches) -> dict:
    """`branches`: five Branch rows (their ids and names are used)."""
    mc, hg, cl, vg, bl = branches
    units = [
        _unit(
            mc.pk,
            "MC",
            mc.name,
            1,
            86.4,
            respondents=24,
            segments={"in_province": 14, "out_of_province": 10},
            low=1,
            high=1,
            method=(1.0, 1, 1),
        ),
        _unit(
            hg.pk,
            "HG",
            hg.name,
            2,
            71.2,
            respondents=18,
            segments={"in_province": 9, "out_of_province": 9},
            low=2,
            high=4,
            method=(2.0, 2, 3),
        ),
        _unit(
            cl.pk,
            "CL",
            cl.name,
            3,
            70.8,
            respondents=15,
            segments={"in_province": 8, "out_of_province": 7},
            low=2,
            high=4,
            method=(3.0, 2, 4),
        ),
        _unit(
            vg.pk,
            "VG",
            vg.name,
            4,
            69.9,
            respondents=11,
            segments={"in_province": 7, "out_of_province": 4},
            low=2,
            high=4,
            method=(4.0, 3, 4),
        ),
    ]
    return {
        "settings": {
            "business_weight": 70.0,
            "assessment_weight": 30.0,
            "replicates": 1000,
            "seed": 2017,
            "three_year_bounds": True,
            "normalisation": "fixed",
            "min_respondents": 10,
            "confidence": 0.95,
            "component_weights": {"C1": 60.0, "C2": 40.0},
            "sensitivity_draws": 500,
            "sensitivity": {
                "draws": 500,
                "weight_spread": 0.2,
                "blend_values": [60, 70, 80],
                "normalisations": ["fixed", "minmax"],
                "aggregations": ["arithmetic", "geometric"],
            },
            "decimals": 2,
            "assessment_policy": "survey_alone",
        },
        "components": COMPONENTS,
        "questions": QUESTIONS,
        "units": units,
        "unscored_units": [],
        "not_enough_units": [{"unit_id": bl.pk, "code": "BL", "name": bl.name}],
        "comparisons": [
            {
                "ahead": "MC",
                "behind": "HG",
                "difference": 15.2,
                "difference_low": 9.1,
                "difference_high": 21.3,
                "flip_share": 0.0,
                "distinguishable": True,
            },
            {
                "ahead": "HG",
                "behind": "CL",
                "difference": 0.4,
                "difference_low": -4.2,
                "difference_high": 5.0,
                "flip_share": 0.44,
                "distinguishable": False,
            },
            {
                "ahead": "CL",
                "behind": "VG",
                "difference": 0.9,
                "difference_low": -3.8,
                "difference_high": 5.6,
                "flip_share": 0.37,
                "distinguishable": False,
            },
        ],
        "question_counts": {
            "MC": {"C1.1": 24, "C2.1": 23},
            "HG": {"C1.1": 18, "C2.1": 18},
            "CL": {"C1.1": 15, "C2.1": 14},
            "VG": {"C1.1": 11, "C2.1": 3},
            "BL": {"C1.1": 4, "C2.1": 4},
        },
        "question_means": {
            "MC": {"C1.1": 4.41, "C2.1": 4.12},
            "HG": {"C1.1": 3.85, "C2.1": 3.7},
            "CL": {"C1.1": 3.8, "C2.1": 3.75},
            "VG": {"C1.1": 3.77, "C2.1": 2.333},  # 3 answers: must not be published
            "BL": {"C1.1": 1.25, "C2.1": 4.75},  # not ranked: no number anywhere
        },
        "question_bounds": {"C1.1": {"direction": "positive", "min": 1, "max": 5}},
        "flags": {"questions_at_few_units": [], "unanswered": [], "merged_segments": []},
        "coverage": {
            "normalisation": "fixed",
            "min_coverage": 0.94,
            "passed": True,
            "command": "python bench/cdci_coverage.py",
        },
        "previous": None,
        "history": [],
    }


def stored_draft(campaign, result: dict) -> CdciRun:
    """A finished run holding `result` as the campaign's draft."""
    return CdciRun.objects.create(
        campaign=campaign,
        status=JobStatus.DONE,
        progress=100,
        settings=result["settings"],
        result=result,
        input_checksum="0" * 64,
        finished_at=timezone.now(),
    )


def stored_publication(campaign, result: dict) -> CdciPublication:
    """A publication of `result` frozen as publish_draft freezes one (without recomputing)."""
    run = stored_draft(campaign, result)
    snapshot = {
        **result,
        "campaign": {
            "id": campaign.pk,
            "year": campaign.year,
            "title": campaign.title,
            "department_code": campaign.department.code,
            "department_name": campaign.department.name,
        },
        "version": 1,
        "note": "Kết quả",
        "reason": "",
        "run_id": run.pk,
        "input_checksum": run.input_checksum,
        "questionnaire_version": "q" * 64,
    }
    return CdciPublication.objects.create(
        campaign=campaign,
        run=run,
        version=1,
        note="Kết quả",
        snapshot=snapshot,
        questionnaire_version="q" * 64,
        checksum=sha256_of(snapshot),
    )
