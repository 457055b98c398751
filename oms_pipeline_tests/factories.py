"""Rows made directly in the order store, for tests that start past the import stage."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import OrderLineRow, OrderRow, utcnow


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


def add_line(
    session: Session,
    order: OrderRow,
    line_no: int,
    sku: str,
    partner_code: str,
    recipe_id: str | None = None,
) -> OrderLineRow:
    """One line of ``order``, routed to ``partner_code``; custom when it has a RecipeID."""
    line = OrderLineRow(
        order_id=order.id,
        line_no=line_no,
        line_reference=f"{order.order_ref}-{line_no}",
        sku=sku,
        quantity=1,
        unit_price=0,
        product_description=sku,
        recipe_id=recipe_id,
        is_custom=recipe_id is not None,
        partner_code=partner_code,
    )
    session.add(line)
    session.flush()
    return line
