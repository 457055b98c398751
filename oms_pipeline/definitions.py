"""The Dagster code location: every stage's assets, jobs and sensors, and the resources."""

from typing import Any

from dagster import Definitions, in_process_executor

from oms_pipeline.artwork.assets import artwork_files, travelers
from oms_pipeline.dispatch.assets import line_routes, partner_dispatches
from oms_pipeline.dispatch.sensors import partner_dispatch_sensor
from oms_pipeline.ingest.sensors import landed_payloads_sensor
from oms_pipeline.jobs import order_intake_job, order_status_job, partner_dispatch_job
from oms_pipeline.orders.assets import import_orders, landed_payloads
from oms_pipeline.resources import OrderStoreResource
from oms_pipeline.status.assets import order_status
from oms_pipeline.status.sensors import partner_status_file_sensor

ALL_ASSETS: list[Any] = [
    landed_payloads,
    import_orders,
    line_routes,
    artwork_files,
    travelers,
    partner_dispatches,
    order_status,
]

defs = Definitions(
    assets=ALL_ASSETS,
    jobs=[order_intake_job, partner_dispatch_job, order_status_job],
    sensors=[landed_payloads_sensor, partner_dispatch_sensor, partner_status_file_sensor],
    resources={"oms": OrderStoreResource()},
    executor=in_process_executor,
)
