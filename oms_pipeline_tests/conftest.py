"""Shared pytest fixtures for oms-pipeline tests.

Keep fixtures grouped by the resource they provide, one section each.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_pipeline.orders.config import load_config
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings
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


# ---------------------------------------------------------------------------
# The order store and the working folder
# ---------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[1]
SHOPIFY_CORPUS = Path(
    os.environ.get("OMS_SHOPIFY_CORPUS", REPO_ROOT.parent / "shared" / "corpus" / "shopify")
)
TEST_SECRET = "test-shopify-secret"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'oms.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> OmsSettings:
    """Settings pointing at a fresh database and working folder, with a webhook secret."""
    return OmsSettings(
        database_url=database_url,
        var_dir=tmp_path / "var",
        shopify_webhook_secret=TEST_SECRET,  # type: ignore[arg-type]
    )


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> OmsSettings:
    """Settings on SQLite only, for tests whose subject is not the database."""
    return OmsSettings(
        database_url=f"sqlite:///{tmp_path / 'oms.db'}",
        var_dir=tmp_path / "var",
        shopify_webhook_secret=TEST_SECRET,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(settings: OmsSettings) -> Iterator[OrderStore]:
    """A migrated order store with the sample configuration loaded, on each database."""
    yield from _store(settings)


@pytest.fixture
def sqlite_store(sqlite_settings: OmsSettings) -> Iterator[OrderStore]:
    """A migrated SQLite order store with the sample configuration loaded."""
    yield from _store(sqlite_settings)


def _store(settings: OmsSettings) -> Iterator[OrderStore]:
    store = OrderStore(settings.resolved_database_url)
    store.migrate()
    load_config(store, SAMPLES_DIR)
    yield store
    store.dispose()
