"""Starting over only on an explicit command.

Rasa runs its built-in ``action_restart`` for every message classified as the intent
``restart``, before any form — so a typed request to start over is the intent
``start_over`` instead, and this action decides: a message that is, as a whole, a
restart command (「最初から」, 「リセットして」) is followed by ``action_restart`` (the
rule in data/rules/basics.yml); anything else — 「パスワードのリセット方法」 — is given
back to the conversation with the classifier's next reading. Inside a form the form
reads the message first, so 「株式会社リセット」 at the company question is a company.
The button payload ``/restart`` is Rasa's own restart and always restarts.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text
from support_rules import answers

_NOT_AN_ANSWER = frozenset({"start_over", "restart", "nlu_fallback"})


class ActionStartOver(Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        text = latest_text(tracker)
        if not text or answers.is_payload(text) or answers.is_restart_command(text):
            return []  # action_restart follows (rule)
        ranking = [
            entry
            for entry in tracker.latest_message.get("intent_ranking") or []
            if entry.get("name") and entry.get("name") not in _NOT_AN_ANSWER
        ]
        intent = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0.0}
        parse_data = dict(tracker.latest_message)
        parse_data["intent"] = intent
        parse_data["intent_ranking"] = ranking
        again: Dict[str, Any] = UserUttered(
            text, parse_data=parse_data, input_channel=tracker.get_latest_input_channel()
        )
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                if event.get("message_id"):
                    again["message_id"] = event["message_id"]  # the same message, read again
                break
        return [UserUtteranceReverted(), again]
