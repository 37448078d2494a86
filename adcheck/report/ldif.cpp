// LDIF change sets (RFC 2849) for Linux teams: the same per-object changes as the PowerShell
// script, applied with ldapmodify and the SD flags control, plus the revert LDIF. Pure printable
// ASCII like the scripts: AD text only in comments, through asciiComment; objects by objectGUID.
#include <sstream>

#include "adcheck/report/model.h"

namespace adcheck::report::detail {
namespace {

// Each record addresses its object as "<GUID=...>", the extended DN form AD (and Samba) accept in
// modify requests: the change follows the object through renames and moves, and an object that
// took over its old DN is never touched (a deleted one fails with "No such object"). The GUID is
// canonical (the model checked it), so the line is plain ASCII.
std::string dnLine(const std::string& guid) { return "dn: <GUID=" + guid + ">\n"; }

}  // namespace

// The SD flags control (1.2.840.113556.1.4.801) with DACL_SECURITY_INFORMATION (4): BER
// 30 03 02 01 04. The scan captured only the DACL (it reads with the same flags), and with this
// control the DC writes only the DACL and its control bits: owner, group and SACL stay as they are.
constexpr const char* kSdFlagsControl = "'!1.2.840.113556.1.4.801=MAMCAQQ='";

std::string renderLdif(const Model& m, bool revert) {
  std::ostringstream o;
  const std::string id = std::to_string(m.scan.id);
  const std::string file = "adcheck-" + id + (revert ? ".revert" : "") + ".ldif";
  const std::string host = dcHost(m.scan);
  o << "# adcheck " << (revert ? "REVERT change set" : "remediation change set") << " for scan " << id
    << " of " << asciiComment(m.scan.target) << " (" << isoTime(m.scan.started)
    << "), generated " << isoTime(m.generated) << ".\n"
    << "# REVIEW-FIRST CHANGE SET: nothing in it has been applied. Read every record, then apply it\n"
    << "# as a domain administrator with the SD flags control for the DACL only (owner, group and\n"
    << "# SACL are neither needed nor changed). With a Kerberos ticket (kinit), over ldap:// (GSSAPI\n"
    << "# signs and seals the connection):\n"
    << "#   ldapmodify -H ldap://" << asciiComment(host) << " -Y GSSAPI -e " << kSdFlagsControl << " -f " << file << "\n"
    << "# or with a password over LDAPS:\n"
    << "#   ldapmodify -H ldaps://" << asciiComment(host) << " -x -D 'admin@YOUR.REALM' -W -e " << kSdFlagsControl
    << " -f " << file << "\n";
  if (!revert)
    o << "# Undo: the same command with adcheck-" << id << ".revert.ldif, which writes back the\n"
      << "# descriptors captured at scan time and adminCount=1.\n"
      << "# Every record names its object by objectGUID (dn: <GUID=...>), so a rename or move since\n"
      << "# the scan does not redirect a change to another object that now holds the old DN. LDIF\n"
      << "# cannot check that the descriptor is unchanged since the scan (the PowerShell script\n"
      << "# does): apply it soon after the scan, or scan again and regenerate. Deleting adminCount\n"
      << "# names its old value 1, so that modification fails if adminCount changed.\n"
      << "# Accounts in protected groups (cause protected-group) get no change: SDProp would undo it\n"
      << "# within the hour. Give the person a separate, unprivileged account for mail and phone, and\n"
      << "# do not grant Exchange rights on AdminSDHolder.\n";
  else
    o << "# Restores every object the remediation change set modifies to its state at scan time.\n";
  o << "version: 1\n";
  std::size_t n = 0;
  for (const auto& c : m.changes) {
    ++n;
    o << "\n# change " << n << " of " << m.changes.size() << ": " << asciiComment(c.dn) << "\n";
    for (auto i : c.items) {
      const auto& f = m.items[i].stored.finding;
      o << "#   " << (revert ? "undoes the fix of " : "fixes ") << asciiComment(f.rule) << " ("
        << asciiComment(f.summary) << ")\n";
    }
    if (c.removeAce && !revert)
      o << "#   removes the DACL entry " << *c.removeAce << ": " << asciiComment(c.removeAceSddl) << "\n";
    if (c.enableInheritance && !revert) o << "#   re-enables inheritance (clears SE_DACL_PROTECTED)\n";
    o << "#   addressed by objectGUID: renamed or moved, it is still this object\n"
      << dnLine(c.objectGuid) << "changetype: modify\n";
    const bool sd = !c.fixedDescriptor.empty();
    if (!revert) {
      if (c.clearAdminCount) o << "delete: adminCount\nadminCount: 1\n-\n";
      if (sd) o << "replace: nTSecurityDescriptor\nnTSecurityDescriptor:: " << c.fixedDescriptor << "\n-\n";
    } else {
      if (sd) o << "replace: nTSecurityDescriptor\nnTSecurityDescriptor:: " << c.capturedDescriptor << "\n-\n";
      if (c.clearAdminCount) o << "replace: adminCount\nadminCount: 1\n-\n";
    }
  }
  if (!revert) {
    bool any = false;
    for (const auto& it : m.items) {
      if (it.change >= 0 || it.advice.empty()) continue;
      if (!any) o << "\n# Not in this change set (advice only):\n";
      any = true;
      o << "# " << asciiComment(it.stored.finding.rule) << " " << asciiComment(it.stored.finding.dn) << ": "
        << asciiComment(it.advice) << "\n";
    }
  }
  return o.str();
}

}  // namespace adcheck::report::detail
