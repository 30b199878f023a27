#!/usr/bin/env bash
# Starts the local stack: the Temporal dev server (SQLite under .data/, UI on :8233), the worker with the
# embedded Partner Center sandbox, and the trigger service (webhooks and onboarding API on :8090). Ctrl-C
# stops everything this script started; state survives a restart.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
data="$root/.data"
temporal="$bin/temporal"

: "${TEMPORAL_PORT:=7233}"
: "${TEMPORAL_UI_PORT:=8233}"
: "${CSP_SANDBOX_PORT:=8089}"
: "${CSP_TRIGGER_PORT:=8090}"
: "${CSP_METRICS_PORT:=9090}"
export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
export CSP_SANDBOX_ADDR="${CSP_SANDBOX_ADDR:-127.0.0.1:${CSP_SANDBOX_PORT}}"
export CSP_SANDBOX_STATE="${CSP_SANDBOX_STATE:-$data/sandbox.json}"
export CSP_METRICS_ADDR="${CSP_METRICS_ADDR:-127.0.0.1:${CSP_METRICS_PORT}}"
# The trigger service runs in sandbox mode: it trusts the sandbox's signing root, and the sandbox delivers its
# signed webhooks to it. The onboarding token below is for this machine only; set your own to change it.
export CSP_TRIGGER_ADDR="${CSP_TRIGGER_ADDR:-127.0.0.1:${CSP_TRIGGER_PORT}}"
export CSP_TRIGGER_MODE="${CSP_TRIGGER_MODE:-sandbox}"
export CSP_SANDBOX_URL="${CSP_SANDBOX_URL:-http://${CSP_SANDBOX_ADDR}}"
export CSP_SANDBOX_WEBHOOK_URL="${CSP_SANDBOX_WEBHOOK_URL:-http://${CSP_TRIGGER_ADDR}/webhooks/partner-center}"
export CSP_UI_URL="${CSP_UI_URL:-http://localhost:${TEMPORAL_UI_PORT}}"
dev_token="local-dev-onboarding-token"
token_hint='$CSP_ONBOARDING_TOKEN'
if [ -z "${CSP_ONBOARDING_TOKEN:-}" ]; then
  export CSP_ONBOARDING_TOKEN="$dev_token"
  token_hint="$dev_token"
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

busy=()
for p in "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$CSP_SANDBOX_PORT" "$CSP_TRIGGER_PORT" "$CSP_METRICS_PORT"; do
  port_in_use "$p" && busy+=("$p")
done
if [ ${#busy[@]} -gt 0 ]; then
  echo "make run: port(s) ${busy[*]} already in use on 127.0.0.1." >&2
  echo "Stop whatever listens there (another 'make run'?) or choose other ports, e.g. TEMPORAL_PORT=17233 TEMPORAL_UI_PORT=18233 make run." >&2
  exit 1
fi

mkdir -p "$data"

# Payloads stored in Temporal are encrypted. The key ring is made once per checkout and kept with the
# state it protects; the UI decodes through the trigger service's codec endpoint, and the CLI reads the
# same file (export CSP_CODEC_KEYS_FILE, as printed below).
if [ -z "${CSP_CODEC_KEYS:-}" ]; then
  export CSP_CODEC_KEYS_FILE="${CSP_CODEC_KEYS_FILE:-$data/codec.keys}"
  if [ ! -s "$CSP_CODEC_KEYS_FILE" ]; then
    (umask 077 && printf 'dev-%s=%s\n' "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64)" >"$CSP_CODEC_KEYS_FILE")
  fi
fi
export CSP_CODEC_CORS_ORIGINS="${CSP_CODEC_CORS_ORIGINS:-http://localhost:${TEMPORAL_UI_PORT},http://127.0.0.1:${TEMPORAL_UI_PORT}}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    echo "Stopping..."
    kill -INT "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup INT TERM EXIT

sa_flags=()
while read -r name type; do
  sa_flags+=(--search-attribute "$name=$type")
done < <("$bin/starter" search-attributes)

echo "Starting the Temporal dev server (state in .data/temporal.db, log in .data/temporal.log)..."
"$temporal" server start-dev \
  --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename "$data/temporal.db" --namespace "$TEMPORAL_NAMESPACE" \
  --ui-codec-endpoint "http://${CSP_TRIGGER_ADDR}/codec" \
  --log-level warn "${sa_flags[@]}" >"$data/temporal.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 150); do
  if "$temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "The Temporal dev server exited; last lines of .data/temporal.log:" >&2
    tail -20 "$data/temporal.log" >&2
    exit 1
  fi
  sleep 0.2
done

# --search-attribute only applies when the SQLite file is new; register them on an existing database too.
while read -r name type; do
  "$temporal" operator search-attribute create --address "$TEMPORAL_ADDRESS" \
    --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" >/dev/null 2>&1 || true
done < <("$bin/starter" search-attributes)

cat <<MSG

  Temporal UI      http://localhost:${TEMPORAL_UI_PORT}/namespaces/${TEMPORAL_NAMESPACE}/workflows
  Temporal server  ${TEMPORAL_ADDRESS} (namespace ${TEMPORAL_NAMESPACE})
  Sandbox          http://${CSP_SANDBOX_ADDR}/sandbox/customers   (Partner Center + Graph emulator)
  Trigger service  http://${CSP_TRIGGER_ADDR}   (webhooks: /webhooks/partner-center, onboarding: /v1/transfers)

  Payloads are encrypted at rest (keys in ${CSP_CODEC_KEYS_FILE:-CSP_CODEC_KEYS}); the UI decodes them through
  http://${CSP_TRIGGER_ADDR}/codec.

  Next, in another terminal:
    export CSP_CODEC_KEYS_FILE=${CSP_CODEC_KEYS_FILE:-}   # so the CLI reads encrypted payloads
    .bin/starter --help                  the operator CLI
    .bin/temporal workflow list          what is running

  Start a transfer through the onboarding API (answers 201, or 200 with "existing": true):
    curl -s -X POST http://${CSP_TRIGGER_ADDR}/v1/transfers \\
      -H "Authorization: Bearer ${token_hint}" -H "Content-Type: application/json" \\
      -d '{"customerTenantId":"a1b2c3d4-0002-4000-8000-000000000002","customerDomain":"fabrikam-fr.onmicrosoft.com","country":"FR"}'
    curl -s -H "Authorization: Bearer ${token_hint}" http://${CSP_TRIGGER_ADDR}/v1/transfers/a1b2c3d4-0002-4000-8000-000000000002

  Press Ctrl-C to stop.

MSG

"$bin/worker" &
pids+=($!)
"$bin/starter" serve &
pids+=($!)
wait -n "${pids[@]}" || true
