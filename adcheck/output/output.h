// Rendering scan results for people and pipelines: table, stable JSON (SPEC section 4), CSV.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "adcheck/scan/engine.h"

namespace adcheck::output {

// Lifecycle fields come from the store when there is one; without, every finding is "new" and
// first seen at the scan's start.
struct FindingRow {
  scan::Finding finding;
  std::string status = "new";
  std::string firstSeen;
};

void writeJson(std::ostream& out, const scan::ScanSummary& summary,
               const std::vector<FindingRow>& rows);
void writeCsv(std::ostream& out, const std::vector<FindingRow>& rows);
void writeTable(std::ostream& out, const scan::ScanSummary& summary,
                const std::vector<FindingRow>& rows, std::size_t width);

// A CSV cell: quoted, and text a spreadsheet would run as a formula (=, +, -, @, tab, CR)
// neutralised with a leading apostrophe.
std::string csvCell(const std::string& value);

std::string summaryJson(const scan::ScanSummary& summary);

// Text from the directory is untrusted: control characters never reach the terminal raw.
std::string printable(const std::string& value);

}  // namespace adcheck::output
