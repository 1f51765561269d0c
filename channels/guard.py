"""Checks every channel runs on a request before it parses anything.

``read_body`` enforces the body size (``Content-Length`` first, then a capped streamed
read), ``load_json`` the encoding and nesting depth before ``json.loads`` and turns
every way ``json.loads`` can fail into one exception, ``check_text`` the message text.
The limits themselves are in ``channels.limits``.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from sanic.request import Request

from channels.limits import MAX_JSON_DEPTH, MAX_MESSAGE_CHARS


class Rejected(Exception):
    """The request is refused with ``status`` (400 or 413) before it reaches the bot."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body of a streaming route, at most ``limit`` bytes; raises ``Rejected``.

    A declared ``Content-Length`` above the limit is refused before a byte of the body
    is read; without the header (chunked) or when it lies, reading stops as soon as the
    limit is passed. A non-streaming route works too, with what Sanic already read.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared.strip())
        except ValueError:
            raise Rejected(400, "invalid Content-Length") from None
        if size < 0:
            raise Rejected(400, "invalid Content-Length")
        if size > limit:
            raise Rejected(413, f"body larger than {limit} bytes")
    already = request.body or b""
    if len(already) > limit:
        raise Rejected(413, f"body larger than {limit} bytes")
    chunks = [already]
    total = len(already)
    stream = request.stream
    while stream is not None and stream.request_body:
        chunk = await stream.read()
        if chunk is None:
            break
        total += len(chunk)
        if total > limit:
            raise Rejected(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# A JSON string (to the closing quote, or to the end when unterminated). Linear time:
# the repetition can only stop at a quote or at the end, so it never backtracks.
_STRING = re.compile(rb'"(?:[^"\\]+|\\[\s\S]?)*(?:"|\Z)')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (brackets inside strings do not count).

    Runs on the bytes, before any parsing, in C-speed passes (no Python loop per byte).
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def load_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``raw`` parsed as UTF-8 JSON; raises ``Rejected(400)`` for anything else.

    Refused: bytes that are not UTF-8, nesting deeper than ``max_depth``, invalid JSON,
    numbers Python will not convert (integers over 4,300 digits raise ``ValueError``,
    not ``JSONDecodeError``), ``NaN``/``Infinity`` (not JSON) and strings holding lone
    surrogates (``"\\ud800"``: not text, and unencodable when written back as UTF-8).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "not UTF-8") from None
    if json_depth(raw) > max_depth:
        raise Rejected(400, f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise Rejected(400, "not valid JSON") from None
    if "\\u" in text and _has_lone_surrogate(value):
        raise Rejected(400, "JSON strings must be valid Unicode text")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _is_not_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _is_not_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(text: str) -> str | None:
    """Why a message text cannot go to the bot (None when it can): too long, or not text."""
    if len(text) > MAX_MESSAGE_CHARS:
        return "too_long"
    if _is_not_text(text):
        return "not_text"
    return None
