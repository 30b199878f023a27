#!/bin/sh
# Creates the namespace csptransfer runs in and registers the search attributes the CSPTransfer workflow
# writes. Compose runs it on every `up` and the worker and trigger service wait for it, so it must be
# idempotent: an existing namespace is kept as it is (its retention too), and registering an attribute that
# already exists with the same type succeeds.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
# Retention starts when a transfer closes; a month leaves time to read the final report in the UI.
: "${TEMPORAL_NAMESPACE_RETENTION:=720h}"

# The frontend port opens before the server's services have joined; wait until it reports SERVING.
echo "waiting for Temporal at $TEMPORAL_ADDRESS"
attempt=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge 30 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not serving" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  echo "namespace $TEMPORAL_NAMESPACE exists"
else
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" \
    --retention "$TEMPORAL_NAMESPACE_RETENTION" --address "$TEMPORAL_ADDRESS"
fi

# Must match workflows.SearchAttributes(); internal/deploy's test fails when the two drift apart.
# A namespace created a moment ago can take a few seconds to reach every frontend, hence the retries.
attempt=1
until temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --address "$TEMPORAL_ADDRESS" \
  --name CspCustomerTenantId --type Keyword \
  --name CspCustomerDomain --type Keyword \
  --name CspPartnerTenantId --type Keyword \
  --name CspStage --type Keyword \
  --name CspNextActionAt --type Datetime; do
  if [ "$attempt" -ge 10 ]; then
    echo "search attributes could not be registered in namespace $TEMPORAL_NAMESPACE" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 3
done

echo "namespace $TEMPORAL_NAMESPACE is ready"
