"""The Validate step holds a dataset to the same rules as `tuneline validate` with the job's settings."""

from __future__ import annotations

import io
import json
from typing import Any

from tuneline.pipeline.staging import _validate


class _Version:
    """An S3 object version as `_validate` reads it."""

    def __init__(self, key: str, records: list[dict[str, Any]]) -> None:
        self.key = key
        self.body = b"".join(json.dumps(r).encode() + b"\n" for r in records)

    def open(self, normalize: bool = False) -> io.BytesIO:
        return io.BytesIO(self.body)


def _plan(model: str, hyperparameters: dict[str, str]) -> dict[str, Any]:
    return {
        "baseModelIdentifier": model,
        "customizationType": "FINE_TUNING",
        "hyperParameters": hyperparameters,
        "source": {"bucket": "data-bucket", "key": "incoming/p/train.jsonl"},
    }


def test_the_jobs_batch_size_tightens_the_titan_token_limit() -> None:
    # About 3,000 tokens: within 4,096 at batch size 1, over 2,048 at batch size 4.
    records = [{"prompt": "word " * 3_600, "completion": "ok"}] + [
        {"prompt": f"q{i}", "completion": "a"} for i in range(4)
    ]
    train = _Version("incoming/p/train.jsonl", records)
    model = "amazon.titan-text-express-v1:0:8k"
    assert _validate(_plan(model, {"batchSize": "1"}), train, None, fix=False).valid
    report = _validate(_plan(model, {"batchSize": "4"}), train, None, fix=False)
    assert [(f.rule, f.line) for f in report.errors] == [("record.too-many-tokens", 1)]


def test_media_outside_the_dataset_bucket_is_rejected() -> None:
    def record(uri: str) -> dict[str, Any]:
        image = {"image": {"format": "png", "source": {"s3Location": {"uri": uri}}}}
        return {
            "messages": [
                {"role": "user", "content": [{"text": "What is this?"}, image]},
                {"role": "assistant", "content": [{"text": "A cat."}]},
            ]
        }

    records = [record(f"s3://data-bucket/media/{i}.png") for i in range(8)] + [record("s3://elsewhere/media/x.png")]
    report = _validate(_plan("amazon.nova-lite-v1:0:300k", {}), _Version("train.jsonl", records), None, fix=False)
    assert [(f.rule, f.line) for f in report.errors] == [("media.other-bucket", 9)]
