// Server-side sessions, roles and login throttling (web/API.md "Sessions, roles, CSRF").
// A session id is 256 random bits (the cookie), with its own random CSRF token; sessions expire
// absolutely after the configured lifetime. The clock is injectable so tests can expire a session
// without waiting.
#pragma once

#include <chrono>
#include <ctime>
#include <deque>
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

// After kMaxFailures failed logins for one user name (case-insensitive) or one client address
// within the window, further attempts are refused until the oldest failure leaves the window.
class LoginThrottle {
 public:
  static constexpr int kMaxFailures = 5;
  explicit LoginThrottle(std::chrono::seconds window = std::chrono::minutes(15),
                         Clock clock = systemClock());
  // Seconds to wait when blocked, nullopt when the attempt may go ahead.
  std::optional<int> retryAfter(const std::string& user, const std::string& client);
  void recordFailure(const std::string& user, const std::string& client);
  // A successful login clears the user name's failures (not the address's).
  void recordSuccess(const std::string& user);

 private:
  std::optional<int> blockedFor(std::deque<std::time_t>& failures, std::time_t now) const;
  void prune(std::time_t now);

  std::mutex mutex_;
  std::chrono::seconds window_;
  Clock clock_;
  std::map<std::string, std::deque<std::time_t>> byUser_;
  std::map<std::string, std::deque<std::time_t>> byClient_;
};

}  // namespace adcheck::web
