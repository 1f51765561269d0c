"""What the conversation tests know: the desk's facts (read from the desk file, never typed
here), the three frozen clocks of issue 11, and the marked test messages.

``A_STATEMENTS`` is the explicit list of messages that state A-level business impact
(POLICY §2: business stopped, the whole company cannot work, mail stuck, a production
line stopped). The suite-wide invariant (test_zz_a_rule_invariant.py) uses this list,
not the bot's own classifier, to decide which customer messages must be answered with
the A phone number.
"""

from __future__ import annotations

import math
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _desk_file() -> Path:
    path = Path(os.environ.get("DESK_CONFIG") or "desk.yml")
    return path if path.is_absolute() else ROOT / path


DESK: dict[str, Any] = yaml.safe_load(_desk_file().read_text(encoding="utf-8"))

A_PHONE: str = str(DESK["contact"]["severity_a_phone"])
CENTER_PHONE: str = str(DESK["contact"]["contract_center_phone"])
CENTER_FAX: str = str(DESK["contact"]["contract_center_fax"])
DESK_PHONES = frozenset({A_PHONE, CENTER_PHONE})
REDIRECT_NAMES: dict[str, str] = {k: str(v) for k, v in DESK["redirects"].items()}
MAX_IMPACT_FOLLOW_UPS = int(DESK["conversation"]["max_impact_follow_ups"])


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _current_tax_rate() -> Decimal:
    rates = sorted(DESK["tax_rates"], key=lambda r: str(r["since"]))
    return Decimal(str(rates[-1]["rate"]))


def _with_tax(amount: int) -> int:
    return math.floor(Decimal(amount) * (1 + _current_tax_rate()))


ON_DEMAND = _yen(int(DESK["prices"]["on_demand"]))
ON_DEMAND_TAX = _yen(_with_tax(int(DESK["prices"]["on_demand"])))
PACK5_TAX = _yen(_with_tax(int(DESK["prices"]["pack5"])))
OPENS = re.sub(r"^0", "", str(DESK["business_hours"]["start"]))  # "9:00"
CLOSES = str(DESK["business_hours"]["end"])  # "17:30"

# ----------------------------------------------------------------------------- clocks
# The three frozen clocks of issue 11, with the next business day a case received then
# is handled from (POLICY §1: weekend, then the closing days 12/29-1/3).
TUESDAY = "2026-11-24T10:30:00+09:00"  # inside business hours
SATURDAY = "2026-11-28T22:00:00+09:00"  # weekend night
CLOSING_DAY = "2026-12-30T10:30:00+09:00"  # company closing day, a Wednesday
CLOCKS = {"tuesday": TUESDAY, "saturday": SATURDAY, "closing": CLOSING_DAY}
NEXT_BUSINESS_DAY = {
    "saturday": re.compile(r"11月30日（月）\s*9:00"),
    "closing": re.compile(r"(2027年)?1月4日（月）\s*9:00"),
}

# ----------------------------------------------------------------------------- messages
A_MAIN = "本番のファイルサーバーが落ちて全社の業務が止まっています"
A_FACTORY = "基幹システムのサーバーがダウンして、工場の生産ラインが止まっています"
A_MAIL = "Exchangeの送信キューにメールが滞留して、全社でメールが送れません"
A_LOGIN = "全社員が基幹システムにログインできず、受注業務が完全に止まっています"
A_KANSAI = "本番のサーバーが落ちてしもて、会社中の仕事が全部止まってもうてるんや"
A_HIRAGANA = "ほんばんの さーばーが おちて ぜんしゃの ぎょうむが とまっています"
# A clear A statement that issue 11 #1 then corrects (a bare 「サーバーが落ちました！！」
# says nothing about business impact: POLICY §2.1 makes it unknown, and the bot asks).
A_SERVER_DOWN = "本番のサーバーが落ちて業務が止まっています"

# Every message the tests send (here and in tests/e2e) that states A-level impact.
A_STATEMENTS = frozenset(
    {
        A_MAIN,
        A_FACTORY,
        A_MAIL,
        A_LOGIN,
        A_KANSAI,
        A_HIRAGANA,
        A_SERVER_DOWN,
        # tests/e2e/test_live_chat.py
        "本番のＳＱＬ　Ｓｅｒｖｅｒが落ちて、全社の受注業務が止まっています！",
        "基幹システムのサーバーがダウンして、工場の生産ラインが止まっています",
    }
)

CALLING_NOW = "今から電話します"
# Two messages the desk cannot understand (the language guard and the fallback): the
# first gets a request to rephrase, the second hands the conversation to a person.
NOT_UNDERSTOOD = ("Is anybody there to help me?", "I really need some help please")

B_DESC = "営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。"
C_DESC = "Teamsで会議の背景をぼかす設定方法を教えてください。業務への影響はありません"
UNKNOWN_DESC = "Outlookで0x800CCC0Eというエラーが出ます"
CONTACT = {
    "contact_company": "株式会社サンプル商事",
    "contact_name": "山田 太郎",
    "contact_phone": "03-1234-5678",
    "contact_email": "taro.yamada@example.co.jp",
}
