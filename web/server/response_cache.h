// A small LRU cache of API answers that depend only on the stored scans (the findings table,
// the trend). Stored findings change only when a scan is written, so an answer is valid while
// the store's newest scan (id, status, finish time) is the same: callers pass that as `version`,
// read with one indexed query per request, which also covers writers in other processes
// (`adcheck scan` with the same store). Exceptions take effect at the next scan (store.h), so
// adding one does not change these answers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <set>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace adcheck::web {

class ResponseCache {
 public:
  explicit ResponseCache(std::size_t max_entries = 512, std::size_t max_bytes = 64u << 20);
  std::optional<std::string> get(const std::string& key, const std::string& version);
  void put(const std::string& key, const std::string& version, const std::string& body);
  std::size_t size() const;

  // Single flight: when many requests miss the same key at once (right after a scan is written),
  // one computes the answer and the others wait for it instead of running the same query in
  // parallel. claim() returns a guard; owns() says whether this caller computes. A waiter gives up
  // after 5 s and computes itself.
  class Claim {
   public:
    Claim(ResponseCache* cache, std::string key, bool owns) : cache_(cache), key_(std::move(key)), owns_(owns) {}
    Claim(Claim&& o) noexcept : cache_(o.cache_), key_(std::move(o.key_)), owns_(o.owns_) { o.owns_ = false; }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim();
    bool owns() const { return owns_; }

   private:
    ResponseCache* cache_;
    std::string key_;
    bool owns_;
  };
  Claim claim(const std::string& key);

 private:
  struct Entry {
    std::string version;
    std::string body;
    std::list<std::string>::iterator lru;
  };
  void evict();
  void release(const std::string& key);
  std::condition_variable done_;
  std::set<std::string> inFlight_;
  mutable std::mutex mutex_;
  std::size_t maxEntries_;
  std::size_t maxBytes_;
  std::size_t bytes_ = 0;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
};

}  // namespace adcheck::web
