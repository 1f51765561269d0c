"""The one-shot command (JSON Lines on stdin → stdout) under hostile input.

In process with a stand-in parser (many examples), then once through the real command
with the trained model. Every non-blank input line yields exactly one output line —
a result or ``{"id", "error"}`` — the output is UTF-8 JSON, and the command exits 0.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.limits import ONESHOT_MAX_LINE_BYTES
from tests.fuzz.conftest import LIVE_EXAMPLES, TRIED
from tests.fuzz.strategies import dumps, hostile_texts, json_values, raw_bodies
from triage_cli.oneshot import InputError, OneShotTriage, Parsed, read_lines

ROOT = Path(__file__).resolve().parents[2]


async def fake_parse(text: str) -> Parsed:
    return Parsed("report_problem", 0.9) if "サーバー" in text else Parsed("ask_price", 0.95)


inquiries = st.fixed_dictionaries(
    {"id": st.one_of(st.text(min_size=1, max_size=40), json_values), "text": st.one_of(hostile_texts, json_values)},
    optional={
        "received_at": st.one_of(st.text(max_size=40), json_values, st.just("2026-11-28T22:00:00+09:00")),
        "contract": st.one_of(st.sampled_from(["on_demand", "pack5", "pack5_legacy", "none"]), json_values),
        "phone_reachable": json_values,
    },
)
lines = st.one_of(
    raw_bodies.map(lambda body: body.replace(b"\n", b" ")),
    st.builds(lambda value, ascii_only: dumps(value, ascii_only=ascii_only), inquiries, st.booleans()),
    st.just(b"x" * (ONESHOT_MAX_LINE_BYTES + 10)),
)


def check_output(inputs: list[bytes], output: str) -> None:
    assert output.endswith("\n") or not output
    rows = [json.loads(line) for line in output.splitlines()]  # also splits on U+2028/9: they must be escaped
    assert len(rows) == sum(1 for line in inputs if line.strip()), output[:500]
    for row in rows:
        assert set(row) >= {"id"} and ("error" in row or "severity" in row), row
        json.dumps(row, ensure_ascii=False).encode("utf-8")  # writable as UTF-8


@given(batch=st.lists(lines, min_size=1, max_size=5))
def test_any_lines_give_one_json_row_each_and_never_stop_the_stream(batch: list[bytes]) -> None:
    TRIED["one-shot (in process)"] += len(batch)
    out = io.StringIO()
    stream = io.BytesIO(b"\n".join(batch) + b"\n")
    asyncio.run(asyncio.wait_for(OneShotTriage(fake_parse).run(read_lines(stream), out), 30))
    check_output(batch, out.getvalue())


@pytest.mark.model
@settings(max_examples=1)
@given(batch=st.lists(lines, min_size=LIVE_EXAMPLES, max_size=LIVE_EXAMPLES))
def test_the_real_command_survives_a_hostile_stream(model_path: str, batch: list[bytes]) -> None:
    TRIED["one-shot (command)"] += len(batch)
    valid = '{"id": "ok", "text": "本番サーバーが停止しています"}'.encode()
    stdin = b"\n".join([*batch, b"\xff\xfe\x00 not utf-8", valid]) + b"\n"
    done = subprocess.run(
        [sys.executable, "-m", "triage_cli.oneshot", "--model", model_path],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout.decode("utf-8")
    check_output([*batch, b"x", b"x"], output)
    last: dict[str, Any] = json.loads(output.splitlines()[-1])
    assert last["id"] == "ok" and last["severity"] == "A"


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{"id": "a", "text": 1' + "0" * 5000 + "}", "invalid JSON"),  # was ValueError: the stream stopped
        ('{"id": "\\ud800", "text": "サーバー停止"}', "invalid JSON"),  # was UnicodeEncodeError writing the row
        ("[" * 100 + "]" * 100, "nested deeper"),
    ],
    ids=["huge-integer", "lone-surrogate-id", "deep-nesting"],
)
def test_regressions_found_by_the_fuzzer(line: str, error: str) -> None:
    out = io.StringIO()
    asyncio.run(OneShotTriage(fake_parse).run([line, '{"id": "next", "text": "料金を教えて"}'], out))
    first, second = (json.loads(row) for row in out.getvalue().splitlines())
    assert first["id"] is None and error in first["error"]
    assert second["id"] == "next" and "error" not in second


def test_line_separators_in_values_do_not_split_the_row() -> None:
    out = io.StringIO()
    asyncio.run(OneShotTriage(fake_parse).run(['{"id": "a\\u2028b", "text": "料金を教えて"}'], out))
    assert out.getvalue().count("\n") == 1 and "\u2028" not in out.getvalue()
    assert json.loads(out.getvalue())["id"] == "a\u2028b"


def test_an_over_long_line_is_skipped_without_being_held_in_memory() -> None:
    stream = io.BytesIO(b"x" * 100 + b"\n" + b'{"id": "ok"}\n')
    too_long, following = read_lines(stream, limit=20)
    assert isinstance(too_long, InputError) and "longer than 20 bytes" in str(too_long)
    assert following == '{"id": "ok"}\n'
