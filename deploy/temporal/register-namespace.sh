#!/bin/sh
# One-shot: creates the namespace (the temporalio/server image creates none) and registers the custom search
# attributes given as `Name=Type` arguments, the pairs of src/search-attributes.ts (`npm run compose:check` keeps
# docker-compose.yml in step with that file). Safe to run again: an existing namespace is kept, and the server
# skips attributes that already exist with the same type.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must point at the Temporal frontend}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-7d}"
attempts="${TEMPORAL_SETUP_ATTEMPTS:-60}"

[ "$#" -gt 0 ] || { echo 'usage: register-namespace.sh Name=Type ...' >&2; exit 2; }
for pair in "$@"; do
  case "$pair" in
    ?*=?*) ;;
    *) echo "search attribute \"$pair\" is not Name=Type" >&2; exit 2 ;;
  esac
done

# The frontend answers before the rest of the cluster is ready, and a new namespace takes a few seconds to reach
# every service's cache; retrying beats guessing a sleep.
retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$attempts" ]; then
      echo "gave up after $attempts attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$namespace" >/dev/null 2>&1; then
  echo "Namespace $namespace exists"
else
  retry temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$namespace" \
    --retention "$retention"
  echo "Namespace $namespace created (retention $retention)"
fi

# One call per attribute, so that a failure names its attribute.
for pair in "$@"; do
  retry temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$namespace" \
    --name "${pair%%=*}" --type "${pair#*=}"
done
echo "Search attributes registered in $namespace: $*"
