"""Side-by-side quality and speed benchmark: our NLU pipeline against two standard ones.

One command, one machine, the same data for all three pipelines:

    PYTHONPATH=. .venv/bin/python benchmarks/run.py            # full run (~1 h on 2 cores)
    PYTHONPATH=. .venv/bin/python benchmarks/run.py --quick    # smoke run (few epochs, few messages)

Pipelines: ``ours`` (config.yml), ``baseline_char_ngram`` and ``spacy_ginza``
(benchmarks/configs/). For each one, sequentially:

1. ``rasa train`` in a child process (fresh, empty Rasa cache so nothing is reused):
   wall time, peak RSS of the child (``os.wait4``), model size;
2. a fresh evaluation process that loads the model (cold start, ``Agent.load`` time,
   peak RSS after loading), then parses the held-out NLU set (tests/nlu/) after a
   warm-up — per-message latency, intent accuracy, macro-F1, per-intent F1, confusion
   matrix — and runs the one-shot triage (``OneShotTriage`` with ``rasa_parser``) on
   benchmarks/heldout_oneshot.jsonl, or tests/oneshot/fixtures.jsonl when that file
   does not exist;
3. for ours only: full-turn latency through REST with the custom actions, using the
   live servers of tests/live.py (frozen clock, free ports), a fixed 6-turn triage
   conversation repeated 10 times.

Results: benchmarks/results/benchmark.{json,md,png}; models, logs and scratch files go
to benchmarks/tmp/ (removed and recreated by each run).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/run.py
    sys.path.insert(0, str(ROOT))

from benchmarks.load.sampler import vm_hwm_mb  # noqa: E402  (peak RSS from /proc, shared with the load benchmark)

BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
WORK = BENCH / "tmp"
HELD_OUT_NLU = ROOT / "tests" / "nlu" / "test_nlu.yml"
HELD_OUT_ONESHOT = BENCH / "heldout_oneshot.jsonl"
FIXTURES_ONESHOT = ROOT / "tests" / "oneshot" / "fixtures.jsonl"
# The development set the severity/scope rules were tuned on: reported apart from the
# held-out figures, never mixed into them.
DEV_ONESHOT = BENCH / "dev_oneshot.jsonl"


# A fixed triage conversation, inside business hours (tests.live.INSIDE_HOURS):
# greeting, a partial-impact problem (→ B, confirmation), confirmation, an FAQ
# question in the middle of the form, the contract, the four contact details for the
# intake ticket (→ outcome and ticket number), a survey rating and comment, thanks.
CONVERSATION: tuple[str, ...] = (
    "お世話になっております。",
    "営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。",
    "はい、合ってます",
    "ちなみに料金っていくらですか？",
    "5インシデントパックを契約しています",
    "株式会社サンプル商事",
    "山田 太郎",
    "03-1234-5678",
    "taro.yamada@example.co.jp",
    "4",
    "特にありません",
    "ありがとうございました",
)
EXPECTED_RESPONSES: tuple[str, ...] = (
    "utter_greet",
    "utter_ask_severity_confirmed",
    "utter_ask_contract",
    "utter_faq_price",
    "utter_ask_contract",
    "utter_ask_contact_company",
    "utter_ask_contact_name",
    "utter_ask_contact_phone",
    "utter_ask_contact_email",
    "utter_outcome_now",
    "utter_contract_ok_pack5",
    "utter_ticket_created",
    "utter_ask_survey_rating",
    "utter_ask_survey_comment",
    "utter_survey_thanks",
    "utter_anything_else",
    "utter_thank",
)


@dataclass(frozen=True)
class Pipeline:
    key: str
    label: str
    config: Path


PIPELINES: tuple[Pipeline, ...] = (
    Pipeline("ours", "ours: Sudachi+NFKC, lookup, n-grams, ginza vectors, feed-forward DIET", ROOT / "config.yml"),
    Pipeline("baseline_char_ngram", "Rasa default + char n-grams", BENCH / "configs" / "baseline_char_ngram.yml"),
    Pipeline("spacy_ginza", "SpacyNLP + ja_ginza", BENCH / "configs" / "spacy_ginza.yml"),
)
REFERENCE = "ours"


@dataclass(frozen=True)
class Settings:
    quick: bool
    epoch_factor: float
    messages: int | None  # held-out NLU utterances to parse (None = all)
    oneshot_rows: int | None
    conversations: int
    warmup: int


# --------------------------------------------------------------------------- utilities
def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(cache_dir: Path | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if cache_dir is not None:
        # A fresh, empty training cache: components must really be trained, not
        # restored from .rasa/cache of an earlier `make train`.
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    return env


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    started_at: float  # time.time() just before the child was spawned


def run_measured(command: Sequence[str], env: dict[str, str], log_path: Path) -> ChildRun:
    """Run a child to completion; wall time and its own peak RSS (os.wait4, not the
    cumulative RUSAGE_CHILDREN maximum, which would mix up sequential children)."""
    with log_path.open("wb") as out:
        started_at = time.time()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(process.returncode, wall, usage.ru_maxrss / 1024.0, started_at)


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    import numpy as np

    if not values:
        return {"p50": None, "p95": None, "mean": None, "max": None, "n": 0}
    array = np.asarray(values, dtype=float)
    return {
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "mean": float(array.mean()),
        "max": float(array.max()),
        "n": len(values),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
                break
    versions: dict[str, str] = {}
    for package in ("rasa", "tensorflow", "spacy", "ja-ginza", "ginza", "SudachiPy", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "ram_gb": round(ram_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "git_commit": commit,
    }


# --------------------------------------------------------------------------- training
def scaled_config(pipeline: Pipeline, factor: float, directory: Path) -> tuple[Path, dict[str, int]]:
    """The config to train: the original file, or a copy with every `epochs` scaled."""
    with pipeline.config.open(encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    epochs: dict[str, int] = {}
    for section in ("pipeline", "policies"):
        for component in config.get(section) or []:
            if "epochs" in component:
                if factor != 1.0:
                    component["epochs"] = max(1, round(int(component["epochs"]) * factor))
                epochs[str(component["name"]).rsplit(".", 1)[-1]] = int(component["epochs"])
    if factor == 1.0:
        return pipeline.config, epochs
    path = directory / f"{pipeline.key}.yml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, allow_unicode=True, sort_keys=False)
    return path, epochs


COMPONENT_LINE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) INFO\s+rasa\.engine\.training\.hooks\s+- "
    r"(Starting to train|Finished training) component '([^']+)'"
)


def component_seconds(log_path: Path) -> dict[str, float]:
    """Seconds per trained component from the training log (1-s resolution; summed
    over components of the same class, e.g. both CountVectorsFeaturizers)."""
    started: dict[str, dt.datetime] = {}
    spent: dict[str, float] = {}
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = COMPONENT_LINE.search(line)
        if not match:
            continue
        stamp = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        name = match.group(3)
        if match.group(2).startswith("Starting"):
            started[name] = stamp
        elif name in started:
            spent[name] = spent.get(name, 0.0) + (stamp - started.pop(name)).total_seconds()
    return spent


def train(pipeline: Pipeline, settings: Settings) -> dict[str, Any]:
    models = WORK / "models"
    config, epochs = scaled_config(pipeline, settings.epoch_factor, WORK / "configs")
    name = f"bench-{pipeline.key}"
    cache = Path(tempfile.mkdtemp(prefix=f"cache-{pipeline.key}-", dir=WORK))
    command = [
        str(Path(sys.executable).parent / "rasa"), "train",
        "--config", str(config), "--domain", "domain", "--data", "data",
        "--out", str(models), "--fixed-model-name", name,
    ]  # fmt: skip
    log(f"training {pipeline.key} ({config.relative_to(ROOT)}, epochs {epochs}) …")
    log_path = WORK / "logs" / f"train-{pipeline.key}.log"
    run = run_measured(command, child_env(cache), log_path)
    shutil.rmtree(cache, ignore_errors=True)
    model = models / f"{name}.tar.gz"
    if run.returncode != 0 or not model.exists():
        raise RuntimeError(f"training {pipeline.key} failed (exit {run.returncode}): see {WORK / 'logs'}")
    log(f"trained {pipeline.key} in {run.wall_s:.0f} s, peak RSS {run.peak_rss_mb:.0f} MB")
    return {
        "config": str(config.relative_to(ROOT)),
        "epochs": epochs,
        "wall_s": run.wall_s,
        "component_s": component_seconds(log_path),
        "peak_rss_mb": run.peak_rss_mb,
        "model_path": str(model.relative_to(ROOT)),
        "model_mb": model.stat().st_size / 1024 / 1024,
    }


# --------------------------------------------------------------------------- evaluation (worker)
def read_oneshot(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows with an input and an expected outcome; unreadable lines are counted, not fatal."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("input"), dict) and isinstance(row.get("expected"), dict):
            rows.append(row)
        else:
            skipped += 1
    return rows, skipped


T = TypeVar("T")


def spread(items: list[T], limit: int | None) -> list[T]:
    """At most ``limit`` items taken evenly across the list (every intent, every kind of row)."""
    if limit is None or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def nlu_metrics(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Scores as `rasa test nlu` reports them (sklearn over the union of labels)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = sorted(set(gold) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    matrix = confusion_matrix(gold, predicted, labels=labels)
    confusions: list[dict[str, Any]] = [
        {"gold": labels[i], "predicted": labels[j], "count": int(matrix[i][j])}
        for i in range(len(labels))
        for j in range(len(labels))
        if i != j and matrix[i][j] > 0
    ]
    confusions.sort(key=lambda c: (-int(c["count"]), str(c["gold"])))
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(sum(f1) / len(f1)) if len(f1) else 0.0,
        "macro_precision": float(sum(precision) / len(precision)) if len(precision) else 0.0,
        "macro_recall": float(sum(recall) / len(recall)) if len(recall) else 0.0,
        "per_intent": per_intent,
        "confusion_matrix": {"labels": labels, "matrix": matrix.tolist()},
        "top_confusions": confusions,
    }


def oneshot_metrics(rows: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    def share(hits: int, total: int) -> float | None:
        return hits / total if total else None

    fields = ("severity", "scope", "redirect")
    correct = dict.fromkeys(fields, 0)
    exact = errors = 0
    true_a = predicted_a = both_a = 0
    unstated = left_open = guessed_a = 0
    misses: list[dict[str, Any]] = []
    for row, out in zip(rows, outputs, strict=True):
        expected = row["expected"]
        if "error" in out:
            errors += 1
        for name in fields:
            correct[name] += int(out.get(name) == expected.get(name))
        if all(out.get(key) == value for key, value in expected.items()):
            exact += 1
        elif len(misses) < 40:
            misses.append({
                "id": row["input"].get("id"),
                "intent": out.get("intent"),
                "got": {k: out.get(k) for k in expected},
                "expected": expected,
            })  # fmt: skip
        is_a, said_a = expected.get("severity") == "A", out.get("severity") == "A"
        true_a += is_a
        predicted_a += said_a
        both_a += is_a and said_a
        if expected.get("severity") is None and "impact" in (expected.get("missing") or []):
            unstated += 1
            left_open += out.get("severity") is None
            guessed_a += said_a
    total = len(rows)
    return {
        "n": total,
        "errors": errors,
        "severity_accuracy": share(correct["severity"], total),
        "scope_accuracy": share(correct["scope"], total),
        "redirect_accuracy": share(correct["redirect"], total),
        "all_fields_exact": share(exact, total),
        "a_recall": share(both_a, true_a),
        "a_precision": share(both_a, predicted_a),
        "a_support": true_a,
        "impact_not_stated_n": unstated,
        "impact_not_stated_left_open": share(left_open, unstated),
        "impact_not_stated_guessed_a": guessed_a,
        "mismatches": misses,
    }


async def evaluate(model: str, oneshot_path: Path, settings: Settings) -> dict[str, Any]:
    """Runs inside a fresh worker process: load, parse the held-out set, one-shot triage."""
    started = time.perf_counter()
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers import fallback_classifier
    from rasa.shared.nlu.training_data.loading import load_data

    imported = time.perf_counter()
    agent = Agent.load(model)
    loaded = time.perf_counter()
    loaded_at = time.time()
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    examples = [(str(m.get("text")), str(m.get("intent"))) for m in load_data(str(HELD_OUT_NLU)).intent_examples]
    examples = spread(examples, settings.messages)
    for text, _ in examples[: settings.warmup]:  # warm-up: TF graph tracing, caches
        await agent.parse_message(text)

    latencies: list[float] = []
    gold: list[str] = []
    predicted: list[str] = []  # as `rasa test nlu`: the fallback prediction undone
    strict: list[str] = []  # as the conversation sees it: nlu_fallback counts as wrong
    for text, intent in examples:
        start = time.perf_counter()
        result = await agent.parse_message(text)
        latencies.append((time.perf_counter() - start) * 1000.0)
        strict.append(str((result.get("intent") or {}).get("name")))
        if fallback_classifier.is_fallback_classifier_prediction(result):
            result = fallback_classifier.undo_fallback_prediction(result)
        predicted.append(str((result.get("intent") or {}).get("name")))
        gold.append(intent)
    nlu = nlu_metrics(gold, predicted)
    nlu["strict_accuracy"] = sum(g == s for g, s in zip(gold, strict, strict=True)) / len(gold) if gold else None
    nlu["fallback_rate"] = strict.count("nlu_fallback") / len(strict) if strict else None

    # One-shot triage with the project's own parser, built on the agent loaded above
    # (rasa_parser calls Agent.load itself; loading the model twice would skew memory).
    from unittest import mock

    from triage_cli.oneshot import OneShotTriage, rasa_parser

    with mock.patch.object(Agent, "load", return_value=agent):
        parser = rasa_parser(model)
    triage = OneShotTriage(parser)
    rows, skipped = read_oneshot(oneshot_path)
    rows = spread(rows, settings.oneshot_rows)
    outputs: list[dict[str, Any]] = []
    oneshot_latencies: list[float] = []
    for row in rows:
        start = time.perf_counter()
        outputs.append(await triage.process_line(json.dumps(row["input"], ensure_ascii=False)))
        oneshot_latencies.append((time.perf_counter() - start) * 1000.0)
    oneshot = oneshot_metrics(rows, outputs)
    oneshot["skipped_lines"] = skipped
    oneshot["latency_ms"] = percentiles(oneshot_latencies)
    # The dev set (tuning set of the rules), after the held-out set so it cannot warm
    # anything the held-out figures depend on.
    oneshot_dev: dict[str, Any] | None = None
    if DEV_ONESHOT.exists() and not settings.quick:
        dev_rows, dev_skipped = read_oneshot(DEV_ONESHOT)
        dev_outputs = [await triage.process_line(json.dumps(row["input"], ensure_ascii=False)) for row in dev_rows]
        oneshot_dev = oneshot_metrics(dev_rows, dev_outputs)
        oneshot_dev["skipped_lines"] = dev_skipped

    return {
        "load": {
            "import_s": imported - started,
            "agent_load_s": loaded - imported,
            "loaded_at": loaded_at,
            "peak_rss_after_load_mb": rss_after_load,
        },
        "parse_latency_ms": percentiles(latencies),
        "nlu": nlu,
        "oneshot": oneshot,
        "oneshot_dev": oneshot_dev,
    }


def worker_main(model: str, oneshot: Path, out: Path, settings: Settings) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(evaluate(model, oneshot, settings))
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


def evaluate_in_child(pipeline: Pipeline, model: Path, oneshot: Path, settings: Settings) -> dict[str, Any]:
    out = WORK / f"eval-{pipeline.key}.json"
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker", str(model),
        "--oneshot-file", str(oneshot), "--worker-out", str(out), *settings_args(settings),
    ]  # fmt: skip
    log(f"evaluating {pipeline.key} in a fresh process …")
    run = run_measured(command, child_env(WORK / "cache-eval"), WORK / "logs" / f"eval-{pipeline.key}.log")
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"evaluation of {pipeline.key} failed (exit {run.returncode}): see {WORK / 'logs'}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    load = result["load"]
    load["cold_start_s"] = load.pop("loaded_at") - run.started_at
    result["process_peak_rss_mb"] = run.peak_rss_mb
    result["process_wall_s"] = run.wall_s
    nlu = result["nlu"]
    log(
        f"{pipeline.key}: accuracy {nlu['accuracy']:.3f}, macro-F1 {nlu['macro_f1']:.3f}, "
        f"parse p50 {result['parse_latency_ms']['p50']:.1f} ms, load {load['agent_load_s']:.1f} s"
    )
    return result


def settings_args(settings: Settings) -> list[str]:
    args = ["--epoch-factor", str(settings.epoch_factor), "--conversations", str(settings.conversations)]
    args += ["--warmup", str(settings.warmup)]
    if settings.quick:
        args.append("--quick")
    if settings.messages is not None:
        args += ["--messages", str(settings.messages)]
    if settings.oneshot_rows is not None:
        args += ["--oneshot-rows", str(settings.oneshot_rows)]
    return args


# --------------------------------------------------------------------------- full turns (ours)
def conversation_latency(models: dict[str, Path], settings: Settings) -> dict[str, dict[str, Any]]:
    """REST round trips with the real action server, frozen clock, free ports.

    Every pipeline's servers run at the same time and the conversations are
    interleaved — round r sends conversation r to each pipeline, in an order that
    rotates every round — so a busy moment of the machine falls on all of them alike
    instead of on whichever pipeline happened to be measured then.
    """
    import tests.live as live

    # tests/live.py resolves its project root as parents[2] of its own path, which
    # is one level above the project since the file moved from tests/e2e/ to tests/;
    # the servers must start in the project folder (actions/, endpoints.yml).
    if not (live.ROOT / "endpoints.yml").exists():
        live.ROOT = ROOT
    keys = list(models)
    scratch = {key: Path(tempfile.mkdtemp(prefix=f"desk-{key}-", dir=WORK)) for key in keys}
    desks = {
        key: live.Desk(live.INSIDE_HOURS, scratch[key], rasa_port=live.free_port(), action_port=live.free_port())
        for key in keys
    }
    turns: dict[str, list[float]] = {key: [] for key in keys}
    per_turn: dict[str, list[list[float]]] = {key: [[] for _ in CONVERSATION] for key in keys}
    mismatched = dict.fromkeys(keys, 0)
    unexpected: dict[str, list[str] | None] = dict.fromkeys(keys)
    ready_s: dict[str, float] = {}
    server_rss: dict[str, dict[str, float | None]] = {key: {} for key in keys}
    try:
        for key in keys:  # one after the other: each start is timed on its own
            desk = desks[key]
            log(f"starting {key}'s action and Rasa servers on 127.0.0.1:{desk.action_port} / :{desk.rasa_port} …")
            start = time.perf_counter()
            desk.start(str(models[key]))
            desk.wait_ready()
            ready_s[key] = time.perf_counter() - start
        for index in range(settings.conversations + 1):  # round 0 is a warm-up
            for key in keys[index % len(keys) :] + keys[: index % len(keys)]:
                desk = desks[key]
                sender = desk.new_sender()
                for number, message in enumerate(CONVERSATION):
                    start = time.perf_counter()
                    desk.say(sender, message)
                    elapsed = (time.perf_counter() - start) * 1000.0
                    if index > 0:
                        turns[key].append(elapsed)
                        per_turn[key][number].append(elapsed)
                responses = desk.responses_after(sender)
                if tuple(responses) != EXPECTED_RESPONSES:
                    mismatched[key] += 1
                    unexpected[key] = unexpected[key] or responses
        for key in keys:
            for name, process in zip(("action_server", "rasa_server"), desks[key].processes, strict=False):
                server_rss[key][name] = vm_hwm_mb(process.pid)
    finally:
        for key in keys:
            desks[key].stop()
            shutil.rmtree(scratch[key], ignore_errors=True)
    results: dict[str, dict[str, Any]] = {}
    for key in keys:
        results[key] = {
            "conversations": settings.conversations,
            "turns_per_conversation": len(CONVERSATION),
            "interleaved_with": [k for k in keys if k != key],
            "servers_ready_s": ready_s[key],
            "turn_latency_ms": percentiles(turns[key]),
            "per_turn_p50_ms": [percentiles(t)["p50"] for t in per_turn[key]],
            "conversation_messages": list(CONVERSATION),
            "expected_responses": list(EXPECTED_RESPONSES),
            "conversations_with_unexpected_responses": mismatched[key],
            "first_unexpected_responses": unexpected[key],
            "server_peak_rss_mb": server_rss[key],
        }
        latency = results[key]["turn_latency_ms"]
        log(f"{key} full turns: p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, {mismatched[key]} unexpected")
    return results


# --------------------------------------------------------------------------- reporting
# (label, path into a pipeline's result, format, which direction is better)
Headline = tuple[str, tuple[str, ...], str, str]
HEADLINES: tuple[Headline, ...] = (
    ("intent accuracy (held-out NLU)", ("nlu", "accuracy"), "{:.3f}", "higher"),
    ("macro-F1 (held-out NLU)", ("nlu", "macro_f1"), "{:.3f}", "higher"),
    ("accuracy with nlu_fallback counted wrong", ("nlu", "strict_accuracy"), "{:.3f}", "higher"),
    ("nlu_fallback rate", ("nlu", "fallback_rate"), "{:.3f}", "lower"),
    ("one-shot: severity accuracy", ("oneshot", "severity_accuracy"), "{:.3f}", "higher"),
    ("one-shot: scope accuracy", ("oneshot", "scope_accuracy"), "{:.3f}", "higher"),
    ("one-shot: redirect accuracy", ("oneshot", "redirect_accuracy"), "{:.3f}", "higher"),
    ("one-shot: all expected fields exact", ("oneshot", "all_fields_exact"), "{:.3f}", "higher"),
    ("one-shot: recall of A", ("oneshot", "a_recall"), "{:.3f}", "higher"),
    ("one-shot: precision of A", ("oneshot", "a_precision"), "{:.3f}", "higher"),
    ("one-shot: impact not stated → left open", ("oneshot", "impact_not_stated_left_open"), "{:.3f}", "higher"),
    ("dev set (tuning, not held out): all fields exact", ("oneshot_dev", "all_fields_exact"), "{:.3f}", "higher"),
    ("dev set (tuning, not held out): severity accuracy", ("oneshot_dev", "severity_accuracy"), "{:.3f}", "higher"),
    ("dev set (tuning, not held out): recall of A", ("oneshot_dev", "a_recall"), "{:.3f}", "higher"),
    ("parse latency p50 (ms)", ("parse_latency_ms", "p50"), "{:.1f}", "lower"),
    ("parse latency p95 (ms)", ("parse_latency_ms", "p95"), "{:.1f}", "lower"),
    ("one-shot latency p50 (ms / inquiry)", ("oneshot", "latency_ms", "p50"), "{:.1f}", "lower"),
    ("full turn via REST + actions p50 (ms)", ("full_turns", "turn_latency_ms", "p50"), "{:.0f}", "lower"),
    ("full turn via REST + actions p95 (ms)", ("full_turns", "turn_latency_ms", "p95"), "{:.0f}", "lower"),
    (
        "full-turn conversations with unexpected replies",
        ("full_turns", "conversations_with_unexpected_responses"),
        "{:.0f}",
        "lower",
    ),
    ("training wall time, `rasa train` (s)", ("training", "wall_s"), "{:.0f}", "lower"),
    ("… of which DIETClassifier (s)", ("training", "component_s", "DIETClassifier"), "{:.0f}", "lower"),
    ("… of which TEDPolicy (s)", ("training", "component_s", "TEDPolicy"), "{:.0f}", "lower"),
    ("training peak RSS (MB)", ("training", "peak_rss_mb"), "{:.0f}", "lower"),
    ("model size (MB)", ("training", "model_mb"), "{:.1f}", "lower"),
    ("Agent.load time (s)", ("load", "agent_load_s"), "{:.1f}", "lower"),
    ("cold start: spawn → model loaded (s)", ("load", "cold_start_s"), "{:.1f}", "lower"),
    ("peak RSS after loading (MB)", ("load", "peak_rss_after_load_mb"), "{:.0f}", "lower"),
    ("peak RSS of the evaluation process (MB)", ("process_peak_rss_mb",), "{:.0f}", "lower"),
)


def dig(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ratio(value: Any, reference: Any) -> float | None:
    if isinstance(value, bool) or isinstance(reference, bool):
        return None
    if isinstance(value, int | float) and isinstance(reference, int | float) and reference != 0:
        return float(value) / float(reference)
    return None


def ratios_to(data: Any, reference: Any) -> Any:
    """Every number in ``data`` divided by the same number of the reference pipeline."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in ("confusion_matrix", "top_confusions", "mismatches", "epochs"):
                continue
            sub = ratios_to(value, reference.get(key) if isinstance(reference, dict) else None)
            if sub is not None and sub != {}:
                out[key] = sub
        return out
    if isinstance(data, list) and isinstance(reference, list) and len(data) == len(reference):
        return [ratio(v, r) for v, r in zip(data, reference, strict=True)]
    return ratio(data, reference)


def cell(value: Any, fmt: str, reference: Any, is_reference: bool) -> str:
    if value is None:
        return "—"
    text = fmt.format(value)
    if is_reference:
        return text
    factor = ratio(value, reference)
    return f"{text} (×{factor:.2f})" if factor is not None else text


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    results = report["pipelines"]
    keys = list(results)
    names = " | ".join(f"`{k}`" for k in keys)
    reference_dev = results[REFERENCE].get("oneshot_dev")
    lines = [
        "# NLU pipeline benchmark: ours vs. two standard Rasa set-ups",
        "",
        f"- **Date:** {report['date']} · run took {report['total_run_s'] / 60:.1f} min"
        + (" · **QUICK smoke run (few epochs, few messages): not representative**" if report["quick"] else ""),
        f"- **Machine:** {machine['cpu_model']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, "
        f"{machine['os']}; Python {machine['python']}",
        "- **Versions:** "
        + ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
        + (f"; repo at {machine['git_commit']}" if machine["git_commit"] else ""),
        f"- **Held-out NLU set:** `{report['data']['nlu_file']}` ({report['data']['nlu_utterances']} utterances"
        f" parsed, after {report['settings']['warmup']} warm-up parses) · **one-shot set:** "
        f"`{report['data']['oneshot_file']}` ({report['data']['oneshot_rows']} inquiries)",
        *(
            [
                f"- **Dev one-shot set:** `benchmarks/dev_oneshot.jsonl` ({reference_dev['n']} inquiries) — the set "
                "the severity/scope rules were tuned on, reported apart (rows marked *dev set*); not a held-out figure"
            ]
            if reference_dev
            else []
        ),
        f"- **Epochs (scale ×{report['settings']['epoch_factor']}):** "
        + "; ".join(
            f"`{k}` " + ", ".join(f"{c} {n}" for c, n in results[k]["training"]["epochs"].items()) for k in keys
        ),
        "",
        "Ratios in parentheses are relative to `ours` (×1.00 = same). Higher is better for accuracy-type "
        "figures, lower for times, latencies and memory.",
        "",
        f"| figure | better | {names} |",
        "|---|---|" + "---|" * len(keys),
    ]
    reference = results[REFERENCE]
    for label, path, fmt, better in HEADLINES:
        row = [cell(dig(results[k], path), fmt, dig(reference, path), k == REFERENCE) for k in keys]
        lines.append(f"| {label} | {better} | " + " | ".join(row) + " |")

    turns_by_key = {k: results[k].get("full_turns") for k in keys if results[k].get("full_turns")}
    if turns_by_key:
        first = next(iter(turns_by_key.values()))
        lines += [
            "",
            "## Full turns through REST with custom actions",
            "",
            f"{first['conversations']} conversations × {first['turns_per_conversation']} turns per pipeline (after "
            "one warm-up round), real `rasa run` + `rasa run actions` on free local ports, clock frozen at "
            "Wednesday 10:00 JST, SQLite tracker store; the same conversation for each pipeline's model. All "
            "pipelines' servers run at once and the conversations are interleaved (one per pipeline per round, "
            "the order rotating), so the machine's busy moments fall on all of them alike.",
            "",
            "| pipeline | p50 (ms) | p95 (ms) | mean (ms) | max (ms) | servers ready (s) | Rasa server peak RSS (MB) "
            "| unexpected replies |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key, turns in turns_by_key.items():
            latency = turns["turn_latency_ms"]
            lines.append(
                f"| `{key}` | {fmt_opt(latency['p50'], '{:.0f}')} | {fmt_opt(latency['p95'], '{:.0f}')} | "
                f"{fmt_opt(latency['mean'], '{:.0f}')} | {fmt_opt(latency['max'], '{:.0f}')} | "
                f"{turns['servers_ready_s']:.1f} | "
                f"{fmt_opt(turns['server_peak_rss_mb'].get('rasa_server'), '{:.0f}')} | "
                f"{turns['conversations_with_unexpected_responses']} |"
            )
        lines += [
            "",
            "Per turn (p50 ms, "
            + " / ".join(f"`{k}`" for k in turns_by_key)
            + "): "
            + ", ".join(
                f"{message} → "
                + " / ".join(fmt_opt(t["per_turn_p50_ms"][index], "{:.0f}") for t in turns_by_key.values())
                for index, message in enumerate(first["conversation_messages"])
            ),
        ]

    lines += ["", "## Per-intent F1 (held-out NLU)", ""]
    lines += [f"| intent | support | {names} |", "|---|---|" + "---|" * len(keys)]
    intents = sorted(
        {i for k in keys for i, v in results[k]["nlu"]["per_intent"].items() if v["support"] > 0},
        key=lambda i: reference["nlu"]["per_intent"].get(i, {}).get("f1", 0.0),
    )
    for intent in intents:
        support = max(results[k]["nlu"]["per_intent"].get(intent, {}).get("support", 0) for k in keys)
        row = [
            cell(dig(results[k], ("nlu", "per_intent", intent, "f1")), "{:.2f}",
                 dig(reference, ("nlu", "per_intent", intent, "f1")), k == REFERENCE)
            for k in keys
        ]  # fmt: skip
        lines.append(f"| {intent} | {support} | " + " | ".join(row) + " |")

    lines += ["", "## Most frequent confusions (gold → predicted × count)", ""]
    for key in keys:
        top = results[key]["nlu"]["top_confusions"][:8]
        text = ", ".join(f"{c['gold']} → {c['predicted']} ×{c['count']}" for c in top) or "none"
        lines.append(f"- `{key}`: {text}")
    lines += [
        "",
        "Full confusion matrices, per-intent precision/recall, one-shot mismatches and every ratio to "
        "`ours` are in `benchmark.json`. How to read the figures: `benchmarks/README.md`.",
        "",
    ]
    return "\n".join(lines)


def fmt_opt(value: Any, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["pipelines"]
    keys = list(results)
    width = 0.38
    positions = list(range(len(keys)))
    figure, (quality, speed) = plt.subplots(1, 2, figsize=(12, 4.8))

    def bars(axis: Any, series: list[tuple[str, list[float]]], fmt: str) -> None:
        for offset, (label, values) in zip((-width / 2, width / 2), series, strict=True):
            drawn = axis.bar([p + offset for p in positions], values, width, label=label)
            axis.bar_label(drawn, labels=[fmt.format(v) for v in values], fontsize=8, padding=2)
        axis.set_xticks(positions)
        axis.set_xticklabels(keys)
        axis.legend(loc="upper center", ncol=2, frameon=False)
        axis.margins(y=0.15)

    def values(path: tuple[str, ...]) -> list[float]:
        return [float(dig(results[k], path) or 0.0) for k in keys]

    accuracy, macro_f1 = values(("nlu", "accuracy")), values(("nlu", "macro_f1"))
    bars(quality, [("intent accuracy", accuracy), ("macro-F1", macro_f1)], "{:.3f}")
    low = min(accuracy + macro_f1)
    quality.set_ylim(max(0.0, low - 0.1), 1.08)
    quality.set_title(f"Held-out NLU ({report['data']['nlu_utterances']} utterances)")
    bars(speed, [("p50", values(("parse_latency_ms", "p50"))), ("p95", values(("parse_latency_ms", "p95")))], "{:.1f}")
    speed.set_ylabel("ms per message")
    speed.set_title("Parse latency (Agent.parse_message, after warm-up)")
    figure.suptitle(
        f"{report['date']} · {report['machine']['cpu_model']}, {report['machine']['cores']} cores"
        + (" · QUICK smoke run" if report["quick"] else ""),
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# --------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: epochs ×0.05, 60 messages, 2 conversations")
    parser.add_argument("--epoch-factor", type=float, help="scale every `epochs` in all three configs equally")
    parser.add_argument("--messages", type=int, help="held-out NLU utterances to parse (default: all)")
    parser.add_argument("--oneshot-rows", type=int, help="one-shot inquiries to triage (default: all)")
    parser.add_argument("--conversations", type=int, help="measured REST conversations (default 10)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up parses before timing (default 20)")
    parser.add_argument("--only", nargs="+", choices=[p.key for p in PIPELINES], help="subset of pipelines")
    # Internal: the evaluation worker.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--oneshot-file", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    quick = bool(args.quick)
    return Settings(
        quick=quick,
        epoch_factor=args.epoch_factor if args.epoch_factor is not None else (0.05 if quick else 1.0),
        messages=args.messages if args.messages is not None else (60 if quick else None),
        oneshot_rows=args.oneshot_rows if args.oneshot_rows is not None else (20 if quick else None),
        conversations=args.conversations if args.conversations is not None else (2 if quick else 10),
        warmup=args.warmup,
    )


def snapshot_oneshot() -> tuple[Path, Path]:
    """Freeze the one-shot set for this run so every model sees the same rows."""
    source = HELD_OUT_ONESHOT if HELD_OUT_ONESHOT.exists() and HELD_OUT_ONESHOT.stat().st_size > 0 else FIXTURES_ONESHOT
    copy = WORK / "oneshot-snapshot.jsonl"
    shutil.copyfile(source, copy)
    return source, copy


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    if args.worker:
        return worker_main(args.worker, args.oneshot_file, args.worker_out, settings)

    begin = time.perf_counter()
    date = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    shutil.rmtree(WORK, ignore_errors=True)
    for folder in (WORK / "models", WORK / "logs", WORK / "configs", RESULTS):
        folder.mkdir(parents=True, exist_ok=True)
    pipelines = [p for p in PIPELINES if not args.only or p.key in args.only]
    if REFERENCE not in [p.key for p in pipelines]:
        raise SystemExit("the reference pipeline `ours` must be part of the run")
    oneshot_source, oneshot = snapshot_oneshot()
    rows, skipped = read_oneshot(oneshot)
    log(f"one-shot set: {oneshot_source.relative_to(ROOT)} ({len(rows)} rows, {skipped} unreadable lines)")

    results: dict[str, dict[str, Any]] = {p.key: {"label": p.label} for p in pipelines}
    for pipeline in pipelines:  # sequential: the machine has 2 cores
        results[pipeline.key]["training"] = train(pipeline, settings)
    for pipeline in pipelines:
        model = ROOT / results[pipeline.key]["training"]["model_path"]
        results[pipeline.key].update(evaluate_in_child(pipeline, model, oneshot, settings))
    # The same conversations through REST with each pipeline's model, interleaved.
    models = {p.key: ROOT / results[p.key]["training"]["model_path"] for p in pipelines}
    for key, turns in conversation_latency(models, settings).items():
        results[key]["full_turns"] = turns

    reference = results[REFERENCE]
    ratios = {key: ratios_to(value, reference) for key, value in results.items()}
    nlu_count = results[REFERENCE]["nlu"]["n"]
    report: dict[str, Any] = {
        "date": date,
        "quick": settings.quick,
        "settings": {
            "epoch_factor": settings.epoch_factor,
            "messages": settings.messages,
            "oneshot_rows": settings.oneshot_rows,
            "conversations": settings.conversations,
            "warmup": settings.warmup,
        },
        "machine": machine_info(),
        "data": {
            "nlu_file": str(HELD_OUT_NLU.relative_to(ROOT)),
            "nlu_utterances": nlu_count,
            "oneshot_file": str(oneshot_source.relative_to(ROOT)),
            "oneshot_sha256": sha256(oneshot),
            "oneshot_rows": results[REFERENCE]["oneshot"]["n"],
            "oneshot_unreadable_lines": skipped,
        },
        "reference": REFERENCE,
        "pipelines": results,
        "ratios_to_ours": ratios,
    }
    report["total_run_s"] = time.perf_counter() - begin
    (RESULTS / "benchmark.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "benchmark.md").write_text(markdown(report), encoding="utf-8")
    chart(report, RESULTS / "benchmark.png")
    shutil.rmtree(WORK / "cache-eval", ignore_errors=True)
    log(f"done in {report['total_run_s'] / 60:.1f} min: {RESULTS.relative_to(ROOT)}/benchmark.{{json,md,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
