#!/usr/bin/env bash
# The production profile (README "Scaling"): PROD_INSTANCES Rasa servers, action servers and staff
# apps, one portal and one event consumer behind nginx, on Redis, PostgreSQL and RabbitMQ.
# Every server is supervised: killed, it is started again. Ctrl-C stops them all.
#
# Environment (defaults in brackets):
#   PROD_INSTANCES [2]  PROD_PORT [8000] (nginx, the only public door)  PROD_BASE_PORT [8010]
#   (Rasa i on BASE+i, action server i on BASE+20+i, staff i on BASE+40+i, portal BASE+60, nginx's
#   door to the action servers BASE+61)  VAR_DIR [var/prod] (pids/<role>-<i>.pid, log/)
#   REDIS_URL [a redis-server with AOF started here on PROD_REDIS_PORT (6380), data in VAR_DIR/redis]
#   DATABASE_URL [postgresql://postgres@localhost:5432/govservice_prod, created when missing]
#   RABBITMQ_URL [amqp://guest:guest@localhost:5672/]  PROD_EVENTS_QUEUE [govservice_events]
#   ENDPOINTS [endpoints.prod.yml]; the Redis databases and key prefix: govservice/store_urls.py.
#   PROD_START_SECONDS [900]: how long to wait for each Rasa server to load its model.
set -euo pipefail
umask 077
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=$PWD/.venv/bin/python
# Rasa's own CLI, after overrides.install() (the one door to Rasa's internals: overrides/), as in run.sh.
RASA=("$PY" -m overrides.serve)
MODEL=${MODEL:-models/current.tar.gz}
export ENDPOINTS=${ENDPOINTS:-endpoints.prod.yml}
CREDENTIALS=${CREDENTIALS:-credentials.yml}
INSTANCES=${PROD_INSTANCES:-2}
PORT=${PROD_PORT:-8000}
BASE=${PROD_BASE_PORT:-8010}
REDIS_PORT_OWN=${PROD_REDIS_PORT:-6380}
# Loading a model takes a minute on a quiet machine and much longer on a busy one.
START_SECONDS=${PROD_START_SECONDS:-900}
mkdir -p "${VAR_DIR:-var/prod}"
VAR=$(cd "${VAR_DIR:-var/prod}" && pwd)
export VAR_DIR=$VAR
LOG_DIR=$VAR/log
PID_DIR=$VAR/pids
mkdir -p "$LOG_DIR" "$PID_DIR" "$VAR/nginx/tmp" "$VAR/redis"
chmod -R go-rwx "$VAR"
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@localhost:5432/govservice_prod}

scripts/setup_nginx.sh >/dev/null
# nginx.conf first: it checks PROD_INSTANCES and the ports before anything starts.
$PY -m connectors.nginx_config --var "$VAR" --log "$LOG_DIR" --listen "$PORT" \
  --base-port "$BASE" --instances "$INSTANCES" >"$VAR/nginx/nginx.conf"

pids=()
cleanup() {  # newest first: nginx stops taking requests before the servers behind it go
  trap - EXIT INT TERM
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -f "$PID_DIR"/*.pid  # no pid file may name a process that is gone (or a stranger reusing its pid)
}
trap cleanup EXIT INT TERM

supervise() {  # role, index, command...: run it, keep its pid in PID_DIR, start it again when it dies
  local role=$1 index=$2 child=""
  shift 2
  local log="$LOG_DIR/$role-$index.log" pidfile="$PID_DIR/$role-$index.pid"
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child"; rm -f "$pidfile"; exit 0' TERM INT
  while true; do
    "$@" >>"$log" 2>&1 &
    child=$!
    echo "$child" >"$pidfile"
    wait "$child" || true
    echo "$(date '+%F %T') $role-$index exited, restarting" >>"$log"
    sleep 1
  done
}

start() {  # role, index, command...: supervise in the background
  supervise "$@" &
  pids+=($!)
}

wait_for() {  # url, name, seconds
  for _ in $(seq 1 "$3"); do
    if curl -fs -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "$2 did not start; see $LOG_DIR/" >&2
  exit 1
}

# Redis: the one given, else our own persistent one (AOF, fsync every second).
if [ -z "${REDIS_URL:-}" ]; then
  start redis 0 redis-server --port "$REDIS_PORT_OWN" --bind 127.0.0.1 --dir "$VAR/redis" \
    --appendonly yes --appendfsync everysec --save "" --daemonize no
  export REDIS_URL=redis://localhost:$REDIS_PORT_OWN
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT_OWN" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
store_exports=$($PY -m govservice.store_urls)
eval "$store_exports"
secret_exports=$($PY -m govservice.settings.secrets rasa_token action_token)
eval "$secret_exports"

$PY -c "from govservice.db import ensure_database; ensure_database()"
# Prints the demo staff accounts' passwords the first time (make demo-accounts shows them again).
$PY -m govservice.seed
$PY -m govservice.privacy.retention --endpoints "$ENDPOINTS"

export RASA_URL=http://127.0.0.1:$PORT RASA_PUBLIC_URL=${RASA_PUBLIC_URL:-http://localhost:$PORT}
export ACTION_SERVER_URL=http://127.0.0.1:$((BASE + 61))/webhook
export PORTAL_PORT=$((BASE + 60))
# The portal is served through nginx, so its pages come from the public door's origin.
export ALLOWED_ORIGINS=${ALLOWED_ORIGINS:-http://localhost:$PORT http://127.0.0.1:$PORT}
read -r -a cors_origins <<<"$($PY -m connectors.common)"

for ((i = 0; i < INSTANCES; i++)); do
  ACTIONS_WARM_UP=1 start actions "$i" $PY -m bot.action_server --port $((BASE + 20 + i))
  STAFF_PORT=$((BASE + 40 + i)) start staff "$i" $PY -m staff
done
start portal 0 $PY -m portal
start consumer 0 $PY -m govservice.events --endpoints "$ENDPOINTS"
# Expiry reminders (idempotent by a unique key: safe beside another instance's copy).
start reminders 0 $PY -m govservice.notifications.reminders
for ((i = 0; i < INSTANCES; i++)); do
  start rasa "$i" "${RASA[@]}" run --model "$MODEL" --endpoints "$ENDPOINTS" --credentials "$CREDENTIALS" \
    --interface 127.0.0.1 --port $((BASE + i)) --cors "${cors_origins[@]}" --enable-api --auth-token "$RASA_TOKEN"
done
start nginx 0 /usr/sbin/nginx -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -g "daemon off;"

for ((i = 0; i < INSTANCES; i++)); do
  wait_for "http://127.0.0.1:$((BASE + 20 + i))/health" "action server $i" 120
  wait_for "http://127.0.0.1:$((BASE + 40 + i))/health" "staff app $i" 120
done
for ((i = 0; i < INSTANCES; i++)); do
  wait_for "http://127.0.0.1:$((BASE + i))/" "Rasa server $i" "$START_SECONDS"
done
wait_for "http://127.0.0.1:$PORT/health-staff" "nginx" 30
wait_for "http://127.0.0.1:$PORT/" "portal (through nginx)" 30

cat <<MSG

一号一窗一网 助手已启动（生产配置：$INSTANCES 个 Rasa 服务器、$INSTANCES 个动作服务器、$INSTANCES 个工作台实例，nginx 负载均衡）：
  REST 接口:   curl -s -XPOST localhost:$PORT/webhooks/rest/webhook -d '{"sender":"t1","message":"身份证丢了怎么补办，要带什么"}'
  Socket.IO:   ws://localhost:$PORT/socket.io
  门户网页:    http://localhost:$PORT/
  工作台:      http://localhost:$PORT/console/ （演示账号: DATABASE_URL=$DATABASE_URL VAR_DIR=$VAR make demo-accounts）
  部门接口:    http://localhost:$PORT/api/v1
  微信公众号:  http://localhost:$PORT/webhooks/wechat/webhook
  存储:        Redis $REDIS_HOST:$REDIS_PORT（会话 DB $TRACKER_REDIS_DB，锁 DB $LOCK_REDIS_DB，微信 DB $WECHAT_REDIS_DB），事件队列 $PROD_EVENTS_QUEUE
  进程号:      $PID_DIR/   日志: $LOG_DIR/
按 Ctrl-C 停止。
MSG
wait
