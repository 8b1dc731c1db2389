"""Who may write where in the data bucket, read from the synthesized bucket policy and IAM policies.

The Deny statements are evaluated (tests/infra/policy_eval.py) for requests a user, an uploader, the pipeline's
roles and Bedrock would make, since the emulator does not enforce bucket policies.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.policy_eval import as_list, denies
from tests.infra.synth import NAMED_UPLOADERS, UPLOADER_ROLE, render, resources_of_type
from tuneline.layout import MEDIA_PREFIX

BUCKET = "ATT_StorageDataBucketB1B922FA_Arn"
SOMEONE = "arn:aws:iam::111122223333:role/Admin"


def _one(template_json: dict[str, Any], resource_type: str, start: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = [
        (k, v) for k, v in resources_of_type(template_json, resource_type).items() if k.startswith(start)
    ]
    return logical_id, resource


def _role(template_json: dict[str, Any], start: str) -> str:
    logical_id, _ = _one(template_json, "AWS::IAM::Role", start)
    return f"ATT_{logical_id}_Arn"


@pytest.fixture(scope="module")
def bucket_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    _, policy = _one(template_json, "AWS::S3::BucketPolicy", "StorageDataBucketPolicy")
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


@pytest.fixture(scope="module")
def roles(template_json: dict[str, Any]) -> dict[str, str]:
    return {
        name: _role(template_json, start)
        for name, start in {
            "validate": "FunctionsValidateServiceRole",
            "summarize": "FunctionsSummarizeServiceRole",
            "import_check": "FunctionsImportCheckServiceRole",
            "smoke": "FunctionsServeSmokeTestServiceRole",
            "intake": "FunctionsIntakeServiceRole",
            "guard": "FunctionsGuardServiceRole",
            "bedrock": "BedrockJobRole",
        }.items()
    }


def _refused(statements: list[dict[str, Any]], principal: str, action: str, key: str, **headers: str) -> list[str]:
    context = {"aws:PrincipalArn": principal, "aws:SecureTransport": "true", **headers}
    return denies(statements, action=action, resource=f"{BUCKET}/{key}", context=context)


@pytest.mark.parametrize(
    ("prefix", "owners", "others"),
    [
        ("staged/", ["validate"], ["summarize", "guard", "bedrock", "intake"]),
        ("reports/", ["validate", "summarize", "import_check", "smoke"], ["bedrock", "intake", "guard"]),
        ("output/", ["bedrock"], ["validate", "summarize", "intake"]),
    ],
)
def test_pipeline_owned_prefixes_are_written_only_by_their_owners(
    bucket_statements: list[dict[str, Any]], roles: dict[str, str], prefix: str, owners: list[str], others: list[str]
) -> None:
    key = f"{prefix}tuneline-job/train.jsonl"
    for owner in owners:
        assert _refused(bucket_statements, roles[owner], "s3:PutObject", key) == [], owner
    for other in [*(roles[o] for o in others), SOMEONE]:
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
            assert _refused(bucket_statements, other, action, key), (other, action)


def test_uploads_and_media_are_not_pipeline_owned(bucket_statements: list[dict[str, Any]]) -> None:
    for key in ("incoming/support-bot/train.jsonl", f"{MEDIA_PREFIX}cat.png", "imports/llama/_READY"):
        assert _refused(bucket_statements, SOMEONE, "s3:PutObject", key) == []


def test_only_the_data_key_encrypts_objects(bucket_statements: list[dict[str, Any]], roles: dict[str, str]) -> None:
    key_arn = "ATT_StorageDataKeyE15BA43B_Arn"
    upload = "incoming/support-bot/train.jsonl"
    sse = "s3:x-amz-server-side-encryption"
    key_id = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", upload, **{sse: "AES256"}) == ["DenyOtherEncryption"]
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", upload, **{sse: "aws:kms:dsse"})
    other_key = "arn:aws:kms:us-east-1:111122223333:key/other"
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", upload, **{sse: "aws:kms", key_id: other_key}) == [
        "DenyOtherKmsKeys"
    ]
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", upload, **{sse: "aws:kms", key_id: key_arn}) == []
    # No encryption headers: the bucket default (the data key) applies. This is how the pipeline and Bedrock write.
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", upload) == []
    assert _refused(bucket_statements, roles["bedrock"], "s3:PutObject", "output/tuneline-job/step_metrics.csv") == []


def test_a_profiles_named_uploaders_alone_write_its_prefix(bucket_statements: list[dict[str, Any]]) -> None:
    key = f"incoming/{NAMED_UPLOADERS}/train.jsonl"
    assert _refused(bucket_statements, UPLOADER_ROLE, "s3:PutObject", key) == []
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", key)
    # A companion file planted by someone else is refused the same way.
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", f"incoming/{NAMED_UPLOADERS}/train.job.json")
    # Profiles without uploaderPrincipals are left to IAM.
    assert _refused(bucket_statements, SOMEONE, "s3:PutObject", "incoming/support-bot/train.jsonl") == []


def test_each_profile_has_an_upload_policy_whose_arn_is_an_output(template_json: dict[str, Any]) -> None:
    profiles = [
        "support-bot",
        "llama-instruct",
        "titan-domain",
        "nova-distill",
        "serve-pt",
        "serve-od",
        NAMED_UPLOADERS,
    ]
    outputs = template_json["Outputs"]
    policies = resources_of_type(template_json, "AWS::IAM::ManagedPolicy")
    for profile in profiles:
        pascal = "".join(part.capitalize() for part in profile.split("-"))
        [output] = [o for k, o in outputs.items() if k == f"UploadPolicyArn{pascal}"]
        policy = policies[output["Value"]["Ref"]]
        statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
        assert sorted(as_list(statements["Upload"]["Action"])) == ["s3:AbortMultipartUpload", "s3:PutObject"]
        assert sorted(render(r) for r in as_list(statements["Upload"]["Resource"])) == sorted(
            [f"{BUCKET}/incoming/{profile}/*", f"{BUCKET}/{MEDIA_PREFIX}*"]
        )
        kms = statements["EncryptWithDataKeyThroughS3"]
        assert render(kms["Condition"]["StringEquals"]["kms:ViaService"]) == "s3.REF_AWS::Region.amazonaws.com"
    imports = policies[outputs["ImportUploadPolicyArn"]["Value"]["Ref"]]
    [upload, _] = imports["Properties"]["PolicyDocument"]["Statement"]
    assert [render(r) for r in as_list(upload["Resource"])] == [f"{BUCKET}/imports/*"]


def test_validate_copies_media_only_from_the_media_prefix(template_json: dict[str, Any]) -> None:
    statements = [
        s
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "CopyDatasetMedia"
    ]
    assert [render(r) for s in statements for r in as_list(s["Resource"])] == [f"{BUCKET}/{MEDIA_PREFIX}*"]


def test_every_list_bucket_names_the_prefixes_it_may_list(template_json: dict[str, Any]) -> None:
    lists = [
        s
        for policy in resources_of_type(template_json, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "s3:ListBucket" in as_list(s["Action"])
    ]
    assert len(lists) >= 4
    for statement in lists:
        prefixes = as_list(statement["Condition"]["StringLike"]["s3:prefix"])
        assert prefixes and all(p.endswith("/*") and p != "*" for p in prefixes), statement["Sid"]


def test_the_key_policy_conditions_its_service_principals(template_json: dict[str, Any]) -> None:
    _, key = _one(template_json, "AWS::KMS::Key", "StorageDataKey")
    services = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert [s["Principal"]["Service"] for s in services] == ["cloudwatch.amazonaws.com"]
    [alarms] = services
    assert alarms["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert render(alarms["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(":alarm:*")


def test_bedrock_roles_use_the_key_only_through_services_and_for_aws_resources(template_json: dict[str, Any]) -> None:
    bedrock_roles = [
        logical_id
        for logical_id, role in resources_of_type(template_json, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == "bedrock.amazonaws.com"
    ]
    # Customization jobs, model imports and the evaluation's judge jobs.
    assert sorted(r[:-8] for r in bedrock_roles) == [  # without the 8-character hash CDK appends
        "BedrockJobRole",
        "EvaluationJudgeRole",
        "ModelImportBedrockImportRole",
    ]
    kms_statements = dict.fromkeys(bedrock_roles, 0)
    for policy in resources_of_type(template_json, "AWS::IAM::Policy").values():
        roles = [r for r in bedrock_roles if {"Ref": r} in policy["Properties"]["Roles"]]
        if not roles:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = as_list(statement["Action"])
            if not any(a.startswith("kms:") for a in actions):
                continue
            for role in roles:
                kms_statements[role] += 1
            if "kms:CreateGrant" in actions:
                assert actions == ["kms:CreateGrant"]
                assert statement["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
            else:
                via = [render(v) for v in statement["Condition"]["StringEquals"]["kms:ViaService"]]
                assert via == ["s3.REF_AWS::Region.amazonaws.com", "bedrock.REF_AWS::Region.amazonaws.com"]
    assert set(kms_statements.values()) == {2}, kms_statements  # use the key, grant it to Bedrock


def test_the_scheduler_role_trusts_only_this_stacks_schedule_group(template_json: dict[str, Any]) -> None:
    _, group = _one(template_json, "AWS::Scheduler::ScheduleGroup", "ServingJanitorScheduleGroup")
    _, schedule = _one(template_json, "AWS::Scheduler::Schedule", "ServingJanitorSchedule")
    _, role = _one(template_json, "AWS::IAM::Role", "ServingJanitorScheduleRole")
    name = group["Properties"]["Name"]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert render(trust["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(f":schedule-group/{name}")
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert schedule["Properties"]["GroupName"] == name


def test_intake_queues_accept_messages_only_from_their_rules(template_json: dict[str, Any]) -> None:
    queue_policies = resources_of_type(template_json, "AWS::SQS::QueuePolicy")
    intake = [p for p in queue_policies.values() if "DeadLetter" not in p["Properties"]["Queues"][0]["Ref"]]
    assert len(intake) == 2
    for policy in intake:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        queue = f"ATT_{policy['Properties']['Queues'][0]['Ref']}_Arn"
        rules = [render(s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in statements if s["Effect"] == "Allow"]
        assert rules
        for rule in rules:
            context = {"aws:SourceArn": rule, "aws:SecureTransport": "true"}
            assert denies(statements, action="sqs:SendMessage", resource=queue, context=context) == []
        someone = {"aws:PrincipalArn": SOMEONE, "aws:SecureTransport": "true"}
        assert denies(statements, action="sqs:SendMessage", resource=queue, context=someone) == [
            "OnlyTheIntakeRulesSend"
        ]


def test_event_functions_park_failed_events_in_an_alarmed_dead_letter_queue(template_json: dict[str, Any]) -> None:
    functions = resources_of_type(template_json, "AWS::Lambda::Function")
    with_dlq = {k for k, f in functions.items() if "DeadLetterConfig" in f["Properties"]}
    assert {k.removeprefix("Functions")[:-8] for k in with_dlq} == {
        "BedrockEvents",
        "ExecutionEvents",
        "ServingJanitor",
    }
    [queue] = {functions[k]["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0] for k in with_dlq}
    alarms = [
        a
        for a in resources_of_type(template_json, "AWS::CloudWatch::Alarm").values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in a["Properties"].get("Dimensions", [])
    ]
    assert len(alarms) == 1
    assert alarms[0]["Properties"]["AlarmActions"] == [{"Ref": _one(template_json, "AWS::SNS::Topic", "Alerts")[0]}]


def test_interface_endpoints_admit_only_the_workload_group(template_json: dict[str, Any]) -> None:
    _, group = _one(template_json, "AWS::EC2::SecurityGroup", "NetworkEndpointSecurityGroup")
    ingress = group["Properties"].get("SecurityGroupIngress", [])
    assert not [rule for rule in ingress if "CidrIp" in rule]
    separate = [
        r
        for r in resources_of_type(template_json, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"]["Fn::GetAtt"][0].startswith("NetworkEndpointSecurityGroup")
    ]
    assert separate and all("SourceSecurityGroupId" in r["Properties"] for r in separate)


def test_the_s3_endpoint_reaches_only_the_data_bucket_with_every_action_the_stack_uses(
    template_json: dict[str, Any],
) -> None:
    [endpoint] = [
        e
        for e in resources_of_type(template_json, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Gateway"
    ]
    [statement] = endpoint["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(render(r) for r in as_list(statement["Resource"])) == [BUCKET, f"{BUCKET}/*"]
    granted = {
        a
        for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for policy in resources_of_type(template_json, resource_type).values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in as_list(s["Action"])
        if a.startswith("s3:") and any(render(r).startswith(BUCKET) for r in as_list(s["Resource"]))
    }
    assert granted <= set(as_list(statement["Action"]))


def test_the_log_bucket_expires_old_versions(template_json: dict[str, Any]) -> None:
    _, bucket = _one(template_json, "AWS::S3::Bucket", "StorageAccessLogBucket")
    [rule] = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0


def test_every_checkov_skip_carries_its_reason(template_json: dict[str, Any]) -> None:
    skips = [
        skip
        for resource in template_json["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    assert all(skip["id"].startswith("CKV_") and len(skip["comment"]) > 40 for skip in skips)
