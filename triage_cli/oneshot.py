"""One-shot triage of inquiries that arrive as text (web forms, e-mail).

Reads JSON Lines on stdin, writes one JSON line per input on stdout, using the same
trained NLU model and the same rules (``support_rules``) as the chat. The model is
loaded once for the whole stream.

Input:  {"id": str, "text": str, "received_at"?: ISO-8601, "contract"?: str,
         "phone_reachable"?: bool}
Output: {"id", "intent", "confidence", "severity", "downgraded", "scope", "redirect",
         "reception", "contract_ok", "missing", "field_confidence", "reason"}
``confidence`` is the intent classifier's; ``field_confidence`` holds the calibrated
probability of each decided field (``severity``, ``scope``) from the trained reader.
``missing`` lists ``impact`` whenever the severity was left open (the desk asks).
A line that cannot be processed yields {"id", "error"} and processing continues.

    python -m triage_cli.oneshot [--model models/x.tar.gz] < inquiries.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from channels.guard import Rejected, load_json
from channels.limits import ONESHOT_MAX_LINE_BYTES, ONESHOT_MAX_TEXT_CHARS
from support_rules import clock
from support_rules.calendar import BusinessCalendar
from support_rules.contracts import CONTRACTS, Contract
from support_rules.domain_texts import response_texts
from support_rules.jp_format import format_datetime
from support_rules.reading import ModelReading
from support_rules.settings import DeskConfig, get_config
from support_rules.triage import TriageDecision, TriageInput, decide, decision_as_dict

ROOT = Path(__file__).resolve().parent.parent
MAX_LINE_BYTES = ONESHOT_MAX_LINE_BYTES  # the limits live in channels.limits
MAX_TEXT_CHARS = ONESHOT_MAX_TEXT_CHARS


@dataclass(frozen=True)
class Parsed:
    """What the NLU model says about one text."""

    intent: str | None
    confidence: float
    model: ModelReading | None = None  # the trained impact/scope reader's output


Parser = Callable[[str], Awaitable[Parsed]]


class InputError(ValueError):
    """A line that is not a valid inquiry."""


@dataclass(frozen=True)
class Inquiry:
    id: str
    text: str
    received_at: dt.datetime | None
    contract: Contract | None
    phone_reachable: bool | None


def parse_line(line: str) -> Inquiry:
    """Validate one JSON line; raises :class:`InputError` with a reason."""
    data = line.encode("utf-8", "surrogatepass")  # undecodable input bytes arrive as surrogates
    if len(data) > MAX_LINE_BYTES:
        raise InputError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        raw = load_json(data)  # UTF-8, nesting depth, huge numbers, lone surrogates
    except Rejected as exc:
        raise InputError(f"invalid JSON: {exc.reason}") from exc
    if not isinstance(raw, dict):
        raise InputError("each line must be a JSON object")
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise InputError("'id' must be a non-empty string")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("'text' must be a non-empty string")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"'text' longer than {MAX_TEXT_CHARS} characters")
    received: dt.datetime | None = None
    if raw.get("received_at") is not None:
        value = raw["received_at"]
        if not isinstance(value, str):
            raise InputError("'received_at' must be an ISO-8601 string")
        try:
            received = clock.parse_instant(value)
        except ValueError as exc:
            raise InputError(f"'received_at' is not ISO-8601: {value!r}") from exc
    contract = raw.get("contract")
    if contract is not None and contract not in CONTRACTS:
        raise InputError(f"'contract' must be one of {', '.join(CONTRACTS)}")
    reachable = raw.get("phone_reachable")
    if reachable is not None and not isinstance(reachable, bool):
        raise InputError("'phone_reachable' must be true or false")
    return Inquiry(ident, text, received, contract, reachable)


def _id_of(line: str) -> str | None:
    try:
        raw = load_json(line.encode("utf-8", "surrogatepass"))
    except Rejected:
        return None
    ident = raw.get("id") if isinstance(raw, dict) else None
    return ident if isinstance(ident, str) else None


class ReasonWriter:
    """Builds the Japanese ``reason`` from the domain's ``utter_reason_*`` responses."""

    def __init__(self, domain_path: Path, config: DeskConfig) -> None:
        self._texts = response_texts("utter_reason_", str(domain_path))
        names = config.redirect_names
        self._values = {
            "phone": config.severity_a_phone,
            "premier": names.get("premier", ""),
            "consulting": names.get("consulting", ""),
            "oem_vendor": names.get("oem_vendor", ""),
            "consumer_support": names.get("consumer_support", ""),
        }

    def _say(self, name: str, **values: Any) -> str:
        return str(self._texts[name]).format(**{**self._values, **values})

    def reason(self, decision: TriageDecision, received_at: dt.datetime) -> str:
        parts: list[str] = []
        reception = decision.reception
        start = (
            format_datetime(reception.starts_at, received_at.date())
            if reception is not None and reception.starts_at is not None
            else None
        )
        if decision.initial_severity is not None:
            label = decision.reason_label or "お客様のお申し出"
            parts.append(self._say("utter_reason_severity", severity=decision.initial_severity, reason=label))
        elif decision.is_problem:
            parts.append(self._say("utter_reason_unknown_impact"))
        elif decision.scope == "in_scope":
            parts.append(self._say("utter_reason_not_problem"))
        if reception is not None:
            if reception.downgraded:
                parts.append(self._say("utter_reason_downgraded", start=start))
            elif reception.severity == "A":
                name = (
                    "utter_reason_reception_phone_pending"
                    if reception.phone_condition_pending
                    else "utter_reason_reception_phone"
                )
                parts.append(self._say(name))
            elif reception.when == "now":
                parts.append(self._say("utter_reason_reception_now"))
            else:
                parts.append(self._say("utter_reason_reception_next_day", start=start))
        if decision.scope != "in_scope":
            parts.append(self._say(SCOPE_REASONS[decision.scope]))
        if decision.contract_ok is False:
            legacy = decision.severity == "A"
            parts.append(self._say("utter_reason_contract_legacy_for_a" if legacy else "utter_reason_contract_none"))
        if decision.data_recovery:
            parts.append(self._say("utter_reason_data_recovery"))
        return "".join(parts)


SCOPE_REASONS = {
    "root_cause": "utter_reason_scope_root_cause",
    "development": "utter_reason_scope_development",
    "debugging": "utter_reason_scope_debugging",
    "product_change": "utter_reason_scope_product_change",
    "third_party": "utter_reason_scope_third_party",
    "consulting": "utter_reason_scope_consulting",
    "oem_vendor": "utter_reason_scope_oem_vendor",
    "consumer_product": "utter_reason_scope_consumer_product",
}


class OneShotTriage:
    """Triage of single inquiries with a loaded NLU parser."""

    def __init__(self, parse: Parser, config: DeskConfig | None = None, domain_path: Path | None = None) -> None:
        self._parse = parse
        self._config = config or get_config()
        self._calendar = BusinessCalendar(self._config)
        self._reasons = ReasonWriter(domain_path or ROOT / "domain", self._config)

    async def triage(self, inquiry: Inquiry) -> dict[str, Any]:
        parsed = await self._parse(inquiry.text)
        received = inquiry.received_at or clock.now(self._config.timezone)
        decision = decide(
            TriageInput(
                text=inquiry.text,
                received_at=received,
                intent=parsed.intent,
                confidence=parsed.confidence,
                contract=inquiry.contract,
                phone_reachable=inquiry.phone_reachable,
                model=parsed.model,
            ),
            self._calendar,
        )
        fields = decision_as_dict(decision)
        # "confidence" is the intent's (as before); the decided fields' own ones follow.
        field_confidence = fields.pop("confidence")
        return {
            "id": inquiry.id,
            "intent": parsed.intent,
            "confidence": round(parsed.confidence, 4),
            **fields,
            "field_confidence": field_confidence,
            "reason": self._reasons.reason(decision, received),
        }

    async def process_line(self, line: str) -> dict[str, Any]:
        try:
            inquiry = parse_line(line)
        except (InputError, RecursionError) as exc:
            message = str(exc) if isinstance(exc, InputError) else "JSON nested too deeply"
            return {"id": _id_of(line) if not isinstance(exc, RecursionError) else None, "error": message}
        try:
            return await self.triage(inquiry)
        except Exception as exc:  # one bad inquiry must not stop the stream
            return {"id": inquiry.id, "error": f"triage failed: {type(exc).__name__}"}

    async def run(self, lines: Iterable[str | InputError], out: TextIO) -> int:
        count = 0
        for raw in lines:
            if isinstance(raw, InputError):  # a line that could not even be read
                result: dict[str, Any] = {"id": None, "error": str(raw)}
            else:
                line = raw.strip()
                if not line:
                    continue
                result = await self.process_line(line)
            out.write(to_json_line(result) + "\n")
            out.flush()
            count += 1
        return count


def to_json_line(result: dict[str, Any]) -> str:
    """One output line: UTF-8 JSON, with U+2028/U+2029 escaped (valid JSON either way, but
    ``str.splitlines`` and many line readers split on them, which would cut a row in two)."""
    return json.dumps(result, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def rasa_parser(model_path: str) -> Parser:
    """Load the trained model once and return its intent parser."""
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)

    async def parse(text: str) -> Parsed:
        result = await agent.parse_message(text)
        # One-shot has no conversation to ask "did you mean …?" in: report the most
        # likely real intent (and its low confidence) instead of nlu_fallback.
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        best = ranking[0] if ranking else result.get("intent") or {}
        name = best.get("name")
        confidence = float(best.get("confidence") or 0.0)
        return Parsed((str(name) if name else None), confidence, ModelReading.from_parse(result))

    return parse


def latest_model(directory: Path) -> str:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no trained model in {directory}: run `make train` first")
    return str(models[-1])


def read_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[str | InputError]:
    """The lines of ``stream``, never holding more than ``limit`` bytes of one in memory.

    A longer line is skipped to its end and reported as an ``InputError``. Bytes that
    are not UTF-8 are kept as lone surrogates (``surrogateescape``), which
    ``parse_line`` reports as an error instead of guessing the text.
    """
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(64 * 1024)
            yield InputError(f"line longer than {limit} bytes")
            continue
        yield raw.decode("utf-8", errors="surrogateescape")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="trained model (default: newest in models/)")
    args = parser.parse_args(argv)
    model = args.model or latest_model(ROOT / "models")
    # stdout carries only our JSON Lines: keep a private handle to it and send
    # everything else that writes to file descriptor 1 (Rasa's structlog debug
    # lines, TensorFlow) to stderr.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    quiet_logging()
    triage = OneShotTriage(rasa_parser(model))
    count = asyncio.run(triage.run(read_lines(sys.stdin.buffer), out))
    out.flush()
    print(f"oneshot: {count} line(s) processed", file=sys.stderr)
    return 0


def quiet_logging() -> None:
    import logging

    import structlog

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )


if __name__ == "__main__":
    sys.exit(main())
