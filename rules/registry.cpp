// The explicit list of rules, in catalogue order. Adding a rule = one file + one line here.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <array>
#include <sstream>

#include "rules/rule.h"

namespace adcheck::rules {

extern const Rule kEasDeviceRightsMissing;
extern const Rule kEasInheritanceDisabled;
extern const Rule kEasProtectedMailboxUser;
extern const Rule kAdmOrphanedAdminCount;
extern const Rule kAdmAdminSdHolderAcl;
extern const Rule kAdmSdpropExclusions;
extern const Rule kMobBitmaskInvalid;
extern const Rule kMobDevicesWhileDisabled;
extern const Rule kMobStaleDevice;
extern const Rule kMobOrphanDeviceContainer;
extern const Rule kMobPolicyNonProvisionable;
extern const Rule kCrtUserCertExpiring;
extern const Rule kDlgUnconstrained;
extern const Rule kDlgConstrainedHttp;

namespace {

const std::array<const Rule*, 14> kRegistry = {
    &kEasDeviceRightsMissing, &kEasInheritanceDisabled,   &kEasProtectedMailboxUser,
    &kAdmOrphanedAdminCount,  &kAdmAdminSdHolderAcl,      &kAdmSdpropExclusions,
    &kMobBitmaskInvalid,      &kMobDevicesWhileDisabled,  &kMobStaleDevice,
    &kMobOrphanDeviceContainer, &kMobPolicyNonProvisionable, &kCrtUserCertExpiring,
    &kDlgUnconstrained,       &kDlgConstrainedHttp,
};

std::string str(std::string_view s) { return std::string(s); }

// Markdown table cells: no pipes or newlines from prose.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '|') ? std::string("\\|") : (c == '\n' ? std::string(" ") : std::string(1, c));
  return out;
}

}  // namespace

std::span<const Rule* const> registry() { return kRegistry; }

const Rule* findRule(std::string_view id) {
  for (const auto* r : kRegistry)
    if (r->meta.id == id) return r;
  return nullptr;
}

std::string catalogueText() {
  std::ostringstream out;
  for (const auto* r : kRegistry) {
    const auto& m = r->meta;
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
  for (const auto* r : kRegistry) {
    const auto& m = r->meta;
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
  for (const auto* r : kRegistry) {
    const auto& m = r->meta;
    std::string sev(scan::severityName(m.severity));
    if (!m.severityNote.empty()) sev += " (" + str(m.severityNote) + ")";
    out << "| `" << m.id << "` | " << cell(sev) << " | " << m.category << " | " << cell(m.title)
        << " |\n";
  }
  return out.str();
}

}  // namespace adcheck::rules
