"""The alert for a companion file that landed after its job was planned, and so was not used."""

from __future__ import annotations

from datetime import datetime

from tuneline.alerts.text import SUBJECT_PREFIX, Alert, bullets, command_lines, fields, make_alert, s3_uri

_WHAT = {"validation": "validation set", "manifest": "job manifest"}
_EFFECT = {
    "validation": "The job validates on what was there when it was planned (a split of the training data, or "
    "no validation data), not on this file.",
    "manifest": "The job runs with the settings it was planned with: none of this manifest's values (budget, "
    "hyperparameters, retrain) apply to it.",
}


def companion_not_used(
    *,
    bucket: str,
    companion_key: str,
    kind: str,
    training_key: str,
    job_name: str,
    execution_arn: str,
    planned_at: datetime,
) -> Alert:
    what = _WHAT.get(kind, "companion file")
    file_name = companion_key.rsplit("/", 1)[-1]
    return make_alert(
        f"{SUBJECT_PREFIX}: {file_name} NOT USED - it landed after {job_name} was planned",
        [
            f"The {what} {file_name} was uploaded after the job for its dataset had read its companion files, "
            f"so that job does not use it. {_EFFECT.get(kind, '')}".strip(),
            fields(
                ("File", s3_uri(bucket, companion_key)),
                ("Dataset", s3_uri(bucket, training_key)),
                ("Job", job_name),
                ("Planned at", planned_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            ),
            [
                "What to do:",
                *bullets(
                    [
                        "Nothing, if the running job is what you want.",
                        "To train with this file, upload the training file again now that the file is there (a "
                        "new version starts a new job), and stop the running one if it should not finish.",
                    ]
                ),
                *command_lines("To stop it:", f"aws stepfunctions stop-execution --execution-arn {execution_arn}"),
            ],
        ],
    )
