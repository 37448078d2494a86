#!/usr/bin/python3
"""The adcheck test lab: a real Samba AD DC on a loopback alias, with the Exchange schema subset
and the scenario catalogue of scenarios.json.

  lab.py up     --dir D [--users N] [--no-cache]   provision (or restore from cache) and start
  lab.py down   --dir D                            stop by pid, remove the alias and hosts line
  lab.py status --dir D                            exit 0 when running
  lab.py env    --dir D [--as admin|reader]        print export lines for Kerberos clients
  lab.py describe                                  the scenario catalogue as Markdown

Runs as root on Debian's /usr/bin/python3 (python3-samba). See README.md beside this file.
"""

import argparse
import contextlib
import datetime
import fcntl
import gc
import hashlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_common import (  # noqa: E402
    BASE_DN, CONFIG_DN, DNS_DOMAIN, GUID_EAS_DEVICE, GUID_EAS_DEVICES, HERE, MANIFEST, NETBIOS,
    REALM, SCHEMA_DN, SD_FLAGS_DACL, UAC_NAMES, UF_DONT_EXPIRE_PASSWD, UF_NORMAL_ACCOUNT,
    UF_PASSWD_NOTREQD, UF_WORKSTATION_TRUST_ACCOUNT, LabError, explicit_aces, log,
    pid_alive, read_json, read_secret, resolve, resolve_tree, scenario_objects, split_sddl, wait_for,
    without_inherited_flag, write_json, write_secret)

CACHE_ROOT = "/var/tmp/adcheck-lab-cache"
CACHE_MAX_AGE_S = 7 * 24 * 3600  # "expiring in 10 days" must still be < 30 days, fresh devices fresh
LOCK_FILE = "/run/lock/adcheck-lab.lock"
HOSTS = "/etc/hosts"
N_RANGE = range(10, 251)
STATE = ".lab-state.json"  # written as soon as an alias is claimed, so 'down' can clean up a failed 'up'
PROVISION_TIMEOUT = 300
START_TIMEOUT = 90
STOP_TIMEOUT = 30

EXCHANGE_ROOT = "CN=Microsoft Exchange,CN=Services," + CONFIG_DN
ADMINSDHOLDER = "CN=AdminSDHolder,CN=System," + BASE_DN
DIRECTORY_SERVICE = "CN=Directory Service,CN=Windows NT,CN=Services," + CONFIG_DN

# ------------------------------------------------------------------------------------- schema
# OIDs: only msExchOmaAdminWirelessEnable has a sourced attributeID (EXCHANGE.md 1.1). EXCHANGE.md
# says the governsIDs and the Exchange 2007+ attributeIDs are unknown, so the rest get OIDs under a
# private arc built the way Microsoft's OID generator script does (1.2.840.113556.1.8000.2554 plus
# the parts of a GUID, here a fixed one). A scanner must never rely on these OIDs.
_ARC_GUID = "5a1d7c3e-9b2f-4e61-a8d4-0c7f3b9e2d15"
_g = _ARC_GUID.replace("-", "")
PRIVATE_ARC = "1.2.840.113556.1.8000.2554." + ".".join(
    str(int(_g[a:b], 16)) for a, b in ((0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 26), (26, 32)))


def _invented_guid(name):
    # No sourced schemaIDGUID for these (EXCHANGE.md has none): a fixed, made-up value so that
    # every lab has the same one. Not Exchange's.
    return str(uuid.uuid5(uuid.UUID(_ARC_GUID), name))


PUBLIC_INFO = "e48d0154-bcf8-11d1-8702-00c04fb96050"
DN_OM_OBJECT_CLASS = bytes.fromhex("2b0c0287731c00854a")  # 1.3.12.2.1011.28.0.714 (DS-DN)

# (lDAPDisplayName, cn, attributeID, attributeSyntax, oMSyntax, schemaIDGUID, extra)
ATTRIBUTES = [
    ("msExchOmaAdminWirelessEnable", "ms-Exch-Oma-Admin-Wireless-Enable", "1.2.840.113556.1.6.20.1.124",
     "2.5.5.9", "2", "c1a7bfbe-116b-4737-8cd9-d29ef5b3690e",
     {"attributeSecurityGUID": PUBLIC_INFO, "isMemberOfPartialAttributeSet": "TRUE"}),
    ("homeMDB", "ms-Exch-Home-MDB", PRIVATE_ARC + ".1.1", "2.5.5.1", "127", None, {}),
    ("msExchMailboxGuid", "ms-Exch-Mailbox-Guid", PRIVATE_ARC + ".1.2", "2.5.5.10", "4", None, {}),
    ("msExchRecipientTypeDetails", "ms-Exch-Recipient-Type-Details", PRIVATE_ARC + ".1.3", "2.5.5.16", "65",
     None, {}),
    ("mailNickname", "ms-Exch-Mail-Nickname", PRIVATE_ARC + ".1.4", "2.5.5.12", "64", None, {}),
    # GUID single-sourced (EXCHANGE.md 2.3, "not confirmed" list item 3).
    ("msExchMobileMailboxPolicyLink", "ms-Exch-Mobile-Mailbox-Policy-Link", PRIVATE_ARC + ".1.5", "2.5.5.1",
     "127", "e6b5a02a-f581-4c42-ae60-108fe7c1edb5", {}),
    ("msExchMobileFlags", "ms-Exch-Mobile-Flags", PRIVATE_ARC + ".1.6", "2.5.5.9", "2", None, {}),
    ("msExchDeviceID", "ms-Exch-Device-ID", PRIVATE_ARC + ".1.7", "2.5.5.12", "64", None, {}),
    ("msExchDeviceType", "ms-Exch-Device-Type", PRIVATE_ARC + ".1.8", "2.5.5.12", "64", None, {}),
    ("msExchDeviceModel", "ms-Exch-Device-Model", PRIVATE_ARC + ".1.9", "2.5.5.12", "64", None, {}),
    ("msExchDeviceUserAgent", "ms-Exch-Device-User-Agent", PRIVATE_ARC + ".1.10", "2.5.5.12", "64", None, {}),
    ("msExchDeviceOS", "ms-Exch-Device-OS", PRIVATE_ARC + ".1.11", "2.5.5.12", "64", None, {}),
    # Exchange's property is a DateTime?; the LDAP syntax is unknown (EXCHANGE.md 2.2): generalized time.
    ("msExchFirstSyncTime", "ms-Exch-First-Sync-Time", PRIVATE_ARC + ".1.12", "2.5.5.11", "24", None, {}),
]

# The same default DACL as the 'container' class: admins and SYSTEM full control, Authenticated
# Users read. Exchange's own defaultSecurityDescriptor for these classes is not sourced.
_DEFAULT_SD = "D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPLCLORC;;;AU)"

# (lDAPDisplayName, cn, governsID, schemaIDGUID, possSuperiors, mayContain)
CLASSES = [
    ("msExchActiveSyncDevices", "ms-Exch-Active-Sync-Devices", PRIVATE_ARC + ".2.1", GUID_EAS_DEVICES,
     ["user", "inetOrgPerson"], []),
    ("msExchActiveSyncDevice", "ms-Exch-Active-Sync-Device", PRIVATE_ARC + ".2.2", GUID_EAS_DEVICE,
     ["msExchActiveSyncDevices"],
     ["msExchDeviceID", "msExchDeviceType", "msExchDeviceModel", "msExchDeviceUserAgent", "msExchDeviceOS",
      "msExchFirstSyncTime"]),
    # GUID single-sourced (EXCHANGE.md 2.3, "not confirmed" list item 3).
    ("msExchMobileMailboxPolicy", "ms-Exch-Mobile-Mailbox-Policy", PRIVATE_ARC + ".2.3",
     "a29670e5-7e7d-4c51-8940-4b4563478746", ["container"], ["msExchMobileFlags"]),
]
# ${GUID:<lDAPDisplayName>} in the manifest: the schemaIDGUID the lab gives an Exchange attribute
# (several are invented above, so the manifest cannot spell them out).
SCHEMA_GUID_PLACEHOLDERS = {("GUID", a[0]): a[5] or _invented_guid(a[0]) for a in ATTRIBUTES}

USER_MAY_CONTAIN = ["msExchOmaAdminWirelessEnable", "homeMDB", "msExchMailboxGuid", "msExchRecipientTypeDetails",
                    "mailNickname", "msExchMobileMailboxPolicyLink"]

# Protected groups by SID (SEMANTICS.md); dSHeuristics' dwAdminSDExMask bits (EXCHANGE.md 4.2).
PROTECTED_BUILTIN = {"S-1-5-32-544", "S-1-5-32-548", "S-1-5-32-549", "S-1-5-32-550", "S-1-5-32-551",
                     "S-1-5-32-552"}
PROTECTED_DOMAIN_RIDS = {512, 518, 519}
PROTECTED_SELF_RIDS = {500, 502, 516, 521}
EXCLUSION_BITS = {0x1: "S-1-5-32-548", 0x2: "S-1-5-32-549", 0x4: "S-1-5-32-550", 0x8: "S-1-5-32-551"}

GROUP_TYPES = {"global": -2147483646, "universal": -2147483640, "domainlocal": -2147483644}


# ------------------------------------------------------------------------------------- helpers

@contextlib.contextmanager
def step(name):
    t0 = time.monotonic()
    try:
        yield
    except LabError:
        raise
    except Exception as e:  # ldb.LdbError and friends: say which step failed
        raise LabError("%s failed: %s: %s" % (name, type(e).__name__, e)) from e
    log("%-44s %6.1f s" % (name, time.monotonic() - t0))


def run(cmd, timeout, what, env=None, input_text=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, input=input_text)
    except subprocess.TimeoutExpired:
        raise LabError("%s timed out after %d s: %s" % (what, timeout, " ".join(cmd))) from None
    except FileNotFoundError:
        raise LabError("%s: %s is not installed (see adcheck/install_deps.sh)" % (what, cmd[0])) from None
    if p.returncode != 0:
        out = (p.stdout + p.stderr).strip().splitlines()
        raise LabError("%s failed (exit %d): %s\n%s" % (what, p.returncode, " ".join(cmd), "\n".join(out[-25:])))
    return p.stdout


def log_tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no %s)" % path


def new_password():
    # Meets Samba's default complexity rules; no quotes or backslashes (they end up in LDIF/shell).
    return "Lab-" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y") + "-9a"


def rfc_time(dt):
    return dt.strftime("%Y%m%d%H%M%S.0Z")


def pw_file_name(sam):
    return re.sub(r"[^a-z0-9.-]", "", sam.lower()) + ".pw"


class Paths:
    def __init__(self, d):
        self.dir = os.path.abspath(d)
        self.conf = os.path.join(self.dir, "etc", "smb.conf")
        self.sam = os.path.join(self.dir, "private", "sam.ldb")
        self.log = os.path.join(self.dir, "samba.log")
        self.krb5 = os.path.join(self.dir, "krb5.conf")
        self.lab_json = os.path.join(self.dir, "lab.json")
        self.state = os.path.join(self.dir, STATE)
        self.expected = os.path.join(self.dir, "expected.json")
        self.passwords = os.path.join(self.dir, "passwords.json")
        self.admin_pw = os.path.join(self.dir, "admin.pw")
        self.ca = os.path.join(self.dir, "private", "tls", "ca.pem")

    def ccache(self, who):
        return os.path.join(self.dir, "krb5cc_" + who)


# ------------------------------------------------------------------------- alias, hosts, lock

@contextlib.contextmanager
def machine_lock():
    os.makedirs(os.path.dirname(LOCK_FILE), exist_ok=True)
    with open(LOCK_FILE, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def lo_addresses():
    out = run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], 10, "listing loopback addresses")
    return set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out))


def hosts_lines():
    with open(HOSTS) as f:
        return f.read().splitlines()


def used_lab_numbers():
    used = set()
    for a in lo_addresses():
        if a.startswith("127.0.0."):
            used.add(int(a.rsplit(".", 1)[1]))
    for line in hosts_lines():
        m = re.match(r"\s*127\.0\.0\.(\d+)\s", line)
        if m:
            used.add(int(m.group(1)))
        for n in re.findall(r"\blabdc(\d+)\b", line):
            used.add(int(n))
    return used


def hosts_line(n):
    return "127.0.0.%d labdc%d.%s labdc%d" % (n, n, DNS_DOMAIN, n)


def add_hosts_line(n):
    lines = hosts_lines()
    if hosts_line(n) not in lines:
        # Rewritten in place (not renamed): /etc/hosts is often a bind mount in containers.
        with open(HOSTS, "a") as f:
            f.write(hosts_line(n) + "\n")


def remove_hosts_line(n):
    lines = hosts_lines()
    keep = [line for line in lines if line.strip() != hosts_line(n)]
    if keep != lines:
        with open(HOSTS, "w") as f:
            f.write("\n".join(keep) + "\n")


def claim_number(preferred=None):
    """Picks and claims 127.0.0.N (alias + hosts line) under the machine-wide lock."""
    with machine_lock():
        used = used_lab_numbers()
        if preferred is not None:
            if preferred in used:
                return None
            n = preferred
        else:
            free = [n for n in N_RANGE if n not in used]
            if not free:
                raise LabError("no free loopback alias 127.0.0.10-250: stop other labs ('lab.py down')")
            n = free[0]
        run(["ip", "addr", "add", "127.0.0.%d/32" % n, "dev", "lo"], 10, "adding loopback alias 127.0.0.%d" % n)
        add_hosts_line(n)
        return n


def release_number(n):
    with machine_lock():
        if "127.0.0.%d" % n in lo_addresses():
            run(["ip", "addr", "del", "127.0.0.%d/32" % n, "dev", "lo"], 10, "removing loopback alias")
        remove_hosts_line(n)


# ---------------------------------------------------------------------------- samba process

def is_our_samba(pid, paths):
    """True when pid is a live samba whose stdout is this lab's samba.log. samba rewrites its
    command line ('samba: root process'), so the log file is what identifies our DC."""
    if not pid_alive(pid):
        return False
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
        out = os.readlink("/proc/%d/fd/1" % pid)
    except OSError:
        return False
    return os.path.basename(exe).startswith("samba") and out == paths.log


def start_samba(paths, n):
    logf = open(paths.log, "ab")
    # setsid (start_new_session): ctest must not wait for it, and 'down' can signal its group.
    proc = subprocess.Popen(["samba", "-s", paths.conf, "-i", "-M", "single"], stdin=subprocess.DEVNULL,
                            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    logf.close()
    state = read_json(paths.state)
    state["pid"] = proc.pid
    write_json(paths.state, state)
    ip = "127.0.0.%d" % n

    def ldaps_answers():
        if proc.poll() is not None:
            raise LabError("samba exited with status %s while starting; last lines of %s:\n%s"
                           % (proc.returncode, paths.log, log_tail(paths.log)))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((ip, 636), timeout=2) as s:
                with ctx.wrap_socket(s):
                    return True
        except OSError:
            return False

    if not wait_for(ldaps_answers, START_TIMEOUT, 0.2):
        stop_samba(proc.pid, paths, proc)
        raise LabError("LDAPS on %s:636 did not answer within %d s; last lines of %s:\n%s"
                       % (ip, START_TIMEOUT, paths.log, log_tail(paths.log)))
    return proc


def stop_samba(pid, paths, proc=None):
    if not is_our_samba(pid, paths):
        return
    try:
        target = os.getpgid(pid)
        kill = os.killpg if target == pid else os.kill
        kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def gone():
        if proc is not None:
            return proc.poll() is not None
        return not pid_alive(pid)

    if not wait_for(gone, STOP_TIMEOUT, 0.05):
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if os.getpgid(pid) == pid else os.kill)(pid, signal.SIGKILL)
        if not wait_for(gone, 10, 0.05):
            raise LabError("samba pid %d did not exit after SIGTERM and SIGKILL" % pid)


# ----------------------------------------------------------------------------- provisioning

def provision(paths, n, admin_pw):
    host = "labdc%d" % n
    os.makedirs(paths.dir, exist_ok=True)
    run(["samba-tool", "domain", "provision", "--targetdir=" + paths.dir, "--realm=" + REALM,
         "--domain=" + NETBIOS, "--server-role=dc", "--dns-backend=NONE", "--adminpass=" + admin_pw,
         "--host-name=" + host, "--option=interfaces=127.0.0.%d" % n, "--option=bind interfaces only=yes"],
        PROVISION_TIMEOUT, "samba-tool domain provision")
    with open(paths.conf) as f:
        conf = f.read()
    extra = ("\tpid directory = %s\n\tdsdb:schema update allowed = true\n" % paths.dir)
    conf = conf.replace("[global]\n", "[global]\n" + extra, 1)
    # Keep every log inside the lab folder (with -i samba logs to stdout, its helpers do not).
    conf = re.sub(r"(?m)^\tlog file = .*$", "\tlog file = %s/log.%%m" % paths.dir, conf)
    with open(paths.conf, "w") as f:
        f.write(conf)


def write_krb5_conf(paths, n):
    with open(paths.krb5, "w") as f:
        f.write("[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_kdc = false\n\tdns_lookup_realm = false\n"
                "\trdns = false\n\tdns_canonicalize_hostname = false\n\n[realms]\n\t%s = {\n\t\tkdc = 127.0.0.%d\n"
                "\t}\n\n[domain_realm]\n\t.%s = %s\n\t%s = %s\n"
                % (REALM, REALM, n, DNS_DOMAIN, REALM, DNS_DOMAIN, REALM))


def kinit(paths, principal, pw_file, who):
    env = dict(os.environ, KRB5_CONFIG=paths.krb5, KRB5CCNAME="FILE:" + paths.ccache(who))
    password = read_secret(pw_file)
    deadline = time.monotonic() + 30
    while True:  # the KDC may answer a moment after LDAPS does
        try:
            run(["kinit", principal], 15, "kinit %s" % principal, env=env, input_text=password + "\n")
            return
        except LabError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ldap_admin(paths, n):
    from lab_common import connect_ldap
    lab = {"krb5_config": paths.krb5, "ldap_uri": "ldap://labdc%d.%s" % (n, DNS_DOMAIN)}
    return connect_ldap(lab, "Administrator", read_secret(paths.admin_pw))


def extend_schema(db):
    """Over LDAP as Administrator (LAB.md): attributes, classes, user mayContain, schemaUpdateNow."""
    import ldb

    def update_now():
        m = ldb.Message()
        m.dn = ldb.Dn(db, "")
        m["schemaUpdateNow"] = ldb.MessageElement("1", ldb.FLAG_MOD_ADD, "schemaUpdateNow")
        db.modify(m)

    def exists(cn):
        return len(db.search(SCHEMA_DN, ldb.SCOPE_ONELEVEL, "(cn=%s)" % ldb.binary_encode(cn), ["cn"])) > 0

    for name, cn, oid, syntax, omsyntax, guid, extra in ATTRIBUTES:
        if exists(cn):
            continue
        msg = {"dn": "CN=%s,%s" % (cn, SCHEMA_DN), "objectClass": ["top", "attributeSchema"], "cn": cn,
               "attributeID": oid, "attributeSyntax": syntax, "oMSyntax": omsyntax, "isSingleValued": "TRUE",
               "lDAPDisplayName": name, "searchFlags": "0",
               "schemaIDGUID": uuid.UUID(guid or _invented_guid(name)).bytes_le}
        if omsyntax == "127":
            msg["oMObjectClass"] = DN_OM_OBJECT_CLASS
        for k, v in extra.items():
            msg[k] = uuid.UUID(v).bytes_le if k == "attributeSecurityGUID" else v
        db.add(msg)
    update_now()
    for name, cn, oid, guid, superiors, may in CLASSES:
        if exists(cn):
            continue
        msg = {"dn": "CN=%s,%s" % (cn, SCHEMA_DN), "objectClass": ["top", "classSchema"], "cn": cn,
               "governsID": oid, "subClassOf": "top", "objectClassCategory": "1", "rDNAttID": "cn",
               "lDAPDisplayName": name, "schemaIDGUID": uuid.UUID(guid).bytes_le, "possSuperiors": superiors,
               "defaultSecurityDescriptor": _DEFAULT_SD, "defaultHidingValue": "TRUE"}
        if may:
            msg["mayContain"] = may
        db.add(msg)
    user = db.search("CN=User," + SCHEMA_DN, ldb.SCOPE_BASE, attrs=["mayContain"])[0]
    have = {str(v).lower() for v in user.get("mayContain", [])}
    missing = [a for a in USER_MAY_CONTAIN if a.lower() not in have]
    if missing:
        m = ldb.Message()
        m.dn = ldb.Dn(db, "CN=User," + SCHEMA_DN)
        m["mayContain"] = ldb.MessageElement(missing, ldb.FLAG_MOD_ADD, "mayContain")
        db.modify(m)
    update_now()
    for name, *_ in CLASSES:
        if not db.search(SCHEMA_DN, ldb.SCOPE_ONELEVEL, "(lDAPDisplayName=%s)" % name, ["cn"]):
            raise LabError("schema class %s missing after the schema update" % name)


# ------------------------------------------------------------------------ offline population

class Populator:
    """Creates the Exchange pieces and the scenarios through SamDB on sam.ldb (samba stopped)."""

    def __init__(self, paths, manifest, n, extra_users):
        import ldb
        from samba.auth import system_session
        from samba.dcerpc import security
        from samba.param import LoadParm
        from samba.samdb import SamDB

        self.ldb, self.security = ldb, security
        self.paths, self.manifest, self.n, self.extra_users = paths, manifest, n, extra_users
        lp = LoadParm()
        lp.load(paths.conf)
        # batch_mode: no nested sub-transaction per operation. Without it every add copies the big
        # index lists (objectClass=user, ...) again, and 20,000 users take 10x longer.
        self.db = SamDB(url=paths.sam, session_info=system_session(), lp=lp, options=["batch_mode:1"])
        self.domain_sid = str(self.db.get_domain_sid())
        self.dom_sid = security.dom_sid(self.domain_sid)
        self.sid_cache = {}
        self.dn_cache = {}
        self.passwords = {}
        self.cert_thumbprints = {}
        self.backdate = []  # (dn, whenChanged, whenCreated)
        self.generated_expected = []
        self.protect_removed = []  # DNs: the manifest's coverage set 'protected-remove' (issue 14)
        self.org = manifest["directory"]["exchange_org"]
        self.org_dn = "CN=%s,%s" % (self.org, EXCHANGE_ROOT)
        self.policies_dn = "CN=Mobile Mailbox Policies," + self.org_dn
        self.db_dn = ("CN=Mailbox Database 01,CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),"
                      "CN=Administrative Groups," + self.org_dn)
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.values = {"BASE": BASE_DN, "DC": "LABDC%d" % n, "HOST": "labdc%d" % n}

    # --- lookups
    def find(self, sam):
        if sam not in self.dn_cache:
            res = self.db.search(BASE_DN, self.ldb.SCOPE_SUBTREE,
                                 "(sAMAccountName=%s)" % self.ldb.binary_encode(sam), ["objectSid"])
            if len(res) != 1:
                raise LabError("manifest names account %r, found %d objects with that sAMAccountName"
                               % (sam, len(res)))
            self.dn_cache[sam] = str(res[0].dn)
            self.sid_cache[sam] = str(self.db.schema_format_value("objectSid", res[0]["objectSid"][0]),
                                      "utf-8")
        return self.dn_cache[sam]

    def sid(self, sam):
        self.find(sam)
        return self.sid_cache[sam]

    def res(self, text):
        return resolve(text, self.values, self.sid, SCHEMA_GUID_PLACEHOLDERS)

    def dn_for(self, parent, rdn_attr, value):
        parent_dn = self.res(parent) + "," + BASE_DN if parent else BASE_DN
        dn = self.ldb.Dn(self.db, "%s=placeholder,%s" % (rdn_attr, parent_dn))
        dn.set_component(0, rdn_attr, value)  # escapes ',', '+', '"', '\\', '<', '>' ... for us
        return dn

    # --- descriptors
    def get_sddl(self, dn):
        from samba.ndr import ndr_unpack
        msg = self.db.search(dn, self.ldb.SCOPE_BASE, attrs=["nTSecurityDescriptor"])[0]
        return ndr_unpack(self.security.descriptor, msg["nTSecurityDescriptor"][0]).as_sddl(self.dom_sid)

    def set_dacl(self, dn, dacl_sddl):
        from samba.ndr import ndr_pack
        sd = self.security.descriptor.from_sddl(dacl_sddl, self.dom_sid)
        m = self.ldb.Message()
        m.dn = self.ldb.Dn(self.db, str(dn))
        m["nTSecurityDescriptor"] = self.ldb.MessageElement(ndr_pack(sd), self.ldb.FLAG_MOD_REPLACE,
                                                           "nTSecurityDescriptor")
        self.db.modify(m, controls=[SD_FLAGS_DACL])

    def dacl_aces(self, dn):
        return split_sddl(self.get_sddl(dn))[2]

    def prepend_aces(self, dn, aces):
        """Explicit ACEs first, in the given order; samba appends the inherited ones again."""
        explicit = explicit_aces(self.dacl_aces(dn))
        self.set_dacl(dn, "D:AI" + "".join(aces) + "".join(a for a in explicit if a not in aces))

    def protect_remove(self, dn):
        """'Include inheritable permissions' off, inherited ACEs removed (the ADUC 'Remove' choice)."""
        self.set_dacl(dn, "D:PAI" + "".join(explicit_aces(self.dacl_aces(dn))))
        self.protect_removed.append(str(dn))

    def protect_convert(self, dn):
        """Inheritance off, inherited ACEs converted to explicit copies (the ADUC 'Convert' choice)."""
        self.set_dacl(dn, "D:PAI" + "".join(without_inherited_flag(a) for a in self.dacl_aces(dn)))

    # --- building blocks
    def add(self, msg):
        self.db.add(msg)

    def modify_attr(self, dn, attr, values, flag=None):
        m = self.ldb.Message()
        m.dn = self.ldb.Dn(self.db, str(dn))
        m[attr] = self.ldb.MessageElement(values, flag or self.ldb.FLAG_MOD_REPLACE, attr)
        self.db.modify(m)

    def _exists(self, dn):
        try:
            return len(self.db.search(dn, self.ldb.SCOPE_BASE, attrs=["objectClass"])) == 1
        except self.ldb.LdbError:
            return False

    # --- the steps, in order
    def run(self):
        objects = self.manifest["objects"]
        with step("protect AdminSDHolder (as on Windows)"):
            # First, so the domain-root Exchange ACEs added later never reach it by inheritance.
            self.protect_convert(ADMINSDHOLDER)
        with step("dSHeuristics + Exchange configuration"):
            self.modify_attr(DIRECTORY_SERVICE, "dSHeuristics", [self.manifest["directory"]["dSHeuristics"]])
            self.exchange_config([o for o in objects if o["kind"] == "policy"])
        with step("OUs and groups"):
            for o in objects:
                if o["kind"] == "ou":
                    self.add({"dn": self.dn_for(o["parent"], "OU", o["name"]), "objectClass": "organizationalUnit"})
            for o in objects:
                if o["kind"] == "group":
                    self.add_group(o)
        with step("domain-root Exchange ACEs"):
            self.prepend_aces(BASE_DN, [self.res(a) for a in self.manifest["directory"]["domain_root_aces"]])
            for o in objects:
                if o["kind"] == "ou" and o.get("dacl"):
                    self.set_dacl(self.dn_for(o["parent"], "OU", o["name"]), self.res(o["dacl"]))
            # Samba propagates inheritable ACEs to existing children only when the transaction
            # commits; objects created before that would inherit from their OU's stale DACL, and a
            # DACL made explicit ('Convert') would miss the Exchange ACE for good.
            self.db.transaction_commit()
            self.db.transaction_start()
        with step("scenario users and computers"):
            for o in objects:
                if o["kind"] in ("user", "inetOrgPerson", "computer"):
                    self.add_account(o)
        with step("bulk and generated users"):
            for o in objects:
                if o["kind"] == "bulk-users":
                    self.add_bulk(o)
            if self.extra_users:
                self.add_generated(self.extra_users)
        with step("group memberships"):
            for o in objects:
                for g in o.get("member_of", []):
                    self.modify_attr(self.find(g), "member", [self.find(o["sam"])], self.ldb.FLAG_MOD_ADD)
            for o in objects:
                if o.get("primary_group"):
                    self.set_primary_group(o)
        with step("AdminSDHolder ACEs"):
            aces = explicit_aces(self.dacl_aces(ADMINSDHOLDER))
            extra = [self.res(a) for a in self.manifest["directory"]["adminsdholder_aces"]]
            self.set_dacl(ADMINSDHOLDER, "D:PAI" + "".join(aces) + "".join(a for a in extra if a not in aces))
        with step("per-object DACLs"):
            for o in objects:
                if "sam" not in o or o["kind"] == "builtin":
                    continue
                dn = self.find(o["sam"])
                if o.get("aces"):
                    self.prepend_aces(dn, [self.res(a) for a in o["aces"]])
                mode = o.get("dacl", "inherit")
                if o["kind"] == "ou" or mode == "inherit":
                    continue
                if mode == "protected-remove":
                    self.protect_remove(dn)
                elif mode == "protected-convert":
                    self.protect_convert(dn)
                elif mode == "sdprop-copy":
                    self.sdprop(dn)
                else:
                    raise LabError("object %s: unknown dacl mode %r" % (o["id"], mode))
                if o.get("admin_count"):
                    self.modify_attr(dn, "adminCount", [str(o["admin_count"])])
        with step("SDProp simulation"):
            skip = {o["sam"] for o in objects if o.get("sdprop") is False}
            self.protected = protected_principals(self.db, self.domain_sid)
            for dn, info in sorted(self.protected.items()):
                if info["sam"] in skip:
                    continue
                self.sdprop(dn)
                self.modify_attr(dn, "adminCount", ["1"])
        with step("device containers and devices"):
            for o in objects:
                if o.get("device_container") or o.get("devices"):
                    self.add_devices(o)
        with step("access-check oracle groups"):
            self.add_access_oracle_groups()
        with step("coverage cut (second scan account)"):
            self.add_coverage_lab()

    def add_access_oracle_groups(self):
        """The manifest's 'access_oracle' groups (issue 14): each gets its case's ACEs first in its
        DACL. Last, so nothing later (SDProp simulation, inheritance) touches them."""
        spec = self.manifest.get("access_oracle")
        if not spec:
            return
        for c in spec["cases"]:
            dn = self.dn_for(spec["parent"], "CN", c["cn"])
            self.add({"dn": dn, "objectClass": "group", "sAMAccountName": c["cn"],
                      "groupType": str(GROUP_TYPES["global"])})
            self.prepend_aces(dn, [self.res(a) for a in c["aces"]])

    def exchange_config(self, policies):
        for dn in [EXCHANGE_ROOT, self.org_dn, self.policies_dn, "CN=Administrative Groups," + self.org_dn,
                   "CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups," + self.org_dn,
                   "CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,"
                   + self.org_dn, self.db_dn]:
            self.add({"dn": dn, "objectClass": "container"})
        for p in policies:
            self.add({"dn": "CN=%s,%s" % (p["cn"], self.policies_dn), "objectClass": "msExchMobileMailboxPolicy",
                      "msExchMobileFlags": str(p["flags"])})

    def policy_dn(self, policy_id):
        for o in self.manifest["objects"]:
            if o["id"] == policy_id and o["kind"] == "policy":
                return "CN=%s,%s" % (o["cn"], self.policies_dn)
        cov = self.manifest.get("coverage_lab")
        if cov:
            for o in cov["policies"]:
                if o["id"] == policy_id:
                    return "CN=%s,%s" % (o["cn"], self.coverage_policies_dn())
        raise LabError("unknown policy id %r in the manifest" % policy_id)

    def coverage_policies_dn(self):
        return "CN=%s,%s" % (self.manifest["coverage_lab"]["policy_container"]["cn"], self.org_dn)

    def add_coverage_lab(self):
        """The manifest's 'coverage_lab' (issue 14): a second unprivileged scan account and the
        objects whose view is cut for it, in their own OU and policy container. Last of all steps,
        so every object of the other scenarios keeps its RID, DACL and content."""
        cov = self.manifest.get("coverage_lab")
        if not cov:
            return
        self.add_account(cov["account"])
        ou = cov["ou"]
        self.add({"dn": self.dn_for(ou["parent"], "OU", ou["name"]), "objectClass": "organizationalUnit"})
        container = self.coverage_policies_dn()
        self.add({"dn": container, "objectClass": "container"})
        for p in cov["policies"]:
            self.add({"dn": "CN=%s,%s" % (p["cn"], container), "objectClass": "msExchMobileMailboxPolicy",
                      "msExchMobileFlags": str(p["flags"])})
        # Children first, the container's ACEs after: Samba propagates them to the policies at commit.
        self.prepend_aces(container, [self.res(a) for a in cov["policy_container"]["aces"]])
        for o in cov["objects"]:
            self.add_account(o)
        g = cov["group"]
        self.add_group(g)
        self.modify_attr(self.find(g["sam"]), "member", [self.find(m) for m in g["members"]], self.ldb.FLAG_MOD_ADD)
        for o in cov["objects"]:
            dn = self.find(o["sam"])
            if o.get("aces"):
                self.prepend_aces(dn, [self.res(a) for a in o["aces"]])
            if o.get("dacl_sddl"):
                self.set_dacl(dn, self.res(o["dacl_sddl"]))
            if o.get("device_container") or o.get("devices"):
                self.add_devices(o)

    def add_group(self, o):
        self.add({"dn": self.dn_for(o["parent"], "CN", o["cn"]), "objectClass": "group",
                  "sAMAccountName": o["sam"], "groupType": str(GROUP_TYPES[o.get("scope", "global")])})

    def mailbox_attrs(self, sam, msg):
        nick = re.sub(r"[^A-Za-z0-9.-]", "", sam) or "user"
        msg.update({"homeMDB": self.db_dn, "msExchMailboxGuid": uuid.uuid5(uuid.NAMESPACE_DNS, sam).bytes_le,
                    "msExchRecipientTypeDetails": "1", "mailNickname": nick,
                    "mail": "%s@%s" % (nick, DNS_DOMAIN), "proxyAddresses": "SMTP:%s@%s" % (nick, DNS_DOMAIN)})

    def add_account(self, o):
        sam, kind = o["sam"], o["kind"]
        dn = self.dn_for(o["parent"], "CN", o["cn"])
        password = new_password()
        self.passwords[sam] = password
        uac = UF_WORKSTATION_TRUST_ACCOUNT if kind == "computer" else UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD
        for flag in o.get("uac", []):
            uac |= UAC_NAMES[flag]
        msg = {"dn": dn, "objectClass": "computer" if kind == "computer" else kind, "sAMAccountName": sam,
               "userAccountControl": str(uac), "unicodePwd": ('"%s"' % password).encode("utf-16-le")}
        if kind == "computer":
            host = sam.rstrip("$").lower()
            msg.update({"dNSHostName": "%s.%s" % (host, DNS_DOMAIN),
                        "servicePrincipalName": ["HOST/%s.%s" % (host, DNS_DOMAIN), "HOST/" + host.upper()]})
        else:
            parts = o["cn"].split(" ", 1)
            msg.update({"userPrincipalName": o.get("upn", "%s@%s" % (sam, DNS_DOMAIN)), "displayName": o["cn"],
                        "givenName": parts[0], "sn": parts[-1]})
        if o.get("mailbox"):
            self.mailbox_attrs(sam, msg)
        if "wireless" in o:
            msg["msExchOmaAdminWirelessEnable"] = str(o["wireless"])
        if o.get("policy"):
            msg["msExchMobileMailboxPolicyLink"] = self.policy_dn(o["policy"])
        if o.get("delegate_to"):
            msg["msDS-AllowedToDelegateTo"] = o["delegate_to"]
        if o.get("certs"):
            msg["userCertificate"] = [self.make_cert(o["cn"], c) for c in o["certs"]]
        self.add(msg)

    def make_cert(self, cn, spec):
        if "garbage_hex" in spec:
            der = bytes.fromhex(spec["garbage_hex"])
        else:
            der = self.issue_cert(cn, spec["not_before_days"], spec["not_after_days"])
        self.cert_thumbprints[spec["id"]] = hashlib.sha1(der).hexdigest()
        return der

    def issue_cert(self, cn, not_before_days, not_after_days):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        if not hasattr(self, "_ca"):
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CORP Lab Issuing CA")])
            self._ca = (key, name)
        ca_key, ca_name = self._ca
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "com"),
                             x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
                             x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "corp"),
                             x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(self.now + datetime.timedelta(days=not_before_days))
                .not_valid_after(self.now + datetime.timedelta(days=not_after_days))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH,
                                                      ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.DER)

    def add_bulk(self, o):
        parent = self.res(o["parent"]) + "," + BASE_DN
        dns = []
        for i in range(1, o["count"] + 1):
            sam = "%s%04d" % (o["prefix"], i)
            dn = "CN=%s,%s" % (sam, parent)
            # No password (hashing is what makes user creation slow); enabled, PASSWD_NOTREQD.
            self.add({"dn": dn, "objectClass": "user", "sAMAccountName": sam,
                      "userAccountControl": str(UF_NORMAL_ACCOUNT | UF_PASSWD_NOTREQD),
                      "givenName": "Bulk", "sn": "User %04d" % i, "displayName": "Bulk User %04d" % i})
            dns.append(dn)
        self.modify_attr(self.find(o["group"]), "member", dns, self.ldb.FLAG_MOD_ADD)

    def add_generated(self, count):
        """--users N: realistic generic users for benchmarks (deterministic, seeded)."""
        rng = random.Random(20240611)
        first = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Klara",
                 "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Simon", "Tara", "Uwe"]
        last = ["Meyer", "Schmidt", "Novak", "Rossi", "Dubois", "Garcia", "Smith", "Jensen", "Kowalski",
                "Silva", "Horvat", "Larsen", "Moreau", "Berg", "Costa", "Lind"]
        depts = ["Finance", "HR", "Engineering", "Marketing", "Support", "Logistics"]
        base = "OU=Generated,OU=Lab," + BASE_DN
        self.add({"dn": base, "objectClass": "organizationalUnit"})
        for d in depts:
            self.add({"dn": "OU=%s,%s" % (d, base), "objectClass": "organizationalUnit"})
        policy = "CN=Generated Users," + self.policies_dn
        if not self._exists(policy):
            self.add({"dn": policy, "objectClass": "msExchMobileMailboxPolicy", "msExchMobileFlags": "2"})
        for i in range(1, count + 1):
            f, l, d = rng.choice(first), rng.choice(last), rng.choice(depts)
            sam = "gen%05d" % i
            cn = "%s %s %05d" % (f, l, i)
            dn = "CN=%s,OU=%s,%s" % (cn, d, base)
            msg = {"dn": dn, "objectClass": "user", "sAMAccountName": sam,
                   "userAccountControl": str(UF_NORMAL_ACCOUNT | UF_PASSWD_NOTREQD),
                   "givenName": f, "sn": "%s %05d" % (l, i), "displayName": cn, "department": d,
                   "title": rng.choice(["Clerk", "Engineer", "Manager", "Analyst", "Assistant"]),
                   "userPrincipalName": "%s@%s" % (sam, DNS_DOMAIN)}
            mailbox = rng.random() < 0.85
            wireless = None
            if mailbox:
                self.mailbox_attrs(sam, msg)
                msg["msExchMobileMailboxPolicyLink"] = policy
                wireless = rng.choice([None, None, None, 0, 0, 4, 8])
                if wireless is not None:
                    msg["msExchOmaAdminWirelessEnable"] = str(wireless)
            self.add(msg)
            if i % 5000 == 0:
                log("  %d of %d generated users" % (i, count))
            if rng.random() < 0.05:
                self.protect_remove(dn)
                if mailbox:
                    self.generated_expected.append({
                        "rule": "EAS-DEVICE-RIGHTS-MISSING", "object": sam,
                        "severity": "low" if wireless and wireless & 4 else "high",
                        "details": {"cause": "inheritance-disabled"}})
                self.generated_expected.append({"rule": "EAS-INHERITANCE-DISABLED", "object": sam,
                                                "severity": "medium" if mailbox else "low"})

    def set_primary_group(self, o):
        dn, group = self.find(o["sam"]), self.find(o["primary_group"])
        rid = self.sid(o["primary_group"]).rsplit("-", 1)[1]
        # Samba (like Windows) only takes a primary group the account is already a member of; it
        # then drops the member link, so membership is only visible through primaryGroupID.
        self.modify_attr(group, "member", [dn], self.ldb.FLAG_MOD_ADD)
        self.modify_attr(dn, "primaryGroupID", [rid])

    def sdprop(self, dn):
        """What SDProp does: the AdminSDHolder DACL, protected, onto the object."""
        self.set_dacl(dn, "D:PAI" + "".join(self.dacl_aces(ADMINSDHOLDER)))

    def add_devices(self, o):
        user_dn = self.find(o["sam"])
        container = "CN=ExchangeActiveSyncDevices," + user_dn
        self.add({"dn": container, "objectClass": "msExchActiveSyncDevices"})
        # The two ACEs Exchange writes on each new container (EXCHANGE.md 3.2).
        es = self.sid("Exchange Servers")
        self.prepend_aces(container, ["(OA;;CCDCLCRPWPLO;%s;;%s)" % (GUID_EAS_DEVICE, es),
                                      "(OA;CINPIO;RPWPLOSD;;%s;%s)" % (GUID_EAS_DEVICE, es)])
        for d in o.get("devices", []):
            cn = "%s\u00a7%s" % (d["type"], d["device_id"])  # DeviceType + '§' + DeviceId (EXCHANGE.md 2.1)
            dn = self.ldb.Dn(self.db, "CN=placeholder," + container)
            dn.set_component(0, "CN", cn)
            first = self.now - datetime.timedelta(days=d["first_sync_days_ago"])
            self.add({"dn": dn, "objectClass": "msExchActiveSyncDevice", "msExchDeviceID": d["device_id"],
                      "msExchDeviceType": d["type"], "msExchDeviceModel": d["model"], "msExchDeviceOS": d["os"],
                      "msExchDeviceUserAgent": d["user_agent"], "msExchFirstSyncTime": rfc_time(first)})
            if "when_changed_days_ago" in d:
                changed = self.now - datetime.timedelta(days=d["when_changed_days_ago"])
                self.backdate.append((str(dn), rfc_time(changed), rfc_time(first)))


def protected_group_sids(db, domain_sid):
    """Protected group SIDs minus those dSHeuristics' dwAdminSDExMask excludes."""
    import ldb

    mask = 0
    res = db.search(DIRECTORY_SERVICE, ldb.SCOPE_BASE, attrs=["dSHeuristics"])
    heur = str(res[0]["dSHeuristics"][0]) if res and "dSHeuristics" in res[0] else ""
    if len(heur) >= 16:
        mask = int(heur[15], 16)
    excluded = {sid for bit, sid in EXCLUSION_BITS.items() if mask & bit}
    return (PROTECTED_BUILTIN | {"%s-%d" % (domain_sid, r) for r in PROTECTED_DOMAIN_RIDS}) - excluded


def protected_principals(db, domain_sid):
    """The currently protected set per SEMANTICS.md: {dn: {"sam", "via": set of group names}}."""
    import ldb

    protected_groups = protected_group_sids(db, domain_sid)

    objs = {}
    for m in db.search(BASE_DN, ldb.SCOPE_SUBTREE, "(|(objectClass=user)(objectClass=group))",
                       ["objectSid", "memberOf", "primaryGroupID", "sAMAccountName", "objectClass"]):
        if "objectSid" not in m:
            continue
        sid = str(db.schema_format_value("objectSid", m["objectSid"][0]), "utf-8")
        objs[str(m.dn).lower()] = {
            "dn": str(m.dn), "sid": sid, "sam": str(m.get("sAMAccountName", [b""])[0]),
            "parents": [str(v).lower() for v in m.get("memberOf", [])],
            "pgid": int(str(m["primaryGroupID"][0])) if "primaryGroupID" in m else None}
    by_sid = {o["sid"]: key for key, o in objs.items()}
    for o in objs.values():
        if o["pgid"] is not None:
            key = by_sid.get("%s-%d" % (domain_sid, o["pgid"]))
            if key:
                o["parents"].append(key)

    result = {}
    for key, o in objs.items():
        via, seen, todo = set(), {key}, list(o["parents"])
        while todo:  # upward through memberOf and primaryGroupID; cycles tolerated by 'seen'
            g = todo.pop()
            if g in seen or g not in objs:
                continue
            seen.add(g)
            if objs[g]["sid"] in protected_groups:
                via.add(objs[g]["sam"])
            todo.extend(objs[g]["parents"])
        rid = int(o["sid"].rsplit("-", 1)[1])
        itself = o["sid"] in protected_groups or (o["sid"].startswith(domain_sid + "-") and
                                                  rid in PROTECTED_SELF_RIDS)
        if via or itself:
            result[o["dn"]] = {"sam": o["sam"], "via": via}
    return result


def raw_backdate(paths, items):
    """Sets whenChanged (and whenCreated) in the partition file itself, below the samba modules:
    repl_meta_data stamps 'now' on every write and silently drops supplied values, relax or not."""
    if not items:
        return
    import ldb
    import samba
    part = os.path.join(paths.dir, "private", "sam.ldb.d", BASE_DN.upper() + ".ldb")
    with open(part, "rb") as f:  # opened as tdb below: never let it touch an LMDB file
        if not f.read(8).startswith(b"TDB file"):
            raise LabError("%s is not a TDB file (provisioned with another backend store?)" % part)
    # samba.Ldb, not ldb.Ldb: it sets samba's UTF-8 casefolding, without which DNs holding '§'
    # or umlauts do not match their index keys. The partition file has no @MODULES: no modules.
    raw = samba.Ldb(url=part)
    raw.transaction_start()
    try:
        for dn, changed, created in items:
            m = ldb.Message()
            m.dn = ldb.Dn(raw, dn)
            m["whenChanged"] = ldb.MessageElement(changed, ldb.FLAG_MOD_REPLACE, "whenChanged")
            m["whenCreated"] = ldb.MessageElement(created, ldb.FLAG_MOD_REPLACE, "whenCreated")
            raw.modify(m)
        raw.transaction_commit()
    except Exception:
        raw.transaction_cancel()
        raise


# ------------------------------------------------------------------------------- self-check

def self_check(paths, manifest, n, backdated):
    """Checks the manifest's claims that depend on Samba against the built directory, offline."""
    import ldb
    from samba.auth import system_session
    from samba.param import LoadParm
    from samba.samdb import SamDB

    lp = LoadParm()
    lp.load(paths.conf)
    db = SamDB(url=paths.sam, session_info=system_session(), lp=lp)
    domain_sid = str(db.get_domain_sid())
    problems = []
    prot = protected_principals(db, domain_sid)
    prot_by_sam = {v["sam"].lower(): v for v in prot.values()}
    objs = [o for o in scenario_objects(manifest) if o["kind"] in ("user", "inetOrgPerson")]
    expected = manifest["expected"]

    def exp(rule, sam):
        return [e for e in expected if e["rule"] == rule and e["object"] == sam]

    for o in objs:
        sam = o["sam"]
        p = prot_by_sam.get(sam.lower())
        pmu = exp("EAS-PROTECTED-MAILBOX-USER", sam)
        should = bool(p) and o.get("mailbox") and not (o.get("wireless", 0) & 4)
        if bool(pmu) != bool(should):
            problems.append("%s: protected=%s but the manifest %s EAS-PROTECTED-MAILBOX-USER"
                            % (sam, bool(p), "expects" if pmu else "does not expect"))
        elif pmu and set(pmu[0]["details"]["via"]) != p["via"]:
            problems.append("%s: via %s, manifest says %s" % (sam, sorted(p["via"]), pmu[0]["details"]["via"]))
        if p and o.get("dacl") in ("protected-remove", "protected-convert"):
            problems.append("%s: protected accounts get the SDProp DACL, not %s" % (sam, o["dacl"]))
    # tokenGroups (Samba's own expansion) must agree for users.
    protected_sids = protected_group_sids(db, domain_sid)
    for o in objs:
        dn = db.search(db.domain_dn(), ldb.SCOPE_SUBTREE, "(sAMAccountName=%s)" % ldb.binary_encode(o["sam"]),
                       ["cn"])[0].dn
        m = db.search(dn, ldb.SCOPE_BASE, attrs=["tokenGroups"])[0]  # constructed on base searches only
        sids = {str(db.schema_format_value("objectSid", v), "utf-8") for v in m.get("tokenGroups", [])}
        by_token = bool(sids & protected_sids)
        if by_token != (o["sam"].lower() in prot_by_sam):
            problems.append("%s: tokenGroups says protected=%s, the graph walk says %s"
                            % (o["sam"], by_token, o["sam"].lower() in prot_by_sam))
    # Policy user counts (SEMANTICS.md MOB-POLICY-NONPROVISIONABLE).
    mailbox = db.search(BASE_DN, ldb.SCOPE_SUBTREE,
                        "(&(objectClass=user)(|(homeMDB=*)(msExchMailboxGuid=*)))",
                        ["msExchMobileMailboxPolicyLink"])
    for e in expected:
        if e["rule"] != "MOB-POLICY-NONPROVISIONABLE":
            continue
        pdn = resolve(e["object"], {"BASE": BASE_DN}).lower()
        count = sum(1 for m in mailbox if
                    ("msExchMobileMailboxPolicyLink" in m and str(m["msExchMobileMailboxPolicyLink"][0]).lower() == pdn)
                    or ("msExchMobileMailboxPolicyLink" not in m and e["details"]["isDefault"]))
        if count != e["details"]["users"]:
            problems.append("policy %s governs %d mailbox users, the manifest says %d"
                            % (e["object"], count, e["details"]["users"]))
    # Back-dated devices really read back old.
    for dn, changed, _ in backdated:
        got = str(db.search(dn, ldb.SCOPE_BASE, attrs=["whenChanged"])[0]["whenChanged"][0])
        if got != changed:
            problems.append("%s: whenChanged %s, wanted %s" % (dn, got, changed))
    if problems:
        raise LabError("the manifest does not match the directory:\n  " + "\n  ".join(problems))


# -------------------------------------------------------------------------------- up / down

def source_hash():
    h = hashlib.sha256()
    for name in ("lab.py", "lab_common.py", "scenarios.json"):
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def cache_dir(extra_users):
    return os.path.join(CACHE_ROOT, "u%d-%s" % (extra_users, source_hash()))


def usable_cache(extra_users):
    d = cache_dir(extra_users)
    meta = os.path.join(d, "cache.json")
    if not os.path.exists(meta):
        return None
    info = read_json(meta)
    if time.time() - info.get("created", 0) > CACHE_MAX_AGE_S:
        log("cache %s is older than %d days: building afresh" % (d, CACHE_MAX_AGE_S // 86400))
        shutil.rmtree(d, ignore_errors=True)
        return None
    return d, info


def save_cache(paths, n, extra_users):
    d = cache_dir(extra_users)
    if os.path.exists(d):
        return
    os.makedirs(CACHE_ROOT, exist_ok=True)
    tmp = "%s.tmp%d" % (d, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    run(["cp", "-a", paths.dir + "/.", tmp], 600, "copying the lab to the cache")
    for name in os.listdir(tmp):
        if name in ("samba.log", STATE, "lab.json") or name.startswith("krb5cc_") or name.startswith("log."):
            os.remove(os.path.join(tmp, name))
    write_json(os.path.join(tmp, "cache.json"), {"n": n, "dir": paths.dir, "created": time.time(),
                                                 "extra_users": extra_users})
    try:
        os.rename(tmp, d)
    except OSError:  # someone else cached the same key meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    # Caches of older lab.py/scenarios.json versions are dead weight (hundreds of MB for big labs);
    # leave the last hour's alone in case another lab is restoring from one right now.
    prefix = "u%d-" % extra_users
    for name in os.listdir(CACHE_ROOT):
        old = os.path.join(CACHE_ROOT, name)
        if name.startswith(prefix) and old != d and time.time() - os.path.getmtime(old) > 3600:
            shutil.rmtree(old, ignore_errors=True)


def restore_cache(paths, cache, info):
    run(["cp", "-a", cache + "/.", paths.dir], 600, "restoring the lab from " + cache)
    os.remove(os.path.join(paths.dir, "cache.json"))
    with open(paths.conf) as f:
        conf = f.read()
    with open(paths.conf, "w") as f:
        f.write(conf.replace(info["dir"] + "/", paths.dir + "/").replace(info["dir"] + "\n", paths.dir + "\n"))


def prepare_dir(paths):
    """An empty folder, or one that holds an old lab (which is then cleaned away)."""
    os.makedirs(paths.dir, exist_ok=True)
    names = set(os.listdir(paths.dir))
    if not names:
        return
    ours = {STATE, "lab.json", "etc", "private", "samba.log"} & names
    if not ours:
        raise LabError("%s is not empty and holds no lab: refusing to wipe it (choose another --dir)" % paths.dir)
    do_down(paths, quiet=True)
    for name in os.listdir(paths.dir):
        p = os.path.join(paths.dir, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.remove(p)


def write_lab_json(paths, n, pid, extra_users):
    from lab_common import connect_ldap
    host = "labdc%d.%s" % (n, DNS_DOMAIN)
    lab = {
        "ip": "127.0.0.%d" % n, "host": host, "realm": REALM, "netbios": NETBIOS, "base_dn": BASE_DN,
        "domain_sid": None, "ldap_uri": "ldap://" + host, "ldaps_uri": "ldaps://" + host, "ca_file": paths.ca,
        "krb5_config": paths.krb5,
        "admin": {"user": "Administrator@" + REALM, "dn": "CN=Administrator,CN=Users," + BASE_DN,
                  "password_file": paths.admin_pw, "ccache": paths.ccache("admin")},
        "reader": {"user": "svc-adcheck@" + DNS_DOMAIN, "dn": "CN=svc-adcheck,CN=Users," + BASE_DN,
                   "password_file": os.path.join(paths.dir, "reader.pw"), "ccache": paths.ccache("reader")},
        "smb_conf": paths.conf, "pid": pid, "manifest": MANIFEST,
        # Beyond the contract: what the other lab scripts and later tests need.
        "expected": paths.expected,
        "exchange_server": {"user": "EXCH01$@" + REALM, "dn": "CN=EXCH01,CN=Computers," + BASE_DN,
                            "password_file": os.path.join(paths.dir, "exch01.pw")},
        "viewer": {"user": "viewer1@" + DNS_DOMAIN, "dn": "CN=Vera Viewer,OU=IT,OU=Lab," + BASE_DN,
                   "password_file": os.path.join(paths.dir, "viewer1.pw")},
        "operator": {"user": "operator1@" + DNS_DOMAIN, "dn": "CN=Otto Operator,OU=IT,OU=Lab," + BASE_DN,
                     "password_file": os.path.join(paths.dir, "operator1.pw")},
        # Issue 14: the second unprivileged scan account, whose view the lab cuts (scenarios.json
        # 'coverage_lab'); the expected coverage of both accounts is the manifest's 'coverage'.
        "cutview": {"user": "adcheck-cutview@" + DNS_DOMAIN, "dn": "CN=adcheck-cutview,CN=Users," + BASE_DN,
                    "password_file": os.path.join(paths.dir, "cutview.pw")},
        "passwords_file": paths.passwords,
        "extra_users": extra_users,
    }
    db = connect_ldap(lab, "Administrator", read_secret(paths.admin_pw))
    lab["domain_sid"] = str(db.get_domain_sid())
    write_json(paths.lab_json, lab)
    return lab


def write_expected(paths, manifest, pop):
    values = dict(pop.values)
    extra = {("CERT", k): v for k, v in pop.cert_thumbprints.items()}
    data = {"version": manifest["version"], "settings": manifest["settings"],
            "expected": resolve_tree(manifest["expected"] + pop.generated_expected, values, pop.sid, extra),
            "decoys": resolve_tree(manifest["decoys"], values, pop.sid, extra),
            "certificates": pop.cert_thumbprints}
    if manifest.get("coverage"):
        data["coverage"] = resolve_coverage(manifest["coverage"], pop)
    write_json(paths.expected, data)
    write_json(paths.passwords, pop.passwords)
    os.chmod(paths.passwords, 0o600)
    for sam, file_name in (("svc-adcheck", "reader.pw"), ("EXCH01$", "exch01.pw"), ("viewer1", "viewer1.pw"),
                           ("operator1", "operator1.pw"), ("adcheck-cutview", "cutview.pw")):
        write_secret(os.path.join(paths.dir, file_name), pop.passwords[sam])


def resolve_coverage(cov, pop):
    """The manifest's 'coverage' with absolute DNs and the named sets expanded; '--users N' adds the
    generated users whose inheritance was removed to 'protected-remove'. Checks that the set the
    manifest names is the one the build made."""
    def absolute(rel):
        return rel + "," + BASE_DN

    sets = {name: [absolute(r) for r in rels] for name, rels in cov.get("sets", {}).items()}
    if "protected-remove" in sets:
        built = [dn for dn in pop.protect_removed if ",OU=Generated,OU=Lab," not in dn]
        key = {d.lower() for d in sets["protected-remove"]}
        if {d.lower() for d in built} != key:
            raise LabError("coverage set 'protected-remove' of the manifest %s differs from the users lab.py "
                           "built with inheritance removed %s" % (sorted(key), sorted(d.lower() for d in built)))
        sets["protected-remove"] += [dn for dn in pop.protect_removed if ",OU=Generated,OU=Lab," in dn]

    def expand(items):
        out = []
        for item in items:
            m = re.fullmatch(r"\$\{COVERAGE:([^}]+)\}", item)
            if m:
                if m.group(1) not in sets:
                    raise LabError("coverage: unknown set %s" % item)
                out.extend(sets[m.group(1)])
            else:
                out.append(absolute(item))
        return out

    return {"accounts": cov["accounts"],
            "unreadable": {acct: {inp: expand(objs) for inp, objs in inputs.items()}
                           for acct, inputs in cov["unreadable"].items()},
            "rules": resolve_tree(cov.get("rules", {}), pop.values, pop.sid)}


def build(paths, n, extra_users, manifest):
    admin_pw = new_password()
    with step("provision"):
        provision(paths, n, admin_pw)
        write_secret(paths.admin_pw, admin_pw)
        write_krb5_conf(paths, n)
    with step("first start (TLS keys, SPNs)"):
        proc = start_samba(paths, n)
        # samba runs samba_spnupdate itself at start: ours can race it and fail with
        # "servicePrincipalName ... already exists" (seen twice). A second run finds the SPNs in
        # place and succeeds; a real failure still fails after the retries.
        for attempt in range(3):
            try:
                run(["samba_spnupdate", "-s", paths.conf], 60, "samba_spnupdate")
                break
            except LabError as err:  # run() raises with the command's output
                if attempt == 2:
                    raise
                log("samba_spnupdate raced samba's own run (%s): retrying" % str(err).splitlines()[0][:120])
                time.sleep(1)
    with step("schema extension over LDAP"):
        extend_schema(ldap_admin(paths, n))
    with step("stop for offline population"):
        stop_samba(proc.pid, paths, proc)
    pop = Populator(paths, manifest, n, extra_users)
    pop.db.transaction_start()
    try:
        pop.run()
        pop.db.transaction_commit()
    except BaseException:
        pop.db.transaction_cancel()
        raise
    with step("write expected.json, passwords"):
        write_expected(paths, manifest, pop)
    backdated = list(pop.backdate)
    # Close sam.ldb before opening a partition file underneath it (tdb allows one open per process).
    pop.db = None
    del pop
    gc.collect()
    with step("back-date stale devices"):
        raw_backdate(paths, backdated)
    with step("self-check of the manifest"):
        self_check(paths, manifest, n, backdated)


def do_up(args):
    paths = Paths(args.dir)
    t0 = time.monotonic()
    if os.path.exists(paths.lab_json):
        lab = read_json(paths.lab_json)
        if is_our_samba(lab.get("pid"), paths):
            n = int(lab["ip"].rsplit(".", 1)[1])
            write_krb5_conf(paths, n)
            kinit(paths, "Administrator@" + REALM, paths.admin_pw, "admin")
            kinit(paths, "svc-adcheck@" + REALM, lab["reader"]["password_file"], "reader")
            log("a lab is already running in %s (pid %d, %s): nothing to do (tickets renewed)"
                % (paths.dir, lab["pid"], lab["host"]))
            return 0
    manifest = read_json(MANIFEST)
    prepare_dir(paths)
    cached = None if args.no_cache else usable_cache(args.users)
    n = None
    if cached:
        n = claim_number(cached[1]["n"])
        if n is None:
            log("cached lab needs 127.0.0.%d, which is taken: building afresh" % cached[1]["n"])
            cached = None
    if n is None:
        n = claim_number()
    write_json(paths.state, {"n": n, "pid": None})
    log("lab %s on 127.0.0.%d (labdc%d.%s)" % (paths.dir, n, n, DNS_DOMAIN))
    try:
        if cached:
            with step("restore from cache"):
                restore_cache(paths, cached[0], cached[1])
                write_krb5_conf(paths, n)
        else:
            build(paths, n, args.users, manifest)
            if not args.no_cache:
                with step("save to cache"):
                    save_cache(paths, n, args.users)
        with step("start samba"):
            proc = start_samba(paths, n)
        with step("kinit admin + reader, lab.json"):
            kinit(paths, "Administrator@" + REALM, paths.admin_pw, "admin")
            kinit(paths, "svc-adcheck@" + REALM, os.path.join(paths.dir, "reader.pw"), "reader")
            write_lab_json(paths, n, proc.pid, args.users)
    except BaseException:
        with contextlib.suppress(Exception):
            do_down(paths, quiet=True, keep_files=True)
            log("cleaned up after the failure: samba stopped, 127.0.0.%d released; files kept in %s"
                % (n, paths.dir))
        raise
    log("lab up in %.1f s: %s, samba pid %d%s" % (time.monotonic() - t0, paths.lab_json, proc.pid,
                                                   " (restored from cache)" if cached else ""))
    return 0


def do_down(paths, quiet=False, keep_files=False):
    state = None
    for p in (paths.state, paths.lab_json):
        if os.path.exists(p):
            with contextlib.suppress(LabError):
                data = read_json(p)
                state = state or {}
                if "n" in data:
                    state.setdefault("n", data["n"])
                if "ip" in data:
                    state.setdefault("n", int(data["ip"].rsplit(".", 1)[1]))
                if data.get("pid"):
                    state["pid"] = data["pid"]
    if state is None:
        if not quiet:
            log("no lab in %s: nothing to stop" % paths.dir)
        return 0
    if state.get("pid"):
        stop_samba(state["pid"], paths)
    if state.get("n") is not None:
        release_number(state["n"])
    for p in (paths.lab_json, paths.state):
        with contextlib.suppress(FileNotFoundError):
            os.remove(p)
    if not keep_files:
        for who in ("admin", "reader"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(paths.ccache(who))
    if not quiet:
        log("lab in %s stopped (alias 127.0.0.%s and hosts line removed)" % (paths.dir, state.get("n")))
    return 0


def do_status(args):
    paths = Paths(args.dir)
    if not os.path.exists(paths.lab_json):
        print("no lab in %s" % paths.dir)
        return 1
    lab = read_json(paths.lab_json)
    if not is_our_samba(lab.get("pid"), paths):
        print("lab in %s is NOT running (samba pid %s gone); see %s" % (paths.dir, lab.get("pid"), paths.log))
        return 1
    print("lab in %s is running: %s (%s), samba pid %d, base %s" % (paths.dir, lab["host"], lab["ip"], lab["pid"],
                                                                   lab["base_dn"]))
    return 0


def do_env(args):
    paths = Paths(args.dir)
    if not os.path.exists(paths.lab_json):
        raise LabError("no lab in %s: run 'lab.py up --dir %s' first" % (paths.dir, paths.dir))
    lab = read_json(paths.lab_json)
    print("export KRB5_CONFIG=%s" % lab["krb5_config"])
    print("export KRB5CCNAME=FILE:%s" % lab[args.who]["ccache"])
    print("export ADCHECK_LAB_DIR=%s" % paths.dir)
    print("# ldapsearch -N -Y GSSAPI -H %s -b %s" % (lab["ldap_uri"], lab["base_dn"]))
    return 0


def do_describe(_args):
    """The scenario catalogue as Markdown, from the manifest (pasted into README.md)."""
    manifest = read_json(MANIFEST)
    by_object = {}
    for e in manifest["expected"]:
        by_object.setdefault(e["object"], []).append("%s %s%s" % (e["rule"], e["severity"],
                                                                  " (%s)" % e["details"]["cause"]
                                                                  if "cause" in e.get("details", {}) else ""))
    not_by_object = {}
    for d in manifest["decoys"]:
        not_by_object.setdefault(d["object"], []).extend(d["not"])

    def cell(text):
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

    print("| id | object | expected findings | must not fire | what it proves |")
    print("|---|---|---|---|---|")
    for o in scenario_objects(manifest):
        if o["kind"] in ("ou", "bulk-users"):
            name = o.get("name", o.get("prefix", ""))
        else:
            name = o.get("sam", o.get("cn", ""))
        key = name
        if o["kind"] == "policy":
            key = "CN=%s,CN=Mobile Mailbox Policies,CN=%s,CN=Microsoft Exchange,CN=Services,CN=Configuration,${BASE}" \
                % (o["cn"], manifest["directory"]["exchange_org"])
        print("| %s | %s `%s` | %s | %s | %s |" % (
            o["id"], o["kind"], cell(name), cell(", ".join(by_object.get(key, [])) or "-"),
            cell(", ".join(not_by_object.get(key, [])) or "-"), cell(o["why"])))
    other = [e for e in manifest["expected"] if e["object"].startswith("CN=") and "Mobile Mailbox Policies" not in
             e["object"]]
    for e in other:
        print("| - | `%s` | %s %s%s | - | %s |" % (cell(e["object"]), e["rule"], e["severity"],
                                                  " key `%s`" % cell(e["key"]) if "key" in e else "",
                                                  cell(manifest["directory"]["adminsdholder_why"]
                                                       if "AdminSDHolder" in e["object"]
                                                       else manifest["directory"]["dSHeuristics_why"])))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("describe", help="print the scenario catalogue as Markdown")
    for name in ("up", "down", "status", "env"):
        p = sub.add_parser(name)
        p.add_argument("--dir", required=True, help="the lab folder")
        if name == "up":
            p.add_argument("--users", type=int, default=0, help="extra generated users (benchmarks)")
            p.add_argument("--no-cache", action="store_true", help="build afresh, do not use or fill the cache")
        if name == "env":
            p.add_argument("--as", dest="who", choices=["admin", "reader"], default="admin")
    args = ap.parse_args(argv)
    if args.command == "describe":
        return do_describe(args)
    if os.geteuid() != 0:
        raise LabError("lab.py needs root (loopback alias, /etc/hosts, samba)")
    if args.command == "up":
        if args.users < 0:
            raise LabError("--users must be >= 0, got %d" % args.users)
        return do_up(args)
    if args.command == "down":
        return do_down(Paths(args.dir))
    if args.command == "status":
        return do_status(args)
    return do_env(args)


def _terminate(signum, _frame):
    # ctest kills a test that runs past its timeout with SIGTERM: unwind through do_up's cleanup
    # (stop samba, release the alias) instead of leaving them behind.
    raise KeyboardInterrupt("signal %d" % signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except LabError as e:
        print("lab: ERROR: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt as e:
        print("lab: interrupted (%s)" % (e or "SIGINT"), file=sys.stderr)
        sys.exit(130)
