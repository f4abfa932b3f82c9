"""What the dashboards show, built from figures: the headline cards, the tables (each also a CSV and a
sheet of the page's workbook) and the charts. No request and no query here: the views fetch, these shape."""

import datetime

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from feedback.choices import Channel, Level

from ..exports import tables as exports
from ..exports.tables import DAYS, INT, MEAN, RATE, Column, Table
from ..measures import Figures, Period, not_enough_ratings_label
from ..models import UnitKind
from .forms import period_label

BEST_AND_WORST = 3
GROWING_DAYS = 30


def signed(value: float, digits: int) -> str:
    text = formats.number_format(abs(value), digits, use_l10n=True, force_grouping=True)
    if round(value, digits) == 0:
        return "±" + text
    return ("+" if value > 0 else "−") + text


def card(label: str, kind: str, now, before, *, better: int = 0, missing: str = "–") -> dict:
    """A headline figure with its change on the previous period. `better`: +1 when up is good, -1 when
    down is good, 0 when neither (counts)."""
    card = {"label": label, "value": exports.display(now, kind) if now is not None else missing}
    if now is None or before is None or isinstance(now, str) or isinstance(before, str):
        card["change"] = ""
        card["tone"] = ""
        card["previous"] = exports.display(before, kind) if before is not None else missing
        return card
    diff = now - before
    if kind == RATE:
        change = _("%(change)s points") % {"change": signed(100 * diff, 1)}
    elif kind == MEAN:
        change = signed(diff, 2)
    elif kind == DAYS:
        change = signed(diff, 1)
    else:
        change = signed(diff, 0)
    card["change"] = change
    card["previous"] = exports.display(before, kind)
    card["tone"] = "" if better == 0 or abs(diff) < 1e-9 else ("good" if diff * better > 0 else "bad")
    return card


def adjusted(figures: Figures):
    return figures.channel_adjusted.adjusted if figures.channel_adjusted else None


def cards(current: Figures, previous: Figures) -> list[dict]:
    missing = not_enough_ratings_label() if not current.enough_ratings else "–"
    cards = [
        card(_("Ratings"), INT, current.ratings, previous.ratings),
        card(
            _("Satisfaction rate"),
            RATE,
            current.satisfaction_rate,
            previous.satisfaction_rate,
            better=1,
            missing=missing,
        ),
        card(
            _("Dissatisfaction rate"),
            RATE,
            current.dissatisfaction_rate,
            previous.dissatisfaction_rate,
            better=-1,
            missing=missing,
        ),
        card(_("Mean level"), MEAN, current.mean_level, previous.mean_level, better=1, missing=missing),
        card(
            _("Channel-adjusted satisfaction"), RATE, adjusted(current), adjusted(previous), better=1, missing=missing
        ),
        card(_("Coverage"), RATE, current.coverage, previous.coverage, better=1),
    ]
    if current.unit_kind != UnitKind.OFFICER:
        cards.append(card(_("Participation"), RATE, current.participation, previous.participation, better=1))
    if current.cases is not None:
        now, before = current.cases, previous.cases
        cards += [
            card(_("Cases opened"), INT, now.opened, before.opened if before else None),
            card(
                _("Answered on time"), INT, now.answered_on_time, before.answered_on_time if before else None, better=1
            ),
            card(_("Overdue"), INT, now.overdue, before.overdue if before else None, better=-1),
            card(
                _("Median working days to answer"),
                DAYS,
                now.median_days_to_answer,
                before.median_days_to_answer if before else None,
                better=-1,
            ),
            card(
                _("Repeat dissatisfaction"),
                RATE,
                now.repeat_dissatisfaction_rate,
                before.repeat_dissatisfaction_rate if before else None,
                better=-1,
                missing=too_few_handling_ratings_label(),
            ),
        ]
    return cards


def month_label(figures: Figures) -> str:
    return f"{figures.month:%m/%Y}"


def rate_or_label(figures: Figures, value):
    return value if figures.enough_ratings else not_enough_ratings_label()


def trend_table(trend: list[Figures]) -> Table:
    table = Table(
        "trend",
        _("Monthly trend"),
        [
            Column(_("Month")),
            Column(_("Ratings"), INT),
            Column(_("Satisfaction rate"), RATE),
            Column(_("Channel-adjusted satisfaction"), RATE),
            Column(_("Dissatisfaction rate"), RATE),
            Column(_("Mean level"), MEAN),
            Column(_("Coverage"), RATE),
        ],
    )
    for month in trend:
        table.rows.append(
            [
                month_label(month),
                month.ratings,
                month.satisfaction_rate,
                adjusted(month),
                month.dissatisfaction_rate,
                month.mean_level,
                month.coverage,
            ]
        )
    return table


def units_table(name: str, title: str, unit_label: str, units: list[Figures], link) -> Table:
    """Units side by side, ranked by channel-adjusted satisfaction (units without enough ratings last)."""
    table = Table(
        name,
        title,
        [
            Column(_("Rank"), INT),
            Column(unit_label),
            Column(_("Ratings"), INT),
            Column(_("Satisfaction rate"), RATE),
            Column(_("Channel-adjusted satisfaction"), RATE),
            Column(_("Dissatisfaction rate"), RATE),
            Column(_("Mean level"), MEAN),
            Column(_("Coverage"), RATE),
            Column(_("Participation"), RATE),
        ],
    )
    for unit in units:
        table.rows.append(
            [
                unit.rank,
                unit.unit_name,
                unit.ratings,
                rate_or_label(unit, unit.satisfaction_rate),
                rate_or_label(unit, adjusted(unit)),
                rate_or_label(unit, unit.dissatisfaction_rate),
                rate_or_label(unit, unit.mean_level),
                unit.coverage,
                unit.participation,
            ]
        )
        table.links.append(link(unit) if link else None)
    # The rank column has no link: move links to the name (second column) in the template.
    return table


def summary_table(unit_label: str, current: Figures, previous: Figures) -> Table:
    table = units_table("summary", _("Totals"), _("Period"), [], None)
    table.columns[0] = Column(unit_label)
    for figures in (current, previous):
        row = units_table("x", "", "", [figures], None).rows[0]
        row[0] = figures.unit_name
        row[1] = period_label(figures.period)
        table.rows.append(row)
    return table


def levels_table(current: Figures) -> Table:
    table = Table(
        "levels", _("Level distribution"), [Column(_("Level")), Column(_("Ratings"), INT), Column(_("Share"), RATE)]
    )
    counts = current.level_counts or {}
    shares = current.level_shares or {}
    for level in sorted(Level, reverse=True):
        table.rows.append(
            [f"{level.value} · {level.label}", counts.get(level.value) if counts else None, shares.get(level.value)]
        )
    return table


def cases_table(trend: list[Figures]) -> Table:
    table = Table(
        "cases",
        _("Case deadlines met"),
        [
            Column(_("Month of opening")),
            Column(_("Cases opened"), INT),
            Column(_("Answered on time"), INT),
            Column(_("Overdue"), INT),
            Column(_("Median working days to answer"), DAYS),
            Column(_("Handling rated"), INT),
            Column(_("Handling rated 1-2"), INT),
            Column(_("Repeat dissatisfaction"), RATE),
        ],
    )
    for month in trend:
        cases = month.cases
        table.rows.append(
            [
                month_label(month),
                cases.opened if cases else 0,
                cases.answered_on_time if cases else 0,
                cases.overdue if cases else 0,
                cases.median_days_to_answer if cases else None,
                # Below the minimum the counts would name the few businesses: blank, like the rate.
                _shown_count(cases, cases.handling_rated if cases else 0),
                _shown_count(cases, cases.handling_dissatisfied if cases else 0),
                cases.repeat_dissatisfaction_rate if cases else None,
            ]
        )
    return table


def _shown_count(cases, count: int):
    return count if cases is not None and cases.repeat_dissatisfaction_rate is not None else None


def too_few_handling_ratings_label() -> str:
    return _("fewer than %(count)s ratings") % {"count": settings.MIN_HANDLING_RATINGS}


def comments_table(rows) -> Table:
    """Recent comments: date, declaration, level, comment. No business identity."""
    table = Table(
        "comments",
        _("Recent comments"),
        [
            Column(_("Rated at"), exports.DATETIME_KIND),
            Column(_("Declaration")),
            Column(_("Level"), INT),
            Column(_("Comment")),
        ],
    )
    table.rows = [list(row) for row in rows]
    return table


def charts(trend: Table, units: list[Figures] | None, current: Figures, cases: Table | None) -> dict:
    """The data island the charts are drawn from (the tables hold the same figures)."""
    data = {
        "trend": {
            "labels": [row[0] for row in trend.rows],
            "ratings": [row[1] for row in trend.rows],
            "satisfaction": [row[2] for row in trend.rows],
            "adjusted": [row[3] for row in trend.rows],
        },
        "levels": {
            "labels": [str(level.label) for level in sorted(Level, reverse=True)],
            "counts": [(current.level_counts or {}).get(level.value) for level in sorted(Level, reverse=True)],
        },
        "series": {
            "ratings": _("Ratings"),
            "satisfaction": _("Satisfaction rate"),
            "adjusted": _("Channel-adjusted satisfaction"),
            "on_time": _("Answered on time"),
            "overdue": _("Overdue"),
            "opened": _("Cases opened"),
        },
    }
    if cases is not None:
        data["cases"] = {
            "opened": [row[1] for row in cases.rows],
            "on_time": [row[2] for row in cases.rows],
            "overdue": [row[3] for row in cases.rows],
        }
    if units is not None:
        ranked = [unit for unit in units if unit.channel_adjusted is not None]
        data["units"] = {
            "labels": [unit.unit_name for unit in ranked],
            "adjusted": [unit.channel_adjusted.adjusted for unit in ranked if unit.channel_adjusted is not None],
            "satisfaction": [unit.satisfaction_rate for unit in ranked],
            "ratings": [unit.ratings for unit in ranked],
        }
    return data


def growing_note(period: Period) -> str:
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    if period.last < last_month:
        return ""
    return _(
        "Figures of the current and the previous month are still growing: a business can rate a "
        "declaration for %(days)s days after clearance."
    ) % {"days": GROWING_DAYS}


def subtitle(name: str, period: Period, channel: str | None) -> str:
    channel_text = str(dict(Channel.choices)[channel]) if channel else _("All channels")
    return _("%(unit)s · %(period)s · %(channel)s · printed on %(date)s") % {
        "unit": name,
        "period": period_label(period),
        "channel": channel_text,
        "date": formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT"),
    }


def best_and_worst(officers: list[Figures]):
    ranked = [officer for officer in officers if officer.rank is not None]
    size = min(BEST_AND_WORST, max(1, len(ranked) // 2)) if ranked else 0
    best = ranked[:size]
    worst = list(reversed(ranked[-size:])) if len(ranked) > 1 else []
    return best, worst, [officer for officer in officers if officer.rank is None]


def officer_item(officer: Figures, link: str | None) -> dict:
    return {
        "name": officer.unit_name,
        "link": link,
        "rate": exports.display(adjusted(officer), RATE),
        "ratings": officer.ratings,
    }


def officer_lists(officers: list[Figures], link) -> dict:
    """The best and lowest rated officers of a branch or team, and those with too few ratings to rank."""
    best, worst, too_few = best_and_worst(officers)
    return {
        "best": [officer_item(officer, link(officer)) for officer in best],
        "worst": [officer_item(officer, link(officer)) for officer in worst],
        "too_few": too_few,
        "not_enough": not_enough_ratings_label(),
    }
