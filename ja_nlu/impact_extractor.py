"""Entity extractor that exposes the severity rules' impact cues as ``impact`` entities."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from support_rules.severity import find_cues

ENTITY_NAME = "impact"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ImpactCueExtractor(GraphComponent, EntityExtractorMixin):
    """Adds one ``impact`` entity per impact cue found by ``support_rules.severity``.

    The value is the cue id (``system_down``, ``some_users``, ``no_impact`` …); start
    and end point into the message text (already NFKC-normalised by the tokenizer).
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ImpactCueExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = [
                {
                    "entity": ENTITY_NAME,
                    "value": hit.cue.id,
                    "start": hit.source_start,
                    "end": hit.source_end,
                    "confidence_entity": 1.0,
                }
                for hit in find_cues(text)
            ]
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
