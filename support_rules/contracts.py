"""Contracts, eligibility and prices (POLICY §4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Iterable, Literal, get_args

from support_rules.normalize import normalize_text
from support_rules.settings import DeskConfig
from support_rules.severity import Severity

Contract = Literal["on_demand", "pack5", "pack5_legacy", "none"]
CONTRACTS: tuple[Contract, ...] = get_args(Contract)


def is_contract(value: object) -> bool:
    return isinstance(value, str) and value in CONTRACTS


def contract_allows(contract: Contract, severity: Severity | None) -> bool:
    """Whether ``contract`` may be used for a case of ``severity``.

    No contract allows nothing (the customer must buy first). A 5-pack bought at the
    old price serves B and C only; an unknown severity is not held against it.
    """
    if contract == "none":
        return False
    if contract == "pack5_legacy":
        return severity != "A"
    return True


def with_tax(amount: int, rate: Decimal) -> int:
    """``amount`` plus consumption tax, rounded down to the yen."""
    return int((Decimal(amount) * (Decimal(1) + rate)).to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class PriceQuote:
    on_demand: int
    on_demand_with_tax: int
    pack5: int
    pack5_with_tax: int
    tax_percent: str
    incidents_per_pack: int


def quote(config: DeskConfig, day: dt.date) -> PriceQuote:
    """Prices with the tax rate in force on ``day`` (the invoice date)."""
    rate = config.tax_rate_on(day)
    percent = (rate * 100).normalize()
    return PriceQuote(
        on_demand=config.price_on_demand,
        on_demand_with_tax=with_tax(config.price_on_demand, rate),
        pack5=config.price_pack5,
        pack5_with_tax=with_tax(config.price_pack5, rate),
        tax_percent=f"{percent:f}",
        incidents_per_pack=config.pack5_incidents,
    )


def yen(amount: int) -> str:
    """``54890`` → ``54,890``."""
    return f"{amount:,}"


_LEGACY = re.compile(r"旧価格|旧料金|旧パック|旧い?パック|古いパック|以前の価格|値上げ前|価格改定前|価格変更前|改定前")
_PACK = re.compile(r"インシデント ?パック|5 ?パック|パック|5 ?インシデント|年間契約")
_ON_DEMAND = re.compile(r"オンデマンド|on[- ]?demand|都度|その都度|単発|1 ?インシデント")
_NONE = re.compile(
    r"契約(?:は|を|が|も)?(?:まだ|特に|一切|何も|なにも)?(?:して|結んで|あり)?(?:い)?(?:ない|ません|なし|無し)|未契約|契約なし|無契約|"
    r"(?:まだ|特に)?(?:何も|なにも)?(?:購入|契約)(?:は)?(?:して)?(?:い)?(?:ない|ません)|持って(?:い)?(?:ない|ません)|"
    r"これから(?:購入|契約|買)|まだ(?:です|買って)|期限切れ|切れて(?:い)?(?:る|ます)|使い切"
)


def resolve_contract(values: Iterable[str]) -> Contract | None:
    """Combine contract values extracted from one message.

    "旧価格の5インシデントパック" yields both ``pack5`` and ``pack5_legacy``; the more
    specific legacy reading wins, and an explicit "no contract" wins over a mention.
    """
    found = {v for v in values if is_contract(v)}
    for choice in ("none", "pack5_legacy", "pack5", "on_demand"):
        if choice in found:
            return choice  # type: ignore[return-value]
    return None


def parse_contract(text: str) -> Contract | None:
    """Read the customer's contract from free text, or ``None`` if it says none."""
    folded = normalize_text(text)
    if _NONE.search(folded):
        return "none"
    if _LEGACY.search(folded):
        return "pack5_legacy"
    if _PACK.search(folded):
        return "pack5"
    if _ON_DEMAND.search(folded):
        return "on_demand"
    return None
