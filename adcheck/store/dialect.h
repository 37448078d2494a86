// What differs between database backends, in one place. The store itself (sql_store.cpp) speaks
// portable SQL through Poco::Data; a backend supplies a Dialect: how to spell an auto-assigned key,
// how to take the write lock, the per-connection settings (SQLite's PRAGMAs), and how the
// connector's exceptions become errors that say what to do.
#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::store {

// One value of a bulk-inserted row: NULL, an integer or text (the view need only outlive add()).
using Cell = std::variant<std::monostate, std::int64_t, std::string_view>;

// Rows into one table, as fast as the backend allows, inside the caller's transaction. Errors are
// thrown as the connector's exceptions (the store translates them like any other).
class BulkInsert {
 public:
  virtual ~BulkInsert() = default;
  virtual void add(std::span<const Cell> row) = 0;  // cells in the statement's column order
  virtual void flush() = 0;                         // every row added is now in the table
  // Rows of this table reference rows of `parent`'s (foreign keys): a backend that holds rows
  // back flushes `parent` before writing any of this one's. `parent` must outlive this object.
  void after(BulkInsert& parent) { parents_.push_back(&parent); }

 protected:
  void flushParents() {
    for (auto* p : parents_) p->flush();
  }

 private:
  std::vector<BulkInsert*> parents_;
};

// The portable fallback: one INSERT per row through Poco::Data.
std::unique_ptr<BulkInsert> rowByRowInsert(Poco::Data::Session& session, std::string insert_sql);

class Dialect {
 public:
  virtual ~Dialect() = default;
  // "SQLite", "PostgreSQL": for messages.
  virtual std::string_view name() const = 0;
  // The column definition replacing {id} in migrations: an integer primary key the database
  // assigns on insert.
  virtual std::string_view autoIdColumn() const = 0;
  // What replaces {without_rowid} after a table whose primary key should be the table itself.
  virtual std::string_view withoutRowid() const { return ""; }
  // Starts a transaction that holds the write lock from the start, so that a writer that would
  // have to wait does so (up to the busy timeout) before it has done any work.
  virtual std::string_view beginWrite() const = 0;
  // Starts a read transaction: one consistent snapshot for queries of several statements.
  virtual std::string_view beginRead() const = 0;
  // Per-connection settings, run once after connecting and before the migrations.
  virtual Result<void> configure(Poco::Data::Session& session) const = 0;
  // An exception from the connector as an error naming the database and what to do. `doing` says
  // what the store was doing ("writing scan 12").
  virtual Error translate(const Poco::Exception& e, const std::string& doing) const = 0;
  // A bulk insert for `insert_sql` ("INSERT INTO t (a, b) VALUES (?, ?)"). Writing a scan's
  // findings is the store's one hot path (SPEC section 9: a million in seconds); Poco::Data's
  // per-row binding machinery costs several times what the database itself needs, so a backend
  // may use its native path (SQLite: multi-row INSERTs of a prepared statement; PostgreSQL: COPY).
  // Around the transaction that writes a scan (before its BEGIN, after its COMMIT or ROLLBACK):
  // the store assigns every id of that transaction itself under the write lock, so a backend
  // may stop checking foreign keys row by row there (SQLite: PRAGMA foreign_keys, which cannot
  // change inside a transaction). The store deletes dependent rows itself rather than rely on
  // ON DELETE CASCADE.
  virtual void beforeScanWrite(Poco::Data::Session& /*session*/) {}
  virtual void afterScanWrite(Poco::Data::Session& /*session*/) {}
  // Called after a scan's transaction has committed. The SQLite backend copies the write-ahead
  // log into the database here, on another thread, instead of inside the commit.
  virtual void afterScanCommit(Poco::Data::Session& /*session*/) {}
  virtual std::unique_ptr<BulkInsert> bulkInsert(Poco::Data::Session& session,
                                                 std::string insert_sql) const {
    return rowByRowInsert(session, std::move(insert_sql));
  }
};

}  // namespace adcheck::store
