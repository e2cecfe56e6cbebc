#!/bin/sh
# One-shot schema job (docker-compose.yml, service temporal-schema), run by temporalio/admin-tools:
# creates Temporal's two PostgreSQL databases on the first run and brings both schemas up to the
# version this image ships, as Temporal's own compose files do now that auto-setup is gone.
# Re-running it is safe: an existing database is kept, update-schema applies only newer versions.
set -eu

sql() {
  temporal-sql-tool --plugin postgres12 --ep "${POSTGRES_SEEDS}" -p "${DB_PORT}" -u "${POSTGRES_USER}" --db "$@"
}

prepare() {
  db=$1
  schema=$2
  if sql "$db" create-database 2>/tmp/create.err; then
    sql "$db" setup-schema -v 0.0
  elif grep -qi 'already exists' /tmp/create.err; then
    echo "database $db exists: updating its schema only"
  else
    cat /tmp/create.err >&2
    exit 1
  fi
  sql "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
}

prepare temporal temporal
prepare temporal_visibility visibility
echo 'Temporal schemas ready'
