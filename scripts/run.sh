#!/usr/bin/env bash
# Starts the local stack: the Temporal dev server (SQLite under .data/, UI on :8233), the worker with the
# embedded Partner Center sandbox, and the trigger service (webhooks and onboarding API on :8090).
#
# Ports: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), CSP_SANDBOX_PORT (8089), CSP_TRIGGER_PORT (8090),
# CSP_METRICS_PORT (9090), all on 127.0.0.1. State: CSP_DATA_DIR (default .data/), private to this user.
# Once everything answers it writes <data>/env, the settings another shell needs (`source .data/env`).
# The worker and the trigger service are restarted when they exit (with a back-off), so either can be
# restarted alone with `kill $(cat .data/worker.pid)`; the Temporal server keeps running. Ctrl-C (SIGINT)
# or SIGTERM stops everything this script started; state survives a restart.
set -euo pipefail
umask 077

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
temporal="$bin/temporal"
data="${CSP_DATA_DIR:-$root/.data}"
case $data in /*) ;; *) data="$PWD/$data" ;; esac
# How the hints name the data directory: relative to the checkout when it is the default one.
if [ "$data" = "$root/.data" ] && [ "$PWD" = "$root" ]; then shown=.data; else shown=$data; fi

say() { echo "make run: $*" >&2; }
die() { say "$*"; exit 1; }

# --- ports -------------------------------------------------------------------------------------------
port_vars=(TEMPORAL_PORT TEMPORAL_UI_PORT CSP_SANDBOX_PORT CSP_TRIGGER_PORT CSP_METRICS_PORT)
: "${TEMPORAL_PORT:=7233}"
: "${TEMPORAL_UI_PORT:=8233}"
: "${CSP_SANDBOX_PORT:=8089}"
: "${CSP_TRIGGER_PORT:=8090}"
: "${CSP_METRICS_PORT:=9090}"

describe() {
  case $1 in
    TEMPORAL_PORT) echo "the Temporal server" ;;
    TEMPORAL_UI_PORT) echo "the Temporal UI" ;;
    CSP_SANDBOX_PORT) echo "the Partner Center sandbox" ;;
    CSP_TRIGGER_PORT) echo "the trigger service" ;;
    CSP_METRICS_PORT) echo "the worker's metrics and health" ;;
  esac
}

# label names a supervised component in messages.
label() { if [ "$1" = trigger ]; then echo "trigger service"; else echo "$1"; fi; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for v in "${port_vars[@]}"; do
  p=${!v}
  case $p in '' | *[!0-9]*) die "$v=$p is not a port number (expected 1-65535)" ;; esac
  p=$((10#$p))
  if [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "$v=$p is not a port number (expected 1-65535)"; fi
  printf -v "$v" '%s' "$p"
  export "${v?}"
done
for ((i = 0; i < ${#port_vars[@]}; i++)); do
  for ((j = i + 1; j < ${#port_vars[@]}; j++)); do
    a=${port_vars[i]} b=${port_vars[j]}
    if [ "${!a}" = "${!b}" ]; then die "$a and $b are both ${!a}: give each its own port"; fi
  done
done

busy=()
for v in "${port_vars[@]}"; do
  if port_in_use "${!v}"; then busy+=("$v"); fi
done
if [ ${#busy[@]} -gt 0 ]; then
  suggest=()
  taken=" ${TEMPORAL_PORT} ${TEMPORAL_UI_PORT} ${CSP_SANDBOX_PORT} ${CSP_TRIGGER_PORT} ${CSP_METRICS_PORT} "
  for v in "${busy[@]}"; do
    say "port ${!v} ($v, $(describe "$v")) is already in use on 127.0.0.1."
    alt=$((${!v} + 10000))
    if [ "$alt" -gt 65535 ]; then alt=$((${!v} - 10000)); fi
    while [ "$alt" -lt 65535 ] && { port_in_use "$alt" || [[ $taken == *" $alt "* ]]; }; do alt=$((alt + 1)); done
    taken="$taken$alt "
    suggest+=("$v=$alt")
  done
  left=()
  for f in temporal worker trigger; do
    if [ -s "$data/$f.pid" ] && kill -0 "$(cat "$data/$f.pid")" 2>/dev/null; then
      left+=("$([ $f = temporal ] && echo "Temporal dev server" || label $f) pid $(cat "$data/$f.pid")")
    fi
  done
  if [ ${#left[@]} -gt 0 ]; then
    say "another make run on $shown/ may still be running: $(IFS=,; echo "${left[*]}" | sed 's/,/, /g')."
  fi
  say "stop whatever listens there (another make run? Ctrl-C it) or choose free ports, e.g. ${suggest[*]} make run"
  exit 1
fi

for f in "$temporal" "$bin/worker" "$bin/starter"; do
  [ -x "$f" ] || die "$f is missing: run make tools build (make run does both)"
done

# --- settings ----------------------------------------------------------------------------------------
# Every address is derived from the ports above, so the port check, the hints and .data/env tell the truth
# (and a shell that sourced an older .data/env cannot point this stack at another one).
export TEMPORAL_ADDRESS="127.0.0.1:${TEMPORAL_PORT}"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
export CSP_SANDBOX_ADDR="127.0.0.1:${CSP_SANDBOX_PORT}"
export CSP_SANDBOX_URL="http://${CSP_SANDBOX_ADDR}"
export CSP_SANDBOX_STATE="${CSP_SANDBOX_STATE:-$data/sandbox.json}"
export CSP_METRICS_ADDR="127.0.0.1:${CSP_METRICS_PORT}"
export CSP_UI_URL="http://localhost:${TEMPORAL_UI_PORT}"
# The trigger service runs in sandbox mode: it trusts the sandbox's signing root, and the sandbox delivers its
# signed webhooks to it. The onboarding token below is for this machine only; set your own to change it.
export CSP_TRIGGER_ADDR="127.0.0.1:${CSP_TRIGGER_PORT}"
export CSP_TRIGGER_MODE="${CSP_TRIGGER_MODE:-sandbox}"
export CSP_SANDBOX_WEBHOOK_URL="http://${CSP_TRIGGER_ADDR}/webhooks/partner-center"
export CSP_CODEC_CORS_ORIGINS="http://localhost:${TEMPORAL_UI_PORT},http://127.0.0.1:${TEMPORAL_UI_PORT}"
trigger_url="http://${CSP_TRIGGER_ADDR}"
own_token=1
if [ -z "${CSP_ONBOARDING_TOKEN:-}" ]; then
  export CSP_ONBOARDING_TOKEN="local-dev-onboarding-token"
  own_token=
fi

# --- state -------------------------------------------------------------------------------------------
# .data/ holds customer data and the keys that decrypt it: only this user may read it, including files an
# earlier version of this script left readable.
if [ -s "$data/temporal.pid" ] && pid=$(cat "$data/temporal.pid") && kill -0 "$pid" 2>/dev/null &&
  ps -o comm= -p "$pid" 2>/dev/null | grep -q temporal; then
  die "a Temporal dev server (pid $pid) of another make run already uses $shown/: stop it, or set CSP_DATA_DIR"
fi
mkdir -p "$data"
chmod 700 "$data"
for f in temporal.db temporal.db-wal temporal.db-shm temporal.db-journal temporal.log codec.keys sandbox.json env \
  temporal.pid worker.pid trigger.pid; do
  if [ -f "$data/$f" ]; then chmod 600 "$data/$f"; fi
done

# Payloads stored in Temporal are encrypted. The key ring is made once per checkout and kept with the
# state it protects; the UI decodes through the trigger service's codec endpoint, and the CLI reads the
# same file (CSP_CODEC_KEYS_FILE, set by .data/env).
if [ -z "${CSP_CODEC_KEYS:-}" ]; then
  keys="${CSP_CODEC_KEYS_FILE:-$data/codec.keys}"
  case $keys in /*) ;; *) keys="$PWD/$keys" ;; esac
  export CSP_CODEC_KEYS_FILE="$keys"
  if [ ! -s "$keys" ]; then
    printf 'dev-%s=%s\n' "$(date +%Y%m%d)" "$(head -c 32 /dev/urandom | base64)" >"$keys"
  fi
fi

# --- processes ---------------------------------------------------------------------------------------
server_pid="" worker_pid="" trigger_pid="" sleeper=""
# stop_all stops the worker and the trigger service first (they drain against a live server), then the
# server; whatever has not exited in time is killed.
stop_within() {
  local secs=$1 pid alive
  shift
  [ $# -gt 0 ] || return 0
  kill -INT "$@" 2>/dev/null || true
  for ((n = 0; n < secs * 5; n++)); do
    alive=
    for pid in "$@"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    [ -n "$alive" ] || break
    sleep 0.2
  done
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop within ${secs}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
stop_all() {
  trap - INT TERM EXIT
  local apps=()
  if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null || true; fi
  if [ -n "$worker_pid" ]; then apps+=("$worker_pid"); fi
  if [ -n "$trigger_pid" ]; then apps+=("$trigger_pid"); fi
  if [ ${#apps[@]} -gt 0 ] || [ -n "$server_pid" ]; then
    echo >&2
    say "stopping..."
  fi
  if [ ${#apps[@]} -gt 0 ]; then stop_within 45 "${apps[@]}"; fi
  if [ -n "$server_pid" ]; then stop_within 20 "$server_pid"; fi
  rm -f "$data/temporal.pid" "$data/worker.pid" "$data/trigger.pid" "$data/env"
}
on_signal() {
  stop_all
  exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

# start_app starts the worker or the trigger service in the background and records its pid.
start_app() {
  case $1 in
    worker) "$bin/worker" & ;;
    trigger) "$bin/starter" serve & ;;
  esac
  printf -v "${1}_pid" '%s' "$!"
  printf -v "${1}_started" '%s' "$SECONDS"
  echo "$!" >"$data/$1.pid"
}

# http_ok answers whether GET http://127.0.0.1:<port><path> returns 200.
http_ok() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$2" "$1" >&3
    IFS= read -r -t 3 status <&3 || exit 1
    case $status in "HTTP/1."?" 200"*) exit 0 ;; *) exit 1 ;; esac
  ) 2>/dev/null
}

sa_flags=()
while read -r name type; do
  sa_flags+=(--search-attribute "$name=$type")
done < <("$bin/starter" search-attributes)

say "starting the Temporal dev server (state in $shown/temporal.db, log in $shown/temporal.log)..."
"$temporal" server start-dev \
  --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename "$data/temporal.db" --namespace "$TEMPORAL_NAMESPACE" \
  --ui-codec-endpoint "${trigger_url}/codec" \
  --log-level warn "${sa_flags[@]}" >"$data/temporal.log" 2>&1 &
server_pid=$!
echo "$server_pid" >"$data/temporal.pid"

healthy=
for _ in $(seq 1 300); do
  if "$temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then healthy=1 && break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    say "the Temporal dev server exited; last lines of $shown/temporal.log:"
    tail -20 "$data/temporal.log" >&2
    exit 1
  fi
  sleep 0.2
done
[ -n "$healthy" ] || die "the Temporal dev server did not answer on $TEMPORAL_ADDRESS within 60s (log: $shown/temporal.log)"

# --search-attribute only applies when the SQLite file is new; register them on an existing database too.
while read -r name type; do
  "$temporal" operator search-attribute create --address "$TEMPORAL_ADDRESS" \
    --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" >/dev/null 2>&1 || true
done < <("$bin/starter" search-attributes)

# A component that fails before it ever answers stops make run with its error (a bad setting, say); once up,
# it is restarted when it exits.
start_app worker
start_app trigger
ready=
for _ in $(seq 1 300); do
  for c in worker trigger; do
    pid_var=${c}_pid
    if ! kill -0 "${!pid_var}" 2>/dev/null; then
      status=0 && wait "${!pid_var}" || status=$?
      printf -v "$pid_var" '%s' ""
      die "the $(label "$c") exited with status $status before it was ready (its log is above)"
    fi
  done
  if http_ok "$CSP_METRICS_PORT" /readyz && http_ok "$CSP_TRIGGER_PORT" /readyz && port_in_use "$CSP_SANDBOX_PORT"; then
    ready=1 && break
  fi
  sleep 0.2
done
[ -n "$ready" ] || die "the worker (:$CSP_METRICS_PORT/readyz) or the trigger service (:$CSP_TRIGGER_PORT/readyz) was not ready within 60s"

# What another shell needs to reach this stack: the starter CLI and loadtest read these, the rest is for curl.
{
  echo "# Written by make run (scripts/run.sh): the settings another shell needs to reach this stack."
  echo "# Use: source $shown/env"
  printf 'export %s=%q\n' TEMPORAL_ADDRESS "$TEMPORAL_ADDRESS" TEMPORAL_NAMESPACE "$TEMPORAL_NAMESPACE" \
    CSP_UI_URL "$CSP_UI_URL" CSP_SANDBOX_URL "$CSP_SANDBOX_URL" CSP_TRIGGER_URL "$trigger_url" \
    CSP_METRICS_URL "http://${CSP_METRICS_ADDR}/metrics"
  if [ -n "${CSP_CODEC_KEYS_FILE:-}" ]; then
    echo "unset CSP_CODEC_KEYS"
    printf 'export %s=%q\n' CSP_CODEC_KEYS_FILE "$CSP_CODEC_KEYS_FILE"
  else
    echo "# CSP_CODEC_KEYS: export the value make run was started with (not written here)."
  fi
  if [ -z "$own_token" ]; then
    printf 'export %s=%q\n' CSP_ONBOARDING_TOKEN "$CSP_ONBOARDING_TOKEN"
  else
    echo "# CSP_ONBOARDING_TOKEN: export the token make run was started with (not written here)."
  fi
} >"$data/.env.$$"
mv -f "$data/.env.$$" "$data/env"

cat <<MSG

  Temporal UI      ${CSP_UI_URL}/namespaces/${TEMPORAL_NAMESPACE}/workflows
  Temporal server  ${TEMPORAL_ADDRESS} (namespace ${TEMPORAL_NAMESPACE})
  Sandbox          ${CSP_SANDBOX_URL}/sandbox/customers   (Partner Center + Graph emulator)
  Trigger service  ${trigger_url}   (webhooks: /webhooks/partner-center, onboarding: /v1/transfers)
  Worker metrics   http://${CSP_METRICS_ADDR}/metrics
  State            ${shown}/ (payloads are encrypted at rest; the UI decodes them through ${trigger_url}/codec)

  Next, in another terminal in ${root}:
    source ${shown}/env     sets these (or paste them):
$(grep '^export\|^unset' "$data/env" | sed 's/^/      /')
    .bin/starter list        the transfers (.bin/starter --help for the rest)
    .bin/temporal workflow list

  Start a transfer through the onboarding API (answers 201, or 200 with "existing": true):
    curl -s -X POST "\$CSP_TRIGGER_URL/v1/transfers" \\
      -H "Authorization: Bearer \$CSP_ONBOARDING_TOKEN" -H "Content-Type: application/json" \\
      -d '{"customerTenantId":"a1b2c3d4-0002-4000-8000-000000000002","customerDomain":"fabrikam-fr.onmicrosoft.com","country":"FR"}'
    curl -s -H "Authorization: Bearer \$CSP_ONBOARDING_TOKEN" "\$CSP_TRIGGER_URL/v1/transfers/a1b2c3d4-0002-4000-8000-000000000002"

  The worker and the trigger service are restarted when they exit; to restart one alone (after make build):
    kill \$(cat ${shown}/worker.pid)     or     kill \$(cat ${shown}/trigger.pid)

  Press Ctrl-C to stop everything.

MSG

# --- supervision -------------------------------------------------------------------------------------
# Poll instead of `wait -n`: a trapped Ctrl-C interrupts the short `wait` below at once, and a restart can
# be scheduled without blocking the other component.
worker_delay=0 trigger_delay=0 worker_at=0 trigger_at=0
while :; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    status=0 && wait "$server_pid" || status=$?
    server_pid=""
    say "the Temporal dev server exited with status $status; stopping. Last lines of $shown/temporal.log:"
    tail -20 "$data/temporal.log" >&2
    exit 1
  fi
  for c in worker trigger; do
    pid_var=${c}_pid delay_var=${c}_delay at_var=${c}_at started_var=${c}_started
    pid=${!pid_var}
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      status=0 && wait "$pid" || status=$?
      ran=$((SECONDS - ${!started_var}))
      # Back-off: 1s, doubling to 30s while it keeps exiting within a minute of its start.
      delay=${!delay_var}
      if [ "$ran" -ge 60 ] || [ "$delay" -eq 0 ]; then delay=1; else delay=$((delay * 2 > 30 ? 30 : delay * 2)); fi
      printf -v "$delay_var" '%s' "$delay"
      printf -v "$at_var" '%s' "$((SECONDS + delay))"
      printf -v "$pid_var" '%s' ""
      rm -f "$data/$c.pid"
      say "the $(label "$c") (pid $pid) exited with status $status after ${ran}s; restarting it in ${delay}s"
    elif [ -z "$pid" ] && [ "$SECONDS" -ge "${!at_var}" ]; then
      start_app "$c"
      say "restarted the $(label "$c") (pid ${!pid_var})"
    fi
  done
  sleep 0.5 &
  sleeper=$!
  wait "$sleeper" || true
  sleeper=""
done
