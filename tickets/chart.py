"""Triage outcomes over a period, as numbers and as one PNG with three panels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tickets.store import JST, TicketView

SEVERITY_KEYS = ("A", "B", "C", "undetermined", "none")
REDIRECT_KEYS = ("premier", "consulting", "oem_vendor", "consumer_support")
CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic")
# matplotlib 3.5 does not scan .ttc collections, which is how Debian ships Noto CJK.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)

LABELS_JA = {
    "title": "受付票の集計 {since} 〜 {until}",
    "per_day": "日別の受付件数（深刻度別）",
    "redirects": "他窓口へのご案内（区分別）",
    "satisfaction": "満足度アンケート（1〜5）",
    "tickets": "件数",
    "rating": "評価",
    "skipped": "回答なし {n} 件",
    "A": "A",
    "B": "B",
    "C": "C",
    "undetermined": "未確定",
    "none": "判定なし",
    "premier": "プレミア",
    "consulting": "コンサルティング",
    "oem_vendor": "OEM メーカー",
    "consumer_support": "一般向けサポート",
    "other": "その他",
}
LABELS_EN = {
    **LABELS_JA,
    "title": "Intake tickets {since} – {until}",
    "per_day": "Tickets per day by severity",
    "redirects": "Redirects by category",
    "satisfaction": "Satisfaction (1–5)",
    "tickets": "tickets",
    "rating": "rating",
    "skipped": "skipped: {n}",
    "undetermined": "undetermined",
    "none": "none",
    "premier": "Premier",
    "consulting": "Consulting",
    "oem_vendor": "OEM vendor",
    "consumer_support": "Consumer support",
    "other": "other",
}
SEVERITY_COLOURS = {"A": "#c0392b", "B": "#e67e22", "C": "#2e86c1", "undetermined": "#95a5a6", "none": "#d5d8dc"}


@dataclass(frozen=True)
class Summary:
    since: date
    until: date
    days: list[date]
    by_severity: dict[str, list[int]]  # SEVERITY_KEYS → count per day (aligned with ``days``)
    redirects: dict[str, int]  # category → count (REDIRECT_KEYS first, then others)
    ratings: dict[int, int] = field(default_factory=dict)  # 1..5 → count
    skipped: int = 0

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.by_severity.values())


def outcome_summary(tickets: Iterable[TicketView], since: date, until: date) -> Summary:
    """Counts for the JST days ``since``..``until`` (inclusive); tickets outside are ignored."""
    if until < since:
        raise ValueError("until is before since")
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    index = {day: n for n, day in enumerate(days)}
    by_severity = {key: [0] * len(days) for key in SEVERITY_KEYS}
    redirects: Counter[str] = Counter()
    ratings = dict.fromkeys(range(1, 6), 0)
    skipped = 0
    for ticket in tickets:
        day = ticket.received_at.astimezone(JST).date()
        if day not in index:
            continue
        key = ticket.severity if ticket.severity in SEVERITY_KEYS else "none"
        by_severity[key][index[day]] += 1
        if ticket.redirect:
            redirects[ticket.redirect] += 1
        if ticket.survey_rating in ratings:
            ratings[ticket.survey_rating] += 1
        elif ticket.survey_skipped:
            skipped += 1
    ordered = {key: redirects[key] for key in REDIRECT_KEYS}
    ordered.update({key: count for key, count in sorted(redirects.items()) if key not in ordered})
    return Summary(since, until, days, by_severity, ordered, ratings, skipped)


def cjk_font() -> str | None:
    """The first installed Japanese-capable font family (Debian: fonts-noto-cjk), or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    if not installed.intersection(CJK_FONTS):
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def write_chart(summary: Summary, path: str | Path) -> dict[str, dict[str, list[float]]]:
    """Write the PNG; returns the bar heights drawn, per panel and series:
    ``{"per_day": {"A": [...per day], ...}, "redirects": {"premier": [n], ...},
    "satisfaction": {"ratings": [n1..n5]}}``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    font = cjk_font()
    labels = LABELS_JA if font else LABELS_EN
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {"font.family": ["DejaVu Sans"]}
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(rc):
        figure: Figure = plt.figure(figsize=(13, 4.8), dpi=100)
        per_day, redirect_ax, rating_ax = figure.subplots(1, 3, gridspec_kw={"width_ratios": [2.2, 1.3, 1]})
        heights: dict[str, dict[str, list[float]]] = {"per_day": {}, "redirects": {}, "satisfaction": {}}

        positions = list(range(len(summary.days)))
        bottom = [0] * len(summary.days)
        for key in SEVERITY_KEYS:
            counts = summary.by_severity[key]
            bars = per_day.bar(
                positions, counts, bottom=bottom, label=labels[key], color=SEVERITY_COLOURS[key], width=0.75
            )
            heights["per_day"][key] = [float(patch.get_height()) for patch in bars.patches]
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        step = max(1, len(summary.days) // 10)
        per_day.set_xticks(positions[::step])
        per_day.set_xticklabels([f"{day:%m/%d}" for day in summary.days[::step]], rotation=45, ha="right")
        per_day.set_title(labels["per_day"])
        per_day.set_ylabel(labels["tickets"])
        per_day.legend(fontsize=8, loc="upper left")
        per_day.yaxis.get_major_locator().set_params(integer=True)

        categories = list(summary.redirects)
        names = [labels.get(key, key) for key in categories]
        bars = redirect_ax.barh(names, [summary.redirects[key] for key in categories], color="#5d6d7e")
        for key, patch in zip(categories, bars.patches, strict=True):
            heights["redirects"][key] = [float(patch.get_width())]
        redirect_ax.invert_yaxis()
        redirect_ax.set_title(labels["redirects"])
        redirect_ax.set_xlabel(labels["tickets"])
        redirect_ax.xaxis.get_major_locator().set_params(integer=True)

        stars = [str(n) for n in range(1, 6)]
        bars = rating_ax.bar(stars, [summary.ratings.get(n, 0) for n in range(1, 6)], color="#27ae60")
        heights["satisfaction"]["ratings"] = [float(patch.get_height()) for patch in bars.patches]
        rating_ax.set_title(labels["satisfaction"])
        rating_ax.set_xlabel(f"{labels['rating']}  ({labels['skipped'].format(n=summary.skipped)})")
        rating_ax.set_ylabel(labels["tickets"])
        rating_ax.yaxis.get_major_locator().set_params(integer=True)

        figure.suptitle(labels["title"].format(since=summary.since.isoformat(), until=summary.until.isoformat()))
        figure.tight_layout()
        figure.savefig(out, format="png")
        plt.close(figure)
    return heights
