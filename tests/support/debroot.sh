# Shared by tests/cleanroot/cleanroot.sh and tests/package/test_deb.sh: turns an unpacked Debian
# root into one a test can chroot into. Sourced, not run. Appends every mount to the caller's
# array `mounts` (unmount them in reverse order when done).
#
#   debroot_prepare ROOT
debroot_prepare() {
  local root=$1 m
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # This workplace reaches the package registries through its own TLS egress; every machine here,
  # a fresh one included, trusts its CA in the system store and names the bundle in the
  # environment (NODE_EXTRA_CA_CERTS, npm's cafile). The root gets the same trust, not the
  # project's doing.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl/certs"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    [[ -f /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  fi
  if [[ -f $HOME/.npmrc ]]; then mkdir -p "$root/root" && cp "$HOME/.npmrc" "$root/root/.npmrc"; fi
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    case $m in
      proc) mount -t proc proc "$root/proc" ;;
      sys) mount -t sysfs sys "$root/sys" ;;
      dev) mount --bind /dev "$root/dev" ;;
      dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
    esac
    mounts+=("$root/$m")
  done
  # Chromium needs a real /dev/shm; the lab's lock lives in /run/lock.
  mkdir -p "$root/dev/shm" "$root/run/lock"
  mount -t tmpfs -o size=2g tmpfs "$root/dev/shm" && mounts+=("$root/dev/shm")
}
