"""Check step of the import workflow: marker -> options -> folder identity -> names -> earlier import? -> check.

The result is everything the state machine needs to call CreateModelImportJob (names, token, S3 URI,
tags) and to smoke-test the model afterwards, or `duplicate: true` when the same folder content is
already imported or being imported. A folder that breaks a rule is rejected before anything is created:
the full report goes to `reports/imports/<job name>/check.json` and the error names the first findings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from tuneline.alerts.imports import MAX_LISTED_FINDINGS, folder_rejection_cause, import_name_taken_cause
from tuneline.errors import ManifestInvalid, ModelFolderRejected
from tuneline.findings import Finding, Report
from tuneline.imports.checker import FOLDER, check_model_folder
from tuneline.imports.errors import ImportNameTaken
from tuneline.imports.marker import (
    MAX_MARKER_BYTES,
    ImportManifest,
    ImportNames,
    import_names,
    model_data_uri,
    model_data_uri_problem,
    parse_manifest,
    parse_marker_key,
)
from tuneline.imports.sources import S3Folder
from tuneline.jobs.tags import fit_tag_value
from tuneline.layout import DESCRIPTION_TAG, IMPORT_REPORTS_PREFIX, SOURCE_TAG
from tuneline.pipeline.import_identity import folder_identity, list_folder
from tuneline.pipeline.import_lookup import ExistingImport, find_import_job, imported_model_exists, still_stands

REPORTS_PREFIX = IMPORT_REPORTS_PREFIX
REPORT_NAME = "check.json"
FOLDER_NAME_RULE = "folder-name-invalid"
DEFAULT_SMOKE_PROMPT = "Reply with one short sentence: what can you help me with?"
DEFAULT_SMOKE_MAX_TOKENS = 64


def check_import(execution_input: Mapping[str, Any], *, s3: Any, bedrock: Any) -> dict[str, Any]:
    bucket, key = execution_input["bucket"], execution_input["key"]
    marker_version = execution_input.get("versionId")
    marker = parse_marker_key(key, url_encoded=False)
    if marker is None:
        raise ManifestInvalid(
            f"s3://{bucket}/{key} is not an import marker: write imports/<model-name>/_READY. Nothing was imported."
        )
    manifest = parse_manifest(_read_marker(s3, bucket, key, marker_version), key=f"s3://{bucket}/{key}")
    identity = folder_identity(list_folder(s3, bucket, marker.folder), manifest)
    names, existing = _choose_names(bedrock, bucket, marker.folder, identity, marker_version, manifest)

    state: dict[str, Any] = {
        "modelName": marker.model_name,
        "folder": marker.folder,
        "modelDataUri": model_data_uri(bucket, marker.folder),
        "marker": {"bucket": bucket, "key": key, "versionId": marker_version},
        "identity": identity,
        "jobName": names.job_name,
        "importedModelName": names.imported_model_name,
        "clientRequestToken": names.client_request_token,
        "tags": _tags(bucket, marker.folder, manifest),
        "smokePrompt": manifest.smoke_prompt or DEFAULT_SMOKE_PROMPT,
        "smokeMaxTokens": manifest.smoke_max_tokens or DEFAULT_SMOKE_MAX_TOKENS,
        "duplicate": existing is not None,
        "existingJob": existing.to_state() if existing else None,
    }
    if existing is not None:
        # The earlier import already passed this check; checking again would only cost reads.
        return state

    report = _check_folder(s3, bucket, marker.folder)
    report_key = f"{REPORTS_PREFIX}{names.job_name}/{REPORT_NAME}"
    s3.put_object(
        Bucket=bucket,
        Key=report_key,
        Body=json.dumps(report.to_dict(), indent=1).encode(),
        ContentType="application/json",
    )
    state["reportUri"] = f"s3://{bucket}/{report_key}"
    if not report.valid:
        raise ModelFolderRejected(folder_rejection_cause(state["modelDataUri"], report, state["reportUri"]))
    if imported_model_exists(bedrock, names.imported_model_name):
        raise ImportNameTaken(import_name_taken_cause(names.imported_model_name))
    state.update(_summary(report))
    return state


def _read_marker(s3: Any, bucket: str, key: str, version_id: str | None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    try:
        # One byte over the limit lets parse_manifest tell "too large" from "exactly at the limit".
        response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_MARKER_BYTES}", **extra)
    except ClientError as error:
        # S3 answers a ranged read of an empty object (the usual `_READY`) with 416 InvalidRange.
        if error.response.get("Error", {}).get("Code") == "InvalidRange":
            return b""
        raise
    return bytes(response["Body"].read())


def _choose_names(
    bedrock: Any,
    bucket: str,
    folder: str,
    identity: str,
    marker_version: str | None,
    manifest: ImportManifest,
) -> tuple[ImportNames, ExistingImport | None]:
    """Names for this content, and the earlier import that still stands under them (a duplicate), if any.

    When the earlier import of the same content failed, or its model was deleted, the marker is a new
    attempt: its names also derive from the marker version, so they differ from the failed job's.
    """
    requested = manifest.imported_model_name
    names = import_names(bucket, folder, identity, imported_model_name=requested)
    existing = find_import_job(bedrock, names.job_name)
    if existing is None:
        return names, None
    if still_stands(bedrock, existing):
        return names, existing
    attempt = import_names(bucket, folder, f"{identity}-{marker_version or 'null'}", imported_model_name=requested)
    earlier_attempt = find_import_job(bedrock, attempt.job_name)
    if earlier_attempt is not None and still_stands(bedrock, earlier_attempt):
        return attempt, earlier_attempt
    return attempt, None


def _check_folder(s3: Any, bucket: str, folder: str) -> Report:
    problem = model_data_uri_problem(bucket, folder)
    report = check_model_folder(S3Folder(s3, bucket, folder))
    if problem:
        report.errors.insert(0, Finding(FOLDER_NAME_RULE, problem, file=FOLDER))
    return report


def _tags(bucket: str, folder: str, manifest: ImportManifest) -> list[dict[str, str]]:
    """Bedrock tags for the job and the imported model, in the SDK integration's PascalCase shape."""
    tags = {name: value for name, value in manifest.tags.items()}
    tags[SOURCE_TAG] = fit_tag_value(f"{bucket}/{folder}")
    if manifest.description:
        tags[DESCRIPTION_TAG] = manifest.description
    return [{"Key": name, "Value": value} for name, value in tags.items()]


def _summary(report: Report) -> dict[str, Any]:
    stats = report.stats
    return {
        "architecture": stats.get("architecture"),
        "family": stats.get("family"),
        "modelType": stats.get("model_type"),
        "multimodal": bool(stats.get("multimodal")),
        "weightBytes": stats.get("weight_bytes"),
        "parameterCount": stats.get("parameter_count"),
        "contextLength": stats.get("context_length"),
        # The first warnings the completion alert lists, and how many there are: the state carries no unbounded
        # list (a folder of stray shards would push it past Step Functions' 256 KiB payload quota and fail the
        # execution past its Catch). The report in S3 lists them all.
        "warnings": [finding.describe() for finding in report.warnings[:MAX_LISTED_FINDINGS]],
        "warningCount": len(report.warnings),
    }
