// The rule catalogue (adcheck rules, the README table, later the web's rule pages), rendered
// from the metadata of both registries: the directory rules and the endpoint probe's rules.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <vector>

#include "rules/endpoint_rule.h"
#include "rules/rule.h"

namespace adcheck::rules {
namespace {

std::vector<const RuleMeta*> allRules() {
  std::vector<const RuleMeta*> out;
  for (const auto* r : registry()) out.push_back(&r->meta);
  for (const auto* r : endpointRegistry()) out.push_back(&r->meta);
  return out;
}

std::string str(std::string_view s) { return std::string(s); }

// Markdown table cells: no pipes or newlines from prose.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '|') ? std::string("\\|") : (c == '\n' ? std::string(" ") : std::string(1, c));
  return out;
}

}  // namespace

std::string catalogueText() {
  std::ostringstream out;
  for (const auto* meta : allRules()) {
    const auto& m = *meta;
    out << m.id << "  [" << scan::severityName(m.severity) << "]  " << m.title << "\n";
    if (!m.severityNote.empty()) out << "    severity: " << m.severityNote << "\n";
    out << "    applies to: " << m.appliesTo << "\n";
    out << "    why: " << m.rationale << "\n";
    out << "    fix: " << m.remediation << "\n\n";
  }
  return out.str();
}

std::string catalogueJson() {
  Poco::JSON::Array rules;
  for (const auto* meta : allRules()) {
    const auto& m = *meta;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", str(m.id));
    o->set("title", str(m.title));
    o->set("severity", str(scan::severityName(m.severity)));
    o->set("severityNote", str(m.severityNote));
    o->set("category", str(m.category));
    o->set("appliesTo", str(m.appliesTo));
    o->set("rationale", str(m.rationale));
    o->set("remediation", str(m.remediation));
    Poco::JSON::Array::Ptr refs = new Poco::JSON::Array;
    for (auto ref : m.references) refs->add(str(ref));
    o->set("references", refs);
    Poco::JSON::Array::Ptr inputs = new Poco::JSON::Array;
    for (auto in : m.inputs) inputs->add(str(in));
    o->set("inputs", inputs);  // what the scan account must read (coverage)
    rules.add(o);
  }
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(rules, out, 2);
  out << "\n";
  return out.str();
}

std::string catalogueMarkdown() {
  std::ostringstream out;
  out << "| id | severity | category | title |\n|---|---|---|---|\n";
  for (const auto* meta : allRules()) {
    const auto& m = *meta;
    std::string sev(scan::severityName(m.severity));
    if (!m.severityNote.empty()) sev += " (" + str(m.severityNote) + ")";
    out << "| `" << m.id << "` | " << cell(sev) << " | " << m.category << " | " << cell(m.title)
        << " |\n";
  }
  return out.str();
}

namespace {

std::string leastRight(std::string_view input) {
  if (input == "user:nTSecurityDescriptor") return "Read Permissions on user objects";
  if (input.starts_with("user:"))
    return "Read Property on `" + std::string(input.substr(5)) +
           "` (or its property set) on user objects";
  if (input == "devices")
    return "List Contents on users; List Contents + Read Property on msExchActiveSyncDevices / "
           "msExchActiveSyncDevice objects (inherited, or in the classes' defaultSecurityDescriptor)";
  if (input == "policies") return "Read on the Mobile Mailbox Policies in the configuration partition";
  if (input == "adminsdholder") return "Read Permissions on CN=AdminSDHolder";
  if (input == "dsheuristics") return "Read Property on CN=Directory Service";
  if (input == "groups:member") return "Read Property on the Membership property set of groups";
  return std::string(input);
}

}  // namespace

std::string serviceAccountMarkdown() {
  std::ostringstream out;
  out << "| rule | what it reads | least right for complete coverage |\n|---|---|---|\n";
  for (const auto* r : registry()) {
    std::string reads, rights;
    for (auto in : r->meta.inputs) {
      reads += (reads.empty() ? "" : ", ") + ("`" + std::string(in) + "`");
      auto right = leastRight(in);
      if (rights.find(right) == std::string::npos) rights += (rights.empty() ? "" : "; ") + right;
    }
    out << "| `" << r->meta.id << "` | " << cell(reads) << " | " << cell(rights) << " |\n";
  }
  return out.str();
}

}  // namespace adcheck::rules
