"""The simulated customers' conversations and what each reply must contain.

Every customer gets one of a few realistic triage conversations (the clock is frozen at
``tests.live.INSIDE_HOURS``, a Wednesday 10:00 JST, so the replies are deterministic) with
its **own** contact details: company, name, phone and e-mail carry the customer's number,
so a message that shows up in another customer's tracker is recognisable as foreign.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sent after every finished conversation: closes the 「ほかにご用件は」 question.
GOODBYE = "いいえ、以上です。ありがとうございました"
TICKET = "【受付番号】PS-20261125-"
REDIRECT_TICKET = "受付番号 PS-20261125-"


@dataclass(frozen=True)
class Turn:
    text: str
    expect: tuple[str, ...] = ()  # substrings that must all appear in the joined reply texts


@dataclass(frozen=True)
class Conversation:
    kind: str
    turns: tuple[Turn, ...]
    tokens: tuple[str, ...]  # texts unique to this customer (contact details)

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(turn.text for turn in self.turns)


@dataclass(frozen=True)
class Contact:
    company: str
    name: str
    phone: str
    email: str


def contact_for(index: int, tag: str) -> Contact:
    """Valid, customer-unique contact details (index < 10,000 per run)."""
    number = f"{index:04d}"
    return Contact(
        company=f"株式会社ロード{number}商事",
        name=f"負荷 {number}",
        phone=f"03-6{number[:3]}-{number[3:]}{number[:3]}",
        email=f"c{number}.{tag}@example.co.jp",
    )


def _contact_turns(contact: Contact, last_expect: tuple[str, ...]) -> tuple[Turn, ...]:
    return (
        Turn(contact.company, ("お名前",)),
        Turn(contact.name, ("電話番号",)),
        Turn(contact.phone, ("メールアドレス",)),
        Turn(contact.email, (TICKET, *last_expect)),
    )


def severity_a(contact: Contact) -> tuple[Turn, ...]:
    """Critical outage inside hours: the phone line at once; the short A path (issue 11)
    asks the contract and then the contact details in one message, and no survey."""
    details = f"{contact.company} {contact.name} {contact.phone} {contact.email}"
    return (
        Turn("本番のSQL Serverが落ちて、全社の受注業務が止まっています", ("深刻度A", "0120-17-0196")),
        Turn("旧価格の5インシデントパックです", ("貴社名",)),
        Turn(details, (TICKET,)),
        Turn(GOODBYE, ("どういたしまして",)),
    )


def severity_b(contact: Contact) -> tuple[Turn, ...]:
    """Partial impact (B) with the confirmation question, then a rating and a comment."""
    return (
        Turn("お世話になっております。", ("受付アシスタント",)),
        Turn("営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。", ("深刻度B",)),
        Turn("はい、合ってます", ("ご契約の種類",)),
        Turn("5インシデントパックを契約しています", ("貴社名",)),
        *_contact_turns(contact, ("5段階",)),
        Turn("4", ("ご意見",)),
        Turn("説明が分かりやすかったです", ("ご回答ありがとうございました",)),
        Turn(GOODBYE, ("どういたしまして",)),
    )


def severity_c(contact: Contact) -> tuple[Turn, ...]:
    """One user affected (C), on-demand contract, rating without a comment."""
    return (
        Turn("Teamsの通知が自分だけ届きません。ほかの人は問題ないです", ("深刻度C",)),
        Turn("はい", ("ご契約の種類",)),
        Turn("オンデマンドです", ("貴社名",)),
        *_contact_turns(contact, ("5段階",)),
        Turn("5", ("ご意見",)),
        Turn("なし", ("ご回答ありがとうございました",)),
        Turn(GOODBYE, ("どういたしまして",)),
    )


def faq_mid_triage(contact: Contact) -> tuple[Turn, ...]:
    """A price question in the middle of the triage, which then resumes."""
    return (
        Turn("営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。", ("深刻度B",)),
        Turn("はい、合ってます", ("ご契約の種類",)),
        Turn("ちなみに料金っていくらですか？", ("54,890円", "ご契約の種類")),
        Turn("5インシデントパックを契約しています", ("貴社名",)),
        *_contact_turns(contact, ("5段階",)),
        Turn("回答しない", ("アンケートは省略",)),
        Turn(GOODBYE, ("どういたしまして",)),
    )


def out_of_scope(contact: Contact) -> tuple[Turn, ...]:
    """A consulting request: redirected to the right desk and recorded as a ticket."""
    del contact  # a redirect is recorded without asking for contact details
    return (
        Turn("こんにちは", ("受付アシスタント",)),
        Turn("来年のExchange Onlineへの移行計画を手伝ってほしいです", ("コンサルティング", REDIRECT_TICKET)),
        Turn(GOODBYE, ("どういたしまして",)),
    )


BUILDERS = {
    "a_phone": severity_a,
    "b_confirm": severity_b,
    "c_survey": severity_c,
    "faq_mid_triage": faq_mid_triage,
    "out_of_scope": out_of_scope,
}
KINDS: tuple[str, ...] = tuple(BUILDERS)


def conversation_for(index: int, tag: str) -> Conversation:
    """Customer ``index``'s conversation: the kinds in turn, with its own contact details."""
    kind = KINDS[index % len(KINDS)]
    contact = contact_for(index, tag)
    turns = BUILDERS[kind](contact)
    tokens = (contact.company, contact.name, contact.phone, contact.email) if kind != "out_of_scope" else ()
    return Conversation(kind, turns, tokens)
