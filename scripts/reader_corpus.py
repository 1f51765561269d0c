"""The reader's training corpus (data/nlu/reader/): import, compose, check, count.

    python scripts/reader_corpus.py import staging/*.jsonl   # labelled JSON Lines → YAML by style
    python scripts/reader_corpus.py compose                  # framed variants → composed.yml
    python scripts/reader_corpus.py check                    # labels valid, no blind text inside
    python scripts/reader_corpus.py stats

The corpus is Rasa NLU YAML: each example carries ``impact``, ``scope`` and ``style``
in its metadata, and each block ``reader_only: true`` (see ja_nlu/impact_reader.py).
Hand-written texts live in ``<style>.yml``. ``composed.yml`` puts hand-written bodies
into frames of our own (an e-mail greeting and signature, a relayed report, a chat
opener): the labels do not change, since POLICY §2.1 reads the impact a text states,
not the story around it, and the reader learns to look past the frame.
"""

from __future__ import annotations

import argparse
import json
import random
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


def load_corpus(include_composed: bool = False) -> list[dict[str, Any]]:
    """Every example of the corpus as {text, impact, scope, style}."""
    from ruamel.yaml import YAML

    rows = []
    for path in sorted(CORPUS.glob("*.yml")):
        if path.name == "composed.yml" and not include_composed:
            continue
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


# ---- composed variants ---------------------------------------------------------------
# Our own frames. {body} is a hand-written chat/qa/casual/complaint/typo body.
_GREETINGS = (
    "お世話になっております。{company}の{name}です。",
    "いつもお世話になっております。\n{company} 情報システム部の{name}でございます。",
    "突然のご連絡失礼いたします。{company}で社内システムを担当している{name}と申します。",
    "サポートご担当者様\n\nお世話になります。{company}の{name}です。",
    "ご担当者様\n{company}の{name}です。表題の件でご相談させてください。",
    "お疲れさまです。{company}の{name}です。",
)
_CLOSINGS = (
    "お忙しいところ恐れ入りますが、よろしくお願いいたします。",
    "ご確認のほど、よろしくお願い申し上げます。",
    "何卒よろしくお願いいたします。",
    "取り急ぎご連絡まで。よろしくお願いします。",
    "ご対応をお願いできますでしょうか。",
)
_SIGNATURES = (
    "--\n{company}\n{dept} {name}\nTEL: {phone}\nMail: {email}",
    "━━━━━━━━━━━━\n{company} {dept}\n{name}\n電話 {phone} / {email}\n━━━━━━━━━━━━",
    "{company}\n{name}（{dept}）\n{phone}",
    "********************\n {name}\n {company} {dept}\n {email}\n********************",
)
_RELAYS = (
    "{dept}の{user}さんから次のような連絡がありました。\n「{body}」\n状況を確認していますが、ご相談させてください。",
    "利用者から問い合わせがあったので転送します。\n> {body}\n以上です。対応方法を教えてください。",
    "現場からの報告をそのまま貼ります。\n---\n{body}\n---\n情シスでも同じ状況を確認しています。",
    "ユーザーより以下の申告がありました。\n{body}\nこちらで把握している内容は上記のとおりです。",
)
_OPENERS = (
    "すみません、ちょっと相談です。",
    "こんにちは。",
    "急ぎではないかもしれませんが、",
    "初めて問い合わせます。",
    "お疲れさまです、",
    "あの、",
)
_COMPANIES = (
    "株式会社北斗物産",
    "みなと精機株式会社",
    "有限会社さくら会計",
    "青葉中央病院",
    "東和ロジスティクス株式会社",
    "株式会社ミライ設計",
    "西が丘市役所",
    "丸輪食品工業株式会社",
    "学校法人白樺学園",
    "株式会社オリオン商事",
    "いろは薬局",
    "株式会社カワセミ技研",
)
_NAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山口")
_DEPTS = ("情報システム部", "総務部", "システム課", "IT推進室", "管理部", "業務改革室")
_USERS = ("経理部の", "営業の", "受付の", "倉庫の", "", "製造課の")


def _fill(template: str, rng: random.Random, body: str) -> str:
    name = rng.choice(_NAMES)
    return template.format(
        body=body,
        company=rng.choice(_COMPANIES),
        name=name,
        dept=rng.choice(_DEPTS),
        user=rng.choice(_USERS) + rng.choice(_NAMES),
        phone=f"0{rng.randint(3, 9)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        email=f"{'abcdefghijk'[rng.randint(0, 10)]}.{rng.choice(['sato', 'kato', 'ito', 'mori'])}@example.co.jp",
    )


def compose(rows: list[dict[str, Any]], per_text: int, seed: int = 7) -> list[dict[str, Any]]:
    """Framed variants of the short hand-written texts (labels unchanged)."""
    rng = random.Random(seed)
    short = [
        r
        for r in rows
        if r["style"] in ("chat", "casual", "qa_title", "complaint", "typo_english") and len(r["text"]) < 160
    ]
    out = []
    for row in short:
        for _ in range(per_text):
            kind = rng.choice(("email", "relayed", "chat"))
            body = row["text"].strip()
            if kind == "email":
                parts = [_fill(rng.choice(_GREETINGS), rng, body), body, rng.choice(_CLOSINGS)]
                if rng.random() < 0.8:
                    parts.append(_fill(rng.choice(_SIGNATURES), rng, body))
                text = "\n\n".join(parts)
            elif kind == "relayed":
                text = _fill(rng.choice(_RELAYS), rng, body)
            else:
                text = rng.choice(_OPENERS) + body
            out.append({"text": text, "impact": row["impact"], "scope": row["scope"], "style": kind})
    return out


def cmd_compose(per_text: int) -> None:
    rows = load_corpus()
    composed = compose(rows, per_text)
    write_yaml(
        CORPUS / "composed.yml",
        composed,
        "Generated by `python scripts/reader_corpus.py compose`: hand-written bodies in our own frames",
    )
    print(f"composed {len(composed)} texts from {len(rows)} hand-written")


def cmd_check() -> int:
    rows = load_corpus(include_composed=True)
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
    rows = load_corpus(include_composed=True)
    hand = [r for r in rows if r["file"] != "composed.yml"]
    print(f"hand-written {len(hand)}, composed {len(rows) - len(hand)}, total {len(rows)}")
    for key in ("style", "impact", "scope"):
        print(key, dict(Counter(r[key] for r in hand).most_common()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_import = sub.add_parser("import")
    p_import.add_argument("files", nargs="+", type=Path)
    p_compose = sub.add_parser("compose")
    p_compose.add_argument("--per-text", type=int, default=1)
    sub.add_parser("check")
    sub.add_parser("stats")
    args = parser.parse_args(argv)
    if args.cmd == "import":
        cmd_import(args.files)
    elif args.cmd == "compose":
        cmd_compose(args.per_text)
    elif args.cmd == "check":
        return cmd_check()
    else:
        cmd_stats()
    return 0


if __name__ == "__main__":
    sys.exit(main())
