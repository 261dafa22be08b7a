#!/bin/sh
# Creates Temporal's two PostgreSQL databases (history and visibility) or brings their schema
# up to this server version. Runs in temporalio/admin-tools before the server starts.
# Safe on every `docker compose up`: `create` ignores an existing database and `setup-schema`
# leaves a schema that is already past version 0.0 alone.
set -eu

: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS (the host of Temporal's PostgreSQL)}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD (read by temporal-sql-tool)}"
port="${DB_PORT:-5432}"
schemas=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  database="${pair%%:*}"
  schema="${pair#*:}"
  echo "Setting up database $database"
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$schemas/$schema/versioned"
done
echo "Temporal's databases are ready"
