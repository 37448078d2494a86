#!/usr/bin/python3
"""Dumps the lab's GUID names for sd_oracle_test (BuiltInGuidNamesMatchTheLabSchema).

    schema_guids.py --dir LAB_DIR --out FILE.json

Writes {"names": {"<guid>": [["<name>", "<kind>"], ...]}} with kind one of class, attribute
(schemaIDGUID of classSchema / attributeSchema objects, named by lDAPDisplayName) and
property-set, extended-right, validated-write (rightsGuid of CN=Extended-Rights objects, named by
cn, kind from validAccesses: 0x30 property set, 0x100 extended right, 0x8 validated write).
Reads over LDAP as the lab's Administrator, the way the lab scripts do.
"""
import argparse
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))
from lab_common import LabError, connect_admin, load_lab  # noqa: E402

KINDS = {0x30: "property-set", 0x100: "extended-right", 0x8: "validated-write"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="the lab folder (lab.json)")
    ap.add_argument("--out", required=True, help="JSON file to write")
    args = ap.parse_args()
    try:
        lab = load_lab(args.dir)
        db = connect_admin(lab)
    except LabError as e:
        print("schema_guids: %s" % e, file=sys.stderr)
        return 2
    import ldb
    names = {}
    schema = str(db.get_schema_basedn())
    for m in db.search(schema, scope=ldb.SCOPE_ONELEVEL, expression="(schemaIDGUID=*)",
                       attrs=["lDAPDisplayName", "schemaIDGUID", "objectClass"]):
        guid = str(uuid.UUID(bytes_le=bytes(m["schemaIDGUID"][0])))
        classes = [str(c) for c in m["objectClass"]]
        kind = "class" if "classSchema" in classes else "attribute"
        names.setdefault(guid, []).append([str(m["lDAPDisplayName"][0]), kind])
    rights = "CN=Extended-Rights," + str(db.get_config_basedn())
    for m in db.search(rights, scope=ldb.SCOPE_ONELEVEL, expression="(objectClass=controlAccessRight)",
                       attrs=["cn", "rightsGuid", "validAccesses"]):
        if "rightsGuid" not in m:
            continue
        valid = int(str(m["validAccesses"][0])) if "validAccesses" in m else 0
        kind = KINDS.get(valid)
        if kind is None:
            continue
        names.setdefault(str(m["rightsGuid"][0]).lower(), []).append([str(m["cn"][0]), kind])
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"names": names}, f, indent=0, sort_keys=True)
    print("schema_guids: %d GUIDs written to %s" % (len(names), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
