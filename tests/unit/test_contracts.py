"""POLICY §4: contracts, eligibility and prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from support_rules.contracts import (
    CONTRACTS,
    PriceQuote,
    contract_allows,
    is_contract,
    parse_contract,
    quote,
    resolve_contract,
    with_tax,
    yen,
)
from support_rules.settings import ConfigError, DeskConfig, parse_config

# --- eligibility ------------------------------------------------------------------

ALLOWS = {
    # contract: (A, B, C, unknown)
    "on_demand": (True, True, True, True),
    "pack5": (True, True, True, True),
    "pack5_legacy": (False, True, True, True),  # old-price pack: B and C only
    "none": (False, False, False, False),  # must buy first
}


@pytest.mark.parametrize(
    ("contract", "severity", "allowed"),
    [
        (contract, severity, allowed)
        for contract, row in ALLOWS.items()
        for severity, allowed in zip(("A", "B", "C", None), row, strict=True)
    ],
)
def test_contract_allows(contract, severity, allowed):
    assert contract_allows(contract, severity) is allowed


def test_contract_names():
    assert set(CONTRACTS) == {"on_demand", "pack5", "pack5_legacy", "none"}
    assert all(is_contract(c) for c in CONTRACTS)
    assert not is_contract("pack10")
    assert not is_contract(None)
    assert not is_contract("")


# --- tax ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (49900, "0.10", 54890),
        (199900, "0.10", 219890),
        (49900, "0.1", 54890),
        (49900, "0.08", 53892),
        (199900, "0.08", 215892),
        (12345, "0.10", 13579),  # 13,579.5 -> down
        (999, "0.08", 1078),  # 1,078.92 -> down
        (19, "0.10", 20),  # 20.9 -> down
        (1, "0.10", 1),
        (0, "0.10", 0),
    ],
)
def test_with_tax_rounds_down_to_the_yen(amount: int, rate: str, expected: int):
    result = with_tax(amount, Decimal(rate))
    assert result == expected
    assert isinstance(result, int)


def test_quote_default_rate(config: DeskConfig):
    assert quote(config, dt.date(2026, 11, 24)) == PriceQuote(
        on_demand=49900,
        on_demand_with_tax=54890,
        pack5=199900,
        pack5_with_tax=219890,
        tax_percent="10",
        incidents_per_pack=5,
    )


@pytest.fixture
def multi_rate_config(raw: dict[str, Any]) -> DeskConfig:
    # deliberately not in date order
    raw["tax_rates"] = [
        {"since": "2019-10-01", "rate": "0.10"},
        {"since": "2030-04-01", "rate": "0.12"},
        {"since": "2014-04-01", "rate": "0.08"},
    ]
    return parse_config(raw)


@pytest.mark.parametrize(
    ("invoice_day", "percent", "on_demand", "pack5"),
    [
        (dt.date(2014, 4, 1), "8", 53892, 215892),
        (dt.date(2019, 9, 30), "8", 53892, 215892),
        (dt.date(2019, 10, 1), "10", 54890, 219890),
        (dt.date(2030, 3, 31), "10", 54890, 219890),
        (dt.date(2030, 4, 1), "12", 55888, 223888),
        (dt.date(2031, 1, 1), "12", 55888, 223888),
    ],
)
def test_quote_uses_rate_in_force_on_invoice_date(
    multi_rate_config: DeskConfig, invoice_day: dt.date, percent: str, on_demand: int, pack5: int
):
    q = quote(multi_rate_config, invoice_day)
    assert q.tax_percent == percent
    assert q.on_demand_with_tax == on_demand
    assert q.pack5_with_tax == pack5
    assert (q.on_demand, q.pack5) == (49900, 199900)


def test_quote_before_any_rate_is_an_error(multi_rate_config: DeskConfig):
    with pytest.raises(ConfigError):
        quote(multi_rate_config, dt.date(2014, 3, 31))


def test_quote_follows_configured_prices(raw: dict[str, Any]):
    raw["prices"] = {"on_demand": 59900, "pack5": 249900}
    raw["pack5_incidents"] = 5
    q = quote(parse_config(raw), dt.date(2026, 11, 24))
    assert (q.on_demand, q.on_demand_with_tax) == (59900, 65890)
    assert (q.pack5, q.pack5_with_tax) == (249900, 274890)


def test_quote_fractional_percent(raw: dict[str, Any]):
    raw["tax_rates"] = [{"since": "2019-10-01", "rate": "0.085"}]
    q = quote(parse_config(raw), dt.date(2026, 11, 24))
    assert q.tax_percent == "8.5"
    assert q.on_demand_with_tax == 54141  # 54,141.5 -> down


@pytest.mark.parametrize(
    ("amount", "text"),
    [(54890, "54,890"), (219890, "219,890"), (49900, "49,900"), (999, "999"), (0, "0"), (1000000, "1,000,000")],
)
def test_yen(amount: int, text: str):
    assert yen(amount) == text


# --- parsing the customer's contract ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # on-demand
        ("オンデマンドで", "on_demand"),
        ("オンデマンドを購入します", "on_demand"),
        ("オンデマンドでお願いします", "on_demand"),
        ("ｵﾝﾃﾞﾏﾝﾄﾞ", "on_demand"),
        ("On-Demand", "on_demand"),
        ("ＯＮ－ＤＥＭＡＮＤ", "on_demand"),
        ("単発でお願いします", "on_demand"),
        ("都度購入です", "on_demand"),
        ("1インシデントだけ購入したい", "on_demand"),
        ("１インシデントだけ", "on_demand"),
        # current 5-pack
        ("5インシデントパックを契約しています", "pack5"),
        ("5インシデントパック", "pack5"),
        ("５インシデントパック", "pack5"),
        ("5 インシデント パック", "pack5"),
        ("５　インシデント　パック", "pack5"),
        ("ｲﾝｼﾃﾞﾝﾄﾊﾟｯｸ", "pack5"),
        ("5パックです", "pack5"),
        ("パックを持っています", "pack5"),
        ("年間契約のパックです", "pack5"),
        # old-price pack
        ("旧価格のパックです", "pack5_legacy"),
        ("旧価格の5インシデントパック", "pack5_legacy"),
        ("旧価格の５インシデントパック", "pack5_legacy"),
        ("値上げ前に買ったパックがあります", "pack5_legacy"),
        ("価格改定前に購入した5インシデントパック", "pack5_legacy"),
        ("以前の価格で買ったパック", "pack5_legacy"),
        ("旧料金のパックが残っています", "pack5_legacy"),
        ("古いパックが残っています", "pack5_legacy"),
        # none
        ("契約していません", "none"),
        ("契約してない", "none"),
        ("未契約です", "none"),
        ("契約なし", "none"),
        ("特に契約はしていません", "none"),
        ("まだ何も購入していません", "none"),
        ("何も持っていません", "none"),
        ("これから購入します", "none"),
        ("まだです", "none"),
        ("パックは使い切りました", "none"),
        ("パックの期限が切れています", "none"),
        # nothing about a contract
        ("わかりません", None),
        ("サーバーが止まっています", None),
        ("こんにちは", None),
        ("", None),
    ],
)
def test_parse_contract(text: str, expected):
    assert parse_contract(text) == expected


def test_parse_contract_keiyaku_wa_arimasen_is_none():
    assert parse_contract("契約はありません") == "none"


def test_parse_contract_on_demand_with_space():
    assert parse_contract("on demand") == "on_demand"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["pack5", "pack5_legacy"], "pack5_legacy"),
        (["pack5_legacy", "pack5"], "pack5_legacy"),
        (["on_demand", "none"], "none"),
        (["pack5_legacy", "none"], "none"),
        (["pack5", "on_demand"], "pack5"),
        (["on_demand"], "on_demand"),
        (["on_demand", "bogus"], "on_demand"),
        (["bogus", "ＰＡＣＫ５"], None),
        ([], None),
    ],
)
def test_resolve_contract_precedence(values, expected):
    assert resolve_contract(values) == expected


def test_resolve_contract_accepts_any_iterable():
    assert resolve_contract(v for v in ("on_demand", "pack5_legacy")) == "pack5_legacy"


def test_parse_contract_mo_particle() -> None:
    assert parse_contract("まだどこの契約もしてません") == "none"
