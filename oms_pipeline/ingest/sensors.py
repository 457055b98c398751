"""The landing sensor: new landed payloads start one intake run per batch."""

import hashlib

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from oms_pipeline.jobs import order_intake_job
from oms_pipeline.resources import OrderStoreResource

BATCH_LIMIT = 5000


@sensor(
    job=order_intake_job,
    minimum_interval_seconds=10,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts an intake run when payloads have landed since the last one.",
)
def landed_payloads_sensor(
    context: SensorEvaluationContext, oms: OrderStoreResource
) -> SensorResult | SkipReason:
    """The cursor is the id of the newest landing already handed to a run.

    The run key names the batch's first and last landing id, so evaluating the same batch
    twice never starts two runs. A run reads every pending row, so a failed run's landings are
    picked up by its retry or by the next batch's run, whichever comes first. Landings put back
    in the queue (``oms replay-rejections``) lie behind the cursor: they get a run of their own,
    keyed by how often they were put back, so each replay runs once.
    """
    cursor = int(context.cursor) if context.cursor else 0
    store = oms.get_store()
    new_ids = store.landing_ids_after(cursor, BATCH_LIMIT)
    if new_ids:
        first, last = new_ids[0], new_ids[-1]
        return SensorResult(
            run_requests=[
                RunRequest(
                    run_key=f"landings-{first}-{last}",
                    tags={
                        "oms/landings": f"{first}-{last}",
                        "oms/landing_count": str(len(new_ids)),
                    },
                )
            ],
            cursor=str(last),
        )
    requeued = store.requeued_landings()
    if not requeued:
        return SkipReason(f"no landings after #{cursor}")
    first, last = requeued[0][0], requeued[-1][0]
    digest = hashlib.sha256(repr(requeued).encode()).hexdigest()[:16]
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=f"requeued-{first}-{last}-{digest}",
                tags={"oms/landings": f"{first}-{last}", "oms/landing_count": str(len(requeued))},
            )
        ],
        cursor=str(cursor),
    )
