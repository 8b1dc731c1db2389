"""Rules for the tokenizer files Bedrock Custom Model Import needs next to the weights."""

from __future__ import annotations

import json

from tuneline import json_text
from tuneline.findings import Finding, Report
from tuneline.imports.sources import (
    LFS_POINTER_MESSAGE,
    LFS_POINTER_RULE,
    UNREADABLE_RULE,
    FolderSource,
    SourceReadError,
    is_lfs_pointer,
    read_failure_rule,
    rename_hint,
    same_name_other_case,
)

TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
# Bedrock lists tokenizer_config.json, tokenizer.json and tokenizer.model, but a fast tokenizer is
# saved as tokenizer.json only and a slow SentencePiece one as tokenizer.model only; either one,
# together with tokenizer_config.json, is a complete Hugging Face tokenizer.
TOKENIZER_VOCAB_FILES = ("tokenizer.json", "tokenizer.model")
# What slow tokenizers save instead (GPT2/Qwen2 BPE, T5 SentencePiece); named so the fix is clear.
SLOW_TOKENIZER_FILES = ("vocab.json", "merges.txt", "spiece.model")
# Newer transformers save the template beside the tokenizer config (processors as JSON).
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
MAX_TOKENIZER_CONFIG_BYTES = 32 * 1024 * 1024
HEAD_BYTES = 64
_BASE_TOKENIZER_CLASSES = ("T5", "Llama", "CodeLlama", "GPT2", "GPTNeoX", "PreTrained", "Qwen2")
SUPPORTED_TOKENIZER_CLASSES = frozenset(
    f"{base}Tokenizer{suffix}" for base in _BASE_TOKENIZER_CLASSES for suffix in ("", "Fast")
)


def check_tokenizer(source: FolderSource, files: dict[str, int], report: Report) -> str | None:
    """Check presence and readability; returns `tokenizer_class` when the config names one."""
    _check_vocabulary_files(source, files, report)
    if TOKENIZER_CONFIG_FILE not in files:
        report.errors.append(
            _finding(
                "tokenizer-missing",
                f"tokenizer_config.json is missing{rename_hint(files, TOKENIZER_CONFIG_FILE)}; save the tokenizer "
                "with tokenizer.save_pretrained() into the model folder",
            )
        )
        return None
    try:
        document = json_text.loads(source.read_all(TOKENIZER_CONFIG_FILE, MAX_TOKENIZER_CONFIG_BYTES).decode("utf-8"))
    except SourceReadError as error:
        rule = read_failure_rule(error, "tokenizer-config-invalid")
        report.errors.append(_finding(rule, f"cannot be read: {error.reason}"))
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.errors.append(_finding("tokenizer-config-invalid", f"not valid JSON: {error}"))
        return None
    if not isinstance(document, dict):
        report.errors.append(_finding("tokenizer-config-invalid", "must be a JSON object"))
        return None
    if not document.get("chat_template") and not any(name in files for name in CHAT_TEMPLATE_FILES):
        report.warnings.append(
            _finding(
                "chat-template-missing",
                "no chat template (`chat_template` in tokenizer_config.json, chat_template.jinja or .json); "
                "fine for a base model, but chat requests to the imported model will not be formatted: "
                "save the tokenizer of the instruct model you fine-tuned",
            )
        )
    tokenizer_class = document.get("tokenizer_class")
    if tokenizer_class is None:
        return None
    if not isinstance(tokenizer_class, str) or tokenizer_class not in SUPPORTED_TOKENIZER_CLASSES:
        report.errors.append(
            _finding(
                "tokenizer-unsupported",
                f"tokenizer_class {tokenizer_class!r} is not supported; Bedrock supports "
                f"{', '.join(sorted(SUPPORTED_TOKENIZER_CLASSES))}: save the tokenizer with transformers "
                "4.51.x, or set tokenizer_class to the one in the base model's tokenizer_config.json",
            )
        )
        return None
    return tokenizer_class


def _check_vocabulary_files(source: FolderSource, files: dict[str, int], report: Report) -> None:
    present = [name for name in TOKENIZER_VOCAB_FILES if name in files]
    if not present:
        slow = [name for name in SLOW_TOKENIZER_FILES if name in files]
        other_case = [found for name in TOKENIZER_VOCAB_FILES if (found := same_name_other_case(files, name))]
        if other_case:
            how = f"found {other_case[0]}: names are case-sensitive, rename it to {other_case[0].lower()}"
        elif slow:
            how = (
                f"found only {', '.join(slow)}, the files of a slow tokenizer: load it with "
                "AutoTokenizer.from_pretrained(folder, use_fast=True) and save_pretrained() into the model "
                "folder, which writes tokenizer.json"
            )
        else:
            how = "save the tokenizer with tokenizer.save_pretrained() into the model folder"
        report.errors.append(
            Finding(
                rule="tokenizer-missing",
                message=f"neither tokenizer.json nor tokenizer.model is present; {how}",
                file=" or ".join(TOKENIZER_VOCAB_FILES),
            )
        )
        return
    for name in present:
        if files[name] == 0:
            report.errors.append(
                Finding(rule="tokenizer-invalid", message="the file is empty; upload it again", file=name)
            )
        else:
            _check_start(source, name, report)


def _check_start(source: FolderSource, name: str, report: Report) -> None:
    # Tokenizer files can be tens of megabytes; their first bytes are enough to catch a wrong file.
    try:
        head = source.read_bytes(name, 0, HEAD_BYTES)
    except SourceReadError as error:
        report.errors.append(Finding(rule=UNREADABLE_RULE, message=f"cannot be read: {error.reason}", file=name))
        return
    if is_lfs_pointer(head):
        report.errors.append(Finding(rule=LFS_POINTER_RULE, message=LFS_POINTER_MESSAGE, file=name))
        return
    # tokenizer.model is a binary SentencePiece protobuf: nothing more to check from its start.
    if name == "tokenizer.json" and not head.lstrip().startswith(b"{"):
        report.errors.append(
            Finding(
                rule="tokenizer-invalid",
                message="does not start like a JSON object; save the tokenizer again with save_pretrained()",
                file=name,
            )
        )


def _finding(rule: str, message: str) -> Finding:
    return Finding(rule=rule, message=message, file=TOKENIZER_CONFIG_FILE)
