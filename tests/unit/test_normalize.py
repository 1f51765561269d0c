"""Text normalisation shared by the NLU pipeline and the rules."""

from __future__ import annotations

import pytest

from support_rules.normalize import canonical_term, fold, map_offset, nfkc, normalize_text


def test_full_width_alphanumerics_and_ideographic_space():
    assert nfkc("ＳＱＬ　Ｓｅｒｖｅｒ") == "SQL Server"
    assert normalize_text("ＳＱＬ　Ｓｅｒｖｅｒ") == "sql server"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｻｰﾊﾞｰ", "サーバー"),
        ("ｻｰﾊﾞ", "サーバー"),
        ("サーバ", "サーバー"),
        ("サーバー", "サーバー"),
        ("サーバが落ちた", "サーバーが落ちた"),
        ("ﾃﾞｰﾀﾍﾞｰｽ", "データベース"),
    ],
)
def test_server_spellings(text: str, expected: str):
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ログオンできません",
        "サインインできません",
        "サイン・インできません",
        "ログ・インできません",
        "ログインできません",
        "loginできません",
        "Log Onできません",
        "Sign inできません",
        "ＬＯＧＩＮできません",
    ],
)
def test_login_variants(text: str):
    assert normalize_text(text) == "ログインできません"


@pytest.mark.parametrize("text", ["ログオフ", "サインアウト", "logout", "Sign Out"])
def test_logout_variants(text: str):
    assert normalize_text(text) == "ログアウト"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DBが壊れた", "データベースが壊れた"),
        ("ＤＢが壊れた", "データベースが壊れた"),
        ("db", "データベース"),
        ("SQL DB", "sql データベース"),
        ("dbo", "dbo"),
        ("mydb", "mydb"),
    ],
)
def test_db_becomes_database(text: str, expected: str):
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ユーザ", "ユーザー"),
        ("ユーザー", "ユーザー"),
        ("コンピュータ", "コンピューター"),
        ("フォルダー", "フォルダ"),
        ("プリンタ", "プリンター"),
        ("メモリー", "メモリ"),
        ("E-mail", "メール"),
        ("パソコン", "pc"),
        ("ＰＣ", "pc"),
    ],
)
def test_other_variants(text: str, expected: str):
    assert normalize_text(text) == expected


def test_whitespace_and_control_characters():
    assert nfkc("  サー\u200bバー \t\n 停止  ") == "サーバー 停止"
    assert fold("  a  b ") == " a b "  # fold does not strip


def test_canonical_term():
    assert canonical_term("サーバ") == "サーバー"
    assert canonical_term("ログオン") == "ログイン"


@pytest.mark.parametrize(
    ("original", "offset", "expected"),
    [
        ("ｻｰﾊﾞｰが落ちた", 5, 4),  # ﾊﾞ (2 chars) folds to バ
        ("ﾃﾞｰﾀ", 4, 3),
        ("ﾃﾞｰﾀ", 2, 1),
        ("　ＳＱＬ　Ｓｅｒｖｅｒ", 0, 0),  # leading space is stripped
        ("　ＳＱＬ　Ｓｅｒｖｅｒ", 1, 0),
        ("　ＳＱＬ　Ｓｅｒｖｅｒ", 5, 4),
        ("a   b", 4, 2),  # run of spaces collapsed
        ("abc  ", 5, 3),  # clamped to the stripped length
        ("abc", 3, 3),
    ],
)
def test_map_offset(original: str, offset: int, expected: int):
    assert map_offset(original, offset) == expected


def test_map_offset_points_at_the_same_text():
    original = "ｻｰﾊﾞｰが落ちた"
    assert nfkc(original)[map_offset(original, 5) :] == "が落ちた"
    original = "　ＳＱＬ　Ｓｅｒｖｅｒ"
    assert nfkc(original)[map_offset(original, 5) :] == "Server"


@pytest.mark.parametrize(
    "text",
    [
        "本番のサーバが停止しました",
        "ＤＢが壊れた。ﾛｸﾞｵﾝもできない",
        "SQL ServerにLog inできません、ユーザが全員",
        "Windows のPCでe-mailが送れない",
        "",
        "İstanbul DB",  # lower() lengthens İ
    ],
)
def test_origins_reproduce_normalize_text(text: str) -> None:
    from support_rules.normalize import nfkc, normalize_with_origins

    folded, origins = normalize_with_origins(text)
    assert folded == normalize_text(text)
    assert len(origins) == len(folded)
    assert all(0 <= o < len(nfkc(text)) for o in origins)
    assert origins == sorted(origins)
