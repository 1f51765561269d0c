"""POLICY §5: scope of the service and redirects."""

from __future__ import annotations

import pytest

from support_rules.scope import (
    OUT_OF_SCOPE,
    REDIRECTS,
    SCOPES,
    decide_scope,
    detect_scope,
    mentions_data_recovery,
    redirect_for,
)

OUT_OF_SCOPE_TEXTS: dict[str, list[str]] = {
    "root_cause": [
        "障害の原因を調査してください。",
        "復旧はしましたが、なぜ停止したのか原因を調べてほしいです。",
        "再発防止のための報告書が必要なので、根本原因を究明してほしい。",
        "サーバーがなぜ落ちたのか調査をお願いします。",
        "RCAレポートを出してください。",
    ],
    "development": [
        "在庫管理のプログラムを開発してください。",
        "新しいサンプルコードを作成してほしい。",
        "ドキュメントにない機能を実装してほしいです。",
        "Excelのマクロを作ってもらえませんか。",
        "PowerShellのスクリプトを書いてください。",
    ],
    "debugging": [
        "自社で作ったアプリのデバッグをお願いしたい。",
        "私たちが書いたコードをレビューしてください。",
        "特定の機器でしか再現しない問題を調べてほしい。",
        "複数の製品を組み合わせたときに起きる問題を見てほしい。",
        "ダンプファイルを解析してください。",
    ],
    "product_change": [
        "ホットフィックスを作成してほしい。",
        "製品の仕様を変更してください。",
        "確認された不具合の修正を保証してください。",
        "修正プログラムを作ってほしいです。",
        "製品を改修してもらえますか。",
    ],
    "third_party": [
        "他社製のアドインが原因だと思います。",
        "自社開発のアプリケーションが原因のようです。",
        "ウイルス対策ソフトが原因でOutlookが落ちます。",
        "サードパーティ製のドライバのせいで起動しません。",
        "ベンダーが作った業務システムに問題があるようです。",
    ],
    "consulting": [
        "システム設計の相談をしたいです。",
        "キャパシティプランニングをお願いしたい。",
        "SQL Serverのパフォーマンスチューニングをしてほしい。",
        "新しいバージョンへの移行を支援してほしい。",
        "環境のアセスメントをお願いします。",
        "最適な構成を提案してください。",
    ],
    "oem_vendor": [
        # POLICY §5 (narrowed): only the OEM-sold "Datacenter Server" products go to the
        # maker; the regular Datacenter edition is in scope (IN_SCOPE_TEXTS).
        "Datacenter Server を使っています。",
        "ｄａｔａｃｅｎｔｅｒ ｓｅｒｖｅｒです。",
        "OEM版のWindows Serverです。",
        "富士通のPRIMERGYのBIOSを更新したいです。",
        "メーカー専用ハードウェアで動いている製品です。",
        "アプライアンス製品のトラブルです。",
    ],
    "consumer_product": [
        "自宅のPCのWindows 11 Homeが起動しません。",
        "家庭用のOfficeの使い方を教えてください。",
        "Office Personalのライセンスについて質問です。",
        "個人で使っているパソコンが遅いです。",
        "プライベートのPCでOutlookが起動しません。",
    ],
}

IN_SCOPE_TEXTS = [
    "Datacenterエディションを使っています。",  # the regular edition (POLICY §5)
    "Windows Server 2022 Datacenter でクラスタが組めません。",
    "原因がわからないので解決方法を教えて",  # asks for a fix, not an investigation
    "エラーの原因がわかりません。対処方法を教えてください。",
    "インストールの方法を教えてください。",
    "Outlookの設定方法",
    "サーバーが起動しません。助けてください。",
    "本番サーバーがダウンしています。",
    "社内のファイルサーバーにアクセスできません。",
    "データベースの復旧を手伝ってほしい。",
    "バックアップから復元する手順を教えて。",
    "アップグレード後にエラーが出ます。",
    "パッチを当てたらサーバーが起動しなくなりました。",
    "Windows Serverのライセンス認証ができません。",
    "ドキュメントのサンプルコードが動きません。",
    "開発環境のサーバーが停止しました。",
]


@pytest.mark.parametrize(
    ("text", "scope"),
    [(text, scope) for scope, texts in OUT_OF_SCOPE_TEXTS.items() for text in texts],
)
def test_detect_scope_out_of_scope(text: str, scope: str):
    assert detect_scope(text) == scope


def test_every_out_of_scope_category_has_three_phrasings():
    assert set(OUT_OF_SCOPE_TEXTS) == set(OUT_OF_SCOPE)
    assert all(len(texts) >= 3 for texts in OUT_OF_SCOPE_TEXTS.values())


@pytest.mark.parametrize("text", IN_SCOPE_TEXTS)
def test_detect_scope_in_scope_is_none(text: str):
    assert detect_scope(text) is None


def test_error_during_migration_is_trouble_not_consulting():
    assert detect_scope("移行作業中にエラーが出て止まりました。") is None


def test_redirects_match_policy_table():
    assert dict(REDIRECTS) == {
        "root_cause": "premier",
        "development": "premier",
        "debugging": "premier",
        "product_change": "premier",
        "third_party": "premier",
        "consulting": "consulting",
        "oem_vendor": "oem_vendor",
        "consumer_product": "consumer_support",
    }


def test_scope_names():
    assert SCOPES[0] == "in_scope"
    assert set(SCOPES) == {"in_scope", *REDIRECTS}
    assert redirect_for("in_scope") is None
    assert redirect_for("consumer_product") == "consumer_support"
    assert redirect_for("root_cause") == "premier"


def test_every_redirect_has_a_customer_facing_name(config):
    assert set(REDIRECTS.values()) == set(config.redirect_names)


# --- decide_scope -------------------------------------------------------------------

SCOPE_INTENTS = {
    "request_root_cause": "root_cause",
    "request_development": "development",
    "request_debugging": "debugging",
    "request_product_change": "product_change",
    "report_third_party_cause": "third_party",
    "request_consulting": "consulting",
    "ask_oem_product": "oem_vendor",
    "ask_consumer_product": "consumer_product",
}


@pytest.mark.parametrize(("intent", "scope"), SCOPE_INTENTS.items())
def test_confident_intent_decides_scope(intent: str, scope: str):
    # the text alone is in scope; the confident intent wins
    assert decide_scope(intent, "インストールの方法を教えてください。", 0.9) == scope


def test_threshold_is_inclusive():
    assert decide_scope("request_consulting", "こんにちは", 0.5) == "consulting"
    assert decide_scope("request_consulting", "こんにちは", 0.49) == "in_scope"


def test_unconfident_intent_falls_back_to_text():
    assert decide_scope("request_consulting", "障害の原因を調査してください。", 0.3) == "root_cause"


def test_custom_threshold():
    assert decide_scope("request_consulting", "こんにちは", 0.7, threshold=0.8) == "in_scope"
    assert decide_scope("request_consulting", "こんにちは", 0.85, threshold=0.8) == "consulting"


@pytest.mark.parametrize("intent", [None, "report_problem", "ask_price", "greet"])
def test_non_scope_intent_uses_text(intent):
    assert decide_scope(intent, "他社製のアドインが原因だと思います。", 0.99) == "third_party"
    assert decide_scope(intent, "サーバーが起動しません。", 0.99) == "in_scope"


# --- data recovery ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "削除したメールを復元したい",
        "データベースの復旧は可能ですか",
        "消えたファイルを元に戻したい",
        "メールボックスを取り戻したい",
        "データが消えたので戻せますか",
        "ファイルを復旧できますか",
    ],
)
def test_mentions_data_recovery(text: str):
    assert mentions_data_recovery(text)


@pytest.mark.parametrize(
    "text",
    ["サーバーの再起動方法", "障害から復旧しました", "インストールの方法を教えてください", ""],
)
def test_does_not_mention_data_recovery(text: str):
    assert not mentions_data_recovery(text)


def test_data_recovery_stays_in_scope():
    text = "データベースの復旧を手伝ってほしい。"
    assert mentions_data_recovery(text)
    assert decide_scope(None, text) == "in_scope"
