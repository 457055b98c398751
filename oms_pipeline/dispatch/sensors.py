"""The dispatch sensor: one run per partner that has travelers waiting."""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from oms_pipeline.dispatch.dispatcher import partners_with_pending_travelers
from oms_pipeline.dispatch.partitions import partner_partitions
from oms_pipeline.jobs import partner_dispatch_job
from oms_pipeline.resources import OrderStoreResource


@sensor(
    job=partner_dispatch_job,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a dispatch run for each partner with travelers not yet sent.",
)
def partner_dispatch_sensor(
    context: SensorEvaluationContext, oms: OrderStoreResource
) -> SensorResult | SkipReason:
    """The run key is the partner and its newest waiting traveler: a new traveler, a new run."""
    pending = partners_with_pending_travelers(oms.get_store())
    if not pending:
        return SkipReason("no travelers waiting")
    known = set(context.instance.get_dynamic_partitions(partner_partitions.name or "partners"))
    new_partners = sorted(set(pending) - known)
    return SensorResult(
        run_requests=[
            RunRequest(run_key=f"dispatch-{code}-{newest}", partition_key=code)
            for code, newest in sorted(pending.items())
        ],
        dynamic_partitions_requests=(
            [partner_partitions.build_add_request(new_partners)] if new_partners else []
        ),
    )
