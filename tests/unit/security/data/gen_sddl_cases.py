#!/usr/bin/python3
"""Generates samba_sddl_cases.json: security descriptors and the SDDL that Samba renders for them.

Run once with Debian's python3-samba (/usr/bin/python3) and check the output in; the unit test
sddl_samba_cases_test.cpp compares adcheck's toSddl() with it, so it needs no Samba at test time.
The descriptors are built byte by byte here (not by Samba) so that layouts Samba would never
write itself are covered: ACE padding, reserved object-flag bits, SACL before or after DACL,
owner/group in any order, every ACE flag and right, every SID alias, authorities >= 2^32.

Only ACE types, flags and rights that Samba 4.17 renders are used (it crashes on ACE flag 0x20
and on types >= 0x10, and renders types 0x04 and 0x09-0x0f as nonsense): adcheck's own choice
for those is tested by hand-written cases.

    /usr/bin/python3 gen_sddl_cases.py > samba_sddl_cases.json
"""
import json
import os
import random
import struct
import sys

from samba.dcerpc import security
from samba.ndr import ndr_unpack

DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
ALIAS_SIDS = [
    "S-1-1-0", "S-1-3-0", "S-1-3-1", "S-1-3-4", "S-1-5-2", "S-1-5-4", "S-1-5-6", "S-1-5-7",
    "S-1-5-9", "S-1-5-10", "S-1-5-11", "S-1-5-12", "S-1-5-18", "S-1-5-19", "S-1-5-20", "S-1-5-33",
    "S-1-5-84-0-0-0-0-0", "S-1-15-2-1", "S-1-16-4096", "S-1-16-8192", "S-1-16-8448",
    "S-1-16-12288", "S-1-16-16384", "S-1-18-1", "S-1-18-2",
] + ["S-1-5-32-%d" % r for r in (544, 545, 546, 547, 548, 549, 550, 551, 552, 554, 555, 556,
                                  557, 558, 559, 560, 561, 562, 568, 569, 573, 574, 575, 576,
                                  577, 578, 579, 580)]
DOMAIN_RIDS = [498, 500, 501, 502, 512, 513, 514, 515, 516, 517, 518, 519, 520, 521, 522, 525,
               526, 527, 553, 1000, 1103, 1232, 0, 4294967295]
ACE_FLAG_BITS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80]
RIGHT_BITS = [1 << i for i in range(32)]
KNOWN_RIGHTS = [0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x10000, 0x20000, 0x40000,
                0x80000, 0x10000000, 0x20000000, 0x40000000, 0x80000000]
COMMON_MASKS = [0x7, 0xF01FF, 0x20094, 0x20028, 0x20004, 0x10000000, 0x100, 0x10, 0x20, 0x30,
                0x130, 0xB7, 0x100B0, 0x1F01FF, 0x120089, 0x0, 0xFFFFFFFF, 0x8, 0x20014,
                0x40000, 0x80000, 0x10000, 0x1000000, 0x2000000, 0x100000]
GUIDS = [
    "c975c901-6cea-4b6f-8319-d67f45449506", "e8b2aff2-59a7-4eac-9a70-819adef701dd",
    "bf967aba-0de6-11d0-a285-00aa003049e2", "4828cc14-1437-45bc-9b07-ad6f015e5f28",
    "00299570-246d-11d0-a768-00aa006e0529", "e48d0154-bcf8-11d1-8702-00c04fb96050",
    "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
]


def guid_wire(text):
    import uuid
    return uuid.UUID(text).bytes_le


def sid_bytes(authority, subs):
    return (struct.pack("<BB", 1, len(subs)) + authority.to_bytes(6, "big") +
            b"".join(struct.pack("<I", s) for s in subs))


def parse_sid_text(text):
    parts = text.split("-")
    return sid_bytes(int(parts[2]), [int(p) for p in parts[3:]])


def random_sid(rng):
    k = rng.random()
    if k < 0.3:
        return parse_sid_text(rng.choice(ALIAS_SIDS))
    if k < 0.65:
        dom = [int(p) for p in DOMAIN_SID.split("-")[3:]]
        return sid_bytes(5, dom + [rng.choice(DOMAIN_RIDS)])
    if k < 0.75:  # another domain: no alias
        return sid_bytes(5, [21, rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32),
                             rng.choice(DOMAIN_RIDS)])
    if k < 0.8:  # the domain SID itself, or a longer one below it: no alias
        dom = [int(p) for p in DOMAIN_SID.split("-")[3:]]
        return sid_bytes(5, dom[: rng.randint(0, 4)] + [rng.choice(DOMAIN_RIDS)] * rng.randint(0, 2))
    authority = rng.choice([0, 1, 2, 3, 5, 9, 15, 16, 18, 0xFFFFFFFE, 0xFFFFFFFF, 0x100000000,
                            0xFFFFFFFFFFFF, rng.getrandbits(48)])
    return sid_bytes(authority, [rng.getrandbits(32) for _ in range(rng.randint(0, 15))])


def random_mask(rng):
    k = rng.random()
    if k < 0.35:
        return rng.choice(COMMON_MASKS)
    if k < 0.7:
        m = 0
        for b in KNOWN_RIGHTS:
            if rng.random() < 0.3:
                m |= b
        return m
    if k < 0.8:
        return rng.choice(KNOWN_RIGHTS)
    return rng.getrandbits(32) & rng.choice([0xFFFFFFFF, 0xF00FFFFF, 0x000F01FF | 0x01000000])


def random_flags(rng):
    f = 0
    for b in ACE_FLAG_BITS:
        if rng.random() < 0.25:
            f |= b
    return f


def random_ace(rng, audit):
    types = [2, 7] if audit else [0, 1, 5, 6]
    if rng.random() < 0.05:
        types = [0, 1, 2, 3, 5, 6, 7, 8]
    t = rng.choice(types)
    body = struct.pack("<I", random_mask(rng))
    if t in (5, 6, 7, 8):
        oflags = rng.choice([0, 1, 2, 3, 3, 3]) | (rng.choice([0, 0, 0, 4, 0xFFFFFFF0]))
        body += struct.pack("<I", oflags)
        if oflags & 1:
            body += guid_wire(rng.choice(GUIDS)) if rng.random() < 0.7 else rng.randbytes(16)
        if oflags & 2:
            body += guid_wire(rng.choice(GUIDS)) if rng.random() < 0.7 else rng.randbytes(16)
    body += random_sid(rng)
    if rng.random() < 0.1:
        body += b"\0" * rng.choice([4, 8, 12])
    size = 4 + len(body)
    return struct.pack("<BBH", t, random_flags(rng), size) + body


def random_acl(rng, audit):
    aces = [random_ace(rng, audit) for _ in range(rng.choice([0, 1, 2, 3, 5, 10, 20, 45]))]
    body = b"".join(aces)
    slack = b"\0" * rng.choice([0, 0, 0, 4, 8])
    rev = 4 if rng.random() < 0.9 else 2
    return struct.pack("<BBHHH", rev, 0, 8 + len(body) + len(slack), len(aces), 0) + body + slack


def random_descriptor(rng):
    parts = {}
    if rng.random() < 0.8:
        parts["owner"] = random_sid(rng)
    if rng.random() < 0.8:
        parts["group"] = random_sid(rng)
    if rng.random() < 0.9:
        parts["dacl"] = random_acl(rng, False)
    if rng.random() < 0.3:
        parts["sacl"] = random_acl(rng, True)
    control = rng.getrandbits(16) | 0x8000 if rng.random() < 0.5 else rng.choice(
        [0x8004, 0x8404, 0x9404, 0x8C14, 0x8814, 0x9C14, 0xBC14, 0x8504, 0x8104])
    control &= ~(0x0004 | 0x0010)
    if "dacl" in parts:
        control |= 0x0004
    if "sacl" in parts or rng.random() < 0.1:  # SP with OffsetSacl 0: the DC left it out
        control |= 0x0010
    order = list(parts)
    rng.shuffle(order)
    blob = b""
    offsets = {"owner": 0, "group": 0, "sacl": 0, "dacl": 0}
    for name in order:
        offsets[name] = 20 + len(blob)
        blob += parts[name]
    header = struct.pack("<BBHIIII", 1, 0, control, offsets["owner"], offsets["group"],
                         offsets["sacl"], offsets["dacl"])
    return header + blob


def samba_sddl(blob, domain_sid):
    """Renders in a child process: a Samba crash must not take the generator down."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            sd = ndr_unpack(security.descriptor, blob, allow_remaining=True)
            out = sd.as_sddl(domain_sid)
            os.write(w, b"OK" + out.encode())
        except Exception as e:  # noqa: BLE001 - report any failure as "skip"
            os.write(w, b"EX" + str(e).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data.startswith(b"OK"):
        return None
    return data[2:].decode()


def main():
    rng = random.Random(20261123)
    domain_sid = security.dom_sid(DOMAIN_SID)
    cases = []

    def add(name, blob):
        sddl = samba_sddl(blob, domain_sid)
        if sddl is None:
            print("samba could not render case %s: %s" % (name, blob.hex()), file=sys.stderr)
            return
        cases.append({"name": name, "hex": blob.hex(), "sddl": sddl})

    dom = [int(p) for p in DOMAIN_SID.split("-")[3:]]

    def one_ace_sd(ace, control=0x8004):
        acl = struct.pack("<BBHHH", 4, 0, 8 + len(ace), 1, 0) + ace
        return struct.pack("<BBHIIII", 1, 0, control, 0, 0, 0, 20) + acl

    def basic_ace(t, f, mask, sid):
        body = struct.pack("<I", mask) + sid
        return struct.pack("<BBH", t, f, 4 + len(body)) + body

    # Every right alone, every pair of rights, every ACE flag, every alias, every domain RID.
    for b in RIGHT_BITS:
        add("right-%08x" % b, one_ace_sd(basic_ace(0, 0, b, sid_bytes(1, [0]))))
    for i, a in enumerate(KNOWN_RIGHTS):
        for bb in KNOWN_RIGHTS[i + 1:]:
            add("rights-%08x" % (a | bb), one_ace_sd(basic_ace(0, 0, a | bb, sid_bytes(1, [0]))))
    for m in COMMON_MASKS:
        add("mask-%08x" % m, one_ace_sd(basic_ace(1, 0, m, sid_bytes(1, [0]))))
    for f in range(256):
        if f & 0x20:
            continue
        add("aceflags-%02x" % f, one_ace_sd(basic_ace(0, f, 7, sid_bytes(5, [11]))))
    for s in ALIAS_SIDS:
        add("alias-" + s, one_ace_sd(basic_ace(0, 0, 7, parse_sid_text(s))))
    for rid in DOMAIN_RIDS:
        add("domain-rid-%d" % rid, one_ace_sd(basic_ace(0, 0, 7, sid_bytes(5, dom + [rid]))))
    for t in (0, 1, 2, 3, 5, 6, 7, 8):
        add("type-%d" % t, one_ace_sd(random_ace(random.Random(t), t in (2, 7))))
    for control in range(0, 0x10000, 0x100):
        add("control-%04x" % (control | 0x14), struct.pack("<BBHIIII", 1, 0, control | 0x14, 0,
                                                             0, 28, 20) +
            struct.pack("<BBHHH", 4, 0, 8, 0, 0) + struct.pack("<BBHHH", 4, 0, 8, 0, 0))
    for i in range(800):
        add("random-%d" % i, random_descriptor(rng))
    json.dump({"generator": "tests/unit/security/data/gen_sddl_cases.py",
               "samba": __import__("samba").version,
               "domain_sid": DOMAIN_SID, "cases": cases}, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
