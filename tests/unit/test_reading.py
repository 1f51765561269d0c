"""The reader's guard rails (support_rules.reading.combine) with stand-in predictions."""

from __future__ import annotations

from typing import Any

import pytest

from support_rules.reading import MIN_A, ModelReading, Reading, combine, cue_features, quote_around, read
from support_rules.scope import detect_scope, detect_scopes
from support_rules.severity import assess


def model(impact: str, p: float, scope: str = "in_scope", ps: float = 0.95, **probs: float) -> ModelReading:
    ranking: dict[str, float] = {impact: p, **probs}
    return ModelReading(impact, p, scope, ps, ranking, {scope: ps}, None)  # type: ignore[arg-type]


def decide(text: str, m: ModelReading | None, **kw: Any) -> Reading:
    return combine(text, m, assess(text), rules_scope=detect_scope(text), **kw)


def test_confident_reader_decides_and_quotes_the_customer() -> None:
    text = "お世話になっております。本番のファイルサーバーが落ちて全社の業務が止まっています。よろしくお願いします。"
    reading = decide(text, model("A", 0.97))
    assert reading.severity == "A" and reading.source == "reader" and reading.confidence == pytest.approx(0.97)
    assert reading.quote is not None and reading.quote in text
    assert "お世話になっております" not in reading.quote
    assert reading.reason_label is not None and f"「{reading.quote}」" in reading.reason_label


def test_unsure_a_is_never_guessed() -> None:
    text = "サーバーの調子がおかしいです"
    reading = decide(text, model("A", MIN_A - 0.1, B=0.3))
    assert reading.severity is None and reading.problem


def test_weak_a_taken_only_when_the_rules_agree() -> None:
    agreed = "本番のSQL Serverが停止して受注業務が止まっています"
    assert assess(agreed).severity == "A"
    assert decide(agreed, model("A", 0.4, B=0.35)).severity == "A"
    assert decide("何か変です", model("A", 0.4, B=0.35)).severity is None


def test_a_production_stop_supports_a_weaker_reader_a() -> None:
    assert decide("本番サーバーが停止しています", model("unknown", 0.55, A=0.39)).severity == "A"
    assert decide("サーバーが停止しています", model("unknown", 0.55, A=0.39)).severity is None


def test_unknown_is_left_open_even_when_the_rules_read_a() -> None:
    text = "サーバーが落ちました"
    assert decide(text, model("unknown", 0.8, A=0.15)).severity is None


def test_test_environment_caps_a_at_b() -> None:
    text = "検証環境のHyper-Vホストがダウンして、検証作業が止まっています"
    reading = decide(text, model("A", 0.9))
    assert reading.severity == "B" and reading.capped
    assert reading.label is not None and "検証" in reading.label


def test_explicit_choice_wins() -> None:
    text = "本番のサーバーが全部止まっています"
    reading = decide(text, model("A", 0.99), override="C")
    assert reading.severity == "C" and reading.source == "choice"


def test_none_is_not_a_problem_report() -> None:
    text = "Excelのマクロを作ってほしいです"
    reading = decide(text, model("none", 0.9, "development", 0.9))
    assert reading.severity is None and not reading.problem and reading.scope == "development"


def test_weak_redirect_stays_in_scope_unless_the_rules_agree() -> None:
    text = "Outlookの予定表が同期されません"
    assert decide(text, model("B", 0.8, "consulting", 0.4)).scope == "in_scope"
    dev = "Excelのマクロを作って"
    assert detect_scope(dev) == "development"
    assert decide(dev, model("none", 0.8, "development", 0.4)).scope == "development"


def test_fix_and_cause_is_in_scope_with_the_cause_to_premier() -> None:
    text = "本番のExchangeでメールが滞留しています。復旧方法と、原因の調査もお願いします。"
    reading = decide(text, model("A", 0.9, "in_scope", 0.8))
    assert reading.scope == "in_scope" and reading.cause_to_premier


def test_without_a_model_the_rules_decide_as_before() -> None:
    text = "営業部だけTeamsにログインできません"
    reading = decide(text, None)
    assert reading.severity == assess(text).severity == "B" and reading.source == "rules"


def test_without_a_model_a_bare_server_down_is_asked_not_a() -> None:
    assert decide("サーバーが落ちました！！", None).severity is None
    assert decide("本番サーバーが停止しています", None).severity == "A"
    assert decide("本番のサーバーが落ちて全社の業務が止まっています", None).severity == "A"


def test_from_parse_round_trip_and_bad_input() -> None:
    m = ModelReading("B", 0.8, "in_scope", 0.9, {"B": 0.8, "A": 0.2}, {"in_scope": 0.9}, (3, 9))
    assert ModelReading.from_parse(m.as_parse()) == m
    assert ModelReading.from_parse(None) is None
    assert ModelReading.from_parse({"impact_reading": {"name": "Z"}, "scope_reading": {"name": "in_scope"}}) is None
    assert ModelReading.from_parse({"impact_reading": "A"}) is None
    assert read("本番が止まりました", {}).source == "rules"


def test_quote_is_the_clause_and_is_cut() -> None:
    text = "こんにちは。営業部だけログインできません。よろしく。"
    start = text.index("ログイン")
    assert quote_around(text, start, start + 4) == "営業部だけログインできません"
    long = "あ" * 30 + "サーバー停止" + "い" * 30
    quoted = quote_around(long, 30, 36, limit=20)
    assert "サーバー停止" in quoted and quoted.startswith("…") and quoted.endswith("…")


def test_cue_features_name_the_rules() -> None:
    feats = cue_features("本番のSQL Serverが停止して、原因を調査してほしい。どうすればいいですか？")
    assert feats["rules:A"] == 1.0 and feats["cue:system_down"] == 1.0
    assert feats["scope:root_cause"] == 1.0 and feats["question"] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("富士通のPRIMERGYのファームウェアを更新したら起動しなくなった", "oem_vendor"),
        ("NEC Express5800 の専用ドライバが入りません", "oem_vendor"),
        ("Datacenter Server の OEM 版について", "oem_vendor"),
        ("Windows Server 2022 Datacenter で Hyper-V のVMが起動しません", None),
        ("DellのサーバーでSQL Serverが遅いです", None),
    ],
)
def test_oem_makers_and_the_regular_datacenter_edition(text: str, expected: str | None) -> None:
    assert detect_scope(text) == expected


def test_detect_scopes_lists_every_category() -> None:
    text = "自社開発のアドインが原因かもしれません。原因を調査して、修正パッチを作ってください"
    assert {"third_party", "root_cause", "product_change"} <= set(detect_scopes(text))
