"""The sensors' cursor and run-key transitions, evaluated with ``build_sensor_context``."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, RunRequest, SensorResult, SkipReason, build_sensor_context

from oms_pipeline.dispatch.sensors import partner_dispatch_sensor
from oms_pipeline.ingest.sensors import landed_payloads_sensor
from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import FactoryFile
from oms_pipeline.resources import OrderStoreResource
from oms_pipeline.settings import OmsSettings
from oms_pipeline.status.sensors import partner_status_file_sensor
from oms_pipeline_tests.factories import add_order, land_shopify


def _land(store: OrderStore, delivery_id: str) -> int:
    return land_shopify(store, delivery_id, b"{}")


def _resource(settings: OmsSettings) -> OrderStoreResource:
    return OrderStoreResource(
        database_url=settings.resolved_database_url, var_dir=str(settings.var_dir)
    )


def _evaluate(resource: OrderStoreResource, cursor: str | None) -> SensorResult | SkipReason:
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, cursor=cursor, resources={"oms": resource}
        )
        return landed_payloads_sensor(context)  # type: ignore[no-any-return]


def test_landing_sensor_walks_every_cursor_transition(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    resource = _resource(sqlite_settings)

    # Nothing landed: skip, and the cursor stays where it was.
    empty = _evaluate(resource, None)
    assert isinstance(empty, SkipReason)
    assert "after #0" in (empty.skip_message or "")

    # Two landings: one run for the batch, cursor on the newest.
    first, second = _land(sqlite_store, "d-1"), _land(sqlite_store, "d-2")
    batch = _evaluate(resource, None)
    assert isinstance(batch, SensorResult)
    assert batch.cursor == str(second)
    (request,) = batch.run_requests or []
    assert isinstance(request, RunRequest)
    assert request.run_key == f"landings-{first}-{second}"
    assert request.tags["oms/landing_count"] == "2"

    # Evaluated again from the old cursor (the tick crashed before saving it): same run key,
    # so Dagster starts no second run.
    again = _evaluate(resource, None)
    assert isinstance(again, SensorResult)
    assert again.run_requests[0].run_key == request.run_key  # type: ignore[index]

    # From the saved cursor, nothing new: skip.
    idle = _evaluate(resource, batch.cursor)
    assert isinstance(idle, SkipReason)

    # A duplicate delivery lands nothing, so it starts nothing.
    _land(sqlite_store, "d-2")
    assert isinstance(_evaluate(resource, batch.cursor), SkipReason)

    # A new landing: a new batch starting after the cursor.
    third = _land(sqlite_store, "d-3")
    later = _evaluate(resource, batch.cursor)
    assert isinstance(later, SensorResult)
    assert later.cursor == str(third)
    assert later.run_requests[0].run_key == f"landings-{third}-{third}"  # type: ignore[index]

    # Rejected landings put back in the queue lie behind the cursor: a run of their own, the
    # cursor unchanged, and a second replay of the same landings gets a new key.
    import_pending_landings(sqlite_store)  # the bodies are "{}": all three are rejected
    assert isinstance(_evaluate(resource, later.cursor), SkipReason)
    assert sqlite_store.replay_rejections([first, third]) == 2
    requeued = _evaluate(resource, later.cursor)
    assert isinstance(requeued, SensorResult)
    assert requeued.cursor == later.cursor
    key = requeued.run_requests[0].run_key  # type: ignore[index]
    assert key is not None and key.startswith(f"requeued-{first}-{third}-")
    assert _evaluate(resource, later.cursor).run_requests[0].run_key == key  # type: ignore[union-attr]
    import_pending_landings(sqlite_store)
    assert isinstance(_evaluate(resource, later.cursor), SkipReason)
    sqlite_store.replay_rejections([first, third])
    again = _evaluate(resource, later.cursor)
    new_key = again.run_requests[0].run_key  # type: ignore[union-attr]
    assert new_key != key and new_key.startswith(f"requeued-{first}-{third}-")


def test_dispatch_sensor_adds_partitions_and_keys_runs_by_newest_traveler(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    resource = _resource(sqlite_settings)
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"oms": resource})
        assert isinstance(partner_dispatch_sensor(context), SkipReason)

        with sqlite_store.session() as session:
            order = add_order(session, "1")
            traveler = FactoryFile(
                kind="traveler", order_id=order.id, partner_code="brightprint", path="x", sha256=""
            )
            session.add(traveler)
            session.flush()
            traveler_id = traveler.id

        context = build_sensor_context(instance=instance, resources={"oms": resource})
        result = partner_dispatch_sensor(context)
        assert isinstance(result, SensorResult)
        (request,) = result.run_requests or []
        assert request.partition_key == "brightprint"
        assert request.run_key == f"dispatch-brightprint-{traveler_id}"
        (add,) = result.dynamic_partitions_requests or []
        assert list(add.partition_keys) == ["brightprint"]


def test_status_sensor_keys_runs_by_file_content(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    resource = _resource(sqlite_settings)
    inbox = Path(sqlite_settings.var_dir) / "partners" / "brightprint" / "inbox"
    with DagsterInstance.ephemeral() as instance:

        def evaluate() -> RunRequest | SkipReason:
            context = build_sensor_context(instance=instance, resources={"oms": resource})
            return partner_status_file_sensor(context)  # type: ignore[no-any-return]

        assert isinstance(evaluate(), SkipReason)
        inbox.mkdir(parents=True)
        (inbox / "s.csv").write_text("line_reference,status\nx,shipped\n")
        first = evaluate()
        assert isinstance(first, RunRequest)
        assert evaluate().run_key == first.run_key  # type: ignore[union-attr]
        (inbox / "s.csv").write_text("line_reference,status\nx,delivered\n")
        changed = evaluate()
        assert isinstance(changed, RunRequest)
        assert changed.run_key != first.run_key
