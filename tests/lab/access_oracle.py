#!/usr/bin/python3
"""Ground truth from Samba for the object-type-list access check (issue 14): may a standard user
add itself, or another user, to each 'access_oracle' group of the manifest?

  access_oracle.py --dir D --out FILE.json

Binds as the manifest's actor (a plain lab user) and, for every case group, tries to add the actor
itself and then the other user to `member` over LDAP. Samba enforces the group's DACL (MS-ADTS:
Write Property checked through the tree object class > property set > attribute, and for adding
oneself the Self-Membership validated write), so success or "insufficient access" is the oracle's
answer. Whatever got added is removed again as Administrator, also after a failure, and leftovers
of an interrupted run are removed first.

Writes {"actor": {"sam", "dn", "sid", "token_groups"}, "other": {"sam", "dn"},
"schema": {"group", "member", "member_property_set"}, "cases": [{"cn", "dn", "aces", "why",
"sd_b64", "sddl", "self", "other"}]}: "self"/"other" are true when Samba let the actor add that
member. The C++ test (tests/integration/security/access_oracle_test.cpp) compares adcheck's
access check with these answers.

Exit 0 when every question got an access answer, 1 when an attempt failed for another reason (or
membership could not be restored), 2 when it cannot run.
"""

import argparse
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_common import (  # noqa: E402
    BASE_DN, SCHEMA_DN, SD_FLAGS_OGD, LabError, connect_admin, connect_ldap, guid_str, load_lab, read_json,
    resolve, run_main, write_json)

LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS = 50


def find_one(db, expression, attrs):
    import ldb
    res = db.search(BASE_DN, ldb.SCOPE_SUBTREE, expression, attrs)
    if len(res) != 1:
        raise LabError("%s: %d objects found, expected 1 (is the lab built from this scenarios.json?)"
                       % (expression, len(res)))
    return res[0]


def sid_text(db, raw):
    return str(db.schema_format_value("objectSid", raw), "utf-8")


def schema_guid(db, name, attr):
    import ldb
    res = db.search(SCHEMA_DN, ldb.SCOPE_ONELEVEL, "(lDAPDisplayName=%s)" % name, [attr])
    if len(res) != 1 or attr not in res[0]:
        raise LabError("schema: %s of %s not found" % (attr, name))
    return guid_str(res[0][attr][0])


def set_member(db, group_dn, member_dn, flag):
    import ldb
    m = ldb.Message()
    m.dn = ldb.Dn(db, group_dn)
    m["member"] = ldb.MessageElement([member_dn], flag, "member")
    db.modify(m)


def is_member(admin, group_dn, member_dn):
    import ldb
    res = admin.search(group_dn, ldb.SCOPE_BASE, attrs=["member"])
    return any(str(v).lower() == member_dn.lower() for v in res[0].get("member", []))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("ADCHECK_LAB_DIR"), help="the lab folder")
    ap.add_argument("--out", required=True, help="JSON file to write")
    args = ap.parse_args(argv)
    if not args.dir:
        raise LabError("no lab folder: pass --dir or set ADCHECK_LAB_DIR")
    import ldb
    from samba.dcerpc import security
    from samba.ndr import ndr_unpack

    lab = load_lab(args.dir)
    manifest = read_json(lab["manifest"])
    spec = manifest.get("access_oracle")
    if not spec or not spec.get("cases"):
        raise LabError("the manifest %s has no 'access_oracle' cases" % lab["manifest"])
    passwords = read_json(lab["passwords_file"])
    admin = connect_admin(lab)
    domain_sid = security.dom_sid(lab["domain_sid"])

    actor = find_one(admin, "(sAMAccountName=%s)" % ldb.binary_encode(spec["actor"]), ["objectSid"])
    other = find_one(admin, "(sAMAccountName=%s)" % ldb.binary_encode(spec["other"]), ["cn"])
    actor_dn, other_dn = str(actor.dn), str(other.dn)
    token = admin.search(actor_dn, ldb.SCOPE_BASE, attrs=["tokenGroups"])[0]  # constructed: base only
    sids = {"sam": spec["actor"], "dn": actor_dn}

    def sid_of(sam):
        return sid_text(admin, find_one(admin, "(sAMAccountName=%s)" % ldb.binary_encode(sam),
                                        ["objectSid"])["objectSid"][0])

    if spec["actor"] not in passwords:
        raise LabError("no password for %s in %s" % (spec["actor"], lab["passwords_file"]))
    user = connect_ldap(lab, spec["actor"], passwords[spec["actor"]])

    cases, problems = [], []
    for c in spec["cases"]:
        g = find_one(admin, "(&(objectClass=group)(sAMAccountName=%s))" % ldb.binary_encode(c["cn"]),
                     ["nTSecurityDescriptor"])
        group_dn = str(g.dn)
        for dn in (actor_dn, other_dn):  # an interrupted run may have left one behind
            if is_member(admin, group_dn, dn):
                set_member(admin, group_dn, dn, ldb.FLAG_MOD_DELETE)
        sd = admin.search(group_dn, ldb.SCOPE_BASE, attrs=["nTSecurityDescriptor"], controls=[SD_FLAGS_OGD])[0]
        raw = bytes(sd["nTSecurityDescriptor"][0])
        answers = {}
        for who, dn in (("self", actor_dn), ("other", other_dn)):
            try:
                set_member(user, group_dn, dn, ldb.FLAG_MOD_ADD)
                answers[who] = True
            except ldb.LdbError as e:
                if e.args[0] != LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS:
                    problems.append("%s: adding %s failed for another reason than access: %s" % (c["cn"], who, e))
                answers[who] = False
            finally:
                try:
                    if is_member(admin, group_dn, dn):
                        set_member(admin, group_dn, dn, ldb.FLAG_MOD_DELETE)
                except ldb.LdbError as e:
                    problems.append("%s: could not remove %s again: %s" % (c["cn"], dn, e))
            if is_member(admin, group_dn, dn):
                problems.append("%s: %s is still a member after the restore" % (c["cn"], dn))
        cases.append({"cn": c["cn"], "dn": group_dn, "why": c["why"],
                      "aces": [resolve(a, {}, sid_of) for a in c["aces"]],
                      "sd_b64": base64.b64encode(raw).decode("ascii"),
                      "sddl": ndr_unpack(security.descriptor, raw).as_sddl(domain_sid), **answers})

    sids["sid"] = sid_text(admin, actor["objectSid"][0])
    sids["token_groups"] = [sid_text(admin, v) for v in token.get("tokenGroups", [])]
    out = {"actor": sids, "other": {"sam": spec["other"], "dn": other_dn},
           "schema": {"group": schema_guid(admin, "group", "schemaIDGUID"),
                      "member": schema_guid(admin, "member", "schemaIDGUID"),
                      "member_property_set": schema_guid(admin, "member", "attributeSecurityGUID")},
           "cases": cases, "problems": problems}
    write_json(args.out, out)
    print("access_oracle: %d groups, actor %s; Samba let it add itself to %d, the other user to %d -> %s"
          % (len(cases), spec["actor"], sum(c["self"] for c in cases), sum(c["other"] for c in cases), args.out))
    for p in problems:
        print("  PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    run_main("access_oracle", main)
