"""The three jobs the sensors start: intake, dispatch per partner, and status."""

from dagster import AssetSelection, define_asset_job

from oms_pipeline.dispatch.partitions import partner_partitions

order_intake_job = define_asset_job(
    "order_intake_job",
    selection=AssetSelection.assets(
        "orders", "order_rejections", "line_routes", "artwork_files", "travelers"
    ),
    description="Import pending landings, route lines, render artwork and travelers.",
    tags={"oms/stage": "intake"},
)

partner_dispatch_job = define_asset_job(
    "partner_dispatch_job",
    selection=AssetSelection.assets("partner_dispatches"),
    partitions_def=partner_partitions,
    description="Send one partner its pending travelers and artwork over its channel.",
    tags={"oms/stage": "dispatch"},
)

order_status_job = define_asset_job(
    "order_status_job",
    selection=AssetSelection.assets("order_status"),
    description="Read partners' status files and reconcile line and order status.",
    tags={"oms/stage": "status"},
)
