"""The impact/scope reader component: labels, corpus filtering, features, calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ja_nlu.impact_reader import ImpactScopeReader, _Features, _fit_temperature, _Head, example_labels, is_reader_only
from support_rules.reading import ModelReading

VOCAB = ["停止", "全社", "一部", "部署", "方法", "教え", "マクロ", "作っ", "起動", "エラー"]


def labelled(text: str, impact: str, scope: str = "in_scope", reader_only: bool = True) -> Message:
    message = Message.build(
        text,
        "report_problem",
        intent_metadata={"reader_only": reader_only},
        example_metadata={"impact": impact, "scope": scope},
    )
    return featurise(message)


def featurise(message: Message) -> Message:
    """Stand-in for the count featurizer: one column per VOCAB word present."""
    text = message.get(TEXT)
    row = scipy.sparse.coo_matrix(np.array([[text.count(w) for w in VOCAB]], dtype=np.float64))
    message.add_features(Features(row, "sentence", TEXT, "CountVectorsFeaturizer3"))
    return message


TEXTS = [
    ("全社でサーバーが停止しています", "A", "in_scope"),
    ("全社の業務が停止しました", "A", "in_scope"),
    ("全社で基幹が停止中", "A", "in_scope"),
    ("全社員が停止で困っています", "A", "in_scope"),
    ("一部の部署だけエラーです", "B", "in_scope"),
    ("一部の部署でエラーが出ます", "B", "in_scope"),
    ("部署の一部でエラー", "B", "in_scope"),
    ("一部部署でエラー発生", "B", "in_scope"),
    ("設定の方法を教えてください", "C", "in_scope"),
    ("方法を教えて", "C", "in_scope"),
    ("やり方の方法を教えてほしい", "C", "in_scope"),
    ("インストール方法を教えて", "C", "in_scope"),
    ("マクロを作ってほしい", "none", "development"),
    ("マクロを作ってください", "none", "development"),
    ("Excelのマクロを作って", "none", "development"),
    ("集計マクロを作ってもらえますか", "none", "development"),
]


@pytest.fixture
def reader(tmp_path: Path) -> ImpactScopeReader:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return ImpactScopeReader.create({"calibration_holdout": 0.25}, storage, Resource("reader"), context)


def test_labels_and_reader_only_flag() -> None:
    message = labelled("本番が停止", "A")
    assert example_labels(message) == ("A", "in_scope")
    assert is_reader_only(message)
    plain = Message.build("こんにちは", "greet")
    assert example_labels(plain) is None and not is_reader_only(plain)
    bad = Message.build("x", "greet", example_metadata={"impact": "Z", "scope": "in_scope"})
    assert example_labels(bad) is None


def test_trains_predicts_and_drops_the_corpus_before_the_intent_classifier(
    reader: ImpactScopeReader, tmp_path: Path
) -> None:
    corpus = [labelled(t, i, s) for t, i, s in TEXTS]
    dialogue = featurise(Message.build("こんにちは", "greet"))
    data = TrainingData([*corpus, dialogue])
    reader.train(data)
    kept = reader.process_training_data(data)
    assert [m.get(TEXT) for m in kept.training_examples] == ["こんにちは"]

    loaded = ImpactScopeReader.load({}, reader._storage, Resource("reader"), ExecutionContext(GraphSchema({}), "t"))
    probe = featurise(Message.build("全社で停止しています", "report_problem"))
    loaded.process([probe])
    got = ModelReading.from_parse(probe.as_dict())
    assert got is not None and got.impact == "A" and 0 < got.impact_confidence <= 1
    assert abs(sum(got.impact_probs.values()) - 1) < 0.01
    macro = featurise(Message.build("マクロを作ってほしいです", "report_problem"))
    loaded.process([macro])
    got = ModelReading.from_parse(macro.as_dict())
    assert got is not None and got.scope == "development" and got.impact == "none"


def test_fingerprint_follows_the_code() -> None:
    first = ImpactScopeReader.fingerprint_addon({})
    assert first and first == ImpactScopeReader.fingerprint_addon({"impact_c": 1})


def test_untrained_reader_leaves_messages_alone(reader: ImpactScopeReader) -> None:
    reader.train(TrainingData([featurise(Message.build("こんにちは", "greet"))]))
    message = featurise(Message.build("全社で停止", "report_problem"))
    reader.process([message])
    assert message.get("impact_reading") is None


def test_row_matches_the_training_matrix() -> None:
    messages = [labelled(t, i, s) for t, i, s in TEXTS[:6]]
    features = _Features()
    features.fit(messages)
    matrix = features.matrix(messages)
    for k, message in enumerate(messages):
        cols, vals = features.row(message)
        dense = np.zeros(features.width)
        dense[cols] = vals
        assert np.allclose(matrix[k].toarray()[0], dense)


def test_head_row_and_matrix_probabilities_agree() -> None:
    messages = [labelled(t, i, s) for t, i, s in TEXTS]
    features = _Features()
    features.fit(messages)
    x = features.matrix(messages)
    head = _Head(4.0, 42)
    head.fit(x, [i for _, i, _ in TEXTS], holdout=0.25)
    cols, vals = features.row(messages[0])
    assert np.allclose(head.proba(x[0])[0], head.proba_row(cols, vals))


def test_temperature_sharpens_underconfident_and_softens_overconfident_logits() -> None:
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 400)
    clean = np.eye(3)[true] * 0.5  # right but timid: wants a temperature below 1
    assert _fit_temperature(clean, true) < 1
    noisy = np.eye(3)[rng.integers(0, 3, 400)] * 8.0  # confident and mostly wrong
    assert _fit_temperature(noisy, true) > 1
