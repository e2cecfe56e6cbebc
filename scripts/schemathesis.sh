#!/usr/bin/env bash
# A bounded schemathesis run against the engine as `npm start` runs it (docs/testing.md, "Schemathesis"):
# every operation of /openapi.json, with each role's development key in turn, checked for
#   not_a_server_error, status_code_conformance, response_schema_conformance.
# Exits non-zero on any failure. Bounded: SCHEMATHESIS_MAX_EXAMPLES examples per operation and
# SCHEMATHESIS_MAX_TIME seconds per role (defaults 10 and 30: about 4 minutes in all with the start).
# The fuzzing phase by default: the coverage phase (SCHEMATHESIS_PHASES=coverage,fuzzing) spends a
# whole budget of this size on the submission's large body alone. One worker: with two, Hypothesis's
# lambda-source cache raced (KeyError in hypothesis/internal/cache.py) and ended a role's run in error.
# schemathesis comes from PyPI into .tools/schemathesis-venv (ignored by git), pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV=.tools/schemathesis-venv
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-10}
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-30}
PHASES=${SCHEMATHESIS_PHASES:-fuzzing}
# Ports of its own, so the run never meets another engine on this machine (npm start's defaults).
export PORT=${SCHEMATHESIS_PORT:-13080}
export TEMPORAL_PORT=${SCHEMATHESIS_TEMPORAL_PORT:-17333}
export TEMPORAL_UI_PORT=${SCHEMATHESIS_TEMPORAL_UI_PORT:-18333}
export EMBEDDED_DB_PORT=${SCHEMATHESIS_DB_PORT:-15533}
export WORKER_METRICS_PORT=0
export LOG_LEVEL=${LOG_LEVEL:-warn}
OUT=test-output/schemathesis
mkdir -p "$OUT"
# A fresh engine each run: its own data directory, removed afterwards.
export DATA_DIR
DATA_DIR=$(mktemp -d /tmp/schemathesis-engine.XXXXXX)

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi

# In a process group of its own: stopping it stops npx, tsx, the Temporal dev server and PostgreSQL.
setsid npx tsx scripts/start.ts >"$OUT/engine.log" 2>&1 &
ENGINE=$!
stop_engine() {
  kill -TERM -- "-$ENGINE" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$ENGINE" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$ENGINE" 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap stop_engine EXIT

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 180); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$ENGINE" 2>/dev/null || { cat "$OUT/engine.log"; echo "the engine did not start"; exit 1; }
  sleep 1
done
curl -fsS "$BASE/readyz" >/dev/null

status=0
# The development keys (config/index.ts, docs/operations.md): one run per role.
for role in platform merchant support logistics; do
  echo "== schemathesis as $role (max $MAX_EXAMPLES examples per operation, $MAX_TIME s)"
  "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --phases "$PHASES" \
    --workers 1 \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --request-timeout 30 \
    --seed 1 \
    --header "Authorization: Bearer dev-$role-key" \
    --report junit --report-dir "$OUT/$role" \
    --no-color 2>&1 | tee "$OUT/$role.txt" || status=1
done
exit $status
