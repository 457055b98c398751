"""The status sensor: a status file in a partner's inbox starts a status run."""

import hashlib
from datetime import UTC, datetime

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from oms_pipeline.jobs import order_status_job
from oms_pipeline.resources import OrderStoreResource
from oms_pipeline.status.files import pending_status_files


@sensor(
    job=order_status_job,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a status run when partners have dropped status files.",
)
def partner_status_file_sensor(
    context: SensorEvaluationContext, oms: OrderStoreResource
) -> RunRequest | SkipReason:
    """The run key is a digest of the waiting files' names and contents, and the hour: a file
    that could not be handled (it stays in the inbox) is tried again each hour, not forever."""
    files = pending_status_files(oms.working_folder())
    if not files:
        return SkipReason("no status files waiting")
    digest = hashlib.sha256()
    for partner_code, path in files:
        digest.update(partner_code.encode() + b"/" + path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    context.log.info("%d status files waiting", len(files))
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    return RunRequest(run_key=f"status-{digest.hexdigest()[:24]}-{hour}")
