"""The model rules table: what each Bedrock base model family accepts for customization.

Everything the validator, the splitter, the planner and the cost guard need to know about a base model is a
row in `MODEL_RULES` below: data, not code branches. Sources (see the project's Bedrock fact sheet):
record counts, per-record sizes and file caps from the Bedrock user guide "Prepare your training datasets"
and the Nova user guide "Dataset constraints"; hyperparameter ranges from "Custom model hyperparameters";
distillation pairs from "Prerequisites for model distillation". These numbers change: where Bedrock enforces
a count through an adjustable Service Quota, the table holds the documented default.

Token estimates: the validator estimates tokens as characters / `chars_per_token` (no tokenizer in Lambda).
  * 6.0 for Titan, Llama and prompt/completion data: Bedrock's own per-sample character limits are written
    as "token quota x 6 (estimated)".
  * 3.0 for Claude 3 Haiku: the AWS sample validator for Haiku uses 3 characters per token (conservative).
  * 4.0 for Nova and image captions: typical of modern BPE tokenizers on English text; no AWS figure exists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tuneline.datasets.prices import TRAINING_PRICE_PER_1K_TOKENS_USD

FINE_TUNING = "FINE_TUNING"
CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
DISTILLATION = "DISTILLATION"
CUSTOMIZATION_TYPES = (FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION)

# Dataset format names (one record shape each; the validator has one checker per format).
FORMAT_PROMPT_COMPLETION = "prompt-completion"
FORMAT_CONTINUED_PRETRAINING = "continued-pretraining"
FORMAT_CONVERSE = "bedrock-conversation-2024"
FORMAT_CLAUDE_MESSAGES = "claude-messages"
FORMAT_IMAGE_CAPTION = "image-caption"

KB = 1024
MB = 1024 * KB
GB = 1024 * MB

# Nova: these strings in a user or system prompt make the job fail (Nova user guide; matched without case
# like the AWS Nova sample validator does).
NOVA_RESERVED_KEYWORDS = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")
# Claude 3 Haiku: the prompt separators of the Anthropic text format (AWS Haiku sample validator).
CLAUDE_RESERVED_KEYWORDS = ("\nHuman:", "\nAssistant:")

DISTILLATION_MIN_PROMPTS = 100
# AWS distillation sample: the prompt file must stay under 1 GB.
DISTILLATION_MAX_FILE_BYTES = 1 * GB


@dataclass(frozen=True)
class HyperParameterRange:
    """One hyperparameter as the CreateModelCustomizationJob API wants it (values are strings)."""

    name: str
    minimum: float
    maximum: float
    default: str | None
    integer: bool
    words: tuple[str, ...] = ()

    def check(self, value: str) -> str | None:
        """None if `value` is accepted, else a message that states the allowed range."""
        text = str(value).strip()
        if text.lower() in {w.lower() for w in self.words}:
            return None
        try:
            # Python reads "1_000" as a number; the service's parsers do not.
            number = float(text) if "_" not in text else math.nan
        except ValueError:
            return f"{self.name} must be {self.describe()}, got {value!r}"
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            return f"{self.name} must be {self.describe()}, got {value!r}"
        if not self.minimum <= number <= self.maximum:
            return f"{self.name} must be {self.describe()}, got {value!r}"
        return None

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        text = f"{kind} from {_plain(self.minimum)} to {_plain(self.maximum)}"
        if self.words:
            text += " or " + " / ".join(repr(w) for w in self.words)
        return text


@dataclass(frozen=True)
class TypeLimits:
    """Limits that differ for one customization type; None means 'same as the model row'."""

    training_records: tuple[int, int] | None = None
    max_training_file_bytes: int | None = None
    validation_allowed: bool | None = None


@dataclass(frozen=True)
class ModelRules:
    family: str
    display_name: str
    model_ids: tuple[str, ...]
    customization_types: tuple[str, ...]
    formats: Mapping[str, str]
    training_records: tuple[int, int]
    validation_records: tuple[int, int] | None
    total_records_max: int | None
    max_tokens_per_record: int
    chars_per_token: float
    max_training_file_bytes: int | None
    max_validation_file_bytes: int | None
    hyperparameters: Mapping[str, HyperParameterRange]
    epochs_hyperparameter: str | None
    training_price_per_1k_tokens_usd: float
    on_demand_deployment: bool
    converse_supported: bool
    region: str = "us-east-1"
    # Multimodal content (converse format); empty tuples mean text only.
    image_formats: tuple[str, ...] = ()
    video_formats: tuple[str, ...] = ()
    max_images_per_record: int = 0
    max_videos_per_record: int = 0
    # Size of one image / video object (docs/bedrock.md §2.2); 0: none documented, not checked.
    max_image_bytes: int = 0
    max_video_bytes: int = 0
    # A dataset must be text+images or text+videos, never both (Nova).
    mixed_media_allowed: bool = True
    # Minimum tokens an image costs (Llama 3.2 Vision: 1,601 per image tile set).
    tokens_per_image: int = 0
    reasoning_content: bool = False
    reserved_keywords: tuple[str, ...] = ()
    reserved_keywords_ignore_case: bool = False
    # Image-caption datasets: caption length in characters and accepted image file types.
    caption_chars: tuple[int, int] | None = None
    caption_image_formats: tuple[str, ...] = ()
    # Per-record token limit that shrinks with the batch size: ((max batch size, max tokens), ...).
    batch_token_limits: tuple[tuple[int, int], ...] = ()
    type_limits: Mapping[str, TypeLimits] = field(default_factory=dict)
    # The base model answers on demand only through a cross-Region inference profile (`us.<model id>`), not by
    # its model ID (docs/bedrock.md §12.3): evaluation must be told the profile's ID.
    invocation_needs_inference_profile: bool = False

    @property
    def validation_allowed(self) -> bool:
        return self.validation_records is not None

    @property
    def canonical_id(self) -> str:
        return self.model_ids[0]

    def format_for(self, customization_type: str) -> str | None:
        return self.formats.get(customization_type)

    def training_records_for(self, customization_type: str) -> tuple[int, int]:
        override = self.type_limits.get(customization_type)
        if override and override.training_records:
            return override.training_records
        return self.training_records

    def max_training_file_bytes_for(self, customization_type: str) -> int | None:
        override = self.type_limits.get(customization_type)
        if override and override.max_training_file_bytes:
            return override.max_training_file_bytes
        return self.max_training_file_bytes

    def validation_allowed_for(self, customization_type: str) -> bool:
        override = self.type_limits.get(customization_type)
        if override and override.validation_allowed is not None:
            return override.validation_allowed
        return self.validation_allowed

    def max_tokens_for(self, hyperparameters: Mapping[str, str] | None = None) -> int:
        """Per-record token limit, lower for larger batches where the model says so (Titan Text)."""
        if not self.batch_token_limits:
            return self.max_tokens_per_record
        batch = _int_or_none((hyperparameters or {}).get("batchSize"))
        if batch is None:
            default = self.hyperparameters.get("batchSize")
            batch = _int_or_none(default.default) if default else None
        for max_batch, tokens in self.batch_token_limits:
            if batch is None or batch <= max_batch:
                return tokens
        return self.batch_token_limits[-1][1]

    def default_epochs(self) -> int:
        if not self.epochs_hyperparameter:
            return 1
        spec = self.hyperparameters.get(self.epochs_hyperparameter)
        number = _int_or_none(spec.default) if spec else None
        return number or 1


class UnknownModelError(ValueError):
    """The model identifier is not in the rules table; the message lists the known ones."""

    def __init__(self, model_id: str) -> None:
        self.suggestion = _closest_model_id(model_id)
        hint = f"did you mean {self.suggestion!r}? " if self.suggestion else ""
        super().__init__(
            f"unknown or non-customizable base model {model_id!r}; {hint}known model ids: "
            f"{', '.join(known_model_ids())}"
        )
        self.model_id = model_id


def _hp(
    name: str, minimum: float, maximum: float, default: str | None, integer: bool, words: tuple[str, ...] = ()
) -> HyperParameterRange:
    return HyperParameterRange(name, minimum, maximum, default, integer, words)


def _params(*ranges: HyperParameterRange) -> Mapping[str, HyperParameterRange]:
    return MappingProxyType({r.name: r for r in ranges})


NOVA_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 5, "2", True),
    _hp("learningRate", 1e-6, 1e-4, "0.00001", False),
    # The Bedrock page says 0-100, the Nova user guide 0-20: accept the documented API range.
    _hp("learningRateWarmupSteps", 0, 100, "10", True),
)
LLAMA_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 10, "5", True),
    _hp("batchSize", 1, 1, "1", True),
    _hp("learningRate", 5e-6, 0.1, "0.0001", False),
)
CLAUDE_HAIKU_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 10, "2", True),
    _hp("batchSize", 4, 256, "32", True),
    _hp("learningRateMultiplier", 0.1, 2, "1", False),
    _hp("earlyStoppingThreshold", 0, 0.1, "0.001", False),
    _hp("earlyStoppingPatience", 1, 10, "2", True),
)
TITAN_TEXT_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 10, "5", True),
    _hp("batchSize", 1, 64, "1", True),
    _hp("learningRate", 0.0, 1, "0.00001", False),
    _hp("learningRateWarmupSteps", 0, 250, "5", True),
)
TITAN_PREMIER_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 5, "2", True),
    _hp("batchSize", 1, 1, "1", True),
    _hp("learningRate", 1e-7, 1e-5, "0.000001", False),
    _hp("learningRateWarmupSteps", 0, 20, "5", True),
)
TITAN_IMAGE_HYPERPARAMETERS = _params(
    _hp("batchSize", 8, 192, "8", True),
    _hp("stepCount", 10, 40_000, None, True, ("auto",)),
    _hp("learningRate", 1e-7, 1, "0.00001", False),
)
NOVA_CANVAS_HYPERPARAMETERS = _params(
    _hp("batchSize", 8, 192, "8", True),
    _hp("stepCount", 10, 20_000, "500", True),
    _hp("learningRate", 1e-7, 1e-4, "0.00001", False),
)
TITAN_EMBEDDINGS_HYPERPARAMETERS = _params(
    _hp("epochCount", 1, 100, None, True, ("Auto",)),
    _hp("batchSize", 256, 9_216, "576", True),
    _hp("learningRate", 5e-8, 1, "0.00005", False),
)

NOVA_IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
NOVA_VIDEO_FORMATS = ("mov", "mkv", "mp4", "webm")
LLAMA_IMAGE_FORMATS = ("gif", "jpeg", "png", "webp")

_CONVERSE_ONLY = MappingProxyType({FINE_TUNING: FORMAT_CONVERSE, DISTILLATION: FORMAT_CONVERSE})
_PROMPT_COMPLETION_AND_DISTILLATION = MappingProxyType(
    {FINE_TUNING: FORMAT_PROMPT_COMPLETION, DISTILLATION: FORMAT_CONVERSE}
)
_DISTILLATION_LIMITS = TypeLimits(max_training_file_bytes=DISTILLATION_MAX_FILE_BYTES)


def _distillation_limits(max_records: int) -> Mapping[str, TypeLimits]:
    return MappingProxyType(
        {
            DISTILLATION: TypeLimits(
                training_records=(DISTILLATION_MIN_PROMPTS, max_records),
                max_training_file_bytes=DISTILLATION_MAX_FILE_BYTES,
            )
        }
    )


def _nova(family: str, name: str, model_id: str, *, multimodal: bool, distillation: bool) -> ModelRules:
    types = (FINE_TUNING, DISTILLATION) if distillation else (FINE_TUNING,)
    return ModelRules(
        family=family,
        display_name=name,
        model_ids=(model_id,),
        customization_types=types,
        formats=_CONVERSE_ONLY,
        training_records=(8, 20_000),
        # No separate cap is documented; AWS samples keep Nova validation sets under 1,000 records.
        validation_records=(1, 1_000),
        total_records_max=None,
        max_tokens_per_record=32_000,
        chars_per_token=4.0,
        max_training_file_bytes=None,
        max_validation_file_bytes=None,
        hyperparameters=NOVA_HYPERPARAMETERS,
        epochs_hyperparameter="epochCount",
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD[family],
        on_demand_deployment=True,
        converse_supported=True,
        region="us-east-1",
        image_formats=NOVA_IMAGE_FORMATS if multimodal else (),
        video_formats=NOVA_VIDEO_FORMATS if multimodal else (),
        max_images_per_record=10 if multimodal else 0,
        max_videos_per_record=1 if multimodal else 0,
        max_image_bytes=10 * MB if multimodal else 0,
        max_video_bytes=50 * MB if multimodal else 0,
        mixed_media_allowed=False,
        reserved_keywords=NOVA_RESERVED_KEYWORDS,
        reserved_keywords_ignore_case=True,
        type_limits=_distillation_limits(20_000) if distillation else MappingProxyType({}),
    )


def _llama(
    family: str,
    name: str,
    model_id: str,
    *,
    converse: bool,
    vision: bool = False,
    max_tokens: int = 16_000,
    distillation: bool = True,
    on_demand: bool = False,
    profile_only_invocation: bool = False,
) -> ModelRules:
    formats = _CONVERSE_ONLY if converse else _PROMPT_COMPLETION_AND_DISTILLATION
    if not distillation:
        formats = MappingProxyType({FINE_TUNING: formats[FINE_TUNING]})
    return ModelRules(
        family=family,
        display_name=name,
        model_ids=(model_id,),
        customization_types=(FINE_TUNING, DISTILLATION) if distillation else (FINE_TUNING,),
        formats=formats,
        # 100-10,000 records for training and validation together (adjustable Service Quota).
        training_records=(100, 10_000),
        validation_records=(1, 10_000),
        total_records_max=10_000,
        max_tokens_per_record=max_tokens,
        chars_per_token=6.0,
        max_training_file_bytes=None,
        max_validation_file_bytes=None,
        hyperparameters=LLAMA_HYPERPARAMETERS,
        epochs_hyperparameter="epochCount",
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD[family],
        on_demand_deployment=on_demand,
        converse_supported=True,
        region="us-west-2",
        image_formats=LLAMA_IMAGE_FORMATS if vision else (),
        max_images_per_record=10 if vision else 0,
        max_image_bytes=10 * MB if vision else 0,
        tokens_per_image=1_601 if vision else 0,
        type_limits=_distillation_limits(10_000) if distillation else MappingProxyType({}),
        invocation_needs_inference_profile=profile_only_invocation,
    )


def _titan_text(family: str, name: str, model_id: str, *, premier: bool = False) -> ModelRules:
    return ModelRules(
        family=family,
        display_name=name,
        model_ids=(model_id,),
        customization_types=(FINE_TUNING,) if premier else (FINE_TUNING, CONTINUED_PRE_TRAINING),
        formats=MappingProxyType(
            {FINE_TUNING: FORMAT_PROMPT_COMPLETION}
            if premier
            else {FINE_TUNING: FORMAT_PROMPT_COMPLETION, CONTINUED_PRE_TRAINING: FORMAT_CONTINUED_PRETRAINING}
        ),
        # Record counts are adjustable Service Quotas; these are the documented defaults.
        training_records=(1, 10_000),
        validation_records=(1, 1_000),
        total_records_max=None,
        max_tokens_per_record=4_096,
        chars_per_token=6.0,
        max_training_file_bytes=1 * GB,
        max_validation_file_bytes=100 * MB,
        hyperparameters=TITAN_PREMIER_HYPERPARAMETERS if premier else TITAN_TEXT_HYPERPARAMETERS,
        epochs_hyperparameter="epochCount",
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD[family],
        on_demand_deployment=False,
        converse_supported=True,
        region="us-east-1",
        batch_token_limits=((1, 4_096), (64, 2_048))
        if family == "titan-text-express"
        else ((2, 4_096), (64, 2_048))
        if family == "titan-text-lite"
        else (),
        type_limits=MappingProxyType(
            {} if premier else {CONTINUED_PRE_TRAINING: TypeLimits(training_records=(1, 100_000))}
        ),
    )


def _image_caption(
    family: str,
    name: str,
    model_id: str,
    *,
    records: tuple[int, int],
    caption_chars: tuple[int, int],
    hyperparameters: Mapping[str, HyperParameterRange],
    epochs: str | None,
    on_demand: bool = False,
) -> ModelRules:
    return ModelRules(
        family=family,
        display_name=name,
        model_ids=(model_id,),
        customization_types=(FINE_TUNING,),
        formats=MappingProxyType({FINE_TUNING: FORMAT_IMAGE_CAPTION}),
        training_records=records,
        validation_records=None,  # "Validation datasets are not supported" for image models.
        total_records_max=None,
        max_tokens_per_record=max(1, math.ceil(caption_chars[1] / 4.0)),
        chars_per_token=4.0,
        max_training_file_bytes=None,
        max_validation_file_bytes=None,
        hyperparameters=hyperparameters,
        epochs_hyperparameter=epochs,
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD[family],
        on_demand_deployment=on_demand,
        converse_supported=False,
        region="us-east-1",
        caption_chars=caption_chars,
        caption_image_formats=("png", "jpg", "jpeg"),
    )


MODEL_RULES: tuple[ModelRules, ...] = (
    _nova("nova-micro", "Amazon Nova Micro", "amazon.nova-micro-v1:0:128k", multimodal=False, distillation=True),
    _nova("nova-lite", "Amazon Nova Lite", "amazon.nova-lite-v1:0:300k", multimodal=True, distillation=True),
    _nova("nova-pro", "Amazon Nova Pro", "amazon.nova-pro-v1:0:300k", multimodal=True, distillation=True),
    ModelRules(
        family="nova-2-lite",
        display_name="Amazon Nova 2 Lite",
        model_ids=("amazon.nova-2-lite-v1:0:256k",),
        customization_types=(FINE_TUNING,),
        formats=MappingProxyType({FINE_TUNING: FORMAT_CONVERSE}),
        # AWS Nova validator: 200-20,000 SFT records and no validation dataset for Nova 2 Lite.
        training_records=(200, 20_000),
        validation_records=None,
        total_records_max=None,
        max_tokens_per_record=32_000,
        chars_per_token=4.0,
        max_training_file_bytes=None,
        max_validation_file_bytes=None,
        hyperparameters=NOVA_HYPERPARAMETERS,
        epochs_hyperparameter="epochCount",
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD["nova-2-lite"],
        on_demand_deployment=True,
        converse_supported=True,
        image_formats=("png", "jpeg", "gif"),
        video_formats=("mov", "mkv", "mp4"),
        max_images_per_record=10,
        max_videos_per_record=1,
        max_image_bytes=10 * MB,
        max_video_bytes=50 * MB,
        mixed_media_allowed=False,
        reasoning_content=True,
        reserved_keywords=NOVA_RESERVED_KEYWORDS,
        reserved_keywords_ignore_case=True,
        invocation_needs_inference_profile=True,
    ),
    _image_caption(
        "nova-canvas",
        "Amazon Nova Canvas",
        "amazon.nova-canvas-v1:0",
        records=(5, 10_000),
        caption_chars=(3, 1_024),
        hyperparameters=NOVA_CANVAS_HYPERPARAMETERS,
        epochs=None,
        on_demand=True,
    ),
    ModelRules(
        family="claude-3-haiku",
        display_name="Anthropic Claude 3 Haiku",
        model_ids=("anthropic.claude-3-haiku-20240307-v1:0:200k", "anthropic.claude-3-haiku-20240307-v1:0:48k"),
        customization_types=(FINE_TUNING, DISTILLATION),
        formats=MappingProxyType({FINE_TUNING: FORMAT_CLAUDE_MESSAGES, DISTILLATION: FORMAT_CONVERSE}),
        training_records=(32, 10_000),
        validation_records=(1, 1_000),
        total_records_max=10_000,
        max_tokens_per_record=32_000,
        chars_per_token=3.0,
        max_training_file_bytes=10 * GB,
        max_validation_file_bytes=1 * GB,
        hyperparameters=CLAUDE_HAIKU_HYPERPARAMETERS,
        epochs_hyperparameter="epochCount",
        training_price_per_1k_tokens_usd=TRAINING_PRICE_PER_1K_TOKENS_USD["claude-3-haiku"],
        on_demand_deployment=False,
        converse_supported=True,
        region="us-west-2",
        reserved_keywords=CLAUDE_RESERVED_KEYWORDS,
        type_limits=_distillation_limits(10_000),
    ),
    _llama("llama3-1-8b", "Meta Llama 3.1 8B Instruct", "meta.llama3-1-8b-instruct-v1:0:128k", converse=False),
    _llama("llama3-1-70b", "Meta Llama 3.1 70B Instruct", "meta.llama3-1-70b-instruct-v1:0:128k", converse=False),
    _llama("llama3-2-1b", "Meta Llama 3.2 1B Instruct", "meta.llama3-2-1b-instruct-v1:0:128k", converse=True),
    _llama("llama3-2-3b", "Meta Llama 3.2 3B Instruct", "meta.llama3-2-3b-instruct-v1:0:128k", converse=True),
    _llama(
        "llama3-2-11b",
        "Meta Llama 3.2 11B Vision Instruct",
        "meta.llama3-2-11b-instruct-v1:0:128k",
        converse=True,
        vision=True,
        distillation=False,
    ),
    _llama(
        "llama3-2-90b",
        "Meta Llama 3.2 90B Vision Instruct",
        "meta.llama3-2-90b-instruct-v1:0:128k",
        converse=True,
        vision=True,
        max_tokens=10_000,
        distillation=False,
    ),
    _llama(
        "llama3-3-70b",
        "Meta Llama 3.3 70B Instruct",
        "meta.llama3-3-70b-instruct-v1:0:128k",
        converse=True,
        on_demand=True,
        profile_only_invocation=True,
    ),
    _titan_text("titan-text-express", "Amazon Titan Text G1 - Express", "amazon.titan-text-express-v1:0:8k"),
    _titan_text("titan-text-lite", "Amazon Titan Text G1 - Lite", "amazon.titan-text-lite-v1:0:4k"),
    _titan_text(
        "titan-text-premier", "Amazon Titan Text G1 - Premier", "amazon.titan-text-premier-v1:0:32k", premier=True
    ),
    _image_caption(
        "titan-image-generator-v1",
        "Amazon Titan Image Generator G1 v1",
        "amazon.titan-image-generator-v1:0",
        records=(5, 10_000),
        caption_chars=(3, 1_024),
        hyperparameters=TITAN_IMAGE_HYPERPARAMETERS,
        epochs=None,
    ),
    _image_caption(
        "titan-image-generator-v2",
        "Amazon Titan Image Generator G1 v2",
        "amazon.titan-image-generator-v2:0",
        records=(5, 10_000),
        caption_chars=(3, 1_024),
        hyperparameters=TITAN_IMAGE_HYPERPARAMETERS,
        epochs=None,
    ),
    _image_caption(
        "titan-embed-image-v1",
        "Amazon Titan Multimodal Embeddings G1",
        "amazon.titan-embed-image-v1:0",
        records=(1_000, 500_000),
        caption_chars=(0, 2_560),
        hyperparameters=TITAN_EMBEDDINGS_HYPERPARAMETERS,
        epochs="epochCount",
    ),
)


@dataclass(frozen=True)
class Teacher:
    """A distillation teacher and the student families it may teach."""

    model_id: str
    display_name: str
    students: tuple[str, ...]
    # Anthropic and Llama teachers accept only single-turn prompts (one user message); Nova takes multi-turn.
    single_turn: bool
    # Served only through cross-Region inference profiles ("us.<model id>"), never by the bare model id.
    profile_only: bool = False


TEACHERS: Mapping[str, Teacher] = MappingProxyType(
    {
        t.model_id: t
        for t in (
            Teacher("amazon.nova-pro-v1:0", "Amazon Nova Pro", ("nova-lite", "nova-micro"), single_turn=False),
            Teacher(
                "amazon.nova-premier-v1:0",
                "Amazon Nova Premier",
                ("nova-lite", "nova-micro", "nova-pro"),
                single_turn=False,
                profile_only=True,
            ),
            Teacher(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "Anthropic Claude 3.5 Sonnet v1",
                ("claude-3-haiku",),
                single_turn=True,
            ),
            Teacher(
                "anthropic.claude-3-5-sonnet-20241022-v2:0",
                "Anthropic Claude 3.5 Sonnet v2",
                ("claude-3-haiku",),
                single_turn=True,
            ),
            Teacher(
                "meta.llama3-1-405b-instruct-v1:0",
                "Meta Llama 3.1 405B Instruct",
                ("llama3-1-8b", "llama3-1-70b", "llama3-2-1b", "llama3-3-70b"),
                single_turn=True,
            ),
            Teacher(
                "meta.llama3-1-70b-instruct-v1:0",
                "Meta Llama 3.1 70B Instruct",
                ("llama3-1-8b", "llama3-2-1b", "llama3-2-3b"),
                single_turn=True,
            ),
            Teacher(
                "meta.llama3-3-70b-instruct-v1:0",
                "Meta Llama 3.3 70B Instruct",
                ("llama3-1-8b", "llama3-2-1b", "llama3-2-3b"),
                single_turn=True,
                profile_only=True,
            ),
        )
    }
)

# Cross-Region inference profiles prefix the model id with a geography ("us.", "eu.", "apac.", "global.").
_PROVIDERS = ("amazon.", "anthropic.", "meta.", "cohere.", "mistral.")
# "amazon.titan-text-express-v1", "...-v1:0" and "...-v1:0:8k" all name the same base model.
_VERSION_AND_CONTEXT_SUFFIX = re.compile(r"(?::\d+)?(?::\d+k)?$")


def normalize_model_id(model_id: str) -> str:
    """Lower-case base id: no ARN prefix, no inference-profile geography, no ":<context>" suffix."""
    text = model_id.strip().lower()
    if text.startswith("arn:") and "/" in text:
        # foundation-model/<id>, inference-profile/<geo>.<id>, custom ARNs keep the last path segment.
        text = text.split("/", 1)[1]
    _, _, rest = text.partition(".")
    if rest.startswith(_PROVIDERS) and not text.startswith(_PROVIDERS):
        text = rest
    return _VERSION_AND_CONTEXT_SUFFIX.sub("", text, count=1)


_BY_ID: dict[str, ModelRules] = {
    normalize_model_id(model_id): rules for rules in MODEL_RULES for model_id in rules.model_ids
}


def resolve_model(model_id: str) -> ModelRules:
    """The rules row for a base model id (with or without ":<context>"), or a foundation-model ARN."""
    rules = _BY_ID.get(normalize_model_id(model_id)) if isinstance(model_id, str) else None
    if rules is None:
        raise UnknownModelError(str(model_id))
    return rules


def known_model_ids() -> list[str]:
    """Canonical ids (with ":<context>" suffix where Bedrock uses one), in table order."""
    return [model_id for rules in MODEL_RULES for model_id in rules.model_ids]


def _closest_model_id(model_id: str) -> str | None:
    """The known id a mistyped one most likely meant, compared without ARN prefix and version suffix."""
    from tuneline.suggest import close_match

    if not isinstance(model_id, str) or not model_id.strip():
        return None
    canonical: dict[str, str] = {}
    for known in known_model_ids():
        canonical.setdefault(normalize_model_id(known), known)
    match = close_match(normalize_model_id(model_id), canonical)
    return canonical[match] if match else None


def resolve_teacher(teacher_model_id: str) -> Teacher | None:
    return _TEACHERS_BY_ID.get(normalize_model_id(teacher_model_id))


_TEACHERS_BY_ID = {normalize_model_id(t.model_id): t for t in TEACHERS.values()}


def check_teacher(teacher_model_id: str, student: ModelRules) -> str | None:
    """None if the teacher may distill into `student`, else a message naming the allowed teachers."""
    allowed = [t for t in TEACHERS.values() if student.family in t.students]
    names = ", ".join(f"{t.model_id} ({t.display_name})" for t in allowed) or "none"
    teacher = resolve_teacher(teacher_model_id)
    if teacher is None:
        return f"{teacher_model_id!r} is not a distillation teacher model; teachers for {student.display_name}: {names}"
    if student.family not in teacher.students:
        return f"{teacher.display_name} cannot teach {student.display_name}; teachers for it: {names}"
    if teacher.profile_only and not is_inference_profile(teacher_model_id):
        return (
            f"{teacher.display_name} is a distillation teacher only through a cross-Region inference profile: "
            f"use us.{teacher.model_id} (or the inference profile's ARN) instead of {teacher_model_id!r}"
        )
    return None


def is_inference_profile(model_id: str) -> bool:
    """Whether `model_id` names a cross-Region inference profile ("us.<model id>" or its ARN)."""
    text = model_id.strip().lower()
    if text.startswith("arn:"):
        return ":inference-profile/" in text
    return inference_profile_parts(text)[0] is not None


def inference_profile_parts(model_id: str) -> tuple[str | None, str]:
    """The geography and the model id of a cross-Region inference profile id or ARN, or (None, the id) for a
    foundation model: "us.meta.llama3-1-405b-instruct-v1:0" -> ("us", "meta.llama3-1-405b-instruct-v1:0").

    The one rule for "is this an inference profile" used by the validator, the profiles and the stack (which
    grants a teacher's inference profile and its foundation model): a geography is whatever precedes a known
    provider, so a new geography needs no code change. Case is kept; only the comparison ignores it.
    """
    text = model_id.strip()
    if text.lower().startswith("arn:") and "/" in text:
        text = text.rsplit("/", 1)[-1]
    geography, _, rest = text.partition(".")
    if not text.lower().startswith(_PROVIDERS) and rest.lower().startswith(_PROVIDERS):
        return geography, rest
    return None, text


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _int_or_none(value: str | None) -> int | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return int(number) if number is not None and math.isfinite(number) and number.is_integer() else None
