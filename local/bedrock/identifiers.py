"""Names, ARNs and request checks, using the patterns of the Bedrock API model (anchored)."""

from __future__ import annotations

import re
import secrets
import string

from local.bedrock.errors import ValidationException

JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
MODEL_NAME = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
CLIENT_REQUEST_TOKEN = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?$")
S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?$")
ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_resource_id() -> str:
    """The 12-character suffix Bedrock puts at the end of job, model and throughput ARNs."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def arn(region: str, account_id: str, resource: str) -> str:
    return f"arn:aws:bedrock:{region}:{account_id}:{resource}"


def foundation_model_id(identifier: str) -> str:
    """`amazon.nova-micro-v1:0:128k` from an ID or a foundation-model ARN."""
    marker = "foundation-model/"
    return identifier.split(marker, 1)[1] if marker in identifier else identifier


def require(value: object, field: str) -> None:
    if value is None or value == "":
        raise ValidationException(
            f"1 validation error detected: Value null at '{field}' failed to satisfy "
            "constraint: Member must not be null"
        )


def check_pattern(value: str | None, pattern: re.Pattern[str], field: str, max_length: int = 63) -> None:
    """Raises the ValidationException Bedrock returns for a value outside its constraint."""
    if value is None:
        return
    if len(value) > max_length:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_length}"
        )
    if not pattern.match(value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/key` -> (`bucket`, `some/key`)."""
    without_scheme = uri[len("s3://") :]
    bucket, _, key = without_scheme.partition("/")
    return bucket, key
