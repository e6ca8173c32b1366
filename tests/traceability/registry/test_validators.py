"""The identifier checks of domain notes §6, against published examples."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from traceability.errors import ValidationFailed
from traceability.registry.validators import (
    USCC_ALPHABET,
    CheckFailed,
    mask_id_number,
    normalise_division_code,
    normalise_id_number,
    normalise_phone,
    normalise_uscc,
)

USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def weighted_sum(code: str) -> int:
    return sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's documented example
        "91379901MA3C4N5X8N",  # the demo enterprise
        "93379901MA3D8K2Q1G",  # the demo co-operative (93 = 农民专业合作社)
    ],
)
def test_published_credit_codes_pass(code: str) -> None:
    assert normalise_uscc(code) == code


def test_credit_code_whose_weighted_sum_is_a_multiple_of_31_has_check_character_zero() -> None:
    code = "913301083969371640"  # constructed with stdnum: Σ mod 31 = 0
    assert weighted_sum(code) % 31 == 0
    assert normalise_uscc(code) == code
    for wrong in "1LX":
        with pytest.raises(CheckFailed):
            normalise_uscc(code[:17] + wrong)


def test_credit_code_is_compacted_and_upper_cased() -> None:
    assert normalise_uscc(" 9111 0000-6000 37341l ") == "91110000600037341L"


def test_agricultural_credit_codes_starting_with_n_are_checked_too() -> None:
    body = "N2379901MA3D8K2Q1"
    good = body + USCC_ALPHABET[(31 - weighted_sum(body + "0") % 31) % 31]
    assert normalise_uscc(good) == good


def test_credit_code_with_a_wrong_check_character_fails_overridably() -> None:
    with pytest.raises(CheckFailed) as failed:
        normalise_uscc("91110000600037341M")
    assert failed.value.code == "uscc_check"


@pytest.mark.parametrize("code", ["9111000060003734", "91110000600037341O", "I1110000600037341L"])
def test_malformed_credit_codes_are_refused_outright(code: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        normalise_uscc(code)
    assert not isinstance(failed.value, CheckFailed)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example in GB 11643-1999
        "360426199101010071",  # python-stdnum's documented example
    ],
)
def test_published_id_numbers_pass(number: str) -> None:
    assert normalise_id_number(number) == number


def test_lower_case_x_is_accepted_as_the_check_character() -> None:
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"


def test_id_number_with_a_wrong_check_digit_fails_overridably() -> None:
    with pytest.raises(CheckFailed):
        normalise_id_number("110105194912310021")


@pytest.mark.parametrize(
    "number",
    [
        "11010519491331002" + ric.calc_check_digit("110105194913310020"),  # month 13
        "440524188001010014",  # GB 11643 example, born 1880: no living holder
    ],
)
def test_id_number_with_an_impossible_birth_date_is_refused(number: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        normalise_id_number(number)
    assert failed.value.code == "id_birth_date"


def test_fifteen_digit_legacy_id_numbers_are_refused_with_advice() -> None:
    with pytest.raises(ValidationFailed) as failed:
        normalise_id_number("110105491231002")
    assert "18位" in failed.value.message_zh


def test_id_numbers_are_masked_to_first_and_last_four() -> None:
    assert mask_id_number("330802199001014781") == "3308**********4781"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0086-13912345678", "13912345678"),
        ("0571-87654321", "0571-87654321"),
        ("010-12345678-123", "010-12345678-123"),
    ],
)
def test_valid_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12912345678", "1391234567", "87654321", "+1 415 555 0100"])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "code",
    [
        "330108",  # county (滨江区)
        "330108001",  # township
        "330108001201",  # village
        "330103",  # 杭州市下城区: retired in 2021, still valid on old records
    ],
)
def test_division_codes_of_6_9_and_12_digits_pass_even_when_retired(code: str) -> None:
    assert normalise_division_code(code) == code


@pytest.mark.parametrize("code", ["33010", "3301080011", "990101", "33O108"])
def test_malformed_division_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_division_code(code)
