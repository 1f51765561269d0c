"""Reading the customer's short answers (support_rules.answers)."""

from __future__ import annotations

import pytest

from support_rules import answers
from support_rules.answers import ContactFacts, extract_contacts


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("はい", None, True),
        ("はい、出られます", None, True),
        ("大丈夫です", None, True),
        ("ええよ", None, True),
        ("いいえ、難しいです", None, False),
        ("無理です", None, False),
        ("大丈夫じゃないです", None, False),
        ("はい、でも夜は難しいです", None, False),
        ("あかんわ", None, False),
        ("うーん", None, None),
        ("電話に出られますか？", None, None),
        ("なんとも", "affirm", True),
        ("なんとも", "deny", False),
    ],
)
def test_yes_no(text: str, intent: str | None, expected: bool | None) -> None:
    assert answers.parse_yes_no(text, intent) is expected


@pytest.mark.parametrize(
    "text",
    [
        "料金はいくらですか",
        "夜でも電話つながりますか？",
        "アンケートって何ですか",
        "どうすればいいでしょう",
        "なんぼかかるん？",
        "５インシデントパックっていくらでしたっけ",
    ],
)
def test_questions(text: str) -> None:
    assert answers.is_question(text)


@pytest.mark.parametrize("text", ["株式会社サンプル", "山田 太郎", "03-1234-5678", "はい", "オンデマンドです"])
def test_answers_are_not_questions(text: str) -> None:
    assert not answers.is_question(text)


@pytest.mark.parametrize("text", ["ちょっと聞きたいことが…", "質問があるんですが", "お聞きしたいことがあります"])
def test_announcing_a_question(text: str) -> None:
    assert answers.wants_to_ask(text)


@pytest.mark.parametrize(
    "text",
    ["最初から", "最初からやり直したい", "最初から！", "リセット", "リセットして", "/restart", "もう一度最初から"],
)
def test_restart_commands(text: str) -> None:
    assert answers.is_restart_command(text)


@pytest.mark.parametrize(
    "text",
    ["株式会社リセット", "リセット工業株式会社", "最初から調子が悪いです", "パスワードをリセットしたい件で", "はい"],
)
def test_restart_words_inside_answers_are_not_commands(text: str) -> None:
    assert not answers.is_restart_command(text)


@pytest.mark.parametrize("text", ["キャンセル", "やっぱりいいです", "取り消してください", "もう大丈夫です"])
def test_cancel(text: str) -> None:
    assert answers.wants_to_cancel(text)


@pytest.mark.parametrize(
    "text",
    [
        "今から電話します！",
        "電話したほうがいいですか？",
        "すぐ電話かけます",
        "電話すればいいですか",
        "これから電話してみます",
        "でんわしたほうがええ？",
    ],
)
def test_calling_now(text: str) -> None:
    assert answers.is_calling_now(text)


@pytest.mark.parametrize("text", ["090-1234-5678", "電話番号は03-1234-5678です", "夜でも電話つながりますか？", "はい"])
def test_not_calling_now(text: str) -> None:
    assert not answers.is_calling_now(text)


def test_defers_to_phone() -> None:
    assert answers.defers_to_phone("お電話で伺います")
    assert answers.defers_to_phone("電話でお伝えします")
    assert not answers.defers_to_phone("オンデマンドです")


@pytest.mark.parametrize(
    "text",
    [
        "すみません、落ちたのは検証用のサーバーで、本番の業務には影響ありません",
        "深刻度Aじゃなくて大丈夫です",
        "そこまで急ぎではないです",
        "業務には影響ないです",
    ],
)
def test_playing_down_impact(text: str) -> None:
    assert answers.plays_down_impact(text)


def test_named_severity_and_its_negation() -> None:
    assert answers.named_severity("深刻度Bでお願いします") == "B"
    assert answers.named_severity("深刻度Aじゃなくて大丈夫です") is None
    assert answers.named_severity("山田です") is None


@pytest.mark.parametrize("text", ["そういう意味じゃない", "そういう意味ではないです", "違います", "いえ、違うんです"])
def test_vague_corrections(text: str) -> None:
    assert answers.is_vague_correction(text)
    assert answers.is_correction(text)


def test_specific_correction_is_not_vague() -> None:
    text = "あ、契約は旧価格の5インシデントパックでした"
    assert not answers.is_vague_correction(text)
    assert answers.stated_contract(text) == "pack5_legacy"
    assert answers.stated_contract("5インシデントパックっていくらですか") is None
    assert answers.stated_contract("株式会社サンプル") is None


@pytest.mark.parametrize(
    "text",
    [
        "データは確実に戻せますか",
        "消えたファイルは復元できますか",
        "データの復旧をお願いしたい",
        "復旧は保証されますか",
    ],
)
def test_recovery_questions(text: str) -> None:
    assert answers.asks_about_recovery(text)


def test_premier() -> None:
    assert answers.mentions_premier("プレミアの連絡先は？")
    assert not answers.mentions_premier("料金は？")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("４", 4),
        ("★★★", 3),
        ("とても満足", 5),
        ("やや不満", 2),
        ("普通です", 3),
        ("うーん", None),
        ("", None),
    ],
)
def test_rating(text: str, expected: int | None) -> None:
    assert answers.parse_rating(text) == expected


def test_skip_survey() -> None:
    assert answers.wants_to_skip("回答しない")
    assert answers.wants_to_skip("アンケートは結構です")
    assert not answers.wants_to_skip("5")


SIGNATURE = """お世話になっております。
本番のファイルサーバーに接続できず、全社で業務が止まっています。

--
株式会社サンプル商事 情報システム部
山田 太郎
TEL: 03-1234-5678
FAX: 03-1234-9999
Mail: taro.yamada@example.co.jp
"""


def test_signature_block() -> None:
    facts = extract_contacts(SIGNATURE)
    assert facts == ContactFacts("株式会社サンプル商事", "山田 太郎", "03-1234-5678", "taro.yamada@example.co.jp")
    assert facts.as_slots()["contact_phone"] == "03-1234-5678"


def test_inline_introduction() -> None:
    facts = extract_contacts("株式会社リセットの佐藤です。Exchangeでメールが送れません")
    assert facts.company == "株式会社リセット"
    assert facts.name == "佐藤"
    assert facts.phone is None and facts.email is None


def test_labelled_fields_and_excluded_desk_number() -> None:
    facts = extract_contacts(
        "会社名: サンプル工業\n氏名: 鈴木 一郎\n0120-17-0196 に電話しました\n携帯 090-1111-2222", ["0120-17-0196"]
    )
    assert facts.company == "サンプル工業"
    assert facts.name == "鈴木 一郎"
    assert facts.phone == "090-1111-2222"


def test_nothing_in_a_plain_problem_report() -> None:
    facts = extract_contacts("Outlookのエラーです。一部の部署だけ送信できません")
    assert not facts
    assert facts.as_slots() == {}


def test_phone_number_shape() -> None:
    assert answers.looks_like_phone_number("03-1234-5678")
    assert not answers.looks_like_phone_number("料金は？")


@pytest.mark.parametrize("text", ["ぬぬぬねねね", "ほげほげふがふが", "あｓｄｆｇｈｊｋ"])
def test_gibberish(text: str) -> None:
    assert answers.is_gibberish(text)


@pytest.mark.parametrize(
    "text", ["山田 太郎", "最初 まこと", "株式会社リセット", "03-1234-5678", "はい", "reset@example.co.jp"]
)
def test_not_gibberish(text: str) -> None:
    assert not answers.is_gibberish(text)


def test_played_down_severity() -> None:
    assert answers.played_down_severity("落ちたのは検証用のサーバーで本番には影響ありません") == "C"
    assert answers.played_down_severity("テスト環境のサーバーでした") == "B"
    assert answers.played_down_severity("深刻度Aじゃなくて大丈夫です") is None


def test_name_corrections_and_department_lines() -> None:
    assert extract_contacts("名前の漢字を間違えました。山田 太朗です").name == "山田 太朗"
    block = "株式会社サンプル商事\n情報システム部 山田 太郎\nTEL: 03-1234-5678"
    assert extract_contacts(block).name == "山田 太郎"
    assert extract_contacts("すみません、会社名は株式会社サンプル物産の間違いでした").company == "株式会社サンプル物産"
    assert extract_contacts("さっきの電話番号は間違いで、03-1234-9999です").phone == "03-1234-9999"


def test_rating_with_words_after_the_digit() -> None:
    assert answers.parse_rating("5です。最初から最後まで丁寧でした") == 5


def test_signature_on_one_line() -> None:
    """Channels and the tokenizer may collapse line breaks into spaces."""
    text = "繋がりません。 -- 株式会社サンプル商事 情報システム部 山田 太郎 TEL: 03-1234-5678 Mail: taro@example.co.jp"
    facts = extract_contacts(text)
    assert (facts.company, facts.name, facts.phone) == ("株式会社サンプル商事", "山田 太郎", "03-1234-5678")


@pytest.mark.parametrize(
    "text",
    [
        "別件でExchangeが落ちて全社でメールが止まっています",
        "それとは別に、Teamsにも入れません",
        "もう一つ相談があります",
    ],
)
def test_another_problem(text: str) -> None:
    assert answers.is_another_problem(text)


@pytest.mark.parametrize(
    "text", ["本番のファイルサーバーが落ちて全社の業務が止まっています", "さっきの件ですが、悪化しました"]
)
def test_the_same_problem(text: str) -> None:
    assert not answers.is_another_problem(text)
