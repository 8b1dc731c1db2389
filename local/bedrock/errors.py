"""Bedrock API errors, named as in the botocore service model so boto3 raises its modeled exceptions."""

from __future__ import annotations


class BedrockError(Exception):
    """An error response: `code` is the botocore exception name, `status` the HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return type(self).__name__


class ValidationException(BedrockError):
    pass


class ConflictException(BedrockError):
    pass


class ResourceNotFoundException(BedrockError):
    status = 404


class ServiceQuotaExceededException(BedrockError):
    pass


class ThrottlingException(BedrockError):
    status = 429
