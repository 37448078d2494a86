// Unit tests of the dashboard server's parts: password hashes, sessions, CSRF tokens, login
// throttling, routing and query parsing, assets, the schedule, listen addresses.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <ctime>

#include "web/server/assets.h"
#include "web/server/auth_ldap.h"
#include "web/server/auth_local.h"
#include "web/server/http_util.h"
#include "web/server/proxy.h"
#include "web/server/response_cache.h"
#include "web/server/router.h"
#include "web/server/scheduler.h"
#include "web/server/server.h"
#include "web/server/sessions.h"

namespace adcheck::web {
namespace {

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
  const std::string h = hashPassword("correct horse", 1000);
  EXPECT_TRUE(h.starts_with("pbkdf2-sha256$1000$")) << h;
  auto ok = verifyPassword("correct horse", h);
  ASSERT_TRUE(ok) << ok.error().toString();
  EXPECT_TRUE(*ok);
  auto bad = verifyPassword("correct horsE", h);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(*bad);
  // A fresh salt every time: the same password never gives the same hash.
  EXPECT_NE(hashPassword("correct horse", 1000), h);
}

TEST(PasswordHash, DefaultIterationsFollowOwasp) {
  EXPECT_GE(kDefaultPbkdf2Iterations, 600000);
}

TEST(PasswordHash, MalformedHashesAreErrorsNamingTheKey) {
  const std::string good = hashPassword("x", 1000);
  const auto parts_salt = good.substr(good.find('$', 14) + 1);
  for (const std::string& bad :
       {std::string("md5$1000$abc$def"), std::string("pbkdf2-sha256$10$c2FsdHNhbHQ=$") + good.substr(good.rfind('$') + 1),
        std::string("pbkdf2-sha256$many$c2FsdHNhbHQ=$aGFzaA=="), std::string("pbkdf2-sha256$1000$c2FsdHNhbHQ=$aGFzaA=="),
        std::string("pbkdf2-sha256$1000$") + parts_salt.substr(0, parts_salt.find('$')), std::string("")}) {
    auto r = verifyPassword("x", bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    EXPECT_NE(r.error().message.find("admin_password_hash"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("\"x\""), std::string::npos);
  }
}

struct FakeClock {
  std::time_t now = 1'800'000'000;
  Clock fn() {
    return [this] { return now; };
  }
};

TEST(Sessions, IdsAndCsrfTokensAreRandom256BitHex) {
  SessionStore s(std::chrono::seconds(60));
  auto a = s.create("u", "U", Role::kViewer);
  auto b = s.create("u", "U", Role::kViewer);
  EXPECT_EQ(a.sessionId.size(), 64u);
  EXPECT_EQ(a.csrf.size(), 64u);
  EXPECT_EQ(a.sessionId.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a.sessionId, b.sessionId);
  EXPECT_NE(a.csrf, b.csrf);
  EXPECT_NE(a.sessionId, a.csrf);
}

TEST(Sessions, ExpireAbsolutelyAndSaySo) {
  FakeClock clock;
  SessionStore s(std::chrono::seconds(600), clock.fn());
  auto c = s.create("viewer1", "Vera", Role::kViewer);
  EXPECT_EQ(c.expires, clock.now + 600);
  clock.now += 599;
  auto found = s.find(c.sessionId);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "viewer1");
  EXPECT_EQ(found->role, Role::kViewer);
  clock.now += 1;
  auto expired = s.find(c.sessionId);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().status, 401);
  EXPECT_EQ(expired.error().message, "session expired");
  auto again = s.find(c.sessionId);  // removed on expiry
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "not logged in");
  EXPECT_FALSE(s.find(""));
  EXPECT_FALSE(s.find("nonsense"));
}

TEST(Sessions, RemoveEndsTheSession) {
  SessionStore s(std::chrono::seconds(60));
  auto c = s.create("u", "U", Role::kOperator);
  s.remove(c.sessionId);
  EXPECT_FALSE(s.find(c.sessionId));
}

TEST(Throttle, FiveFailuresForOneUserBlockUntilTheWindowPasses) {
  FakeClock clock;
  LoginThrottle t(std::chrono::minutes(15), clock.fn());
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.retryAfter("Viewer1", "10.0.0." + std::to_string(i)));
    t.recordFailure("Viewer1", "10.0.0." + std::to_string(i));
    clock.now += 10;
  }
  auto wait = t.retryAfter("viewer1", "10.9.9.9");  // case-insensitive user, other address
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 900 - 50);
  EXPECT_FALSE(t.retryAfter("someone-else", "10.9.9.9"));
  clock.now += *wait;
  EXPECT_FALSE(t.retryAfter("viewer1", "10.9.9.9"));
}

TEST(Throttle, FiveFailuresFromOneAddressBlockEveryUserName) {
  FakeClock clock;
  LoginThrottle t(std::chrono::minutes(15), clock.fn());
  for (int i = 0; i < 5; ++i) t.recordFailure("user" + std::to_string(i), "192.0.2.7");
  EXPECT_TRUE(t.retryAfter("fresh-user", "192.0.2.7"));
  EXPECT_FALSE(t.retryAfter("fresh-user", "192.0.2.8"));
}

TEST(Throttle, SuccessClearsTheUserNotTheAddress) {
  FakeClock clock;
  LoginThrottle t(std::chrono::minutes(15), clock.fn());
  for (int i = 0; i < 4; ++i) t.recordFailure("u", "a");
  t.recordSuccess("u");
  t.recordFailure("u", "b");
  EXPECT_FALSE(t.retryAfter("u", "b"));
  t.recordFailure("x", "a");  // fifth from address a
  EXPECT_TRUE(t.retryAfter("other", "a"));
}

TEST(Throttle, ConcurrentReservationsLetExactlyFiveThrough) {
  // Check and count are one step: 50 attempts at once, exactly kMaxFailures get a ticket.
  LoginThrottle t;
  std::atomic<int> tickets{0}, refused{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      if (t.reserve("alice", "192.0.2.1")) ++tickets;
      else ++refused;
    });
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(tickets.load(), LoginThrottle::kMaxFailures);
  EXPECT_EQ(refused.load(), 50 - LoginThrottle::kMaxFailures);
}

TEST(Throttle, SuccessAndCancelGiveTheReservationBack) {
  FakeClock clock;
  LoginThrottle t(std::chrono::minutes(15), clock.fn());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.reserve("u", "a"));  // four failures
  auto ok = t.reserve("u", "a");
  ASSERT_TRUE(ok);
  t.succeeded(*ok);  // clears u; a keeps its four failures, not this attempt
  EXPECT_FALSE(t.retryAfter("u", "b"));
  EXPECT_FALSE(t.retryAfter("other", "a"));
  auto down = t.reserve("v", "a");  // the fifth from a, but the directory was down
  ASSERT_TRUE(down);
  EXPECT_TRUE(t.retryAfter("other", "a"));
  t.cancel(*down);
  EXPECT_FALSE(t.retryAfter("other", "a"));
  ASSERT_TRUE(t.reserve("w", "a"));
  auto blocked = t.reserve("x", "a");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error(), 900);
}

TEST(Throttle, AnEmptyAccountCountsPerClientOnly) {
  // The local admin: five failures from one client block that client, nobody else.
  LoginThrottle t;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.reserve("", "198.51.100.1"));
  EXPECT_FALSE(t.reserve("", "198.51.100.1"));
  EXPECT_TRUE(t.reserve("", "198.51.100.2"));
}

TEST(Throttle, OneBucketPerCanonicalAccount) {
  config::DirectoryConfig dir;
  dir.user = "svc-adcheck@corp.example.com";
  EXPECT_EQ(canonicalAccount("alice", dir), "alice");
  EXPECT_EQ(canonicalAccount("CORP\\Alice", dir), "alice");
  EXPECT_EQ(canonicalAccount("ALICE@Corp.Example.com", dir), "alice");
  EXPECT_EQ(canonicalAccount("alice@partner.example", dir), "alice@partner.example");
  EXPECT_EQ(canonicalAccount("CN=Alice,DC=corp", dir), "cn=alice,dc=corp");
  LoginThrottle t;
  const char* names[] = {"alice", "CORP\\alice", "alice@corp.example.com", "Alice", "corp\\ALICE"};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.reserve(canonicalAccount(names[i], dir), "10.0.0." + std::to_string(i)));
  EXPECT_FALSE(t.reserve(canonicalAccount("alice", dir), "10.0.0.99"));
  EXPECT_TRUE(t.reserve(canonicalAccount("bob", dir), "10.0.0.99"));
}

TEST(AdLogin, GroupDnsSplitAtCommasAreJoinedAgain) {
  using V = std::vector<std::string>;
  EXPECT_EQ(rejoinDistinguishedNames(V{"AdCheck Operators", "CN=Ops", "OU=IT", "DC=corp", "DC=com", "CN=Two",
                                       "DC=corp", "S-1-5-21-1-2-3-1234"}),
            (V{"AdCheck Operators", "CN=Ops,OU=IT,DC=corp,DC=com", "CN=Two,DC=corp", "S-1-5-21-1-2-3-1234"}));
  EXPECT_EQ(rejoinDistinguishedNames(V{"CN=Smith\\", "John", "OU=x", "DC=c", "Viewers"}),
            (V{"CN=Smith\\,John,OU=x,DC=c", "Viewers"}));
}

TEST(Proxy, TrustedProxiesParseAddressesAndNetworks) {
  auto p = TrustedProxies::parse({"127.0.0.1", "10.1.0.0/16", "::1"});
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_TRUE(p->trusts("127.0.0.1"));
  EXPECT_FALSE(p->trusts("127.0.0.2"));
  EXPECT_TRUE(p->trusts("10.1.200.3"));
  EXPECT_FALSE(p->trusts("10.2.0.1"));
  EXPECT_TRUE(p->trusts("::1"));
  EXPECT_FALSE(p->trusts("garbage"));
  for (const std::string bad : {"proxy.example.com", "10.0.0.0/33", "10.0.0.0/", "1.2.3.4/x"}) {
    auto r = TrustedProxies::parse({bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("[web] trusted_proxies '" + bad + "'"), std::string::npos) << r.error().message;
  }
}

TEST(Proxy, ForwardedHeadersAreBelievedOnlyFromTrustedProxies) {
  auto p = TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8"});
  ASSERT_TRUE(p);
  Request r;
  r.client = "127.0.0.1";
  // The left part is whatever the client sent; the nearest untrusted hop is the client.
  r.headers["x-forwarded-for"] = "6.6.6.6, 203.0.113.9, 10.0.0.7";
  r.headers["x-forwarded-proto"] = "http, https";
  p->apply(r);
  EXPECT_EQ(r.client, "203.0.113.9");
  EXPECT_TRUE(r.secure);

  Request direct;  // not a proxy: the headers are the client's own claims
  direct.client = "192.0.2.50";
  direct.headers = r.headers;
  p->apply(direct);
  EXPECT_EQ(direct.client, "192.0.2.50");
  EXPECT_FALSE(direct.secure);

  Request junk;
  junk.client = "127.0.0.1";
  junk.headers["x-forwarded-for"] = "<script>, 203.0.113.10:4711";
  junk.headers["x-forwarded-proto"] = "http";
  p->apply(junk);
  EXPECT_EQ(junk.client, "203.0.113.10");
  EXPECT_FALSE(junk.secure);

  Request none;  // no proxies configured: nothing is believed
  none.client = "127.0.0.1";
  none.headers = r.headers;
  TrustedProxies{}.apply(none);
  EXPECT_EQ(none.client, "127.0.0.1");
  EXPECT_FALSE(none.secure);
}

TEST(Router, MatchesParamsAndTellsNotFoundFrom405) {
  Router r;
  auto ok = [](const Request&, const Params&, const Caller*) -> HttpResult<Response> { return Response{}; };
  r.add("GET", "/api/v1/scans/{from}/diff/{to}", Role::kViewer, ok);
  r.add("POST", "/api/v1/scans", Role::kOperator, ok);
  r.add("GET", "/api/v1/objects/{id}", Role::kViewer, ok);
  auto m = r.match("GET", "/api/v1/scans/3/diff/7");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("from"), "3");
  EXPECT_EQ(m.params.at("to"), "7");
  auto wrong_method = r.match("GET", "/api/v1/scans");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_TRUE(wrong_method.pathKnown);
  auto none = r.match("GET", "/api/v1/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_FALSE(none.pathKnown);
  // A DN with an encoded '/' stays one segment, decoded.
  auto dn = r.match("GET", "/api/v1/objects/CN%3DA%2FB%2COU%3DLab");
  ASSERT_NE(dn.route, nullptr);
  EXPECT_EQ(dn.params.at("id"), "CN=A/B,OU=Lab");
}

TEST(Query, ParsesRepeatedEncodedAndPlus) {
  auto q = parseQuery("rule=A&rule=B&q=a+b%20c&ou=OU%3DLab%2CDC%3Dx&flag&=v");
  ASSERT_TRUE(q);
  Request req;
  req.query = *q;
  EXPECT_EQ(req.params("rule"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(req.param("q"), "a b c");
  EXPECT_EQ(req.param("ou"), "OU=Lab,DC=x");
  EXPECT_EQ(req.param("flag"), "");
  EXPECT_FALSE(req.param("missing"));
}

TEST(Query, MalformedEscapeNamesTheParameter) {
  auto q = parseQuery("limit=5&q=50%");
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("'q'"), std::string::npos) << q.error().message;
  EXPECT_FALSE(parseQuery("q=%zz"));
}

TEST(Query, IntParamBoundsNameTheParameter) {
  Request req;
  req.query = {{"limit", "501"}};
  auto r = intParam(req, "limit", 50, 1, 500);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_NE(r.error().message.find("'limit'"), std::string::npos);
  req.query = {{"limit", "-1"}};
  EXPECT_FALSE(intParam(req, "limit", 50, 1, 500));
  req.query = {{"limit", "12abc"}};
  EXPECT_FALSE(intParam(req, "limit", 50, 1, 500));
  req.query = {{"limit", std::string(5000, '9')}};
  EXPECT_FALSE(intParam(req, "limit", 50, 1, 500));
  req.query = {{"limit", "500"}};
  EXPECT_EQ(*intParam(req, "limit", 50, 1, 500), 500u);
  req.query = {};
  EXPECT_EQ(*intParam(req, "limit", 50, 1, 500), 50u);
}

TEST(Http, CookieHeaderParsing) {
  Request req;
  req.headers["cookie"] = "a=1; adcheck_session=abc; b=2";
  EXPECT_EQ(req.cookie("adcheck_session"), "abc");
  EXPECT_EQ(req.cookie("b"), "2");
  EXPECT_EQ(req.cookie("c"), "");
}

TEST(Http, ErrorsHaveTheApiShapeAndSecurityHeaders) {
  Response r = errorResponse(HttpError{429, "too-many-requests", "wait", "later", 42});
  addSecurityHeaders(r, true);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"error":{"code":"too-many-requests","message":"wait","hint":"later"}})");
  auto get = [&](const std::string& k) {
    for (const auto& [n, v] : r.headers)
      if (n == k) return v;
    return std::string();
  };
  EXPECT_EQ(get("Retry-After"), "42");
  EXPECT_EQ(get("Content-Security-Policy"), std::string(kContentSecurityPolicy));
  EXPECT_EQ(get("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(get("X-Frame-Options"), "DENY");
  EXPECT_EQ(get("Cache-Control"), "no-store");
}

TEST(Http, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
}

TEST(Assets, IndexAndModulesAreEmbeddedWithTypesAndEtags) {
  const Asset* index = findAsset("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->contentType, "text/html; charset=utf-8");
  EXPECT_NE(index->content.find("<script"), std::string_view::npos);
  EXPECT_EQ(index->etag.front(), '"');
  EXPECT_NE(findAsset("app.js"), nullptr);
  EXPECT_EQ(findAsset("app.js")->contentType, "text/javascript; charset=utf-8");
  EXPECT_EQ(findAsset("../CMakeLists.txt"), nullptr);
  EXPECT_EQ(findAsset("/index.html"), nullptr);
  EXPECT_EQ(findAsset(""), nullptr);
  EXPECT_EQ(contentTypeFor("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(contentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(contentTypeFor("x.bin"), "application/octet-stream");
}

TEST(Assets, NoInlineScriptInTheEmbeddedHtml) {
  for (const EmbeddedFile* f = embeddedFiles(); f->path != nullptr; ++f) {
    std::string_view p(f->path);
    if (!p.ends_with(".html")) continue;
    std::string_view c(reinterpret_cast<const char*>(f->data), f->size);
    for (std::size_t pos = c.find("<script"); pos != std::string_view::npos; pos = c.find("<script", pos + 1)) {
      auto end = c.find('>', pos);
      EXPECT_NE(c.substr(pos, end - pos).find("src="), std::string_view::npos) << p << ": inline script";
    }
    EXPECT_EQ(c.find("style=\""), std::string_view::npos) << p;
  }
}

TEST(ResponseCache, AnswersOnlyForTheSameDataVersionAndEvictsLeastRecent) {
  ResponseCache c(2, 1 << 20);
  c.put("a", "v1", "A");
  EXPECT_EQ(c.get("a", "v1"), "A");
  EXPECT_FALSE(c.get("a", "v2"));  // a scan was written since: stale, dropped
  EXPECT_FALSE(c.get("a", "v1"));
  c.put("a", "v1", "A");
  c.put("b", "v1", "B");
  EXPECT_TRUE(c.get("a", "v1"));  // a is now the most recent
  c.put("c", "v1", "C");
  EXPECT_FALSE(c.get("b", "v1"));
  EXPECT_TRUE(c.get("a", "v1"));
  EXPECT_TRUE(c.get("c", "v1"));
  EXPECT_EQ(c.size(), 2u);
  ResponseCache small(10, 800);
  small.put("big", "v", std::string(200, 'x'));  // over an eighth of the budget: not kept
  EXPECT_FALSE(small.get("big", "v"));
}

TEST(ResponseCache, OneComputesTheOthersWait) {
  ResponseCache c;
  auto first = c.claim("k");
  EXPECT_TRUE(first.owns());
  std::atomic<bool> waited_owns{true};
  std::thread other([&] { waited_owns = c.claim("k").owns(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.put("k", "v", "body");
  { auto done = std::move(first); }  // released: the waiter goes on and finds the answer
  other.join();
  EXPECT_FALSE(waited_owns.load());
  EXPECT_EQ(c.get("k", "v"), "body");
  EXPECT_TRUE(c.claim("k").owns());  // nobody computes it any more
}

class LocalTime : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_) setenv("TZ", saved_->c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  std::optional<std::string> saved_;
};

std::time_t utc(int y, int mo, int d, int h, int mi) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return timegm(&tm);
}

TEST_F(LocalTime, IntervalCountsFromTheLastScanAndCatchesUp) {
  config::ScheduleConfig s;
  s.interval = std::chrono::hours(6);
  const std::time_t now = utc(2026, 11, 23, 12, 0);
  EXPECT_EQ(nextRunTime(s, now, std::nullopt), now);  // never scanned: now
  EXPECT_EQ(nextRunTime(s, now, now - 3600), now + 5 * 3600);
  EXPECT_EQ(nextRunTime(s, now, now - 7 * 3600), now);  // overdue (server was down): now
  EXPECT_EQ(scheduleText(s), "every 6h");
}

TEST_F(LocalTime, DailyAtCrossesMidnightAndMonthEnds) {
  config::ScheduleConfig s;
  s.daily_at = "00:15";
  EXPECT_EQ(nextRunTime(s, utc(2026, 11, 23, 23, 30), std::nullopt), utc(2026, 11, 24, 0, 15));
  EXPECT_EQ(nextRunTime(s, utc(2026, 11, 24, 0, 10), std::nullopt), utc(2026, 11, 24, 0, 15));
  EXPECT_EQ(nextRunTime(s, utc(2026, 11, 24, 0, 15), std::nullopt), utc(2026, 11, 25, 0, 15));  // just ran
  EXPECT_EQ(nextRunTime(s, utc(2026, 12, 31, 23, 59), std::nullopt), utc(2027, 1, 1, 0, 15));
  s.daily_at = "02:00";
  EXPECT_EQ(scheduleText(s), "daily at 02:00");
}

TEST(Schedule, ManualOnly) {
  config::ScheduleConfig s;
  EXPECT_FALSE(nextRunTime(s, 1000, std::nullopt));
  EXPECT_EQ(scheduleText(s), "manual only");
  s.interval = std::chrono::minutes(90);
  EXPECT_EQ(scheduleText(s), "every 90m");
}

TEST(Listen, ParsesAndRefusesPlainHttpOffLoopback) {
  auto a = parseListen("127.0.0.1:8443");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->loopback);
  EXPECT_EQ(a->port, 8443);
  auto v6 = parseListen("[::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->loopback);
  EXPECT_TRUE(parseListen("localhost:8080")->loopback);
  auto any = parseListen("0.0.0.0:8443");
  ASSERT_TRUE(any);
  EXPECT_FALSE(any->loopback);
  EXPECT_FALSE(parseListen("8443"));
  EXPECT_FALSE(parseListen("127.0.0.1:99999"));
  EXPECT_FALSE(parseListen("dashboard.example.com:443"));

  config::WebConfig web;
  auto refused = checkTransport(*any, web);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().hint.find("allow_plain_http"), std::string::npos);
  EXPECT_NE(refused.error().hint.find("tls_cert"), std::string::npos);
  EXPECT_TRUE(checkTransport(*a, web));
  web.allow_plain_http = true;
  EXPECT_TRUE(checkTransport(*any, web));
  web.allow_plain_http = false;
  web.tls_cert = "c.pem";
  web.tls_key = "k.pem";
  EXPECT_TRUE(checkTransport(*any, web));
}

TEST(AdLogin, UserNamesAreQualifiedWithTheDomain) {
  config::DirectoryConfig dir;
  dir.user = "svc-adcheck@corp.example.com";
  EXPECT_EQ(qualifyUserName("viewer1", dir), "viewer1@corp.example.com");
  EXPECT_EQ(qualifyUserName("viewer1@other.example", dir), "viewer1@other.example");
  EXPECT_EQ(qualifyUserName("CORP\\viewer1", dir), "CORP\\viewer1");
  dir.user = "CN=svc,CN=Users,DC=corp,DC=example,DC=com";
  EXPECT_EQ(qualifyUserName("viewer1", dir), "viewer1@corp.example.com");
  dir.user.clear();
  dir.base_dn = "DC=lab,DC=test";
  EXPECT_EQ(qualifyUserName("x", dir), "x@lab.test");
}

}  // namespace
}  // namespace adcheck::web
