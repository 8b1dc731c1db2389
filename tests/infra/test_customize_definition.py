"""The rendered customize state machine: .sync, Retry and Catch everywhere, bounded waits, the right branches."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from tests.infra.synth import resources_of_type

SYNC = "bedrock:createModelCustomizationJob.sync"


def _tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def _create_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _tasks(definition).items() if s["Resource"].endswith(SYNC)}


def test_create_job_waits_for_completion_with_sync(customize_definition: dict[str, Any]) -> None:
    creates = _create_states(customize_definition)
    # Fine-tuning, with validation data, distillation, and one RFT state per RFT profile.
    assert len(creates) == 5
    assert all(s["Resource"].endswith("states:::bedrock:createModelCustomizationJob.sync") for s in creates.values())


def test_every_task_retries_and_catches(customize_definition: dict[str, Any]) -> None:
    for name, state in _tasks(customize_definition).items():
        assert state.get("Retry"), f"{name} has no Retry"
        assert state.get("Catch"), f"{name} has no Catch"


def test_catches_lead_to_a_failure_alert_then_fail(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    # Serving purchases catch the quota error first on purpose, and whatever fails after a purchase releases it
    # before alerting; the last catch-all always leads to an alert. The starting and completed alerts go on
    # instead (docs/decisions/0014-alerts-never-decide-a-job.md; tests/infra/test_retry_and_catch.py);
    # after the evaluation's purchase the same goes for Release evaluation serving. A failing judge is recorded
    # and reported in the completed alert instead (docs/decisions/0011-evaluation-stage.md).
    alerting = {"Notify failure", "Release serving", "Release evaluation serving"}
    for name, state in _tasks(customize_definition).items():
        if (
            name in alerting
            or name.startswith("Notify serving")
            or name in ("Notify job starting", "Notify job completed")
        ):
            continue
        last = state["Catch"][-1]
        assert last["ErrorEquals"] == ["States.ALL"], name
        expected = {"Record judge failure"} if "judge" in name else alerting
        assert last["Next"] in expected, name
    assert states["Record judge failure"]["Next"] == "Did the custom model beat the base?"
    assert states[states["Notify failure"]["Next"]]["Type"] == "Fail"


def test_create_job_retries_transient_errors_and_waits_out_quota(customize_definition: dict[str, Any]) -> None:
    for state in _create_states(customize_definition).values():
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert {"Bedrock.ThrottlingException", "Bedrock.InternalServerException"} <= retried
        quota = [r for r in state["Retry"] if "Bedrock.ServiceQuotaExceededException" in r["ErrorEquals"]]
        assert quota and quota[0]["IntervalSeconds"] >= 300
        assert quota[0]["MaxDelaySeconds"] <= 3600 and quota[0]["MaxAttempts"] < 100


def test_machine_has_an_overall_timeout(customize_definition: dict[str, Any]) -> None:
    assert 3600 <= customize_definition["TimeoutSeconds"] <= 14 * 24 * 3600


def test_job_request_carries_token_key_vpc_and_role(customize_definition: dict[str, Any]) -> None:
    for state in _create_states(customize_definition).values():
        params = state["Parameters"]
        assert params["ClientRequestToken.$"] == "$.plan.clientRequestToken"
        assert params["CustomModelKmsKeyId"]
        assert params["VpcConfig"]["SubnetIds"] and params["VpcConfig"]["SecurityGroupIds"]
        assert params["RoleArn"]
        assert params["TrainingDataConfig"] == {"S3Uri.$": "$.plan.trainingDataUri"}


def test_only_distillation_and_rft_send_customization_config(customize_definition: dict[str, Any]) -> None:
    creates = _create_states(customize_definition)
    with_config = sorted(n for n, s in creates.items() if "CustomizationConfig" in s["Parameters"])
    assert with_config == ["Create RFT job for math-rft", "Create RFT job for rft-own", "Create distillation job"]
    teacher = creates["Create distillation job"]["Parameters"]["CustomizationConfig"]["DistillationConfig"]
    assert teacher["TeacherModelConfig"]["TeacherModelIdentifier.$"] == "$.plan.teacherModelIdentifier"


def test_validation_data_only_in_its_branch(customize_definition: dict[str, Any]) -> None:
    creates = _create_states(customize_definition)
    with_validation = [n for n, s in creates.items() if "ValidationDataConfig" in s["Parameters"]]
    assert with_validation == ["Create customization job with validation data"]


def test_happy_path_order(customize_definition: dict[str, Any]) -> None:
    states = customize_definition["States"]
    path, name = [], customize_definition["StartAt"]
    while name:
        path.append(name)
        state = states[name]
        name = state["Default"] if state["Type"] == "Choice" else state.get("Next")
    assert path == [
        "Plan job",
        "Validate dataset",
        "Reinforcement fine-tuning?",
        "Join the queue",
        "Check budget and capacity",
        "Is a job slot free?",
        "Check the base model first?",
        "Notify job starting",
        "Choose job request",
        "Create customization job",
        "Summarize metrics",
        "Evaluate the model?",
        "Serve the model?",
        "Serving not requested",
        "Serving finished",
        "Notify job completed",
        "Done",
    ]


def test_state_machine_logs_and_traces(template: Template, template_json: dict[str, Any]) -> None:
    for machine in resources_of_type(template_json, "AWS::StepFunctions::StateMachine").values():
        assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
        assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"
        assert machine["Properties"]["StateMachineType"] == "STANDARD"


def test_capacity_check_knows_its_place_in_the_profiles_queue(customize_definition: dict[str, Any]) -> None:
    guard = customize_definition["States"]["Check budget and capacity"]
    assert guard["Parameters"]["execution"] == {
        "id.$": "$$.Execution.Id",
        "stateMachine.$": "$$.StateMachine.Id",
    }


def test_a_full_profile_waits_in_a_loop_on_a_deadline_not_in_jittered_retries(
    customize_definition: dict[str, Any],
) -> None:
    states = customize_definition["States"]
    guard = states["Check budget and capacity"]
    # The deadline's start is fixed once, when the run joins the line; every check is told the time.
    assert states["Join the queue"]["Parameters"] == {"since.$": "$$.State.EnteredTime"}
    queue = guard["Parameters"]["queue"]
    assert queue["since.$"] == "$.queue.since" and queue["now.$"] == "$$.State.EnteredTime"
    assert queue["waitHours"] == 24  # quotaWaitHours, cdk.json
    assert not [r for r in guard["Retry"] if "ConcurrencyLimitReached" in r["ErrorEquals"]]
    # Not admitted -> wait for the time the check asked for -> check again: 3 transitions per check.
    choice = states["Is a job slot free?"]
    [waiting] = choice["Choices"]
    assert waiting == {"Variable": "$.guard.admitted", "BooleanEquals": False, "Next": "Wait for a job slot"}
    assert states["Wait for a job slot"]["SecondsPath"] == "$.guard.waitSeconds"
    assert states["Wait for a job slot"]["Next"] == "Check budget and capacity"
    # Admitted: on to the job (the shipped cdk.json has a profile with baselineFirst, so first the choice
    # whether to ask the base model; its way to training is Notify job starting).
    assert choice["Default"] == "Check the base model first?"
    assert states["Check the base model first?"]["Default"] == "Notify job starting"
