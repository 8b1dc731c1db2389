"""The converse checker's flat pass for everyday records gives exactly what the all-rules pass gives: the same
characters, the same findings in the same order, the same media counts, for any record shape."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tuneline.datasets.collector import FindingCollector
from tuneline.datasets.models import resolve_model
from tuneline.datasets.records import ConverseChecker

TEXTS = st.sampled_from(["", "  ", "hello", "User: hi", "a: b", "see <image> here", "[EOS] x", "bot:", "naïve"])
IMAGE = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://data-bucket/x.png"}}}}
BLOCKS: st.SearchStrategy[Any] = st.one_of(
    TEXTS.map(lambda t: {"text": t}),
    TEXTS.map(lambda t: {"text": t, "extra": 1}),
    st.sampled_from([{"text": 5}, {}, None, "text", IMAGE, {"toolUse": {}}, [{"text": "x"}]]),
)
CONTENT = st.one_of(st.lists(BLOCKS, max_size=3), st.sampled_from(["plain", None, {"text": "x"}]))
ROLES = st.sampled_from(["user", "assistant", "system", None, 3])


@st.composite
def messages(draw: st.DrawFn) -> Any:
    message: dict[str, Any] = {}
    if draw(st.booleans()) or draw(st.booleans()):
        message["role"] = draw(ROLES)
    if draw(st.booleans()) or draw(st.booleans()):
        message["content"] = draw(CONTENT)
    return draw(st.one_of(st.just(message), st.sampled_from([None, "user", ["x"]])))


@st.composite
def alternating(draw: st.DrawFn) -> list[Any]:
    """Mostly well-formed conversations, so the flat pass is taken often and its exits are all reached."""
    turns = draw(st.integers(min_value=0, max_value=4))
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": draw(TEXTS)}]} for i in range(turns)]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    version = draw(st.sampled_from(["absent", "bedrock-conversation-2024", 5, None]))
    if version != "absent":
        record["schemaVersion"] = version
    system = draw(
        st.one_of(
            st.just("absent"),
            TEXTS.map(lambda t: [{"text": t}]),
            st.sampled_from(
                [None, [], "plain", [{"text": 3}], [{"text": "a"}, {"text": "b"}], [{"text": "a", "x": 1}]]
            ),
        )
    )
    if system != "absent":
        record["system"] = system
    choice = draw(st.integers(min_value=0, max_value=3))
    if choice:
        record["messages"] = (
            draw(alternating()) if choice < 3 else draw(st.one_of(st.lists(messages(), max_size=4), st.just("x")))
        )
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        record["extra"] = True
    return record


def outcome(model: str, kind: str, record: dict[str, Any], *, all_rules: bool) -> tuple[Any, ...]:
    sink = FindingCollector(100)
    checker = ConverseChecker(resolve_model(model), sink, customization_type=kind, dataset_bucket="data-bucket")
    checker.line = 7
    checker.images = checker.videos = 0
    chars = checker._check_all_rules(record) if all_rules else checker.check(record)
    findings = [(f.rule, f.message, f.line) for f in sink.errors + sink.warnings]
    return chars, findings, checker.images, checker.videos


@settings(max_examples=600, deadline=None)
@given(
    records(),
    st.sampled_from(["amazon.nova-lite-v1:0", "meta.llama3-2-11b-instruct-v1:0", "amazon.nova-2-lite-v1:0"]),
    st.sampled_from(["FINE_TUNING", "DISTILLATION"]),
)
def test_flat_pass_matches_all_rules(record: dict[str, Any], model: str, kind: str) -> None:
    if kind == "DISTILLATION" and "DISTILLATION" not in resolve_model(model).customization_types:
        kind = "FINE_TUNING"
    assert outcome(model, kind, record, all_rules=False) == outcome(model, kind, record, all_rules=True)
