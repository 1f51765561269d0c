"""What the customer says instead of answering, per step (the digression matrix's cells).

Eight kinds at every step: an FAQ question, a correction, an out-of-scope request, an
A-level statement, a restart look-alike inside an answer, a request for a person,
gibberish, and 「今から電話します」. FAQ, out-of-scope, person and gibberish messages
rotate over the steps so that the matrix covers many phrasings; corrections and
look-alikes are written for the step they are said at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conversations import facts as F
from tests.conversations.steps import (
    ASK_COMPANY,
    ASK_CONFIRM,
    ASK_CONTRACT,
    ASK_DESC,
    ASK_EMAIL,
    ASK_NAME,
    ASK_PHONE,
    ASK_SEVERITY,
    STEPS,
)

KINDS = ("faq", "correction", "out_of_scope", "a_statement", "restart_lookalike", "person", "gibberish", "calling_now")


@dataclass(frozen=True)
class Digression:
    kind: str
    message: str
    facts: tuple[str, ...] = ()  # every one must be in the reply
    names: frozenset[str] = frozenset()  # ... or one of these responses (when there is no fact to check)
    expect: dict[str, Any] = field(default_factory=dict)  # slot → value right after the message
    expect_one_of: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    expect_ticket: dict[str, Any] = field(default_factory=dict)  # ticket field → value at the end
    resume: frozenset[str] | None = None  # questions the reply must ask (None: the step's own)
    then_answer: bool = True  # then answer the step and check it lands in its slot
    allowed: frozenset[str] = frozenset()  # slots that may legitimately hold the message
    reopens: frozenset[str] = frozenset()  # earlier questions that may legitimately come again

    def __str__(self) -> str:
        return self.kind


def _faq(message: str, *facts: str, names: tuple[str, ...] = ()) -> Digression:
    return Digression("faq", message, facts=facts, names=frozenset(names))


FAQ = {
    "price": _faq("料金は税込でいくらですか？", F.ON_DEMAND_TAX, F.PACK5_TAX),
    "on_demand": _faq("オンデマンドの料金はいくらですか？", F.ON_DEMAND),
    "hours": _faq("受付時間は何時から何時までですか？", F.OPENS, F.CLOSES),
    "flow": _faq("サポートの利用の流れを教えてください", names=("utter_faq_flow",)),
    "survey": _faq("満足度アンケートの回答は何に使われますか？", names=("utter_faq_survey",)),
    "fax": _faq("サポート契約センターのFAX番号を教えてください", F.CENTER_FAX),
    "legacy": _faq("旧価格で買った5インシデントパックはまだ使えますか？", names=("utter_faq_legacy_pack",)),
    "incident": _faq("1インシデントってどういう意味ですか？", names=("utter_faq_incident",)),
    "severity": _faq("深刻度ってどうやって決まるんですか？", names=("utter_faq_severity",)),
    "business_critical": _faq("ビジネスクリティカル24はまだ契約できますか？", names=("utter_faq_business_critical",)),
}
FAQ_AT = {
    "tue-description": "price",
    "tue-impact": "severity",
    "tue-severity-confirm": "incident",
    "tue-contract": "legacy",
    "tue-company": "flow",
    "tue-name": "survey",  # issue 11 #3: got the service-flow answer
    "tue-phone": "hours",  # issue 11 #3: got 「電話番号には数字とハイフンだけ…」
    "tue-email": "fax",
    "tue-survey-rating": "price",
    "tue-survey-comment": "hours",
    "tue-handoff": "price",
    "tue-after-fallback": "hours",
    "tue-after-redirect": "price",
    "sat-phone-reachable": "hours",
    "sat-impact": "on_demand",
    "sat-contract": "business_critical",
    "dec30-phone-reachable": "price",
    "dec30-severity-confirm": "hours",
    "dec30-company": "survey",
}

OUT_OF_SCOPE = (
    Digression(
        "out_of_scope",
        "復旧したら、なぜ起きたのか原因も詳しく調査してもらえますか？",
        facts=(F.REDIRECT_NAMES["premier"],),
    ),
    Digression(
        "out_of_scope",
        "ついでに、自宅のパソコンのWindows 11の使い方も聞けますか？",
        facts=(F.REDIRECT_NAMES["consumer_support"],),
    ),
    Digression("out_of_scope", "来年のサーバー移行の計画も相談できますか？", facts=(F.REDIRECT_NAMES["consulting"],)),
    Digression(
        "out_of_scope", "自社で作ったプログラムのデバッグもお願いできますか？", facts=(F.REDIRECT_NAMES["premier"],)
    ),
)
PERSON = ("担当者と話したいです", "オペレーターに代わってもらえますか？", "人と話したいです")
GIBBERISH = ("ぬぬぬねねね", "ほげほげふがふが", "あｓｄｆｇｈｊｋ")

_LEGACY = "あ、契約は旧価格の5インシデントパックでした"
_NOT_PRODUCTION = "すみません、落ちたのは検証用のサーバーで本番には影響ありません"
_SEVERITY_QUESTIONS = ASK_SEVERITY | ASK_CONFIRM

CORRECTION = {
    "tue-description": Digression("correction", _LEGACY, expect={"contract": "pack5_legacy"}),
    "tue-impact": Digression(
        "correction", "言い忘れましたが、契約は旧価格の5インシデントパックでした", expect={"contract": "pack5_legacy"}
    ),
    "tue-severity-confirm": Digression(
        "correction",
        "すみません、検証用の環境だけの話で、業務への影響はありません",
        expect={"severity": "C"},
        resume=ASK_CONFIRM | ASK_CONTRACT,
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "tue-contract": Digression(
        "correction",
        "すみません、よく確認したら業務への影響はありませんでした。私ひとりの問題です",
        expect={"severity": "C"},
        resume=ASK_CONFIRM | ASK_CONTRACT,
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "tue-company": Digression("correction", _LEGACY, expect={"contract": "pack5_legacy"}),  # issue 11 #3
    "tue-name": Digression(
        "correction",
        "すみません、会社名は株式会社サンプル物産の間違いでした",
        expect={"contact_company": "株式会社サンプル物産"},
    ),
    "tue-phone": Digression(
        "correction", "名前の漢字を間違えました。山田 太朗です", expect={"contact_name": "山田 太朗"}
    ),
    "tue-email": Digression(
        "correction", "さっきの電話番号は間違いで、03-1234-9999です", expect={"contact_phone": "03-1234-9999"}
    ),
    "tue-survey-rating": Digression(
        "correction", _LEGACY, expect_ticket={"contract": "pack5_legacy"}, then_answer=False
    ),
    "tue-survey-comment": Digression(
        "correction",
        "メールアドレスは taro@example.co.jp の間違いでした",
        expect_ticket={"email": "taro@example.co.jp"},
        then_answer=False,
    ),
    "tue-handoff": Digression("correction", "すみません、ExcelではなくWordのファイルでした", then_answer=False),
    "tue-after-fallback": Digression(
        "correction", "いえ、そういう意味ではなくて、料金を知りたいです", facts=(F.ON_DEMAND_TAX,), then_answer=False
    ),
    "tue-after-redirect": Digression(
        "correction",
        "すみません、新しく作るのではなく、今あるマクロがエラーで動かなくなったんです",
        resume=ASK_SEVERITY | ASK_CONFIRM,
        then_answer=False,
        allowed=frozenset({"problem_description"}),
    ),
    "sat-phone-reachable": Digression(
        "correction",
        _NOT_PRODUCTION,
        expect_one_of={"severity": ("B", "C")},
        resume=frozenset(),
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "sat-impact": Digression(
        "correction", "あ、うちの契約は旧価格の5インシデントパックでした", expect={"contract": "pack5_legacy"}
    ),
    "sat-contract": Digression(
        "correction",
        "すみません、一部の部署ではなく私ひとりだけの問題で、業務への影響はありません",
        expect={"severity": "C"},
        resume=ASK_CONFIRM | ASK_CONTRACT,
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "dec30-phone-reachable": Digression(
        "correction",
        "すみません、メールが滞留しているのは検証用のサーバーで、本番には影響ありません",
        expect_one_of={"severity": ("B", "C")},
        resume=frozenset(),
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "dec30-severity-confirm": Digression(
        "correction",
        "すみません、私だけでなく営業部の全員が同じ状態です。ほかの部署は大丈夫です",
        expect={"severity": "B"},
        resume=ASK_CONFIRM | ASK_CONTRACT,
        then_answer=False,
        reopens=_SEVERITY_QUESTIONS,
    ),
    "dec30-company": Digression("correction", _LEGACY, expect={"contract": "pack5_legacy"}),
}


def _look(message: str, resume: frozenset[str] | None = None, **expect: Any) -> Digression:
    return Digression("restart_lookalike", message, expect=expect, resume=resume, then_answer=False)


RESTART_LOOKALIKE = {
    "tue-description": _look(
        "最初から起動し直してもOutlookが0x800CCC0Eのエラーで開きません",
        ASK_SEVERITY,
        problem_description="最初から起動し直してもOutlookが0x800CCC0Eのエラーで開きません",
    ),
    "tue-impact": _look(
        "最初の画面で止まりますが、困っているのは私ひとりで業務への影響はありません",
        ASK_CONFIRM | ASK_CONTRACT,
        severity="C",
    ),
    "tue-severity-confirm": _look("はい、最初の判断のとおりで合っています", ASK_CONTRACT, severity_confirmed=True),
    "tue-contract": _look("最初に買ったのはオンデマンドです", ASK_COMPANY, contract="on_demand"),
    "tue-company": _look("株式会社リセット", ASK_NAME, contact_company="株式会社リセット"),  # issue 11 #3
    "tue-name": _look("最初 まこと", ASK_PHONE, contact_name="最初 まこと"),
    "tue-phone": _look("03-1234-5678 です（最初の0も含めて）", ASK_EMAIL, contact_phone="03-1234-5678"),
    "tue-email": _look(
        "reset@example.co.jp", frozenset({"utter_ask_survey_rating"}), contact_email="reset@example.co.jp"
    ),
    "tue-survey-rating": _look("5です。最初から最後まで丁寧でした"),
    "tue-survey-comment": Digression(
        "restart_lookalike",
        "最初からやり直さずに済んで助かりました",
        expect_ticket={"survey_comment": "最初からやり直さずに済んで助かりました"},
        then_answer=False,
    ),
    "tue-handoff": _look("最初からやり直すと直るか試してみます"),
    "tue-after-fallback": _look("最初から説明すると、Outlookが起動しません", ASK_SEVERITY),
    "tue-after-redirect": _look(
        "最初に聞いたのとは別件で、Teamsに自分だけログインできません", ASK_SEVERITY | ASK_CONFIRM
    ),
    "sat-phone-reachable": _look("はい、最初から最後まで電話に出られます", phone_reachable=True),
    "sat-impact": _look(
        "最初は一部の人だけでしたが、今は営業部だけが使えない状態で、ほかの部署は使えています",
        ASK_CONFIRM | ASK_CONTRACT,
        severity="B",
    ),
    "sat-contract": _look("最初に買った5インシデントパックです", ASK_COMPANY, contract="pack5"),
    "dec30-phone-reachable": _look("リセットしても直りませんが、電話には出られます", phone_reachable=True),
    "dec30-severity-confirm": _look("はい、最初の判断で合っています", ASK_CONTRACT, severity_confirmed=True),
    "dec30-company": _look("最初商事株式会社", ASK_NAME, contact_company="最初商事株式会社"),
}

for _step in STEPS:
    if _step.id not in CORRECTION or _step.id not in RESTART_LOOKALIKE or _step.id not in FAQ_AT:
        raise KeyError(f"no digression written for step {_step.id}")


def digression(step_index: int, step_id: str, kind: str) -> Digression:
    if kind == "faq":
        return FAQ[FAQ_AT[step_id]]
    if kind == "correction":
        return CORRECTION[step_id]
    if kind == "out_of_scope":
        return OUT_OF_SCOPE[step_index % len(OUT_OF_SCOPE)]
    if kind == "a_statement":
        return Digression("a_statement", F.A_MAIN, allowed=frozenset({"problem_description"}), then_answer=False)
    if kind == "restart_lookalike":
        return RESTART_LOOKALIKE[step_id]
    if kind == "person":
        return Digression("person", PERSON[step_index % len(PERSON)])
    if kind == "gibberish":
        return Digression("gibberish", GIBBERISH[step_index % len(GIBBERISH)])
    if kind == "calling_now":
        return Digression("calling_now", F.CALLING_NOW, then_answer=False)
    raise ValueError(kind)


# Unused names kept importable for readers of the table above.
__all__ = ["ASK_DESC", "ASK_EMAIL", "ASK_PHONE", "KINDS", "Digression", "digression"]
