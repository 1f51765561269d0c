"""ja_ginza's word vectors, read without spaCy, for the tokens of our Sudachi tokenizer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.strings import hash_string as spacy_hash_string
from spacy.vectors import Vectors

from ja_nlu.static_vectors import StaticVectorsFeaturizer, default_vectors_dir, hash_string, load_table


@pytest.mark.parametrize("text", ["", "a", "abcdefgh", "abcdefghi", "アドイン", "サーバーが落ちました😀", "x" * 17])
def test_hash_is_spacys(text: str) -> None:
    assert hash_string(text) == spacy_hash_string(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_hash_is_spacys_for_any_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be tokens of a decoded message
        return
    assert hash_string(text) == spacy_hash_string(text)


def test_table_gives_the_same_vectors_as_spacy() -> None:
    directory = default_vectors_dir()
    table = load_table(directory)
    reference = Vectors().from_disk(str(directory))
    for word in ("サーバー", "アドイン", "ドライバー", "調査", "個人"):
        ours = table.lookup(word)
        assert ours is not None, word
        assert np.array_equal(ours, reference[spacy_hash_string(word)])
    assert table.lookup("存在しない単語xyzzy") is None
    assert load_table(directory) is table  # loaded once per process


def featurizer() -> StaticVectorsFeaturizer:
    config: dict[str, Any] = {**StaticVectorsFeaturizer.get_default_config(), "alias": "vectors"}
    return StaticVectorsFeaturizer(config, "vectors")


def tokenized(text: str, tokens: list[tuple[str, str]]) -> Message:
    message = Message(data={TEXT: text})
    offset = 0
    made = []
    for surface, lemma in tokens:
        made.append(Token(surface, offset, offset + len(surface), lemma=lemma))
        offset += len(surface)
    message.set(TOKENS_NAMES[TEXT], made)
    return message


def test_sequence_and_sentence_features() -> None:
    message = tokenized(
        "サーバが落ちたxyzzy", [("サーバ", "サーバー"), ("が", "が"), ("落ち", "落ちる"), ("xyzzy", "xyzzy")]
    )
    featurizer().process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is not None and sentence is not None
    assert sequence.features.shape == (4, 300)
    assert sentence.features.shape == (1, 300)
    table = load_table(default_vectors_dir())
    # The lemma is looked up first: サーバ gets サーバー's vector.
    expected_first = table.lookup("サーバー")
    assert expected_first is not None
    assert np.array_equal(sequence.features[0], expected_first)
    # An unknown word is a zero row and does not pull the sentence mean towards zero.
    assert not sequence.features[3].any()
    known = sequence.features[:3]
    assert np.allclose(sentence.features[0], known.mean(axis=0), atol=1e-6)


def test_message_without_tokens_gets_no_features() -> None:
    message = Message(data={TEXT: ""})
    featurizer().process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None and sentence is None


def test_training_data_is_featurized() -> None:
    messages = [tokenized("調査", [("調査", "調査")]), tokenized("個人", [("個人", "個人")])]
    data = TrainingData(training_examples=messages)
    featurizer().process_training_data(data)
    assert all(m.get_dense_features(TEXT)[1] is not None for m in messages)


def test_invalid_pooling_is_refused() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        StaticVectorsFeaturizer.validate_config({"pooling": "median"})
