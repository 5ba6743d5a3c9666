"""PII checks: email, phone, national ID numbers, IP addresses (true positives and true negatives)."""

from __future__ import annotations

import pytest

from genloop.guardrails import EmailCheck, IPAddressCheck, NationalIDCheck, PhoneCheck
from genloop.guardrails._base import luhn_valid


def matched(check, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [text[f.start : f.end] for f in check.scan(text)]


@pytest.mark.parametrize(
    "value", ["jane.doe@example.com", "j.smith+news@mail.example.co.uk", "OPS_team-1@sub.example.org"]
)
def test_email_found(value: str) -> None:
    assert matched(EmailCheck(), f"Write to {value}, thanks.") == [value]


@pytest.mark.parametrize("text", ["follow @genloop on social", "user@localhost works", "a @ b", "no at sign here"])
def test_email_not_found(text: str) -> None:
    assert matched(EmailCheck(), text) == []


def test_email_evidence_is_a_fingerprint_not_the_address() -> None:
    (finding,) = EmailCheck().scan("mail jane@example.com")
    assert finding.evidence and finding.evidence.startswith("sha256:") and "jane" not in finding.evidence
    assert finding.category == "email" and finding.check == "email"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("+44 20 7946 0958", "international"),
        ("+1 (415) 555-0132", "international"),
        ("+33 6 12 34 56 78", "international"),
        ("+4915112345678", "international"),
        ("(415) 555-0132", "north_american"),
        ("415-555-0132", "north_american"),
        ("415.555.0132", "north_american"),
        ("020 7946 0958", "national"),
        ("06 12 34 56 78", "national"),
        ("030-12345678", "national"),
    ],
)
def test_phone_found(value: str, kind: str) -> None:
    findings = PhoneCheck().scan(f"Call me on {value} tomorrow.")
    assert [("Call me on " + value + " tomorrow.")[f.start : f.end] for f in findings] == [value]
    assert findings[0].kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678901 shipped",  # a plain long number
        "on 2024-01-15 at noon",
        "due 01-02-2024",
        "due 15.01.2024",
        "version 1.2.3.4 released",
        "ISBN 978-3-16-148410-0",
        "meet at 10:30",
        "the total was 1,299.99 EUR",
        "+1 5",  # too few digits
    ],
)
def test_phone_not_found(text: str) -> None:
    assert matched(PhoneCheck(), text) == []


def _sin(prefix8: str) -> str:
    digits = next(prefix8 + str(d) for d in range(10) if luhn_valid(prefix8 + str(d)))
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("536-22-8726", "us_ssn"),
        ("536 22 8726", "us_ssn"),
        ("AB123456C", "uk_nino"),
        ("AB 12 34 56 C", "uk_nino"),
        (_sin("13069254"), "ca_sin"),
        ("12345678Z", "es_dni"),
    ],
)
def test_national_id_found(value: str, kind: str) -> None:
    findings = NationalIDCheck().scan(f"my number is {value}.")
    assert [f.kind for f in findings] == [kind]
    assert f"my number is {value}."[findings[0].start : findings[0].end] == value


@pytest.mark.parametrize(
    "value",
    [
        "000-12-3456",  # area 000
        "666-12-3456",  # area 666
        "912-34-5678",  # area 9xx
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
        "078-05-1120",  # the Woolworth wallet card
        "536-22 8726",  # mixed separators
        "BG123456C",  # disallowed NINO prefix
        "DA123456C",  # D is not a valid first letter
        "AB123456E",  # suffix must be A-D
        "12345678A",  # wrong DNI letter
        "2024-01-15",
    ],
)
def test_national_id_not_found(value: str) -> None:
    assert matched(NationalIDCheck(), f"value {value} here") == []


def test_national_id_sin_needs_luhn() -> None:
    valid = _sin("13069254")
    broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    assert matched(NationalIDCheck(), broken) == []


def test_national_id_kinds_param() -> None:
    check = NationalIDCheck(kinds=["uk_nino"])
    assert matched(check, "536-22-8726 and AB123456C") == ["AB123456C"]
    with pytest.raises(ValueError, match="unknown kind"):
        NationalIDCheck(kinds=["fr_nir"])


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("192.168.1.20", "ipv4"),
        ("10.0.0.255", "ipv4"),
        ("8.8.8.8", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("fe80::1ff:fe23:4567:890a", "ipv6"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6"),
    ],
)
def test_ip_found(value: str, kind: str) -> None:
    findings = IPAddressCheck().scan(f"host {value}.")
    assert [(f"host {value}."[f.start : f.end], f.kind) for f in findings] == [(value, kind)]


@pytest.mark.parametrize(
    "text",
    ["256.1.1.1", "1.2.3", "1.2.3.4.5", "192.168.01.1", "at 12:30:45", "std::vector", "a::b", "v1.2.3.4", "::"],
)
def test_ip_not_found(text: str) -> None:
    assert matched(IPAddressCheck(), text) == []


def test_ip_versions_param() -> None:
    assert matched(IPAddressCheck(versions=[6]), "10.0.0.1 and 2001:db8::1") == ["2001:db8::1"]
    with pytest.raises(ValueError, match="versions"):
        IPAddressCheck(versions=[5])
