"""Response texts read straight from the domain (``domain/``, one file per topic), for
sentences sent outside the dialogue.

A channel's own replies (``utter_channel_*``) and the one-shot command's reasons
(``utter_reason_*``) are written in the domain like every other sentence; this is
the one place that reads them. Plain Python: no Rasa needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN = Path(__file__).resolve().parent.parent / "domain"


def domain_files(domain_path: str | Path = DOMAIN) -> list[Path]:
    """The YAML files of a domain: the file itself, or every ``*.yml`` of a directory
    (as Rasa reads a domain directory, subfolders included), in a stable order."""
    path = Path(domain_path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [path]


def load_domain(domain_path: str | Path = DOMAIN) -> dict[str, Any]:
    """The domain's files merged like Rasa merges them: mappings (slots, forms,
    responses) joined, lists (intents, entities, actions) concatenated. A name defined
    in two files is an error, as it would be for Rasa's validator."""
    merged: dict[str, Any] = {}
    for file in domain_files(domain_path):
        with file.open(encoding="utf-8") as handle:
            part = yaml.safe_load(handle) or {}
        for key, value in part.items():
            if key == "version":
                continue
            if isinstance(value, dict):
                target = merged.setdefault(key, {})
                twice = set(target) & set(value)
                if twice and key != "session_config":
                    raise ValueError(f"{file}: {key} {sorted(twice)} defined in more than one domain file")
                target.update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


@lru_cache(maxsize=8)
def response_texts(prefix: str, domain_path: str = str(DOMAIN)) -> Mapping[str, str]:
    """``{response name: first variant's text}`` for responses starting with ``prefix``."""
    responses = load_domain(domain_path).get("responses") or {}
    return {
        name: str(variants[0]["text"])
        for name, variants in responses.items()
        if name.startswith(prefix) and variants and "text" in variants[0]
    }
