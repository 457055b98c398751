"""Assets of the status stage: partners' reports reconciled into line and order status."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from oms_pipeline.resources import OrderStoreResource
from oms_pipeline.status.files import ingest_status_files


@asset(deps=["partner_dispatches"], group_name="status", kinds={"sql"})
def order_status(context: AssetExecutionContext, oms: OrderStoreResource) -> MaterializeResult:
    """Line and order status, reconciled from the status files partners drop in their folder:
    lines only move along allowed transitions, and every change lands in the history."""
    summary = ingest_status_files(oms.get_store(), oms.working_folder())
    if not summary.files_read and not summary.files_refused:
        context.log.warning("no status files waiting")
    for name, reason in summary.files_refused.items():
        context.log.warning("status file %s refused: %s", name, reason)
    context.log.info(
        "status files read %d; events %s", len(summary.files_read), dict(summary.events)
    )
    return MaterializeResult(
        metadata={
            "files_read": len(summary.files_read),
            "files_refused": len(summary.files_refused),
            "events": MetadataValue.json(dict(summary.events)),
            "applied_by_status": MetadataValue.json(dict(summary.applied_by_status)),
        }
    )
