"""The reader's training corpus (data/nlu/reader/): import, compose, check, count.

    python scripts/reader_corpus.py import staging/*.jsonl   # labelled JSON Lines → YAML by style
    python scripts/reader_corpus.py check                    # labels valid, no blind text inside
    python scripts/reader_corpus.py stats

The corpus is Rasa NLU YAML: each example carries ``impact``, ``scope`` and ``style``
in its metadata, and each block ``reader_only: true`` (see ja_nlu/impact_reader.py).
Every text is hand-written, in ``<style>.yml``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from support_rules.reading import IMPACTS  # noqa: E402
from support_rules.scope import INTENT_SCOPES, SCOPES  # noqa: E402

CORPUS = ROOT / "data" / "nlu" / "reader"
BLIND = ROOT / "tests" / "reader_blind"
STYLES = (
    "chat",
    "casual",
    "email",
    "report",
    "relayed",
    "qa_title",
    "news",
    "complaint",
    "fix_and_cause",
    "typo_english",
)
SCOPE_INTENTS: dict[str, str] = {scope: intent for intent, scope in INTENT_SCOPES.items()}


def intent_for(scope: str) -> str:
    return SCOPE_INTENTS.get(scope, "report_problem")


def clean(text: str) -> str:
    """Rasa's YAML reader takes [x](y) / [x]{…} as entity markup: use full-width brackets
    (the tokenizer's NFKC turns them back into the same characters)."""
    return text.replace("[", "［").replace("]", "］").strip()


def read_jsonl(paths: Iterable[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{path}:{number}: skipped, not JSON ({exc})", file=sys.stderr)
                continue
            if not validate(row):
                labels = f"{row.get('impact')}/{row.get('scope')}/{row.get('style')}"
                print(f"{path}:{number}: skipped, invalid labels {labels}", file=sys.stderr)
                continue
            rows.append(row)
    return rows


def validate(row: dict[str, Any]) -> bool:
    return (
        isinstance(row.get("text"), str)
        and bool(row["text"].strip())
        and row.get("impact") in IMPACTS
        and row.get("scope") in SCOPES
        and row.get("style") in STYLES
    )


def write_yaml(path: Path, rows: list[dict[str, Any]], header: str) -> None:
    by_intent: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_intent.setdefault(intent_for(row["scope"]), []).append(row)
    lines = [f"# {header}", 'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  metadata:", "    reader_only: true", "  examples:"]
        for row in by_intent[intent]:
            lines.append("  - text: " + json.dumps(clean(row["text"]), ensure_ascii=False))
            lines.append(f"    metadata: {{impact: {row['impact']}, scope: {row['scope']}, style: {row['style']}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_corpus() -> list[dict[str, Any]]:
    """Every example of the corpus as {text, impact, scope, style, file}."""
    from ruamel.yaml import YAML

    rows = []
    for path in sorted(CORPUS.glob("*.yml")):
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for block in data.get("nlu", []):
            for example in block.get("examples", []):
                rows.append({"text": example["text"], **example["metadata"], "file": path.name})
    return rows


def cmd_import(paths: list[Path]) -> None:
    CORPUS.mkdir(parents=True, exist_ok=True)
    existing = load_corpus()
    seen = {normal(r["text"]) for r in existing}
    blind = {normal(r["text"]) for r in read_blind()}
    added: dict[str, list[dict[str, Any]]] = {}
    skipped = Counter[str]()
    for row in read_jsonl(paths):
        key = normal(row["text"])
        if key in blind:
            skipped["in a blind set"] += 1
            continue
        if key in seen:
            skipped["duplicate"] += 1
            continue
        seen.add(key)
        added.setdefault(row["style"], []).append(row)
    for style, rows in added.items():
        path = CORPUS / f"{style}.yml"
        old = [r for r in existing if r.get("file") == path.name]
        write_yaml(path, old + rows, f"Reader corpus, style '{style}': hand-written, labelled by docs/reader-labels.md")
    print(f"imported {sum(len(v) for v in added.values())} texts; skipped {dict(skipped)}")


def normal(text: str) -> str:
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", clean(text))).lower()


def read_blind() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(BLIND.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def cmd_check() -> int:
    rows = load_corpus()
    blind = {normal(r["text"]) for r in read_blind()}
    bad = [r for r in rows if not validate(r)]
    leaked = [r for r in rows if normal(r["text"]) in blind]
    for r in bad[:10]:
        print("invalid:", r, file=sys.stderr)
    for r in leaked[:10]:
        print("blind text in the corpus:", r["text"][:60], file=sys.stderr)
    print(f"{len(rows)} texts, {len(bad)} invalid, {len(leaked)} from a blind set")
    return 1 if bad or leaked else 0


def cmd_stats() -> None:
    rows = load_corpus()
    print(f"{len(rows)} hand-written texts")
    for key in ("style", "impact", "scope"):
        print(key, dict(Counter(r[key] for r in rows).most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_import = sub.add_parser("import")
    p_import.add_argument("files", nargs="+", type=Path)
    sub.add_parser("check")
    sub.add_parser("stats")
    args = parser.parse_args(argv)
    if args.cmd == "import":
        cmd_import(args.files)
    elif args.cmd == "check":
        return cmd_check()
    else:
        cmd_stats()
    return 0


if __name__ == "__main__":
    sys.exit(main())
