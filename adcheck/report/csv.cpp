// CSV: one row per finding with a fix column, for spreadsheets (UTF-8 BOM, every cell quoted, no
// formula injection from AD text: output::csvCell neutralises =, +, -, @).
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/report/model.h"

namespace adcheck::report::detail {

namespace {

// output::csvCell neutralises formulas and quotes; before it, the text becomes valid UTF-8 (each
// invalid byte U+FFFD) and control characters other than TAB, CR and LF become U+FFFD, as in the
// HTML report (a NUL from an LDIF snapshot truncates the cell in some readers).
std::string csvCell(const std::string& value) {
  std::string v = validUtf8(value);
  std::string out;
  for (char c : v) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t' && c != '\r' && c != '\n') || b == 0x7F) out += "\xEF\xBF\xBD";
    else out += c;
  }
  return output::csvCell(out);
}

}  // namespace

std::string renderCsv(const Model& m) {
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
  // Rules that could not read everything: one row per gap, status "coverage-incomplete", so a
  // spreadsheet of findings never reads as "these rules passed".
  for (const auto& g : scan::coverageGaps(m.scan.coverage).gaps)
    o << csvCell("") << ',' << csvCell(g.rule) << ',' << csvCell("") << ','
      << csvCell("coverage-incomplete") << ',' << csvCell("") << ',' << csvCell("") << ','
      << csvCell(g.firstObject) << ',' << csvCell(g.text()) << ',' << csvCell("") << ','
      << csvCell(g.fix) << ',' << csvCell("none") << ',' << csvCell("") << ',' << csvCell("")
      << "\r\n";
  return o.str();
}

}  // namespace adcheck::report::detail
