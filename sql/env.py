"""Alembic environment of the order store: migrates the database the settings point at."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from oms_pipeline.orders.tables import Base
from oms_pipeline.settings import OmsSettings

config = context.config
url = config.attributes.get("database_url") or OmsSettings().resolved_database_url
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    _run(connection)
else:
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
