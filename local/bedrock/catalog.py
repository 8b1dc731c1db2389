"""The foundation models the simulation knows, with what each can be customized for.

Taken from the Bedrock fact sheet (docs/user guide tables, late 2026). `ListFoundationModels` and
`GetFoundationModel` answer from here, so code that discovers models at run time works offline too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FINE_TUNING = "FINE_TUNING"
CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
DISTILLATION = "DISTILLATION"
REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"


@dataclass(frozen=True)
class FoundationModel:
    model_id: str
    name: str
    provider: str
    customizations: tuple[str, ...]
    input_modalities: tuple[str, ...] = ("TEXT",)
    output_modalities: tuple[str, ...] = ("TEXT",)
    # Custom models of this base can be served by an on-demand deployment (docs/bedrock.md §6.3).
    on_demand_deployment: bool = False

    def summary(self, region: str) -> dict[str, Any]:
        return {
            "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{self.model_id}",
            "modelId": self.model_id,
            "modelName": self.name,
            "providerName": self.provider,
            "inputModalities": list(self.input_modalities),
            "outputModalities": list(self.output_modalities),
            "responseStreamingSupported": self.output_modalities == ("TEXT",),
            "customizationsSupported": list(self.customizations),
            "inferenceTypesSupported": ["PROVISIONED"],
            "modelLifecycle": {"status": "ACTIVE"},
        }


FOUNDATION_MODELS: tuple[FoundationModel, ...] = (
    FoundationModel(
        "amazon.nova-micro-v1:0:128k", "Nova Micro", "Amazon", (FINE_TUNING, DISTILLATION), on_demand_deployment=True
    ),
    FoundationModel(
        "amazon.nova-lite-v1:0:300k",
        "Nova Lite",
        "Amazon",
        (FINE_TUNING, DISTILLATION),
        ("TEXT", "IMAGE", "VIDEO"),
        on_demand_deployment=True,
    ),
    FoundationModel(
        "amazon.nova-pro-v1:0:300k",
        "Nova Pro",
        "Amazon",
        (FINE_TUNING, DISTILLATION),
        ("TEXT", "IMAGE", "VIDEO"),
        on_demand_deployment=True,
    ),
    FoundationModel(
        "amazon.nova-2-lite-v1:0:256k",
        "Nova 2 Lite",
        "Amazon",
        # Reinforcement fine-tuning through the job API: Nova 2 Lite only (docs/bedrock.md §1.2, §13).
        (FINE_TUNING, REINFORCEMENT_FINE_TUNING),
        ("TEXT", "IMAGE", "VIDEO"),
        on_demand_deployment=True,
    ),
    # On demand per the Nova user guide; the Bedrock guide does not list it (docs/bedrock.md §6.3).
    FoundationModel(
        "amazon.nova-canvas-v1:0",
        "Nova Canvas",
        "Amazon",
        (FINE_TUNING,),
        ("TEXT", "IMAGE"),
        ("IMAGE",),
        on_demand_deployment=True,
    ),
    FoundationModel(
        "amazon.titan-text-express-v1:0:8k", "Titan Text G1 - Express", "Amazon", (FINE_TUNING, CONTINUED_PRE_TRAINING)
    ),
    FoundationModel(
        "amazon.titan-image-generator-v2:0",
        "Titan Image Generator G1 v2",
        "Amazon",
        (FINE_TUNING,),
        ("TEXT", "IMAGE"),
        ("IMAGE",),
    ),
    FoundationModel(
        "amazon.titan-embed-image-v1:0",
        "Titan Multimodal Embeddings G1",
        "Amazon",
        (FINE_TUNING,),
        ("TEXT", "IMAGE"),
        ("EMBEDDING",),
    ),
    FoundationModel(
        "anthropic.claude-3-haiku-20240307-v1:0:200k", "Claude 3 Haiku", "Anthropic", (FINE_TUNING, DISTILLATION)
    ),
    FoundationModel(
        "meta.llama3-1-8b-instruct-v1:0:128k", "Llama 3.1 8B Instruct", "Meta", (FINE_TUNING, DISTILLATION)
    ),
    FoundationModel(
        "meta.llama3-1-70b-instruct-v1:0:128k", "Llama 3.1 70B Instruct", "Meta", (FINE_TUNING, DISTILLATION)
    ),
    FoundationModel(
        "meta.llama3-2-1b-instruct-v1:0:128k", "Llama 3.2 1B Instruct", "Meta", (FINE_TUNING, DISTILLATION)
    ),
    FoundationModel(
        "meta.llama3-2-3b-instruct-v1:0:128k", "Llama 3.2 3B Instruct", "Meta", (FINE_TUNING, DISTILLATION)
    ),
    FoundationModel(
        "meta.llama3-2-11b-instruct-v1:0:128k", "Llama 3.2 11B Instruct", "Meta", (FINE_TUNING,), ("TEXT", "IMAGE")
    ),
    FoundationModel(
        "meta.llama3-2-90b-instruct-v1:0:128k", "Llama 3.2 90B Instruct", "Meta", (FINE_TUNING,), ("TEXT", "IMAGE")
    ),
    FoundationModel(
        "meta.llama3-3-70b-instruct-v1:0:128k",
        "Llama 3.3 70B Instruct",
        "Meta",
        (FINE_TUNING,),
        on_demand_deployment=True,
    ),
    # Teachers for distillation (not customizable themselves).
    FoundationModel("amazon.nova-premier-v1:0", "Nova Premier", "Amazon", ()),
    FoundationModel("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "Anthropic", ()),
    FoundationModel("meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", "Meta", ()),
)


def find(model_id: str) -> FoundationModel | None:
    """The catalog entry for a model ID; `amazon.nova-pro-v1:0` also finds its contextual variant."""
    for model in FOUNDATION_MODELS:
        if model.model_id == model_id or model.model_id.startswith(model_id + ":"):
            return model
    return None
