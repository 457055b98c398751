"""Rows made directly in the order store, for tests that start past the import stage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import OrderRow, utcnow


def add_order(session: Session, source_order_id: str) -> OrderRow:
    """A minimal Shopify order, flushed so it has an id."""
    order = OrderRow(
        order_ref=f"shopify-{source_order_id}",
        source="shopify",
        shop="demo-brand.myshopify.com",
        source_order_id=source_order_id,
        order_number=source_order_id,
        order_date=utcnow(),
        source_updated_at=utcnow(),
        currency="USD",
        sales_channel="b2c",
        tags=[],
        custom_attributes=[],
        landing_id=0,
    )
    session.add(order)
    session.flush()
    return order


def land_shopify(
    store: OrderStore, delivery_id: str, body: bytes, topic: str = "orders/create"
) -> int:
    """Land a Shopify delivery from the demo shop as the webhook receiver would; its id."""
    return store.land(
        source="shopify",
        delivery_id=delivery_id,
        topic=topic,
        shop="demo-brand.myshopify.com",
        event_id=None,
        headers={},
        body=body,
    ).landing_id
