"""The serving janitor in the emulator: the real template's schedule fired at chosen times.

Throughput and deployments are created directly through the simulated Bedrock API. Their expiry tags and the
times the schedule fires at are both relative to one reading of the emulator's clock (it runs fast while the
emulator is idle, so "now" is read once per test). The janitor must delete expired Tuneline serving, warn once
before expiry, report an ended commitment term, and leave alone what is not Tuneline's, has no expiry, or is
committed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import app as tuneline_app
from local.emulator import Emulator
from local.schedules import ScheduledRun, ScheduleError, scheduled_time

pytestmark = pytest.mark.workflow

JANITOR_SCHEDULE = "ServingJanitorSchedule"  # the start of the schedule's logical ID (CDK appends a hash)
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
TRAINING_DATA = b'{"prompt": "Where is my parcel?", "completion": "It ships tomorrow."}\n' * 20


@pytest.fixture(scope="module")
def tuneline_cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real app with the cdk.json settings, synthesized once for this module."""
    outdir = tmp_path_factory.mktemp("janitor-cdk-out")
    tuneline_app.build_app(outdir=str(outdir)).synth()
    return outdir


@pytest.fixture
def stack(emulator: Emulator, tuneline_cdk_out: Path) -> dict[str, str]:
    return emulator.deploy(tuneline_cdk_out, tuneline_app.STACK_NAME)


@dataclass
class Account:
    """The emulated account's Bedrock, with a trained custom model to serve."""

    emulator: Emulator
    bedrock: Any
    model_arn: str

    def throughput(self, name: str, tags: dict[str, str] | None = None, commitment: str | None = None) -> str:
        request: dict[str, Any] = {"modelUnits": 1, "provisionedModelName": name, "modelId": self.model_arn}
        if tags is not None:
            request["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
        if commitment:
            request["commitmentDuration"] = commitment
        return str(self.bedrock.create_provisioned_model_throughput(**request)["provisionedModelArn"])

    def deployment(self, name: str, tags: dict[str, str]) -> str:
        created = self.bedrock.create_custom_model_deployment(
            modelDeploymentName=name,
            modelArn=self.model_arn,
            tags=[{"key": key, "value": value} for key, value in tags.items()],
        )
        return str(created["customModelDeploymentArn"])

    def serving_names(self) -> set[str]:
        throughputs = self.bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"]
        deployments = self.bedrock.list_custom_model_deployments()["modelDeploymentSummaries"]
        return {t["provisionedModelName"] for t in throughputs} | {d["customModelDeploymentName"] for d in deployments}

    def tags(self, arn: str) -> dict[str, str]:
        return {tag["key"]: tag["value"] for tag in self.bedrock.list_tags_for_resource(resourceARN=arn)["tags"]}

    def ready(self) -> None:
        """Lets everything created so far finish creating (InService, Active)."""
        settings = self.emulator.bedrock.settings
        self.emulator.clock.advance(max(settings.throughput_duration_seconds, settings.deployment_duration_seconds))


@pytest.fixture
def account(emulator: Emulator, stack: dict[str, str]) -> Iterator[Account]:
    bedrock, bucket = emulator.client("bedrock"), stack["DataBucketName"]
    emulator.client("s3").put_object(Bucket=bucket, Key="staged/fixture/train.jsonl", Body=TRAINING_DATA)
    job_arn = bedrock.create_model_customization_job(
        jobName="fixture-model-job",  # outside Tuneline's job-name prefix: no job alerts
        customModelName="fixture-model",
        roleArn=stack["BedrockJobRoleArn"],
        baseModelIdentifier=NOVA_MICRO,
        trainingDataConfig={"s3Uri": f"s3://{bucket}/staged/fixture/train.jsonl"},
        outputDataConfig={"s3Uri": f"s3://{bucket}/output/fixture/"},
        hyperParameters={"epochCount": "1"},
    )["jobArn"]
    emulator.clock.advance(emulator.bedrock.job_duration_seconds)
    job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
    assert job["status"] == "Completed"
    yield Account(emulator, bedrock, str(job["outputModelArn"]))


def managed(expires_at: datetime | None = None, **extra: str) -> dict[str, str]:
    tags = {"tuneline:managed": "true", "tuneline:execution": "fixture-execution", **extra}
    if expires_at is not None:
        tags["tuneline:expires-at"] = scheduled_time(expires_at)
    return tags


def janitor_alerts(emulator: Emulator, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The janitor's alerts so far, waiting until there are `count` of them (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            a for a in emulator.read_alerts(timeout=0) if str(a["subject"]).startswith("Tuneline: serving janitor")
        ]
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


def outcomes_by_name(run: ScheduledRun) -> dict[str, tuple[str, str]]:
    assert not run.errored, run.payload
    return {outcome["name"]: (outcome["action"], outcome["detail"]) for outcome in run.payload["outcomes"]}


# --- the schedule -----------------------------------------------------------------------------------------------


def test_the_schedule_hands_the_janitor_its_scheduled_time(emulator: Emulator, stack: dict[str, str]) -> None:
    at = datetime.fromisoformat("2031-05-04T10:15:00+00:00")  # later than any clock: the run uses it

    run = emulator.run_schedule(JANITOR_SCHEDULE, at=at)

    assert run.schedule.expression.startswith("rate(") and run.schedule.target_arn.startswith("arn:aws:lambda:")
    assert run.input == '{"scheduledTime":"2031-05-04T10:15:00Z"}'
    assert not run.errored and run.payload["checkedAt"] == at.isoformat()
    assert run.payload["outcomes"] == [] and run.payload["messageId"] is None
    assert janitor_alerts(emulator, 0, timeout=0) == []  # nothing to do, nothing said


def test_an_unknown_schedule_name_lists_the_deployed_ones(emulator: Emulator, stack: dict[str, str]) -> None:
    with pytest.raises(ScheduleError, match=JANITOR_SCHEDULE):
        emulator.run_schedule("NoSuchSchedule")


# --- expiry -----------------------------------------------------------------------------------------------------


def test_the_janitor_deletes_expired_serving_warns_before_expiry_and_ignores_the_rest(
    emulator: Emulator, account: Account
) -> None:
    now = emulator.clock.now()
    account.throughput("expired-pt", managed(now - timedelta(minutes=1)))
    account.deployment("expired-od", managed(now - timedelta(hours=2)))
    expiring = account.throughput("expiring-pt", managed(now + timedelta(minutes=30)))
    account.throughput("later-pt", managed(now + timedelta(hours=5)))
    account.throughput("untagged-pt")
    account.throughput("someone-elses-pt", {"tuneline:expires-at": scheduled_time(now - timedelta(hours=1))})
    account.throughput("kept-by-hand-pt", managed())  # its expiry tag was removed to keep it
    account.throughput("committed-pt", managed(now - timedelta(hours=1)), commitment="OneMonth")
    account.ready()

    run = emulator.run_schedule(JANITOR_SCHEDULE, at=now)

    assert outcomes_by_name(run) == {
        "expired-pt": ("delete", "deleted"),
        "expired-od": ("delete", "deleted"),
        "expiring-pt": ("warn", "alerted"),
    }
    assert account.serving_names() == {
        "expiring-pt",
        "later-pt",
        "untagged-pt",
        "someone-elses-pt",
        "kept-by-hand-pt",
        "committed-pt",
    }
    # The warning is remembered on the resource, for the expiry it was sent for.
    assert account.tags(expiring)["tuneline:expiry-warned"] == account.tags(expiring)["tuneline:expires-at"]
    [report] = janitor_alerts(emulator, 1)
    assert report["subject"] == "Tuneline: serving janitor - 2 deleted, 1 expiring"
    message = report["message"]
    assert "expired-pt (Provisioned Throughput)" in message and "expired-od (on-demand deployment)" in message
    assert "expiring-pt (Provisioned Throughput)" in message and expiring in message
    for ignored in ("later-pt", "untagged-pt", "someone-elses-pt", "kept-by-hand-pt", "committed-pt"):
        assert ignored not in message


def test_a_warning_is_sent_once_and_the_serving_is_deleted_when_it_expires(
    emulator: Emulator, account: Account
) -> None:
    now = emulator.clock.now()
    expires_at = now + timedelta(minutes=45)
    account.throughput("expiring-pt", managed(expires_at))
    account.ready()

    first = emulator.run_schedule(JANITOR_SCHEDULE, at=now)
    again = emulator.run_schedule(JANITOR_SCHEDULE, at=now + timedelta(minutes=15))
    expired = emulator.run_schedule(JANITOR_SCHEDULE, at=expires_at + timedelta(minutes=1))

    assert outcomes_by_name(first) == {"expiring-pt": ("warn", "alerted")}
    assert outcomes_by_name(again) == {}
    assert outcomes_by_name(expired) == {"expiring-pt": ("delete", "deleted")}
    assert account.serving_names() == set()
    subjects = [alert["subject"] for alert in janitor_alerts(emulator, 2)]
    assert subjects == ["Tuneline: serving janitor - 1 expiring", "Tuneline: serving janitor - 1 deleted"]


def test_a_moved_expiry_gets_its_own_warning(emulator: Emulator, account: Account) -> None:
    now = emulator.clock.now()
    arn = account.throughput("extended-pt", managed(now + timedelta(minutes=20)))
    account.ready()
    emulator.run_schedule(JANITOR_SCHEDULE, at=now)

    later = now + timedelta(hours=3)
    account.bedrock.tag_resource(resourceARN=arn, tags=[{"key": "tuneline:expires-at", "value": scheduled_time(later)}])
    before_old_expiry = emulator.run_schedule(JANITOR_SCHEDULE, at=now + timedelta(minutes=30))
    before_new_expiry = emulator.run_schedule(JANITOR_SCHEDULE, at=later - timedelta(minutes=30))

    assert outcomes_by_name(before_old_expiry) == {}
    assert outcomes_by_name(before_new_expiry) == {"extended-pt": ("warn", "alerted")}
    assert account.serving_names() == {"extended-pt"}


# --- commitment -------------------------------------------------------------------------------------------------


def test_an_ended_commitment_term_is_reported_once_and_never_deleted(emulator: Emulator, account: Account) -> None:
    arn = account.throughput("committed-pt", managed(), commitment="OneMonth")
    account.ready()
    term_end = account.bedrock.get_provisioned_model_throughput(provisionedModelId=arn)["commitmentExpirationTime"]

    during_term = emulator.run_schedule(JANITOR_SCHEDULE, at=term_end - timedelta(days=1))
    after_term = emulator.run_schedule(JANITOR_SCHEDULE, at=term_end + timedelta(hours=1))
    next_run = emulator.run_schedule(JANITOR_SCHEDULE, at=term_end + timedelta(hours=2))

    assert outcomes_by_name(during_term) == {}
    assert outcomes_by_name(after_term) == {"committed-pt": ("term-ended", "alerted")}
    assert outcomes_by_name(next_run) == {}
    assert account.serving_names() == {"committed-pt"}
    assert account.tags(arn)["tuneline:term-end-alerted"] == scheduled_time(term_end)
    [report] = janitor_alerts(emulator, 1)
    assert report["subject"] == "Tuneline: serving janitor - 1 term(s) ended"
    assert "Tuneline never deletes these" in report["message"] and arn in report["message"]
