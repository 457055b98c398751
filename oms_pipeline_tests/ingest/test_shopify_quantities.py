"""Which quantity of a Shopify line is made: ``current_quantity`` after edits and refunds, or,
in older payloads without it, the ordered quantity less the refunded units; a cancelled order
keeps its quantities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oms_pipeline.ingest.shopify import parse_order
from oms_pipeline_tests.conftest import SHOPIFY_CORPUS

ADDRESS = {"address1": "1 Example Street", "city": "Portland", "country_code": "US"}


def _order(line_items: list[dict[str, Any]], **extra: Any) -> bytes:
    order = {
        "id": 1,
        "order_number": 1,
        "created_at": "2026-11-01T10:00:00Z",
        "currency": "USD",
        "shipping_address": ADDRESS,
        "line_items": line_items,
        **extra,
    }
    return json.dumps(order).encode()


def _quantities(body: bytes, topic: str = "orders/updated") -> list[tuple[str, int]]:
    order = parse_order(body, topic=topic, shop="s")
    return [(line.sku, line.quantity) for line in order.lines]


def test_current_quantity_wins_and_zero_drops_the_line() -> None:
    body = _order(
        [
            {"id": 11, "sku": "A", "quantity": 3, "current_quantity": 2, "price": "1"},
            {"id": 12, "sku": "B", "quantity": 1, "current_quantity": 0, "price": "1"},
        ]
    )
    assert _quantities(body) == [("A", 2)]


def test_refunded_units_come_off_when_there_is_no_current_quantity() -> None:
    refunds = [
        {"refund_line_items": [{"line_item_id": 11, "quantity": 1}]},
        {"refund_line_items": [{"line_item_id": 12, "quantity": 1}, {"bogus": True}]},
    ]
    body = _order(
        [
            {"id": 11, "sku": "A", "quantity": 3, "price": "1"},
            {"id": 12, "sku": "B", "quantity": 1, "price": "1"},
        ],
        refunds=refunds,
    )
    assert _quantities(body) == [("A", 2)]


def test_a_cancelled_order_keeps_its_quantities() -> None:
    body = _order([{"id": 11, "sku": "A", "quantity": 3, "current_quantity": 0, "price": "1"}])
    assert _quantities(body, topic="orders/cancelled") == [("A", 3)]


def test_corpus_partial_refund_makes_one_unit() -> None:
    path = Path(SHOPIFY_CORPUS) / "order-partial-refund-hst.json"
    if not path.exists():
        pytest.skip(f"no corpus file {path}")
    assert _quantities(path.read_bytes(), topic="orders/create") == [("GD802-025", 1)]
