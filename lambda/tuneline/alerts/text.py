"""Plain-text building blocks for alerts: an SNS-safe subject and a body that reads well on a phone.

SNS e-mail subjects must be ASCII, a single line, without control characters and under 100 characters.
Bodies are plain text: e-mail clients and chat bridges show them as they are, so lines are kept short and
long unbreakable values (ARNs, S3 URIs) go on their own indented line instead of being cut.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Every subject starts "Tuneline: ..." so mail filters and chat rules can pick the alerts out.
SUBJECT_PREFIX = "Tuneline"
MAX_SUBJECT_LENGTH = 99
BODY_WIDTH = 64
INDENT = "  "
_ELLIPSIS = "..."
# Values a reader copies as a whole: never wrapped, even when an S3 key contains spaces.
_WHOLE_VALUE_PREFIXES = ("s3://", "arn:", "https://")


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body}


def make_alert(subject: str, sections: Iterable[Iterable[str] | str | None]) -> Alert:
    """An alert from a subject and body sections (each a line list, a paragraph, or None to skip)."""
    blocks: list[str] = []
    for section in sections:
        if section is None:
            continue
        lines = wrap(section) if isinstance(section, str) else [line for line in section if line is not None]
        if lines:
            blocks.append("\n".join(lines))
    return Alert(subject=subject_line(subject), body="\n\n".join(blocks) + "\n")


def subject_line(text: str) -> str:
    """ASCII, one line, no control characters, at most MAX_SUBJECT_LENGTH characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    single_line = " ".join(ascii_text.split())
    printable = "".join(ch for ch in single_line if ch.isprintable())
    return truncate(printable, MAX_SUBJECT_LENGTH) or "Tuneline alert"


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(_ELLIPSIS)].rstrip() + _ELLIPSIS


def wrap(text: str, *, indent: str = "") -> list[str]:
    """Wrap a paragraph to the body width; words longer than a line (URIs) stay whole."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=BODY_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def field(label: str, value: Any) -> list[str]:
    """`Label: value` on one line when it fits, else the value on the following, indented line(s)."""
    if value is None or value == "":
        return []
    text = " ".join(str(value).split())
    line = f"{label}: {text}"
    if len(line) <= BODY_WIDTH:
        return [line]
    if " " not in text or text.startswith(_WHOLE_VALUE_PREFIXES):
        return [f"{label}:", INDENT + text]
    return [f"{label}:", *wrap(text, indent=INDENT)]


def fields(*pairs: tuple[str, Any]) -> list[str]:
    lines: list[str] = []
    for label, value in pairs:
        lines.extend(field(label, value))
    return lines


def command_lines(title: str, command: str | None, *, bullet: bool = True) -> list[str]:
    """A title line, then the command alone on an indented line, never wrapped: it is copied as it is, often
    from a phone. Nothing when there is no command."""
    if not command:
        return []
    return [f"- {title}" if bullet else title, f"{INDENT}{command}"]


def numbered(items: Iterable[str]) -> list[str]:
    """1. first item, wrapped with a hanging indent under its text."""
    lines: list[str] = []
    for number, item in enumerate(items, start=1):
        marker = f"{number}. "
        wrapped = wrap(item, indent=" " * len(marker)) or [" " * len(marker)]
        lines.append(marker + wrapped[0].lstrip())
        lines.extend(wrapped[1:])
    return lines


def bullets(items: Iterable[str]) -> list[str]:
    lines: list[str] = []
    for item in items:
        wrapped = wrap(item, indent=INDENT)
        if wrapped:
            lines.append("- " + wrapped[0].lstrip())
            lines.extend(wrapped[1:])
    return lines


def money(amount: Any) -> str | None:
    try:
        return f"${float(amount):,.2f}"
    except (TypeError, ValueError):
        return None


def s3_uri(bucket: str | None, key: str | None) -> str | None:
    if not bucket:
        return None
    return f"s3://{bucket}/{key or ''}"


def duration_between(start: Any, end: Any) -> str | None:
    """ "2h 14m" between two timestamps (datetime or ISO 8601 text), or None if either is unreadable."""
    began, ended = _timestamp(start), _timestamp(end)
    if began is None or ended is None or ended < began:
        return None
    minutes = int((ended - began).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = re.sub(r"Z$", "+00:00", value.strip())
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
