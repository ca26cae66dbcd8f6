#!/usr/bin/env bash
# The five fault tests against the production profile (docs/operations.md, "Faults"): starts
# scripts/run_prod.sh on its own ports (8600-8699), state (var/faults), database (faults_prod) and
# RabbitMQ queue (faults_events), injects each fault under load and prints the recovery table.
#   scripts/faults.sh                 all five (make faults)
#   scripts/faults.sh -k redis        one of them (pytest arguments)
#   FAULTS_ATTACH=1 scripts/faults.sh against a profile already running with this environment
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export VAR_DIR=${FAULTS_VAR_DIR:-$PWD/var/faults}
export DATABASE_URL=${FAULTS_DATABASE_URL:-postgresql://postgres@localhost:5432/faults_prod}
export PROD_PORT=${PROD_PORT:-8600} PROD_BASE_PORT=${PROD_BASE_PORT:-8610} PROD_REDIS_PORT=${PROD_REDIS_PORT:-8690}
export PROD_INSTANCES=2 PROD_EVENTS_QUEUE=${PROD_EVENTS_QUEUE:-faults_events}
# The Redis fault restarts the profile's own redis-server: never an external one.
unset REDIS_URL
if [ "${FAULTS_ATTACH:-0}" != 1 ]; then
  rm -rf "$VAR_DIR"
fi
mkdir -p "$VAR_DIR" results
exec .venv/bin/pytest -q -p no:cacheprovider -m faults tests/faults "$@"
