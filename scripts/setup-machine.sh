#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine where nothing was installed by hand:
# PostgreSQL 15 (Debian's package, password "postgres" on 127.0.0.1:5432), Chromium (Debian's package,
# for the console's browser test), the Temporal CLI v1.5.1
# built with `go install` (reused when already built) and the npm dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "== installing PostgreSQL"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Chromium (the support console's browser test)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | grep -q online; then
  echo "== starting PostgreSQL $pg_version"
  as_root pg_ctlcluster "$pg_version" main start
fi
as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""

temporal_bin="$(go env GOPATH)/bin/temporal"
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
  echo "== Temporal CLI: $TEMPORAL_CLI_PATH"
elif [ -x "$temporal_bin" ]; then
  echo "== Temporal CLI: $temporal_bin (already built)"
else
  echo "== building the Temporal CLI v1.5.1 (takes a few minutes)"
  go install github.com/temporalio/cli/cmd/temporal@v1.5.1 ||
    GOTOOLCHAIN=go1.25.0 go install github.com/temporalio/cli/cmd/temporal@v1.5.1
fi

echo "== npm ci"
npm ci --no-audit --no-fund
