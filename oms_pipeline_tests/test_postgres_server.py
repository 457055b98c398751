"""Tests of the throwaway PostgreSQL server and its fixtures.

Covers: the ``postgres_url`` fixture gives a server SQLAlchemy can use (query, create, insert,
read back); ``fresh_postgres_url`` gives each test its own empty database; and the
skip-or-fail decision when no server can be had (fails when ``CI=true``, skips otherwise),
which needs no server.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from oms_pipeline_tests.postgres_server import create_database, drop_database, skip_or_fail


def _engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


@pytest.mark.postgres
def test_server_accepts_queries_and_keeps_rows(postgres_url: str) -> None:
    engine = _engine(postgres_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
            conn.execute(text("create table probe (id int primary key, label text not null)"))
            conn.execute(text("insert into probe values (1, 'ünïcode')"))
        with engine.connect() as conn:
            rows = conn.execute(text("select id, label from probe")).all()
            conn.execute(text("drop table probe"))
            conn.commit()
    finally:
        engine.dispose()
    assert rows == [(1, "ünïcode")]
    assert make_url(postgres_url).database == "oms_test"


@pytest.mark.postgres
def test_fresh_databases_are_isolated(postgres_url: str, fresh_postgres_url: str) -> None:
    other_name = f"oms_test_other_{uuid.uuid4().hex[:8]}"
    other_url = create_database(postgres_url, other_name)
    fresh, other, main = _engine(fresh_postgres_url), _engine(other_url), _engine(postgres_url)
    try:
        with fresh.begin() as conn:
            conn.execute(text("create table only_here (id int)"))
        assert inspect(fresh).get_table_names() == ["only_here"]
        assert inspect(other).get_table_names() == []
        assert "only_here" not in inspect(main).get_table_names()
    finally:
        for engine in (fresh, other, main):
            engine.dispose()
        drop_database(postgres_url, other_name)


@pytest.mark.postgres
@pytest.mark.parametrize("run", [1, 2])
def test_fresh_database_starts_empty(fresh_postgres_url: str, run: int) -> None:
    engine = _engine(fresh_postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("create table leftover (id int)"))
    finally:
        engine.dispose()


def test_unavailable_postgres_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="initdb failed"):
        skip_or_fail("initdb failed")


@pytest.mark.parametrize("ci", [None, "false", ""])
def test_unavailable_postgres_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="initdb failed"):
        skip_or_fail("initdb failed")
