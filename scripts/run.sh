#!/usr/bin/env bash
# Start every process on embedded defaults; Ctrl-C stops them all.
#   scripts/run.sh          action server + Rasa server (REST and socket.io)
#   scripts/run.sh --shell  action server + a terminal chat
set -euo pipefail
# Everything written under var/ (databases, logs, SMS outbox, tokens) is for this user only.
umask 077
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=.venv/bin/python
# Rasa's own CLI, after overrides.install() (the one door to Rasa's internals: overrides/).
RASA=(.venv/bin/python -m overrides.serve)
MODEL=${MODEL:-models/current.tar.gz}
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
CREDENTIALS=${CREDENTIALS:-credentials.yml}
ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
export STAFF_PORT=${STAFF_PORT:-5080} PORTAL_PORT=${PORTAL_PORT:-8080}
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTION_PORT/webhook}
export RASA_URL=${RASA_URL:-http://localhost:$RASA_PORT}
VAR=${VAR_DIR:-var}
LOG_DIR=$VAR/log
# Rasa's SQL event broker's database (endpoints.yml), read by the event feeder below.
export EVENT_BROKER_DB=${EVENT_BROKER_DB:-$VAR/rasa_events.db}
# Where citizens reach the Rasa server: the portal's widget and the "导出我的数据" download link.
export RASA_PUBLIC_URL=${RASA_PUBLIC_URL:-http://localhost:$RASA_PORT}
mkdir -p "$LOG_DIR"
chmod -R go-rwx "$VAR"  # files an older version wrote readable by all
# Rasa's HTTP API token (trigger_intent for notifications, trackers for human handoff) and the
# secret the Rasa server shows the action server: RASA_TOKEN and ACTION_SERVER_TOKEN, else random
# ones kept under var/ (mode 0600), never in git.
secret_exports=$($PY -m govservice.settings.secrets rasa_token action_token)
eval "$secret_exports"

# The database schema to the newest Alembic revision (SQLite by default, DATABASE_URL otherwise);
# an older database made before Alembic is adopted (govservice/migrations/versions/0001_initial.py).
$PY -m govservice.db migrate
# Prints the demo staff accounts' passwords the first time (make demo-accounts shows them again).
$PY -m govservice.seed
# Retention (docs: govservice/privacy/retention.py): once now; then hourly inside the Rasa server.
$PY -m govservice.privacy.retention --endpoints "$ENDPOINTS"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

supervise() {  # name, command...: restart a server that crashed; its restart is in the log
  local name=$1 child=""
  shift
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    "$@" &
    child=$!
    wait "$child" || true
    echo "$(date '+%F %T') $name exited, restarting" >&2
    sleep 1
  done
}

# The action server holds no conversation state, so a crash costs only the turn in flight.
# ACTIONS_WARM_UP: load jieba, the catalog and the FAQ index at start, not in the first turn.
# It listens on ACTION_HOST (default 127.0.0.1) and answers only requests with the shared secret.
ACTIONS_WARM_UP=1 supervise "action server" $PY -m bot.action_server --port "$ACTION_PORT" >>"$LOG_DIR/actions.log" 2>&1 &
pids+=($!)

wait_for() {  # url, name, seconds
  for _ in $(seq 1 "$3"); do
    if curl -fs "$1" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$2 did not start; see $LOG_DIR/" >&2
  exit 1
}
wait_for "http://localhost:$ACTION_PORT/health" "action server" 60

# Rasa's events, from the SQL event broker's table into conversation_events (the dashboard's data),
# when the endpoints file has one (govservice/analytics/feeder.py; production: govservice.events).
if $PY -m govservice.analytics.feeder --endpoints "$ENDPOINTS" --check; then
  supervise "event feeder" $PY -m govservice.analytics.feeder --endpoints "$ENDPOINTS" >>"$LOG_DIR/feeder.log" 2>&1 &
  pids+=($!)
fi

$PY -m staff >"$LOG_DIR/staff.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$STAFF_PORT/health" "staff app" 60

RASA_PUBLIC_URL=${RASA_PUBLIC_URL:-http://localhost:$RASA_PORT} $PY -m portal >"$LOG_DIR/portal.log" 2>&1 &
pids+=($!)

# Certificate expiry reminders for citizens who subscribed: every REMINDER_INTERVAL_SECONDS (an hour).
# Idempotent by a unique key, so a restart or a second copy never reminds twice.
supervise "reminders" $PY -m govservice.notifications.reminders >>"$LOG_DIR/reminders.log" 2>&1 &
pids+=($!)

if [ "${1:-}" = "--shell" ]; then
  "${RASA[@]}" shell --model "$MODEL" --endpoints "$ENDPOINTS"
  exit 0
fi

# Browsers may call Rasa only from the portal's pages: ALLOWED_ORIGINS (space-separated), else the
# portal's own origin; never "*", as Rasa allows credentials (connectors/common.py allowed_origins).
read -r -a cors_origins <<<"$($PY -m connectors.common)"
"${RASA[@]}" run --model "$MODEL" --endpoints "$ENDPOINTS" --credentials "$CREDENTIALS" \
  --port "$RASA_PORT" --cors "${cors_origins[@]}" --enable-api --auth-token "$RASA_TOKEN" >"$LOG_DIR/rasa.log" 2>&1 &
pids+=($!)
wait_for "http://localhost:$RASA_PORT/" "Rasa server" 180

cat <<MSG

一号一窗一网 助手已启动：
  REST 接口:   curl -s -XPOST localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"t1","message":"身份证丢了怎么补办，要带什么"}'
  Socket.IO:   ws://localhost:$RASA_PORT/socket.io
  动作服务器:  http://localhost:$ACTION_PORT/health
  门户网页:    http://localhost:$PORTAL_PORT/ （网页聊天组件，docs/widget.md）
  工作台:      http://localhost:$STAFF_PORT/console/ （docs/console.md；演示账号: make demo-accounts）
  部门接口:    http://localhost:$STAFF_PORT/api/v1 （docs/department_api.md）
  微信公众号:  http://localhost:$RASA_PORT/webhooks/wechat/webhook （docs/wechat.md）
  日志:        $LOG_DIR/
按 Ctrl-C 停止。
MSG
wait -n "${pids[@]}"
