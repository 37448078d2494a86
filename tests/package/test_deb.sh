#!/usr/bin/env bash
# The Debian package, end to end (issue 16): builds adcheck_*.deb (the `package` preset: Release,
# ci flags, /usr prefix), checks that the installed binary names no source or build path
# (`strings`), verifies the systemd unit and prints its `systemd-analyze security` score, then
# installs the package with `apt install ./adcheck_*.deb` into a fresh minimal Debian 12 root (no
# source tree in it), starts `adcheck demo` from /usr/bin, logs in and expects the five demo scans.
#
#   sudo bash tests/package/test_deb.sh [--deb FILE] [--keep]
#
# --deb FILE tests an already built package instead of building one. Root only (chroot, mounts).
# The root is the cached minbase tarball of tests/cleanroot/cleanroot.sh (run that once to create
# it). Not part of ctest/CI: it downloads the runtime dependencies and takes minutes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
deb= keep=0
while (($#)); do
  case $1 in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--deb FILE] [--keep]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "test_deb: needs root (chroot, mounts)" >&2; exit 2; }
log() { printf 'test_deb: %s\n' "$*"; }
fail() { log "FAILED: $*"; keep=1; exit 1; }

cache=${ADCHECK_CLEANROOT_CACHE:-/var/tmp/adcheck-cleanroot}
base_tar=$cache/bookworm-minbase.tar
[[ -s $base_tar ]] || { echo "test_deb: no $base_tar: run tests/cleanroot/cleanroot.sh once" >&2; exit 2; }

if [[ -z $deb ]]; then
  log "building the package (cmake --preset package; cpack -G DEB)"
  (cd "$repo" && cmake --preset package >/dev/null && cmake --build --preset package -j"$(nproc)")
  rm -f "$repo"/build/package/adcheck_*.deb
  (cd "$repo/build/package" && cpack -G DEB >/dev/null)
  deb=$(ls "$repo"/build/package/adcheck_*.deb)
fi
log "package $deb"
dpkg-deb -I "$deb" | grep -E '^ (Package|Version|Section|Depends):'

work=$(mktemp -d /var/tmp/adcheck-package.XXXXXX)
root=$work/root
mounts=()
demo_pid=
cleanup() {
  local rc=$?
  [[ -n $demo_pid ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  if ((keep)); then log "kept $work"; else rm -rf --one-file-system "$work"; fi
  exit $rc
}
trap cleanup EXIT INT TERM

# 1. No path of the source or build tree in the shipped binary.
dpkg-deb -x "$deb" "$work/unpacked"
leaks=$(strings "$work/unpacked/usr/bin/adcheck" | grep -cF -e "$repo" -e "$(dirname "$deb")" || true)
log "strings /usr/bin/adcheck | grep <source or build dir>: $leaks lines"
((leaks == 0)) || { strings "$work/unpacked/usr/bin/adcheck" | grep -F -e "$repo" -e "$(dirname "$deb")" | head; fail "the binary names the source or build tree"; }

# 2. The fresh root, mounted as cleanroot.sh does, with the workplace's CA trusted.
mkdir -p "$root"
tar -C "$root" -xf "$base_tar"
# shellcheck source=../support/debroot.sh
source "$repo/tests/support/debroot.sh"
debroot_prepare "$root"
base_env=(HOME=/root TERM=dumb LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
          PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
inside() { chroot "$root" /usr/bin/env -i "${base_env[@]}" /bin/bash -c "cd /root && $1"; }

[[ ! -e $root$repo ]] || fail "the source tree's path exists inside the root"
cp "$deb" "$root/root/"
log "apt install ./$(basename "$deb") in the fresh root"
inside "apt-get update -q >/dev/null && apt-get install -y -q ./$(basename "$deb")" >"$work/apt.log" 2>&1 ||
  { tail -20 "$work/apt.log"; fail "apt install (log: $work/apt.log)"; }
sed -n '/^adcheck: installed/,/adcheck demo$/p' "$work/apt.log"

# 3. What the package set up.
inside 'getent passwd adcheck' | grep -q ':/var/lib/adcheck:/usr/sbin/nologin$' || fail "no system user adcheck"
[[ $(inside 'stat -c "%a %U:%G" /etc/adcheck/adcheck.ini') == "640 root:adcheck" ]] || fail "/etc/adcheck/adcheck.ini is not 0640 root:adcheck"
[[ $(inside 'stat -c "%a %U:%G" /var/lib/adcheck') == "750 adcheck:adcheck" ]] || fail "/var/lib/adcheck is not 0750 adcheck:adcheck"
inside 'dpkg-query -W -f="\${Conffiles}\n" adcheck' | grep -q '/etc/adcheck/adcheck.ini' || fail "adcheck.ini is not a conffile"
[[ -f $root/lib/systemd/system/adcheck.service && -f $root/usr/share/adcheck/demo/manifest.json ]] || fail "unit or demo data missing"
log "user adcheck, /etc/adcheck/adcheck.ini 0640 root:adcheck (conffile), /var/lib/adcheck 0750, unit, demo data: ok"

# 4. The unit: systemd-analyze from this machine, against the installed root, with systemd in it
# (a minbase root has none; a real system running the unit does).
inside 'apt-get install -y -q systemd' >>"$work/apt.log" 2>&1 || fail "apt install systemd (log: $work/apt.log)"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --root="$root" /lib/systemd/system/adcheck.service || fail "systemd-analyze verify"
  log "systemd-analyze verify: ok"
  systemd-analyze security --offline=true --root="$root" adcheck.service | tail -1
else
  log "systemd-analyze missing here (apt-get install systemd): unit not verified"; keep=1; exit 1
fi

# 5. The demo from the installed binary, with no source tree around.
port=${ADCHECK_PACKAGE_PORT:-18090}
chroot "$root" /usr/bin/env -i "${base_env[@]}" /bin/bash -c "cd / && exec adcheck demo --listen 127.0.0.1:$port" >"$work/demo.log" 2>&1 &
demo_pid=$!
ok=0
for ((i = 0; i < 300; i += 2)); do
  kill -0 "$demo_pid" 2>/dev/null || break
  if grep -q "password:" "$work/demo.log" &&
     out=$(/usr/bin/python3 - "$port" "$work/demo.log" 2>&1 <<'PY'
import json, re, sys, urllib.request, http.cookiejar
port, logf = sys.argv[1], sys.argv[2]
m = re.search(r"^\s*password:\s*(\S+)", open(logf, errors="replace").read(), re.M)
if not m: sys.exit(1)
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
base = "http://127.0.0.1:%s" % port
op.open(urllib.request.Request(base + "/api/v1/login", method="POST",
        data=json.dumps({"username": "admin", "password": m.group(1)}).encode(),
        headers={"Content-Type": "application/json"}), timeout=10).read()
scans = json.load(op.open(base + "/api/v1/scans", timeout=10))
done = [s for s in scans["items"] if s["status"] == "completed"]
print(len(done))
sys.exit(0 if len(done) == 5 else 1)
PY
     ); then ok=1; break; fi
  sleep 2
done
cat "$work/demo.log"
kill "$demo_pid" 2>/dev/null || true
wait "$demo_pid" 2>/dev/null || true
demo_pid=
((ok)) || fail "the installed demo did not answer with five completed scans (log above)"
log "the installed adcheck demo answered with $out completed scans"

# 6. Purge leaves no state behind.
inside 'apt-get purge -y -q adcheck' >>"$work/apt.log" 2>&1 || fail "apt purge"
[[ ! -e $root/var/lib/adcheck && ! -e $root/usr/bin/adcheck ]] || fail "purge left /var/lib/adcheck or the binary"
log "purge: ok"
log "all passed"
