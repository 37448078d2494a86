// The rules against the real lab: the complete finding set must equal the manifest's expected
// findings (tests/lab/scenarios.json, resolved by lab.py into expected.json), no decoy may fire,
// and an offline scan of a snapshot must give exactly the same findings.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "adcheck/scan/dn.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/sources.h"
#include "tests/integration/ldap/lab.h"
#include "tests/support/lab_fixture.h"

namespace adcheck {
namespace {

using testing::Identity;

struct Scan {
  scan::ScanSummary summary;
  std::vector<scan::Finding> findings;
};

Scan scanWith(scan::EntrySource& source, const config::Config& cfg) {
  Scan s;
  scan::ScanOptions opts;
  opts.config = cfg;
  s.summary = scan::runScan(source, opts, [&](scan::Finding&& f) { s.findings.push_back(std::move(f)); });
  return s;
}

Scan liveScan(const testing::Lab& lab, Identity who) {
  auto cfg = testing::labConfig(lab, who);
  auto opts = scan::sessionOptions(cfg.directory);
  if (!opts) throw std::runtime_error(opts.error().toString());
  auto session = ldap::Session::open(*opts);
  if (!session) throw std::runtime_error("cannot open a session to the lab: " + session.error().toString());
  scan::LiveSource source(*session, cfg);
  return scanWith(source, cfg);
}

Poco::JSON::Object::Ptr expectedJson(const testing::Lab& lab) {
  std::ifstream in(lab.dir + "/expected.json");
  if (!in) throw std::runtime_error(lab.dir + "/expected.json is missing (lab.py writes it)");
  std::stringstream ss;
  ss << in.rdbuf();
  return Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
}

std::string objectOf(const scan::Finding& f) { return f.samAccountName.empty() ? f.dn : f.samAccountName; }

bool sameText(const std::string& a, const std::string& b) { return scan::dnKey(a) == scan::dnKey(b); }

// Expected detail value (from the manifest) against the finding's; "*" means "present".
bool detailMatches(const Poco::Dynamic::Var& want, const Poco::Dynamic::Var& got) {
  if (want.isString() && want.toString() == "*") return !got.isEmpty();
  if (want.type() == typeid(Poco::JSON::Array::Ptr)) {
    if (got.type() != typeid(Poco::JSON::Array::Ptr)) return false;
    auto w = want.extract<Poco::JSON::Array::Ptr>();
    auto g = got.extract<Poco::JSON::Array::Ptr>();
    std::multiset<std::string> ws, gs;
    for (std::size_t i = 0; i < w->size(); ++i) ws.insert(w->get(i).toString());
    for (std::size_t i = 0; i < g->size(); ++i) gs.insert(g->get(i).toString());
    return ws == gs;  // order of groups is not meaningful
  }
  if (want.isBoolean() || got.isBoolean()) return want.convert<bool>() == got.convert<bool>();
  if (want.isNumeric() && got.isNumeric()) return want.convert<std::int64_t>() == got.convert<std::int64_t>();
  return want.toString() == got.toString();
}

bool matches(const Poco::JSON::Object::Ptr& e, const scan::Finding& f) {
  if (e->getValue<std::string>("rule") != f.rule) return false;
  if (!sameText(e->getValue<std::string>("object"), objectOf(f))) return false;
  if (e->has("key") && !sameText(e->getValue<std::string>("key"), f.key)) return false;
  if (e->getValue<std::string>("severity") != scan::severityName(f.severity)) return false;
  if (e->has("details")) {
    auto d = e->getObject("details");
    for (const auto& [k, v] : *d) {
      if (!f.details->has(k) || !detailMatches(v, f.details->get(k))) return false;
    }
  }
  return true;
}

std::string describe(const scan::Finding& f) {
  std::ostringstream d;
  f.details->stringify(d);
  return f.rule + " [" + std::string(scan::severityName(f.severity)) + "] " + objectOf(f) +
         (f.key.empty() ? "" : " key=" + f.key) + " " + d.str();
}

std::string describe(const Poco::JSON::Object::Ptr& e) {
  std::ostringstream d;
  e->stringify(d);
  return d.str();
}

// Canonical form of a finding for comparing two scans.
std::string canonical(const scan::Finding& f) {
  std::ostringstream d;
  f.details->stringify(d);
  return f.fingerprint() + " " + std::string(scan::severityName(f.severity)) + " " + f.summary + " " + d.str();
}

class ScanLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_ = new testing::Lab(testing::loadLab());
    admin_ = new Scan(liveScan(*lab_, Identity::kAdminGssapi));
  }
  static void TearDownTestSuite() {
    delete admin_;
    delete lab_;
  }
  static testing::Lab* lab_;
  static Scan* admin_;
};
testing::Lab* ScanLab::lab_ = nullptr;
Scan* ScanLab::admin_ = nullptr;

TEST_F(ScanLab, ScanCompletesWithoutObjectErrors) {
  const auto& s = admin_->summary;
  EXPECT_EQ(s.status, scan::ScanStatus::kCompleted) << s.error;
  EXPECT_GT(s.objectsScanned, 100u);
  for (const auto& e : s.objectErrors) ADD_FAILURE() << e.dn << " [" << e.rule << "] " << e.message;
  for (const auto& w : s.warnings) ADD_FAILURE() << "warning: " << w;
}

TEST_F(ScanLab, FindingsEqualTheManifestExactly) {
  auto expected = expectedJson(*lab_)->getArray("expected");
  ASSERT_GT(expected->size(), 40u);
  std::vector<bool> used(admin_->findings.size(), false);
  for (std::size_t i = 0; i < expected->size(); ++i) {
    auto e = expected->getObject(i);
    int hits = 0;
    for (std::size_t j = 0; j < admin_->findings.size(); ++j) {
      if (!used[j] && matches(e, admin_->findings[j])) {
        used[j] = true;
        ++hits;
        break;
      }
    }
    if (hits == 0) ADD_FAILURE() << "expected but not found: " << describe(e);
  }
  for (std::size_t j = 0; j < admin_->findings.size(); ++j)
    if (!used[j]) ADD_FAILURE() << "found but not in the manifest: " << describe(admin_->findings[j]);
}

TEST_F(ScanLab, NoDecoyFires) {
  auto decoys = expectedJson(*lab_)->getArray("decoys");
  ASSERT_GT(decoys->size(), 10u);
  for (std::size_t i = 0; i < decoys->size(); ++i) {
    auto d = decoys->getObject(i);
    auto object = d->getValue<std::string>("object");
    auto rules = d->getArray("not");
    const std::string key = d->optValue<std::string>("key", "");
    for (const auto& f : admin_->findings) {
      if (!sameText(objectOf(f), object)) continue;
      if (!key.empty() && !sameText(key, f.key)) continue;  // decoy for one device/cert/ACE
      for (std::size_t r = 0; r < rules->size(); ++r)
        if (rules->get(r).toString() == f.rule)
          ADD_FAILURE() << "decoy fired (" << d->optValue<std::string>("why", "") << "): " << describe(f);
    }
  }
}

TEST_F(ScanLab, EveryCauseOfDeviceRightsMissingIsCovered) {
  std::set<std::string> causes;
  for (const auto& f : admin_->findings)
    if (f.rule == "EAS-DEVICE-RIGHTS-MISSING") causes.insert(f.details->getValue<std::string>("cause"));
  EXPECT_EQ(causes, (std::set<std::string>{"protected-group", "orphaned-admincount", "inheritance-disabled",
                                           "deny-ace", "not-granted"}));
}

TEST_F(ScanLab, OfflineSnapshotGivesIdenticalFindings) {
  auto cfg = testing::labConfig(*lab_, Identity::kAdminGssapi);
  auto opts = scan::sessionOptions(cfg.directory);
  ASSERT_TRUE(opts) << opts.error().toString();
  auto session = ldap::Session::open(*opts);
  ASSERT_TRUE(session) << session.error().toString();
  auto path = testing::scratchFile("lab-snapshot.ldif.gz", "");
  {
    auto writer = ldap::LdifWriter::create(path);
    ASSERT_TRUE(writer) << writer.error().toString();
    scan::LiveSource live(*session, cfg);
    auto n = scan::writeSnapshot(live, *writer);
    ASSERT_TRUE(n) << n.error().toString();
    EXPECT_EQ(*n, admin_->summary.entriesRead);
    ASSERT_TRUE(writer->close());
  }
  auto snap = scan::SnapshotSource::open(path);
  ASSERT_TRUE(snap) << snap.error().toString();
  auto offline = scanWith(**snap, cfg);
  EXPECT_EQ(offline.summary.status, scan::ScanStatus::kCompleted) << offline.summary.error;
  std::multiset<std::string> a, b;
  for (const auto& f : admin_->findings) a.insert(canonical(f));
  for (const auto& f : offline.findings) b.insert(canonical(f));
  EXPECT_EQ(a, b);
  EXPECT_EQ(offline.summary.objectsScanned, admin_->summary.objectsScanned);
}

TEST_F(ScanLab, NonAdminReaderCanScanWithTheSdFlagsControl) {
  auto reader = liveScan(*lab_, Identity::kReaderLdaps);
  EXPECT_EQ(reader.summary.status, scan::ScanStatus::kCompleted) << reader.summary.error;
  EXPECT_EQ(reader.summary.objectsScanned, admin_->summary.objectsScanned);
  // Every descriptor was readable: no "nTSecurityDescriptor was not returned" object errors.
  for (const auto& e : reader.summary.objectErrors) ADD_FAILURE() << e.dn << ": " << e.message;
  // The protected-group findings do not depend on attribute visibility.
  auto count = [](const Scan& s, const std::string& rule) {
    return std::count_if(s.findings.begin(), s.findings.end(), [&](const auto& f) { return f.rule == rule; });
  };
  EXPECT_EQ(count(reader, "EAS-PROTECTED-MAILBOX-USER"), count(*admin_, "EAS-PROTECTED-MAILBOX-USER"));
  EXPECT_EQ(count(reader, "ADM-ADMINSDHOLDER-ACL"), count(*admin_, "ADM-ADMINSDHOLDER-ACL"));

  // What the reader cannot see, it says: every user whose mailbox findings the admin scan has
  // and the reader scan lacks is named in the "cannot tell whether they have a mailbox"
  // warning, and every user named there has inheritance disabled (per the admin scan).
  std::vector<std::string> warned;
  int mailbox_warnings = 0;
  for (const auto& w : reader.summary.warnings) {
    if (w.find("cannot tell whether they have a mailbox") == std::string::npos) continue;
    ++mailbox_warnings;
    std::istringstream lines(w);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("    ", 0) == 0) warned.push_back(line.substr(4));
  }
  EXPECT_EQ(mailbox_warnings, 1);
  auto has = [](const Scan& s, const std::string& rule, const std::string& dn) {
    return std::any_of(s.findings.begin(), s.findings.end(),
                       [&](const auto& f) { return f.rule == rule && sameText(f.dn, dn); });
  };
  auto listed = [&](const std::string& dn) {
    return std::any_of(warned.begin(), warned.end(), [&](const auto& w) { return sameText(w, dn); });
  };
  std::size_t hidden = 0;
  for (const auto& f : admin_->findings) {
    if (f.rule != "EAS-DEVICE-RIGHTS-MISSING" || has(reader, f.rule, f.dn)) continue;
    ++hidden;
    EXPECT_TRUE(listed(f.dn)) << "the reader misses " << f.dn << " without saying so";
  }
  EXPECT_GT(hidden, 0u);  // the lab has such users: the check above must have had work to do
  for (const auto& dn : warned)
    EXPECT_TRUE(has(*admin_, "EAS-INHERITANCE-DISABLED", dn)) << dn << " was warned about needlessly";
}

TEST_F(ScanLab, CliExitCodesAndFormats) {
  auto ini = testing::scratchFile("lab-admin.ini", testing::labConfigIni(*lab_, Identity::kAdminGssapi));
  auto bin = testing::adcheckBinary();
  auto [rc_crit, out_crit] = testing::run(bin + " scan --config " + ini + " --format json --fail-on critical");
  EXPECT_EQ(rc_crit, 1) << out_crit;  // the lab has critical AdminSDHolder backdoors
  EXPECT_NE(out_crit.find("\"findings\""), std::string::npos);
  auto json = out_crit.substr(out_crit.find('{'));
  auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getObject("scan")->getValue<std::string>("status"), "completed");
  auto first = root->getArray("findings")->getObject(0);
  for (const char* k : {"rule", "severity", "dn", "objectGuid", "objectSid", "samAccountName", "summary",
                        "details", "remediation", "status", "firstSeen"})
    EXPECT_TRUE(first->has(k)) << k;

  auto [rc_csv, out_csv] = testing::run(bin + " scan --config " + ini + " --format csv --fail-on critical");
  EXPECT_EQ(rc_csv, 1);
  EXPECT_EQ(out_csv.rfind("\xEF\xBB\xBFrule,severity", 0), 0u) << out_csv.substr(0, 80);

  auto bad = testing::scratchFile("typo.ini", testing::labConfigIni(*lab_, Identity::kAdminGssapi, "page_sise = 5\n"));
  auto [rc_bad, out_bad] = testing::run(bin + " scan --config " + bad);
  EXPECT_EQ(rc_bad, 2);
  EXPECT_NE(out_bad.find("unknown key 'page_sise'"), std::string::npos) << out_bad;
}

TEST_F(ScanLab, ExplainNamesTheDecidingDenyAce) {
  auto ini = testing::scratchFile("lab-admin.ini", testing::labConfigIni(*lab_, Identity::kAdminGssapi));
  auto [rc, out] = testing::run(testing::adcheckBinary() + " explain --config " + ini + " --format json deny-es");
  ASSERT_EQ(rc, 0) << out;
  auto s = Poco::JSON::Parser().parse(out.substr(out.find('{'))).extract<Poco::JSON::Object::Ptr>();
  auto rights = s->getObject("activeSyncRights");
  EXPECT_EQ(rights->getValue<std::string>("decision"), "denied");
  auto deciding = rights->getValue<int>("decidingAceIndex");
  auto dacl = s->getArray("dacl");
  ASSERT_LT(static_cast<std::size_t>(deciding), dacl->size());
  EXPECT_TRUE(dacl->getObject(deciding)->getValue<bool>("deciding"));
  EXPECT_EQ(dacl->getObject(deciding)->getValue<std::string>("sddl").rfind("(OD;;CC;", 0), 0u);
  EXPECT_NE(s->getValue<std::string>("sddl").find("D:"), std::string::npos);

  auto [rc_missing, out_missing] = testing::run(testing::adcheckBinary() + " explain --config " + ini + " no-such-user");
  EXPECT_EQ(rc_missing, 2);
  EXPECT_NE(out_missing.find("no user"), std::string::npos) << out_missing;
}

TEST_F(ScanLab, TruncatedSnapshotEndsPartialWithExitCode2) {
  // Write a snapshot, cut it in the middle of the user stream, and scan it.
  auto ini = testing::scratchFile("lab-admin.ini", testing::labConfigIni(*lab_, Identity::kAdminGssapi));
  auto full = testing::scratchFile("full.ldif", "");
  auto [rc, out] = testing::run(testing::adcheckBinary() + " snapshot --config " + ini + " --output " + full);
  ASSERT_EQ(rc, 0) << out;
  // explain works offline on the same file: "--snapshot FILE USER".
  auto [rc_x, out_x] = testing::run(testing::adcheckBinary() + " explain --format json --snapshot " + full + " deny-es");
  ASSERT_EQ(rc_x, 0) << out_x.substr(0, 300);
  auto story = Poco::JSON::Parser().parse(out_x.substr(out_x.find('{'))).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(story->getObject("activeSyncRights")->getValue<std::string>("decision"), "denied");
  std::ifstream in(full, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(text.size(), 10000u);
  auto cut = testing::scratchFile("cut.ldif", text.substr(0, text.size() * 9 / 10));
  auto [rc_cut, out_cut] = testing::run(testing::adcheckBinary() + " scan --snapshot " + cut + " --format json");
  EXPECT_EQ(rc_cut, 2) << out_cut.substr(0, 500);
  EXPECT_NE(out_cut.find("partial"), std::string::npos) << out_cut.substr(0, 500);
}

TEST_F(ScanLab, DcDroppingTheConnectionMidStreamEndsTheScanPartialAndSaysHowFar) {
  // A relay between adcheck and the DC cuts the connection after ~1 MB: the context is read,
  // the user stream is cut part-way.
  ldap::lab::Relay relay(lab_->str("ip"), 636, 1024 * 1024, ldap::lab::Relay::Fault::kDrop);
  auto cfg = testing::labConfig(*lab_, Identity::kReaderLdaps);
  cfg.directory.uris = {"ldaps://" + lab_->str("host") + ":" + std::to_string(relay.port())};
  auto opts = scan::sessionOptions(cfg.directory);
  ASSERT_TRUE(opts) << opts.error().toString();
  auto session = ldap::Session::open(*opts);
  ASSERT_TRUE(session) << session.error().toString();
  scan::LiveSource source(*session, cfg);
  auto cut = scanWith(source, cfg);
  EXPECT_TRUE(relay.faulted());
  EXPECT_EQ(cut.summary.status, scan::ScanStatus::kPartial) << cut.summary.error;
  EXPECT_GT(cut.summary.objectsScanned, 0u);
  EXPECT_LT(cut.summary.objectsScanned, admin_->summary.objectsScanned);
  EXPECT_NE(cut.summary.error.find("objects evaluated"), std::string::npos) << cut.summary.error;
  EXPECT_NE(cut.summary.error.find("lost"), std::string::npos) << cut.summary.error;
}

}  // namespace
}  // namespace adcheck
