"""Assets of the dispatch stage: routing lines to partners, then handing partners their files."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from oms_pipeline.dispatch.dispatcher import dispatch_partner
from oms_pipeline.dispatch.partitions import partner_partitions
from oms_pipeline.dispatch.routing import route_pending_lines
from oms_pipeline.resources import OrderStoreResource


@asset(deps=["orders"], group_name="dispatch", kinds={"sql"})
def line_routes(context: AssetExecutionContext, oms: OrderStoreResource) -> MaterializeResult:
    """Each production line assigned to exactly one partner by the routing rules (data in the
    `routing_rules` table: lowest priority whose SKU pattern matches wins)."""
    summary = route_pending_lines(oms.get_store())
    routed = dict(summary.routed)
    context.log.info("lines routed: %s", routed or "none")
    if summary.unroutable:
        context.log.warning("%d lines match no routing rule", summary.unroutable)
    return MaterializeResult(
        metadata={
            "lines_routed": sum(routed.values()),
            "lines_unroutable": summary.unroutable,
            "per_partner": MetadataValue.json(routed),
        }
    )


@asset(
    deps=["travelers"],
    partitions_def=partner_partitions,
    group_name="dispatch",
    kinds={"file"},
)
def partner_dispatches(
    context: AssetExecutionContext, oms: OrderStoreResource
) -> MaterializeResult:
    """One partner's batch: every traveler not yet sent, its artwork and a manifest, delivered
    over the partner's channel (today its local outbox folder). One partition per partner."""
    partner_code = context.partition_key
    summary = dispatch_partner(oms.get_store(), oms.working_folder(), partner_code)
    if summary.batch_name is None:
        context.log.warning("nothing to dispatch to %s", partner_code)
    else:
        context.log.info(
            "batch %s: %d travelers, %d lines, %d files",
            summary.batch_name,
            summary.travelers,
            summary.lines,
            len(summary.files),
        )
    return MaterializeResult(
        metadata={
            "batch": summary.batch_name or "(none)",
            "travelers_sent": summary.travelers,
            "lines_sent": summary.lines,
            "files_written": len(summary.files),
        }
    )
