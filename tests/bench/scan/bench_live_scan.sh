#!/usr/bin/env bash
# Live scan benchmark (SPEC section 9): `adcheck scan` wall time against ldapsearch fetching the
# same entries and attributes, with the same controls (paged results, SD flags = DACL) and the same
# bind (GSSAPI, sign+seal) from the same lab DC. Target: ratio <= 1.10.
#
#   tests/bench/scan/bench_live_scan.sh [USERS] [BUILD_DIR]
# Starts (or reuses, from its cache) a lab with USERS extra users (default 20000) in
# BUILD_DIR/bench-lab, runs each side 3 times alternately and compares the medians.
set -euo pipefail
src=$(cd "$(dirname "$0")/../../.." && pwd)
users=${1:-20000}
build=${2:-$src/build/ci}
adcheck=$build/adcheck/app/adcheck
lab=$build/bench-lab
[[ -x $adcheck ]] || { echo "build adcheck first: $adcheck is missing"; exit 2; }

/usr/bin/python3 "$src/tests/lab/lab.py" up --dir "$lab" --users "$users" >&2
trap '/usr/bin/python3 "$src/tests/lab/lab.py" down --dir "$lab" >&2' EXIT
eval "$(/usr/bin/python3 "$src/tests/lab/lab.py" env --dir "$lab")"
read -r uri base <<<"$(/usr/bin/python3 -c "import json;l=json.load(open('$lab/lab.json'));print(l['ldap_uri'],l['base_dn'])")"
conf="CN=Configuration,$base"; schema="CN=Schema,$conf"
printf '[directory]\nuri = %s\nbind = gssapi\npage_size = 1000\n' "$uri" > "$lab/bench.ini"

SD='!1.2.840.113556.1.4.801=::MAMCAQQ='
P='pr=1000/noprompt'
q() { ldapsearch -LLL -Q -N -Y GSSAPI -H "$uri" "$@" > /dev/null; }
# The same query plan as adcheck's LiveSource (adcheck/scan/sources.cpp), in the same order.
ldapsearch_plan() {
  q -b "" -s base defaultNamingContext configurationNamingContext schemaNamingContext rootDomainNamingContext dnsHostName domainFunctionality
  q -E "$SD" -b "$base" -s base objectClass objectSid objectGUID name nTSecurityDescriptor
  q -b "$base" "(&(objectClass=user)(|(userPrincipalName=Administrator@CORP.EXAMPLE.COM)(sAMAccountName=Administrator)(distinguishedName=Administrator@CORP.EXAMPLE.COM)))" 1.1
  q -b "CN=Administrator,CN=Users,$base" -s base objectSid tokenGroups
  q -E "$P" -b "$schema" -s one "(|(objectClass=classSchema)(objectClass=attributeSchema))" objectClass lDAPDisplayName schemaIDGUID attributeSecurityGUID
  q -E "$P" -b "CN=Extended-Rights,$conf" -s one "(objectClass=controlAccessRight)" objectClass cn displayName rightsGuid validAccesses
  q -b "CN=Directory Service,CN=Windows NT,CN=Services,$conf" -s base objectClass dSHeuristics
  q -E "$SD" -b "CN=AdminSDHolder,CN=System,$base" -s base objectClass nTSecurityDescriptor
  q -E "$P" -b "$base" "(objectClass=group)" objectClass objectGUID objectSid sAMAccountName groupType adminCount member
  q -E "$P" -b "$conf" "(objectClass=msExchMobileMailboxPolicy)" objectClass cn objectGUID msExchMobileFlags whenChanged
  q -E "$P" -b "$base" "(|(objectClass=msExchActiveSyncDevices)(objectClass=msExchActiveSyncDevice))" objectClass objectGUID whenCreated whenChanged msExchDeviceID msExchDeviceType msExchDeviceModel msExchDeviceUserAgent msExchFirstSyncTime
  q -E "$P" -b "$base" "(adminCount=1)" msDS-ReplAttributeMetaData
  q -E "$P" -E "$SD" -b "$base" "(objectClass=user)" objectClass objectGUID objectSid sAMAccountName userPrincipalName displayName userAccountControl adminCount primaryGroupID homeMDB msExchMailboxGuid msExchOmaAdminWirelessEnable msExchMobileMailboxPolicyLink nTSecurityDescriptor msDS-AllowedToDelegateTo userCertificate whenChanged whenCreated mail
}
adcheck_scan() { "$adcheck" scan --config "$lab/bench.ini" --format json --output /dev/null --fail-on critical || [[ $? -eq 1 ]]; }

now() { date +%s.%N; }
declare -a A L
for i in 1 2 3; do
  t=$(now); ldapsearch_plan; L+=("$(echo "$(now) - $t" | bc)")
  t=$(now); adcheck_scan; A+=("$(echo "$(now) - $t" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
ml=$(median "${L[@]}"); ma=$(median "${A[@]}")
objects=$("$adcheck" scan --config "$lab/bench.ini" --format json --fail-on critical 2>/dev/null | /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['scan']['objectsScanned'])" || true)
echo "live scan benchmark: $objects user objects, lab $uri ($(nproc) cores, $(uname -m))"
echo "ldapsearch (same plan): runs ${L[*]} s, median $ml s"
echo "adcheck scan:           runs ${A[*]} s, median $ma s"
echo "ratio adcheck/ldapsearch: $(echo "scale=3; $ma / $ml" | bc)  (target <= 1.10)"
