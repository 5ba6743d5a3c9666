"""Financial PII: payment card numbers (issuer prefix + Luhn) and IBANs (country length + mod-97).

Both checks validate a checksum, so random digit runs and look-alike codes do not match: about one random
16-digit run in ten passes Luhn, and the issuer-prefix table removes most of those too.
"""

from __future__ import annotations

import re

from genloop.guardrails._base import Check, Finding, luhn_valid

__all__ = ["IBAN_LENGTHS", "IBANCheck", "PaymentCardCheck", "iban_check_digits"]

# Issuer identification prefixes: Visa, Mastercard (51-55, 2221-2720), Amex, Diners, JCB, Discover,
# UnionPay and Maestro. Digit runs that start otherwise (timestamps, phone numbers, ids) are skipped.
_ISSUER = re.compile(r"4|5[0-8]|2(?:2[2-9]|[3-6]|7[01]|720)|3[0478]|35|3[69]|6")

# Total IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


class PaymentCardCheck(Check):
    """Payment card numbers: 13-19 digits, optionally grouped by spaces or dashes, with a known issuer
    prefix and a valid Luhn checksum. A trailing group that breaks the checksum (an expiry, a CVV) is
    trimmed before giving up.
    """

    name = "payment_card"
    category = "payment_card"
    sensitive = True
    # The boundary is checked after the first digit, so the engine can skip to digits in C (see _pii).
    _PATTERN = re.compile(r"\d(?<![\w-]\d)(?:[ -]?\d){12,22}(?![\w-])")

    def scan(self, text: str) -> list[Finding]:
        found = []
        for m in self._PATTERN.finditer(text):
            end = _valid_card_end(m.group())
            if end:
                found.append(self.finding(text, m.start(), m.start() + end))
        return found


def _valid_card_end(value: str) -> int:
    """Length of the longest valid card number at the start of ``value`` (0 if none)."""
    separators = {ch for ch in value if not ch.isdigit()}
    if len(separators) > 1:
        return 0
    groups = re.split(r"[ -]", value) if separators else [value]
    while groups:
        digits = "".join(groups)
        if 13 <= len(digits) <= 19 and _ISSUER.match(digits) and luhn_valid(digits):
            return len(groups) - 1 + len(digits)
        if len(groups) == 1 or len(digits) < 13:
            return 0
        groups.pop()
    return 0


def _mod97(compact: str) -> int:
    """The ISO 7064 mod-97 remainder of an IBAN-ordered string (letters as 10..35), chunked for speed."""
    numeric = "".join(str(int(ch, 36)) for ch in compact)
    remainder = 0
    for i in range(0, len(numeric), 9):
        remainder = int(str(remainder) + numeric[i : i + 9]) % 97
    return remainder


def iban_check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country + digits + bban`` a valid IBAN (for fixtures and samples)."""
    return f"{98 - _mod97(bban.upper() + country.upper() + '00'):02d}"


class IBANCheck(Check):
    """International bank account numbers: a known (upper-case) country code, that country's length and a
    valid mod-97 checksum, written compact (``DE89370400440532013000``) or in groups of four.
    """

    name = "iban"
    category = "iban"
    sensitive = True
    _PATTERN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Za-z0-9]){11,34}")

    def scan(self, text: str) -> list[Finding]:
        found = []
        for m in self._PATTERN.finditer(text):
            value = m.group()
            length = IBAN_LENGTHS.get(value[:2])
            if length is None:
                continue
            # The pattern may run into the following word; keep exactly the country's number of characters.
            chars = [i for i, ch in enumerate(value) if ch != " "]
            if len(chars) < length:
                continue
            end = chars[length - 1] + 1
            if end < len(value) and value[end] != " ":
                continue
            compact = value[:end].replace(" ", "").upper()
            if _mod97(compact[4:] + compact[:4]) == 1:
                found.append(self.finding(text, m.start(), m.start() + end, kind=compact[:2]))
        return found
