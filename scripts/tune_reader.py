"""Tune the reader's regularisation and cue weight by cross-validation on the corpus.

    .venv/bin/python scripts/tune_reader.py [--model models/x.tar.gz] [--cs 4,16] [--cue-weights 1,3]

Runs the corpus (data/nlu/reader) through the trained pipeline, keeps the reader's
feature rows, and reports 5-fold cross-validated impact accuracy (with A recall and
precision), scope accuracy and false redirects for each C and cue-feature weight.
The blind sets are never read; the guard-rail thresholds are checked on the dev set
with `python -m benchmarks.reader --dev`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def capture(model_path: str, texts: list[str]) -> tuple[scipy.sparse.csr_matrix, list[dict[str, Any]], int]:
    """Feature rows of ``texts`` as the trained reader sees them, the parses, and the
    number of cue columns (the last columns of each row)."""
    from rasa.core.agent import Agent

    from ja_nlu.impact_reader import ImpactScopeReader

    rows: list[tuple[Any, Any]] = []
    original = ImpactScopeReader.read

    def spy(self: ImpactScopeReader, message: Any) -> Any:
        assert self._features is not None
        rows.append(self._features.row(message))
        return original(self, message)

    ImpactScopeReader.read = spy  # type: ignore[method-assign]
    agent = Agent.load(model_path)
    parses = []
    width = cues = 0
    for text in texts:
        parses.append(asyncio.run(agent.parse_message(text)))
    for node in agent.processor.graph_runner._instantiated_nodes.values():  # type: ignore[attr-defined]
        component = getattr(node, "_component", None)
        if isinstance(component, ImpactScopeReader) and component._features is not None:
            width = component._features.width
            cues = max(len(component._features.cue_vocab), 1)
    indptr = np.cumsum([0] + [len(c) for c, _ in rows])
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate([v for _, v in rows]), np.concatenate([c for c, _ in rows]), indptr), shape=(len(rows), width)
    )
    return matrix, parses, cues


def main() -> int:
    from reader_corpus import load_corpus  # scripts/ is on sys.path when run as a script
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from triage_cli.oneshot import latest_model, quiet_logging

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--cs", default="2,4,8")
    parser.add_argument("--cue-weights", default="1,2,4")
    args = parser.parse_args()
    quiet_logging()
    model = args.model or latest_model(ROOT / "models")
    corpus = load_corpus()
    x, _, n_cues = capture(model, [r["text"] for r in corpus])
    y_imp = np.array([r["impact"] for r in corpus])
    y_scope = np.array([r["scope"] for r in corpus])
    folds = list(StratifiedKFold(5, shuffle=True, random_state=1).split(x, y_imp))
    for weight in [float(v) for v in args.cue_weights.split(",")]:
        scale = np.ones(x.shape[1])
        scale[-n_cues:] = weight
        xw = x @ scipy.sparse.diags(scale)
        for c in [float(v) for v in args.cs.split(",")]:
            oof = np.zeros((len(corpus), 5))
            oof_s = np.empty(len(corpus), dtype=object)
            classes = np.array([])
            for train, test in folds:
                m = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(xw[train], y_imp[train])
                oof[test] = m.predict_proba(xw[test])
                classes = m.classes_
                ms = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(xw[train], y_scope[train])
                oof_s[test] = ms.predict(xw[test])
            pred = classes[oof.argmax(axis=1)]
            in_scope = y_scope == "in_scope"
            a_true, a_pred = y_imp == "A", pred == "A"
            recall = np.sum(a_true & a_pred) / a_true.sum()
            precision = np.sum(a_true & a_pred) / a_pred.sum()
            print(
                f"cue weight {weight} C={c}: impact {np.mean(pred == y_imp):.3f} "
                f"(A recall {recall:.3f}, precision {precision:.3f}); "
                f"scope {np.mean(oof_s == y_scope):.3f}; false redirect {np.mean(oof_s[in_scope] != 'in_scope'):.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
