// Remediation reports for AD teams (SPEC sections 1 and 3): what to fix, why, how, and what changed
// since a previous scan, rendered from the findings store. The same entry point serves
// `adcheck report` and the dashboard's downloads (web/API.md, /api/v1/reports/{format}).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/core/error.h"
#include "adcheck/store/store.h"

namespace adcheck::report {

enum class Format { kHtml, kCsv, kJson, kPs1, kPs1Revert, kLdif, kLdifRevert };

// "html", "csv", "json", "ps1", "ps1-revert", "ldif", "ldif-revert".
std::optional<Format> parseFormat(std::string_view name);
std::string_view formatName(Format format);

struct ReportRequest {
  Format format = Format::kHtml;
  std::optional<std::int64_t> scanId;   // nullopt: the latest completed scan
  std::optional<std::int64_t> sinceId;  // compare with this scan (new, resolved, still open, excepted)
  std::string ouDn;                     // only findings in this subtree ("" all)
  std::vector<std::string> rules;       // only these rule ids (empty: all)
  std::time_t now = 0;                  // 0: the current time (the report's "generated at")
};

struct ReportFile {
  std::string filename;     // e.g. "adcheck-report-scan-12.html"
  std::string contentType;  // e.g. "text/html; charset=utf-8"
  std::string content;
};

// Renders one report. Errors name the bad input and what would be valid: an unknown scan id, a
// rule id that is not in the catalogue, a scan that is not completed, an OU with no findings.
Result<ReportFile> render(store::Store& store, const ReportRequest& request);

}  // namespace adcheck::report
