// The SQLite store (the default: embedded, zero set-up) through Poco::Data. WAL journal, so the
// web can read while a scan writes; foreign keys on; a busy timeout so two writers queue instead of
// failing at once; the schema versioned by ordered migrations (schema.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adcheck/config/config.h"
#include "adcheck/store/store.h"

namespace adcheck::store {

struct SqliteOptions {
  std::string path;
  // How long a writer waits for another one (another scan, `exceptions add`) before giving up
  // with a "locked" error.
  std::chrono::milliseconds busyTimeout{5000};
  Retention retention;  // applied after every completed scan
  // false: the file must exist (commands that only read, so a typo does not create an empty store).
  bool create = true;
  // Cap on the database size in pages (SQLite max_page_count); 0: none. For quotas, and how the
  // tests provoke SQLITE_FULL without filling a disk.
  std::int64_t maxPageCount = 0;
  // Called while finishScan writes (findings written so far, total), every few thousand rows.
  std::function<void(std::size_t, std::size_t)> writeProgress;
  std::string adcheckVersion;  // recorded per scan; empty: this build's version
};

Result<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

// The schema version of an existing store file, read without changing it (read-only open, no
// migration): for `adcheck doctor`. 0 when the file holds no adcheck schema.
Result<int> readSqliteSchemaVersion(const std::string& path);

// The options for the configured store ([store] path, keep_scans, keep_days).
SqliteOptions sqliteOptions(const config::StoreConfig& config);

}  // namespace adcheck::store
