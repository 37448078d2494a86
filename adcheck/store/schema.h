// The store's schema as ordered migrations: migration N is a list of SQL statements, applied once,
// in order, each migration in its own transaction, recorded in `schema_version`. Never edit a
// migration that has shipped: add the next one.
//
// The SQL is kept portable (SQLite and PostgreSQL): standard types (BIGINT, INTEGER, TEXT), no
// AUTOINCREMENT, no SQLite-only syntax. The one thing the dialects spell differently, the
// auto-assigned primary key, is the placeholder {id}, which each backend replaces (dialect.h);
// {without_rowid} after a table with a composite primary key lets a backend that can store the
// table as that key's B-tree say so (SQLite: WITHOUT ROWID; elsewhere nothing).
#pragma once

#include <string_view>
#include <vector>

namespace adcheck::store {

struct Migration {
  int version;
  std::string_view description;
  std::vector<std::string_view> statements;
};

// All migrations, in order; versions are 1, 2, ... without gaps.
const std::vector<Migration>& migrations();

// The version the current code writes (the last migration's).
int latestSchemaVersion();

// Creates the version table if missing (run before reading the version).
inline constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

}  // namespace adcheck::store
