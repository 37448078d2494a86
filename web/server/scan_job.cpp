#include "web/server/scan_job.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "adcheck/scan/sources.h"
#include "rules/endpoint_rule.h"

namespace adcheck::web {
namespace {

// Several snapshot files read as one stream.
class SnapshotList : public scan::EntrySource {
 public:
  explicit SnapshotList(std::vector<std::unique_ptr<scan::SnapshotSource>> parts)
      : parts_(std::move(parts)) {}
  Result<std::optional<ldap::Entry>> next() override {
    while (current_ < parts_.size()) {
      auto e = parts_[current_]->next();
      if (!e || *e) return e;
      ++current_;
    }
    return std::optional<ldap::Entry>();
  }
  std::string target() const override {
    std::string t;
    for (const auto& p : parts_) t += (t.empty() ? "" : " + ") + p->target();
    return t;
  }

 private:
  std::vector<std::unique_ptr<scan::SnapshotSource>> parts_;
  std::size_t current_ = 0;
};

// Ends the scan early on shutdown: the engine sees a source error and stores the scan as failed
// or partial with this reason.
class Interruptible : public scan::EntrySource {
 public:
  Interruptible(scan::EntrySource& inner, const std::atomic<bool>& stop) : inner_(inner), stop_(stop) {}
  Result<std::optional<ldap::Entry>> next() override {
    if (stop_.load())
      return fail(ErrorCode::kInternal, "interrupted: the server was shutting down",
                  "the next scan starts from the beginning");
    return inner_.next();
  }
  std::string target() const override { return inner_.target(); }
  std::vector<std::string> warnings() const override { return inner_.warnings(); }

 private:
  scan::EntrySource& inner_;
  const std::atomic<bool>& stop_;
};

bool endpointRuleEnabled(const config::RulesConfig& cfg, std::string_view id) {
  for (const auto& e : cfg.enabled)
    if (e == "all" || ldap::iequals(e, id)) return true;
  return false;
}

std::vector<std::string> ruleIds(const config::Config& config) {
  std::vector<std::string> ids;
  if (auto rules = scan::enabledRules(config.rules))
    for (const auto* r : *rules) ids.emplace_back(r->meta.id);
  if (!config.endpoint.urls.empty())
    for (const auto* r : rules::endpointRegistry())
      if (endpointRuleEnabled(config.rules, r->meta.id)) ids.emplace_back(r->meta.id);
  return ids;
}

}  // namespace

SourceFactory liveSourceFactory(const config::Config& config) {
  SourceFactory f;
  for (const auto& u : config.directory.uris) f.target += (f.target.empty() ? "" : " ") + u;
  f.open = [config](bool context_only) -> Result<ScanInput> {
    auto opts = scan::sessionOptions(config.directory);
    if (!opts) return fail(opts.error());
    auto session = ldap::Session::open(*opts);
    if (!session) return fail(session.error());
    ScanInput in;
    in.session = std::make_unique<ldap::Session>(std::move(*session));
    in.source = std::make_unique<scan::LiveSource>(
        *in.session, config,
        context_only ? scan::LiveSource::Mode::kContextOnly : scan::LiveSource::Mode::kFullScan);
    return in;
  };
  return f;
}

SourceFactory snapshotSourceFactory(const std::vector<std::string>& paths) {
  SourceFactory f;
  for (const auto& p : paths) f.target += (f.target.empty() ? "snapshot:" : " + snapshot:") + p;
  f.open = [paths](bool) -> Result<ScanInput> {
    std::vector<std::unique_ptr<scan::SnapshotSource>> parts;
    for (const auto& p : paths) {
      auto s = scan::SnapshotSource::open(p);
      if (!s) return fail(s.error());
      parts.push_back(std::move(*s));
    }
    ScanInput in;
    in.source = std::make_unique<SnapshotList>(std::move(parts));
    return in;
  };
  return f;
}

ScanJob::ScanJob(const config::Config& config, store::SqliteOptions store_options, SourceFactory factory)
    : config_(config), storeOptions_(std::move(store_options)), factory_(std::move(factory)) {}

ScanJob::~ScanJob() { stop(); }

HttpResult<std::int64_t> ScanJob::begin(const std::string& started_by) {
  std::lock_guard lock(mutex_);
  if (state_.running)
    return httpFail(409, "conflict", "a scan is already running (scan " +
                                         std::to_string(state_.scanId.value_or(0)) + ")",
                    "wait for it to finish; GET /api/v1/job shows its progress");
  if (stop_.load()) return httpFail(503, "unavailable", "the server is shutting down");
  if (!store_) {
    auto s = store::openSqliteStore(storeOptions_);
    if (!s) {
      std::fprintf(stderr, "adcheck serve: cannot open the store for writing: %s\n",
                   s.error().toString().c_str());
      return std::unexpected(internalError());
    }
    store_ = std::move(*s);
  }
  auto id = store_->beginScan(factory_.target, ruleIds(config_));
  if (!id) {
    std::fprintf(stderr, "adcheck serve: cannot record the scan: %s\n", id.error().toString().c_str());
    return std::unexpected(internalError());
  }
  const auto previous = state_.lastRun;
  state_ = JobState{};
  state_.running = true;
  state_.scanId = *id;
  state_.phase = "context";
  state_.startedBy = started_by;
  state_.lastRun = previous;
  lastStarted_ = std::time(nullptr);
  return *id;
}

HttpResult<std::int64_t> ScanJob::start(const std::string& started_by, std::time_t now) {
  auto id = begin(started_by);
  if (!id) return id;
  if (thread_.joinable()) thread_.join();  // the previous scan's thread has finished
  thread_ = std::thread([this, scan_id = *id, now] { run(scan_id, now); });
  return id;
}

Result<std::int64_t> ScanJob::runNow(const std::string& started_by, std::time_t now) {
  auto id = begin(started_by);
  if (!id) return fail(ErrorCode::kStore, id.error().message, id.error().hint);
  run(*id, now);
  std::lock_guard lock(mutex_);
  if (state_.lastRun && state_.lastRun->scanId == *id && state_.lastRun->status == "failed")
    return fail(ErrorCode::kStore, "scan " + std::to_string(*id) + " failed: " + state_.lastRun->error);
  return *id;
}

void ScanJob::run(std::int64_t id, std::time_t now) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  scan::ScanOptions options;
  options.config = config_;
  options.now = now;
  options.progress = [this](const scan::Progress& p) {
    std::lock_guard lock(mutex_);
    state_.phase = p.phase == "done" ? "finishing" : p.phase;
    state_.entries = p.entries;
    state_.objects = p.objects;
    state_.seconds = p.seconds;
  };
  std::vector<scan::Finding> findings;
  scan::ScanSummary summary;
  auto input = factory_.open(false);
  if (!input) {
    summary.status = scan::ScanStatus::kFailed;
    summary.target = factory_.target;
    summary.started = now ? now : std::time(nullptr);
    summary.finished = now ? now : std::time(nullptr);
    summary.error = input.error().toString();
  } else {
    Interruptible source(*input->source, stop_);
    summary = scan::runScan(source, options, [&](scan::Finding&& f) { findings.push_back(std::move(f)); });
    // A scan run on a fixed clock (the demo's history) is dated consistently: it ends when it began
    // plus the time it took.
    if (now != 0) summary.finished = now + static_cast<std::time_t>(elapsed());
  }

  // The endpoint probe joins the same scan (issue 8), unless the scan was interrupted.
  std::vector<EndpointState> probed;
  if (!config_.endpoint.urls.empty() && !stop_.load()) {
    {
      std::lock_guard lock(mutex_);
      state_.phase = "probe";
    }
    auto popts = probe::optionsFrom(config_.endpoint);
    for (const auto& url : config_.endpoint.urls) {
      if (stop_.load()) break;
      EndpointState ep;
      ep.result = probe::probeUrl(url, popts);
      for (const auto* r : rules::endpointRegistry())
        if (endpointRuleEnabled(config_.rules, r->meta.id))
          r->evaluate(ep.result, config_.rules, [&](scan::Finding&& f) { ep.findings.push_back(f); });
      for (const auto& f : ep.findings) findings.push_back(f);
      probed.push_back(std::move(ep));
    }
    if (!stop_.load())
      for (const auto* r : rules::endpointRegistry())
        if (endpointRuleEnabled(config_.rules, r->meta.id)) summary.rulesRun.emplace_back(r->meta.id);
  }
  {
    std::lock_guard lock(mutex_);
    state_.phase = "finishing";
    state_.seconds = elapsed();
  }
  summary.findings = findings.size();
  auto stored = store_->finishScan(id, summary, findings);
  LastRun last;
  last.scanId = id;
  last.status = std::string(scan::scanStatusName(summary.status));
  last.finished = summary.finished ? summary.finished : std::time(nullptr);
  last.error = summary.error;
  if (!stored) {
    last.status = "failed";
    last.error = "storing the scan failed: " + stored.error().message;
    // Failed for its real reason (a full disk), not later taken for "interrupted".
    (void)store_->failScan(id, "the scan could not be saved: " + stored.error().message);
    std::fprintf(stderr, "adcheck serve: %s\n", stored.error().toString().c_str());
  }
  std::lock_guard lock(mutex_);
  if (!probed.empty()) endpoints_ = std::move(probed);
  state_.running = false;
  state_.phase.clear();
  state_.seconds = elapsed();
  state_.lastRun = last;
  idle_.notify_all();
}

JobState ScanJob::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool ScanJob::running() const {
  std::lock_guard lock(mutex_);
  return state_.running;
}

std::optional<std::time_t> ScanJob::lastStarted() const {
  std::lock_guard lock(mutex_);
  return lastStarted_;
}

std::vector<EndpointState> ScanJob::endpoints() const {
  std::lock_guard lock(mutex_);
  return endpoints_;
}

void ScanJob::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool ScanJob::waitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return !state_.running; });
}

}  // namespace adcheck::web
