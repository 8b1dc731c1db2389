"""The end of a run writes its report page, run record and leaderboard row before the alert, and the leaderboard
loses no row when runs end together (conditional writes, docs/architecture.md "Data bucket")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.pipeline.conftest import Account
from tests.unit.pipeline.test_steps import _plan
from tests.unit.reports.samples import sample
from tuneline.errors import DatasetRejected
from tuneline.handlers import notify, validate
from tuneline.layout import LEADERBOARD_KEY, LEADERBOARD_PAGE_KEY
from tuneline.pipeline.leaderboard_store import LeaderboardConflict, _write_page, update_leaderboard
from tuneline.reports.leaderboard import leaderboard_row


def _row(name: str, job: str) -> dict[str, Any]:
    return dict(leaderboard_row(sample(name)), jobName=job)


def _board(account: Account) -> dict[str, Any]:
    return json.loads(account.s3.get_object(Bucket=account.bucket, Key=LEADERBOARD_KEY)["Body"].read())


def test_a_rejected_run_gets_its_page_its_row_and_a_link_in_the_alert(account: Account) -> None:
    key = "incoming/support-bot/broken.jsonl"
    state = _plan(account, key, "support-bot/broken.jsonl")
    with pytest.raises(DatasetRejected) as rejected:
        validate.handler({"plan": state})
    result = notify.handler(
        {
            "kind": "failed",
            "state": {
                "plan": state,
                "error": {"Error": "DatasetRejected", "Cause": json.dumps({"errorMessage": str(rejected.value)})},
            },
        }
    )
    prefix = state["reportPrefix"]
    assert {f"{prefix}report.html", f"{prefix}run.json", LEADERBOARD_KEY, LEADERBOARD_PAGE_KEY} <= set(
        account.keys("reports/")
    )
    assert f"{prefix}model-card.json" not in account.keys("reports/")  # no model was made
    page = account.s3.get_object(Bucket=account.bucket, Key=f"{prefix}report.html")["Body"].read().decode()
    assert "Dataset rejected" in page and "message.first-role" in page
    [row] = _board(account)["rows"]
    assert (row["jobName"], row["status"]) == (state["jobName"], "rejected")
    [alert] = account.read_alerts()
    assert f"Report page: s3://{account.bucket}/{prefix}report.html" in alert["Message"]
    assert result["reportUri"] == f"s3://{account.bucket}/{prefix}report.html"


def test_the_alert_goes_out_when_the_reports_cannot_be_written(account: Account, monkeypatch: Any) -> None:
    state = _plan(account, "incoming/support-bot/train.jsonl", "support-bot/train.jsonl")

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("tuneline.pipeline.run_end.write_run_reports", broken)
    notify.handler({"kind": "failed", "state": {"plan": state, "error": {"Error": "States.Timeout", "Cause": ""}}})
    [alert] = account.read_alerts()
    assert "Report page" not in alert["Message"]


class _RacingS3:
    """An S3 client where another run writes the leaderboard between this run's read and its write."""

    def __init__(self, s3: Any, bucket: str, other_rows: list[dict[str, Any]]) -> None:
        self._s3, self._bucket, self._others = s3, bucket, other_rows
        self.conflicts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def put_object(self, **kwargs: Any) -> Any:
        if kwargs["Key"] == LEADERBOARD_KEY and self._others:
            update_leaderboard(self._s3, self._bucket, self._others.pop(0))
        try:
            return self._s3.put_object(**kwargs)
        except ClientError as error:
            self.conflicts += error.response["Error"]["Code"] == "PreconditionFailed"
            raise


def test_a_run_that_loses_the_race_merges_again_and_no_row_is_lost(account: Account) -> None:
    update_leaderboard(account.s3, account.bucket, _row("succeeded", "tuneline-first"))
    racing = _RacingS3(
        account.s3, account.bucket, [_row("failed", "tuneline-second"), _row("rejected", "tuneline-third")]
    )
    update_leaderboard(racing, account.bucket, _row("evaluated", "tuneline-last"), sleep=lambda _: None)
    board = _board(account)
    assert racing.conflicts == 2
    assert sorted(r["jobName"] for r in board["rows"]) == [
        "tuneline-first",
        "tuneline-last",
        "tuneline-second",
        "tuneline-third",
    ]
    assert board["revision"] == 4
    page = account.s3.get_object(Bucket=account.bucket, Key=LEADERBOARD_PAGE_KEY)
    assert page["Metadata"]["board-revision"] == "4" and b"tuneline-last" in page["Body"].read()


def test_the_first_write_of_an_empty_bucket_is_conditional_too(account: Account) -> None:
    racing = _RacingS3(account.s3, account.bucket, [_row("failed", "tuneline-other")])
    update_leaderboard(racing, account.bucket, _row("succeeded", "tuneline-mine"), sleep=lambda _: None)
    assert racing.conflicts == 1
    assert len(_board(account)["rows"]) == 2


def test_a_board_that_keeps_changing_gives_up_with_a_clear_error(account: Account) -> None:
    others = [_row("failed", f"tuneline-{n}") for n in range(5)]
    with pytest.raises(LeaderboardConflict, match="changed on each of 3 attempts"):
        update_leaderboard(
            _RacingS3(account.s3, account.bucket, others),
            account.bucket,
            _row("succeeded", "x"),
            attempts=3,
            sleep=lambda _: None,
        )


def test_an_older_board_never_replaces_a_newer_page(account: Account) -> None:
    for n in range(3):
        update_leaderboard(account.s3, account.bucket, _row("succeeded", f"tuneline-{n}"))
    _write_page(account.s3, account.bucket, {"revision": 2, "rows": []})
    page = account.s3.get_object(Bucket=account.bucket, Key=LEADERBOARD_PAGE_KEY)
    assert page["Metadata"]["board-revision"] == "3" and b"tuneline-2" in page["Body"].read()
