#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the version the admin-tools image
# ships. Compose runs it on every `up`: each step is idempotent (an existing database is kept, setup-schema
# leaves a newer version alone, update-schema applies only what is missing), so bumping the Temporal image
# tag upgrades the schema before the new server starts.
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
# temporal-sql-tool reads the password from SQL_PASSWORD, which keeps it off the process list.
: "${SQL_PASSWORD:?SQL_PASSWORD is not set}"
export SQL_PASSWORD

SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT did not open its port" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

sql_tool --db temporal create
sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"

sql_tool --db temporal_visibility create
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$SCHEMA_DIR/visibility/versioned"

echo "Temporal schemas are up to date"
