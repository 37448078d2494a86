// Server-side sessions, roles and login throttling (web/API.md "Sessions, roles, CSRF").
// A session id is 256 random bits (the cookie), with its own random CSRF token; sessions expire
// absolutely after the configured lifetime. The clock is injectable so tests can expire a session
// without waiting.
#pragma once

#include <chrono>
#include <ctime>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "web/server/http_util.h"

namespace adcheck::web {

// kNone: a public route (login, health). Higher roles may do everything lower ones may.
enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };
std::string_view roleName(Role role);

struct Caller {
  std::string sessionId;
  std::string user;
  std::string displayName;
  Role role = Role::kNone;
  std::string csrf;
  std::time_t expires = 0;
};

using Clock = std::function<std::time_t()>;
Clock systemClock();

class SessionStore {
 public:
  explicit SessionStore(std::chrono::seconds lifetime, Clock clock = systemClock());
  Caller create(const std::string& user, const std::string& display_name, Role role);
  // 401 "not logged in" for an unknown id, "session expired" for an expired one (then removed).
  HttpResult<Caller> find(const std::string& id);
  void remove(const std::string& id);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::chrono::seconds lifetime_;
  Clock clock_;
  std::map<std::string, Caller> sessions_;
};

// After kMaxFailures failed logins for one account or from one client address within the
// window, further attempts are refused until the oldest failure leaves the window. The account
// and the client are separate buckets: callers pass the canonical account (the same for "alice",
// "CORP\\alice" and "alice@corp.example.com") and the real client address (behind a trusted
// proxy, the forwarded one). An empty account counts per client only: the local admin, whom
// nobody on the network may lock out for everyone.
class LoginThrottle {
 public:
  static constexpr int kMaxFailures = 5;
  explicit LoginThrottle(std::chrono::seconds window = std::chrono::minutes(15),
                         Clock clock = systemClock());

  // An attempt that may go ahead, already counted as a failure: the check and the count are one
  // step under the lock, so concurrent wrong logins cannot all pass the check before any of
  // them is recorded (with 16 at once, all 16 were tried).
  struct Ticket {
    std::uint64_t id = 0;
    std::string account;
    std::string client;
  };
  // The ticket, or the seconds to wait when blocked (nothing is counted then).
  std::expected<Ticket, int> reserve(const std::string& account, const std::string& client);
  // The login succeeded: the account's failures are cleared and this attempt no longer counts
  // for the client (its earlier failures still do).
  void succeeded(const Ticket& ticket);
  // The attempt failed for a reason that is not the caller's (directory unreachable): it does
  // not count.
  void cancel(const Ticket& ticket);

  // Seconds to wait when blocked, nullopt when an attempt may go ahead (no reservation).
  std::optional<int> retryAfter(const std::string& account, const std::string& client);
  void recordFailure(const std::string& account, const std::string& client);
  // Clears the account's failures (not the address's).
  void recordSuccess(const std::string& account);

 private:
  struct Attempt {
    std::time_t at = 0;
    std::uint64_t id = 0;
  };
  using Bucket = std::deque<Attempt>;
  std::optional<int> blockedFor(Bucket& failures, std::time_t now) const;
  std::optional<int> blockedLocked(const std::string& account, const std::string& client,
                                   std::time_t now);
  void addLocked(const std::string& account, const std::string& client, std::uint64_t id,
                 std::time_t now);
  static void dropAttempt(std::map<std::string, Bucket>& buckets, const std::string& key,
                          std::uint64_t id);
  void prune(std::time_t now);

  std::mutex mutex_;
  std::chrono::seconds window_;
  Clock clock_;
  std::uint64_t nextId_ = 1;
  std::map<std::string, Bucket> byAccount_;
  std::map<std::string, Bucket> byClient_;
};

}  // namespace adcheck::web
