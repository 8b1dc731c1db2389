"""Bedrock job state changes and workflow executions that time out become readable alerts with a subject."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.pipeline.conftest import Account
from tuneline.handlers import bedrock_event, execution_event

EVENTS = Path(__file__).resolve().parents[2] / "data" / "events"


def test_completed_event_alert_names_job_status_and_model(account: Account) -> None:
    event = json.loads((EVENTS / "bedrock_job_completed.json").read_text())
    result = bedrock_event.handler(event)
    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"]
    assert "tuneline-support-bot.train-3f9c2a1b7d4e" in alert["Subject"]
    assert event["detail"]["outputModelArn"] in alert["Message"]


def test_failed_event_alert_carries_bedrocks_message(account: Account) -> None:
    event = json.loads((EVENTS / "bedrock_job_completed.json").read_text())
    event["detail"]["jobStatus"] = "Failed"
    event["detail"]["failureMessage"] = (
        "Unable to parse Amazon S3 file: train.jsonl. Data files must conform to JSONL format."
    )
    bedrock_event.handler(event)
    [alert] = account.read_alerts()
    assert "Unable to parse Amazon S3 file" in " ".join(alert["Message"].split())
    assert "custom-model/" not in alert["Message"]


def test_a_timed_out_execution_is_published_with_a_subject(account: Account) -> None:
    event = json.loads((EVENTS / "execution_timed_out.json").read_text())
    event["detail"]["input"] = json.dumps({"bucket": account.bucket, "key": "incoming/support-bot/train.jsonl"})
    result = execution_event.handler(event)
    [alert] = account.read_alerts()
    assert alert["Subject"] == result["subject"] == "Tuneline: training workflow TIMED OUT - train.jsonl"
    assert event["detail"]["executionArn"] in alert["Message"]
