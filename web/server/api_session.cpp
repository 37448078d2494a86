// POST /api/v1/login, POST /api/v1/logout, GET /api/v1/session, GET /api/v1/health.
#include <Poco/JSON/Object.h>

#include "web/server/app.h"
#include "web/server/auth_ldap.h"
#include "web/server/auth_local.h"
#include "web/server/json_views.h"

namespace adcheck::web {
namespace {

constexpr std::size_t kMaxUserName = 256;
constexpr std::size_t kMaxPassword = 1024;

Poco::JSON::Object::Ptr sessionJson(const Caller& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("user", c.user);
  o->set("displayName", c.displayName);
  o->set("role", std::string(roleName(c.role)));
  o->set("csrf", c.csrf);
  o->set("expires", isoOrNull(c.expires));
  return o;
}

std::string cookie(const std::string& value, bool secure, bool clear) {
  std::string c = "adcheck_session=" + value + "; HttpOnly; SameSite=Strict; Path=/";
  if (clear) c += "; Max-Age=0";
  if (secure) c += "; Secure";
  return c;
}

HttpResult<Response> login(App& app, const Request& req) {
  // A cross-site HTML form cannot send application/json: this is the login's CSRF defence.
  const std::string type = req.header("content-type");
  if (!type.starts_with("application/json"))
    return std::unexpected(badRequest("login needs Content-Type: application/json"));
  auto body = parseJsonBody(req);
  ldap::wipe(const_cast<std::string&>(req.body));  // held the password; the server's own Request
  if (!body) return std::unexpected(body.error());
  auto user = jsonString(*body, "username");
  auto password = jsonString(*body, "password");
  if (!user || user->empty() || user->size() > kMaxUserName)
    return std::unexpected(badRequest("field 'username' must be a non-empty string of at most 256 characters"));
  if (!password || password->empty() || password->size() > kMaxPassword)
    return std::unexpected(badRequest("field 'password' must be a non-empty string of at most 1024 characters"));
  ldap::Secret secret(std::move(*password));
  (*body)->remove("password");

  const auto& cfg = app.config();
  // The local admin is throttled per client only: a bucket for the name would let anyone on the
  // network lock the admin out for good. AD accounts count per canonical account and per client.
  const bool local_admin = !cfg.web.admin_user.empty() && *user == cfg.web.admin_user;
  const std::string account = local_admin ? std::string() : canonicalAccount(*user, cfg.directory);
  // Reserved before the password is checked: concurrent attempts cannot pass the limit together.
  auto ticket = app.throttle().reserve(account, req.client);
  if (!ticket) {
    Poco::JSON::Object::Ptr f = new Poco::JSON::Object;
    f->set("reason", "throttled");
    app.audit("login-refused", *user, req.client, f);
    HttpError e{429, "too-many-requests", "too many failed logins; try again in " + std::to_string(ticket.error()) + " s",
                "wait, or ask an administrator to check the account", ticket.error()};
    return std::unexpected(e);
  }

  HttpResult<AuthIdentity> who = std::unexpected(HttpError{401, "unauthenticated", std::string(kBadCredentialsMessage), "", {}});
  std::string detail;
  if (local_admin) {
    auto ok = verifyPassword(secret.reveal(), cfg.web.admin_password_hash);
    if (ok && *ok) who = AuthIdentity{*user, *user, Role::kAdmin};
    else detail = ok ? "wrong password for the local admin" : ok.error().toString();
  } else if (app.loginDirectory() != nullptr) {
    if (auto directory = app.loginDirectory()->get(); !directory) {
      detail = directory.error().toString();
      who = httpFail(directory.error().code == ErrorCode::kConfig ? 500 : 503,
                     directory.error().code == ErrorCode::kConfig ? "internal" : "unavailable",
                     "AD login cannot read the directory's groups now", "the server log has the reason");
    } else {
      who = authenticateLdap(cfg, *directory, *user, secret, detail);
    }
  } else {
    detail = "no AD login configured ([directory] uri) and not the local admin";
  }
  secret.wipe();
  if (!who) {
    // A server-side problem (503/500) is not the user's failure: it does not count for throttling.
    if (who.error().status != 401 && who.error().status != 403) app.throttle().cancel(*ticket);
    Poco::JSON::Object::Ptr f = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    f->set("status", who.error().status);
    f->set("reason", detail);
    app.audit("login-failed", *user, req.client, f);
    return std::unexpected(who.error());
  }
  app.throttle().succeeded(*ticket);
  Caller c = app.sessions().create(who->user, who->displayName, who->role);
  Poco::JSON::Object::Ptr f = new Poco::JSON::Object;
  f->set("role", std::string(roleName(c.role)));
  app.audit("login", c.user, req.client, f);
  Poco::JSON::Object::Ptr o = sessionJson(c);
  Response r = jsonResponse(200, o);
  r.set("Set-Cookie", cookie(c.sessionId, req.secure, false));
  return r;
}

}  // namespace

void registerSessionRoutes(App& app, Router& router) {
  router.add("POST", "/api/v1/login", Role::kNone,
             [&app](const Request& req, const Params&, const Caller*) { return login(app, req); });
  router.add("POST", "/api/v1/logout", Role::kViewer,
             [&app](const Request& req, const Params&, const Caller* c) -> HttpResult<Response> {
               app.sessions().remove(c->sessionId);
               app.audit("logout", c->user, req.client);
               Response r = noContent();
               r.set("Set-Cookie", cookie("", req.secure, true));
               return r;
             });
  router.add("GET", "/api/v1/session", Role::kViewer,
             [](const Request&, const Params&, const Caller* c) -> HttpResult<Response> {
               return jsonResponse(200, sessionJson(*c));
             });
  router.add("GET", "/api/v1/health", Role::kNone,
             [&app](const Request&, const Params&, const Caller*) -> HttpResult<Response> {
               Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
               o->set("status", "ok");
               o->set("version", std::string(ADCHECK_VERSION));
               auto lease = app.stores().acquire();
               std::optional<Error> err;
               if (!lease) err = lease.error();
               else if (auto s = (*lease)->latestScan(false); !s) err = s.error();
               if (err) {
                 // Public route: the detail (paths, SQLite's message) only goes to the log.
                 o->set("status", "degraded");
                 o->set("store", "unavailable");
                 o->set("id", app.logError("health: store", *err));
                 return jsonResponse(503, o);
               }
               o->set("store", "ok");
               return jsonResponse(200, o);
             });
}

}  // namespace adcheck::web
