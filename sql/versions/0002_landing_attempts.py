"""landing attempts: how often a rejected landing was put back in the queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 17:09:35.867769
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("landed_payloads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("landed_payloads", schema=None) as batch_op:
        batch_op.drop_column("attempt")
