"""The job report page, `reports/<job>/report.html`: one self-contained file a person opens after a run.

Verdict and next steps first, then the loss chart, evaluation, dataset, settings, cost, serving, the timeline
of states and every artifact by S3 URI. Sections whose data the run never produced are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tuneline.reports import record as rec
from tuneline.reports.charts import Series, bar_chart, line_chart
from tuneline.reports.html import MISSING, duration, esc, money, number, page, pairs, section, table

# The first findings listed on the page; the counts by rule cover all of them.
MAX_FINDINGS = 20
EVALUATION_METRICS = ("exactMatch", "tokenF1", "rougeL", "lengthRatio", "jsonValid")
METRIC_NAMES = {
    "exactMatch": "exact match",
    "tokenF1": "token F1",
    "rougeL": "ROUGE-L",
    "lengthRatio": "length ratio",
    "jsonValid": "valid JSON",
}


def render_job_report(record: Mapping[str, Any]) -> str:
    job = str(record.get("jobName") or "job")
    body = "".join(
        (
            _verdict(record),
            _figures(record),
            _charts(record),
            _evaluation(record),
            _dataset(record),
            _settings(record),
            _cost(record),
            _serving(record),
            _timeline(record),
            _artifacts(record),
        )
    )
    return page(f"Tuneline report: {job}", body)


# --- verdict -------------------------------------------------------------------------------------------------


def verdict(record: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """(css class, one-line verdict, what to do next) for the run's outcome."""
    outcome = record.get("outcome")
    error = rec.part(record, "error")
    if outcome == rec.REJECTED:
        report = rec.part(record, "validationReport")
        errors = report.get("errors") or []
        counts = _rule_counts(report, "errors")
        total = sum(counts.values()) or len(errors)
        plan = rec.part(record, "plan")
        steps = ["Fix the findings below (each names its file, line and rule), then upload the file again."]
        if plan.get("baseModelIdentifier"):
            steps.append(
                "Check it first on your machine: "
                f"tuneline validate <file> --model {plan['baseModelIdentifier']}"
                + (f" --type {plan['customizationType']}" if plan.get("customizationType") else "")
            )
        steps.append("Nothing was started and nothing was charged.")
        return "bad", f"Dataset rejected: {total:,} problem{'s' if total != 1 else ''} found.", steps
    if outcome == rec.FAILED:
        where = f" at “{error['step']}”" if error.get("step") else ""
        headline = f"Run failed{where}: {error.get('meaning') or error.get('error') or 'unknown error'}"
        steps = [str(error["action"])] if error.get("action") else []
        if error.get("command"):
            steps.append(str(error["command"]))
        return "bad", headline, steps or ["Read the error below and the state machine's execution history."]
    return _success_verdict(record)


def _success_verdict(record: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    metrics = rec.metrics(record)
    gate, comparison = rec.gate(record), rec.comparison(record)
    steps: list[str] = []
    css = "ok"
    headline = "Training finished"
    if metrics.get("finalTrainingLoss") is not None:
        headline += (
            f": training loss {number(metrics.get('firstTrainingLoss'))} → {number(metrics['finalTrainingLoss'])}"
        )
    if metrics.get("overfitting"):
        css = "warn"
        steps.append("Validation loss rose while training loss fell: try fewer epochs or more varied data.")
    if gate:
        if gate.get("passed"):
            headline += "; the custom model beats its base"
        else:
            css = "warn"
            headline += "; the custom model did not beat its base"
            steps.append("Evaluation gate not passed: look at the categories below where the base model wins.")
    elif comparison:
        headline += f"; {comparison.get('metric')} changed by {_signed(comparison.get('delta'))}"
    serving = rec.part(record, "serving")
    if serving.get("exampleCall"):
        steps.append("The model is served: the call to copy is under Serving, with its expiry.")
    elif serving.get("status") == "QuotaExceeded":
        steps.append("Serving was skipped: raise the Service Quota named in the alert, then serve it by hand.")
    else:
        steps.append(
            "To use the model, buy Provisioned Throughput or create an on-demand deployment "
            "(profile setting serving.mode)."
        )
    return css, headline + ".", steps


def _verdict(record: Mapping[str, Any]) -> str:
    css, headline, steps = verdict(record)
    outcome = str(record.get("outcome") or "unknown")
    plan = rec.part(record, "plan")
    meta = " · ".join(esc(v) for v in (record.get("profile") or plan.get("profile"), record.get("endedAt")) if v)
    items = "".join(f"<li class=wrap>{esc(step)}</li>" for step in steps)
    return (
        f'<section id="verdict" class="verdict {css}"><h1>{esc(record.get("jobName"))}</h1>'
        f'<p><span class="badge {css}">{esc(outcome)}</span> <span class="muted">{meta}</span></p>'
        f"<p><strong>{esc(headline)}</strong></p><h2>What to do next</h2><ul>{items}</ul></section>"
    )


def _figures(record: Mapping[str, Any]) -> str:
    metrics = rec.metrics(record)
    stats = _stats(record)
    comparison = rec.comparison(record)
    figures = [
        ("records", number(stats.get("records"))),
        ("final training loss", number(metrics.get("finalTrainingLoss"))),
        ("final validation loss", number(metrics.get("finalValidationLoss"))),
        ("perplexity", number(metrics.get("finalPerplexity"))),
        ("estimated cost", money(rec.part(record, "estimate").get("estimatedCostUsd"))),
        (f"{comparison.get('metric')} change" if comparison else "", _signed(comparison.get("delta"))),
    ]
    cells = "".join(
        f'<div class="figure"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
        for label, value in figures
        if label and value != MISSING
    )
    return f'<section id="figures"><div class="figures">{cells}</div></section>' if cells else ""


# --- charts --------------------------------------------------------------------------------------------------


def _charts(record: Mapping[str, Any]) -> str:
    series = rec.part(record, "series")
    training, validation = series.get("training") or [], series.get("validation") or []
    by_step = _has_steps(training) and (not validation or _has_steps(validation))
    x_index, x_label = (rec.STEP, "step") if by_step else (rec.EPOCH, "epoch")
    charts = "".join(
        line_chart(
            [
                Series(f"training {name}", _points(training, x_index, column)),
                Series(f"validation {name}", _points(validation, x_index, column)),
            ],
            title=name.capitalize(),
            x_label=x_label,
            y_label=name,
        )
        for name, column in (("loss", rec.LOSS), ("perplexity", rec.PERPLEXITY))
    )
    metrics = rec.metrics(record)
    notes = []
    if metrics.get("overfittingDetail"):
        notes.append(f'<p class="muted">{esc(metrics["overfittingDetail"])}</p>')
    if metrics.get("skippedRows"):
        notes.append(f'<p class="muted">{metrics["skippedRows"]:,} metric rows could not be read and are left out.</p>')
    return section("Training", charts + "".join(notes), section_id="training") if charts else ""


def _has_steps(rows: Sequence[Sequence[Any]]) -> bool:
    return bool(rows) and all(_value(row, rec.STEP) is not None for row in rows)


def _points(rows: Sequence[Sequence[Any]], x_index: int, y_index: int) -> list[tuple[float, float]]:
    points = []
    for row in rows:
        x, y = _value(row, x_index), _value(row, y_index)
        if x is not None and y is not None:
            points.append((x, y))
    return points


def _value(row: Sequence[Any], index: int) -> float | None:
    value = row[index] if len(row) > index else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- evaluation ----------------------------------------------------------------------------------------------


def _evaluation(record: Mapping[str, Any]) -> str:
    evaluation = rec.part(record, "evaluation")
    models = rec.part(evaluation, "models")
    if not models:
        return ""
    metrics = [m for m in EVALUATION_METRICS if any(m in (s or {}) for s in models.values())]
    rows = [
        [f"<code>{esc(name)}</code>", number((summary or {}).get("count"))]
        + [number((summary or {}).get(m)) for m in metrics]
        for name, summary in models.items()
    ]
    parts = [table(["model", "prompts", *(METRIC_NAMES[m] for m in metrics)], rows, numeric=range(1, 2 + len(metrics)))]
    comparison, gate = rec.comparison(record), rec.gate(record)
    if comparison:
        low, high = ([*list(comparison.get("ci95") or []), None, None])[:2]
        parts.append(
            pairs(
                [
                    ("metric", esc(METRIC_NAMES.get(str(comparison.get("metric")), comparison.get("metric")))),
                    (
                        "mean",
                        f"{esc(comparison.get('baseline'))} {number(comparison.get('baselineMean'))} → "
                        f"{esc(comparison.get('candidate'))} {number(comparison.get('candidateMean'))}",
                    ),
                    (
                        "difference",
                        f"{_signed(comparison.get('delta'))} (95% interval {number(low)} to {number(high)})",
                    ),
                    (
                        "per prompt",
                        f"{number(comparison.get('wins'))} wins, {number(comparison.get('ties'))} ties, "
                        f"{number(comparison.get('losses'))} losses",
                    ),
                    (
                        "gate",
                        ""
                        if not gate
                        else f"{'passed' if gate.get('passed') else 'not passed'} (minimum improvement "
                        f"{number(gate.get('minImprovement'))})"
                        + (f": {esc(gate['reason'])}" if gate.get("reason") else ""),
                    ),
                ]
            )
        )
    parts.append(_category_chart(models, str(comparison.get("metric") or "rougeL")))
    return section("Evaluation", "".join(parts), section_id="evaluation")


def _category_chart(models: Mapping[str, Any], metric: str) -> str:
    categories = sorted({c for s in models.values() for c in ((s or {}).get("byCategory") or {})})
    if not categories:
        return ""
    groups = [
        Series(
            name,
            [
                (index, float(value))
                for index, category in enumerate(categories)
                if isinstance(
                    value := ((summary or {}).get("byCategory") or {}).get(category, {}).get(metric), int | float
                )
            ],
        )
        for name, summary in models.items()
    ]
    return bar_chart(categories, groups, title=f"{METRIC_NAMES.get(metric, metric)} by category", value_label=metric)


# --- dataset, settings, cost, serving -----------------------------------------------------------------------


def _stats(record: Mapping[str, Any]) -> dict[str, Any]:
    stats = rec.part(rec.part(record, "validationReport"), "stats")
    validation = rec.part(record, "validation")
    if stats.get("records") is None and validation.get("records") is not None:
        stats["records"] = validation["records"]
    return stats


def _rule_counts(report: Mapping[str, Any], kind: str) -> dict[str, int]:
    """True counts by rule: the validator counts every finding, even those past the listed ones."""
    stats = rec.part(report, "stats")
    counts = stats.get("error_counts" if kind == "errors" else "warning_counts")
    if isinstance(counts, Mapping) and counts:
        return {str(rule): int(count) for rule, count in counts.items()}
    totals: dict[str, int] = {}
    for finding in report.get(kind) or []:
        rule = str((finding or {}).get("rule"))
        totals[rule] = totals.get(rule, 0) + 1
    return totals


def _dataset(record: Mapping[str, Any]) -> str:
    report = rec.part(record, "validationReport")
    stats = _stats(record)
    tokens = rec.part(stats, "estimated_tokens")
    validation = rec.part(record, "validation")
    split = rec.part(validation, "split")
    source = rec.part(record, "source")
    overview = pairs(
        [
            ("file", f"<code>{esc(_s3(source.get('bucket'), source.get('key')))}</code>" if source.get("key") else ""),
            ("version", esc(source.get("versionId"))),
            ("records", number(stats.get("records"))),
            ("tokens (estimated)", number(tokens.get("total") or validation.get("trainingTokens"))),
            ("tokens per record p50 / p95 / max", " / ".join(number(tokens.get(k)) for k in ("p50", "p95", "max"))),
            (
                "split",
                f"{number(split.get('training_records'))} training, "
                f"{number(split.get('validation_records'))} validation"
                if split
                else "",
            ),
        ]
    )
    parts = [overview]
    for kind, title in (("errors", "Errors by rule"), ("warnings", "Warnings by rule")):
        counts = _rule_counts(report, kind)
        if counts:
            rows = [[f"<code>{esc(rule)}</code>", number(count)] for rule, count in sorted(counts.items())]
            parts.append(f"<h2>{title}</h2>" + table(["rule", "count"], rows, numeric=[1]))
    findings = [*(report.get("errors") or []), *(report.get("warnings") or [])][:MAX_FINDINGS]
    if findings:
        rows = [
            [
                f"<code>{esc(f.get('file') or 'dataset')}</code>",
                number(f.get("line")),
                f"<code>{esc(f.get('rule'))}</code>",
                f'<span class="wrap">{esc(f.get("message"))}</span>',
            ]
            for f in findings
        ]
        parts.append("<h2>First findings</h2>" + table(["file", "line", "rule", "message"], rows, numeric=[1]))
    return section("Dataset", "".join(parts), section_id="dataset")


def _settings(record: Mapping[str, Any]) -> str:
    plan = rec.part(record, "plan")
    if not plan:
        return ""
    hyper = rec.hyperparameters(record)
    rows = [
        ("base model", f"<code>{esc(plan.get('baseModelIdentifier'))}</code>"),
        ("customization type", esc(plan.get("customizationType"))),
        (
            "teacher model",
            f"<code>{esc(plan['teacherModelIdentifier'])}</code>" if plan.get("teacherModelIdentifier") else "",
        ),
        ("custom model name", f"<code>{esc(plan.get('customModelName'))}</code>"),
        ("validation data", esc(_validation_text(plan))),
        *((f"hyperparameter {name}", f"<code>{esc(value)}</code>") for name, value in sorted(hyper.items())),
        ("description", esc(plan.get("description"))),
    ]
    return section("Settings", pairs(rows), section_id="settings")


def _validation_text(plan: Mapping[str, Any]) -> str:
    source = rec.part(plan, "validationSource")
    if source:
        return _s3(source.get("bucket"), source.get("key"))
    split = plan.get("validationSplit")
    if plan.get("hasValidation") and isinstance(split, int | float) and split:
        return f"{split * 100:g}% of the dataset held out"
    return "none"


def _cost(record: Mapping[str, Any]) -> str:
    estimate = rec.part(record, "estimate")
    plan = rec.part(record, "plan")
    rows = [
        ("estimated training cost", money(estimate.get("estimatedCostUsd"))),
        ("budget", money(plan.get("budgetUsd"))),
        ("tokens billed (estimated)", number(estimate.get("tokens"))),
        ("epochs", number(estimate.get("epochs"))),
        ("price source", esc(estimate.get("priceSource"))),
    ]
    return section("Cost", pairs(rows), section_id="cost")


def _serving(record: Mapping[str, Any]) -> str:
    serving = rec.part(record, "serving")
    if not serving or serving.get("status") == "NotRequested":
        return ""
    call = serving.get("exampleCall")
    rows = [
        ("status", esc(serving.get("status") or ("smoke test passed" if serving.get("passed") else ""))),
        ("ARN to call", f"<code>{esc(serving.get('modelArn'))}</code>" if serving.get("modelArn") else ""),
        ("kind", esc(serving.get("kind"))),
        ("expires", esc(serving.get("expiresAt") or ("no expiry (commitment)" if serving.get("modelArn") else ""))),
        ("smoke test", esc(serving.get("summary"))),
    ]
    body = pairs(rows) + (f"<h2>Call it</h2><pre>{esc(call)}</pre>" if call else "")
    return section("Serving", body, section_id="serving")


# --- timeline and artifacts -----------------------------------------------------------------------------------


def _timeline(record: Mapping[str, Any]) -> str:
    timeline = [t for t in record.get("timeline") or [] if isinstance(t, Mapping)]
    if not timeline:
        return ""
    rows = [
        [
            esc(step.get("state")),
            f'<span class="muted">{esc(step.get("enteredAt"))}</span>',
            esc(duration(step.get("seconds"))),
        ]
        for step in timeline
    ]
    error = rec.part(record, "error")
    extra = ""
    if error.get("error"):
        extra = f"<h2>Error</h2><p><code>{esc(error['error'])}</code></p>" + (
            f"<pre>{esc(str(error['cause'])[:2000])}</pre>" if error.get("cause") else ""
        )
    return section("Timeline", table(["state", "entered", "took"], rows, numeric=[2]) + extra, section_id="timeline")


def _artifacts(record: Mapping[str, Any]) -> str:
    artifacts = [a for a in record.get("artifacts") or [] if isinstance(a, Mapping) and a.get("uri")]
    arns = [
        ("customization job", rec.part(record, "job").get("jobArn") or rec.part(record, "summary").get("jobArn")),
        ("custom model", rec.custom_model_arn(record)),
    ]
    rows = [(str(a.get("name")), f"<code>{esc(a['uri'])}</code>") for a in artifacts]
    rows += [(name, f"<code>{esc(arn)}</code>") for name, arn in arns if arn]
    return section("Artifacts", pairs(rows), section_id="artifacts")


def _signed(value: Any) -> str:
    text = number(value)
    return f"+{text}" if text != MISSING and isinstance(value, int | float) and value > 0 else text


def _s3(bucket: Any, key: Any) -> str:
    return f"s3://{bucket}/{key}" if bucket and key else str(key or "")
