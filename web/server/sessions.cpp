#include "web/server/sessions.h"

#include <algorithm>
#include <cctype>

namespace adcheck::web {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

Clock systemClock() {
  return [] { return std::time(nullptr); };
}

SessionStore::SessionStore(std::chrono::seconds lifetime, Clock clock)
    : lifetime_(lifetime), clock_(std::move(clock)) {}

Caller SessionStore::create(const std::string& user, const std::string& display_name, Role role) {
  Caller c;
  c.sessionId = randomHex(32);  // 256 bits
  c.csrf = randomHex(32);
  c.user = user;
  c.displayName = display_name;
  c.role = role;
  std::lock_guard lock(mutex_);
  const std::time_t now = clock_();
  c.expires = now + lifetime_.count();
  // Drop expired sessions here so the map cannot grow without bound.
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires <= now; });
  sessions_[c.sessionId] = c;
  return c;
}

HttpResult<Caller> SessionStore::find(const std::string& id) {
  if (id.empty()) return httpFail(401, "unauthenticated", "not logged in", "log in at /login");
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    return httpFail(401, "unauthenticated", "not logged in", "log in at /login");
  if (it->second.expires <= clock_()) {
    sessions_.erase(it);
    return httpFail(401, "unauthenticated", "session expired", "log in again");
  }
  return it->second;
}

void SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

LoginThrottle::LoginThrottle(std::chrono::seconds window, Clock clock)
    : window_(window), clock_(std::move(clock)) {}

std::optional<int> LoginThrottle::blockedFor(std::deque<std::time_t>& failures, std::time_t now) const {
  while (!failures.empty() && failures.front() + window_.count() <= now) failures.pop_front();
  if (static_cast<int>(failures.size()) < kMaxFailures) return std::nullopt;
  // Blocked until the oldest failure that keeps the count at the limit leaves the window.
  const std::time_t until = failures[failures.size() - kMaxFailures] + window_.count();
  return static_cast<int>(std::max<std::time_t>(1, until - now));
}

std::optional<int> LoginThrottle::retryAfter(const std::string& user, const std::string& client) {
  std::lock_guard lock(mutex_);
  const std::time_t now = clock_();
  std::optional<int> wait;
  if (auto it = byUser_.find(lower(user)); it != byUser_.end()) wait = blockedFor(it->second, now);
  if (auto it = byClient_.find(client); it != byClient_.end())
    if (auto w = blockedFor(it->second, now); w && (!wait || *w > *wait)) wait = w;
  return wait;
}

void LoginThrottle::prune(std::time_t now) {
  for (auto* m : {&byUser_, &byClient_})
    std::erase_if(*m, [&](auto& kv) {
      return kv.second.empty() || kv.second.back() + window_.count() <= now;
    });
}

void LoginThrottle::recordFailure(const std::string& user, const std::string& client) {
  std::lock_guard lock(mutex_);
  const std::time_t now = clock_();
  // Random user names must not grow the maps without bound.
  if (byUser_.size() + byClient_.size() > 10000) prune(now);
  byUser_[lower(user)].push_back(now);
  byClient_[client].push_back(now);
}

void LoginThrottle::recordSuccess(const std::string& user) {
  std::lock_guard lock(mutex_);
  byUser_.erase(lower(user));
}

}  // namespace adcheck::web
