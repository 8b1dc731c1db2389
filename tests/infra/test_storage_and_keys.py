"""Data at rest: encryption, TLS only, no public access, versioning, access logs, key rotation."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from tests.infra.synth import resources_of_type


def _data_bucket(template_json: dict[str, Any]) -> dict[str, Any]:
    buckets = resources_of_type(template_json, "AWS::S3::Bucket")
    kms_buckets = [
        b
        for b in buckets.values()
        if b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    ]
    assert len(kms_buckets) == 1, "exactly one KMS-encrypted data bucket"
    return kms_buckets[0]["Properties"]


def test_kms_key_rotates(template: Template) -> None:
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_data_bucket_is_kms_encrypted_with_the_stack_key(template_json: dict[str, Any]) -> None:
    rule = _data_bucket(template_json)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert "Fn::GetAtt" in rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert rule["BucketKeyEnabled"] is True


def test_every_bucket_blocks_public_access_and_is_versioned(template_json: dict[str, Any]) -> None:
    for bucket in resources_of_type(template_json, "AWS::S3::Bucket").values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_every_bucket_denies_plain_http(template_json: dict[str, Any]) -> None:
    buckets = resources_of_type(template_json, "AWS::S3::Bucket")
    policies = resources_of_type(template_json, "AWS::S3::BucketPolicy").values()
    covered = set()
    for policy in policies:
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
                assert statement["Effect"] == "Deny"
                covered.add(policy["Properties"]["Bucket"]["Ref"])
    assert covered == set(buckets)


def test_data_bucket_logs_access_and_sends_events_to_eventbridge(template_json: dict[str, Any]) -> None:
    props = _data_bucket(template_json)
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "data-bucket/"
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}


def test_no_custom_resource_is_needed_for_bucket_notifications(template_json: dict[str, Any]) -> None:
    assert not [r for r in template_json["Resources"].values() if r["Type"].startswith("Custom::")]


def test_staged_copies_expire(template_json: dict[str, Any]) -> None:
    rules = _data_bucket(template_json)["LifecycleConfiguration"]["Rules"]
    staged = [r for r in rules if r.get("Prefix") == "staged/"]
    assert staged and staged[0]["ExpirationInDays"] > 0 and staged[0]["Status"] == "Enabled"


def test_alert_topic_is_encrypted_and_has_email_subscriptions(template: Template) -> None:
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email"})


def test_queues_are_encrypted(template_json: dict[str, Any]) -> None:
    queues = resources_of_type(template_json, "AWS::SQS::Queue").values()
    assert queues
    assert all(q["Properties"].get("SqsManagedSseEnabled") or q["Properties"].get("KmsMasterKeyId") for q in queues)
