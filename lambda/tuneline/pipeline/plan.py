"""Plan step: execution input + profile + companion files -> the job plan the state machine follows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuneline.errors import UnknownProfile
from tuneline.jobs.keys import classify_key, match_companions, match_evaluation_set
from tuneline.jobs.manifest import parse_manifest
from tuneline.jobs.planning import ObjectRef, plan_job
from tuneline.profiles import Profile

# A manifest is a few hundred bytes; anything much larger is not a manifest.
MAX_MANIFEST_BYTES = 64 * 1024


def plan_execution(execution_input: Mapping[str, Any], *, profiles: Mapping[str, Profile], s3: Any) -> dict[str, Any]:
    bucket, key = execution_input["bucket"], execution_input["key"]
    incoming = classify_key(key, url_encoded=False)
    if incoming is None or incoming.kind != "training":
        raise UnknownProfile(f"s3://{bucket}/{key} is not a training file under incoming/<profile>/; nothing to do")
    profile = profiles.get(incoming.profile)
    if profile is None:
        raise UnknownProfile(
            f"s3://{bucket}/{key} was uploaded for profile {incoming.profile!r}, which is not configured. "
            f"Configured profiles: {', '.join(sorted(profiles))}. Upload it under incoming/<profile>/ of one of "
            "them, or add the profile to cdk.json and redeploy. Nothing was started."
        )

    siblings = _sibling_keys(s3, bucket, incoming.training_key)
    validation_key, manifest_key = match_companions(key, siblings)
    evaluation_key = match_evaluation_set(key, siblings) if profile.evaluation is not None else None
    manifest = None
    manifest_version: str | None = None
    if manifest_key:
        body, manifest_version = _read_small(s3, bucket, manifest_key)
        manifest = parse_manifest(body, file=f"s3://{bucket}/{manifest_key}")

    # plan_job applies the manifest (and re-checks its hyperparameters against the model's ranges).
    plan = plan_job(
        profile=profile,
        bucket=bucket,
        source=ObjectRef(bucket=bucket, key=key, version_id=execution_input.get("versionId")),
        validation=_current_version(s3, bucket, validation_key) if validation_key else None,
        manifest=manifest,
        evaluation_set=_current_version(s3, bucket, evaluation_key) if evaluation_key else None,
    )
    state = plan.to_state()
    # The optimized Bedrock integration takes tags in the API's PascalCase shape.
    state["jobTags"] = [{"Key": tag["key"], "Value": tag["value"]} for tag in state.get("tags", [])]
    # Which manifest version this job follows: a later one gets a "not used" alert (pipeline/late_companions.py).
    state["manifestSource"] = (
        {"bucket": bucket, "key": manifest_key, "versionId": manifest_version} if manifest_key else None
    )
    return state


def _sibling_keys(s3: Any, bucket: str, training_key: str) -> list[str]:
    """Keys that start like the training file's dataset name (its companions, if any)."""
    stem = training_key[: -len(".jsonl")] if training_key.lower().endswith(".jsonl") else training_key
    folder = stem.rsplit("/", 1)[0] + "/"
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder, Delimiter="/"):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def _current_version(s3: Any, bucket: str, key: str) -> ObjectRef:
    """Pin the companion to the version present now, so a later re-upload cannot change this job."""
    head = s3.head_object(Bucket=bucket, Key=key)
    return ObjectRef(bucket=bucket, key=key, version_id=head.get("VersionId"))


def _read_small(s3: Any, bucket: str, key: str) -> tuple[bytes, str | None]:
    """The start of a small object and the version it was read from."""
    response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_MANIFEST_BYTES}")
    return bytes(response["Body"].read()), response.get("VersionId")
