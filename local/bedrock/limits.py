"""The dataset limits a simulated customization job enforces, per base model, as Bedrock documents them.

Gap: moto 5.2.5 trains on anything (its jobs never even end), and without this table the simulation trained any
valid JSON Lines. Bedrock checks the data once the job has started and fails the job with a `failureMessage`;
the simulation does the same (`local.bedrock.jobs`), so a dataset Tuneline's validator lets through fails here
as it would in AWS instead of training.

The numbers are taken from docs/bedrock.md §2.2 (the Bedrock user guide "Prepare your training datasets" and
the Nova user guide "Dataset constraints"), on purpose not from the product's rules table
(`lambda/tuneline/datasets/models.py`): the two are written from the same pages independently, so a gap in
the validator shows up as a failed job. Where the docs give no number (Titan Text record counts are set by an
adjustable quota; Nova Canvas; Nova 2 Lite's per-record tokens) nothing is checked.

Tokens are estimated from characters (docs/bedrock.md §2.3): 6 per token where the user guide writes limits as
"tokens x 6" (Titan, Llama), 3 for Claude 3 Haiku (AWS's Haiku sample validator), 4 for Nova (no AWS figure).
The wording of the failure messages is the simulation's, except the token overrun, which is Bedrock's own
("Maximum input token count 4919 exceeds limit of 4096", reported in aws-samples/amazon-bedrock-workshop#224).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from local.bedrock import catalog

GB = 1024**3
MB = 1024**2


@dataclass(frozen=True)
class DatasetLimits:
    """One row of docs/bedrock.md §2.2. `None` means the docs set no limit there."""

    name: str
    model_prefixes: tuple[str, ...]
    training_records: tuple[int, int] | None = None
    validation_records_max: int | None = None
    # Training and validation records together.
    total_records: tuple[int, int] | None = None
    validation_allowed: bool = True
    tokens_per_record: int | None = None
    chars_per_token: float = 6.0
    max_training_bytes: int | None = None
    max_validation_bytes: int | None = None
    images_per_record: int | None = None
    videos_per_record: int | None = None
    caption_chars: tuple[int, int] | None = None

    def covers(self, base_model_id: str) -> bool:
        return base_model_id.startswith(self.model_prefixes)


_NOVA_1 = ("amazon.nova-micro-v1", "amazon.nova-lite-v1", "amazon.nova-pro-v1")
_LLAMA_3 = ("meta.llama3-1-", "meta.llama3-2-", "meta.llama3-3-")

# First matching row wins (Llama 3.2 90B before the other Llama rows).
LIMITS: tuple[DatasetLimits, ...] = (
    DatasetLimits(
        "Amazon Nova Micro, Lite and Pro",
        _NOVA_1,
        training_records=(8, 20_000),
        tokens_per_record=32_000,
        chars_per_token=4.0,
        images_per_record=10,
        videos_per_record=1,
    ),
    # §2.1 (no validation set) and §2.2 (200 to 20,000 records, AWS's Nova validator).
    DatasetLimits(
        "Amazon Nova 2 Lite", ("amazon.nova-2-lite-v1",), training_records=(200, 20_000), validation_allowed=False
    ),
    DatasetLimits(
        "Anthropic Claude 3 Haiku",
        ("anthropic.claude-3-haiku",),
        training_records=(32, 10_000),
        validation_records_max=1_000,
        total_records=(32, 10_000),
        tokens_per_record=32_000,
        chars_per_token=3.0,
        max_training_bytes=10 * GB,
        max_validation_bytes=1 * GB,
    ),
    DatasetLimits("Meta Llama 3.2 90B", ("meta.llama3-2-90b",), total_records=(100, 10_000), tokens_per_record=10_000),
    DatasetLimits("Meta Llama 3.1, 3.2 and 3.3", _LLAMA_3, total_records=(100, 10_000), tokens_per_record=16_000),
    # 4,096 tokens at batch size 1; "less at larger batches" has no published figure, so only 4,096 is checked.
    DatasetLimits(
        "Amazon Titan Text",
        ("amazon.titan-text-",),
        tokens_per_record=4_096,
        max_training_bytes=1 * GB,
        max_validation_bytes=100 * MB,
    ),
    DatasetLimits(
        "Amazon Titan Image Generator",
        ("amazon.titan-image-generator-",),
        training_records=(5, 10_000),
        validation_allowed=False,
        caption_chars=(3, 1_024),
    ),
    DatasetLimits(
        "Amazon Titan Multimodal Embeddings",
        ("amazon.titan-embed-image-",),
        training_records=(1_000, 500_000),
        validation_allowed=False,
        caption_chars=(0, 2_560),
    ),
)

# The limits are those of fine-tuning data; continued pre-training (Titan Text) shares the token and file limits.
CHECKED_TYPES = (catalog.FINE_TUNING, catalog.CONTINUED_PRE_TRAINING)


def limits_for(base_model_id: str) -> DatasetLimits | None:
    return next((row for row in LIMITS if row.covers(base_model_id)), None)


@dataclass(frozen=True)
class DataFile:
    """One data file as the service role read it: its name (for messages) and its bytes."""

    name: str
    body: bytes


def dataset_problem(
    base_model_id: str,
    customization_type: str,
    training: Iterable[DataFile],
    validation: Iterable[DataFile] | None,
) -> str | None:
    """The failureMessage a job on these files ends with, or None when the data is within the model's limits.

    The files are already known to be readable JSON Lines (`local.bedrock.jobs` checks that first)."""
    limits = limits_for(base_model_id)
    if limits is None or customization_type not in CHECKED_TYPES:
        return None
    training_files = list(training)
    validation_files = list(validation or [])
    if validation_files and not limits.validation_allowed:
        return f"Validation data is not supported for {limits.name}: remove validationDataConfig and try again."
    for role, files, cap in (
        ("Training", training_files, limits.max_training_bytes),
        ("Validation", validation_files, limits.max_validation_bytes),
    ):
        size = sum(len(data.body) for data in files)
        if cap is not None and size > cap:
            return f"{role} data size of {size} bytes exceeds the limit of {cap} bytes for {limits.name}."
    training_count = 0
    for data in training_files:
        problem, count = _records_problem(limits, data)
        if problem:
            return problem
        training_count += count
    validation_count = 0
    for data in validation_files:
        problem, count = _records_problem(limits, data)
        if problem:
            return problem
        validation_count += count
    return _count_problem(limits, training_count, validation_count)


def _records_problem(limits: DatasetLimits, data: DataFile) -> tuple[str | None, int]:
    """(the first per-record problem in the file or None, its number of records)."""
    count = 0
    for line in data.body.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        count += 1
        record = json.loads(line)
        if not isinstance(record, Mapping):
            continue
        problem = _record_problem(limits, record, count, data.name)
        if problem:
            return problem, count
    return None, count


def _record_problem(limits: DatasetLimits, record: Mapping[str, Any], number: int, name: str) -> str | None:
    if limits.tokens_per_record is not None:
        tokens = math.ceil(sum(map(len, record_texts(record))) / limits.chars_per_token)
        if tokens > limits.tokens_per_record:
            return f"Maximum input token count {tokens} exceeds limit of {limits.tokens_per_record}"
    images, videos = _media_counts(record)
    if limits.images_per_record is not None and images > limits.images_per_record:
        return (
            f"Record {number} of {name} has {images} images; {limits.name} accepts at most "
            f"{limits.images_per_record} per record."
        )
    if limits.videos_per_record is not None and videos > limits.videos_per_record:
        return (
            f"Record {number} of {name} has {videos} videos; {limits.name} accepts at most "
            f"{limits.videos_per_record} per record."
        )
    caption = record.get("caption")
    if limits.caption_chars is not None and isinstance(caption, str):
        low, high = limits.caption_chars
        if not low <= len(caption) <= high:
            return (
                f"Record {number} of {name} has a caption of {len(caption)} characters; {limits.name} accepts "
                f"{low} to {high}."
            )
    return None


def _count_problem(limits: DatasetLimits, training: int, validation: int) -> str | None:
    if limits.training_records is not None:
        low, high = limits.training_records
        if not low <= training <= high:
            return f"The training data has {training} records; {limits.name} needs {low} to {high} training records."
    if limits.validation_records_max is not None and validation > limits.validation_records_max:
        return (
            f"The validation data has {validation} records; {limits.name} accepts at most "
            f"{limits.validation_records_max}."
        )
    if limits.total_records is not None:
        low, high = limits.total_records
        if not low <= training + validation <= high:
            return (
                f"The training and validation data have {training + validation} records together; {limits.name} "
                f"needs {low} to {high}."
            )
    return None


def record_texts(record: Mapping[str, Any]) -> list[str]:
    """The texts a record trains on, in any of the formats of docs/bedrock.md §2.1: prompt and completion,
    continued pre-training input, and every text of a conversation (system, messages, reasoning)."""
    parts = [str(record[key]) for key in ("prompt", "completion", "input") if isinstance(record.get(key), str)]
    parts += _texts(record.get("system"))
    for message in record.get("messages") or []:
        if isinstance(message, Mapping):
            parts += _texts(message.get("content"))
    return parts


def _texts(value: Any) -> list[str]:
    """Plain strings, and the `text` of blocks (reasoning blocks included: they are trained on too)."""
    if isinstance(value, str):
        return [value]
    texts: list[str] = []
    if isinstance(value, list):
        for block in value:
            if not isinstance(block, Mapping):
                continue
            if isinstance(block.get("text"), str):
                texts.append(block["text"])
            reasoning = block.get("reasoningContent")
            inner = reasoning.get("reasoningText") if isinstance(reasoning, Mapping) else None
            if isinstance(inner, Mapping) and isinstance(inner.get("text"), str):
                texts.append(inner["text"])
    return texts


def _media_counts(record: Mapping[str, Any]) -> tuple[int, int]:
    images = videos = 0
    for message in record.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, Mapping):
                images += "image" in block
                videos += "video" in block
    return images, videos
