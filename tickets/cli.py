"""Operator view: ``python -m tickets list|show|chart|deliver|outbox`` (``make tickets ARGS="…"``).

Uses the same settings as the assistant (``DATABASE_URL``, webhook variables).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from tickets.settings import TicketSettings
from tickets.store import JST, SEVERITIES, TicketStore, TicketView

FIELD_LABELS = {
    "ticket_no": "受付番号",
    "received_at": "受付日時",
    "channel": "チャネル",
    "conversation_id": "会話ID",
    "product": "製品",
    "description": "お問い合わせ内容",
    "severity": "深刻度",
    "severity_reason": "深刻度の理由",
    "downgraded": "深刻度の引き下げ",
    "contract": "契約",
    "contract_ok": "契約で受付可",
    "scope": "対象範囲",
    "redirect": "ご案内先",
    "reception_route": "受付方法",
    "reception_starts_at": "対応開始",
    "outcome": "結果",
    "company": "会社名",
    "contact_name": "お名前",
    "phone": "電話番号",
    "email": "メール",
    "handoff_state": "オペレーター引き継ぎ",
    "survey_rating": "満足度",
    "survey_comment": "アンケートのコメント",
    "survey_skipped": "アンケート回答なし",
    "idempotency_key": "冪等キー",
    "id": "内部ID",
    "created_at": "作成",
    "updated_at": "更新",
}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {text!r}") from None


def width(text: str) -> int:
    """Display width in a terminal (full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def fit(text: str, size: int) -> str:
    """``text`` cut to ``size`` columns (with …) and padded to exactly ``size`` columns."""
    out, used = "", 0
    for ch in text.replace("\n", " "):
        w = width(ch)
        if used + w > size - (1 if width(text) > size else 0):
            out += "…"
            used += 1
            break
        out += ch
        used += w
    return out + " " * (size - used)


def _when(value: datetime | None) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M") if value else "-"


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        return value.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")
    return str(value)


COLUMNS: tuple[tuple[str, int], ...] = (
    ("受付番号", 16), ("受付日時 (JST)", 16), ("深刻度", 12), ("ご案内先", 16), ("結果", 10),
    ("会社名", 20), ("製品", 18), ("満足度", 6),
)  # fmt: skip


def print_table(tickets: Sequence[TicketView], out: TextIO) -> None:
    out.write("  ".join(fit(title, size) for title, size in COLUMNS).rstrip() + "\n")
    out.write("  ".join("-" * size for _title, size in COLUMNS) + "\n")
    for t in tickets:
        cells = (
            t.ticket_no, _when(t.received_at), t.severity or "-", t.redirect or "-", t.outcome or "-",
            t.company or "-", t.product or "-", str(t.survey_rating) if t.survey_rating else "-",
        )  # fmt: skip
        out.write("  ".join(fit(cell, size) for cell, (_t, size) in zip(cells, COLUMNS, strict=True)).rstrip() + "\n")
    out.write(f"{len(tickets)} 件\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tickets", description="受付票の一覧・詳細・集計グラフ・Webhook 送信"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="受付票の一覧（新しい順）")
    listing.add_argument("--from", dest="since", type=_day, help="この日から (YYYY-MM-DD, JST)")
    listing.add_argument("--to", dest="until", type=_day, help="この日まで (YYYY-MM-DD, JST)")
    listing.add_argument("--severity", choices=[*SEVERITIES, "none"], help="深刻度で絞り込み")
    listing.add_argument(
        "--redirect", help="ご案内先で絞り込み (premier, consulting, oem_vendor, consumer_support, none)"
    )
    listing.add_argument("--limit", type=int, default=100, help="最大件数 (既定 100)")
    listing.add_argument("--json", action="store_true", help="JSON で出力")

    show = commands.add_parser("show", help="受付票の全項目")
    show.add_argument("ticket_no", help="受付番号 (PS-YYYYMMDD-NNNN)")
    show.add_argument("--json", action="store_true", help="JSON で出力")

    chart = commands.add_parser("chart", help="期間の集計グラフ (PNG)")
    chart.add_argument("--from", dest="since", type=_day, required=True)
    chart.add_argument("--to", dest="until", type=_day, required=True)
    chart.add_argument("-o", "--output", default="results/tickets/outcomes.png")

    commands.add_parser("deliver", help="送信待ちの Webhook を 1 回送信")
    outbox = commands.add_parser("outbox", help="送信待ち・失敗中の Webhook")
    outbox.add_argument("--all", action="store_true", help="送信済みも表示")
    outbox.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, settings: TicketSettings | None = None) -> int:
    stream = out or sys.stdout
    args = build_parser().parse_args(argv)
    chosen = settings or TicketSettings.from_env()
    store = TicketStore.from_settings(chosen)
    try:
        return _run(args, store, chosen, stream)
    finally:
        store.dispose()


def _run(args: argparse.Namespace, store: TicketStore, settings: TicketSettings, out: TextIO) -> int:
    if args.command == "list":
        tickets = store.list_tickets(args.since, args.until, args.severity, args.redirect, args.limit)
        if args.json:
            json.dump([t.as_dict() for t in tickets], out, ensure_ascii=False, indent=2)
            out.write("\n")
        else:
            print_table(tickets, out)
        return 0
    if args.command == "show":
        ticket = store.get(args.ticket_no)
        if ticket is None:
            sys.stderr.write(f"受付番号 {args.ticket_no} は見つかりません\n")
            return 1
        if args.json:
            json.dump(ticket.as_dict(), out, ensure_ascii=False, indent=2)
            out.write("\n")
        else:
            label_width = max(width(label) for label in FIELD_LABELS.values())
            for key, label in FIELD_LABELS.items():
                out.write(f"{fit(label, label_width)}  {_value(getattr(ticket, key))}\n")
        return 0
    if args.command == "chart":
        from tickets.chart import outcome_summary, write_chart

        if args.until < args.since:
            sys.stderr.write("--to は --from 以降の日付にしてください\n")
            return 2
        tickets = store.list_tickets(args.since, args.until, limit=1_000_000)
        summary = outcome_summary(tickets, args.since, args.until)
        write_chart(summary, Path(args.output))
        out.write(f"{args.output}: {summary.total} 件 ({args.since} 〜 {args.until})\n")
        return 0
    if args.command == "deliver":
        from tickets.webhook import Forwarder

        if not settings.targets:
            out.write("Webhook は設定されていません (TICKET_WEBHOOK_URL / AGENT_WEBHOOK_URL)\n")
            return 0
        report = Forwarder(store, settings).deliver_due()
        out.write(f"送信 {report.sent} 件、失敗 {report.failed} 件、送信待ち {report.pending} 件\n")
        return 0 if report.failed == 0 else 1
    if args.command == "outbox":
        items = store.outbox(pending_only=not args.all)
        if args.json:
            rows = [
                {
                    "id": i.id, "ticket_no": i.ticket_no, "target": i.target, "event": i.event,
                    "attempts": i.attempts, "next_attempt_at": i.next_attempt_at.astimezone(JST).isoformat(),
                    "delivered_at": i.delivered_at.astimezone(JST).isoformat() if i.delivered_at else None,
                    "last_error": i.last_error,
                }
                for i in items
            ]  # fmt: skip
            json.dump(rows, out, ensure_ascii=False, indent=2)
            out.write("\n")
            return 0
        columns = (
            ("ID", 6), ("受付番号", 17), ("宛先", 6), ("イベント", 18), ("試行", 4), ("次回 (JST)", 16), ("状態", 40),
        )  # fmt: skip
        out.write("  ".join(fit(title, size) for title, size in columns).rstrip() + "\n")
        for i in items:
            state = "送信済み " + _when(i.delivered_at) if i.delivered_at else (i.last_error or "未送信")
            cells = (str(i.id), i.ticket_no, i.target, i.event, str(i.attempts), _when(i.next_attempt_at), state)
            out.write("  ".join(fit(c, s) for c, (_t, s) in zip(cells, columns, strict=True)).rstrip() + "\n")
        out.write(f"{len(items)} 件\n")
        return 0
    raise AssertionError(args.command)
