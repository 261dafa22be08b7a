#!/bin/sh
# Creates Campaign Executor's namespace and registers its custom search attributes.
#   setup-namespace.sh CampaignId=Keyword RoleId=Int ...
# The compose file passes one Name=Type per key of workflows/search_attributes.py (ALL);
# tests/docs/test_compose_stack.py fails when the two disagree.
# Safe on every `docker compose up`: an existing namespace is kept, and creating a search
# attribute that exists with the same type changes nothing (another type fails the job).
set -eu

: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${NAMESPACE_RETENTION:-7d}"

# A new namespace takes a few seconds to reach every Temporal service, so retry each step.
with_retries() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge 30 ]; then
      echo "Gave up after $attempt attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

with_retries temporal operator cluster health --address "$TEMPORAL_ADDRESS"

if temporal operator namespace describe --namespace "$namespace" \
  --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  echo "Namespace $namespace exists"
else
  with_retries temporal operator namespace create --namespace "$namespace" \
    --retention "$retention" --address "$TEMPORAL_ADDRESS"
fi

for pair in "$@"; do
  name="${pair%%=*}"
  type="${pair#*=}"
  with_retries temporal operator search-attribute create --namespace "$namespace" \
    --address "$TEMPORAL_ADDRESS" --name "$name" --type "$type"
done
temporal operator search-attribute list --namespace "$namespace" --address "$TEMPORAL_ADDRESS"
