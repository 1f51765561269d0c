"""Hostile inputs: random bytes, invalid UTF-8, invalid and deeply nested JSON, huge
numbers, 1 MB bodies, emoji, control characters, lone surrogates, over-long texts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from channels.limits import MAX_MESSAGE_CHARS

JAPANESE = "ぁあいうえおかきくけこアイウエオサーバー障害業務停止深刻度"

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16,
)

lone_surrogates = st.sampled_from(["\ud800", "a\udfffb", "\udbff", "サーバー\ud83d"])
emoji = st.text(alphabet=st.sampled_from("😀🙏👍🏻👨‍👩‍👧‍👦🇯🇵❤️\u200d\ufe0f"), min_size=1, max_size=50)
control = st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\u2029\ufeff"), max_size=50)
long_texts = st.one_of(
    st.integers(MAX_MESSAGE_CHARS - 2, MAX_MESSAGE_CHARS + 5).map(lambda n: "あ" * n),
    st.integers(MAX_MESSAGE_CHARS + 1, MAX_MESSAGE_CHARS * 3).map(lambda n: "a" * n),
    st.just("😀" * (MAX_MESSAGE_CHARS + 1)),
)
rasa_payloads = st.from_regex(r"\A/[a-z_]{0,20}(\{[^\n]{0,40}\})?\Z")

#: Message texts a customer or an attacker could send.
hostile_texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(JAPANESE), max_size=200),
    emoji,
    control,
    lone_surrogates,
    long_texts,
    rasa_payloads,
)


def _nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


#: Request bodies that are not what the channel expects.
raw_bodies = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=200).map(lambda b: b'{"message": "' + b + b'\xff\xfe"}'),  # invalid UTF-8
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),  # mostly invalid JSON
    st.builds(_nested, st.integers(1, 200_000), st.sampled_from(["array", "object"])),
    st.integers(4_000, 20_000).map(lambda n: b'{"message": 1' + b"0" * n + b"}"),  # huge integer
    st.sampled_from([b"NaN", b'{"message": Infinity}', b'{"message": -Infinity}', b"1e999999", b'"\\ud800"']),
    json_values.map(lambda v: json.dumps(v).encode("utf-8")),
    st.sampled_from([64 * 1024, 256 * 1024, 1_000_000, 1024 * 1024 + 1]).map(
        lambda n: b'{"message": "' + b"a" * n + b'"}'
    ),  # 1 MB bodies around every channel's limit
)


def dumps(value: Any, *, ascii_only: bool) -> bytes:
    """JSON bytes; lone surrogates survive as \\u escapes (as a hostile client would send them)."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
