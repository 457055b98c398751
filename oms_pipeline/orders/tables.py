"""The order store's tables (SQLAlchemy 2.x). Migrations in ``sql/`` create exactly these.

Every guard against doing a thing twice is a unique constraint here, never a check in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC time on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the order store: times must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


Money = Numeric(18, 4)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class LandedPayload(Base):
    """A payload exactly as it arrived (raw bytes and headers), kept forever."""

    __tablename__ = "landed_payloads"
    __table_args__ = (UniqueConstraint("source", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    delivery_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    shop: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OrderRow(Base):
    """An order in the canonical model, upserted by (source, shop, source order id)."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("source", "shop", "source_order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    shop: Mapped[str] = mapped_column(String(255))
    source_order_id: Mapped[str] = mapped_column(String(100))
    order_number: Mapped[str] = mapped_column(String(100))
    order_date: Mapped[datetime] = mapped_column(UtcDateTime)
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    sales_channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(32), default="received")
    total_price: Mapped[Decimal | None] = mapped_column(Money)
    ship_method_carrier: Mapped[str | None] = mapped_column(String(100))
    ship_method_code: Mapped[str | None] = mapped_column(String(100))
    ship_method_description: Mapped[str | None] = mapped_column(String(255))
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sold_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    custom_attributes: Mapped[list[Any]] = mapped_column(JSON)
    landing_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OrderLineRow(Base):
    """One production line of an order; ``partner_code`` is set by routing."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    line_reference: Mapped[str] = mapped_column(String(140), unique=True)
    source_line_id: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    product_description: Mapped[str] = mapped_column(String(500))
    recipe_id: Mapped[str | None] = mapped_column(String(8), index=True)
    is_custom: Mapped[bool] = mapped_column(Boolean)
    partner_code: Mapped[str | None] = mapped_column(ForeignKey("partners.code"))
    routing_rule: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), default="received")
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(100))


class OrderLineAttributeRow(Base):
    """One OLA of a line, in arrival order."""

    __tablename__ = "order_line_attributes"
    __table_args__ = (UniqueConstraint("line_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class OrderRejection(Base):
    """Why a landed payload did not become an order; cleared when a replay accepts it."""

    __tablename__ = "order_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    landing_id: Mapped[int] = mapped_column(ForeignKey("landed_payloads.id"), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    source_order_id: Mapped[str | None] = mapped_column(String(100))
    order_number: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Product(Base):
    """A catalog entry: custom products need a RecipeID on every line."""

    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    is_custom: Mapped[bool] = mapped_column(Boolean)


class Partner(Base):
    """A factory, 3PL or other fulfillment service, and the channel it is served by."""

    __tablename__ = "partners"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """Sends each line to one partner: the rule with the lowest priority that matches wins."""

    __tablename__ = "routing_rules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)
    sku_pattern: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(32))
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"))


class Connection(Base):
    """One storefront connection and which line properties carry the RecipeID there."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("source", "shop"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    shop: Mapped[str] = mapped_column(String(255))
    recipe_properties: Mapped[list[Any]] = mapped_column(JSON)


class Recipe(Base):
    """The embedded recipe store: the customizer's recipe documents, by RecipeID."""

    __tablename__ = "recipes"

    token: Mapped[str] = mapped_column(String(8), primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class ArtworkFile(Base):
    """The artwork rendered for one custom line: a print PDF and a PNG proof."""

    __tablename__ = "artwork"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    recipe_id: Mapped[str] = mapped_column(String(8))
    pdf_path: Mapped[str] = mapped_column(String(500))
    png_path: Mapped[str] = mapped_column(String(500))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    png_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FactoryFile(Base):
    """A file made for a partner: today the traveler of one order for one partner."""

    __tablename__ = "factory_files"
    __table_args__ = (UniqueConstraint("kind", "order_id", "partner_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Dispatch(Base):
    """One batch of factory files handed to a partner over its channel."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(200), unique=True)
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"))
    channel: Mapped[str] = mapped_column(String(32))
    manifest_path: Mapped[str | None] = mapped_column(String(500))
    file_count: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    dispatched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatusFile(Base):
    """A status file a partner dropped, read once (same partner and same bytes: same file)."""

    __tablename__ = "status_files"
    __table_args__ = (UniqueConstraint("partner_code", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    row_count: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatusEvent(Base):
    """One report from a partner about a line; ``outcome`` says what reconciliation made of it."""

    __tablename__ = "status_events"
    __table_args__ = (UniqueConstraint("status_file_id", "row_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status_file_id: Mapped[int | None] = mapped_column(ForeignKey("status_files.id"))
    row_no: Mapped[int] = mapped_column(Integer)
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"))
    line_reference: Mapped[str] = mapped_column(String(140))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    status: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatusTransition(Base):
    """An allowed change of line status, kept as data (from, to)."""

    __tablename__ = "status_transitions"

    from_status: Mapped[str] = mapped_column(String(32), primary_key=True)
    to_status: Mapped[str] = mapped_column(String(32), primary_key=True)


class StatusHistory(Base):
    """Every status change of a line or an order, with the event that caused it."""

    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    status_event_id: Mapped[int | None] = mapped_column(ForeignKey("status_events.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
