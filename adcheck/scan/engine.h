// The scan pipeline (SPEC section 2): context entries first (RootDSE, domain root, schema,
// extended rights, dSHeuristics, AdminSDHolder, groups, mobile policies, device containers and
// devices, adminCount metadata), then the stream of scanned objects, each evaluated by every
// enabled rule as it arrives. The engine classifies entries by their content, so a live search
// and an LDIF snapshot (even one made with plain ldapsearch) feed it the same way.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/core/error.h"
#include "adcheck/scan/coverage.h"
#include "adcheck/scan/model.h"
#include "ldap/entry.h"
#include "rules/rule.h"

namespace adcheck::scan {

// Where entries come from: a live directory or a snapshot. Pull-based so memory stays flat.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // Next entry, nullopt at the end, or an error (the scan then ends failed or partial).
  virtual Result<std::optional<ldap::Entry>> next() = 0;
  // "ldaps://dc1...", "snapshot.ldif.gz", for the scan record.
  virtual std::string target() const = 0;
  // Context warnings from the source (e.g. an optional query it had to skip).
  virtual std::vector<std::string> warnings() const { return {}; }
};

struct Progress {
  std::string phase;  // "context", "objects", "finishing"
  std::size_t entries = 0;
  std::size_t objects = 0;
  double seconds = 0;
};

enum class ScanStatus { kRunning, kCompleted, kFailed, kPartial };
std::string_view scanStatusName(ScanStatus s);

// An object (or one rule on it) that could not be evaluated. The store leaves the findings it
// names as they were: the scan did not look, so their absence proves nothing.
struct ObjectError {
  std::string dn;
  std::string rule;  // empty: the object itself (e.g. unreadable descriptor)
  std::string message;
  std::string objectGuid;  // the object's identity in fingerprints; empty: the DN is
};

struct ScanSummary {
  ScanStatus status = ScanStatus::kRunning;
  std::string target;
  std::time_t started = 0;
  std::time_t finished = 0;
  std::size_t entriesRead = 0;
  std::size_t objectsScanned = 0;
  std::size_t findings = 0;
  std::vector<ObjectError> objectErrors;
  std::vector<std::string> warnings;
  std::string error;  // why the scan failed or is partial
  std::vector<std::string> rulesRun;  // enabled rules whose inputs were all read
  // What the scan account could not read (issue 14). Rules whose directory-wide inputs were not
  // all readable are left out of rulesRun; per-object gaps are held here, so the store resolves
  // none of those rules' findings on those objects.
  Coverage coverage;
  CoverageHolds coverageHolds;
};

struct ScanOptions {
  config::Config config;
  std::time_t now = 0;  // 0: the current time
  std::function<void(const Progress&)> progress;  // called every ~0.2 s and at phase changes
  // Asked before each entry: non-empty (why, e.g. "interrupted by SIGTERM") stops the scan there,
  // which then ends failed or partial like a source error.
  std::function<std::string()> interrupted;
};

using FindingSink = std::function<void(Finding&&)>;

// Runs the whole pipeline. Findings go to the sink as they are produced; the summary says how
// far the scan got. An error from the source ends the scan as failed (no object was evaluated
// yet) or partial (some were); the summary records it. An input that ends without the domain
// root, the schema or any user object (an empty file, one LDIF of several) is not a directory
// that has no findings: the scan is failed, naming what is missing (missingInput).
ScanSummary runScan(EntrySource& source, const ScanOptions& options, const FindingSink& sink);

// Collects the context from a source, stopping at (and returning) the first scanned object, for
// `explain`, which then looks for one object.
struct CollectedContext {
  std::unique_ptr<Context> context;
  std::optional<ldap::Entry> firstObject;  // the first scanned object, already read
};
Result<CollectedContext> collectContext(EntrySource& source, const ScanOptions& options);

// Turns one object's entry into findings with every enabled rule (used by runScan and explain).
// Rule errors are caught and reported through `errors`.
// With `coverage`, the object's inputs are checked too, and its coverage gaps go to `holds`.
void evaluateObject(const ldap::Entry& entry, const Context& ctx,
                    const std::vector<const rules::Rule*>& enabled_rules, const FindingSink& sink,
                    std::vector<ObjectError>& errors, Aggregates& agg,
                    CoverageTracker* coverage = nullptr, CoverageHolds* holds = nullptr);

// The rules [rules] enabled selects; an unknown id is a config error naming it.
Result<std::vector<const rules::Rule*>> enabledRules(const config::RulesConfig& rules);

// What a complete input holds, counted while it streams by.
struct InputCoverage {
  bool domainRoot = false;  // the domain NC head with its objectSid
  bool userClass = false;   // the schema's classSchema "user" (the schema was read)
  std::size_t objects = 0;  // scanned objects (a domain always has Administrator and krbtgt)
};
// Empty when complete; otherwise what is missing and how to fix it, for the scan's error.
std::string missingInput(const InputCoverage& coverage, const std::string& target);

// Entries the engine treats as scanned objects (objectClass user, incl. computer and
// inetOrgPerson).
bool isScannedObject(const ldap::Entry& entry);

}  // namespace adcheck::scan
