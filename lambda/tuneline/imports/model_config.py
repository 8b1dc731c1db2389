"""Rules for `config.json`: supported architecture, context length, no quantized checkpoints."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tuneline import json_text
from tuneline.findings import Finding, Report
from tuneline.imports.architectures import (
    CONTEXT_LENGTH_KEYS,
    LLAMA3_ROPE_SCALING_OVERRIDE,
    LLAMA3_ROPE_TYPE,
    MAX_CONTEXT_LENGTH,
    ROPE_SCALING_OVERRIDDEN_FAMILIES,
    TEXT_SUB_CONFIG_KEYS,
    Architecture,
    architecture_for_class,
    architecture_for_model_type,
    looks_like_embedding_or_classifier,
    supported_class_names,
)
from tuneline.imports.dtypes import accepted_quant_method
from tuneline.imports.sources import FolderSource, SourceReadError, read_failure_rule

CONFIG_FILE = "config.json"
GENERATION_CONFIG_FILE = "generation_config.json"
MAX_CONFIG_BYTES = 10 * 1024 * 1024
# Bedrock documents models trained with transformers 4.51.3; a 5.x config layout is untested there.
DOCUMENTED_TRANSFORMERS_MAJOR = 4


@dataclass(frozen=True)
class ConfigFacts:
    """What the rest of the check needs to know from `config.json`."""

    architecture_class: str | None = None
    model_type: str | None = None
    architecture: Architecture | None = None
    context_length: int | None = None
    # The whole document, for the rules that compare it with the weights.
    document: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str | None:
        return self.architecture.family if self.architecture else None


def check_config(source: FolderSource, files: dict[str, int], report: Report) -> ConfigFacts:
    if CONFIG_FILE not in files:
        report.errors.append(config_finding("config-missing", _missing_config_message(files)))
        return ConfigFacts()
    try:
        document = json_text.loads(source.read_all(CONFIG_FILE, MAX_CONFIG_BYTES).decode("utf-8"))
    except SourceReadError as error:
        rule = read_failure_rule(error, "config-invalid")
        report.errors.append(config_finding(rule, f"config.json cannot be read: {error.reason}"))
        return ConfigFacts()
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.errors.append(
            config_finding(
                "config-invalid",
                f"config.json is not valid JSON: {error}; {_json_fix(error)}",
            )
        )
        return ConfigFacts()
    if not isinstance(document, dict):
        report.errors.append(config_finding("config-invalid", "config.json must be a JSON object"))
        return ConfigFacts()
    for key, value in non_finite_numbers(document):
        report.errors.append(config_finding("config-value-not-finite", _non_finite_message(CONFIG_FILE, key, value)))
    return evaluate_config(document, report)


def check_generation_config(source: FolderSource, files: dict[str, int], report: Report) -> None:
    """generation_config.json is optional, but serving stacks read their default sampling values from it."""
    if GENERATION_CONFIG_FILE not in files:
        return
    try:
        document = json_text.loads(source.read_all(GENERATION_CONFIG_FILE, MAX_CONFIG_BYTES).decode("utf-8"))
    except SourceReadError as error:
        rule = read_failure_rule(error, "generation-config-invalid")
        report.warnings.append(Finding(rule, f"cannot be read: {error.reason}", file=GENERATION_CONFIG_FILE))
        return
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.warnings.append(
            Finding(
                "generation-config-invalid",
                f"not valid JSON ({error}), so its sampling defaults are ignored at best: fix the syntax, or "
                "save it again with model.generation_config.save_pretrained(DIR), or remove the file",
                file=GENERATION_CONFIG_FILE,
            )
        )
        return
    for key, value in non_finite_numbers(document):
        report.warnings.append(
            Finding(
                "generation-config-value-not-finite",
                _non_finite_message(GENERATION_CONFIG_FILE, key, value),
                file=GENERATION_CONFIG_FILE,
            )
        )


def non_finite_numbers(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every NaN or infinite number in a parsed JSON document, with its key path (`a.b[2]`).

    Python's json module reads `NaN`, `Infinity` and numbers beyond float range (1e400) without
    complaint; the JSON standard has no such values and strict parsers refuse the whole file.
    """
    if isinstance(value, float) and not math.isfinite(value):
        yield path or "(the document)", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite_numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite_numbers(item, f"{path}[{index}]")


def _non_finite_message(file: str, key: str, value: float) -> str:
    if math.isnan(value):
        shown = "NaN"
    else:
        sign = "" if value > 0 else "-"
        shown = f"{sign}Infinity (or a number too large for a 64-bit float, which reads as {sign}Infinity)"
    return (
        f"`{key}` is {shown}; JSON has no such value, so strict parsers reject {file} and no setting can "
        f"use it: set `{key}` to a finite number, such as the one in the base model's file"
    )


def _json_fix(error: ValueError) -> str:
    if "BOM" in str(error):
        return "save the file as UTF-8 without a byte-order mark (BOM)"
    return "fix the syntax, or save the model config again with save_pretrained()"


def _missing_config_message(files: dict[str, int]) -> str:
    # The usual cause is a folder uploaded one level too deep, or a name spelled with capitals.
    elsewhere = sorted(
        (name for name in files if name.rsplit("/", 1)[-1].lower() == CONFIG_FILE), key=lambda n: (n.count("/"), n)
    )
    if elsewhere and "/" in elsewhere[0]:
        folder = elsewhere[0].rsplit("/", 1)[0]
        return (
            f"config.json is missing at the top of the folder (found {elsewhere[0]}); Bedrock reads the model "
            f"files directly in the folder: if {folder}/ holds the model, move its files up or point at {folder}/"
        )
    if elsewhere:
        return f"config.json is missing (found {elsewhere[0]}); names are case-sensitive: rename it to config.json"
    return "config.json is missing; save the model with save_pretrained() and upload the whole folder"


def evaluate_config(config: dict[str, Any], report: Report) -> ConfigFacts:
    """Apply every `config.json` rule to an already parsed document."""
    architecture_class, model_type, architecture = _architecture(config, report)
    context_length = _context_length(config, architecture, report)
    _warn_about_rope_scaling_override(config, architecture, report)
    _check_quantization(config, architecture, report)
    _check_transformers_version(config, report)
    return ConfigFacts(
        architecture_class=architecture_class,
        model_type=model_type,
        architecture=architecture,
        context_length=context_length,
        document=config,
    )


def _architecture(config: dict[str, Any], report: Report) -> tuple[str | None, str | None, Architecture | None]:
    classes = config.get("architectures")
    model_type = config.get("model_type")
    if model_type is not None and not isinstance(model_type, str):
        report.errors.append(config_finding("config-invalid", "`model_type` must be a string"))
        model_type = None
    if classes is not None and not (isinstance(classes, list) and classes and all(isinstance(c, str) for c in classes)):
        report.errors.append(
            config_finding("config-invalid", "`architectures` must be a non-empty list of class names")
        )
        return None, model_type, None

    by_model_type = architecture_for_model_type(model_type) if model_type else None
    if not classes:
        if by_model_type is None:
            what = f"model_type {model_type!r} is not importable" if model_type else "no `model_type` either"
            report.errors.append(
                config_finding(
                    "architecture-unsupported",
                    f"config.json names no `architectures` and {what}; save the model config with "
                    'save_pretrained(), which writes both, e.g. "architectures": ["LlamaForCausalLM"] and '
                    f'"model_type": "llama". Supported classes: {", ".join(supported_class_names())}',
                )
            )
            return None, model_type, None
        expected = sorted(by_model_type.class_names)[0]
        report.warnings.append(
            config_finding(
                "architectures-missing",
                f"config.json has no `architectures`; assuming {expected} from model_type {model_type!r}. "
                f'Add "architectures": ["{expected}"] so the import does not have to guess',
            )
        )
        return expected, model_type, by_model_type

    class_name = classes[0]
    architecture = architecture_for_class(class_name)
    if architecture is None:
        report.errors.append(config_finding("architecture-unsupported", _unsupported_message(class_name)))
        return class_name, model_type, None
    if model_type is not None and by_model_type is not architecture:
        report.warnings.append(
            config_finding(
                "architecture-model-type-mismatch",
                f"architectures[0] is {class_name} ({architecture.family}) but model_type is {model_type!r}; "
                f"expected one of {sorted(architecture.model_types)}: check that config.json belongs to "
                "these weights",
            )
        )
    return class_name, model_type, architecture


def _unsupported_message(class_name: str) -> str:
    reason = (
        "embedding and classification models are not importable"
        if looks_like_embedding_or_classifier(class_name)
        else "Bedrock Custom Model Import does not support this architecture"
    )
    return f"architectures[0] is {class_name}: {reason}. Supported classes: {', '.join(supported_class_names())}"


def _context_length(config: dict[str, Any], architecture: Architecture | None, report: Report) -> int | None:
    # A key set to null means "not declared" in Hugging Face configs.
    declared = [(key, config[key]) for key in CONTEXT_LENGTH_KEYS if config.get(key) is not None]
    for sub_key in TEXT_SUB_CONFIG_KEYS:
        sub_config = config.get(sub_key)
        if isinstance(sub_config, dict):
            declared += [
                (f"{sub_key}.{k}", sub_config[k]) for k in CONTEXT_LENGTH_KEYS if sub_config.get(k) is not None
            ]
    lengths: list[tuple[str, int]] = []
    for key, value in declared:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            lengths.append((key, value))
        else:
            report.errors.append(config_finding("config-invalid", f"`{key}` must be a positive integer, got {value!r}"))
    if not lengths:
        # T5 uses relative position buckets and has no hard maximum. An invalid value is reported above.
        if not declared and architecture is not None and architecture.family != "Flan-T5":
            report.warnings.append(
                config_finding(
                    "context-length-unknown",
                    f"config.json declares none of {', '.join(CONTEXT_LENGTH_KEYS)}; cannot check the "
                    f"{MAX_CONTEXT_LENGTH}-token context limit",
                )
            )
        return None
    # Every declared maximum must respect the limit, so judge the largest.
    key, length = max(lengths, key=lambda item: item[1])
    if length > MAX_CONTEXT_LENGTH:
        report.errors.append(
            config_finding(
                "context-too-long",
                f"`{key}` is {length}; Bedrock imports models with at most {MAX_CONTEXT_LENGTH} positions "
                f"(128K): set it to {MAX_CONTEXT_LENGTH} or less in config.json",
            )
        )
    return length


def _warn_about_rope_scaling_override(
    config: dict[str, Any], architecture: Architecture | None, report: Report
) -> None:
    if architecture is None or architecture.family not in ROPE_SCALING_OVERRIDDEN_FAMILIES:
        return
    declared = [("rope_scaling", config.get("rope_scaling"))]
    for sub_key in TEXT_SUB_CONFIG_KEYS:
        sub_config = config.get(sub_key)
        if isinstance(sub_config, dict):
            declared.append((f"{sub_key}.rope_scaling", sub_config.get("rope_scaling")))
    override = ", ".join(f"{key} {value:g}" for key, value in LLAMA3_ROPE_SCALING_OVERRIDE.items())
    for key, scaling in declared:
        # No scaling at all (Llama 2, Llama 3.0) is left as it is here.
        if scaling is None or _is_llama3_override(scaling):
            continue
        report.warnings.append(
            config_finding(
                "rope-scaling-overridden",
                f"`{key}` is {json.dumps(scaling)}; Bedrock replaces the rope_scaling of Llama 3 models with "
                f"type {LLAMA3_ROPE_TYPE}, {override}, so the imported model will not run with the declared "
                "scaling: if the model relies on it (a longer context, another factor), evaluate the imported "
                "model on long prompts, or fine-tune with those values",
            )
        )


def _is_llama3_override(scaling: object) -> bool:
    if not isinstance(scaling, dict):
        return False
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type != LLAMA3_ROPE_TYPE:
        return False
    for key, expected in LLAMA3_ROPE_SCALING_OVERRIDE.items():
        value = scaling.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != expected:
            return False
    return True


def _check_quantization(config: dict[str, Any], architecture: Architecture | None, report: Report) -> None:
    quantization = config.get("quantization_config")
    if quantization is None:
        return
    method = quantization.get("quant_method") if isinstance(quantization, dict) else None
    allowed = accepted_quant_method(architecture.family if architecture else None)
    if allowed is not None and method == allowed:
        return
    report.errors.append(
        config_finding(
            "config-quantized",
            f"config.json declares quantization ({method or 'unknown method'}); Bedrock imports FP32/FP16/"
            "BF16 weights only: merge adapters into the full-precision base model, save it in BF16 or FP16 "
            "and drop `quantization_config`",
        )
    )


def _check_transformers_version(config: dict[str, Any], report: Report) -> None:
    version = config.get("transformers_version")
    if not isinstance(version, str):
        return
    major = version.split(".", 1)[0]
    if major.isdigit() and int(major) > DOCUMENTED_TRANSFORMERS_MAJOR:
        report.warnings.append(
            config_finding(
                "transformers-version-untested",
                f"saved with transformers {version}; Bedrock documents models saved with transformers 4.51.3. "
                "If the import fails, load and save the model again with transformers 4.51.x",
            )
        )


def config_finding(rule: str, message: str) -> Finding:
    """A finding about config.json."""
    return Finding(rule=rule, message=message, file=CONFIG_FILE)
