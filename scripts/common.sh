#!/usr/bin/env bash
# Shared by the scripts: locate the project, a real Python 3.10, and the venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# A Python 3.10 that really runs (a pyenv shim on PATH may refuse to).
find_python310() {
  local candidates=()
  [ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
  candidates+=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root 2>/dev/null || true)"
    [ -n "$root" ] && candidates+=("$root"/versions/3.10.*/bin/python3.10)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)
  local c
  for c in "${candidates[@]}"; do
    if "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}

# Create the venv and install pinned dependencies once (again only when the
# requirement files change). $1 = "dev" to include test tools.
ensure_venv() {
  local want="${1:-}"
  local files=("$ROOT/requirements.txt" "$ROOT/constraints.txt")
  [ "$want" = dev ] && files+=("$ROOT/requirements-dev.txt")
  local stamp; stamp="$(cat "${files[@]}" | sha256sum | cut -c1-16)"
  local marker="$VENV/.installed-${want:-run}-$stamp"
  [ -f "$marker" ] && return 0
  if [ ! -x "$PY" ]; then
    local py310
    py310="$(find_python310)" || die "Python 3.10 is required (Rasa 3.6 does not run on 3.11+).
  Install it with one of:
    pyenv install 3.10.13
    apt-get install python3.10 python3.10-venv      (Debian/Ubuntu with 3.10 available)
  or point PYTHON310=/path/to/python3.10 at an existing interpreter."
    log "Creating virtualenv with $py310"
    "$py310" -m venv "$VENV"
  fi
  log "Installing pinned dependencies (first run takes a few minutes)"
  "$PY" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
  local reqs=(-r "$ROOT/requirements.txt")
  [ "$want" = dev ] && reqs+=(-r "$ROOT/requirements-dev.txt")
  "$PY" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" -c "$ROOT/constraints.txt"
  rm -f "$VENV"/.installed-"${want:-run}"-*
  touch "$marker"
}

# Fingerprint of everything the model is trained from.
model_fingerprint() {
  (cd "$ROOT" && cat config.yml $(find domain data ja_nlu support_rules -type f \( -name '*.yml' -o -name '*.py' \) | sort) | sha256sum | cut -c1-16)
}

# Train only when data, config, domain or the custom components changed.
ensure_model() {
  local fp; fp="$(model_fingerprint)"
  local model="$ROOT/models/triage-$fp.tar.gz"
  if [ -f "$model" ]; then
    echo "$model"
    return 0
  fi
  log "Training the model (data, config or domain changed)"
  local start=$SECONDS
  (cd "$ROOT" && "$VENV/bin/rasa" train --domain domain --fixed-model-name "triage-$fp" --out models >&2)
  log "Training took $((SECONDS - start)) s"
  echo "$model"
}

# Ports, storage and endpoints shared by run.sh and the tests.
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
# Intake tickets and conversations (tracker store) share one database: a SQLite file by
# default, PostgreSQL with DATABASE_URL=postgresql://user:password@host:5432/db.
export DATABASE_URL="${DATABASE_URL:-sqlite:///$ROOT/.state/desk.db}"

# Wait until URL answers (HTTP 200), at most $2 seconds.
wait_for_url() {
  local url="$1" limit="${2:-180}" waited=0
  until "$PY" - "$url" <<'PYEOF' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
PYEOF
  do
    sleep 1; waited=$((waited + 1))
    [ "$waited" -ge "$limit" ] && return 1
  done
  return 0
}
