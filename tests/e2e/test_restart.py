"""A conversation survives a restart of both servers (tracker store and tickets in DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

from tests.live import INSIDE_HOURS, Desk
from tickets.store import TicketStore


def test_a_triage_continues_after_the_servers_restart(model_path: str, tmp_path: Path) -> None:
    before = Desk(INSIDE_HOURS, tmp_path)
    before.start(model_path)
    try:
        before.wait_ready()
        sender = before.new_sender()
        before.say(sender, "経理部だけ会計システムにログインできません。他の部署は大丈夫です")
        before.say(sender, "はい")
        asked = before.say(sender, "オンデマンドです")
        assert "貴社名" in asked[0]["text"]
    finally:
        before.stop()

    after = Desk(INSIDE_HOURS, tmp_path)  # same database file, new processes and ports
    after.start(model_path)
    try:
        after.wait_ready()
        for answer in ["株式会社ハマダ電機", "鈴木 一郎", "045-123-4567"]:
            after.say(sender, answer)
        outcome = after.say(sender, "なし")
        joined = "\n".join(r.get("text") or "" for r in outcome)
        assert "深刻度B" in joined and "【受付番号】" in joined
        tracker = after.tracker(sender)
        texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
        assert texts[0] == "経理部だけ会計システムにログインできません。他の部署は大丈夫です"
        ticket = TicketStore(f"sqlite:///{tmp_path / 'desk.db'}").get(tracker["slots"]["ticket_no"])
        assert ticket is not None
        assert (ticket.severity, ticket.contract, ticket.company, ticket.phone) == (
            "B",
            "on_demand",
            "株式会社ハマダ電機",
            "045-123-4567",
        )
    finally:
        after.stop()
