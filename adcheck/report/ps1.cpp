// PowerShell remediation and revert scripts (ActiveDirectory module) for Windows teams.
//
// Safety by construction (SPEC 7): the file is pure printable ASCII, so every code page reads it
// the same way (Windows PowerShell 5.1 reads a BOM-less .ps1 in the ANSI code page, where UTF-8
// letters contain quote characters). Every value from the directory enters code only as psString
// (base64 of its bytes, decoded at run time) and comments only through asciiComment; objects are
// addressed by objectGUID, never by DN. Every change is one block per object: read the object by
// GUID, check it still has the descriptor the scan saw, skip it with a warning otherwise, and run
// each Set-ADObject with -WhatIf:(-not $Apply), so that without -Apply the script only shows what
// it would do.
#include <sstream>

#include "adcheck/report/model.h"

namespace adcheck::report::detail {

namespace {

std::string comment(const std::string& text) { return asciiComment(text); }

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
    o << "# Each block finds its object by objectGUID (after a rename or move it is still found, and\n"
      << "# another object at the old DN is never touched) and checks that it still has the security\n"
      << "# descriptor adcheck captured; if not, it skips the object with a warning (scan\n"
      << "# again). Undo: adcheck-" << id << ".revert.ps1 writes the captured descriptors (and\n"
      << "# adminCount) back exactly. One block per object: the findings on one object are fixed\n"
      << "# together, because they share its descriptor.\n"
      << "# Accounts in protected groups (cause protected-group) get no script: SDProp would undo\n"
      << "# any change within the hour. Give the person a separate, unprivileged account for mail\n"
      << "# and phone, and do not grant Exchange rights on AdminSDHolder.\n";
  else
    o << "# Restores, for every object the remediation script changes, the security descriptor\n"
      << "# captured at scan time (and adminCount=1 where it was cleared). Each block finds its\n"
      << "# object by objectGUID and skips objects that already look as captured.\n";
  o << "# The file is pure ASCII, so it reads the same in every code page: names from the directory\n"
    << "# are embedded as base64 of their UTF-8 bytes and shown in comments with \\u escapes.\n"
    << "#Requires -Modules ActiveDirectory\n"
    << "[CmdletBinding()]\n"
    << "param([switch]$Apply, [string]$Server = " << psLiteral(dcHost(m.scan)) << ")\n"
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
    o << "#   fixes " << comment(f.rule) << " (" << comment(f.summary) << "), fingerprint "
      << comment(m.items[i].stored.fingerprint) << "\n";
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
    // $dn is for messages only; the object is found by its GUID (checked canonical in the model).
    o << "$dn = " << psString(c.dn) << "\n"
      << "$guid = " << psLiteral(c.objectGuid) << "\n";
    if (sd) o << "$captured = " << psLiteral(c.capturedDescriptor) << "\n";
    if (sd && !revert) o << "$fixed = " << psLiteral(c.fixedDescriptor) << "\n";
    o << "$obj = $null\n"
      << "try { $obj = Get-ADObject -Identity $guid -Server $Server -Properties nTSecurityDescriptor, adminCount }\n"
      << "catch [Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException] { }\n";
    std::string same = "$null -eq $obj -or $obj.ObjectGUID.ToString() -ne $guid";
    if (!revert) {
      std::string precheck = same;
      if (sd)
        precheck += " -or (Get-AdcheckDacl $obj.nTSecurityDescriptor) -ne "
                    "(Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured))";
      else if (c.clearAdminCount)
        precheck += " -or $obj.adminCount -ne 1";
      o << "if (" << precheck << ") {\n"
        << "  Write-Warning ('Skipped ' + $dn + ' (objectGUID ' + $guid + '): it is gone or changed since the scan; scan again and regenerate.')\n"
        << "  $skipped++\n"
        << "} else {\n";
      if (sd)
        o << "  $new = $obj.nTSecurityDescriptor\n"
          << "  $new.SetSecurityDescriptorSddlForm((Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $fixed)), 'Access')\n"
          << "  Set-ADObject -Identity $guid -Server $Server -Replace @{ nTSecurityDescriptor = $new }" << whatIf << "\n";
      if (c.clearAdminCount)
        o << "  Set-ADObject -Identity $guid -Server $Server -Clear adminCount" << whatIf << "\n";
      o << "}\n";
    } else {
      std::string asCaptured = "$true";
      if (sd)
        asCaptured = "(Get-AdcheckDacl $obj.nTSecurityDescriptor) -eq "
                     "(Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured))";
      if (c.clearAdminCount) asCaptured += " -and $obj.adminCount -eq 1";
      o << "if (" << same << ") {\n"
        << "  Write-Warning ('Skipped ' + $dn + ': no object has objectGUID ' + $guid + ' any more.')\n"
        << "  $skipped++\n"
        << "} elseif (" << asCaptured << ") {\n"
        << "  Write-Host ('Unchanged, already as captured: ' + $dn)\n"
        << "} else {\n";
      if (sd)
        o << "  $new = $obj.nTSecurityDescriptor\n"
          << "  $new.SetSecurityDescriptorSddlForm((Get-AdcheckDacl (ConvertTo-AdcheckDescriptor $captured)), 'Access')\n"
          << "  Set-ADObject -Identity $guid -Server $Server -Replace @{ nTSecurityDescriptor = $new }" << whatIf << "\n";
      if (c.clearAdminCount)
        o << "  Set-ADObject -Identity $guid -Server $Server -Replace @{ adminCount = 1 }" << whatIf
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
      o << "# " << comment(it.stored.finding.rule) << " " << comment(it.stored.finding.dn) << ": "
        << comment(it.advice) << "\n";
    }
  }
  o << "\nif ($skipped -gt 0) { Write-Warning (\"$skipped object(s) skipped.\") }\n"
    << "if (-not $Apply) { Write-Host 'Dry run (-WhatIf): nothing was changed. Run with -Apply to make the changes.' }\n";
  return o.str();
}

}  // namespace adcheck::report::detail
