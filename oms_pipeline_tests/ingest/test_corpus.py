"""Tests of the real Shopify corpus through the webhook handler and the importer, on both databases.

Every file of the corpus folder (bare bodies, skipped when the folder is absent) is replayed,
signed, through ``POST /webhooks/shopify`` and imported. Covers: each body lands once and ends
accepted, stale or rejected, never pending; each file ends as its own content says (topics that
carry no order and open orders without a shippable address are rejected, the rest become
orders); every order keeps its newest version; every rejection names its field in its message;
one order row per distinct Shopify order among accepted landings; and a second replay lands
nothing and leaves orders, lines, attributes, rejections and landings identical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oms_pipeline.api.main import create_app
from oms_pipeline.ingest.replay import (
    delivery_files,
    guess_shopify_topic,
    replay_shopify_folder,
    shopify_headers,
)
from oms_pipeline.ingest.shopify import ORDER_TOPICS
from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import (
    LandedPayload,
    OrderLineAttributeRow,
    OrderLineRow,
    OrderRejection,
    OrderRow,
)
from oms_pipeline.settings import OmsSettings
from oms_pipeline_tests.conftest import SHOPIFY_CORPUS, TEST_SECRET

CORPUS_NAMES = (
    [path.name for path in delivery_files(SHOPIFY_CORPUS)] if SHOPIFY_CORPUS.is_dir() else []
) or ["(no corpus)"]

# Bookkeeping times that say when a row was written, not what it holds.
BOOKKEEPING_TIMES = frozenset({"created_at", "updated_at", "received_at", "processed_at"})
DUMPED_TABLES = (OrderRow, OrderLineRow, OrderLineAttributeRow, OrderRejection, LandedPayload)


@dataclass
class CorpusRun:
    """The corpus replayed once and imported: what each file became."""

    store: OrderStore
    client: TestClient
    bodies: dict[str, bytes]
    delivery_ids: dict[str, str]
    answers: dict[str, dict[str, Any]]

    def landing(self, name: str) -> LandedPayload:
        """The landing row of a corpus file."""
        with self.store.session() as session:
            stmt = select(LandedPayload).where(
                LandedPayload.source == "shopify",
                LandedPayload.delivery_id == self.delivery_ids[name],
            )
            return session.execute(stmt).scalar_one()


@pytest.fixture
def corpus_run(settings: OmsSettings, store: OrderStore) -> Iterator[CorpusRun]:
    """The corpus replayed through the webhook handler and imported, on each database."""
    if not SHOPIFY_CORPUS.is_dir():
        pytest.skip(f"the Shopify corpus is not at {SHOPIFY_CORPUS}")
    files = delivery_files(SHOPIFY_CORPUS)
    if not files:
        pytest.skip(f"the Shopify corpus at {SHOPIFY_CORPUS} holds no .json body")
    bodies = {path.name: path.read_bytes() for path in files}
    delivery_ids = {
        path.name: shopify_headers(path, bodies[path.name])["X-Shopify-Webhook-Id"]
        for path in files
    }

    with TestClient(create_app(settings, store)) as client:
        answers = _replay(client)
        import_pending_landings(store)
        yield CorpusRun(store, client, bodies, delivery_ids, answers)


# ---------------------------------------------------------------------------
# Every file
# ---------------------------------------------------------------------------


def test_every_corpus_body_lands_once_and_ends_processed(corpus_run: CorpusRun) -> None:
    distinct_bodies = set(corpus_run.bodies.values())
    first_of_body = {body: name for name, body in reversed(corpus_run.bodies.items())}

    for name, body in corpus_run.bodies.items():
        answer = corpus_run.answers[corpus_run.delivery_ids[name]]
        expected = "landed" if first_of_body[body] == name else "duplicate"
        assert answer["status"] == expected, name

    landings = _rows(corpus_run.store, LandedPayload)
    rejected_ids = {r.landing_id for r in _rows(corpus_run.store, OrderRejection)}
    assert len(landings) == len(distinct_bodies)
    for landing in landings:
        assert landing.outcome in {"accepted", "stale", "rejected"}, landing.delivery_id
        assert landing.processed_at is not None
        if landing.outcome == "rejected":
            assert landing.id in rejected_ids
            assert landing.order_id is None
        else:
            assert landing.id not in rejected_ids
            assert landing.order_id is not None


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_corpus_file_ends_as_its_content_says(corpus_run: CorpusRun, name: str) -> None:
    body = corpus_run.bodies[name]
    landing = corpus_run.landing(name)
    topic = guess_shopify_topic(body)
    payload = _order_object(body)

    assert landing.topic == topic
    assert landing.body == body
    if topic not in ORDER_TOPICS:
        assert landing.outcome == "rejected"
        assert _rejection(corpus_run.store, landing.id)[:2] == (
            "unsupported_topic",
            "X-Shopify-Topic",
        )
        return
    cancelled = topic == "orders/cancelled" or payload.get("cancelled_at") is not None
    if not cancelled and not _shippable(payload.get("shipping_address")):
        assert landing.outcome == "rejected"
        assert _rejection(corpus_run.store, landing.id)[:2] == (
            "missing_shipping_address",
            "shipping_address",
        )
        return

    assert landing.outcome in {"accepted", "stale"}
    order = _order(corpus_run.store, landing.order_id)
    assert order.source_order_id == str(payload["id"])
    assert order.shop == landing.shop
    assert order.status == ("cancelled" if cancelled else "received")


def test_each_order_keeps_its_newest_version(corpus_run: CorpusRun) -> None:
    versions: dict[int, list[tuple[LandedPayload, datetime]]] = {}
    for landing in _rows(corpus_run.store, LandedPayload):
        if landing.outcome in {"accepted", "stale"}:
            updated = _updated_at(_order_object(landing.body))
            versions.setdefault(landing.order_id, []).append((landing, updated))
    assert versions, "no corpus body became an order"

    for order_id, group in versions.items():
        newest = max(updated for _, updated in group)
        # Among versions equally new, the first to land wins.
        winner = min((lnd for lnd, updated in group if updated == newest), key=lambda x: x.id)
        order = _order(corpus_run.store, order_id)
        assert order.source_updated_at == newest
        assert order.landing_id == winner.id
        assert winner.outcome == "accepted"
        for landing, _ in group:
            if landing.id > winner.id:
                assert landing.outcome == "stale", landing.delivery_id


def test_every_rejection_names_its_field(corpus_run: CorpusRun) -> None:
    rejections = _rows(corpus_run.store, OrderRejection)
    assert rejections, "the corpus holds payloads that must be rejected"

    for rejection in rejections:
        assert rejection.source == "shopify"
        assert rejection.code.strip()
        assert rejection.field.strip()
        assert rejection.message.strip()
        assert _field_words(rejection.field) in _plain(rejection.message), (
            rejection.field,
            rejection.message,
        )


def test_one_order_per_distinct_shopify_order(corpus_run: CorpusRun) -> None:
    accepted = [
        landing
        for landing in _rows(corpus_run.store, LandedPayload)
        if landing.outcome == "accepted"
    ]
    distinct = {(lnd.shop, str(_order_object(lnd.body)["id"])) for lnd in accepted}
    orders = _rows(corpus_run.store, OrderRow)
    lines = _rows(corpus_run.store, OrderLineRow)

    assert len(orders) == len(distinct)
    assert {(order.shop, order.source_order_id) for order in orders} == distinct
    for order in orders:
        assert any(line.order_id == order.id for line in lines), order.order_ref


def test_second_replay_lands_nothing_and_changes_nothing(corpus_run: CorpusRun) -> None:
    before = {table.__tablename__: _dump(corpus_run.store, table) for table in DUMPED_TABLES}
    assert before["orders"], "the first replay made no order"

    again = _replay(corpus_run.client)
    summary = import_pending_landings(corpus_run.store)

    assert {answer["status"] for answer in again.values()} == {"duplicate"}
    assert {k: a["landing_id"] for k, a in again.items()} == {
        k: a["landing_id"] for k, a in corpus_run.answers.items()
    }
    assert summary.landings == 0
    after = {table.__tablename__: _dump(corpus_run.store, table) for table in DUMPED_TABLES}
    assert after == before


def test_known_corpus_facts(corpus_run: CorpusRun) -> None:
    facts = {
        "refund-restock.json": ("rejected", "unsupported_topic"),
        "fulfillment-webhook-engraving.json": ("rejected", "unsupported_topic"),
        "order-no-addresses.json": ("rejected", "missing_shipping_address"),
        "orders-create-stacked-discounts-no-ship-addr.json": (
            "rejected",
            "missing_shipping_address",
        ),
        "orders-cancelled-hkd-cjk-draft.json": ("accepted", None),
        "order-webhook-tip-cad.json": ("accepted", None),
    }
    present = {name: fact for name, fact in facts.items() if name in corpus_run.bodies}
    if not present:
        pytest.skip("none of the known corpus files is present")

    for name, (outcome, code) in present.items():
        landing = corpus_run.landing(name)
        assert landing.outcome == outcome, name
        if code is not None:
            assert _rejection(corpus_run.store, landing.id)[0] == code, name

    if "orders-cancelled-hkd-cjk-draft.json" in present:
        landing = corpus_run.landing("orders-cancelled-hkd-cjk-draft.json")
        order = _order(corpus_run.store, landing.order_id)
        assert (order.status, order.currency) == ("cancelled", "HKD")
    if "order-webhook-tip-cad.json" in present:
        # The tip line is not produced; the product without a SKU is named by its variant.
        landing = corpus_run.landing("order-webhook-tip-cad.json")
        skus = [
            line.sku
            for line in _rows(corpus_run.store, OrderLineRow)
            if line.order_id == landing.order_id
        ]
        assert skus == ["shopify-variant-41383274741953"]


def test_field_words_reads_field_paths_as_words() -> None:
    # Guards the helper the rejection test relies on, so that test cannot pass vacuously.
    assert _field_words("X-Shopify-Topic") == "topic"
    assert _field_words("line_items[3].properties") == "properties"
    assert _field_words("shipping_address") == "shipping address"
    assert _field_words("shipping_address") not in _plain("the order has no id")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _replay(client: TestClient) -> dict[str, dict[str, Any]]:
    """Replay the corpus, signed; the answers by webhook id."""
    answers: dict[str, dict[str, Any]] = {}

    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        answers[headers["X-Shopify-Webhook-Id"]] = response.json()
        return response.status_code, response.json()

    replay_shopify_folder(SHOPIFY_CORPUS, TEST_SECRET.encode("utf-8"), post)
    return answers


def _rows(store: OrderStore, table: Any) -> list[Any]:
    with store.session() as session:
        return list(session.execute(select(table).order_by(table.id)).scalars())


def _dump(store: OrderStore, table: Any) -> list[dict[str, Any]]:
    """Every row of a table as a dict, bookkeeping times left out, in primary key order."""
    core = table.__table__
    with store.session() as session:
        rows = session.execute(select(core).order_by(*core.primary_key.columns)).mappings()
        return [{k: v for k, v in row.items() if k not in BOOKKEEPING_TIMES} for row in rows]


def _order(store: OrderStore, order_id: int | None) -> OrderRow:
    assert order_id is not None
    with store.session() as session:
        order = session.get(OrderRow, order_id)
        assert order is not None
        return order


def _rejection(store: OrderStore, landing_id: int) -> tuple[str, str, str]:
    with store.session() as session:
        stmt = select(OrderRejection).where(OrderRejection.landing_id == landing_id)
        rejection = session.execute(stmt).scalar_one()
        return rejection.code, rejection.field, rejection.message


def _order_object(body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(body)
    return payload["order"] if set(payload) == {"order"} else payload


def _shippable(address: Any) -> bool:
    """A street, a city and a country code: what a carrier needs."""
    return isinstance(address, dict) and all(
        str(address.get(key) or "").strip() for key in ("address1", "city", "country_code")
    )


def _updated_at(payload: dict[str, Any]) -> datetime:
    parsed = datetime.fromisoformat(payload.get("updated_at") or payload["created_at"])
    return parsed.astimezone(UTC)


def _field_words(field: str) -> str:
    """The last part of a field path in plain words: ``line_items[0].properties`` reads
    ``properties``, ``X-Shopify-Topic`` reads ``topic``, ``shipping_address`` reads
    ``shipping address``."""
    leaf = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    leaf = re.sub(r"^x-shopify-", "", leaf, flags=re.IGNORECASE)
    return _plain(leaf)


def _plain(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text).casefold().strip()
