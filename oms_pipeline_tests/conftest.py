"""Shared pytest fixtures for oms-pipeline tests.

Keep fixtures grouped by the resource they provide, one section each.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from oms_pipeline_tests.postgres_server import (
    PostgresUnavailable,
    create_database,
    drop_database,
    skip_or_fail,
    start_postgres,
)

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of the ``oms_test`` database on a server shared by the session.

    Skips the test when PostgreSQL cannot be had, or fails it when ``CI=true``.
    """
    try:
        handle = start_postgres()
    except PostgresUnavailable as exc:
        skip_or_fail(str(exc))
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database for this test only; dropped afterwards."""
    name = f"oms_test_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_url, name)
    yield url
    drop_database(postgres_url, name)
