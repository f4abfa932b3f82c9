"""Reads of the yearly CDCI. Drafts and runs are for department staff of the campaign's department (and
administrators) only, through surveys.selectors.campaigns_for; publications are public. The snapshot
JSON is loaded only where a page shows it; lists read the small columns."""

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Sum, Value
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.jobs import JobStatus
from reports.models import RatingRollup, UnitKind
from reports.rollups import fold_rollups
from surveys.selectors import campaigns_for

from .disclosure import suppress
from .models import CdciPublication, CdciRun

TIER_LABELS = {
    "very_good": _("Very good"),
    "good": _("Good"),
    "fair": _("Fair"),
    "average": _("Average"),
}
SATISFIED_LEVELS = (4, 5)
# Heat-map bands of a component index (1-10): the colour adds to the number shown, never replaces it.
HEAT_BANDS = ((8.5, 5), (7.0, 4), (5.0, 3), (3.0, 2), (float("-inf"), 1))


def tier_label(key: str | None) -> str:
    return str(TIER_LABELS.get(key or "", key or ""))


# --- staff -------------------------------------------------------------------------------------------------


def cdci_campaigns_for(user):
    """Campaigns whose CDCI the user may compute, review and publish (404 for the rest)."""
    return campaigns_for(user).select_related("department")


def runs_of(campaign, limit: int = 10) -> list[CdciRun]:
    """The campaign's latest runs without their (large) result."""
    return list(CdciRun.objects.filter(campaign=campaign).defer("result").select_related("created_by")[:limit])


def run_for(user, run_id: int) -> CdciRun | None:
    """A run of a campaign in the user's scope, without its result (for the progress endpoint)."""
    return (
        CdciRun.objects.filter(pk=run_id, campaign__in=campaigns_for(user))
        .defer("result")
        .select_related("campaign")
        .first()
    )


def draft_for(campaign) -> CdciRun | None:
    return CdciRun.objects.filter(campaign=campaign, status=JobStatus.DONE).order_by("-finished_at", "-pk").first()


def publications_of(campaign) -> list[CdciPublication]:
    """Every version of the campaign's publication, newest first, without snapshots."""
    return list(
        CdciPublication.objects.filter(campaign=campaign)
        .defer("snapshot")
        .select_related("published_by")
        .order_by("-version")
    )


# --- public -------------------------------------------------------------------------------------------------


def published_years() -> list[dict[str, Any]]:
    """One row per published campaign: year, department, latest version, first and last publication."""
    rows = (
        CdciPublication.objects.values(
            "campaign_id",
            "campaign__year",
            "campaign__title",
            "campaign__department__code",
            "campaign__department__name",
        )
        .annotate(latest_version=Max("version"), last_published_at=Max("published_at"))
        .order_by("-campaign__year", "campaign__department__code")
    )
    return [dict(row) for row in rows]


def publication_for(year: int, *, department: str | None = None, version: int | None = None):
    """The publication shown for a year: the latest version (or `version`) of that year's campaign of
    `department` (a department code; the first department with a publication that year by default).
    Returns (publication or None, the versions of that campaign newest first, the departments published
    that year)."""
    published = CdciPublication.objects.filter(campaign__year=year)
    departments = list(
        published.values("campaign__department__code", "campaign__department__name")
        .distinct()
        .order_by("campaign__department__code")
    )
    if department:
        published = published.filter(campaign__department__code=department)
    elif departments:
        published = published.filter(campaign__department__code=departments[0]["campaign__department__code"])
    versions = list(published.defer("snapshot").select_related("campaign").order_by("-version"))
    if not versions:
        return None, [], departments
    wanted = versions[0].version if version is None else version
    publication = published.select_related("campaign__department").filter(version=wanted).first()
    return publication, versions, departments


def satisfaction_rates(unit_ids, year: int) -> dict[int, dict]:
    """Per branch: post-clearance ratings of declarations cleared in `year` (local time) and the share at
    levels 4-5 of the branch level. Read from the branches' rating rollups (twelve rows a branch and
    channel), never from the ratings themselves: the public pages ask on every view."""
    if settings.ROLLUP_FOLD_ON_READ:
        fold_rollups()  # the embedded mode has no beat folding new ratings every minute
    rows = (
        RatingRollup.objects.filter(
            unit_kind=UnitKind.BRANCH,
            unit_id__in=list(unit_ids),
            month__gte=datetime.date(year, 1, 1),
            month__lt=datetime.date(year + 1, 1, 1),
        )
        .values("unit_id")
        .annotate(rated=Sum("rated"), satisfied=sum((Sum(f"level_{level}") for level in SATISFIED_LEVELS), Value(0)))
        .order_by()
    )
    return {
        row["unit_id"]: {"rated": row["rated"], "rate": row["satisfied"] / row["rated"]} for row in rows if row["rated"]
    }


# --- presenting a result (draft or snapshot) ---------------------------------------------------------------


def _heat(value) -> str:
    if value is None:
        return "heat-none"
    for threshold, band in HEAT_BANDS:
        if value >= threshold:
            return f"heat-{band}"
    return "heat-1"


def component_name(component: dict) -> str:
    if (translation.get_language() or "vi").startswith("en") and component.get("name_en"):
        return component["name_en"]
    return component["name_vi"]


def _range(low, high):
    if low is None or high is None:
        return None
    return str(low) if low == high else f"{low}–{high}"


def comparison_sentence(comparison: dict, names: dict[str, str]) -> str:
    """An adjacent pair in plain words: who is ahead, or that the two cannot be told apart."""
    ahead = names.get(comparison["ahead"], comparison["ahead"])
    behind = names.get(comparison["behind"], comparison["behind"])
    if comparison.get("distinguishable"):
        return str(_("%(ahead)s is ahead of %(behind)s.") % {"ahead": ahead, "behind": behind})
    return str(_("%(ahead)s and %(behind)s cannot be told apart.") % {"ahead": ahead, "behind": behind})


def present(result: dict, rates: dict[int, dict] | None = None) -> dict:
    """What the ranking pages, the API and the Excel report show of a stored result, after suppression
    (disclosure.suppress: no cell resting on fewer than 5 respondents): components with their names in
    the active language, one row per ranked unit in rank order with its tier label, rank ranges, heat-map
    cells and contributions; the units with too few responses (names only); the adjacent comparisons in
    plain words; the chart's data; and what was suppressed.

    Results stored before the comparisons and method ranges existed (earlier publications are immutable)
    show without them."""
    safe, suppressed = suppress(result)
    components = [
        {"code": c["code"], "name": component_name(c), "weight": float(c["weight"])} for c in safe["components"]
    ]
    names = {unit["code"]: unit["name"] for unit in safe["units"]}
    question_means = safe.get("question_means", {})
    rows = []
    for unit in safe["units"]:
        rate = (rates or {}).get(unit["unit_id"], {})
        rows.append(
            {
                **unit,
                "tier_label": tier_label(unit["tier"]),
                "rank_range": _range(unit.get("rank_low"), unit.get("rank_high")),
                "method_rank_range": _range(unit.get("method_rank_low"), unit.get("method_rank_high")),
                "question_means": question_means.get(unit["code"], {}),
                "satisfaction_rate": rate.get("rate"),
                "satisfaction_percent": None if rate.get("rate") is None else 100 * rate["rate"],
                "rated": rate.get("rated", 0),
                "cells": [
                    {
                        "component": c["code"],
                        "value": unit["indexes"].get(c["code"]),
                        "rank": unit["component_ranks"].get(c["code"]),
                        "change": unit["component_changes"].get(c["code"]),
                        "heat": _heat(unit["indexes"].get(c["code"])),
                    }
                    for c in components
                ],
                "parts": [{"name": c["name"], "value": unit["contributions"].get(c["code"])} for c in components]
                + [
                    {"name": str(_("Department's assessment")), "value": unit["contributions"].get("assessment")},
                    {
                        "name": str(_("Other (rounding, missing components)")),
                        "value": unit["contributions"].get("other"),
                    },
                ],
            }
        )
    settings = safe.get("settings", {})
    blend = settings.get("blend") or [settings.get("business_weight", 70), settings.get("assessment_weight", 30)]
    coverage = safe.get("coverage") or {}
    confidence_percent = 100 * float(settings.get("confidence", 0.95))
    comparisons = [
        {
            **comparison,
            "ahead_name": names.get(comparison["ahead"], comparison["ahead"]),
            "behind_name": names.get(comparison["behind"], comparison["behind"]),
            "sentence": comparison_sentence(comparison, names),
            "flip_percent": None if comparison.get("flip_share") is None else 100 * comparison["flip_share"],
        }
        for comparison in safe.get("comparisons", [])
    ]
    return {
        "components": components,
        "rows": rows,
        "unscored": safe.get("unscored_units", []),
        "not_enough": safe.get("not_enough_units", []),
        "comparisons": comparisons,
        "suppressed": suppressed,
        "settings": settings,
        "business_weight": blend[0],
        "assessment_weight": blend[1],
        "confidence_percent": confidence_percent,
        # Only intervals that passed the coverage study are called by their confidence level.
        "coverage_passed": bool(coverage.get("passed")),
        "interval_label": (
            _("%(level)s%% interval") % {"level": f"{confidence_percent:g}"}
            if coverage.get("passed")
            else _("Interval (coverage not verified)")
        ),
        "has_previous": bool(safe.get("previous")),
        "previous": safe.get("previous"),
        "has_intervals": any(row.get("total_low") is not None for row in rows),
        "has_method_ranges": any(row.get("method_rank_median") is not None for row in rows),
        "chart_height": 60 + 42 * len(rows),
        "chart": {
            "labels": [row["name"] for row in rows],
            "totals": [row["total"] for row in rows],
            "low": [row["total_low"] for row in rows],
            "high": [row["total_high"] for row in rows],
        },
    }
