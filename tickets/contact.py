"""Validation of the contact details the assistant asks for (phone, e-mail, company, name).

Every function NFKC-normalises its input first, so full-width digits and letters,
``＠`` and the many hyphen look-alikes Japanese input methods produce are accepted.
Results are small dataclasses: ``value`` when valid, otherwise ``error`` — a short
code the conversation turns into a Japanese reason and asks again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Hyphen and dash look-alikes (NFKC already maps full-width － to "-"; ー and ｰ stay kana).
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\u2043\u02d7"
_HYPHEN_TABLE = str.maketrans(dict.fromkeys(_HYPHENS, "-"))


def normalise(text: str, hyphens: bool = False) -> str:
    """NFKC, control characters removed, trimmed; with ``hyphens`` the look-alikes (ー − ‐ …) become ``-``
    (for phone numbers only: ー is also the kana length mark)."""
    folded = unicodedata.normalize("NFKC", text)
    if hyphens:
        folded = folded.translate(_HYPHEN_TABLE)
    return "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t").strip()


# ------------------------------------------------------------------ phone
@dataclass(frozen=True)
class PhoneResult:
    value: str | None  # display form, e.g. 090-1234-5678
    error: str | None  # empty | not_digits | length | prefix
    digits: str | None = None  # domestic digits only, e.g. 09012345678

    @property
    def ok(self) -> bool:
        return self.error is None


_PHONE_SEPARATORS = re.compile(r"[\s\-()]+")
_MOBILE_PREFIXES = ("020", "050", "060", "070", "080", "090")  # 11 digits, 3-4-4


def _expected_length(digits: str) -> int:
    if digits.startswith(("0120", "0570")):
        return 10
    if digits.startswith("0800") or digits.startswith(_MOBILE_PREFIXES):
        return 11
    return 10  # fixed lines: 0 + area code + subscriber number


def _display(digits: str, groups: list[str]) -> str:
    """Usual grouping: mobile/IP 3-4-4, 0120 4-2-4 (as the desk writes 0120-17-0196), 0800 4-3-4,
    0570 4-3-3, Tokyo/Osaka 2-4-4; other fixed lines keep the customer's own grouping when it
    adds up, else 3-3-4."""
    if digits.startswith("0800"):
        sizes = (4, 3, 4)
    elif digits.startswith(_MOBILE_PREFIXES):
        sizes = (3, 4, 4)
    elif digits.startswith("0120"):
        sizes = (4, 2, 4)
    elif digits.startswith("0570"):
        sizes = (4, 3, 3)
    elif digits.startswith(("03", "06")):
        sizes = (2, 4, 4)
    elif len(groups) == 3 and "".join(groups) == digits and all(groups):
        return "-".join(groups)
    else:
        sizes = (3, 3, 4)
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return "-".join(parts)


def validate_phone(text: str) -> PhoneResult:
    """A Japanese phone number: fixed line (10 digits), mobile/PHS 070/080/090 and IP 050 (11),
    free dial 0120 (10) / 0800 (11), navi dial 0570 (10); ``+81``/``81`` form with the 0 dropped."""
    normal = normalise(text, hyphens=True)
    if not normal:
        return PhoneResult(None, "empty")
    international = False
    body = normal
    if body.startswith("+"):
        body = body[1:].lstrip()
        if not body.startswith("81"):
            return PhoneResult(None, "prefix")
        international = True
        body = body[2:]
    elif body.startswith("81") and not body.startswith("0"):
        international = True
        body = body[2:]
    groups = [g for g in _PHONE_SEPARATORS.split(body) if g]
    compact = "".join(groups)
    if not compact:
        return PhoneResult(None, "empty" if not international else "length")
    if not compact.isdigit() or not compact.isascii():
        return PhoneResult(None, "not_digits")
    if international and not compact.startswith("0"):  # +81 90-…, also +81 (0)90-…
        compact = "0" + compact
        groups[0] = "0" + groups[0]
    if not compact.startswith("0") or compact.startswith("00"):
        return PhoneResult(None, "prefix")
    if len(compact) != _expected_length(compact):
        return PhoneResult(None, "length")
    return PhoneResult(_display(compact, groups), None, compact)


def looks_like_phone_attempt(text: str) -> bool:
    """Mostly digits and hyphens with at least 6 digits: the customer meant to give a phone number."""
    normal = normalise(text, hyphens=True)
    compact = re.sub(r"\s", "", normal)
    if not compact:
        return False
    digits = sum(ch.isdigit() for ch in compact)
    phoneish = sum(ch.isdigit() or ch in "-+()" for ch in compact)
    return digits >= 6 and phoneish / len(compact) >= 0.8


# ------------------------------------------------------------------ e-mail
@dataclass(frozen=True)
class TextResult:
    value: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


# RFC 5322 atext plus ".". Japanese carriers' old addresses have "..", or "." before "@",
# which mail servers still accept, so only a leading dot is refused.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-][A-Za-z0-9!#$%&'*+/=?^_`{|}~\-.]*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"[A-Za-z]{2,63}")


def validate_email(text: str) -> TextResult:
    """Practical e-mail syntax: ``local@domain.tld``, one ``@``, no spaces, ≤254 characters;
    the domain is returned lower-cased. Errors: empty, spaces, no_at, too_long, local, domain."""
    normal = normalise(text)
    if not normal:
        return TextResult(None, "empty")
    if re.search(r"\s", normal):
        return TextResult(None, "spaces")
    if "@" not in normal:
        return TextResult(None, "no_at")
    if len(normal) > 254:
        return TextResult(None, "too_long")
    local, _, domain = normal.rpartition("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        return TextResult(None, "local")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or not _TLD.fullmatch(labels[-1]):
        return TextResult(None, "domain")
    return TextResult(f"{local}@{domain.lower()}", None)


def looks_like_email_attempt(text: str) -> bool:
    """The message contains ``@`` or ``＠``: the customer meant to give an e-mail address."""
    return "@" in text or "＠" in text or "@" in unicodedata.normalize("NFKC", text)


# ------------------------------------------------------------------ names
def _has_letter(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def _clean(text: str) -> str:
    """NFKC and control characters removed, but no hyphen mapping: the long-vowel
    mark ー in a name (ソリューションズ) is a letter, not a dash."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t").strip()


def _validate_name(text: str, limit: int) -> TextResult:
    value = re.sub(r"\s+", " ", _clean(text))
    if not value:
        return TextResult(None, "empty")
    if len(value) > limit:
        return TextResult(None, "too_long")
    if not _has_letter(value):
        return TextResult(None, "no_letters")
    return TextResult(value, None)


def validate_company(text: str) -> TextResult:
    """Company name, 1–100 characters with at least one letter, kana or kanji."""
    return _validate_name(text, 100)


def validate_person_name(text: str) -> TextResult:
    """Person's name, 1–60 characters with at least one letter, kana or kanji."""
    return _validate_name(text, 60)


# ------------------------------------------------------------------ declining
_DECLINE = re.compile(
    r"(?:特に)?(?:なし|無し|ナシ|ないです|無いです|ありません|持っていません|もっていません|ないので|ない)"
    r"|不要|いらない|要らない|いりません|要りません|結構です|けっこうです|大丈夫です|遠慮します|遠慮しておきます"
    r"|(?:教え|言い|答え|伝え)(?:たくない|たくありません|ません|られません)|控えます|控えたい"
    r"|スキップ|skip|パス|省略|飛ばして|とばして|なしで|後で|あとで|no|none|n/a|nothing|いいえ|いや"
)
_TRAILING = re.compile(r"[\s。、．.!！?？…〜~]+$")
_LEADING = re.compile(
    r"^(?:メール(?:アドレス)?(?:は|も)?|アドレス(?:は|も)?|えっと|えーと|あの|すみません|すいません)[、,\s]*"
)


def is_decline(text: str) -> bool:
    """The customer declines to give an optional detail: 「なし」「ありません」「不要」「教えたくない」「スキップ」 …"""
    normal = _TRAILING.sub("", normalise(text).lower())
    if not normal or "@" in normal or len(normal) > 30:
        return False
    normal = _LEADING.sub("", normal)
    normal = re.sub(r"(?:です|でお願いします|でお願いいたします|でいいです|でいい|にします|で)$", "", normal)
    return bool(_DECLINE.fullmatch(normal)) or bool(_DECLINE.fullmatch(normal + "です"))
