#include "web/server/response_cache.h"

#include <chrono>

namespace adcheck::web {

ResponseCache::ResponseCache(std::size_t max_entries, std::size_t max_bytes)
    : maxEntries_(max_entries), maxBytes_(max_bytes) {}

std::optional<std::string> ResponseCache::get(const std::string& key, const std::string& version) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.version != version) {
    bytes_ -= it->second.body.size();
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.body;
}

void ResponseCache::put(const std::string& key, const std::string& version, const std::string& body) {
  if (body.size() > maxBytes_ / 8) return;  // one huge answer must not flush everything
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    bytes_ -= it->second.body.size();
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  lru_.push_front(key);
  entries_[key] = Entry{version, body, lru_.begin()};
  bytes_ += body.size();
  evict();
}

void ResponseCache::evict() {
  while (!lru_.empty() && (entries_.size() > maxEntries_ || bytes_ > maxBytes_)) {
    auto it = entries_.find(lru_.back());
    bytes_ -= it->second.body.size();
    entries_.erase(it);
    lru_.pop_back();
  }
}

ResponseCache::Claim ResponseCache::claim(const std::string& key) {
  std::unique_lock lock(mutex_);
  if (inFlight_.insert(key).second) return Claim(this, key, true);
  done_.wait_for(lock, std::chrono::seconds(5), [&] { return !inFlight_.count(key); });
  return Claim(this, key, false);
}

void ResponseCache::release(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    inFlight_.erase(key);
  }
  done_.notify_all();
}

ResponseCache::Claim::~Claim() {
  if (owns_ && cache_ != nullptr) cache_->release(key_);
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace adcheck::web
