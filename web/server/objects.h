// The object page's explain story (GET /api/v1/objects/{id}): the same JSON as
// `adcheck explain --format json`, read from the scan's source. Live: the context of the
// directory is collected once and kept until the next scan completes, then the one object is
// read by DN or objectGUID, only within the scanned base, over a small pool of service-account
// sessions that are kept open between requests (at most kMaxSessions at once: the page cannot
// multiply load on the DC). Snapshots (the demo): the files are read again (small).
#pragma once

#include <Poco/JSON/Object.h>

#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/scan/context.h"
#include "web/server/scan_job.h"

namespace adcheck::web {

class ObjectExplainer {
 public:
  static constexpr int kMaxSessions = 2;

  explicit ObjectExplainer(ScanJob& job) : job_(job) {}
  // nullopt: the directory has no such user, inetOrgPerson or computer. `id` is an objectGUID
  // or a DN. kInvalidArgument: a DN outside the scanned base (the message names the base).
  Result<std::optional<Poco::JSON::Object::Ptr>> explain(const std::string& id);

 private:
  Result<std::optional<Poco::JSON::Object::Ptr>> explainSnapshot(ScanInput& input, const std::string& id);
  // Live: the object through `session`; errors from the session itself are kUnavailable.
  Result<std::optional<ldap::Entry>> readLive(ldap::Session& session, const std::string& id,
                                              std::shared_ptr<scan::Context>& ctx);

  ScanJob& job_;
  std::mutex mutex_;  // the pool
  std::condition_variable freed_;
  int inUse_ = 0;
  std::vector<std::unique_ptr<ldap::Session>> idle_;
  std::mutex contextMutex_;  // the context, collected by one request at a time
  std::shared_ptr<scan::Context> context_;
  std::string objectBase_;
  std::optional<std::int64_t> contextScan_;  // the last completed scan when it was collected
};

// At most `limit` requests per key (a session) in a window of `window` seconds.
class RateLimit {
 public:
  RateLimit(int limit, std::time_t window) : limit_(limit), window_(window) {}
  // nullopt: allowed (and counted); else the seconds until the window ends.
  std::optional<int> take(const std::string& key, std::time_t now);

 private:
  struct Window {
    std::time_t start = 0;
    int count = 0;
  };
  int limit_;
  std::time_t window_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

bool looksLikeGuid(const std::string& text);

}  // namespace adcheck::web
