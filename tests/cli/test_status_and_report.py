"""`tuneline status` and `tuneline report` against a stack found through CloudFormation (moto in-process)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.reports.samples import sample
from tuneline.cli import main
from tuneline.deployed.status import month_to_date_spend, queue_positions
from tuneline.exit_codes import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tuneline.layout import (
    EXPIRES_AT_TAG,
    JOB_TAG,
    LEADERBOARD_KEY,
    LEADERBOARD_PAGE_KEY,
    MANAGED_TAG,
    MANAGED_VALUE,
)
from tuneline.reports.leaderboard import board_json, empty_board, leaderboard_row, merge_row
from tuneline.serving.janitor import ServedResource
from tuneline.serving.tags import iso_utc

BUCKET = "tuneline-data-cli"
JOB = sample("evaluated")["jobName"]
# A stack with the one output the commands need, as stacks/tuneline_stack.py declares it.
TEMPLATE = {
    "Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}}},
    "Outputs": {"DataBucketName": {"Value": {"Ref": "Data"}}},
}


@pytest.fixture
def stack() -> Iterator[Any]:
    with mock_aws():
        boto3.client("cloudformation").create_stack(StackName="Tuneline", TemplateBody=json.dumps(TEMPLATE))
        s3 = boto3.client("s3")
        board = empty_board()
        for name in ("evaluated", "rejected"):
            board = merge_row(board, leaderboard_row(sample(name)))
        s3.put_object(Bucket=BUCKET, Key=LEADERBOARD_KEY, Body=board_json(board).encode())
        s3.put_object(Bucket=BUCKET, Key=LEADERBOARD_PAGE_KEY, Body=b"<!DOCTYPE html>board")
        s3.put_object(Bucket=BUCKET, Key=f"reports/{JOB}/report.html", Body=b"<!DOCTYPE html>page")
        s3.put_object(Bucket=BUCKET, Key=f"reports/{JOB}/model-card.md", Body=b"# Model card")
        yield s3


def test_report_downloads_the_page_and_card_and_prints_the_path(
    stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", JOB, "--leaderboard", "--out", str(tmp_path)]) == EXIT_OK
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / JOB / "report.html"), str(tmp_path / "leaderboard.html")]
    assert (tmp_path / JOB / "report.html").read_bytes() == b"<!DOCTYPE html>page"
    assert (tmp_path / JOB / "model-card.md").exists() and (tmp_path / "leaderboard.json").exists()
    assert not list(tmp_path.rglob(".*.partial"))


def test_report_of_an_unknown_job_exits_1_and_writes_nothing(
    stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "tuneline-nope", "--out", str(tmp_path)]) == EXIT_INVALID
    captured = capsys.readouterr()
    assert captured.out == "" and "no report page for tuneline-nope" in captured.err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_stack_is_a_usage_error_naming_the_stack(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--stack", "Elsewhere"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and "no stack 'Elsewhere'" in captured.err and "--stack" in captured.err


def test_report_needs_a_job_or_the_leaderboard(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == EXIT_USAGE
    assert "name a JOB, or give --leaderboard" in capsys.readouterr().err


def test_status_lists_recent_results_and_live_serving(
    stack: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2, minutes=31)
    served = ServedResource(
        kind="deployment",
        arn="arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc",
        name="d",
        status="Active",
        tags={MANAGED_TAG: MANAGED_VALUE, EXPIRES_AT_TAG: iso_utc(expires), JOB_TAG: JOB},
    )
    throughput = ServedResource(
        kind="provisioned",
        arn="arn:aws:bedrock:us-east-1:123456789012:provisioned-model/pt1",
        name="p",
        status="InService",
        tags={MANAGED_TAG: MANAGED_VALUE, EXPIRES_AT_TAG: iso_utc(expires), JOB_TAG: JOB},
        model_units=2,
    )
    unmanaged = ServedResource(kind="provisioned", arn="arn:other", name="o", status="InService")
    # Plain moto has no Bedrock serving APIs (the emulator simulates them): the listing is given here.
    monkeypatch.setattr(
        "tuneline.deployed.status.list_served_resources", lambda _bedrock: [served, throughput, unmanaged]
    )
    assert main(["status"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"bucket {BUCKET}" in out
    assert JOB in out and "rougeL 0.52" in out and "rejected" in out
    assert "deployment Active  arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc" in out
    assert "expires in 2 h 3" in out and "arn:other" not in out
    # What it costs while it runs: per token for a deployment; a throughput's units bill every hour, at a rate
    # docs/bedrock.md does not record, so none is made up.
    assert "custom-model-deployment/abc  (expires in 2 h 3" in out and "billed per token, no hourly charge" in out
    assert "provisioned-model/pt1  (expires in 2 h 3" in out
    assert "2 model units billed every hour until deleted, hourly price unknown" in out
    assert main(["status", "--format", "json"]) == EXIT_OK
    status = json.loads(capsys.readouterr().out)
    assert {row["jobName"] for row in status["recent"]} == {JOB, sample("rejected")["jobName"]}
    assert status["running"] == [] and [s["job"] for s in status["serving"]] == [JOB, JOB]
    assert [s["billing"] for s in status["serving"]] == ["per-token", "per-model-unit-hour"]


def test_place_in_line_counts_the_waiting_runs_of_each_profile_in_start_order() -> None:
    runs = [
        {"execution": "c", "profile": "a", "startedAt": "3", "state": "Check budget and capacity"},
        {"execution": "t", "profile": "a", "startedAt": "1", "state": "Create customization job"},
        {"execution": "b", "profile": "a", "startedAt": "2", "state": "Check budget and capacity"},
        {"execution": "x", "profile": "z", "startedAt": "4", "state": "Check budget and capacity"},
    ]
    placed = {run["execution"]: run.get("placeInLine") for run in queue_positions(runs)}
    assert placed == {"t": None, "b": 1, "c": 2, "x": 1}


def test_month_to_date_spend_counts_this_months_started_runs_per_profile() -> None:
    rows = [
        {"profile": "a", "status": "succeeded", "estimatedCostUsd": 1.25, "endedAt": "2026-12-02T00:00:00Z"},
        {"profile": "a", "status": "failed", "estimatedCostUsd": 2.0, "endedAt": "2026-12-05T00:00:00Z"},
        {"profile": "a", "status": "rejected", "estimatedCostUsd": 9.0, "endedAt": "2026-12-05T00:00:00Z"},
        {"profile": "a", "status": "succeeded", "estimatedCostUsd": 4.0, "endedAt": "2026-11-30T23:59:00Z"},
        {"profile": "b", "status": "succeeded", "estimatedCostUsd": 0.5, "endedAt": "2026-12-07T00:00:00Z"},
    ]
    assert month_to_date_spend(rows, dt.datetime(2026, 12, 8, tzinfo=dt.UTC)) == {"a": 3.25, "b": 0.5}
