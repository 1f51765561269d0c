"""The website chat widget (web/) in a real headless Chromium against live servers.

`scripts/serve_web.py` serves the page and points it at the desk's Rasa server; the
browser is Debian's /usr/bin/chromium driven by playwright-core from web/node_modules
(`tests/web/browser_check.mjs` does the clicking and typing and prints a JSON summary).
Missing tools fail the test: CI installs them (apt: nodejs npm chromium
fonts-noto-cjk; `npm ci` in web/).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import ROOT, Desk, free_port
from tickets.store import TicketStore

HERE = Path(__file__).resolve().parent
WEB = ROOT / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "results" / "web" / "widget.png"

PROBLEM = "一部の部署だけファイルサーバーにアクセスできません"
PRICE_QUESTION = "ちなみに料金っていくらですか？"
XSS_USER = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
CONTACT = ["株式会社サンプル商事", "山田 太郎", "０３－１２３４－５６７８", "taro.yamada@example.co.jp"]

# Every check the browser script must have run (so a shortened script cannot pass).
REQUIRED_CHECKS = {
    "nothing_sent_on_open", "session_id_stored", "real_ime_enter_is_composing", "ime_events_not_consumed",
    "ime_enter_sent_nothing", "shift_enter_newline", "user_bubble", "sent_with_session", "severity_b_buttons",
    "choice_title_as_user_bubble", "choice_sends_payload", "contract_question", "queued_while_offline",
    "same_session_after_reconnect", "queued_message_delivered", "newlines_are_line_breaks", "history_restored",
    "same_session_after_reload", "nothing_sent_on_reload", "choices_keyboard_reachable", "payload_after_reload",
    "contact_details_asked_and_answered", "ticket_number_shown",
    "user_markup_is_text", "bot_markup_is_text", "no_elements_injected", "no_script_ran", "history_cleared",
    "storage_reset", "nothing_sent_after_reset", "no_page_errors", "no_console_errors",
}  # fmt: skip


@pytest.fixture(scope="session")
def node() -> str:
    """node, Chromium and web/node_modules, or a clear failure saying how to install them."""
    problems = []
    found = shutil.which("node")
    if not found:
        problems.append("node is not installed (Node.js 20 or newer is needed)")
    else:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        if int(version.lstrip("v").split(".")[0] or 0) < 20:
            problems.append(f"node {version} is too old: playwright-core needs Node.js 20 or newer")
    if not Path(CHROMIUM).is_file():
        problems.append(f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)")
    for package in ("socket.io-client", "playwright-core"):
        if not (WEB / "node_modules" / package / "package.json").is_file():
            problems.append(f"web/node_modules/{package} is missing (cd web && npm ci)")
    if problems or not found:
        pytest.fail("the browser test cannot run:\n  " + "\n  ".join(problems), pytrace=False)
    return found


@pytest.fixture(scope="session")
def widget_url(node: str, inside: Desk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """scripts/serve_web.py on a free port, pointing the page at the desk's Rasa server."""
    port = free_port()
    env = {**os.environ, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port), "RASA_PORT": str(inside.rasa_port)}
    env.pop("SOCKET_URL", None)
    log_path = tmp_path_factory.mktemp("web") / "serve_web.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve_web.py")], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve_web.py did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_widget_in_headless_chromium(node: str, widget_url: str, inside: Desk) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [node, str(HERE / "browser_check.mjs"), widget_url, "--screenshot", str(SCREENSHOT)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON summary (exit {result.returncode})\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    summary = json.loads(lines[-1])
    report = json.dumps({k: v for k, v in summary.items() if k != "transcript"}, ensure_ascii=False, indent=1)
    assert result.returncode == 0 and summary["ok"], f"{report}\nstderr:\n{result.stderr[-3000:]}"
    missing = REQUIRED_CHECKS - set(summary["checks"])
    assert not missing, f"the browser script skipped checks: {sorted(missing)}"
    assert all(summary["checks"].values()), report
    assert any("受付方法" in text for text in summary["outcome"]), report
    assert any(re.search(r"PS-20261125-\d{4}", text) for text in summary["outcome"]), report
    for shot in summary["screenshots"]:
        assert Path(shot).stat().st_size > 10_000, shot

    # On the server it was one conversation, continued across the reconnect and the
    # reload, with nothing sent that the user did not send.
    session = summary["firstSessionId"]
    events = inside.tracker(session)["events"]
    said = [e["text"] for e in events if e.get("event") == "user"]
    assert said == [
        PROBLEM, "/affirm", PRICE_QUESTION, '/inform_contract{"contract": "on_demand"}', *CONTACT, XSS_USER,
    ]  # fmt: skip
    assert inside.responses_after(session)[:12] == [
        "utter_ask_severity_confirmed",
        "utter_ask_contract",
        "utter_faq_price",
        "utter_ask_contract",
        "utter_ask_contact_company",
        "utter_ask_contact_name",
        "utter_ask_contact_phone",
        "utter_ask_contact_email",
        "utter_outcome_now",
        "utter_contract_ok_on_demand",
        "utter_ticket_created",
        "utter_ask_survey_rating",
    ]
    slots = inside.tracker(session)["slots"]
    assert slots["contract"] == "on_demand"
    # The full-width phone number typed in the browser is stored normalised on the ticket.
    assert re.fullmatch(r"PS-20261125-\d{4}", slots["ticket_no"])
    ticket = TicketStore(f"sqlite:///{inside.tmp / 'desk.db'}").get(slots["ticket_no"])
    assert ticket is not None
    assert (ticket.company, ticket.contact_name, ticket.phone, ticket.email) == (
        CONTACT[0], CONTACT[1], "03-1234-5678", CONTACT[3],
    )  # fmt: skip
    # 「会話をリセット」 started a new session, and opening it sent nothing.
    assert summary["newSessionId"] != session
    fresh = inside.tracker(summary["newSessionId"])["events"]
    assert not [e for e in fresh if e.get("event") == "user"]
    print(f"\nbrowser check: {elapsed:.1f} s, steps {[(s['name'], s['ms']) for s in summary['steps']]}")
