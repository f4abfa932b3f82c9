"""How the API reads a rating (POST /declarations/{number}/rating/) and shows a stored one."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import Level, Reason, SubmissionChannel
from ..models import Rating, RatingOfficer

LEVEL_HELP = "1 very dissatisfied, 2 dissatisfied, 3 normal, 4 satisfied, 5 very satisfied"
REASONS_HELP = "Only with level 1 or 2."


# The rating body is checked for its shape only; the rules (range, known reasons, officers of the
# declaration) are feedback.ratings.services', so the web form and the API give the same answers.
# These two fields carry the rules into the OpenAPI schema without enforcing them a second time.
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class LevelField(serializers.IntegerField):
    pass


# ReasonEnum is the component named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ReasonEnum"}})
class ReasonsField(serializers.ListField):
    child = serializers.CharField()


class RatedOfficerSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="officer.code")
    full_name = serializers.CharField(source="officer.full_name")
    level = serializers.ChoiceField(choices=Level.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))

    class Meta:
        model = RatingOfficer
        fields = ["code", "full_name", "level", "reasons"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    """A stored rating as the API shows it."""

    submitted_via = serializers.ChoiceField(choices=SubmissionChannel.choices)
    branch_level = serializers.ChoiceField(choices=Level.choices)
    team_level = serializers.ChoiceField(choices=Level.choices, allow_null=True)
    branch_reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    team_reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    officers = RatedOfficerSerializer(source="officer_ratings", many=True)
    submitted_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Rating
        fields = [
            "branch_level",
            "branch_reasons",
            "team_level",
            "team_reasons",
            "officers",
            "comment",
            "is_dissatisfied",
            "submitted_via",
            "submitted_at",
            "corrected_at",
        ]
        read_only_fields = fields


class OfficerRatingInSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Officer code, as in the declaration's officers")
    level = LevelField(help_text=LEVEL_HELP)
    reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)


class RatingInSerializer(serializers.Serializer):
    """The body of POST /declarations/{number}/rating/."""

    branch_level = LevelField(help_text=LEVEL_HELP)
    branch_reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)
    team_level = LevelField(required=False, allow_null=True, default=None, help_text=LEVEL_HELP)
    team_reasons = ReasonsField(required=False, default=list, help_text=REASONS_HELP)
    officers = OfficerRatingInSerializer(many=True, required=False, default=list)
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="At most 2,000 characters")


# --- the rating action's fast paths (bench/rating_api.py) -----------------------------------------------
# RatingInSerializer and RatingSerializer stay the contract (and the OpenAPI schema) of POST .../rating/.
# Building them costs more than the rest of the request's Python (a deep copy of every declared field, per
# request), so the action reads a plain body directly and writes the answer as a dict; tests check both
# against the serializers.
_OPTIONAL_DEFAULTS: dict[str, Callable[[], object]] = {
    "branch_reasons": list,
    "team_level": lambda: None,
    "team_reasons": list,
    "comment": str,
}


def _plain_text(value) -> str | None:
    """`value` as CharField(trim_whitespace=True) would return it, when that is certain to succeed; else None."""
    if type(value) is not str:
        return None
    value = value.strip()
    if "\x00" in value:
        return None
    try:
        value.encode("utf-8")  # lone surrogates (ProhibitSurrogateCharactersValidator) fail here
    except UnicodeEncodeError:
        return None
    return value


def _plain_level(value) -> int | None:
    # An exact int, small: IntegerField returns it unchanged. Strings, floats, bools go the serializer's way.
    return value if type(value) is int and -1000 < value < 1000 else None


def _plain_reasons(value) -> list[str] | None:
    if type(value) is not list:
        return None
    reasons = []
    for item in value:
        text = _plain_text(item)
        if not text:  # blank is an error of the child CharField
            return None
        reasons.append(text)
    return reasons


def plain_rating_body(data) -> dict | None:
    """RatingInSerializer(data=data).validated_data when the body is plainly well formed, else None.

    "Plainly well formed": a JSON object whose fields have exactly the types the serializer takes
    unchanged (ints for levels, lists of non-blank strings for reasons, a list of objects for officers,
    text for the comment). For anything else (a missing level, a string for a number, null where null is
    refused, ...) the caller runs the serializer itself, so every shape error keeps its message and key.
    """
    if type(data) is not dict:
        return None
    branch_level = _plain_level(data.get("branch_level"))
    if branch_level is None:
        return None
    body: dict = {"branch_level": branch_level}
    for name, default in _OPTIONAL_DEFAULTS.items():
        if name not in data:
            body[name] = default()
            continue
        value = data[name]
        plain: int | str | list[str] | None
        if name == "team_level":
            plain = None if value is None else _plain_level(value)
            if value is not None and plain is None:
                return None
        else:
            plain = _plain_text(value) if name == "comment" else _plain_reasons(value)
            if plain is None:
                return None
        body[name] = plain
    officers = data.get("officers", [])
    if type(officers) is not list:
        return None
    body["officers"] = []
    for entry in officers:
        if type(entry) is not dict:
            return None
        code, level = _plain_text(entry.get("code")), _plain_level(entry.get("level"))
        if not code or level is None:
            return None
        reasons = _plain_reasons(entry["reasons"]) if "reasons" in entry else []
        if reasons is None:
            return None
        body["officers"].append({"code": code, "level": level, "reasons": reasons})
    return body


_DATETIME = serializers.DateTimeField()


def rating_answer(rating: Rating, officer_rows) -> dict:
    """RatingSerializer(rating).data for a rating whose officer rows (with their officers) are at hand."""
    return {
        "branch_level": rating.branch_level,
        "branch_reasons": list(rating.branch_reasons),
        "team_level": rating.team_level,
        "team_reasons": list(rating.team_reasons),
        "officers": [
            {
                "code": row.officer.code,
                "full_name": row.officer.full_name,
                "level": row.level,
                "reasons": list(row.reasons),
            }
            for row in officer_rows
        ],
        "comment": rating.comment,
        "is_dissatisfied": rating.is_dissatisfied,
        "submitted_via": rating.submitted_via,
        "submitted_at": _DATETIME.to_representation(rating.created_at),
        "corrected_at": _DATETIME.to_representation(rating.corrected_at) if rating.corrected_at else None,
    }


class RatingLinkSerializer(serializers.Serializer):
    """A one-click rating link: open it in a browser to rate the declaration once, without signing in."""

    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
