#!/bin/sh
# Sourced by the Temporal one-shots and the server wrapper: turns `NAME_FILE` (a compose secret under
# /run/secrets) into `NAME`, and refuses the shipped example passwords (they begin with `change-me`, see
# deploy/secrets.example/). Only the variables below, so that `npm run compose:check` can tell which it reads.

# read_secret NAME: sets NAME from the file named by NAME_FILE, when that is set; fails on an example value.
read_secret() {
  eval "file=\${${1}_FILE:-}"
  if [ -n "$file" ]; then
    [ -r "$file" ] || { echo "${1}_FILE: cannot read $file" >&2; return 1; }
    value=$(cat "$file")
    export "$1=$value"
  fi
  eval "value=\${${1}:-}"
  case "$value" in
    change-me*|CHANGE-ME*)
      echo "${1}: is the shipped example value (it begins with \"change-me\"); choose your own" >&2
      return 1 ;;
  esac
}
# Used for POSTGRES_PWD (server-entrypoint.sh) and SQL_PASSWORD (setup-postgres.sh).
