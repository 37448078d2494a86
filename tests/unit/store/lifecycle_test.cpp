// The lifecycle of findings across synthetic scans, and the schema migrations.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "adcheck/store/schema.h"
#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;
using namespace Poco::Data::Keywords;
using scan::ScanStatus;
using scan::Severity;

const std::string kRule = "EAS-INHERITANCE-DISABLED";
const std::string kOther = "MOB-BITMASK-INVALID";

scan::Finding alice() { return finding(kRule, "aaaaaaaa-0000-0000-0000-000000000001", "CN=alice,OU=Staff,DC=corp,DC=example,DC=com"); }
scan::Finding bob() { return finding(kRule, "bbbbbbbb-0000-0000-0000-000000000002", "CN=bob,OU=Staff,DC=corp,DC=example,DC=com"); }
scan::Finding carol() { return finding(kOther, "cccccccc-0000-0000-0000-000000000003", "CN=carol,OU=Staff,DC=corp,DC=example,DC=com", Severity::kLow); }

std::map<std::string, std::string> currentStatuses(Store& store, std::vector<std::string> statuses = {}) {
  FindingQuery q;
  q.statuses = std::move(statuses);
  q.page.limit = 0;
  auto page = store.findings(q);
  EXPECT_TRUE(page) << page.error().toString();
  std::map<std::string, std::string> out;
  if (page)
    for (const auto& f : page->items) out[f.finding.samAccountName] = f.status;
  return out;
}

std::vector<std::string> events(Store& store, const scan::Finding& f) {
  auto h = store.history(f.fingerprint());
  EXPECT_TRUE(h) << h.error().toString();
  std::vector<std::string> out;
  if (h)
    for (const auto& e : h->events) out.push_back(e.event);
  return out;
}

class Lifecycle : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<Store> store_ = openStore(dir_.file("adcheck.sqlite"));
};

TEST_F(Lifecycle, NewOpenResolvedReopened) {
  auto s1 = writeScan(*store_, day(0), {alice(), bob()});
  EXPECT_EQ(statuses(s1.states), (std::vector<std::string>{"new", "new"}));
  EXPECT_EQ(s1.states[0].firstSeen, day(0));

  auto s2 = writeScan(*store_, day(1), {alice()});
  EXPECT_EQ(statuses(s2.states), (std::vector<std::string>{"open"}));
  EXPECT_EQ(s2.states[0].firstSeen, day(0)) << "first seen stays the first scan's time";
  EXPECT_EQ(currentStatuses(*store_), (std::map<std::string, std::string>{{"alice", "open"}}));
  EXPECT_EQ(currentStatuses(*store_, {"resolved"}),
            (std::map<std::string, std::string>{{"bob", "resolved"}}));

  auto h = store_->history(bob().fingerprint());
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->latest.lifecycle, "resolved");
  EXPECT_EQ(h->latest.resolvedAt, day(1));
  EXPECT_EQ(h->latest.lastSeen, day(0));

  auto s3 = writeScan(*store_, day(2), {alice(), bob()});
  EXPECT_EQ(statuses(s3.states), (std::vector<std::string>{"open", "reopened"}));
  EXPECT_EQ(s3.states[1].firstSeen, day(0)) << "a reopened finding keeps its first sighting";

  auto s4 = writeScan(*store_, day(3), {alice(), bob()});
  EXPECT_EQ(statuses(s4.states), (std::vector<std::string>{"open", "open"}));
  EXPECT_EQ(events(*store_, bob()), (std::vector<std::string>{"new", "resolved", "reopened"}));
  EXPECT_EQ(events(*store_, alice()), (std::vector<std::string>{"new"}));

  auto r1 = store_->scanById(s1.id), r2 = store_->scanById(s2.id), r3 = store_->scanById(s3.id);
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->newFindings, 2);
  EXPECT_EQ(r2->resolved, 1);
  EXPECT_EQ(r3->reopened, 1);
  EXPECT_EQ(r3->status, ScanStatus::kCompleted);
  EXPECT_EQ(r3->bySeverity[static_cast<int>(Severity::kMedium)], 2);
  EXPECT_EQ(r3->findings, 2);
  EXPECT_EQ(r3->started, day(2));
  EXPECT_EQ(r3->finished, day(2) + 60);
  EXPECT_EQ(r3->rules, allRules());
}

TEST_F(Lifecycle, FailedAndPartialScansResolveNothingAndStartNoLifecycle) {
  writeScan(*store_, day(0), {alice(), bob()});
  // Partial: bob missing (not proof he is fixed), carol new (not yet proof she exists).
  auto partial = writeScan(*store_, day(1), {alice(), carol()}, ScanStatus::kPartial);
  EXPECT_EQ(statuses(partial.states), (std::vector<std::string>{"open", "new"}));
  auto failed = writeScan(*store_, day(2), {}, ScanStatus::kFailed);

  EXPECT_EQ(currentStatuses(*store_),
            (std::map<std::string, std::string>{{"alice", "new"}, {"bob", "new"}}))
      << "current findings are those of the last completed scan";
  auto hb = store_->history(bob().fingerprint());
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->latest.lifecycle, "new");
  EXPECT_EQ(hb->latest.resolvedAt, 0);
  EXPECT_EQ(events(*store_, bob()), (std::vector<std::string>{"new"}));
  auto hc = store_->history(carol().fingerprint());
  ASSERT_TRUE(hc);
  EXPECT_EQ(hc->latest.lifecycle, "") << "a partial scan does not start a lifecycle";
  EXPECT_TRUE(hc->events.empty());
  ASSERT_EQ(hc->occurrences.size(), 1u);
  EXPECT_EQ(hc->occurrences[0].scanStatus, ScanStatus::kPartial);

  // The partial scan's own findings are stored and listed as seen then.
  FindingQuery q;
  q.scanId = partial.id;
  auto page = store_->findings(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 2u);
  auto pr = store_->scanById(partial.id);
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->status, ScanStatus::kPartial);
  EXPECT_EQ(pr->error, "the DC dropped the connection");
  EXPECT_EQ(pr->resolved, 0);
  EXPECT_EQ(pr->newFindings, 0);
  auto fr = store_->scanById(failed.id);
  ASSERT_TRUE(fr);
  EXPECT_EQ(fr->status, ScanStatus::kFailed);

  // The next completed scan decides: bob resolved, carol new from now.
  auto s4 = writeScan(*store_, day(3), {alice(), carol()});
  EXPECT_EQ(statuses(s4.states), (std::vector<std::string>{"open", "new"}));
  EXPECT_EQ(s4.states[1].firstSeen, day(3));
  EXPECT_EQ(events(*store_, bob()), (std::vector<std::string>{"new", "resolved"}));
  auto h = store_->history(bob().fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.resolvedAt, day(3));
}

TEST_F(Lifecycle, ACompletedScanOnlyResolvesTheRulesItRan) {
  writeScan(*store_, day(0), {alice(), carol()});
  writeScan(*store_, day(1), {alice()}, ScanStatus::kCompleted, {kRule});
  auto h = store_->history(carol().fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.lifecycle, "new") << "MOB-BITMASK-INVALID did not run: carol is not resolved";
  writeScan(*store_, day(2), {alice()}, ScanStatus::kCompleted, {kRule, kOther});
  h = store_->history(carol().fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.lifecycle, "resolved");
}

TEST_F(Lifecycle, DirectorySinceDatesTheFirstScan) {
  auto f = finding("ADM-ORPHANED-ADMINCOUNT", "dddddddd-0000-0000-0000-000000000004",
                   "CN=dave,OU=Staff,DC=corp,DC=example,DC=com");
  f.details->set("since", "2021-03-04T05:06:07Z");
  auto s1 = writeScan(*store_, day(0), {f});
  EXPECT_EQ(s1.states[0].status, "new");
  EXPECT_EQ(s1.states[0].firstSeen, 1614834367) << "2021-03-04T05:06:07Z";
  auto page = store_->findings(FindingQuery{});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].firstSeen, 1614834367);
  ASSERT_TRUE(page->items[0].since);
  EXPECT_EQ(*page->items[0].since, 1614834367);
  // Generalized time is understood too.
  EXPECT_EQ(parseDirectoryTime("20210304050607.0Z"), std::optional<std::time_t>(1614834367));
  EXPECT_EQ(parseDirectoryTime("yesterday"), std::nullopt);
}

TEST_F(Lifecycle, RepeatedFingerprintIsStoredOnceWithAWarning) {
  auto s = writeScan(*store_, day(0), {alice(), alice(), bob()});
  ASSERT_EQ(s.states.size(), 3u);
  EXPECT_EQ(statuses(s.states), (std::vector<std::string>{"new", "new", "new"}));
  auto r = store_->scanById(s.id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->findings, 2);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("1 findings repeated a fingerprint"), std::string::npos);
}

// A scan bigger than the writer's chunks (prepared on another thread): rules interleave, one rule
// alternates between two remediation texts, severities vary, and a fingerprint repeats across
// chunks. Every finding keeps its own remediation, and the per-rule counts add up.
TEST_F(Lifecycle, ABigScanKeepsEachFindingsRemediationAndCountsAcrossChunks) {
  const std::vector<std::string> rules = allRules();
  std::vector<scan::Finding> findings;
  std::map<std::pair<std::string, int>, std::int64_t> expected;
  for (int i = 0; i < 40000; ++i) {
    char guid[40];
    std::snprintf(guid, sizeof guid, "%08x-0000-0000-0000-000000000000", i);
    const auto& rule = rules[static_cast<std::size_t>(i) % rules.size()];
    auto f = finding(rule, guid, "CN=u" + std::to_string(i) + ",OU=Staff,DC=corp,DC=example,DC=com",
                     static_cast<Severity>(i % 5));
    if (rule == rules[1] && i % 8 == 1) f.remediation = "Fix it the other way.";
    ++expected[{rule, i % 5}];
    findings.push_back(std::move(f));
  }
  findings.push_back(findings[7]);  // repeats a fingerprint 40,000 findings later
  auto w = writeScan(*store_, day(0), findings);
  ASSERT_EQ(w.states.size(), findings.size());
  EXPECT_EQ(w.states.back().status, "new");

  auto t = store_->trend(1, true);
  ASSERT_TRUE(t) << t.error().toString();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(t->front().scan.findings, 40000);
  std::map<std::pair<std::string, int>, std::int64_t> counted;
  for (const auto& rc : t->front().byRule)
    counted[{rc.rule, static_cast<int>(rc.severity)}] = rc.findings;
  EXPECT_EQ(counted, expected);

  FindingQuery q;
  q.page.limit = 0;
  auto page = store_->findings(q);
  ASSERT_TRUE(page) << page.error().toString();
  ASSERT_EQ(page->items.size(), 40000u);
  std::size_t other_way = 0;
  for (const auto& f : page->items) {
    const int i = std::stoi(f.finding.samAccountName.substr(1));
    const bool other = f.finding.rule == rules[1] && i % 8 == 1;
    other_way += other ? 1 : 0;
    ASSERT_EQ(f.finding.remediation,
              other ? "Fix it the other way." : "Fix " + f.finding.rule + ".")
        << f.finding.samAccountName;
    ASSERT_EQ(static_cast<int>(f.finding.severity), i % 5) << f.finding.samAccountName;
  }
  EXPECT_EQ(other_way, 5000u);
}

TEST_F(Lifecycle, SubKeysAreSeparateFindings) {
  auto d1 = finding("MOB-STALE-DEVICE", "eeeeeeee-0000-0000-0000-000000000005",
                    "CN=erin,OU=Staff,DC=corp,DC=example,DC=com", Severity::kLow, "device-1");
  auto d2 = d1;
  d2.key = "device-2";
  d2.details = new Poco::JSON::Object;
  writeScan(*store_, day(0), {d1, d2}, ScanStatus::kCompleted, {"MOB-STALE-DEVICE"});
  writeScan(*store_, day(1), {d1}, ScanStatus::kCompleted, {"MOB-STALE-DEVICE"});
  auto h2 = store_->history(d2.fingerprint());
  ASSERT_TRUE(h2);
  EXPECT_EQ(h2->latest.lifecycle, "resolved");
  EXPECT_EQ(h2->latest.finding.key, "device-2");
}

// Identities of objects with a GUID store no fingerprint text (it repeats rule, GUID and sub-key);
// one keyed by its DN (no GUID) stores it. Both are found again by later scans and by history.
TEST_F(Lifecycle, FingerprintsReadBackWhetherStoredOrSpelledFromTheirColumns) {
  auto no_guid = finding(kOther, "", "CN=legacy,OU=Staff,DC=corp,DC=example,DC=com");
  auto device = finding("MOB-STALE-DEVICE", "dddddddd-0000-0000-0000-000000000004",
                        "CN=dave,OU=Staff,DC=corp,DC=example,DC=com", Severity::kLow, "dev|1");
  const std::vector<std::string> rules = {kOther, "MOB-STALE-DEVICE"};
  writeScan(*store_, day(0), {no_guid, device}, ScanStatus::kCompleted, rules);
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s("SQLite", dir_.file("adcheck.sqlite"));
    std::vector<std::string> stored, guid;
    s << "SELECT fingerprint, object_guid FROM findings ORDER BY id", into(stored), into(guid), now;
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0], no_guid.fingerprint()) << "no GUID: the fingerprint is kept as text";
    EXPECT_EQ(stored[1], "") << "rule|GUID|key is not stored twice";
  }
  FindingQuery q;
  q.page.limit = 0;
  auto page = store_->findings(q);
  ASSERT_TRUE(page) << page.error().toString();
  std::set<std::string> read;
  for (const auto& f : page->items) read.insert(f.fingerprint);
  EXPECT_EQ(read, (std::set<std::string>{no_guid.fingerprint(), device.fingerprint()}));

  auto s2 = writeScan(*store_, day(1), {no_guid, device}, ScanStatus::kCompleted, rules);
  EXPECT_EQ(statuses(s2.states), (std::vector<std::string>{"open", "open"}));
  writeScan(*store_, day(2), {no_guid}, ScanStatus::kCompleted, rules);
  auto h = store_->history(device.fingerprint());
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->latest.lifecycle, "resolved");
  EXPECT_EQ(h->latest.fingerprint, device.fingerprint());
  EXPECT_EQ(h->latest.finding.key, "dev|1");
  auto h2 = store_->history(no_guid.fingerprint());
  ASSERT_TRUE(h2) << h2.error().toString();
  EXPECT_EQ(h2->latest.lifecycle, "open");
}

TEST_F(Lifecycle, UnknownScanIdsAreClearErrors) {
  auto r = store_->scanById(42);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("scan 42 does not exist"), std::string::npos);
  auto f = store_->finishScan(42, summary(day(0), ScanStatus::kCompleted), {});
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kNotFound);
  auto s = writeScan(*store_, day(0), {alice()});
  auto again = store_->finishScan(s.id, summary(day(0), ScanStatus::kCompleted), {});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already completed"), std::string::npos);
  auto d = store_->diff(s.id, 99);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("scan 99"), std::string::npos);
  FindingQuery q;
  q.scanId = 77;
  auto page = store_->findings(q);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, ErrorCode::kNotFound);
  auto h = store_->history("NOPE|x");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, ErrorCode::kNotFound);
}

TEST_F(Lifecycle, BeginScanIsVisibleToASecondConnectionAtOnce) {
  auto id = store_->beginScan("ldaps://dc1", allRules());
  ASSERT_TRUE(id);
  auto other = openStore(dir_.file("adcheck.sqlite"));
  auto latest = other->latestScan(false);
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, *id);
  EXPECT_EQ((*latest)->status, ScanStatus::kRunning);
  EXPECT_EQ((*latest)->pid, static_cast<std::int64_t>(getpid()));
  auto none = other->latestScan(true);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// --- migrations ---------------------------------------------------------------------------------

std::vector<int> versions(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session s("SQLite", path);
  std::vector<int> v;
  s << "SELECT version FROM schema_version ORDER BY version", into(v), now;
  return v;
}

TEST(Migrations, FromAnEmptyFileAndIdempotentReopen) {
  TempDir dir;
  auto path = dir.file("m.sqlite");
  std::vector<int> all;
  for (const auto& m : migrations()) all.push_back(m.version);
  ASSERT_GE(all.size(), 2u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int>(i + 1));
  { auto s = openStore(path); writeScan(*s, day(0), {alice()}); }
  EXPECT_EQ(versions(path), all);
  { auto s = openStore(path); writeScan(*s, day(1), {alice()}); }
  EXPECT_EQ(versions(path), all) << "re-opening applies nothing twice";
  auto s = openStore(path);
  auto scans = s->listScans({});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 2u);
}

TEST(Migrations, UpgradesAnOlderSchemaKeepingItsData) {
  TempDir dir;
  auto path = dir.file("old.sqlite");
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s("SQLite", path);
    s << std::string(kCreateVersionTable), now;
    for (auto sql : migrations()[0].statements) {
      std::string text(sql);
      for (auto at = text.find("{id}"); at != std::string::npos; at = text.find("{id}"))
        text.replace(at, 4, "INTEGER PRIMARY KEY");
      s << text, now;
    }
    s << "INSERT INTO schema_version VALUES (1, 'v1', 0)", now;
    s << "INSERT INTO scans (target, started, status, version, rules) VALUES ('old', 5, 'completed', '0.0.1', '[]')", now;
  }
  auto store = openStore(path);
  EXPECT_EQ(versions(path).back(), latestSchemaVersion());
  auto scans = store->listScans({});
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->items.size(), 1u);
  EXPECT_EQ(scans->items[0].target, "old");
  Poco::Data::Session s("SQLite", path);
  int n = 0;
  s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'findings_by_object'",
      into(n), now;
  EXPECT_EQ(n, 1) << "migration 2 ran on the old file";
}

TEST(Migrations, RefusesASchemaNewerThanTheCode) {
  TempDir dir;
  auto path = dir.file("new.sqlite");
  { openStore(path); }
  {
    Poco::Data::Session s("SQLite", path);
    s << "INSERT INTO schema_version VALUES (999, 'future', 0)", now;
  }
  SqliteOptions o;
  o.path = path;
  auto store = openSqliteStore(o);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("schema version 999"), std::string::npos)
      << store.error().toString();
}

TEST(Open, MissingDirectoryAndMissingFileAreNamed) {
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("nope/adcheck.sqlite");
  auto s = openSqliteStore(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(dir.file("nope")), std::string::npos) << s.error().toString();
  EXPECT_NE(s.error().hint.find("mkdir -p"), std::string::npos);
  o.path = dir.file("absent.sqlite");
  o.create = false;
  s = openSqliteStore(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.path)) << "a read-only command must not create a store";
  o.path = "";
  s = openSqliteStore(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
}

}  // namespace
}  // namespace adcheck::store
