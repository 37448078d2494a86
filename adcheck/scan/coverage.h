// Coverage (issue 14): what the scan account could not read, per rule and per declared input
// (RuleMeta::inputs), so that no rule reports "nothing found" where it could not look.
//
// Computed from the directory itself, every scan, live or from a snapshot:
// - "user:<attribute>": the scan account's token against each scanned object's DACL for Read
//   Property, asked with an object-type list (the object's class > the attribute's property set
//   from attributeSecurityGUID > the attribute), as AD does. "user:nTSecurityDescriptor": the
//   DACL came back. Without the DACL nothing can be predicted: every attribute input counts as
//   unreadable on that object (never "complete" without knowing).
// - "devices": List Contents on the user; List Contents + Read Property on its
//   ExchangeActiveSyncDevices container (its own DACL when returned, else the DACL it WOULD get:
//   the class's defaultSecurityDescriptor plus the user's inheritable ACEs) and Read Property on
//   a device below it (predicted the same way from the container).
// - "policies": users whose msExchMobileMailboxPolicyLink names a policy the scan did not return.
// - "adminsdholder", "dsheuristics": the object was returned (with its DACL).
// - "groups:member": Read Property on `member` against each group's DACL (ContextBuilder).
// Without the scan account's token or the schema nothing is computed: every verdict "unknown".
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "adcheck/scan/model.h"
#include "rules/rule.h"

namespace adcheck::scan {

enum class CoverageVerdict { kComplete, kPartial, kUnreadable, kUnknown };
std::string_view coverageVerdictName(CoverageVerdict v);

inline constexpr std::size_t kCoverageDnCap = 1000;  // DNs kept per input

struct InputCoverageResult {
  std::string input;
  CoverageVerdict verdict = CoverageVerdict::kUnknown;
  std::size_t objects = 0;     // objects the input was checked on
  std::size_t unreadable = 0;  // objects on which it could not be read
  std::size_t unknown = 0;     // objects on which it could not be predicted
  std::vector<std::string> dns;  // the unreadable objects, the first kCoverageDnCap
  std::string right;             // the missing right, in words
  std::string fix;               // what to grant (read-only)
};

struct RuleCoverage {
  std::string rule;
  CoverageVerdict verdict = CoverageVerdict::kUnknown;
  std::size_t objects = 0;
  std::size_t unreadable = 0;  // objects with at least one unreadable input of this rule
  std::vector<InputCoverageResult> inputs;
};

struct Coverage {
  std::string account;  // the scan account's DN; "" when unknown
  bool computed = false;
  bool complete = false;
  std::vector<RuleCoverage> rules;

  const RuleCoverage* find(std::string_view rule) const;
  // The JSON shape of COVERAGE.md (scan.coverage).
  Poco::JSON::Object::Ptr toJson() const;
};

// Findings a scan must not resolve because its rule could not read its inputs on the object:
// object key (objectGUID, else the DN key, as in fingerprints) -> bit i set = rules[i].
struct CoverageHolds {
  std::vector<std::string> rules;
  std::unordered_map<std::string, std::uint64_t> objects;
  bool empty() const { return objects.empty(); }
};

// One line of "what this scan could not read", from stored coverage JSON (reports, web): every
// input of every rule that is not complete. `unknownCoverage` when the JSON says the coverage was
// not computed; empty JSON (a scan stored before coverage existed) gives nothing.
struct CoverageGap {
  std::string rule;
  std::string input;
  std::string verdict;
  std::uint64_t unreadable = 0;
  std::uint64_t checked = 0;
  std::string firstObject;
  std::string right;
  std::string fix;
  // "INCOMPLETE: could not read <input> on N of M objects (<right>)", in plain words.
  std::string text() const;
};
struct CoverageGaps {
  bool stored = false;    // the scan has coverage at all
  bool computed = false;  // false: nothing could be checked, every rule is "unknown"
  std::vector<CoverageGap> gaps;
};
CoverageGaps coverageGaps(const std::string& json);

// True for inputs checked on each scanned object (user:*, devices, policies); false for the
// directory-wide ones (adminsdholder, dsheuristics, groups:member).
bool coverageInputIsPerObject(std::string_view input);

class CoverageTracker {
 public:
  // `ctx` must be complete (all context entries read) and outlive the tracker.
  CoverageTracker(const Context& ctx, const std::vector<const rules::Rule*>& rules);
  ~CoverageTracker();
  CoverageTracker(const CoverageTracker&) = delete;
  CoverageTracker& operator=(const CoverageTracker&) = delete;

  // Checks one scanned object's per-object inputs. Returns the mask of rules (bit i = the i-th
  // rule given to the constructor) with an unreadable input on it; 0 when all were readable.
  std::uint64_t addObject(const UserObject& u);
  // Whether the last object's homeMDB was readable (for the mailbox-state warning).
  bool lastHomeMdbReadable() const { return lastHomeMdbReadable_; }

  // For `explain`: each per-object input of the last object added, "readable", "unreadable" or
  // "unknown", and for an unreadable one why (the deny ACE that takes it, in SDDL with its index,
  // or that no ACE grants it).
  struct ObjectInput {
    std::string input;
    std::string state;
    std::string why;
  };
  std::vector<ObjectInput> explainLast(const UserObject& u) const;

  // After the last object: the objects the DC returned with no readable attribute
  // (Context::unreadableObjects) that sit in a container holding scanned users count as unread
  // users for every per-object input but the policy link. Returns their DN keys with the mask of
  // rules that could not read them, for the lifecycle holds.
  std::vector<std::pair<std::string, std::uint64_t>> addUnreadableObjects();

  // The verdicts, after the last object.
  Coverage finish() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool lastHomeMdbReadable_ = true;
};

}  // namespace adcheck::scan
