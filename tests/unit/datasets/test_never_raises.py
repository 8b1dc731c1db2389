"""Property-based: whatever bytes arrive, the validator returns a report instead of raising."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuneline.datasets.fix import normalize_stream
from tuneline.datasets.validator import validate_dataset

MODELS = [
    "amazon.nova-lite-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "meta.llama3-1-8b-instruct-v1:0",
    "amazon.titan-text-express-v1",
    "amazon.titan-image-generator-v2:0",
    "amazon.nova-2-lite-v1:0",
]
KINDS = ["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "role",
                    "content",
                    "text",
                    "image",
                    "video",
                    "system",
                    "prompt",
                    "completion",
                    "input",
                    "image-ref",
                    "caption",
                    "format",
                    "source",
                    "s3Location",
                    "uri",
                    "reasoningContent",
                    "reasoningText",
                    "schemaVersion",
                    "user",
                    "assistant",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def check(data: bytes, model: str, kind: str) -> None:
    report = validate_dataset(
        io.BytesIO(data), model_id=model, customization_type=kind, validation=io.BytesIO(data[::-1])
    )
    json.dumps(report.to_dict())
    assert report.stats["records"] >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(MODELS), st.sampled_from(KINDS))
def test_arbitrary_bytes(data: bytes, model: str, kind: str) -> None:
    check(data, model, kind)
    normalize_stream(io.BytesIO(data), io.BytesIO())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, max_size=5), st.sampled_from(MODELS), st.sampled_from(KINDS))
def test_arbitrary_json_records(values: list[object], model: str, kind: str) -> None:
    check(b"\n".join(json.dumps(v).encode() for v in values), model, kind)
