#!/usr/bin/env bash
# Run the assistant: install on first use, train when needed, start the action
# server and the Rasa server (REST + socket.io), then chat in this terminal.
# Ctrl-C stops everything this script started.
source "$(dirname "$0")/common.sh"

ensure_venv
MODEL="$(ensure_model)"
mkdir -p "$ROOT/.state"

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  if [ "${#PIDS[@]}" -gt 0 ]; then
    log "Stopping servers"
    kill "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

CREDENTIALS="$ROOT/.state/credentials.yml"
log "Enabled $("$PY" "$ROOT/scripts/credentials.py" "$CREDENTIALS")"
ENDPOINTS="$ROOT/.state/endpoints.yml"
STORAGE="$("$PY" "$ROOT/scripts/endpoints.py" "$ENDPOINTS")" || die "could not write $ENDPOINTS (check DATABASE_URL)"
log "Storage: $STORAGE"

log "Starting the action server on port $ACTION_PORT"
(cd "$ROOT" && exec "$VENV/bin/rasa" run actions --port "$ACTION_PORT" --actions actions \
  --logging-config-file logging.yml) \
  >"$ROOT/.state/actions.log" 2>&1 &
PIDS+=($!)

log "Starting the Rasa server on port $RASA_PORT (model $(basename "$MODEL"))"
(cd "$ROOT" && exec "$VENV/bin/rasa" run --model "$MODEL" --port "$RASA_PORT" \
  --credentials "$CREDENTIALS" --endpoints "$ENDPOINTS" --logging-config-file logging.yml --cors "*") \
  >"$ROOT/.state/rasa.log" 2>&1 &
PIDS+=($!)

wait_for_url "http://127.0.0.1:$ACTION_PORT/health" 120 || die "action server did not start; see .state/actions.log"
wait_for_url "http://127.0.0.1:$RASA_PORT/" 300 || die "Rasa server did not start; see .state/rasa.log"

# Website chat widget (web/): a static page that talks to the socket.io channel.
export WEB_PORT="${WEB_PORT:-8080}"
WIDGET="not started (npm is not installed)"
if [ -f "$ROOT/web/node_modules/socket.io-client/dist/socket.io.min.js" ] || \
   { command -v npm >/dev/null 2>&1 && (cd "$ROOT/web" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2); }; then
  log "Starting the website chat widget on port $WEB_PORT"
  (cd "$ROOT" && exec "$PY" scripts/serve_web.py) >"$ROOT/.state/web.log" 2>&1 &
  PIDS+=($!)
  wait_for_url "http://127.0.0.1:$WEB_PORT/" 30 || die "chat widget did not start; see .state/web.log"
  WIDGET="http://127.0.0.1:$WEB_PORT/   (website chat, Japanese UI)"
fi

cat <<INFO
Ready.
  REST:      POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "...", "message": "..."}
  socket.io: http://127.0.0.1:$RASA_PORT/socket.io
  Widget:    $WIDGET
  Logs:      .state/rasa.log, .state/actions.log (phone numbers and e-mail addresses masked)
  Storage:   ${STORAGE#conversations: } (conversations and intake tickets)   Tickets: make tickets ARGS=list
INFO

if [ -t 0 ]; then
  "$PY" "$ROOT/scripts/chat.py" --url "http://127.0.0.1:$RASA_PORT"
else
  log "No terminal attached: serving until stopped (Ctrl-C)"
  wait "${PIDS[@]}"
fi
