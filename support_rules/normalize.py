"""Text normalisation shared by the NLU pipeline and the rules.

Unicode NFKC folds full-width alphanumerics and half-width katakana
(``ＳＱＬ　Ｓｅｒｖｅｒ`` → ``SQL Server``, ``ｻｰﾊﾞｰ`` → ``サーバー``); on top of that,
spelling variants the desk sees every day are unified so that one rule matches them
all (サーバ/サーバー, ログオン/サインイン/ログイン, DB/データベース, …).
"""

from __future__ import annotations

import re
import unicodedata

# Variant → canonical, applied after NFKC and lower-casing. Order matters only
# where one variant contains another; the longest come first.
_VARIANTS: tuple[tuple[str, str], ...] = (
    (r"サインイン|サイン・イン|ログオン|ログ・イン|ろぐいん|log ?in|log ?on|sign ?in", "ログイン"),
    (r"サインアウト|ログオフ|log ?out|log ?off|sign ?out", "ログアウト"),
    (r"サーバ(?!ー)", "サーバー"),
    (r"(?<![a-z])(?:db|d\.b\.)(?![a-z])", "データベース"),
    (r"ユーザ(?!ー)", "ユーザー"),
    (r"コンピュータ(?!ー)", "コンピューター"),
    (r"フォルダー", "フォルダ"),
    (r"プリンタ(?!ー)", "プリンター"),
    (r"メモリー", "メモリ"),
    (r"e-?mail|eメール|電子メール", "メール"),
    (r"パソコン|(?<![a-z])pc(?![a-z])", "pc"),
)
_VARIANT_PATTERNS = tuple((re.compile(p), r) for p, r in _VARIANTS)
_SPACES = re.compile(r"\s+")
# Characters outside these classes carry no meaning for the rules (emoji, symbols).
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\u200b-\u200f]")


def fold(text: str) -> str:
    """NFKC, control characters removed, whitespace runs collapsed; not stripped.

    Folding a prefix of a text gives a prefix of the folded text, which is what
    keeps entity offsets computable (see :func:`map_offset`).
    """
    folded = unicodedata.normalize("NFKC", text)
    folded = _CONTROL.sub("", folded)
    return _SPACES.sub(" ", folded)


def nfkc(text: str) -> str:
    """Unicode NFKC with control characters removed and whitespace collapsed."""
    return fold(text).strip()


def map_offset(original: str, offset: int) -> int:
    """Where ``offset`` in ``original`` lands in ``nfkc(original)``."""
    full = fold(original)
    leading = len(full) - len(full.lstrip())
    mapped = len(fold(original[:offset])) - leading
    return max(0, min(mapped, len(full.strip())))


def normalize_text(text: str) -> str:
    """NFKC, lower case, and the desk's spelling variants unified."""
    folded = nfkc(text).lower()
    for pattern, replacement in _VARIANT_PATTERNS:
        folded = pattern.sub(replacement, folded)
    return folded


def normalize_with_origins(text: str) -> tuple[str, list[int]]:
    """:func:`normalize_text` plus, for each of its characters, where it came from.

    ``origins[i]`` is the index in ``nfkc(text)`` of the character that produced
    character ``i`` of the result, so a span ``[a, b)`` of the normalised text is
    ``[origins[a], origins[b - 1] + 1)`` of ``nfkc(text)`` (the message text the NLU
    pipeline sees).
    """
    base = nfkc(text)
    pairs = [(low, i) for i, char in enumerate(base) for low in char.lower()]
    for pattern, replacement in _VARIANT_PATTERNS:
        current = "".join(char for char, _ in pairs)
        rebuilt: list[tuple[str, int]] = []
        last = 0
        for match in pattern.finditer(current):
            rebuilt.extend(pairs[last : match.start()])
            if match.end() > match.start():
                first, final = pairs[match.start()][1], pairs[match.end() - 1][1]
                rebuilt.extend(
                    (char, first if k < len(replacement) - 1 else final) for k, char in enumerate(replacement)
                )
            last = match.end()
        rebuilt.extend(pairs[last:])
        pairs = rebuilt
    return "".join(char for char, _ in pairs), [origin for _, origin in pairs]


def canonical_term(term: str) -> str:
    """The canonical spelling of a single word (used for token lemmas)."""
    return normalize_text(term)


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def is_foreign(text: str, min_latin_words: int = 3) -> bool:
    """No Japanese at all, and at least ``min_latin_words`` Latin words.

    Button payloads ("/affirm") and short product names ("SQL Server") are not foreign.
    """
    if not text or text.lstrip().startswith("/") or _JAPANESE.search(text):
        return False
    return len(_LATIN_WORD.findall(text)) >= min_latin_words
