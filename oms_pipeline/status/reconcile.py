"""The status state machine: lines move along allowed transitions; orders follow their lines.

Allowed transitions are rows of ``status_transitions``. An event that would move a line
backwards, or that is older than the line's current status, is kept but not applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms_pipeline.orders.tables import (
    OrderLineRow,
    OrderRow,
    StatusHistory,
    StatusTransition,
    utcnow,
)


def allowed_transitions(session: Session) -> set[tuple[str, str]]:
    """Every (from, to) pair a line may take."""
    return set(
        session.execute(select(StatusTransition.from_status, StatusTransition.to_status)).tuples()
    )


def move_lines(
    session: Session,
    line_ids: Iterable[int],
    to_status: str,
    *,
    event_id: int | None = None,
    at: datetime | None = None,
) -> list[int]:
    """Move lines to ``to_status`` where the transition is allowed; returns the lines moved.

    Every move is written to ``status_history``, and the orders of moved lines get their
    status derived again.
    """
    allowed = allowed_transitions(session)
    ids = list(line_ids)
    if not ids:
        return []
    lines = session.execute(select(OrderLineRow).where(OrderLineRow.id.in_(ids))).scalars().all()
    moved = []
    when = at or utcnow()
    for line in lines:
        if (line.status, to_status) in allowed:
            record_move(session, line, to_status, event_id=event_id, at=when)
            moved.append(line.id)
    session.flush()
    refresh_order_status(session, {line.order_id for line in lines if line.id in moved})
    return moved


def record_move(
    session: Session, line: OrderLineRow, to_status: str, *, event_id: int | None, at: datetime
) -> None:
    """Move one line, already known to be allowed to, and write the move to the history."""
    session.add(
        StatusHistory(
            order_id=line.order_id,
            line_id=line.id,
            from_status=line.status,
            to_status=to_status,
            status_event_id=event_id,
            changed_at=at,
        )
    )
    line.status, line.status_at = to_status, at


def derive_order_status(line_statuses: list[str]) -> str:
    """An order's status from its lines' statuses."""
    live = [s for s in line_statuses if s != "cancelled"]
    if not live:
        return "cancelled"
    if "error" in live:
        return "error"
    if all(s == "delivered" for s in live):
        return "delivered"
    if all(s in ("shipped", "delivered") for s in live):
        return "shipped"
    if any(s in ("shipped", "delivered") for s in live):
        return "partially_shipped"
    if "in_production" in live:
        return "in_production"
    if all(s == "dispatched" for s in live):
        return "dispatched"
    return "received"


def refresh_order_status(
    session: Session, order_ids: Iterable[int], event_id: int | None = None
) -> None:
    """Derive each order's status again from its lines; history records every change.

    An order its source cancelled stays cancelled.
    """
    ids = list(order_ids)
    if not ids:
        return
    statuses: dict[int, list[str]] = {order_id: [] for order_id in ids}
    for order_id, status in session.execute(
        select(OrderLineRow.order_id, OrderLineRow.status).where(OrderLineRow.order_id.in_(ids))
    ):
        statuses[order_id].append(status)
    for order in session.execute(select(OrderRow).where(OrderRow.id.in_(ids))).scalars():
        if order.status == "cancelled":
            continue
        new_status = derive_order_status(statuses[order.id])
        if new_status != order.status:
            session.add(
                StatusHistory(
                    order_id=order.id,
                    line_id=None,
                    from_status=order.status,
                    to_status=new_status,
                    status_event_id=event_id,
                    changed_at=utcnow(),
                )
            )
            order.status = new_status
