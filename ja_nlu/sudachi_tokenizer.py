"""Japanese tokenizer for Rasa built on SudachiPy.

Before tokenising, the message text is normalised with Unicode NFKC (full-width
alphanumerics and half-width katakana become ordinary characters), so every later
component — lookup-table entity extraction included — sees ``SQL Server`` and
``サーバー`` whatever the customer typed. Entity offsets in training examples are
moved to match the normalised text.

Each token's lemma is Sudachi's normalised form with the desk's spelling variants
unified (ログオン/サインイン → ログイン, DB → データベース), which the count-vector
featurizers use as their vocabulary.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from support_rules.normalize import canonical_term, map_offset, nfkc

_SKIPPED_POS = frozenset({"補助記号", "空白"})
_MODES = ("A", "B", "C")


def normalize_message_text(message: Message) -> None:
    """Replace the message text by its NFKC form, keeping entity spans aligned."""
    original = message.get(TEXT)
    if not isinstance(original, str) or not original:
        return
    normalized = nfkc(original)
    if normalized == original:
        return
    entities = message.get(ENTITIES) or []
    moved = []
    for entity in entities:
        entity = dict(entity)
        if "start" in entity and "end" in entity:
            entity["start"] = map_offset(original, int(entity["start"]))
            entity["end"] = map_offset(original, int(entity["end"]))
        moved.append(entity)
    message.set(TEXT, normalized)
    if entities:
        message.set(ENTITIES, moved)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class SudachiTokenizer(Tokenizer):
    """Tokenizes Japanese text with SudachiPy after NFKC normalisation."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Sudachi split mode: A (short units), B (middle), C (named-entity-like
            # long units). C keeps product and compound nouns whole.
            "split_mode": "C",
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sudachipy", "sudachidict_core"]

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["ja"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        from sudachipy import dictionary, tokenizer

        mode = str(self._config.get("split_mode", "C")).upper()
        if mode not in _MODES:
            raise ValueError(f"split_mode must be one of {_MODES}, got {mode!r}")
        self._mode = getattr(tokenizer.Tokenizer.SplitMode, mode)
        self._tokenizer = dictionary.Dictionary(dict="core").create()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SudachiTokenizer":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            normalize_message_text(example)
        return super().process_training_data(training_data)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            normalize_message_text(message)
        return super().process(messages)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str) or not text.strip():
            return [Token(text or "", 0, lemma=text or "")]
        tokens: List[Token] = []
        for morpheme in self._tokenizer.tokenize(text, self._mode):
            if morpheme.part_of_speech()[0] in _SKIPPED_POS:
                continue
            surface = morpheme.surface()
            if not surface.strip():
                continue
            lemma = canonical_term(morpheme.normalized_form()) or surface.lower()
            tokens.append(Token(surface, morpheme.begin(), morpheme.end(), lemma=lemma))
        if not tokens:
            # Only symbols or emoji: keep one token so featurizers still see the text.
            tokens = [Token(text, 0, len(text), lemma=text)]
        return self._apply_token_pattern(tokens)
