"""State changes of the yearly CDCI: the department's assessments, the computation runs, publication.

The method itself is cdci/method/ (pure); this module loads a closed campaign's valid responses
into its frames, stores what it returns as a draft (CdciRun.result), and freezes a draft into an
immutable, versioned CdciPublication. `actor` is the user acting; None means the system (a Celery task,
a management command, the demo), for which no permission is checked. With a user, every change needs
department staff of the campaign's department (or an administrator).

Anonymity: the answers are loaded with the response id as the respondent, the response's own unit and
segment, and its invitation id as the bootstrap cluster (a business's answers about two units are resampled
together); no business identity is read, and the result holds only aggregates per unit.
"""

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core import jobs
from core.jobs import ACTIVE as ACTIVE_JOBS
from core.jobs import JobStatus
from directory import audit
from directory.models import User
from surveys.choices import CampaignStatus, QuestionKind
from surveys.models import Answer, Campaign, InvitationUnit, Question
from surveys.selectors import is_department_staff

from . import method
from .disclosure import MIN_CELL, suppress
from .models import (
    AssessmentPolicy,
    CdciMethod,
    CdciPublication,
    CdciRun,
    DepartmentAssessment,
    sha256_of,
)

logger = logging.getLogger(__name__)

# Tier keys (labels are translated for display: selectors.TIER_LABELS); thresholds as in Quảng Ninh.
TIERS = ((90.0, "very_good"), (80.0, "good"), (65.0, "fair"), (0.0, "average"))
# A run queued or running for longer than this is taken for dead (a worker lost) and may be replaced.
HISTORY_CAMPAIGNS = 2  # earlier published campaigns whose question means set three-year bounds
FLOAT_DIGITS = 6  # stored precision: results compare exactly between runs and survive JSON round trips
PROGRESS_LOADED, PROGRESS_POINT, PROGRESS_BOOTSTRAP_END = 20, 30, 95


@dataclass(frozen=True)
class RunOptions:
    """The method of a campaign's computation: fixed on the campaign before its survey opens
    (cdci.models.CdciMethod), copied into every run and frozen in the publication's snapshot.

    normalisation: "fixed" (each question's bounds set in advance: the answer scale's limits, a number
    question's declared range, or bounds frozen from earlier campaigns) or "minmax" (the PCI way: this
    year's sample minimum and maximum, over `history_campaigns` earlier campaigns too).
    component_weights: component code -> percent; None keeps the questionnaire's weights.
    """

    business_weight: float = method.DEFAULT_BLEND[0]
    assessment_weight: float = method.DEFAULT_BLEND[1]
    replicates: int = method.DEFAULT_REPLICATES
    seed: int = method.DEFAULT_SEED
    three_year_bounds: bool = True
    normalisation: str = "fixed"
    min_respondents: int = 10
    confidence: float = 0.95
    component_weights: dict[str, float] | None = None
    sensitivity_draws: int = 500
    assessment_policy: str = "survey_alone"

    @classmethod
    def from_settings(cls, settings: Mapping) -> "RunOptions":
        known = {name: settings[name] for name in cls.__dataclass_fields__ if name in settings}
        return cls(**known)


def _require_staff(actor: User | None, department_id: int) -> None:
    if actor is not None and not is_department_staff(actor, department_id):
        raise PermissionDenied(_("Only staff of the department can compute and publish its CDCI."))


# --- the department's assessments ---------------------------------------------------------------------


def save_assessments(campaign: Campaign, entries: Mapping[int, tuple], *, actor: User | None) -> int:
    """Set the department's assessment of the campaign's units: {unit id: (score 0-100 or None, note)}.

    None removes a unit's assessment (it is then scored on the survey alone). Every change is audited;
    returns how many assessments changed. A closed campaign's draft must be computed again to use them.
    """
    _require_staff(actor, campaign.department_id)
    unit_ids = set(campaign.units.values_list("pk", flat=True))
    unknown = set(entries) - unit_ids
    if unknown:
        raise ValidationError(_("Only the units rated in the campaign can be assessed."))
    changed = 0
    with transaction.atomic():
        existing = {
            row.unit_id: row for row in DepartmentAssessment.objects.select_for_update().filter(campaign=campaign)
        }
        for unit_id, (score, note) in entries.items():
            note = (note or "").strip()
            current = existing.get(unit_id)
            if score is None:
                if current is not None:
                    audit.record(
                        actor, "cdci.assessment_removed", campaign, {"unit": unit_id, "score": str(current.score)}
                    )
                    current.delete()
                    changed += 1
                continue
            score = Decimal(score).quantize(Decimal("0.01"))
            if not Decimal(0) <= score <= Decimal(100):
                raise ValidationError(_("An assessment is a number from 0 to 100."))
            if current is not None and current.score == score and current.note == note:
                continue
            before = {"score": str(current.score), "note": current.note} if current else None
            row, _created = DepartmentAssessment.objects.update_or_create(
                campaign=campaign,
                unit_id=unit_id,
                defaults={"score": score, "note": note, "updated_at": timezone.now(), "updated_by": actor},
            )
            audit.record(
                actor, "cdci.assessment_saved", row, {"before": before, "after": {"score": str(score), "note": note}}
            )
            changed += 1
    return changed


# --- loading a campaign's inputs -------------------------------------------------------------------------


@dataclass
class CdciInputs:
    """Everything compute_cdci needs for one campaign, and what is stored beside the result."""

    answers: pd.DataFrame
    questions: pd.DataFrame
    components: list[dict]
    units: list[dict]  # the campaign's units: unit_id, code, name
    invited: pd.DataFrame | None = None
    assessment: pd.Series | None = None
    history: pd.DataFrame | None = None
    history_sources: list[dict] = field(default_factory=list)
    previous: method.PreviousResult | None = None
    previous_source: dict | None = None
    checksum: str = ""

    @property
    def components_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"component": [c["code"] for c in self.components], "weight": [float(c["weight"]) for c in self.components]}
        )


def latest_publications(department_id: int, *, before_year: int, limit: int) -> list[CdciPublication]:
    """The latest version of each of the department's last `limit` published campaigns before a year."""
    publications = (
        CdciPublication.objects.filter(campaign__department_id=department_id, campaign__year__lt=before_year)
        .select_related("campaign")
        .order_by("-campaign__year", "-version")
    )
    latest: dict[int, CdciPublication] = {}
    for publication in publications:
        if publication.campaign_id not in latest:
            latest[publication.campaign_id] = publication
        if len(latest) == limit:
            break
    return list(latest.values())


def previous_result_from_snapshot(snapshot: Mapping) -> method.PreviousResult:
    """A published snapshot as method.PreviousResult (for changes and their decomposition).

    A snapshot that stores its question means and questionnaire (kind and scale included) lets the method
    re-express last year on this year's bounds, weights and blend; an older one gives the published totals.
    """
    units = snapshot["units"]
    codes = [unit["code"] for unit in units]
    frame = pd.DataFrame(
        {
            column: [np.nan if unit.get(column) is None else float(unit[column]) for unit in units]
            for column in ("total", "rank", "business_score", "assessment", "business_share")
        },
        index=pd.Index(codes),
    )
    component_codes = [component["code"] for component in snapshot["components"]]
    indexes = pd.DataFrame(
        [[_nan(unit["indexes"].get(code)) for code in component_codes] for unit in units],
        index=pd.Index(codes),
        columns=pd.Index(component_codes),
    )
    weights = pd.Series(
        [float(component["weight"]) for component in snapshot["components"]], index=pd.Index(component_codes)
    )
    questions = snapshot.get("questions") or []
    question_means, question_frame = None, None
    if questions and all("kind" in question for question in questions) and snapshot.get("question_means"):
        question_frame = pd.DataFrame(
            [
                {
                    "question": question["code"],
                    "component": question["component"],
                    "direction": question["direction"],
                    "kind": question["kind"],
                    "scale_min": _nan(question.get("scale_min")),
                    "scale_max": _nan(question.get("scale_max")),
                }
                for question in questions
            ]
        )
        question_means = pd.DataFrame(
            {code: {q: _nan(mean) for q, mean in means.items()} for code, means in snapshot["question_means"].items()}
        ).T.astype(float)
    return method.PreviousResult(
        units=frame,
        component_indexes=indexes,
        component_weights=weights,
        question_means=question_means,
        questions=question_frame,
    )


def _nan(value) -> float:
    return np.nan if value is None else float(value)


def load_inputs(campaign: Campaign, options: RunOptions) -> CdciInputs:
    """The campaign's valid answers and everything around them, in a handful of queries."""
    components = [
        {"code": row["code"], "name_vi": row["name_vi"], "name_en": row["name_en"], "weight": str(row["weight"])}
        for row in campaign.components.order_by("position").values("code", "name_vi", "name_en", "weight")
    ]
    questions = pd.DataFrame(
        [
            {
                "question": row["code"],
                "component": row["component__code"],
                "direction": row["direction"],
                "kind": row["kind"],
                **dict(zip(("scale_min", "scale_max"), _scale(row), strict=True)),
            }
            for row in Question.objects.filter(campaign=campaign)
            .order_by("component__position", "position")
            .values("code", "component__code", "direction", "kind", "choices", "scale_min", "scale_max")
        ],
        columns=list(method.QUESTION_META),
    )
    # The cluster is the invitation (one business): its answers about its one or two units are resampled
    # together. Only the invitation's id is read, never the business.
    rows = list(
        Answer.objects.filter(response__campaign=campaign, response__is_valid=True)
        .order_by("response_id", "question_id")
        .values_list(
            "response_id",
            "response__unit__code",
            "response__segment",
            "question__code",
            "value",
            "response__invitation_id",
        )
    )
    answers = pd.DataFrame(rows, columns=[*method.ANSWER_COLUMNS, method.CLUSTER])
    answers["value"] = answers["value"].astype(float)
    units = [
        {"unit_id": row["pk"], "code": row["code"], "name": row["name"]}
        for row in campaign.units.order_by("name").values("pk", "code", "name")
    ]

    invited = None
    if campaign.weight_by_segment:
        invited = pd.DataFrame(
            list(
                InvitationUnit.objects.filter(invitation__campaign=campaign)
                .values_list("branch__code", "invitation__segment")
                .annotate(invited=Count("pk"))
                .order_by("branch__code", "invitation__segment")
            ),
            columns=["unit", "segment", "invited"],
        )
    assessments = list(
        DepartmentAssessment.objects.filter(campaign=campaign).order_by("unit__code").values_list("unit__code", "score")
    )
    assessment = pd.Series({code: float(score) for code, score in assessments}, dtype=float) if assessments else None

    earlier = latest_publications(campaign.department_id, before_year=campaign.year, limit=HISTORY_CAMPAIGNS)
    inputs = CdciInputs(
        answers=answers, questions=questions, components=components, units=units, invited=invited, assessment=assessment
    )
    if earlier:
        inputs.previous = previous_result_from_snapshot(earlier[0].snapshot)
        inputs.previous_source = _source(earlier[0])
    if options.three_year_bounds and earlier:
        # Earlier means count only for questions asked the same way (component, kind, scale, direction).
        comparable = {publication.pk: _comparable_questions(questions, publication.snapshot) for publication in earlier}
        history_rows = [
            (unit, question, mean, publication.campaign.year)
            for publication in earlier
            for unit, means in publication.snapshot["question_means"].items()
            for question, mean in means.items()
            if mean is not None and question in comparable[publication.pk]
        ]
        inputs.history = pd.DataFrame(history_rows, columns=["unit", "question", "mean", "year"])
        inputs.history_sources = [_source(publication) for publication in earlier]

    inputs.checksum = sha256_of(
        {
            "answers": [
                [rid, unit, segment, code, str(value), cluster] for rid, unit, segment, code, value, cluster in rows
            ],
            "questions": questions.astype(object).where(questions.notna(), None).to_numpy().tolist(),
            "components": components,
            "units": units,
            "invited": None if invited is None else invited.to_numpy().tolist(),
            "assessments": [[code, str(score)] for code, score in assessments],
            "previous": inputs.previous_source,
            "history": inputs.history_sources,
            # The weights the method uses: None (the questionnaire's) and the same weights spelt out are one.
            "options": {
                **asdict(options),
                "component_weights": options.component_weights
                or {component["code"]: float(component["weight"]) for component in components},
            },
        }
    )
    return inputs


def _scale(question: Mapping) -> tuple[float, float]:
    """The fixed bounds of a question's answers: the answer scale's limits, the choices' lowest and highest
    score, or a number question's declared range (NaN when not declared)."""
    kind = question["kind"]
    if kind == QuestionKind.AGREEMENT_5:
        return 1.0, 5.0
    if kind == QuestionKind.YES_NO:
        return 0.0, 1.0
    if kind == QuestionKind.SINGLE_CHOICE:
        scores = [float(choice["score"]) for choice in question["choices"] or []]
        return (min(scores), max(scores)) if scores else (np.nan, np.nan)
    return _nan(question["scale_min"]), _nan(question["scale_max"])


def _comparable_questions(questions: pd.DataFrame, snapshot: Mapping) -> set[str]:
    """Codes of this campaign's questions that an earlier snapshot asked the same way."""
    earlier = snapshot.get("questions") or []
    if not all("kind" in question for question in earlier):
        return set()
    before = pd.DataFrame(
        [
            {
                "question": q["code"],
                "component": q["component"],
                "direction": q["direction"],
                "kind": q["kind"],
                "scale_min": _nan(q.get("scale_min")),
                "scale_max": _nan(q.get("scale_max")),
            }
            for q in earlier
        ],
        columns=list(method.QUESTION_META),
    )
    return set(method.matching_questions(questions, before))


def _source(publication: CdciPublication) -> dict:
    return {
        "publication_id": publication.pk,
        "year": publication.campaign.year,
        "version": publication.version,
        "checksum": publication.checksum,
    }


# --- computing --------------------------------------------------------------------------------------------


def compute(inputs: CdciInputs, options: RunOptions, progress=None) -> method.CdciResult:
    """Run the method on loaded inputs (no database access); inputs it cannot score are a ValidationError."""
    if inputs.answers.empty:
        raise ValidationError(_("The campaign has no valid response: there is nothing to score."))
    try:
        return method.compute_cdci(
            inputs.answers,
            inputs.questions,
            inputs.components_frame,
            invited=inputs.invited,
            history=inputs.history,
            assessment=inputs.assessment,
            blend=(options.business_weight, options.assessment_weight),
            tiers=TIERS,
            previous=inputs.previous,
            replicates=options.replicates,
            seed=options.seed,
            confidence=options.confidence,
            normalisation=options.normalisation,
            min_respondents=options.min_respondents,
            component_weights=options.component_weights,
            sensitivity_draws=options.sensitivity_draws,
            progress=progress,
            # The same threshold as public suppression: a mean too thin to show must not hide inside a total.
            min_question_answers=MIN_CELL,
        )
    except method.CdciInputError as error:
        raise ValidationError(
            _("The campaign cannot be scored with this method: %(reason)s") % {"reason": str(error)}
        ) from error


def _number(value):
    """A JSON number from a numpy/pandas value: rounded floats, whole numbers as int, None for missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, FLOAT_DIGITS)


def _frame_dict(frame: pd.DataFrame, unit: str) -> dict:
    return {str(column): _number(frame.at[unit, column]) for column in frame.columns}


# Every unit figure is already rounded once by the method (to settings["decimals"]); _number only turns
# it into JSON.
UNIT_NUMBER_COLUMNS = (
    "respondents",
    "effective_n",
    "business_score",
    "assessment",
    "business_share",
    "total",
    "rank",
    "first_on",
    "components",
    "total_low",
    "total_high",
    "rank_low",
    "rank_high",
    "method_rank_median",
    "method_rank_low",
    "method_rank_high",
    "previous_total",
    "previous_published_total",
    "total_change",
    "previous_rank",
    "rank_change",
)


WHOLE_NUMBER_COLUMNS = (
    "respondents",
    "rank",
    "first_on",
    "components",
    "rank_low",
    "rank_high",
    "method_rank_median",
    "method_rank_low",
    "method_rank_high",
    "previous_rank",
    "rank_change",
)


def result_to_json(result: method.CdciResult, inputs: CdciInputs, options: RunOptions) -> dict:
    """The draft as stored (and later frozen in a publication): plain JSON, ranked units in rank order.

    Units below the minimum of respondents appear only in not_enough_units, by name, with no number.
    """
    unit_by_code = {unit["code"]: unit for unit in inputs.units}
    units = []
    for code in result.units.index:
        row = result.units.loc[code]
        unit = {"unit_id": unit_by_code[code]["unit_id"], "code": code, "name": unit_by_code[code]["name"]}
        unit.update({column: _number(row[column]) for column in UNIT_NUMBER_COLUMNS})
        for column in WHOLE_NUMBER_COLUMNS:  # ranks and counts: 3, not 3.0
            unit[column] = None if unit[column] is None else int(round(unit[column]))
        unit["tier"] = row["tier"]
        unit["segments"] = {str(k): int(v) for k, v in result.segment_counts.loc[code].items()}
        unit["indexes"] = _frame_dict(result.component_indexes, code)
        unit["component_ranks"] = {
            k: None if v is None else int(v) for k, v in _frame_dict(result.component_ranks, code).items()
        }
        unit["component_changes"] = _frame_dict(result.component_changes, code)
        unit["contributions"] = _frame_dict(result.contributions, code)
        units.append(unit)
    scored = set(result.units.index)
    not_enough = set(result.not_enough_units)
    questions = inputs.questions.astype(object).where(inputs.questions.notna(), None)
    return {
        "settings": {**result.settings, **asdict(options), "component_weights": result.settings["component_weights"]},
        "components": inputs.components,
        "questions": [
            {
                "code": row["question"],
                "component": row["component"],
                "direction": row["direction"],
                "kind": row["kind"],
                "scale_min": _number(row["scale_min"]),
                "scale_max": _number(row["scale_max"]),
            }
            for row in questions.to_dict("records")
        ],
        "units": units,
        "not_enough_units": [unit for unit in inputs.units if unit["code"] in not_enough],
        "unscored_units": [unit for unit in inputs.units if unit["code"] not in scored | not_enough],
        "question_means": {code: _frame_dict(result.question_means, code) for code in result.question_means.index},
        "question_counts": {
            str(code): {str(q): int(n) for q, n in counts.items()} for code, counts in result.question_counts.iterrows()
        },
        "question_bounds": {
            str(q): {"direction": row["direction"], "min": _number(row["min"]), "max": _number(row["max"])}
            for q, row in result.question_bounds.iterrows()
        },
        "comparisons": [
            {
                "ahead": str(row["ahead"]),
                "behind": str(row["behind"]),
                "difference": _number(row["difference"]),
                "difference_low": _number(row["difference_low"]),
                "difference_high": _number(row["difference_high"]),
                "flip_share": _number(row["flip_share"]),
                "distinguishable": bool(row["distinguishable"]),
            }
            for row in result.comparisons.to_dict("records")
        ],
        "flags": {
            "questions_at_few_units": [str(q) for q in result.flags["questions_at_few_units"]],
            "left_out": [
                {"unit": str(item["unit"]), "question": str(item["question"]), "answers": item["answers"]}
                for item in result.flags["left_out"]
            ],
            "unanswered": [
                {key: None if value is None else str(value) for key, value in item.items()}
                for item in result.flags["unanswered"]
            ],
            "merged_segments": [
                {"unit": str(item["unit"]), "segments": [str(s) for s in item["segments"]]}
                for item in result.flags["merged_segments"]
            ],
        },
        "coverage": method.coverage_entry(options.normalisation),
        "previous": inputs.previous_source,
        "history": inputs.history_sources,
    }


# --- the campaign's method ---------------------------------------------------------------------------------

# The fields of CdciMethod a person may set (the rest are bookkeeping).
METHOD_FIELDS = (
    "normalisation",
    "business_weight",
    "assessment_policy",
    "component_weights",
    "replicates",
    "min_respondents",
    "confidence",
    "seed",
    "three_year_bounds",
    "sensitivity_draws",
)


def method_of(campaign: Campaign) -> CdciMethod:
    """The campaign's method, created with the defaults the first time it is asked for."""
    return CdciMethod.objects.get_or_create(campaign=campaign)[0]


def method_options(campaign: Campaign) -> RunOptions:
    """The RunOptions of a computation of `campaign`: its method, as fixed before the survey opened."""
    row = method_of(campaign)
    return RunOptions(
        business_weight=float(row.business_weight),
        assessment_weight=float(row.assessment_weight),
        replicates=row.replicates,
        seed=row.seed,
        three_year_bounds=row.three_year_bounds,
        normalisation=row.normalisation,
        min_respondents=row.min_respondents,
        confidence=float(row.confidence),
        component_weights=None
        if row.component_weights is None
        else {code: float(weight) for code, weight in row.component_weights.items()},
        sensitivity_draws=row.sensitivity_draws,
        assessment_policy=row.assessment_policy,
    )


def _method_value(value):
    return str(value) if isinstance(value, Decimal) else value


def _check_component_weights(campaign: Campaign, weights) -> dict | None:
    if weights is None:
        return None
    codes = set(campaign.components.values_list("code", flat=True))
    if not isinstance(weights, Mapping) or set(weights) != codes:
        raise ValidationError({"component_weights": _("Give a weight to every component of the questionnaire.")})
    try:
        cleaned = {code: Decimal(str(weight)).quantize(Decimal("0.01")) for code, weight in weights.items()}
    except ArithmeticError:
        raise ValidationError({"component_weights": _("A component weight is a number from 0 to 100.")}) from None
    if any(not weight.is_finite() or not Decimal(0) <= weight <= Decimal(100) for weight in cleaned.values()):
        raise ValidationError({"component_weights": _("A component weight is a number from 0 to 100.")})
    if sum(cleaned.values()) != Decimal(100):
        raise ValidationError({"component_weights": _("The component weights must sum to 100%.")})
    return {code: float(weight) for code, weight in cleaned.items()}


def update_method(campaign: Campaign, changes: Mapping, *, actor: User | None) -> CdciMethod:
    """Change the campaign's method while the campaign is a draft (audited, before and after).

    Once the campaign opens the method is locked: changing it after the answers are in would let the
    ranking be tuned to a wanted result.
    """
    _require_staff(actor, campaign.department_id)
    unknown = set(changes) - set(METHOD_FIELDS)
    if unknown:
        raise ValueError(f"not a method setting: {sorted(unknown)}")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError(_("The method is locked: the survey has opened."))
        row = method_of(campaign)
        changes = dict(changes)
        if "component_weights" in changes:
            changes["component_weights"] = _check_component_weights(campaign, changes["component_weights"])
        before = {name: _method_value(getattr(row, name)) for name in changes}
        for name, value in changes.items():
            setattr(row, name, value)
        try:
            row.full_clean(exclude=["campaign", "updated_by"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        after = {name: _method_value(getattr(row, name)) for name in changes}
        if before == after:
            return row
        row.updated_at, row.updated_by = timezone.now(), actor
        row.save()
        audit.record(actor, "cdci.method_changed", row, {"before": before, "after": after})
    return row


# --- runs ---------------------------------------------------------------------------------------------------


def start_run(campaign: Campaign, *, actor: User | None, options: RunOptions | None = None) -> CdciRun:
    """Record the computation of a closed campaign's CDCI. The caller sends its task after the commit
    (core.jobs.dispatch) or computes it in-process (compute_now).

    The method is the campaign's (CdciMethod, fixed before the survey opened). `options` replaces it only
    for the system (actor None: a command or a study of the method), never for a person.
    One run per campaign at a time (a unique constraint); a run whose worker died is taken again by the
    job sweeper (core.jobs), so nothing stays "under way" for ever.
    """
    _require_staff(actor, campaign.department_id)
    if options is not None and actor is not None:
        raise PermissionDenied(_("A computation follows the method fixed before the survey opened."))
    options = options or method_options(campaign)
    _check_options(options)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.CLOSED:
            raise ValidationError(_("Only a closed campaign can be scored: close the survey first."))
        if CdciRun.objects.filter(campaign=campaign, status__in=ACTIVE_JOBS).exists():
            raise ValidationError(_("A computation of this campaign is already under way."))
        if options.assessment_policy == AssessmentPolicy.REQUIRED:
            _require_assessments(campaign)
        run = CdciRun.objects.create(campaign=campaign, created_by=actor, settings=asdict(options))
        audit.record(actor, "cdci.run_started", run, {"settings": asdict(options)})
    return run


def _require_assessments(campaign: Campaign) -> None:
    assessed = set(DepartmentAssessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
    missing = campaign.units.exclude(pk__in=assessed).order_by("name").values_list("name", flat=True)
    if missing:
        raise ValidationError(
            _("The campaign's method needs the department's assessment of every unit; missing: %(units)s.")
            % {"units": ", ".join(missing)}
        )


def _check_options(options: RunOptions) -> None:
    """The method's own checks (method.validate), as translated errors."""
    if options.business_weight < 0 or options.assessment_weight < 0:
        raise ValidationError(_("The blend weights cannot be negative."))
    if options.business_weight + options.assessment_weight != 100:
        raise ValidationError(_("The business and assessment weights must add up to 100."))
    if not 0 <= options.replicates <= 10_000:
        raise ValidationError(_("The number of bootstrap replicates must be between 0 and 10,000."))
    checks = (
        (
            lambda: method.check_replicates(options.replicates),
            _("Use 0 bootstrap replicates (no intervals) or at least 100."),
        ),
        (lambda: method.check_confidence(options.confidence), _("The confidence level must lie between 0 and 1.")),
        (lambda: method.check_normalisation(options.normalisation), _("Unknown normalisation.")),
        (
            lambda: method.check_min_respondents(options.min_respondents),
            _("The minimum of respondents must be at least 1."),
        ),
        (
            lambda: (
                None if options.component_weights is None else method.check_weights(options.component_weights.values())
            ),
            _("The component weights must be finite, not negative, and add up to 100."),
        ),
    )
    for check, message in checks:
        try:
            check()
        except method.CdciInputError as error:
            raise ValidationError(message) from error
    if isinstance(options.sensitivity_draws, bool) or not 0 <= options.sensitivity_draws <= 10_000:
        raise ValidationError(_("The number of sensitivity draws must be between 0 and 10,000."))


def _fail(run: CdciRun, message: str) -> None:
    jobs.fail(CdciRun, run.pk, message)
    audit.record(None, "cdci.run_failed", run, {"error": message[:500]})


class _Cancelled(Exception):
    """Staff cancelled the run while it computed."""


def execute_run(run_id: int) -> CdciRun | None:
    """Compute a run: claim it (core.jobs.claim: queued, or running with a dead worker; a second worker
    does nothing), load the inputs, compute with progress reports, store the draft. A failure is recorded
    on the run, not raised (except a lost database: the task retries). Returns the run, or None when it
    was not ours to take (done, failed, cancelled, or held by a live worker)."""
    if not jobs.claim(CdciRun, run_id):
        return None
    CdciRun.objects.filter(pk=run_id).update(started_at=timezone.now(), progress=5)
    run = CdciRun.objects.select_related("campaign").get(pk=run_id)
    options = RunOptions.from_settings(run.settings)
    reported = {"progress": 5}

    def report(percent: int) -> None:
        # A few writes, not one per unit: the page polls every second or two. Each is a heartbeat too.
        if percent >= reported["progress"] + 5 or percent == 100:
            if not jobs.beat(CdciRun, run_id, percent):
                raise _Cancelled
            reported["progress"] = percent

    try:
        inputs = load_inputs(run.campaign, options)
        report(PROGRESS_LOADED)

        def bootstrap_progress(share: float) -> None:
            report(PROGRESS_POINT + int((PROGRESS_BOOTSTRAP_END - PROGRESS_POINT) * share))

        result = compute(inputs, options, progress=bootstrap_progress)
        payload = result_to_json(result, inputs, options)
        for name, value in asdict(options).items():  # every method setting travels with the result
            payload["settings"].setdefault(name, value)
        with transaction.atomic():
            if jobs.finish(
                CdciRun, run_id, result=payload, settings=payload["settings"], input_checksum=inputs.checksum
            ):
                audit.record(
                    None, "cdci.run_done", run, {"input_checksum": inputs.checksum, "units": len(payload["units"])}
                )
    except _Cancelled:
        pass
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task retries, or the sweeper sends the run again
    except Exception as exc:  # a run must end in a state the page can show, whatever went wrong
        logger.exception("CDCI run %s failed", run_id)
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        _fail(run, message)
    return CdciRun.objects.get(pk=run_id)


def cancel_run(run: CdciRun, *, actor: User | None) -> bool:
    """Department staff stop a queued or running computation (audited); a new one may then start."""
    _require_staff(actor, run.campaign.department_id)
    with transaction.atomic():
        cancelled = jobs.cancel(CdciRun, run.pk)
        if cancelled:
            audit.record(actor, "cdci.run_cancelled", run, {})
    return cancelled


def compute_now(campaign: Campaign, *, actor: User | None, options: RunOptions | None = None) -> CdciRun:
    """Start a run and compute it in this process (management command, demo), whatever the broker."""
    run = start_run(campaign, actor=actor, options=options)
    return execute_run(run.pk) or CdciRun.objects.get(pk=run.pk)


# --- publication ----------------------------------------------------------------------------------------------


def draft_of(campaign: Campaign) -> CdciRun | None:
    """The campaign's draft: its latest finished run."""
    return CdciRun.objects.filter(campaign=campaign, status=JobStatus.DONE).order_by("-finished_at", "-pk").first()


def questionnaire_version(campaign: Campaign) -> str:
    """SHA-256 of the questionnaire as scored: components (code, names, weight) and questions (code,
    component, direction, kind, text)."""
    return sha256_of(
        {
            "components": [
                [row[0], row[1], row[2], str(row[3])]
                for row in campaign.components.order_by("position").values_list("code", "name_vi", "name_en", "weight")
            ],
            "questions": list(
                map(
                    list,
                    Question.objects.filter(campaign=campaign)
                    .order_by("component__position", "position")
                    .values_list("code", "component__code", "direction", "kind", "text_vi"),
                )
            ),
        }
    )


def publish_draft(
    run: CdciRun,
    *,
    actor: User | None,
    note: str,
    reason: str = "",
    confirmed: bool = False,
    despite_warnings: bool = False,
) -> CdciPublication:
    """Freeze a draft into the next version of the campaign's publication.

    The publisher confirms having read the checklist (publication_checklist); a draft with fewer than
    MIN_RANKABLE_UNITS rankable units is refused, one with warnings (units below the minimum, intervals
    without a passed coverage study) needs `despite_warnings`. The draft must be the campaign's latest
    finished run and its inputs unchanged since it was computed (an assessment edited since needs a new
    computation). A second or later version needs a reason.
    """
    campaign = run.campaign
    _require_staff(actor, campaign.department_id)
    note, reason = (note or "").strip(), (reason or "").strip()
    if not note:
        raise ValidationError({"note": _("Write a note to go with the publication.")})
    if not confirmed:
        raise ValidationError({"confirmed": _("Confirm that you have read the checklist before publishing.")})
    checklist = publication_checklist(run)
    if checklist.blocking:
        raise ValidationError(checklist.blocking)
    if checklist.warnings and not despite_warnings:
        raise ValidationError(
            [
                _("This campaign is under-sampled: confirm that you publish it despite the warnings."),
                *checklist.warnings,
            ]
        )
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        run = CdciRun.objects.get(pk=run.pk)
        if run.status != JobStatus.DONE or run.pk != getattr(draft_of(campaign), "pk", None):
            raise ValidationError(_("Only the campaign's latest finished computation can be published."))
        if run.publications.exists():
            raise ValidationError(
                _("This draft is already published; compute the campaign again to publish a new version.")
            )
        current = load_inputs(campaign, RunOptions.from_settings(run.settings))
        if current.checksum != run.input_checksum:
            raise ValidationError(
                _("The answers, assessments or earlier results changed since this draft was computed: compute again.")
            )
        last = CdciPublication.objects.filter(campaign=campaign).order_by("-version").first()
        version = 1 if last is None else last.version + 1
        if version > 1 and not reason:
            raise ValidationError({"reason": _("Publishing again makes a new version: state the reason.")})
        assert run.result is not None  # a draft is a finished run
        snapshot = {
            **run.result,
            "campaign": {
                "id": campaign.pk,
                "year": campaign.year,
                "title": campaign.title,
                "department_code": campaign.department.code,
                "department_name": campaign.department.name,
            },
            "version": version,
            "note": note,
            "reason": reason,
            "run_id": run.pk,
            "input_checksum": run.input_checksum,
            "questionnaire_version": questionnaire_version(campaign),
        }
        publication = CdciPublication.objects.create(
            campaign=campaign,
            run=run,
            version=version,
            note=note,
            reason=reason,
            snapshot=snapshot,
            questionnaire_version=snapshot["questionnaire_version"],
            checksum=sha256_of(snapshot),
            published_by=actor,
        )
        audit.record(
            actor,
            "cdci.published",
            publication,
            {
                "campaign": campaign.pk,
                "version": version,
                "checksum": publication.checksum,
                "reason": reason,
                "warnings_accepted": [str(warning) for warning in checklist.warnings],
            },
        )
    return publication


# --- before publishing: the checklist ----------------------------------------------------------------------

MIN_RANKABLE_UNITS = 3  # below this a ranking says nothing a reader could defend


@dataclass
class PublicationChecklist:
    """What staff must see before publishing a draft. `blocking` stops publication; `warnings` need the
    publisher to confirm they publish despite them."""

    invited: int
    responded: int
    rankable: int
    not_enough: list[str]
    suppressed: list[dict]
    left_out: list[dict]
    coverage: dict | None
    method_changes: list[dict]
    last_year: int | None
    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None

    @property
    def response_percent(self) -> float | None:
        rate = self.response_rate
        return None if rate is None else 100 * rate

    @property
    def suppressed_labels(self) -> list[str]:
        """The suppressed cells in words: "MC: question C1.2", "HG: segment out_of_province"."""
        labels = []
        for item in self.suppressed:
            kind, _sep, name = item["cell"].partition(":")
            if kind == "question":
                what = _("question %(code)s") % {"code": name}
            elif kind == "segment":
                what = _("segment %(segment)s") % {"segment": name}
            else:
                what = _("every figure of the unit")
            labels.append(f"{item['unit']}: {what}")
        return labels

    @property
    def left_out_labels(self) -> list[str]:
        """The questions left out of a unit's scores in words: "MC: C1.2 (3 answers)"."""
        return [
            _("%(unit)s: %(question)s (%(answers)s answers)")
            % {"unit": item["unit"], "question": item["question"], "answers": item["answers"]}
            for item in self.left_out
        ]

    @property
    def coverage_passed(self) -> bool:
        return bool(self.coverage and self.coverage.get("passed"))


def publication_checklist(run: CdciRun) -> PublicationChecklist:
    """The checklist of a draft: response rate, units below the minimum, cells suppressed in public,
    whether the intervals passed the coverage study, and the method settings changed since the
    department's last published year."""
    campaign = run.campaign
    result = run.result or {}
    invitations = campaign.invitations.all()
    earlier = latest_publications(campaign.department_id, before_year=campaign.year, limit=1)
    settings = result.get("settings", {})
    changes = []
    if earlier:
        before = earlier[0].snapshot.get("settings", {})
        for name in RunOptions.__dataclass_fields__:
            if name in settings and before.get(name) != settings.get(name):
                changes.append({"name": name, "before": before.get(name), "after": settings.get(name)})
    checklist = PublicationChecklist(
        invited=invitations.count(),
        responded=invitations.filter(submitted_at__isnull=False).count(),
        rankable=len(result.get("units", [])),
        not_enough=[unit["name"] for unit in result.get("not_enough_units", [])],
        suppressed=suppress(result)[1],
        left_out=(result.get("flags") or {}).get("left_out", []),
        coverage=result.get("coverage"),
        method_changes=changes,
        last_year=earlier[0].campaign.year if earlier else None,
    )
    if checklist.rankable < MIN_RANKABLE_UNITS:
        checklist.blocking.append(
            _("Only %(count)s units have enough responses to be ranked; a ranking needs at least %(minimum)s.")
            % {"count": checklist.rankable, "minimum": MIN_RANKABLE_UNITS}
        )
    if checklist.not_enough:
        checklist.warnings.append(
            _("%(count)s units have too few responses and will be listed without numbers: %(units)s.")
            % {"count": len(checklist.not_enough), "units": ", ".join(checklist.not_enough)}
        )
    if not checklist.coverage_passed:
        checklist.warnings.append(
            # xgettext:no-python-format
            _("The intervals of this method have not passed the coverage study: they will not be called 95% intervals.")
        )
    return checklist


# --- undoing an early close ----------------------------------------------------------------------------------


def reopen_campaign(campaign: Campaign, *, actor: User | None, reason: str = "") -> Campaign:
    """Undo the close of a campaign closed before its end date, as long as no computation has started
    (after that the answers are the ones the draft was computed from). Audited."""
    _require_staff(actor, campaign.department_id)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.CLOSED:
            raise ValidationError(_("Only a closed campaign can be reopened."))
        if timezone.localdate() > campaign.close_on:
            raise ValidationError(_("The campaign's end date has passed: it cannot be reopened."))
        if CdciRun.objects.filter(campaign=campaign).exists():
            raise ValidationError(_("A computation of this campaign has started: it can no longer be reopened."))
        campaign.status = CampaignStatus.OPEN
        campaign.save(update_fields=["status"])
        audit.record(
            actor,
            "survey.campaign_reopened",
            campaign,
            {"status": [CampaignStatus.CLOSED, CampaignStatus.OPEN], "reason": (reason or "").strip()},
        )
    return campaign


def can_reopen(campaign: Campaign) -> bool:
    """Whether the campaign page may offer to undo the close (reopen_campaign decides for good)."""
    return (
        campaign.status == CampaignStatus.CLOSED
        and timezone.localdate() <= campaign.close_on
        and not CdciRun.objects.filter(campaign=campaign).exists()
    )
