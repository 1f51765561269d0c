"""Smoke run of the load benchmark: 3 customers against real servers, then the verifier."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from benchmarks.load import profiles
from benchmarks.load.generator import LoadSettings, run_load
from benchmarks.load.sampler import Named, Sampler
from benchmarks.load.verify import Expected, load_from_database, verify
from tests.live import INSIDE_HOURS

pytestmark = pytest.mark.live


def test_three_customers_end_to_end(model_path: str, tmp_path: Path) -> None:
    running = profiles.start_single(model_path, tmp_path / "single", INSIDE_HOURS)
    try:
        listed = json.loads((running.state / "processes.json").read_text(encoding="utf-8"))
        assert [p["name"] for p in listed] == ["rasa-1", "actions"]
        sampler = Sampler([Named(p["name"], p["pid"]) for p in listed], interval_s=0.2)
        sampler.start()
        settings = LoadSettings(users=3, think_min_s=0.1, think_max_s=0.3, ramp_s=0.5, deadline_s=120)
        customers, wall = asyncio.run(run_load(running.url, settings, "smoke"))
        resources = sampler.stop()
        events, tickets = load_from_database(running.database_url, "load-smoke-")
    finally:
        profiles.stop(running, tmp_path / "stop.log")

    failures = [c.as_dict() for c in customers if not c.finished]
    assert not failures, failures
    assert [c.kind for c in customers] == ["a_phone", "b_confirm", "c_survey"]
    assert len({c.sender for c in customers}) == 3
    expected = [Expected(c.sender, tuple(c.sent), c.tokens, c.finished) for c in customers]
    report = verify(expected, events, tickets, "load-smoke-")
    assert report.total == 0, report.examples
    assert report.tickets == 3 and report.conversations == 3
    assert all(len(events[c.sender]) > 2 * len(c.messages) for c in customers)
    assert resources["rasa-1"]["cpu_s"] > 0 and resources["rasa-1"]["peak_rss_mb"] > 200
    assert resources["actions"]["samples"] >= 2 and 0 < wall < 120

    # The verifier sees damage in the real events too: drop one user message of the first customer.
    first = customers[0].sender
    damaged = dict(events)
    victim = next(i for i, e in enumerate(events[first]) if e["event"] == "user")
    damaged[first] = events[first][:victim] + events[first][victim + 1 :]
    assert verify(expected, damaged, tickets, "load-smoke-").violations["lost"] == 1
