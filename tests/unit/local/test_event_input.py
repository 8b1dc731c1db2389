"""What an EventBridge rule hands its targets."""

from __future__ import annotations

import json

from local.event_input import render_template, target_input

EVENT = {
    "id": "1",
    "time": 1_700_000_000.0,
    "source": "aws.bedrock",
    "detail-type": "Model Customization Job State Change",
    "detail": {"jobName": "job-1", "jobStatus": "Completed", "hyperParameters": {"epochCount": "2"}},
    "ingestion-time": 1_700_000_000.5,
}
PATHS = {"name": "$.detail.jobName", "status": "$.detail.jobStatus", "why": "$.detail.failureMessage"}


def test_a_text_template_gets_raw_values() -> None:
    assert render_template("<name> is <status>", PATHS, EVENT, "rule") == "job-1 is Completed"


def test_a_json_template_quotes_values_outside_strings_only() -> None:
    rendered = render_template('{"job": <name>, "text": "<name> is <status>"}', PATHS, EVENT, "rule")
    assert json.loads(rendered) == {"job": "job-1", "text": "job-1 is Completed"}


def test_paths_that_match_nothing_are_null_in_json_and_empty_in_text() -> None:
    rendered = render_template('{"why": <why>, "text": "because <why>"}', PATHS, EVENT, "rule")
    assert json.loads(rendered) == {"why": None, "text": "because "}


def test_objects_are_inserted_as_json() -> None:
    paths = {"hp": "$.detail.hyperParameters"}
    assert json.loads(render_template('{"hp": <hp>}', paths, EVENT, "rule")) == {"hp": {"epochCount": "2"}}


def test_a_quoted_template_reaches_the_target_as_plain_text() -> None:
    target = {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": '"Job <name> is <status>"'}}
    assert target_input(target, EVENT, "rule") == "Job job-1 is Completed"


def test_without_input_settings_the_target_gets_the_event_with_an_iso_time() -> None:
    delivered = target_input({}, EVENT, "rule")
    assert delivered["time"] == "2023-11-14T22:13:20Z"
    assert "ingestion-time" not in delivered


def test_constant_input_and_input_path() -> None:
    assert target_input({"Input": '{"a": 1}'}, EVENT, "rule") == {"a": 1}
    assert target_input({"InputPath": "$.detail.jobName"}, EVENT, "rule") == "job-1"
