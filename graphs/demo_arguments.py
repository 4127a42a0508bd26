"""fill_arguments: the demo model's way of reading tool arguments out of the user's words."""

from __future__ import annotations

import re
from typing import Any

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”")
NAME_AFTER = re.compile(r"\b(?:to|for|named|called|about|of)\s+([A-Z][\w-]*)")
TRUE_WORDS = frozenset({"true", "yes", "on", "enable", "enabled"})
FALSE_WORDS = frozenset({"false", "no", "off", "disable", "disabled"})


def fill_arguments(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Arguments for a JSON-Schema object, read from text; required ones always get a value."""
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    arguments: dict[str, Any] = {}
    for name, prop in properties.items():
        value = _read(name, prop if isinstance(prop, dict) else {}, text)
        if value is None and name in required:
            value = _fallback(prop if isinstance(prop, dict) else {}, text)
        if value is not None:
            arguments[name] = value
    return arguments


def _read(name: str, prop: dict[str, Any], text: str) -> Any:
    type_ = prop.get("type", "string")
    labelled = _labelled_value(name, text)
    if "enum" in prop:
        return next(
            (v for v in prop["enum"] if re.search(rf"\b{re.escape(str(v))}\b", text, re.I)), None
        )
    if type_ == "number" or type_ == "integer":
        found = NUMBER.search(labelled or "") or NUMBER.search(text)
        return _number(found.group()) if found else None
    if type_ == "boolean":
        lowered = set(re.findall(r"[a-z]+", (labelled or text).lower()))
        return True if lowered & TRUE_WORDS else False if lowered & FALSE_WORDS else None
    if type_ == "string":
        return labelled or _quoted(text) or _name_after(text) or _first_number(text)
    return None


def _labelled_value(name: str, text: str) -> str | None:
    # "user id 42", "userId: 42", "city is Paris", "user_id=7"
    label = r"[\s_-]*".join(re.escape(w) for w in _name_words(name))
    match = re.search(rf"\b{label}\b\s*(?:is|=|:|of)?\s*[\"']?([\w.@/-]+)", text, re.I)
    return match.group(1) if match else None


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [w.lower() for w in re.findall(r"[A-Za-z0-9]+", spaced)] or [name]


def _quoted(text: str) -> str | None:
    match = QUOTED.search(text)
    return next((g for g in match.groups() if g), None) if match else None


def _name_after(text: str) -> str | None:
    match = NAME_AFTER.search(text)
    return match.group(1) if match else None


def _first_number(text: str) -> str | None:
    match = NUMBER.search(text)
    return match.group() if match else None


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _fallback(prop: dict[str, Any], text: str) -> Any:
    type_ = prop.get("type", "string")
    if "enum" in prop:
        return prop["enum"][0]
    defaults: dict[str, Any] = {
        "number": 0,
        "integer": 0,
        "boolean": False,
        "object": {},
        "array": [],
    }
    return defaults.get(type_, text.strip())
