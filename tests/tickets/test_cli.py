"""The operator command: list with filters, show, JSON, chart, deliver, outbox."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tickets.generated import populate
from tests.tickets.helpers import draft
from tests.tickets.receiver import Receiver
from tickets.cli import fit, main, width
from tickets.settings import TicketSettings
from tickets.store import TicketStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'desk.db'}"
    store = TicketStore(url)
    populate(store)
    special = store.create_ticket(
        draft(
            "2026-11-30T10:15:00+09:00",
            idempotency_key="special",
            severity="A",
            company="株式会社とても長い会社名のテスト工業所",
        )
    )
    store.update_contact(special.ticket_no, phone="09012345678", email="taro@example.co.jp", contact_name="山田 太郎")
    store.dispose()
    return url


def run(url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out, settings=TicketSettings(database_url=url))
    return code, out.getvalue()


def test_list_table_and_filters(database: str) -> None:
    code, text = run(database, "list", "--severity", "A", "--from", "2026-11-30", "--to", "2026-11-30")
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("受付番号") and "深刻度" in lines[0]
    assert lines[2].startswith("PS-20261130-0001  2026-11-30 10:15  A")
    assert "株式会社とても長い… " in lines[2]  # cut to the column
    assert lines[-1] == "1 件"
    code, everything = run(database, "list", "--json", "--limit", "1000")
    rows = json.loads(everything)
    code, premier = run(database, "list", "--redirect", "premier", "--json", "--limit", "1000")
    assert 0 < len(json.loads(premier)) == sum(r["redirect"] == "premier" for r in rows)
    code, limited = run(database, "list", "--limit", "3", "--json")
    assert [r["ticket_no"] for r in json.loads(limited)] == [r["ticket_no"] for r in rows[:3]]
    code, day = run(database, "list", "--from", "2026-11-20", "--to", "2026-11-20", "--json")
    assert {r["received_at"][:10] for r in json.loads(day)} == {"2026-11-20"}
    assert len({width(line) for line in run(database, "list")[1].splitlines()[2:-1]}) >= 1


def test_show(database: str) -> None:
    code, text = run(database, "show", "PS-20261130-0001")
    assert code == 0
    assert "電話番号" in text and "090-1234-5678" in text and "受付日時" in text and "2026-11-30 10:15:00 JST" in text
    code, data = run(database, "show", "PS-20261130-0001", "--json")
    ticket = json.loads(data)
    assert (ticket["email"], ticket["contact_name"], ticket["severity"]) == ("taro@example.co.jp", "山田 太郎", "A")
    assert ticket["received_at"] == "2026-11-30T10:15:00+09:00"
    assert run(database, "show", "PS-20000101-0001")[0] == 1


def test_bad_arguments(database: str) -> None:
    with pytest.raises(SystemExit):
        run(database, "list", "--from", "30/11/2026")
    with pytest.raises(SystemExit):
        run(database, "list", "--severity", "D")
    assert run(database, "chart", "--from", "2026-11-30", "--to", "2026-11-01", "-o", os.devnull)[0] == 2


def test_chart_command(database: str, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "outcomes.png"
    code, text = run(database, "chart", "--from", "2026-11-16", "--to", "2026-11-30", "-o", str(out))
    assert code == 0 and out.stat().st_size > 20_000
    total = len(json.loads(run(database, "list", "--json", "--limit", "1000")[1]))
    assert f"{total} 件" in text


def test_deliver_and_outbox(tmp_path: Path) -> None:
    receiver = Receiver(statuses=[500])
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    settings = TicketSettings(database_url=url, ticket_webhook_url=receiver.url, ticket_webhook_secret="s")
    store = TicketStore.from_settings(settings)
    store.create_ticket(draft())
    store.dispose()
    out = io.StringIO()
    assert main(["deliver"], out=out, settings=settings) == 1  # receiver down
    assert "送信 0 件、失敗 1 件、送信待ち 1 件" in out.getvalue()
    out = io.StringIO()
    main(["outbox", "--json"], out=out, settings=settings)
    [row] = json.loads(out.getvalue())
    assert (row["event"], row["attempts"], row["delivered_at"]) == ("ticket.created", 1, None)
    assert "ConnectionError" in row["last_error"]
    out = io.StringIO()
    main(["outbox"], out=out, settings=settings)
    assert "ticket.created" in out.getvalue() and "1 件" in out.getvalue()


def test_python_dash_m_uses_database_url(database: str) -> None:
    env = {**os.environ, "DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "tickets", "list", "--severity", "A", "--limit", "2"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "PS-20261130-0001" in result.stdout


def test_fit_pads_by_display_width() -> None:
    assert fit("受付", 6) == "受付  "
    assert width(fit("あいうえお", 6)) == 6 and fit("あいうえお", 6).startswith("あい…")
    assert fit("abc", 3) == "abc"
