#!/usr/bin/env bash
# One complete transfer in the sandbox, end to end, in about a minute (DEMO=partner: a customer leaving
# another CSP partner, moved by partner-to-partner transfer request; DEMO=all: both, one after the other): starts a throwaway Temporal dev
# server (in memory, no UI), runs the worker with its embedded sandbox in demo mode, prints the report and
# the sandbox ledger's verdict, and stops everything. It does not touch `make run`'s state or ports.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
port="${CSP_DEMO_TEMPORAL_PORT:-17233}"

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "make demo: port $port is in use; choose another with CSP_DEMO_TEMPORAL_PORT=..." >&2
  exit 1
fi

log=$(mktemp)
sa_flags=()
while read -r name type; do sa_flags+=(--search-attribute "$name=$type"); done < <("$bin/starter" search-attributes)
"$bin/temporal" server start-dev --ip 127.0.0.1 --port "$port" --headless --log-level error "${sa_flags[@]}" >"$log" 2>&1 &
server=$!
cleanup() {
  kill -INT "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 150); do
  "$bin/temporal" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done

# The trigger service verifies the sandbox's signed webhooks and signals the transfer, as in production.
sandbox_addr="127.0.0.1:${CSP_DEMO_SANDBOX_PORT:-18189}"
trigger_addr="127.0.0.1:${CSP_DEMO_TRIGGER_PORT:-18190}"
for a in "$sandbox_addr" "$trigger_addr"; do
  if (exec 3<>"/dev/tcp/${a%:*}/${a#*:}") 2>/dev/null; then
    echo "make demo: $a is in use; choose other ports with CSP_DEMO_SANDBOX_PORT / CSP_DEMO_TRIGGER_PORT" >&2
    exit 1
  fi
done
TEMPORAL_ADDRESS="127.0.0.1:$port" TEMPORAL_NAMESPACE=default CSP_TRIGGER_ADDR="$trigger_addr" \
CSP_TRIGGER_MODE=sandbox CSP_SANDBOX_URL="http://$sandbox_addr" CSP_RECONCILE_EVERY=off CSP_LOG_LEVEL=warn \
CSP_CODEC_KEYS= CSP_CODEC_KEYS_FILE= \
  "$bin/starter" serve >"$log.trigger" 2>&1 &
trigger=$!
trap 'kill -INT "$trigger" 2>/dev/null || true; wait "$trigger" 2>/dev/null || true; rm -f "$log.trigger"; cleanup' EXIT INT TERM

TEMPORAL_ADDRESS="127.0.0.1:$port" TEMPORAL_NAMESPACE=default \
CSP_SANDBOX_ADDR="$sandbox_addr" CSP_SANDBOX_STATE= CSP_METRICS_ADDR=off CSP_LOG_LEVEL=warn \
CSP_SANDBOX_WEBHOOK_URL="http://$trigger_addr/webhooks/partner-center" CSP_CODEC_KEYS= CSP_CODEC_KEYS_FILE= \
PARTNER_CENTER_CLIENT_ID= \
  "$bin/worker" -demo -demo-scenario "${DEMO:-offer}" || { echo "--- trigger service log:" >&2; cat "$log.trigger" >&2; exit 1; }
