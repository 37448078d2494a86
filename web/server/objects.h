// The object page's explain story (GET /api/v1/objects/{id}): the same JSON as
// `adcheck explain --format json`, read from the scan's source. Live: the context of the
// directory is collected once and kept until the next scan completes, then the one object is
// read by DN or objectGUID; snapshots (the demo): the files are read again (small). One explain
// at a time, so the page cannot multiply load on the DC.
#pragma once

#include <Poco/JSON/Object.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adcheck/scan/context.h"
#include "web/server/scan_job.h"

namespace adcheck::web {

class ObjectExplainer {
 public:
  explicit ObjectExplainer(ScanJob& job) : job_(job) {}
  // nullopt: the directory has no such user, inetOrgPerson or computer. `id` is an objectGUID
  // or a DN.
  Result<std::optional<Poco::JSON::Object::Ptr>> explain(const std::string& id);

 private:
  ScanJob& job_;
  std::mutex mutex_;
  std::shared_ptr<scan::Context> context_;  // live only
  std::string objectBase_;
  std::optional<std::int64_t> contextScan_;  // the last completed scan when it was collected
};

bool looksLikeGuid(const std::string& text);

}  // namespace adcheck::web
