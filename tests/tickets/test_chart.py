"""The outcome chart: the PNG exists and has exactly the expected bars."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.tickets.generated import DAYS, FIRST_DAY, populate
from tickets.chart import REDIRECT_KEYS, SEVERITY_KEYS, cjk_font, outcome_summary, write_chart
from tickets.store import TicketStore

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "results" / "tickets" / "outcomes.png"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list:
    store = TicketStore(f"sqlite:///{tmp_path_factory.mktemp('chart') / 'desk.db'}")
    tickets = populate(store)
    store.dispose()
    return tickets


def test_summary_counts(generated: list) -> None:
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    summary = outcome_summary(generated, FIRST_DAY, last)
    assert summary.total == len(generated) > 50
    assert len(summary.days) == DAYS
    for key in SEVERITY_KEYS:
        expected = Counter(t.received_day for t in generated if (t.severity or "none") == key)
        assert summary.by_severity[key] == [expected[day] for day in summary.days]
    assert summary.redirects == {key: sum(t.redirect == key for t in generated) for key in REDIRECT_KEYS}
    assert summary.ratings == {n: sum(t.survey_rating == n for t in generated) for n in range(1, 6)}
    assert summary.skipped == sum(t.survey_skipped for t in generated) > 0
    narrow = outcome_summary(generated, FIRST_DAY, FIRST_DAY)
    assert narrow.total == sum(t.received_day == FIRST_DAY for t in generated)
    with pytest.raises(ValueError):
        outcome_summary(generated, FIRST_DAY, FIRST_DAY - timedelta(days=1))


def test_chart_has_the_expected_bars(generated: list, tmp_path: Path) -> None:
    """Also writes the README's sample image (results/tickets/outcomes.png)."""
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    summary = outcome_summary(generated, FIRST_DAY, last)
    for path in (tmp_path / "chart.png", SAMPLE):
        bars = write_chart(summary, path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 20_000
    assert bars["per_day"] == {key: [float(n) for n in summary.by_severity[key]] for key in SEVERITY_KEYS}
    assert sum(sum(v) for v in bars["per_day"].values()) == len(generated)
    assert bars["redirects"] == {key: [float(summary.redirects[key])] for key in REDIRECT_KEYS}
    assert bars["satisfaction"] == {"ratings": [float(summary.ratings[n]) for n in range(1, 6)]}
    assert sum(bars["satisfaction"]["ratings"]) == sum(t.survey_rating is not None for t in generated)


def test_cjk_font_is_used_when_installed() -> None:
    installed = any(Path("/usr/share/fonts/opentype/noto").glob("NotoSansCJK*"))
    assert (cjk_font() == "Noto Sans CJK JP") is installed


def test_empty_period(tmp_path: Path) -> None:
    summary = outcome_summary([], date(2026, 1, 1), date(2026, 1, 3))
    bars = write_chart(summary, tmp_path / "empty.png")
    assert bars["per_day"]["A"] == [0.0, 0.0, 0.0]
    assert (tmp_path / "empty.png").stat().st_size > 5_000
