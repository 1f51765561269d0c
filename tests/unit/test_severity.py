"""POLICY §2: severity from what the customer says about business impact."""

from __future__ import annotations

import re

import pytest

from support_rules.severity import CHOICE_LABELS, SEVERITIES, assess, find_cues, parse_severity_choice

# Written from POLICY §2, not from the classifier's patterns.
CASES: list[tuple[str, str | None]] = [
    # ---- A: stops, corruption, mail queues, mass outage, critical operations ----------
    ("本番のサーバーがダウンしています。", "A"),
    ("ファイルサーバーが停止して業務ができません。", "A"),
    ("ドメインコントローラが応答しません。", "A"),
    ("基幹システムが起動しません。", "A"),
    ("サーバーが再起動を繰り返しています。", "A"),
    ("データベースが破損して起動しません。", "A"),
    ("SQL Serverのデータベースが壊れました。", "A"),
    ("送信したメールがキューに溜まったまま配送されません。", "A"),
    ("Exchangeでメールが滞留しています。", "A"),
    ("全社員がログインできません。", "A"),
    ("社員全員がサインインできなくなりました。", "A"),
    ("多くのユーザーがログオンできない状態です。", "A"),
    ("200人のユーザーがシステムにアクセスできません。", "A"),
    ("社内全体でメールが届きません。", "A"),
    ("みんながメールを送れません。", "A"),
    ("私だけでなく全員がログインできません。", "A"),
    ("工場の生産ラインが止まっています。", "A"),
    ("工場の製造ラインが停止しました。", "A"),
    ("株式の取引システムがダウンしています。", "A"),
    ("電子カルテが使えず、診療に支障が出ています。", "A"),
    ("病院の医療業務に支障が出ています。", "A"),
    ("業務が完全に止まっています。", "A"),
    ("出荷業務がストップしています。", "A"),
    ("重大な損失が発生しています。", "A"),
    # intermittent stops are still stops
    ("サーバーが断続的に停止しています。", "A"),
    ("1時間おきにシステムが止まります。", "A"),
    ("サーバーがときどき落ちて、その間は業務が止まります。", "A"),
    # a complete stop is feared shortly
    ("ディスクの空き容量が逼迫していて、まもなくサーバーが停止する恐れがあります。", "A"),
    ("メモリ不足でサーバーが落ちそうです。", "A"),
    ("このままだと業務が止まってしまいます。", "A"),
    # production named next to a test environment stays A
    ("本番環境とテスト環境の両方でサーバーが停止しています。", "A"),
    ("検証環境では再現しませんが、本番サーバーが停止しています。", "A"),
    # half-width katakana and full-width alphanumerics
    ("ｻｰﾊﾞｰがﾀﾞｳﾝしました。", "A"),
    ("ＳＱＬ　Ｓｅｒｖｅｒが停止しています。", "A"),
    ("ＤＢが破損しました。", "A"),
    ("２０００人の社員がログインできません。", "A"),
    ("ＶＰＮに全員つながりません。", "A"),
    # ---- B: partial impact, workaround, slowness ------------------------------------
    ("一部のユーザーがログインできません。", "B"),
    ("数人のユーザーがログインできません。", "B"),
    ("10人ほどがメールを受信できません。", "B"),
    ("3台のPCでエラーが出ています。", "B"),
    ("営業部だけメールが送れません。", "B"),
    ("経理部だけシステムが使えません。", "B"),
    ("一部の部署だけ影響が出ています。", "B"),
    ("特定の部署で共有フォルダにアクセスできません。", "B"),
    ("印刷機能が使えませんが、PDFに出力する回避策で業務は続けています。", "B"),
    ("一部の機能が使えませんが、別の方法で対応できています。", "B"),
    ("システムの動作が遅く、処理に時間がかかっています。", "B"),
    ("レスポンスが悪くて困っていますが、業務は続けられています。", "B"),
    ("検索が遅くて作業効率が落ちています。", "B"),
    ("サーバーの応答が遅いです。", "B"),
    ("サーバーの性能が落ちています。", "B"),
    ("動作が不安定です。", "B"),
    # negated stop plus a stated partial impact
    ("サーバーは止まっていませんが、かなり遅いです。", "B"),
    ("サーバーは落ちていませんが、一部のユーザーが接続できません。", "B"),
    # test / verification environment caps A at B
    ("テスト環境のサーバーがダウンしています。", "B"),
    ("テストサーバーが落ちました。", "B"),
    ("検証用サーバーでデータベースが破損しました。", "B"),
    ("ステージング環境のサーバーが停止しました。", "B"),
    ("開発環境で全員がログインできません。", "B"),
    ("ﾃｽﾄ用ｻｰﾊﾞｰが停止しました。", "B"),
    # ---- C: single user, how-to, specification, cosmetic, no impact -----------------
    ("私だけログインできません。", "C"),
    ("私のPCだけ印刷できません。", "C"),
    ("私のパソコンだけ動作が遅いです。", "C"),
    ("1人のユーザーだけメールが届きません。", "C"),
    ("パスワードの変更方法を教えてください。", "C"),
    ("Outlookで署名を設定する方法を教えてください。", "C"),
    ("インストールの手順を知りたいです。", "C"),
    ("ＥＸＣＥＬでマクロを設定する方法を教えてください。", "C"),
    ("共有メールボックスの上限は何GBですか。", "C"),
    ("この機能の仕様について確認させてください。", "C"),
    ("この製品はWindows Server 2022に対応していますか。", "C"),
    ("画面の表示が崩れています。", "C"),
    ("アイコンの色がおかしいです。", "C"),
    ("ヘルプに誤字があります。", "C"),
    ("メニューの文字が化けていますが、業務への影響はありません。", "C"),
    ("業務への影響はありません。", "C"),
    ("業務に支障はありません。", "C"),
    ("業務に影響はないが、気になります。", "C"),
    ("急ぎではありませんが、エラーの意味を教えてください。", "C"),
    # hypotheticals are questions, not outages
    ("サーバーが落ちた場合の手順を教えてください。", "C"),
    ("データベースが破損した場合の復旧方法を知りたいです。", "C"),
    ("サーバーがダウンしたら、どうすればいいですか。", "C"),
    ("システムが停止しないように設定する方法を教えてください。", "C"),
    # ---- None: impact not stated -> ask, never guess A ------------------------------
    ("サーバーは止まっていません。", None),
    ("サーバーがダウンしているわけではありません。", None),
    ("データベースは壊れていません。", None),
    ("エラー0x80070005が出ます。", None),
    ("Outlookが起動しません。", None),
    ("わかりません。", None),
    ("困っています！！至急対応してください！", None),
    ("大至急お願いします。本当に困っています。", None),
    ("こんにちは。", None),
    ("", None),
]

# Cases the classifier once got wrong (found by these tests, fixed in the rules).
REGRESSION_CASES = [
    pytest.param(
        "数名のユーザーでOutlookが起動しません。",
        "B",
        id="few-users-app-wont-start",
    ),
    pytest.param(
        "時々接続が切れますが、再接続すれば使えます。",
        "B",
        id="intermittent-disconnect",
    ),
    pytest.param(
        "全員ではなく一部のユーザーがログインできません。",
        "B",
        id="not-everyone-only-some",
    ),
    pytest.param(
        "本番サーバーがダウンしています。テスト環境では再現しません。",
        "A",
        id="production-down-test-mentioned-later",
    ),
    pytest.param(
        "本番ではなくテスト環境です。サーバーが停止しました。",
        "B",
        id="not-production-but-test",
    ),
]

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize(("text", "expected"), [*CASES, *REGRESSION_CASES])
def test_assess(text: str, expected):
    assert assess(text).severity == expected


def test_table_is_large_and_covers_every_outcome():
    outcomes = [e for _, e in CASES]
    assert len(CASES) >= 60
    assert {"A", "B", "C", None} <= set(outcomes)
    assert len({t for t, _ in CASES}) == len(CASES), "duplicate sentences in the table"


@pytest.mark.parametrize("text", [t for t, e in CASES if e is not None])
def test_reason_label_is_japanese_for_every_decision(text: str):
    label = assess(text).reason_label
    assert isinstance(label, str)
    assert label.strip()
    assert _JAPANESE.search(label)


@pytest.mark.parametrize("text", [t for t, e in CASES if e is None])
def test_no_reason_label_when_unknown(text: str):
    a = assess(text)
    assert a.reason_label is None
    assert a.decisive == ()


@pytest.mark.parametrize(
    ("text", "label_part"),
    [
        ("本番のサーバーがダウンしています。", "停止"),
        ("SQL Serverのデータベースが壊れました。", "破損"),
        ("Exchangeでメールが滞留しています。", "メール"),
        ("全社員がログインできません。", "多数"),
        ("一部のユーザーがログインできません。", "一部"),
        ("私だけログインできません。", "お一人"),
        ("パスワードの変更方法を教えてください。", "方法"),
        ("画面の表示が崩れています。", "表示"),
    ],
)
def test_reason_label_names_the_reason(text: str, label_part: str):
    assert label_part in (assess(text).reason_label or "")


def test_test_environment_cap_is_explained():
    capped = assess("テスト環境のサーバーがダウンしています。")
    assert capped.severity == "B"
    assert capped.capped is True
    assert "検証・テスト環境" in (capped.reason_label or "")
    assert "停止" in (capped.reason_label or "")

    production = assess("本番のサーバーがダウンしています。")
    assert production.capped is False
    assert "テスト" not in (production.reason_label or "")


def test_tone_does_not_raise_severity():
    # the same outage stated calmly and angrily has the same severity
    calm = assess("一部のユーザーがログインできません。")
    loud = assess("至急！！！一部のユーザーがログインできません！！本当に困っています！！")
    assert calm.severity == loud.severity == "B"


def test_cue_offsets_point_into_the_normalised_text():
    hits = find_cues("本番のサーバーがダウンしています。")
    assert [h.cue.id for h in hits] == ["system_down"]
    assert hits[0].text == "ダウン"


# --- short answers to "who is affected?" -------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("全員です", "A"),
        ("ほぼ全員です", "A"),
        ("全社員です", "A"),
        ("一部の部署だけ", "B"),
        ("一部のユーザーです", "B"),
        ("数名です", "B"),
        ("私だけです", "C"),
        ("1台だけです", "C"),
        ("わかりません", None),
    ],
)
def test_extent_only_answers(answer: str, expected):
    assessment = assess(answer, extent_only=True)
    assert assessment.severity == expected
    if expected is not None:
        assert assessment.reason_label


@pytest.mark.parametrize("answer", ["全員です", "一部の部署だけ", "私だけです"])
def test_extent_alone_is_not_impact_in_free_text(answer: str):
    assert assess(answer).severity is None


def test_extent_only_not_everyone_but_some():
    assert assess("全員ではなく一部です", extent_only=True).severity == "B"


# --- the customer naming a severity ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("深刻度B", "B"),
        ("深刻度はAです", "A"),
        ("Aでお願いします", "A"),
        ("Bでいいです", "B"),
        ("Cです", "C"),
        ("ａ", "A"),
        ("Ｃ", "C"),
        ("レベルc", "C"),
        ("severity b", "B"),
        ("重要度：Ｂ", "B"),
        ("深刻度はDです", None),
        ("メールサーバーが落ちました", None),
        ("わかりません", None),
        ("", None),
    ],
)
def test_parse_severity_choice(text: str, expected):
    assert parse_severity_choice(text) == expected


def test_parse_severity_choice_ignores_the_c_of_pc():
    assert parse_severity_choice("PCが動きません") is None


def test_choice_labels_cover_every_severity():
    assert set(CHOICE_LABELS) == set(SEVERITIES) == {"A", "B", "C"}
    assert all(_JAPANESE.search(label) for label in CHOICE_LABELS.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("夜遅くにすみません、Outlookでエラーが出ます", None),
        ("ご連絡が遅くなりましたが、Teamsで通知が届きません", None),
        ("夜分遅くに失礼します。サーバーの応答が遅くて業務に支障が出ています", "B"),
        ("経理部だけファイルが開けません。他の部署はとくに問題なく使えてます", "B"),
        ("ログインしたいです", None),
    ],
)
def test_courtesy_and_other_departments(text: str, expected: str | None) -> None:
    assert assess(text).severity == expected


@pytest.mark.parametrize(
    ("text", "cue", "span"),
    [
        ("本番のサーバが停止しています", "system_down", "停止"),
        ("ＤＢが破損しました", "data_corruption", "破損"),
        ("ユーザ全員がログオンできない", "many_users", "ログオンできな"),
    ],
)
def test_source_spans_point_at_the_original_words(text: str, cue: str, span: str) -> None:
    from support_rules.normalize import nfkc

    hit = next(h for h in find_cues(text) if h.cue.id == cue)
    assert nfkc(text)[hit.source_start : hit.source_end] == span
