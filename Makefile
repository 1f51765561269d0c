# Professional Support triage assistant — type `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help run prod test install train chat tickets lint typecheck validate nlu-eval oneshot bench reader-bench load fuzz lock clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Targets:\n"} /^[a-zA-Z_-]+:.*##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## Run the assistant (installs and trains on first use) and chat in the terminal
	@scripts/run.sh

prod: ## Production profile: PostgreSQL + Redis + action server + 2 Rasa replicas behind nginx on :8000 (Ctrl-C stops)
	@scripts/prod.sh run

test: ## Run every test (lint, types, data validation, NLU scores, stories, pytest)
	@scripts/test.sh

install: ## Create .venv with Python 3.10 and install pinned dependencies (incl. test tools)
	@source scripts/common.sh && ensure_venv dev

train: ## Train the model if data, config or domain changed
	@source scripts/common.sh && ensure_venv && ensure_model

chat: ## Chat with an already running assistant (make run starts one)
	@$(PY) scripts/chat.py --url http://127.0.0.1:$${RASA_PORT:-5005}

tickets: ## Operator view of intake tickets: make tickets ARGS="list --severity A" (list/show/chart/deliver/outbox)
	@source scripts/common.sh && $(PY) -m tickets $(ARGS)

lint: ## ruff
	@.venv/bin/ruff check .

typecheck: ## mypy (strict)
	@.venv/bin/mypy actions channels ja_nlu support_rules triage_cli tickets scripts benchmarks deploy

validate: ## Validate domain and training data (no warnings allowed)
	@source scripts/common.sh && $(PY) scripts/validate_data.py

nlu-eval: ## Score the model on the held-out NLU set
	@source scripts/common.sh && MODEL=$$(ensure_model) && .venv/bin/rasa test nlu --nlu tests/nlu --model $$MODEL --out results/nlu >results/nlu.log 2>&1 && $(PY) scripts/report_nlu.py results/nlu

oneshot: ## One-shot triage: JSON Lines on stdin → JSON Lines on stdout (make -s oneshot < in.jsonl)
	@source scripts/common.sh && MODEL=$$(ensure_model) && $(PY) -m triage_cli.oneshot --model $$MODEL

bench: ## Side-by-side benchmarks: pipelines (~20 min; --quick via BENCH_ARGS), then the impact/scope reader on the blind sets
	@source scripts/common.sh && ensure_venv dev && $(PY) benchmarks/run.py $${BENCH_ARGS:-}
	@$(MAKE) -s reader-bench

reader-bench: ## Impact/scope reading on the blind sets: rules only vs trained reader vs combined, per style (~1 min)
	@source scripts/common.sh && ensure_venv dev && MODEL=$$(ensure_model) && $(PY) -m benchmarks.reader --model $$MODEL

load: ## Load benchmark: N concurrent customers per profile, tracker check (LOAD_ARGS="--profiles single,replicated --users 10,50,100", or --quick)
	@source scripts/common.sh && ensure_venv dev && MODEL=$$(ensure_model) && $(PY) -m benchmarks.load --model $$MODEL $${LOAD_ARGS:-}

fuzz: ## Long fuzz run of every entry point, in process and against live servers (FUZZ_PROFILE=long; FUZZ_EXAMPLES=N)
	@source scripts/common.sh && ensure_venv dev && MODEL=$$(ensure_model) && TRIAGE_MODEL=$$MODEL \
	  FUZZ_PROFILE=$${FUZZ_PROFILE:-long} .venv/bin/pytest -p no:cacheprovider -q tests/fuzz

lock: ## Re-pin constraints.txt from the current .venv
	@{ echo "# Exact versions of every package in the environment (pip freeze of a working"; echo "# install on Python 3.10). Regenerate with: make lock"; .venv/bin/pip freeze --exclude-editable; } > constraints.txt

clean: ## Remove trained models, results and local conversation state
	@rm -rf models results .state
