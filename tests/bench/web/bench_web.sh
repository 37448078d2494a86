#!/usr/bin/env bash
# Web API load benchmark (issue 6, SPEC section 9: API pages answer in under 50 ms with 100 scans
# of history). Not a ctest test: run it by hand on an otherwise idle machine.
#
#   tests/bench/web/bench_web.sh [BUILD_DIR] [SECONDS] [LAB_USERS]
#
# 1. Fills a store with 100 completed scans x ~20,000 findings (bench_web_fill; kept in
#    BUILD_DIR/bench-web/store.sqlite and reused on later runs).
# 2. Starts a lab DC with LAB_USERS extra users (default 20000, so a scan takes seconds; restored
#    from the lab cache when there is one) in BUILD_DIR/bench-web/lab and `adcheck serve` on a free loopback port with a
#    local admin, logs in, and keeps a scan of the lab running the whole time (a new one is
#    started as soon as the previous finishes: the writer works while the readers read).
#    The findings API caches answers per stored-data version (web/server/response_cache.h):
#    repeated page views are cache hits until a scan is written; BENCH_WEB_VARY=1 makes every
#    URL unique (always a miss) to measure the query path itself.
# 3. Runs wrk (2 threads, 16 connections, SECONDS, default 10) on
#    /api/v1/findings?severity=high&limit=50 with the session cookie, and prints requests/s, the
#    p99 latency and its ratio to the 50 ms target, and how many scans ran meanwhile.
# BENCH_WEB_NO_SCAN=1 measures the same without the scan, for comparison.
set -euo pipefail
src=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$src/build/ci}
duration=${2:-10}
lab_users=${3:-20000}
adcheck=$build/adcheck/app/adcheck
fill=$build/tests/bench/web/bench_web_fill
work=$build/bench-web
lab=$work/lab
[[ -x $adcheck && -x $fill ]] || { echo "build adcheck and bench_web_fill first (in $build)"; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 2; }
mkdir -p "$work"

if [[ ! -s $work/store.sqlite ]]; then
  echo "filling $work/store.sqlite (100 scans x 20,000 users) ..." >&2
  t=$(date +%s.%N)
  "$fill" --store "$work/store.sqlite.tmp" --scans 100 --users 20000
  mv "$work/store.sqlite.tmp" "$work/store.sqlite"
  rm -f "$work/store.sqlite.tmp-wal" "$work/store.sqlite.tmp-shm"
  echo "filled in $(echo "$(date +%s.%N) - $t" | bc) s" >&2
fi
# Each run starts from the same history: work on a copy.
cp "$work/store.sqlite" "$work/run.sqlite"
rm -f "$work/run.sqlite-wal" "$work/run.sqlite-shm"

/usr/bin/python3 "$src/tests/lab/lab.py" up --dir "$lab" --users "$lab_users" >&2
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  /usr/bin/python3 "$src/tests/lab/lab.py" down --dir "$lab" >&2 || true
}
trap cleanup EXIT
read -r ldaps ca <<<"$(/usr/bin/python3 -c "import json;l=json.load(open('$lab/lab.json'));print(l['ldaps_uri'],l['ca_file'])")"

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
hash=$(printf '%s' "$password" | "$adcheck" hash-password)
port=$(/usr/bin/python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
cat > "$work/serve.ini" <<INI
[directory]
uri = $ldaps
bind = simple
user = svc-adcheck@corp.example.com
password_file = $lab/reader.pw
ca_file = $ca
[store]
path = $work/run.sqlite
keep_scans = 200
[web]
listen = 127.0.0.1:$port
admin_user = admin
admin_password_hash = $hash
audit_log =
[schedule]
interval = 0
INI
"$adcheck" serve --config "$work/serve.ini" > "$work/serve.out" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/api/v1/health" >/dev/null && break; sleep 0.1; done

login=$(curl -s -D - -o "$work/login.json" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/api/v1/login")
cookie=$(grep -i '^set-cookie: adcheck_session=' <<<"$login" | sed 's/^[^=]*=\([0-9a-f]*\);.*/\1/i')
csrf=$(/usr/bin/python3 -c "import json;print(json.load(open('$work/login.json'))['csrf'])")
[[ -n $cookie ]] || { echo "login failed: $login"; exit 1; }

# Keep a scan running for the whole measurement.
(
  [[ ${BENCH_WEB_NO_SCAN:-0} == 1 ]] && exit 0
  while :; do
    curl -s -o /dev/null -b "adcheck_session=$cookie" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
      -d '{}' "$base/api/v1/scans"
    while curl -s -b "adcheck_session=$cookie" "$base/api/v1/job" | grep -q '"running":true'; do sleep 0.05; done
  done
) &
scanner=$!
sleep 0.5

cat > "$work/cookie.lua" <<LUA
wrk.headers["Cookie"] = "adcheck_session=$cookie"
LUA
if [[ ${BENCH_WEB_VARY:-0} == 1 ]]; then
  cat >> "$work/cookie.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  -- an ignored parameter makes every URL new: each request runs the query
  return wrk.format(nil, "/api/v1/findings?severity=high&limit=50&miss=" .. n .. "-" .. math.random(1e9))
end
LUA
fi
url="$base/api/v1/findings?severity=high&limit=50"
wrk -t2 -c16 -d"${duration}s" --latency -s "$work/cookie.lua" "$url" > "$work/wrk.out"
kill "$scanner" 2>/dev/null || true; wait "$scanner" 2>/dev/null || true
running_scans=$(curl -s -b "adcheck_session=$cookie" "$base/api/v1/scans?limit=1" | /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['total'])")
status=$(curl -s -o /dev/null -w '%{http_code}' -b "adcheck_session=$cookie" "$url")

cat "$work/wrk.out"
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
p99ms=$(/usr/bin/python3 -c "
v='$p99'
for u,m in (('ms',1),('us',0.001),('s',1000)):
    if v.endswith(u): print(round(float(v[:-len(u)])*m,2)); break")
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.out")
echo
echo "web benchmark: GET /api/v1/findings?severity=high&limit=50, 100 scans x ~20,000 findings of history,"
echo "  a lab scan kept running meanwhile ($((running_scans - 100)) scans ran), wrk -t2 -c16 ${duration}s, $(nproc) cores"
echo "requests/s: $rps"
echo "p99 latency: $p99ms ms; target < 50 ms, ratio $(echo "scale=2; $p99ms / 50" | bc)"
echo "non-2xx answers: ${non2xx:-0}; last status $status"
