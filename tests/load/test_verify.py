"""The load benchmark's verifier on synthetic trackers: every kind of damage is caught."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.load.conversations import KINDS, conversation_for
from benchmarks.load.generator import check_replies
from benchmarks.load.verify import VIOLATION_KINDS, Expected, Report, check_conversation, verify

PREFIX = "load-t-"
A = Expected(f"{PREFIX}0000", ("本番が止まっています", "株式会社A商事", "山田 A", "はい"), ("株式会社A商事", "山田 A"))
B = Expected(f"{PREFIX}0001", ("料金は？", "株式会社B商事", "佐藤 B", "はい"), ("株式会社B商事", "佐藤 B"))


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def healthy(expected: Expected, ticket: str = "PS-20261125-0001") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"event": "action", "text": None}, {"event": "session_started"}]
    for number, text in enumerate(expected.sent):
        events += [user(text), {"event": "action"}, bot(f"reply {number}")]
    events.append(bot(f"【受付番号】{ticket}"))
    return events


def run(events_a: list[dict[str, Any]], tickets: list[tuple[str, str | None]] | None = None) -> Report:
    if tickets is None:
        tickets = [("PS-20261125-0001", A.sender), ("PS-20261125-0002", B.sender)]
    return verify([A, B], {A.sender: events_a, B.sender: healthy(B, "PS-20261125-0002")}, tickets, PREFIX)


def only(report: Report) -> dict[str, int]:
    return {kind: count for kind, count in report.violations.items() if count}


def test_a_healthy_run_has_no_violations() -> None:
    report = run(healthy(A))
    assert report.total == 0, report.examples
    assert report.conversations == 2 and report.tickets == 2


def test_a_lost_message_is_detected() -> None:
    events = [e for e in healthy(A) if e.get("text") != "山田 A"]
    assert only(run(events)) == {"lost": 1}


def test_a_duplicated_message_is_detected() -> None:
    events = healthy(A)
    events[5:5] = [user("本番が止まっています"), bot("again")]
    assert only(run(events)) == {"duplicated": 1}


def test_reordered_messages_are_detected() -> None:
    events = healthy(A)
    first, second = events.index(user("株式会社A商事")), events.index(user("山田 A"))
    events[first], events[second] = events[second], events[first]
    assert only(run(events)) == {"reordered": 1}


def test_an_event_of_another_conversation_is_detected() -> None:
    events = healthy(A)
    events[5:5] = [user("株式会社B商事"), bot("お名前を教えてください")]
    report = run(events)
    assert only(report) == {"interleaved": 1}
    assert B.sender in report.examples[0]


def test_a_message_nobody_sent_is_detected() -> None:
    events = healthy(A)
    events.insert(3, user("ほかの誰かの質問"))
    assert only(run(events)) == {"interleaved": 1, "unanswered": 1}


def test_a_bot_reply_naming_another_conversations_ticket_is_detected() -> None:
    events = healthy(A)
    events.append(bot("【受付番号】PS-20261125-0002"))
    assert only(run(events)) == {"interleaved": 1}


def test_an_unanswered_message_is_detected() -> None:
    events = healthy(A)
    del events[events.index(bot("reply 1"))]
    assert only(run(events)) == {"unanswered": 1}
    events = [
        e for e in healthy(A) if e.get("event") != "bot" or e["text"] not in ("reply 3", "【受付番号】PS-20261125-0001")
    ]
    assert only(run(events)) == {"unanswered": 1}  # the last message too


def test_a_missing_tracker_is_detected() -> None:
    report = verify([A, B], {B.sender: healthy(B, "PS-20261125-0002")}, [("PS-20261125-0002", B.sender)], PREFIX)
    assert only(report) == {"missing_tracker": 1, "missing_ticket": 1}


def test_a_missing_ticket_is_detected_only_for_finished_conversations() -> None:
    events = [e for e in healthy(A) if e.get("event") != "bot" or "受付番号" not in e["text"]]
    assert only(run(events, [("PS-20261125-0002", B.sender)])) == {"missing_ticket": 1}
    unfinished = Expected(A.sender, A.sent, A.tokens, finished=False)
    report = verify(
        [unfinished, B],
        {A.sender: events, B.sender: healthy(B, "PS-20261125-0002")},
        [("PS-20261125-0002", B.sender)],
        PREFIX,
    )
    assert report.total == 0, report.examples


def test_a_duplicate_ticket_is_detected() -> None:
    tickets = [("PS-20261125-0001", A.sender), ("PS-20261125-0002", B.sender), ("PS-20261125-0003", A.sender)]
    events = healthy(A)
    assert only(run(events, tickets)) == {"duplicate_ticket": 1}


def test_a_ticket_of_an_unknown_conversation_of_the_run_is_detected() -> None:
    tickets = [("PS-20261125-0001", A.sender), ("PS-20261125-0002", B.sender), ("PS-20261125-0009", f"{PREFIX}0099")]
    assert only(run(healthy(A), tickets)) == {"orphan_ticket": 1}


def test_every_violation_kind_is_reported_even_when_zero() -> None:
    assert list(run(healthy(A)).as_dict()["violations"]) == list(VIOLATION_KINDS)


def test_check_conversation_rejects_unknown_kinds() -> None:
    with pytest.raises(AssertionError):
        Report().add("made_up", "x", "y")
    report = Report()
    check_conversation(A, healthy(A), {}, ["PS-20261125-0001"], report)
    assert report.total == 0


# ---------------------------------------------------------------- the scripts and the reply check
def test_customers_have_unique_senders_tokens_and_valid_contact_details() -> None:
    from tickets.contact import validate_company, validate_email, validate_person_name, validate_phone

    conversations = [conversation_for(i, "t") for i in range(250)]
    assert {c.kind for c in conversations} == set(KINDS)
    tokens = [t for c in conversations for t in c.tokens]
    assert len(tokens) == len(set(tokens))
    for conversation in conversations:
        if conversation.tokens:
            company, name, phone, email = conversation.tokens
            assert validate_company(company).value and validate_person_name(name).value
            assert validate_phone(phone).value and validate_email(email).value
            # every detail is sent by this customer (the short A path sends them in one message)
            assert all(any(token in message for message in conversation.messages) for token in conversation.tokens)


def test_reply_check() -> None:
    assert check_replies([], ("x",))[0] == "empty_reply"
    assert check_replies({"error": 1}, ())[0] == "empty_reply"
    assert check_replies([{"text": "深刻度B です"}], ("深刻度A",))[0] == "unexpected_reply"
    assert check_replies([{"text": "深刻度A"}, {"text": "0120-17-0196"}], ("深刻度A", "0120-17-0196")) == (
        None,
        ["深刻度A", "0120-17-0196"],
    )


def test_sampler_trees_do_not_count_another_named_process() -> None:
    from benchmarks.load.sampler import tree

    # pid: (ppid, ticks, rss pages) — 10 is the benchmark, 20 and 30 its server children, 21 a worker of 20
    stats = {10: (1, 5, 1), 20: (10, 50, 9), 21: (20, 7, 3), 30: (10, 4, 2), 40: (1, 1, 1)}
    assert tree(10, stats) == {10, 20, 21, 30}
    assert tree(10, stats, frozenset({10, 20, 30})) == {10}
    assert tree(20, stats, frozenset({10, 20, 30})) == {20, 21}
    assert tree(99, stats) == set()


def test_sampler_follows_a_restarted_process_and_measures_the_machine(tmp_path) -> None:
    import json
    import subprocess

    from benchmarks.load.sampler import Named, Sampler

    first = subprocess.Popen(["sleep", "30"])
    second = subprocess.Popen(["sleep", "30"])
    try:
        listing = tmp_path / "processes.json"
        listing.write_text(json.dumps([{"name": "rasa-1", "pid": first.pid, "port": None}]))
        sampler = Sampler([Named("rasa-1", first.pid)], interval_s=0.05, source=listing)
        sampler.start()
        listing.write_text(json.dumps([{"name": "rasa-1", "pid": second.pid, "port": None}]))
        sampler.sample()
        summary = sampler.stop()
        assert summary["rasa-1"]["restarts"] == 1 and summary["rasa-1"]["pid"] == second.pid
        assert summary["rasa-1"]["peak_rss_mb"] > 0 and summary["rasa-1"]["alive_at_end"]
        machine = sampler.machine()
        assert 0 <= machine["others_cpu_percent"] <= machine["cpu_percent"] <= 100 * 64
    finally:
        for process in (first, second):
            process.kill()
            process.wait()


def test_a_busy_machine_means_a_rerun_and_violations_of_every_attempt_are_kept(monkeypatch) -> None:
    import argparse

    import benchmarks.load.__main__ as load

    others = iter([140.0, 20.0, 90.0])

    def fake_run(profile, users, args, settings) -> dict[str, Any]:
        busy = next(others)
        violations = {kind: 0 for kind in VIOLATION_KINDS}
        violations["lost"] = 1 if busy > 100 else 0
        return {
            "machine_cpu": {"others_cpu_percent": busy},
            "latency_ms": {"p50": busy},
            "messages_per_s": 1.0,
            "errors": 0,
            "verification": {"total_violations": violations["lost"], "violations": violations, "examples": []},
        }

    monkeypatch.setattr(load, "one_run", fake_run)
    args = argparse.Namespace(busy_threshold=50.0, busy_retries=2)
    best = load.measured("single", 10, args, None)
    assert best["latency_ms"]["p50"] == 20.0  # the quiet one; the third run never happened
    assert [a["others_cpu_percent"] for a in best["attempts"]] == [140.0, 20.0]
    assert best["verification"]["total_violations"] == 1 and best["verification"]["violations"]["lost"] == 1
