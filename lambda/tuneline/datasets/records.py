"""Record checkers: one class per dataset format, each checking one parsed JSON object.

A checker reports through `fail` / `warn` at the line the scanner set, and returns the number of text
characters in the record (the basis of the token estimate). Which limits apply (media types, reserved
keywords, caption lengths, ...) comes from the model's row in the rules table, never from the model's name.

These run once per record, so they stay flat: type checks with `type(x) is ...`, no regexes on the common
path, and messages are only formatted when something is wrong.
"""

from __future__ import annotations

import re
from typing import Any

from tuneline.datasets.collector import FindingCollector
from tuneline.datasets.models import (
    DISTILLATION,
    FORMAT_CLAUDE_MESSAGES,
    FORMAT_CONTINUED_PRETRAINING,
    FORMAT_CONVERSE,
    FORMAT_IMAGE_CAPTION,
    FORMAT_PROMPT_COMPLETION,
    ModelRules,
)

# Bedrock's S3 URI pattern (anchored) and Nova's file-name charset for media objects.
S3_URI = re.compile(r"^s3://([a-z0-9][-.a-z0-9]{1,61}[a-z0-9])/([A-Za-z0-9_\-/.]+)$")
USER = "user"
ASSISTANT = "assistant"
MESSAGE_FIELDS = frozenset({"role", "content"})


def _preview(value: Any, limit: int = 40) -> str:
    try:
        text = repr(value)
    except RecursionError:
        text = f"<deeply nested {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RecordChecker:
    """Base class: holds the position and the sink, and the helpers every format shares."""

    format_name = ""
    fields: frozenset[str] = frozenset()

    def __init__(
        self,
        rules: ModelRules,
        sink: FindingCollector,
        *,
        customization_type: str,
        single_turn: bool = False,
        dataset_bucket: str | None = None,
        media_prefix: str | None = None,
    ) -> None:
        self.rules = rules
        self.sink = sink
        self.customization_type = customization_type
        self.single_turn = single_turn
        self.dataset_bucket = dataset_bucket
        self.media_prefix = media_prefix
        self.file: str | None = None
        self.line = 0
        # Media seen in the current record, read by the scanner for the token estimate and dataset stats.
        self.images = 0
        self.videos = 0
        self.reserved = tuple(k.lower() for k in rules.reserved_keywords)
        self.reserved_ignore_case = rules.reserved_keywords_ignore_case
        self.reserved_exact = tuple(rules.reserved_keywords)
        self.reserved_anchors = _anchors(rules.reserved_keywords, rules.reserved_keywords_ignore_case)
        # The characters one of which every reserved keyword contains (see `reserved_hit`).
        self.reserved_anchor_chars = tuple(anchor for anchor, _ in self.reserved_anchors)
        self._unknown_field_warned = False
        # (bucket, file, line) of the first media URI, when the dataset's bucket is not known.
        self.first_media_bucket: tuple[str, str | None, int] | None = None

    def fail(self, rule: str, message: str) -> None:
        self.sink.error(rule, message, self.line, self.file)

    def warn(self, rule: str, message: str) -> None:
        self.sink.warning(rule, message, self.line, self.file)

    def check(self, record: dict[str, Any]) -> int:
        raise NotImplementedError

    def check_unknown_fields(self, record: dict[str, Any]) -> None:
        if len(record) > len(self.fields) or not self.fields.issuperset(record):
            extra = sorted(set(record) - self.fields)
            if extra:
                self.warn(
                    "record.unknown-field",
                    f"field(s) {', '.join(map(repr, extra))} are not part of the {self.format_name} format and "
                    f"are ignored at best; expected only {', '.join(sorted(self.fields))}",
                )

    def check_message_fields(self, message: dict[str, Any], index: int) -> None:
        """A message is {"role", "content"} and nothing else: a mistyped key ("Content", "text") or an extra one
        ("name", "id") is ignored or refused by the service."""
        if len(message) > 2 or not MESSAGE_FIELDS.issuperset(message):
            extra = sorted(set(message) - MESSAGE_FIELDS)
            self.warn(
                "record.unknown-field",
                f"message {index} has field(s) {', '.join(map(repr, extra))}, which are not part of the "
                f"{self.format_name} format; a message holds only 'role' and 'content': remove or rename them",
            )

    def required_text(self, record: dict[str, Any], name: str, *, allow_empty: bool = False) -> int:
        value = record.get(name)
        if value is None:
            self.fail(
                "record.missing-field",
                f"missing {name!r}: every {self.format_name} record needs {', '.join(sorted(self.fields))}",
            )
            return 0
        if type(value) is not str:
            self.fail("record.wrong-type", f"{name!r} must be a string, got {type(value).__name__}")
            return 0
        if not allow_empty and (not value or value.isspace()):
            self.fail("record.empty-text", f"{name!r} is empty; remove the record or fill in the text")
        return len(value)

    def reserved_hit(self, text: str) -> str | None:
        """The reserved keyword in `text`, if any.

        Each keyword is found through its first non-letter character (":" of "User:"): we look at the few
        places that character occurs instead of searching the whole text once per keyword.
        """
        for anchor, candidates in self.reserved_anchors:
            position = text.find(anchor)
            while position != -1:
                for offset, length, wanted, keyword in candidates:
                    start = position - offset
                    if start >= 0:
                        found = text[start : start + length]
                        if (found.lower() if self.reserved_ignore_case else found) == wanted:
                            return keyword
                position = text.find(anchor, position + 1)
        return None

    def check_reserved(self, text: str, where: str) -> None:
        keyword = self.reserved_hit(text)
        if keyword is not None:
            self.fail(
                "text.reserved-keyword",
                f"{where} contains the reserved keyword {keyword!r}, which makes the {self.rules.display_name} "
                f"job fail; reword it (reserved: {', '.join(map(repr, self.rules.reserved_keywords))})",
            )

    def check_s3_uri(self, uri: Any, where: str) -> str | None:
        """Returns the bucket of a valid URI; reports `media.uri`, `media.outside-prefix` (a key outside the
        media folder) and `media.other-bucket`."""
        if type(uri) is not str:
            self.fail("media.uri", f"{where} needs an S3 URI string like s3://bucket/images/cat.png")
            return None
        match = S3_URI.match(uri)
        if match is None:
            self.fail(
                "media.uri",
                f"{where} {_preview(uri)} is not a valid S3 URI: use s3://<bucket>/<key> with only letters, "
                "digits, '_', '-', '/' and '.' in the key (no spaces, '=', '+' or '%')",
            )
            return None
        bucket = match.group(1)
        if self.media_prefix is not None and not match.group(2).startswith(self.media_prefix):
            # The pipeline copies what records name into staged/, where every job role reads: only the media
            # folder may be named, never model files, other uploads or job outputs.
            self.fail(
                "media.outside-prefix",
                f"{where} {_preview(uri, 60)} is outside the media folder; images and videos must be under "
                f"s3://{self.dataset_bucket or bucket}/{self.media_prefix}: move the object there and fix the URI",
            )
        if self.dataset_bucket:
            if bucket != self.dataset_bucket:
                self.fail(
                    "media.other-bucket",
                    f"{where} is in bucket {bucket!r}; media must be in the dataset's bucket "
                    f"{self.dataset_bucket!r} so the job's service role can read it",
                )
        elif self.first_media_bucket is None:
            self.first_media_bucket = (bucket, self.file, self.line)
        elif bucket != self.first_media_bucket[0]:
            # Without the dataset's bucket, two buckets in one dataset still mean one of them is wrong.
            first, first_file, first_line = self.first_media_bucket
            self.fail(
                "media.other-bucket",
                f"{where} is in bucket {bucket!r}, but {first_file} line {first_line} uses bucket {first!r}; all "
                "media must be in the one bucket that holds the dataset, so the job's service role can read it",
            )
        return bucket


class PromptCompletionChecker(RecordChecker):
    format_name = "prompt/completion"
    fields = frozenset({"prompt", "completion"})

    def check(self, record: dict[str, Any]) -> int:
        prompt = record.get("prompt")
        completion = record.get("completion")
        if type(prompt) is str and type(completion) is str and completion and not completion.isspace():
            if len(record) != 2:
                self.check_unknown_fields(record)
            return len(prompt) + len(completion)
        chars = self.required_text(record, "prompt", allow_empty=True)
        chars += self.required_text(record, "completion")
        self.check_unknown_fields(record)
        return chars


class ContinuedPretrainingChecker(RecordChecker):
    format_name = "continued pre-training"
    fields = frozenset({"input"})

    def check(self, record: dict[str, Any]) -> int:
        text = record.get("input")
        if type(text) is str and text and not text.isspace():
            if len(record) != 1:
                self.check_unknown_fields(record)
            return len(text)
        chars = self.required_text(record, "input")
        self.check_unknown_fields(record)
        return chars


class ImageCaptionChecker(RecordChecker):
    format_name = "image/caption"
    fields = frozenset({"image-ref", "caption"})

    def check(self, record: dict[str, Any]) -> int:
        self.images = 1
        uri = record.get("image-ref")
        if uri is None:
            self.fail("record.missing-field", "missing 'image-ref': give the S3 URI of the image")
        elif self.check_s3_uri(uri, "'image-ref'"):
            extension = uri.rsplit(".", 1)[-1].lower() if "." in uri.rsplit("/", 1)[-1] else ""
            if extension not in self.rules.caption_image_formats:
                self.fail(
                    "media.format",
                    f"'image-ref' {_preview(uri)} must be a {' or '.join(self.rules.caption_image_formats)} file "
                    f"for {self.rules.display_name}",
                )
        caption = record.get("caption")
        chars = self.required_text(record, "caption", allow_empty=True)
        low, high = self.rules.caption_chars or (0, 1 << 30)
        if type(caption) is str and not low <= len(caption) <= high:
            self.fail(
                "caption.length",
                f"caption has {len(caption)} characters; {self.rules.display_name} accepts {low}-{high}",
            )
        if len(record) != 2:
            self.check_unknown_fields(record)
        return chars


class ClaudeMessagesChecker(RecordChecker):
    """Claude 3 Haiku: `system` is a string, `content` is a plain string (not the converse block list)."""

    format_name = "Claude 3 Haiku messages"
    fields = frozenset({"system", "messages"})

    def check(self, record: dict[str, Any]) -> int:
        chars = 0
        system = record.get("system")
        if system is not None:
            if type(system) is not str:
                self.fail(
                    "system.invalid",
                    "'system' must be a plain string for Claude 3 Haiku (not a list of text blocks)",
                )
            else:
                chars += len(system)
                if self.reserved_exact:
                    self.check_reserved(system, "the system prompt")
        messages = record.get("messages")
        if type(messages) is not list or not messages:
            self.fail("messages.invalid", "'messages' must be a non-empty list of {role, content} objects")
            return chars
        previous = None
        for index, message in enumerate(messages, 1):
            if type(message) is not dict:
                self.fail("message.invalid", f"message {index} must be an object with 'role' and 'content'")
                previous = None
                continue
            if len(message) != 2 or not MESSAGE_FIELDS.issuperset(message):
                self.check_message_fields(message, index)
            role = message.get("role")
            content = message.get("content")
            if role != USER and role != ASSISTANT:
                self.fail("message.role", f"message {index} has role {_preview(role)}; use 'user' or 'assistant'")
            elif role == previous:
                self.fail(
                    "message.alternation",
                    f"messages {index - 1} and {index} are both {role!r}; turns must alternate user/assistant",
                )
            previous = role
            if type(content) is not str:
                self.fail(
                    "message.content",
                    f"message {index} 'content' must be a plain string for Claude 3 Haiku, "
                    f"got {type(content).__name__}",
                )
                continue
            chars += len(content)
            if not content or content.isspace():
                self.fail("message.empty", f"message {index} has no text")
            elif self.reserved_exact:
                self.check_reserved(content, f"message {index}")
        first = messages[0].get("role") if type(messages[0]) is dict else None
        last = messages[-1].get("role") if type(messages[-1]) is dict else None
        if first != USER:
            self.fail("message.first-role", "the first message must have role 'user'")
        if last != ASSISTANT:
            self.fail("message.last-role", "the last message must have role 'assistant' (the answer to learn)")
        self.check_unknown_fields(record)
        return chars


class ConverseChecker(RecordChecker):
    """`bedrock-conversation-2024` for fine-tuning (Nova, Llama 3.2/3.3) and distillation prompts."""

    format_name = "bedrock-conversation-2024"
    fields = frozenset({"schemaVersion", "system", "messages"})

    def __init__(self, rules: ModelRules, sink: FindingCollector, **kwargs: Any) -> None:
        super().__init__(rules, sink, **kwargs)
        self.distillation = self.customization_type == DISTILLATION
        self.image_formats = frozenset(rules.image_formats)
        self.video_formats = frozenset(rules.video_formats)
        # Where the dataset first used images / videos: a Nova dataset may use one kind only.
        self.first_media: dict[str, tuple[str | None, int]] = {}

    def check(self, record: dict[str, Any]) -> int:
        """The everyday record is recognised in one flat pass that reports nothing: an optional schemaVersion
        string, an optional one-block system prompt, user/assistant turns from user to assistant with one
        non-blank text block each, no reserved keyword, no other field. Anything else (and every
        distillation prompt) goes through `_check_all_rules`, which reports what is wrong."""
        self.images = 0
        self.videos = 0
        if self.distillation:
            return self._check_all_rules(record)
        anchors = self.reserved_anchor_chars
        try:
            messages = record["messages"]
            if type(messages) is not list or not messages:
                return self._check_all_rules(record)
            fields = 1
            chars = 0
            system = record.get("system")
            if system is not None:
                if type(system) is not list or len(system) != 1:
                    return self._check_all_rules(record)
                block = system[0]
                text = block["text"]
                if len(block) != 1 or type(text) is not str:
                    return self._check_all_rules(record)
                for anchor in anchors:
                    if anchor in text and self.reserved_hit(text) is not None:
                        return self._check_all_rules(record)
                chars = len(text)
                fields = 2
            expected = USER
            for message in messages:
                if message["role"] != expected or len(message) != 2:
                    return self._check_all_rules(record)
                content = message["content"]
                if type(content) is not list or len(content) != 1:
                    return self._check_all_rules(record)
                block = content[0]
                text = block["text"]
                if len(block) != 1 or type(text) is not str or not text or text.isspace():
                    return self._check_all_rules(record)
                chars += len(text)
                if expected is USER:
                    for anchor in anchors:
                        if anchor in text and self.reserved_hit(text) is not None:
                            return self._check_all_rules(record)
                    expected = ASSISTANT
                else:
                    expected = USER
            if expected is not USER:  # the last turn is the user's
                return self._check_all_rules(record)
            version = record.get("schemaVersion")
            if version is not None:
                if type(version) is not str:
                    return self._check_all_rules(record)
                fields += 1
            if len(record) != fields:
                return self._check_all_rules(record)
            return chars
        except (KeyError, TypeError):  # a missing key, or a value of the wrong type indexed
            return self._check_all_rules(record)

    def _check_all_rules(self, record: dict[str, Any]) -> int:
        chars = 0
        version = record.get("schemaVersion")
        if version is not None and type(version) is not str:
            self.fail("record.wrong-type", "'schemaVersion' must be a string: \"bedrock-conversation-2024\"")
        system = record.get("system")
        if system is not None:
            chars += self._check_system(system)
        messages = record.get("messages")
        if type(messages) is not list or not messages:
            self.fail(
                "messages.invalid",
                '\'messages\' must be a non-empty list of {"role", "content": [{"text": ...}]} objects',
            )
            return chars
        previous = None
        for index, message in enumerate(messages, 1):
            if type(message) is not dict:
                self.fail("message.invalid", f"message {index} must be an object with 'role' and 'content'")
                previous = None
                continue
            self.check_message_fields(message, index)
            role = message.get("role")
            if role == previous or (role != USER and role != ASSISTANT):
                self._check_role(role, previous, index)
            previous = role
            content = message.get("content")
            chars += self._check_content(content, index, role)
        first = messages[0]
        if self.distillation or previous != ASSISTANT or type(first) is not dict or first.get("role") != USER:
            self._check_turns(messages)
        self.check_unknown_fields(record)
        if self.images or self.videos:
            self._check_media_counts()
        return chars

    def _check_role(self, role: Any, previous: Any, index: int) -> None:
        if role != USER and role != ASSISTANT:
            self.fail(
                "message.role",
                f"message {index} has role {_preview(role)}; only 'user' and 'assistant' are allowed "
                "(put instructions in the top-level 'system' list)",
            )
        else:
            self.fail(
                "message.alternation",
                f"messages {index - 1} and {index} are both {role!r}; turns must alternate user/assistant",
            )

    def _check_content(self, content: Any, index: int, role: Any) -> int:
        """Every content rule for one message; returns its text characters."""
        if type(content) is not list or not content:
            self.fail(
                "message.content",
                f'message {index} \'content\' must be a non-empty list of blocks like {{"text": "..."}}',
            )
            return 0
        chars = 0
        media = 0
        has_words = False
        for block in content:
            text = block.get("text") if type(block) is dict else None
            if type(text) is str and len(block) == 1:
                chars += len(text)
                if not has_words and text and not text.isspace():
                    has_words = True
                if role == USER and self.reserved_exact and self.reserved_hit(text) is not None:
                    self.check_reserved(text, f"message {index}")
            else:
                media += self._check_block(block, index, role)
        if not media and not has_words:
            self.fail("message.empty", f"message {index} has no text; remove it or fill it in")
        return chars

    def _check_system(self, system: Any) -> int:
        if type(system) is not list:
            self.fail("system.invalid", '\'system\' must be a list of text blocks: [{"text": "..."}]')
            return 0
        chars = 0
        for block in system:
            text = block.get("text") if type(block) is dict else None
            if type(text) is not str or len(block) != 1:
                self.fail("system.invalid", 'each \'system\' entry must be {"text": "..."} and nothing else')
                continue
            chars += len(text)
            for anchor in self.reserved_anchor_chars:
                if anchor in text:
                    self.check_reserved(text, "the system prompt")
                    break
        return chars

    def _check_turns(self, messages: list[Any]) -> None:
        first = messages[0].get("role") if type(messages[0]) is dict else None
        last = messages[-1].get("role") if type(messages[-1]) is dict else None
        if first != USER:
            self.fail("message.first-role", "the first message must have role 'user'")
        if self.distillation:
            if self.single_turn and (len(messages) > 2 or sum(1 for m in messages if _role(m) == USER) > 1):
                self.fail(
                    "distillation.single-turn",
                    f"this prompt has {len(messages)} messages; the teacher for {self.rules.display_name} "
                    "accepts only single-turn prompts (one user message, optionally one assistant answer)",
                )
        elif last != ASSISTANT:
            self.fail("message.last-role", "the last message must have role 'assistant' (the answer to learn)")

    def _check_block(self, block: Any, index: int, role: Any) -> int:
        """Non-text (or malformed) content block; returns 1 if it is an image or a video."""
        if type(block) is not dict or len(block) != 1:
            self.fail(
                "message.content",
                f"message {index} has a content block {_preview(block)}; each block must be an object with "
                "exactly one of 'text', 'image' or 'video'",
            )
            return 0
        ((kind, value),) = block.items()
        if kind == "text":
            self.fail("record.wrong-type", f"message {index} 'text' must be a string, got {type(value).__name__}")
            return 0
        if kind in ("image", "video"):
            self._check_media(kind, value, index, role)
            return 1
        if kind == "reasoningContent":
            self._check_reasoning(value, index, role)
            return 0
        self.fail(
            "content.unsupported-block",
            f"message {index} has a {kind!r} block; Bedrock customization datasets accept only text, image and "
            "video blocks (no tool use or documents)",
        )
        return 0

    def _check_media(self, kind: str, value: Any, index: int, role: Any) -> None:
        allowed = self.image_formats if kind == "image" else self.video_formats
        if kind == "image":
            self.images += 1
        else:
            self.videos += 1
        if not allowed:
            self.fail(
                "media.not-supported",
                f"message {index} has {'an image' if kind == 'image' else 'a video'}; "
                f"{self.rules.display_name} accepts text only for customization",
            )
            return
        if role == ASSISTANT:
            self.fail("media.in-response", f"message {index} is an assistant turn; images and videos go in user turns")
        if type(value) is not dict:
            self.fail("media.invalid", f'message {index} {kind} must be {{"format": ..., "source": ...}}')
            return
        media_format = value.get("format")
        if type(media_format) is not str or media_format.lower() not in allowed:
            self.fail(
                "media.format",
                f"message {index} {kind} format {_preview(media_format)} is not accepted by "
                f"{self.rules.display_name}; use one of {', '.join(sorted(allowed))}",
            )
        source = value.get("source")
        location = source.get("s3Location") if type(source) is dict else None
        if type(location) is not dict:
            self.fail(
                "media.invalid",
                f'message {index} {kind} needs "source": {{"s3Location": {{"uri": "s3://..."}}}} '
                "(inline bytes are not accepted in training data)",
            )
            return
        self.check_s3_uri(location.get("uri"), f"message {index} {kind} uri")

    def _check_reasoning(self, value: Any, index: int, role: Any) -> None:
        if not self.rules.reasoning_content:
            self.fail(
                "reasoning.not-supported",
                f"message {index} has a 'reasoningContent' block, which {self.rules.display_name} does not accept",
            )
            return
        if role != ASSISTANT:
            self.fail("reasoning.not-supported", f"message {index}: reasoningContent belongs in assistant turns only")
        inner = value.get("reasoningText") if type(value) is dict else None
        text = inner.get("text") if type(inner) is dict else None
        if type(text) is not str:
            self.fail(
                "reasoning.invalid",
                f'message {index} reasoningContent must be {{"reasoningText": {{"text": "..."}}}}',
            )
        elif not text.strip():
            self.fail("reasoning.invalid", f"message {index} reasoningContent text is empty")

    def _check_media_counts(self) -> None:
        rules = self.rules
        if rules.max_images_per_record and self.images > rules.max_images_per_record:
            self.fail(
                "media.too-many-images",
                f"{self.images} images in one record; {rules.display_name} accepts at most "
                f"{rules.max_images_per_record}",
            )
        if rules.max_videos_per_record and self.videos > rules.max_videos_per_record:
            self.fail(
                "media.too-many-videos",
                f"{self.videos} videos in one record; {rules.display_name} accepts at most "
                f"{rules.max_videos_per_record}",
            )
        if rules.mixed_media_allowed:
            return
        if self.images and self.videos:
            self.fail("media.mixed", "this record has both images and videos; use one kind per dataset")
            return
        kind = "image" if self.images else "video"
        other = "video" if kind == "image" else "image"
        self.first_media.setdefault(kind, (self.file, self.line))
        if other in self.first_media:
            where_file, where_line = self.first_media[other]
            self.fail(
                "media.mixed",
                f"this record has {kind}s but the dataset already has {other}s ({where_file} line {where_line}); "
                f"a {rules.display_name} dataset must be text+images or text+videos, never both",
            )


def _role(message: Any) -> Any:
    return message.get("role") if type(message) is dict else None


def _anchors(
    keywords: tuple[str, ...], ignore_case: bool
) -> tuple[tuple[str, tuple[tuple[int, int, str, str], ...]], ...]:
    """Group keywords by their first non-letter character: (anchor, ((offset, length, wanted, keyword), ...))."""
    groups: dict[str, list[tuple[int, int, str, str]]] = {}
    for keyword in keywords:
        offset = next((i for i, c in enumerate(keyword) if not c.isalpha()), 0)
        wanted = keyword.lower() if ignore_case else keyword
        groups.setdefault(keyword[offset], []).append((offset, len(keyword), wanted, keyword))
    return tuple((anchor, tuple(items)) for anchor, items in groups.items())


CHECKERS: dict[str, type[RecordChecker]] = {
    FORMAT_PROMPT_COMPLETION: PromptCompletionChecker,
    FORMAT_CONTINUED_PRETRAINING: ContinuedPretrainingChecker,
    FORMAT_CONVERSE: ConverseChecker,
    FORMAT_CLAUDE_MESSAGES: ClaudeMessagesChecker,
    FORMAT_IMAGE_CAPTION: ImageCaptionChecker,
}


def make_checker(
    format_name: str,
    rules: ModelRules,
    sink: FindingCollector,
    *,
    customization_type: str,
    single_turn: bool = False,
    dataset_bucket: str | None = None,
    media_prefix: str | None = None,
) -> RecordChecker:
    return CHECKERS[format_name](
        rules,
        sink,
        customization_type=customization_type,
        single_turn=single_turn,
        dataset_bucket=dataset_bucket,
        media_prefix=media_prefix,
    )
