// Helpers for the store tests: temporary store files and synthetic findings and scans.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "adcheck/store/sqlite_store.h"

namespace adcheck::store::testing {

// A fresh directory under the system temp dir (world-traversable, for the privilege-drop tests),
// removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "adcheck-store-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// 2024-01-01T00:00:00Z plus days.
inline std::time_t day(int n) { return 1704067200 + static_cast<std::time_t>(n) * 86400; }

inline scan::Finding finding(const std::string& rule, const std::string& guid,
                             const std::string& dn, scan::Severity severity = scan::Severity::kMedium,
                             const std::string& key = "") {
  scan::Finding f;
  f.rule = rule;
  f.severity = severity;
  f.dn = dn;
  f.objectGuid = guid;
  f.objectSid = "S-1-5-21-1-2-3-" + std::to_string(1000 + guid.size());
  auto comma = dn.find(',');
  f.samAccountName = dn.substr(3, comma == std::string::npos ? std::string::npos : comma - 3);
  f.summary = rule + " on " + f.samAccountName;
  f.details->set("cause", "synthetic");
  f.remediation = "Fix " + rule + ".";
  f.key = key;
  return f;
}

inline scan::ScanSummary summary(std::time_t started, scan::ScanStatus status,
                                 std::vector<std::string> rules = {}) {
  scan::ScanSummary s;
  s.status = status;
  s.target = "ldaps://dc1.corp.example.com";
  s.started = started;
  s.finished = started + 60;
  s.entriesRead = 100;
  s.objectsScanned = 80;
  s.rulesRun = std::move(rules);
  if (status != scan::ScanStatus::kCompleted) s.error = "the DC dropped the connection";
  return s;
}

inline std::vector<std::string> allRules() {
  return {"EAS-INHERITANCE-DISABLED", "MOB-BITMASK-INVALID", "ADM-ORPHANED-ADMINCOUNT",
          "EAS-DEVICE-RIGHTS-MISSING"};
}

inline std::unique_ptr<Store> openStore(const std::string& path, Retention retention = {0, 0}) {
  SqliteOptions o;
  o.path = path;
  o.retention = retention;
  auto s = openSqliteStore(o);
  if (!s) throw std::runtime_error(s.error().toString());
  return std::move(*s);
}

// begin + finish; returns the scan id and the states.
struct Written {
  std::int64_t id = 0;
  std::vector<FindingState> states;
};

inline Written writeScan(Store& store, std::time_t started, const std::vector<scan::Finding>& findings,
                         scan::ScanStatus status = scan::ScanStatus::kCompleted,
                         std::vector<std::string> rules = allRules()) {
  Written w;
  auto id = store.beginScan("ldaps://dc1.corp.example.com", rules);
  if (!id) throw std::runtime_error(id.error().toString());
  w.id = *id;
  auto states = store.finishScan(*id, summary(started, status, rules), findings);
  if (!states) throw std::runtime_error(states.error().toString());
  w.states = std::move(*states);
  return w;
}

inline std::vector<std::string> statuses(const std::vector<FindingState>& states) {
  std::vector<std::string> out;
  for (const auto& s : states) out.push_back(s.status);
  return out;
}

}  // namespace adcheck::store::testing
