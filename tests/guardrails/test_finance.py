"""Payment cards (issuer prefix + Luhn) and IBANs (country length + mod-97)."""

from __future__ import annotations

import random

import pytest

from genloop.guardrails import IBANCheck, PaymentCardCheck
from genloop.guardrails._base import luhn_valid
from genloop.guardrails._finance import IBAN_LENGTHS, iban_check_digits


def matched(check, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [text[f.start : f.end] for f in check.scan(text)]


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",  # Visa
        "4111111111111111",
        "5500-0000-0000-0004",  # Mastercard
        "2221 0000 0000 0009",  # Mastercard 2-series
        "3782 822463 10005",  # Amex, 15 digits in 4-6-5 groups
        "6011 1111 1111 1117",  # Discover
        "4222222222222",  # Visa, 13 digits
    ],
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    assert matched(PaymentCardCheck(), f"card: {card}, thanks") == [card]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "5500-0000-0000-0005",
        "0000 0000 0000 0000",  # Luhn-valid, but no issuer starts with 0
        "1700000000000 ms since epoch",  # a timestamp
        "order 123456789012",  # 12 digits
        "4111-1111 1111-1111",  # mixed separators
        "41111111111111111111111",  # 23 digits
    ],
)
def test_invalid_numbers_are_not_cards(text: str) -> None:
    assert matched(PaymentCardCheck(), text) == []


def test_trailing_expiry_group_is_trimmed() -> None:
    assert matched(PaymentCardCheck(), "4111 1111 1111 1111 12 26") == ["4111 1111 1111 1111"]


def test_luhn_failures_never_match() -> None:
    rng = random.Random(7)
    runs = ["4" + "".join(rng.choice("0123456789") for _ in range(15)) for _ in range(500)]
    invalid = [run for run in runs if not luhn_valid(run)]
    assert len(invalid) > 400
    assert not any(PaymentCardCheck().scan(run) for run in invalid)
    assert all(PaymentCardCheck().scan(run) for run in runs if luhn_valid(run))


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
        "NO9386011117947",  # shortest, 15
    ],
)
def test_valid_ibans_are_found(iban: str) -> None:
    findings = IBANCheck().scan(f"Pay to {iban} and confirm.")
    assert [f"Pay to {iban} and confirm."[f.start : f.end] for f in findings] == [iban]
    assert findings[0].kind == iban[:2]


@pytest.mark.parametrize(
    "text",
    [
        "GB82 WEST 1234 5698 7654 33",  # checksum
        "GB83WEST12345698765432",
        "XX82WEST12345698765432",  # unknown country
        "DE89 3704 0044 0532 0130 0",  # one character short
        "DE89370400440532013000X",  # runs into a letter
        "AB12 CDEF GHIJ KLMN",
    ],
)
def test_invalid_ibans_are_not_found(text: str) -> None:
    assert matched(IBANCheck(), text) == []


def test_iban_stops_at_the_country_length_before_following_words() -> None:
    text = "DE89 3704 0044 0532 0130 00 is my account"
    assert matched(IBANCheck(), text) == ["DE89 3704 0044 0532 0130 00"]


def test_iban_check_digits_builds_valid_numbers() -> None:
    for country in ("DE", "IT", "PL", "SA"):
        bban = "1" * (IBAN_LENGTHS[country] - 4)
        iban = country + iban_check_digits(country, bban) + bban
        assert matched(IBANCheck(), iban) == [iban]
