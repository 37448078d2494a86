// The store against the real lab: scan, change the directory (as the lab admin, over GSSAPI),
// add exceptions, scan again, and the lifecycle must say exactly what changed. The changed
// objects are put back at the end (other lab tests compare the directory with the manifest), and
// a last scan proves it: what was fixed comes back as "reopened".
#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <set>

#include "adcheck/scan/dn.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/sources.h"
#include "adcheck/store/sqlite_store.h"
#include "tests/support/lab_fixture.h"

namespace adcheck {
namespace {

using testing::Identity;

const std::string kBitmask = "MOB-BITMASK-INVALID";

struct Scanned {
  scan::ScanSummary summary;
  std::vector<scan::Finding> findings;
};

Scanned liveScan(const config::Config& cfg) {
  auto opts = scan::sessionOptions(cfg.directory);
  if (!opts) throw std::runtime_error(opts.error().toString());
  auto session = ldap::Session::open(*opts);
  if (!session) throw std::runtime_error("cannot open a session to the lab: " + session.error().toString());
  scan::LiveSource source(*session, cfg);
  Scanned s;
  scan::ScanOptions o;
  o.config = cfg;
  s.summary = scan::runScan(source, o, [&](scan::Finding&& f) { s.findings.push_back(std::move(f)); });
  if (s.summary.status != scan::ScanStatus::kCompleted)
    throw std::runtime_error("lab scan did not complete: " + s.summary.error);
  return s;
}

// Scans the lab and writes the scan to the store; returns the findings with their states.
struct Stored {
  std::int64_t id = 0;
  Scanned scan;
  std::vector<store::FindingState> states;
  // "sam rule" -> status
  std::map<std::string, std::string> status;
};

Stored scanAndStore(store::Store& st, const config::Config& cfg) {
  Stored out;
  auto id = st.beginScan(cfg.directory.uris.front(), {});
  if (!id) throw std::runtime_error(id.error().toString());
  out.id = *id;
  out.scan = liveScan(cfg);
  auto states = st.finishScan(*id, out.scan.summary, out.scan.findings);
  if (!states) throw std::runtime_error(states.error().toString());
  out.states = std::move(*states);
  for (std::size_t i = 0; i < out.scan.findings.size(); ++i) {
    const auto& f = out.scan.findings[i];
    out.status[(f.samAccountName.empty() ? f.dn : f.samAccountName) + " " + f.rule +
               (f.key.empty() ? "" : " " + f.key)] = out.states[i].status;
  }
  return out;
}

const scan::Finding* findingOf(const Stored& s, const std::string& sam, const std::string& rule) {
  for (const auto& f : s.scan.findings)
    if (ldap::iequals(f.samAccountName, sam) && f.rule == rule) return &f;
  return nullptr;
}

// msExchOmaAdminWirelessEnable of one user, as the lab admin, with ldapmodify over GSSAPI (the
// Kerberos environment comes from labConfig).
void setWireless(const testing::Lab& lab, const std::string& dn, int value) {
  auto ldif = testing::scratchFile("store-lab-modify.ldif",
                                   "dn: " + dn + "\nchangetype: modify\nreplace: msExchOmaAdminWirelessEnable\n"
                                   "msExchOmaAdminWirelessEnable: " + std::to_string(value) + "\n");
  auto [rc, out] = testing::run("ldapmodify -N -Q -Y GSSAPI -H '" + lab.str("ldap_uri") + "' -f '" + ldif + "'");
  if (rc != 0) throw std::runtime_error("ldapmodify of " + dn + " failed (" + std::to_string(rc) + "): " + out);
}

class StoreLab : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = testing::loadLab();
    dir_ = std::filesystem::path(ADCHECK_BINARY_DIR) / "test-scratch" / "store-lab";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "adcheck.sqlite").string();
    extra_ = "[store]\npath = " + path_ + "\nkeep_scans = 10\n";
    cfg_ = testing::labConfig(lab_, Identity::kAdminGssapi, extra_);
  }
  testing::Lab lab_;
  std::filesystem::path dir_;
  std::string path_, extra_;
  config::Config cfg_;
};

// Puts the two users back however the test ends.
class Restore {
 public:
  explicit Restore(const testing::Lab& lab) : lab_(lab) {}
  void remember(std::string dn, int value) { values_.emplace_back(std::move(dn), value); }
  void now() {
    for (const auto& [dn, v] : values_) setWireless(lab_, dn, v);
    values_.clear();
  }
  ~Restore() {
    try {
      now();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not restore the lab (other lab tests will fail): " << e.what();
    }
  }

 private:
  const testing::Lab& lab_;
  std::vector<std::pair<std::string, int>> values_;
};

TEST_F(StoreLab, LifecycleFollowsTheDirectory) {
  auto opened = store::openSqliteStore(store::sqliteOptions(cfg_.store));
  ASSERT_TRUE(opened) << opened.error().toString();
  auto& st = **opened;

  // 1. First scan: everything new, first seen now, unless the directory dates it (details.since
  // of orphaned adminCount, where the DC returns replication metadata as XML; Samba's lab does
  // not, so here every finding is dated by the scan; tests/unit/store covers the dated path).
  auto first = scanAndStore(st, cfg_);
  ASSERT_GT(first.scan.findings.size(), 40u);
  for (std::size_t i = 0; i < first.states.size(); ++i) {
    EXPECT_EQ(first.states[i].status, "new");
    const auto& f = first.scan.findings[i];
    if (f.details->has("since"))
      EXPECT_LT(first.states[i].firstSeen, first.scan.summary.started)
          << f.samAccountName << ": since " << f.details->get("since").toString();
    else
      EXPECT_EQ(first.states[i].firstSeen, first.scan.summary.started) << f.samAccountName;
  }

  const auto* wl16 = findingOf(first, "wl-16", kBitmask);
  const auto* wl64 = findingOf(first, "wl-64", kBitmask);
  const auto* wlneg = findingOf(first, "wl-neg1", kBitmask);
  ASSERT_TRUE(wl16 && wl64 && wlneg) << "the manifest's MOB-BITMASK-INVALID users";
  ASSERT_EQ(findingOf(first, "wl-0", kBitmask), nullptr);
  const std::string wl16_dn = wl16->dn;
  const std::string wl0_dn = "CN=Wireless 0," + scan::parentDn(wl16_dn);

  // 2. Change the directory: wl-16 fixed (16 -> 0), wl-0 broken (0 -> 64).
  Restore restore(lab_);
  restore.remember(wl16_dn, 16);
  restore.remember(wl0_dn, 0);
  setWireless(lab_, wl16_dn, 0);
  setWireless(lab_, wl0_dn, 64);

  // 3. Exceptions: one by fingerprint, one by rule + DN glob (any case).
  const std::time_t now = std::time(nullptr);
  auto by_fp = st.addException({wl64->fingerprint(), "", "", "legacy handset policy", "it-mobile", ""}, now);
  ASSERT_TRUE(by_fp) << by_fp.error().toString();
  auto by_glob = st.addException({"", kBitmask, "cn=wireless minus1,*", "test account", "it-mobile", ""}, now);
  ASSERT_TRUE(by_glob) << by_glob.error().toString();

  // 4. Second scan: exactly one new, one resolved, two excepted; everything else open.
  auto second = scanAndStore(st, cfg_);
  std::map<std::string, std::string> expected;
  for (const auto& [key, status] : first.status) expected[key] = "open";
  expected.erase("wl-16 " + kBitmask);
  expected["wl-0 " + kBitmask] = "new";
  expected["wl-64 " + kBitmask] = "excepted";
  expected["wl-neg1 " + kBitmask] = "excepted";
  EXPECT_EQ(second.status, expected);
  auto rec = st.scanById(second.id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->newFindings, 1);
  EXPECT_EQ(rec->resolved, 1);
  EXPECT_EQ(rec->excepted, 2);
  EXPECT_EQ(rec->findings, static_cast<std::int64_t>(first.scan.findings.size()));
  auto h = st.history(wl16->fingerprint());
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->latest.lifecycle, "resolved");
  EXPECT_EQ(h->latest.resolvedAt, second.scan.summary.started);
  auto d = st.diff(first.id, second.id);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->added.size(), 1u);
  EXPECT_EQ(d->added[0].finding.samAccountName, "wl-0");
  ASSERT_EQ(d->removed.size(), 1u);
  EXPECT_EQ(d->removed[0].finding.samAccountName, "wl-16");
  store::FindingQuery q;
  q.statuses = {"excepted"};
  auto excepted = st.findings(q);
  ASSERT_TRUE(excepted);
  std::set<std::string> names;
  for (const auto& f : excepted->items) names.insert(f.finding.samAccountName);
  EXPECT_EQ(names, (std::set<std::string>{"wl-64", "wl-neg1"}));
  store::FindingQuery sales;
  sales.ouDn = scan::parentDn(wl16_dn);
  sales.rules = {kBitmask};
  sales.statuses = {"new", "open", "resolved"};
  auto in_ou = st.findings(sales);
  ASSERT_TRUE(in_ou);
  std::map<std::string, std::string> ou_status;
  for (const auto& f : in_ou->items) ou_status[f.finding.samAccountName] = f.status;
  EXPECT_EQ(ou_status, (std::map<std::string, std::string>{{"wl-0", "new"}, {"wl-16", "resolved"}}));

  // 5. Put the lab back; a third scan sees it: wl-16 reopened, wl-0 resolved.
  restore.now();
  auto third = scanAndStore(st, cfg_);
  EXPECT_EQ(third.status.at("wl-16 " + kBitmask), "reopened");
  EXPECT_FALSE(third.status.contains("wl-0 " + kBitmask));
  EXPECT_EQ(third.scan.findings.size(), first.scan.findings.size())
      << "the lab is back as the manifest says";
  auto h0 = st.history(findingOf(second, "wl-0", kBitmask)->fingerprint());
  ASSERT_TRUE(h0);
  EXPECT_EQ(h0->latest.lifecycle, "resolved");
}

TEST_F(StoreLab, CommandLineKeepsHistory) {
  const auto config = testing::scratchFile("store-lab.ini", testing::labConfigIni(lab_, Identity::kAdminGssapi, extra_));
  const auto bin = testing::adcheckBinary();
  auto [rc1, out1] = testing::run(bin + " scan --config " + config + " --format json --output " +
                                  (dir_ / "scan1.json").string());
  ASSERT_EQ(rc1, 1) << "findings at or above low: " << out1;
  auto [rc2, out2] = testing::run(bin + " scan --config " + config + " --format json --output " +
                                  (dir_ / "scan2.json").string());
  ASSERT_EQ(rc2, 1) << out2;
  std::ifstream in(dir_ / "scan2.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto json = Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
  auto findings = json->getArray("findings");
  ASSERT_GT(findings->size(), 40u);
  std::size_t bitmask = 0;
  for (std::size_t i = 0; i < findings->size(); ++i) {
    EXPECT_EQ(findings->getObject(i)->getValue<std::string>("status"), "open")
        << "the second scan of an unchanged lab: every finding is open";
    if (findings->getObject(i)->getValue<std::string>("rule") == "MOB-BITMASK-INVALID") ++bitmask;
  }
  EXPECT_GE(bitmask, 3u);

  auto [rc3, list] = testing::run(bin + " scans list --config " + config + " --format json");
  ASSERT_EQ(rc3, 0) << list;
  auto scans = Poco::JSON::Parser().parse(list).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(scans->getValue<int>("total"), 2);
  auto [rc4, diff] = testing::run(bin + " scans diff --config " + config + " previous latest");
  ASSERT_EQ(rc4, 0) << diff;
  EXPECT_NE(diff.find("0 added, 0 gone"), std::string::npos) << diff;
  auto [rc5, unknown] = testing::run(bin + " scans diff --config " + config + " 1 999");
  EXPECT_EQ(rc5, 2);
  EXPECT_NE(unknown.find("scan 999 does not exist"), std::string::npos) << unknown;

  auto [rc6, add] = testing::run(bin + " exceptions add --config " + config +
                                 " --rule MOB-BITMASK-INVALID --dn-pattern '*' --reason 'all of them' --owner test");
  ASSERT_EQ(rc6, 0) << add;
  EXPECT_NE(add.find("covers " + std::to_string(bitmask) + " of the " +
                     std::to_string(findings->size()) + " current finding(s)"),
            std::string::npos)
      << add;
  auto [rc7, third] = testing::run(bin + " scan --config " + config + " --format csv --fail-on low");
  EXPECT_EQ(rc7, 1) << third;
  auto [rc8, remove] = testing::run(bin + " exceptions remove --config " + config + " 1");
  EXPECT_EQ(rc8, 0) << remove;
  auto [rc9, exc] = testing::run(bin + " exceptions list --config " + config + " --all --format json");
  ASSERT_EQ(rc9, 0) << exc;
  EXPECT_NE(exc.find("\"state\": \"removed\""), std::string::npos) << exc;
}

}  // namespace
}  // namespace adcheck
