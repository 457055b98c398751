"""Assets of the order stage: landed payloads become orders or rejections."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset
from sqlalchemy import func, select

from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.tables import OrderRejection, OrderRow
from oms_pipeline.resources import OrderStoreResource

landed_payloads = AssetSpec(
    "landed_payloads",
    description=(
        "Every payload exactly as it arrived (raw bytes and headers), kept forever. Written by "
        "the HTTP service's webhook receivers; the landing sensor starts a run for new ones."
    ),
    group_name="ingest",
    kinds={"sql"},
)


@multi_asset(
    specs=[
        AssetSpec(
            "orders",
            deps=[landed_payloads],
            description=(
                "Orders and their lines in the canonical model, upserted by source order id; "
                "a version older than the stored one is ignored."
            ),
            group_name="orders",
            kinds={"sql"},
        ),
        AssetSpec(
            "order_rejections",
            deps=[landed_payloads],
            description=(
                "Landed payloads that could not become an order, each with the field and a "
                "reason a person can act on. `oms replay-rejections` puts them back in the queue."
            ),
            group_name="orders",
            kinds={"sql"},
        ),
    ],
)
def import_orders(
    context: AssetExecutionContext, oms: OrderStoreResource
) -> Iterator[MaterializeResult]:
    """Parse every pending landing in one batch."""
    store = oms.get_store()
    summary = import_pending_landings(store)
    if summary.landings == 0:
        context.log.warning("no pending landings: nothing to import")
    with store.session() as session:
        total_orders = session.execute(select(func.count()).select_from(OrderRow)).scalar_one()
        reasons = session.execute(
            select(OrderRejection.code, OrderRejection.field, func.count())
            .group_by(OrderRejection.code, OrderRejection.field)
            .order_by(OrderRejection.code)
        ).all()
    context.log.info(
        "landings %d: %d accepted, %d stale, %d rejected",
        summary.landings,
        summary.accepted,
        summary.stale,
        summary.rejected,
    )
    yield MaterializeResult(
        asset_key="orders",
        metadata={
            "landings_read": summary.landings,
            "orders_upserted": summary.accepted,
            "stale_versions_ignored": summary.stale,
            "orders_total": int(total_orders),
        },
    )
    table = "| code | field | payloads |\n|---|---|---|\n" + "\n".join(
        f"| {code} | `{field}` | {count} |" for code, field, count in reasons
    )
    yield MaterializeResult(
        asset_key="order_rejections",
        metadata={
            "rejected_now": summary.rejected,
            "rejections_total": sum(count for _, _, count in reasons),
            "reasons": MetadataValue.md(table),
        },
    )
