"""Small talk is politely declined; keyboard mashing is a misunderstanding, not small talk.

The classifier may read 「ぬぬぬねねね」 as small talk. Such a message gets the fallback's
request to rephrase instead — and a second one in a row goes to a person, like any
misunderstanding.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, standing_rules
from support_rules import answers

_FALLBACK_REPLIES = frozenset({"utter_ask_rephrase", "utter_please_type_japanese", "utter_empty_message"})


def _last_reply_was_a_fallback(tracker: Tracker) -> bool:
    """The bot's reply before the latest message asked to rephrase."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            metadata = event.get("metadata") or {}
            return metadata.get("utter_action") in _FALLBACK_REPLIES
    return False


class ActionSmallTalk(Action):
    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        text = latest_text(tracker)
        if standing_rules(dispatcher, tracker):
            return []
        if not answers.is_gibberish(text):
            dispatcher.utter_message(response="utter_chitchat")
            return []
        if _last_reply_was_a_fallback(tracker):
            # Not understood twice in a row: a person takes over.
            dispatcher.utter_message(response="utter_default_to_handoff")
            return [FollowupAction("action_request_human")]
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
