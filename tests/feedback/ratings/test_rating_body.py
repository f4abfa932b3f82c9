"""feedback.ratings.serializers.plain_rating_body: RatingInSerializer's result, or None so that the serializer runs."""

import pytest

from feedback.ratings.serializers import RatingInSerializer, plain_rating_body


def plain(value):
    """validated_data with its OrderedDicts and nested serializer output as plain dicts and lists."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize(
    "data",
    [
        {"branch_level": 5},
        {"branch_level": 4, "team_level": None},
        {"branch_level": 9, "team_level": 0, "comment": "   "},  # range is the service's rule, not the shape's
        {"branch_level": 1, "branch_reasons": [" delay ", "bribe"], "team_level": 2, "team_reasons": []},
        {
            "branch_level": 5,
            "officers": [{"code": " oa1 ", "level": 5}, {"code": "OA2", "level": 2, "reasons": ["attitude"]}],
            "comment": "  Cán bộ OA2 xử lý chậm.  ",
            "unknown": "ignored",
        },
    ],
)
def test_plain_body_is_what_the_serializer_validates(data):
    serializer = RatingInSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    assert plain_rating_body(data) == plain(serializer.validated_data)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        {"team_level": 4},
        {"branch_level": None},
        {"branch_level": "5"},  # the serializer turns it into 5
        {"branch_level": 5.0},
        {"branch_level": True},
        {"branch_level": 10**4000},
        {"branch_level": 5, "team_level": "4"},
        {"branch_level": 5, "comment": None},
        {"branch_level": 5, "comment": 12},
        {"branch_level": 5, "comment": "a\x00b"},
        {"branch_level": 5, "comment": "\ud800"},
        {"branch_level": 5, "branch_reasons": "delay"},
        {"branch_level": 5, "branch_reasons": ["  "]},
        {"branch_level": 5, "branch_reasons": [None]},
        {"branch_level": 5, "officers": {"code": "OA1", "level": 5}},
        {"branch_level": 5, "officers": None},
        {"branch_level": 5, "officers": ["OA1"]},
        {"branch_level": 5, "officers": [{"code": "", "level": 5}]},
        {"branch_level": 5, "officers": [{"code": 7, "level": 5}]},
        {"branch_level": 5, "officers": [{"code": "OA1"}]},
        {"branch_level": 5, "officers": [{"code": "OA1", "level": 5, "reasons": None}]},
    ],
)
def test_anything_else_goes_to_the_serializer(data):
    assert plain_rating_body(data) is None
