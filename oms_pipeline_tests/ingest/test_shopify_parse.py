"""Tests of the Shopify adapter: webhook bodies become canonical orders or named rejections.

Covers every sample delivery against its oracle (production lines, order number and RecipeIDs of
accepted orders; code and field of rejections; retries and stale updates), then one rule at a
time: the ``{"order": ...}`` wrapper, line properties as a list or an object, repeated and
hidden property names, nested values kept as JSON text, the RecipeID property matched ignoring
case, tips and gift cards skipped, SKU fallback to the variant id, money kept exactly as Decimal,
times made UTC, cancelled orders without an address, unsupported topics, invalid JSON, and
malformed payloads that must be rejected rather than crash the import.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

from oms_pipeline.errors import PayloadRejected
from oms_pipeline.ingest.replay import delivery_files
from oms_pipeline.ingest.shopify import DEFAULT_RECIPE_PROPERTIES, parse_order
from oms_pipeline.orders.model import RECIPE_ID_PATTERN, Order, Source
from oms_pipeline.settings import SAMPLES_DIR

SAMPLE_FOLDER = SAMPLES_DIR / "deliveries" / "shopify"
ORACLE_PATH = SAMPLES_DIR / "deliveries" / "shopify-expected.json"
SAMPLE_NAMES = [path.name for path in delivery_files(SAMPLE_FOLDER)]

SHOP = "test-shop.myshopify.com"
CUSTOM_SKU = "MUG-11OZ-WHITE"
PLAIN_SKU = "STICKER-PACK-5"
RECIPE_ID = "Ab12Cd34"


# ---------------------------------------------------------------------------
# The sample deliveries against their oracle
# ---------------------------------------------------------------------------


def test_oracle_covers_exactly_the_sample_deliveries() -> None:
    assert SAMPLE_NAMES, f"no sample deliveries in {SAMPLE_FOLDER}"
    assert sorted(_oracle()["deliveries"]) == SAMPLE_NAMES


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_delivery_parses_as_the_oracle_says(name: str) -> None:
    expected = _oracle()["deliveries"][name]
    body = (SAMPLE_FOLDER / name).read_bytes()

    if expected["outcome"] == "rejected":
        with pytest.raises(PayloadRejected) as caught:
            _parse_sample(name)
        assert (caught.value.code, caught.value.field) == (expected["code"], expected["field"])
        assert caught.value.message.strip()
        return

    order = _parse_sample(name)
    headers = _sidecar(name)
    payload = _order_object(body)
    assert order.source is Source.SHOPIFY
    assert order.shop == headers["X-Shopify-Shop-Domain"]
    assert order.source_order_id == str(payload["id"])
    assert order.order_number == expected["order_number"]

    if expected["http"] == "duplicate":
        # A retry: the same delivery id as an earlier delivery, and the same order from it.
        first = _earlier_delivery_with_webhook_id(name, headers["X-Shopify-Webhook-Id"])
        assert body == (SAMPLE_FOLDER / first).read_bytes()
        assert order == _parse_sample(first)
    elif expected["outcome"] == "stale":
        # Stale: another delivery of the same order was updated later (compared in UTC).
        others = [
            _parse_sample(other)
            for other in SAMPLE_NAMES
            if other != name and _oracle()["deliveries"][other]["outcome"] == "accepted"
        ]
        newer = [
            other.source_updated_at
            for other in others
            if other.source_order_id == order.source_order_id
        ]
        assert newer
        assert max(newer) > order.source_updated_at
    else:
        assert expected["outcome"] == "accepted"
        assert len(order.lines) == expected["production_lines"]
        assert [line.line_no for line in order.lines] == list(range(1, len(order.lines) + 1))
        _assert_recipe_ids_as_sent(order, payload, _recipe_properties(order.shop))


def test_oracle_order_lists_agree_with_its_deliveries() -> None:
    oracle = _oracle()
    deliveries = oracle["deliveries"].values()

    accepted = {d["order_number"] for d in deliveries if d["outcome"] == "accepted"}
    rejected = {d["order_number"] for d in deliveries if d["outcome"] == "rejected"}

    assert sorted(accepted) == sorted(oracle["orders"])
    assert sorted(rejected) == sorted(oracle["rejected_order_numbers"])


def _parse_sample(name: str) -> Order:
    headers = _sidecar(name)
    shop = headers["X-Shopify-Shop-Domain"]
    return parse_order(
        (SAMPLE_FOLDER / name).read_bytes(),
        topic=headers["X-Shopify-Topic"],
        shop=shop,
        recipe_properties=_recipe_properties(shop),
        custom_skus=_custom_skus(),
    )


def _assert_recipe_ids_as_sent(
    order: Order, payload: dict[str, Any], recipe_properties: tuple[str, ...]
) -> None:
    names = {name.casefold() for name in recipe_properties}
    produced = [
        item
        for item in payload["line_items"]
        if item.get("requires_shipping") is not False and item.get("gift_card") is not True
    ]
    assert len(produced) == len(order.lines)
    for item, line in zip(produced, order.lines, strict=True):
        sent = [p["value"] for p in item.get("properties") or [] if p["name"].casefold() in names]
        if line.sku in _custom_skus():
            assert line.recipe_id is not None, f"custom line {line.line_no} lost its RecipeID"
            assert RECIPE_ID_PATTERN.match(line.recipe_id)
        assert line.recipe_id == (sent[0] if sent else None)
        # The RecipeID is a column of its own, not repeated among the OLAs.
        assert all(a.name.casefold() not in names for a in line.attributes)


def _earlier_delivery_with_webhook_id(name: str, webhook_id: str) -> str:
    earlier = [
        other
        for other in SAMPLE_NAMES
        if other < name and _sidecar(other)["X-Shopify-Webhook-Id"] == webhook_id
    ]
    assert earlier, f"{name} is answered duplicate but no earlier delivery has its webhook id"
    return earlier[0]


@cache
def _oracle() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(ORACLE_PATH.read_text(encoding="utf-8"))
    return result


@cache
def _sidecar(name: str) -> dict[str, str]:
    path = SAMPLE_FOLDER / name.replace(".json", ".headers.json")
    result: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return result


@cache
def _custom_skus() -> frozenset[str]:
    catalog = json.loads((SAMPLES_DIR / "catalog.json").read_text(encoding="utf-8"))
    return frozenset(p["sku"] for p in catalog["products"] if p["is_custom"])


@cache
def _recipe_properties(shop: str) -> tuple[str, ...]:
    connections = json.loads((SAMPLES_DIR / "connections.json").read_text(encoding="utf-8"))
    by_shop = {c["shop_domain"]: c["recipe_properties"] for c in connections["shopify"]}
    return tuple(by_shop.get(shop, by_shop["*"]))


def _order_object(body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(body)
    return payload["order"] if set(payload) == {"order"} else payload


# ---------------------------------------------------------------------------
# Envelope and properties
# ---------------------------------------------------------------------------


def test_order_wrapper_is_unwrapped() -> None:
    payload = _payload()

    wrapped = _parse({"order": payload})

    assert wrapped == _parse(payload)
    assert wrapped.source_order_id == "820982911946154508"
    assert wrapped.order_number == "1234"


def test_order_number_falls_back_to_the_name_without_hash() -> None:
    payload = _payload()
    del payload["order_number"]

    assert _parse(payload).order_number == "1234"


def test_properties_as_an_object_are_read() -> None:
    item = _item(
        sku=CUSTOM_SKU, properties={"_recipeId": RECIPE_ID, "Name": "Sam", "Font": "Serif"}
    )

    line = _parse(_payload(item)).lines[0]

    assert line.recipe_id == RECIPE_ID
    assert [(a.name, a.value) for a in line.attributes] == [("Name", "Sam"), ("Font", "Serif")]


def test_repeated_property_names_are_kept_in_order() -> None:
    properties = [
        {"name": "Coffee", "value": "Dark roast"},
        {"name": "Size", "value": "L"},
        {"name": "Coffee", "value": "Decaf"},
        {"name": "Coffee", "value": "Dark roast"},
    ]

    line = _parse(_payload(_item(properties=properties))).lines[0]

    assert [(a.name, a.value) for a in line.attributes] == [
        ("Coffee", "Dark roast"),
        ("Size", "L"),
        ("Coffee", "Decaf"),
        ("Coffee", "Dark roast"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        {"line 1": "Zoë Ångström", "align": "center"},
        {"outer": {"inner": ["a", 1, None, True]}},
        ["front", "back"],
    ],
    ids=["object", "nested-object", "list"],
)
def test_nested_property_values_are_kept_as_json_text(value: Any) -> None:
    properties = [{"name": "Embroidery layout", "value": value}]

    attribute = _parse(_payload(_item(properties=properties))).lines[0].attributes[0]

    assert attribute.name == "Embroidery layout"
    assert isinstance(attribute.value, str)
    assert json.loads(attribute.value) == value


def test_nested_property_text_stays_readable() -> None:
    properties = [{"name": "Embroidery layout", "value": {"line 1": "Zoë Ångström 王"}}]

    attribute = _parse(_payload(_item(properties=properties))).lines[0].attributes[0]

    assert "Zoë Ångström 王" in attribute.value  # not \u-escaped for the factory to decode


@pytest.mark.parametrize(("value", "text"), [(3, "3"), (2.5, "2.5"), (True, "true"), (None, "")])
def test_scalar_property_values_become_text(value: Any, text: str) -> None:
    properties = [{"name": "Count", "value": value}]

    attribute = _parse(_payload(_item(properties=properties))).lines[0].attributes[0]

    assert attribute.value == text


def test_underscore_properties_are_flagged_hidden() -> None:
    properties = [
        {"name": "_customizer_session", "value": "cs_9f2e4a7b61d0"},
        {"name": "Gift message", "value": "Happy birthday"},
        {"name": "__preview", "value": "https://cdn.example/p.png"},
    ]

    attributes = _parse(_payload(_item(properties=properties))).lines[0].attributes

    assert [(a.name, a.hidden) for a in attributes] == [
        ("_customizer_session", True),
        ("Gift message", False),
        ("__preview", True),
    ]


@pytest.mark.parametrize("name", ["_recipeId", "_RECIPEID", "_recipeid", "RECIPEID", "recipeid"])
def test_recipe_property_name_is_matched_ignoring_case(name: str) -> None:
    properties = [{"name": "Colour", "value": "Navy"}, {"name": name, "value": RECIPE_ID}]

    line = _parse(
        _payload(_item(sku=CUSTOM_SKU, properties=properties)),
        recipe_properties=("_recipeId", "RecipeID"),
    ).lines[0]

    assert line.recipe_id == RECIPE_ID
    assert [a.name for a in line.attributes] == ["Colour"]


def test_property_not_configured_for_the_connection_is_no_recipe_id() -> None:
    properties = [{"name": "recipe_id", "value": RECIPE_ID}]

    with pytest.raises(PayloadRejected) as caught:
        _parse(
            _payload(_item(), _item(sku=CUSTOM_SKU, properties=properties)),
            recipe_properties=("_recipeId", "RecipeID"),
        )

    assert caught.value.code == "missing_recipe_id"
    assert caught.value.field == "line_items[1].properties"
    assert CUSTOM_SKU in caught.value.message


def test_malformed_recipe_id_is_rejected_naming_the_line() -> None:
    properties = [{"name": "_recipeId", "value": "12 34!"}]

    with pytest.raises(PayloadRejected) as caught:
        _parse(_payload(_item(), _item(), _item(sku=CUSTOM_SKU, properties=properties)))

    assert caught.value.code == "invalid_recipe_id"
    assert caught.value.field == "line_items[2].properties"


def test_plain_line_without_recipe_id_is_accepted() -> None:
    line = _parse(_payload(_item(sku=PLAIN_SKU, properties=[]))).lines[0]

    assert line.recipe_id is None
    assert line.attributes == ()


# ---------------------------------------------------------------------------
# Lines: what is produced, and SKUs
# ---------------------------------------------------------------------------


def test_tip_and_gift_card_lines_are_skipped() -> None:
    tip = _item(sku=None, variant_id=None, title="Tip", requires_shipping=False, price="4.50")
    gift_card = _item(sku="GIFT-50", title="Gift card", gift_card=True, price="50.00")
    mug = _item(sku=CUSTOM_SKU, properties=[{"name": "_recipeId", "value": RECIPE_ID}])

    order = _parse(_payload(tip, _item(sku=PLAIN_SKU), gift_card, mug))

    assert [(line.line_no, line.sku) for line in order.lines] == [(1, PLAIN_SKU), (2, CUSTOM_SKU)]


def test_order_of_only_a_tip_has_no_production_lines() -> None:
    tip = _item(sku=None, variant_id=None, title="Tip", requires_shipping=False)

    with pytest.raises(PayloadRejected) as caught:
        _parse(_payload(tip))

    assert (caught.value.code, caught.value.field) == ("no_production_lines", "line_items")


@pytest.mark.parametrize("sku", ["", None, "   "], ids=["empty", "null", "blank"])
@pytest.mark.parametrize("variant_id", [39072856, "39072856"], ids=["number", "string"])
def test_empty_sku_falls_back_to_the_variant_id(sku: str | None, variant_id: Any) -> None:
    line = _parse(_payload(_item(sku=sku, variant_id=variant_id))).lines[0]

    assert line.sku == "shopify-variant-39072856"


def test_sku_is_kept_as_text_exactly() -> None:
    line = _parse(_payload(_item(sku="007-0100"))).lines[0]

    assert line.sku == "007-0100"


@pytest.mark.parametrize("index", [0, 2])
def test_line_without_sku_or_variant_is_rejected_as_missing_sku(index: int) -> None:
    items = [_item(), _item(), _item()]
    items[index] = _item(sku="", variant_id=None, title="Mystery box")

    with pytest.raises(PayloadRejected) as caught:
        _parse(_payload(*items))

    assert caught.value.code == "missing_sku"
    assert caught.value.field == f"line_items[{index}].sku"
    assert "SKU" in caught.value.message
    assert "Mystery box" in caught.value.message


# ---------------------------------------------------------------------------
# Money and times
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("19.99", "19.99"),
        (19.99, "19.99"),
        ("0.10", "0.10"),
        (0.1, "0.1"),
        (1250, "1250"),
        ("1250.00", "1250.00"),
        (" 7.05 ", "7.05"),
    ],
)
def test_money_is_decimal_exactly(sent: Any, expected: str) -> None:
    payload = _payload(_item(price=sent))
    payload["total_price"] = sent

    order = _parse(payload)

    for amount in (order.lines[0].unit_price, order.total_price):
        assert isinstance(amount, Decimal)
        assert amount == Decimal(expected)
        assert str(amount) == expected  # no binary float residue such as 19.989999999999998


@pytest.mark.parametrize("sent", ["", "abc", "NaN", "Infinity", True, {"amount": "1.00"}])
def test_line_price_that_is_no_amount_is_rejected(sent: Any) -> None:
    with pytest.raises(PayloadRejected) as caught:
        _parse(_payload(_item(), _item(price=sent)))

    assert (caught.value.code, caught.value.field) == ("invalid_money", "line_items[1].price")


@pytest.mark.parametrize(
    ("sent", "utc"),
    [
        ("2026-10-31T14:05:12-04:00", datetime(2026, 10, 31, 18, 5, 12, tzinfo=UTC)),
        ("2026-11-01T01:00:05-05:00", datetime(2026, 11, 1, 6, 0, 5, tzinfo=UTC)),
        ("2025-01-23T05:18:47+08:00", datetime(2025, 1, 22, 21, 18, 47, tzinfo=UTC)),
        ("2026-03-01T10:00:00+05:30", datetime(2026, 3, 1, 4, 30, tzinfo=UTC)),
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_times_with_offsets_become_utc(sent: str, utc: datetime) -> None:
    payload = _payload()
    payload["created_at"] = sent
    payload["updated_at"] = sent

    order = _parse(payload)

    for value in (order.order_date, order.source_updated_at):
        assert value == utc
        assert value.tzinfo is UTC
        assert (value.hour, value.minute) == (utc.hour, utc.minute)


def test_naive_times_are_taken_as_utc() -> None:
    payload = _payload()
    payload["created_at"] = "2026-03-01T10:00:00"
    payload["updated_at"] = "2026-03-01 10:05:00"

    order = _parse(payload)

    assert order.order_date == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert order.order_date.tzinfo is UTC
    assert order.source_updated_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


def test_missing_updated_at_falls_back_to_created_at() -> None:
    payload = _payload()
    del payload["updated_at"]

    order = _parse(payload)

    assert order.source_updated_at == order.order_date


def test_unreadable_time_is_rejected_naming_the_field() -> None:
    payload = _payload()
    payload["created_at"] = "last tuesday"

    with pytest.raises(PayloadRejected) as caught:
        _parse(payload)

    assert (caught.value.code, caught.value.field) == ("invalid_time", "created_at")


# ---------------------------------------------------------------------------
# Addresses, cancellations, topics, invalid bodies
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [None, {"address1": "", "city": "", "country_code": "HK"}],
    ids=["absent", "no-street"],
)
def test_cancelled_order_without_shippable_address_is_accepted(address: Any) -> None:
    payload = _payload()
    payload["shipping_address"] = address
    payload["cancelled_at"] = "2026-03-02T09:00:00-05:00"

    order = _parse(payload, topic="orders/cancelled")

    assert order.cancelled is True
    assert order.ship_to is None or not order.ship_to.is_shippable()


def test_cancelled_at_marks_an_update_cancelled() -> None:
    payload = _payload()
    payload["shipping_address"] = None
    payload["cancelled_at"] = "2026-03-02T09:00:00-05:00"

    assert _parse(payload, topic="orders/updated").cancelled is True


def test_open_order_without_shippable_address_is_rejected() -> None:
    payload = _payload()
    payload["shipping_address"] = {
        "address1": "10 Example Street",
        "city": "",
        "country_code": "US",
    }

    with pytest.raises(PayloadRejected) as caught:
        _parse(payload)

    assert (caught.value.code, caught.value.field) == (
        "missing_shipping_address",
        "shipping_address",
    )
    assert "1234" in caught.value.message


def test_open_order_is_not_cancelled_and_keeps_its_address() -> None:
    order = _parse(_payload())

    assert order.cancelled is False
    assert order.ship_to is not None
    assert order.ship_to.is_shippable()
    assert order.ship_to.postal_code == "01101"
    assert order.currency == "USD"


@pytest.mark.parametrize(
    "topic", ["refunds/create", "fulfillments/create", "products/update", "", "orders/delete"]
)
def test_unsupported_topic_is_rejected(topic: str) -> None:
    with pytest.raises(PayloadRejected) as caught:
        _parse(_payload(), topic=topic)

    assert (caught.value.code, caught.value.field) == ("unsupported_topic", "X-Shopify-Topic")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00\x01", b"[1, 2, 3]", b'"an order"', b"null"],
    ids=["broken", "empty", "binary", "array", "string", "null"],
)
def test_invalid_json_is_rejected_naming_the_body(body: bytes) -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_order(body, topic="orders/create", shop=SHOP)

    assert (caught.value.code, caught.value.field) == ("invalid_json", "body")
    assert caught.value.message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        pytest.param("id", None, "id", id="no-id"),
        pytest.param("line_items", [], "line_items", id="no-lines"),
        pytest.param("line_items", {"sku": "X"}, "line_items", id="lines-object"),
        pytest.param("line_items.0", "MUG", "line_items[0]", id="line-not-object"),
        pytest.param("line_items.0.quantity", 0, "line_items[0].quantity", id="quantity-0"),
        pytest.param("line_items.0.quantity", "2", "line_items[0].quantity", id="quantity-text"),
        pytest.param("line_items.0.price", None, "line_items[0].price", id="price-null"),
        pytest.param("created_at", None, "created_at", id="created-null"),
        pytest.param("updated_at", "soon", "updated_at", id="updated-garbage"),
        pytest.param("total_price", "12,50", "total_price", id="total-comma"),
        pytest.param("created_at", 10**25, "created_at", id="created-epoch-out-of-range"),
        pytest.param(
            "created_at",
            "9999-12-31T23:59:59-01:00",
            "created_at",
            id="created-year-9999-west-of-utc",
        ),
        pytest.param("created_at", float("nan"), "created_at", id="created-nan"),
    ],
)
def test_malformed_payload_is_rejected_not_crashed(path: str, value: Any, field: str) -> None:
    # The importer only catches PayloadRejected: anything else stops the whole batch.
    with pytest.raises(PayloadRejected) as caught:
        _parse(_replace(path, value))

    assert caught.value.field == field
    assert caught.value.message


@pytest.mark.parametrize("entry", ["standard", None, 7, ["STD"]])
def test_shipping_line_that_is_no_object_does_not_crash(entry: Any) -> None:
    payload = _replace("shipping_lines", [entry])

    # Ignoring the entry or rejecting the payload are both fine; any other exception is not.
    try:
        order = _parse(payload)
    except PayloadRejected as rejection:
        assert rejection.field.startswith("shipping_lines")
    else:
        assert order.ship_method_code is None


def test_builders_make_a_valid_order() -> None:
    # Guards the builders: every rejection test above starts from a payload that parses.
    order = _parse(_payload())

    assert order.order_number == "1234"
    assert order.tags == ("vip", "repeat")
    assert order.ship_method_code == "STD"
    assert [line.sku for line in order.lines] == [PLAIN_SKU]


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def _parse(
    payload: dict[str, Any],
    *,
    topic: str = "orders/create",
    recipe_properties: tuple[str, ...] = DEFAULT_RECIPE_PROPERTIES,
) -> Order:
    return parse_order(
        json.dumps(payload).encode("utf-8"),
        topic=topic,
        shop=SHOP,
        recipe_properties=recipe_properties,
        custom_skus=frozenset({CUSTOM_SKU, "TEE-PRINT-M"}),
    )


def _payload(*items: dict[str, Any]) -> dict[str, Any]:
    """A small valid ``orders/create`` body with the given line items (one plain line if none)."""
    return copy.deepcopy(
        {
            "id": 820982911946154508,
            "order_number": 1234,
            "name": "#1234",
            "created_at": "2026-03-01T10:00:00-05:00",
            "updated_at": "2026-03-01T10:05:00-05:00",
            "cancelled_at": None,
            "currency": "usd",
            "total_price": "42.50",
            "email": "buyer@example.com",
            "tags": "vip, repeat",
            "shipping_address": {
                "first_name": "Testy",
                "last_name": "McFakename",
                "address1": "10 Example Street",
                "city": "Springfield",
                "zip": "01101",
                "province_code": "MA",
                "country_code": "US",
            },
            "shipping_lines": [{"code": "STD", "title": "Standard", "source": "shopify"}],
            "line_items": list(items) or [_item()],
        }
    )


_NEXT_LINE_ID = iter(range(9_100_000_000, 9_200_000_000))


def _item(**changes: Any) -> dict[str, Any]:
    """A line item of a plain product; ``changes`` replace or add keys."""
    item: dict[str, Any] = {
        "id": next(_NEXT_LINE_ID),
        "variant_id": 46100000000401,
        "sku": PLAIN_SKU,
        "title": "Sticker pack",
        "quantity": 1,
        "price": "6.00",
        "requires_shipping": True,
        "gift_card": False,
        "properties": [],
    }
    item.update(changes)
    return item


def _replace(path: str, value: Any) -> dict[str, Any]:
    """A valid payload with one value replaced; ``path`` is dotted, list indexes as numbers."""
    payload = _payload()
    *parents, leaf = path.split(".")
    target: Any = payload
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(leaf)] = value
    else:
        target[leaf] = value
    return payload
