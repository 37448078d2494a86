#!/usr/bin/env bash
# Installs what adcheck needs to build, run and test, from Debian 12's packages only.
# Idempotent; run as root. Used by both README commands and by CI on a fresh machine.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries (SPEC: OpenLDAP + Cyrus SASL, Poco, SQLite, GoogleTest)
  libldap-dev libsasl2-dev libsasl2-modules-gssapi-mit libpoco-dev libsqlite3-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the lab: a real Samba AD DC on loopback, and the clients tests compare against
  samba samba-ad-dc samba-ad-provision python3-samba python3-cryptography ldap-utils krb5-user iproute2 openssl
  # web end-to-end tests, load and benchmark scripts
  chromium wrk bc
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js may come from another packaging (the image's NodeSource build bundles npm and conflicts
# with Debian's npm package): ask for the commands, not the package names.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "adcheck: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "adcheck: all Debian packages present"
fi

# A package can be "installed" and still lack what we use (a Recommends skipped, a diverted file):
# check what the lab, the build and the e2e tests really run, and name the package that brings it.
check() { # path (glob) or command, package, what
  if [[ $1 == /* ]]; then compgen -G "$1" >/dev/null; else command -v "$1" >/dev/null 2>&1; fi ||
    { echo "adcheck: missing $3 ($1): apt-get install $2" >&2; exit 1; }
}
check /usr/share/samba/setup/ad-schema/AD_DS_Attributes__Windows_Server_2012_R2.ldf \
  samba-ad-provision "the AD schema files that 'samba-tool domain provision' reads"
check samba-tool samba-ad-dc "samba-tool (the lab provisions its DC with it)"
check /usr/sbin/samba samba-ad-dc "the Samba AD DC daemon"
/usr/bin/python3 -c 'import samba.samdb' 2>/dev/null ||
  { echo "adcheck: missing python3-samba on /usr/bin/python3 (the lab tooling): apt-get install python3-samba" >&2; exit 1; }
check kinit krb5-user "the Kerberos client (kinit) for the GSSAPI tests"
check '/usr/lib/*/sasl2/libgssapiv2.so*' libsasl2-modules-gssapi-mit "the Cyrus SASL GSSAPI module"
check ldapmodify ldap-utils "the OpenLDAP clients (ldapsearch, ldapmodify)"
check /usr/bin/chromium chromium "Debian's Chromium (the e2e tests drive it)"
check '/usr/lib/*/cmake/Poco/PocoConfig.cmake' libpoco-dev "Poco's CMake package"

# The end-to-end tests' driver: playwright-core from the npm registry, pinned by package-lock.json.
# It drives Debian's /usr/bin/chromium; no browser is ever downloaded.
e2e_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e"
if [[ ! -f "$e2e_dir/node_modules/playwright-core/package.json" ||
      "$e2e_dir/package-lock.json" -nt "$e2e_dir/node_modules/.package-lock.json" ]]; then
  echo "adcheck: installing the e2e test driver (npm ci in tests/e2e)"
  npm ci --prefix "$e2e_dir" --no-audit --no-fund --loglevel=error
fi
