// The Store over any Poco::Data session, in portable SQL; the backend's differences come in
// through its Dialect. SQLite is the only backend so far (sqlite_store.h).
#pragma once

#include <Poco/Data/Session.h>

#include <functional>
#include <memory>
#include <string>

#include "adcheck/store/dialect.h"
#include "adcheck/store/store.h"

namespace adcheck::store {

struct SqlStoreOptions {
  std::string location;  // file or URI of the database, for messages
  Retention retention;
  std::function<void(std::size_t, std::size_t)> writeProgress;
  std::string adcheckVersion;
};

// Configures the connection through the dialect, applies pending migrations and returns the store.
Result<std::unique_ptr<Store>> openSqlStore(Poco::Data::Session session,
                                            std::unique_ptr<Dialect> dialect,
                                            SqlStoreOptions options);

}  // namespace adcheck::store
