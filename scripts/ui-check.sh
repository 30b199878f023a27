#!/usr/bin/env bash
# Proves that the Temporal UI shows why a transfer failed and why an update was rejected, without the codec
# endpoint: failure messages are stored in plain text, payloads stay encrypted. It starts a throwaway stack
# on free ports (dev server with UI, in memory; the worker with its embedded sandbox and the trigger service,
# both with a fresh codec key ring as `make run` sets it), runs a transfer that fails (the sandbox's
# Brazilian customer: region mismatch), sends an update that is rejected (a stale plan version) through the
# UI's own API, then loads the failed transfer's page in headless Chromium and checks its DOM. It does not
# touch `make run`'s state or ports, and installs nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
temporal="$bin/temporal"
chromium="${CHROMIUM:-/usr/bin/chromium}"
out="${UI_CHECK_OUT:-$root/.data/ui-check}"

failed=a1b2c3d4-0006-4000-8000-000000000006 # Woodgrove BR: Brazil, a market no sandbox partner sells in
waiting=a1b2c3d4-0002-4000-8000-000000000002 # Fabrikam FR: reaches plan approval
partner_eu=4a9e3f2c-1b7d-4e8a-9c6f-2d5b8e1a7c30

fail() {
  echo "ui-check: FAIL: $*" >&2
  exit 1
}

if [ ! -x "$chromium" ]; then
  echo "ui-check needs Chromium at $chromium (or set CHROMIUM=...): apt-get install -y chromium" >&2
  exit 1
fi
for b in "$temporal" "$bin/worker" "$bin/starter"; do
  [ -x "$b" ] || { echo "ui-check: $b is missing: run make tools build (make ui-check does)" >&2; exit 1; }
done

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
taken=() # free_port runs in a subshell: the caller records what it got
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(shuf -i 20000-45000 -n 1)
    if ! port_in_use "$p" && [[ " ${taken[*]} " != *" $p "* ]]; then
      echo "$p"
      return
    fi
  done
  fail "no free port found"
}
temporal_port=$(free_port)
taken+=("$temporal_port")
ui_port=$(free_port)
taken+=("$ui_port")
sandbox_port=$(free_port)
taken+=("$sandbox_port")
trigger_port=$(free_port)

work=$(mktemp -d)
pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    kill -INT "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
logs() {
  for f in "$work"/*.log; do
    echo "--- $(basename "$f") (last lines)" >&2
    tail -15 "$f" >&2
  done
}

export TEMPORAL_ADDRESS="127.0.0.1:$temporal_port" TEMPORAL_NAMESPACE=default
ui="http://127.0.0.1:$ui_port"
trigger="http://127.0.0.1:$trigger_port"
# Payload keys and codec token as `make run` makes them, fresh for this run.
(umask 077 && printf 'ui-check-%s=%s\n' "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64)" >"$work/codec.keys")
export CSP_CODEC_KEYS_FILE="$work/codec.keys" CSP_CODEC_KEYS=
codec_token=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')

# The UI is given no codec endpoint: the page is what anyone without the keys sees.
sa_flags=()
while read -r name type; do sa_flags+=(--search-attribute "$name=$type"); done < <("$bin/starter" search-attributes)
"$temporal" server start-dev --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port" --namespace default \
  --log-level error "${sa_flags[@]}" >"$work/temporal.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  "$temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { logs; fail "the dev server exited"; }
  sleep 0.2
done

CSP_TRIGGER_ADDR="127.0.0.1:$trigger_port" CSP_TRIGGER_MODE=sandbox CSP_SANDBOX_URL="http://127.0.0.1:$sandbox_port" \
CSP_RECONCILE_EVERY=off CSP_LOG_LEVEL=warn CSP_CODEC_TOKEN="$codec_token" CSP_UI_URL="$ui" \
CSP_CODEC_CORS_ORIGINS="$ui,http://localhost:$ui_port" \
  "$bin/starter" serve >"$work/trigger.log" 2>&1 &
pids+=($!)
CSP_SANDBOX_ADDR="127.0.0.1:$sandbox_port" CSP_SANDBOX_STATE= CSP_METRICS_ADDR=off CSP_LOG_LEVEL=warn \
CSP_SANDBOX_WEBHOOK_URL="$trigger/webhooks/partner-center" PARTNER_CENTER_CLIENT_ID= \
  "$bin/worker" >"$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "http://127.0.0.1:$sandbox_port/sandbox/clock" 2>/dev/null &&
    curl -fsS -o /dev/null "$trigger/healthz" 2>/dev/null && break
  sleep 0.2
done

stage() { "$bin/starter" status "$1" --json 2>/dev/null | sed -n 's/^  "stage": "\([^"]*\)".*/\1/p' | head -1; }
wait_stage() { # id, stage pattern, seconds
  local s=""
  for _ in $(seq 1 $(($3 * 2))); do
    s=$(stage "$1")
    [[ "$s" =~ ^($2)$ ]] && return 0
    sleep 0.5
  done
  logs
  fail "$1 is in stage '${s:-?}', expected $2"
}

echo "ui-check: stack up (Temporal $TEMPORAL_ADDRESS, UI $ui, trigger $trigger); starting two transfers..."
"$bin/starter" start --tenant "$failed" --domain woodgrove-br.onmicrosoft.com --country BR \
  --name "Woodgrove Bank" --contact it-admin@woodgrove-br.example >/dev/null
"$bin/starter" start --tenant "$waiting" --domain fabrikam-fr.onmicrosoft.com --country FR >/dev/null
failed_id="csp-transfer-$failed"
waiting_id="csp-transfer-$waiting"

wait_stage "$failed_id" Failed 60
reason=$("$bin/starter" report "$failed_id" --json | sed -n 's/.*"reason": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$reason" ] || fail "no reason in the report of $failed_id"
echo "ui-check: $failed_id failed: $reason"

# The customer accepts in the (simulated) admin center; the sandbox's webhook moves the transfer on to the
# plan, which waits for approval (a retired offer is replaced).
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$sandbox_port/sandbox/customers/$waiting/accept" \
  -d "{\"partnerTenantId\":\"$partner_eu\"}"
wait_stage "$waiting_id" AwaitingApproval 90
version=$("$bin/starter" status "$waiting_id" --json | sed -n 's/^  "planVersion": \([0-9]*\).*/\1/p' | head -1)
stale=$((version + 1))

# The update the UI's "Send Update" dialog sends, through the UI server's API (an Authorization header
# stands in for its CSRF cookie): approve-plan with a plan version that is not the current one.
args=$(printf '{"planVersion":%d}' "$stale" | base64 | tr -d '\n')
update=$(curl -sS -X POST "$ui/api/v1/namespaces/default/workflows/$waiting_id/update/approve-plan" \
  -H 'Authorization: Bearer ui-check' -H 'Content-Type: application/json' -d @- <<JSON
{"workflowExecution":{"workflowId":"$waiting_id"},
 "request":{"meta":{"updateId":"ui-check-stale-plan"},"input":{"name":"approve-plan","args":{"payloads":[
   {"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"$args"}]}}},
 "waitPolicy":{"lifecycleStage":"UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED"}}
JSON
)
rejection=$(printf '%s' "$update" | tr -d '\n' | sed -n 's/.*"failure": *{ *"message": *"\([^"]*\)".*/\1/p')
case "$rejection" in
  *"planVersion $stale is stale"*) echo "ui-check: the update dialog gets the rejection: $rejection" ;;
  *) fail "the UI's update call did not answer the stale plan version in plain text: $update" ;;
esac

# The CLI reads the reason without keys too, and the payloads through the trigger service's codec endpoint,
# with the flags or a temporal.toml profile as the README shows.
# JSON output carries payload data in base64: payload_text decodes every data field.
payload_text() { sed -n 's/.*"data": "\([A-Za-z0-9+\/=]*\)".*/\1/p' | while read -r d; do printf '%s' "$d" | base64 -d 2>/dev/null | tr -d '\0' || true; echo; done; }
plain=$("$temporal" workflow show -w "$failed_id" -o json --disable-config-file)
[[ "$plain" == *"region mismatch"* ]] || fail "temporal workflow show without the codec does not show the reason"
[[ "$(payload_text <<<"$plain")" == *"it-admin@woodgrove-br.example"* ]] && fail "temporal workflow show without the codec shows the contact's e-mail"
decoded=$("$temporal" workflow show -w "$failed_id" -o json --disable-config-file \
  --codec-endpoint "$trigger/codec" --codec-auth "Bearer $codec_token")
[[ "$(payload_text <<<"$decoded")" == *"it-admin@woodgrove-br.example"* ]] || { logs; fail "temporal workflow show --codec-endpoint did not decode the input"; }
cat >"$work/temporal.toml" <<TOML
[profile.ui-check]
address = "$TEMPORAL_ADDRESS"
namespace = "default"
[profile.ui-check.codec]
endpoint = "$trigger/codec"
auth = "Bearer $codec_token"
TOML
profiled=$(env -u TEMPORAL_ADDRESS -u TEMPORAL_NAMESPACE "$temporal" workflow show -w "$failed_id" -o json \
  --config-file "$work/temporal.toml" --profile ui-check)
[[ "$(payload_text <<<"$profiled")" == *"it-admin@woodgrove-br.example"* ]] || fail "temporal workflow show --profile did not decode the input"
echo "ui-check: temporal workflow show: reason readable without keys; input decoded with --codec-endpoint and with a temporal.toml profile"

run_id=$("$temporal" workflow describe -w "$failed_id" | sed -n 's/^ *RunId *\([0-9a-f-]*\).*/\1/p' | head -1)
[ -n "$run_id" ] || fail "no run id for $failed_id"
page="$ui/namespaces/default/workflows/$failed_id/$run_id/history"
mkdir -p "$out"
chrome() {
  local profile
  profile=$(mktemp -d -p "$work")
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=15000 "$@" 2>>"$work/chromium.log"
}
chrome --dump-dom "$page" >"$out/transfer-failed.html"
chrome --window-size=1440,1800 --screenshot="$out/transfer-failed.png" "$page" >/dev/null

dom="$out/transfer-failed.html"
grep -q "region mismatch" "$dom" || fail "the page does not show the failure reason (DOM in $dom)"
grep -q "Encoded failure" "$dom" && fail "the page shows \"Encoded failure\" (DOM in $dom)"
grep -q "it-admin@woodgrove-br.example" "$dom" && fail "the page shows the contact's e-mail without the codec (DOM in $dom)"

echo "ui-check: the failed transfer's page shows the reason, and no \"Encoded failure\" (DOM text):"
sed 's/<[^>]*>/ /g' "$dom" | tr -s ' \n' ' ' | grep -o 'Failure Message region mismatch.\{0,60\}\|"message" : "region mismatch.\{0,60\}' |
  sort | uniq -c | sed 's/^ */  /'
echo "ui-check: page       $page (gone when this script ends)"
echo "ui-check: DOM        $dom"
echo "ui-check: screenshot $out/transfer-failed.png"
echo "ui-check: OK"
