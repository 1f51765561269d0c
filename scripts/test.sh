#!/usr/bin/env bash
# Run every test: lint and types, data validation, held-out NLU scores, the
# conversation (story) tests, and pytest (rules, actions, one-shot command, live
# conversations through the REST channel). Installs and trains first when needed.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
START=$SECONDS

ensure_venv dev
mkdir -p results

log "Lint (ruff) and types (mypy)"
"$VENV/bin/ruff" check .
"$VENV/bin/mypy" actions channels ja_nlu support_rules triage_cli tickets scripts benchmarks deploy

MODEL="$(ensure_model)"
export TRIAGE_MODEL="$MODEL"

log "Validating training data and domain"
"$PY" scripts/validate_data.py 2>results/validate.log

log "Held-out NLU evaluation (tests/nlu, never trained on)"
"$VENV/bin/rasa" test nlu --nlu tests/nlu --model "$MODEL" --out results/nlu >results/nlu.log 2>&1 \
  || { tail -40 results/nlu.log; die "rasa test nlu failed"; }
"$PY" scripts/report_nlu.py results/nlu

log "Conversation tests (tests/stories), failing on any prediction error"
if ! "$VENV/bin/rasa" test core --stories tests/stories --model "$MODEL" --out results/core \
     --fail-on-prediction-errors >results/core.log 2>&1; then
  grep -a -v "Processed\|it/s" results/core.log | tail -30
  [ -f results/core/failed_test_stories.yml ] && cat results/core/failed_test_stories.yml
  die "conversation tests failed"
fi
grep -a "Finished collecting predictions\|Correct:\|Accuracy:\|F1-Score\|stories" results/core.log | sed 's/.*INFO *//' | head -8

log "Website widget: npm packages (web/)"
(cd web && npm ci --no-audit --no-fund --loglevel=error)

log "pytest"
"$VENV/bin/pytest" -p no:cacheprovider -q tests
log "All tests passed in $((SECONDS - START)) s"
