"""The one-shot triage command: input validation, accuracy on fixtures, a 1,000-line run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from triage_cli.oneshot import InputError, OneShotTriage, Parsed, parse_line

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = [
    json.loads(line) for line in (ROOT / "tests/oneshot/fixtures.jsonl").read_text(encoding="utf-8").splitlines()
]
FIELDS = ("severity", "downgraded", "scope", "redirect", "reception", "contract_ok", "missing")


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"text": "x"}', "'id'"),
        ('{"id": 5, "text": "x"}', "'id'"),
        ('{"id": "a", "text": ""}', "'text'"),
        ('{"id": "a", "text": "   "}', "'text'"),
        ('{"id": "a", "text": 3}', "'text'"),
        ('{"id": "a", "text": "x", "received_at": "yesterday"}', "ISO-8601"),
        ('{"id": "a", "text": "x", "received_at": 12}', "ISO-8601"),
        ('{"id": "a", "text": "x", "contract": "gold"}', "'contract'"),
        ('{"id": "a", "text": "x", "phone_reachable": "yes"}', "'phone_reachable'"),
        (json.dumps({"id": "a", "text": "あ" * 20_001}), "longer than"),
    ],
)
def test_bad_lines_are_rejected_with_a_reason(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_line(line)


def test_valid_line_is_parsed() -> None:
    inquiry = parse_line(
        '{"id": "x1", "text": "サーバーが停止", "received_at": "2026-11-28T13:00:00Z", "contract": "pack5", '
        '"phone_reachable": false}'
    )
    assert inquiry.received_at is not None and inquiry.received_at.hour == 22  # 13:00 UTC = 22:00 JST
    assert (inquiry.contract, inquiry.phone_reachable) == ("pack5", False)


async def fake_parse(text: str) -> Parsed:
    return Parsed("report_problem", 0.9) if "サーバー" in text else Parsed("ask_price", 0.95)


async def test_stream_goes_on_after_bad_lines() -> None:
    triage = OneShotTriage(fake_parse)
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        '{"id": "ok-1", "text": "本番サーバーが停止しています", "received_at": "2026-11-25T10:00:00+09:00"}',
        "{broken",
        deep,
        '{"id": "bad-contract", "text": "x", "contract": "?"}',
        "",
        '{"id": "ok-2", "text": "料金を教えて"}',
    ]

    class Out:
        def __init__(self) -> None:
            self.rows: list[dict[str, Any]] = []

        def write(self, text: str) -> None:
            self.rows.extend(json.loads(line) for line in text.splitlines() if line)

        def flush(self) -> None:
            pass

    out = Out()
    count = await triage.run(lines, out)  # type: ignore[arg-type]
    assert count == 5  # the empty line is skipped
    assert [row.get("id") for row in out.rows] == ["ok-1", None, None, "bad-contract", "ok-2"]
    assert out.rows[0]["severity"] == "A" and out.rows[0]["reception"]["route"] == "phone"
    assert "深刻度A" in out.rows[0]["reason"]
    assert "error" in out.rows[1] and "error" in out.rows[2] and "error" in out.rows[3]
    assert out.rows[4]["severity"] is None and "深刻度は判定していません" in out.rows[4]["reason"]


# ---------------------------------------------------------------- with the model
@pytest.fixture(scope="module")
def triage(model_path: str) -> OneShotTriage:
    from triage_cli.oneshot import rasa_parser

    return OneShotTriage(rasa_parser(model_path))


async def test_fixture_accuracy(triage: OneShotTriage) -> None:
    correct: Counter[str] = Counter()
    wrong: list[str] = []
    a_expected = a_found = a_predicted = 0
    for case in FIXTURES:
        result = await triage.process_line(json.dumps(case["input"], ensure_ascii=False))
        expected = case["expected"]
        for field in FIELDS:
            if result.get(field) == expected[field]:
                correct[field] += 1
            else:
                wrong.append(f"{case['input']['id']} {field}: {result.get(field)!r} != {expected[field]!r}")
        assert result["reason"], "every answer explains itself in Japanese"
        a_expected += expected["severity"] == "A" or (expected["downgraded"] and expected["severity"] == "B")
        a_found += result.get("severity") == "A" and expected["severity"] == "A"
        a_predicted += result.get("severity") == "A"
    total = len(FIXTURES)
    report = ", ".join(f"{f} {correct[f] / total:.3f}" for f in FIELDS)
    print(f"\none-shot fixtures ({total}): {report}")
    for line in wrong:
        print("  miss:", line)
    assert all(correct[f] / total >= 0.9 for f in FIELDS), report
    assert correct["severity"] / total >= 0.93
    assert a_predicted == 0 or a_found / a_predicted >= 0.9  # precision of A


def test_the_command_streams_1000_lines_with_one_model_load(model_path: str, tmp_path: Path) -> None:
    lines = []
    for i in range(1000):
        if i % 100 == 99:
            lines.append("{not json")  # a bad line every 100
        else:
            case = dict(FIXTURES[i % len(FIXTURES)]["input"])
            case["id"] = f"bulk-{i:04d}"
            lines.append(json.dumps(case, ensure_ascii=False))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with source.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "triage_cli.oneshot", "--model", model_path],
            stdin=stdin,
            capture_output=True,
            cwd=ROOT,
            env=env,
            timeout=600,
            check=False,
        )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 1000
    assert sum("error" in row for row in rows) == 10
    assert {row["id"] for row in rows if "error" not in row} == {f"bulk-{i:04d}" for i in range(1000) if i % 100 != 99}
    assert done.stderr.decode().count("Loading model") <= 1
    print(f"\none-shot command: 1000 lines in {elapsed:.1f} s including one model load ({1000 / elapsed:.0f} lines/s)")
