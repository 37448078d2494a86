#include "web/server/app.h"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "web/server/assets.h"
#include "web/server/auth_ldap.h"
#include "web/server/auth_local.h"
#include "web/server/json_views.h"
#include "web/server/objects.h"

namespace adcheck::web {

StorePool::Lease::~Lease() {
  if (!store_ || !pool_) return;
  std::lock_guard lock(pool_->mutex_);
  if (pool_->idle_.size() < 16) pool_->idle_.push_back(std::move(store_));
}

Result<StorePool::Lease> StorePool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(s));
    }
  }
  auto options = options_;
  options.create = false;
  auto s = store::openSqliteStore(options);
  if (!s) return fail(s.error());
  return Lease(*this, std::move(*s));
}

App::App(AppOptions options) : options_(std::move(options)) {}

App::~App() { stop(); }

Result<std::unique_ptr<App>> App::create(AppOptions options) {
  auto& web = options.config.web;
  if (!web.admin_password_hash.empty())
    if (auto ok = checkPasswordHash(web.admin_password_hash); !ok) return fail(ok.error());
  if (web.admin_user.empty() != web.admin_password_hash.empty())
    return fail(ErrorCode::kConfig, "[web] admin_user and admin_password_hash go together: set both or neither",
                "adcheck hash-password prints a hash");
  auto proxies = TrustedProxies::parse(web.trusted_proxies);
  if (!proxies) return fail(proxies.error());
  std::unique_ptr<App> app(new App(std::move(options)));
  const auto& cfg = app->options_.config;
  app->proxies_ = std::move(*proxies);
  if (!cfg.directory.uris.empty()) {
    // Role groups are resolved now, so a missing or ambiguous one stops the start with its name;
    // an unreachable directory is only a warning (AD login retries at the next login).
    app->loginDirectory_ = std::make_unique<LoginDirectoryCache>(cfg);
    if (auto d = app->loginDirectory_->get(); !d) {
      if (d.error().code == ErrorCode::kConfig) return fail(d.error());
      std::cerr << "adcheck serve: warning: AD login cannot read the directory now (retried at the next "
                   "login): "
                << d.error().toString() << "\n";
    }
  }
  auto store_options = store::sqliteOptions(cfg.store);
  // Create (and migrate) the store once, so readers can open it without creating anything.
  {
    auto s = store::openSqliteStore(store_options);
    if (!s)
      return fail(ErrorCode::kStore, "[store] path '" + cfg.store.path + "': " + s.error().message,
                  s.error().hint);
  }
  app->stores_ = std::make_unique<StorePool>(store_options);
  const int lifetime = app->options_.sessionSeconds.value_or(cfg.web.session_minutes * 60);
  app->sessions_ = std::make_unique<SessionStore>(std::chrono::seconds(lifetime), app->options_.clock);
  app->throttle_ = std::make_unique<LoginThrottle>(std::chrono::minutes(15), app->options_.clock);
  auto access = JsonLog::open(cfg.web.access_log);
  if (!access) return fail(ErrorCode::kConfig, "[web] access_log: " + access.error().message, access.error().hint);
  app->accessLog_ = std::move(*access);
  auto audit = JsonLog::open(cfg.web.audit_log);
  if (!audit) return fail(ErrorCode::kConfig, "[web] audit_log: " + audit.error().message, audit.error().hint);
  app->auditLog_ = std::move(*audit);
  auto errors = JsonLog::open("-");
  if (!errors) return fail(errors.error());
  app->errorLog_ = std::move(*errors);
  app->job_ = std::make_unique<ScanJob>(
      cfg, store_options, app->options_.source ? *app->options_.source : liveSourceFactory(cfg));
  // The scheduler counts the interval from the last scan, also across restarts.
  if (auto lease = app->stores_->acquire())
    if (auto last = (*lease)->latestScan(false); last && *last) app->job_->setLastStarted((*last)->started);
  app->scheduler_ = std::make_unique<Scheduler>(cfg.schedule, *app->job_);
  app->explainer_ = makeObjectExplainer(*app);
  Router& r = app->router_;
  registerSessionRoutes(*app, r);
  registerOverviewRoutes(*app, r);
  registerFindingRoutes(*app, r);
  registerObjectRoutes(*app, r);
  registerScanRoutes(*app, r);
  registerExceptionRoutes(*app, r);
  registerRuleRoutes(*app, r);
  registerEndpointRoutes(*app, r);
  registerReportRoutes(*app, r);
  return app;
}

void App::start() {
  if (options_.startScheduler) scheduler_->start();
}

void App::stop() {
  if (scheduler_) scheduler_->stop();
  if (job_) job_->stop();
}

Poco::JSON::Object::Ptr App::scheduleJson() const {
  const auto st = job_->state();
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("running", st.running);
  o->set("scanId", st.running && st.scanId ? Poco::Dynamic::Var(*st.scanId) : Poco::Dynamic::Var());
  o->set("phase", st.running && !st.phase.empty() ? Poco::Dynamic::Var(st.phase) : Poco::Dynamic::Var());
  o->set("entries", static_cast<std::uint64_t>(st.entries));
  o->set("objects", static_cast<std::uint64_t>(st.objects));
  o->set("seconds", st.seconds);
  o->set("startedBy", st.startedBy.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(st.startedBy));
  if (st.lastRun) {
    Poco::JSON::Object::Ptr l = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    l->set("scanId", st.lastRun->scanId);
    l->set("status", st.lastRun->status);
    l->set("finished", isoOrNull(st.lastRun->finished));
    l->set("error", st.lastRun->error);
    o->set("lastRun", l);
  } else {
    o->set("lastRun", Poco::Dynamic::Var());
  }
  auto next = options_.startScheduler ? scheduler_->nextRun() : std::nullopt;
  o->set("nextRun", next ? isoOrNull(*next) : Poco::Dynamic::Var());
  o->set("schedule", scheduleText(options_.config.schedule));
  return o;
}

void App::audit(const std::string& event, const std::string& user, const std::string& client,
                const Poco::JSON::Object::Ptr& fields) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("event", event);
  o->set("user", user);
  o->set("client", client);
  if (fields)
    for (const auto& k : fields->getNames()) o->set(k, fields->get(k));
  auditLog_->write(o);
}

Result<std::string> App::dataVersion(store::Store& s) {
  auto last = s.latestScan(false);
  if (!last) return fail(last.error());
  if (!*last) return std::string("empty");
  return std::to_string((*last)->id) + ":" + std::string(scan::scanStatusName((*last)->status)) + ":" +
         std::to_string((*last)->finished);
}

std::string App::logError(const std::string& what, const Error& error) {
  const std::string id = randomHex(6);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("event", "internal-error");
  o->set("id", id);
  o->set("what", what);
  o->set("error", error.toString());
  errorLog_->write(o);
  return id;
}

HttpError App::internal(const std::string& what, const Error& error) { return internalError(logError(what, error)); }

HttpResult<Response> App::withStore(const std::function<HttpResult<Response>(store::Store&)>& fn) {
  auto lease = stores_->acquire();
  if (!lease) return std::unexpected(internal("opening the store", lease.error()));
  return fn(**lease);
}

Response App::serveAsset(const Request& request, const std::string& path) {
  const Asset* a = findAsset(path);
  if (a == nullptr)
    return errorResponse(HttpError{404, "not-found", "no such file: /assets/" + path.substr(0, 200), "", {}});
  Response r;
  r.contentType = std::string(a->contentType);
  r.set("Cache-Control", "no-cache");
  r.set("ETag", std::string(a->etag));
  if (request.header("if-none-match") == a->etag) {
    r.status = 304;
    return r;
  }
  r.body = std::string(a->content);
  return r;
}

Response App::route(const Request& request, std::string& user) {
  const std::string& path = request.path;
  if (path.starts_with("/api/")) {
    auto m = router_.match(request.method, path);
    if (m.route == nullptr) {
      if (m.pathKnown)
        return errorResponse(HttpError{405, "method-not-allowed",
                                       request.method + " is not allowed on " + path.substr(0, 200), "", {}});
      return errorResponse(HttpError{404, "not-found", "no API route " + path.substr(0, 200),
                                     "web/API.md lists the routes", {}});
    }
    std::optional<Caller> caller;
    if (m.route->minRole != Role::kNone) {
      auto c = sessions_->find(request.cookie("adcheck_session"));
      if (!c) return errorResponse(c.error());
      caller = *c;
      user = c->user;
      const bool changes = request.method == "POST" || request.method == "PUT" ||
                           request.method == "DELETE" || request.method == "PATCH";
      if (changes && !constantTimeEquals(request.header("x-csrf-token"), c->csrf))
        return errorResponse(HttpError{403, "csrf", "missing or wrong X-CSRF-Token header",
                                       "send the csrf value of GET /api/v1/session", {}});
      if (c->role < m.route->minRole)
        return errorResponse(HttpError{403, "forbidden",
                                       "this needs the role " + std::string(roleName(m.route->minRole)) +
                                           "; you are " + std::string(roleName(c->role)),
                                       "", {}});
    }
    try {
      auto r = m.route->handler(request, m.params, caller ? &*caller : nullptr);
      if (!r) return errorResponse(r.error());
      return std::move(*r);
    } catch (const std::exception& e) {
      return errorResponse(internal(request.method + " " + path.substr(0, 256),
                                    Error{ErrorCode::kInternal, e.what(), {}}));
    }
  }
  if (request.method != "GET" && request.method != "HEAD")
    return errorResponse(HttpError{405, "method-not-allowed", request.method + " is not allowed here", "", {}});
  if (path.starts_with("/assets/")) {
    bool ok = true;
    std::string decoded = percentDecode(path.substr(8), false, &ok);
    return serveAsset(request, ok ? decoded : std::string());
  }
  // Client-side routing: every other page path gets the application.
  Response r = serveAsset(request, "index.html");
  return r;
}

void App::applyForwarded(Request& request) const {
  proxies_.apply(request);
  if (options_.config.web.cookie_secure) request.secure = true;
}

Response App::handle(const Request& request, std::string& user) {
  Response r = route(request, user);
  addSecurityHeaders(r, request.secure);
  return r;
}

}  // namespace adcheck::web
