"""Status files: read once, applied along allowed transitions only, scoped to the partner,
older reports ignored, unreadable files refused with a reason; order status follows lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import (
    Dispatch,
    FactoryFile,
    OrderLineRow,
    OrderRow,
    StatusEvent,
)
from oms_pipeline.settings import OmsSettings
from oms_pipeline.status.files import ingest_status_files
from oms_pipeline.status.reconcile import derive_order_status, move_lines
from oms_pipeline_tests.factories import add_line, add_order

HEADER = "line_reference,status,occurred_at,tracking_number,carrier,note\n"
AT = "2026-11-05T10:00:00Z"


def _order(store: OrderStore, partners: list[str]) -> list[str]:
    """An order with one dispatched line per partner; returns the line references."""
    with store.session() as session:
        order = add_order(session, "77")
        lines = [
            add_line(session, order, n, "GIFT-BOX-SM", partner)
            for n, partner in enumerate(partners, start=1)
        ]
        for partner in sorted(set(partners)):
            dispatch = Dispatch(
                batch_key=f"{partner}:test",
                partner_code=partner,
                channel="local_folder",
                file_count=1,
                line_count=1,
                status="sent",
            )
            session.add(dispatch)
            session.flush()
            session.add(
                FactoryFile(
                    kind="traveler",
                    order_id=order.id,
                    partner_code=partner,
                    path="traveler.pdf",
                    sha256="",
                    dispatch_id=dispatch.id,
                )
            )
        move_lines(session, [line.id for line in lines], "dispatched")
    return [line.line_reference for line in lines]


def _drop(settings: OmsSettings, partner: str, name: str, text: str) -> Path:
    inbox = settings.var_dir / "partners" / partner / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / name).write_text(text, encoding="utf-8")
    return inbox


def _line(store: OrderStore, reference: str) -> OrderLineRow:
    with store.session() as session:
        return session.execute(
            select(OrderLineRow).where(OrderLineRow.line_reference == reference)
        ).scalar_one()


def _order_status(store: OrderStore) -> str:
    with store.session() as session:
        return session.execute(select(OrderRow.status)).scalar_one()


def test_status_file_moves_lines_forward_and_orders_follow(
    settings: OmsSettings, store: OrderStore
) -> None:
    first, second = _order(store, ["northwind-3pl", "northwind-3pl"])
    assert _order_status(store) == "dispatched"
    inbox = _drop(
        settings,
        "northwind-3pl",
        "day1.csv",
        HEADER
        + f"{first},in_production,2026-11-02T09:00:00-05:00,,,\n"
        + f'{first},shipped,2026-11-02T16:00:00-05:00,1Z999,UPS,"packed, sent"\n'
        + f"{second},in_production,2026-11-02T10:00:00-05:00,,,\n",
    )
    summary = ingest_status_files(store, settings.var_dir)
    assert summary.events == {"applied": 3}
    assert (inbox / "processed" / "day1.csv").exists()
    assert not (inbox / "day1.csv").exists()
    line = _line(store, first)
    assert (line.status, line.tracking_number, line.carrier) == ("shipped", "1Z999", "UPS")
    assert line.status_at == datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    assert _order_status(store) == "partially_shipped"

    # The same bytes again: recorded once, nothing applied twice.
    _drop(settings, "northwind-3pl", "day1-again.csv", (inbox / "processed/day1.csv").read_text())
    assert ingest_status_files(store, settings.var_dir).events == {}

    # Backwards (shipped -> in_production) and older-than-current reports are ignored.
    _drop(
        settings,
        "northwind-3pl",
        "day2.csv",
        HEADER
        + f"{first},in_production,2026-11-03T09:00:00Z,,,\n"
        + f"{second},shipped,2026-11-01T09:00:00Z,,,\n"
        + f"{second},delivered,2026-11-04T09:00:00Z,,,\n",
    )
    summary = ingest_status_files(store, settings.var_dir)
    assert summary.events == {"ignored": 2, "applied": 1}
    assert _line(store, first).status == "shipped"
    assert _line(store, second).status == "delivered"


def test_a_partner_cannot_touch_another_partners_line(
    settings: OmsSettings, store: OrderStore
) -> None:
    (theirs,) = _order(store, ["brightprint"])
    _drop(
        settings,
        "northwind-3pl",
        "s.csv",
        HEADER + f"{theirs},shipped,{AT},,,\nnope-1,shipped,{AT},,,\n",
    )
    summary = ingest_status_files(store, settings.var_dir)
    assert summary.events == {"rejected": 2}
    assert _line(store, theirs).status == "dispatched"
    with store.session() as session:
        reasons = {e.reason for e in session.execute(select(StatusEvent)).scalars()}
    # Unknown and foreign lines get the same answer.
    assert len(reasons) == 2 and all("was dispatched to this partner" in r for r in reasons)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("reference,state\nx,shipped\n", "lacks line_reference, status"),
        (b"line_reference,status\n" + b"\xff\xfe\n", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore, content: str | bytes, reason: str
) -> None:
    inbox = sqlite_settings.var_dir / "partners" / "brightprint" / "inbox"
    inbox.mkdir(parents=True)
    data = content if isinstance(content, bytes) else content.encode()
    (inbox / "bad.csv").write_bytes(data)
    summary = ingest_status_files(sqlite_store, sqlite_settings.var_dir)
    assert list(summary.files_refused) == ["brightprint/bad.csv"]
    assert reason in (inbox / "refused" / "bad.csv.reason.txt").read_text()
    assert (inbox / "refused" / "bad.csv").read_bytes() == data


def test_bad_rows_are_kept_as_rejected_events(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    (line,) = _order(sqlite_store, ["brightprint"])
    _drop(sqlite_settings, "brightprint", "s.csv", HEADER + f"{line},lost_in_space,,,,\n")
    assert ingest_status_files(sqlite_store, sqlite_settings.var_dir).events == {}
    with sqlite_store.session() as session:
        event = session.execute(select(StatusEvent)).scalar_one()
    assert event.outcome == "rejected"
    assert "s.csv row 2" in (event.reason or "") and "lost_in_space" in (event.reason or "")


@pytest.mark.parametrize(
    ("lines", "order"),
    [
        (["received", "received"], "received"),
        (["dispatched", "dispatched"], "dispatched"),
        (["dispatched", "in_production"], "in_production"),
        (["shipped", "in_production"], "partially_shipped"),
        (["shipped", "delivered"], "shipped"),
        (["delivered", "cancelled"], "delivered"),
        (["cancelled", "cancelled"], "cancelled"),
        (["error", "shipped"], "error"),
    ],
)
def test_order_status_derives_from_lines(lines: list[str], order: str) -> None:
    assert derive_order_status(lines) == order


def test_rows_for_lines_not_yet_dispatched_are_rejected(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    (line,) = _order(sqlite_store, ["brightprint"])
    with sqlite_store.session() as session:
        row = session.execute(
            select(OrderLineRow).where(OrderLineRow.line_reference == line)
        ).scalar_one()
        row.status = "received"
    _drop(sqlite_settings, "brightprint", "early.csv", HEADER + f"{line},shipped,{AT},1Z,UPS,\n")
    assert ingest_status_files(sqlite_store, sqlite_settings.var_dir).events == {"rejected": 1}
    assert _line(sqlite_store, line).status == "received"


@pytest.mark.parametrize(
    ("occurred_at", "says"),
    [
        ("", "is empty"),
        ("2026-11-05T10:00:00", "has no zone"),
        ("yesterday", "not an ISO"),
        ("0001-01-01T00:00:00+14:00", "out of range"),
    ],
)
def test_rows_without_a_zoned_time_are_rejected(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore, occurred_at: str, says: str
) -> None:
    (line,) = _order(sqlite_store, ["brightprint"])
    _drop(sqlite_settings, "brightprint", "t.csv", HEADER + f"{line},shipped,{occurred_at},,,\n")
    ingest_status_files(sqlite_store, sqlite_settings.var_dir)
    with sqlite_store.session() as session:
        event = session.execute(select(StatusEvent)).scalar_one()
    assert event.outcome == "rejected"
    assert "t.csv row 2: occurred_at" in (event.reason or "") and says in (event.reason or "")
    assert _line(sqlite_store, line).status == "dispatched"


def test_one_bad_file_does_not_hold_up_the_others(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    first, second = _order(sqlite_store, ["brightprint", "northwind-3pl"])
    # An oversized field (beyond the csv module's limit) and a file where a folder must go.
    _drop(sqlite_settings, "acme-embroidery", "huge.csv", HEADER + "x,shipped,,,," + "n" * 200_000)
    blocked = _drop(sqlite_settings, "brightprint", "a.csv", HEADER + f"{first},shipped,{AT},,,\n")
    (blocked / "processed").write_text("not a folder")
    _drop(sqlite_settings, "northwind-3pl", "état #1.csv", HEADER + f"{second},shipped,{AT},,,\n")

    summary = ingest_status_files(sqlite_store, sqlite_settings.var_dir)

    assert "not a readable CSV" in summary.files_refused["acme-embroidery/huge.csv"]
    assert "left in the inbox" in summary.files_refused["brightprint/a.csv"]
    assert summary.files_read == ["northwind-3pl/état #1.csv"]
    assert _line(sqlite_store, second).status == "shipped"
    # The blocked file's rows were recorded and applied once; it waits for a person.
    assert _line(sqlite_store, first).status == "shipped"
    assert (blocked / "a.csv").exists()
    processed = sqlite_settings.var_dir / "partners" / "northwind-3pl" / "inbox" / "processed"
    (moved,) = processed.iterdir()
    assert moved.suffix == ".csv" and moved.name.startswith("tat_1")


def test_an_unmovable_unreadable_file_holds_up_nobody(
    settings: OmsSettings, store: OrderStore
) -> None:
    first, second = _order(store, ["brightprint", "northwind-3pl"])
    inbox = _drop(settings, "brightprint", "u16.csv", "")
    (inbox / "u16.csv").write_bytes("line_reference,status\n".encode("utf-16"))
    (inbox / "refused").write_text("a file where the folder must go")
    # Values the database would refuse: NUL, and longer than the columns.
    _drop(
        settings,
        "northwind-3pl",
        "odd.csv",
        HEADER + f"{second},shipped,{AT},{'T' * 300},carrier\x00x,\n",
    )
    summary = ingest_status_files(store, settings.var_dir)
    assert "left in the inbox" in summary.files_refused["brightprint/u16.csv"]
    assert summary.files_read == ["northwind-3pl/odd.csv"]
    line = _line(store, second)
    assert line.status == "shipped" and line.tracking_number == "T" * 100
    assert _line(store, first).status == "dispatched"


def test_cancelled_and_future_rows_get_no_telling_answer(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    (line,) = _order(sqlite_store, ["brightprint"])
    with sqlite_store.session() as session:
        session.execute(select(FactoryFile)).scalar_one().dispatch_id = None
        row = session.execute(select(OrderLineRow)).scalar_one()
        row.status = "cancelled"
    _drop(
        sqlite_settings,
        "brightprint",
        "s.csv",
        HEADER + f"{line},in_production,{AT},,,\nnope-9,shipped,2999-01-01T00:00:00Z,,,\n",
    )
    ingest_status_files(sqlite_store, sqlite_settings.var_dir)
    with sqlite_store.session() as session:
        events = {e.row_no: e for e in session.execute(select(StatusEvent)).scalars()}
    assert events[2].outcome == "rejected"
    assert "was dispatched to this partner" in (events[2].reason or "")
    assert events[3].outcome == "rejected" and "in the future" in (events[3].reason or "")


def test_links_in_an_inbox_are_not_followed(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text(HEADER + f"x,shipped,{AT},,,\n")
    inbox = _drop(sqlite_settings, "brightprint", "real.csv", HEADER)
    (inbox / "link.csv").symlink_to(outside)
    summary = ingest_status_files(sqlite_store, sqlite_settings.var_dir)
    assert summary.files_read == ["brightprint/real.csv"]
    with sqlite_store.session() as session:
        assert session.execute(select(StatusEvent)).first() is None
    assert outside.exists()
