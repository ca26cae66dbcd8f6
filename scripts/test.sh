#!/usr/bin/env bash
# CI stages, as in rasa-demo: lint -> unit -> validate -> (train, done by make) -> story tests
# -> NLU held-out evaluation -> tests against running servers. One trained model serves all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
V=.venv/bin
MODEL=models/current.tar.gz
mkdir -p results test-artifacts

stage() { printf '\n==== %s ====\n' "$1"; }

stage "lint"
$V/ruff check govservice bot connectors staff portal overrides tests scripts bench
$V/mypy govservice connectors bot staff portal overrides bench

stage "unit"
$V/pytest -q -m "not model and not server and not crash and not e2e and not prod"

# The same tests on the production stores: every database a fresh PostgreSQL schema
# (tests/databases.py), the store tests on Redis (TEST_REDIS_URL, default DB 15 of the local Redis,
# a fresh key prefix per test) and RabbitMQ (a queue per test; tests/store_backends.py).
stage "unit on PostgreSQL, Redis and RabbitMQ"
TEST_STORES=prod $V/pytest -q -m "not model and not server and not crash and not e2e and not prod"

stage "validate"
$V/rasa data validate --fail-on-warnings --config config.yml --domain bot/domain \
  --data bot/nlu_data bot/stories

stage "story tests"
$V/rasa test core --model "$MODEL" --stories tests/ --fail-on-prediction-errors \
  --out results/core --no-plot

stage "NLU held-out evaluation"
$V/pytest -q -m model

# scripts/run_prod.sh with two of each server on test ports (tests/test_prod_profile.py).
stage "production profile: nginx, 2 Rasa, 2 action, 2 staff servers"
scripts/setup_nginx.sh
$V/pytest -q -m prod

stage "start the servers"
export RASA_PORT=${TEST_RASA_PORT:-5105} ACTION_PORT=${TEST_ACTION_PORT:-5155} STAFF_PORT=${TEST_STAFF_PORT:-5180} PORTAL_PORT=${TEST_PORTAL_PORT:-5181}
# Human handoff must not depend on the clock in tests.
export HANDOFF_DAYS=1-7 HANDOFF_HOURS=00:00-24:00
# The browser test serves the portal on a free local port: allow any local port, nothing else.
export ALLOWED_ORIGINS='^http://(localhost|127\.0\.0\.1):[0-9]+$'
# A conversation a citizen asked to delete goes within a second, so the server test can see it.
export ERASURE_POLL_SECONDS=1
export VAR_DIR="$PWD/var/test-run" DATABASE_URL="sqlite:///$PWD/var/test-run/govservice.db"
export ENDPOINTS=tests/config/endpoints.sql.yml TRACKER_DB="$PWD/var/test-run/tracker.db"
rm -rf "$VAR_DIR" && mkdir -p "$VAR_DIR"
scripts/run.sh >results/servers.log 2>&1 &
servers=$!
trap 'kill $servers 2>/dev/null; wait $servers 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  grep -q "助手已启动" results/servers.log 2>/dev/null && break
  kill -0 $servers 2>/dev/null || { cat results/servers.log; exit 1; }
  sleep 1
done
grep -q "助手已启动" results/servers.log || { echo "servers did not start"; cat results/servers.log; exit 1; }
export RASA_URL="http://localhost:$RASA_PORT" STAFF_URL="http://localhost:$STAFF_PORT"

stage "browser: portal widget and staff console (headless Chromium)"
scripts/setup_browser.sh
$V/pytest -q -m e2e

stage "against running servers"
$V/pytest -q -m server

stage "crash during submission"
$V/pytest -q -m crash
