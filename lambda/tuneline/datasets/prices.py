"""Training prices used for cost estimates, per model family.

These are ESTIMATES for comparing a job against a budget, not a bill. They were compiled from the public
Amazon Bedrock pricing page (on-demand "price to train 1,000 tokens", us-east-1 / us-west-2) on the date
below; AWS changes prices and per-Region rates differ. Override them per profile (`pricePer1kTokensUsd` in
cdk.json) or with `tuneline estimate --price-per-1k-tokens`.

Image and embedding models are billed per image seen rather than per token; their figures here are
per 1,000 caption tokens, derived from the per-image price at about 100 caption tokens per image, and are
even rougher.
"""

from __future__ import annotations

from collections.abc import Mapping

PRICES_AS_OF = "2026-11-01"
PRICE_SOURCE_URL = "https://aws.amazon.com/bedrock/pricing/"
PRICE_SOURCE = f"Amazon Bedrock pricing page ({PRICE_SOURCE_URL}), compiled {PRICES_AS_OF}; estimate"

# family -> USD per 1,000 training tokens (tokens seen = dataset tokens x epochs)
TRAINING_PRICE_PER_1K_TOKENS_USD: Mapping[str, float] = {
    "nova-micro": 0.001,
    "nova-lite": 0.002,
    "nova-pro": 0.008,
    "nova-2-lite": 0.002,
    "nova-canvas": 0.5,
    "claude-3-haiku": 0.004,
    "llama3-1-8b": 0.00149,
    "llama3-1-70b": 0.00799,
    "llama3-2-1b": 0.0005,
    "llama3-2-3b": 0.0008,
    "llama3-2-11b": 0.0035,
    "llama3-2-90b": 0.00799,
    "llama3-3-70b": 0.00799,
    "titan-text-express": 0.008,
    "titan-text-lite": 0.0004,
    "titan-text-premier": 0.002,
    "titan-image-generator-v1": 0.5,
    "titan-image-generator-v2": 0.5,
    "titan-embed-image-v1": 0.002,
}

# family -> USD per 1,000 (input, output) tokens of on-demand inference, same source and date. Used only for the
# estimate of what an evaluation costs (docs/decisions/0011-evaluation-stage.md); a custom model served by an
# on-demand deployment is assumed to cost what its base model costs per token. Families not listed: no estimate.
INFERENCE_PRICE_PER_1K_TOKENS_USD: Mapping[str, tuple[float, float]] = {
    "nova-micro": (0.000035, 0.00014),
    "nova-lite": (0.00006, 0.00024),
    "nova-pro": (0.0008, 0.0032),
    "claude-3-haiku": (0.00025, 0.00125),
    "llama3-1-8b": (0.00022, 0.00022),
    "llama3-1-70b": (0.00072, 0.00072),
    "llama3-2-1b": (0.0001, 0.0001),
    "llama3-2-3b": (0.00015, 0.00015),
    "llama3-2-11b": (0.00016, 0.00016),
    "llama3-2-90b": (0.00072, 0.00072),
    "llama3-3-70b": (0.00072, 0.00072),
    "titan-text-express": (0.0002, 0.0006),
    "titan-text-lite": (0.00015, 0.0002),
    "titan-text-premier": (0.0005, 0.0015),
}
