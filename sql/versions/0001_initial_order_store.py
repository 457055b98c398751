"""initial order store

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-04 16:07:55.952681
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("recipe_properties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("source", "shop", name=op.f("uq_connections_source_shop")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_ref", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("source_order_id", sa.String(length=100), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=False),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sales_channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("total_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("ship_method_carrier", sa.String(length=100), nullable=True),
        sa.Column("ship_method_code", sa.String(length=100), nullable=True),
        sa.Column("ship_method_description", sa.String(length=255), nullable=True),
        sa.Column("ship_to", sa.JSON(), nullable=True),
        sa.Column("sold_to", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("custom_attributes", sa.JSON(), nullable=False),
        sa.Column("landing_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_ref", name=op.f("uq_orders_order_ref")),
        sa.UniqueConstraint(
            "source", "shop", "source_order_id", name=op.f("uq_orders_source_shop_source_order_id")
        ),
    )
    op.create_table(
        "partners",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_partners")),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_products")),
    )
    op.create_table(
        "recipes",
        sa.Column("token", sa.String(length=8), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_recipes")),
    )
    op.create_table(
        "status_transitions",
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("from_status", "to_status", name=op.f("pk_status_transitions")),
    )
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_key", sa.String(length=200), nullable=False),
        sa.Column("partner_code", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("manifest_path", sa.String(length=500), nullable=True),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_dispatches_partner_code_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_dispatches_batch_key")),
    )
    op.create_table(
        "landed_payloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("shop", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_landed_payloads_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landed_payloads")),
        sa.UniqueConstraint(
            "source", "delivery_id", name=op.f("uq_landed_payloads_source_delivery_id")
        ),
    )
    with op.batch_alter_table("landed_payloads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_landed_payloads_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("line_reference", sa.String(length=140), nullable=False),
        sa.Column("source_line_id", sa.String(length=100), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("product_description", sa.String(length=500), nullable=False),
        sa.Column("recipe_id", sa.String(length=8), nullable=True),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.Column("partner_code", sa.String(length=64), nullable=True),
        sa.Column("routing_rule", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_order_lines_partner_code_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("line_reference", name=op.f("uq_order_lines_line_reference")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_lines_order_id_line_no")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_recipe_id"), ["recipe_id"], unique=False)

    op.create_table(
        "routing_rules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("sku_pattern", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("partner_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_routing_rules_partner_code_partners")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_routing_rules")),
    )
    op.create_table(
        "status_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_code", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_status_files_partner_code_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_files")),
        sa.UniqueConstraint(
            "partner_code", "sha256", name=op.f("uq_status_files_partner_code_sha256")
        ),
    )
    op.create_table(
        "artwork",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.String(length=8), nullable=False),
        sa.Column("pdf_path", sa.String(length=500), nullable=False),
        sa.Column("png_path", sa.String(length=500), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("png_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["order_lines.id"], name=op.f("fk_artwork_line_id_order_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artwork")),
        sa.UniqueConstraint("line_id", name=op.f("uq_artwork_line_id")),
    )
    op.create_table(
        "factory_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("partner_code", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"], ["dispatches.id"], name=op.f("fk_factory_files_dispatch_id_dispatches")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_factory_files_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_factory_files_partner_code_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factory_files")),
        sa.UniqueConstraint(
            "kind",
            "order_id",
            "partner_code",
            name=op.f("uq_factory_files_kind_order_id_partner_code"),
        ),
    )
    with op.batch_alter_table("factory_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_factory_files_dispatch_id"), ["dispatch_id"], unique=False
        )

    op.create_table(
        "order_line_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["order_lines.id"],
            name=op.f("fk_order_line_attributes_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line_attributes")),
        sa.UniqueConstraint(
            "line_id", "position", name=op.f("uq_order_line_attributes_line_id_position")
        ),
    )
    with op.batch_alter_table("order_line_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_line_attributes_line_id"), ["line_id"], unique=False
        )

    op.create_table(
        "order_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("landing_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_order_id", sa.String(length=100), nullable=True),
        sa.Column("order_number", sa.String(length=100), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["landing_id"],
            ["landed_payloads.id"],
            name=op.f("fk_order_rejections_landing_id_landed_payloads"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_rejections")),
        sa.UniqueConstraint("landing_id", name=op.f("uq_order_rejections_landing_id")),
    )
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status_file_id", sa.Integer(), nullable=True),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("partner_code", sa.String(length=64), nullable=False),
        sa.Column("line_reference", sa.String(length=140), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["order_lines.id"], name=op.f("fk_status_events_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name=op.f("fk_status_events_partner_code_partners")
        ),
        sa.ForeignKeyConstraint(
            ["status_file_id"],
            ["status_files.id"],
            name=op.f("fk_status_events_status_file_id_status_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
        sa.UniqueConstraint(
            "status_file_id", "row_no", name=op.f("uq_status_events_status_file_id_row_no")
        ),
    )
    op.create_table(
        "status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("status_event_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["order_lines.id"], name=op.f("fk_status_history_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_status_history_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["status_event_id"],
            ["status_events.id"],
            name=op.f("fk_status_history_status_event_id_status_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_history")),
    )
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_history_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_history_order_id"))

    op.drop_table("status_history")
    op.drop_table("status_events")
    op.drop_table("order_rejections")
    with op.batch_alter_table("order_line_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_attributes_line_id"))

    op.drop_table("order_line_attributes")
    with op.batch_alter_table("factory_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_factory_files_dispatch_id"))

    op.drop_table("factory_files")
    op.drop_table("artwork")
    op.drop_table("status_files")
    op.drop_table("routing_rules")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_recipe_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("landed_payloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_landed_payloads_processed_at"))

    op.drop_table("landed_payloads")
    op.drop_table("dispatches")
    op.drop_table("status_transitions")
    op.drop_table("recipes")
    op.drop_table("products")
    op.drop_table("partners")
    op.drop_table("orders")
    op.drop_table("connections")
