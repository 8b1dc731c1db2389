"""What an EventBridge rule hands its target: the whole event, a constant, a path, or an input transformer.

AWS semantics for `InputTransformer.InputTemplate` (EventBridge API reference, InputTransformer): in a
JSON template, a `<placeholder>` inside a string gets the raw value and one outside a string gets the value
as JSON (strings quoted); a plain-text template (`<instance> is in state <status>`) gets raw values. A path
that matches nothing gives `null` as a JSON value and an empty string in text (the emulator's choice; AWS
documents no rule). moto 5.2.5 inserts raw values everywhere and leaves unmatched placeholders in place,
which breaks templates like `{"error": <detail-error>}` for events without an error.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def event_for_delivery(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets see it: `time` as ISO-8601 (moto keeps epoch seconds), no moto internals."""
    delivered = {key: value for key, value in event.items() if key != "ingestion-time"}
    if isinstance(delivered.get("time"), int | float):
        delivered["time"] = datetime.fromtimestamp(float(delivered["time"]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def json_path(document: Any, path: str) -> tuple[bool, Any]:
    """(found, value) for a simple EventBridge path like `$.detail.object.key` or `$.resources[0]`."""
    if path in ("$", ""):
        return True, document
    current = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.lstrip("$").lstrip(".")):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return False, None
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def render_template(template: str, paths: dict[str, str], event: dict[str, Any], rule_name: str) -> str:
    values: dict[str, tuple[bool, Any]] = {name: json_path(event, path) for name, path in paths.items()}
    values["aws.events.event"] = (True, event)
    values["aws.events.event.json"] = (True, event)
    values["aws.events.rule-name"] = (True, rule_name)
    values["aws.events.event.ingestion-time"] = (True, event.get("time"))
    if not template.lstrip().startswith(("{", "[", '"')):
        return _PLACEHOLDER.sub(
            lambda m: _as_text(values[m.group(1)]) if m.group(1) in values else m.group(0), template
        )
    rendered: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        match = _PLACEHOLDER.match(template, position) if char == "<" else None
        if match and match.group(1) in values:
            found, value = values[match.group(1)]
            rendered.append(
                json.dumps(_as_text((found, value)))[1:-1] if in_string else json.dumps(value if found else None)
            )
            position = match.end()
            continue
        rendered.append(char)
        if in_string and not escaped and char == "\\":
            escaped = True
        else:
            if char == '"' and not escaped:
                in_string = not in_string
            escaped = False
        position += 1
    return "".join(rendered)


def _as_text(match: tuple[bool, Any]) -> str:
    found, value = match
    if not found or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def target_input(target: dict[str, Any], event: dict[str, Any], rule_name: str) -> Any:
    """The payload for one target: a dict/list (JSON) or a str (plain text)."""
    delivered = event_for_delivery(event)
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return json_path(delivered, target["InputPath"])[1]
    transformer = target.get("InputTransformer")
    if not transformer:
        return delivered
    rendered = render_template(
        transformer["InputTemplate"], transformer.get("InputPathsMap") or {}, delivered, rule_name
    )
    try:
        return json.loads(rendered)
    except ValueError:
        # Templates need not be JSON (e.g. `Job <name> finished`): the target gets the text itself.
        return rendered


def as_message(payload: Any) -> str:
    """SNS and Lambda receive text: strings as they are, anything else as JSON."""
    return payload if isinstance(payload, str) else json.dumps(payload)
