// The dashboard server end to end on loopback, in-process: a local admin, the bundled demo
// snapshots as the scanned directory, a fresh store per test. Security behaviour of web/API.md:
// 401 without a session, 403 without the CSRF token, cookie flags, headers, limits, throttling,
// expiry, bad input, and logs that never hold a password.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/unit/web/web_test_client.h"
#include "web/server/app.h"
#include "web/server/auth_local.h"
#include "web/server/scheduler.h"
#include "web/server/server.h"

namespace adcheck::web {
namespace {

constexpr const char* kPassword = "S3cret-admin-passw0rd";
constexpr const char* kWrongPassword = "Wr0ng-guess-passw0rd";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class WebServer : public ::testing::Test {
 protected:
  void SetUp() override { start(false); }
  void TearDown() override { stopServer(); }

  void stopServer() {
    if (server_) server_->stop();
    server_.reset();
    if (app_) app_->stop();
    app_.reset();
  }

  void start(bool tls, std::optional<std::string> listen = std::nullopt) {
    char tmpl[] = "/tmp/adcheck-web-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.store.path = dir_ + "/store.sqlite";
    config_.web.admin_user = "admin";
    config_.web.admin_password_hash = hashPassword(kPassword, iterations_);
    config_.web.access_log = dir_ + "/access.log";
    config_.web.audit_log = dir_ + "/audit.log";
    config_.directory.uris.clear();
    if (tls) {
      const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
                              dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
      config_.web.tls_cert = dir_ + "/cert.pem";
      config_.web.tls_key = dir_ + "/key.pem";
    }
    AppOptions o;
    o.config = config_;
    o.source = snapshotSourceFactory({std::string(ADCHECK_SOURCE_DIR) + "/adcheck/demo/scan-1.ldif.gz"});
    o.startScheduler = false;
    o.clock = [this] { return std::time(nullptr) + clockOffset_; };
    auto app = App::create(o);
    ASSERT_TRUE(app) << app.error().toString();
    app_ = std::move(*app);
    auto server = Server::start(*app_, config_.web, listen.value_or("127.0.0.1:0"));
    ASSERT_TRUE(server) << server.error().toString();
    server_ = std::move(*server);
    client_ = std::make_unique<webtest::Client>("127.0.0.1", server_->port(), tls);
  }

  webtest::Client& client() { return *client_; }
  webtest::Client fresh() { return webtest::Client("127.0.0.1", server_->port(), server_->tls()); }

  void loginAdmin() {
    auto r = client().login("admin", kPassword);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::int64_t scanAndWait() {
    auto r = client().change("POST", "/api/v1/scans");
    EXPECT_EQ(r.status, 202) << r.body;
    const auto id = r.json()->getValue<std::int64_t>("scanId");
    EXPECT_TRUE(app_->job().waitIdle(std::chrono::seconds(60)));
    return id;
  }

  std::string dir_;
  config::Config config_;
  std::unique_ptr<App> app_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<webtest::Client> client_;
  std::time_t clockOffset_ = 0;
  int iterations_ = 1000;
};

TEST_F(WebServer, EveryApiRouteWithoutASessionIs401) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/session"},      {"GET", "/api/v1/overview"},        {"GET", "/api/v1/trend"},
      {"GET", "/api/v1/findings"},     {"GET", "/api/v1/findings/x"},      {"GET", "/api/v1/objects/x"},
      {"GET", "/api/v1/scans"},        {"GET", "/api/v1/scans/1"},         {"GET", "/api/v1/scans/1/diff/2"},
      {"GET", "/api/v1/job"},          {"GET", "/api/v1/exceptions"},      {"GET", "/api/v1/rules"},
      {"GET", "/api/v1/endpoints"},    {"GET", "/api/v1/reports/html"},    {"POST", "/api/v1/scans"},
      {"POST", "/api/v1/exceptions"},  {"DELETE", "/api/v1/exceptions/1"}, {"POST", "/api/v1/logout"}};
  for (const auto& [method, path] : routes) {
    auto r = client().call(method, path, method == "GET" ? "" : "{}");
    EXPECT_EQ(r.status, 401) << method << " " << path << ": " << r.body;
    EXPECT_EQ(r.errorCode(), "unauthenticated") << method << " " << path;
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  }
  // A forged cookie is no better.
  auto forged = client().call("GET", "/api/v1/overview", "", {{"Cookie", "adcheck_session=" + std::string(64, 'a')}});
  EXPECT_EQ(forged.status, 401);
  // The health endpoint is public.
  auto health = client().call("GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.json()->getValue<std::string>("store"), "ok");
}

TEST_F(WebServer, LoginCookieCarriesTheFlagsAndLogoutClearsIt) {
  auto r = client().login("admin", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::string>("role"), "admin");
  const std::string c = client().lastSetCookie_;
  EXPECT_NE(c.find("HttpOnly"), std::string::npos) << c;
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos) << c;
  EXPECT_NE(c.find("Path=/"), std::string::npos) << c;
  EXPECT_EQ(c.find("Secure"), std::string::npos) << "plain HTTP on loopback: no Secure flag: " << c;
  EXPECT_EQ(client().cookie_.size(), 64u);
  auto s = client().call("GET", "/api/v1/session");
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.json()->getValue<std::string>("csrf"), client().csrf_);
  auto out = client().change("POST", "/api/v1/logout", "");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = client().call("GET", "/api/v1/session", "", {{"Cookie", "adcheck_session=" + s.json()->getValue<std::string>("csrf")}});
  EXPECT_EQ(after.status, 401);
}

TEST_F(WebServer, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  auto wrong = fresh().login("admin", kWrongPassword);
  auto unknown = fresh().login("nobody", kWrongPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.errorMessage(), "user name or password is wrong, or the account is disabled");
  EXPECT_EQ(unknown.errorMessage(), wrong.errorMessage());
  EXPECT_TRUE(wrong.header("Set-Cookie").empty());
}

TEST_F(WebServer, FiveFailuresThrottleWith429AndRetryAfter) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fresh().login("admin", kWrongPassword).status, 401);
  auto r = fresh().login("admin", kPassword);  // even the right password waits
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.errorCode(), "too-many-requests");
  EXPECT_GT(std::stoi(r.header("Retry-After")), 0);
  clockOffset_ = 15 * 60 + 1;  // the window passes
  EXPECT_EQ(fresh().login("admin", kPassword).status, 200);
}

std::size_t countOf(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST_F(WebServer, ConcurrentWrongLoginsGetExactlyFiveTries) {
  // A slower hash widens the window between the check and the count (the race needed one).
  stopServer();
  iterations_ = 100000;
  constexpr int kAttempts = 50;
  // All 50 in flight at once from one address: above the default per-address bound (8), which
  // would cut connections before the throttle is reached (web_limits_test covers that bound).
  config_.web.max_connections_per_client = kAttempts;
  start(false);
  std::atomic<int> unauthorized{0}, throttled{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i)
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      const int status = fresh().login("admin", kWrongPassword).status;
      (status == 401 ? unauthorized : status == 429 ? throttled : other)++;
    });
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(unauthorized.load(), 5);
  EXPECT_EQ(throttled.load(), kAttempts - 5);
  EXPECT_EQ(other.load(), 0);
  // Exactly five reached the password check (each one a login-failed line).
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_EQ(countOf(audit, "\"event\":\"login-failed\""), 5u) << audit.substr(0, 2000);
  EXPECT_EQ(countOf(audit, "\"event\":\"login-refused\""), static_cast<std::size_t>(kAttempts - 5));
}

TEST_F(WebServer, BehindATrustedProxyTheForwardedClientIsThrottledAndLogged) {
  stopServer();
  config_.web.trusted_proxies = {"127.0.0.1"};
  start(false);
  auto from = [&](const std::string& ip, const std::string& password) {
    Poco::JSON::Object o;
    o.set("username", "admin");
    o.set("password", password);
    std::ostringstream body;
    o.stringify(body);
    return fresh().call("POST", "/api/v1/login", body.str(), {{"X-Forwarded-For", ip}});
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(from("203.0.113.5", kWrongPassword).status, 401);
  EXPECT_EQ(from("203.0.113.5", kPassword).status, 429);
  // The local admin is throttled per client: the attacker cannot lock out the real admin.
  auto admin = from("203.0.113.6", kPassword);
  EXPECT_EQ(admin.status, 200) << admin.body;
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_NE(audit.find("\"client\":\"203.0.113.5\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"client\":\"203.0.113.6\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find("\"client\":\"127.0.0.1\""), std::string::npos) << audit;
  const std::string access = readFile(dir_ + "/access.log");
  EXPECT_NE(access.find("\"client\":\"203.0.113.6\""), std::string::npos) << access;
}

TEST_F(WebServer, ForwardedHeadersFromAnUntrustedPeerAreIgnored) {
  // No trusted_proxies: X-Forwarded-For cannot move an attacker to a fresh bucket, and
  // X-Forwarded-Proto cannot make the cookie Secure.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(fresh().call("POST", "/api/v1/login", R"({"username":"admin","password":"x"})",
                           {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}})
                  .status,
              401);
  auto r = fresh().call("POST", "/api/v1/login", R"({"username":"nobody","password":"x"})",
                        {{"X-Forwarded-For", "198.51.100.99"}, {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_TRUE(r.header("Strict-Transport-Security").empty());
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_EQ(audit.find("198.51.100."), std::string::npos) << audit;
}

TEST_F(WebServer, TlsProxyGetsSecureCookieAndHsts) {
  stopServer();
  config_.web.trusted_proxies = {"127.0.0.0/8"};
  start(false);
  auto viaProxy = fresh();
  Poco::JSON::Object o;
  o.set("username", "admin");
  o.set("password", kPassword);
  std::ostringstream body;
  o.stringify(body);
  auto r = viaProxy.call("POST", "/api/v1/login", body.str(),
                         {{"X-Forwarded-For", "192.0.2.10"}, {"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(viaProxy.lastSetCookie_.find("; Secure"), std::string::npos) << viaProxy.lastSetCookie_;
  EXPECT_EQ(r.header("Strict-Transport-Security"), "max-age=31536000");
  // The same proxy forwarding plain http: no Secure flag (cookie_secure is off).
  auto plain = fresh();
  ASSERT_EQ(plain.call("POST", "/api/v1/login", body.str(), {{"X-Forwarded-Proto", "http"}}).status, 200);
  EXPECT_EQ(plain.lastSetCookie_.find("Secure"), std::string::npos) << plain.lastSetCookie_;

  // cookie_secure forces it, for a proxy that sends no X-Forwarded-Proto.
  stopServer();
  config_.web.trusted_proxies.clear();
  config_.web.cookie_secure = true;
  start(false);
  auto forced = fresh();
  auto f = forced.login("admin", kPassword);
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_NE(forced.lastSetCookie_.find("; Secure"), std::string::npos) << forced.lastSetCookie_;
  EXPECT_EQ(f.header("Strict-Transport-Security"), "max-age=31536000");
}

TEST_F(WebServer, BadTrustedProxiesStopTheStartNamingTheKey) {
  config::Config c = config_;
  c.web.trusted_proxies = {"proxy.corp.example.com"};
  AppOptions o;
  o.config = c;
  o.startScheduler = false;
  auto app = App::create(o);
  ASSERT_FALSE(app);
  EXPECT_NE(app.error().message.find("trusted_proxies"), std::string::npos) << app.error().message;
}

TEST_F(WebServer, ExpiredSessionIs401SessionExpired) {
  loginAdmin();
  EXPECT_EQ(client().call("GET", "/api/v1/overview").status, 200);
  clockOffset_ = config_.web.session_minutes * 60 + 1;
  auto r = client().call("GET", "/api/v1/overview");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.errorMessage(), "session expired");
}

TEST_F(WebServer, StateChangesWithoutTheCsrfTokenAre403) {
  loginAdmin();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/scans"}, {"POST", "/api/v1/exceptions"}, {"DELETE", "/api/v1/exceptions/1"},
           {"POST", "/api/v1/logout"}}) {
    auto none = client().call(method, path, "{}");
    EXPECT_EQ(none.status, 403) << method << " " << path;
    EXPECT_EQ(none.errorCode(), "csrf");
    auto wrong = client().call(method, path, "{}", {{"X-CSRF-Token", std::string(64, '0')}});
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(wrong.errorCode(), "csrf");
  }
  EXPECT_FALSE(app_->job().running());  // nothing was started
  EXPECT_EQ(client().call("GET", "/api/v1/session").status, 200);  // nor logged out
}

TEST_F(WebServer, LoginNeedsJson) {
  auto form = client().call("POST", "/api/v1/login", "username=admin&password=x",
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 400);
  EXPECT_NE(form.errorMessage().find("application/json"), std::string::npos);
  auto broken = client().call("POST", "/api/v1/login", "{\"username\": \"admin\", \"password\": ");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.errorCode(), "bad-request");
  auto missing = client().call("POST", "/api/v1/login", "{\"username\": \"admin\"}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.errorMessage().find("'password'"), std::string::npos);
  auto array = client().call("POST", "/api/v1/login", "[1,2]");
  EXPECT_EQ(array.status, 400);
}

TEST_F(WebServer, SecurityHeadersOnPagesAssetsAndApi) {
  for (const char* path : {"/", "/findings?rule=X&severity=high", "/objects/abc", "/assets/app.js",
                                 "/api/v1/health", "/api/v1/nope", "/assets/missing.js"}) {
    auto r = client().call("GET", path);
    EXPECT_EQ(r.header("Content-Security-Policy"),
              "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        << path;
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << path;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << path;
    EXPECT_TRUE(r.header("Strict-Transport-Security").empty()) << "no HSTS over plain HTTP";
  }
  auto page = client().call("GET", "/findings?severity=high");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script"), std::string::npos);
  auto js = client().call("GET", "/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("Cache-Control"), "no-cache");
  auto again = client().call("GET", "/assets/app.js", "", {{"If-None-Match", js.header("ETag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(client().call("GET", "/assets/../CMakeLists.txt").status, 404);
}

TEST_F(WebServer, BadInputGetsClearErrors) {
  loginAdmin();
  auto unknown = client().call("GET", "/api/v1/no-such-thing");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.errorCode(), "not-found");
  auto method = client().call("PUT", "/api/v1/rules", "{}", {{"X-CSRF-Token", client().csrf_}});
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.errorCode(), "method-not-allowed");
  for (const auto& [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"severity=bogus", "'severity'"}, {"rule=NOPE-RULE", "'rule'"}, {"status=gone", "'status'"},
           {"sort=x", "'sort'"}, {"order=up", "'order'"}, {"limit=0", "'limit'"}, {"limit=100000", "'limit'"},
           {"offset=-3", "'offset'"}, {"q=%zz", "'q'"}}) {
    auto r = client().call("GET", "/api/v1/findings?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_NE(r.errorMessage().find(param), std::string::npos) << query << ": " << r.errorMessage();
  }
  auto big_body = client().call("POST", "/api/v1/exceptions", "{\"reason\": \"" + std::string(70 * 1024, 'x') + "\"}",
                                {{"X-CSRF-Token", client().csrf_}});
  EXPECT_EQ(big_body.status, 413);
  EXPECT_EQ(big_body.errorCode(), "payload-too-large");
  auto long_uri = client().call("GET", "/api/v1/findings?q=" + std::string(9000, 'a'));
  EXPECT_EQ(long_uri.status, 414);
  EXPECT_EQ(long_uri.errorCode(), "uri-too-long");
  // Beyond Poco's own request-line limit (16 KiB) the server answers 400 and closes the connection
  // before reading the rest, so the client may see either that answer or a reset: never a crash.
  try {
    auto huge_uri = client().call("GET", "/api/v1/findings?q=" + std::string(40000, 'a'));
    EXPECT_GE(huge_uri.status, 400);
    EXPECT_LT(huge_uri.status, 500);
  } catch (const Poco::IOException&) {
  }
  auto bad_json = client().call("POST", "/api/v1/exceptions", "{not json", {{"X-CSRF-Token", client().csrf_}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.errorCode(), "bad-request");
  auto bad_field = client().change("POST", "/api/v1/exceptions", R"({"rule": 5, "reason": "x"})");
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_NE(bad_field.errorMessage().find("'rule'"), std::string::npos);
  EXPECT_EQ(client().call("GET", "/api/v1/scans/abc").status, 400);
  EXPECT_EQ(client().call("GET", "/api/v1/scans/999").status, 404);
  EXPECT_EQ(client().call("GET", "/api/v1/findings/nope").status, 404);
  EXPECT_EQ(client().change("DELETE", "/api/v1/exceptions/999", "").status, 404);
  // Still serving after all that.
  EXPECT_EQ(client().call("GET", "/api/v1/health").status, 200);
}

TEST_F(WebServer, ScanStartedByPostRunsInTheBackgroundWithProgress) {
  loginAdmin();
  // Asked before the scan (and cached), the findings table must not stay empty after it.
  EXPECT_EQ(client().call("GET", "/api/v1/findings?severity=high&limit=5").json()->getValue<int>("total"), 0);
  auto r = client().change("POST", "/api/v1/scans");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto id = r.json()->getValue<std::int64_t>("scanId");
  auto job = r.json()->getObject("job");
  EXPECT_TRUE(job->getValue<bool>("running"));
  EXPECT_EQ(job->getValue<std::string>("startedBy"), "admin");
  auto second = client().change("POST", "/api/v1/scans");
  EXPECT_EQ(second.status, 409) << "never two scans at once";
  EXPECT_EQ(second.errorCode(), "conflict");
  // The store shows it running at once.
  auto running = client().call("GET", "/api/v1/scans/" + std::to_string(id));
  ASSERT_EQ(running.status, 200);
  ASSERT_TRUE(app_->job().waitIdle(std::chrono::seconds(60)));
  auto done = client().call("GET", "/api/v1/job");
  ASSERT_EQ(done.status, 200);
  auto st = done.json();
  EXPECT_FALSE(st->getValue<bool>("running"));
  EXPECT_GT(st->getValue<std::int64_t>("objects"), 1000);
  EXPECT_EQ(st->getObject("lastRun")->getValue<std::int64_t>("scanId"), id);
  EXPECT_EQ(st->getObject("lastRun")->getValue<std::string>("status"), "completed");
  EXPECT_EQ(st->getValue<std::string>("schedule"), "manual only");
  auto scan = client().call("GET", "/api/v1/scans/" + std::to_string(id)).json();
  EXPECT_EQ(scan->getValue<std::string>("status"), "completed");
  EXPECT_GT(scan->getValue<std::int64_t>("findings"), 0);

  // The data routes answer from it.
  auto high = client().call("GET", "/api/v1/findings?severity=high&limit=5");
  ASSERT_EQ(high.status, 200);
  auto items = high.json()->getArray("items");
  ASSERT_GT(items->size(), 0u);
  for (std::size_t i = 0; i < items->size(); ++i)
    EXPECT_EQ(items->getObject(i)->getValue<std::string>("severity"), "high");
  auto first = items->getObject(0);
  auto guid = first->getValue<std::string>("objectGuid");
  auto obj = client().call("GET", "/api/v1/objects/" + guid);
  ASSERT_EQ(obj.status, 200) << obj.body;
  ASSERT_FALSE(obj.json()->get("object").isEmpty()) << obj.body.substr(0, 300);
  EXPECT_EQ(obj.json()->getObject("object")->getValue<std::string>("objectGuid"), guid);
  EXPECT_GT(obj.json()->getArray("findings")->size(), 0u);
  auto history = client().call("GET", "/api/v1/findings/" + first->getValue<std::string>("fingerprint"));
  EXPECT_EQ(history.status, 200) << history.body;
  auto overview = client().call("GET", "/api/v1/overview");
  ASSERT_EQ(overview.status, 200);
  EXPECT_EQ(overview.json()->getObject("lastCompletedScan")->getValue<std::int64_t>("id"), id);
  EXPECT_EQ(client().call("GET", "/api/v1/trend?scans=5").json()->getArray("points")->size(), 1u);
  EXPECT_EQ(client().call("GET", "/api/v1/objects/00000000-0000-0000-0000-000000000000").status, 404);
  auto rules = client().call("GET", "/api/v1/rules");
  EXPECT_EQ(rules.status, 200);
  EXPECT_GE(rules.json()->getArray("rules")->size(), 20u);
  EXPECT_EQ(client().call("GET", "/api/v1/endpoints").json()->getArray("items")->size(), 0u);

  // Reports: a download, html inline on request, a bad format named.
  auto csv = client().call("GET", "/api/v1/reports/csv?scan=latest");
  ASSERT_EQ(csv.status, 200) << csv.body.substr(0, 300);
  EXPECT_TRUE(csv.header("Content-Disposition").starts_with("attachment; filename=\"")) << csv.header("Content-Disposition");
  EXPECT_FALSE(csv.body.empty());
  auto html = client().call("GET", "/api/v1/reports/html?inline=1");
  ASSERT_EQ(html.status, 200);
  EXPECT_TRUE(html.header("Content-Disposition").starts_with("inline"));
  // The report's own inline stylesheet may apply; no script at all may run in it.
  EXPECT_EQ(html.header("Content-Security-Policy"), std::string(kReportContentSecurityPolicy));
  EXPECT_EQ(html.header("Content-Security-Policy").find("script"), std::string::npos);
  auto bad = client().call("GET", "/api/v1/reports/docx");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.errorMessage().find("docx"), std::string::npos);
}

TEST_F(WebServer, ExceptionsAreAddedAndRemovedAndAudited) {
  loginAdmin();
  scanAndWait();
  auto f = client().call("GET", "/api/v1/findings?limit=1").json()->getArray("items")->getObject(0);
  const auto fp = f->getValue<std::string>("fingerprint");
  Poco::JSON::Object body;
  body.set("fingerprint", fp);
  body.set("reason", "accepted for the test");
  std::ostringstream s;
  body.stringify(s);
  auto added = client().change("POST", "/api/v1/exceptions", s.str());
  ASSERT_EQ(added.status, 201) << added.body;
  const auto id = added.json()->getValue<std::int64_t>("id");
  auto list = client().call("GET", "/api/v1/exceptions").json()->getArray("items");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("owner"), "admin");
  auto no_reason = client().change("POST", "/api/v1/exceptions", R"({"fingerprint": "x"})");
  EXPECT_EQ(no_reason.status, 400) << no_reason.body;
  EXPECT_EQ(client().change("DELETE", "/api/v1/exceptions/" + std::to_string(id), "").status, 204);
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_NE(audit.find("\"exception-added\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"exception-removed\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"scan-started\""), std::string::npos) << audit;
}

TEST_F(WebServer, LogsNeverHoldAPassword) {
  EXPECT_EQ(fresh().login("admin", kWrongPassword).status, 401);
  loginAdmin();
  client().call("GET", "/api/v1/findings?q=" + std::string(kWrongPassword));  // even typed into a query
  client().change("POST", "/api/v1/logout", "");
  stopServer();
  const std::string access = readFile(dir_ + "/access.log");
  const std::string audit = readFile(dir_ + "/audit.log");
  ASSERT_FALSE(access.empty());
  ASSERT_FALSE(audit.empty());
  for (const auto* secret : {kPassword, kWrongPassword}) {
    EXPECT_EQ(access.find(secret), std::string::npos) << access;
    EXPECT_EQ(audit.find(secret), std::string::npos) << audit;
  }
  EXPECT_NE(audit.find("\"login-failed\""), std::string::npos);
  EXPECT_NE(audit.find("\"event\":\"login\""), std::string::npos);
  EXPECT_NE(audit.find("\"logout\""), std::string::npos);
  EXPECT_NE(access.find("\"path\":\"/api/v1/login\""), std::string::npos) << access;
  EXPECT_EQ(access.find("adcheck_session"), std::string::npos);
}

TEST_F(WebServer, ShutdownDuringAScanStoresItAndLeavesNothingRunning) {
  loginAdmin();
  auto r = client().change("POST", "/api/v1/scans");
  ASSERT_EQ(r.status, 202) << r.body;
  const auto id = r.json()->getValue<std::int64_t>("scanId");
  const auto t0 = std::chrono::steady_clock::now();
  app_->stop();  // what SIGTERM does after the listener stopped
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  auto st = app_->job().state();
  EXPECT_FALSE(st.running);
  ASSERT_TRUE(st.lastRun);
  EXPECT_EQ(st.lastRun->scanId, id);
  // Either it finished just before, or it was interrupted and stored as such.
  if (st.lastRun->status != "completed") {
    EXPECT_NE(st.lastRun->error.find("interrupted"), std::string::npos) << st.lastRun->error;
  }
  auto again = app_->job().start("test");
  EXPECT_FALSE(again);  // no scan starts while shutting down
  auto scan = client().call("GET", "/api/v1/scans/" + std::to_string(id));
  ASSERT_EQ(scan.status, 200);
  EXPECT_NE(scan.json()->getValue<std::string>("status"), "running");
}

TEST(Scheduler, StartsScansOnTheIntervalNeverTwoAtOnceAndStopsAtOnce) {
  char tmpl[] = "/tmp/adcheck-sched-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  config::Config cfg;
  cfg.store.path = std::string(tmpl) + "/store.sqlite";
  cfg.schedule.interval = std::chrono::seconds(1);
  ScanJob job(cfg, store::sqliteOptions(cfg.store),
              snapshotSourceFactory({std::string(ADCHECK_SOURCE_DIR) + "/adcheck/demo/scan-1.ldif.gz"}));
  Scheduler scheduler(cfg.schedule, job);
  scheduler.start();
  // No scan yet: the first one is due at once, the next one a second after it started.
  std::set<std::int64_t> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto st = job.state();
    if (st.lastRun) seen.insert(st.lastRun->scanId);
    if (st.running) {
      EXPECT_EQ(st.startedBy, "schedule");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(seen.size(), 2u) << "the scheduler did not start two scans in 20 s";
  auto next = scheduler.nextRun();
  ASSERT_TRUE(next);
  EXPECT_LE(*next, std::time(nullptr) + 2);
  const auto t0 = std::chrono::steady_clock::now();
  scheduler.stop();
  job.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(job.running());
  auto st = job.state();
  ASSERT_TRUE(st.lastRun);
  EXPECT_NE(st.lastRun->status, "running");
}

TEST_F(WebServer, PlainHttpOffLoopbackIsRefusedUnlessAllowed) {
  config::WebConfig web = config_.web;
  auto refused = Server::start(*app_, web, "0.0.0.0:0");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("plain HTTP"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().hint.find("allow_plain_http"), std::string::npos);
  web.allow_plain_http = true;
  auto allowed = Server::start(*app_, web, "0.0.0.0:0");
  ASSERT_TRUE(allowed) << allowed.error().toString();
  (*allowed)->stop();
}

TEST_F(WebServer, PortInUseIsAClearError) {
  auto busy = Server::start(*app_, config_.web, "127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_FALSE(busy);
  EXPECT_NE(busy.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << busy.error().message;
}

TEST_F(WebServer, HttpsCookieIsSecureAndHstsIsSent) {
  stopServer();
  start(true);
  ASSERT_TRUE(server_->tls());
  EXPECT_TRUE(server_->url().starts_with("https://"));
  auto r = client().login("admin", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(client().lastSetCookie_.find("; Secure"), std::string::npos) << client().lastSetCookie_;
  EXPECT_NE(client().lastSetCookie_.find("HttpOnly"), std::string::npos);
  EXPECT_EQ(r.header("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(client().call("GET", "/api/v1/session").status, 200);
}

TEST_F(WebServer, BadCertificateIsAStartupErrorNamingTheKeys) {
  config::WebConfig web = config_.web;
  web.tls_cert = dir_ + "/missing.pem";
  web.tls_key = dir_ + "/missing.key";
  auto s = Server::start(*app_, web, "127.0.0.1:0");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("tls_cert"), std::string::npos) << s.error().message;
}

TEST_F(WebServer, TlsKeyOpenToOthersIsRefusedAndTheLoginBodyIsWiped) {
  // [web] tls_key follows ssh's rule for secret files (ldap/secret.h).
  stopServer();
  start(true);
  ASSERT_EQ(::chmod(config_.web.tls_key.c_str(), 0644), 0);
  auto s = Server::start(*app_, config_.web, "127.0.0.1:0");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("[web] tls_key \"" + config_.web.tls_key + "\" is open to group or others"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(s.error().hint, "run chmod 600 " + config_.web.tls_key);
  // The login request's body held the password: wiped once the handler has parsed it.
  Request req;
  req.method = "POST";
  req.path = "/api/v1/login";
  req.headers["content-type"] = "application/json";
  req.body = std::string("{\"username\": \"admin\", \"password\": \"") + kPassword + "\"}";
  req.client = "127.0.0.1";
  const char* bytes = req.body.data();
  const std::size_t size = req.body.size();
  std::string user;
  EXPECT_EQ(app_->handle(req, user).status, 200);
  ASSERT_EQ(req.body.data(), bytes);
  EXPECT_EQ(std::string(bytes, size), std::string(size, '\0'));
}

}  // namespace
}  // namespace adcheck::web
