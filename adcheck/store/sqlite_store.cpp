// Everything SQLite-specific lives here: the PRAGMAs, the write-lock spelling, and the meaning of
// SQLite's failures for the person running adcheck.
#include "adcheck/store/sqlite_store.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "adcheck/store/sql_store.h"

namespace adcheck::store {
namespace {

namespace fs = std::filesystem;
namespace sq = Poco::Data::SQLite;
using namespace Poco::Data::Keywords;

// The store's hot path. Rows are bound into one multi-row INSERT of kBatchRows rows: each
// execution of a statement has a fixed cost in SQLite (starting the statement transaction, opening
// a cursor per table, index and foreign-key parent, ending the statement) that one row per
// statement paid a million times. Text is copied into the batch, so a caller's views need only
// outlive add(). Foreign keys stay checked row by row: a batch first flushes the bulk inserts of
// the tables it references (BulkInsert::after). (Deferring them instead makes SQLite look for
// orphaned children, by a full scan, on every parent row inserted while a violation is pending.)
class SqliteBulkInsert final : public BulkInsert {
 public:
  static constexpr std::size_t kBatchRows = 64;

  SqliteBulkInsert(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    // The row group is everything from the last "VALUES" on: "(?, ?, ...)".
    const auto at = sql.rfind("VALUES");
    if (at == std::string::npos) raise(SQLITE_MISUSE, "bulk insert without VALUES: " + sql);
    head_ = sql.substr(0, at + 6);
    group_ = sql.substr(at + 6);
    columns_ = static_cast<std::size_t>(std::count(group_.begin(), group_.end(), '?'));
  }
  ~SqliteBulkInsert() override {
    for (auto* st : statements_) sqlite3_finalize(st);
  }
  SqliteBulkInsert(const SqliteBulkInsert&) = delete;
  SqliteBulkInsert& operator=(const SqliteBulkInsert&) = delete;

  void add(std::span<const Cell> row) override {
    if (row.size() != columns_)
      raise(SQLITE_RANGE, std::to_string(row.size()) + " values for " + std::to_string(columns_) +
                              " columns in " + sql_);
    for (const auto& cell : row) {
      if (const auto* i = std::get_if<std::int64_t>(&cell)) {
        cells_.push_back({Pending::kInt, *i, 0});
      } else if (const auto* t = std::get_if<std::string_view>(&cell)) {
        cells_.push_back({Pending::kText, static_cast<std::int64_t>(text_.size()), t->size()});
        text_.append(t->data() != nullptr ? t->data() : "", t->size());
      } else {
        cells_.push_back({Pending::kNull, 0, 0});
      }
    }
    if (cells_.size() == columns_ * kBatchRows) flushBatch();
  }

  void flush() override {
    if (cells_.empty()) return;
    flushParents();
    run(cells_.size() / columns_);
  }

 private:
  struct Pending {
    enum Kind { kNull, kInt, kText } kind;
    std::int64_t value;  // the integer, or the offset of the text in text_
    std::size_t size;    // text length
  };

  // The INSERT of `rows` rows, prepared once.
  sqlite3_stmt* statement(std::size_t rows) {
    if (statements_.empty()) statements_.assign(kBatchRows + 1, nullptr);
    auto& st = statements_[rows];
    if (st == nullptr) {
      std::string sql = head_;
      for (std::size_t r = 0; r < rows; ++r) sql += (r == 0 ? "" : ",") + group_;
      int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
      if (rc != SQLITE_OK) raise(rc, sql);
    }
    return st;
  }

  void flushBatch() {
    flushParents();
    run(kBatchRows);
  }

  // Binds the pending rows and steps their statement once.
  void run(std::size_t rows) {
    sqlite3_stmt* st = statement(rows);
    const std::size_t n = rows * columns_;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& c = cells_[k];
      const int column = static_cast<int>(k) + 1;
      int rc = SQLITE_OK;
      if (c.kind == Pending::kInt) rc = sqlite3_bind_int64(st, column, c.value);
      else if (c.kind == Pending::kNull) rc = sqlite3_bind_null(st, column);
      // SQLITE_STATIC: text_ is not touched until the step below has finished.
      else rc = sqlite3_bind_text(st, column, text_.data() + c.value, static_cast<int>(c.size),
                                  SQLITE_STATIC);
      if (rc != SQLITE_OK) raise(rc, "binding column " + std::to_string(column));
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    clear();
    if (rc != SQLITE_DONE) raise(rc, "inserting rows");
  }

  void clear() {
    cells_.clear();
    text_.clear();
  }

  // As Poco's own statements would: the exception type says what happened (full, locked, ...).
  [[noreturn]] void raise(int rc, const std::string& what) {
    sq::Utility::throwException(db_, rc & 0xff, what);
    throw sq::SQLiteException(what);  // throwException always throws; for the compiler
  }

  sqlite3* db_;
  std::string sql_, head_, group_;
  std::size_t columns_ = 0;
  std::vector<sqlite3_stmt*> statements_;  // by number of rows
  std::vector<Pending> cells_;
  std::string text_;
};

class SqliteDialect final : public Dialect {
 public:
  SqliteDialect(std::string path, std::chrono::milliseconds busy, std::int64_t max_pages)
      : path_(std::move(path)), busy_(busy), maxPages_(max_pages) {}

  std::string_view name() const override { return "SQLite"; }
  // A rowid alias: assigned on insert, no AUTOINCREMENT bookkeeping table.
  std::string_view autoIdColumn() const override { return "INTEGER PRIMARY KEY"; }
  std::string_view withoutRowid() const override { return "WITHOUT ROWID"; }
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
      // KiB: up to 1 GiB, used only as a big scan's tables and indexes grow: a million findings
      // make ~500 MB of pages, and a cache smaller than that spills dirty pages to the log in
      // the middle of the transaction and writes many of them again.
      session << "PRAGMA cache_size = -1048576", now;
      // No checkpoint inside a commit: afterScanCommit runs it on another thread (a big scan's
      // commit would otherwise wait for its whole log to be copied and synced). Other commits
      // are small; SQLite checkpoints when the last connection closes.
      session << "PRAGMA wal_autocheckpoint = 0", now;
      if (maxPages_ > 0) session << "PRAGMA max_page_count = " + std::to_string(maxPages_), now;
      return {};
    } catch (const Poco::Exception& e) {
      return fail(translate(e, "opening the database"));
    }
  }

  // Checking five references per stored finding cost a fifth of the insert time; the store's own
  // ids need no checking. Tests run PRAGMA foreign_key_check after writing scans.
  // The connection's mutex is held for the whole write: every bind and step takes it otherwise
  // (Debian builds SQLite serialized), tens of millions of lock/unlock pairs for a big scan; taken
  // again by the same thread it is only a counter (SQLite's connection mutex is recursive). A
  // store is used by one thread at a time (the web leases them from a pool), so nobody waits.
  void beforeScanWrite(Poco::Data::Session& session) override {
    session << "PRAGMA foreign_keys = OFF", Poco::Data::Keywords::now;
    heldMutex_ = sqlite3_db_mutex(sq::Utility::dbHandle(session));  // NULL: opened NOMUTEX
    sqlite3_mutex_enter(heldMutex_);
  }
  void afterScanWrite(Poco::Data::Session& session) override {
    sqlite3_mutex_leave(heldMutex_);
    heldMutex_ = nullptr;
    session << "PRAGMA foreign_keys = ON", Poco::Data::Keywords::now;
  }

  // The log is copied into the database by a connection of its own on another thread (a PASSIVE
  // checkpoint: readers and the next writer go on meanwhile). Committed data is already safe in
  // the log (WAL + synchronous=NORMAL: a crash loses nothing committed), so nothing waits for
  // it; the next scan, or closing the store, waits for the previous one to finish.
  void afterScanCommit(Poco::Data::Session&) override {
    joinCheckpoint();
    checkpoint_ = std::thread([path = path_, busy = busy_] {
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) ==
          SQLITE_OK) {
        sqlite3_busy_timeout(db, static_cast<int>(busy.count()));
        // A new connection learns that the file is in WAL mode on its first read; before that a
        // checkpoint does nothing.
        sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
        // Failure only leaves the log longer until the next checkpoint; nothing to report.
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      }
      sqlite3_close_v2(db);
    });
  }
  ~SqliteDialect() override { joinCheckpoint(); }

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

  void joinCheckpoint() {
    if (checkpoint_.joinable()) checkpoint_.join();
  }

  std::string path_;
  std::chrono::milliseconds busy_;
  std::int64_t maxPages_;
  std::thread checkpoint_;
  sqlite3_mutex* heldMutex_ = nullptr;  // during a scan write
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

Result<int> readSqliteSchemaVersion(const std::string& path) {
  sqlite3* db = nullptr;
  // Read-only and no create: looking must not make a store appear or migrate one.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  if (rc != SQLITE_OK)
    return fail(ErrorCode::kIo, "cannot open the store " + path + " to read it: " + sqlite3_errstr(rc),
                "check [store] path and that this user may read the file");
  sqlite3_stmt* st = nullptr;
  const char* kSql =
      "SELECT COALESCE(MAX(version), 0) FROM schema_version";
  rc = sqlite3_prepare_v2(db, kSql, -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(db);
    if (why.find("no such table") != std::string::npos) return 0;
    return fail(ErrorCode::kIo, "the store " + path + " cannot be read: " + why,
                "is it an adcheck store (an SQLite file)? set another [store] path otherwise");
  }
  int version = 0;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return version;
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
    return openSqlStore(std::move(session),
                        std::make_unique<SqliteDialect>(path, options.busyTimeout, options.maxPageCount),
                        std::move(so));
  } catch (const Poco::Exception& e) {
    return fail(dialect.translate(e, "opening the database"));
  }
}

}  // namespace adcheck::store
