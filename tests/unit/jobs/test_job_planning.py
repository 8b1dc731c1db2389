"""Job plans: the exact state the workflow reads, from a profile, the dropped files and a manifest."""

from __future__ import annotations

import json

import pytest

from tuneline.errors import ManifestInvalid, PlanInvalid
from tuneline.jobs.manifest import apply_manifest, parse_manifest
from tuneline.jobs.naming import CUSTOM_MODEL_NAME_PATTERN, JOB_NAME_PATTERN, profile_of_job_name
from tuneline.jobs.planning import ObjectRef, plan_job
from tuneline.jobs.tags import MAX_TAG_VALUE_LENGTH, in_tag_charset

BUCKET = "tuneline-data-123456789012"
SOURCE = ObjectRef(BUCKET, "incoming/support/q4/chat.jsonl", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
VALIDATION = ObjectRef(BUCKET, "incoming/support/q4/chat.validation.jsonl", "v-val")
STATE_KEYS = {
    "jobName",
    "description",
    "customModelName",
    "clientRequestToken",
    "profile",
    "baseModelIdentifier",
    "customizationType",
    "hyperParameters",
    "teacherModelIdentifier",
    "maxResponseLengthForInference",
    "source",
    "validationSource",
    "stagedTrainingKey",
    "stagedValidationKey",
    "trainingDataUri",
    "validationDataUri",
    "outputDataUri",
    "reportPrefix",
    "budgetUsd",
    "concurrency",
    "validationSplit",
    "autoFix",
    "mediaPrefix",
    "pricePer1kTokensUsd",
    "serving",
    "evaluation",
    "tags",
    "hasValidation",
    "isDistillation",
}


def _manifest(body: dict):
    return parse_manifest(json.dumps(body).encode(), file="chat.job.json")


def _state(profile, *, source=SOURCE, validation=None, manifest=None) -> dict:
    return plan_job(profile=profile, bucket=BUCKET, source=source, validation=validation, manifest=manifest).to_state()


def test_state_has_exactly_the_keys_the_workflow_reads(make_profile) -> None:
    state = _state(make_profile())

    assert set(state) == STATE_KEYS
    json.dumps(state)  # the state machine passes it on as JSON


def test_a_plain_fine_tuning_plan(make_profile) -> None:
    profile = make_profile(hyperParameters={"epochCount": 3}, budgetUsd=40, concurrency=2)

    state = _state(profile)

    job = state["jobName"]
    assert JOB_NAME_PATTERN.fullmatch(job) and profile_of_job_name(job) == "support"
    assert CUSTOM_MODEL_NAME_PATTERN.fullmatch(state["customModelName"])
    assert state["profile"] == "support"
    assert state["baseModelIdentifier"] == "amazon.nova-micro-v1:0:128k"
    assert state["customizationType"] == "FINE_TUNING"
    assert state["hyperParameters"] == {"epochCount": "3"}
    assert state["teacherModelIdentifier"] is None
    assert state["maxResponseLengthForInference"] is None
    assert state["source"] == {"bucket": BUCKET, "key": SOURCE.key, "versionId": SOURCE.version_id}
    assert state["validationSource"] is None
    assert state["stagedTrainingKey"] == f"staged/{job}/train.jsonl"
    assert state["stagedValidationKey"] is None
    assert state["trainingDataUri"] == f"s3://{BUCKET}/staged/{job}/train.jsonl"
    assert state["validationDataUri"] is None
    assert state["outputDataUri"] == f"s3://{BUCKET}/output/{job}/"
    assert state["reportPrefix"] == f"reports/{job}/"
    assert state["budgetUsd"] == 40.0
    assert state["concurrency"] == 2
    assert state["validationSplit"] == 0.0
    assert state["autoFix"] is True
    assert state["pricePer1kTokensUsd"] is None
    assert state["serving"] == {
        "mode": "none",
        "modelUnits": 1,
        "commitment": "none",
        "ttlHours": 8,
        "keepOnSmokeFailure": False,
        "includeSmokeTextInAlerts": False,
    }
    assert state["hasValidation"] is False
    assert state["isDistillation"] is False


def test_the_pipeline_writes_only_under_its_own_prefixes(make_profile) -> None:
    state = _state(make_profile(validationSplit=0.1))

    written = [state["stagedTrainingKey"], state["stagedValidationKey"], state["reportPrefix"]]
    written += [uri.removeprefix(f"s3://{BUCKET}/") for uri in (state["outputDataUri"], state["trainingDataUri"])]
    assert all(key.startswith(("staged/", "output/", "reports/")) for key in written)


def test_a_validation_file_is_staged_and_wins_over_the_split(make_profile) -> None:
    state = _state(make_profile(validationSplit=0.2), validation=VALIDATION)

    assert state["validationSource"] == {"bucket": BUCKET, "key": VALIDATION.key, "versionId": "v-val"}
    assert state["stagedValidationKey"] == f"staged/{state['jobName']}/validation.jsonl"
    assert state["validationDataUri"] == f"s3://{BUCKET}/{state['stagedValidationKey']}"
    assert state["validationSplit"] == 0.0
    assert state["hasValidation"] is True


def test_a_split_alone_plans_a_validation_set(make_profile) -> None:
    state = _state(make_profile(validationSplit=0.1))

    assert state["validationSplit"] == 0.1
    assert state["stagedValidationKey"] == f"staged/{state['jobName']}/validation.jsonl"
    assert state["hasValidation"] is True


def test_a_validation_file_for_a_model_that_takes_none_is_refused(no_validation_profile) -> None:
    validation = ObjectRef(BUCKET, "incoming/lite/chat.validation.jsonl", "v")

    with pytest.raises(PlanInvalid) as caught:
        _state(no_validation_profile, source=ObjectRef(BUCKET, "incoming/lite/chat.jsonl", "v"), validation=validation)

    message = str(caught.value)
    assert "chat.validation.jsonl" in message
    assert "Amazon Nova 2 Lite accepts no validation data" in message


def test_manifest_options_reach_the_plan(make_profile) -> None:
    manifest = _manifest(
        {
            "hyperParameters": {"learningRate": 0.00002},
            "validationSplit": 0.15,
            "budgetUsd": 10,
            "customModelName": "support-bot-v2",
            "tags": {"team": "search"},
            "description": "Support bot (March)",
        }
    )

    state = _state(make_profile(hyperParameters={"epochCount": 2}, budgetUsd=50), manifest=manifest)

    assert state["hyperParameters"] == {"epochCount": "2", "learningRate": "2e-05"}
    assert state["validationSplit"] == 0.15
    assert state["budgetUsd"] == 10.0
    assert state["customModelName"] == "support-bot-v2"
    assert {"key": "team", "value": "search"} in state["tags"]
    assert {"key": "tuneline:description", "value": "Support bot _March_"} in state["tags"]


def test_plan_job_checks_the_manifest_against_the_model(make_profile) -> None:
    with pytest.raises(ManifestInvalid, match="epochCount"):
        _state(make_profile(), manifest=_manifest({"hyperParameters": {"epochCount": 99}}))


def test_pipeline_markers_are_valid_tags_even_for_odd_keys(make_profile) -> None:
    odd = ObjectRef(BUCKET, "incoming/support/" + "é (copy) #" * 40 + ".jsonl", None)

    state = _state(make_profile(), source=odd)

    tags = {tag["key"]: tag["value"] for tag in state["tags"]}
    assert tags["tuneline:profile"] == "support"
    source_tag = tags["tuneline:source"]
    assert len(source_tag) <= MAX_TAG_VALUE_LENGTH
    assert in_tag_charset(source_tag)
    assert source_tag.startswith(f"{BUCKET}/incoming/support/")
    assert source_tag.endswith(".jsonl")


def test_distillation_plans_carry_the_teacher(make_profile) -> None:
    profile = make_profile(
        baseModel="amazon.nova-micro-v1:0:128k",
        customizationType="DISTILLATION",
        teacherModel="amazon.nova-pro-v1:0",
        maxResponseLengthForInference=2000,
    )

    state = _state(profile)

    assert state["isDistillation"] is True
    assert state["customizationType"] == "DISTILLATION"
    assert state["teacherModelIdentifier"] == "amazon.nova-pro-v1:0"
    assert state["maxResponseLengthForInference"] == 2000


def test_serving_and_price_settings_are_passed_through(make_profile) -> None:
    profile = make_profile(
        baseModel="amazon.nova-lite-v1:0:300k",
        pricePer1kTokensUsd=0.002,
        autoFix=False,
        serving={"mode": "provisioned", "modelUnits": 2, "ttlHours": 4, "keepOnSmokeFailure": True},
        includeSmokeTextInAlerts=True,
        mediaPrefix="team/media/",
    )

    state = _state(profile)

    assert state["pricePer1kTokensUsd"] == 0.002
    assert state["autoFix"] is False
    assert state["serving"] == {
        "mode": "provisioned",
        "modelUnits": 2,
        "commitment": "none",
        "ttlHours": 4,
        "keepOnSmokeFailure": True,
        "includeSmokeTextInAlerts": True,
    }
    assert state["mediaPrefix"] == "team/media/"


def test_each_object_version_gets_its_own_job(make_profile) -> None:
    first = _state(make_profile(), source=ObjectRef(BUCKET, SOURCE.key, "v1"))
    again = _state(make_profile(), source=ObjectRef(BUCKET, SOURCE.key, "v1"))
    second = _state(make_profile(), source=ObjectRef(BUCKET, SOURCE.key, "v2"))

    assert first == again
    assert first["jobName"] != second["jobName"]
    assert first["clientRequestToken"] != second["clientRequestToken"]


@pytest.mark.parametrize(
    "key", ["incoming/support/chat.validation.jsonl", "incoming/support/chat.job.json", "other/chat.jsonl"]
)
def test_only_a_training_file_can_be_planned(make_profile, key: str) -> None:
    with pytest.raises(PlanInvalid, match="not a training file"):
        _state(make_profile(), source=ObjectRef(BUCKET, key, "v"))


def test_object_ref_round_trips_through_the_state() -> None:
    assert ObjectRef.from_dict(SOURCE.to_dict()) == SOURCE


def test_planning_with_an_already_applied_manifest_gives_the_same_plan(make_profile) -> None:
    # The plan step may apply the manifest to the profile itself before planning: applying twice is harmless.
    profile = make_profile(budgetUsd=50, hyperParameters={"epochCount": 2})
    manifest = _manifest({"budgetUsd": 10, "hyperParameters": {"epochCount": 4}, "validationSplit": 0.2})

    once = _state(profile, manifest=manifest)
    twice = _state(apply_manifest(profile, manifest), manifest=manifest)

    assert once == twice
    assert once["budgetUsd"] == 10.0 and once["hyperParameters"] == {"epochCount": "4"}
