"""Terminal chat with the running assistant over its REST channel.

Type a message and press Enter; when the assistant offers choices, type the number
of a choice to pick it. Ctrl-D or Ctrl-C ends the chat.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

TIMEOUT_SECONDS = 60


def send(url: str, sender: str, message: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        replies = json.loads(response.read().decode("utf-8"))
    return replies if isinstance(replies, list) else []


def show(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    for reply in replies:
        if reply.get("text"):
            print(f"\033[1;32mアシスタント>\033[0m {reply['text']}")
        for button in reply.get("buttons") or []:
            buttons.append(button)
            title = re.sub(r"^\d+\.\s*", "", str(button.get("title") or ""))
            print(f"    [{len(buttons)}] {title}")
    return buttons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    args = parser.parse_args()
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    print("チャットを開始します。番号で選択肢を選べます（終了: Ctrl-D）。")
    buttons = show(send(args.url, sender, "こんにちは"))
    while True:
        try:
            text = input("\033[1;34mあなた>\033[0m ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = str(buttons[int(text) - 1].get("payload") or text)
        try:
            buttons = show(send(args.url, sender, text))
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            print(f"(サーバーに接続できませんでした: {exc})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
