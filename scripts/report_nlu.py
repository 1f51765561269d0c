"""Print the held-out NLU scores from `rasa test nlu` and fail below the floor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results", type=Path, help="output folder of rasa test nlu")
    parser.add_argument("--min-accuracy", type=float, default=0.90)
    parser.add_argument("--min-macro-f1", type=float, default=0.90)
    args = parser.parse_args()
    report = json.loads((args.results / "intent_report.json").read_text(encoding="utf-8"))
    accuracy = float(report["accuracy"])
    macro = report["macro avg"]
    weighted = report["weighted avg"]
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v and "avg" not in k}
    print(f"held-out NLU: {int(macro['support'])} utterances, {len(intents)} intents")
    print(f"  accuracy     {accuracy:.3f}")
    print(
        f"  macro F1     {macro['f1-score']:.3f}   (precision {macro['precision']:.3f}, recall {macro['recall']:.3f})"
    )
    print(f"  weighted F1  {weighted['f1-score']:.3f}")
    weakest = sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])[:6]
    print("  weakest intents: " + ", ".join(f"{name} {v['f1-score']:.2f}" for name, v in weakest))
    if accuracy < args.min_accuracy or macro["f1-score"] < args.min_macro_f1:
        print(f"FAIL: below the floor (accuracy ≥ {args.min_accuracy}, macro F1 ≥ {args.min_macro_f1})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
