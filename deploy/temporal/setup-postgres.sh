#!/bin/sh
# One-shot schema setup for Temporal on PostgreSQL (the temporalio/server image does not set up its own schema).
# Safe to run on every `docker compose up`: create-database ignores an existing database, setup-schema -v 0.0 only
# adds the version tables, and update-schema applies just the versions the database lacks — which is also how a
# Temporal upgrade migrates the schema. temporal-sql-tool reads SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD from the environment; SQL_PASSWORD comes from the compose secret named by SQL_PASSWORD_FILE. As
# every other service waits for this one, an example password stops the whole stack here.
set -eu

. "$(dirname "$0")/secret-env.sh"
read_secret SQL_PASSWORD # from the file named by ${SQL_PASSWORD_FILE}
: "${SQL_HOST:?SQL_HOST must name the PostgreSQL host}"
: "${SQL_USER:?SQL_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD or SQL_PASSWORD_FILE must be set}"
schema_root=/etc/temporal/schema/postgresql/v12

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) versioned="$schema_root/temporal/versioned" ;;
    *) versioned="$schema_root/visibility/versioned" ;;
  esac
  echo "Setting up database $db on $SQL_HOST"
  temporal-sql-tool --db "$db" create
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$versioned"
done
echo 'Temporal schema is up to date'
