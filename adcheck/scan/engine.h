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

struct ObjectError {
  std::string dn;
  std::string rule;  // empty: the object itself (e.g. unreadable descriptor)
  std::string message;
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
};

struct ScanOptions {
  config::Config config;
  std::time_t now = 0;  // 0: the current time
  std::function<void(const Progress&)> progress;  // called every ~0.2 s and at phase changes
};

using FindingSink = std::function<void(Finding&&)>;

// Runs the whole pipeline. Findings go to the sink as they are produced; the summary says how
// far the scan got. An error from the source ends the scan as failed (no object was evaluated
// yet) or partial (some were); the summary records it.
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
void evaluateObject(const ldap::Entry& entry, const Context& ctx,
                    const std::vector<const rules::Rule*>& enabled_rules, const FindingSink& sink,
                    std::vector<ObjectError>& errors, Aggregates& agg);

// The rules [rules] enabled selects; an unknown id is a config error naming it.
Result<std::vector<const rules::Rule*>> enabledRules(const config::RulesConfig& rules);

// Entries the engine treats as scanned objects (objectClass user, incl. computer and
// inetOrgPerson).
bool isScannedObject(const ldap::Entry& entry);

}  // namespace adcheck::scan
