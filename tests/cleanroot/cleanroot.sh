#!/usr/bin/env bash
# Proves the README's set-up on a clean Debian 12 root, not on a development machine that keeps
# whatever was once installed by hand (that is how a missing samba-ad-provision went unseen).
#
#   tests/cleanroot/cleanroot.sh [quick|full] [--keep]
#
# It builds a minimal Debian 12 root with debootstrap from Debian's package registry (the base is
# cached as a tarball under $ADCHECK_CLEANROOT_CACHE, default /var/tmp/adcheck-cleanroot), unpacks a
# fresh copy, mounts what the lab and Chromium need (proc, sys, dev, dev/pts, dev/shm, run/lock),
# copies a clean clone of this repository's HEAD into it and then, inside the root:
#   quick: adcheck/install_deps.sh, the dev build, the lab up + the scan lab test, and README
#          command 1 (adcheck/run.sh) until the demo dashboard answers with its five scans;
#   full:  README command 1 as in quick, then README command 2 (tests/run_all.sh) in full.
# Root only (debootstrap, chroot, mounts). The chroot shares this machine's network namespace: the
# lab claims its own loopback alias as on the host. Too slow for every CI run: run it whenever
# adcheck/install_deps.sh or the lab's set-up changes (CONTRIBUTING/README: Development).
set -euo pipefail

mode=${1:-quick}
keep=0
[[ ${2:-} == --keep ]] && keep=1
case $mode in quick | full) ;; *) echo "usage: $0 [quick|full] [--keep]" >&2; exit 2 ;; esac
[[ $(id -u) -eq 0 ]] || { echo "cleanroot: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${ADCHECK_CLEANROOT_CACHE:-/var/tmp/adcheck-cleanroot}
mirror=${ADCHECK_CLEANROOT_MIRROR:-http://deb.debian.org/debian}
base_tar=$cache/bookworm-minbase.tar
mkdir -p "$cache"

log() { printf 'cleanroot: %s\n' "$*"; }

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -q && apt-get install -y -q debootstrap
fi

if [[ ! -s $base_tar ]]; then
  log "building the base root with debootstrap (minbase, bookworm, $mirror): once, then cached"
  tmp=$(mktemp -d "$cache/base.XXXXXX")
  debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; log "debootstrap failed (log: $cache/debootstrap.log)"; exit 1; }
  # The same sources a fresh Debian 12 machine has (security and updates too).
  cat >"$tmp/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SRC
  tar -C "$tmp" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
  rm -rf "$tmp"
fi

root=$(mktemp -d "$cache/run.XXXXXX")
mounts=()
cleanup() {
  local rc=$?
  # Stop whatever the run left inside (the lab's samba, the demo) by the pids the root holds.
  if [[ -d $root/root/adcheck ]]; then
    chroot "$root" /bin/bash -c 'cd /root/adcheck 2>/dev/null && for d in build/*/lab; do
      [[ -f $d/lab.json ]] && /usr/bin/python3 tests/lab/lab.py down --dir "$d" >/dev/null 2>&1; done' || true
  fi
  [[ -n ${demo_pid:-} ]] && kill "$demo_pid" 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  if ((keep)); then log "kept $root"; else rm -rf --one-file-system "$root"; fi
  exit $rc
}
trap cleanup EXIT INT TERM

log "fresh root in $root"
tar -C "$root" -xf "$base_tar"
# shellcheck source=../support/debroot.sh
source "$repo/tests/support/debroot.sh"
debroot_prepare "$root"

log "clean clone of HEAD ($(git -C "$repo" rev-parse --short HEAD)) into /root/adcheck"
git clone -q --no-hardlinks "$repo" "$root/root/adcheck"

# A fresh machine's environment: only the basics and the workplace's CA variables pass.
base_env=(HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE; do
  [[ -n ${!v:-} ]] && base_env+=("$v=${!v}")
done
inside() { chroot "$root" /usr/bin/env -i "${base_env[@]}" /bin/bash -c "cd /root/adcheck && $1"; }

start=$(date +%s)
# README command 1 ends by starting the dashboard in the foreground: run it in the background and
# wait for the demo to answer with its five scans.
port=${ADCHECK_CLEANROOT_PORT:-18080}
log "README command 1: bash adcheck/run.sh (ADCHECK_DEMO_LISTEN=127.0.0.1:$port)"
chroot "$root" /usr/bin/env -i "${base_env[@]}" ADCHECK_DEMO_LISTEN=127.0.0.1:$port /bin/bash -c 'cd /root/adcheck && exec bash adcheck/run.sh' >"$root/command1.log" 2>&1 &
demo_pid=$!
ok=0
# Installing and building take 10-20 min on an idle 2-core machine; give a loaded one 2 hours.
for ((i = 0; i < 7200; i += 5)); do
  if ! kill -0 "$demo_pid" 2>/dev/null; then break; fi
  if grep -q "password:" "$root/command1.log" 2>/dev/null &&
     out=$(/usr/bin/python3 - "$port" "$root/command1.log" 2>&1 <<'PY'
import json, re, sys, urllib.request, http.cookiejar
port, logf = sys.argv[1], sys.argv[2]
text = open(logf, errors="replace").read()
m = re.search(r"^\s*password:\s*(\S+)", text, re.M)
if not m: sys.exit(1)
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
base = "http://127.0.0.1:%s" % port
req = urllib.request.Request(base + "/api/v1/login", method="POST",
                             data=json.dumps({"username": "admin", "password": m.group(1)}).encode(),
                             headers={"Content-Type": "application/json"})
op.open(req, timeout=10).read()
scans = json.load(op.open(base + "/api/v1/scans", timeout=10))
done = [s for s in scans["items"] if s["status"] == "completed"]
print(len(done))
sys.exit(0 if len(done) == 5 else 1)
PY
     ); then ok=1; break; fi
  sleep 5
done
tail -5 "$root/command1.log"
kill "$demo_pid" 2>/dev/null || true
wait "$demo_pid" 2>/dev/null || true
demo_pid=
if ((ok)); then
  log "README command 1: the demo answered with ${out} scans after $(($(date +%s) - start)) s"
else
  log "README command 1 FAILED: the demo did not answer with five scans within $i s (log above: $root/command1.log)"
  keep=1
  exit 1
fi

if [[ $mode == quick ]]; then
  log "quick: the lab up and the scan lab test in the dev build"
  inside 'ctest --preset dev -R "^(lab_up|ScanLab|lab_down)" --output-on-failure' || { keep=1; exit 1; }
else
  log "README command 2: bash tests/run_all.sh"
  inside 'bash tests/run_all.sh' || { keep=1; exit 1; }
fi
log "all passed in $(($(date +%s) - start)) s"
