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

import re
from collections.abc import Iterator
from typing import Any, Dict, List

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
# Sudachi refuses inputs above ~49 KB; long messages are tokenised in chunks cut
# at sentence ends (or hard at this length), offsets kept relative to the message.
_CHUNK_CHARS = 4000
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")
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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SudachiTokenizer(Tokenizer):
    """Tokenizes Japanese text with SudachiPy after NFKC normalisation."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
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
    def required_packages() -> List[str]:
        return ["sudachipy", "sudachidict_core"]

    @staticmethod
    def supported_languages() -> List[str] | None:
        return ["ja"]

    def __init__(self, config: Dict[str, Any]) -> None:
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
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SudachiTokenizer:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            normalize_message_text(example)
        processed: TrainingData = super().process_training_data(training_data)
        return processed

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            normalize_message_text(message)
        processed: List[Message] = super().process(messages)
        return processed

    @staticmethod
    def _chunks(text: str) -> Iterator[tuple[int, str]]:
        """``(offset, piece)`` pairs covering ``text``, each at most _CHUNK_CHARS long."""
        start = 0
        piece_start = 0
        for sentence in _SENTENCE_END.split(text):
            if not sentence:
                continue
            if start - piece_start + len(sentence) > _CHUNK_CHARS and start > piece_start:
                yield piece_start, text[piece_start:start]
                piece_start = start
            start += len(sentence)
            while start - piece_start > _CHUNK_CHARS:
                yield piece_start, text[piece_start : piece_start + _CHUNK_CHARS]
                piece_start += _CHUNK_CHARS
        if start > piece_start:
            yield piece_start, text[piece_start:start]

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str) or not text.strip():
            return [Token(text or "", 0, lemma=text or "")]
        tokens: List[Token] = []
        for offset, piece in self._chunks(text):
            for morpheme in self._tokenizer.tokenize(piece, self._mode):
                if morpheme.part_of_speech()[0] in _SKIPPED_POS:
                    continue
                surface = morpheme.surface()
                if not surface.strip():
                    continue
                lemma = canonical_term(morpheme.normalized_form()) or surface.lower()
                tokens.append(Token(surface, offset + morpheme.begin(), offset + morpheme.end(), lemma=lemma))
        if not tokens:
            # Only symbols or emoji: keep one token so featurizers still see the text.
            tokens = [Token(text, 0, len(text), lemma=text)]
        patterned: List[Token] = self._apply_token_pattern(tokens)
        return patterned
