"""The import workflow's alerts: imported (with the ARN and a call to copy), already imported, failed.

Inputs are the plain dicts the import state machine carries: the check step's result, the
GetModelImportJob output (PascalCase, from the SDK integration), the smoke test's result and a
model-folder report from `Report.to_dict()`. Missing fields make a shorter message, never a failed alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.alerts.explain import Explanation, explain, parse_cause
from tuneline.alerts.text import (
    SUBJECT_PREFIX,
    Alert,
    bullets,
    command_lines,
    duration_between,
    fields,
    make_alert,
    numbered,
    truncate,
    wrap,
)
from tuneline.aws_values import caught_error, lookup
from tuneline.findings import Report
from tuneline.imports.errors import IMPORT_JOB_FAILED, IMPORT_TIMED_OUT
from tuneline.imports.smoke import LOAD_DEADLINE_SECONDS, invoke_command, smoke_request

MAX_LISTED_FINDINGS = 10
# Findings named in a rejection error; the full list is in the report it points to.
FINDINGS_IN_ERROR = 5
EXAMPLE_MAX_TOKENS = 32
_MAX_FINDING_MESSAGE = 240
_WRITE_MARKER_AGAIN = "then write the _READY marker again"
_NOTHING_IMPORTED = "Nothing was imported."
_RETRY_NOTE = "(a folder whose import failed is imported again under new names)"
_LOAD_MINUTES = LOAD_DEADLINE_SECONDS // 60

IMPORT_ERRORS: dict[str, Explanation] = {
    "ModelFolderRejected": Explanation(
        "model folder rejected",
        "The model folder breaks a rule of Bedrock Custom Model Import.",
        f"Fix the files listed, upload them, {_WRITE_MARKER_AGAIN}. {_NOTHING_IMPORTED}",
        charged=False,
        command=("Check a local copy first:", "tuneline validate-model <folder>"),
    ),
    "ManifestInvalid": Explanation(
        "import marker invalid",
        "The options in the _READY marker are not valid.",
        f"Fix the marker as the details say (or leave it empty for the defaults), {_WRITE_MARKER_AGAIN}. "
        f"{_NOTHING_IMPORTED}",
        charged=False,
    ),
    "ImportNameTaken": Explanation(
        "imported model name taken",
        "The imported model name the marker asks for is already used by another model.",
        f"Choose another importedModelName in the marker or delete the other model, {_WRITE_MARKER_AGAIN}. "
        f"{_NOTHING_IMPORTED}",
        charged=False,
    ),
    IMPORT_JOB_FAILED: Explanation(
        "import job failed",
        "Bedrock could not import the model.",
        f"Read Bedrock's message below, fix the folder, {_WRITE_MARKER_AGAIN} {_RETRY_NOTE}.",
    ),
    IMPORT_TIMED_OUT: Explanation(
        "import still running",
        "The import job did not finish within the time the workflow waits for it.",
        "The job may still complete: check it with the command below; the model then appears under Imported "
        "models in the Bedrock console. Nothing else happens automatically for this marker.",
    ),
    "SmokeTestFailed": Explanation(
        "imported model failed its smoke test",
        "The model was imported but did not answer the smoke-test prompt.",
        "Try it by hand with the command below. Check config.json and the tokenizer files (chat template, "
        "special tokens) against the model you trained; delete the imported model if it is broken.",
    ),
    "ImportedModelNotReady": Explanation(
        "imported model did not load",
        "The model was imported, but Bedrock was still loading it (ModelNotReadyException) "
        f"{_LOAD_MINUTES} minutes after the smoke test first called it.",
        "Try the model again in a few minutes with the command below; large models take longer to load.",
    ),
    "ImportedModelBusy": Explanation(
        "imported model busy",
        f"The model was imported, but its smoke test was throttled or timed out on every call for {_LOAD_MINUTES} "
        "minutes.",
        "Try the model again in a few minutes with the command below.",
    ),
    "Bedrock.ConflictException": Explanation(
        "name already in use",
        "An import job or imported model with the same name already exists.",
        "The same folder was probably imported from another marker at the same moment: look for the job in "
        "the Bedrock console (Imported models, Jobs). To import again anyway, set a new importedModelName in "
        f"the marker, {_WRITE_MARKER_AGAIN}.",
    ),
    "Bedrock.ServiceQuotaExceededException": Explanation(
        "Bedrock quota reached",
        "An account quota for Custom Model Import was reached (import jobs or imported models).",
        f"Delete imported models you no longer need or request a higher quota (Service Quotas, Amazon "
        f"Bedrock), {_WRITE_MARKER_AGAIN}.",
    ),
    "Bedrock.ValidationException": Explanation(
        "Bedrock rejected the import",
        "Bedrock rejected the import request as invalid.",
        "The details name the field. Custom Model Import runs only in some Regions (us-east-1, us-east-2, "
        f"us-west-2, eu-central-1); fix the cause, {_WRITE_MARKER_AGAIN}.",
    ),
    "Bedrock.AccessDeniedException": Explanation(
        "access denied",
        "Access was denied to Custom Model Import or to a resource it uses.",
        f"Check the permissions named in the details and that Custom Model Import is available in this Region, "
        f"{_WRITE_MARKER_AGAIN}.",
    ),
}

_NEXT_STEPS_AFTER_IMPORT = (
    "Bedrock bills imported models per 5-minute window of use, from the first call, in Custom Model Units; "
    "the smoke test was such a call.",
    "Writing the same marker over the same files imports nothing again.",
)

# Errors a state of the workflow writes itself (not caught from a failed task): the step they stand for.
_STEP_OF_ERROR = {
    IMPORT_JOB_FAILED: "Wait for the import job",
    IMPORT_TIMED_OUT: "Wait for the import job",
    # Reported after the cold-start wait, when the smoke test's result is already in the state.
    "ImportedModelNotReady": "Smoke test imported model",
    "ImportedModelBusy": "Smoke test imported model",
}


def import_completed(
    check: Mapping[str, Any],
    job: Mapping[str, Any],
    smoke: Mapping[str, Any],
    *,
    model_card_uri: str | None = None,
) -> Alert:
    name = check.get("importedModelName") or lookup(job, "importedModelName") or "?"
    model_arn = smoke.get("modelArn") or lookup(job, "importedModelArn")
    return make_alert(
        f"{SUBJECT_PREFIX}: model imported - {name}",
        [
            "The model is imported into Amazon Bedrock and answered its smoke test. Call it on demand with "
            "the ARN below.",
            fields(
                ("Imported model", model_arn),
                ("Name", name),
                ("Model folder", check.get("modelDataUri")),
                ("Architecture", _architecture(check)),
                ("Weights", _weights(check)),
                ("Import job", check.get("jobName")),
                ("Took", duration_between(lookup(job, "creationTime"), lookup(job, "endTime"))),
                ("Model card", model_card_uri),
            ),
            fields(("Smoke prompt", smoke.get("prompt")), ("Answer", smoke.get("answer"))),
            _warnings(check),
            command_lines("Call it:", smoke.get("invokeCommand")),
            [
                "What next:",
                *bullets(_NEXT_STEPS_AFTER_IMPORT),
                *command_lines(
                    "To delete the model:", f"aws bedrock delete-imported-model --model-identifier {model_arn}"
                ),
            ],
        ],
    )


def import_already_exists(check: Mapping[str, Any]) -> Alert:
    existing: Mapping[str, Any] = check.get("existingJob") or {}
    name = existing.get("importedModelName") or check.get("importedModelName") or "?"
    running = existing.get("status") == "InProgress"
    headline = (
        "This folder, with the same files and options, is already being imported; you get an alert when that "
        "import ends. Nothing new was started."
        if running
        else "This folder, with the same files and options, is already imported. Nothing new was imported."
    )
    return make_alert(
        f"{SUBJECT_PREFIX}: {'import already running' if running else 'already imported'} - {name}",
        [
            headline,
            fields(
                ("Imported model", existing.get("importedModelArn")),
                ("Name", name),
                ("Model folder", check.get("modelDataUri")),
                ("Import job", existing.get("jobName")),
                ("Job status", existing.get("status")),
            ),
            [
                "What to do:",
                *wrap(
                    "Nothing, if the marker was written again by accident. To import again, change a file or "
                    "the marker's options (for example importedModelName), or delete the imported model first."
                ),
            ],
        ],
    )


def import_failed(state: Mapping[str, Any], report: Mapping[str, Any] | None, report_uri: str | None) -> Alert:
    failed_state, error = caught_error(state)
    name, cause = str(error.get("Error") or "Unknown"), str(error.get("Cause") or "")
    check: Mapping[str, Any] = state.get("check") or {}
    job: Mapping[str, Any] = state.get("job") or {}
    if name == IMPORT_JOB_FAILED:
        cause = str(lookup(job, "failureMessage") or cause)
    parsed = parse_cause(cause)
    explanation = _explain(name, parsed)
    folder = check.get("modelDataUri") or _folder_uri(state)
    what = check.get("importedModelName") or state.get("modelName") or "model"
    model_arn = (state.get("smoke") or {}).get("modelArn") or lookup(job, "importedModelArn")
    findings: Sequence[Mapping[str, Any]] = (report or {}).get("errors") or []
    return make_alert(
        f"{SUBJECT_PREFIX}: import FAILED, {explanation.title} - {what}",
        [
            explanation.meaning,
            fields(
                ("Model folder", folder),
                ("Marker", _marker_uri(state)),
                ("Import job", check.get("jobName")),
                ("Imported model", model_arn),
                ("Failed in", failed_state or _STEP_OF_ERROR.get(name)),
                ("Error", name),
            ),
            _findings(findings)
            if findings
            else (["Details:", *wrap(parsed.message, indent="  ")] if parsed.message else None),
            fields(("Full report", report_uri), ("Request ID", parsed.request_id)),
            [
                "What to do:",
                *wrap(explanation.action),
                *(command_lines(*explanation.command) if explanation.command else []),
                *_follow_up(name, check, model_arn),
            ],
        ],
    )


def _explain(name: str, parsed: Any) -> Explanation:
    known = IMPORT_ERRORS.get(name) or IMPORT_ERRORS.get(parsed.error_type or "")
    if known is not None:
        return known
    general = explain(name, parsed)
    # The general advice speaks of training files; an import restarts from its marker.
    return Explanation(
        general.title, general.meaning, "Read the details; once the cause is fixed, write the _READY marker again."
    )


def _follow_up(name: str, check: Mapping[str, Any], model_arn: str | None) -> list[str]:
    if name == IMPORT_TIMED_OUT and check.get("jobName"):
        return command_lines("Check the job:", f"aws bedrock get-model-import-job --job-identifier {check['jobName']}")
    if name in {"SmokeTestFailed", "ImportedModelNotReady", "ImportedModelBusy"} and model_arn:
        example = smoke_request(check.get("family"), "Hello", EXAMPLE_MAX_TOKENS)
        return command_lines("Try it:", invoke_command(model_arn, example)) + command_lines(
            "To delete it:", f"aws bedrock delete-imported-model --model-identifier {model_arn}"
        )
    return []


def _findings(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    listed = findings[:MAX_LISTED_FINDINGS]
    lines = [f"First {len(listed)} errors:" if len(findings) > len(listed) else "Errors:"]
    lines += numbered(_finding(finding) for finding in listed)
    if len(findings) > len(listed):
        lines.append(f"... {len(findings) - len(listed)} more in the full report.")
    return lines


def _finding(finding: Mapping[str, Any]) -> str:
    message = truncate(" ".join(str(finding.get("message", "")).split()), _MAX_FINDING_MESSAGE)
    return f"{finding.get('file') or 'folder'}: [{finding.get('rule', '?')}] {message}"


def _warnings(check: Mapping[str, Any]) -> list[str] | None:
    """The first warnings the check put in the state, and how many more its report holds."""
    warnings = check.get("warnings") or []
    if not warnings:
        return None
    listed = warnings[:MAX_LISTED_FINDINGS]
    total = check.get("warningCount")
    more = (total if isinstance(total, int) else len(warnings)) - len(listed)
    lines = ["Warnings from the folder check:", *bullets(str(w) for w in listed)]
    if more > 0:
        report = check.get("reportUri")
        lines += wrap(f"... and {more} more in the full report" + (f": {report}" if report else "."))
    return lines


def _architecture(check: Mapping[str, Any]) -> str | None:
    family, architecture = check.get("family"), check.get("architecture")
    if family and architecture:
        return f"{family} ({architecture})"
    return family or architecture


def _weights(check: Mapping[str, Any]) -> str | None:
    size, parameters = check.get("weightBytes"), check.get("parameterCount")
    if not size:
        return None
    text = f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size:,} bytes"
    if parameters:
        text += f", {parameters / 1e9:.2f}B parameters" if parameters >= 1e8 else f", {parameters:,} parameters"
    return text


def _folder_uri(state: Mapping[str, Any]) -> str | None:
    if state.get("bucket") and state.get("folder"):
        return f"s3://{state['bucket']}/{state['folder']}"
    return None


def _marker_uri(state: Mapping[str, Any]) -> str | None:
    if state.get("bucket") and state.get("key"):
        return f"s3://{state['bucket']}/{state['key']}"
    return None


def folder_rejection_cause(location: str, report: Report, report_uri: str) -> str:
    """The error a rejected model folder fails the check step with (the `Cause` in the execution history)."""
    shown = "; ".join(finding.describe() for finding in report.errors[:FINDINGS_IN_ERROR])
    more = len(report.errors) - FINDINGS_IN_ERROR
    listed = f"{shown}; and {more} more" if more > 0 else shown
    return (
        f"Model folder {location} cannot be imported: {len(report.errors)} error(s). {listed}. Nothing was "
        "imported. Fix the folder (run `tuneline validate-model <folder>` to see every finding), then write "
        f"the _READY marker again. Full report: {report_uri}"
    )


def import_name_taken_cause(name: str) -> str:
    """The error when the imported model name the marker asks for belongs to another model."""
    return (
        f"An imported model named {name} already exists, made from other files or "
        f"options. Choose another importedModelName in the marker, or delete the model with `aws bedrock "
        f"delete-imported-model --model-identifier {name}`, then write the marker "
        "again. Nothing was imported."
    )
