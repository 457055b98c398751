"""The Alembic migrations in ``sql/`` build exactly the tables the code maps, on both
databases, and migrating twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import Base


def test_migrations_match_the_models(database_url: str) -> None:
    store = OrderStore(database_url)
    store.migrate()
    store.migrate()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    store.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
