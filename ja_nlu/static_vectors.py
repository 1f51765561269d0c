"""Dense word-vector features from ja_ginza's static vectors, without running spaCy.

GiNZA's ``ja_ginza`` package ships a table of 300-dimensional word vectors (20,000
rows shared by about 480,000 keys). The ``SpacyNLP`` route pays for the whole spaCy
pipeline (tokenizer, tok2vec, parser, NER …) on every message to get them; this
component reads only the table and looks up the tokens our Sudachi tokenizer already
produced — each token's normalised lemma first, then its surface form — so a message
costs a few dictionary look-ups.

The keys are spaCy's 64-bit string hashes (MurmurHash64A of the UTF-8 bytes, seed 1),
computed here in plain Python (``hash_string``; a test checks it against spaCy's), so
neither spaCy nor its 17 MB string store is loaded: the table loads in about 0.1 s and
adds about 85 MB to the process (24 MB of vectors, the rest the key → row dict); a
look-up takes about 1.4 µs.

What the vectors bring: words the training data never used but that mean something
close to words it did (アドイン ~ ドライバー ~ プラグイン), which the sparse count
features cannot relate. Sequence features are one vector per token (zeros for
unknown words); the sentence feature is their mean over known words.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any, Dict, List, Type

import numpy as np
import numpy.typing as npt
import srsly
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import MEAN_POOLING, POOLING

logger = logging.getLogger(__name__)

_MASK = (1 << 64) - 1
_M = 0xC6A4A7935BD1E995
_R = 47


def hash_string(text: str) -> int:
    """spaCy's ``hash_string``: MurmurHash64A of the UTF-8 bytes with seed 1."""
    data = text.encode("utf-8")
    length = len(data)
    h = (1 ^ (length * _M)) & _MASK
    blocks = length // 8
    for index in range(blocks):
        k = int.from_bytes(data[8 * index : 8 * index + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    tail = data[blocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> _R
    h = (h * _M) & _MASK
    h ^= h >> _R
    return h


def default_vectors_dir() -> Path:
    """The ``vocab`` folder of the installed ja_ginza package."""
    spec = importlib.util.find_spec("ja_ginza")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidConfigException("StaticVectorsFeaturizer needs the ja-ginza package (pip install ja-ginza)")
    package = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(package.glob("ja_ginza-*/vocab"))
    if not found:
        raise InvalidConfigException(f"no ja_ginza-*/vocab folder in {package}")
    return found[-1]


class VectorTable:
    """spaCy's on-disk vector table (``vectors`` as .npy, ``key2row`` as msgpack)."""

    def __init__(self, directory: Path) -> None:
        self.data: npt.NDArray[np.float32] = np.load(directory / "vectors", allow_pickle=False)
        key2row: Dict[int, int] = srsly.read_msgpack(directory / "key2row")
        self.key2row = key2row
        self.dim = int(self.data.shape[1])
        self.zeros = np.zeros(self.dim, dtype=np.float32)

    def lookup(self, *candidates: str) -> npt.NDArray[np.float32] | None:
        for candidate in candidates:
            if candidate:
                row = self.key2row.get(hash_string(candidate))
                if row is not None:
                    vector: npt.NDArray[np.float32] = self.data[row]
                    return vector
        return None


_TABLES: Dict[Path, VectorTable] = {}


def load_table(directory: Path) -> VectorTable:
    """One table per folder and process (training and the server share it)."""
    resolved = directory.resolve()
    if resolved not in _TABLES:
        _TABLES[resolved] = VectorTable(resolved)
    return _TABLES[resolved]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class StaticVectorsFeaturizer(DenseFeaturizer, GraphComponent):
    """Word vectors of ja_ginza for the tokens of our own tokenizer."""

    @classmethod
    def required_components(cls) -> List[Type[Any]]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            POOLING: MEAN_POOLING,
            # Folder with spaCy's ``vectors`` and ``key2row``; None = ja_ginza's.
            "vectors_dir": None,
        }

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.pooling_operation = self._config[POOLING]
        directory = self._config.get("vectors_dir")
        self.table = load_table(Path(directory) if directory else default_vectors_dir())

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if config.get(POOLING) not in (None, "mean", "max"):
            raise InvalidConfigException(f"pooling must be 'mean' or 'max', not {config.get(POOLING)!r}")

    def _token_vector(self, token: Token) -> npt.NDArray[np.float32]:
        lemma = token.lemma if isinstance(token.lemma, str) else ""
        found = self.table.lookup(lemma, token.text, token.text.lower())
        return self.table.zeros if found is None else found

    def _set_features(self, message: Message) -> None:
        tokens: List[Token] = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens:
            return
        sequence = np.stack([self._token_vector(token) for token in tokens]).astype(np.float32)
        sentence = self.aggregate_sequence_features(sequence, self.pooling_operation)
        alias = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, alias))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, alias))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._set_features(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
