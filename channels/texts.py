"""Sentences a channel sends on its own (not through the dialogue).

Every customer-facing sentence lives in the domain's ``responses``; the few that a
channel must send without asking the bot (a sticker it cannot read, an internal
error) are the ``utter_channel_*`` responses.
"""

from __future__ import annotations

from support_rules.domain_texts import response_texts


def channel_text(name: str) -> str:
    """The text of response ``name`` (``KeyError`` if the domain lacks it)."""
    return response_texts("utter_channel_")[name]
