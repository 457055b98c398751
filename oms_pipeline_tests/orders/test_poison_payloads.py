"""Payloads built to break the import: each is rejected alone with a code and a field, and the
valid order landed beside it in the same chunk is imported, on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.store import OrderStore, as_dict
from oms_pipeline.orders.tables import LandedPayload, OrderRejection, OrderRow
from oms_pipeline.settings import SAMPLES_DIR
from oms_pipeline_tests.factories import land_shopify

GOOD = json.loads(
    (SAMPLES_DIR / "deliveries" / "shopify" / "004-orders-create-1002.json").read_bytes()
)


def _with(change: Callable[[dict[str, Any]], None]) -> bytes:
    order = json.loads(json.dumps(GOOD))
    order["id"] = 6_100_000_000_001
    change(order)
    return json.dumps(order).encode()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(order: dict[str, Any]) -> None:
        target = order
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


POISON: dict[str, tuple[bytes, str]] = {
    "quantity-2^63": (_with(_set("line_items.0.current_quantity", 2**63)), "invalid_order"),
    "quantity-2^31": (_with(_set("line_items.0.current_quantity", 2**31)), "invalid_order"),
    "lone-surrogate-note": (_with(_set("note", "\ud800 hi")), ""),
    "nul-in-note": (_with(_set("note", "a\x00b")), ""),
    "sku-150": (_with(_set("line_items.0.sku", "S" * 150)), "invalid_order"),
    "order-number-150": (_with(_set("order_number", "9" * 150)), "invalid_order"),
    "total-1e20": (_with(_set("total_price", "1e20")), "invalid_money"),
    "id-traversal": (_with(_set("id", "../../../tmp/evil")), "invalid_order_id"),
    "id-object": (_with(_set("id", {"a": 1})), "invalid_order_id"),
    "id-70-digits": (_with(_set("id", int("9" * 70))), "invalid_order_id"),
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, "unreadable_payload"),
    "huge-integer": (b'{"id": ' + b"9" * 5000 + b"}", "unreadable_payload"),
    "surrogate-property-name": (
        _with(
            _set(
                "line_items.0.properties",
                {"_recipeId": "Tz9Kq2Lm", "x\ud800y": "v", "n\u0000": "w"},
            )
        ),
        "",
    ),
    "nul-currency": (_with(_set("currency", "\u0000\u0000\u0000")), ""),
    "too-many-lines": (
        _with(lambda o: o.__setitem__("line_items", o["line_items"][:1] * 1001)),
        "too_many_lines",
    ),
    "shipping-title-400": (
        _with(_set("shipping_lines", [{"title": "T" * 400, "code": "C" * 400}])),
        "",
    ),
}


@pytest.mark.parametrize("name", list(POISON))
def test_poison_is_rejected_alone(store: OrderStore, name: str) -> None:
    body, code = POISON[name]
    for delivery_id, payload in (("poison", body), ("good", json.dumps(GOOD).encode())):
        land_shopify(store, delivery_id, payload)

    summary = import_pending_landings(store)

    with store.session() as session:
        outcomes = as_dict(
            session.execute(select(LandedPayload.delivery_id, LandedPayload.outcome))
        )
        numbers = set(session.execute(select(OrderRow.order_number)).scalars())
        rejection = session.execute(select(OrderRejection)).scalar_one_or_none()
    assert outcomes["good"] == "accepted"
    assert str(GOOD["order_number"]) in numbers
    assert summary.landings == 2
    if code:
        assert outcomes["poison"] == "rejected"
        assert rejection is not None and rejection.code == code
        assert rejection.field and rejection.message
    else:
        # Harmless once cleaned: stored, with the unstorable characters replaced.
        assert outcomes["poison"] == "accepted", rejection and rejection.message


def test_a_database_error_isolates_the_culprit_without_quoting_it(
    sqlite_store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    culprit = _with(_set("email", "someone@example.com"))
    for delivery_id, payload in (("culprit", culprit), ("good", json.dumps(GOOD).encode())):
        land_shopify(sqlite_store, delivery_id, payload)
    real = OrderStore.upsert_orders

    def refusing(self: OrderStore, session: Any, versions: Any, custom_skus: Any) -> Any:
        if any(order.source_order_id == "6100000000001" for order, _ in versions):
            raise IntegrityError("INSERT ...", {"email": "someone@example.com"}, Exception("x"))
        return real(self, session, versions, custom_skus)

    monkeypatch.setattr(OrderStore, "upsert_orders", refusing)
    summary = import_pending_landings(sqlite_store)

    assert (summary.accepted, summary.rejected) == (1, 1)
    with sqlite_store.session() as session:
        rejection = session.execute(select(OrderRejection)).scalar_one()
    assert rejection.code == "store_error"
    assert "Exception" in rejection.message
    assert "someone@example.com" not in rejection.message
