// The scan job of the server: one scan at a time, in the background, started by the scheduler or
// an operator (POST /api/v1/scans). It records the scan as running first (so the UI sees it at
// once), runs the engine with live progress, probes every [endpoint] url (their EP-* findings join
// the same scan), then stores everything. On shutdown the running scan is interrupted: its source
// returns an error, so the engine ends it failed (nothing evaluated yet) or partial, and it is
// stored as such (a partial scan never resolves findings).
#pragma once

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/probe/probe.h"
#include "adcheck/scan/engine.h"
#include "adcheck/store/sqlite_store.h"
#include "ldap/session.h"
#include "web/server/http_util.h"

namespace adcheck::web {

// What a scan reads: a live directory (session + LiveSource) or snapshot files.
struct ScanInput {
  std::unique_ptr<ldap::Session> session;  // null for snapshots
  std::unique_ptr<scan::EntrySource> source;
};

struct SourceFactory {
  std::string target;  // recorded when the scan begins (before the source is opened)
  // context_only: a live source that stops after the context (the object page's explain).
  std::function<Result<ScanInput>(bool context_only)> open;
};

// The configured directory, as `adcheck scan --config` reads it.
SourceFactory liveSourceFactory(const config::Config& config);
// Snapshot files read in order as one stream (the demo).
SourceFactory snapshotSourceFactory(const std::vector<std::string>& paths);

struct LastRun {
  std::int64_t scanId = 0;
  std::string status;
  std::time_t finished = 0;
  std::string error;
};

struct JobState {
  bool running = false;
  std::optional<std::int64_t> scanId;
  std::string phase;  // context, objects, probe, finishing; "" when idle
  std::size_t entries = 0;
  std::size_t objects = 0;
  double seconds = 0;
  std::string startedBy;
  std::optional<LastRun> lastRun;
};

struct EndpointState {
  probe::ProbeResult result;
  std::vector<scan::Finding> findings;
};

class ScanJob {
 public:
  ScanJob(const config::Config& config, store::SqliteOptions store_options, SourceFactory factory);
  ~ScanJob();  // stop()

  // Starts a scan in the background; 409 conflict when one runs. Returns its scan id (the scan is
  // recorded as running before this returns). `now`: the scan's clock (0: real time).
  HttpResult<std::int64_t> start(const std::string& started_by, std::time_t now = 0);
  // Runs one scan in the calling thread (the demo's history); returns its id.
  Result<std::int64_t> runNow(const std::string& started_by, std::time_t now);

  JobState state() const;
  bool running() const;
  std::optional<std::time_t> lastStarted() const;
  void setLastStarted(std::time_t t) {
    std::lock_guard lock(mutex_);
    lastStarted_ = t;
  }
  std::vector<EndpointState> endpoints() const;
  const SourceFactory& factory() const { return factory_; }
  const config::Config& config() const { return config_; }

  // Interrupts a running scan, waits for it to be stored, and joins the thread.
  void stop();
  // Waits until no scan runs (tests, the demo); false on timeout.
  bool waitIdle(std::chrono::milliseconds timeout) const;

 private:
  HttpResult<std::int64_t> begin(const std::string& started_by);
  void run(std::int64_t id, std::time_t now);

  config::Config config_;
  store::SqliteOptions storeOptions_;
  SourceFactory factory_;
  std::unique_ptr<store::Store> store_;  // the writer; used by one scan at a time
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable idle_;
  JobState state_;
  std::optional<std::time_t> lastStarted_;
  std::vector<EndpointState> endpoints_;
  std::thread thread_;
};

}  // namespace adcheck::web
