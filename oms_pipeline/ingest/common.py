"""Parsing helpers every source adapter shares: money, times, RecipeIDs, text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from oms_pipeline.errors import PayloadRejected
from oms_pipeline.orders.model import RECIPE_ID_PATTERN

MONEY_LIMIT = Decimal(10) ** 14


def parse_money(value: Any, field: str) -> Decimal:
    """A money amount from a string or a number, as Decimal (floats go through ``str``).

    Amounts must be finite and below 10^14, what the order store keeps (18 digits, 4 decimals).
    """
    if isinstance(value, bool) or value is None or value == "":
        raise PayloadRejected("invalid_money", field, f"expected an amount, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PayloadRejected(
            "invalid_money", field, f"{value!r} is not an amount of money"
        ) from None
    if not amount.is_finite() or abs(amount.quantize(Decimal("0.0001"))) >= MONEY_LIMIT:
        raise PayloadRejected(
            "invalid_money", field, f"{str(value)[:40]!r} is not a usable amount of money"
        )
    return amount


def parse_time(value: Any, field: str) -> datetime:
    """A timezone-aware UTC time from ISO 8601, RFC 2822, or epoch seconds or milliseconds.

    A time without a zone is taken as UTC.
    """
    if isinstance(value, bool) or value in (None, ""):
        raise PayloadRejected("invalid_time", field, f"expected a date and time, got {value!r}")
    if isinstance(value, int | float):
        try:
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise PayloadRejected(
                "invalid_time", field, f"{value!r} is not a usable epoch time"
            ) from None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise PayloadRejected(
                "invalid_time", field, f"{text!r} is not an ISO 8601 or RFC 2822 date"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise PayloadRejected("invalid_time", field, f"{text!r} is out of range") from None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_zoned_time(value: str) -> datetime:
    """A time that must say its zone: ISO 8601 with an offset or ``Z``; returned in UTC."""
    text = value.strip()
    if not text:
        raise PayloadRejected(
            "invalid_time", "occurred_at", "is empty; a time with a zone is needed"
        )
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadRejected(
            "invalid_time", "occurred_at", f"{text[:40]!r} is not an ISO 8601 time"
        ) from None
    if parsed.tzinfo is None:
        raise PayloadRejected(
            "invalid_time", "occurred_at", f"{text[:40]!r} has no zone; add an offset or Z"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise PayloadRejected(
            "invalid_time", "occurred_at", f"{text[:40]!r} is out of range"
        ) from None


def as_text(value: Any) -> str:
    """Any JSON value as text: strings as they are, other values as compact JSON (keys in the
    order they came). NUL characters and lone surrogates, which no database stores, are
    replaced."""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    )
    return _UNSTORABLE.sub("\ufffd", text)


def optional_text(value: Any) -> str | None:
    """Text, with empty strings and nulls made None."""
    if value is None:
        return None
    text = as_text(value).strip()
    return text or None


def check_recipe_id(value: Any, field: str, line: str) -> str:
    """A RecipeID as given, or a rejection naming the field and line when it is malformed."""
    text = as_text(value).strip()
    if not RECIPE_ID_PATTERN.match(text):
        raise PayloadRejected(
            "invalid_recipe_id",
            field,
            f"{line}: RecipeID {text[:40]!r} is not a customizer token (8 letters or digits); "
            "check what the storefront writes into the recipe property",
        )
    return text
