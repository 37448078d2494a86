#!/usr/bin/python3
"""Ground truth from Samba itself: can the Exchange server create a device container?

Binds as the Exchange server's computer account (member of Exchange Servers and Exchange Trusted
Subsystem, like a real Exchange server) and, for every mailbox user of the manifest, tries to
create CN=ExchangeActiveSyncDevices (class msExchActiveSyncDevices) below it, as Exchange does on
a phone's first sync, and deletes it again. Samba enforces the DACL (LAB.md), so creation must
fail exactly for the users the manifest expects EAS-DEVICE-RIGHTS-MISSING on.

  verify_enforcement.py --dir D [--json OUT]

Exit 0 when Samba and the manifest agree, 1 with every mismatch listed, 2 when it cannot run.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_common import (  # noqa: E402
    BASE_DN, LabError, connect_admin, connect_ldap, load_lab, read_json, read_secret, run_main,
    scenario_objects)

LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS = 50
LDB_ERR_NO_SUCH_OBJECT = 32


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("ADCHECK_LAB_DIR"), help="the lab folder")
    ap.add_argument("--json", help="also write the per-user results here")
    args = ap.parse_args(argv)
    if not args.dir:
        raise LabError("no lab folder: pass --dir or set ADCHECK_LAB_DIR")
    import ldb

    lab = load_lab(args.dir)
    manifest = read_json(lab["manifest"])
    expected = read_json(lab["expected"])
    denied_expected = {e["object"] for e in expected["expected"] if e["rule"] == "EAS-DEVICE-RIGHTS-MISSING"}
    mailbox_users = [o for o in scenario_objects(manifest) if o.get("mailbox")]
    if not mailbox_users:
        raise LabError("the manifest %s names no mailbox user" % lab["manifest"])

    admin = connect_admin(lab)
    exch = lab["exchange_server"]
    server = connect_ldap(lab, exch["user"].split("@")[0], read_secret(exch["password_file"]))
    whoami = server.search("", ldb.SCOPE_BASE, attrs=["tokenGroups"])  # proves the bind is the server's
    if not whoami:
        raise LabError("bound as %s but cannot read the rootDSE" % exch["user"])

    results, mismatches = [], []
    for o in mailbox_users:
        sam = o["sam"]
        found = admin.search(BASE_DN, ldb.SCOPE_SUBTREE, "(sAMAccountName=%s)" % ldb.binary_encode(sam), ["cn"])
        if len(found) != 1:
            mismatches.append("%s: %d objects with this sAMAccountName (lab incomplete?)" % (sam, len(found)))
            continue
        user_dn = found[0].dn
        container = ldb.Dn(admin, "CN=ExchangeActiveSyncDevices," + str(user_dn))
        has = admin.search(user_dn, ldb.SCOPE_ONELEVEL, "(objectClass=msExchActiveSyncDevices)", ["cn"])
        want_denied = sam in denied_expected
        if has:
            # A container already exists (scenario devices): creating a second one is impossible,
            # so the permission cannot be probed here; the manifest must not expect a denial.
            results.append({"sam": sam, "result": "has container"})
            if want_denied:
                mismatches.append("%s: has a device container, so Exchange could create it once, but the manifest "
                                  "expects EAS-DEVICE-RIGHTS-MISSING" % sam)
            continue
        try:
            server.add({"dn": container, "objectClass": "msExchActiveSyncDevices"})
            created = True
        except ldb.LdbError as e:
            code, text = e.args[0], e.args[1] if len(e.args) > 1 else ""
            if code != LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS:
                mismatches.append("%s: creating %s failed for another reason than access: (%d) %s"
                                  % (sam, container, code, text))
                results.append({"sam": sam, "result": "error", "error": text})
                continue
            created = False
        if created:
            try:
                server.delete(container)  # as Exchange would remove a partnership (Delete Child)
                cleanup = "deleted by the server account"
            except ldb.LdbError as e:
                admin.delete(container)
                cleanup = "server could not delete it (%s); deleted as Administrator" % e.args[-1]
                mismatches.append("%s: the server account created the container but could not delete it: %s"
                                  % (sam, e.args[-1]))
        results.append({"sam": sam, "result": "created" if created else "denied",
                        **({"cleanup": cleanup} if created else {})})
        if created == want_denied:
            mismatches.append("%s: Samba %s the container, the manifest %s EAS-DEVICE-RIGHTS-MISSING"
                              % (sam, "allowed" if created else "denied",
                                 "expects" if want_denied else "does not expect"))

    probed = [r for r in results if r["result"] in ("created", "denied")]
    print("verify_enforcement: %d mailbox users, %d probed (%d denied, %d created), %d with a container"
          % (len(mailbox_users), len(probed), sum(r["result"] == "denied" for r in probed),
             sum(r["result"] == "created" for r in probed), sum(r["result"] == "has container" for r in results)))
    for r in results:
        print("  %-22s %s" % (r["sam"], r["result"]))
    missing = denied_expected - {o["sam"] for o in mailbox_users}
    for sam in sorted(missing):
        mismatches.append("%s: the manifest expects EAS-DEVICE-RIGHTS-MISSING but it is not a mailbox user of the "
                          "manifest" % sam)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"results": results, "mismatches": mismatches}, f, indent=2, ensure_ascii=False)
    if mismatches:
        print("verify_enforcement: %d MISMATCH(ES) between Samba's access check and the manifest:" % len(mismatches))
        for m in mismatches:
            print("  " + m)
        return 1
    print("verify_enforcement: Samba's access check agrees with the manifest")
    return 0


if __name__ == "__main__":
    run_main("verify_enforcement", main)
