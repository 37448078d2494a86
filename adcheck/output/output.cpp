#include "adcheck/output/output.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <map>
#include <sstream>

namespace adcheck::output {
namespace {

Poco::JSON::Object::Ptr summaryObject(const scan::ScanSummary& s) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("target", s.target);
  o->set("status", std::string(scan::scanStatusName(s.status)));
  o->set("started", scan::isoTime(s.started));
  o->set("finished", scan::isoTime(s.finished));
  o->set("entriesRead", static_cast<std::uint64_t>(s.entriesRead));
  o->set("objectsScanned", static_cast<std::uint64_t>(s.objectsScanned));
  o->set("findings", static_cast<std::uint64_t>(s.findings));
  if (!s.error.empty()) o->set("error", s.error);
  Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
  for (const auto& w : s.warnings) warnings->add(w);
  o->set("warnings", warnings);
  Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
  for (const auto& e : s.objectErrors) {
    Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    x->set("dn", e.dn);
    if (!e.rule.empty()) x->set("rule", e.rule);
    x->set("error", e.message);
    errors->add(x);
  }
  o->set("objectErrors", errors);
  Poco::JSON::Array::Ptr rules = new Poco::JSON::Array;
  for (const auto& r : s.rulesRun) rules->add(r);
  o->set("rules", rules);
  o->set("coverage", s.coverage.toJson());
  return o;
}

// "N objects" / "the object" for the coverage lines.
std::string objectsText(std::size_t n) {
  return n == 1 ? std::string("1 object") : std::to_string(n) + " objects";
}

Poco::JSON::Object::Ptr findingObject(const FindingRow& row) {
  const auto& f = row.finding;
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  scan::setFindingFields(*o, f);
  o->set("status", row.status);
  o->set("firstSeen", row.firstSeen);
  o->set("fingerprint", f.fingerprint());
  return o;
}

// Display width in code points (UTF-8 continuation bytes do not count).
std::size_t displayWidth(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string fit(const std::string& s, std::size_t width) {
  if (displayWidth(s) <= width) return s + std::string(width - displayWidth(s), ' ');
  std::string out;
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      if (n + 1 >= width) break;
      ++n;
    }
    out += static_cast<char>(c);
  }
  return out + "~" + std::string(width - n - 1, ' ');
}

}  // namespace

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

std::string summaryJson(const scan::ScanSummary& summary) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(summaryObject(summary), out);
  return out.str();
}

void writeJson(std::ostream& out, const scan::ScanSummary& summary,
               const std::vector<FindingRow>& rows) {
  Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
  root.set("scan", summaryObject(summary));
  Poco::JSON::Array::Ptr findings = new Poco::JSON::Array;
  for (const auto& r : rows) findings->add(findingObject(r));
  root.set("findings", findings);
  root.stringify(out, 2);
  out << "\n";
}

std::string csvCell(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                     v[0] == '\r'))
    v = "'" + v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

void writeCsv(std::ostream& out, const std::vector<FindingRow>& rows) {
  out << "\xEF\xBB\xBF";  // UTF-8 BOM: spreadsheets then read non-ASCII names correctly
  out << "rule,severity,status,first_seen,sam_account_name,dn,object_guid,object_sid,summary,"
         "details,remediation,fingerprint\r\n";
  for (const auto& r : rows) {
    const auto& f = r.finding;
    std::ostringstream details;
    f.details->stringify(details);
    out << csvCell(f.rule) << ',' << csvCell(std::string(scan::severityName(f.severity))) << ','
        << csvCell(r.status) << ',' << csvCell(r.firstSeen) << ',' << csvCell(f.samAccountName)
        << ',' << csvCell(f.dn) << ',' << csvCell(f.objectGuid) << ',' << csvCell(f.objectSid)
        << ',' << csvCell(f.summary) << ',' << csvCell(details.str()) << ','
        << csvCell(f.remediation) << ',' << csvCell(f.fingerprint()) << "\r\n";
  }
}

void writeTable(std::ostream& out, const scan::ScanSummary& s, const std::vector<FindingRow>& rows,
                std::size_t width) {
  width = std::max<std::size_t>(width, 80);
  const std::size_t sev = 9, rule = 28, who = 24;
  const std::size_t rest = width - sev - rule - who - 3;
  out << fit("SEVERITY", sev) << ' ' << fit("RULE", rule) << ' ' << fit("OBJECT", who) << ' '
      << "SUMMARY\n";
  for (const auto& r : rows) {
    const auto& f = r.finding;
    std::string object = f.samAccountName.empty() ? f.dn : f.samAccountName;
    out << fit(std::string(scan::severityName(f.severity)), sev) << ' ' << fit(f.rule, rule) << ' '
        << fit(printable(object), who) << ' ' << fit(printable(f.summary), rest) << "\n";
  }
  std::map<scan::Severity, int> by;
  for (const auto& r : rows) ++by[r.finding.severity];
  std::size_t incomplete = 0;
  for (const auto& rc : s.coverage.rules)
    if (rc.verdict != scan::CoverageVerdict::kComplete) ++incomplete;
  out << "\n" << rows.size() << " finding(s):";
  for (auto it = by.rbegin(); it != by.rend(); ++it)
    out << ' ' << it->second << ' ' << scan::severityName(it->first);
  out << ". Scan " << scan::scanStatusName(s.status) << ": " << s.objectsScanned
      << " objects from " << s.target << ".\n";
  // A count of findings is only as good as what the scan account could read: say so per rule.
  if (!s.coverage.computed && !s.coverage.rules.empty()) {
    out << "COVERAGE UNKNOWN: the scan account's token or the schema was not read, so adcheck "
           "cannot tell which rules saw everything; absent findings prove nothing.\n";
  } else if (incomplete > 0) {
    out << "COVERAGE INCOMPLETE for " << incomplete << " of " << s.coverage.rules.size()
        << " rules (scan account " << printable(s.coverage.account)
        << "): their findings on what it could not read are missing, not passed.\n";
    for (const auto& rc : s.coverage.rules) {
      if (rc.verdict == scan::CoverageVerdict::kComplete) continue;
      for (const auto& in : rc.inputs) {
        if (in.verdict == scan::CoverageVerdict::kComplete) continue;
        out << "  INCOMPLETE " << rc.rule << ": ";
        if (in.verdict == scan::CoverageVerdict::kUnknown)
          out << "could not check " << in.input << " (" << printable(in.right) << ")";
        else
          out << "could not read " << in.input << " on " << objectsText(in.unreadable)
              << (in.objects > 0 ? " of " + std::to_string(in.objects) : std::string()) << " ("
              << printable(in.right) << ")"
              << (in.dns.empty() ? std::string() : ", first: " + printable(in.dns.front()));
        out << "; fix: " << printable(in.fix) << "\n";
      }
    }
  }
  for (const auto& w : s.warnings) out << "warning: " << printable(w) << "\n";
  for (const auto& e : s.objectErrors)
    out << "object error: " << printable(e.dn) << (e.rule.empty() ? "" : " [" + e.rule + "]")
        << ": " << printable(e.message) << "\n";
  if (!s.error.empty()) out << "error: " << printable(s.error) << "\n";
}

}  // namespace adcheck::output
