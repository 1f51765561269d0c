#!/usr/bin/env bash
# Replicated production profile: PostgreSQL + Redis + action server + N Rasa replicas
# behind nginx, kept healthy by a supervisor. README, "Production profile".
#
#   scripts/prod.sh start     start everything; returns when all is healthy, prints the URL
#   scripts/prod.sh stop      stop everything this profile started (in $PROD_DIR)
#   scripts/prod.sh status    health (GET /health) and processes
#   scripts/prod.sh run       start, wait, stop on Ctrl-C (make prod)
#   scripts/prod.sh hold NAME | release NAME   keep rasa-N / actions stopped for maintenance
#                             (redis / nginx: not started again by the supervisor while held)
#
# Contract (used by benchmarks/load and tests/prod):
#   - `start` exits 0 only when nginx, every replica and the action server are healthy,
#     and prints the base URL (http://127.0.0.1:$PROD_PORT) as its last stdout line;
#   - $PROD_DIR/processes.json: [{"name": "rasa-1"|…|"rasa-N"|"actions"|"postgres"|"redis"|
#     "nginx"|"supervisor", "pid": int, "port": int|null}], rewritten by the supervisor
#     whenever a pid changes (postgres/redis only when this profile runs them; a process
#     being restarted is absent until it has a pid again);
#   - $PROD_DIR/env: shell-sourceable PROD_URL, DATABASE_URL, REDIS_URL (mode 0600);
#   - `stop` stops everything `start` started — also after a failed `start` (exit 1),
#     which leaves what it had started running; PostgreSQL/Redis given by DATABASE_URL /
#     REDIS_URL are used, never started or stopped.
#   - Environment: PROD_DIR (.state/prod), PROD_PORT (8000), RASA_REPLICAS (2),
#     PROD_RASA_PORTS (5501,5502,…), PROD_ACTION_PORT (5550), PROD_PG_PORT (5532),
#     PROD_REDIS_PORT (6389), SQL_POOL_SIZE/SQL_MAX_OVERFLOW (5/5 per replica),
#     DB_POOL_SIZE/DB_MAX_OVERFLOW (5/5), PROD_PG_SPARE (10), PROD_MODEL (default: train
#     if needed), PROD_START_TIMEOUT (300 s); DESK_NOW, DESK_CONFIG, TICKET_WEBHOOK_*,
#     AGENT_WEBHOOK_*, TEAMS_*, LINE_* … are passed through to the servers.
source "$(dirname "$0")/common.sh"

COMMAND="${1:-}"

# The dev install (make install / CI) includes everything the profile needs.
dev_stamp="$(cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -c1-16)"
[ -f "$VENV/.installed-dev-$dev_stamp" ] || ensure_venv

settings="$("$PY" -m deploy.profile shell)" || die "invalid profile settings (see above)"
eval "$settings"
SUPERVISOR_PID_FILE="$PROD_DIR/supervisor.pid"
NGINX_PREFIX="$PROD_DIR/nginx"
NGINX=(nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -e "$NGINX_PREFIX/error.log")
START_TIMEOUT="${PROD_START_TIMEOUT:-300}"

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# Alive and still the program we started (a stale pid file may name a reused pid).
ours() { alive "${1:-}" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"; }
pid_of() { [ -f "$1" ] && head -n1 "$1" | tr -dc '0-9' || true; }
random_secret() { "$PY" -c 'import secrets; print(secrets.token_hex(16))'; }
# Readable by another OS user (postgres, nginx's workers) — every parent directory too.
readable_by() { [ "$(id -u)" != 0 ] || runuser -u "$1" -- test -r "$2"; }

wait_pid_gone() {
  local pid="$1" limit="$2" waited=0
  while alive "$pid" && [ "$waited" -lt "$((limit * 5))" ]; do sleep 0.2; waited=$((waited + 1)); done
  ! alive "$pid"
}

health_status() {
  "$PY" - "http://127.0.0.1:$PROD_PORT/health" <<'PYEOF' 2>/dev/null
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1], timeout=2)).get("status", ""))
PYEOF
}

start_postgres() {
  local root="$PROD_DIR/pg"
  if [ -n "${DATABASE_URL_GIVEN:-}" ]; then
    log "PostgreSQL: using DATABASE_URL"
  else
    command -v runuser >/dev/null 2>&1 || [ "$(id -u)" != 0 ] || die "runuser is needed to run PostgreSQL as root"
    "$PY" -c 'import sys; from deploy.postgres import find_bin_dir; sys.exit(find_bin_dir() is None)' \
      || die "PostgreSQL is not installed: apt-get install postgresql (or set DATABASE_URL)"
    mkdir -p "$root"
    if [ ! -f "$root/data/PG_VERSION" ]; then
      log "PostgreSQL: creating a cluster in $root"
      umask 077; random_secret >"$root/pwfile"; umask 022
      chmod 0700 "$root"
      "$PY" -m deploy.postgres init "$root" "$root/pwfile" || die "initdb failed"
    fi
    readable_by postgres "$root/pwfile" || die "the postgres user cannot reach $root: choose a PROD_DIR whose parent directories are world-executable"
    log "PostgreSQL: starting on 127.0.0.1:$PROD_PG_PORT (max_connections=$PROD_REQUIRED_CONNECTIONS)"
    "$PY" -m deploy.postgres start "$root" "$PROD_PG_PORT" "$PROD_REQUIRED_CONNECTIONS" || die "PostgreSQL did not start; see $root/server.log"
    local password; password="$(cat "$root/pwfile")"
    "$PY" -m deploy.postgres createdb "postgresql://postgres:$password@127.0.0.1:$PROD_PG_PORT/postgres" desk \
      || die "could not create the database"
    export DATABASE_URL="postgresql://postgres:$password@127.0.0.1:$PROD_PG_PORT/desk"
  fi
  # Pool arithmetic: every pool full must still fit (deploy/profile.py, required_connections).
  local allowed
  allowed="$("$PY" -m deploy.postgres max-connections "$DATABASE_URL")" || die "cannot connect to PostgreSQL"
  [ "$allowed" -ge "$PROD_REQUIRED_CONNECTIONS" ] || die "PostgreSQL allows $allowed connections; this profile needs $PROD_REQUIRED_CONNECTIONS = $RASA_REPLICAS replicas × ($SQL_POOL_SIZE + $SQL_MAX_OVERFLOW) + ($DB_POOL_SIZE + $DB_MAX_OVERFLOW) + spare + reserved. Lower SQL_POOL_SIZE/SQL_MAX_OVERFLOW or raise max_connections."
  log "PostgreSQL: max_connections $allowed ≥ $PROD_REQUIRED_CONNECTIONS needed"
}

start_redis() {
  if [ -n "${REDIS_URL_GIVEN:-}" ]; then
    log "Redis: using REDIS_URL"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || die "Redis is not installed: apt-get install redis-server (or set REDIS_URL)"
  local dir="$PROD_DIR/redis"
  mkdir -p "$dir"; chmod 0700 "$dir"
  [ -f "$dir/password" ] || { umask 077; random_secret >"$dir/password"; umask 022; }
  local password; password="$(cat "$dir/password")"
  local conf; conf="$("$PY" -m deploy.profile redis "$dir" "$password")"
  log "Redis: starting on 127.0.0.1:$PROD_REDIS_PORT"
  redis-server "$conf" </dev/null >"$dir/stdout.log" 2>&1 || die "Redis did not start; see $dir/redis.log"
  export REDIS_URL="redis://:$password@127.0.0.1:$PROD_REDIS_PORT/0"
  local tries=0
  until "$PY" -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1).ping()' 2>/dev/null; do
    tries=$((tries + 1)); [ "$tries" -lt 50 ] || die "Redis does not answer; see $dir/redis.log"; sleep 0.2
  done
}

start_nginx() {
  command -v nginx >/dev/null 2>&1 || die "nginx is not installed: apt-get install nginx"
  "$PY" -m deploy.profile nginx >/dev/null || die "could not write the nginx configuration"
  printf '{"status": "starting"}\n' >"$NGINX_PREFIX/html/health.json"
  : >"$NGINX_PREFIX/html/health.down"  # 503 until the supervisor sees a healthy replica
  chmod 0755 "$PROD_DIR" "$NGINX_PREFIX" "$NGINX_PREFIX/html"; chmod 0644 "$NGINX_PREFIX/html/health.json"
  readable_by nobody "$NGINX_PREFIX/html/health.json" \
    || die "nginx's workers (user nobody) cannot read $NGINX_PREFIX: choose a PROD_DIR whose parent directories are world-executable"
  "${NGINX[@]}" -t -q </dev/null >/dev/null 2>"$NGINX_PREFIX/test.log" || die "invalid nginx configuration: $(cat "$NGINX_PREFIX/test.log")"
  log "nginx: listening on 127.0.0.1:$PROD_PORT"
  "${NGINX[@]}" </dev/null >"$NGINX_PREFIX/stdout.log" 2>&1 || die "nginx did not start; see $NGINX_PREFIX/error.log"
}

cmd_start() {
  ours "$(pid_of "$SUPERVISOR_PID_FILE")" deploy.supervisor && die "already running ($PROD_DIR); scripts/prod.sh stop first"
  mkdir -p "$PROD_DIR" "$PROD_DIR/hold"
  [ -n "${DATABASE_URL_GIVEN:-}" ] || unset DATABASE_URL
  MODEL="${PROD_MODEL:-}"
  [ -n "$MODEL" ] || MODEL="$(ensure_model)"
  [ -f "$MODEL" ] || die "model not found: $MODEL"
  export PROD_MODEL="$MODEL"

  start_postgres
  start_redis
  export PROD_URL="http://127.0.0.1:$PROD_PORT"
  (umask 077; {
    printf 'export PROD_URL=%q\n' "$PROD_URL"
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL"
  } >"$PROD_DIR/env")

  log "Channels: $("$PY" "$ROOT/scripts/credentials.py" "$PROD_DIR/credentials.yml")"
  local storage
  storage="$("$PY" "$ROOT/scripts/endpoints.py" "$PROD_DIR/endpoints.yml")" || die "could not write the endpoints"
  log "Storage: $storage"
  start_nginx

  log "Supervisor: starting the action server and $RASA_REPLICAS Rasa replicas (model $(basename "$MODEL"))"
  # Its own session: Ctrl-C in this terminal does not reach it (`stop` does).
  setsid "$PY" -m deploy.supervisor </dev/null >>"$PROD_DIR/supervisor.log" 2>&1 &
  echo $! >"$SUPERVISOR_PID_FILE"

  local waited=0 status=""
  while [ "$waited" -lt "$START_TIMEOUT" ]; do
    status="$(health_status || true)"
    [ "$status" = ok ] && break
    ours "$(pid_of "$SUPERVISOR_PID_FILE")" deploy.supervisor || die "the supervisor exited; see $PROD_DIR/supervisor.log"
    sleep 1; waited=$((waited + 1))
  done
  [ "$status" = ok ] || die "not healthy after ${START_TIMEOUT}s (status: ${status:-none}); see $PROD_DIR/*.log"
  log "Healthy after ${waited}s"
  echo "$PROD_URL"
}

cmd_stop() {
  local pid
  pid="$(pid_of "$SUPERVISOR_PID_FILE")"
  if ours "$pid" deploy.supervisor; then
    log "Stopping the supervisor, the replicas and the action server"
    kill -TERM "$pid"
    wait_pid_gone "$pid" 60 || kill -KILL "$pid" 2>/dev/null || true
  fi
  # Children of a supervisor that was killed: only our own rasa processes (by pid).
  if [ -f "$PROD_DIR/processes.json" ]; then
    local pids
    pids="$("$PY" - "$PROD_DIR/processes.json" <<'PYEOF'
import json, sys
from pathlib import Path
for entry in json.loads(Path(sys.argv[1]).read_text()):
    pid = entry.get("pid")
    if entry.get("name", "").startswith(("rasa-", "actions")) and isinstance(pid, int):
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"rasa" in cmdline.read_bytes():
            print(pid)
PYEOF
)" || true
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait_pid_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true; done
  fi
  pid="$(pid_of "$NGINX_PREFIX/nginx.pid")"
  if ours "$pid" nginx; then
    log "Stopping nginx"
    kill -QUIT "$pid"; wait_pid_gone "$pid" 15 || kill -TERM "$pid" 2>/dev/null || true
  fi
  pid="$(pid_of "$PROD_DIR/redis/redis.pid")"
  if ours "$pid" redis-server; then
    log "Stopping Redis"
    kill -TERM "$pid"; wait_pid_gone "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -f "$PROD_DIR/pg/data/postmaster.pid" ]; then
    log "Stopping PostgreSQL"
    "$PY" -m deploy.postgres stop "$PROD_DIR/pg" || true
  fi
  rm -f "$SUPERVISOR_PID_FILE"
  printf '[]\n' >"$PROD_DIR/processes.json" 2>/dev/null || true
  log "Stopped"
}

cmd_status() {
  if ! ours "$(pid_of "$SUPERVISOR_PID_FILE")" deploy.supervisor; then
    echo "not running ($PROD_DIR)"
    return 1
  fi
  "$PY" - "http://127.0.0.1:$PROD_PORT/health" "$PROD_DIR/processes.json" <<'PYEOF'
import json, sys, urllib.error, urllib.request
from pathlib import Path
try:
    try:
        body = urllib.request.urlopen(sys.argv[1], timeout=3).read()
    except urllib.error.HTTPError as error:  # 503 while no replica is in service: same JSON
        body = error.read()
    print(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
except (OSError, ValueError) as error:
    print(f"health: unavailable ({error})")
for entry in json.loads(Path(sys.argv[2]).read_text()):
    print(f"{entry['name']:<12} pid {entry['pid']:<8} port {entry['port']}")
PYEOF
}

# DATABASE_URL / REDIS_URL given by the caller: use them (common.sh defaults DATABASE_URL
# to SQLite, which the profile replaces by its own PostgreSQL).
[ "$DATABASE_URL" != "sqlite:///$ROOT/.state/desk.db" ] && DATABASE_URL_GIVEN=1
[ -n "${REDIS_URL:-}" ] && REDIS_URL_GIVEN=1

case "$COMMAND" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  run)
    trap 'cmd_stop; exit 130' INT TERM
    cmd_start || { cmd_stop; exit 1; }
    cat <<INFO
Ready ($RASA_REPLICAS replicas behind nginx).
  REST:      POST $PROD_URL/webhooks/rest/webhook  {"sender": "...", "message": "..."}
  socket.io: $PROD_URL/socket.io   (sticky: ip_hash)
  Health:    $PROD_URL/health
  State:     $PROD_DIR (env, processes.json, *.log)   Ctrl-C stops everything.
INFO
    while ours "$(pid_of "$SUPERVISOR_PID_FILE")" deploy.supervisor; do sleep 2; done
    cmd_stop
    ;;
  hold|release)
    [[ "${2:-}" =~ ^(rasa-[0-9]+|actions|redis|nginx)$ ]] || die "usage: scripts/prod.sh $COMMAND rasa-N|actions|redis|nginx"
    mkdir -p "$PROD_DIR/hold"
    if [ "$COMMAND" = hold ]; then
      touch "$PROD_DIR/hold/$2"; log "$2: held — the supervisor stops it and keeps it stopped"
    else
      rm -f "$PROD_DIR/hold/$2"; log "$2: released — the supervisor starts it again"
    fi
    ;;
  *) echo "usage: scripts/prod.sh start|stop|status|run|hold NAME|release NAME" >&2; exit 2 ;;
esac
