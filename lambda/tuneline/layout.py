"""Where Tuneline keeps things: the data bucket's prefixes, the names it gives, the tags it writes.

One home for the names that the stack (IAM resources, event patterns, lifecycle rules) and the runtime
(keys it reads and writes, names it gives) must agree on. `stacks/constants.py` imports from here, so a
prefix or tag key changed here changes both sides at once. Nothing in this module may import anything:
every layer of the runtime package and the CDK app can depend on it.

The layout of the data bucket (docs/architecture.md, "Data bucket"):

    incoming/<profile>/.../<name>.jsonl   what users upload; starts the customize workflow; never written
    imports/<model>/... + _READY          a model folder to import; the marker starts the import workflow
    staged/<job>/                         the validated, immutable copies a job reads (and its media)
    output/<job>/                         what Bedrock writes (metrics CSVs)
    reports/<job>/                        validation report, metrics summary, smoke test, report page, model card
    reports/leaderboard.json, .html       one row per job, updated at the end of every run
    reports/imports/<import job>/         the model-folder check of an import
    media/                                images and videos datasets name (per profile: `mediaPrefix`)

Only `incoming/` and `imports/` start workflows, and the pipeline writes only under the other three, so
nothing it writes can start another execution.
"""

from __future__ import annotations

# --- Data bucket prefixes -------------------------------------------------------------------------------
INCOMING_PREFIX = "incoming/"
IMPORTS_PREFIX = "imports/"
STAGED_PREFIX = "staged/"
OUTPUT_PREFIX = "output/"
REPORTS_PREFIX = "reports/"
IMPORT_REPORTS_PREFIX = f"{REPORTS_PREFIX}imports/"
# Where the images and videos of multimodal datasets live (a profile may name another prefix, `mediaPrefix`):
# records may name media only there, so a dataset cannot get model files, other profiles' uploads or job
# outputs copied into staged/.
MEDIA_PREFIX = "media/"
# The folder of staged/<job>/ that holds the copies of a dataset's media.
STAGED_MEDIA_FOLDER = "media/"
# The prefixes the pipeline owns or reads as workflows' input: a media prefix may not lie in or around them.
PIPELINE_PREFIXES = (INCOMING_PREFIX, IMPORTS_PREFIX, STAGED_PREFIX, OUTPUT_PREFIX, REPORTS_PREFIX)
# Every run's row, across profiles; written with conditional writes (tuneline.pipeline.leaderboard_store).
LEADERBOARD_KEY = f"{REPORTS_PREFIX}leaderboard.json"
LEADERBOARD_PAGE_KEY = f"{REPORTS_PREFIX}leaderboard.html"

# A training file under incoming/. Its companions share its name: `<name>.validation.jsonl` (validation set)
# and `<name>.job.json` (per-job options); only the training file starts a job.
DATASET_SUFFIX = ".jsonl"
VALIDATION_SUFFIX = ".validation.jsonl"
MANIFEST_SUFFIX = ".job.json"
# `<name>.eval.jsonl`: the evaluation set of a profile with `evaluation` (prompt, referenceResponse, category).
EVALUATION_SUFFIX = ".eval.jsonl"

# The empty (or small JSON) object written last into imports/<model>/ to say the folder is complete.
IMPORT_MARKER_NAME = "_READY"

# --- Names Tuneline gives -------------------------------------------------------------------------------
# Bedrock jobs, custom models and imported models made by Tuneline start with this; the alert rule for
# Bedrock job state changes matches only these names.
JOB_NAME_PREFIX = "tuneline-"
IMPORT_JOB_NAME_PREFIX = f"{JOB_NAME_PREFIX}import-"
# Executions of the import state machine; customize executions are `<profile>-<dataset>-<hash>`.
IMPORT_EXECUTION_PREFIX = "import-"

# --- Tags Tuneline writes -------------------------------------------------------------------------------
# Nobody may set tags under these prefixes by hand: AWS reserves aws:, the pipeline writes its own under
# tuneline:.
RESERVED_TAG_PREFIXES = ("aws:", "tuneline:")

# On jobs and custom models.
PROFILE_TAG = "tuneline:profile"
SOURCE_TAG = "tuneline:source"
DESCRIPTION_TAG = "tuneline:description"

# On serving (Provisioned Throughput, custom-model deployments). Only serving carrying MANAGED_TAG =
# MANAGED_VALUE is ever deleted or tagged by the janitor and the release steps (IAM enforces it too).
MANAGED_TAG = "tuneline:managed"
MANAGED_VALUE = "true"
EXECUTION_TAG = "tuneline:execution"
JOB_TAG = "tuneline:job"
EXPIRES_AT_TAG = "tuneline:expires-at"
# The expiry a warning was sent for: a moved expiry gets a new warning, the same one never twice.
WARNED_TAG = "tuneline:expiry-warned"
# The commitment end an alert was sent for.
TERM_END_ALERTED_TAG = "tuneline:term-end-alerted"
# The unreadable expiry value an alert was sent for: each bad value is reported once, a fixed one never.
BAD_EXPIRY_ALERTED_TAG = "tuneline:expiry-unreadable"
# The only tags the janitor may write: its alert markers.
JANITOR_MARKER_TAGS = (WARNED_TAG, TERM_END_ALERTED_TAG, BAD_EXPIRY_ALERTED_TAG)

# --- Reports and metrics --------------------------------------------------------------------------------
# An alert that could not be published is kept as reports/<job>/alerts/<kind>-<time>.json and counted in this
# metric, whose alarm tells an operator to look there (docs/decisions/0014-alerts-never-decide-a-job.md).
UNDELIVERED_ALERTS_FOLDER = "alerts/"
METRIC_NAMESPACE = "Tuneline/Alerts"
ALERTS_NOT_DELIVERED_METRIC = "AlertsNotDelivered"
