"""Names and numbers shared by the constructs, with their units, in one place."""

from __future__ import annotations

# The S3 layout, name prefixes and tag keys live in the runtime package (lambda/tuneline/layout.py), so the
# resources and policies made here and the keys the functions read and write can never disagree.
from tuneline.layout import (  # noqa: F401  (re-exported for the constructs)
    ALERTS_NOT_DELIVERED_METRIC,
    DATASET_SUFFIX,
    IMPORT_MARKER_NAME,
    IMPORT_REPORTS_PREFIX,
    IMPORTS_PREFIX,
    INCOMING_PREFIX,
    JANITOR_MARKER_TAGS,
    JOB_NAME_PREFIX,
    MANAGED_TAG,
    MANAGED_VALUE,
    MEDIA_PREFIX,
    METRIC_NAMESPACE,
    OUTPUT_PREFIX,
    REPORTS_PREFIX,
    STAGED_PREFIX,
    UNDELIVERED_ALERTS_FOLDER,
)

LAMBDA_MEMORY_MB = 1024
LAMBDA_TIMEOUT_MINUTES = 15
STAGED_EXPIRY_DAYS = 30
NONCURRENT_VERSION_EXPIRY_DAYS = 90
LOG_RETENTION_DAYS = 90

# Intake: SQS buffers S3 events; a message that fails this many receives goes to the DLQ.
INTAKE_MAX_RECEIVES = 5
INTAKE_BATCH_SIZE = 10

# A Notify step retries a failed publish after 10 s, doubling (10 + 20 + 40 + 80 s at most, with full jitter)
# before it keeps the alert instead (docs/decisions/0014-alerts-never-decide-a-job.md).
ALERT_RETRY_FIRST_SECONDS = 10

# ServiceQuotaExceeded / concurrency queue: first retry after 5 minutes, growing to at most an hour.
QUOTA_RETRY_FIRST_SECONDS = 300
QUOTA_RETRY_MAX_DELAY_SECONDS = 3600
QUOTA_RETRY_BACKOFF = 1.5

# Serving Tuneline bought carries MANAGED_TAG=MANAGED_VALUE. Deleting and tagging serving is allowed on nothing
# else, so a bug cannot touch throughput or deployments someone bought by hand.
MANAGED_CONDITION = {"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG}": MANAGED_VALUE}}
