"""Personal data (phone numbers, e-mail addresses) masked in logs.

``mask_pii`` keeps the last four digits of a phone number (``***-****-5678``) and the
first character and domain of an e-mail address (``y***@example.co.jp``), in half- and
full-width text. ``PiiMaskingFilter`` applies it to log records; ``install_pii_filter``
puts it on the root logger's handlers and a logger. ``logging.yml`` (``rasa run
--logging-config-file logging.yml``) uses ``filter_from_config``, which also installs
a log-record factory: Rasa and rasa-sdk replace the console handler with coloredlogs'
after reading the file, and a record factory masks every record whatever handler
writes it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

_D = "0-9０-９"
_SEP = r"\-‐‑‒–—―−ー－ｰ\s()（）"
_WORD = "A-Za-zＡ-Ｚａ-ｚ"
# A run of digits and separators that starts and ends with a digit (optionally "+81").
_PHONE = re.compile(rf"(?<![{_D}{_WORD}.．])(?:[+＋]\s?)?[{_D}](?:[{_D}]|[{_SEP}]{{1,3}}(?=[{_D}])){{8,20}}(?![{_D}])")
_LOCAL = rf"[{_WORD}{_D}._%+\-．＿＋－]"
_EMAIL = re.compile(
    rf"(?<![{_WORD}{_D}])({_LOCAL}+)\s?[@＠]\s?((?:[{_WORD}{_D}](?:[{_WORD}{_D}\-－]*[{_WORD}{_D}])?[.．])+[{_WORD}]{{2,}})"
)


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    domestic = digits
    if text.lstrip("+＋ ").startswith(("81", "８１")) or text.startswith(("+", "＋")):
        domestic = "0" + digits[2:].lstrip("0")
    if not domestic.startswith("0") or not 10 <= len(domestic) <= 11:
        return text
    return f"***-****-{domestic[-4:]}"


def _mask_email(match: re.Match[str]) -> str:
    local = unicodedata.normalize("NFKC", match.group(1))
    domain = unicodedata.normalize("NFKC", match.group(2)).lower()
    return f"{local[:1]}***@{domain}"


def mask_pii(text: str) -> str:
    """``text`` with e-mail addresses and Japanese phone numbers masked."""
    if not text:
        return text
    masked = _EMAIL.sub(_mask_email, text)
    return _PHONE.sub(_mask_phone, masked)


def _mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler's error path
        return
    record.msg = mask_pii(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask_pii(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_pii(record.stack_info)


class PiiMaskingFilter(logging.Filter):
    """Formats the record's message with its arguments, then masks phone numbers and e-mails."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def install_pii_filter(logger: logging.Logger | None = None) -> PiiMaskingFilter:
    """Add the filter to every handler of the root logger and to ``logger`` (root by default).

    Idempotent: a handler or logger that already has a PiiMaskingFilter gets no second one.
    """
    chosen: PiiMaskingFilter | None = None
    root = logging.getLogger()
    targets: list[logging.Filterer] = [*root.handlers, logger or root]
    for target in targets:
        existing = next((f for f in target.filters if isinstance(f, PiiMaskingFilter)), None)
        if existing is None:
            existing = chosen or PiiMaskingFilter()
            target.addFilter(existing)
        chosen = chosen or existing
    assert chosen is not None
    return chosen


_factory_installed = False


def install_record_factory() -> None:
    """Mask every log record when it is created, whichever logger and handler it goes through."""
    global _factory_installed
    if _factory_installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def filter_from_config(record_factory: bool = True) -> PiiMaskingFilter:
    """Factory for ``logging.config.dictConfig`` (``"()": tickets.masking.filter_from_config``)."""
    if record_factory:
        install_record_factory()
    return PiiMaskingFilter()
