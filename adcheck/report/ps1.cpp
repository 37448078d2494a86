// PowerShell remediation and revert scripts (ActiveDirectory module) for Windows teams.
//
// Safety by construction: every value from the directory is a single-quoted literal (psQuote) and
// never appears unquoted in code; comments get AD text only through output::printable (no line
// break can end a comment). Every change is one block per object: read the object, check it is
// the same object (objectGUID) with the same descriptor the scan saw, skip it with a warning
// otherwise, and run each Set-ADObject with -WhatIf:(-not $Apply), so that without -Apply the
// script only shows what it would do.
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/report/model.h"

namespace adcheck::report::detail {

std::string psQuote(const std::string& value) {
  std::string out = "'";
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    out += c;
    if (c == '\'') {
      out += '\'';
    } else if (static_cast<unsigned char>(c) == 0xE2 && i + 2 < value.size() &&
               static_cast<unsigned char>(value[i + 1]) == 0x80) {
      // U+2018..U+201B (E2 80 98..9B): PowerShell ends single-quoted strings on these as well.
      const auto third = static_cast<unsigned char>(value[i + 2]);
      out += value[i + 1];
      out += value[i + 2];
      i += 2;
      if (third >= 0x98 && third <= 0x9B) out += value.substr(i - 2, 3);
    }
  }
  return out + "'";
}

namespace {

std::string comment(const std::string& text) { return output::printable(text); }

void header(std::ostringstream& o, const Model& m, bool revert) {
  const std::string id = std::to_string(m.scan.id);
  o << "# adcheck " << (revert ? "REVERT script" : "remediation script") << " for scan " << id
    << " of " << comment(m.scan.target) << " (" << isoTime(m.scan.started) << "), generated "
    << isoTime(m.generated) << ".\n"
    << "# REVIEW FIRST. Without -Apply this script changes nothing: every change runs with -WhatIf\n"
    << "# and only prints what it would do. Run it as a domain administrator:\n"
    << "#   .\\adcheck-" << id << (revert ? ".revert" : "") << ".ps1            # dry run\n"
    << "#   .\\adcheck-" << id << (revert ? ".revert" : "") << ".ps1 -Apply     # make the changes\n";
  if (!revert)
    o << "# Each block first checks that the object is the one scanned (objectGUID) and still has the\n"
      << "# security descriptor adcheck captured; if not, it skips the object with a warning (scan\n"
      << "# again). Undo: adcheck-" << id << ".revert.ps1 writes the captured descriptors (and\n"
      << "# adminCount) back exactly. One block per object: the findings on one object are fixed\n"
      << "# together, because they share its descriptor.\n"
      << "# Accounts in protected groups (cause protected-group) get no script: SDProp would undo\n"
      << "# any change within the hour. Give the person a separate, unprivileged account for mail\n"
      << "# and phone, and do not grant Exchange rights on AdminSDHolder.\n";
  else
    o << "# Restores, for every object the remediation script changes, the security descriptor\n"
      << "# captured at scan time (and adminCount=1 where it was cleared). Each block checks the\n"
      << "# objectGUID first and skips objects that already look as captured.\n";
  o << "#Requires -Modules ActiveDirectory\n"
    << "[CmdletBinding()]\n"
    << "param([switch]$Apply, [string]$Server = " << psQuote(dcHost(m.scan)) << ")\n"
    << "Set-StrictMode -Version 3\n"
    << "$ErrorActionPreference = 'Stop'\n"
    << "Import-Module ActiveDirectory\n\n"
    << "# adcheck captures the DACL (the scan reads nTSecurityDescriptor with SD flags 0x4). The\n"
    << "# captured and the current DACL are compared in the same normal form (SDDL of the access\n"
    << "# section: every ACE in order, with the protection and auto-inherit flags); a change writes\n"
    << "# the new DACL into the object's current descriptor, leaving owner and group as they are.\n"
    << "function ConvertTo-AdcheckDescriptor([string]$Base64) {\n"
    << "  $sd = New-Object System.DirectoryServices.ActiveDirectorySecurity\n"
    << "  $sd.SetSecurityDescriptorBinaryForm([Convert]::FromBase64String($Base64))\n"
    << "  return $sd\n"
    << "}\n"
    << "function Get-AdcheckDacl($Descriptor) {\n"
    << "  return $Descriptor.GetSecurityDescriptorSddlForm('Access')\n"
    << "}\n"
    << "\n"
    << "$skipped = 0\n";
}

void findingsComment(std::ostringstream& o, const Model& m, const Change& c) {
  for (auto i : c.items) {
    const auto& f = m.items[i].stored.finding;
    o << "#   fixes " << f.rule << " (" << comment(f.summary) << "), fingerprint "
      << m.items[i].stored.fingerprint << "\n";
  }
}

}  // namespace

std::string renderPs1(const Model& m, bool revert) {
  std::ostringstream o;
  header(o, m, revert);
  const std::string whatIf = " -WhatIf:(-not $Apply)";
  std::size_t n = 0;
  for (const auto& c : m.changes) {
    ++n;
    o << "\n# --- change " << n << " of " << m.changes.size() << ": " << comment(c.dn) << "\n";
    findingsComment(o, m, c);
    const bool sd = !c.fixedDescriptor.empty();
    o << "$dn = " << psQuote(c.dn) << "\n"
      << "$guid = " << psQuote(c.objectGuid) << "\n";
    if (sd) o << "$captured = " << psQuote(c.capturedDescriptor) << "\n";
    if (sd && !revert) o << "$fixed = " << psQuote(c.fixedDescriptor) << "\n";
    o << "$obj = Get-ADObject -Identity $dn -Server $Server -Properties nTSecurityDescriptor, adminCount\n";
    std::string same = "$obj.ObjectGUID.ToString() -ne $guid";
    if (!revert) {
      std::string precheck = same;
      if (sd)
        precheck += " -or (Get-AdcheckDacl $obj.nTSecurityDescriptor) -ne "
                    "(Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured))";
      else if (c.clearAdminCount)
        precheck += " -or $obj.adminCount -ne 1";
      o << "if (" << precheck << ") {\n"
        << "  Write-Warning ('Skipped ' + $dn + ': it changed since the scan; scan again and regenerate.')\n"
        << "  $skipped++\n"
        << "} else {\n";
      if (sd)
        o << "  $new = $obj.nTSecurityDescriptor\n"
          << "  $new.SetSecurityDescriptorSddlForm((Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $fixed)), 'Access')\n"
          << "  Set-ADObject -Identity $dn -Server $Server -Replace @{ nTSecurityDescriptor = $new }" << whatIf << "\n";
      if (c.clearAdminCount)
        o << "  Set-ADObject -Identity $dn -Server $Server -Clear adminCount" << whatIf << "\n";
      o << "}\n";
    } else {
      std::string asCaptured = "$true";
      if (sd)
        asCaptured = "(Get-AdcheckDacl $obj.nTSecurityDescriptor) -eq "
                     "(Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured))";
      if (c.clearAdminCount) asCaptured += " -and $obj.adminCount -eq 1";
      o << "if (" << same << ") {\n"
        << "  Write-Warning ('Skipped ' + $dn + ': another object has this name now.')\n"
        << "  $skipped++\n"
        << "} elseif (" << asCaptured << ") {\n"
        << "  Write-Host ('Unchanged, already as captured: ' + $dn)\n"
        << "} else {\n";
      if (sd)
        o << "  $new = $obj.nTSecurityDescriptor\n"
          << "  $new.SetSecurityDescriptorSddlForm((Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured)), 'Access')\n"
          << "  Set-ADObject -Identity $dn -Server $Server -Replace @{ nTSecurityDescriptor = $new }" << whatIf << "\n";
      if (c.clearAdminCount)
        o << "  Set-ADObject -Identity $dn -Server $Server -Replace @{ adminCount = 1 }" << whatIf
          << "\n";
      o << "}\n";
    }
  }
  // Findings without a script, as advice, so the script is the whole story for its reader.
  if (!revert) {
    bool any = false;
    for (const auto& it : m.items) {
      if (it.change >= 0 || it.advice.empty()) continue;
      if (!any) o << "\n# --- not scripted (advice only):\n";
      any = true;
      o << "# " << it.stored.finding.rule << " " << comment(it.stored.finding.dn) << ": "
        << comment(it.advice) << "\n";
    }
  }
  o << "\nif ($skipped -gt 0) { Write-Warning (\"$skipped object(s) skipped.\") }\n"
    << "if (-not $Apply) { Write-Host 'Dry run (-WhatIf): nothing was changed. Run with -Apply to make the changes.' }\n";
  return o.str();
}

}  // namespace adcheck::report::detail
