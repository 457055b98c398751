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
from oms_pipeline.ingest.common import as_text
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

    def merge(self, other: ImportSummary) -> None:
        """Add another chunk's figures to these."""
        self.landings += other.landings
        self.accepted += other.accepted
        self.stale += other.stale
        self.rejected += other.rejected
        self.rejection_codes.update(other.rejection_codes)
        self.order_ids.update(other.order_ids)


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
        try:
            with store.session() as session:
                done = _import_chunk(store, session, landings)
            summary.merge(done)
        except Exception:
            # Something in the chunk breaks a database rule or the driver: import one landing
            # at a time, so only the culprit is rejected and the rest go on.
            log.warning("chunk of %d landings failed; importing them one by one", len(landings))
            for landing in landings:
                _import_alone(store, landing, summary)
        after_id = landings[-1].id
    log.info(
        "imported %d landings: %d accepted, %d stale, %d rejected",
        summary.landings,
        summary.accepted,
        summary.stale,
        summary.rejected,
    )
    return summary


def _import_alone(store: OrderStore, landing: PendingLanding, summary: ImportSummary) -> None:
    try:
        with store.session() as session:
            done = _import_chunk(store, session, [landing])
        summary.merge(done)
    except Exception as exc:
        # The error's text may quote the payload's values: keep only its kind.
        reason = type(getattr(exc, "orig", None) or exc).__name__
        with store.session() as session:
            store.record_rejections(
                session,
                [
                    _rejection(
                        landing,
                        "store_error",
                        "body",
                        f"the order store refused this payload ({reason}); it is kept and can "
                        "be replayed once the adapter or the schema is fixed",
                    )
                ],
            )
            session.execute(
                update(LandedPayload),
                [{"id": landing.id, "outcome": "rejected", "processed_at": utcnow()}],
            )
        summary.landings += 1
        summary.rejected += 1
        summary.rejection_codes["store_error"] += 1


def _import_chunk(
    store: OrderStore, session: Session, landings: list[PendingLanding]
) -> ImportSummary:
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
                _rejection(landing, rejection.code, rejection.field, rejection.message)
            )
            continue
        except Exception as exc:
            rejections.append(
                _rejection(
                    landing,
                    "unreadable_payload",
                    "body",
                    f"the payload could not be read ({type(exc).__name__}); it is kept and can "
                    "be replayed once the adapter is fixed",
                )
            )
            continue
        versions.append((order, landing.id))

    result = store.upsert_orders(session, versions, custom_skus)
    by_landing = {landing.id: landing for landing in landings}
    rejections.extend(
        _rejection(by_landing[landing_id], "order_ref_conflict", "id", message)
        for landing_id, message in result.conflicts.items()
    )
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
    return ImportSummary(
        landings=len(landings),
        accepted=len(result.accepted),
        stale=len(result.stale),
        rejected=len(rejections),
        rejection_codes=Counter(r["code"] for r in rejections),
        order_ids=set(result.order_ids.values()),
    )


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


def _rejection(landing: PendingLanding, code: str, field: str, message: str) -> dict[str, Any]:
    return {
        "landing_id": landing.id,
        "source": landing.source,
        "source_order_id": _peek(landing.body, "id"),
        "order_number": _peek(landing.body, "order_number"),
        "code": code,
        "field": field[:255],
        "message": message,
    }


def _peek(body: bytes, key: str) -> str | None:
    """A top-level value of a JSON body for the rejection record, if it can be read at all."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(payload, dict) and set(payload) == {"order"}:
        payload = payload["order"]
    value = payload.get(key) if isinstance(payload, dict) else None
    return None if value is None else as_text(value)[:100]
