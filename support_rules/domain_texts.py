"""Response texts read straight from domain.yml, for sentences sent outside the dialogue.

A channel's own replies (``utter_channel_*``) and the one-shot command's reasons
(``utter_reason_*``) are written in the domain like every other sentence; this is
the one place that reads them. Plain Python: no Rasa needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"


@lru_cache(maxsize=8)
def response_texts(prefix: str, domain_path: str = str(DOMAIN)) -> Mapping[str, str]:
    """``{response name: first variant's text}`` for responses starting with ``prefix``."""
    with Path(domain_path).open(encoding="utf-8") as handle:
        responses = (yaml.safe_load(handle) or {}).get("responses") or {}
    return {
        name: str(variants[0]["text"])
        for name, variants in responses.items()
        if name.startswith(prefix) and variants and "text" in variants[0]
    }
