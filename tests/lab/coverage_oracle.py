#!/usr/bin/python3
"""Samba's enforcement against the manifest's coverage (issue 14): may each scan account read each
input of each rule on each object, as scenarios.json 'coverage' predicts?

  coverage_oracle.py --dir D [--out FILE.json] [--account admin|cutview ...]

For every account of the coverage manifest (expected.json 'coverage', resolved by lab.py) and every
input it names, the oracle reads as that account over LDAP and compares with what Administrator
reads, pair by pair (account, object, input):
  - user:<attr>  on every scanned object (objectClass=user below the domain): an object the account
                 does not get back at all is unreadable for every input; otherwise the attribute is
                 unreadable when Administrator reads a value and the account reads none
                 (nTSecurityDescriptor is asked for with the SD flags control, DACL only). Where the
                 object has no value, a read proves nothing: the oracle writes a marker value as
                 Administrator, reads as the account and removes it again, on every object whose
                 DACL the lab cut (OU=CoverageCut, the sets of the manifest) and on one object per
                 distinct (DACL, objectClass) for the rest: Samba's answer depends on nothing else
                 (the account's own object, where PRINCIPAL SELF applies, is probed itself), so that
                 answer is 'inferred' for the objects sharing them.
  - devices      on the same objects: the account must list the user's ExchangeActiveSyncDevices
                 container and read it and each device below it. Users without a container get one
                 created as Administrator for the probe (the descriptor Samba computes for it is the
                 one Exchange's would get: the class default plus the user's inheritable ACEs),
                 deleted right after; again one probe per (DACL, objectClass) outside the cut ones.
  - policies     (COVERAGE.md) over the users whose msExchMobileMailboxPolicyLink the account reads:
                 unreadable where the link names a policy the account does not get back.
  - policy-objects  the msExchMobileMailboxPolicy objects Administrator finds in the configuration NC.
  - adminsdholder, dsheuristics, groups:member   the AdminSDHolder descriptor, dSHeuristics and
                 each group's member values.
Markers and probe containers left by an interrupted run are removed first.

Prints, per account, each input's predicted vs enforced unreadable counts, and per rule (the
manifest's 'rules': inputs and verdict) the objects with at least one unreadable input. Writes the
enforced sets to --out for tests/integration/coverage/coverage_lab_test.cpp.

Exit 0 when Samba agrees with every observed pair, 1 on any disagreement (each one printed) or a
probe that could not be restored, 2 when it cannot run (lab not up, no coverage in expected.json).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_common import (  # noqa: E402
    BASE_DN, CONFIG_DN, SD_FLAGS_DACL, LabError, connect_admin, connect_ldap, load_lab, read_json,
    run_main, write_json)

MARK = "coverage-probe"
LINK = "msExchMobileMailboxPolicyLink"
DEVICES_CONTAINER = "ExchangeActiveSyncDevices"
LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS = 50
ADMINSDHOLDER = "CN=AdminSDHolder,CN=System," + BASE_DN
DIRECTORY_SERVICE = "CN=Directory Service,CN=Windows NT,CN=Services," + CONFIG_DN
EXCHANGE_ORG = "CN=First Organization,CN=Microsoft Exchange,CN=Services," + CONFIG_DN


def probe_values():
    """A marker value per attribute a probe may write; each is recognisable for the clean-up."""
    return {
        "adminCount": "0",  # the lab sets 1 or nothing: 0 is always ours
        "homeMDB": "CN=Administrative Groups," + EXCHANGE_ORG,  # a DN that exists, never a real homeMDB
        "msExchMailboxGuid": b"coverage-probe!!",
        "msExchMobileMailboxPolicyLink": EXCHANGE_ORG,  # the org container: never a real policy link
        "msExchOmaAdminWirelessEnable": "4242",
        "userCertificate": b"coverage-probe",
        "msDS-AllowedToDelegateTo": "cifs/" + MARK,
        "mail": MARK + "@corp.example.com",
        "displayName": MARK,
    }


def cleanup(admin):
    """Removes probe markers and probe containers of an interrupted run."""
    import ldb
    removed = 0
    for attr, value in probe_values().items():
        text = value.decode() if isinstance(value, bytes) else value
        for m in admin.search(BASE_DN, ldb.SCOPE_SUBTREE, "(%s=%s)" % (attr, ldb.binary_encode(text)), ["cn"]):
            set_attr(admin, str(m.dn), attr, None)
            removed += 1
    for m in admin.search(BASE_DN, ldb.SCOPE_SUBTREE,
                          "(&(objectClass=msExchActiveSyncDevices)(adminDescription=%s))" % MARK, ["cn"]):
        admin.delete(m.dn)
        removed += 1
    return removed


def set_attr(db, dn, attr, value):
    import ldb
    m = ldb.Message()
    m.dn = ldb.Dn(db, dn)
    if value is None:
        m[attr] = ldb.MessageElement([], ldb.FLAG_MOD_DELETE, attr)
    else:
        m[attr] = ldb.MessageElement([value], ldb.FLAG_MOD_REPLACE, attr)
    db.modify(m)


class Oracle:
    def __init__(self, lab, coverage):
        import ldb
        self.ldb = ldb
        self.lab, self.cov = lab, coverage
        self.admin = connect_admin(lab)
        self.problems = []
        inputs = set()
        for per in coverage["unreadable"].values():
            inputs.update(per)
        for r in coverage.get("rules", {}).values():
            inputs.update(r.get("inputs", []))
        self.inputs = sorted(inputs)
        self.user_attrs = sorted({i[len("user:"):] for i in self.inputs if i.startswith("user:")})
        unknown = [i for i in self.inputs if not i.startswith("user:") and
                   i not in ("devices", "policies", "policy-objects", "adminsdholder", "dsheuristics",
                             "groups:member")]
        if unknown:
            raise LabError("coverage_oracle does not know how to read the input(s) %s: teach it" % unknown)

    def key(self, dn):
        return self.ldb.Dn(self.admin, str(dn)).get_casefold()

    def connect(self, account):
        if account == "admin":
            return self.admin
        sam = self.cov["accounts"][account]
        passwords = read_json(self.lab["passwords_file"])
        if sam not in passwords:
            raise LabError("no password for %s in %s" % (sam, self.lab["passwords_file"]))
        return connect_ldap(self.lab, sam, passwords[sam])

    # ------------------------------------------------------------------ the truth, as admin reads it
    def load_truth(self):
        ldb = self.ldb
        attrs = sorted(set(self.user_attrs) - {"nTSecurityDescriptor", "objectClass"}) + [
            "objectClass", "nTSecurityDescriptor"]
        self.objects = self.admin.search(BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=user)", attrs,
                                         controls=[SD_FLAGS_DACL])
        self.containers = {}
        for m in self.admin.search(BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=msExchActiveSyncDevices)", ["cn"]):
            self.containers[self.key(m.dn.parent())] = str(m.dn)
        self.devices = {}
        for m in self.admin.search(BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=msExchActiveSyncDevice)", ["cn"]):
            k = self.key(m.dn.parent())
            self.devices[k] = self.devices.get(k, 0) + 1
        self.policies = [str(m.dn) for m in self.admin.search(
            CONFIG_DN, ldb.SCOPE_SUBTREE, "(objectClass=msExchMobileMailboxPolicy)", ["cn"])]
        self.groups = {str(m.dn): len(m.get("member", [])) for m in self.admin.search(
            BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=group)", ["member"])}
        cut = self.key("OU=CoverageCut,OU=Lab," + BASE_DN)
        sets = set()
        for per in self.cov["unreadable"].values():
            for objs in per.values():
                sets.update(self.key(d) for d in objs)
        # Objects whose DACL the lab cut: every pair on them is observed (probed when valueless).
        self.interesting = {self.key(m.dn) for m in self.objects if self.key(m.dn).endswith("," + cut)} | sets

    # ------------------------------------------------------------------ one account
    def run_account(self, account):
        ldb = self.ldb
        db = self.connect(account)
        predicted = {i: {self.key(d) for d in self.cov["unreadable"].get(account, {}).get(i, [])} for i in self.inputs}
        attrs = [a for a in self.user_attrs if a not in ("nTSecurityDescriptor", LINK)] + [LINK, "nTSecurityDescriptor"]
        seen = {self.key(m.dn): m for m in db.search(BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=user)", attrs,
                                                      controls=[SD_FLAGS_DACL])}
        res = {i: {"objects": 0, "predicted": 0, "enforced": [], "observed": 0, "probed": 0, "unobserved": 0,
                   "inferred": 0, "mismatches": [], "all": []} for i in self.inputs}
        names = {}

        def record(inp, k, dn, enforced, probed=False):
            r = res[inp]
            r["objects"] += 1
            r["all"].append(dn)
            pred = k in predicted[inp]
            r["predicted"] += pred
            if enforced is None:
                r["unobserved"] += 1
                return
            r["observed"] += 1
            r["probed"] += probed
            if enforced:
                r["enforced"].append(dn)
            if enforced != pred:
                r["mismatches"].append("%s: predicted %s, Samba %s" % (
                    dn, "unreadable" if pred else "readable", "denies it" if enforced else "returns it"))

        values = probe_values()
        representative = {}
        own = self.key(db.search(BASE_DN, ldb.SCOPE_SUBTREE, "(sAMAccountName=%s)" % ldb.binary_encode(
            self.cov["accounts"][account]), ["cn"])[0].dn) if account != "admin" else None
        for m in self.objects:
            k, dn = self.key(m.dn), str(m.dn)
            names[k] = dn
            vis = seen.get(k)
            for attr in self.user_attrs:
                inp = "user:" + attr
                if vis is None:
                    record(inp, k, dn, True)
                elif attr in m:
                    record(inp, k, dn, attr not in vis)
                elif attr not in values:
                    record(inp, k, dn, None)
                elif k in self.interesting or k in predicted[inp] or k == own:
                    record(inp, k, dn, self.probe_attr(db, dn, attr, values[attr]), probed=True)
                else:
                    # Samba's answer depends on the DACL, the object's classes and the token only
                    # (PRINCIPAL SELF aside: the account's own object is probed itself), so one
                    # probe stands for every object with the same DACL and classes.
                    sig = (attr, tuple(sorted(str(c) for c in m.get("objectClass", []))),
                           bytes(m["nTSecurityDescriptor"][0]) if "nTSecurityDescriptor" in m else b"")
                    if sig not in representative:
                        representative[sig] = self.probe_attr(db, dn, attr, values[attr])
                        record(inp, k, dn, representative[sig], probed=True)
                    else:
                        res[inp]["inferred"] += representative[sig] is not None
                        record(inp, k, dn, representative[sig])
            if "devices" in self.inputs:
                if k in self.containers or k in self.interesting or k in predicted["devices"] or k == own:
                    record("devices", k, dn, self.probe_devices(db, k, dn), probed=k not in self.containers)
                else:
                    # The would-be container's descriptor follows from the class default and the
                    # user's DACL; List Contents on the user from the same DACL: one probe per kind.
                    sig = ("devices", tuple(sorted(str(c) for c in m.get("objectClass", []))),
                           bytes(m["nTSecurityDescriptor"][0]) if "nTSecurityDescriptor" in m else b"")
                    if sig not in representative:
                        representative[sig] = self.probe_devices(db, k, dn)
                        record("devices", k, dn, representative[sig], probed=True)
                    else:
                        res["devices"]["inferred"] += representative[sig] is not None
                        record("devices", k, dn, representative[sig])
        got_policies = {self.key(m.dn) for m in db.search(CONFIG_DN, ldb.SCOPE_SUBTREE,
                                                          "(objectClass=msExchMobileMailboxPolicy)", ["cn"])}
        if "policies" in self.inputs:
            # COVERAGE.md: over the users whose link the account reads, those whose link names a
            # policy it does not get back.
            for k, m in sorted(seen.items()):
                if LINK in m:
                    record("policies", k, str(m.dn), self.key(str(m[LINK][0])) not in got_policies)
        if "policy-objects" in self.inputs:
            for p in self.policies:
                record("policy-objects", self.key(p), p, self.key(p) not in got_policies)
        if "adminsdholder" in self.inputs:
            record("adminsdholder", self.key(ADMINSDHOLDER), ADMINSDHOLDER,
                   not self.base_has(db, ADMINSDHOLDER, "nTSecurityDescriptor", [SD_FLAGS_DACL]))
        if "dsheuristics" in self.inputs:
            record("dsheuristics", self.key(DIRECTORY_SERVICE), DIRECTORY_SERVICE,
                   not self.base_has(db, DIRECTORY_SERVICE, "dSHeuristics"))
        if "groups:member" in self.inputs:
            got = {self.key(m.dn): len(m.get("member", [])) for m in db.search(
                BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=group)", ["member"])}
            for g, n in self.groups.items():
                record("groups:member", self.key(g), g, got.get(self.key(g)) != n)
        for inp in self.inputs:  # a DN the manifest names must be an object of the input (typos)
            ranged = {self.key(d) for d in res[inp]["all"]}
            for k in sorted(predicted[inp] - ranged):
                res[inp]["mismatches"].append("%s: named in the manifest, but not an object of this input" % k)
        return res, predicted, names

    def base_has(self, db, dn, attr, controls=None):
        try:
            r = db.search(dn, self.ldb.SCOPE_BASE, attrs=[attr], controls=controls or [])
        except self.ldb.LdbError:
            return False
        return len(r) == 1 and attr in r[0]

    def probe_attr(self, db, dn, attr, value):
        """Writes a marker as Administrator, reads it as the account, removes it. True = unreadable."""
        try:
            set_attr(self.admin, dn, attr, value)
        except self.ldb.LdbError:
            return None  # e.g. a constraint of that object: not observed (only a failed removal is a problem)
        try:
            return not self.base_has(db, dn, attr)
        finally:
            try:
                set_attr(self.admin, dn, attr, None)
            except self.ldb.LdbError as e:
                self.problems.append("%s: the %s probe could NOT be removed: %s" % (dn, attr, e))

    def probe_devices(self, db, k, dn):
        """True = the account cannot list and read the user's device container (and its devices)."""
        ldb = self.ldb
        created = None
        if k not in self.containers:
            created = "CN=%s,%s" % (DEVICES_CONTAINER, dn)
            try:
                self.admin.add({"dn": ldb.Dn(self.admin, created), "objectClass": "msExchActiveSyncDevices",
                                "adminDescription": MARK})
            except ldb.LdbError as e:
                if e.args[0] != LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS:
                    self.problems.append("%s: cannot create a probe device container: %s" % (dn, e))
                # Insufficient access: a deny that binds Administrator too (deny-everyone); Exchange
                # could not create one either. Not observed.
                return None
        try:
            try:
                found = db.search(dn, ldb.SCOPE_ONELEVEL, "(objectClass=msExchActiveSyncDevices)", ["objectClass"])
            except ldb.LdbError:
                return True  # the user itself is not visible: noSuchObject
            if len(found) != 1:
                return True
            try:
                devs = db.search(found[0].dn, ldb.SCOPE_ONELEVEL, "(objectClass=msExchActiveSyncDevice)", ["cn"])
            except ldb.LdbError:
                return True
            return len(devs) != self.devices.get(self.key(found[0].dn), 0)
        finally:
            if created:
                try:
                    self.admin.delete(ldb.Dn(self.admin, created))
                except ldb.LdbError as e:
                    self.problems.append("%s: the probe container could NOT be removed: %s" % (created, e))


def rule_verdict(per_input):
    """COVERAGE.md: complete when every input is, unreadable when one input is unreadable on every
    object it ranges over (a whole-directory input has one object), else partial.
    per_input: [(unreadable, objects)]."""
    if all(u == 0 for u, _ in per_input):
        return "complete"
    if any(u > 0 and u == n for u, n in per_input):
        return "unreadable"
    return "partial"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("ADCHECK_LAB_DIR"), help="the lab folder")
    ap.add_argument("--out", help="JSON file to write the enforced sets to")
    ap.add_argument("--account", action="append", help="only this account (admin, cutview); repeatable")
    args = ap.parse_args(argv)
    if not args.dir:
        raise LabError("no lab folder: pass --dir or set ADCHECK_LAB_DIR")
    lab = load_lab(args.dir)
    expected = read_json(lab["expected"])
    cov = expected.get("coverage")
    if not cov:
        raise LabError("%s has no 'coverage' (is the lab built from a scenarios.json with a coverage section?)"
                       % lab["expected"])
    oracle = Oracle(lab, cov)
    left = cleanup(oracle.admin)
    if left:
        print("coverage_oracle: removed %d probe leftovers of an interrupted run" % left)
    oracle.load_truth()
    accounts = args.account or sorted(cov["accounts"])
    out = {"accounts": {}, "rules": {}, "problems": oracle.problems}
    mismatches = 0
    for account in accounts:
        if account not in cov["accounts"]:
            raise LabError("unknown account %r (the manifest has %s)" % (account, sorted(cov["accounts"])))
        res, predicted, _ = oracle.run_account(account)
        print("coverage_oracle: %s (%s): %d scanned objects" % (account, cov["accounts"][account], len(oracle.objects)))
        print("  %-34s %8s %10s %9s %9s %7s %9s %10s" % ("input", "objects", "predicted", "enforced", "observed",
                                                         "probed", "inferred", "unobserved"))
        for inp in oracle.inputs:
            r = res[inp]
            print("  %-34s %8d %10d %9d %9d %7d %9d %10d%s" % (
                inp, r["objects"], r["predicted"], len(r["enforced"]), r["observed"], r["probed"], r["inferred"],
                r["unobserved"], "  MISMATCH" if r["mismatches"] else ""))
            for line in r["mismatches"]:
                print("      " + line)
            mismatches += len(r["mismatches"])
        out["accounts"][account] = {inp: {k: v for k, v in r.items() if k != "all"} for inp, r in res.items()}
        rules = cov.get("rules", {})
        if rules:
            print("  %-30s %-12s %10s %-12s %9s" % ("rule", "manifest", "predicted", "Samba", "enforced"))
        for rule, spec in sorted(rules.items()):
            ins = spec.get("inputs", [])
            pred = set().union(*(predicted[i] for i in ins)) if ins else set()
            enf = set().union(*({oracle.key(d) for d in res[i]["enforced"]} for i in ins)) if ins else set()
            pv = rule_verdict([(len(predicted[i] & {oracle.key(d) for d in res[i]["all"]}), res[i]["objects"])
                               for i in ins])
            ev = rule_verdict([(len(res[i]["enforced"]), res[i]["objects"]) for i in ins])
            want = spec.get("verdict", {}).get(account)
            bad = (want is not None and want != ev) or pv != ev
            mismatches += bad
            print("  %-30s %-12s %10d %-12s %9d%s" % (rule, want or "-", len(pred), ev, len(enf),
                                                     "  MISMATCH" if bad else ""))
            out["rules"].setdefault(rule, {})[account] = {"manifest": want, "predicted": len(pred), "verdict": ev,
                                                          "enforced": len(enf)}
    if args.out:
        write_json(args.out, out)
    for p in oracle.problems:
        print("  PROBLEM: " + p)
    if mismatches or oracle.problems:
        print("coverage_oracle: %d disagreement(s) between the manifest and Samba's enforcement" % mismatches)
        return 1
    print("coverage_oracle: Samba's enforcement agrees with the manifest on every observed pair")
    return 0


if __name__ == "__main__":
    run_main("coverage_oracle", main)
