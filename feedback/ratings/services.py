"""State changes of ratings: submit one, correct one, remind businesses of the ones still to send.

Every function is one transaction; views, the API, the admin and tasks call these and nothing else.
Whether a declaration can still be rated is feedback.ratings.window's.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import clock
from core.compiled import CompiledQuery
from directory import audit, outbox
from directory.choices import Role
from directory.models import BusinessMembership, Officer, User
from directory.permissions import has_role

from ..cases.services import open_case
from ..choices import DISSATISFIED_LEVELS, Level, Reason, SubmissionChannel
from ..models import Declaration, DeclarationOfficer, Rating, RatingCorrection, RatingLink, RatingOfficer
from .inserts import insert_rating_with_officers
from .link_tokens import link_url, new_link
from .window import open_for_rating_q, rating_window

_comment_max_length = Rating._meta.get_field("comment").max_length
assert _comment_max_length is not None  # the comment is a CharField
COMMENT_MAX_LENGTH: int = _comment_max_length
# How many declaration numbers the daily digest lists before "and N more".
REMINDER_NUMBERS_SHOWN = 5
REMINDER_KIND = "rating_reminder"


class AlreadyRated(Exception):
    """The declaration has a rating already: a rating is sent once and never replaced."""

    def __init__(self, declaration: Declaration):
        super().__init__(f"declaration {declaration.number} is already rated")
        self.declaration = declaration


def submit_rating(
    declaration: Declaration,
    user: User,
    *,
    channel: str,
    branch_level: int,
    team_level: int | None = None,
    officers: Iterable[Mapping[str, Any]] = (),
    comment: str = "",
    branch_reasons: Iterable[str] = (),
    team_reasons: Iterable[str] = (),
) -> Rating:
    """Store `user`'s rating of `declaration`, with one entry per officer as {"code", "level", "reasons"}.

    Raises PermissionDenied if the user does not act for the declaration's business, AlreadyRated if
    it has a rating (also when another request wins a race), ValidationError keyed by field (messages
    in the active language) for anything else; nothing is written unless everything is valid.
    Reasons are accepted only with level 1 or 2: with a higher level they would be a contradiction.
    """
    _check_may_rate(user, declaration)
    if Rating.objects.filter(declaration_id=declaration.pk).exists():
        raise AlreadyRated(declaration)
    return _store_rating(
        declaration,
        None,
        user,
        channel=channel,
        branch_level=branch_level,
        team_level=team_level,
        officers=officers,
        comment=comment,
        branch_reasons=branch_reasons,
        team_reasons=team_reasons,
    ).rating


# --- the same in fewer round trips, for the API (bench/rating_api.py) --------------------------------
@dataclass(frozen=True)
class OfficerLink:
    """An officer who handled the declaration (code and name loaded) and their team that day."""

    officer: Officer
    team_id: int | None


@dataclass(frozen=True)
class RatingTarget:
    """A declaration as `load_rating_target` read it for one user: in that user's scope by construction."""

    declaration: Declaration
    user_id: int
    rated: bool
    # Upper-cased officer code -> the first link of that officer (by link id), as _check_officers wants.
    links: dict[str, OfficerLink]


@dataclass(frozen=True)
class StoredRating:
    """What was written: the rating and its officer rows, each with its officer (code and name) attached."""

    rating: Rating
    officers: list[RatingOfficer]


_TARGET_FIELDS = ("id", "number", "business_id", "branch_id", "team_id", "cleared_at")
# In Declaration's field order, as Model.from_db wants them.
_TARGET_ATTNAMES = [f.attname for f in Declaration._meta.concrete_fields if f.attname in _TARGET_FIELDS]
_OFFICER_ATTNAMES = ["id", "code", "full_name"]


def load_rating_target(user: User, number: str) -> RatingTarget:
    """The declaration `number` among those `user` may see, whether it is rated, and its officers: one query.

    The scoping join of `Declaration.objects.for_user` is the membership check; the LEFT JOINs bring the
    existing rating's id and one row per officer link. Raises Declaration.DoesNotExist for a number that
    does not exist or lies outside the user's scope (the caller answers both alike).
    """
    if user.role == Role.BUSINESS and user.is_active and not user.is_administrator:
        # The API's caller: the business user's query, compiled once per process (core.compiled).
        rows = _business_target_query().rows({_STAND_IN_USER: user.pk, _STAND_IN_NUMBER: number})
    else:
        rows = list(_target_rows(Declaration.objects.for_user(user).filter(number=number)))
    if not rows:
        raise Declaration.DoesNotExist(f"no declaration {number} for user {user.pk}")
    width = len(_TARGET_ATTNAMES)
    declaration = Declaration.from_db(Declaration.objects.db, _TARGET_ATTNAMES, rows[0][:width])
    links: dict[str, OfficerLink] = {}
    link_rows = sorted(row[width + 1 :] for row in rows if row[width + 1] is not None)
    for _link_id, officer_id, code, full_name, team_id in link_rows:
        if code.upper() not in links:
            officer = Officer.from_db(Declaration.objects.db, _OFFICER_ATTNAMES, (officer_id, code, full_name))
            links[code.upper()] = OfficerLink(officer, team_id)
    return RatingTarget(declaration, user.pk, rows[0][width] is not None, links)


def _target_rows(declarations):
    """The declaration's fields, its rating's id and one row per officer link. Unordered: an ORDER BY costs
    more Python to compile than sorting these few rows by link id."""
    return declarations.order_by().values_list(
        *_TARGET_ATTNAMES,
        "rating__id",
        "officer_links__id",
        "officer_links__officer_id",
        "officer_links__officer__code",
        "officer_links__officer__full_name",
        "officer_links__team_id",
    )


# Values no row has, compiled into the business user's query in place of the user's id and the number.
_STAND_IN_USER = -2_000_000_003
_STAND_IN_NUMBER = "(stand-in number)"  # longer than any declaration number


@functools.cache
def _business_target_query() -> CompiledQuery:
    """A business user's `load_rating_target` query, scoped by Declaration.objects.for_user (the one rule),
    compiled once: building it through the scope's joins cost ~5,500 profiler events a rating."""
    stand_in = User(pk=_STAND_IN_USER, role=Role.BUSINESS, is_active=True)
    declarations = Declaration.objects.for_user(stand_in).filter(number=_STAND_IN_NUMBER)
    return CompiledQuery.of(_target_rows(declarations), _STAND_IN_USER, _STAND_IN_NUMBER)


def submit_target_rating(
    target: RatingTarget,
    user: User,
    *,
    channel: str,
    branch_level: int,
    team_level: int | None = None,
    officers: Iterable[Mapping[str, Any]] = (),
    comment: str = "",
    branch_reasons: Iterable[str] = (),
    team_reasons: Iterable[str] = (),
) -> StoredRating:
    """`submit_rating` for a declaration read by `load_rating_target`: the same rules, errors and writes,
    without reading again what the target holds (scope, existing rating, officers). Returns what was
    stored, so an answer can be built without reading it back.
    """
    if target.user_id != user.pk:  # a target read for someone else proves nothing about this user
        _check_may_rate(user, target.declaration)
        target = RatingTarget(target.declaration, user.pk, target.rated, target.links)
    elif not has_role(user, Role.BUSINESS):
        raise PermissionDenied(_("Only the business that made a declaration can rate it."))
    if target.rated:
        raise AlreadyRated(target.declaration)
    return _store_rating(
        target.declaration,
        target.links,
        user,
        channel=channel,
        branch_level=branch_level,
        team_level=team_level,
        officers=officers,
        comment=comment,
        branch_reasons=branch_reasons,
        team_reasons=team_reasons,
    )


def _store_rating(
    declaration: Declaration,
    links: Mapping[str, OfficerLink] | None,
    user: User,
    *,
    channel: str,
    branch_level,
    team_level,
    officers,
    comment,
    branch_reasons,
    team_reasons,
) -> StoredRating:
    """Check every field (all errors at once) and write the rating and its officer rows in one transaction."""
    errors: dict[str, list[str]] = defaultdict(list)
    _check_rateable(declaration, errors)
    if channel not in SubmissionChannel.values:
        errors["channel"].append(_("Unknown channel of submission."))
    branch_level = _check_level(branch_level, "branch_level", errors, required=True)
    team_level = _check_level(team_level, "team_level", errors, required=False)
    if team_level is not None and declaration.team_id is None:
        errors["team_level"].append(_("This declaration has no team to rate."))
    branch_reasons = _check_reasons(branch_reasons, branch_level, "branch_reasons", errors)
    team_reasons = _check_reasons(team_reasons, team_level, "team_reasons", errors)
    officer_rows = _check_officers(declaration, officers, errors, links)
    comment = _check_comment(comment, errors)
    if errors:
        raise ValidationError(dict(errors))

    levels = [branch_level, team_level, *(row.level for row in officer_rows)]
    rating = Rating(
        declaration=declaration,
        business_id=declaration.business_id,
        submitted_by=user,
        submitted_via=channel,
        branch_id=declaration.branch_id,
        team_id=declaration.team_id,
        branch_level=branch_level,
        team_level=team_level,
        branch_reasons=branch_reasons,
        team_reasons=team_reasons,
        comment=comment,
        is_dissatisfied=any(level in DISSATISFIED_LEVELS for level in levels if level is not None),
        created_at=clock.now(),
    )
    for row in officer_rows:
        row.rating = rating
    try:
        # The UNIQUE constraint on the declaration decides between concurrent submissions: the loser's
        # INSERT waits for the winner's commit, fails, and only its own block (a savepoint if nested) rolls
        # back. On PostgreSQL the rating and its officer rows are one statement (feedback.ratings.inserts):
        # outside a transaction (the API: ATOMIC_REQUESTS is off) a satisfied rating needs no BEGIN and
        # COMMIT; a dissatisfied one opens its case in the same transaction.
        if connection.vendor != "postgresql":
            with transaction.atomic():
                rating.save(force_insert=True)
                RatingOfficer.objects.bulk_create(officer_rows)
                if rating.is_dissatisfied:
                    on_dissatisfied_rating(rating, officer_rows)
        elif rating.is_dissatisfied:
            with transaction.atomic():
                insert_rating_with_officers(rating, officer_rows, savepoint=False)
                on_dissatisfied_rating(rating, officer_rows)
        else:
            insert_rating_with_officers(rating, officer_rows)
    except IntegrityError:
        if Rating.objects.filter(declaration_id=declaration.pk).exists():
            raise AlreadyRated(declaration)
        raise
    # No AuditEvent: the rating row itself records who sent what, when and how, and is immutable.
    return StoredRating(rating, officer_rows)


def on_dissatisfied_rating(rating: Rating, officer_rows: list[RatingOfficer] | None = None) -> None:
    """Open the DissatisfactionCase of `rating` (feedback.cases.services.open_case); `officer_rows` are its
    officer rows when they were just written (officers attached), so they are not read again.

    Called inside the transaction that stores (or corrects into) a dissatisfied rating, so a complaint
    can never be lost between two writes: if opening the case fails, the rating is not stored either.
    """
    open_case(rating, officer_rows=officer_rows)


def _check_may_rate(user: User, declaration: Declaration) -> None:
    # Only the business (or an administrator entering a paper form) rates; customs staff never do.
    if not has_role(user, Role.BUSINESS):
        raise PermissionDenied(_("Only the business that made a declaration can rate it."))
    if not user.is_administrator and not Declaration.objects.for_user(user).filter(pk=declaration.pk).exists():
        raise PermissionDenied(_("You do not act for the business of this declaration."))


def _check_rateable(declaration: Declaration, errors: dict[str, list[str]]) -> None:
    window = rating_window(declaration)
    if not window.is_open:
        errors["declaration"].append(window.refusal())


def _check_level(value, field: str, errors: dict[str, list[str]], *, required: bool) -> int | None:
    if value is None:
        if required:
            errors[field].append(_("Choose a level from 1 to 5."))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in Level.values:
        errors[field].append(_("A level is a whole number from 1 (very dissatisfied) to 5 (very satisfied)."))
        return None
    return value


def _check_reasons(values, level: int | None, field: str, errors: dict[str, list[str]]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        errors[field].append(_("Reasons must be a list."))
        return []
    reasons = list(dict.fromkeys(values))  # drop repeats, keep the order given
    unknown = [str(reason) for reason in reasons if reason not in Reason.values]
    if unknown:
        errors[field].append(
            _("Unknown reason %(reasons)s; choose among %(choices)s.")
            % {"reasons": ", ".join(unknown), "choices": ", ".join(Reason.values)}
        )
    elif reasons and (level is None or level not in DISSATISFIED_LEVELS):
        errors[field].append(_("Reasons are given only with level 1 or 2."))
    return reasons


def _check_comment(comment, errors: dict[str, list[str]]) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        errors["comment"].append(_("The comment must be text."))
        return ""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"].append(
            _("The comment has %(length)s characters; at most %(max)s are allowed.")
            % {"length": len(comment), "max": COMMENT_MAX_LENGTH}
        )
    return comment


def _check_officers(
    declaration: Declaration,
    officers,
    errors: dict[str, list[str]],
    links: Mapping[str, OfficerLink] | None = None,
) -> list[RatingOfficer]:
    if isinstance(officers, str | Mapping) or not isinstance(officers, Iterable):
        errors["officers"].append(_("Officers must be a list of {code, level, reasons}."))
        return []
    officers = list(officers)
    if links is None:
        links = {}
        # An officer may have handled several stages; the first link gives the team of that day.
        if officers:
            for officer_link in (
                DeclarationOfficer.objects.filter(declaration=declaration).select_related("officer").order_by("id")
            ):
                links.setdefault(
                    officer_link.officer.code.upper(), OfficerLink(officer_link.officer, officer_link.team_id)
                )
    rows: list[RatingOfficer] = []
    seen: set[str] = set()
    for index, entry in enumerate(officers):
        prefix = f"officers[{index}]"
        if not isinstance(entry, Mapping):
            errors[prefix].append(_("Each officer needs a code and a level."))
            continue
        code = str(entry.get("code") or "").strip().upper()
        link = links.get(code)
        if not code:
            errors[f"{prefix}.code"].append(_("The officer code is required."))
        elif link is None:
            errors[f"{prefix}.code"].append(
                _("Officer %(code)s did not handle this declaration.") % {"code": entry.get("code")}
            )
        elif code in seen:
            errors[f"{prefix}.code"].append(_("Officer %(code)s is rated twice.") % {"code": entry.get("code")})
        seen.add(code)
        level = _check_level(entry.get("level"), f"{prefix}.level", errors, required=True)
        reasons = _check_reasons(entry.get("reasons") or (), level, f"{prefix}.reasons", errors)
        if link is not None and level is not None:
            rows.append(RatingOfficer(officer=link.officer, team_id=link.team_id, level=level, reasons=reasons))
    return rows


UNCHANGED: Any = object()


def correct_rating(
    rating: Rating,
    *,
    actor: User,
    reason: str,
    branch_level: int | None = UNCHANGED,
    team_level: int | None = UNCHANGED,
    comment: str = UNCHANGED,
    officer_levels: Mapping[str, int] | None = None,
) -> Rating:
    """An administrator's correction of a sent rating (e.g. a level chosen by mistake, an abusive comment).

    The old and new values go into a RatingCorrection and the audit trail; a level raised to 3 or more
    drops the reasons that went with it. `officer_levels` maps officer codes to their corrected level.
    """
    if not (actor and actor.is_active and actor.is_administrator):
        raise PermissionDenied(_("Only an administrator can correct a rating."))
    errors: dict[str, list[str]] = defaultdict(list)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"].append(_("Say why the rating is corrected."))

    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        officer_rows = {row.officer.code.upper(): row for row in rating.officer_ratings.select_related("officer")}
        changes: dict[str, list] = {}
        values: dict[str, Any] = {}
        if branch_level is not UNCHANGED:
            new = _check_level(branch_level, "branch_level", errors, required=True)
            if new is not None and new != rating.branch_level:
                changes["branch_level"] = [rating.branch_level, new]
                values["branch_level"] = new
                if new not in DISSATISFIED_LEVELS and rating.branch_reasons:
                    changes["branch_reasons"] = [rating.branch_reasons, []]
                    values["branch_reasons"] = []
        if team_level is not UNCHANGED:
            new = _check_level(team_level, "team_level", errors, required=False)
            if new is not None and rating.team_id is None:
                errors["team_level"].append(_("This declaration has no team to rate."))
            elif "team_level" not in errors and new != rating.team_level:
                changes["team_level"] = [rating.team_level, new]
                values["team_level"] = new
                if new not in DISSATISFIED_LEVELS and rating.team_reasons:
                    changes["team_reasons"] = [rating.team_reasons, []]
                    values["team_reasons"] = []
        if comment is not UNCHANGED:
            new_comment = _check_comment(comment, errors)
            if new_comment != rating.comment:
                changes["comment"] = [rating.comment, new_comment]
                values["comment"] = new_comment
        officer_updates: list[RatingOfficer] = []
        for code, level in (officer_levels or {}).items():
            field = f"officers.{code}"
            row = officer_rows.get(str(code).strip().upper())
            if row is None:
                errors[field].append(_("Officer %(code)s is not part of this rating.") % {"code": code})
                continue
            new = _check_level(level, field, errors, required=True)
            if new is not None and new != row.level:
                changes[f"officer:{row.officer.code}"] = [row.level, new]
                row.level = new
                if new not in DISSATISFIED_LEVELS:
                    row.reasons = []
                officer_updates.append(row)
        if not errors and not changes:
            errors[NON_FIELD_ERRORS].append(_("The correction changes nothing."))
        if errors:
            raise ValidationError(dict(errors))

        levels = [
            values.get("branch_level", rating.branch_level),
            values.get("team_level", rating.team_level),
            *(row.level for row in officer_rows.values()),
        ]
        was_dissatisfied = rating.is_dissatisfied
        values["is_dissatisfied"] = any(level in DISSATISFIED_LEVELS for level in levels if level is not None)
        values["corrected_at"] = corrected_at = clock.now()
        # QuerySet.update, not save(): Rating.save() refuses changes so that this is the only way to make one.
        Rating.objects.filter(pk=rating.pk).update(**values)
        RatingOfficer.objects.bulk_update(officer_updates, ["level", "reasons"])
        RatingCorrection.objects.create(
            rating=rating, corrected_by=actor, reason=reason, changes=changes, created_at=corrected_at
        )
        audit.record(actor, "rating.corrected", rating, {**changes, "reason": reason})
        rating.refresh_from_db()
        if rating.is_dissatisfied and not was_dissatisfied:
            on_dissatisfied_rating(rating)
    return rating


def send_rating_reminders(*, now: datetime.datetime | None = None) -> int:
    """Queue today's digest of cleared, unrated declarations still inside the window, one per business
    user who has an e-mail and wants it. Returns how many digests were offered.

    Safe to run more than once a day: each digest carries a dedup key with the local date, and the
    outbox's UNIQUE constraint drops a second one.
    """
    now = now or clock.now()
    today = timezone.localdate(now)
    # One query, whatever the number of users: each eligible (user, pending declaration) pair, numbered
    # per user oldest first (they close first), with the user's total from a window COUNT; only the
    # first few rows per user come back.
    pairs = (
        BusinessMembership.objects.filter(
            open_for_rating_q(now, prefix="business__declarations__"),
            user__role=Role.BUSINESS,
            user__is_active=True,
            user__wants_rating_reminders=True,
        )
        .exclude(user__email="")
        .annotate(
            number=F("business__declarations__number"),
            cleared_at=F("business__declarations__cleared_at"),
            pending=Window(Count("business__declarations__id"), partition_by=[F("user_id")]),
            position=Window(
                RowNumber(),
                partition_by=[F("user_id")],
                order_by=[F("business__declarations__cleared_at").asc(), F("business__declarations__id").asc()],
            ),
        )
        .filter(position__lte=REMINDER_NUMBERS_SHOWN)
        .order_by("user_id", "position")
        .values_list(
            "user_id", "user__email", "user__language", "business__declarations__id", "number", "cleared_at", "pending"
        )
    )
    # The recipients come with the pairs (all the outbox needs of them), so the query count stays flat.
    digests: dict[int, dict] = {}
    for user_id, email, language, declaration_id, number, cleared_at, pending in pairs:
        digest = digests.setdefault(
            user_id, {"user": User(pk=user_id, email=email, language=language), "count": pending, "declarations": []}
        )
        digest["declarations"].append(Declaration(pk=declaration_id, number=number, cleared_at=cleared_at))
    if not digests:
        return 0
    drafts = []
    links: list[RatingLink] = []
    for user_id, digest in digests.items():
        user = digest["user"]
        # One one-click link per declaration listed, for this user. A digest the day's dedup key drops
        # leaves its links unsent: their secrets existed only in that body, so nobody can use them.
        listed = []
        for declaration in digest["declarations"]:
            link, token = new_link(declaration, user, now)
            links.append(link)
            listed.append((declaration.number, declaration.cleared_at, link_url(token)))
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = _reminder_text(digest["count"], listed)
        dedup_key = f"{REMINDER_KIND}:{user_id}:{today.isoformat()}"
        drafts.append(outbox.Draft(user, REMINDER_KIND, subject, body, dedup_key=dedup_key))
    with transaction.atomic():
        # No AuditEvent for these: the link rows record what was issued to whom and when, and the digest
        # that carries them is the outbox row; using a link is audited (feedback.ratings.links).
        RatingLink.objects.bulk_create(links, batch_size=1000)
        return outbox.enqueue_many(drafts)


def _reminder_text(count: int, declarations: list[tuple[str, datetime.datetime, str]]) -> tuple[str, str]:
    subject = ngettext(
        "%(count)s cleared declaration is waiting for your rating",
        "%(count)s cleared declarations are waiting for your rating",
        count,
    ) % {"count": count}
    lines = [
        _("Hello,"),
        "",
        ngettext(
            "These cleared declarations can still be rated, up to %(days)s day after clearance:",
            "These cleared declarations can still be rated, up to %(days)s days after clearance:",
            settings.RATING_WINDOW_DAYS,
        )
        % {"days": settings.RATING_WINDOW_DAYS},
        "",
    ]
    for number, cleared_at, url in declarations:
        cleared_on = formats.date_format(timezone.localtime(cleared_at), "SHORT_DATE_FORMAT")
        lines.append(_("- %(number)s, cleared on %(date)s") % {"number": number, "date": cleared_on})
        lines.append(_("  rate it in one click (no password needed, the link works once): %(url)s") % {"url": url})
    if count > len(declarations):
        more = count - len(declarations)
        lines.append(ngettext("… and %(more)s more.", "… and %(more)s more.", more) % {"more": more})
    lines += [
        "",
        _("Rate them here: %(url)s")
        % {"url": f"{settings.SITE_URL}{reverse('feedback:declaration-list')}?rated=false"},
        "",
        _("You receive this e-mail because daily reminders are on for your account; you can turn them off there."),
    ]
    return subject, "\n".join(lines)
