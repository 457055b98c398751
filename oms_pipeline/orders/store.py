"""The order store: one engine, migrations, and the writes that must happen exactly once.

Every write that could be repeated (a webhook delivered twice, a run retried) is an
``INSERT ... ON CONFLICT`` against a unique constraint, so the database is the guard.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from oms_pipeline.orders.model import Order
from oms_pipeline.orders.tables import (
    LandedPayload,
    OrderLineAttributeRow,
    OrderLineRow,
    OrderRejection,
    OrderRow,
    utcnow,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql"


@dataclass(frozen=True)
class LandingResult:
    """What happened to one delivery: landed now, or already there."""

    landing_id: int
    created: bool


class OrderStore:
    """Access to the order store database.

    Args:
        database_url: a SQLAlchemy URL; ``sqlite:///...`` and ``postgresql+psycopg2://...`` are
            supported.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.engine = _make_engine(database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest migration in ``sql/versions``."""
        config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # Landing --------------------------------------------------------------------------------

    def land(
        self,
        *,
        source: str,
        delivery_id: str,
        topic: str,
        shop: str,
        event_id: str | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> LandingResult:
        """Store a payload exactly as received; a second delivery with the same id is a no-op."""
        values = {
            "source": source,
            "delivery_id": delivery_id,
            "topic": topic,
            "shop": shop,
            "event_id": event_id,
            "headers": dict(headers),
            "body": body,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "received_at": utcnow(),
            "outcome": "pending",
        }
        with self.session() as session:
            stmt = self.insert(LandedPayload).values(values)
            stmt = stmt.on_conflict_do_nothing(index_elements=["source", "delivery_id"])
            new_id = session.execute(stmt.returning(LandedPayload.id)).scalar_one_or_none()
            if new_id is not None:
                return LandingResult(new_id, True)
            existing = session.execute(
                select(LandedPayload.id).where(
                    LandedPayload.source == source, LandedPayload.delivery_id == delivery_id
                )
            ).scalar_one()
            return LandingResult(existing, False)

    def landing_ids_after(self, cursor: int, limit: int) -> list[int]:
        """Ids of landings newer than ``cursor``, oldest first."""
        with self.session() as session:
            stmt = (
                select(LandedPayload.id)
                .where(LandedPayload.id > cursor)
                .order_by(LandedPayload.id)
                .limit(limit)
            )
            return list(session.execute(stmt).scalars())

    def pending_landings(self, session: Session) -> list[LandedPayload]:
        """Every landing not yet processed, oldest first."""
        stmt = (
            select(LandedPayload)
            .where(LandedPayload.processed_at.is_(None))
            .order_by(LandedPayload.id)
        )
        return list(session.execute(stmt).scalars())

    def replay_rejections(self, landing_ids: Sequence[int] | None = None) -> int:
        """Put rejected landings back in the queue; returns how many.

        Args:
            landing_ids: only these landings; all rejected ones when None.
        """
        with self.session() as session:
            stmt = (
                update(LandedPayload)
                .where(LandedPayload.outcome == "rejected")
                .values(processed_at=None, outcome="pending")
            )
            if landing_ids is not None:
                stmt = stmt.where(LandedPayload.id.in_(landing_ids))
            return session.execute(stmt).rowcount  # type: ignore[attr-defined]

    # Orders ---------------------------------------------------------------------------------

    def upsert_order(
        self, session: Session, order: Order, *, landing_id: int, custom_skus: frozenset[str]
    ) -> tuple[int, bool]:
        """Insert an order or update it when this version is newer than the stored one.

        Returns:
            The order's id, and False when the stored version was as new or newer (stale).
        """
        values = _order_values(order, landing_id)
        excluded = self.insert(OrderRow).excluded
        update_set = {k: getattr(excluded, k) for k in values if k not in _ORDER_KEY}
        update_set["status"] = func.coalesce(
            func.nullif(excluded.status, "received"), OrderRow.__table__.c.status
        )
        update_set["updated_at"] = excluded.updated_at
        stmt = (
            self.insert(OrderRow)
            .values(values)
            .on_conflict_do_update(
                index_elements=list(_ORDER_KEY),
                set_=update_set,
                where=OrderRow.__table__.c.source_updated_at < excluded.source_updated_at,
            )
            .returning(OrderRow.id)
        )
        order_id = session.execute(stmt).scalar_one_or_none()
        if order_id is None:
            stale_id = session.execute(
                select(OrderRow.id).where(
                    OrderRow.source == order.source.value,
                    OrderRow.shop == order.shop,
                    OrderRow.source_order_id == order.source_order_id,
                )
            ).scalar_one()
            return stale_id, False

        self._upsert_lines(session, order, order_id, custom_skus)
        return order_id, True

    def _upsert_lines(
        self, session: Session, order: Order, order_id: int, custom_skus: frozenset[str]
    ) -> None:
        rows = [
            {
                "order_id": order_id,
                "line_no": line.line_no,
                "line_reference": f"{order.order_ref}-{line.line_no}",
                "source_line_id": line.source_line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "product_description": line.product_description[:500],
                "recipe_id": line.recipe_id,
                "is_custom": line.recipe_id is not None or line.sku in custom_skus,
                "status": "received",
            }
            for line in order.lines
        ]
        stmt = self.insert(OrderLineRow).values(rows)
        changeable = ("source_line_id", "sku", "quantity", "unit_price", "product_description")
        stmt = stmt.on_conflict_do_update(
            index_elements=["order_id", "line_no"],
            set_={name: getattr(stmt.excluded, name) for name in (*changeable, "recipe_id")},
        ).returning(OrderLineRow.id, OrderLineRow.line_no)
        line_ids = {line_no: line_id for line_id, line_no in session.execute(stmt).tuples()}

        session.execute(
            delete(OrderLineAttributeRow).where(
                OrderLineAttributeRow.line_id.in_(line_ids.values())
            )
        )
        attributes = [
            {
                "line_id": line_ids[line.line_no],
                "position": position,
                "name": attribute.name[:255],
                "value": attribute.value,
                "hidden": attribute.hidden,
            }
            for line in order.lines
            for position, attribute in enumerate(line.attributes, start=1)
        ]
        if attributes:
            session.execute(insert(OrderLineAttributeRow), attributes)

    def record_rejection(
        self,
        session: Session,
        *,
        landing: LandedPayload,
        code: str,
        field: str,
        message: str,
        source_order_id: str | None,
        order_number: str | None,
    ) -> None:
        """Record (or replace) why a landing was rejected."""
        values = {
            "landing_id": landing.id,
            "source": landing.source,
            "source_order_id": source_order_id,
            "order_number": order_number,
            "code": code,
            "field": field,
            "message": message,
            "created_at": utcnow(),
        }
        stmt = self.insert(OrderRejection).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["landing_id"],
            set_={k: getattr(stmt.excluded, k) for k in values if k != "landing_id"},
        )
        session.execute(stmt)

    def clear_rejection(self, session: Session, landing_id: int) -> None:
        """Forget the rejection of a landing that has now been accepted."""
        session.execute(delete(OrderRejection).where(OrderRejection.landing_id == landing_id))

    # Helpers --------------------------------------------------------------------------------

    def insert(self, table: Any) -> Any:
        """A dialect-specific INSERT that supports ``on_conflict_*``."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def count(self, table: Any, *where: Any) -> int:
        """Rows of a table, optionally filtered."""
        with self.session() as session:
            stmt = select(func.count()).select_from(table)
            for clause in where:
                stmt = stmt.where(clause)
            return int(session.execute(stmt).scalar_one())


_ORDER_KEY = ("source", "shop", "source_order_id")


def _order_values(order: Order, landing_id: int) -> dict[str, Any]:
    def address(value: Any) -> dict[str, Any] | None:
        return value.model_dump(exclude_none=True) if value is not None else None

    now = utcnow()
    return {
        "order_ref": order.order_ref,
        "source": order.source.value,
        "shop": order.shop,
        "source_order_id": order.source_order_id,
        "order_number": order.order_number,
        "order_date": order.order_date,
        "source_updated_at": order.source_updated_at,
        "currency": order.currency,
        "sales_channel": order.sales_channel,
        "status": "cancelled" if order.cancelled else "received",
        "total_price": order.total_price,
        "ship_method_carrier": order.ship_method_carrier,
        "ship_method_code": order.ship_method_code,
        "ship_method_description": order.ship_method_description,
        "ship_to": address(order.ship_to),
        "sold_to": address(order.sold_to),
        "note": order.note,
        "tags": list(order.tags),
        "custom_attributes": [a.model_dump() for a in order.custom_attributes],
        "landing_id": landing_id,
        "created_at": now,
        "updated_at": now,
    }


def _make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def as_dict(rows: Any) -> dict[Any, Any]:
    """Two-column query rows as a dict (``dict(result)`` would read a Result as a mapping)."""
    return {key: value for key, value in rows}
