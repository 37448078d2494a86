#!/usr/bin/python3
"""Generates the bundled sample forest of `adcheck demo` (adcheck/demo/).

Brings up a fresh lab in a temporary folder, takes an `adcheck snapshot`, then changes the
directory the way a real domain drifts between scans (some findings fixed, new ones introduced,
one fix undone) and snapshots again after each step. The snapshots and a manifest that dates
them go to adcheck/demo/; the lab is taken down at the end, also on failure.

    /usr/bin/python3 tests/lab/make_demo.py [--adcheck build/dev/adcheck/app/adcheck] [--out adcheck/demo]

Runs as root on Debian's python3 with python3-samba, like lab.py.
"""

import argparse
import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import lab  # noqa: E402  (reuses the Populator's DACL and device helpers over LDAP)
from lab_common import (  # noqa: E402
    BASE_DN, LabError, connect_admin, explicit_aces, load_lab, log, run_main,
)

# Snapshot ages in days, oldest first: weekly scans, the last one yesterday.
kDaysAgo = [28, 21, 14, 7, 1]


def find_adcheck(explicit):
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise LabError("--adcheck %s is not an executable file" % explicit)
        return explicit
    found = sorted(glob.glob(os.path.join(REPO, "build", "*", "adcheck", "app", "adcheck")),
                   key=os.path.getmtime, reverse=True)
    if not found:
        raise LabError("no built adcheck under %s/build/*/adcheck/app/: build it (cmake --preset dev "
                       "&& cmake --build build/dev) or pass --adcheck PATH" % REPO)
    return found[0]


class Drift:
    """The directory changes between snapshots, over LDAP as Administrator."""

    def __init__(self, lab_json):
        import ldb
        from samba.dcerpc import security
        self.db = connect_admin(lab_json)
        # A Populator without its offline sam.ldb: its helpers only need these fields.
        p = lab.Populator.__new__(lab.Populator)
        p.ldb, p.security, p.db = ldb, security, self.db
        p.domain_sid = str(self.db.get_domain_sid())
        p.dom_sid = security.dom_sid(p.domain_sid)
        p.sid_cache, p.dn_cache, p.passwords, p.backdate = {}, {}, {}, []
        manifest = json.load(open(lab.MANIFEST))
        p.manifest = manifest
        p.org = manifest["directory"]["exchange_org"]
        p.org_dn = "CN=%s,%s" % (p.org, lab.EXCHANGE_ROOT)
        p.db_dn = ("CN=Mailbox Database 01,CN=Databases,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),"
                   "CN=Administrative Groups," + p.org_dn)
        p.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        p.values = {"BASE": BASE_DN}
        self.p, self.ldb = p, ldb

    def enable_inheritance(self, sam):
        dn = self.p.find(sam)
        self.p.set_dacl(dn, "D:AI" + "".join(explicit_aces(self.p.dacl_aces(dn))))
        log("  inheritance re-enabled on %s" % sam)

    def disable_inheritance(self, sam):
        self.p.protect_remove(self.p.find(sam))
        log("  inheritance disabled on %s" % sam)

    def clear_admincount(self, sam):
        self.p.modify_attr(self.p.find(sam), "adminCount", [], self.ldb.FLAG_MOD_DELETE)
        log("  adminCount cleared on %s" % sam)

    def add_to_group(self, sam, group):
        dn = self.p.find(sam)
        self.p.modify_attr(self.p.find(group), "member", [dn], self.ldb.FLAG_MOD_ADD)
        # What SDProp does within the hour: adminCount=1 and the AdminSDHolder DACL, protected.
        self.p.modify_attr(dn, "adminCount", ["1"])
        self.p.sdprop(dn)
        log("  %s added to %s (SDProp applied)" % (sam, group))

    def add_mailbox_user(self, sam, cn, parent):
        dn = self.p.dn_for(parent, "CN", cn)
        parts = cn.split(" ", 1)
        msg = {"dn": dn, "objectClass": "user", "sAMAccountName": sam,
               "userAccountControl": str(lab.UF_NORMAL_ACCOUNT),
               "unicodePwd": ('"%s"' % lab.new_password()).encode("utf-16-le"),
               "userPrincipalName": "%s@corp.example.com" % sam, "displayName": cn,
               "givenName": parts[0], "sn": parts[-1]}
        self.p.mailbox_attrs(sam, msg)
        self.db.add(msg)
        log("  new mailbox user %s" % sam)

    def add_devices(self, sam, devices):
        self.p.add_devices({"sam": sam, "devices": devices})
        log("  device container with %d device(s) under %s" % (len(devices), sam))


def steps():
    """(description, change) per snapshot after the first."""
    return [
        ("helpdesk fixes: inheritance back on two Sales users, orphaned adminCount cleared",
         lambda d: (d.enable_inheritance("sales-inh-off"), d.enable_inheritance("sales-eas-off-inh"),
                    d.clear_admincount("former-admin-mbx"), d.enable_inheritance("former-admin-mbx"))),
        ("drift: a new hire with inheritance disabled, a mailbox user promoted to Domain Admins, "
         "a phone set up for a user with ActiveSync disabled",
         lambda d: (d.add_mailbox_user("sales-newhire", "Nina Newhire", "OU=Sales,OU=Lab"),
                    d.disable_inheritance("sales-newhire"),
                    d.add_to_group("sales-ok", "Domain Admins"),
                    d.add_devices("dev-disabled-none", [{
                        "type": "iPhone", "device_id": "DEM0DEV1CE", "model": "iPhone15,2", "os": "iOS 17.4",
                        "user_agent": "Apple-iPhone15C2/2104.1", "first_sync_days_ago": 10}]))),
        ("partly cleaned up: the new hire fixed; an old fix undone by a copied template",
         lambda d: (d.enable_inheritance("sales-newhire"), d.disable_inheritance("sales-inh-off"))),
        ("steady state: nothing changed (a scan that only confirms)", lambda d: None),
    ]


def snapshot(adcheck, ini, out):
    r = subprocess.run([adcheck, "snapshot", "--config", ini, "--output", out],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise LabError("adcheck snapshot failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
    log("  snapshot %s: %d bytes" % (os.path.basename(out), os.path.getsize(out)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adcheck", help="the adcheck binary (default: the newest build/*/adcheck/app/adcheck)")
    ap.add_argument("--out", default=os.path.join(REPO, "adcheck", "demo"), help="output folder")
    ap.add_argument("--keep", action="store_true", help="leave the lab running (for inspection)")
    args = ap.parse_args()
    adcheck = find_adcheck(args.adcheck)
    work = tempfile.mkdtemp(prefix="adcheck-demo-")
    lab_dir = os.path.join(work, "lab")
    up = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "up", "--dir", lab_dir], timeout=900)
    try:
        if up.returncode != 0:
            raise LabError("lab.py up failed (%d): see %s/samba.log" % (up.returncode, lab_dir))
        lj = load_lab(lab_dir)
        ini = os.path.join(work, "demo.ini")
        with open(ini, "w") as f:
            f.write("[directory]\nuri = %s\nbind = simple\nuser = %s\npassword_file = %s\nca_file = %s\n"
                    % (lj["ldaps_uri"], lj["reader"]["user"], lj["reader"]["password_file"], lj["ca_file"]))
        os.makedirs(args.out, exist_ok=True)
        for old in glob.glob(os.path.join(args.out, "scan-*.ldif.gz")):
            os.remove(old)
        drift = Drift(lj)
        entries = []
        plan = [("baseline: the lab as provisioned", lambda d: None)] + steps()
        for i, (what, change) in enumerate(plan[:len(kDaysAgo)], start=1):
            log("snapshot %d: %s" % (i, what))
            change(drift)
            name = "scan-%d.ldif.gz" % i
            snapshot(adcheck, ini, os.path.join(args.out, name))
            entries.append({"file": name, "daysAgo": kDaysAgo[i - 1], "what": what})
        manifest = {
            "description": "Sample forest corp.example.com (the adcheck test lab: a Samba AD DC with the "
                           "Exchange ActiveSync pieces and the scenario catalogue of tests/lab/scenarios.json), "
                           "scanned weekly while it drifts; generated by tests/lab/make_demo.py",
            "snapshots": entries,
        }
        with open(os.path.join(args.out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        total = sum(os.path.getsize(os.path.join(args.out, e["file"])) for e in entries)
        log("wrote %d snapshots, %d bytes in all, to %s" % (len(entries), total, args.out))
        if total > 3 * 1024 * 1024:
            raise LabError("the demo data is %d bytes, over the 3 MB budget" % total)
    finally:
        if not args.keep:
            subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "down", "--dir", lab_dir], timeout=120)
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    run_main("make_demo", main)
