"""Shared helpers of the lab scripts (lab.py, verify_enforcement.py, sd_oracle.py).

Runs on Debian's /usr/bin/python3 only: python3-samba belongs to the system interpreter.
"""

import json
import os
import re
import sys
import time
import uuid

REALM = "CORP.EXAMPLE.COM"
DNS_DOMAIN = "corp.example.com"
NETBIOS = "CORP"
BASE_DN = "DC=corp,DC=example,DC=com"
CONFIG_DN = "CN=Configuration," + BASE_DN
SCHEMA_DN = "CN=Schema," + CONFIG_DN
LAB_DIR_ENV = "ADCHECK_LAB_DIR"
HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "scenarios.json")

# schemaIDGUIDs quoted from /work/shared/EXCHANGE.md (2.1, 2.3, 1.1); the rest of the Exchange
# subset has no sourced GUID and gets an invented one (see lab.py SCHEMA).
GUID_EAS_DEVICES = "c975c901-6cea-4b6f-8319-d67f45449506"  # msExchActiveSyncDevices
GUID_EAS_DEVICE = "e8b2aff2-59a7-4eac-9a70-819adef701dd"  # msExchActiveSyncDevice
GUID_USER = "bf967aba-0de6-11d0-a285-00aa003049e2"
GUID_INETORGPERSON = "4828cc14-1437-45bc-9b07-ad6f015e5f28"
GUID_RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"

# sd_flags control values for python ldb ("sd_flags:<critical>:<flags>").
SD_FLAGS_DACL = "sd_flags:1:4"
SD_FLAGS_OGD = "sd_flags:1:7"

UF_ACCOUNTDISABLE = 0x2
UF_PASSWD_NOTREQD = 0x20
UF_NORMAL_ACCOUNT = 0x200
UF_WORKSTATION_TRUST_ACCOUNT = 0x1000
UF_SERVER_TRUST_ACCOUNT = 0x2000
UF_DONT_EXPIRE_PASSWD = 0x10000
UF_TRUSTED_FOR_DELEGATION = 0x80000
UF_TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000
UAC_NAMES = {
    "ACCOUNTDISABLE": UF_ACCOUNTDISABLE,
    "DONT_EXPIRE_PASSWD": UF_DONT_EXPIRE_PASSWD,
    "TRUSTED_FOR_DELEGATION": UF_TRUSTED_FOR_DELEGATION,
    "TRUSTED_TO_AUTH_FOR_DELEGATION": UF_TRUSTED_TO_AUTH_FOR_DELEGATION,
}


def scenario_objects(manifest):
    """The manifest's 'objects' plus the accounts and users of its 'coverage_lab' section (issue 14),
    which lab.py builds in a step of their own, last."""
    cov = manifest.get("coverage_lab") or {}
    return manifest["objects"] + ([cov["account"]] if cov.get("account") else []) + cov.get("objects", [])


class LabError(Exception):
    """A failure with a message that says what failed and what to look at."""


def log(msg):
    print("lab: " + msg, flush=True)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise LabError("%s does not exist" % path) from None
    except json.JSONDecodeError as e:
        raise LabError("%s is not valid JSON: line %d column %d: %s" % (path, e.lineno, e.colno, e.msg)) from None


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def read_secret(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def load_lab(lab_dir):
    """lab.json of a running lab, with a clear error when the lab is not up."""
    path = os.path.join(lab_dir, "lab.json")
    if not os.path.exists(path):
        raise LabError("no lab in %s (lab.json missing): run 'tests/lab/lab.py up --dir %s' first"
                       % (lab_dir, lab_dir))
    lab = read_json(path)
    if not pid_alive(lab.get("pid")):
        raise LabError("the lab in %s is not running (samba pid %s is gone): see %s/samba.log, "
                       "then 'lab.py down --dir %s' and 'lab.py up --dir %s'"
                       % (lab_dir, lab.get("pid"), lab_dir, lab_dir, lab_dir))
    return lab


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not a running DC.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------- placeholders

_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)(?::([^}]*))?\}")


def resolve(text, values, sid_of=None, extra=None):
    """Replaces ${BASE}, ${DC}, ${SID:<sAMAccountName>} and ${CERT:<cert id>} in text."""

    def sub(m):
        key, arg = m.group(1), m.group(2)
        if arg is None:
            if key in values:
                return values[key]
        elif key == "SID" and sid_of is not None:
            return sid_of(arg)
        elif extra is not None and (key, arg) in extra:
            return extra[(key, arg)]
        raise LabError("unknown placeholder ${%s%s} in %r" % (key, ":" + arg if arg else "", text))

    return _PLACEHOLDER.sub(sub, text)


def resolve_tree(data, values, sid_of=None, extra=None):
    if isinstance(data, str):
        return resolve(data, values, sid_of, extra)
    if isinstance(data, list):
        return [resolve_tree(x, values, sid_of, extra) for x in data]
    if isinstance(data, dict):
        return {k: resolve_tree(v, values, sid_of, extra) for k, v in data.items()}
    return data


# ---------------------------------------------------------------- SDDL helpers

_ACE = re.compile(r"\([^()]*\)")


def split_sddl(sddl):
    """Splits SDDL into (owner_group_prefix, dacl_flags, [dacl aces], sacl_part)."""
    d = sddl.find("D:")
    if d < 0:
        raise LabError("SDDL without a DACL: %s" % sddl)
    s = sddl.find("S:", d)
    head, dacl, sacl = sddl[:d], sddl[d + 2:s if s >= 0 else len(sddl)], sddl[s:] if s >= 0 else ""
    first = dacl.find("(")
    flags = dacl if first < 0 else dacl[:first]
    return head, flags, _ACE.findall(dacl), sacl


def ace_flags(ace):
    return ace[1:-1].split(";")[1]


def is_inherited(ace):
    return "ID" in re.findall("..", ace_flags(ace))


def explicit_aces(aces):
    return [a for a in aces if not is_inherited(a)]


def without_inherited_flag(ace):
    parts = ace[1:-1].split(";")
    parts[1] = "".join(f for f in re.findall("..", parts[1]) if f != "ID")
    return "(" + ";".join(parts) + ")"


# ---------------------------------------------------------------- connections

def lab_env(lab):
    env = dict(os.environ)
    env["KRB5_CONFIG"] = lab["krb5_config"]
    return env


def connect_ldap(lab, user, password, lp=None):
    """SamDB over ldap:// (signed and sealed; python-samba refuses sign/seal over ldaps)."""
    from samba.credentials import Credentials
    from samba.param import LoadParm
    from samba.samdb import SamDB

    os.environ["KRB5_CONFIG"] = lab["krb5_config"]
    if lp is None:
        lp = LoadParm()
        lp.set("realm", REALM)
        lp.set("workgroup", NETBIOS)
    creds = Credentials()
    creds.guess(lp)
    creds.set_username(user)
    creds.set_password(password)
    creds.set_domain(NETBIOS)
    creds.set_realm(REALM)
    try:
        return SamDB(url=lab["ldap_uri"], credentials=creds, lp=lp)
    except Exception as e:  # ldb raises LdbError; say which bind failed
        raise LabError("LDAP bind to %s as %s failed: %s" % (lab["ldap_uri"], user, e)) from None


def connect_admin(lab):
    return connect_ldap(lab, "Administrator", read_secret(lab["admin"]["password_file"]))


def guid_str(raw):
    return str(uuid.UUID(bytes_le=bytes(raw)))


def die(msg, code=1):
    print("lab: ERROR: " + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def run_main(name, main):
    """Runs a lab script's main(): LabError becomes a one-line error and exit code 2."""
    try:
        sys.exit(main())
    except LabError as e:
        print("%s: ERROR: %s" % (name, e), file=sys.stderr)
        sys.exit(2)
