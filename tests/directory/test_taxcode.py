import pytest
from django.core.exceptions import ValidationError

from directory.models import Business
from directory.taxcode import check_digit, make_tax_codes, normalize_tax_code


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0100109106", "0100109106"),
        (" 0100109106 ", "0100109106"),
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        ("5700100256", "5700100256"),
    ],
)
def test_valid_tax_codes_are_normalised(raw, canonical):
    assert normalize_tax_code(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0100109107", "checksum"),  # last digit changed
        ("01001091", "length"),
        ("01001091060", "length"),  # 11 digits
        ("0100109106-000", "format"),  # suffix 000 does not exist
        ("01001O9106", "format"),  # letter O for zero
        ("0012345672", "province"),  # check digit right, province 00 does not exist
        ("", "length"),
    ],
)
def test_invalid_tax_codes_are_refused_with_a_reason(raw, code):
    with pytest.raises(ValidationError) as info:
        normalize_tax_code(raw)
    assert info.value.code == code


def test_check_digit_follows_the_published_weights():
    # 010010910: 0*31+1*29+0*23+0*19+1*17+0*13+9*7+1*5+0*3 = 114; 114 mod 11 = 4; 10 - 4 = 6.
    assert check_digit("010010910") == 6


def test_generated_tax_codes_are_distinct_and_valid():
    codes = make_tax_codes(57, 500)
    assert len(set(codes)) == 500
    assert all(normalize_tax_code(code) == code and code.startswith("57") for code in codes)


def test_business_clean_normalises_and_names_the_field(db):
    business = Business(tax_code="0100109106001", name="X")
    business.full_clean()
    assert business.tax_code == "0100109106-001"
    with pytest.raises(ValidationError) as info:
        Business(tax_code="0100109107", name="X").full_clean()
    assert "tax_code" in info.value.message_dict
