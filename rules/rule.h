// One rule = one small file: its metadata next to its evaluate function, listed in registry.cpp.
// The catalogue (adcheck rules), the README rule table and the web's rule pages are all rendered
// from this metadata, never typed twice.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/scan/model.h"

namespace adcheck::rules {

using scan::Aggregates;
using scan::Context;
using scan::Finding;
using scan::Severity;
using scan::UserObject;

struct RuleMeta {
  std::string_view id;
  std::string_view title;
  Severity severity;                 // the usual severity
  std::string_view severityNote;     // how it varies, if it does
  std::string_view category;         // activesync | adminsdholder | mobile | certificates | delegation
  std::string_view appliesTo;        // what kind of object it evaluates
  std::string_view rationale;        // why an administrator should care
  std::string_view remediation;      // what to do (a rule may refine it per finding)
  std::vector<std::string_view> references;
  // What the rule must read to decide whether it has a finding (issue 14, coverage): every scan
  // checks that the scan account could read these, and a rule that could not is never shown as
  // "passed". Identifiers:
  //   "user:<lDAPDisplayName>"  an attribute of every scanned object (objectClass=user);
  //                             "user:nTSecurityDescriptor" is the DACL itself (READ_CONTROL);
  //   "devices"                 ExchangeActiveSyncDevices containers and devices below users;
  //   "policies"                the msExchMobileMailboxPolicy objects;
  //   "adminsdholder"           AdminSDHolder's nTSecurityDescriptor;
  //   "dsheuristics"            dSHeuristics on CN=Directory Service;
  //   "groups:member"           the groups' membership (SDProp protection).
  // Only what decides whether a finding exists; what only shapes it (severity, details) is not.
  // Endpoint rules read no directory input.
  std::vector<std::string_view> inputs;
};

using Emit = std::function<void(Finding&&)>;

// Rules are pure: they read the object and the context and emit findings. They never talk to
// LDAP and never write.
struct Rule {
  RuleMeta meta;
  // Called for every scanned object (may be null).
  void (*evaluateObject)(const UserObject& object, const Context& ctx, const Emit& emit) = nullptr;
  // Called once per scan after all objects were streamed (may be null).
  void (*evaluateDomain)(const Context& ctx, const Aggregates& agg, const Emit& emit) = nullptr;
};

// Every rule, in catalogue order.
std::span<const Rule* const> registry();
const Rule* findRule(std::string_view id);

// Catalogue renderings from the metadata.
std::string catalogueText();
std::string catalogueJson();
std::string catalogueMarkdown();
// README's "The service account" table: per directory rule, what it reads and the least right
// the scan account needs for complete coverage (issue 14), from RuleMeta::inputs.
std::string serviceAccountMarkdown();

}  // namespace adcheck::rules
