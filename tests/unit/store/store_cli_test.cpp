// adcheck scans / adcheck exceptions against a store written through the API (no directory
// needed): output, exit codes and the errors a person meets.
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/support/lab_fixture.h"
#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;

class StoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("adcheck.sqlite");
    config_ = dir_.file("adcheck.ini");
    std::ofstream(config_) << "[store]\npath = " << path_ << "\nkeep_scans = 5\n";
  }
  std::pair<int, std::string> adcheck(const std::string& args) {
    return adcheck::testing::run(adcheck::testing::adcheckBinary() + " " + args);
  }
  TempDir dir_;
  std::string path_, config_;
};

scan::Finding user(int i, const std::string& rule = "MOB-BITMASK-INVALID") {
  char guid[40];
  std::snprintf(guid, sizeof guid, "%08x-0000-4000-8000-000000000000", i);
  return finding(rule, guid, "CN=user" + std::to_string(i) + ",OU=Sales,DC=corp,DC=example,DC=com",
                 scan::Severity::kLow);
}

TEST_F(StoreCli, ReadingCommandsNeedAnExistingStore) {
  auto [rc, out] = adcheck("scans list --config " + config_);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("there is no store at " + path_), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(path_));
  auto [rc2, out2] = adcheck("scans list");
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("--config"), std::string::npos) << out2;
  auto [rc3, out3] = adcheck("scans frobnicate --config " + config_);
  EXPECT_EQ(rc3, 2);
  EXPECT_NE(out3.find("unknown scans subcommand 'frobnicate'"), std::string::npos) << out3;
}

TEST_F(StoreCli, ListAndDiff) {
  {
    auto store = openStore(path_);
    writeScan(*store, day(0), {user(1), user(2)});
    writeScan(*store, day(1), {user(2), user(3)});
  }
  auto [rc, out] = adcheck("scans list --config " + config_ + " --format json");
  ASSERT_EQ(rc, 0) << out;
  auto json = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getValue<int>("total"), 2);
  auto first = json->getArray("scans")->getObject(0);
  EXPECT_EQ(first->getValue<int>("id"), 2) << "newest first";
  EXPECT_EQ(first->getValue<int>("new"), 1);
  EXPECT_EQ(first->getValue<int>("resolved"), 1);
  EXPECT_EQ(first->getObject("bySeverity")->getValue<int>("low"), 2);

  auto [rc2, table] = adcheck("scans list --config " + config_);
  ASSERT_EQ(rc2, 0) << table;
  EXPECT_NE(table.find("2 of 2 scan(s)"), std::string::npos) << table;

  auto [rc3, diff] = adcheck("scans diff --config " + config_ + " previous latest");
  ASSERT_EQ(rc3, 0) << diff;
  EXPECT_NE(diff.find("1 added, 1 gone, 1 in both"), std::string::npos) << diff;
  EXPECT_NE(diff.find("+ low"), std::string::npos) << diff;
  EXPECT_NE(diff.find("user3"), std::string::npos) << diff;

  auto [rc4, bad] = adcheck("scans diff --config " + config_ + " 1 42");
  EXPECT_EQ(rc4, 2);
  EXPECT_NE(bad.find("scan 42 does not exist in " + path_), std::string::npos) << bad;
  auto [rc5, junk] = adcheck("scans diff --config " + config_ + " 1 two");
  EXPECT_EQ(rc5, 2);
  EXPECT_NE(junk.find("scan id 'two' is not a positive number"), std::string::npos) << junk;
}

TEST_F(StoreCli, ExceptionsAddListRemove) {
  {
    auto store = openStore(path_);
    writeScan(*store, day(0), {user(1), user(2), user(3, "EAS-INHERITANCE-DISABLED")});
  }
  auto [rc, out] = adcheck("exceptions add --config " + config_ +
                           " --rule mob-bitmask-invalid --dn-pattern '*,ou=sales,dc=corp,dc=example,dc=com'"
                           " --reason 'migrated accounts' --owner 'mobile team' --expires 2999-12-31");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("exception 1 added"), std::string::npos) << out;
  EXPECT_NE(out.find("covers 2 of the 3 current finding(s)"), std::string::npos) << out;

  auto [rc2, fp] = adcheck("exceptions add --config " + config_ + " --fingerprint '" +
                           user(3, "EAS-INHERITANCE-DISABLED").fingerprint() +
                           "' --reason 'service account' --owner alice");
  ASSERT_EQ(rc2, 0) << fp;
  EXPECT_NE(fp.find("covers 1 of the 3"), std::string::npos) << fp;

  auto [rc3, list] = adcheck("exceptions list --config " + config_ + " --format json");
  ASSERT_EQ(rc3, 0) << list;
  auto json = Poco::JSON::Parser().parse(list).extract<Poco::JSON::Object::Ptr>();
  auto a = json->getArray("exceptions");
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(a->getObject(0)->getValue<std::string>("rule"), "MOB-BITMASK-INVALID");
  EXPECT_EQ(a->getObject(0)->getValue<std::string>("expires"), "2999-12-31");
  EXPECT_EQ(a->getObject(1)->getValue<std::string>("owner"), "alice");

  auto [rc4, rm] = adcheck("exceptions remove --config " + config_ + " 1");
  ASSERT_EQ(rc4, 0) << rm;
  auto [rc5, active] = adcheck("exceptions list --config " + config_);
  ASSERT_EQ(rc5, 0) << active;
  EXPECT_NE(active.find("1 active exception(s)"), std::string::npos) << active;
  auto [rc6, again] = adcheck("exceptions remove --config " + config_ + " 1");
  EXPECT_EQ(rc6, 2);
  EXPECT_NE(again.find("already removed"), std::string::npos) << again;
  auto [rc7, missing] = adcheck("exceptions remove --config " + config_ + " 9");
  EXPECT_EQ(rc7, 2);
  EXPECT_NE(missing.find("exception 9 does not exist"), std::string::npos) << missing;
}

// A one-user snapshot: MOB-BITMASK-INVALID fires on it without any other context. (The domain
// root and the schema's user class make it a complete input: without them the scan fails.)
constexpr const char* kSnapshot =
    "dn:\n"
    "defaultNamingContext: DC=corp,DC=example,DC=com\n"
    "\n"
    "dn: DC=corp,DC=example,DC=com\n"
    "objectClass: domainDNS\n"
    "objectSid:: AQQAAAAAAAUVAAAAAQAAAAIAAAADAAAA\n"
    "\n"
    "dn: CN=User,CN=Schema,CN=Configuration,DC=corp,DC=example,DC=com\n"
    "objectClass: classSchema\n"
    "lDAPDisplayName: user\n"
    "schemaIDGUID:: urp5v+cN0BGihQCqADBJ4g==\n"
    "\n"
    "dn: CN=Wireless 16,OU=Sales,DC=corp,DC=example,DC=com\n"
    "objectClass: top\n"
    "objectClass: user\n"
    "sAMAccountName: wl-16\n"
    "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n"
    "homeMDB: CN=DB1,CN=Databases,CN=Exchange\n"
    "msExchOmaAdminWirelessEnable: 16\n";

TEST_F(StoreCli, ScanRecordsHistoryOnlyWhenTheConfigSetsAStore) {
  const auto snapshot = dir_.file("one.ldif");
  std::ofstream(snapshot) << kSnapshot;
  const auto scan = "scan --snapshot " + snapshot + " --format csv --config ";
  auto [rc1, first] = adcheck(scan + config_);
  EXPECT_EQ(rc1, 1) << first;
  EXPECT_NE(first.find("\"MOB-BITMASK-INVALID\",\"low\",\"new\""), std::string::npos) << first;
  auto [rc2, second] = adcheck(scan + config_);
  EXPECT_EQ(rc2, 1) << second;
  EXPECT_NE(second.find("\"MOB-BITMASK-INVALID\",\"low\",\"open\""), std::string::npos) << second;
  auto [rc3, list] = adcheck("scans list --config " + config_ + " --format json");
  ASSERT_EQ(rc3, 0) << list;
  auto json = Poco::JSON::Parser().parse(list).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getValue<int>("total"), 2);
  EXPECT_EQ(json->getArray("scans")->getObject(0)->getValue<std::string>("target"),
            "snapshot:" + snapshot);

  // Without [store] path nothing is written, and every finding is new.
  const auto plain = dir_.file("plain.ini");
  std::ofstream(plain) << "[rules]\nenabled = all\n";
  std::filesystem::remove(path_);
  auto [rc4, out] = adcheck(scan + plain);
  EXPECT_EQ(rc4, 1) << out;
  EXPECT_NE(out.find("\"new\""), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(path_));

  // A store that cannot be opened stops the scan before the directory is read.
  const auto broken = dir_.file("broken.ini");
  std::ofstream(broken) << "[store]\npath = " << dir_.file("missing/adcheck.sqlite") << "\n";
  auto [rc5, err] = adcheck(scan + broken);
  EXPECT_EQ(rc5, 2) << err;
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
}

TEST_F(StoreCli, ExceptionsAddRefusesWhatCannotBeRight) {
  { openStore(path_); }
  struct Case {
    std::string args, message;
  };
  for (const auto& c : std::vector<Case>{
           {"--rule NOPE --dn-pattern '*' --reason r --owner o", "unknown rule id 'NOPE'"},
           {"--rule MOB-BITMASK-INVALID --reason r --owner o", "--rule needs --dn-pattern"},
           {"--rule MOB-BITMASK-INVALID --dn-pattern '*' --owner o", "needs a reason"},
           {"--rule MOB-BITMASK-INVALID --dn-pattern '*' --reason r", "needs an owner"},
           {"--rule MOB-BITMASK-INVALID --dn-pattern '*' --reason r --owner o --expires 2001-01-01",
            "already past"},
           {"--rule MOB-BITMASK-INVALID --dn-pattern '*' --reason r --owner o --expires tomorrow",
            "YYYY-MM-DD"},
           {"--fingerprint x --reason r --owner o", "not a finding fingerprint"},
           {"--rule MOB-BITMASK-INVALID --dn-pattern 'CN=[x' --reason r --owner o", "not closed"},
       }) {
    auto [rc, out] = adcheck("exceptions add --config " + config_ + " " + c.args);
    EXPECT_EQ(rc, 2) << c.args;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << "\n" << out;
  }
  auto [rc, list] = adcheck("exceptions list --config " + config_ + " --all");
  EXPECT_NE(list.find("0 exception(s)"), std::string::npos) << list;
}

// A live scan whose connection fails is a failed scan in the history, not nothing; and a typo in
// [rules] enabled is reported before any connection is tried.
TEST_F(StoreCli, AScanWhoseConnectFailsIsRecordedFailed) {
  std::ofstream(config_) << "[directory]\nuri = ldaps://127.0.0.1:9\nuser = scan@corp.example.com\n"
                         << "[store]\npath = " << path_ << "\n";
  auto [rc, out] =
      adcheck::testing::run("ADCHECK_BIND_PASSWORD=x " + adcheck::testing::adcheckBinary() +
                            " scan --format json --config " + config_);
  EXPECT_EQ(rc, 2) << out;
  auto store = openStore(path_);
  auto scans = store->listScans(PageRequest{});
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->total, 1u) << out;
  EXPECT_EQ(scans->items[0].status, scan::ScanStatus::kFailed);
  EXPECT_NE(scans->items[0].target.find("ldaps://127.0.0.1:9"), std::string::npos);
  EXPECT_FALSE(scans->items[0].error.empty());
}

TEST_F(StoreCli, AnUnknownRuleIdIsAConfigErrorBeforeConnecting) {
  std::ofstream(config_) << "[directory]\nuri = ldaps://127.0.0.1:9\nuser = scan@corp.example.com\n"
                         << "[rules]\nenabled = EAS-INHERITANCE-DISABLED, EAS-TYPO\n"
                         << "[store]\npath = " << path_ << "\n";
  auto [rc, out] =
      adcheck::testing::run("ADCHECK_BIND_PASSWORD=x " + adcheck::testing::adcheckBinary() +
                            " scan --format json --config " + config_);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("unknown rule id 'EAS-TYPO'"), std::string::npos) << out;
  EXPECT_EQ(out.find("127.0.0.1:9"), std::string::npos) << "no connection was tried: " << out;
  EXPECT_FALSE(std::filesystem::exists(path_)) << "nothing was recorded for a configuration error";
}

// SIGTERM while the scan reads: the row ends failed ("interrupted by SIGTERM"), not "running".
TEST_F(StoreCli, SigtermDuringAScanRecordsItInterrupted) {
  const std::string fifo = dir_.file("snapshot.ldif");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string binary = adcheck::testing::adcheckBinary();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(binary.c_str(), "adcheck", "scan", "--format", "json", "--snapshot", fifo.c_str(),
            "--config", config_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const int fd = ::open(fifo.c_str(), O_WRONLY);  // waits for the scan to open it
  ASSERT_GE(fd, 0);
  const std::string head =
      "version: 1\n\ndn: DC=corp,DC=example,DC=com\nobjectClass: domainDNS\n\n";
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  // Wait until the scan is recorded as running, then stop it while it waits for more input.
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!std::filesystem::exists(path_)) continue;
    auto store = openStore(path_);
    auto latest = store->latestScan(false);
    running = latest && *latest && (*latest)->status == scan::ScanStatus::kRunning;
  }
  ASSERT_TRUE(running) << "the scan was never recorded";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(fd);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal: the row would stay running";
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  auto store = openStore(path_);
  auto latest = store->latestScan(false);
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->status, scan::ScanStatus::kFailed);
  EXPECT_NE((*latest)->error.find("interrupted by SIGTERM"), std::string::npos) << (*latest)->error;
}

}  // namespace
}  // namespace adcheck::store
