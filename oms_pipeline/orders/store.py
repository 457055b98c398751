"""The order store: one engine, migrations, and the writes that must happen exactly once.

Every write that could be repeated (a webhook delivered twice, a run retried) is an
``INSERT ... ON CONFLICT`` against a unique constraint, so the database is the guard.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from oms_pipeline.orders.model import Order, OrderLine
from oms_pipeline.orders.tables import (
    ArtworkFile,
    FactoryFile,
    LandedPayload,
    OrderLineAttributeRow,
    OrderLineRow,
    OrderRejection,
    OrderRow,
    utcnow,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql"


OrderKey = tuple[str, str, str]


@dataclass
class BatchUpsert:
    """What a batch upsert made of each landing's order version."""

    accepted: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    conflicts: dict[int, str] = field(default_factory=dict)
    order_ids: dict[int, int] = field(default_factory=dict)
    removed_line_ids: list[int] = field(default_factory=list)
    cancelled_order_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PendingLanding:
    """What the importer needs of a landing."""

    id: int
    source: str
    topic: str
    shop: str
    body: bytes


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

    def requeued_landings(self) -> list[tuple[int, int]]:
        """(id, attempt) of landings put back in the queue and not yet processed again."""
        with self.session() as session:
            return list(
                session.execute(
                    select(LandedPayload.id, LandedPayload.attempt)
                    .where(LandedPayload.processed_at.is_(None), LandedPayload.attempt > 0)
                    .order_by(LandedPayload.id)
                ).tuples()
            )

    def pending_landings(
        self, session: Session, after_id: int = 0, limit: int = 500
    ) -> list[PendingLanding]:
        """Up to ``limit`` unprocessed landings with an id above ``after_id``, oldest first."""
        stmt = (
            select(
                LandedPayload.id,
                LandedPayload.source,
                LandedPayload.topic,
                LandedPayload.shop,
                LandedPayload.body,
            )
            .where(LandedPayload.processed_at.is_(None), LandedPayload.id > after_id)
            .order_by(LandedPayload.id)
            .limit(limit)
        )
        return [PendingLanding(*row) for row in session.execute(stmt).tuples()]

    def replay_rejections(self, landing_ids: Sequence[int] | None = None) -> int:
        """Put rejected landings back in the queue; returns how many.

        Args:
            landing_ids: only these landings; all rejected ones when None.
        """
        with self.session() as session:
            stmt = (
                update(LandedPayload)
                .where(LandedPayload.outcome == "rejected")
                .values(processed_at=None, outcome="pending", attempt=LandedPayload.attempt + 1)
            )
            if landing_ids is not None:
                stmt = stmt.where(LandedPayload.id.in_(landing_ids))
            return session.execute(stmt).rowcount  # type: ignore[attr-defined]

    # Orders ---------------------------------------------------------------------------------

    def upsert_orders(
        self,
        session: Session,
        versions: Sequence[tuple[Order, int]],
        custom_skus: frozenset[str],
    ) -> BatchUpsert:
        """Write a batch of order versions, each with the id of the landing it came from.

        Versions are judged in landing order, as if applied one by one: a version is accepted
        when it is newer than the stored one and than every earlier version of the batch, else
        it is stale. Only the last accepted version of each order is written, with one
        INSERT ... ON CONFLICT DO UPDATE WHERE for all orders, one for all lines, one for all
        attributes. A version whose order reference is taken by another shop's order is refused.
        """
        result = BatchUpsert()
        keys = list({order_key(order) for order, _ in versions})
        stored = self._stored_versions(session, keys)
        owners = self._reference_owners(session, [order.order_ref for order, _ in versions])

        newest: dict[OrderKey, datetime] = {k: v for k, v in stored.items() if v is not None}
        winners: dict[OrderKey, tuple[Order, int]] = {}
        accepted: dict[OrderKey, list[int]] = {}
        for order, landing_id in versions:
            key = order_key(order)
            owner = owners.setdefault(order.order_ref, key)
            if owner != key:
                result.conflicts[landing_id] = (
                    f"order reference {order.order_ref} already belongs to an order of shop "
                    f"{owner[1]}; the same order id from shop {order.shop} cannot be told apart"
                )
                continue
            current = newest.get(key)
            if current is None or order.source_updated_at > current:
                newest[key] = order.source_updated_at
                winners[key] = (order, landing_id)
                accepted.setdefault(key, []).append(landing_id)
            else:
                result.stale.append(landing_id)

        written: dict[OrderKey, int] = {}
        for chunk in _chunks(list(winners.values()), 200):
            stmt = self.insert(OrderRow).values([_order_values(o, lid) for o, lid in chunk])
            update_set = {
                name: getattr(stmt.excluded, name)
                for name in _order_values(chunk[0][0], 0)
                if name not in _ORDER_KEY and name != "created_at"
            }
            update_set["status"] = func.coalesce(
                func.nullif(stmt.excluded.status, "received"), OrderRow.__table__.c.status
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=list(_ORDER_KEY),
                set_=update_set,
                where=OrderRow.__table__.c.source_updated_at < stmt.excluded.source_updated_at,
            ).returning(OrderRow.id, OrderRow.source, OrderRow.shop, OrderRow.source_order_id)
            for order_id, source, shop, source_order_id in session.execute(stmt).tuples():
                written[(source, shop, source_order_id)] = order_id

        for key, landing_ids in accepted.items():
            # A concurrent run may have stored a newer version meanwhile: then all are stale.
            (result.accepted if key in written else result.stale).extend(landing_ids)
        ids = self._order_ids(session, keys)
        for order, landing_id in versions:
            if landing_id not in result.conflicts:
                result.order_ids[landing_id] = ids[order_key(order)]
        result.cancelled_order_ids = [
            order_id for key, order_id in written.items() if winners[key][0].cancelled
        ]
        result.removed_line_ids = self._upsert_lines(
            session, [(winners[key][0], order_id) for key, order_id in written.items()], custom_skus
        )
        return result

    def _stored_versions(
        self, session: Session, keys: list[OrderKey]
    ) -> dict[OrderKey, datetime | None]:
        found: dict[OrderKey, datetime | None] = dict.fromkeys(keys)
        columns = (OrderRow.source, OrderRow.shop, OrderRow.source_order_id)
        for chunk in _chunks(keys, 300):
            rows = session.execute(
                select(*columns, OrderRow.source_updated_at).where(tuple_(*columns).in_(chunk))
            ).tuples()
            for source, shop, source_order_id, updated_at in rows:
                found[(source, shop, source_order_id)] = updated_at
        return found

    def _reference_owners(self, session: Session, refs: list[str]) -> dict[str, OrderKey]:
        owners: dict[str, OrderKey] = {}
        for chunk in _chunks(sorted(set(refs)), 500):
            rows = session.execute(
                select(
                    OrderRow.order_ref, OrderRow.source, OrderRow.shop, OrderRow.source_order_id
                ).where(OrderRow.order_ref.in_(chunk))
            ).tuples()
            for ref, source, shop, source_order_id in rows:
                owners[ref] = (source, shop, source_order_id)
        return owners

    def _order_ids(self, session: Session, keys: list[OrderKey]) -> dict[OrderKey, int]:
        found: dict[OrderKey, int] = {}
        columns = (OrderRow.source, OrderRow.shop, OrderRow.source_order_id)
        for chunk in _chunks(keys, 300):
            rows = session.execute(
                select(OrderRow.id, *columns).where(tuple_(*columns).in_(chunk))
            ).tuples()
            for order_id, source, shop, source_order_id in rows:
                found[(source, shop, source_order_id)] = order_id
        return found

    def _upsert_lines(
        self,
        session: Session,
        orders: list[tuple[Order, int]],
        custom_skus: frozenset[str],
    ) -> list[int]:
        """Write the lines of freshly written orders; returns the ids of lines an edit removed.

        A line keeps its number for life: an incoming line is matched to a stored one by the
        source's line id (by position where the source has none); new lines get the next
        number; stored lines that no longer arrive are returned for cancellation.
        """
        order_ids = [order_id for _, order_id in orders]
        existing: dict[int, dict[str, tuple[int, int]]] = {}
        existing_numbers: dict[int, dict[int, int]] = {}
        made_of: dict[int, tuple[str, str | None, int]] = {}
        for id_chunk in _chunks(order_ids, 500):
            rows = session.execute(
                select(
                    OrderLineRow.id,
                    OrderLineRow.order_id,
                    OrderLineRow.line_no,
                    OrderLineRow.source_line_id,
                    OrderLineRow.sku,
                    OrderLineRow.recipe_id,
                    OrderLineRow.quantity,
                ).where(OrderLineRow.order_id.in_(id_chunk))
            ).tuples()
            for line_id, order_id, line_no, source_line_id, sku, recipe_id, quantity in rows:
                existing_numbers.setdefault(order_id, {})[line_no] = line_id
                made_of[line_id] = (sku, recipe_id, quantity)
                if source_line_id:
                    existing.setdefault(order_id, {})[source_line_id] = (line_no, line_id)

        rows_to_write: list[dict[str, Any]] = []
        numbered: list[tuple[int, int, OrderLine]] = []
        removed: list[int] = []
        changed: list[int] = []
        edited_orders: set[int] = set()
        for order, order_id in orders:
            by_source = existing.get(order_id, {})
            numbers = existing_numbers.get(order_id, {})
            next_no = max(numbers, default=0) + 1
            kept: set[int] = set()
            for line in order.lines:
                if line.source_line_id and line.source_line_id in by_source:
                    line_no = by_source[line.source_line_id][0]
                elif not line.source_line_id and line.line_no in numbers:
                    line_no = line.line_no
                else:
                    line_no, next_no = next_no, next_no + 1
                kept.add(line_no)
                numbered.append((order_id, line_no, line))
                rows_to_write.append(_line_values(order, order_id, line_no, line, custom_skus))
                stored_id = numbers.get(line_no)
                if stored_id is None:
                    edited_orders.add(order_id)
                elif made_of[stored_id] != (line.sku, line.recipe_id, line.quantity):
                    changed.append(stored_id)
                    edited_orders.add(order_id)
            gone = [line_id for no, line_id in numbers.items() if no not in kept]
            removed.extend(gone)
            if gone:
                edited_orders.add(order_id)
        self._forget_unsent_files(session, changed, edited_orders)

        line_ids: dict[tuple[int, int], int] = {}
        changeable = (
            "source_line_id",
            "sku",
            "quantity",
            "unit_price",
            "product_description",
            "recipe_id",
            "is_custom",
        )
        for chunk in _chunks(rows_to_write, 300):
            stmt = self.insert(OrderLineRow).values(chunk)
            stmt = stmt.on_conflict_do_update(
                index_elements=["order_id", "line_no"],
                set_={name: getattr(stmt.excluded, name) for name in changeable},
            ).returning(OrderLineRow.id, OrderLineRow.order_id, OrderLineRow.line_no)
            for line_id, order_id, line_no in session.execute(stmt).tuples():
                line_ids[(order_id, line_no)] = line_id

        for id_chunk in _chunks(list(line_ids.values()), 500):
            session.execute(
                delete(OrderLineAttributeRow).where(OrderLineAttributeRow.line_id.in_(id_chunk))
            )
        attributes = [
            {
                "line_id": line_ids[(order_id, line_no)],
                "position": position,
                "name": attribute.name[:255],
                "value": attribute.value,
                "hidden": attribute.hidden,
            }
            for order_id, line_no, line in numbered
            for position, attribute in enumerate(line.attributes, start=1)
        ]
        if attributes:
            session.execute(insert(OrderLineAttributeRow), attributes)
        return removed

    def _forget_unsent_files(
        self, session: Session, changed_line_ids: list[int], edited_order_ids: set[int]
    ) -> None:
        """Drop what was made from an older version and not yet sent, so it is made again:
        the routing and artwork of lines whose SKU, RecipeID or quantity changed, and the
        travelers of orders whose lines changed, came or went."""
        for id_chunk in _chunks(changed_line_ids, 500):
            unsent = select(OrderLineRow.id).where(
                OrderLineRow.id.in_(id_chunk), OrderLineRow.status == "received"
            )
            session.execute(delete(ArtworkFile).where(ArtworkFile.line_id.in_(unsent)))
            session.execute(
                update(OrderLineRow)
                .where(OrderLineRow.id.in_(unsent))
                .values(partner_code=None, routing_rule=None)
                .execution_options(synchronize_session=False)
            )
        for id_chunk in _chunks(sorted(edited_order_ids), 500):
            session.execute(
                delete(FactoryFile).where(
                    FactoryFile.order_id.in_(id_chunk), FactoryFile.dispatch_id.is_(None)
                )
            )

    def record_rejections(self, session: Session, rejections: Sequence[dict[str, Any]]) -> None:
        """Record (or replace) why landings were rejected: dicts of ``order_rejections`` columns
        (``landing_id``, ``source``, ``source_order_id``, ``order_number``, ``code``, ``field``,
        ``message``)."""
        if not rejections:
            return
        now = utcnow()
        rows = [{**rejection, "created_at": now} for rejection in rejections]
        stmt = self.insert(OrderRejection)
        stmt = stmt.on_conflict_do_update(
            index_elements=["landing_id"],
            set_={k: getattr(stmt.excluded, k) for k in rows[0] if k != "landing_id"},
        )
        session.execute(stmt, rows)

    def clear_rejections(self, session: Session, landing_ids: Sequence[int]) -> None:
        """Forget the rejections of landings that have now been accepted."""
        for chunk in _chunks(list(landing_ids), 500):
            session.execute(delete(OrderRejection).where(OrderRejection.landing_id.in_(chunk)))

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


def order_key(order: Order) -> OrderKey:
    """The key an order is upserted by: (source, shop, source order id)."""
    return (order.source.value, order.shop, order.source_order_id)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def _line_values(
    order: Order, order_id: int, line_no: int, line: OrderLine, custom_skus: frozenset[str]
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_no": line_no,
        "line_reference": f"{order.order_ref}-{line_no}",
        "source_line_id": line.source_line_id,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "product_description": line.product_description[:500],
        "recipe_id": line.recipe_id,
        "is_custom": line.recipe_id is not None or line.sku in custom_skus,
        "status": "received",
    }


def _make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(database_url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Parameters hold personal data: keep them out of error messages and so out of logs.
    return create_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def as_dict(rows: Any) -> dict[Any, Any]:
    """Two-column query rows as a dict (``dict(result)`` would read a Result as a mapping)."""
    return {key: value for key, value in rows}
