"""Contact details: Japanese phone formats, e-mail syntax, names, declining."""

from __future__ import annotations

import pytest

from tickets.contact import (
    is_decline,
    looks_like_email_attempt,
    looks_like_phone_attempt,
    validate_company,
    validate_email,
    validate_person_name,
    validate_phone,
)


@pytest.mark.parametrize(
    ("text", "display", "digits"),
    [
        ("090-1234-5678", "090-1234-5678", "09012345678"),
        ("09012345678", "090-1234-5678", "09012345678"),
        ("０９０－１２３４－５６７８", "090-1234-5678", "09012345678"),  # full-width digits and hyphen
        ("０９０ー１２３４ー５６７８", "090-1234-5678", "09012345678"),  # kana length mark typed as hyphen
        ("090−1234−5678", "090-1234-5678", "09012345678"),  # minus sign
        ("090‐1234‐5678", "090-1234-5678", "09012345678"),  # U+2010
        ("080 1234 5678", "080-1234-5678", "08012345678"),
        ("070-1234-5678", "070-1234-5678", "07012345678"),
        ("050-1234-5678", "050-1234-5678", "05012345678"),  # IP phone
        ("+81 90-1234-5678", "090-1234-5678", "09012345678"),
        ("+81-90-1234-5678", "090-1234-5678", "09012345678"),
        ("+81 (0)90 1234 5678", "090-1234-5678", "09012345678"),
        ("819012345678", "090-1234-5678", "09012345678"),
        ("＋８１　３　１２３４　５６７８", "03-1234-5678", "0312345678"),
        ("03-1234-5678", "03-1234-5678", "0312345678"),
        ("03(1234)5678", "03-1234-5678", "0312345678"),
        ("(03) 1234-5678", "03-1234-5678", "0312345678"),
        ("0312345678", "03-1234-5678", "0312345678"),
        ("06-6123-4567", "06-6123-4567", "0661234567"),
        ("045-123-4567", "045-123-4567", "0451234567"),
        ("0467-12-3456", "0467-12-3456", "0467123456"),  # the customer's own grouping is kept
        ("01267-2-3456", "01267-2-3456", "0126723456"),
        ("0120-17-0196", "0120-17-0196", "0120170196"),  # the desk's free dial
        ("0120170196", "0120-17-0196", "0120170196"),
        ("0800-123-4567", "0800-123-4567", "08001234567"),
        ("08001234567", "0800-123-4567", "08001234567"),
        ("0570-064-555", "0570-064-555", "0570064555"),
    ],
)
def test_valid_phone_numbers(text: str, display: str, digits: str) -> None:
    result = validate_phone(text)
    assert (result.value, result.digits, result.error) == (display, digits, None)
    assert result.ok


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000", "empty"),
        ("090-1234-567", "length"),  # mobile needs 11 digits
        ("090-1234-56789", "length"),
        ("03-1234-567", "length"),
        ("0120-17-01960", "length"),  # free dial is 10
        ("0800-123-456", "length"),  # 0800 is 11
        ("0570-064-5555", "length"),
        ("+81 90 1234 567", "length"),
        ("090-1234-abcd", "not_digits"),
        ("電話番号は090です", "not_digits"),
        ("tel:0312345678", "not_digits"),
        ("090_1234_5678", "not_digits"),
        ("90-1234-5678", "prefix"),
        ("1234567890", "prefix"),
        ("+1 212 555 0100", "prefix"),
        ("0012345678", "prefix"),
    ],
)
def test_invalid_phone_numbers(text: str, error: str) -> None:
    result = validate_phone(text)
    assert (result.value, result.error) == (None, error)
    assert not result.ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("taro@example.co.jp", "taro@example.co.jp"),
        ("Taro.Yamada@Example.CO.JP", "Taro.Yamada@example.co.jp"),  # the domain is lower-cased
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"),  # full-width
        ("  taro+desk@mail.example.jp  ", "taro+desk@mail.example.jp"),
        ("first_last-1@sub-domain.example.org", "first_last-1@sub-domain.example.org"),
        ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),  # old carrier addresses
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_valid_emails(text: str, expected: str) -> None:
    assert validate_email(text).value == expected
    assert validate_email(text).error is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("taro example.co.jp", "spaces"),
        ("taro @example.co.jp", "spaces"),
        ("taro.example.co.jp", "no_at"),
        ("山田太郎", "no_at"),
        ("@example.co.jp", "local"),
        (".taro@example.co.jp", "local"),
        ("taro@home@example.co.jp", "local"),
        ("太郎@example.co.jp", "local"),
        ("taro@", "domain"),
        ("taro@example", "domain"),
        ("taro@example.c", "domain"),
        ("taro@example.123", "domain"),
        ("taro@-example.co.jp", "domain"),
        ("taro@example..jp", "domain"),
        ("taro@exa_mple.jp", "domain"),
        ("a" * 65 + "@example.co.jp", "local"),
        ("taro@" + "a" * 250 + ".jp", "too_long"),
    ],
)
def test_invalid_emails(text: str, error: str) -> None:
    assert (validate_email(text).value, validate_email(text).error) == (None, error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("株式会社サンプル", "株式会社サンプル"),
        ("  ＡＢＣ　商事  ", "ABC 商事"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬ", "カブシキガイシャ"),
        ("3M ジャパン", "3M ジャパン"),
        ("ターナー商会\u200b", "ターナー商会"),  # zero-width space removed, the kana length mark kept
    ],
)
def test_company_names(text: str, expected: str) -> None:
    assert validate_company(text).value == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "empty"), ("\t\n", "empty"), ("12345", "no_letters"), ("😀😀", "no_letters"), ("!!!---", "no_letters"),
     ("株" * 101, "too_long")],
)  # fmt: skip
def test_company_errors(text: str, error: str) -> None:
    assert validate_company(text).error == error
    assert validate_company(text).value is None


def test_person_names() -> None:
    assert validate_person_name("山田　太郎").value == "山田 太郎"
    assert validate_person_name("やまだ").value == "やまだ"
    assert validate_person_name("Taro Yamada").value == "Taro Yamada"
    assert validate_person_name("山田\x00太郎").value == "山田太郎"  # control character removed
    assert validate_person_name("田" * 60).value == "田" * 60
    assert validate_person_name("田" * 61).error == "too_long"
    assert validate_person_name("🙂").error == "no_letters"
    assert validate_person_name("０９０").error == "no_letters"
    assert validate_person_name(" ").error == "empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("090-1234-5678", True), ("０９０ー１２３４ー５６７８", True), ("+81 90 1234 5678", True), ("090123", True),
        ("12345", False), ("はい", False), ("電話は090-1234-5678です", False), ("2026年11月25日", False),
    ],
)  # fmt: skip
def test_looks_like_phone_attempt(text: str, expected: bool) -> None:
    assert looks_like_phone_attempt(text) is expected


def test_looks_like_email_attempt() -> None:
    assert looks_like_email_attempt("taro@example")
    assert looks_like_email_attempt("ｔａｒｏ＠ｅｘａｍｐｌｅ")
    assert not looks_like_email_attempt("taro at example dot com")


@pytest.mark.parametrize(
    "text",
    ["なし", "無し", "特になし。", "ありません", "メールはありません", "メールアドレスは持っていません",
     "不要です", "いらない", "教えたくない", "教えたくないです", "答えたくありません", "スキップ", "スキップで",
     "ｽｷｯﾌﾟ", "結構です", "なしでお願いします", "Skip", "no", "いいえ", "パス"],
)  # fmt: skip
def test_declines(text: str) -> None:
    assert is_decline(text)


@pytest.mark.parametrize(
    "text",
    ["taro@example.co.jp", "はい", "あります", "メールで連絡してほしい", "090-1234-5678", "", "なしではないです"],
)
def test_not_declines(text: str) -> None:
    assert not is_decline(text)
