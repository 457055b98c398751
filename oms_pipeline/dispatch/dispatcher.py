"""Dispatch: hand a partner every traveler (and its artwork) not yet sent, as one batch."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Row, func, select, update

from oms_pipeline.dispatch.channels import channel_for
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import (
    ArtworkFile,
    Dispatch,
    FactoryFile,
    OrderLineRow,
    OrderRow,
    Partner,
    utcnow,
)
from oms_pipeline.status.reconcile import move_lines

log = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"^[+-]?[0-9][0-9 ().-]*$")

MANIFEST_COLUMNS = (
    "line_reference",
    "order_number",
    "sku",
    "quantity",
    "recipe_id",
    "traveler",
    "artwork",
    "ship_method",
    "ship_to_name",
    "ship_to_company",
    "ship_to_address_1",
    "ship_to_address_2",
    "ship_to_city",
    "ship_to_region",
    "ship_to_postal_code",
    "ship_to_country",
    "ship_to_phone",
)


@dataclass
class DispatchSummary:
    """One partner's dispatch: the batch, and what went in it."""

    partner_code: str
    batch_name: str | None = None
    files: list[str] = field(default_factory=list)
    lines: int = 0
    travelers: int = 0


def dispatch_partner(store: OrderStore, var_dir: Path, partner_code: str) -> DispatchSummary:
    """Send the partner every traveler not yet dispatched, with artwork and a manifest.

    The batch is named after its first and last traveler, recorded under a unique key, and
    written file by file atomically, so a retry after a crash writes the same batch again.
    """
    summary = DispatchSummary(partner_code)
    with store.session() as session:
        partner = session.get(Partner, partner_code)
        if partner is None:
            raise ValueError(f"no partner {partner_code!r}; load the configuration first")
        travelers = list(
            session.execute(
                select(FactoryFile)
                .where(
                    FactoryFile.partner_code == partner_code,
                    FactoryFile.kind == "traveler",
                    FactoryFile.dispatch_id.is_(None),
                )
                .order_by(FactoryFile.id)
            ).scalars()
        )
        if not travelers:
            return summary

        batch_name = f"batch-{travelers[0].id:06d}-{travelers[-1].id:06d}"
        order_ids = [t.order_id for t in travelers]
        lines = session.execute(
            select(OrderLineRow, OrderRow, ArtworkFile)
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .outerjoin(ArtworkFile, ArtworkFile.line_id == OrderLineRow.id)
            .where(
                OrderLineRow.order_id.in_(order_ids),
                OrderLineRow.partner_code == partner_code,
                OrderLineRow.status != "cancelled",
            )
            .order_by(OrderRow.id, OrderLineRow.line_no)
        ).all()

        files: dict[str, bytes] = {}
        traveler_names = {}
        for traveler in travelers:
            name = Path(traveler.path).name
            files[name] = Path(traveler.path).read_bytes()
            traveler_names[traveler.order_id] = name
        for _, _, artwork in lines:
            if artwork is not None:
                for path in (artwork.pdf_path, artwork.png_path):
                    files[f"artwork/{Path(path).name}"] = Path(path).read_bytes()
        files["manifest.csv"] = _manifest(lines, traveler_names)

        channel = channel_for(partner.channel, var_dir, partner_code)
        written = channel.send(batch_name, files)

        stmt = store.insert(Dispatch).values(
            batch_key=f"{partner_code}:{batch_name}",
            partner_code=partner_code,
            channel=partner.channel,
            manifest_path=next(p for p in written if p.endswith("manifest.csv")),
            file_count=len(files),
            line_count=len(lines),
            status="sent",
            dispatched_at=utcnow(),
        )
        session.execute(stmt.on_conflict_do_nothing(index_elements=["batch_key"]))
        dispatch_id = session.execute(
            select(Dispatch.id).where(Dispatch.batch_key == f"{partner_code}:{batch_name}")
        ).scalar_one()
        session.execute(
            update(FactoryFile)
            .where(FactoryFile.id.in_([t.id for t in travelers]))
            .values(dispatch_id=dispatch_id)
        )
        move_lines(session, [line.id for line, _, _ in lines], "dispatched")

    summary.batch_name = batch_name
    summary.files = written
    summary.lines = len(lines)
    summary.travelers = len(travelers)
    log.info("dispatched %d travelers, %d lines to %s", len(travelers), len(lines), partner_code)
    return summary


def _manifest(
    lines: Sequence[Row[tuple[OrderLineRow, OrderRow, ArtworkFile]]],
    traveler_names: dict[int, str],
) -> bytes:
    """The batch's manifest: one row per line, with where to ship it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for line, order, artwork in lines:
        ship_to = order.ship_to or {}
        name = " ".join(p for p in (ship_to.get("first_name"), ship_to.get("last_name")) if p)
        writer.writerow(
            _cell(value)
            for value in [
                line.line_reference,
                order.order_number,
                line.sku,
                line.quantity,
                line.recipe_id or "",
                traveler_names.get(order.id, ""),
                f"artwork/{Path(artwork.pdf_path).name}" if artwork else "",
                order.ship_method_description or "",
                name,
                ship_to.get("company_name", ""),
                ship_to.get("address_1", ""),
                ship_to.get("address_2", ""),
                ship_to.get("city", ""),
                ship_to.get("state_region", ""),
                ship_to.get("postal_code", ""),
                ship_to.get("country", ""),
                ship_to.get("phone", ""),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    """A manifest cell that a spreadsheet will not run: text starting with a formula sign gets
    a leading apostrophe, unless it is only a number such as a phone (``+1 555 0100``)."""
    if (
        isinstance(value, str)
        and value[:1] in ("=", "+", "-", "@", "\t", "\r")
        and not _PHONE_LIKE.match(value)
    ):
        return "'" + value
    return value


def partners_with_pending_travelers(store: OrderStore) -> dict[str, int]:
    """Partner code to the newest undispatched traveler's id, for the dispatch sensor."""
    with store.session() as session:
        rows = session.execute(
            select(FactoryFile.partner_code, func.max(FactoryFile.id))
            .where(FactoryFile.dispatch_id.is_(None))
            .group_by(FactoryFile.partner_code)
        ).all()
    return {code: newest for code, newest in rows}
