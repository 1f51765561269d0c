"""Sentences a channel sends on its own (not through the dialogue), read from domain.yml.

Every customer-facing sentence lives in the domain's ``responses``; the few that a
channel must send without asking the bot (a sticker it cannot read, an internal
error) are the ``utter_channel_*`` responses, read once on first use.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"


@lru_cache(maxsize=1)
def _channel_texts() -> dict[str, str]:
    with DOMAIN.open(encoding="utf-8") as handle:
        responses = (yaml.safe_load(handle) or {}).get("responses") or {}
    return {
        name: str(variants[0]["text"])
        for name, variants in responses.items()
        if name.startswith("utter_channel_") and variants and "text" in variants[0]
    }


def channel_text(name: str) -> str:
    """The text of response ``name`` (``KeyError`` if the domain lacks it)."""
    return _channel_texts()[name]
