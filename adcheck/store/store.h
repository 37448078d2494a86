// The findings store (SPEC section 6): scans, findings with a lifecycle, exceptions (accepted
// risk), retention, and the queries the web dashboard and the reports need, behind one interface
// so that a PostgreSQL backend can follow the SQLite one (sqlite_store.h).
//
// Lifecycle rules (what people see in the "status" of a finding):
// - A finding's identity is its fingerprint (rule id + objectGUID, or the DN for objects without
//   one, + sub-key; scan::Finding::fingerprint()).
// - Only a *completed* scan changes the lifecycle. A failed or partial scan stores the findings it
//   did see (as seen in that scan, with the status they would have) but never resolves anything,
//   never creates or reopens a lifecycle and writes no events: it did not look at everything, so
//   it can neither prove that something went away nor be the first proof that something exists.
// - new:      first seen by this completed scan;
//   open:     seen by the previous completed scan that had it, and seen again;
//   resolved: not reported by a completed scan that ran the finding's rule (a scan that did not
//             run the rule proves nothing about it and leaves it alone);
//   reopened: seen again after a completed scan had resolved it (it stays "reopened" for that
//             scan only, then "open").
// - excepted: the finding is present but covered by an active exception. It keeps its lifecycle
//   underneath (first seen, new/open/resolved), is stored and listed with status "excepted", and is
//   counted apart from the severity counts: never silently dropped.
// - firstSeen is the earliest evidence: the first completed scan that saw the finding, or the
//   directory's own date of the condition where it has one (details.since of
//   ADM-ORPHANED-ADMINCOUNT, from replication metadata), whichever is earlier, so that even the
//   first scan shows ages.
// - Times are those of the scan (ScanSummary::started), so a re-run of an old snapshot or a test
//   with a fixed clock is dated consistently.
//
// Exceptions: either one fingerprint, or a rule id plus a DN glob (* ? [..], case-insensitive,
// matched against the whole DN, so "*,OU=Lab,DC=corp,DC=example,DC=com" covers that subtree).
// Reason and owner are required; an optional expiry date YYYY-MM-DD is the last day the exception
// applies (UTC): a scan that starts on the next day no longer applies it, and the finding's history
// records "exception-expired". A removed exception stops applying on the next scan likewise
// ("exception-removed"). When several match, a fingerprint exception wins over a rule+pattern one,
// then the oldest. Exception matching is evaluated at every scan, so an exception added today
// covers matching findings from the next scan on.
//
// Retention: after each completed scan (and on demand) scans beyond keep_scans, or older than
// keep_days, are deleted with their stored findings; the latest completed scan and running scans
// are always kept, and the lifecycle (identity, dates, events) of a finding that is not resolved is
// never deleted. Lifecycles of resolved findings go once no kept scan refers to them.
//
// One store holds one domain's history: a completed scan of another domain would resolve the
// first domain's findings. Use one store file per domain.
//
// A Store object is one database connection: use it from one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/core/error.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/model.h"

namespace adcheck::store {

// Finding statuses as stored and shown.
inline constexpr std::string_view kStatusNew = "new";
inline constexpr std::string_view kStatusOpen = "open";
inline constexpr std::string_view kStatusReopened = "reopened";
inline constexpr std::string_view kStatusResolved = "resolved";
inline constexpr std::string_view kStatusExcepted = "excepted";

// Event kinds in a finding's history.
inline constexpr std::string_view kEventNew = "new";
inline constexpr std::string_view kEventResolved = "resolved";
inline constexpr std::string_view kEventReopened = "reopened";
inline constexpr std::string_view kEventExcepted = "excepted";
inline constexpr std::string_view kEventExceptionExpired = "exception-expired";
inline constexpr std::string_view kEventExceptionRemoved = "exception-removed";
// The exception still applies but no longer covers the finding (e.g. the object moved OU).
inline constexpr std::string_view kEventExceptionUnmatched = "exception-no-longer-matches";

inline constexpr std::size_t kSeverityCount = 5;  // scan::Severity kInfo..kCritical
using SeverityCounts = std::array<std::int64_t, kSeverityCount>;

struct PageRequest {
  std::size_t limit = 50;
  std::size_t offset = 0;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::size_t total = 0;  // rows matching, over all pages
  std::size_t limit = 0;
  std::size_t offset = 0;
};

struct ScanRecord {
  std::int64_t id = 0;
  std::string target;
  std::time_t started = 0;
  std::time_t finished = 0;  // 0 while running
  scan::ScanStatus status = scan::ScanStatus::kRunning;
  std::int64_t entriesRead = 0;
  std::int64_t objectsRead = 0;
  std::int64_t findings = 0;       // stored for this scan, excepted ones included
  SeverityCounts bySeverity{};     // findings not excepted, indexed by scan::Severity
  std::int64_t excepted = 0;       // findings covered by an exception
  std::int64_t newFindings = 0;    // lifecycle changes this scan made (completed scans only)
  std::int64_t reopened = 0;
  std::int64_t resolved = 0;
  std::string error;               // why it failed or is partial
  std::string version;             // adcheck version that ran it
  std::vector<std::string> rules;  // rule ids run
  std::vector<std::string> warnings;
  std::string host;  // where the scanning process ran (to recognise an interrupted scan)
  std::int64_t pid = 0;
  std::string coverage;  // scan.coverage as JSON text; "" for scans stored before it existed
};

// What finishScan tells the caller about each finding it was given (same order).
struct FindingState {
  std::string status;  // new, open, reopened or excepted
  std::time_t firstSeen = 0;
  std::optional<std::int64_t> exceptionId;
};

// One finding as stored for one scan, with its lifecycle.
struct StoredFinding {
  std::int64_t scanId = 0;  // the scan the finding data comes from
  std::string fingerprint;
  scan::Finding finding;
  std::string status;              // new, open, reopened, excepted, resolved
  std::string lifecycle;           // new, open, reopened, resolved ("" never confirmed)
  std::time_t firstSeen = 0;       // earliest evidence (see the top of this file)
  std::time_t lastSeen = 0;        // last completed scan that saw it; 0: none yet
  std::time_t resolvedAt = 0;      // 0: not resolved
  std::optional<std::time_t> since;  // the directory's own date of the condition
  std::optional<std::int64_t> exceptionId;
};

enum class SortField { kSeverity, kRule, kDn, kSamAccountName, kFirstSeen, kStatus };
// "severity", "rule", "dn", "sam", "firstSeen", "status"
std::optional<SortField> parseSortField(std::string_view name);

struct FindingQuery {
  // The scan whose findings to list; nullopt: the current findings (latest completed scan).
  std::optional<std::int64_t> scanId;
  std::vector<std::string> rules;               // any of these rule ids (empty: all)
  std::vector<scan::Severity> severities;       // any of these (empty: all)
  // Any of new, open, reopened, excepted, resolved. Empty: all present findings (everything but
  // resolved). "resolved" lists the findings this scan resolved, with their last stored data.
  std::vector<std::string> statuses;
  std::string ouDn;  // subtree: the DN equals this or ends with ",<ouDn>" (case-insensitive)
  std::string text;  // substring of the DN, sAMAccountName or summary (case-insensitive)
  SortField sort = SortField::kSeverity;
  bool descending = true;
  PageRequest page;
};

struct RuleCount {
  std::string rule;
  scan::Severity severity = scan::Severity::kInfo;
  std::int64_t findings = 0;  // not excepted
  std::int64_t excepted = 0;
};

// Counts of one scan for trend charts.
struct TrendPoint {
  ScanRecord scan;
  std::vector<RuleCount> byRule;  // ordered by rule id, then severity
};

struct ScanDiff {
  ScanRecord from;
  ScanRecord to;
  std::vector<StoredFinding> added;       // in `to` only (data from `to`)
  std::vector<StoredFinding> removed;     // in `from` only (data from `from`)
  std::vector<StoredFinding> persisting;  // in both (data from `to`)
};

struct FindingEvent {
  std::int64_t scanId = 0;  // may name a scan retention has deleted since
  std::string event;        // kEvent*
  std::time_t at = 0;
  std::optional<std::int64_t> exceptionId;
};

struct Occurrence {
  std::int64_t scanId = 0;
  std::time_t scanStarted = 0;
  scan::ScanStatus scanStatus = scan::ScanStatus::kCompleted;
  scan::Severity severity = scan::Severity::kInfo;
  std::string status;  // as seen in that scan
  std::string dn;
  std::string summary;
};

struct FindingHistory {
  StoredFinding latest;                 // lifecycle + the most recent stored data
  std::vector<FindingEvent> events;     // oldest first
  std::vector<Occurrence> occurrences;  // kept scans that stored it, oldest first
};

struct ExceptionSpec {
  std::string fingerprint;  // either this ...
  std::string rule;         // ... or a rule id and a DN glob
  std::string dnPattern;
  std::string reason;
  std::string owner;
  std::string expires;  // "" or YYYY-MM-DD: the last day it applies (UTC)
};

struct ExceptionRecord {
  std::int64_t id = 0;
  ExceptionSpec spec;
  std::time_t created = 0;
  std::time_t expiresAt = 0;  // first second it no longer applies; 0: never expires
  std::time_t removedAt = 0;  // 0: not removed
  // "active", "expired" or "removed" at `when`.
  std::string state(std::time_t when) const;
  bool appliesAt(std::time_t when) const { return state(when) == "active"; }
  // Whether it covers a finding (ignoring time): fingerprint equality, or rule id (case-insensitive)
  // and the DN glob (case-insensitive, whole DN).
  bool matches(const std::string& fingerprint, const std::string& rule, const std::string& dn) const;
};

struct Retention {
  int keepScans = 100;  // 0: no count limit
  int keepDays = 0;     // 0: no age limit
};

struct PruneResult {
  std::int64_t scansDeleted = 0;
  std::int64_t lifecyclesDeleted = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- writing scans ----------------------------------------------------------------------------
  // Records a running scan and commits at once, so other processes (the web) see it. A scan left
  // "running" by a process of this host that no longer exists is marked failed ("interrupted") here.
  virtual Result<std::int64_t> beginScan(const std::string& target,
                                         const std::vector<std::string>& rules) = 0;
  // Writes the summary, every finding and the lifecycle in one transaction, then applies the
  // retention. On error nothing of it is written (the scan stays "running" until the next
  // beginScan notices the process is gone). Returns each finding's status, in input order.
  virtual Result<std::vector<FindingState>> finishScan(std::int64_t id,
                                                       const scan::ScanSummary& summary,
                                                       const std::vector<scan::Finding>& findings) = 0;

  // Marks a running scan failed with `error`, storing nothing of it: for a scan whose writing
  // failed (a full disk) and will not be retried, or that could not start (the connect failed), so
  // it is not later taken for "interrupted". A scan no longer running is left as it is.
  virtual Result<void> failScan(std::int64_t id, const std::string& error) = 0;

  // --- scans ------------------------------------------------------------------------------------
  virtual Result<Page<ScanRecord>> listScans(const PageRequest& page) = 0;  // newest first
  virtual Result<ScanRecord> scanById(std::int64_t id) = 0;                // kNotFound if unknown
  // The newest scan (completed_only: the newest completed one); nullopt when there is none.
  virtual Result<std::optional<ScanRecord>> latestScan(bool completed_only) = 0;

  // --- findings ---------------------------------------------------------------------------------
  virtual Result<Page<StoredFinding>> findings(const FindingQuery& query) = 0;
  // Counts by severity and rule of the newest `last_scans` scans (completed_only: completed ones),
  // oldest first.
  virtual Result<std::vector<TrendPoint>> trend(std::size_t last_scans, bool completed_only) = 0;
  virtual Result<ScanDiff> diff(std::int64_t from_scan, std::int64_t to_scan) = 0;
  virtual Result<FindingHistory> history(const std::string& fingerprint) = 0;
  // The findings of one object, by objectGUID or DN (case-insensitive): present ones (latest
  // completed scan) and resolved ones still in the history.
  virtual Result<std::vector<StoredFinding>> objectFindings(const std::string& guid_or_dn) = 0;

  // --- exceptions -------------------------------------------------------------------------------
  virtual Result<std::int64_t> addException(const ExceptionSpec& spec, std::time_t now) = 0;
  virtual Result<std::vector<ExceptionRecord>> listExceptions(bool include_inactive,
                                                              std::time_t now) = 0;
  virtual Result<void> removeException(std::int64_t id, std::time_t now) = 0;

  // --- retention --------------------------------------------------------------------------------
  virtual Result<PruneResult> prune(const Retention& retention, std::time_t now) = 0;
};

// --- helpers shared by backends and commands ------------------------------------------------------

// Validates an exception before it is stored: exactly one of fingerprint or rule + pattern, a
// well-formed glob, reason and owner present, a real calendar date not already past at `now`.
// Returns the expiry as the first second it no longer applies (0: none).
Result<std::time_t> validateException(const ExceptionSpec& spec, std::time_t now);

// "YYYY-MM-DD" -> the first second of the following day (UTC).
Result<std::time_t> parseExpiryDate(const std::string& text);

// A directory date as found in details (ISO 8601 "2024-01-02T03:04:05Z" from replication metadata,
// or generalized time "20240102030405.0Z"); nullopt when neither.
std::optional<std::time_t> parseDirectoryTime(const std::string& text);

// True when status is one of new, open, reopened, excepted, resolved.
bool isKnownStatus(std::string_view status);

}  // namespace adcheck::store
