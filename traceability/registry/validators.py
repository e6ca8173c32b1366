"""Checks for the identifiers a registry entry carries (domain notes §6).

Each function takes raw input and returns the normalised value or raises. A failed
check character raises `CheckFailed`, which a supervisor may override with a
recorded reason (some issued codes really fail it); malformed input raises
`ValidationFailed`, which nobody can override.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from traceability.errors import ValidationFailed

# GB 32100 alphabet: digits and capitals without I, O, S, V, Z
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,5})?$")
DIVISION = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
# GB/T 2260 province-level codes (including Taiwan, Hong Kong and Macao)
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


class CheckFailed(ValidationFailed):
    """A well-formed number whose check character does not match; overridable."""

    code = "check_failed"


def _compact(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def normalise_uscc(raw: str) -> str:
    """统一社会信用代码 (GB 32100-2015): shape, then the mod-31 check character.

    python-stdnum does the check but only accepts codes whose first 8 characters are
    digits; agricultural (N…) and other (Y…) registrations are shaped here instead.
    """
    number = _compact(raw)
    if not USCC_SHAPE.match(number):
        raise ValidationFailed(
            f"统一社会信用代码“{raw}”格式不对：应为18位数字或大写字母（不含I、O、S、V、Z）。",
            f"Credit code {raw!r} is malformed: 18 digits or capitals without I, O, S, V, Z.",
            code="uscc_format",
        )
    if number[-1] != uscc.calc_check_digit(number[:17]):
        raise CheckFailed(
            f"统一社会信用代码“{number}”校验位不符，请核对；确属已发证照的，可由监管人员核实后放行。",
            f"Credit code {number} fails its check character; a supervisor may override it.",
            code="uscc_check",
        )
    return number


def normalise_id_number(raw: str) -> str:
    """居民身份证号 (GB 11643-1999): 18 characters, a real birth date and the check digit."""
    number = _compact(raw)
    if len(number) == 15 and number.isdigit():
        raise ValidationFailed(
            "15位旧身份证号请换算为18位后再登记。",
            "Convert the 15-digit legacy ID number to 18 digits first.",
            code="id_legacy",
        )
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationFailed(
            f"身份证号“{raw}”格式不对：应为17位数字加1位数字或X。",
            f"ID number {raw!r} is malformed: 17 digits and a digit or X.",
            code="id_format",
        )
    if number[-1] != ric.calc_check_digit(number):
        raise CheckFailed(
            "身份证号校验位不符，请核对；确属已签发证件的，可由监管人员核实后放行。",
            "The ID number fails its check digit; a supervisor may override it.",
            code="id_check",
        )
    # the address part is where the number was issued, maybe under a retired code,
    # so unlike stdnum's validate() the place is not looked up
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= date.today():
        raise ValidationFailed(
            "身份证号中的出生日期无效。",
            "The birth date inside the ID number is not a valid date.",
            code="id_birth_date",
        ) from None
    return number


def id_birth_date(number: str) -> date:
    return ric.get_birth_date(number)


def mask_id_number(number: str) -> str:
    """Keep the first four and last four characters: 3308**********4781."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalise_phone(raw: str) -> str:
    """A mainland mobile (optional +86 / 0086) or a landline with its area code."""
    text = re.sub(r"[\s()（）]", "", raw or "")
    mobile = re.sub(r"^(\+86|0086)-?", "", text).replace("-", "")
    if MOBILE.match(mobile):
        return mobile
    if LANDLINE.match(text):
        return text
    raise ValidationFailed(
        f"电话“{raw}”无效：手机号为1开头的11位数字（可带+86），固话需带区号，如0571-87654321。",
        f"Phone {raw!r} is invalid: an 11-digit mobile (optionally +86) or a landline "
        "with area code such as 0571-87654321.",
        code="phone_format",
    )


def normalise_division_code(raw: str) -> str:
    """行政区划代码: 6 (county), 9 (township) or 12 (village) digits.

    The code only has to be well formed: codes are retired and renamed, and records
    made under an old code keep it, so it need not be in the current list.
    """
    code = _compact(raw)
    if not DIVISION.match(code) or code[:2] not in PROVINCES:
        raise ValidationFailed(
            f"行政区划代码“{raw}”无效：应为6位（县）、9位（乡镇）或12位（村）数字。",
            f"Division code {raw!r} is invalid: 6 (county), 9 (township) or 12 (village) digits.",
            code="division_format",
        )
    return code
