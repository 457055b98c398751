"""Tests of the Shopify webhook receiver, ``POST /webhooks/shopify``, through FastAPI's TestClient.

Covers: a signed delivery lands with the exact bytes sent and its Shopify headers; a tampered,
unsigned or unverifiable delivery (no secret, or a blank one) answers 401 and lands nothing;
the previous secret still works after a rotation; a missing delivery header answers 400; a
retried delivery answers ``duplicate`` with the same landing; the same body under another
webhook id lands again (the event id is no dedupe key); a signed non-JSON body lands and is
rejected later as ``invalid_json``; the sample deliveries replay and import as their oracle
says, whether imported in one chunk or landing by landing; the same order id from two shops
stops no import; an update that drops a line leaves no line of the old version to produce; and
overlong delivery ids and event ids are neither merged nor crash the receiver. Every test that
touches the database runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms_pipeline.api.main import create_app
from oms_pipeline.api.webhooks import SHOPIFY_KEPT_HEADERS
from oms_pipeline.ingest.replay import replay_shopify_folder
from oms_pipeline.ingest.signatures import sign_base64_hmac_sha256
from oms_pipeline.orders.importer import CHUNK, import_pending_landings
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import LandedPayload, OrderLineRow, OrderRejection, OrderRow
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings
from oms_pipeline_tests.conftest import TEST_SECRET

PATH = "/webhooks/shopify"
SHOP = "test-shop.myshopify.com"
WEBHOOK_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
EVENT_ID = "7c7a0a0e-51bd-4f0b-9e1c-0cbd1d7e3a12"

# As Shopify sends it: \/ escapes, \u escapes, raw UTF-8, and spacing json.dumps would not keep.
RAW_BODY = (
    b'{"id":5900000009001,"order_number":9001,"name":"#9001",\r\n'
    b' "admin_graphql_api_id":"gid:\\/\\/shopify\\/Order\\/5900000009001",'
    b'"note":"Caf\\u00e9 \xe2\x98\x95  Zo\xc3\xab",'
    b'"created_at":"2026-03-01T10:00:00-05:00","total_price":"19.99" }\n'
)


@pytest.fixture
def client(settings: OmsSettings, store: OrderStore) -> Iterator[TestClient]:
    """The service over the parametrized store, signed with ``TEST_SECRET``."""
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


# ---------------------------------------------------------------------------
# Landing
# ---------------------------------------------------------------------------


def test_signed_delivery_lands_exact_bytes_and_headers(
    client: TestClient, store: OrderStore
) -> None:
    headers = _headers(RAW_BODY)
    headers["X-Forwarded-For"] = "203.0.113.7"

    response = client.post(PATH, content=RAW_BODY, headers=headers)

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "landed"
    (row,) = _landings(store)
    assert answer == {"status": "landed", "landing_id": row.id}
    assert isinstance(row.body, bytes)
    assert row.body == RAW_BODY
    assert row.body_sha256 == hashlib.sha256(RAW_BODY).hexdigest()
    assert (row.source, row.delivery_id, row.topic, row.shop, row.event_id) == (
        "shopify",
        WEBHOOK_ID,
        "orders/create",
        SHOP,
        EVENT_ID,
    )
    assert row.headers["x-shopify-webhook-id"] == WEBHOOK_ID
    assert row.headers["x-shopify-topic"] == "orders/create"
    assert row.headers["x-shopify-shop-domain"] == SHOP
    assert row.headers["x-shopify-event-id"] == EVENT_ID
    assert row.headers["x-shopify-triggered-at"] == "2026-03-01T15:00:01.123456789Z"
    assert row.headers["x-shopify-api-version"] == "2025-10"
    assert row.headers["x-shopify-hmac-sha256"] == headers["X-Shopify-Hmac-Sha256"]
    assert set(row.headers) <= set(SHOPIFY_KEPT_HEADERS)  # nothing else, no client addresses
    assert (row.outcome, row.processed_at, row.order_id) == ("pending", None, None)


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b"\xff\xfe\x00binary\x00", b"", b"[1, 2, 3]"],
    ids=["text", "binary", "empty", "array"],
)
def test_signed_non_json_body_lands_and_is_rejected_later(
    client: TestClient, store: OrderStore, body: bytes
) -> None:
    response = client.post(PATH, content=body, headers=_headers(body))

    assert response.status_code == 200
    assert response.json()["status"] == "landed"
    (row,) = _landings(store)
    assert row.body == body

    summary = import_pending_landings(store)

    assert (summary.landings, summary.rejected) == (1, 1)
    (rejection,) = _rows(store, OrderRejection)
    assert (rejection.landing_id, rejection.code, rejection.field) == (
        row.id,
        "invalid_json",
        "body",
    )
    assert _landings(store)[0].outcome == "rejected"


# ---------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------


def _change_one_body_byte(body: bytes, headers: dict[str, str]) -> bytes:
    changed = bytearray(body)
    changed[body.index(b"19.99") + 1] = ord("8")
    return bytes(changed)


def _change_signature(body: bytes, headers: dict[str, str]) -> bytes:
    signature = headers["X-Shopify-Hmac-Sha256"]
    headers["X-Shopify-Hmac-Sha256"] = ("B" if signature[0] == "A" else "A") + signature[1:]
    return body


def _sign_with_another_secret(body: bytes, headers: dict[str, str]) -> bytes:
    headers["X-Shopify-Hmac-Sha256"] = sign_base64_hmac_sha256(b"not-our-secret", body)
    return body


def _sign_reserialized_json(body: bytes, headers: dict[str, str]) -> bytes:
    reserialized = json.dumps(json.loads(body)).encode("utf-8")
    headers["X-Shopify-Hmac-Sha256"] = sign_base64_hmac_sha256(TEST_SECRET.encode(), reserialized)
    return body


@pytest.mark.parametrize(
    "tamper",
    [_change_one_body_byte, _change_signature, _sign_with_another_secret, _sign_reserialized_json],
    ids=["body-byte", "signature-char", "other-secret", "reserialized-json"],
)
def test_tampered_delivery_is_refused_and_lands_nothing(
    client: TestClient, store: OrderStore, tamper: Any
) -> None:
    headers = _headers(RAW_BODY)
    body = tamper(RAW_BODY, headers)

    response = client.post(PATH, content=body, headers=headers)

    assert response.status_code == 401
    assert "does not match" in response.json()["detail"]
    assert _landings(store) == []


@pytest.mark.parametrize("value", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_missing_signature_is_refused_and_lands_nothing(
    client: TestClient, store: OrderStore, value: str | None
) -> None:
    headers = _headers(RAW_BODY)
    del headers["X-Shopify-Hmac-Sha256"]
    if value is not None:
        headers["X-Shopify-Hmac-Sha256"] = value

    response = client.post(PATH, content=RAW_BODY, headers=headers)

    assert response.status_code == 401
    assert _landings(store) == []


def test_no_secret_configured_refuses_every_delivery(
    settings: OmsSettings, store: OrderStore
) -> None:
    unconfigured = _settings_with(settings, current=None, previous=None)

    with TestClient(create_app(unconfigured, store)) as client:
        signed = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY))
        unsigned_headers = _headers(RAW_BODY)
        del unsigned_headers["X-Shopify-Hmac-Sha256"]
        unsigned = client.post(PATH, content=RAW_BODY, headers=unsigned_headers)

    assert (signed.status_code, unsigned.status_code) == (401, 401)
    assert "no webhook secret" in signed.json()["detail"]
    assert _landings(store) == []


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_blank_secret_counts_as_no_secret(
    settings: OmsSettings, store: OrderStore, blank: str
) -> None:
    # Anyone can compute an HMAC keyed with an empty secret: it must not open the endpoint.
    configured = _settings_with(settings, current=blank, previous=blank)
    forged = _headers(RAW_BODY, secret=blank)

    with TestClient(create_app(configured, store)) as client:
        response = client.post(PATH, content=RAW_BODY, headers=forged)

    assert response.status_code == 401
    assert "no webhook secret" in response.json()["detail"]
    assert _landings(store) == []


def test_previous_secret_still_lands_after_rotation(
    settings: OmsSettings, store: OrderStore
) -> None:
    rotated = _settings_with(settings, current="the-new-secret", previous=TEST_SECRET)
    old_body = RAW_BODY
    new_body = RAW_BODY.replace(b"9001", b"9002")

    with TestClient(create_app(rotated, store)) as client:
        by_old = client.post(PATH, content=old_body, headers=_headers(old_body, webhook_id="a"))
        by_new = client.post(
            PATH,
            content=new_body,
            headers=_headers(new_body, webhook_id="b", secret="the-new-secret"),
        )
        by_other = client.post(
            PATH, content=old_body, headers=_headers(old_body, webhook_id="c", secret="guess")
        )

    assert (by_old.status_code, by_new.status_code, by_other.status_code) == (200, 200, 401)
    assert [(row.delivery_id, row.body) for row in _landings(store)] == [
        ("a", old_body),
        ("b", new_body),
    ]


# ---------------------------------------------------------------------------
# Headers and deduplication
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Shop-Domain"]
)
@pytest.mark.parametrize("value", [None, "  "], ids=["absent", "blank"])
def test_missing_delivery_header_answers_400_and_lands_nothing(
    client: TestClient, store: OrderStore, header: str, value: str | None
) -> None:
    headers = _headers(RAW_BODY)
    del headers[header]
    if value is not None:
        headers[header] = value

    response = client.post(PATH, content=RAW_BODY, headers=headers)

    assert response.status_code == 400
    assert header in response.json()["detail"]
    assert _landings(store) == []


def test_unsigned_delivery_without_headers_answers_401_before_400(
    client: TestClient, store: OrderStore
) -> None:
    response = client.post(PATH, content=RAW_BODY, headers={"Content-Type": "application/json"})

    assert response.status_code == 401
    assert _landings(store) == []


def test_same_delivery_twice_is_one_landing(client: TestClient, store: OrderStore) -> None:
    first = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY))
    second = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY))

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == "landed"
    assert second.json() == {"status": "duplicate", "landing_id": first.json()["landing_id"]}
    (row,) = _landings(store)
    assert row.id == first.json()["landing_id"]
    assert row.body == RAW_BODY


def test_retry_with_other_bytes_keeps_the_first_landing(
    client: TestClient, store: OrderStore
) -> None:
    changed = RAW_BODY.replace(b"19.99", b"29.99")

    first = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY))
    retry = client.post(PATH, content=changed, headers=_headers(changed))

    assert retry.json() == {"status": "duplicate", "landing_id": first.json()["landing_id"]}
    (row,) = _landings(store)
    assert row.body == RAW_BODY


def test_same_body_under_another_webhook_id_lands_again(
    client: TestClient, store: OrderStore
) -> None:
    # Shopify sends one event to each subscription with its own webhook id but one event id.
    first = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY, webhook_id="wh-1"))
    second = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY, webhook_id="wh-2"))

    assert first.json()["status"] == second.json()["status"] == "landed"
    assert first.json()["landing_id"] != second.json()["landing_id"]
    rows = _landings(store)
    assert [(row.delivery_id, row.event_id, row.body) for row in rows] == [
        ("wh-1", EVENT_ID, RAW_BODY),
        ("wh-2", EVENT_ID, RAW_BODY),
    ]


def test_distinct_long_webhook_ids_are_not_merged(client: TestClient, store: OrderStore) -> None:
    first_id, second_id = "w" * 200 + "-first", "w" * 200 + "-second"

    first = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY, webhook_id=first_id))
    second = client.post(PATH, content=RAW_BODY, headers=_headers(RAW_BODY, webhook_id=second_id))

    answers = [(r.status_code, r.json().get("landing_id")) for r in (first, second)]
    refused = {status for status, _ in answers} == {400}
    landed_apart = [status for status, _ in answers] == [200, 200] and len(
        {landing_id for _, landing_id in answers}
    ) == 2
    assert refused or landed_apart, answers


def test_overlong_event_id_does_not_crash_the_receiver(
    settings: OmsSettings, store: OrderStore
) -> None:
    headers = _headers(RAW_BODY)
    headers["X-Shopify-Event-Id"] = "e" * 300

    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        response = client.post(PATH, content=RAW_BODY, headers=headers)

    assert response.status_code in {200, 400}, response.text
    assert len(_landings(store)) == (1 if response.status_code == 200 else 0)


def test_same_webhook_id_from_another_source_is_not_a_duplicate(store: OrderStore) -> None:
    # The key is (source, delivery id): another source may reuse the id.
    shopify = store.land(
        source="shopify",
        delivery_id=WEBHOOK_ID,
        topic="orders/create",
        shop=SHOP,
        event_id=None,
        headers={},
        body=RAW_BODY,
    )
    other = store.land(
        source="woocommerce",
        delivery_id=WEBHOOK_ID,
        topic="order.created",
        shop="shop.example",
        event_id=None,
        headers={},
        body=RAW_BODY,
    )

    assert shopify.created and other.created
    assert shopify.landing_id != other.landing_id


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# ---------------------------------------------------------------------------
# What becomes of the landings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chunk_size",
    [
        pytest.param(1, id="landing-by-landing"),
        pytest.param(CHUNK, id="one-chunk"),
    ],
)
def test_sample_deliveries_replay_and_import_as_the_oracle_says(
    client: TestClient, store: OrderStore, chunk_size: int
) -> None:
    folder = SAMPLES_DIR / "deliveries" / "shopify"
    oracle = json.loads((SAMPLES_DIR / "deliveries" / "shopify-expected.json").read_text())

    replayed = replay_shopify_folder(folder, TEST_SECRET.encode(), _poster(client))
    import_pending_landings(store, chunk_size=chunk_size)

    expected = oracle["deliveries"]
    assert replayed.answers == {name: entry["http"] for name, entry in expected.items()}
    by_delivery = {row.delivery_id: row for row in _landings(store)}
    rejections = {row.landing_id: row for row in _rows(store, OrderRejection)}
    lines = _rows(store, OrderLineRow)
    for name, entry in expected.items():
        if entry["http"] == "duplicate":
            continue
        sidecar = json.loads((folder / name.replace(".json", ".headers.json")).read_text())
        landing = by_delivery[sidecar["X-Shopify-Webhook-Id"]]
        assert landing.outcome == entry["outcome"], name
        if entry["outcome"] == "rejected":
            rejection = rejections[landing.id]
            assert (rejection.code, rejection.field) == (entry["code"], entry["field"]), name
            assert rejection.order_number == entry["order_number"], name
        else:
            assert landing.order_id is not None, name
        if entry["outcome"] == "accepted":
            count = sum(1 for line in lines if line.order_id == landing.order_id)
            assert count == entry["production_lines"], name
    orders = _rows(store, OrderRow)
    assert sorted(order.order_number for order in orders) == sorted(oracle["orders"])
    assert sorted(r.order_number for r in rejections.values()) == sorted(
        oracle["rejected_order_numbers"]
    )


def test_same_order_id_from_two_shops_does_not_stop_the_import(
    client: TestClient, store: OrderStore
) -> None:
    deliveries = [
        ("wh-a", "a-shop.myshopify.com", 5900000007001),
        ("wh-b", "b-shop.myshopify.com", 5900000007001),
        ("wh-c", "a-shop.myshopify.com", 5900000007002),
    ]
    for webhook_id, shop, order_id in deliveries:
        body = json.dumps(_order_payload(order_id)).encode("utf-8")
        headers = _headers(body, webhook_id=webhook_id, shop=shop)
        assert client.post(PATH, content=body, headers=headers).status_code == 200

    import_pending_landings(store)

    # Either both shops' orders are kept apart, or the colliding landing is rejected alone;
    # never may it stop the batch or leave a landing pending.
    landings = {row.delivery_id: row for row in _landings(store)}
    assert landings["wh-a"].outcome == "accepted"
    assert landings["wh-c"].outcome == "accepted"
    assert landings["wh-b"].outcome in {"accepted", "rejected"}
    if landings["wh-b"].outcome == "rejected":
        rejections = {r.landing_id: r for r in _rows(store, OrderRejection)}
        rejection = rejections[landings["wh-b"].id]
        assert rejection.field
        assert "b-shop.myshopify.com" in rejection.message
    else:
        refs = [order.order_ref for order in _rows(store, OrderRow)]
        assert len(refs) == len(set(refs)) == 3


def test_update_with_a_line_removed_leaves_no_line_behind(
    client: TestClient, store: OrderStore
) -> None:
    created = _order_payload(5900000007101)
    created["line_items"].append({"id": 2, "sku": "GIFT-BOX-SM", "quantity": 1, "price": "4.50"})
    edited = _order_payload(5900000007101)
    edited["updated_at"] = "2026-03-02T10:00:00-05:00"
    edited["line_items"] = [created["line_items"][1]]

    for webhook_id, payload in (("wh-create", created), ("wh-edit", edited)):
        body = json.dumps(payload).encode("utf-8")
        response = client.post(PATH, content=body, headers=_headers(body, webhook_id=webhook_id))
        assert response.json()["status"] == "landed"
        import_pending_landings(store)

    assert [row.outcome for row in _landings(store)] == ["accepted", "accepted"]
    live = [
        (line.sku, line.quantity)
        for line in _rows(store, OrderLineRow)
        if line.status != "cancelled"
    ]
    assert live == [("GIFT-BOX-SM", 1)]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _headers(
    body: bytes,
    *,
    webhook_id: str = WEBHOOK_ID,
    secret: str = TEST_SECRET,
    shop: str = SHOP,
) -> dict[str, str]:
    """The headers Shopify sends with ``body``, signed with ``secret``."""
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": EVENT_ID,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Triggered-At": "2026-03-01T15:00:01.123456789Z",
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Hmac-Sha256": sign_base64_hmac_sha256(secret.encode("utf-8"), body),
    }


def _settings_with(
    settings: OmsSettings, *, current: str | None, previous: str | None
) -> OmsSettings:
    """The same database and folder with other webhook secrets (the environment ignored)."""
    return OmsSettings(
        database_url=settings.database_url,
        var_dir=settings.var_dir,
        shopify_webhook_secret=current,  # type: ignore[arg-type]
        shopify_webhook_secret_previous=previous,  # type: ignore[arg-type]
    )


def _poster(client: TestClient) -> Any:
    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        response = client.post(path, content=body, headers=headers)
        return response.status_code, response.json()

    return post


def _landings(store: OrderStore) -> list[LandedPayload]:
    return _rows(store, LandedPayload)


def _rows(store: OrderStore, table: Any) -> list[Any]:
    with store.session() as session:
        return list(session.execute(select(table).order_by(table.id)).scalars())


def _order_payload(order_id: int) -> dict[str, Any]:
    return {
        "id": order_id,
        "order_number": order_id % 10_000,
        "created_at": "2026-03-01T10:00:00-05:00",
        "updated_at": "2026-03-01T10:05:00-05:00",
        "currency": "USD",
        "total_price": "6.00",
        "shipping_address": {
            "address1": "10 Example Street",
            "city": "Springfield",
            "country_code": "US",
        },
        "line_items": [{"id": 1, "sku": "STICKER-PACK-5", "quantity": 1, "price": "6.00"}],
    }
