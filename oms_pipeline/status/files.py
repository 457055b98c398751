"""Status files partners drop in their folder, read once and reconciled into the order tables.

The format (``oms_pipeline/samples/status/README.md``): a CSV with the header
``line_reference,status,occurred_at,tracking_number,carrier,note``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from oms_pipeline.errors import PayloadRejected, StatusFileError
from oms_pipeline.ingest.common import as_text, parse_zoned_time
from oms_pipeline.orders.store import OrderStore, as_dict
from oms_pipeline.orders.tables import (
    FactoryFile,
    OrderLineRow,
    Partner,
    StatusEvent,
    StatusFile,
    utcnow,
)
from oms_pipeline.paths import slug_component
from oms_pipeline.status.reconcile import (
    allowed_transitions,
    record_move,
    refresh_order_status,
)

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(days=1)
REQUIRED_COLUMNS = ("line_reference", "status", "occurred_at")
KNOWN_STATUSES = frozenset({"in_production", "shipped", "delivered", "cancelled", "error"})


@dataclass
class StatusSummary:
    """What one status run read and applied."""

    files_read: list[str] = field(default_factory=list)
    files_refused: dict[str, str] = field(default_factory=dict)
    events: Counter[str] = field(default_factory=Counter)
    applied_by_status: Counter[str] = field(default_factory=Counter)


def pending_status_files(var_dir: Path) -> list[tuple[str, Path]]:
    """(partner code, path) of every CSV waiting in a partner's ``inbox``."""
    found = []
    for inbox in sorted((var_dir / "partners").glob("*/inbox")):
        for path in sorted(inbox.glob("*.csv")):
            # A link could point anywhere on this machine: only plain files are read.
            if path.is_file() and not path.is_symlink():
                found.append((inbox.parent.name, path))
    return found


def ingest_status_files(store: OrderStore, var_dir: Path) -> StatusSummary:
    """Read every pending status file, record its events, and apply them to lines and orders.

    A file is recorded once per partner and content (the same bytes dropped again change
    nothing). Read files move to ``inbox/processed/``; files that cannot be read at all move
    to ``inbox/refused/`` with a ``.reason.txt`` beside them.
    """
    summary = StatusSummary()
    for partner_code, path in pending_status_files(var_dir):
        name = f"{partner_code}/{path.name}"
        try:
            content = path.read_bytes()
            rows = parse_status_csv(content, path.name)
            with store.session() as session:
                if session.get(Partner, partner_code) is None:
                    raise StatusFileError(f"{name}: no partner {partner_code!r} is configured")
                _record(store, session, partner_code, path.name, content, rows)
            _move(path, "processed")
            summary.files_read.append(name)
        except StatusFileError as exc:
            summary.files_refused[name] = str(exc)
            _refuse(path, str(exc), summary, name)
        except Exception as exc:
            # Cannot read, record or move it (a file in the way, permissions, the database
            # refusing a value): leave it for a person; rows recorded are not recorded twice.
            summary.files_refused[name] = f"{name}: left in the inbox ({type(exc).__name__})"
            log.warning("status file %s left in the inbox: %s", name, type(exc).__name__)

    with store.session() as session:
        _reconcile(session, summary)
    return summary


def parse_status_csv(content: bytes, name: str) -> list[dict[str, str]]:
    """The rows of a status CSV, as dicts of stripped text.

    Raises:
        StatusFileError: not UTF-8, or a required column is missing.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatusFileError(f"{name}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise StatusFileError(
                f"{name}: the header lacks {', '.join(missing)}; expected "
                "line_reference,status,occurred_at,tracking_number,carrier,note"
            )
        return [
            {
                as_text(k or "").strip(): as_text(v).strip()
                for k, v in row.items()
                if isinstance(v, str)
            }
            for row in reader
        ]
    except csv.Error as exc:
        raise StatusFileError(f"{name}: not a readable CSV file ({exc})") from None


def _record(
    store: OrderStore,
    session: Session,
    partner_code: str,
    name: str,
    content: bytes,
    rows: list[dict[str, str]],
) -> None:
    stmt = store.insert(StatusFile).values(
        partner_code=partner_code,
        file_name=name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        row_count=len(rows),
        received_at=utcnow(),
    )
    file_id = session.execute(
        stmt.on_conflict_do_nothing(index_elements=["partner_code", "sha256"]).returning(
            StatusFile.id
        )
    ).scalar_one_or_none()
    if file_id is None:
        return  # the same file was read before
    events = []
    for row_no, row in enumerate(rows, start=2):
        occurred_at, reason = None, None
        try:
            occurred_at = parse_zoned_time(row.get("occurred_at", ""))
        except PayloadRejected as exc:
            reason = f"{name} row {row_no}: occurred_at {exc.message}"
        if occurred_at is not None and occurred_at > utcnow() + FUTURE_TOLERANCE:
            reason = f"{name} row {row_no}: occurred_at {row['occurred_at']!r} is in the future"
            occurred_at = None
        status = row.get("status", "").lower()
        if status not in KNOWN_STATUSES:
            reason = f"{name} row {row_no}: status {status!r} is not one of " + ", ".join(
                sorted(KNOWN_STATUSES)
            )
        events.append(
            {
                "status_file_id": file_id,
                "row_no": row_no,
                "partner_code": partner_code,
                "line_reference": row.get("line_reference", "")[:140],
                "status": status[:32],
                "occurred_at": occurred_at,
                "tracking_number": (row.get("tracking_number") or "")[:100] or None,
                "carrier": (row.get("carrier") or "")[:100] or None,
                "note": row.get("note") or None,
                "outcome": "rejected" if reason else "pending",
                "reason": reason,
                "received_at": utcnow(),
            }
        )
    if events:
        session.execute(insert(StatusEvent), events)


def _reconcile(session: Session, summary: StatusSummary) -> None:
    """Apply pending events in the order they happened; each line only moves forward."""
    allowed = allowed_transitions(session)
    events = list(
        session.execute(
            select(StatusEvent)
            .where(StatusEvent.outcome == "pending")
            .order_by(StatusEvent.occurred_at, StatusEvent.id)
        ).scalars()
    )
    references = {event.line_reference for event in events}
    lines = {
        line.line_reference: line
        for line in session.execute(
            select(OrderLineRow).where(OrderLineRow.line_reference.in_(references))
        ).scalars()
    }
    last_applied: dict[int, datetime] = as_dict(
        session.execute(
            select(StatusEvent.line_id, func.max(StatusEvent.occurred_at))
            .where(StatusEvent.outcome == "applied", StatusEvent.line_id.is_not(None))
            .group_by(StatusEvent.line_id)
        )
    )
    dispatched = {
        (order_id, partner)
        for order_id, partner in session.execute(
            select(FactoryFile.order_id, FactoryFile.partner_code).where(
                FactoryFile.dispatch_id.is_not(None),
                FactoryFile.order_id.in_({line.order_id for line in lines.values()}),
            )
        ).tuples()
    }
    touched_orders: set[int] = set()
    for event in events:
        line = lines.get(event.line_reference)
        newest = last_applied.get(line.id) if line is not None else None
        if (
            line is None
            or line.partner_code != event.partner_code
            or line.status == "received"
            or (line.order_id, event.partner_code) not in dispatched
        ):
            # Unknown and foreign lines read the same, so a partner learns nothing of others.
            event.outcome = "rejected"
            event.reason = f"no line {event.line_reference!r} was dispatched to this partner"
        elif event.occurred_at and newest and event.occurred_at < newest:
            event.outcome = "ignored"
            event.reason = "older than the status the line already has from this partner"
        elif (line.status, event.status) not in allowed:
            event.outcome = "ignored"
            event.reason = f"a line cannot move from {line.status} to {event.status}"
        else:
            event.line_id = line.id
            assert event.occurred_at is not None  # rows without a time are rejected on reading
            record_move(session, line, event.status, event_id=event.id, at=event.occurred_at)
            if event.tracking_number:
                line.tracking_number = event.tracking_number
                line.carrier = event.carrier
            event.outcome = "applied"
            if event.occurred_at:
                last_applied[line.id] = event.occurred_at
            touched_orders.add(line.order_id)
            summary.applied_by_status[event.status] += 1
        summary.events[event.outcome] += 1
    session.flush()
    refresh_order_status(session, touched_orders)


def _refuse(path: Path, reason: str, summary: StatusSummary, name: str) -> None:
    try:
        target = _move(path, "refused")
        target.with_name(target.name + ".reason.txt").write_text(f"{reason}\n", "utf-8")
    except OSError as exc:
        summary.files_refused[name] = f"{reason} (left in the inbox: {type(exc).__name__})"


def _move(path: Path, folder: str) -> Path:
    """Move a read file aside under a name we made safe, never over an earlier one."""
    target = path.parent / folder / (slug_component(path.stem) + ".csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target = target.with_name(f"{target.stem}-{utcnow():%Y%m%dT%H%M%S%f}{target.suffix}")
    path.replace(target)
    return target
