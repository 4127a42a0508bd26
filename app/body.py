"""Request bodies: read with a size cap, parsed as strict JSON, their strings checked for storage.

Whatever a client sends is answered before it reaches a run or a store: 413 for a body over
the cap (the rest is never read), 400 for anything Python's parser would choke on later (a
nesting deeper than the stores can serialize, an integer wider than 64 bits, a number that is
not finite) and for strings no store can keep (a lone surrogate, NUL), naming the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request

from copilot_runtime.app.errors import BadRequestError, PayloadTooLargeError

MAX_DEPTH = 64
"""Nesting levels of a body: LangGraph's serializer gives up a little below 255, wrappers
included, and no CopilotKit client nests anywhere near this."""
MAX_INTEGER_DIGITS = 20
SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**64 - 1
"""The integers a checkpoint can hold (msgpack's int64 and uint64)."""
# A lone surrogate or a NUL can only come from a \u escape: raw bytes that would encode them
# are not valid UTF-8 and fail decoding. Bodies without such an escape skip the string walk.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89abcdefABCDEF]|0000)")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_CONTAINERS = (b"{", b"[")
WIDE_INTEGER = "has an integer wider than 64 bits"


class _NumberError(ValueError):
    """A number the parser met that no store can keep."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes.

    A declared Content-Length over the cap is refused before reading anything; a body without
    one (chunked) is read until it passes the cap, and the rest is left unread.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes | str, *, where: str = "", error: str = "invalid_json") -> Any:
    """Parse `raw` strictly; 400 naming what is wrong (and where, for strings).

    `where` names the JSON for messages and prefixes field paths, for JSON that sits inside
    something else (a query parameter); the default is the request body. `error` is the
    answer's error code for JSON that does not parse.
    """
    subject = where or "The body"
    try:
        value = json.loads(
            raw, parse_int=_integer, parse_float=_finite, parse_constant=_no_constant
        )
    except RecursionError:
        raise _too_deep(subject, error) from None
    except _NumberError as problem:
        raise BadRequestError(f"{subject} {problem}", error=error) from None
    except json.JSONDecodeError as problem:
        position = f"line {problem.lineno}, column {problem.colno}"
        message = f"{subject} is not valid JSON ({problem.msg} at {position})"
        raise BadRequestError(message, error=error) from None
    except UnicodeDecodeError:
        raise BadRequestError(f"{subject} is not UTF-8 text", error=error) from None
    if isinstance(raw, str):
        suspect = _BAD_CHARACTER.search(raw) is not None
        raw = raw.encode("utf-8", "surrogatepass")
    else:
        suspect = False
    if sum(raw.count(c) for c in _CONTAINERS) > MAX_DEPTH and _nesting(value) > MAX_DEPTH:
        raise _too_deep(subject, error)
    if suspect or _SUSPECT_ESCAPE.search(raw):
        check_strings(value, where)
    return value


def storable(text: str) -> bool:
    """Whether every store can keep `text` (no NUL, no lone surrogate)."""
    return _BAD_CHARACTER.search(text) is None


def check_text(value: str, field: str) -> str:
    """`value` itself, or 400 naming `field` when it holds what no store keeps."""
    found = _BAD_CHARACTER.search(value)
    if found is not None:
        raise _bad_text(field, found.group())
    return value


def check_strings(value: Any, where: str = "") -> None:
    """400 naming the first string (or key) of a parsed JSON value that no store keeps."""
    for path, text in _strings(value, where):
        check_text(text, path)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string and key of `value`, with its path (`messages.0.content`)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield at or "body", item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield (f"a key in {at}" if at else "a key of the body"), key
                stack.append((child, f"{at}.{key}" if at else key))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((child, f"{at}.{index}" if at else str(index)))


def _nesting(value: Any) -> int:
    """Levels of objects and arrays in `value`, counted up to one past MAX_DEPTH."""
    depth, level = 0, [value]
    while depth <= MAX_DEPTH:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            return depth
        depth += 1
        level = [
            child
            for item in containers
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NumberError(WIDE_INTEGER)
    number = int(text)
    if not SMALLEST_INTEGER <= number <= LARGEST_INTEGER:
        raise _NumberError(WIDE_INTEGER)
    return number


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NumberError("has a number too large for a double")
    return number


def _no_constant(text: str) -> float:
    raise _NumberError(f"has {text}, which is not a JSON number")


def _too_deep(subject: str, error: str) -> BadRequestError:
    return BadRequestError(
        f"{subject} is nested too deeply ({MAX_DEPTH} levels at most)", error=error
    )


def _bad_text(field: str, character: str) -> BadRequestError:
    problem = "a NUL character" if character == "\x00" else "a lone UTF-16 surrogate"
    return BadRequestError(
        f"{field}: {problem} cannot be stored; send text without it",
        details=[{"path": field, "message": problem}],
        error="invalid_text",
    )
