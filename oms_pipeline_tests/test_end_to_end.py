"""The main job end to end, on SQLite and on PostgreSQL: sample deliveries through the webhook
handler, the asset graph, the partners' outboxes, a status file back, and a second run that
changes nothing. The real Shopify corpus goes through the same flow when it is present."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from dagster import DagsterInstance
from pypdf import PdfReader
from sqlalchemy import func, select

from oms_pipeline.artwork.render import parse_recipe
from oms_pipeline.demo import run_demo
from oms_pipeline.orders.store import OrderStore, as_dict
from oms_pipeline.orders.tables import (
    LandedPayload,
    OrderLineRow,
    OrderRejection,
    OrderRow,
    Recipe,
    StatusEvent,
    StatusHistory,
)
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings
from oms_pipeline_tests.conftest import SHOPIFY_CORPUS

EXPECTED = json.loads((SAMPLES_DIR / "deliveries" / "shopify-expected.json").read_text())


def _snapshot(store: OrderStore, var_dir: Path) -> dict[str, object]:
    """Every count and every file's digest: what a repeated run must leave unchanged."""
    with store.session() as session:
        counts = {
            table.__tablename__: session.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
            for table in (LandedPayload, OrderRow, OrderLineRow, OrderRejection, StatusEvent)
        }
        statuses = sorted(
            session.execute(select(OrderLineRow.line_reference, OrderLineRow.status)).tuples()
        )
    files = {
        str(p.relative_to(var_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(var_dir.rglob("*"))
        if p.is_file() and "partners" in p.parts and "inbox" not in p.parts
    }
    return {"counts": counts, "statuses": statuses, "files": files}


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_sample_set_end_to_end(settings: OmsSettings, store: OrderStore) -> None:
    var_dir = settings.var_dir.resolve()
    with DagsterInstance.ephemeral() as instance:
        run = run_demo(settings, instance=instance, say=lambda _: None)

        # The webhook handler landed each delivery once; the retry was a duplicate.
        for name, expected in EXPECTED["deliveries"].items():
            assert run.replay.answers[name] == expected["http"], name

        with store.session() as session:
            numbers = sorted(session.execute(select(OrderRow.order_number)).scalars())
            rejections = {
                r.order_number: (r.code, r.field)
                for r in session.execute(select(OrderRejection)).scalars()
            }
            notes = as_dict(session.execute(select(OrderRow.order_number, OrderRow.note)))
        assert numbers == sorted(EXPECTED["orders"])
        for expected in EXPECTED["deliveries"].values():
            if expected["outcome"] == "rejected":
                assert rejections[expected["order_number"]] == (
                    expected["code"],
                    expected["field"],
                )
        assert sorted(rejections) == sorted(EXPECTED["rejected_order_numbers"])
        # The stale update of #1002 arrived late and changed nothing; #1001's update applied.
        stale = next(n for n, e in EXPECTED["deliveries"].items() if e["outcome"] == "stale")
        stale_note = json.loads((SAMPLES_DIR / "deliveries" / "shopify" / stale).read_bytes())
        assert notes["1002"] != stale_note["note"]

        _check_travelers_and_outboxes(store, var_dir)
        _check_statuses(store)

        # A second run, and a replay of the same deliveries, change nothing.
        before = _snapshot(store, var_dir)
        again = run_demo(settings, instance=instance, say=lambda _: None)
        assert set(again.replay.answers.values()) == {"duplicate"}
        assert again.status_files == []
        assert _snapshot(store, var_dir) == before


def _check_travelers_and_outboxes(store: OrderStore, var_dir: Path) -> None:
    """One traveler per order per partner, in that partner's outbox, naming every line."""
    with store.session() as session:
        lines = session.execute(
            select(OrderLineRow, OrderRow.order_ref, OrderRow.order_number).join(
                OrderRow, OrderRow.id == OrderLineRow.order_id
            )
        ).all()
        recipes = {
            r.token: parse_recipe(r.document) for r in session.execute(select(Recipe)).scalars()
        }
    by_traveler: dict[tuple[str, str], list[tuple[OrderLineRow, str]]] = {}
    for line, order_ref, number in lines:
        assert line.partner_code is not None, line.line_reference
        by_traveler.setdefault((line.partner_code, order_ref), []).append((line, number))

    for (partner, order_ref), members in by_traveler.items():
        outbox = var_dir / "partners" / partner / "outbox"
        found = list(outbox.glob(f"*/traveler-{order_ref}.pdf"))
        assert len(found) == 1, (partner, order_ref, found)
        text = _pdf_text(found[0])
        assert members[0][1] in text
        for line, _ in members:
            assert line.sku in text
            assert line.line_reference in text
            if line.recipe_id:
                assert line.recipe_id in text
                recipe = recipes[line.recipe_id]
                for component in recipe.components:
                    if component.element_type == "text":
                        assert component.value in text, (line.line_reference, component.value)
                artwork = outbox.glob(f"*/artwork/{line.line_reference}.pdf")
                assert len(list(artwork)) == 1
        # The manifest lists exactly the partner's lines of the batch, with quantities.
        manifest = next(found[0].parent.glob("manifest.csv"))
        rows = list(csv.DictReader(io.StringIO(manifest.read_text())))
        quantities = {r["line_reference"]: int(r["quantity"]) for r in rows}
        for line, _ in members:
            assert quantities[line.line_reference] == line.quantity

    # No partner received a line routed to another.
    for partner_dir in (var_dir / "partners").iterdir():
        for manifest in partner_dir.glob("outbox/*/manifest.csv"):
            for row in csv.DictReader(io.StringIO(manifest.read_text())):
                line = next(
                    line for line, _, _ in lines if line.line_reference == row["line_reference"]
                )
                assert line.partner_code == partner_dir.name


def _check_statuses(store: OrderStore) -> None:
    """The dropped status files are in the database: events applied, lines and orders moved."""
    with store.session() as session:
        events = session.execute(select(StatusEvent)).scalars().all()
        lines = {
            line.line_reference: line for line in session.execute(select(OrderLineRow)).scalars()
        }
        history = session.execute(select(func.count()).select_from(StatusHistory)).scalar_one()
        orders = as_dict(session.execute(select(OrderRow.order_number, OrderRow.status)))
    assert events and all(e.outcome == "applied" for e in events)
    for event in events:
        line = lines[event.line_reference]
        assert line.status == event.status
        if event.tracking_number:
            assert line.tracking_number == event.tracking_number
    assert {line.status for line in lines.values()} == {"in_production", "shipped"}
    assert history >= 2 * len(lines)  # received -> dispatched -> reported
    assert set(orders.values()) <= {"in_production", "partially_shipped", "shipped"}


def test_corpus_end_to_end(sqlite_settings: OmsSettings, sqlite_store: OrderStore) -> None:
    if not SHOPIFY_CORPUS.is_dir():
        pytest.skip(f"no Shopify corpus at {SHOPIFY_CORPUS}")
    var_dir = sqlite_settings.var_dir.resolve()
    with DagsterInstance.ephemeral() as instance:
        run_demo(sqlite_settings, deliveries=SHOPIFY_CORPUS, instance=instance, say=lambda _: None)
        with sqlite_store.session() as session:
            accepted_ids = {
                json.loads(body).get("order", json.loads(body)).get("id")
                for body in session.execute(
                    select(LandedPayload.body).where(
                        LandedPayload.outcome.in_(["accepted", "stale"])
                    )
                ).scalars()
            }
            orders = session.execute(select(OrderRow.source_order_id)).scalars().all()
            rejections = session.execute(select(OrderRejection)).scalars().all()
            pending = session.execute(
                select(func.count())
                .select_from(LandedPayload)
                .where(LandedPayload.processed_at.is_(None))
            ).scalar_one()
        assert pending == 0
        assert sorted(orders) == sorted(str(i) for i in accepted_ids)
        assert rejections, "the corpus holds payloads that cannot be orders"
        for rejection in rejections:
            assert rejection.field and rejection.message, rejection.landing_id
            assert rejection.code in {
                "unsupported_topic",
                "missing_shipping_address",
                "missing_order_id",
                "missing_order_number",
            }, (rejection.code, rejection.field)
        assert any((var_dir / "partners").glob("*/outbox/*/traveler-*.pdf"))

        before = _snapshot(sqlite_store, var_dir)
        run_demo(sqlite_settings, deliveries=SHOPIFY_CORPUS, instance=instance, say=lambda _: None)
        assert _snapshot(sqlite_store, var_dir) == before
