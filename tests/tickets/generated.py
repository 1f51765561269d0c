"""Generated tickets for the chart and CLI tests (deterministic)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from tests.tickets.helpers import draft
from tickets.store import JST, TicketStore, TicketView

FIRST_DAY = date(2026, 11, 16)
DAYS = 14
REDIRECTS = ("premier", "premier", "premier", "consulting", "consulting", "oem_vendor", "consumer_support")


def populate(store: TicketStore, seed: int = 7) -> list[TicketView]:
    rng = random.Random(seed)
    created: list[TicketView] = []
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        weekend = day.weekday() >= 5
        for n in range(rng.randint(1, 3) if weekend else rng.randint(4, 9)):
            moment = datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), JST)
            redirected = rng.random() < 0.2
            severity = None if redirected else rng.choices(["A", "B", "C", "undetermined"], [2, 4, 5, 1])[0]
            ticket = store.create_ticket(
                draft(
                    moment,
                    idempotency_key=f"gen-{day:%Y%m%d}-{n}",
                    severity=severity,
                    redirect=rng.choice(REDIRECTS) if redirected else None,
                    scope="premier_work" if redirected else "in_scope",
                    outcome="redirect" if redirected else "triage",
                    company=rng.choice(["サンプル商事", "テスト工業", "例示システムズ", None]),
                )
            )
            roll = rng.random()
            if roll < 0.6:
                ticket = store.record_survey(
                    ticket.ticket_no, rng.choices([1, 2, 3, 4, 5], [1, 1, 3, 6, 5])[0], None, False
                )
            elif roll < 0.75:
                ticket = store.record_survey(ticket.ticket_no, None, None, skipped=True)
            created.append(ticket)
    return created
