"""The demo: the whole flow once, without servers, on the sample set or any folder.

Deliveries go through the real webhook handler (signed), the asset graph is materialized in
process, a status file is dropped in each partner's inbox as a factory would, and it is
reconciled. Everything it does is idempotent: a second run changes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, materialize
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from oms_pipeline.api.main import create_app
from oms_pipeline.artwork.assets import artwork_files, travelers
from oms_pipeline.dispatch.assets import line_routes, partner_dispatches
from oms_pipeline.dispatch.partitions import partner_partitions
from oms_pipeline.errors import ConfigurationError
from oms_pipeline.ingest.replay import ReplayResult, replay_shopify_folder
from oms_pipeline.orders.assets import import_orders
from oms_pipeline.orders.config import load_config
from oms_pipeline.orders.store import OrderStore, as_dict
from oms_pipeline.orders.tables import (
    Dispatch,
    FactoryFile,
    LandedPayload,
    OrderLineRow,
    OrderRejection,
    OrderRow,
    Partner,
    StatusEvent,
    utcnow,
)
from oms_pipeline.paths import write_atomically
from oms_pipeline.resources import OrderStoreResource
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings, partner_folder
from oms_pipeline.status.assets import order_status

INTAKE_ASSETS = [import_orders, line_routes, artwork_files, travelers]


@dataclass
class DemoRun:
    """What the demo did, for the summary and for tests."""

    replay: ReplayResult
    dispatched_partners: list[str]
    status_files: list[Path]


def run_demo(
    settings: OmsSettings,
    deliveries: Path | None = None,
    instance: DagsterInstance | None = None,
    say: Callable[[str], None] | None = None,
) -> DemoRun:
    """Run the whole flow once.

    Args:
        settings: where the order store and the working folder are; must hold the Shopify
            webhook secret, which signs the replayed deliveries.
        deliveries: a folder of Shopify deliveries; the sample set's when None.
        instance: the Dagster instance to record runs in; ``DAGSTER_HOME``'s or an ephemeral one.
        say: where progress goes; standard output when None.
    """
    say = say or _stdout
    secrets = settings.shopify_secrets()
    if not secrets:
        raise ConfigurationError(
            "OMS_SHOPIFY_WEBHOOK_SECRET is not set: the demo signs deliveries with it"
        )
    folder = deliveries or SAMPLES_DIR / "deliveries" / "shopify"
    if not folder.is_dir():
        raise ConfigurationError(f"{folder}: no such folder of deliveries")
    store = OrderStore(settings.resolved_database_url)
    store.migrate()
    var_dir = settings.var_dir.resolve()
    resource = OrderStoreResource(database_url=settings.resolved_database_url, var_dir=str(var_dir))
    instance = instance or _instance()

    say(f"1/6 configuration from {settings.config_dir}")
    load_config(store, settings.config_dir)

    say(f"2/6 replaying deliveries from {folder} through the webhook handler")
    with TestClient(create_app(settings, store)) as client:

        def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = client.post(path, content=body, headers=headers)
            return response.status_code, response.json()

        replay = replay_shopify_folder(folder, secrets[0], post)
    say(f"    {len(replay.answers)} deliveries: {dict(replay.counts)}")

    say("3/6 materializing orders, order_rejections, line_routes, artwork_files, travelers")
    _materialize(INTAKE_ASSETS, resource, instance)

    say("4/6 dispatching to each partner with travelers waiting")
    with store.session() as session:
        waiting = sorted(
            session.execute(
                select(FactoryFile.partner_code).where(FactoryFile.dispatch_id.is_(None)).distinct()
            ).scalars()
        )
    if waiting:
        instance.add_dynamic_partitions(partner_partitions.name or "partners", waiting)
    for code in waiting:
        say(f"    partner_dispatches[{code}]")
        _materialize([partner_dispatches], resource, instance, partition_key=code)

    say("5/6 dropping a status file in each partner's inbox, as the factory would")
    status_files = drop_factory_status_files(store, var_dir)
    for path in status_files:
        say(f"    {path}")

    say("6/6 materializing order_status")
    _materialize([order_status], resource, instance)
    return DemoRun(replay=replay, dispatched_partners=waiting, status_files=status_files)


def drop_factory_status_files(store: OrderStore, var_dir: Path) -> list[Path]:
    """Write, per partner, a status CSV for its lines still marked dispatched.

    Custom lines are reported in production; stock lines shipped, with a tracking number.
    """
    with store.session() as session:
        rows = session.execute(
            select(OrderLineRow.partner_code, OrderLineRow.line_reference, OrderLineRow.is_custom)
            .where(OrderLineRow.status == "dispatched")
            .order_by(OrderLineRow.partner_code, OrderLineRow.id)
        ).all()
    by_partner: dict[str, list[tuple[str, bool]]] = {}
    for code, reference, is_custom in rows:
        by_partner.setdefault(code, []).append((reference, is_custom))

    written = []
    now = utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    for code, lines in by_partner.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ["line_reference", "status", "occurred_at", "tracking_number", "carrier", "note"]
        )
        for index, (reference, is_custom) in enumerate(lines, start=1):
            if is_custom:
                writer.writerow([reference, "in_production", now, "", "", "made to order"])
            else:
                writer.writerow([reference, "shipped", now, f"DEMO{index:06d}", "UPS", ""])
        path = partner_folder(var_dir, code) / "inbox" / "status-demo.csv"
        write_atomically(path, buffer.getvalue().encode("utf-8"))
        written.append(path)
    return written


def summary_lines(settings: OmsSettings) -> list[str]:
    """The state of the order store and the partners' folders, as printable lines."""
    store = OrderStore(settings.resolved_database_url)
    var_dir = settings.var_dir.resolve()
    out: list[str] = []
    with store.session() as session:

        def count(*args: Any) -> int:
            return int(session.execute(select(func.count()).select_from(*args)).scalar_one())

        outcomes = as_dict(
            session.execute(
                select(LandedPayload.outcome, func.count()).group_by(LandedPayload.outcome)
            )
        )
        out.append(f"payloads landed: {count(LandedPayload)} {outcomes}")
        orders = session.execute(
            select(OrderRow.order_number, OrderRow.shop, OrderRow.status).order_by(OrderRow.id)
        ).all()
        out.append(f"orders accepted: {len(orders)}")
        out.extend(f"  #{number} ({shop}) {status}" for number, shop, status in orders)
        rejections = session.execute(
            select(OrderRejection, LandedPayload.headers)
            .join(LandedPayload, LandedPayload.id == OrderRejection.landing_id)
            .order_by(OrderRejection.landing_id)
        ).all()
        out.append(f"payloads rejected: {len(rejections)}")
        for rejection, _ in rejections:
            who = f"order {rejection.order_number}" if rejection.order_number else "payload"
            out.append(
                f"  landing {rejection.landing_id} ({who}): [{rejection.code}] "
                f"{rejection.field}: {rejection.message}"
            )
        routed = session.execute(
            select(OrderLineRow.partner_code, func.count(), func.sum(OrderLineRow.quantity))
            .where(OrderLineRow.partner_code.is_not(None))
            .group_by(OrderLineRow.partner_code)
            .order_by(OrderLineRow.partner_code)
        ).all()
        out.append("lines routed per partner:")
        out.extend(f"  {code}: {lines} lines, {units} units" for code, lines, units in routed)
        out.append("files written:")
        for partner in session.execute(select(Partner).order_by(Partner.code)).scalars():
            outbox = partner_folder(var_dir, partner.code) / "outbox"
            files = sorted(p for p in outbox.rglob("*") if p.is_file()) if outbox.exists() else []
            batches = count(
                Dispatch.__table__.select().where(Dispatch.partner_code == partner.code).subquery()
            )
            out.append(f"  {partner.code}: {len(files)} files in {batches} batches, in {outbox}")
        statuses = as_dict(
            session.execute(select(StatusEvent.outcome, func.count()).group_by(StatusEvent.outcome))
        )
        line_status = as_dict(
            session.execute(select(OrderLineRow.status, func.count()).group_by(OrderLineRow.status))
        )
        out.append(f"status events: {statuses}")
        out.append(f"line statuses now: {line_status}")
    store.dispose()
    return out


def _materialize(
    assets: list[Any],
    resource: OrderStoreResource,
    instance: DagsterInstance,
    partition_key: str | None = None,
) -> None:
    result = materialize(
        assets,
        resources={"oms": resource},
        instance=instance,
        partition_key=partition_key,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=True,
    )
    if not result.success:
        raise RuntimeError("a demo run failed; see the Dagster UI or the log above")


def _instance() -> DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
