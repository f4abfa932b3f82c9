"""Vietnamese tax codes (mã số thuế, MST) of businesses.

python-stdnum's `vn.mst` checks the length, the check digit and the 3-digit branch suffix; we add the
rule it does not know: province code 00 does not exist.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.vn import mst


def normalize_tax_code(value: str) -> str:
    """Return the canonical form (`0100109106` or `0100109106-001`) or raise ValidationError."""
    raw = (value or "").strip()
    try:
        compact = mst.validate(raw)
    except InvalidLength:
        raise ValidationError(_("A tax code has 10 digits, or 13 with a branch suffix."), code="length")
    except InvalidChecksum:
        raise ValidationError(_("The check digit of this tax code is wrong."), code="checksum")
    except (InvalidFormat, InvalidComponent):
        raise ValidationError(_("A tax code contains digits only (and one dash before a suffix)."), code="format")
    if compact[:2] == "00":
        raise ValidationError(_("Province code 00 does not exist."), code="province")
    return mst.format(compact)


TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def check_digit(first_nine: str) -> int | None:
    """The check digit of a 9-digit prefix, or None when no valid code has that prefix."""
    remainder = sum(int(d) * w for d, w in zip(first_nine, TAX_CODE_WEIGHTS, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


def make_tax_code(province: int, sequence: int) -> str:
    """A valid tax code for `province` (1-99) near `sequence` (demo data, tests, benchmarks).

    Prefixes whose check digit would be 10 do not exist, so the sequence is stepped past them.
    """
    while True:
        first_nine = f"{province:02d}{sequence % 10_000_000:07d}"
        digit = check_digit(first_nine)
        if digit is not None and digit < 10 and first_nine[2:] != "0000000":
            return first_nine + str(digit)
        sequence += 1


def make_tax_codes(province: int, count: int, start: int = 1) -> list[str]:
    """`count` distinct valid tax codes for `province`, in order, from sequence `start`."""
    codes: list[str] = []
    sequence = start
    while len(codes) < count:
        code = make_tax_code(province, sequence)
        codes.append(code)
        sequence = int(code[2:9]) + 1
    return codes
