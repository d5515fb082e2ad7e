#!/bin/sh
# Entry point of the temporal service: the image reads the database password only from POSTGRES_PWD, so it is
# loaded from the compose secret named by POSTGRES_PWD_FILE first; then the image's own entry point runs.
set -eu
. "$(dirname "$0")/secret-env.sh"
read_secret POSTGRES_PWD # from the file named by ${POSTGRES_PWD_FILE}
: "${POSTGRES_PWD:?POSTGRES_PWD or POSTGRES_PWD_FILE must be set}"
exec /etc/temporal/entrypoint.sh "$@"
