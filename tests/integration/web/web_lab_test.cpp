// The dashboard server against the lab's Samba AD DC: AD logins with roles from the lab's groups
// ("AdCheck Viewers", "AdCheck Operators"), refused and disabled accounts, throttling, a live scan
// started by an operator with its progress and the endpoint probe, the explain story read live,
// and logs that never hold a password. In-process server on a free loopback port.
#include <Poco/JSON/Object.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/lab_fixture.h"
#include "tests/unit/web/web_test_client.h"
#include "web/server/app.h"
#include "web/server/server.h"

namespace adcheck::web {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string out = s.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class WebLab : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = testing::loadLab();
    char tmpl[] = "/tmp/adcheck-web-lab-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_NO_FATAL_FAILURE(start(""));
  }
  // The configuration with `web` (more [web] lines); App::create's result.
  Result<std::unique_ptr<App>> makeApp(const std::string& web) {
    // An unreachable endpoint: the probe runs with the scan and reports EP-UNREACHABLE.
    const std::string extra = "[store]\npath = " + dir_ + "/store.sqlite\n[web]\naccess_log = " + dir_ +
                              "/access.log\naudit_log = " + dir_ + "/audit.log\n" + web +
                              "[schedule]\ninterval = 0\n" +
                              "[endpoint]\nurls = https://127.0.0.1:1/Microsoft-Server-ActiveSync\ntimeout = 3\n";
    config_ = testing::labConfig(lab_, testing::Identity::kReaderLdaps, extra);
    AppOptions o;
    o.config = config_;
    o.startScheduler = false;
    return App::create(o);
  }
  void start(const std::string& web) {
    stop();
    auto app = makeApp(web);
    ASSERT_TRUE(app) << app.error().toString();
    app_ = std::move(*app);
    auto server = Server::start(*app_, config_.web, "127.0.0.1:0");
    ASSERT_TRUE(server) << server.error().toString();
    server_ = std::move(*server);
  }
  void stop() {
    if (server_) server_->stop();
    if (app_) app_->stop();
    server_.reset();
    app_.reset();
  }
  void TearDown() override { stop(); }
  webtest::Client client() { return webtest::Client("127.0.0.1", server_->port()); }
  std::string password(const std::string& who) { return readFile(lab_.str(who + ".password_file")); }
  std::string passwordOf(const std::string& sam) {
    Poco::JSON::Parser p;
    auto all = p.parse(readFile(lab_.str("passwords_file"))).extract<Poco::JSON::Object::Ptr>();
    return all->getValue<std::string>(sam);
  }

  testing::Lab lab_;
  std::string dir_;
  config::Config config_;
  std::unique_ptr<App> app_;
  std::unique_ptr<Server> server_;
};

TEST_F(WebLab, ViewerAndOperatorGetTheirRolesFromAdGroups) {
  auto viewer = client();
  auto v = viewer.login(lab_.str("viewer.user"), password("viewer"));
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.json()->getValue<std::string>("role"), "viewer");
  EXPECT_EQ(v.json()->getValue<std::string>("user"), lab_.str("viewer.user"));
  auto op = client();
  auto o = op.login(lab_.str("operator.user"), password("operator"));
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(o.json()->getValue<std::string>("role"), "operator");
  // The short name is qualified with the domain of the [directory] user.
  auto short_name = client().login("viewer1", password("viewer"));
  EXPECT_EQ(short_name.status, 200) << short_name.body;
}

// The identity is the bound one ("Who am I?"), not the first hit of a search by the typed name:
// pair-a's UPN is pair-b@partner.example (another suffix) and pair-b's is pair-a@partner.example,
// so a search (|(userPrincipalName=typed)(sAMAccountName=name part)) finds both of them.
TEST_F(WebLab, TheRoleIsTheBoundAccountsEvenWhenAnotherAccountsNameCollides) {
  auto a = client().login("pair-b@partner.example", passwordOf("pair-a"));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json()->getValue<std::string>("role"), "viewer") << a.body;
  EXPECT_EQ(a.json()->getValue<std::string>("displayName"), "Paula Paira");
  EXPECT_EQ(a.json()->getValue<std::string>("user"), "pair-b@partner.example");
  auto b = client().login("pair-a@partner.example", passwordOf("pair-b"));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.json()->getValue<std::string>("role"), "operator") << b.body;
  EXPECT_EQ(b.json()->getValue<std::string>("displayName"), "Bert Pairb");
  // The NetBIOS form of the same accounts.
  auto nb = client().login(lab_.str("netbios") + "\\pair-a", passwordOf("pair-a"));
  ASSERT_EQ(nb.status, 200) << nb.body;
  EXPECT_EQ(nb.json()->getValue<std::string>("displayName"), "Paula Paira");
  EXPECT_EQ(nb.json()->getValue<std::string>("role"), "viewer");
}

TEST_F(WebLab, AnotherNetbiosDomainIsRefusedWithAClearMessage) {
  auto r = client().login("WRONGDOMAIN\\viewer1", password("viewer"));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.errorMessage().find("'WRONGDOMAIN' is not this directory's (" + lab_.str("netbios") + ")"),
            std::string::npos)
      << r.errorMessage();
  EXPECT_TRUE(r.header("Set-Cookie").empty());
  auto ok = client().login(lab_.str("netbios") + "\\viewer1", password("viewer"));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// A delegated OU admin can create a group with the CN "AdCheck Operators" in his OU; it grants
// nothing, because the configured name is a sAMAccountName matching exactly one group.
TEST_F(WebLab, AGroupWithTheSameCnInAnotherOuGrantsNothing) {
  auto r = client().login("web-ou-admin", passwordOf("web-ou-admin"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.errorCode(), "forbidden");
}

TEST_F(WebLab, RoleGroupsBySidAndDn) {
  // Domain Users (RID 513, everyone's primary group) by SID makes the reader a viewer; the
  // operators' group by DN.
  ASSERT_NO_FATAL_FAILURE(start("viewer_groups = " + lab_.str("domain_sid") + "-513\noperator_groups = CN=AdCheck Operators,OU=Groups,OU=Lab," +
        lab_.str("base_dn") + "\n"));
  auto reader = client().login(lab_.str("reader.user"), password("reader"));
  ASSERT_EQ(reader.status, 200) << reader.body;
  EXPECT_EQ(reader.json()->getValue<std::string>("role"), "viewer");
  auto op = client().login(lab_.str("operator.user"), password("operator"));
  ASSERT_EQ(op.status, 200) << op.body;
  EXPECT_EQ(op.json()->getValue<std::string>("role"), "operator");
}

TEST_F(WebLab, AMissingOrCnOnlyGroupStopsTheStartNamingIt) {
  stop();
  // "Tier0 Admins" is that group's CN; its sAMAccountName is Tier0-Admins.
  auto cn = makeApp("operator_groups = Tier0 Admins\n");
  ASSERT_FALSE(cn);
  EXPECT_NE(cn.error().message.find("[web] operator_groups 'Tier0 Admins' matches no group"), std::string::npos)
      << cn.error().message;
  auto dn = makeApp("viewer_groups = CN=Vera Viewer,OU=IT,OU=Lab," + lab_.str("base_dn") + "\n");
  ASSERT_FALSE(dn);
  EXPECT_NE(dn.error().message.find("not a group"), std::string::npos) << dn.error().message;
  auto sid = makeApp("viewer_groups = " + lab_.str("domain_sid") + "-999999\n");
  ASSERT_FALSE(sid);
  EXPECT_NE(sid.error().message.find("matches no group"), std::string::npos) << sid.error().message;
}

TEST_F(WebLab, OneThrottleBucketPerAccountWhateverTheSpellingAndClient) {
  ASSERT_NO_FATAL_FAILURE(start("trusted_proxies = 127.0.0.1\n"));
  auto from = [&](const std::string& ip, const std::string& user, const std::string& pw) {
    Poco::JSON::Object o;
    o.set("username", user);
    o.set("password", pw);
    std::ostringstream body;
    o.stringify(body);
    return client().call("POST", "/api/v1/login", body.str(), {{"X-Forwarded-For", ip}});
  };
  const std::string nb = lab_.str("netbios");
  const std::string names[] = {"viewer1", nb + "\\viewer1", "VIEWER1@" + lab_.str("viewer.user").substr(8), "Viewer1",
                               "viewer1@" + lab_.str("viewer.user").substr(8)};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(from("203.0.113." + std::to_string(i + 1), names[i], "wrong-password").status, 401) << names[i];
  // Blocked for the account, from any client; another account from the same client goes on.
  EXPECT_EQ(from("203.0.113.50", "viewer1", password("viewer")).status, 429);
  EXPECT_EQ(from("203.0.113.1", lab_.str("operator.user"), password("operator")).status, 200);
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_NE(audit.find("\"client\":\"203.0.113.50\""), std::string::npos) << audit;
}

TEST_F(WebLab, AnAccountInNoConfiguredGroupIsRefused) {
  auto r = client().login(lab_.str("reader.user"), password("reader"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.errorCode(), "forbidden");
  EXPECT_NE(r.errorMessage().find("AdCheck Viewers"), std::string::npos) << r.errorMessage();
  EXPECT_TRUE(r.header("Set-Cookie").empty());
}

TEST_F(WebLab, WrongPasswordAndDisabledAccountGetTheSame401) {
  auto wrong = client().login(lab_.str("viewer.user"), password("viewer") + "x");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  auto disabled = client().login("sales-disabled", passwordOf("sales-disabled"));
  EXPECT_EQ(disabled.status, 401) << disabled.body;
  EXPECT_EQ(wrong.errorMessage(), "user name or password is wrong, or the account is disabled");
  EXPECT_EQ(disabled.errorMessage(), wrong.errorMessage());
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_NE(audit.find("\"login-failed\""), std::string::npos);
}

TEST_F(WebLab, FiveFailedLoginsThrottle) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client().login("no-such-user-" + std::to_string(i), "x").status, 401);
  auto r = client().login(lab_.str("viewer.user"), password("viewer"));  // same client address
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.header("Retry-After").empty());
}

TEST_F(WebLab, ViewerReadsButCannotStartScansOrChangeExceptions) {
  auto viewer = client();
  ASSERT_EQ(viewer.login(lab_.str("viewer.user"), password("viewer")).status, 200);
  EXPECT_EQ(viewer.call("GET", "/api/v1/findings").status, 200);
  auto scan = viewer.change("POST", "/api/v1/scans");
  EXPECT_EQ(scan.status, 403);
  EXPECT_EQ(scan.errorCode(), "forbidden");
  auto exc = viewer.change("POST", "/api/v1/exceptions", R"({"rule": "MOB-STALE-DEVICE", "dnPattern": "*", "reason": "x"})");
  EXPECT_EQ(exc.status, 403);
  EXPECT_FALSE(app_->job().running());
}

TEST_F(WebLab, OperatorScanRunsLiveWithProgressProbeAndExplain) {
  auto op = client();
  ASSERT_EQ(op.login(lab_.str("operator.user"), password("operator")).status, 200);
  auto started = op.change("POST", "/api/v1/scans");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto id = started.json()->getValue<std::int64_t>("scanId");
  bool saw_progress = false;
  std::string last;
  for (int i = 0; i < 1200; ++i) {
    auto job = op.call("GET", "/api/v1/job");
    ASSERT_EQ(job.status, 200);
    auto j = job.json();
    last = job.body;
    if (!j->getValue<bool>("running")) break;
    if (!j->get("phase").isEmpty() && j->getValue<std::int64_t>("entries") > 0) saw_progress = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saw_progress) << "never saw a running phase with entries: " << last;
  auto j = op.call("GET", "/api/v1/job").json();
  ASSERT_FALSE(j->getValue<bool>("running")) << last;
  EXPECT_EQ(j->getObject("lastRun")->getValue<std::string>("status"), "completed") << last;
  EXPECT_EQ(j->getValue<std::string>("startedBy"), lab_.str("operator.user"));
  auto scan = op.call("GET", "/api/v1/scans/" + std::to_string(id)).json();
  EXPECT_EQ(scan->getValue<std::string>("status"), "completed");
  EXPECT_GT(scan->getValue<std::int64_t>("objectsRead"), 100);
  std::string rules;
  auto arr = scan->getArray("rules");
  for (std::size_t i = 0; i < arr->size(); ++i) rules += arr->getElement<std::string>(i) + " ";
  EXPECT_NE(rules.find("EP-UNREACHABLE"), std::string::npos) << rules;

  // The endpoint probe ran with the scan, and its finding is one of the scan's.
  auto eps = op.call("GET", "/api/v1/endpoints").json()->getArray("items");
  ASSERT_EQ(eps->size(), 1u);
  EXPECT_FALSE(eps->getObject(0)->getValue<std::string>("error").empty());
  auto ep_findings = op.call("GET", "/api/v1/findings?rule=EP-UNREACHABLE").json();
  EXPECT_EQ(ep_findings->getValue<std::int64_t>("total"), 1);

  // The explain story of the hostile CN, read live, as text in JSON.
  auto hostile = op.call("GET", "/api/v1/findings?q=hostile-img&limit=5").json()->getArray("items");
  std::string dn;
  for (std::size_t i = 0; i < hostile->size(); ++i)
    if (hostile->getObject(i)->getValue<std::string>("samAccountName") == "hostile-img")
      dn = hostile->getObject(i)->getValue<std::string>("dn");
  ASSERT_FALSE(dn.empty()) << "no finding for hostile-img";
  std::string encoded;
  Poco::URI::encode(dn, "/?#[]@!$&'()*+,;=%<> \"", encoded);
  auto obj = op.call("GET", "/api/v1/objects/" + encoded);
  ASSERT_EQ(obj.status, 200) << obj.body.substr(0, 400);
  auto o = obj.json();
  ASSERT_FALSE(o->get("object").isEmpty()) << o->get("explainError").toString();
  EXPECT_EQ(o->getObject("object")->getValue<std::string>("samAccountName"), "hostile-img");
  EXPECT_GT(o->getObject("object")->getArray("dacl")->size(), 0u);
  EXPECT_GT(o->getArray("findings")->size(), 0u);
  EXPECT_TRUE(o->get("explainErrorId").isEmpty());
  // Again, over the kept service-account session.
  auto again = op.call("GET", "/api/v1/objects/" + encoded);
  ASSERT_EQ(again.status, 200) << again.body.substr(0, 400);
  EXPECT_FALSE(again.json()->get("object").isEmpty()) << again.json()->get("explainError").toString();

  // Only DNs below the scanned base are read: another domain, and the configuration partition
  // (lexically below the domain, but not scanned), are refused before any search.
  const std::string base = dn.substr(dn.find("DC="));
  for (const std::string& outside : std::vector<std::string>{
           "CN=Administrator,CN=Users,DC=elsewhere,DC=example", "CN=Some Server,CN=Servers,CN=Configuration," + base}) {
    std::string enc;
    Poco::URI::encode(outside, "/?#[]@!$&'()*+,;=%<> \"", enc);
    auto r = op.call("GET", "/api/v1/objects/" + enc);
    EXPECT_EQ(r.status, 400) << outside << ": " << r.body.substr(0, 400);
    EXPECT_NE(r.errorMessage().find("outside the scanned base"), std::string::npos) << r.body.substr(0, 400);
  }

  // A second scan while none runs is fine; the audit log names who started them.
  const std::string audit = readFile(dir_ + "/audit.log");
  EXPECT_NE(audit.find("\"scan-started\""), std::string::npos);
  EXPECT_NE(audit.find(lab_.str("operator.user")), std::string::npos);
}

TEST_F(WebLab, NoLogHoldsAPasswordUsed) {
  const std::string viewer_pw = password("viewer");
  const std::string op_pw = password("operator");
  client().login(lab_.str("viewer.user"), viewer_pw + "-wrong");
  auto v = client();
  ASSERT_EQ(v.login(lab_.str("viewer.user"), viewer_pw).status, 200);
  v.call("GET", "/api/v1/overview");
  auto o = client();
  ASSERT_EQ(o.login(lab_.str("operator.user"), op_pw).status, 200);
  o.change("POST", "/api/v1/logout", "");
  server_->stop();
  app_->stop();
  const std::string access = readFile(dir_ + "/access.log");
  const std::string audit = readFile(dir_ + "/audit.log");
  ASSERT_NE(audit.find("\"event\":\"login\""), std::string::npos) << audit;
  ASSERT_NE(access.find("/api/v1/login"), std::string::npos);
  for (const auto& secret : {viewer_pw, op_pw, readFile(lab_.str("reader.password_file"))}) {
    ASSERT_GE(secret.size(), 6u);
    EXPECT_EQ(access.find(secret), std::string::npos);
    EXPECT_EQ(audit.find(secret), std::string::npos);
  }
}

TEST_F(WebLab, ServeRefusesPlainHttpOffLoopbackWithExitCode2) {
  const std::string ini = testing::scratchFile(
      "web_lab_plain.ini", testing::labConfigIni(lab_, testing::Identity::kReaderLdaps,
                                                 "[store]\npath = " + dir_ + "/serve.sqlite\n[web]\nlisten = 0.0.0.0:18443\n"));
  auto [code, out] = testing::run(testing::adcheckBinary() + " serve --config " + ini);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("allow_plain_http"), std::string::npos) << out;
}

}  // namespace
}  // namespace adcheck::web
