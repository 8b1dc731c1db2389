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


class TooManyTagsException(BedrockError):
    pass


# bedrock-runtime (inference) errors.


class ModelNotReadyException(BedrockError):
    status = 429


class ModelErrorException(BedrockError):
    status = 424


class ModelTimeoutException(BedrockError):
    status = 408


class ServiceUnavailableException(BedrockError):
    status = 503


class InternalServerException(BedrockError):
    status = 500


class AccessDeniedException(BedrockError):
    status = 403


# Errors a test may queue for inference calls, by botocore name.
INFERENCE_ERRORS: dict[str, type[BedrockError]] = {
    error.__name__: error
    for error in (
        ValidationException,
        ResourceNotFoundException,
        ThrottlingException,
        ServiceQuotaExceededException,
        ModelNotReadyException,
        ModelErrorException,
        ModelTimeoutException,
        ServiceUnavailableException,
        InternalServerException,
        AccessDeniedException,
    )
}
