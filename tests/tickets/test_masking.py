"""Phone numbers and e-mail addresses never reach the logs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tickets.masking import PiiMaskingFilter, install_pii_filter, mask_pii

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("電話は090-1234-5678です", "電話は***-****-5678です"),
        ("09012345678", "***-****-5678"),
        ("０９０－１２３４－５６７８", "***-****-5678"),
        ("０９０ー１２３４ー５６７８まで", "***-****-5678まで"),
        ("+81 90-1234-5678", "***-****-5678"),
        ("＋８１　９０　１２３４　５６７８", "***-****-5678"),
        ("03(1234)5678", "***-****-5678"),
        ("0120-17-0196", "***-****-0196"),
        ("taro.yamada@example.co.jp", "t***@example.co.jp"),
        ("mail=taro.yamada@example.co.jp;", "mail=t***@example.co.jp;"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "t***@example.co.jp"),
        ("<yamada+desk@Mail.Example.JP>", "<y***@mail.example.jp>"),
    ],
)
def test_mask_pii(text: str, expected: str) -> None:
    assert mask_pii(text) == expected
    assert mask_pii(expected) == expected  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "受付番号 PS-20261125-0007",
        "2026-11-25 10:00:00 INFO rasa.core  - confidence 0.0901234567",
        "sender e2e-0a1b2c3d4e tracker 12 events",
        "port 5005, pid 12345",
        "深刻度A: 0120 へお電話ください",
        "timestamp 1764032400.123456",
    ],
)
def test_leaves_other_text_alone(text: str) -> None:
    assert mask_pii(text) == text


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    # Filters that earlier tests installed (the action tests call install_pii_filter) on
    # handlers that live for the whole session, such as pytest's own log-file handler,
    # would mask the record in place before it reaches this test's handler: set them
    # aside so only the filter under test masks here, and put them back afterwards.
    set_aside = [(h, f) for h in [*root.handlers, root] for f in h.filters if isinstance(f, PiiMaskingFilter)]
    for target, item in set_aside:
        target.removeFilter(item)
    root.addHandler(handler)
    logger = logging.getLogger("tests.tickets.masking")
    logger.setLevel(logging.INFO)
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)  # only the filter under test masks here
    try:
        yield logger, stream
    finally:
        logging.setLogRecordFactory(factory)
        root.removeHandler(handler)
        for target in (*root.handlers, handler, logger, root):
            for item in [f for f in target.filters if isinstance(f, PiiMaskingFilter)]:
                target.removeFilter(item)
        for target, item in set_aside:
            target.addFilter(item)


def test_filter_on_a_real_logger(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("before install %s", "090-1234-5678")
    install_pii_filter(logger)
    install_pii_filter(logger)  # idempotent
    root_handler = logging.getLogger().handlers[-1]
    assert sum(isinstance(f, PiiMaskingFilter) for f in root_handler.filters) == 1
    assert sum(isinstance(f, PiiMaskingFilter) for f in logger.filters) == 1
    logger.info("contact %s / %s", "０９０ー１２３４ー５６７８", "taro@example.co.jp")
    logging.getLogger("tests.tickets.other").warning("child logger: %(mail)s", {"mail": "hanako@example.jp"})
    try:
        raise ValueError("bad phone 03-1234-5678")
    except ValueError:
        logger.exception("failed for %s", "taro@example.co.jp")
    output = stream.getvalue()
    assert "before install 090-1234-5678" in output  # proves the capture works unmasked
    assert "contact ***-****-5678 / t***@example.co.jp" in output
    assert "child logger: h***@example.jp" in output  # propagated records pass the handler's filter
    assert "ValueError: bad phone ***-****-5678" in output
    after = output.split("before install", 1)[1].split("\n", 1)[1]
    assert "090-1234-5678" not in after and "taro@" not in after and "5678" in after


def test_logging_yml_through_rasa_and_rasa_sdk(tmp_path: Path) -> None:
    """Rasa's own configure functions read logging.yml, then install coloredlogs' handler (as
    `rasa run` and `rasa run actions` do): records are still masked."""
    script = tmp_path / "check.py"
    script.write_text(
        "import logging, sys\n"
        "import rasa.utils.common, rasa.utils.io, rasa_sdk.utils\n"
        "rasa.utils.common.configure_logging_and_warnings(None, sys.argv[1])\n"
        "rasa.utils.io.configure_colored_logging('INFO')\n"
        "logging.getLogger('rasa.core.x').info('rasa %s %s', '090-1234-5678', 'taro@example.co.jp')\n"
        "rasa_sdk.utils.configure_colored_logging(logging.INFO)\n"
        "rasa_sdk.utils.configure_file_logging(logging.getLogger('rasa_sdk'), None, logging.INFO, sys.argv[1])\n"
        "logging.getLogger('actions.contact').warning(\n"
        "    'sdk ０３ー１２３４ー５６７８ %s', 'ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ')\n"
        "logging.getLogger('actions.contact').warning('unmasked control 1234')\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, str(script), str(ROOT / "logging.yml")], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "rasa ***-****-5678 t***@example.co.jp" in result.stderr
    assert "sdk ***-****-5678 h***@example.jp" in result.stderr
    assert "unmasked control 1234" in result.stderr  # the output is really captured
    assert "090-1234" not in result.stderr and "taro@" not in result.stderr
