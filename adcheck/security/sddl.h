// SDDL rendering that matches Samba's security.descriptor.as_sddl(domain_sid) (libcli/security/
// sddl.c of the Samba that Debian 12 ships, 4.17) byte for byte, so that adcheck's output can be
// compared with Samba's and pasted into Samba or Windows tools.
//
// What Samba does, and so what this does:
// - "O:<sid>G:<sid>D:<flags><aces>S:<flags><aces>", each part only when present; D: only when
//   SE_DACL_PRESENT is set, S: only when SE_SACL_PRESENT is set and a SACL was returned.
// - ACL flags in the order P (protected), AR (auto-inherit required), AI (auto-inherited).
// - ACE types A D AU AL OA OD OU OL; ACE flags in the order OI CI NP IO ID SA FA.
// - Rights: a mask equal to one right gives its letters; otherwise the letters of each set bit
//   in Samba's order RP WP CR CC DC LC LO RC WO WD SD DT SW GA GR GW GX; if any bit is left
//   without letters the whole mask is written as "0x%08x" (e.g. 0x001f01ff).
// - GUIDs lowercase, only for object ACEs and only when their presence bit is set.
// - SIDs: a two-letter alias for the well-known SIDs Samba knows (WD, SY, BA, AU, PS, ...) and
//   for domain-relative ones when the SID is `domainSid` plus that RID (DA = 512, DU = 513,
//   EA = 519, ...); otherwise "S-1-...".
//
// Where Samba 4.17 cannot render (it crashes or produces nonsense for ACE types 0x04 and from
// 0x09 on, and for unknown ACE flag bits), adcheck writes something explicit instead, which
// Samba's parser will not read back:
// - callback, mandatory-label, resource-attribute and scoped-policy ACEs use the MS-DTYP SDDL
//   letters XA XD ZA XU ML RA SP (other types "0x0c" style), their SID, and, when they carry
//   application data (callbacks, resource attributes), a seventh field "0x<hex bytes>";
// - ACEs of unknown layout: "(0x04;<flags>;;;;;0x<hex of everything after the header>)", the
//   last field empty when there is nothing after the header;
// - unknown ACE flag bits are appended to the letters as "0x20".
#pragma once

#include <string>

#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"

namespace adcheck::security {

std::string toSddl(const SecurityDescriptor& sd, const Sid& domainSid);
std::string toSddl(const SecurityDescriptorView& sd, const Sid& domainSid);

// One ACE, without the parentheses: "OA;CIID;CCDCLC;c975c901-...;bf967aba-...;S-1-5-21-...".
std::string aceToSddl(const AceView& ace, const Sid& domainSid);
std::string aceToSddl(const Ace& ace, const Sid& domainSid);

// A SID as SDDL writes it: its alias ("DA", "SY") or "S-1-...".
std::string sidToSddl(const Sid& sid, const Sid& domainSid);

// Parses the owner, group and DACL of an SDDL string as the schema's defaultSecurityDescriptor
// holds it ("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(OA;;CR;<guid>;;AU)S:..."), resolving the
// domain-relative aliases (DA, DU, EA, ...) against `domainSid`. The SACL part is skipped (it
// never decides access). ACE types A, D, OA, OD; flags OI CI NP IO ID SA FA; rights as letters or
// a hex mask; SIDs as an alias or "S-1-...". Anything else (conditional ACEs, unknown letters)
// fails with kParse naming the position, since a half-read default would predict wrong access.
Result<SecurityDescriptor> parseSddl(std::string_view sddl, const Sid& domainSid);

// The rights part of an ACE exactly as Samba writes it ("RPWPCRCCDCLCLORCWOWDSDDTSW", "GA",
// "0x00000200").
std::string rightsToSddl(std::uint32_t mask);

}  // namespace adcheck::security
