"""Turns every pending landing into an order or a rejection, in one batch."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms_pipeline.errors import PayloadRejected
from oms_pipeline.ingest import shopify
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import Connection, LandedPayload, Product, utcnow

log = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    """What one batch did with the pending landings."""

    landings: int = 0
    accepted: int = 0
    stale: int = 0
    rejected: int = 0
    rejection_codes: Counter[str] = field(default_factory=Counter)
    order_ids: set[int] = field(default_factory=set)


def import_pending_landings(store: OrderStore) -> ImportSummary:
    """Parse every pending landing; upsert accepted orders, record rejections.

    Each landing is handled in a savepoint, so one landing that breaks a database rule is
    rejected alone and the rest of the batch goes on.
    """
    summary = ImportSummary()
    with store.session() as session:
        custom_skus = frozenset(
            session.execute(select(Product.sku).where(Product.is_custom.is_(True))).scalars()
        )
        recipe_properties = {
            (c.source, c.shop): tuple(c.recipe_properties)
            for c in session.execute(select(Connection)).scalars()
        }
        for landing in store.pending_landings(session):
            summary.landings += 1
            properties = recipe_properties.get(
                (landing.source, landing.shop),
                recipe_properties.get((landing.source, "*"), shopify.DEFAULT_RECIPE_PROPERTIES),
            )
            with session.begin_nested():
                _import_one(store, session, landing, properties, custom_skus, summary)
            landing.processed_at = utcnow()
    log.info(
        "imported %d landings: %d accepted, %d stale, %d rejected",
        summary.landings,
        summary.accepted,
        summary.stale,
        summary.rejected,
    )
    return summary


def _import_one(
    store: OrderStore,
    session: Session,
    landing: LandedPayload,
    recipe_properties: tuple[str, ...],
    custom_skus: frozenset[str],
    summary: ImportSummary,
) -> None:
    try:
        if landing.source != "shopify":
            raise PayloadRejected(
                "unsupported_source", "source", f"no adapter reads {landing.source!r} payloads yet"
            )
        order = shopify.parse_order(
            landing.body,
            topic=landing.topic,
            shop=landing.shop,
            recipe_properties=recipe_properties,
            custom_skus=custom_skus,
        )
    except PayloadRejected as rejection:
        store.record_rejection(
            session,
            landing=landing,
            code=rejection.code,
            field=rejection.field,
            message=rejection.message,
            source_order_id=_peek(landing.body, "id"),
            order_number=_peek(landing.body, "order_number"),
        )
        landing.outcome = "rejected"
        summary.rejected += 1
        summary.rejection_codes[rejection.code] += 1
        return

    order_id, fresh = store.upsert_order(
        session, order, landing_id=landing.id, custom_skus=custom_skus
    )
    store.clear_rejection(session, landing.id)
    landing.order_id = order_id
    landing.outcome = "accepted" if fresh else "stale"
    summary.order_ids.add(order_id)
    if fresh:
        summary.accepted += 1
    else:
        summary.stale += 1


def _peek(body: bytes, key: str) -> str | None:
    """A top-level value of a JSON body for the rejection record, if it can be read at all."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(payload, dict) and set(payload) == {"order"}:
        payload = payload["order"]
    value = payload.get(key) if isinstance(payload, dict) else None
    return None if value is None else str(value)[:100]
