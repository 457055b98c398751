"""Turns every pending landing into an order or a rejection, a chunk of landings at a time.

Parsing is per payload (it is Python); every write is one statement per chunk: orders, lines,
attributes, rejections and the landings' outcomes.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oms_pipeline.errors import PayloadRejected
from oms_pipeline.ingest import shopify
from oms_pipeline.orders.model import Order
from oms_pipeline.orders.store import OrderStore, PendingLanding
from oms_pipeline.orders.tables import (
    Connection,
    LandedPayload,
    OrderLineRow,
    Product,
    utcnow,
)
from oms_pipeline.status.reconcile import move_lines

log = logging.getLogger(__name__)

CHUNK = 500


@dataclass
class ImportSummary:
    """What one batch did with the pending landings."""

    landings: int = 0
    accepted: int = 0
    stale: int = 0
    rejected: int = 0
    rejection_codes: Counter[str] = field(default_factory=Counter)
    order_ids: set[int] = field(default_factory=set)


def import_pending_landings(store: OrderStore, chunk_size: int = CHUNK) -> ImportSummary:
    """Parse every pending landing; upsert accepted orders, record rejections.

    Each chunk is committed on its own, so a long backlog is not one huge transaction.
    """
    summary = ImportSummary()
    after_id = 0
    while True:
        with store.session() as session:
            landings = store.pending_landings(session, after_id, chunk_size)
            if not landings:
                break
            _import_chunk(store, session, landings, summary)
            after_id = landings[-1].id
    log.info(
        "imported %d landings: %d accepted, %d stale, %d rejected",
        summary.landings,
        summary.accepted,
        summary.stale,
        summary.rejected,
    )
    return summary


def _import_chunk(
    store: OrderStore, session: Session, landings: list[PendingLanding], summary: ImportSummary
) -> None:
    custom_skus = frozenset(
        session.execute(select(Product.sku).where(Product.is_custom.is_(True))).scalars()
    )
    recipe_properties = {
        (c.source, c.shop): tuple(c.recipe_properties)
        for c in session.execute(select(Connection)).scalars()
    }

    versions: list[tuple[Order, int]] = []
    rejections: list[dict[str, Any]] = []
    for landing in landings:
        try:
            order = _parse(landing, recipe_properties, custom_skus)
        except PayloadRejected as rejection:
            rejections.append(
                {
                    "landing_id": landing.id,
                    "source": landing.source,
                    "source_order_id": _peek(landing.body, "id"),
                    "order_number": _peek(landing.body, "order_number"),
                    "code": rejection.code,
                    "field": rejection.field[:255],
                    "message": rejection.message,
                }
            )
            summary.rejection_codes[rejection.code] += 1
            continue
        versions.append((order, landing.id))

    result = store.upsert_orders(session, versions, custom_skus)
    by_landing = {landing.id: landing for landing in landings}
    for landing_id, message in result.conflicts.items():
        body = by_landing[landing_id].body
        rejections.append(
            {
                "landing_id": landing_id,
                "source": by_landing[landing_id].source,
                "source_order_id": _peek(body, "id"),
                "order_number": _peek(body, "order_number"),
                "code": "order_ref_conflict",
                "field": "id",
                "message": message,
            }
        )
        summary.rejection_codes["order_ref_conflict"] += 1
    store.record_rejections(session, rejections)
    store.clear_rejections(session, list(result.order_ids))
    # Lines an edit removed, and every line of a cancelled order, are cancelled where their
    # status still allows it (a shipped line stays shipped).
    cancelled_lines = list(result.removed_line_ids)
    if result.cancelled_order_ids:
        cancelled_lines += session.execute(
            select(OrderLineRow.id).where(OrderLineRow.order_id.in_(result.cancelled_order_ids))
        ).scalars()
    move_lines(session, cancelled_lines, "cancelled")

    now = utcnow()
    outcomes: list[dict[str, Any]] = [
        {"id": r["landing_id"], "outcome": "rejected", "processed_at": now, "order_id": None}
        for r in rejections
    ]
    for outcome, landing_ids in (("accepted", result.accepted), ("stale", result.stale)):
        outcomes.extend(
            {
                "id": landing_id,
                "outcome": outcome,
                "processed_at": now,
                "order_id": result.order_ids[landing_id],
            }
            for landing_id in landing_ids
        )
    session.execute(update(LandedPayload), outcomes)
    summary.order_ids.update(result.order_ids.values())
    summary.landings += len(landings)
    summary.accepted += len(result.accepted)
    summary.stale += len(result.stale)
    summary.rejected += len(rejections)


def _parse(
    landing: PendingLanding,
    recipe_properties: dict[tuple[str, str], tuple[str, ...]],
    custom_skus: frozenset[str],
) -> Order:
    if landing.source != "shopify":
        raise PayloadRejected(
            "unsupported_source", "source", f"no adapter reads {landing.source!r} payloads yet"
        )
    properties = recipe_properties.get(
        (landing.source, landing.shop),
        recipe_properties.get((landing.source, "*"), shopify.DEFAULT_RECIPE_PROPERTIES),
    )
    return shopify.parse_order(
        landing.body,
        topic=landing.topic,
        shop=landing.shop,
        recipe_properties=properties,
        custom_skus=custom_skus,
    )


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
