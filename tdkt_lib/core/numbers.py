"""Exact decimal parsing and Excel-style rounding (half away from zero), no floats."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


class NumberError(ValueError):
    """Raised when a text is not a decimal number an officer could have meant."""


def clean_text(text: str) -> str:
    """NFC-normalise and strip stray spaces (including non-breaking ones)."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").strip()


def parse_decimal(value: object) -> Decimal:
    """Parse `9,5`, `9.5`, ` 9 `, ints and Decimals exactly; refuse anything else.

    Binary floats are accepted only when they print back as a short decimal
    (what a spreadsheet cell holding 9.5 gives), never with float noise.
    """
    kind = type(value)
    if kind is Decimal or kind is int:      # the common cases first: scores read from a sheet
        result = Decimal(value) if kind is int else value
    elif isinstance(value, bool):
        raise NumberError(str(value))
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NumberError(str(value))
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = clean_text(value).replace(" ", "")
        if not _NUMBER.match(text):
            raise NumberError(value)
        text = text.replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - regex guards this
            raise NumberError(value) from exc
    else:
        raise NumberError(repr(value))
    if not result.is_finite():
        raise NumberError(str(value))
    return result + 0  # normalise -0


def decimal_places(value: Decimal) -> int:
    """Number of digits after the decimal point that matter (9.50 -> 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_half_away(numerator: int, denominator: int) -> int:
    """Round numerator/denominator to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


def round_fraction(value: Fraction, places: int = 2) -> Decimal:
    """Round a Fraction to `places` decimals like Excel's ROUND."""
    scale = 10**places
    units = round_half_away(value.numerator * scale, value.denominator)
    return Decimal(units).scaleb(-places)


def format_vn(value: Decimal, places: int = 2) -> str:
    """Format for Vietnamese readers: decimal comma, fixed places (96,00)."""
    text = f"{value:.{places}f}"
    return text.replace(".", ",")
