// CSV: one row per finding with a fix column, for spreadsheets (UTF-8 BOM, every cell quoted, no
// formula injection from AD text: output::csvCell neutralises =, +, -, @).
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/report/model.h"

namespace adcheck::report::detail {

std::string renderCsv(const Model& m) {
  using output::csvCell;
  std::ostringstream o;
  o << "\xEF\xBB\xBF"
    << "ou,rule,severity,status,first_seen,sam_account_name,dn,summary,evidence,fix,script,"
       "object_guid,fingerprint\r\n";
  for (const auto& it : m.items) {
    const auto& f = it.stored.finding;
    std::string evidence, fix;
    for (const auto& [label, text] : it.evidence)
      evidence += (evidence.empty() ? "" : "\n") + label + ": " + text;
    std::size_t step = 0;
    for (const auto& s : it.guiSteps) fix += (fix.empty() ? "" : "\n") + std::to_string(++step) + ". " + s;
    if (fix.empty()) fix = it.advice;
    const std::string script =
        it.change >= 0 ? "change " + std::to_string(it.change + 1) + " in the ps1 and ldif reports" : "none";
    o << csvCell(ouLabel(it.ou)) << ',' << csvCell(f.rule) << ','
      << csvCell(std::string(scan::severityName(f.severity))) << ',' << csvCell(it.stored.status) << ','
      << csvCell(isoTime(it.stored.firstSeen)) << ',' << csvCell(f.samAccountName) << ','
      << csvCell(f.dn) << ',' << csvCell(f.summary) << ',' << csvCell(evidence) << ','
      << csvCell(fix) << ',' << csvCell(script) << ',' << csvCell(f.objectGuid) << ','
      << csvCell(it.stored.fingerprint) << "\r\n";
  }
  return o.str();
}

}  // namespace adcheck::report::detail
