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

std::optional<int> LoginThrottle::blockedFor(Bucket& failures, std::time_t now) const {
  while (!failures.empty() && failures.front().at + window_.count() <= now) failures.pop_front();
  if (static_cast<int>(failures.size()) < kMaxFailures) return std::nullopt;
  // Blocked until the oldest failure that keeps the count at the limit leaves the window.
  const std::time_t until = failures[failures.size() - kMaxFailures].at + window_.count();
  return static_cast<int>(std::max<std::time_t>(1, until - now));
}

std::optional<int> LoginThrottle::blockedLocked(const std::string& account,
                                                const std::string& client, std::time_t now) {
  std::optional<int> wait;
  if (!account.empty())
    if (auto it = byAccount_.find(lower(account)); it != byAccount_.end())
      wait = blockedFor(it->second, now);
  if (auto it = byClient_.find(client); it != byClient_.end())
    if (auto w = blockedFor(it->second, now); w && (!wait || *w > *wait)) wait = w;
  return wait;
}

void LoginThrottle::addLocked(const std::string& account, const std::string& client,
                              std::uint64_t id, std::time_t now) {
  // Random user names must not grow the maps without bound.
  if (byAccount_.size() + byClient_.size() > 10000) prune(now);
  if (!account.empty()) byAccount_[lower(account)].push_back({now, id});
  byClient_[client].push_back({now, id});
}

void LoginThrottle::dropAttempt(std::map<std::string, Bucket>& buckets, const std::string& key,
                                std::uint64_t id) {
  auto it = buckets.find(key);
  if (it == buckets.end()) return;
  std::erase_if(it->second, [&](const Attempt& a) { return a.id == id; });
  if (it->second.empty()) buckets.erase(it);
}

std::expected<LoginThrottle::Ticket, int> LoginThrottle::reserve(const std::string& account,
                                                                  const std::string& client) {
  std::lock_guard lock(mutex_);
  const std::time_t now = clock_();
  if (auto wait = blockedLocked(account, client, now)) return std::unexpected(*wait);
  Ticket t{nextId_++, account, client};
  addLocked(account, client, t.id, now);
  return t;
}

void LoginThrottle::succeeded(const Ticket& ticket) {
  std::lock_guard lock(mutex_);
  if (!ticket.account.empty()) byAccount_.erase(lower(ticket.account));
  dropAttempt(byClient_, ticket.client, ticket.id);
}

void LoginThrottle::cancel(const Ticket& ticket) {
  std::lock_guard lock(mutex_);
  if (!ticket.account.empty()) dropAttempt(byAccount_, lower(ticket.account), ticket.id);
  dropAttempt(byClient_, ticket.client, ticket.id);
}

std::optional<int> LoginThrottle::retryAfter(const std::string& account, const std::string& client) {
  std::lock_guard lock(mutex_);
  return blockedLocked(account, client, clock_());
}

void LoginThrottle::prune(std::time_t now) {
  for (auto* m : {&byAccount_, &byClient_})
    std::erase_if(*m, [&](auto& kv) {
      return kv.second.empty() || kv.second.back().at + window_.count() <= now;
    });
}

void LoginThrottle::recordFailure(const std::string& account, const std::string& client) {
  std::lock_guard lock(mutex_);
  addLocked(account, client, nextId_++, clock_());
}

void LoginThrottle::recordSuccess(const std::string& account) {
  std::lock_guard lock(mutex_);
  byAccount_.erase(lower(account));
}

}  // namespace adcheck::web
