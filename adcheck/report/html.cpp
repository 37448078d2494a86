// HTML: a self-contained, printable report (inline CSS, no script, every value from AD escaped),
// grouped by OU (one printed section each) and by rule.
#include <array>
#include <map>
#include <sstream>

#include "adcheck/report/model.h"
#include "adcheck/scan/dn.h"

namespace adcheck::report::detail {
namespace {

std::string esc(const std::string& text) {
  const std::string s = validUtf8(text);  // an invalid byte shows as U+FFFD, never dropped
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab and newline have no business in a report.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += "&#xFFFD;";
        else out += c;
    }
  }
  return out;
}

constexpr const char* kCss = R"(
body { font-family: "Segoe UI", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 2em; }
h1 { font-size: 18pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; border-bottom: 2px solid #333; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 12pt; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
.meta { color: #555; }
.finding { border: 1px solid #ccc; border-left: 6px solid #888; padding: 0.5em 0.8em; margin: 0.6em 0;
  break-inside: avoid; page-break-inside: avoid; }
.sev-critical { border-left-color: #7b1fa2; } .sev-high { border-left-color: #c62828; }
.sev-medium { border-left-color: #ef6c00; } .sev-low { border-left-color: #f9a825; }
.sev-info { border-left-color: #1565c0; }
.badge { display: inline-block; padding: 0 0.4em; border-radius: 3px; background: #eee; font-size: 9pt; }
.dn, code, pre { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 9pt; word-break: break-all; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.4em; white-space: pre-wrap; }
dl.evidence { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 0.8em; margin: 0.4em 0; }
dl.evidence dt { font-weight: 600; } dl.evidence dd { margin: 0; word-break: break-word; }
.advice { background: #fff8e1; border: 1px solid #f0d58c; padding: 0.4em; }
@page { margin: 1.5cm; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  section.ou { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
)";

void findingTable(std::ostringstream& o, const std::vector<store::StoredFinding>& list,
                  const char* testid) {
  if (list.empty()) {
    o << "<p class=\"meta\">None.</p>\n";
    return;
  }
  o << "<table data-testid=\"" << testid << "\"><tr><th>Rule</th><th>Severity</th><th>Object</th><th>Summary</th></tr>\n";
  for (const auto& s : list)
    o << "<tr><td>" << esc(s.finding.rule) << "</td><td>"
      << esc(std::string(scan::severityName(s.finding.severity))) << "</td><td class=\"dn\">"
      << esc(s.finding.dn) << "</td><td>" << esc(s.finding.summary) << "</td></tr>\n";
  o << "</table>\n";
}

void findingBlock(std::ostringstream& o, const Item& it) {
  const auto& f = it.stored.finding;
  const std::string sev(scan::severityName(f.severity));
  o << "<article class=\"finding sev-" << sev << "\">\n"
    << "<p><span class=\"badge\">" << esc(sev) << "</span> <span class=\"badge\">"
    << esc(it.stored.status) << "</span> <strong>"
    << esc(f.samAccountName.empty() ? scan::firstRdnValue(f.dn) : f.samAccountName)
    << "</strong> <span class=\"dn\">" << esc(f.dn) << "</span></p>\n"
    << "<p><strong>Problem:</strong> " << esc(f.summary) << ". <span class=\"meta\">First seen "
    << esc(isoTime(it.stored.firstSeen)) << ".</span></p>\n";
  if (!it.evidence.empty()) {
    o << "<dl class=\"evidence\">\n";
    for (const auto& [label, text] : it.evidence)
      o << "<dt>" << esc(label) << "</dt><dd>" << esc(text) << "</dd>\n";
    o << "</dl>\n";
  }
  if (!it.guiSteps.empty()) {
    o << "<p><strong>Fix</strong> (change " << it.change + 1
      << " in the PowerShell and LDIF reports, with a revert file):</p>\n<ol>\n";
    for (const auto& s : it.guiSteps) o << "<li>" << esc(s) << "</li>\n";
    o << "</ol>\n";
    if (!it.command.empty()) o << "<p>Or in PowerShell:</p>\n<pre>" << esc(it.command) << "</pre>\n";
  } else if (!it.advice.empty()) {
    o << "<p class=\"advice\"><strong>What to do:</strong> " << esc(it.advice) << "</p>\n";
  }
  o << "</article>\n";
}

}  // namespace

std::string renderHtml(const Model& m) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>adcheck remediation report: scan " << m.scan.id << "</title>\n"
    << "<style>" << kCss << "</style>\n</head>\n<body>\n"
    << "<header>\n<h1>adcheck remediation report</h1>\n<p class=\"meta\">Scan " << m.scan.id << " of "
    << esc(m.scan.target) << ", started " << esc(isoTime(m.scan.started)) << "; report generated "
    << esc(isoTime(m.generated)) << ".";
  if (!m.request.ouDn.empty()) o << " OU: <span class=\"dn\">" << esc(m.request.ouDn) << "</span>.";
  if (!m.request.rules.empty()) {
    o << " Rules:";
    for (const auto& r : m.request.rules) o << " " << esc(r);
    o << ".";
  }
  o << "</p>\n</header>\n";

  // Summary.
  std::array<std::size_t, store::kSeverityCount> bySev{};
  std::size_t excepted = 0;
  std::map<std::string, std::size_t> byOu;
  for (const auto& it : m.items) {
    if (it.stored.status == store::kStatusExcepted) {
      ++excepted;
      continue;
    }
    ++bySev[static_cast<std::size_t>(it.stored.finding.severity)];
    ++byOu[ouLabel(it.ou)];
  }
  o << "<section class=\"summary\">\n<h2>Summary</h2>\n<table data-testid=\"summary\"><tr>";
  for (int s = static_cast<int>(store::kSeverityCount) - 1; s >= 0; --s)
    o << "<th>" << scan::severityName(static_cast<scan::Severity>(s)) << "</th>";
  o << "<th>excepted</th><th>scripted changes</th></tr>\n<tr>";
  for (int s = static_cast<int>(store::kSeverityCount) - 1; s >= 0; --s)
    o << "<td>" << bySev[static_cast<std::size_t>(s)] << "</td>";
  o << "<td>" << excepted << "</td><td>" << m.changes.size() << "</td></tr></table>\n"
    << "<p>Each finding below names the object, the problem, the evidence and the fix: the steps in "
       "Active Directory Users and Computers, or the advice where no change on the object helps. "
       "The PowerShell (ps1) and LDIF reports of the same scan carry the scripted changes, each "
       "checked against the descriptor captured at scan time, with a revert file that restores it.</p>\n";
  if (!byOu.empty()) {
    o << "<table data-testid=\"by-ou\"><tr><th>OU (owning team)</th><th>open findings</th></tr>\n";
    for (const auto& [ou, n] : byOu)
      o << "<tr><td class=\"dn\">" << esc(ou) << "</td><td>" << n << "</td></tr>\n";
    o << "</table>\n";
  }
  // What the scan account could not read: those rules' "no finding" proves nothing.
  if (auto cov = scan::coverageGaps(m.scan.coverage); cov.stored && (!cov.computed || !cov.gaps.empty())) {
    o << "<div class=\"coverage-incomplete\" data-testid=\"coverage\"><h3>Coverage incomplete</h3>\n";
    if (!cov.computed)
      o << "<p>The scan account's token or the schema was not read: adcheck could not tell which "
           "rules saw everything. Absent findings prove nothing.</p>\n";
    else
      o << "<p>The scan account could not read everything these rules need; their findings on "
           "those objects are missing, not passed.</p>\n<table><tr><th>rule</th><th>what</th>"
           "<th>first object</th><th>fix</th></tr>\n";
    for (const auto& g : cov.gaps)
      o << "<tr><td>" << esc(g.rule) << "</td><td>" << esc(g.text()) << "</td><td class=\"dn\">"
        << esc(g.firstObject) << "</td><td>" << esc(g.fix) << "</td></tr>\n";
    if (cov.computed) o << "</table>\n";
    o << "</div>\n";
  }
  if (m.since) {
    const auto& s = *m.since;
    o << "<h2>Since scan " << s.from.id << " (" << esc(isoTime(s.from.started)) << ")</h2>\n"
      << "<p>" << s.added.size() << " new, " << s.resolved.size() << " resolved, "
      << s.stillOpen.size() << " still open, " << s.excepted.size() << " excepted.</p>\n"
      << "<h3>New</h3>\n";
    findingTable(o, s.added, "since-new");
    o << "<h3>Resolved</h3>\n";
    findingTable(o, s.resolved, "since-resolved");
    o << "<h3>Still open</h3>\n";
    findingTable(o, s.stillOpen, "since-open");
    o << "<h3>Excepted (accepted risk)</h3>\n";
    findingTable(o, s.excepted, "since-excepted");
  }
  o << "</section>\n";

  // By OU, then rule; excepted findings apart at the end.
  std::string ou = "\x01", rule;
  bool open = false;
  for (const auto& it : m.items) {
    if (it.stored.status == store::kStatusExcepted) continue;
    if (scan::dnKey(it.ou) != scan::dnKey(ou)) {
      if (open) o << "</section>\n";
      ou = it.ou;
      rule.clear();
      open = true;
      o << "<section class=\"ou\">\n<h2>OU <span class=\"dn\">" << esc(ouLabel(ou)) << "</span></h2>\n";
    }
    if (it.stored.finding.rule != rule) {
      rule = it.stored.finding.rule;
      o << "<h3>" << esc(rule) << ": " << esc(it.ruleTitle) << "</h3>\n";
    }
    findingBlock(o, it);
  }
  if (open) o << "</section>\n";
  if (excepted > 0) {
    o << "<section class=\"ou excepted\">\n<h2>Excepted findings (accepted risk)</h2>\n";
    for (const auto& it : m.items)
      if (it.stored.status == store::kStatusExcepted) findingBlock(o, it);
    o << "</section>\n";
  }
  if (m.items.empty()) o << "<p>No findings match this report.</p>\n";
  o << "<footer class=\"meta\"><p>Generated by adcheck. adcheck only reads the directory; the "
       "scripts it generates change nothing until an administrator runs them.</p></footer>\n"
    << "</body>\n</html>\n";
  return o.str();
}

}  // namespace adcheck::report::detail
