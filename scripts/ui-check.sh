#!/usr/bin/env bash
# Proves that the Temporal UI shows why a transfer failed and why an update was rejected, without the codec
# endpoint: failure messages are stored in plain text, payloads stay encrypted. It starts a throwaway stack
# on free ports (dev server with UI, in memory; the worker with its embedded sandbox and the trigger service,
# both with a fresh codec key ring as `make run` sets it), runs a transfer that fails (the sandbox's
# Brazilian customer: region mismatch), sends an update that is rejected (a stale plan version) through the
# UI's own API, then loads the failed transfer's page in headless Chromium and checks its DOM. A second
# transfer (the sandbox's French customer, accepted) waits for plan approval: its page, read with the codec,
# must show the current details whole: both plan lines as table rows and the notes, none of it cut off. It
# does not touch `make run`'s state or ports, and installs nothing (it needs Chromium and python3).
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
command -v python3 >/dev/null || { echo "ui-check needs python3 (it drives Chromium over its DevTools pipe)" >&2; exit 1; }
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
"$bin/starter" start --tenant "$waiting" --domain fabrikam-fr.onmicrosoft.com --country FR \
  --name "Fabrikam France" --contact it@fabrikam.example >/dev/null
failed_id="csp-transfer-$failed"
waiting_id="csp-transfer-$waiting"

wait_stage "$failed_id" Failed 60
reason=$("$bin/starter" report "$failed_id" --json | sed -n 's/.*"reason": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$reason" ] || fail "no reason in the report of $failed_id"
echo "ui-check: $failed_id failed: $reason"

# The customer accepts in the (simulated) admin center; the sandbox's webhook and the operator's
# relationship-accepted signal (whichever comes first; the transfer checks Partner Center either way) move
# the transfer on to the plan, which waits for approval (a retired offer is replaced).
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$sandbox_port/sandbox/customers/$waiting/accept" \
  -d "{\"partnerTenantId\":\"$partner_eu\"}"
"$bin/starter" accept "$waiting_id" >/dev/null
wait_stage "$waiting_id" AwaitingApproval 90
waiting_status=$("$bin/starter" status "$waiting_id" --json)
for sku in ENTERPRISEWITHSCAL STANDARDPACK; do
  grep -q "\"$sku\"" <<<"$waiting_status" || fail "the plan of $waiting_id has no line $sku: $waiting_status"
done
echo "ui-check: $waiting_id waits for approval of a plan with the lines ENTERPRISEWITHSCAL and STANDARDPACK"
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

# The waiting transfer's current details: the markdown the workflow sets (SetCurrentDetails), which UI 2.42
# shows on the User Metadata tab, rendered in an iframe (/render?content=...) that the UI sizes once, on load.
# The check asks that both plan lines are table rows, the notes a list, and that none of it is cut off at the
# bottom of that iframe. The answer of the __temporal_workflow_metadata query is an encrypted payload like every
# other, so this browser gets the codec endpoint in the UI's own Data Encoder setting (localStorage "endpoint")
# and the helper adds the codec's bearer token to those requests only, as the proxy in the README would; the
# failed transfer's page above stays without the codec. Chromium's --dump-dom cannot take this page: a running
# workflow's page long-polls its history (waitNewEvent), so the --virtual-time-budget never runs out (the dump
# never comes), and the dump would leave out the iframe's document anyway. The helper drives Chromium over its
# DevTools pipe in real time instead, and writes the DOM with every same-origin iframe's document after it.
cat >"$work/page.py" <<'PY'
import argparse, base64, json, os, select, subprocess, sys, time

ap = argparse.ArgumentParser(prog="page.py")
ap.add_argument("--chromium", required=True)
ap.add_argument("--url", required=True)
ap.add_argument("--dom", required=True)
ap.add_argument("--png", required=True)
ap.add_argument("--size", default="1440,1800")
ap.add_argument("--ready", default="true", help="JavaScript: the page is taken once this holds")
ap.add_argument("--seconds", type=float, default=45)
ap.add_argument("--storage", action="append", default=[], metavar="KEY=JSON", help="localStorage entry set before the page's scripts run")
ap.add_argument("--header", action="append", default=[], metavar="URLPREFIX=NAME:VALUE", help="header added to requests under URLPREFIX")
ap.add_argument("--print", action="append", default=[], metavar="JS", help="prints this JavaScript's value (JSON) once the page is ready")
ap.add_argument("flags", nargs="*", help="more Chromium flags, after --")
a = ap.parse_args()

to_r, to_w = os.pipe()
from_r, from_w = os.pipe()
def plumb():
    os.dup2(to_r, 3)
    os.dup2(from_w, 4)
proc = subprocess.Popen([a.chromium, "--headless", "--remote-debugging-pipe", *a.flags, "about:blank"], preexec_fn=plumb,
                        pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
os.close(to_r)
os.close(from_w)
headers = []
for h in a.header:
    prefix, _, nv = h.partition("=")
    name, _, value = nv.partition(":")
    headers.append((prefix, name.strip(), value.strip()))
buf, seq, replies = b"", 0, {}

def send(method, session=None, **params):
    global seq
    seq += 1
    msg = {"id": seq, "method": method, "params": params}
    if session:
        msg["sessionId"] = session
    os.write(to_w, json.dumps(msg).encode() + b"\0")
    return seq

def on_event(m):
    if m.get("method") != "Fetch.requestPaused":
        return
    p = m["params"]
    url = p["request"]["url"]
    names = {n.lower() for _, n, _ in headers}
    hs = [{"name": k, "value": v} for k, v in p["request"].get("headers", {}).items() if k.lower() not in names]
    hs += [{"name": n, "value": v} for prefix, n, v in headers if url.startswith(prefix)]
    send("Fetch.continueRequest", m.get("sessionId"), requestId=p["requestId"], headers=hs)

def pump(until):
    global buf
    while True:
        while b"\0" in buf:
            raw, buf = buf.split(b"\0", 1)
            m = json.loads(raw)
            if "id" in m:
                replies[m["id"]] = m
            else:
                on_event(m)
        left = until - time.time()
        if left <= 0:
            return
        if select.select([from_r], [], [], left)[0]:
            chunk = os.read(from_r, 1 << 20)
            if not chunk:
                sys.exit("page.py: Chromium closed its DevTools pipe")
            buf += chunk

def call(method, session=None, **params):
    i = send(method, session, **params)
    deadline = time.time() + 60
    while i not in replies:
        if time.time() > deadline:
            sys.exit("page.py: Chromium did not answer " + method)
        pump(time.time() + 0.2)
    m = replies.pop(i)
    if "error" in m:
        sys.exit("page.py: %s: %s" % (method, m["error"]))
    return m["result"]

def evaluate(session, expr):
    r = call("Runtime.evaluate", session, expression=expr, returnByValue=True, awaitPromise=True)
    return r.get("result", {}).get("value")

DOM = """(function(){var h=document.documentElement.outerHTML,f=document.querySelectorAll('iframe');
for(var i=0;i<f.length;i++){try{h+='\\n<!-- iframe '+i+' title="'+f[i].title+'" height="'+f[i].getAttribute('height')+'" -->\\n'+
f[i].contentDocument.documentElement.outerHTML}catch(e){}}return h})()"""
code = 0
try:
    target = call("Target.createTarget", url="about:blank")["targetId"]
    s = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    w, h = (int(x) for x in a.size.split(","))
    call("Emulation.setDeviceMetricsOverride", s, width=w, height=h, deviceScaleFactor=1, mobile=False)
    call("Page.enable", s)
    if headers:
        call("Fetch.enable", s, patterns=[{"urlPattern": prefix + "*", "requestStage": "Request"} for prefix, _, _ in headers])
    if a.storage:
        js = "".join("localStorage.setItem(%s,%s);" % (json.dumps(k), json.dumps(v)) for k, _, v in (e.partition("=") for e in a.storage))
        call("Page.addScriptToEvaluateOnNewDocument", s, source="try{" + js + "}catch(e){}")
    call("Page.navigate", s, url=a.url)
    deadline = time.time() + a.seconds
    ready = "!!(function(){try{return (%s)}catch(e){return false}})()" % a.ready
    while not evaluate(s, ready):
        if time.time() > deadline:
            code = 3
            break
        pump(time.time() + 0.5)
    pump(time.time() + 1.5)  # the UI sizes its iframes on their load event
    for expr in a.print:
        print(json.dumps(evaluate(s, expr)))
    with open(a.dom, "w") as f:
        f.write(evaluate(s, DOM) or "")
    shot = call("Page.captureScreenshot", s, format="png", captureBeyondViewport=True)
    with open(a.png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    send("Browser.close")
finally:
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
sys.exit(code)
PY

waiting_run=$("$temporal" workflow describe -w "$waiting_id" | sed -n 's/^ *RunId *\([0-9a-f-]*\).*/\1/p' | head -1)
[ -n "$waiting_run" ] || fail "no run id for $waiting_id"
waiting_page="$ui/namespaces/default/workflows/$waiting_id/$waiting_run/user-metadata"
wdom="$out/transfer-awaiting-approval.html"
wshot="$out/transfer-awaiting-approval.png"
# details: the iframe whose document shows the plan. cut: what of it lies below the part the iframe shows
# (blank paragraphs do not count); wide: the table's width where it is wider than the iframe's view.
details_js='[].slice.call(document.querySelectorAll("iframe")).filter(function(f){try{return /Plan v\d/.test(f.contentDocument.body.innerText)}catch(e){return false}})[0]'
measure_js="(function(){var f=$details_js;if(!f)return null;var d=f.contentDocument,v=d.documentElement,t=d.querySelector('table'),cut=[];
d.querySelectorAll('tr,li,p').forEach(function(e){var r=e.getBoundingClientRect();if(e.textContent.replace(/[\\s\\u00a0]/g,'')&&r.bottom>v.clientHeight+0.5)
cut.push(e.tagName.toLowerCase()+' \"'+e.textContent.trim().replace(/\\s+/g,' ').slice(0,40)+'\" ends at '+Math.round(r.bottom)+'px, the iframe shows '+v.clientHeight+'px')});
return {cut:cut,frame:v.clientWidth+'x'+v.clientHeight,document:v.scrollWidth+'x'+v.scrollHeight,wide:t&&t.getBoundingClientRect().right>v.clientWidth+0.5?Math.round(t.getBoundingClientRect().width):0}})()"
set +e
measured=$(python3 "$work/page.py" --chromium "$chromium" --url "$waiting_page" --dom "$wdom" --png "$wshot" --size 1440,1800 \
  --ready "$details_js.contentDocument.body.innerText.indexOf('STANDARDPACK') >= 0" --print "$measure_js" \
  --storage "endpoint=\"$trigger/codec\"" --header "$trigger/codec=Authorization: Bearer $codec_token" -- \
  --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --user-data-dir="$(mktemp -d -p "$work")" 2>>"$work/chromium.log")
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "the current details of $waiting_id did not show STANDARDPACK within 45s (helper exit $rc; DOM in $wdom, screenshot $wshot)"

# The rendered markdown: the iframe's <main>, one line.
panel=$(sed -n '/^<!-- iframe /,$p' "$wdom" | tr -d '\n\t' | sed 's/<!-- iframe /\n&/g' | grep 'Plan v[0-9]' | grep -o '<main>.*</main>' | head -1)
[ -n "$panel" ] || fail "no current details with the plan in the DOM ($wdom)"
for sku in ENTERPRISEWITHSCAL STANDARDPACK; do
  [[ "$panel" == *"<tr><td>$sku</td>"* ]] || fail "the current details do not show $sku as a table row (DOM in $wdom): $panel"
done
[[ "$panel" == *"| STANDARDPACK |"* || "$panel" == *"| ENTERPRISEWITHSCAL |"* ]] &&
  fail "the current details show a plan line as text, not as a table row (DOM in $wdom): $panel"
[[ "$panel" =~ \<p\>\<strong\>Notes\</strong\>\</p\>\<ul\>\<li\>(ENTERPRISEWITHSCAL|STANDARDPACK):\  ]] ||
  fail "the current details have no Notes list (DOM in $wdom): $panel"
[[ "$measured" == *'"cut": []'* ]] ||
  fail "the current details are cut off at the bottom of their iframe ($measured; DOM in $wdom, screenshot $wshot)"
echo "ui-check: $waiting_id's current details show both plan rows and the notes, nothing cut off (User Metadata tab):"
printf '%s\n' "$panel" | sed 's/<\/\(p\|tr\|li\|thead\|ul\)>/&\n/g' | sed -n '/./s/^/  /p'
echo "ui-check: the details iframe: $measured"
case "$measured" in
  *'"wide": 0'*) ;;
  *) echo "ui-check: note: the plan table is wider than the iframe at 1440px: its right columns scroll sideways" ;;
esac
echo "ui-check: page       $page (gone when this script ends)"
echo "ui-check: DOM        $dom"
echo "ui-check: screenshot $out/transfer-failed.png"
echo "ui-check: page       $waiting_page"
echo "ui-check: DOM        $wdom (the iframes' documents after the page's)"
echo "ui-check: screenshot $wshot"
echo "ui-check: OK"
