// LDIF change sets (RFC 2849) for Linux teams: the same per-object changes as the PowerShell
// script, applied with ldapmodify and the SD flags control, plus the revert LDIF.
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/report/model.h"

namespace adcheck::report::detail {
namespace {

// RFC 2849 SAFE-STRING, plus no trailing space (which LDIF readers may strip) and no '<' anywhere:
// SAFE-STRING allows it after the first character, but "dn: CN=\<img ..." invites readers (and
// tools that grep for ":<" URL values) to misread a hostile name, so such DNs are base64 too.
bool safeString(const std::string& s) {
  if (s.empty()) return true;
  const auto first = static_cast<unsigned char>(s[0]);
  if (first == ' ' || first == ':' || first == '<') return false;
  for (unsigned char c : s)
    if (c == 0 || c == '\n' || c == '\r' || c == '<' || c >= 0x80) return false;
  return s.back() != ' ';
}

std::string dnLine(const std::string& dn) {
  if (safeString(dn)) return "dn: " + dn + "\n";
  return "dn:: " + base64(std::vector<std::uint8_t>(dn.begin(), dn.end())) + "\n";
}

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
    << " of " << output::printable(m.scan.target) << " (" << isoTime(m.scan.started)
    << "), generated " << isoTime(m.generated) << ".\n"
    << "# REVIEW-FIRST CHANGE SET: nothing in it has been applied. Read every record, then apply it\n"
    << "# as a domain administrator with the SD flags control for the DACL only (owner, group and\n"
    << "# SACL are neither needed nor changed). With a Kerberos ticket (kinit), over ldap:// (GSSAPI\n"
    << "# signs and seals the connection):\n"
    << "#   ldapmodify -H ldap://" << host << " -Y GSSAPI -e " << kSdFlagsControl << " -f " << file << "\n"
    << "# or with a password over LDAPS:\n"
    << "#   ldapmodify -H ldaps://" << host << " -x -D 'admin@YOUR.REALM' -W -e " << kSdFlagsControl
    << " -f " << file << "\n";
  if (!revert)
    o << "# Undo: the same command with adcheck-" << id << ".revert.ldif, which writes back the\n"
      << "# descriptors captured at scan time and adminCount=1.\n"
      << "# LDIF cannot check that an object is unchanged since the scan (the PowerShell script does):\n"
      << "# apply it soon after the scan, or scan again and regenerate. Deleting adminCount names its\n"
      << "# old value 1, so that modification fails if adminCount changed.\n"
      << "# Accounts in protected groups (cause protected-group) get no change: SDProp would undo it\n"
      << "# within the hour. Give the person a separate, unprivileged account for mail and phone, and\n"
      << "# do not grant Exchange rights on AdminSDHolder.\n";
  else
    o << "# Restores every object the remediation change set modifies to its state at scan time.\n";
  o << "version: 1\n";
  std::size_t n = 0;
  for (const auto& c : m.changes) {
    ++n;
    o << "\n# change " << n << " of " << m.changes.size() << ": " << output::printable(c.dn) << "\n";
    for (auto i : c.items) {
      const auto& f = m.items[i].stored.finding;
      o << "#   " << (revert ? "undoes the fix of " : "fixes ") << f.rule << " ("
        << output::printable(f.summary) << ")\n";
    }
    if (c.removeAce && !revert)
      o << "#   removes the DACL entry " << *c.removeAce << ": " << output::printable(c.removeAceSddl) << "\n";
    if (c.enableInheritance && !revert) o << "#   re-enables inheritance (clears SE_DACL_PROTECTED)\n";
    o << dnLine(c.dn) << "changetype: modify\n";
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
      o << "# " << it.stored.finding.rule << " " << output::printable(it.stored.finding.dn) << ": "
        << output::printable(it.advice) << "\n";
    }
  }
  return o.str();
}

}  // namespace adcheck::report::detail
