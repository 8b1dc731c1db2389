"""Names and numbers shared by the constructs, with their units, in one place."""

from __future__ import annotations

# S3 layout of the data bucket. Only INCOMING_PREFIX (and IMPORTS_PREFIX) start workflows; the pipeline writes
# only under the other prefixes, so nothing it writes can start another execution.
INCOMING_PREFIX = "incoming/"
IMPORTS_PREFIX = "imports/"
STAGED_PREFIX = "staged/"
OUTPUT_PREFIX = "output/"
REPORTS_PREFIX = "reports/"
DATASET_SUFFIX = ".jsonl"
# Event patterns match suffixes case-sensitively; the pipeline accepts a dataset's extension in any case.
DATASET_SUFFIX_SPELLINGS = (".jsonl", ".JSONL", ".Jsonl")

# Bedrock job names made by Tuneline start with this; the alert rule matches only these jobs.
JOB_NAME_PREFIX = "tuneline-"

LAMBDA_CODE_DIR = "lambda"
LAMBDA_MEMORY_MB = 1024
LAMBDA_TIMEOUT_MINUTES = 15
STAGED_EXPIRY_DAYS = 30
NONCURRENT_VERSION_EXPIRY_DAYS = 90
LOG_RETENTION_DAYS = 90

# Intake: SQS buffers S3 events; a message that fails this many receives goes to the DLQ.
INTAKE_MAX_RECEIVES = 5
INTAKE_BATCH_SIZE = 10

# ServiceQuotaExceeded / concurrency queue: first retry after 5 minutes, growing to at most an hour.
QUOTA_RETRY_FIRST_SECONDS = 300
QUOTA_RETRY_MAX_DELAY_SECONDS = 3600
QUOTA_RETRY_BACKOFF = 1.5

# Serving Tuneline bought carries tuneline:managed=true (lambda/tuneline/serving/tags.py). Deleting and tagging
# serving is allowed on nothing else, so a bug cannot touch throughput or deployments someone bought by hand.
MANAGED_CONDITION = {"StringEquals": {"aws:ResourceTag/tuneline:managed": "true"}}
