// Everything SQLite-specific lives here: the PRAGMAs, the write-lock spelling, and the meaning of
// SQLite's failures for the person running adcheck.
#include "adcheck/store/sqlite_store.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "adcheck/store/sql_store.h"

namespace adcheck::store {
namespace {

namespace fs = std::filesystem;
namespace sq = Poco::Data::SQLite;
using namespace Poco::Data::Keywords;

// The store's hot path: one prepared statement stepped per row, text bound without copying.
class SqliteBulkInsert final : public BulkInsert {
 public:
  SqliteBulkInsert(sqlite3* db, const std::string& sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) raise(rc, sql);
  }
  ~SqliteBulkInsert() override { sqlite3_finalize(stmt_); }
  SqliteBulkInsert(const SqliteBulkInsert&) = delete;
  SqliteBulkInsert& operator=(const SqliteBulkInsert&) = delete;

  void add(std::span<const Cell> row) override {
    if (bound_.size() != row.size()) bound_.assign(row.size(), Bound{});
    int column = 1;
    for (const auto& cell : row) {
      int rc = SQLITE_OK;
      // Bindings survive sqlite3_reset: an integer or NULL equal to the last row's (the scan id,
      // its time, absent exceptions) is not bound again. Text always is (its buffer changes).
      auto& last = bound_[static_cast<std::size_t>(column - 1)];
      if (const auto* i = std::get_if<std::int64_t>(&cell)) {
        if (last.kind != Bound::kInt || last.value != *i) {
          rc = sqlite3_bind_int64(stmt_, column, *i);
          last = Bound{Bound::kInt, *i};
        }
      } else if (std::holds_alternative<std::monostate>(cell)) {
        if (last.kind != Bound::kNull) {
          rc = sqlite3_bind_null(stmt_, column);
          last = Bound{Bound::kNull, 0};
        }
      } else if (const auto* t = std::get_if<std::string_view>(&cell)) {
        last = Bound{Bound::kText, 0};
        // SQLITE_STATIC: the text lives until the step below; a null pointer would mean NULL.
        rc = sqlite3_bind_text(stmt_, column, t->data() != nullptr ? t->data() : "",
                               static_cast<int>(t->size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) raise(rc, "binding column " + std::to_string(column));
      ++column;
    }
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE) raise(rc, "inserting a row");
  }
  void flush() override {}

 private:
  // As Poco's own statements would: the exception type says what happened (full, locked, ...).
  [[noreturn]] void raise(int rc, const std::string& what) {
    sq::Utility::throwException(db_, rc & 0xff, what);
    throw sq::SQLiteException(what);  // throwException always throws; for the compiler
  }

  struct Bound {
    enum Kind { kUnbound, kNull, kInt, kText } kind = kUnbound;
    std::int64_t value = 0;
  };

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::vector<Bound> bound_;  // what each column holds from the previous row
};

class SqliteDialect final : public Dialect {
 public:
  SqliteDialect(std::string path, std::chrono::milliseconds busy, std::int64_t max_pages)
      : path_(std::move(path)), busy_(busy), maxPages_(max_pages) {}

  std::string_view name() const override { return "SQLite"; }
  // A rowid alias: assigned on insert, no AUTOINCREMENT bookkeeping table.
  std::string_view autoIdColumn() const override { return "INTEGER PRIMARY KEY"; }
  // IMMEDIATE takes the write lock at BEGIN (waiting up to busy_timeout), so a writer never
  // fails half-way because another one got there first.
  std::string_view beginWrite() const override { return "BEGIN IMMEDIATE"; }
  std::string_view beginRead() const override { return "BEGIN"; }

  Result<void> configure(Poco::Data::Session& session) const override {
    try {
      // First, so that the others wait for a busy database rather than fail.
      session << "PRAGMA busy_timeout = " + std::to_string(busy_.count()), now;
      session << "PRAGMA foreign_keys = ON", now;
      // Larger pages: fewer of them to write for a big scan (only takes effect on a new file).
      session << "PRAGMA page_size = 16384", now;
      std::string mode;
      session << "PRAGMA journal_mode = WAL", into(mode), now;
      if (mode != "wal")
        return fail(ErrorCode::kStore,
                    path_ + ": SQLite would not switch to WAL journaling (got '" + mode + "')",
                    "put the store on a local file system; WAL needs shared memory beside the file");
      // In WAL mode NORMAL is crash-safe (a killed process loses nothing committed); only a power
      // failure can lose the last transactions, never consistency.
      session << "PRAGMA synchronous = NORMAL", now;
      // KiB: up to 256 MiB, used only as a big scan's indexes grow (a million findings).
      session << "PRAGMA cache_size = -262144", now;
      if (maxPages_ > 0) session << "PRAGMA max_page_count = " + std::to_string(maxPages_), now;
      return {};
    } catch (const Poco::Exception& e) {
      return fail(translate(e, "opening the database"));
    }
  }

  std::unique_ptr<BulkInsert> bulkInsert(Poco::Data::Session& session,
                                         std::string insert_sql) const override {
    return std::make_unique<SqliteBulkInsert>(sq::Utility::dbHandle(session), insert_sql);
  }

  Error translate(const Poco::Exception& e, const std::string& doing) const override {
    const std::string detail = " (" + e.displayText() + ")";
    const std::string dir = fs::path(path_).parent_path().string();
    if (dynamic_cast<const sq::DBLockedException*>(&e) != nullptr ||
        dynamic_cast<const sq::TableLockedException*>(&e) != nullptr)
      return Error{ErrorCode::kStore,
                   path_ + " is locked by another writer: gave up " + doing + " after waiting " +
                       std::to_string(busy_.count()) + " ms" + detail,
                   "another adcheck scan or a tool holds a write transaction; retry when it has "
                   "finished (fuser " + path_ + " shows who has it open). Earlier history is intact."};
    if (dynamic_cast<const sq::DatabaseFullException*>(&e) != nullptr)
      return Error{ErrorCode::kStore,
                   path_ + " is full (SQLITE_FULL) while " + doing +
                       ": nothing of it was saved, earlier history is intact" + detail,
                   "free space on the file system holding " + dir +
                       " (df -h " + dir + "), lower [store] keep_scans/keep_days, or move [store] path"};
    if (dynamic_cast<const sq::ReadOnlyException*>(&e) != nullptr ||
        dynamic_cast<const sq::DBAccessDeniedException*>(&e) != nullptr ||
        dynamic_cast<const sq::CantOpenDBFileException*>(&e) != nullptr ||
        dynamic_cast<const sq::AuthorizationDeniedException*>(&e) != nullptr)
      return readOnly(doing, detail);
    if (dynamic_cast<const sq::CorruptImageException*>(&e) != nullptr)
      return Error{ErrorCode::kStore, path_ + " is damaged (" + doing + ")" + detail,
                   "restore it from a backup; sqlite3 " + path_ +
                       " 'PRAGMA integrity_check' shows what is wrong"};
    if (dynamic_cast<const sq::IOErrorException*>(&e) != nullptr)
      return Error{ErrorCode::kIo, "I/O error on " + path_ + " while " + doing + detail,
                   "check the disk and the file system holding " + dir};
    // Poco reports a failed sqlite3_open as a connection failure with SQLite's text.
    const std::string text = e.displayText();
    if (text.find("unable to open") != std::string::npos ||
        text.find("readonly") != std::string::npos || text.find("read-only") != std::string::npos)
      return readOnly(doing, detail);
    if (text.find("disk is full") != std::string::npos)
      return Error{ErrorCode::kStore, path_ + " is full (SQLITE_FULL) while " + doing + detail,
                   "free space on the file system holding " + dir};
    if (text.find("locked") != std::string::npos || text.find("busy") != std::string::npos)
      return Error{ErrorCode::kStore, path_ + " is locked by another writer while " + doing + detail,
                   "retry when the other adcheck process has finished"};
    return Error{ErrorCode::kStore, path_ + ": " + doing + " failed" + detail, ""};
  }

 private:
  Error readOnly(const std::string& doing, const std::string& detail) const {
    const std::string dir = fs::path(path_).parent_path().string();
    return Error{ErrorCode::kIo,
                 "cannot write " + path_ + " while " + doing + ": the file or its directory is "
                 "read-only for this user" + detail,
                 "give the adcheck user write access to " + path_ + " and to " + dir +
                     " (SQLite keeps " + path_ + "-wal and -shm beside it), or set another "
                     "[store] path. Earlier history is intact."};
  }

  std::string path_;
  std::chrono::milliseconds busy_;
  std::int64_t maxPages_;
};

void registerConnector() {
  static std::once_flag once;
  std::call_once(once, [] { sq::Connector::registerConnector(); });
}

}  // namespace

SqliteOptions sqliteOptions(const config::StoreConfig& config) {
  SqliteOptions o;
  o.path = config.path;
  o.retention = Retention{config.keep_scans, config.keep_days};
  return o;
}

Result<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options) {
  const std::string& path = options.path;
  if (path.empty())
    return fail(ErrorCode::kConfig, "[store] path is empty",
                "set [store] path to the SQLite file adcheck keeps its history in");
  std::error_code ec;
  fs::path file(path);
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (!fs::is_directory(dir, ec))
    return fail(ErrorCode::kIo, "the directory " + dir.string() + " of the store " + path +
                                    " does not exist",
                "create it (mkdir -p " + dir.string() + ") writable by the adcheck user, or set "
                "another [store] path");
  const bool exists = fs::exists(file, ec);
  if (!exists && !options.create)
    return fail(ErrorCode::kNotFound, "there is no store at " + path,
                "check [store] path; adcheck scan with that configuration creates it");
  if (exists && fs::is_directory(file, ec))
    return fail(ErrorCode::kConfig, "[store] path " + path + " is a directory",
                "give a file name, e.g. " + (file / "adcheck.sqlite").string());
  // SQLite needs to create PATH-wal and PATH-shm: the directory must be writable too. Checked here
  // because SQLite's own message ("unable to open database file") does not say which.
  if (::access(dir.c_str(), W_OK) != 0 || (exists && ::access(path.c_str(), W_OK) != 0))
    return fail(ErrorCode::kIo,
                "cannot write the store " + path + ": " +
                    (exists && ::access(path.c_str(), W_OK) != 0 ? "the file" : "its directory") +
                    " is read-only for this user",
                "give the adcheck user write access to " + path + " and to " + dir.string() +
                    " (SQLite keeps " + path + "-wal and -shm beside it), or set another "
                    "[store] path. Earlier history is intact.");

  registerConnector();
  const SqliteDialect dialect(path, options.busyTimeout, options.maxPageCount);
  try {
    // A short login timeout: Poco retries a failing open until it expires; waiting for locks is
    // the busy timeout's job.
    Poco::Data::Session session("SQLite", path, 1);
    SqlStoreOptions so{path, options.retention, options.writeProgress, options.adcheckVersion};
    return openSqlStore(std::move(session), std::make_unique<SqliteDialect>(dialect),
                        std::move(so));
  } catch (const Poco::Exception& e) {
    return fail(dialect.translate(e, "opening the database"));
  }
}

}  // namespace adcheck::store
