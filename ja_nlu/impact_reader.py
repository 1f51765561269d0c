"""The trained impact and scope reader (issue 10).

Reads the whole message and predicts
- ``impact``: A / B / C / ``unknown`` / ``none`` (POLICY §2, §2.1; docs/reader-labels.md),
- ``scope``: ``in_scope`` or one of the eight out-of-scope categories (POLICY §5),
each with a probability, and writes them to the parse result as ``impact_reading`` and
``scope_reading`` (see :class:`support_rules.reading.ModelReading`). The decision with
the guard rails is :func:`support_rules.reading.combine`, shared by chat and one-shot.

Features (all from the pipeline before it, plus the cue rules):
- the sentence-level sparse features of the CountVectorsFeaturizers (Sudachi lemmas and
  character 1–3-grams), log-scaled and L2-normalised per featurizer;
- the dense sentence vector (mean of ja_ginza's static vectors);
- the cue rules of ``support_rules.severity`` / ``support_rules.scope`` as indicator
  features (``support_rules.reading.cue_features``).

Two multinomial logistic regressions, whose probabilities are calibrated by a
temperature fitted on a stratified 20 % hold-out of the training corpus.

Training texts: every NLU example whose example metadata carries ``impact`` and
``scope`` labels (data/nlu/reader/*.yml). Those with ``reader_only: true`` in their
intent metadata are removed from the training data after this component, so the
intent classifier trains on the dialogue examples only (it would take 3x as long on
the corpus of long e-mails and reports, for no gain in intent accuracy).
"""

from __future__ import annotations

import logging
import pickle
import time
from typing import Any, Dict, List

import numpy as np
import numpy.typing as npt
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import METADATA, METADATA_EXAMPLE, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from support_rules.reading import IMPACTS, ModelReading, cue_features
from support_rules.scope import SCOPES

logger = logging.getLogger(__name__)

READER_ONLY = "reader_only"
Array = npt.NDArray[np.float64]


def example_labels(message: Message) -> tuple[str, str] | None:
    """The (impact, scope) labels of a training example, if it has them."""
    meta = (message.get(METADATA) or {}).get(METADATA_EXAMPLE) or {}
    impact, scope = meta.get("impact"), meta.get("scope")
    if impact in IMPACTS and scope in SCOPES:
        return str(impact), str(scope)
    return None


def is_reader_only(message: Message) -> bool:
    meta = (message.get(METADATA) or {}).get(METADATA_INTENT) or {}
    return bool(meta.get(READER_ONLY))


class _Features:
    """Turns a featurised message into one row for the regressions."""

    def __init__(self, cue_vocab: Dict[str, int] | None = None) -> None:
        self.cue_vocab: Dict[str, int] = dict(cue_vocab or {})
        self.sparse_dims: List[int] = []
        self.dense_dim = 0

    def fit(self, messages: List[Message]) -> None:
        vocab: Dict[str, int] = {}
        for m in messages:
            for key in cue_features(m.get(TEXT) or ""):
                vocab.setdefault(key, len(vocab))
        self.cue_vocab = vocab
        sample = messages[0]
        self.sparse_dims = [f.features.shape[1] for f in _sentence_sparse(sample)]
        dense = _sentence_dense(sample)
        self.dense_dim = dense.shape[0] if dense is not None else 0

    @property
    def width(self) -> int:
        return sum(self.sparse_dims) + self.dense_dim + max(len(self.cue_vocab), 1)

    def row(self, message: Message) -> tuple[npt.NDArray[np.int64], Array]:
        """The message as a sparse row: (column indices, values).

        Count blocks are log-scaled and L2-normalised per featurizer, the dense vector is
        L2-normalised, cue indicators are kept as they are. Built from index arrays (no
        scipy matrix per message): a read costs tens of microseconds.
        """
        cols: List[Any] = []
        vals: List[Any] = []
        offset = 0
        sparse = {i: f for i, f in enumerate(_sentence_sparse(message))}
        for i, dim in enumerate(self.sparse_dims):
            feats = sparse.get(i)
            if feats is not None and feats.features.shape[1] == dim:
                coo = feats.features.tocoo()
                data = np.log1p(np.asarray(coo.data, dtype=np.float64))
                norm = float(np.sqrt((data * data).sum()))
                if norm > 0:
                    cols.append(np.asarray(coo.col, dtype=np.int64) + offset)
                    vals.append(data / norm)
            offset += dim
        if self.dense_dim:
            dense = _sentence_dense(message)
            if dense is not None and dense.shape[0] == self.dense_dim:
                norm = float(np.linalg.norm(dense))
                if norm > 0:
                    cols.append(np.arange(offset, offset + self.dense_dim, dtype=np.int64))
                    vals.append(dense / norm)
            offset += self.dense_dim
        cues = cue_features(message.get(TEXT) or "")
        found = [(self.cue_vocab[k], v) for k, v in cues.items() if k in self.cue_vocab]
        if found:
            cols.append(np.array([i for i, _ in found], dtype=np.int64) + offset)
            vals.append(np.array([v for _, v in found], dtype=np.float64))
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(cols), np.concatenate(vals)

    def matrix(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        rows = [self.row(m) for m in messages]
        indptr = np.cumsum([0] + [len(c) for c, _ in rows])
        cols = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        vals = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return scipy.sparse.csr_matrix((vals, cols, indptr), shape=(len(rows), self.width))


def _sentence_sparse(message: Message) -> List[Any]:
    """Sentence-level sparse features, one per featurizer, in a stable order."""
    found = [f for f in message.features if f.attribute == TEXT and f.is_sparse() and f.type == "sentence"]
    return sorted(found, key=lambda f: str(f.origin))


def _sentence_dense(message: Message) -> Array | None:
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    vector: Array = np.asarray(sentence.features, dtype=np.float64).reshape(-1)
    return vector


def _softmax(logits: Array) -> Array:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    probs: Array = e / e.sum(axis=1, keepdims=True)
    return probs


class _Head:
    """One calibrated multinomial logistic regression."""

    def __init__(self, c: float, seed: int) -> None:
        self.c = c
        self.seed = seed
        self.classes: List[str] = []
        self.coef: Array = np.zeros((0, 0))
        self.intercept: Array = np.zeros(0)
        self.temperature = 1.0
        self.holdout_accuracy: float | None = None

    def _model(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        # warm_start: the final fit on all texts starts from the hold-out model's weights
        # and converges in a fraction of the iterations. 200 iterations: the hold-out
        # accuracy is the same as at convergence (~360), in 60 % of the time.
        return LogisticRegression(
            C=self.c, max_iter=200, tol=1e-3, class_weight="balanced", random_state=self.seed, warm_start=True
        )

    def fit(self, x: scipy.sparse.csr_matrix, y: List[str], holdout: float = 0.2) -> None:
        from sklearn.model_selection import train_test_split

        labels = np.asarray(y)
        # Temperature from a stratified hold-out: fit on the rest, then choose the
        # temperature that makes the held-out probabilities honest; the final model is
        # fitted on everything with that temperature.
        counts = {c: int((labels == c).sum()) for c in set(y)}
        model = self._model()
        if holdout > 0 and min(counts.values()) >= 2:
            train, test = train_test_split(
                np.arange(len(labels)), test_size=holdout, stratify=labels, random_state=self.seed
            )
            model.fit(x[train], labels[train])
            logits = model.decision_function(x[test])
            if logits.ndim == 1:
                logits = np.stack([-logits, logits], axis=1)
            index = {c: i for i, c in enumerate(model.classes_)}
            self.temperature = _fit_temperature(logits, np.array([index[c] for c in labels[test]]))
            self.holdout_accuracy = round(float((model.classes_[logits.argmax(axis=1)] == labels[test]).mean()), 4)
        model.fit(x, labels)
        self.classes = [str(c) for c in model.classes_]
        coef = model.coef_
        intercept = model.intercept_
        if len(self.classes) == 2:
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]])
        self.coef = np.asarray(coef)
        self.intercept = np.asarray(intercept)

    def proba_row(self, cols: npt.NDArray[np.int64], vals: Array) -> Array:
        """Probabilities for one sparse row (see :meth:`_Features.row`)."""
        logits = self.coef[:, cols] @ vals + self.intercept
        probs: Array = _softmax(logits.reshape(1, -1) / self.temperature)[0]
        return probs

    def logits(self, x: scipy.sparse.csr_matrix) -> Array:
        logits: Array = np.asarray(x @ self.coef.T) + self.intercept
        return logits

    def proba(self, x: scipy.sparse.csr_matrix) -> Array:
        return _softmax(self.logits(x) / self.temperature)


def _fit_temperature(logits: Array, true: Array) -> float:
    """The temperature that minimises the negative log-likelihood (grid, then refine)."""

    def nll(t: float) -> float:
        p = _softmax(logits / t)
        return float(-np.log(np.clip(p[np.arange(len(true)), true], 1e-12, None)).mean())

    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 41))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.9, best * 1.1, 21)
    return float(min(fine, key=nll))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class ImpactScopeReader(GraphComponent):
    """Predicts impact level and scope of the whole message (see module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"impact_c": 16.0, "scope_c": 16.0, "random_seed": 42, "calibration_holdout": 0.2}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        features: _Features | None = None,
        impact: _Head | None = None,
        scope: _Head | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._features = features
        self._impact = impact
        self._scope = scope

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ImpactScopeReader:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """Rasa's training cache keys a component by its config and inputs only; the
        reader's features also come from this code and the cue rules, so a change there
        must train it again instead of restoring a stale reader from the cache."""
        import hashlib
        import inspect

        from support_rules import normalize, reading, scope, severity

        digest = hashlib.sha256()
        for module in (inspect.getmodule(cls), reading, severity, scope, normalize):
            path = getattr(module, "__file__", None)
            if path:
                with open(path, "rb") as handle:
                    digest.update(handle.read())
        return digest.hexdigest()

    # ---- training ---------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        labelled = [(m, example_labels(m)) for m in training_data.training_examples]
        examples = [(m, lab) for m, lab in labelled if lab is not None]
        if not examples:
            logger.warning("ImpactScopeReader: no labelled examples (data/nlu/reader); the rules decide alone")
            self._persist()
            return self._resource
        messages = [m for m, _ in examples]
        features = _Features()
        features.fit(messages)
        x = features.matrix(messages)
        seed = int(self._config["random_seed"])
        holdout = float(self._config["calibration_holdout"])
        started = time.perf_counter()
        impact = _Head(float(self._config["impact_c"]), seed)
        impact.fit(x, [lab[0] for _, lab in examples], holdout)
        scope = _Head(float(self._config["scope_c"]), seed)
        scope.fit(x, [lab[1] for _, lab in examples], holdout)
        self._features, self._impact, self._scope = features, impact, scope
        logger.info(
            "ImpactScopeReader: %d texts, %d features; hold-out accuracy impact %s / scope %s; "
            "temperatures %.2f / %.2f; fitted in %.1f s",
            len(messages),
            x.shape[1],
            impact.holdout_accuracy,
            scope.holdout_accuracy,
            impact.temperature,
            scope.temperature,
            time.perf_counter() - started,
        )
        self._persist()
        return self._resource

    def _persist(self) -> None:
        state = {"features": self._features, "impact": self._impact, "scope": self._scope}
        with self._storage.write_to(self._resource) as directory, open(directory / "reader.pkl", "wb") as handle:
            pickle.dump(state, handle)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ImpactScopeReader:
        try:
            with model_storage.read_from(resource) as directory, open(directory / "reader.pkl", "rb") as handle:
                state = pickle.load(handle)
        except (ValueError, FileNotFoundError):
            logger.warning("ImpactScopeReader: no trained reader in the model; the rules decide alone")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, state["features"], state["impact"], state["scope"])

    # ---- the pipeline -------------------------------------------------------------
    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Drop the reader-only corpus before the intent classifier trains."""
        kept = [m for m in training_data.training_examples if not is_reader_only(m)]
        if len(kept) == len(training_data.training_examples):
            return training_data
        return TrainingData(
            training_examples=kept,
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )

    def process(self, messages: List[Message]) -> List[Message]:
        if self._features is None or self._impact is None or self._scope is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            reading = self.read(message)
            for key, value in reading.as_parse().items():
                message.set(key, value, add_to_output=True)
        return messages

    def read(self, message: Message) -> ModelReading:
        assert self._features is not None and self._impact is not None and self._scope is not None
        cols, vals = self._features.row(message)
        impact_p = self._impact.proba_row(cols, vals)
        scope_p = self._scope.proba_row(cols, vals)
        i, s = int(impact_p.argmax()), int(scope_p.argmax())
        return ModelReading(
            impact=self._impact.classes[i],  # type: ignore[arg-type]
            impact_confidence=round(float(impact_p[i]), 4),
            scope=self._scope.classes[s],  # type: ignore[arg-type]
            scope_confidence=round(float(scope_p[s]), 4),
            impact_probs={c: round(float(p), 4) for c, p in zip(self._impact.classes, impact_p, strict=False)},
            scope_probs={c: round(float(p), 4) for c, p in zip(self._scope.classes, scope_p, strict=False)},
            evidence=self._evidence(message, i),
        )

    def _evidence(self, message: Message, class_index: int) -> tuple[int, int] | None:
        """The clause whose tokens weigh most for the predicted impact class.

        Each token's sparse sequence features are scored with the class's weights (the
        sentence feature is the sum of the token rows, so this splits the sparse part of
        the decision over the tokens); tokens are summed per clause.
        """
        assert self._features is not None and self._impact is not None
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        if not tokens:
            return None
        weights = self._impact.coef[class_index]
        scores = np.zeros(len(tokens))
        offset = 0
        seq = sorted(
            (f for f in message.features if f.attribute == TEXT and f.is_sparse() and f.type == "sequence"),
            key=lambda f: str(f.origin),
        )
        for dim, feats in zip(self._features.sparse_dims, seq, strict=False):
            matrix = scipy.sparse.csr_matrix(feats.features)
            if matrix.shape == (len(tokens), dim):
                scores += np.asarray(matrix @ weights[offset : offset + dim]).reshape(-1)
            offset += dim
        text: str = message.get(TEXT)
        # clause number of every character: how many clause ends come before it
        clause_of = np.cumsum([ch in "。．!！?？\n" for ch in text]) if text else np.zeros(0)
        clauses: Dict[int, list[Any]] = {}
        for token, score in zip(tokens, scores, strict=False):
            clause_id = int(clause_of[min(token.start, len(clause_of) - 1)]) if len(clause_of) else 0
            entry = clauses.setdefault(clause_id, [token.start, token.end, 0.0])
            entry[1] = token.end
            entry[2] += float(score)
        best = max(clauses.values(), key=lambda e: e[2])
        return (int(best[0]), int(best[1])) if best[2] > 0 else None
