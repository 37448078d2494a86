// The dashboard application behind the HTTP server: routing, authentication, CSRF, roles, the
// JSON errors of web/API.md, static assets, the access and audit logs, and the shared state the
// API resources use (store connections, sessions, the scan job and the scheduler). Independent of
// the socket layer (server.h), so it can be exercised with plain Request objects.
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/store/sqlite_store.h"
#include "web/server/http_util.h"
#include "web/server/json_log.h"
#include "web/server/proxy.h"
#include "web/server/response_cache.h"
#include "web/server/router.h"
#include "web/server/scan_job.h"
#include "web/server/scheduler.h"
#include "web/server/sessions.h"

namespace adcheck::web {

class ObjectExplainer;  // api_objects.cpp
class LoginDirectoryCache;  // auth_ldap.h

struct AppOptions {
  config::Config config;
  // The scan source; unset: the configured live directory.
  std::optional<SourceFactory> source;
  // Session lifetime in seconds instead of [web] session_minutes (tests).
  std::optional<int> sessionSeconds;
  bool startScheduler = true;
  Clock clock = systemClock();  // sessions and throttling (tests)
};

// Borrowed store connection: a Store is one connection for one thread at a time, so readers take
// one from a small pool and give it back.
class StorePool {
 public:
  explicit StorePool(store::SqliteOptions options) : options_(std::move(options)) {}
  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<store::Store> s) : pool_(&pool), store_(std::move(s)) {}
    Lease(Lease&&) = default;
    ~Lease();
    store::Store& operator*() { return *store_; }
    store::Store* operator->() { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
  };
  Result<Lease> acquire();

 private:
  store::SqliteOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::Store>> idle_;
};

class App {
 public:
  // Opens (and creates) the store and the logs; errors name the key or file.
  static Result<std::unique_ptr<App>> create(AppOptions options);
  ~App();

  // One request, end to end. `user` receives the caller's name for the access log.
  Response handle(const Request& request, std::string& user);
  // Behind a trusted proxy ([web] trusted_proxies): the forwarded client address and scheme;
  // [web] cookie_secure. The socket layer calls this before handle() and logging.
  void applyForwarded(Request& request) const;

  // Starts the scheduler (if configured); stop() interrupts a running scan and stops it.
  void start();
  void stop();

  // --- for the API resources ----------------------------------------------------------------------
  const config::Config& config() const { return options_.config; }
  std::time_t now() const { return options_.clock(); }
  StorePool& stores() { return *stores_; }
  SessionStore& sessions() { return *sessions_; }
  LoginThrottle& throttle() { return *throttle_; }
  // The domain and the role groups' SIDs for AD login; null without [directory] uri.
  LoginDirectoryCache* loginDirectory() { return loginDirectory_.get(); }
  ScanJob& job() { return *job_; }
  ObjectExplainer& explainer() { return *explainer_; }
  Poco::JSON::Object::Ptr scheduleJson() const;
  // Writes an audit line {event, user, client, ...fields}.
  void audit(const std::string& event, const std::string& user, const std::string& client,
             const Poco::JSON::Object::Ptr& fields = nullptr);
  JsonLog& accessLog() { return *accessLog_; }
  ResponseCache& cache() { return cache_; }
  // The stored data's version for the cache: the newest scan's id, status and finish time.
  Result<std::string> dataVersion(store::Store& store);
  // Runs fn with a store connection; a store error becomes a logged 500.
  HttpResult<Response> withStore(const std::function<HttpResult<Response>(store::Store&)>& fn);
  // Logs an internal error (server side only: DC URIs, bind DNs, paths and library messages never
  // reach a client) and returns the 500 to answer with, which carries the log line's id.
  HttpError internal(const std::string& what, const Error& error);
  // Writes {"event": "internal-error", "id", "what", "error"} to standard error; returns the id.
  std::string logError(const std::string& what, const Error& error);

 private:
  explicit App(AppOptions options);
  Response route(const Request& request, std::string& user);
  Response serveAsset(const Request& request, const std::string& path);

  AppOptions options_;
  std::unique_ptr<StorePool> stores_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<LoginDirectoryCache> loginDirectory_;
  TrustedProxies proxies_;
  std::unique_ptr<JsonLog> accessLog_;
  std::unique_ptr<JsonLog> auditLog_;
  std::unique_ptr<JsonLog> errorLog_;  // standard error
  std::unique_ptr<ScanJob> job_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ObjectExplainer> explainer_;
  Router router_;
  ResponseCache cache_;
};

// Route registration, one resource per file (api_*.cpp).
void registerSessionRoutes(App& app, Router& router);
void registerOverviewRoutes(App& app, Router& router);
void registerFindingRoutes(App& app, Router& router);
void registerObjectRoutes(App& app, Router& router);
void registerScanRoutes(App& app, Router& router);
void registerExceptionRoutes(App& app, Router& router);
void registerRuleRoutes(App& app, Router& router);
void registerEndpointRoutes(App& app, Router& router);
void registerReportRoutes(App& app, Router& router);

std::unique_ptr<ObjectExplainer> makeObjectExplainer(App& app);

}  // namespace adcheck::web
