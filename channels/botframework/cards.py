"""Bot messages as Teams activities: text as Teams XML, buttons as Hero-card messageBack actions."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from channels.botframework._common import HERO_CARD


def to_teams_xml(text: str) -> str:
    """Rasa text as Teams ``xml`` text: markup escaped, every line break kept as ``<br>``."""
    escaped = html.escape(text.strip().replace("\r\n", "\n"), quote=False)
    return escaped.replace("\n", "<br>")


def card_action(button: Mapping[str, Any]) -> dict[str, Any] | None:
    """A Rasa button as a Bot Framework card action (``messageBack`` or ``openUrl``)."""
    title = button.get("title")
    payload = button.get("payload")
    url = button.get("url")
    if isinstance(url, str) and url and (button.get("type") in (None, "web_url") or payload is None):
        return {"type": "openUrl", "title": str(title or url), "value": url}
    if payload is None and title is None:
        return None
    title_text = str(title if title is not None else payload)
    return {
        "type": "messageBack",
        "title": title_text,
        "text": title_text,
        "displayText": title_text,
        "value": {"payload": str(payload if payload is not None else title_text)},
    }


def hero_card(
    text: str | None, buttons: Iterable[Mapping[str, Any]] = (), images: Iterable[str] = ()
) -> dict[str, Any]:
    """A Hero card attachment (Teams renders the card's ``text`` as xml)."""
    content: dict[str, Any] = {}
    if text and text.strip():
        content["text"] = to_teams_xml(text)
    image_list = [{"url": url} for url in images]
    if image_list:
        content["images"] = image_list
    actions = [action for action in (card_action(b) for b in buttons) if action is not None]
    if actions:
        content["buttons"] = actions
    return {"contentType": HERO_CARD, "content": content}
