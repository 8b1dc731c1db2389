"""The model card of a custom model (`reports/<job>/model-card.json` and `model-card.md`) or of an imported one
(`reports/imports/<import job>/model-card.json` and `.md`).

The JSON follows the Amazon SageMaker Model Card JSON schema (the `content` document of
`CreateModelCard`, snake_case keys): `model_overview`, `intended_uses`, `business_details`,
`training_details`, `evaluation_details` and `additional_information`. Tuneline-specific facts with no field
of their own (data URIs and versions, content hash, serving, dates) go in `additional_information.custom_details`,
whose values the schema requires to be strings. Fields only the owner can know (purpose, intended uses, risk,
limitations) are filled with PLACEHOLDER for the owner to replace; `risk_rating` uses the schema's "Unknown".
An imported model was trained elsewhere: its card names the folder, its content hash and what the check read
from it, and leaves training data, hyperparameters and metrics to the owner.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tuneline.aws_values import lookup
from tuneline.layout import DESCRIPTION_TAG
from tuneline.reports import record as rec
from tuneline.reports.job_page import EVALUATION_METRICS, METRIC_NAMES

SCHEMA = "Amazon SageMaker Model Card JSON schema (content document)"
PLACEHOLDER = "TO BE FILLED IN BY THE MODEL OWNER"
TRAINING_METRICS = (
    ("firstTrainingLoss", "first training loss"),
    ("finalTrainingLoss", "final training loss"),
    ("bestTrainingLoss", "best training loss"),
    ("finalValidationLoss", "final validation loss"),
    ("bestValidationLoss", "best validation loss"),
    ("finalPerplexity", "final perplexity"),
    ("trainingSteps", "training steps"),
    ("epochs", "epochs"),
)


def build_model_card(record: Mapping[str, Any]) -> dict[str, Any]:
    plan = rec.part(record, "plan")
    job = rec.part(record, "job")
    metrics = rec.metrics(record)
    source = rec.part(record, "source")
    model_arn = rec.custom_model_arn(record)
    training_uri = plan.get("trainingDataUri")
    validation_uri = plan.get("validationDataUri") if plan.get("hasValidation") else None
    card: dict[str, Any] = {
        "model_overview": _without_empty(
            {
                "model_id": model_arn,
                "model_name": plan.get("customModelName") or rec.part(record, "summary").get("customModelName"),
                "model_description": plan.get("description") or PLACEHOLDER,
                "model_version": 1,
                "problem_type": f"Amazon Bedrock {plan.get('customizationType') or 'model customization'}",
                "algorithm_type": plan.get("customizationType"),
                "model_creator": "Tuneline",
                "model_owner": PLACEHOLDER,
                "model_artifact": [uri for uri in (plan.get("outputDataUri"),) if uri],
            }
        ),
        "intended_uses": _intended_uses(),
        "business_details": _business_details(record.get("profile") or plan.get("profile")),
        "training_details": {
            "objective_function": {
                "function": {"function": "Minimize", "facet": "Loss"},
                "notes": "cross-entropy loss",
            },
            "training_observations": _observations(metrics),
            "training_job_details": _without_empty(
                {
                    "training_arn": job.get("jobArn") or rec.part(record, "summary").get("jobArn"),
                    "training_datasets": [uri for uri in (training_uri, validation_uri) if uri],
                    "training_metrics": [
                        {"name": label, "value": metrics[key]}
                        for key, label in TRAINING_METRICS
                        if isinstance(metrics.get(key), int | float)
                    ],
                    "hyper_parameters": [
                        {"name": name, "value": str(value)}
                        for name, value in sorted(rec.hyperparameters(record).items())
                    ],
                }
            ),
        },
        "evaluation_details": _evaluation_details(record),
        "additional_information": {
            **_owner_notes(),
            "custom_details": _strings(
                {
                    "schema": SCHEMA,
                    "job_name": record.get("jobName"),
                    "status": record.get("outcome"),
                    "source_data": _s3(source.get("bucket"), source.get("key")),
                    "source_data_version": source.get("versionId"),
                    "source_data_etag": source.get("eTag"),
                    "records": rec.part(record, "validation").get("records"),
                    "training_tokens": rec.part(record, "validation").get("trainingTokens"),
                    "base_model": plan.get("baseModelIdentifier"),
                    "teacher_model": plan.get("teacherModelIdentifier"),
                    "serving_arn": rec.part(record, "serving").get("modelArn"),
                    "serving_expires_at": rec.part(record, "serving").get("expiresAt"),
                    "created_at": record.get("startedAt"),
                    "completed_at": record.get("endedAt"),
                    "estimated_cost_usd": rec.part(record, "estimate").get("estimatedCostUsd"),
                }
            ),
        },
    }
    if not card["evaluation_details"]:
        del card["evaluation_details"]
    return card


def build_import_model_card(
    check: Mapping[str, Any], job: Mapping[str, Any], smoke: Mapping[str, Any]
) -> dict[str, Any]:
    """The card of a model brought in with Custom Model Import, from the import workflow's state: the check
    step's result, the GetModelImportJob output (PascalCase) and the smoke test's result."""
    model_arn = smoke.get("modelArn") or lookup(job, "importedModelArn")
    folder = check.get("modelDataUri")
    marker = check.get("marker") or {}
    description = next((t.get("Value") for t in check.get("tags") or [] if t.get("Key") == DESCRIPTION_TAG), None)
    return {
        "model_overview": _without_empty(
            {
                "model_id": model_arn,
                "model_name": check.get("importedModelName") or lookup(job, "importedModelName"),
                "model_description": description or PLACEHOLDER,
                "model_version": 1,
                "problem_type": "Amazon Bedrock Custom Model Import",
                "algorithm_type": check.get("architecture"),
                # Trained outside Tuneline: only the owner knows who made it.
                "model_creator": PLACEHOLDER,
                "model_owner": PLACEHOLDER,
                "model_artifact": [folder] if folder else [],
            }
        ),
        "intended_uses": _intended_uses(),
        "business_details": _business_details(None),
        "training_details": {
            "training_observations": f"Trained outside Tuneline and imported from {folder or 'a model folder'}. "
            f"Training data, hyperparameters and metrics: {PLACEHOLDER}.",
        },
        "additional_information": {
            **_owner_notes(),
            "custom_details": _strings(
                {
                    "schema": SCHEMA,
                    "import_job_name": check.get("jobName") or lookup(job, "jobName"),
                    "import_job_arn": lookup(job, "jobArn"),
                    "status": "imported",
                    "model_folder": folder,
                    "marker_version": marker.get("versionId"),
                    "content_sha256": check.get("identity"),
                    "architecture": check.get("architecture"),
                    "family": check.get("family"),
                    "model_type": check.get("modelType"),
                    "parameter_count": check.get("parameterCount"),
                    "weight_bytes": check.get("weightBytes"),
                    "context_length": check.get("contextLength"),
                    "check_report": check.get("reportUri"),
                    "check_warnings": check.get("warningCount"),
                    "smoke_prompt": smoke.get("prompt"),
                    "smoke_answer": smoke.get("answer"),
                    "created_at": _text_time(lookup(job, "creationTime")),
                    "completed_at": _text_time(lookup(job, "endTime")),
                }
            ),
        },
    }


def _intended_uses() -> dict[str, str]:
    return {
        "purpose_of_model": PLACEHOLDER,
        "intended_uses": PLACEHOLDER,
        "factors_affecting_model_efficiency": PLACEHOLDER,
        "risk_rating": "Unknown",
        "explanations_for_risk_rating": PLACEHOLDER,
    }


def _business_details(line_of_business: Any) -> dict[str, str]:
    return {
        "business_problem": PLACEHOLDER,
        "business_stakeholders": PLACEHOLDER,
        "line_of_business": str(line_of_business or PLACEHOLDER),
    }


def _owner_notes() -> dict[str, str]:
    return {"ethical_considerations": PLACEHOLDER, "caveats_and_recommendations": PLACEHOLDER}


def _text_time(value: Any) -> str | None:
    """Times from the SDK integration are ISO text; from boto3 (tests, CLI) datetimes."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _observations(metrics: Mapping[str, Any]) -> str:
    if not metrics:
        return "No training metrics were found."
    text = f"Training loss went from {metrics.get('firstTrainingLoss')} to {metrics.get('finalTrainingLoss')}"
    if metrics.get("finalValidationLoss") is not None:
        text += f"; final validation loss {metrics['finalValidationLoss']}"
    text += "."
    if metrics.get("overfittingDetail"):
        text += f" {metrics['overfittingDetail']}"
    return text


def _evaluation_details(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    evaluation = rec.part(record, "evaluation")
    models = rec.part(evaluation, "models")
    if not models:
        return []
    comparison, gate = rec.comparison(record), rec.gate(record)
    groups = [
        {
            "name": str(name),
            "metric_data": [
                {"name": METRIC_NAMES[m], "type": "number", "value": (summary or {})[m]}
                for m in EVALUATION_METRICS
                if isinstance((summary or {}).get(m), int | float)
            ],
        }
        for name, summary in models.items()
    ]
    observation = ""
    if comparison:
        observation = (
            f"{comparison.get('candidate')} vs {comparison.get('baseline')} on {comparison.get('metric')}: "
            f"{comparison.get('baselineMean')} -> {comparison.get('candidateMean')}, difference "
            f"{comparison.get('delta')} (95% interval {comparison.get('ci95')}), {comparison.get('wins')} wins, "
            f"{comparison.get('ties')} ties, {comparison.get('losses')} losses."
        )
    if gate:
        observation += f" Gate {'passed' if gate.get('passed') else 'not passed'}."
    return [
        {
            "name": "Tuneline evaluation against the base model",
            "evaluation_observation": observation.strip() or "Scores per model below.",
            "metadata": _strings({"gate_min_improvement": gate.get("minImprovement")}),
            "metric_groups": groups,
        }
    ]


def model_card_markdown(card: Mapping[str, Any]) -> str:
    """The same card as Markdown, for a repository or a wiki page."""
    overview = rec.part(card, "model_overview")
    uses = rec.part(card, "intended_uses")
    business = rec.part(card, "business_details")
    training = rec.part(card, "training_details")
    details = rec.part(training, "training_job_details")
    extra = rec.part(card, "additional_information")
    custom = rec.part(extra, "custom_details")
    title = overview.get("model_name") or custom.get("job_name") or custom.get("import_job_name")
    lines = [f"# Model card: {title}", ""]
    lines += [f"Fields follow the {SCHEMA}; replace every `{PLACEHOLDER}`.", ""]
    lines += ["## Model overview", "", *_bullets(overview)]
    lines += ["", "## Intended uses", "", *_bullets(uses)]
    lines += ["", "## Business details", "", *_bullets(business)]
    lines += ["", "## Training details", "", str(training.get("training_observations") or ""), ""]
    lines += [f"- training job: `{details.get('training_arn')}`"] if details.get("training_arn") else []
    lines += [f"- data: `{uri}`" for uri in details.get("training_datasets") or []]
    if details.get("hyper_parameters"):
        lines += ["", "| hyperparameter | value |", "|---|---|"]
        lines += [f"| {h['name']} | {h['value']} |" for h in details["hyper_parameters"]]
    if details.get("training_metrics"):
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {m['name']} | {m['value']} |" for m in details["training_metrics"]]
    for evaluation in card.get("evaluation_details") or []:
        lines += ["", f"## Evaluation: {evaluation.get('name')}", "", str(evaluation.get("evaluation_observation")), ""]
        groups = evaluation.get("metric_groups") or []
        names = list(dict.fromkeys(m["name"] for g in groups for m in g.get("metric_data") or []))
        lines += ["| model | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for group in groups:
            values = {m["name"]: m["value"] for m in group.get("metric_data") or []}
            lines.append(f"| {group['name']} | " + " | ".join(_short(values.get(n)) for n in names) + " |")
    lines += ["", "## Additional information", "", *_bullets({k: v for k, v in extra.items() if k != "custom_details"})]
    lines += _bullets(custom)
    return "\n".join(lines).rstrip() + "\n"


def model_card_json(card: Mapping[str, Any]) -> str:
    return json.dumps(card, indent=1, sort_keys=False) + "\n"


def _bullets(mapping: Mapping[str, Any]) -> list[str]:
    return [
        f"- {key.replace('_', ' ')}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in mapping.items()
        if value not in (None, "", [])
    ]


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)


def _without_empty(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in (None, "", [])}


def _strings(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in mapping.items() if v not in (None, "")}


def _s3(bucket: Any, key: Any) -> str | None:
    return f"s3://{bucket}/{key}" if bucket and key else None
