"""Personal data patterns, the cost estimate and the token statistics."""

from __future__ import annotations

import pytest

from tuneline.datasets.cost import estimate_cost
from tuneline.datasets.models import resolve_model
from tuneline.datasets.pii import luhn_valid, pii_kinds, redact
from tuneline.datasets.prices import PRICE_SOURCE_URL, PRICES_AS_OF
from tuneline.datasets.stats import SizeStats


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("write to jane.doe+news@mail.example.co.uk", {"email": 1}),
        ("call +44 20 7946 0958 or 555.123.4567", {"phone": 2}),
        ("card 5500-0000-0000-0004", {"card-number": 1}),
        ("card 5500-0000-0000-0005", {}),
        ("AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", {"aws-access-key": 2}),
        ("In 2023 we shipped 12345 parcels, order 1234567, total 100.50", {}),
        ("version 1.2.3, build 20240101", {}),
    ],
)
def test_pii_patterns(text: str, kinds: dict[str, int]) -> None:
    assert dict(pii_kinds(text)) == kinds


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_redact_replaces_every_finding() -> None:
    text, counts = redact("Mail a@b.io, call (555) 123-4567, key AKIAIOSFODNN7EXAMPLE.")
    assert text == "Mail [EMAIL], call [PHONE], key [AWS_ACCESS_KEY]."
    assert dict(counts) == {"email": 1, "phone": 1, "aws-access-key": 1}


def test_cost_uses_default_epochs_and_dated_price() -> None:
    rules = resolve_model("amazon.nova-micro-v1:0")
    estimate = estimate_cost(rules, 1_000_000)
    assert estimate.epochs == 2
    assert estimate.usd == pytest.approx(1_000_000 / 1000 * 2 * rules.training_price_per_1k_tokens_usd)
    assert PRICE_SOURCE_URL in estimate.price_source and PRICES_AS_OF in estimate.price_source
    assert estimate.tokens_seen == 2_000_000


def test_cost_epochs_from_hyperparameters_and_price_override() -> None:
    rules = resolve_model("anthropic.claude-3-haiku-20240307-v1:0")
    estimate = estimate_cost(rules, 500, {"epochCount": "4"}, price_override_per_1k_tokens_usd=0.01)
    assert (estimate.epochs, estimate.usd, estimate.price_source) == (4, 0.02, "override from configuration")
    assert estimate_cost(rules, 500, {"epochCount": "Auto"}).epochs == 2


def test_step_based_models_count_one_pass() -> None:
    assert estimate_cost(resolve_model("amazon.titan-image-generator-v2:0"), 1000).epochs == 1


def test_size_stats_merge_and_percentiles() -> None:
    a, b = SizeStats(), SizeStats()
    for tokens in (1, 2, 3):
        a.add(tokens * 4, tokens)
    b.add(40, 10)
    merged = a.merge(b)
    assert merged.to_dict() == {
        "records": 4,
        "characters": 64,
        "estimated_tokens": {"total": 16, "max": 10, "p50": 2, "p95": 10},
    }
    assert SizeStats().to_dict()["estimated_tokens"] == {"total": 0, "max": 0, "p50": 0, "p95": 0}
