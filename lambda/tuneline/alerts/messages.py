"""The alert for every pipeline event: most important fact first, then the numbers, then what to do.

Inputs are the plain dicts the workflow carries (the job plan from `JobPlan.to_state()`, the metrics summary
from `MetricsSummary.to_dict()`, a dataset report from `Report.to_dict()`, Bedrock job descriptions), so the
handlers pass state through unchanged. Missing fields make a shorter message, never a failed alert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.alerts.evaluation import verdict_from_report
from tuneline.alerts.explain import explain, explain_job_failure, parse_cause
from tuneline.alerts.serving import delete_serving_command
from tuneline.alerts.text import (
    SUBJECT_PREFIX,
    Alert,
    bullets,
    command_lines,
    duration_between,
    field,
    fields,
    make_alert,
    money,
    numbered,
    s3_uri,
    truncate,
    wrap,
)
from tuneline.aws_values import lookup
from tuneline.datasets.shapes import RULE as OTHER_SHAPE_RULE
from tuneline.errors import FAILURE_ALERT_NOT_SENT
from tuneline.findings import Report
from tuneline.jobs.ignored_uploads import IgnoredUpload
from tuneline.layout import DESCRIPTION_TAG, IMPORT_MARKER_NAME, JOB_NAME_PREFIX

MAX_LISTED_ERRORS = 10
MAX_LISTED_RULES = 8
_MAX_FINDING_MESSAGE = 240
_BEDROCK_JOB_STATES = {
    "Completed": "completed",
    "Failed": "FAILED",
    "Stopped": "stopped",
    "Stopping": "stopping",
    "InProgress": "in progress",
}

# Findings named in a rejection error; the full list is in the report it points to.
FINDINGS_IN_ERROR = 5
# Step Functions' error cause in an alert: enough to recognise it; the execution history has it whole.
_MAX_CAUSE = 600
# The errors that fail an execution past its States.ALL catch-all, in words.
_UNCAUGHT_ERRORS = {
    "States.DataLimitExceeded": "A step's input or output was larger than Step Functions' 256 KiB limit.",
    "States.Runtime": "A step could not use its input: a field it reads was missing, or a parameter was refused.",
}


def job_started(plan: Mapping[str, Any], job_arn: str | None) -> Alert:
    job_name = plan.get("jobName", "?")
    return make_alert(
        f"{SUBJECT_PREFIX}: training started - {job_name}",
        [
            f"Training started for profile {plan.get('profile', '?')}. You get another alert when it ends.",
            fields(
                ("Job", job_name),
                ("Base model", plan.get("baseModelIdentifier")),
                ("Type", plan.get("customizationType")),
                ("Teacher", plan.get("teacherModelIdentifier")),
                ("Dataset", _source_uri(plan.get("source"))),
                ("Validation", _validation_text(plan)),
                ("Settings", _hyperparameters_text(plan.get("hyperParameters"))),
                ("Records", _records_text(plan.get("validationStats"))),
                ("Cost", _cost_text(plan)),
                ("Evaluation", _evaluation_cost_text(plan)),
                ("Model name", plan.get("customModelName")),
                ("Description", _description(plan)),
                ("Job ARN", job_arn),
            ),
            _bulleted("What next:", ["Training usually takes one to several hours; Bedrock bills the tokens trained."])
            + command_lines("To stop it:", f"aws bedrock stop-model-customization-job --job-identifier {job_name}"),
        ],
    )


def training_skipped(plan: Mapping[str, Any], baseline: Mapping[str, Any]) -> Alert:
    """The base model already reaches `skipTrainingAbove` on the gate metric: no job was created
    (docs/decisions/0011-evaluation-stage.md)."""
    job_name = plan.get("jobName", "?")
    metric, score, threshold = baseline.get("metric", "?"), baseline.get("score"), baseline.get("threshold")
    shown = "?" if score is None else f"{float(score):.2f}"
    return make_alert(
        f"{SUBJECT_PREFIX}: training skipped, the base model is good enough - {job_name}",
        [
            f"The base model already scores {shown} on {metric} on the evaluation set, at or above the profile's "
            f"skipTrainingAbove of {threshold}. No customization job was created and nothing was billed but the "
            "base model's answers.",
            fields(
                ("Profile", plan.get("profile")),
                ("Base model", baseline.get("baseModel") or plan.get("baseModelIdentifier")),
                ("Dataset", _source_uri(plan.get("source"))),
                ("Prompts", _prompts_text(baseline)),
                ("Evaluation set", baseline.get("origin")),
                ("Report", baseline.get("reportKey")),
            ),
            _bulleted(
                "What next:",
                [
                    "Use the base model as it is, or raise evaluation.skipTrainingAbove in the profile (or set "
                    "baselineFirst to false) and upload the dataset again to train anyway.",
                ],
            ),
        ],
    )


def _prompts_text(baseline: Mapping[str, Any]) -> str | None:
    scored, unanswered = baseline.get("scored"), baseline.get("unanswered")
    if scored is None:
        return None
    return f"{scored} answered" + (f", {unanswered} without an answer" if unanswered else "")


def job_completed(
    plan: Mapping[str, Any],
    summary: Mapping[str, Any],
    job: Mapping[str, Any],
    evaluation: Mapping[str, Any] | None = None,
    serving: Mapping[str, Any] | None = None,
    judge: Mapping[str, Any] | None = None,
) -> Alert:
    """`summary` is MetricsSummary.to_dict(), or the summarize step's result holding it under "metrics".

    With an evaluation (docs/decisions/0011-evaluation-stage.md) the alert leads with its verdict."""
    job_name = plan.get("jobName") or lookup(job, "jobName") or "?"
    report_uri = summary.get("reportUri")
    if "metrics" in summary:
        summary = summary.get("metrics") or {}
    overfitting = bool(summary.get("overfitting"))
    headline = "training completed, check overfitting" if overfitting else "training completed"
    if not report_uri and plan.get("reportPrefix"):
        report_uri = s3_uri(_bucket_of(plan.get("outputDataUri")), plan.get("reportPrefix"))
    return make_alert(
        f"{SUBJECT_PREFIX}: {headline} - {job_name}",
        [
            *_evaluation_lines(evaluation, serving, judge),
            f"Training finished for profile {plan.get('profile', '?')}: the custom model is ready.",
            fields(
                ("Custom model", lookup(job, "outputModelArn") or lookup(job, "outputModelName")),
                ("Job", job_name),
                ("Took", duration_between(lookup(job, "creationTime"), lookup(job, "endTime"))),
            ),
            _metrics_lines(summary),
            _overfitting_lines(summary) if overfitting else None,
            fields(("Report", report_uri), ("Bedrock output", plan.get("outputDataUri"))),
            _bulleted("What next:", _next_steps_after_training(plan, overfitting)),
        ],
    )


def _evaluation_lines(
    evaluation: Mapping[str, Any] | None, serving: Mapping[str, Any] | None, judge: Mapping[str, Any] | None
) -> list[str | None]:
    if not evaluation:
        return []
    if evaluation.get("status") == "Skipped":
        return [f"Evaluation skipped: {evaluation.get('reason')}."]
    verdict = verdict_from_report(evaluation)
    lines: list[str | None] = [verdict[:1].upper() + verdict[1:] + "." if verdict else None]
    if (serving or {}).get("status") == "WithheldByEvaluation":
        lines.append(
            "Nothing was served or bought: the custom model did not pass the evaluation gate, and the deployment "
            "created to evaluate it was deleted."
        )
    if (judge or {}).get("status") == "Failed":
        error = (judge or {}).get("error") or {}
        lines.append(
            f"The LLM judge failed ({error.get('Error', 'unknown error')}); the gate used the deterministic metric "
            "alone."
        )
    elif (judge or {}).get("status") == "Completed":
        means = (judge or {}).get("means") or {}
        lines.append(
            "Judge scores (base -> custom): "
            + ", ".join(
                f"{metric} {means.get('base', {}).get(metric)} -> {value}"
                for metric, value in (means.get("custom") or {}).items()
            )
        )
    lines.append(f"Evaluation report: {evaluation.get('reportKey')}")
    return lines


def dataset_rejected(plan: Mapping[str, Any] | None, report: Mapping[str, Any], report_uri: str | None) -> Alert:
    plan = plan or {}
    errors: Sequence[Mapping[str, Any]] = report.get("errors") or []
    warnings: Sequence[Mapping[str, Any]] = report.get("warnings") or []
    dataset_uri = _source_uri(plan.get("source"))
    name = _file_name(dataset_uri) or _file_name(next((e.get("file") for e in errors if e.get("file")), None))
    # The report keeps the first findings of each rule; its counts are the true totals.
    stats = report.get("stats") or {}
    error_counts = _rule_totals(stats.get("error_counts"), errors)
    warning_total = sum(_rule_totals(stats.get("warning_counts"), warnings).values())
    error_total = sum(error_counts.values())
    found = _count(error_total, "error") + (f" and {_count(warning_total, 'warning')}" if warning_total else "")
    return make_alert(
        f"{SUBJECT_PREFIX}: dataset rejected - {name or 'dataset'} ({_count(error_total, 'error')})",
        [
            f"The dataset was rejected with {found}. No job was started and nothing was charged.",
            fields(
                ("Dataset", dataset_uri),
                ("Profile", plan.get("profile")),
                ("Base model", plan.get("baseModelIdentifier")),
            ),
            _other_shape(errors),
            _rule_counts(error_counts),
            _first_errors(errors, error_total),
            field("Full report", report_uri),
            _bulleted(
                "What to do:",
                ["Fix the lines listed, then upload the training file again (each upload is a new version)."],
            )
            + command_lines("Check it before uploading:", _validate_command(plan)),
        ],
    )


def _other_shape(errors: Sequence[Mapping[str, Any]]) -> list[str]:
    """The finding that explains all the others (the file has another shape), first, with its command alone on a
    line: the rest of the report is what that shape looks like to the model's format."""
    lead = next((e for e in errors if e.get("rule") == OTHER_SHAPE_RULE), None)
    if lead is None:
        return []
    message = str(lead.get("message") or "")
    text = f"Most likely cause: {message[:1].upper()}{message[1:]}."
    command = lead.get("command")
    return [
        *wrap(text),
        *command_lines("Convert it, then upload the result:", command if isinstance(command, str) else None),
    ]


def upload_ignored(ignored: IgnoredUpload, bucket: str) -> Alert:
    """An upload under incoming/ that is not a JSON Lines dataset: why nothing started and how to fix it."""
    steps = [ignored.fix]
    return make_alert(
        f"{SUBJECT_PREFIX}: upload ignored - {ignored.file_name} is not a .jsonl dataset",
        [
            f"{ignored.reason} No job was started and the file was left as it is.",
            fields(("File", s3_uri(bucket, ignored.key)), ("Profile", ignored.profile)),
            _bulleted("What to do:", steps) + command_lines("For example:", ignored.command),
        ],
    )


def pipeline_failed(
    *,
    plan: Mapping[str, Any] | None,
    source: Mapping[str, Any] | None,
    error: str,
    cause: str,
    state: str | None,
) -> Alert:
    parsed = parse_cause(cause)
    explanation = explain(error, parsed)
    what = (plan or {}).get("jobName") or _file_name(_source_uri(source or (plan or {}).get("source"))) or "pipeline"
    return make_alert(
        f"{SUBJECT_PREFIX}: FAILED, {explanation.title} - {what}",
        [
            explanation.meaning,
            fields(
                ("Job", (plan or {}).get("jobName")),
                ("Dataset", _source_uri(source or (plan or {}).get("source"))),
                ("Profile", (plan or {}).get("profile")),
                ("Failed in", state),
                ("Error", error or parsed.error_type),
            ),
            ["Details:", *wrap(parsed.message, indent="  ")] if parsed.message else None,
            field("Request ID", parsed.request_id),
            ["What to do:", *wrap(explanation.action), *_explained_command(explanation.command, plan or {})],
        ],
    )


def _explained_command(command: tuple[str, str] | None, plan: Mapping[str, Any]) -> list[str]:
    if command is None:
        return []
    title, text = command
    return command_lines(title, _validate_command(plan) if text.startswith("tuneline validate") else text)


def format_bedrock_event(event: Mapping[str, Any]) -> Alert:
    """Alert for an EventBridge `Model Customization Job State Change` event (detail.jobStatus)."""
    detail: Mapping[str, Any] = event.get("detail") or {}
    status = str(detail.get("jobStatus") or "unknown")
    job_name = detail.get("jobName") or _last_segment(detail.get("jobArn")) or "unknown job"
    failure = detail.get("failureMessage")
    advice = explain_job_failure(failure) if status == "Failed" else None
    headline = {
        "Completed": "Bedrock finished training. A summary with losses follows once the metrics are read.",
        "Failed": "Bedrock could not finish the training job. No custom model was created.",
        "Stopped": "The training job was stopped before it finished. No custom model was created.",
        "Stopping": "The training job is being stopped.",
        "InProgress": "The training job is running.",
    }.get(status, f"The training job is now {status}.")
    what_to_do: list[str] | None = None
    if advice is not None:
        base_model = {"baseModelIdentifier": _last_segment(detail.get("baseModelArn"))}
        what_to_do = ["What to do:", *wrap(advice.action), *_explained_command(advice.command, base_model)]
    elif status == "Failed":
        what_to_do = ["What to do:", *wrap("Read the failure message, fix the data or the profile, then upload again.")]
    elif status == "Stopped":
        what_to_do = [
            "What to do:",
            *wrap("Upload the training file again to start a new job if the stop was a mistake."),
        ]
    return make_alert(
        f"{SUBJECT_PREFIX}: Bedrock job {_BEDROCK_JOB_STATES.get(status, status)} - {job_name}",
        [
            advice.meaning if advice else headline,
            fields(
                ("Job", job_name),
                ("Status", status),
                ("Custom model", detail.get("outputModelArn") if status == "Completed" else None),
                ("Base model", _last_segment(detail.get("baseModelArn"))),
                ("Took", duration_between(detail.get("creationTime"), detail.get("endTime"))),
                ("Region", event.get("region")),
                ("Account", event.get("account")),
            ),
            ["Failure message:", *wrap(str(failure), indent="  ")] if failure else None,
            field("Job ARN", detail.get("jobArn")),
            what_to_do,
        ],
    )


def format_execution_end(event: Mapping[str, Any], released: Sequence[Mapping[str, Any]] = ()) -> Alert:
    """Alert for a `Step Functions Execution Status Change` event of an execution that ended without its own alert:
    it timed out, was aborted, or failed with an error no Catch handles (or its failure alert could not be sent).

    The workflow's own failure alert never went out; the execution input (the upload that started it) says what
    was being done, and a FAILED event's `error` and `cause` say what failed it. `released` are the outcomes of
    deleting the serving the execution bought (`Outcome.to_dict()` of the janitor).
    """
    detail: Mapping[str, Any] = event.get("detail") or {}
    status = str(detail.get("status") or "UNKNOWN")
    error, cause = detail.get("error"), detail.get("cause")
    failed = status == "FAILED"
    alert_not_sent = failed and error == FAILURE_ALERT_NOT_SENT
    execution_arn = detail.get("executionArn")
    started = _from_epoch_ms(detail.get("startDate"))
    took = duration_between(started, _from_epoch_ms(detail.get("stopDate")))
    execution_input = _json_mapping(detail.get("input"))
    is_import = "folder" in execution_input or str(execution_input.get("key", "")).endswith(f"/{IMPORT_MARKER_NAME}")
    upload = s3_uri(execution_input.get("bucket"), execution_input.get("key"))
    what = execution_input.get("modelName") if is_import else _file_name(upload)
    verb = {
        "TIMED_OUT": "timed out",
        "ABORTED": "was aborted (stopped by hand)",
        "FAILED": "failed",
    }.get(status, f"ended as {status}")
    subject_status = {"TIMED_OUT": "TIMED OUT", "ABORTED": "ABORTED"}.get(status, status)
    workflow = "import" if is_import else "training"
    opening = f"The {workflow} workflow {verb}" + (f" after {took}" if took else "")
    if failed and not alert_not_sent:
        opening += " with an error no step could catch"
    if alert_not_sent:
        opening += ", and its own failure alert could not be sent: this alert is sent in its place."
    else:
        opening += ". It stopped where it was and sent no other alert about it."
    if is_import:
        steps = [
            "The Bedrock import job may still be running and can still finish: check it with the command below.",
            "To start over, write the _READY marker again.",
        ]
        check = command_lines("Running imports:", "aws bedrock list-model-import-jobs --status-equals InProgress")
    else:
        steps = [
            "A training job or serving it started may still be running and billing: check with the commands "
            "below and stop what you do not want.",
            "To start over, upload the training file again (every upload is a new version and a new job).",
        ]
        if status == "TIMED_OUT":
            steps.insert(0, "Long jobs need a longer workflowTimeoutHours in cdk.json (the platform team sets it).")
        check = command_lines(
            "Running training jobs:",
            f"aws bedrock list-model-customization-jobs --status-equals InProgress --name-contains {JOB_NAME_PREFIX}",
        ) + command_lines(
            "Throughput bought:", "aws bedrock list-provisioned-model-throughputs --status-equals InService"
        )
    if failed:
        steps[:0] = _uncaught_failure_steps(error, alert_not_sent)
    return make_alert(
        f"{SUBJECT_PREFIX}: {workflow} workflow {subject_status} - {what or detail.get('name') or 'execution'}",
        [
            opening,
            fields(
                ("Marker" if is_import else "Dataset", upload),
                ("Profile", execution_input.get("profile")),
                ("Execution", detail.get("name")),
                ("Status", status),
                ("Error", error if failed else None),
                ("Cause", truncate(" ".join(str(cause).split()), _MAX_CAUSE) if failed and cause else None),
            ),
            _released_lines(released),
            _bulleted("What to do:", steps)
            + check
            + (
                command_lines("What it did:", f"aws stepfunctions describe-execution --execution-arn {execution_arn}")
                + (
                    command_lines(
                        "Where it failed (its last steps):",
                        f"aws stepfunctions get-execution-history --execution-arn {execution_arn} "
                        "--reverse-order --max-items 10",
                    )
                    if failed
                    else []
                )
                if execution_arn
                else []
            ),
        ],
    )


def _uncaught_failure_steps(error: Any, alert_not_sent: bool) -> list[str]:
    """What a FAILED execution that sent no alert of its own means, first in its 'What to do'."""
    if alert_not_sent:
        return [
            "Why it failed is in the execution history: the last command below lists its last steps.",
            "The notifier function could not send the alert: its logs say why (the Lambda errors alarm fires too).",
        ]
    why = _UNCAUGHT_ERRORS.get(str(error), "")
    return [
        (why + " " if why else "")
        + "Step Functions lets no catch-all handle this error, so it is a fault in the workflow, not in your data: "
        "send the execution below to the platform team."
    ]


def _released_lines(released: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """What happened to the serving an ended execution bought: deleted, or the command to delete it."""
    if not released:
        return None
    lines = wrap("Serving this execution bought (no commitment), deleted so it stops billing:")
    for outcome in released:
        what = "throughput" if outcome.get("kind") == "provisioned" else "deployment"
        if outcome.get("done"):
            lines += bullets([f"{what} {outcome.get('name')}: {outcome.get('detail') or 'deleted'}"])
        else:
            lines += bullets([f"{what} {outcome.get('name')} could NOT be deleted ({outcome.get('detail')}):"])
            lines.append(f"  {delete_serving_command(str(outcome.get('kind')), outcome.get('arn'))}")
            if outcome.get("status") == "Creating":
                lines += wrap(_still_creating(outcome.get("expiresAtTag")), indent="  ")
    return lines


def _still_creating(expiry: Any) -> str:
    """Why serving still being created was not deleted, and who deletes it."""
    text = "It is still being created, and Bedrock refuses to delete it until then (run the command once it is not). "
    if expiry:
        return text + f"Otherwise the janitor deletes it at its expiry, {expiry}."
    return text + "It has no expiry tag, so the janitor will not delete it."


def _from_epoch_ms(value: Any) -> dt.datetime | None:
    if not isinstance(value, int | float):
        return None
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def _json_mapping(text: Any) -> Mapping[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def _bulleted(title: str, items: Sequence[str]) -> list[str]:
    return [title, *bullets(items)]


def _overfitting_lines(summary: Mapping[str, Any]) -> list[str]:
    detail = str(summary.get("overfittingDetail") or "")
    return ["WARNING: possible overfitting.", *wrap(detail[:1].upper() + detail[1:])]


def _rule_totals(counts: Any, findings: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Findings per rule: the report's counts (every finding, also those left out of its list) when it has
    them, else the findings listed (an older report)."""
    listed = Counter(str(finding.get("rule", "?")) for finding in findings)
    if not isinstance(counts, Mapping):
        return listed
    totals: Counter[str] = Counter()
    for rule, count in counts.items():
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            totals[str(rule)] = count
    # A count is never below what is listed (a hand-edited or cut report).
    for rule, count in listed.items():
        totals[rule] = max(totals[rule], count)
    return totals


def _rule_counts(counts: Counter[str]) -> list[str] | None:
    if not counts:
        return None
    lines = ["Errors by rule:"]
    lines += [f"  {rule}: {count}" for rule, count in counts.most_common(MAX_LISTED_RULES)]
    if len(counts) > MAX_LISTED_RULES:
        lines.append(f"  ... and {len(counts) - MAX_LISTED_RULES} more rules")
    return lines


def _first_errors(errors: Sequence[Mapping[str, Any]], total: int) -> list[str] | None:
    listed = errors[:MAX_LISTED_ERRORS]
    if not listed:
        return None
    more = max(total, len(errors)) - len(listed)
    lines = [f"First {len(listed)} errors:" if more else "Errors:", *numbered(_finding(e) for e in listed)]
    if more:
        lines.append(f"... {more} more in the full report.")
    return lines


def _validate_command(plan: Mapping[str, Any]) -> str:
    command = "tuneline validate <file>"
    if plan.get("baseModelIdentifier"):
        command += f" --model {plan['baseModelIdentifier']}"
    if plan.get("customizationType"):
        command += f" --type {plan['customizationType']}"
    return command


def _metrics_lines(summary: Mapping[str, Any]) -> list[str]:
    if not summary or summary.get("finalTrainingLoss") is None:
        return ["No training metrics were found in the job output."]
    first, final, best = (summary.get(k) for k in ("firstTrainingLoss", "finalTrainingLoss", "bestTrainingLoss"))
    training = f"{_loss(first)} -> {_loss(final)}"
    improvement = summary.get("improvementPct")
    if improvement is not None:
        training += f" ({abs(improvement):.0f}% {'lower' if improvement >= 0 else 'higher'})"
    lines = field("Training loss", training)
    lines += field("Best training loss", _loss(best))
    if summary.get("finalValidationLoss") is not None:
        validation = _loss(summary.get("finalValidationLoss"))
        best_validation = summary.get("bestValidationLoss")
        if best_validation is not None:
            epoch = summary.get("bestValidationEpoch")
            validation += f" (best {_loss(best_validation)}" + (f" at epoch {epoch})" if epoch is not None else ")")
        lines += field("Validation loss", validation)
    else:
        lines += field("Validation loss", "none (no validation set)")
    perplexity = summary.get("finalPerplexity")
    if perplexity is not None:
        source = summary.get("finalPerplexitySource")
        lines += field("Perplexity", f"{perplexity:.3f}" + (f" ({source})" if source else ""))
    steps, epochs = summary.get("trainingSteps"), summary.get("epochs")
    if steps:
        lines += field("Steps", f"{steps}" + (f" over {_count(epochs, 'epoch')}" if epochs else ""))
    return lines


def _next_steps_after_training(plan: Mapping[str, Any], overfitting: bool) -> list[str]:
    steps = []
    if overfitting:
        steps.append("Validation got worse while training improved: try fewer epochs or more varied data.")
    mode = (plan.get("serving") or {}).get("mode", "none")
    if mode == "provisioned":
        steps.append("Provisioned Throughput is being set up; the next alert has the model ARN to call.")
    elif mode == "on-demand":
        steps.append("An on-demand deployment is being created; the next alert has the ARN to call.")
    else:
        steps.append(
            "To use the model, buy Provisioned Throughput for it, or create an on-demand custom model "
            "deployment if the base model supports one."
        )
    return steps


def _validation_text(plan: Mapping[str, Any]) -> str:
    if plan.get("validationSource"):
        return _source_uri(plan.get("validationSource")) or "separate file"
    split = plan.get("validationSplit") or 0
    if plan.get("hasValidation") and split:
        return f"{float(split) * 100:g}% of the dataset held out"
    return "none"


def _records_text(stats: Mapping[str, Any] | None) -> str | None:
    if not stats or stats.get("records") is None:
        return None
    text = f"{stats['records']:,}" if isinstance(stats["records"], int) else str(stats["records"])
    if stats.get("trainingTokens"):
        text += f" ({stats['trainingTokens']:,} tokens)"
    if stats.get("warnings"):
        text += f", {_count(int(stats['warnings']), 'warning')} in the report"
    return text


def _cost_text(plan: Mapping[str, Any]) -> str | None:
    budget = money(plan.get("budgetUsd"))
    estimate = money((plan.get("estimate") or {}).get("estimatedCostUsd"))
    if estimate and budget:
        return f"about {estimate} (budget {budget})"
    return f"budget {budget}" if budget else None


def _evaluation_cost_text(plan: Mapping[str, Any]) -> str | None:
    """The evaluation's share of the estimate (docs/decisions/0011-evaluation-stage.md), when it has one."""
    cost = (plan.get("estimate") or {}).get("evaluation")
    if not cost:
        return None
    calls = f"{cost.get('prompts')} prompts, {cost.get('calls')} model answers"
    inference = cost.get("inferenceUsd")
    amount = "under $0.01" if inference is not None and inference < 0.01 else f"about {money(inference)}"
    parts = [f"{amount} for {calls}" if inference is not None else calls]
    if cost.get("throughputUsd"):
        parts.append(
            f"{money(cost['throughputUsd'])} for {cost.get('throughputHours')} hours of no-commitment throughput"
        )
    return ", plus ".join(parts)


def _hyperparameters_text(hyperparameters: Mapping[str, Any] | None) -> str | None:
    if not hyperparameters:
        return "model defaults"
    return ", ".join(f"{name}={value}" for name, value in sorted(hyperparameters.items()))


def _description(plan: Mapping[str, Any]) -> str | None:
    if plan.get("description"):
        return str(plan["description"])
    for tag in plan.get("tags") or []:
        if tag.get("key") == DESCRIPTION_TAG:
            return str(tag.get("value"))
    return None


def _finding(error: Mapping[str, Any]) -> str:
    where = str(error.get("file") or "dataset")
    if error.get("line") is not None:
        where += f" line {error['line']}"
    message = truncate(" ".join(str(error.get("message", "")).split()), _MAX_FINDING_MESSAGE)
    return f"{where}: [{error.get('rule', '?')}] {message}"


def _source_uri(source: Mapping[str, Any] | None) -> str | None:
    if not source:
        return None
    return s3_uri(source.get("bucket"), source.get("key"))


def _bucket_of(uri: str | None) -> str | None:
    if not uri or not uri.startswith("s3://"):
        return None
    return uri[len("s3://") :].split("/", 1)[0] or None


def _file_name(uri_or_path: str | None) -> str | None:
    if not uri_or_path:
        return None
    return uri_or_path.rstrip("/").rsplit("/", 1)[-1] or None


def _last_segment(arn: str | None) -> str | None:
    if not arn:
        return None
    return arn.rsplit("/", 1)[-1]


def _loss(value: Any) -> str:
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return "?"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def dataset_rejection_cause(plan: Mapping[str, Any], report: Report, report_uri: str) -> str:
    """The error a rejected dataset fails the Validate step with: what, how many errors, the first ones, and
    the fix. It is the `Cause` in the execution history; the alert itself is `dataset_rejected`."""
    shown = "; ".join(finding.describe() for finding in report.errors[:FINDINGS_IN_ERROR])
    total = sum(report.stats.get("error_counts", {}).values()) or len(report.errors)
    return (
        f"Dataset s3://{plan['source']['bucket']}/{plan['source']['key']} was rejected for "
        f"{plan['baseModelIdentifier']}: {total} error(s). {shown}. Nothing was started. "
        f"Fix the file (run `tuneline validate` locally to see every finding) and upload it again. "
        f"Full report: {report_uri}"
    )


def with_report_links(alert: Alert, links: Mapping[str, str]) -> Alert:
    """The alert with the run's report page (and leaderboard) added at the end, where a reader looks for more."""
    lines = [
        f"{label}: {links[key]}"
        for key, label in (("reportUri", "Report page"), ("leaderboardUri", "Leaderboard"))
        if links.get(key)
    ]
    if not lines:
        return alert
    return Alert(subject=alert.subject, body=alert.body.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n")
