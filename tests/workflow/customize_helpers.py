"""The customize pipeline as a user and an operator see it in the emulator: uploads, executions, jobs, alerts.

`Pipeline` wraps one deployed Tuneline stack. Everything it reads goes through the AWS APIs (S3, Step
Functions, Bedrock, SQS, EventBridge) except `request_seen_by_bedrock`, which asks the Bedrock simulation
for the exact CreateModelCustomizationJob request it received.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import app as tuneline_app
from local.emulator import Emulator
from tuneline.profiles import Profile, parse_profiles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WAIT_SECONDS = 60.0
ALERT_WAIT_SECONDS = 10.0
PROBE_QUEUE_NAME = "customize-tests-intake-probe"


def tuneline_context(extra_profiles: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """cdk.json's context with `extra_profiles` added beside the shipped ones."""
    context = copy.deepcopy(tuneline_app.cdk_json_context())
    context["tuneline"]["profiles"].update(copy.deepcopy(dict(extra_profiles)))
    return context


def synthesize(outdir: Path, context: dict[str, Any]) -> Path:
    """The real app, synthesized with `context` (cdk-nag included)."""
    tuneline_app.build_app(context=context, outdir=str(outdir)).synth()
    return outdir


def profiles_of(context: Mapping[str, Any]) -> dict[str, Profile]:
    """The profiles the deployed functions run with, parsed by the product's own code."""
    return parse_profiles(context["tuneline"]["profiles"])


def example(relative_path: str) -> bytes:
    return (EXAMPLES / relative_path).read_bytes()


def words(text: str) -> str:
    """Alerts are wrapped for e-mail; compare their text with the line breaks folded away."""
    return " ".join(str(text).split())


@dataclass
class Pipeline:
    emulator: Emulator
    outputs: dict[str, str]
    _probe_url: str | None = field(default=None, repr=False)

    # --- acting as a user -----------------------------------------------------------------------------

    @property
    def bucket(self) -> str:
        return self.outputs["DataBucketName"]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["CustomizeStateMachineArn"]

    def upload(self, key: str, body: bytes) -> str:
        """PutObject as a user would; returns the new version id."""
        response = self.emulator.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        return str(response["VersionId"])

    # --- executions -----------------------------------------------------------------------------------

    def finished_executions(self, count: int) -> list[dict[str, Any]]:
        """At least `count` executions, all finished, oldest first."""
        executions = self.emulator.wait_for_executions(self.state_machine_arn, count, timeout=WAIT_SECONDS)
        return sorted(executions, key=lambda execution: execution["startDate"])

    def wait_for_started_executions(self, count: int) -> list[dict[str, Any]]:
        """At least `count` executions exist (running or finished)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(executions := self.emulator.executions(self.state_machine_arn)) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(executions)} executions after {WAIT_SECONDS}s, expected {count}")
            time.sleep(0.05)
        return executions

    def only_execution(self) -> dict[str, Any]:
        (execution,) = self.finished_executions(1)
        return execution

    def states_entered(self, execution: Mapping[str, Any]) -> list[str]:
        return self.emulator.states_entered(execution["executionArn"])

    def state_input(self, execution: Mapping[str, Any], state_name: str) -> dict[str, Any]:
        """The input of the first entry into `state_name` (the workflow state at that point)."""
        for event in self.emulator.execution_history(execution["executionArn"]):
            for key, details in event.items():
                if key.lower().endswith("stateenteredeventdetails") and details["name"] == state_name:
                    return dict(json.loads(details["input"]))
        raise AssertionError(f"{execution['name']} never entered {state_name!r}")

    # --- Bedrock ---------------------------------------------------------------------------------------

    def jobs(self) -> list[dict[str, Any]]:
        """Every customization job, described by GetModelCustomizationJob, oldest first."""
        bedrock = self.emulator.client("bedrock")
        summaries = bedrock.list_model_customization_jobs(sortOrder="Ascending")["modelCustomizationJobSummaries"]
        return [bedrock.get_model_customization_job(jobIdentifier=job["jobArn"]) for job in summaries]

    def wait_for_jobs(self, count: int) -> list[dict[str, Any]]:
        """At least `count` customization jobs exist (in any status)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while len(jobs := self.jobs()) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(jobs)} customization jobs after {WAIT_SECONDS}s, expected {count}")
            time.sleep(0.05)
        return jobs

    def only_job(self) -> dict[str, Any]:
        (job,) = self.jobs()
        return job

    def request_seen_by_bedrock(self, job_arn: str) -> dict[str, Any]:
        """The CreateModelCustomizationJob request (API field names) the Bedrock simulation received."""
        return dict(self.emulator.bedrock.jobs.get(job_arn).request)

    # --- S3 ---------------------------------------------------------------------------------------------

    def object_keys(self, prefix: str = "") -> list[str]:
        s3 = self.emulator.client("s3")
        keys: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def read(self, key: str) -> bytes:
        return bytes(self.emulator.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def object_versions(self, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
        """Every version and delete marker under `prefix`: (key, version id) -> what identifies its content."""
        s3 = self.emulator.client("s3")
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                found[(version["Key"], version["VersionId"])] = {
                    "etag": version["ETag"],
                    "size": version["Size"],
                    "latest": version["IsLatest"],
                }
            for marker in page.get("DeleteMarkers", []):
                found[(marker["Key"], marker["VersionId"])] = {"deleteMarker": True, "latest": marker["IsLatest"]}
        return found

    # --- alerts -----------------------------------------------------------------------------------------

    def alerts(self) -> list[dict[str, Any]]:
        return self.emulator.read_alerts(topic_arn=self.outputs["AlertTopicArn"], timeout=0)

    def alert(self, subject_part: str) -> dict[str, Any]:
        """The one alert whose subject contains `subject_part` (waiting for it to arrive)."""
        deadline = time.monotonic() + ALERT_WAIT_SECONDS
        while True:
            matching = [alert for alert in self.alerts() if subject_part in str(alert.get("subject"))]
            if matching or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        subjects = [alert.get("subject") for alert in self.alerts()]
        assert len(matching) == 1, f"{len(matching)} alerts with {subject_part!r} in the subject among {subjects}"
        return matching[0]

    # --- the intake path --------------------------------------------------------------------------------

    def intake_queue_url(self) -> str:
        """The queue the intake function reads, found through the deployed wiring (function -> event source)."""
        lambda_ = self.emulator.client("lambda")
        for page in lambda_.get_paginator("list_functions").paginate():
            for function in page["Functions"]:
                variables = (function.get("Environment") or {}).get("Variables") or {}
                if variables.get("STATE_MACHINE_ARN") != self.state_machine_arn:
                    continue
                mappings = lambda_.list_event_source_mappings(FunctionName=function["FunctionName"])
                (mapping,) = mappings["EventSourceMappings"]
                queue_name = mapping["EventSourceArn"].rsplit(":", 1)[1]
                return str(self.emulator.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"])
        raise AssertionError("no function starts the customize workflow")

    def intake_event_patterns(self) -> list[dict[str, Any]]:
        """The deployed EventBridge patterns that route S3 events to the intake queue (training files, and
        uploads in another format that the intake explains)."""
        sqs, events = self.emulator.client("sqs"), self.emulator.client("events")
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.intake_queue_url(), AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        rule_names = events.list_rule_names_by_target(TargetArn=queue_arn)["RuleNames"]
        assert rule_names, "no rule sends events to the intake queue"
        return [dict(json.loads(events.describe_rule(Name=name)["EventPattern"])) for name in rule_names]

    def start_intake_probe(self) -> None:
        """Rules with the intake rules' own patterns, into a queue the test reads: every event the pipeline's
        intake is sent, and nothing else, lands there too."""
        sqs, events = self.emulator.client("sqs"), self.emulator.client("events")
        self._probe_url = sqs.create_queue(QueueName=PROBE_QUEUE_NAME)["QueueUrl"]
        probe_arn = sqs.get_queue_attributes(QueueUrl=self._probe_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for number, pattern in enumerate(self.intake_event_patterns()):
            name = f"{PROBE_QUEUE_NAME}-{number}"
            events.put_rule(Name=name, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=name, Targets=[{"Id": "probe", "Arn": probe_arn}])

    def probed_events(self) -> list[dict[str, Any]]:
        """The events the intake rules matched since `start_intake_probe`, as EventBridge delivered them."""
        assert self._probe_url is not None, "start_intake_probe() first"
        sqs = self.emulator.client("sqs")
        bodies: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=self._probe_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._probe_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def wait_until_intake_is_idle(self) -> None:
        """Every message on the intake queue has been handled (received, processed and deleted)."""
        sqs, url = self.emulator.client("sqs"), self.intake_queue_url()
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            if all(int(attributes[name]) == 0 for name in names):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the intake queue still holds messages after {WAIT_SECONDS}s: {attributes}")
            time.sleep(0.05)


@contextmanager
def deployed_pipeline(cdk_out: Path) -> Iterator[Pipeline]:
    """A fresh emulator with the stack deployed, for fixtures wider than one test."""
    with Emulator() as emulator:
        yield Pipeline(emulator, emulator.deploy(cdk_out, tuneline_app.STACK_NAME))
