// The Store in portable SQL over Poco::Data. Writing a scan is one transaction and its one hot
// path (SPEC 9: a million findings in seconds): new finding identities and the scan's rows go in
// through the backend's bulk insert, details texts are stored once per distinct text (referenced
// by a content key), and the lifecycle of findings seen before is moved on by a few set-based
// statements rather than one per finding, skipped when the identities in memory show there is
// nothing for them to do (a first scan).
#include "adcheck/store/sql_store.h"

#include <Poco/Data/Statement.h>
#include <Poco/Environment.h>
#include <Poco/Glob.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/Nullable.h>
#include <Poco/String.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>
#include <variant>

#include "adcheck/scan/dn.h"
#include "adcheck/store/schema.h"

#ifndef ADCHECK_VERSION
#define ADCHECK_VERSION "unknown"
#endif

namespace adcheck::store {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using NullableInt = Poco::Nullable<Int64>;
using Param = std::variant<Int64, std::string>;

constexpr std::size_t kProgressEvery = 4096;  // rows between writeProgress calls

std::string lowerAscii(std::string_view s) { return scan::dnKey(s); }

// Text for LIKE with '\' as the escape character.
std::string likeEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

std::string jsonArray(const std::vector<std::string>& values) {
  Poco::JSON::Array a;
  for (const auto& v : values) a.add(v);
  std::ostringstream out;
  a.stringify(out);
  return out.str();
}

std::vector<std::string> parseJsonArray(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  try {
    auto a = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->get(i).toString());
  } catch (const Poco::Exception&) {
    out.push_back(text);  // a hand-edited row: show it rather than lose it
  }
  return out;
}

Poco::JSON::Object::Ptr parseDetails(const std::string& text) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("unparsed", text);
    return o;
  }
}

std::string objectErrorsJson(const std::vector<scan::ObjectError>& errors) {
  Poco::JSON::Array a;
  for (const auto& e : errors) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("dn", e.dn);
    if (!e.rule.empty()) o->set("rule", e.rule);
    o->set("error", e.message);
    a.add(o);
  }
  std::ostringstream out;
  a.stringify(out);
  return out.str();
}

// scan.coverage as stored: '' when the summary has none (a scan that never reached the objects).
std::string coverageJson(const scan::ScanSummary& summary) {
  if (summary.coverage.rules.empty() && !summary.coverage.computed) return "";
  std::ostringstream out;
  summary.coverage.toJson()->stringify(out);
  return out.str();
}

scan::ScanStatus parseScanStatus(const std::string& s) {
  for (auto st : {scan::ScanStatus::kRunning, scan::ScanStatus::kCompleted,
                  scan::ScanStatus::kFailed, scan::ScanStatus::kPartial})
    if (scan::scanStatusName(st) == s) return st;
  return scan::ScanStatus::kFailed;
}

scan::Severity severityOf(Int64 v) {
  return static_cast<scan::Severity>(std::clamp<Int64>(v, 0, kSeverityCount - 1));
}

NullableInt nullableId(std::int64_t v) { return v == 0 ? NullableInt() : NullableInt(v); }

// Display status of a stored finding (column expressions shared by every query).
constexpr std::string_view kStatusExpr =
    "CASE WHEN sf.exception_id IS NOT NULL THEN 'excepted' ELSE sf.lifecycle END";
constexpr std::string_view kResolvedStatusExpr = "'resolved'";
// Earliest evidence: the directory's date of the condition or the first completed scan that saw
// it (the scan's own start while no completed scan has).
constexpr std::string_view kFirstSeenExpr =
    "CASE WHEN l.since IS NOT NULL AND l.since < COALESCE(l.first_seen, s.started) THEN l.since "
    "ELSE COALESCE(l.first_seen, s.started) END";

// A finding's fingerprint (prefix: the table alias with its dot, or empty). The identity of a
// finding about an object with a GUID stores '' instead of its fingerprint: rule|objectGUID
// [|sub-key] (scan::Finding::fingerprint) repeats three columns of the same row, ~70 of its
// ~210 bytes. Fingerprints keyed by a DN are stored as they are.
std::string fingerprintExpr(std::string_view prefix) {
  const std::string p(prefix);
  return "CASE WHEN " + p + "fingerprint <> '' THEN " + p + "fingerprint WHEN " + p +
         "sub_key = '' THEN " + p + "rule || '|' || " + p + "object_guid ELSE " + p +
         "rule || '|' || " + p + "object_guid || '|' || " + p + "sub_key END";
}

// True when the stored identity can leave the fingerprint to fingerprintExpr.
bool fingerprintDerivable(const scan::Finding& f) { return !f.objectGuid.empty(); }

// The columns every finding query returns, in FindingColumns order.
std::string occurrenceSelect(std::string_view status_expr) {
  return "SELECT sf.scan_id AS scan_id, " + fingerprintExpr("l.") +
         " AS fingerprint, l.rule AS rule,"
         " sf.severity AS severity, sf.dn AS dn, l.object_guid AS object_guid,"
         " l.object_sid AS object_sid, sf.sam AS sam, sf.summary AS summary,"
         " d.body AS details, COALESCE(r.body, '') AS remediation, l.sub_key AS sub_key, " +
         std::string(status_expr) + " AS status, COALESCE(l.status, '') AS lifecycle, " +
         std::string(kFirstSeenExpr) +
         " AS first_seen_at, COALESCE(l.last_seen, 0) AS last_seen,"
         " COALESCE(l.resolved_at, 0) AS resolved_at, COALESCE(l.since, 0) AS since,"
         " COALESCE(sf.exception_id, 0) AS exception_id"
         " FROM scan_findings sf"
         " JOIN findings l ON l.id = sf.finding_id"
         " JOIN scans s ON s.id = sf.scan_id"
         " JOIN finding_details d ON d.id = sf.details_id"
         " LEFT JOIN remediations r ON r.id = sf.remediation_id";
}

constexpr std::string_view kOuterColumns =
    "t.scan_id, t.fingerprint, t.rule, t.severity, t.dn, t.object_guid, t.object_sid, t.sam,"
    " t.summary, t.details, t.remediation, t.sub_key, t.status, t.lifecycle, t.first_seen_at,"
    " t.last_seen, t.resolved_at, t.since, t.exception_id";

// Column vectors for extracting finding rows.
struct FindingColumns {
  std::vector<Int64> scanId, severity, firstSeen, lastSeen, resolvedAt, since, exceptionId;
  std::vector<std::string> fingerprint, rule, dn, guid, sid, sam, summary, details, remediation,
      subKey, status, lifecycle;

  void bindTo(Poco::Data::Statement& st) {
    st, into(scanId), into(fingerprint), into(rule), into(severity), into(dn), into(guid),
        into(sid), into(sam), into(summary), into(details), into(remediation), into(subKey),
        into(status), into(lifecycle), into(firstSeen), into(lastSeen), into(resolvedAt),
        into(since), into(exceptionId);
  }

  std::vector<StoredFinding> rows() const {
    std::vector<StoredFinding> out;
    out.reserve(scanId.size());
    for (std::size_t i = 0; i < scanId.size(); ++i) {
      StoredFinding f;
      f.scanId = scanId[i];
      f.fingerprint = fingerprint[i];
      f.finding.rule = rule[i];
      f.finding.severity = severityOf(severity[i]);
      f.finding.dn = dn[i];
      f.finding.objectGuid = guid[i];
      f.finding.objectSid = sid[i];
      f.finding.samAccountName = sam[i];
      f.finding.summary = summary[i];
      f.finding.details = parseDetails(details[i]);
      f.finding.remediation = remediation[i];
      f.finding.key = subKey[i];
      f.status = status[i];
      f.lifecycle = lifecycle[i];
      f.firstSeen = firstSeen[i];
      f.lastSeen = lastSeen[i];
      f.resolvedAt = resolvedAt[i];
      if (since[i] != 0) f.since = since[i];
      if (exceptionId[i] != 0) f.exceptionId = exceptionId[i];
      out.push_back(std::move(f));
    }
    return out;
  }
};

// Exceptions active at a scan's time, compiled once for matching every finding.
class ExceptionMatcher {
 public:
  ExceptionMatcher(const std::vector<ExceptionRecord>& all, std::time_t when) {
    for (const auto& e : all) {
      if (!e.appliesAt(when)) continue;
      if (!e.spec.fingerprint.empty()) {
        byFingerprint_.emplace(lowerAscii(e.spec.fingerprint), e.id);  // first (oldest) wins
      } else {
        try {
          patterns_.push_back({e.id, e.spec.rule,
                               std::make_unique<Poco::Glob>(e.spec.dnPattern,
                                                            Poco::Glob::GLOB_CASELESS)});
        } catch (const Poco::Exception&) {
          // refused by validateException; a hand-edited row must not stop a scan
        }
      }
    }
  }
  // The exception covering a finding, 0 when none.
  std::int64_t match(std::string_view fingerprint, const std::string& rule, const std::string& dn) {
    if (!byFingerprint_.empty()) {
      if (auto it = byFingerprint_.find(lowerAscii(fingerprint)); it != byFingerprint_.end())
        return it->second;
    }
    for (auto& p : patterns_)
      if (ldap::iequals(p.rule, rule) && p.glob->match(dn)) return p.id;
    return 0;
  }

 private:
  struct Pattern {
    std::int64_t id;
    std::string rule;
    std::unique_ptr<Poco::Glob> glob;  // not copyable
  };
  std::unordered_map<std::string, std::int64_t> byFingerprint_;
  std::vector<Pattern> patterns_;
};

class SqlStore final : public Store {
 public:
  SqlStore(Poco::Data::Session session, std::unique_ptr<Dialect> dialect, SqlStoreOptions options)
      : session_(std::move(session)), dialect_(std::move(dialect)), options_(std::move(options)) {
    if (options_.adcheckVersion.empty()) options_.adcheckVersion = ADCHECK_VERSION;
  }

  Result<void> migrate();

  Result<std::int64_t> beginScan(const std::string& target,
                                 const std::vector<std::string>& rules) override;
  Result<void> failScan(std::int64_t id, const std::string& error) override;
  Result<std::vector<FindingState>> finishScan(std::int64_t id, const scan::ScanSummary& summary,
                                               const std::vector<scan::Finding>& findings) override;
  Result<Page<ScanRecord>> listScans(const PageRequest& page) override;
  Result<ScanRecord> scanById(std::int64_t id) override;
  Result<std::optional<ScanRecord>> latestScan(bool completed_only) override;
  Result<Page<StoredFinding>> findings(const FindingQuery& query) override;
  Result<std::vector<TrendPoint>> trend(std::size_t last_scans, bool completed_only) override;
  Result<ScanDiff> diff(std::int64_t from_scan, std::int64_t to_scan) override;
  Result<FindingHistory> history(const std::string& fingerprint) override;
  Result<std::vector<StoredFinding>> objectFindings(const std::string& guid_or_dn) override;
  Result<std::int64_t> addException(const ExceptionSpec& spec, std::time_t now) override;
  Result<std::vector<ExceptionRecord>> listExceptions(bool include_inactive,
                                                      std::time_t now) override;
  Result<void> removeException(std::int64_t id, std::time_t now) override;
  Result<PruneResult> prune(const Retention& retention, std::time_t now) override;

 private:
  // A transaction that rolls back unless committed (also when an exception unwinds through it).
  class Transaction {
   public:
    Transaction(SqlStore& store, std::string_view begin) : store_(store) {
      store_.exec(std::string(begin));
      open_ = true;
    }
    ~Transaction() {
      if (!open_) return;
      try {
        store_.exec("ROLLBACK");
      } catch (...) {
        // the connection is gone or the transaction already ended; nothing left to undo
      }
    }
    void commit() {
      store_.exec("COMMIT");
      open_ = false;
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

   private:
    SqlStore& store_;
    bool open_ = false;
  };

  // Runs body, turning connector exceptions into errors that name the database.
  template <class F>
  auto guarded(const std::string& doing, F&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const Poco::Exception& e) {
      return fail(dialect_->translate(e, doing));
    } catch (const std::exception& e) {
      return fail(ErrorCode::kStore, options_.location + ": " + doing + ": " + e.what());
    }
  }

  void exec(const std::string& sql) { session_ << sql, now; }

  Poco::Data::Statement prepare(const std::string& sql, const std::vector<Param>& params) {
    Poco::Data::Statement st(session_);
    st << sql;
    for (const auto& p : params) std::visit([&](const auto& v) { st, bind(v); }, p);
    return st;
  }

  Int64 scalar(const std::string& sql, const std::vector<Param>& params = {}) {
    Int64 v = 0;
    auto st = prepare(sql, params);
    st, into(v);
    st.execute();
    return v;
  }

  std::vector<ScanRecord> loadScans(const std::string& tail, const std::vector<Param>& params);
  std::optional<ScanRecord> findScan(std::int64_t id);
  std::optional<std::int64_t> latestCompletedId();
  std::optional<std::int64_t> previousCompletedId(std::int64_t id);
  std::vector<ExceptionRecord> loadExceptions();
  std::vector<StoredFinding> selectFindings(const std::string& sql, const std::vector<Param>& params);
  Error unknownScan(std::int64_t id) const {
    return Error{ErrorCode::kNotFound,
                 "scan " + std::to_string(id) + " does not exist in " + options_.location,
                 "adcheck scans list shows the scans kept (retention deletes old ones)"};
  }
  void markInterruptedScans(std::time_t now);
  PruneResult pruneLocked(const Retention& retention, std::time_t now);

  Poco::Data::Session session_;
  std::unique_ptr<Dialect> dialect_;
  SqlStoreOptions options_;
  std::string host_ = Poco::Environment::nodeName();
};

// --- migrations ----------------------------------------------------------------------------------

std::string withDialect(std::string_view sql, const Dialect& d) {
  std::string out(sql);
  for (std::size_t at = out.find("{id}"); at != std::string::npos; at = out.find("{id}", at))
    out.replace(at, 4, d.autoIdColumn());
  constexpr std::string_view kWithoutRowid = "{without_rowid}";
  if (auto at = out.find(kWithoutRowid); at != std::string::npos)
    out.replace(at, kWithoutRowid.size(), d.withoutRowid());
  return out;
}

Result<void> SqlStore::migrate() {
  return guarded("upgrading the schema", [&]() -> Result<void> {
    exec(std::string(kCreateVersionTable));
    const int latest = latestSchemaVersion();
    const int current = static_cast<int>(scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    if (current > latest)
      return fail(ErrorCode::kStore,
                  options_.location + " has schema version " + std::to_string(current) +
                      ", newer than this adcheck understands (" + std::to_string(latest) + ")",
                  "use the adcheck version that wrote it, or a newer one");
    for (const auto& m : migrations()) {
      if (m.version <= current) continue;
      Transaction tx(*this, dialect_->beginWrite());
      // Another process may have applied it while this one waited for the lock.
      if (scalar("SELECT COUNT(*) FROM schema_version WHERE version = ?", {Int64{m.version}}) > 0)
        continue;
      for (auto sql : m.statements) exec(withDialect(sql, *dialect_));
      auto st = prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                        {Int64{m.version}, std::string(m.description), Int64{std::time(nullptr)}});
      st.execute();
      tx.commit();
    }
    return {};
  });
}

// --- scans ---------------------------------------------------------------------------------------

constexpr std::string_view kScanColumns =
    "id, target, started, COALESCE(finished, 0), status, entries_read, objects_read, findings,"
    " count_info, count_low, count_medium, count_high, count_critical, count_excepted, count_new,"
    " count_reopened, count_resolved, error, version, rules, warnings, host, pid, coverage";

std::vector<ScanRecord> SqlStore::loadScans(const std::string& tail,
                                            const std::vector<Param>& params) {
  std::vector<Int64> id, started, finished, entries, objects, findings, info, low, medium, high,
      critical, excepted, added, reopened, resolved, pid;
  std::vector<std::string> target, status, error, version, rules, warnings, host, coverage;
  auto st = prepare("SELECT " + std::string(kScanColumns) + " FROM scans " + tail, params);
  st, into(id), into(target), into(started), into(finished), into(status), into(entries),
      into(objects), into(findings), into(info), into(low), into(medium), into(high),
      into(critical), into(excepted), into(added), into(reopened), into(resolved), into(error),
      into(version), into(rules), into(warnings), into(host), into(pid), into(coverage);
  st.execute();
  std::vector<ScanRecord> out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    ScanRecord r;
    r.id = id[i];
    r.target = target[i];
    r.started = started[i];
    r.finished = finished[i];
    r.status = parseScanStatus(status[i]);
    r.entriesRead = entries[i];
    r.objectsRead = objects[i];
    r.findings = findings[i];
    r.bySeverity = {info[i], low[i], medium[i], high[i], critical[i]};
    r.excepted = excepted[i];
    r.newFindings = added[i];
    r.reopened = reopened[i];
    r.resolved = resolved[i];
    r.error = error[i];
    r.version = version[i];
    r.rules = parseJsonArray(rules[i]);
    r.warnings = parseJsonArray(warnings[i]);
    r.host = host[i];
    r.pid = pid[i];
    r.coverage = coverage[i];
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<ScanRecord> SqlStore::findScan(std::int64_t id) {
  auto v = loadScans("WHERE id = ?", {Int64{id}});
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

std::optional<std::int64_t> SqlStore::latestCompletedId() {
  auto v = scalar("SELECT COALESCE(MAX(id), 0) FROM scans WHERE status = 'completed'");
  if (v == 0) return std::nullopt;
  return v;
}

std::optional<std::int64_t> SqlStore::previousCompletedId(std::int64_t id) {
  auto v = scalar("SELECT COALESCE(MAX(id), 0) FROM scans WHERE status = 'completed' AND id < ?",
                  {Int64{id}});
  if (v == 0) return std::nullopt;
  return v;
}

void SqlStore::markInterruptedScans(std::time_t now) {
  std::vector<Int64> id, pid;
  auto st = prepare("SELECT id, pid FROM scans WHERE status = 'running' AND host = ?", {host_});
  st, into(id), into(pid);
  st.execute();
  for (std::size_t i = 0; i < id.size(); ++i) {
    // kill(pid, 0) fails with ESRCH only when no such process exists (a zombie still counts).
    if (pid[i] <= 0 || pid[i] == getpid() || ::kill(static_cast<pid_t>(pid[i]), 0) == 0 ||
        errno != ESRCH)
      continue;
    auto up = prepare(
        "UPDATE scans SET status = 'failed', finished = ?, error = ? WHERE id = ? AND status = 'running'",
        {Int64{now},
         "interrupted: process " + std::to_string(pid[i]) + " on " + host_ +
             " ended before the scan was saved; nothing of it was stored",
         id[i]});
    up.execute();
  }
}

Result<std::int64_t> SqlStore::beginScan(const std::string& target,
                                         const std::vector<std::string>& rules) {
  return guarded("recording the start of a scan", [&]() -> Result<std::int64_t> {
    const std::time_t now = std::time(nullptr);
    Transaction tx(*this, dialect_->beginWrite());
    markInterruptedScans(now);
    auto st = prepare(
        "INSERT INTO scans (target, started, status, version, rules, host, pid)"
        " VALUES (?, ?, 'running', ?, ?, ?, ?)",
        {target, Int64{now}, options_.adcheckVersion, jsonArray(rules), host_, Int64{getpid()}});
    st.execute();
    // Under the write lock no other writer can have inserted since.
    auto id = scalar("SELECT MAX(id) FROM scans");
    tx.commit();
    return id;
  });
}

// --- writing a scan ------------------------------------------------------------------------------

// The key under which a details text is stored once (finding_details): two independent hashes,
// murmur (std::hash) and zlib's CRC-32 with the length, so that two texts are taken as equal only
// when 64 + 32 bits and the length agree (a false match among a billion distinct texts has odds
// of about 1 in 10^10). Never 0/0, which marks texts carried over from schema 2.
struct ContentKey {
  std::int64_t hash = 0;
  std::int64_t check = 0;
};

ContentKey contentKey(std::string_view text) {
  const auto h = std::hash<std::string_view>{}(text);
  const auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(text.data()),
                           static_cast<uInt>(text.size()));
  return {static_cast<std::int64_t>(h),
          static_cast<std::int64_t>((static_cast<std::uint64_t>(text.size()) << 32) | crc) | 1};
}

struct Identity {
  std::int64_t id = 0;
  std::string status;  // "" until a completed scan saw it
  std::time_t firstSeen = 0;
  std::time_t since = 0;
  std::int64_t exceptedBy = 0;
};

// Details as JSON text, as Poco's Stringifier writes it but into one string: the Stringifier
// writes strings to an ostream a character at a time, which made serialising details (a 2 KB
// base64 descriptor in a third of them) the slowest step of writing a big scan. Containers,
// strings, integers and booleans are written here; anything else goes through Poco.
void appendJson(std::string& out, const Poco::Dynamic::Var& v);

// True when JSON needs no escape in s: no control character, quote, backslash or non-ASCII byte
// (non-ASCII goes through Poco, which knows its UTF-8 options). Eight bytes at a time, since
// base64 descriptors make up most of the text.
bool jsonPlain(const std::string& s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // high bit set, a byte below 0x20, a '"' or a '\\'
    if (((w | (((w & ~kHigh) + 0x6060606060606060ull) ^ kHigh)) & kHigh) != 0 ||
        zero_byte(w ^ (kOnes * '"')) != 0 || zero_byte(w ^ (kOnes * '\\')) != 0)
      return false;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return false;
  }
  return true;
}

void appendJsonString(std::string& out, const std::string& s) {
  if (jsonPlain(s)) {  // the usual case, base64 and DNs included: one append
    out += '"';
    out += s;
    out += '"';
  } else {
    out += Poco::toJSON(s, Poco::JSON_WRAP_STRINGS);
  }
}

void appendJson(std::string& out, const Poco::Dynamic::Var& v) {
  const auto& type = v.type();
  if (type == typeid(Poco::JSON::Object::Ptr)) {
    const auto& o = v.extract<Poco::JSON::Object::Ptr>();
    if (o.isNull()) {
      out += "null";
      return;
    }
    // Object::get copies the value (a 2 KB descriptor string each time): the values are read
    // in place from the map, and written in insertion order as the Stringifier does.
    const auto names = o->getNames();
    std::vector<const Poco::Dynamic::Var*> values(names.size(), nullptr);
    for (auto it = o->begin(); it != o->end(); ++it)
      for (std::size_t k = 0; k < names.size(); ++k)
        if (values[k] == nullptr && names[k] == it->first) {
          values[k] = &it->second;
          break;
        }
    out += '{';
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (k > 0) out += ',';
      appendJsonString(out, names[k]);
      out += ':';
      if (values[k] != nullptr) appendJson(out, *values[k]);
      else out += "null";
    }
    out += '}';
  } else if (type == typeid(Poco::JSON::Array::Ptr)) {
    const auto& a = v.extract<Poco::JSON::Array::Ptr>();
    if (a.isNull()) {
      out += "null";
      return;
    }
    out += '[';
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i > 0) out += ',';
      appendJson(out, a->get(static_cast<unsigned>(i)));
    }
    out += ']';
  } else if (type == typeid(std::string)) {
    appendJsonString(out, v.extract<std::string>());
  } else if (v.isEmpty()) {
    out += "null";
  } else if (v.isBoolean()) {
    out += v.convert<bool>() ? "true" : "false";
  } else if (v.isInteger()) {
    out += v.isSigned() ? std::to_string(v.convert<Poco::Int64>())
                        : std::to_string(v.convert<Poco::UInt64>());
  } else {
    std::ostringstream s;
    Poco::JSON::Stringifier::stringify(v, s);
    out += s.str();
  }
}

std::string detailsJson(const Poco::JSON::Object::Ptr& details) {
  if (details.isNull()) return "{}";
  std::string out;
  out.reserve(256);
  appendJson(out, Poco::Dynamic::Var(details));
  return out;
}

// A chunk of findings prepared off the writing thread: everything per finding that needs no
// shared state (fingerprint and its hash, details as JSON text and its content key, the
// directory's date in details.since), so that the writing thread only decides and inserts.
// Fingerprints are kept end to end in one string: a million heap strings cost as much to free
// after the commit as to build.
struct PreparedChunk {
  std::string fingerprintText;
  std::vector<std::uint32_t> fingerprintEnd;
  std::vector<std::size_t> fingerprintHash;
  std::vector<std::string> details;
  std::vector<ContentKey> keys;
  std::vector<std::time_t> since;  // 0: none

  std::string_view fingerprint(std::size_t k) const {
    const std::uint32_t begin = k == 0 ? 0 : fingerprintEnd[k - 1];
    return std::string_view(fingerprintText).substr(begin, fingerprintEnd[k] - begin);
  }
};

constexpr std::size_t kChunk = 16384;

PreparedChunk prepareChunk(const std::vector<scan::Finding>& findings, std::size_t begin,
                           std::size_t end) {
  PreparedChunk out;
  out.fingerprintText.reserve((end - begin) * 80);
  out.fingerprintEnd.reserve(end - begin);
  out.fingerprintHash.reserve(end - begin);
  out.details.reserve(end - begin);
  out.keys.reserve(end - begin);
  out.since.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const auto& f = findings[i];
    const std::size_t at = out.fingerprintText.size();
    out.fingerprintText += f.fingerprint();
    out.fingerprintEnd.push_back(static_cast<std::uint32_t>(out.fingerprintText.size()));
    out.fingerprintHash.push_back(
        std::hash<std::string_view>{}(std::string_view(out.fingerprintText).substr(at)));
    out.details.push_back(detailsJson(f.details));
    out.keys.push_back(contentKey(out.details.back()));
    std::time_t since = 0;
    if (f.details && f.details->has("since"))
      if (auto t = parseDirectoryTime(f.details->get("since").toString())) since = *t;
    out.since.push_back(since);
  }
  return out;
}

// Distinct fingerprints (a scan's, or the stored identities'), in the order first seen: open
// addressing over precomputed hashes, one allocation for a million entries.
class FingerprintSet {
 public:
  explicit FingerprintSet(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    keys_.reserve(expected);
  }
  // The index of fingerprint among those inserted, and whether it was new. `fingerprint` must
  // outlive the set; at most `expected` distinct ones are inserted.
  std::pair<std::size_t, bool> insert(std::string_view fingerprint, std::size_t hash) {
    for (std::size_t at = hash & mask_;; at = (at + 1) & mask_) {
      Slot& slot = slots_[at];
      if (slot.index == 0) {
        keys_.push_back(fingerprint);
        slot = Slot{hash, keys_.size()};
        return {keys_.size() - 1, true};
      }
      if (slot.hash == hash && keys_[slot.index - 1] == fingerprint) return {slot.index - 1, false};
    }
  }
  // The index of fingerprint, if inserted.
  std::optional<std::size_t> find(std::string_view fingerprint, std::size_t hash) const {
    for (std::size_t at = hash & mask_;; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (slot.index == 0) return std::nullopt;
      if (slot.hash == hash && keys_[slot.index - 1] == fingerprint) return slot.index - 1;
    }
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    std::size_t index = 0;  // 1-based into keys_; 0: empty
  };
  std::vector<Slot> slots_;  // at most half full: sized for every key it will hold
  std::vector<std::string_view> keys_;
  std::size_t mask_ = 0;
};

// Per rule seen in a scan: its counts by severity and the remediation text it last gave (findings
// of one rule almost always share it), so that neither needs a look-up by text per finding.
struct RuleTally {
  std::string_view rule;
  std::array<std::pair<Int64, Int64>, 5> counts{};  // by severity: findings, excepted
  const std::string* remediationText = nullptr;
  Int64 remediationId = 0;
};

// Identities of findings a completed scan must leave as they were because it could not evaluate
// their object (or the finding's rule on it): a finding is resolved only when its object was read
// and evaluated without error by its rule. Walks the stored identities only when there are such
// errors, so a clean scan pays nothing.
// Coverage holds (issue 14) work the same way: a finding whose rule could not read its inputs
// on the object is not resolved.
std::vector<std::int64_t> heldIdentities(const std::vector<scan::ObjectError>& errors,
                                         const scan::CoverageHolds& holds,
                                         const std::vector<std::string>& fingerprints,
                                         const FingerprintSet& index,
                                         const std::vector<Identity>& identities) {
  std::set<std::string, std::less<>> objects;       // object key: objectGUID, else the DN key
  std::set<std::string, std::less<>> rule_objects;  // "rule|object key"
  for (const auto& e : errors) {
    if (e.dn.empty() && e.objectGuid.empty()) continue;  // a domain rule: not in rulesRun
    std::string key = e.objectGuid.empty() ? scan::dnKey(e.dn) : e.objectGuid;
    if (e.rule.empty())
      objects.insert(std::move(key));
    else
      rule_objects.insert(e.rule + '|' + key);
  }
  std::vector<std::int64_t> out;
  if (objects.empty() && rule_objects.empty() && holds.empty()) return out;
  std::unordered_map<std::string_view, std::size_t> rule_bit;
  for (std::size_t i = 0; i < holds.rules.size() && i < 64; ++i) rule_bit[holds.rules[i]] = i;
  auto coverage_held = [&](std::string_view rule, std::string_view object) {
    if (holds.empty()) return false;
    auto bit = rule_bit.find(rule);
    if (bit == rule_bit.end()) return false;
    auto it = holds.objects.find(std::string(object));
    return it != holds.objects.end() && (it->second & (std::uint64_t{1} << bit->second)) != 0;
  };
  for (const auto& fp : fingerprints) {
    // fingerprint = rule|object[|sub-key]; a DN may itself hold '|', so every split is tried.
    const auto rule_end = fp.find('|');
    if (rule_end == std::string::npos) continue;
    bool held = false;
    for (auto end = fp.find('|', rule_end + 1);; end = fp.find('|', end + 1)) {
      const std::string_view view(fp);
      const auto stop = end == std::string::npos ? fp.size() : end;
      const auto object = view.substr(rule_end + 1, stop - rule_end - 1);
      if (objects.contains(object) || rule_objects.contains(view.substr(0, stop)) ||
          coverage_held(view.substr(0, rule_end), object)) {
        held = true;
        break;
      }
      if (end == std::string::npos) break;
    }
    if (!held) continue;
    if (auto at = index.find(fp, std::hash<std::string_view>{}(fp))) {
      const auto& ident = identities[*at];
      if (ident.status == kStatusNew || ident.status == kStatusOpen ||
          ident.status == kStatusReopened)
        out.push_back(ident.id);
    }
  }
  return out;
}

Result<void> SqlStore::failScan(std::int64_t id, const std::string& error) {
  return guarded("recording that scan " + std::to_string(id) + " failed", [&]() -> Result<void> {
    // One small row update: it usually still fits where the scan's findings did not.
    auto up = prepare(
        "UPDATE scans SET status = 'failed', finished = ?, error = ? WHERE id = ? AND status = "
        "'running'",
        {Int64{std::time(nullptr)}, error, Int64{id}});
    up.execute();
    return {};
  });
}

// The lifecycle status a completed scan gives a finding it sees.
std::string_view lifecycleAfter(const Identity* ident) {
  if (ident == nullptr || ident->status.empty()) return kStatusNew;
  return ident->status == kStatusResolved ? kStatusReopened : kStatusOpen;
}

Result<std::vector<FindingState>> SqlStore::finishScan(std::int64_t id,
                                                       const scan::ScanSummary& summary,
                                                       const std::vector<scan::Finding>& findings) {
  return guarded("writing scan " + std::to_string(id), [&]() -> Result<std::vector<FindingState>> {
    // Destroyed after tx (declared before it): the backend's settings return after COMMIT or
    // ROLLBACK.
    struct ScanWrite {
      SqlStore& store;
      explicit ScanWrite(SqlStore& s) : store(s) { store.dialect_->beforeScanWrite(store.session_); }
      ~ScanWrite() {
        try {
          store.dialect_->afterScanWrite(store.session_);
        } catch (...) {
          // the connection is gone; the next one starts with the backend's defaults
        }
      }
      ScanWrite(const ScanWrite&) = delete;
      ScanWrite& operator=(const ScanWrite&) = delete;
    } scan_write(*this);
    Transaction tx(*this, dialect_->beginWrite());
    auto record = findScan(id);
    if (!record) return fail(unknownScan(id));
    if (record->status != scan::ScanStatus::kRunning)
      return fail(ErrorCode::kInvalidArgument,
                  "scan " + std::to_string(id) + " is already " +
                      std::string(scan::scanStatusName(record->status)) + "; it cannot be written twice",
                  "start a new scan with beginScan");
    const bool completed = summary.status == scan::ScanStatus::kCompleted;
    const std::time_t when = summary.started != 0 ? summary.started : record->started;
    const std::time_t finished = summary.finished != 0 ? summary.finished : std::time(nullptr);
    const Int64 scan_id = id;

    // Exceptions active at the scan's time, and every exception for naming why one stopped.
    const auto exceptions = loadExceptions();
    std::unordered_map<std::int64_t, const ExceptionRecord*> exception_by_id;
    for (const auto& e : exceptions) exception_by_id[e.id] = &e;
    ExceptionMatcher matcher(exceptions, when);

    // Remediation texts, stored once.
    std::unordered_map<std::string, Int64> remediation_ids;
    {
      std::vector<Int64> rid;
      std::vector<std::string> body;
      auto st = prepare("SELECT id, body FROM remediations", {});
      st, into(rid), into(body);
      st.execute();
      for (std::size_t i = 0; i < rid.size(); ++i) remediation_ids.emplace(body[i], rid[i]);
    }
    Int64 next_remediation = scalar("SELECT COALESCE(MAX(id), 0) FROM remediations") + 1;

    // Details texts already stored, by content key: hash -> (check, id).
    std::unordered_map<std::int64_t, std::pair<std::int64_t, std::int64_t>> details_ids;
    {
      std::vector<Int64> did, hash, check;
      auto st = prepare("SELECT id, hash, check_value FROM finding_details WHERE check_value <> 0", {});
      st, into(did), into(hash), into(check);
      st.execute();
      details_ids.reserve(did.size() + findings.size() / 2);
      for (std::size_t i = 0; i < did.size(); ++i) details_ids.emplace(hash[i], std::pair{check[i], did[i]});
    }
    std::int64_t next_details = scalar("SELECT COALESCE(MAX(id), 0) FROM finding_details") + 1;

    // Known identities. What the SQL after the rows has to do is known from them: lifecycles seen
    // before to move on, open ones this scan did not see to resolve (none of either for a first
    // scan, which then skips statements that would each read every row).
    // Found by the hash the preparing thread computes: no string is built per look-up and no
    // node per identity (a million of them cost as much to free as to use).
    std::vector<std::string> known_fingerprints;
    std::vector<Identity> identities;
    std::optional<FingerprintSet> identity_index;
    std::int64_t open_before = 0, known_seen = 0, open_seen = 0;
    {
      std::vector<Int64> iid, first, since, excepted;
      std::vector<std::string>& fp = known_fingerprints;
      std::vector<std::string> status;
      auto st = prepare("SELECT id, " + fingerprintExpr("") +
                            ", COALESCE(status, ''), COALESCE(first_seen, 0),"
                            " COALESCE(since, 0), COALESCE(excepted_by, 0) FROM findings",
                        {});
      st, into(iid), into(fp), into(status), into(first), into(since), into(excepted);
      st.execute();
      identities.reserve(iid.size());
      identity_index.emplace(iid.size());
      for (std::size_t i = 0; i < iid.size(); ++i) {
        // The writer keeps fingerprints unique; were one repeated, the first identity stands.
        if (!identity_index->insert(fp[i], std::hash<std::string_view>{}(fp[i])).second) continue;
        if (status[i] == kStatusNew || status[i] == kStatusOpen || status[i] == kStatusReopened)
          ++open_before;
        identities.push_back(
            Identity{iid[i], std::move(status[i]), first[i], since[i], excepted[i]});
      }
    }
    Int64 next_identity = scalar("SELECT COALESCE(MAX(id), 0) FROM findings") + 1;

    std::vector<FindingState> states;  // one per distinct fingerprint, in input order
    states.reserve(findings.size());
    std::vector<std::size_t> slot_of(findings.size());  // input index -> its state
    SeverityCounts by_severity{};
    std::int64_t excepted_count = 0, new_count = 0, reopened_count = 0, excepted_before = 0;
    std::vector<RuleTally> tallies;  // a handful: found by a linear search
    auto tally_of = [&](const std::string& rule) -> RuleTally& {
      for (auto& t : tallies)
        if (t.rule == rule) return t;
      return tallies.emplace_back(RuleTally{rule});
    };
    struct Event {
      Int64 findingId;
      std::string_view event;
      std::int64_t exceptionId;
    };
    std::vector<Event> exception_events;
    std::vector<std::pair<Int64, Int64>> since_updates;  // existing lifecycles learning a date

    auto identity_insert = dialect_->bulkInsert(
        session_,
        "INSERT INTO findings (id, fingerprint, rule, object_guid, object_sid, sub_key, status,"
        " first_seen, first_scan_id, last_seen, last_scan_id, since, excepted_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto details_insert = dialect_->bulkInsert(
        session_, "INSERT INTO finding_details (id, hash, check_value, body) VALUES (?, ?, ?, ?)");
    auto occurrence_insert = dialect_->bulkInsert(
        session_,
        "INSERT INTO scan_findings (scan_id, finding_id, severity, lifecycle, exception_id, dn,"
        " sam, summary, details_id, remediation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    occurrence_insert->after(*identity_insert);
    occurrence_insert->after(*details_insert);
    auto id_or_null = [](std::int64_t v) { return v == 0 ? Cell{} : Cell{v}; };
    const Cell when_cell = completed ? Cell{std::int64_t{when}} : Cell{};
    const Cell scan_cell = completed ? Cell{std::int64_t{scan_id}} : Cell{};

    // One distinct finding: its lifecycle and exception, its identity when new, its row here.
    auto write_finding = [&](std::size_t i, std::string_view fingerprint, std::size_t hash,
                             const std::string& details, ContentKey key, std::time_t since) {
      const auto& f = findings[i];
      Identity* ident = nullptr;
      if (!identities.empty())
        if (auto at = identity_index->find(fingerprint, hash)) ident = &identities[*at];
      const std::int64_t finding_id = ident != nullptr ? ident->id : next_identity++;
      if (ident != nullptr) {
        ++known_seen;
        if (ident->status == kStatusNew || ident->status == kStatusOpen ||
            ident->status == kStatusReopened)
          ++open_seen;
      }
      const std::string_view lifecycle = lifecycleAfter(ident);
      const std::int64_t exception = matcher.match(fingerprint, f.rule, f.dn);
      if (since == 0 && ident != nullptr) since = ident->since;
      const std::time_t first = ident != nullptr && ident->firstSeen != 0 ? ident->firstSeen : when;
      states.push_back(FindingState{std::string(exception != 0 ? kStatusExcepted : lifecycle),
                                    since != 0 && since < first ? since : first,
                                    exception != 0 ? std::optional<std::int64_t>(exception)
                                                   : std::nullopt});

      const auto sev = static_cast<std::size_t>(std::clamp(static_cast<int>(f.severity), 0, 4));
      RuleTally& tally = tally_of(f.rule);
      auto& rc = tally.counts[sev];
      if (exception != 0) {
        ++excepted_count;
        ++rc.second;
        if (ident != nullptr) ++excepted_before;
      } else {
        ++by_severity[sev];
        ++rc.first;
      }
      if (completed) {
        if (lifecycle == kStatusNew) ++new_count;
        if (lifecycle == kStatusReopened) ++reopened_count;
        const std::int64_t before =
            ident != nullptr && ident->status != kStatusResolved ? ident->exceptedBy : 0;
        if (exception != 0 && exception != before) {
          exception_events.push_back({finding_id, kEventExcepted, exception});
        } else if (exception == 0 && before != 0) {
          auto it = exception_by_id.find(before);
          std::string state = it != exception_by_id.end() ? it->second->state(when) : "removed";
          exception_events.push_back({finding_id,
                                      state == "expired"   ? kEventExceptionExpired
                                      : state == "removed" ? kEventExceptionRemoved
                                                           : kEventExceptionUnmatched,
                                      before});
        }
        if (ident != nullptr && ident->since == 0 && since != 0)
          since_updates.emplace_back(finding_id, since);
      }

      if (ident == nullptr) {
        const Cell row[] = {finding_id,
                            fingerprintDerivable(f) ? std::string_view() : fingerprint,
                            std::string_view(f.rule),
                            std::string_view(f.objectGuid),
                            std::string_view(f.objectSid),
                            std::string_view(f.key),
                            completed ? Cell{kStatusNew} : Cell{},
                            when_cell,
                            scan_cell,
                            when_cell,
                            scan_cell,
                            id_or_null(since),
                            completed ? id_or_null(exception) : Cell{}};
        identity_insert->add(row);
      }

      // Findings of one rule share their remediation text.
      if (tally.remediationText == nullptr || *tally.remediationText != f.remediation) {
        auto rem = remediation_ids.find(f.remediation);
        if (rem == remediation_ids.end()) {
          auto st = prepare("INSERT INTO remediations (id, body) VALUES (?, ?)",
                            {next_remediation, f.remediation});
          st.execute();
          rem = remediation_ids.emplace(f.remediation, next_remediation++).first;
        }
        tally.remediationId = rem->second;
        tally.remediationText = &f.remediation;
      }
      // Details by reference: a text seen before (in this scan or an earlier one) is not
      // stored again.
      std::int64_t details_id = 0;
      auto [known, added] = details_ids.try_emplace(key.hash, key.check, next_details);
      if (!added && known->second.first == key.check) {
        details_id = known->second.second;
      } else {
        details_id = next_details++;
        const Cell drow[] = {details_id, key.hash, key.check, std::string_view(details)};
        details_insert->add(drow);
      }
      const Cell row[] = {std::int64_t{scan_id},
                          finding_id,
                          static_cast<std::int64_t>(sev),
                          lifecycle,
                          id_or_null(exception),
                          std::string_view(f.dn),
                          std::string_view(f.samAccountName),
                          std::string_view(f.summary),
                          details_id,
                          std::int64_t{tally.remediationId}};
      occurrence_insert->add(row);
    };

    // One pass in input order; the next chunk's fingerprints and JSON are prepared on another
    // core meanwhile (the future joins on every way out of this scope). A repeated fingerprint
    // is stored once.
    std::deque<PreparedChunk> chunks;  // their fingerprints kept alive: `seen` views them
    FingerprintSet seen(findings.size());
    std::future<PreparedChunk> next;
    auto launch = [&](std::size_t begin) {
      return std::async(std::launch::async, prepareChunk, std::cref(findings), begin,
                        std::min(findings.size(), begin + kChunk));
    };
    if (!findings.empty()) next = launch(0);
    for (std::size_t begin = 0; begin < findings.size(); begin += kChunk) {
      PreparedChunk& chunk = chunks.emplace_back(next.get());
      if (begin + kChunk < findings.size()) next = launch(begin + kChunk);
      for (std::size_t k = 0; k < chunk.fingerprintEnd.size(); ++k) {
        const auto fingerprint = chunk.fingerprint(k);
        auto [slot, inserted] = seen.insert(fingerprint, chunk.fingerprintHash[k]);
        slot_of[begin + k] = slot;
        if (!inserted) continue;
        write_finding(begin + k, fingerprint, chunk.fingerprintHash[k], chunk.details[k],
                      chunk.keys[k], chunk.since[k]);
        if (states.size() % kProgressEvery == 0 && options_.writeProgress)
          options_.writeProgress(states.size(), findings.size());
      }
      std::vector<std::string>().swap(chunk.details);  // copied into the inserts
    }
    identity_insert->flush();
    details_insert->flush();
    occurrence_insert->flush();
    if (options_.writeProgress) options_.writeProgress(states.size(), states.size());

    std::int64_t resolved_count = 0, held_count = 0;
    if (completed && known_seen > 0) {
      // Lifecycles seen before move on: new/open/reopened -> open, resolved -> reopened, never
      // confirmed (seen by partial scans only) -> new. (New identities were written complete.)
      auto move_on = prepare(
          "UPDATE findings SET"
          " status = CASE WHEN status IS NULL THEN 'new' WHEN status = 'resolved' THEN 'reopened'"
          " ELSE 'open' END,"
          " first_seen = COALESCE(first_seen, ?), first_scan_id = COALESCE(first_scan_id, ?),"
          " last_seen = ?, last_scan_id = ?, resolved_at = NULL, excepted_by = NULL"
          " WHERE id IN (SELECT finding_id FROM scan_findings WHERE scan_id = ?)"
          " AND (last_scan_id IS NULL OR last_scan_id <> ?)",
          {Int64{when}, scan_id, Int64{when}, scan_id, scan_id, scan_id});
      move_on.execute();
    }
    if (completed) {
      if (excepted_before > 0) {
        auto exc = prepare(
            "UPDATE findings SET excepted_by = (SELECT sf.exception_id FROM scan_findings sf"
            "  WHERE sf.scan_id = ? AND sf.finding_id = findings.id)"
            " WHERE id IN (SELECT finding_id FROM scan_findings"
            "  WHERE scan_id = ? AND exception_id IS NOT NULL)",
            {scan_id, scan_id});
        exc.execute();
      }
      for (const auto& [fid, since] : since_updates) {
        auto up = prepare("UPDATE findings SET since = ? WHERE id = ?", {since, fid});
        up.execute();
      }
      // The first sighting is the lifecycle itself (first_scan_id, first_seen); the log holds the
      // transitions after it.
      if (reopened_count > 0) {
        auto events = prepare(
            "INSERT INTO finding_events (finding_id, scan_id, event, at)"
            " SELECT finding_id, ?, 'reopened', ? FROM scan_findings"
            " WHERE scan_id = ? AND lifecycle = 'reopened'",
            {scan_id, Int64{when}, scan_id});
        events.execute();
      }
      if (!exception_events.empty()) {
        auto insert = dialect_->bulkInsert(
            session_,
            "INSERT INTO finding_events (finding_id, scan_id, event, at, exception_id)"
            " VALUES (?, ?, ?, ?, ?)");
        for (const auto& e : exception_events) {
          const Cell row[] = {e.findingId, std::int64_t{scan_id}, e.event, std::int64_t{when},
                              e.exceptionId};
          insert->add(row);
        }
        insert->flush();
      }

      // Resolve what this scan could have seen but did not: only findings of rules it ran.
      std::vector<std::string> rules_run =
          !summary.rulesRun.empty() ? summary.rulesRun : record->rules;
      std::string rule_filter;
      std::vector<Param> params = {scan_id};
      if (!rules_run.empty()) {
        rule_filter = " AND rule IN (" + placeholders(rules_run.size()) + ")";
        for (const auto& r : rules_run) params.emplace_back(r);
      }
      // Findings of objects this scan could not evaluate stay as they were.
      std::vector<std::int64_t> held;
      if (open_before > open_seen &&
          (!summary.objectErrors.empty() || !summary.coverageHolds.empty()))
        held = heldIdentities(summary.objectErrors, summary.coverageHolds, known_fingerprints,
                              *identity_index, identities);
      if (!held.empty()) {
        auto create =
            prepare("CREATE TEMP TABLE IF NOT EXISTS held_findings (id BIGINT PRIMARY KEY)", {});
        create.execute();
        auto clear = prepare("DELETE FROM held_findings", {});
        clear.execute();
        auto insert = dialect_->bulkInsert(session_, "INSERT INTO held_findings (id) VALUES (?)");
        for (auto h : held) {
          const Cell row[] = {h};
          insert->add(row);
        }
        insert->flush();
        std::vector<Param> held_params = params;
        held_count = scalar(
            "SELECT COUNT(*) FROM findings WHERE status IN ('new', 'open',"
            " 'reopened') AND last_scan_id <> ?" +
                rule_filter + " AND id IN (SELECT id FROM held_findings)",
            held_params);
        rule_filter += " AND id NOT IN (SELECT id FROM held_findings)";
      }
      const std::string open_not_seen =
          " FROM findings WHERE status IN ('new', 'open', 'reopened') AND last_scan_id <> ?" +
          rule_filter;
      // Every lifecycle open before was seen again: nothing to resolve, whatever the rules.
      if (open_before > open_seen) resolved_count = scalar("SELECT COUNT(*)" + open_not_seen, params);

      if (resolved_count > 0) {
        std::vector<Param> ev_params = {scan_id, Int64{when}};
        ev_params.insert(ev_params.end(), params.begin(), params.end());
        auto ev = prepare("INSERT INTO finding_events (finding_id, scan_id, event, at)"
                          " SELECT id, ?, 'resolved', ?" + open_not_seen,
                          ev_params);
        ev.execute();
        std::vector<Param> up_params = {Int64{when}};
        up_params.insert(up_params.end(), params.begin(), params.end());
        auto up = prepare(
            "UPDATE findings SET status = 'resolved', resolved_at = ?, excepted_by = NULL"
            " WHERE status IN ('new', 'open', 'reopened') AND last_scan_id <> ?" + rule_filter,
            up_params);
        up.execute();
      }
    }

    for (const auto& tally : tallies)
      for (std::size_t sev = 0; sev < tally.counts.size(); ++sev) {
        const auto& [found, excepted] = tally.counts[sev];
        if (found == 0 && excepted == 0) continue;
        auto st = prepare(
            "INSERT INTO scan_rule_counts (scan_id, rule, severity, findings, excepted)"
            " VALUES (?, ?, ?, ?, ?)",
            {scan_id, std::string(tally.rule), static_cast<Int64>(sev), found, excepted});
        st.execute();
      }

    std::vector<std::string> warnings = summary.warnings;
    if (states.size() != findings.size())
      warnings.push_back(std::to_string(findings.size() - states.size()) +
                         " findings repeated a fingerprint already reported in this scan and were "
                         "stored once");
    if (held_count > 0)
      warnings.push_back(std::to_string(held_count) +
                         " finding(s) not reported this time were not resolved: this scan could "
                         "not evaluate their objects (see its object errors) or could not read "
                         "their rule's inputs on them (see its coverage)");
    auto up = prepare(
        "UPDATE scans SET target = ?, started = ?, finished = ?, status = ?, entries_read = ?,"
        " objects_read = ?, findings = ?, count_info = ?, count_low = ?, count_medium = ?,"
        " count_high = ?, count_critical = ?, count_excepted = ?, count_new = ?,"
        " count_reopened = ?, count_resolved = ?, error = ?, rules = ?, warnings = ?,"
        " object_errors = ?, coverage = ? WHERE id = ?",
        {summary.target.empty() ? record->target : summary.target, Int64{when}, Int64{finished},
         std::string(scan::scanStatusName(summary.status == scan::ScanStatus::kRunning
                                              ? scan::ScanStatus::kFailed
                                              : summary.status)),
         static_cast<Int64>(summary.entriesRead), static_cast<Int64>(summary.objectsScanned),
         static_cast<Int64>(states.size()), by_severity[0], by_severity[1], by_severity[2],
         by_severity[3], by_severity[4], Int64{excepted_count}, Int64{new_count},
         Int64{reopened_count}, Int64{resolved_count},
         summary.status == scan::ScanStatus::kRunning && summary.error.empty()
             ? std::string("the scan was saved while still marked running")
             : summary.error,
         jsonArray(summary.rulesRun.empty() ? record->rules : summary.rulesRun),
         jsonArray(warnings), objectErrorsJson(summary.objectErrors), coverageJson(summary),
         scan_id});
    up.execute();

    pruneLocked(options_.retention, when);
    tx.commit();
    dialect_->afterScanCommit(session_);

    if (states.size() == findings.size()) return states;  // no repeats: states are in input order
    std::vector<FindingState> out(findings.size());
    for (std::size_t i = 0; i < findings.size(); ++i) out[i] = states[slot_of[i]];
    return out;
  });
}

// --- reading -------------------------------------------------------------------------------------

Result<Page<ScanRecord>> SqlStore::listScans(const PageRequest& page) {
  return guarded("listing scans", [&]() -> Result<Page<ScanRecord>> {
    Transaction tx(*this, dialect_->beginRead());
    Page<ScanRecord> out;
    out.limit = page.limit;
    out.offset = page.offset;
    out.total = static_cast<std::size_t>(scalar("SELECT COUNT(*) FROM scans"));
    std::string tail = "ORDER BY id DESC";
    std::vector<Param> params;
    if (page.limit > 0) {
      tail += " LIMIT ? OFFSET ?";
      params = {static_cast<Int64>(page.limit), static_cast<Int64>(page.offset)};
    }
    out.items = loadScans(tail, params);
    tx.commit();
    return out;
  });
}

Result<ScanRecord> SqlStore::scanById(std::int64_t id) {
  return guarded("reading scan " + std::to_string(id), [&]() -> Result<ScanRecord> {
    auto r = findScan(id);
    if (!r) return fail(unknownScan(id));
    return *r;
  });
}

Result<std::optional<ScanRecord>> SqlStore::latestScan(bool completed_only) {
  return guarded("reading the latest scan", [&]() -> Result<std::optional<ScanRecord>> {
    auto v = loadScans(std::string(completed_only ? "WHERE status = 'completed' " : "") +
                           "ORDER BY id DESC LIMIT 1",
                       {});
    if (v.empty()) return std::optional<ScanRecord>();
    return std::optional<ScanRecord>(std::move(v.front()));
  });
}

std::vector<StoredFinding> SqlStore::selectFindings(const std::string& sql,
                                                    const std::vector<Param>& params) {
  FindingColumns cols;
  auto st = prepare(sql, params);
  cols.bindTo(st);
  st.execute();
  return cols.rows();
}

Result<Page<StoredFinding>> SqlStore::findings(const FindingQuery& q) {
  return guarded("querying findings", [&]() -> Result<Page<StoredFinding>> {
    for (const auto& s : q.statuses)
      if (!isKnownStatus(s))
        return fail(ErrorCode::kInvalidArgument, "unknown finding status '" + s + "'",
                    "use new, open, reopened, excepted or resolved");
    Transaction tx(*this, dialect_->beginRead());
    Page<StoredFinding> page;
    page.limit = q.page.limit;
    page.offset = q.page.offset;
    std::int64_t scan_id = 0;
    if (q.scanId) {
      if (!findScan(*q.scanId)) return fail(unknownScan(*q.scanId));
      scan_id = *q.scanId;
    } else if (auto latest = latestCompletedId()) {
      scan_id = *latest;
    } else {
      tx.commit();
      return page;  // no completed scan yet: nothing is current
    }

    const bool want_resolved =
        std::find(q.statuses.begin(), q.statuses.end(), kStatusResolved) != q.statuses.end();
    std::string inner = occurrenceSelect(kStatusExpr) + " WHERE sf.scan_id = ?";
    std::vector<Param> params = {Int64{scan_id}};
    if (want_resolved) {
      // Resolved by this scan: the data of the previous completed scan, which still had them.
      auto prev = previousCompletedId(scan_id);
      inner += " UNION ALL " + occurrenceSelect(kResolvedStatusExpr) +
               " JOIN finding_events e ON e.finding_id = sf.finding_id"
               " WHERE e.scan_id = ? AND e.event = 'resolved' AND sf.scan_id = ?";
      params.emplace_back(Int64{scan_id});
      params.emplace_back(Int64{prev.value_or(0)});
    }

    std::string where = " WHERE 1 = 1";
    if (!q.rules.empty()) {
      where += " AND t.rule IN (" + placeholders(q.rules.size()) + ")";
      for (const auto& r : q.rules) params.emplace_back(r);
    }
    if (!q.severities.empty()) {
      where += " AND t.severity IN (" + placeholders(q.severities.size()) + ")";
      for (auto s : q.severities) params.emplace_back(static_cast<Int64>(s));
    }
    if (!q.statuses.empty()) {
      where += " AND t.status IN (" + placeholders(q.statuses.size()) + ")";
      for (const auto& s : q.statuses) params.emplace_back(s);
    } else {
      where += " AND t.status <> 'resolved'";
    }
    if (!q.ouDn.empty()) {
      auto ou = lowerAscii(q.ouDn);
      where += " AND (LOWER(t.dn) = ? OR LOWER(t.dn) LIKE ? ESCAPE '\\')";
      params.emplace_back(ou);
      params.emplace_back("%," + likeEscape(ou));
    }
    if (!q.text.empty()) {
      auto pattern = "%" + likeEscape(lowerAscii(q.text)) + "%";
      where +=
          " AND (LOWER(t.dn) LIKE ? ESCAPE '\\' OR LOWER(t.sam) LIKE ? ESCAPE '\\'"
          " OR LOWER(t.summary) LIKE ? ESCAPE '\\')";
      for (int i = 0; i < 3; ++i) params.emplace_back(pattern);
    }
    const std::string from = " FROM (" + inner + ") t" + where;
    page.total = static_cast<std::size_t>(scalar("SELECT COUNT(*)" + from, params));

    std::string key;
    switch (q.sort) {
      case SortField::kSeverity: key = "t.severity"; break;
      case SortField::kRule: key = "t.rule"; break;
      case SortField::kDn: key = "LOWER(t.dn)"; break;
      case SortField::kSamAccountName: key = "LOWER(t.sam)"; break;
      case SortField::kFirstSeen: key = "t.first_seen_at"; break;
      case SortField::kStatus: key = "t.status"; break;
    }
    const std::string dir = q.descending ? " DESC" : " ASC";
    // Ties break on the DN and fingerprint so that pages never overlap or skip.
    std::string sql = "SELECT " + std::string(kOuterColumns) + from + " ORDER BY " + key + dir +
                      ", LOWER(t.dn), t.fingerprint";
    if (q.page.limit > 0) {
      sql += " LIMIT ? OFFSET ?";
      params.emplace_back(static_cast<Int64>(q.page.limit));
      params.emplace_back(static_cast<Int64>(q.page.offset));
    }
    page.items = selectFindings(sql, params);
    tx.commit();
    return page;
  });
}

Result<std::vector<TrendPoint>> SqlStore::trend(std::size_t last_scans, bool completed_only) {
  return guarded("reading the trend", [&]() -> Result<std::vector<TrendPoint>> {
    Transaction tx(*this, dialect_->beginRead());
    std::string tail = completed_only ? "WHERE status = 'completed' " : "WHERE status <> 'running' ";
    tail += "ORDER BY id DESC";
    std::vector<Param> params;
    if (last_scans > 0) {
      tail += " LIMIT ?";
      params.emplace_back(static_cast<Int64>(last_scans));
    }
    auto scans = loadScans(tail, params);
    std::vector<TrendPoint> out;
    if (scans.empty()) {
      tx.commit();
      return out;
    }
    std::reverse(scans.begin(), scans.end());
    std::vector<Int64> sid, sev, n, exc;
    std::vector<std::string> rule;
    auto st = prepare(
        "SELECT scan_id, rule, severity, findings, excepted FROM scan_rule_counts"
        " WHERE scan_id >= ? AND scan_id <= ? ORDER BY scan_id, rule, severity",
        {Int64{scans.front().id}, Int64{scans.back().id}});
    st, into(sid), into(rule), into(sev), into(n), into(exc);
    st.execute();
    std::unordered_map<std::int64_t, std::size_t> index;
    for (auto& s : scans) {
      index[s.id] = out.size();
      out.push_back(TrendPoint{std::move(s), {}});
    }
    for (std::size_t i = 0; i < sid.size(); ++i) {
      auto it = index.find(sid[i]);
      if (it == index.end()) continue;  // a scan the filter left out
      out[it->second].byRule.push_back(RuleCount{rule[i], severityOf(sev[i]), n[i], exc[i]});
    }
    tx.commit();
    return out;
  });
}

Result<ScanDiff> SqlStore::diff(std::int64_t from_scan, std::int64_t to_scan) {
  return guarded("comparing scans", [&]() -> Result<ScanDiff> {
    Transaction tx(*this, dialect_->beginRead());
    ScanDiff d;
    auto from = findScan(from_scan);
    if (!from) return fail(unknownScan(from_scan));
    auto to = findScan(to_scan);
    if (!to) return fail(unknownScan(to_scan));
    d.from = std::move(*from);
    d.to = std::move(*to);
    const std::string order = " ORDER BY sf.severity DESC, LOWER(sf.dn), " + fingerprintExpr("l.");
    auto side = [&](Int64 a, Int64 b, bool exists) {
      return selectFindings(occurrenceSelect(kStatusExpr) + " WHERE sf.scan_id = ? AND " +
                                (exists ? "EXISTS" : "NOT EXISTS") +
                                " (SELECT 1 FROM scan_findings o WHERE o.scan_id = ?"
                                " AND o.finding_id = sf.finding_id)" + order,
                            {a, b});
    };
    d.added = side(to_scan, from_scan, false);
    d.removed = side(from_scan, to_scan, false);
    d.persisting = side(to_scan, from_scan, true);
    tx.commit();
    return d;
  });
}

Result<FindingHistory> SqlStore::history(const std::string& fingerprint) {
  return guarded("reading the history of " + fingerprint, [&]() -> Result<FindingHistory> {
    Transaction tx(*this, dialect_->beginRead());
    std::vector<Int64> fid;
    {
      // rule|objectGUID[|sub-key]: found through the objectGUID index; a fingerprint keyed by a
      // DN (objects without a GUID, endpoint URLs) by reading the identities.
      const auto first = fingerprint.find('|');
      const auto second = first == std::string::npos ? first : fingerprint.find('|', first + 1);
      if (first != std::string::npos) {
        // Stored in full, or as '' (fingerprintExpr): then its rule and sub-key say which.
        auto st = prepare(
            "SELECT id FROM findings WHERE object_guid = ? AND (fingerprint = ? OR"
            " (fingerprint = '' AND rule = ? AND sub_key = ?))",
            {fingerprint.substr(
                 first + 1, second == std::string::npos ? std::string::npos : second - first - 1),
             fingerprint, fingerprint.substr(0, first),
             second == std::string::npos ? std::string() : fingerprint.substr(second + 1)});
        st, into(fid);
        st.execute();
      }
      if (fid.empty()) {
        auto st = prepare("SELECT id FROM findings WHERE fingerprint = ?", {fingerprint});
        st, into(fid);
        st.execute();
      }
    }
    if (fid.empty())
      return fail(ErrorCode::kNotFound,
                  "no finding with fingerprint '" + fingerprint + "' in " + options_.location,
                  "copy the fingerprint from adcheck scan --format json; retention deletes the "
                  "history of findings resolved before the oldest kept scan");
    FindingHistory h;
    const Int64 id = fid.front();
    auto latest = selectFindings(
        occurrenceSelect("CASE WHEN l.status = 'resolved' THEN 'resolved' ELSE " +
                         std::string(kStatusExpr) + " END") +
            " WHERE sf.finding_id = ? ORDER BY sf.scan_id DESC LIMIT 1",
        {id});
    if (!latest.empty()) {
      h.latest = std::move(latest.front());
    } else {
      // Every scan that stored it was deleted; the lifecycle remains.
      std::vector<std::string> rule, guid, sid, key, status;
      std::vector<Int64> first, last, resolved, since, exc;
      auto st = prepare(
          "SELECT rule, object_guid, object_sid, sub_key, COALESCE(status, ''),"
          " COALESCE(first_seen, 0), COALESCE(last_seen, 0), COALESCE(resolved_at, 0),"
          " COALESCE(since, 0), COALESCE(excepted_by, 0) FROM findings WHERE id = ?",
          {id});
      st, into(rule), into(guid), into(sid), into(key), into(status), into(first), into(last),
          into(resolved), into(since), into(exc);
      st.execute();
      h.latest.fingerprint = fingerprint;
      h.latest.finding.rule = rule.at(0);
      h.latest.finding.objectGuid = guid.at(0);
      h.latest.finding.objectSid = sid.at(0);
      h.latest.finding.key = key.at(0);
      h.latest.lifecycle = status.at(0);
      h.latest.status = exc.at(0) != 0 && status.at(0) != kStatusResolved ? std::string(kStatusExcepted)
                                                                         : status.at(0);
      h.latest.firstSeen = since.at(0) != 0 && since.at(0) < first.at(0) ? since.at(0) : first.at(0);
      h.latest.lastSeen = last.at(0);
      h.latest.resolvedAt = resolved.at(0);
      if (since.at(0) != 0) h.latest.since = since.at(0);
      if (exc.at(0) != 0) h.latest.exceptionId = exc.at(0);
    }
    {
      // The first sighting is not logged: it is the lifecycle's own first scan.
      std::vector<Int64> first_scan, first_seen;
      auto first = prepare(
          "SELECT COALESCE(first_scan_id, 0), COALESCE(first_seen, 0) FROM findings WHERE id = ?",
          {id});
      first, into(first_scan), into(first_seen);
      first.execute();
      if (!first_scan.empty() && first_scan[0] != 0)
        h.events.push_back(FindingEvent{first_scan[0], std::string(kEventNew), first_seen[0], {}});
      std::vector<Int64> sid, at, exc;
      std::vector<std::string> event;
      auto st = prepare(
          "SELECT scan_id, event, at, COALESCE(exception_id, 0) FROM finding_events"
          " WHERE finding_id = ? ORDER BY id",
          {id});
      st, into(sid), into(event), into(at), into(exc);
      st.execute();
      for (std::size_t i = 0; i < sid.size(); ++i)
        h.events.push_back(FindingEvent{sid[i], event[i], at[i],
                                        exc[i] != 0 ? std::optional<std::int64_t>(exc[i])
                                                    : std::nullopt});
    }
    {
      std::vector<Int64> sid, started, sev;
      std::vector<std::string> sstatus, status, dn, summary;
      auto st = prepare("SELECT sf.scan_id, s.started, s.status, sf.severity, " +
                            std::string(kStatusExpr) +
                            ", sf.dn, sf.summary FROM scan_findings sf JOIN scans s ON s.id = sf.scan_id"
                            " WHERE sf.finding_id = ? ORDER BY sf.scan_id",
                        {id});
      st, into(sid), into(started), into(sstatus), into(sev), into(status), into(dn), into(summary);
      st.execute();
      for (std::size_t i = 0; i < sid.size(); ++i)
        h.occurrences.push_back(Occurrence{sid[i], static_cast<std::time_t>(started[i]),
                                           parseScanStatus(sstatus[i]), severityOf(sev[i]),
                                           status[i], dn[i], summary[i]});
    }
    tx.commit();
    return h;
  });
}

Result<std::vector<StoredFinding>> SqlStore::objectFindings(const std::string& guid_or_dn) {
  return guarded("reading the findings of " + guid_or_dn, [&]() -> Result<std::vector<StoredFinding>> {
    Transaction tx(*this, dialect_->beginRead());
    std::vector<std::string> guids;
    std::vector<Int64> ids;
    if (guid_or_dn.find('=') == std::string::npos) {
      guids.push_back(lowerAscii(guid_or_dn));
    } else if (auto latest = latestCompletedId()) {
      // A DN is found through the latest completed scan (the object's current name).
      std::vector<std::string> g;
      std::vector<Int64> fid;
      auto st = prepare(
          "SELECT l.object_guid, l.id FROM scan_findings sf JOIN findings l ON l.id = sf.finding_id"
          " WHERE sf.scan_id = ? AND LOWER(sf.dn) = ?",
          {Int64{*latest}, lowerAscii(guid_or_dn)});
      st, into(g), into(fid);
      st.execute();
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (g[i].empty()) ids.push_back(fid[i]);
        else if (std::find(guids.begin(), guids.end(), g[i]) == guids.end()) guids.push_back(g[i]);
      }
    }
    for (const auto& g : guids) {
      std::vector<Int64> fid;
      auto st = prepare("SELECT id FROM findings WHERE object_guid = ?", {g});
      st, into(fid);
      st.execute();
      ids.insert(ids.end(), fid.begin(), fid.end());
    }
    std::vector<StoredFinding> out;
    if (ids.empty()) {
      tx.commit();
      return out;
    }
    std::vector<Param> params;
    for (auto i : ids) params.emplace_back(i);
    // Each finding as the last completed scan that saw it stored it.
    out = selectFindings(occurrenceSelect("CASE WHEN l.status = 'resolved' THEN 'resolved' ELSE " +
                                          std::string(kStatusExpr) + " END") +
                             " WHERE sf.finding_id IN (" + placeholders(ids.size()) +
                             ") AND sf.scan_id = l.last_scan_id ORDER BY sf.severity DESC, " +
                             fingerprintExpr("l."),
                         params);
    tx.commit();
    return out;
  });
}

// --- exceptions ----------------------------------------------------------------------------------

std::vector<ExceptionRecord> SqlStore::loadExceptions() {
  std::vector<Int64> id, created, expires, removed;
  std::vector<std::string> fp, rule, pattern, reason, owner, expires_on;
  auto st = prepare(
      "SELECT id, COALESCE(fingerprint, ''), COALESCE(rule, ''), COALESCE(dn_pattern, ''), reason,"
      " owner, created, COALESCE(expires_on, ''), COALESCE(expires_at, 0), COALESCE(removed_at, 0)"
      " FROM exceptions ORDER BY id",
      {});
  st, into(id), into(fp), into(rule), into(pattern), into(reason), into(owner), into(created),
      into(expires_on), into(expires), into(removed);
  st.execute();
  std::vector<ExceptionRecord> out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    ExceptionRecord r;
    r.id = id[i];
    r.spec = ExceptionSpec{fp[i], rule[i], pattern[i], reason[i], owner[i], expires_on[i]};
    r.created = created[i];
    r.expiresAt = expires[i];
    r.removedAt = removed[i];
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> SqlStore::addException(const ExceptionSpec& spec, std::time_t now) {
  auto expires = validateException(spec, now);
  if (!expires) return fail(expires.error());
  return guarded("adding an exception", [&]() -> Result<std::int64_t> {
    Transaction tx(*this, dialect_->beginWrite());
    auto nullable_text = [](const std::string& s) {
      return s.empty() ? Poco::Nullable<std::string>() : Poco::Nullable<std::string>(s);
    };
    Poco::Nullable<std::string> fp = nullable_text(spec.fingerprint);
    Poco::Nullable<std::string> rule =
        nullable_text(spec.rule.empty() ? std::string() : Poco::toUpper(spec.rule));
    Poco::Nullable<std::string> pattern = nullable_text(spec.dnPattern);
    Poco::Nullable<std::string> expires_on = nullable_text(spec.expires);
    NullableInt expires_at = nullableId(*expires);
    std::string reason = spec.reason, owner = spec.owner;
    Int64 created = now;
    Poco::Data::Statement st(session_);
    st << "INSERT INTO exceptions (fingerprint, rule, dn_pattern, reason, owner, created,"
          " expires_on, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        use(fp), use(rule), use(pattern), use(reason), use(owner), use(created), use(expires_on),
        use(expires_at);
    st.execute();
    auto id = scalar("SELECT MAX(id) FROM exceptions");
    tx.commit();
    return id;
  });
}

Result<std::vector<ExceptionRecord>> SqlStore::listExceptions(bool include_inactive,
                                                              std::time_t now) {
  return guarded("listing exceptions", [&]() -> Result<std::vector<ExceptionRecord>> {
    auto all = loadExceptions();
    if (include_inactive) return all;
    std::vector<ExceptionRecord> out;
    for (auto& e : all)
      if (e.appliesAt(now)) out.push_back(std::move(e));
    return out;
  });
}

Result<void> SqlStore::removeException(std::int64_t id, std::time_t now) {
  return guarded("removing exception " + std::to_string(id), [&]() -> Result<void> {
    Transaction tx(*this, dialect_->beginWrite());
    std::vector<Int64> removed;
    auto st = prepare("SELECT COALESCE(removed_at, 0) FROM exceptions WHERE id = ?", {Int64{id}});
    st, into(removed);
    st.execute();
    if (removed.empty())
      return fail(ErrorCode::kNotFound,
                  "exception " + std::to_string(id) + " does not exist in " + options_.location,
                  "adcheck exceptions list --all shows the ids");
    if (removed.front() != 0)
      return fail(ErrorCode::kInvalidArgument,
                  "exception " + std::to_string(id) + " was already removed on " +
                      scan::isoTime(removed.front()),
                  "nothing to do");
    auto up = prepare("UPDATE exceptions SET removed_at = ? WHERE id = ?", {Int64{now}, Int64{id}});
    up.execute();
    tx.commit();
    return {};
  });
}

// --- retention -----------------------------------------------------------------------------------

PruneResult SqlStore::pruneLocked(const Retention& retention, std::time_t now) {
  PruneResult result;
  if (retention.keepScans <= 0 && retention.keepDays <= 0) return result;
  std::vector<Int64> id, started;
  std::vector<std::string> status;
  auto st = prepare("SELECT id, started, status FROM scans ORDER BY id DESC", {});
  st, into(id), into(started), into(status);
  st.execute();
  const std::time_t cutoff = retention.keepDays > 0 ? now - std::time_t{retention.keepDays} * 86400 : 0;
  bool latest_completed_kept = false;
  std::vector<Param> doomed;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool is_latest_completed = !latest_completed_kept && status[i] == "completed";
    if (is_latest_completed) latest_completed_kept = true;
    if (status[i] == "running" || is_latest_completed) continue;  // never
    const bool too_many = retention.keepScans > 0 && i >= static_cast<std::size_t>(retention.keepScans);
    const bool too_old = retention.keepDays > 0 && started[i] < cutoff;
    if (too_many || too_old) doomed.emplace_back(id[i]);
  }
  if (doomed.empty()) return result;
  // In chunks: backends limit the number of parameters of one statement.
  for (std::size_t i = 0; i < doomed.size(); i += 500) {
    std::vector<Param> chunk(doomed.begin() + static_cast<std::ptrdiff_t>(i),
                             doomed.begin() + static_cast<std::ptrdiff_t>(std::min(doomed.size(), i + 500)));
    // scan_findings and scan_rule_counts go with the scan: deleted here rather than by ON DELETE
    // CASCADE, which finishScan's transaction does not have (Dialect::beforeScanWrite).
    const std::string in = " WHERE scan_id IN (" + placeholders(chunk.size()) + ")";
    for (const char* table : {"scan_findings", "scan_rule_counts"}) {
      auto children = prepare(std::string("DELETE FROM ") + table + in, chunk);
      children.execute();
    }
    auto del = prepare("DELETE FROM scans WHERE id IN (" + placeholders(chunk.size()) + ")", chunk);
    del.execute();
  }
  result.scansDeleted = static_cast<std::int64_t>(doomed.size());
  // Lifecycles nobody needs: resolved (or never confirmed) and stored in no kept scan, with their
  // events. Open lifecycles always stay.
  const std::string orphans =
      " FROM findings WHERE (status IS NULL OR status = 'resolved')"
      " AND NOT EXISTS (SELECT 1 FROM scan_findings sf WHERE sf.finding_id = findings.id)";
  result.lifecyclesDeleted = scalar("SELECT COUNT(*)" + orphans);
  if (result.lifecyclesDeleted > 0) {
    // Their events first (no ON DELETE CASCADE in finishScan's transaction).
    exec("DELETE FROM finding_events WHERE finding_id IN (SELECT id" + orphans + ")");
    exec("DELETE" + orphans);
  }
  // Details texts no kept scan refers to any more.
  exec("DELETE FROM finding_details WHERE id NOT IN (SELECT details_id FROM scan_findings)");
  return result;
}

Result<PruneResult> SqlStore::prune(const Retention& retention, std::time_t now) {
  return guarded("applying the retention", [&]() -> Result<PruneResult> {
    Transaction tx(*this, dialect_->beginWrite());
    auto r = pruneLocked(retention, now);
    tx.commit();
    return r;
  });
}

class RowByRowInsert final : public BulkInsert {
 public:
  RowByRowInsert(Poco::Data::Session& session, std::string sql)
      : session_(session), sql_(std::move(sql)) {}
  void add(std::span<const Cell> row) override {
    Poco::Data::Statement st(session_);
    st << sql_;
    for (const auto& cell : row) {
      if (const auto* i = std::get_if<std::int64_t>(&cell)) st, bind(Int64{*i});
      else if (const auto* t = std::get_if<std::string_view>(&cell)) st, bind(std::string(*t));
      else st, bind(NullableInt());
    }
    st.execute();
  }
  void flush() override {}

 private:
  Poco::Data::Session& session_;
  std::string sql_;
};

}  // namespace

std::unique_ptr<BulkInsert> rowByRowInsert(Poco::Data::Session& session, std::string insert_sql) {
  return std::make_unique<RowByRowInsert>(session, std::move(insert_sql));
}

Result<std::unique_ptr<Store>> openSqlStore(Poco::Data::Session session,
                                            std::unique_ptr<Dialect> dialect,
                                            SqlStoreOptions options) {
  if (auto c = dialect->configure(session); !c) return fail(c.error());
  auto store = std::make_unique<SqlStore>(std::move(session), std::move(dialect), std::move(options));
  if (auto m = store->migrate(); !m) return fail(m.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace adcheck::store
