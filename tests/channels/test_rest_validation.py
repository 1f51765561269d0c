"""Request validation of the hardened REST channel (no server needed)."""

from __future__ import annotations

import pytest
from sanic.exceptions import InvalidUsage, PayloadTooLarge

from channels.rest import MAX_BODY_BYTES, validate_body


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"\xff\xfe", b"[]", b"42", b'"x"', b'{"message": 1}', b'{"message": ["a"]}', b'{"sender": 3}',
     b'{"sender": ""}', b'{"sender": "a", "metadata": [1]}', b"[" * 10_000 + b"]" * 10_000],
)  # fmt: skip
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(InvalidUsage):
        validate_body(body)


def test_oversized_bodies_are_413() -> None:
    with pytest.raises(PayloadTooLarge):
        validate_body(b" " * (MAX_BODY_BYTES + 1))


@pytest.mark.parametrize(
    "body",
    [b'{"message": 1' + b"0" * 5000 + b"}", b'{"message": NaN}', b'{"message": "\\ud800"}', b"[" * 33 + b"]" * 33],
    ids=["huge-integer", "nan", "lone-surrogate", "depth-33"],
)
def test_bodies_json_loads_accepts_or_chokes_on_are_400(body: bytes) -> None:
    # Regression: an integer over 4,300 digits made json.loads raise ValueError (→ 500).
    with pytest.raises(InvalidUsage):
        validate_body(body)


def test_valid_bodies_pass_unchanged() -> None:
    assert validate_body('{"sender": "u1", "message": "こんにちは"}'.encode()) == {
        "sender": "u1",
        "message": "こんにちは",
    }
    assert validate_body(b'{"sender": "u1", "message": "", "metadata": {"k": 1}}')["metadata"] == {"k": 1}
    assert validate_body(b'{"sender": "u1"}') == {"sender": "u1"}
