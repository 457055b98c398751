"""The Shopify adapter: a landed ``orders/*`` webhook body becomes one canonical order.

Shopify sends the order object bare (older fixtures wrap it as ``{"order": {...}}``; both are
read). Personalization rides on ``line_items[].properties``; which property names carry the
RecipeID is set per connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from oms_pipeline.errors import PayloadRejected
from oms_pipeline.ingest.common import (
    as_text,
    check_recipe_id,
    optional_text,
    parse_money,
    parse_time,
)
from oms_pipeline.orders.model import Address, Order, OrderLine, OrderLineAttribute, Source

ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/edited",
        "orders/cancelled",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)

MAX_LINES = 1000

_SHOPIFY_ID = re.compile(r"^[1-9][0-9]{0,19}$")

DEFAULT_RECIPE_PROPERTIES = ("_recipeId", "_recipe_id", "RecipeID", "recipe_id")


def parse_order(
    body: bytes,
    *,
    topic: str,
    shop: str,
    recipe_properties: Sequence[str] = DEFAULT_RECIPE_PROPERTIES,
    custom_skus: frozenset[str] = frozenset(),
) -> Order:
    """Turn a Shopify order webhook body into a canonical order.

    Args:
        body: the raw request body.
        topic: the ``X-Shopify-Topic`` header.
        shop: the ``X-Shopify-Shop-Domain`` header.
        recipe_properties: line property names that carry the RecipeID (matched ignoring case).
        custom_skus: SKUs of custom products: their lines must carry a RecipeID.

    Raises:
        PayloadRejected: the payload cannot become an order; ``field`` names where.
    """
    if topic not in ORDER_TOPICS:
        raise PayloadRejected(
            "unsupported_topic",
            "X-Shopify-Topic",
            f"topic {topic!r} does not carry an order; subscribe this endpoint to orders/* only",
        )
    payload = _load(body)
    order_id = payload.get("id")
    if order_id in (None, ""):
        raise PayloadRejected("missing_order_id", "id", "the order has no id")
    if not _SHOPIFY_ID.match(as_text(order_id)):
        raise PayloadRejected(
            "invalid_order_id", "id", f"{as_text(order_id)[:40]!r} is not a Shopify order id"
        )
    order_number = optional_text(payload.get("order_number")) or optional_text(
        str(payload.get("name") or "").lstrip("#")
    )
    if order_number is None:
        raise PayloadRejected("missing_order_number", "order_number", "no order_number nor name")

    cancelled = topic == "orders/cancelled" or payload.get("cancelled_at") is not None
    lines = _lines(payload, recipe_properties, custom_skus, cancelled=cancelled)
    ship_to = _address(payload.get("shipping_address"), payload.get("email"))
    if not cancelled and (ship_to is None or not ship_to.is_shippable()):
        missing = "is missing" if ship_to is None else "has no street, city or country"
        raise PayloadRejected(
            "missing_shipping_address",
            "shipping_address",
            f"order {order_number}: the shipping address {missing}, so no partner can ship "
            "it; add the address in Shopify (an orders/updated webhook brings it here)",
        )

    created_at = parse_time(payload.get("created_at"), "created_at")
    updated_raw = payload.get("updated_at") or payload.get("created_at")
    shipping_lines = payload.get("shipping_lines")
    first_shipping = (
        shipping_lines[0] if isinstance(shipping_lines, list) and shipping_lines else {}
    )
    if not isinstance(first_shipping, dict):
        first_shipping = {}
    try:
        return Order(
            source=Source.SHOPIFY,
            shop=shop,
            source_order_id=as_text(order_id),
            order_number=order_number,
            order_date=created_at,
            source_updated_at=parse_time(updated_raw, "updated_at"),
            currency=as_text(payload.get("currency") or "XXX").upper()[:3],
            cancelled=cancelled,
            total_price=(
                parse_money(payload["total_price"], "total_price")
                if payload.get("total_price") not in (None, "")
                else None
            ),
            ship_method_carrier=_cut(
                optional_text(first_shipping.get("carrier_identifier"))
                or optional_text(first_shipping.get("source")),
                100,
            ),
            ship_method_code=_cut(optional_text(first_shipping.get("code")), 100),
            ship_method_description=_cut(optional_text(first_shipping.get("title")), 255),
            ship_to=ship_to,
            sold_to=_address(payload.get("billing_address"), payload.get("email")),
            note=optional_text(payload.get("note")),
            tags=_tags(payload.get("tags")),
            custom_attributes=_attributes(payload.get("note_attributes"), "note_attributes", ()),
            lines=tuple(lines),
        )
    except ValidationError as exc:
        raise _rejection(exc, "") from None


def _rejection(exc: ValidationError, prefix: str) -> PayloadRejected:
    """A rejection naming the canonical field a validation error is about."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    field = f"{prefix}.{where}" if prefix else where
    return PayloadRejected("invalid_order", field, str(error["msg"])[:200])


def _load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadRejected("invalid_json", "body", f"the body is not JSON: {exc}") from None
    if isinstance(payload, dict) and set(payload) == {"order"}:
        payload = payload["order"]
    if not isinstance(payload, dict):
        raise PayloadRejected("invalid_json", "body", "the body is not a JSON object")
    return payload


def _lines(
    payload: dict[str, Any],
    recipe_properties: Sequence[str],
    custom_skus: frozenset[str],
    *,
    cancelled: bool,
) -> list[OrderLine]:
    """The production lines. ``current_quantity`` (after edits and refunds) is what is made,
    and a line an edit took to zero is left out; a cancelled order keeps its quantities."""
    items = payload.get("line_items")
    if not isinstance(items, list) or not items:
        raise PayloadRejected("no_lines", "line_items", "the order has no line items")
    if len(items) > MAX_LINES:
        raise PayloadRejected(
            "too_many_lines",
            "line_items",
            f"{len(items)} line items; an order may have at most {MAX_LINES}, split it",
        )
    refunded = _refunded_quantities(payload.get("refunds"))
    recipe_names = {name.casefold() for name in recipe_properties}
    lines: list[OrderLine] = []
    for index, item in enumerate(items):
        where = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise PayloadRejected("invalid_line", where, "a line item is not an object")
        if item.get("requires_shipping") is False or item.get("gift_card") is True:
            continue  # tips, digital goods and gift cards are not produced by any partner

        title = optional_text(item.get("name")) or optional_text(item.get("title")) or ""
        sku = _sku(item, f"{where}.sku", f"line {index + 1} ({title[:60]!r})")
        quantity = item.get("quantity")
        current = item.get("current_quantity")
        if not cancelled and isinstance(current, int) and not isinstance(current, bool):
            if current == 0:
                continue  # removed by an edit or fully refunded
            quantity = current
        elif not cancelled and isinstance(quantity, int) and str(item.get("id")) in refunded:
            # Older payloads have no current_quantity: take refunded units off.
            quantity -= refunded[str(item.get("id"))]
            if quantity <= 0:
                continue
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise PayloadRejected(
                "invalid_quantity", f"{where}.quantity", f"quantity {quantity!r} is not positive"
            )

        recipe_id: str | None = None
        attributes = _attributes(item.get("properties"), f"{where}.properties", recipe_names)
        for prop_name, prop_value in _pairs(item.get("properties")):
            if prop_name.casefold() in recipe_names and prop_value not in (None, ""):
                recipe_id = check_recipe_id(
                    prop_value, f"{where}.properties", f"line {index + 1} (SKU {sku})"
                )
                break
        if sku in custom_skus and recipe_id is None:
            raise PayloadRejected(
                "missing_recipe_id",
                f"{where}.properties",
                f"line {index + 1} (SKU {sku}) is a custom product but carries no RecipeID "
                f"(looked for properties {', '.join(sorted(recipe_properties))}); the "
                "storefront must attach the customizer's RecipeID before checkout",
            )
        try:
            line = OrderLine(
                line_no=len(lines) + 1,
                source_line_id=optional_text(item.get("id")),
                sku=sku,
                quantity=quantity,
                unit_price=parse_money(item.get("price", "0"), f"{where}.price"),
                product_description=title[:500],
                recipe_id=recipe_id,
                attributes=attributes,
            )
        except ValidationError as exc:
            raise _rejection(exc, where) from None
        lines.append(line)
    if not lines:
        raise PayloadRejected(
            "no_production_lines",
            "line_items",
            "no line item needs shipping (tips, gift cards and digital goods only)",
        )
    return lines


def _sku(item: dict[str, Any], field: str, line: str) -> str:
    """The line's SKU; a variant without one is named after its variant id, so it can be routed.

    Many shops leave SKUs empty. ``shopify-variant-<id>`` is stable for the variant, and a
    routing rule or catalog entry can be written for it.
    """
    sku = optional_text(item.get("sku"))
    if sku:
        return sku
    variant_id = optional_text(item.get("variant_id"))
    if variant_id and variant_id.isdigit():
        return f"shopify-variant-{variant_id}"
    raise PayloadRejected(
        "missing_sku",
        field,
        f"{line} has neither a SKU nor a variant id, so no partner can tell what to make; "
        "give the product a SKU in Shopify and replay the payload",
    )


def _refunded_quantities(refunds: Any) -> dict[str, int]:
    """Units refunded per line item id, from the order's embedded ``refunds``."""
    totals: dict[str, int] = {}
    for refund in refunds if isinstance(refunds, list) else []:
        items = refund.get("refund_line_items") if isinstance(refund, dict) else None
        for item in items if isinstance(items, list) else []:
            quantity = item.get("quantity") if isinstance(item, dict) else None
            if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0:
                key = str(item.get("line_item_id"))
                totals[key] = totals.get(key, 0) + quantity
    return totals


def _cut(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else text


def _tags(raw: Any) -> tuple[str, ...]:
    """Shopify tags: a comma-separated string (or, from some clients, a list)."""
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    return tuple(str(tag).strip() for tag in items if str(tag).strip())


def _pairs(properties: Any) -> list[tuple[str, Any]]:
    """Shopify properties as (name, value) pairs: a list of {name, value} or an object."""
    if isinstance(properties, dict):
        return [(as_text(k), v) for k, v in properties.items()]
    if isinstance(properties, list):
        return [
            (as_text(p.get("name") or ""), p.get("value"))
            for p in properties
            if isinstance(p, dict)
        ]
    return []


def _attributes(
    properties: Any, field: str, skip_names: set[str] | tuple[()]
) -> tuple[OrderLineAttribute, ...]:
    del field  # kept for symmetry with the other readers; attributes never reject a payload
    return tuple(
        OrderLineAttribute(
            name=name.strip() if name and name != "null" else "(unnamed)",
            value=as_text(value) if value is not None else "",
            hidden=name.startswith("_"),
        )
        for name, value in _pairs(properties)
        if name.casefold() not in skip_names
    )


def _address(raw: Any, email: Any) -> Address | None:
    if not isinstance(raw, dict):
        return None
    return Address(
        first_name=optional_text(raw.get("first_name")),
        last_name=optional_text(raw.get("last_name")),
        company_name=optional_text(raw.get("company")),
        address_1=optional_text(raw.get("address1")),
        address_2=optional_text(raw.get("address2")),
        city=optional_text(raw.get("city")),
        state_region=optional_text(raw.get("province_code")) or optional_text(raw.get("province")),
        postal_code=optional_text(raw.get("zip")),
        country=optional_text(raw.get("country_code")) or _iso2(raw.get("country")),
        phone=optional_text(raw.get("phone")),
        email=optional_text(email),
    )


def _iso2(value: Any) -> str | None:
    """A country given as a two-letter code in the ``country`` field."""
    text = optional_text(value)
    return text.upper() if text and len(text) == 2 and text.isalpha() else None
