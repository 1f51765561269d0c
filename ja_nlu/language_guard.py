"""Marks messages written in another language as not understood.

The intent classifier has only ever seen Japanese and will confidently map an English
sentence to *some* intent. A message with no Japanese characters and at least
``min_latin_words`` Latin words is given the ``nlu_fallback`` intent instead, so the
two-stage fallback answers (in Japanese) and asks for Japanese. Short Latin messages
("OK", "Excel", "SQL Server") and button payloads ("/affirm") pass unchanged.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from support_rules.normalize import is_foreign


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NonJapaneseGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"min_latin_words": 3}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._min_words = int(config.get("min_latin_words", 3))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NonJapaneseGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and is_foreign(text, self._min_words):
                message.set(INTENT, {"name": "nlu_fallback", "confidence": 1.0}, add_to_output=True)
        return messages
