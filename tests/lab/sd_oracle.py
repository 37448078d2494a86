#!/usr/bin/python3
"""Oracle for the descriptor tests: every object's nTSecurityDescriptor as the DC sends it, and
Samba's own SDDL rendering of it.

  sd_oracle.py --dir D --out FILE.json [--no-schema]

Writes {"domain_sid", "base_dn", "count", "objects": [{"dn", "nc", "sd_b64", "sddl"}]}: every object
of the domain NC (default objects included) and, unless --no-schema, the schema's classSchema and
attributeSchema objects. The bytes are read over LDAP (signed and sealed, as Administrator) with
the SD flags control for OWNER|GROUP|DACL (7); the SDDL is samba's
security.descriptor ndr_unpack + as_sddl(domain_sid).
"""

import argparse
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_common import (  # noqa: E402
    BASE_DN, SCHEMA_DN, SD_FLAGS_OGD, LabError, connect_admin, load_lab, run_main, write_json)


def dump(db, base, scope, expression, nc, domain_sid, out):
    from samba.dcerpc import security
    from samba.ndr import ndr_unpack

    res = db.search(base, scope, expression, ["nTSecurityDescriptor"], controls=[SD_FLAGS_OGD])
    for m in res:
        if "nTSecurityDescriptor" not in m:
            raise LabError("%s came back without nTSecurityDescriptor although Administrator asked for it" % m.dn)
        raw = bytes(m["nTSecurityDescriptor"][0])
        try:
            sddl = ndr_unpack(security.descriptor, raw).as_sddl(domain_sid)
        except Exception as e:  # the DC sent bytes samba cannot parse: worth knowing, keep going
            sddl = None
            print("sd_oracle: %s: samba cannot parse its own descriptor: %s" % (m.dn, e), file=sys.stderr)
        out.append({"dn": str(m.dn), "nc": nc, "sd_b64": base64.b64encode(raw).decode("ascii"), "sddl": sddl})
    return len(res)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.environ.get("ADCHECK_LAB_DIR"), help="the lab folder")
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--no-schema", action="store_true", help="leave out the schema objects")
    args = ap.parse_args(argv)
    if not args.dir:
        raise LabError("no lab folder: pass --dir or set ADCHECK_LAB_DIR")
    import ldb
    from samba.dcerpc import security

    lab = load_lab(args.dir)
    db = connect_admin(lab)
    domain_sid = security.dom_sid(lab["domain_sid"])
    objects = []
    n_domain = dump(db, BASE_DN, ldb.SCOPE_SUBTREE, "(objectClass=*)", "domain", domain_sid, objects)
    n_schema = 0
    if not args.no_schema:
        n_schema = dump(db, SCHEMA_DN, ldb.SCOPE_ONELEVEL, "(|(objectClass=classSchema)(objectClass=attributeSchema))",
                        "schema", domain_sid, objects)
    write_json(args.out, {"domain_sid": lab["domain_sid"], "base_dn": BASE_DN, "count": len(objects),
                          "objects": objects})
    print("sd_oracle: %d domain objects, %d schema objects -> %s" % (n_domain, n_schema, args.out))
    return 0


if __name__ == "__main__":
    run_main("sd_oracle", main)
