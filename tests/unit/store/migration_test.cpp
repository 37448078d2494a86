// Schema migrations against a store the previous schema wrote: tests/unit/store/data/
// history-v2.sqlite was written by adcheck at schema version 2 (three completed scans of the lab,
// 56 findings each, an exception added before the third). Opening it must migrate it and give
// back every finding's history with its data, and new scans must continue its lifecycles.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "adcheck/store/schema.h"
#include "store_test_util.h"

namespace adcheck::store::testing {
namespace {

const std::string kFixture = std::string(ADCHECK_SOURCE_DIR) + "/tests/unit/store/data/history-v2.sqlite";

// Rows read straight from the file with SQLite, no adcheck code involved.
std::vector<std::vector<std::string>> rawRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::vector<std::string>> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* text = sqlite3_column_text(st, i);
        row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

// Details text in a canonical form: parsed and written again (key order kept).
std::string canonical(const std::string& json) {
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(parser.parse(json), out);
  return out.str();
}

std::string canonical(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream out;
  o->stringify(out);
  return canonical(out.str());
}

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kFixture)) << kFixture;
    path_ = dir_.file("history.sqlite");
    std::filesystem::copy_file(kFixture, path_);
    ASSERT_EQ(rawRows(path_, "SELECT MAX(version) FROM schema_version").at(0).at(0), "2")
        << "the fixture must stay at schema 2: it is what older adcheck versions left behind";
    // What schema 2 holds, per (scan, fingerprint).
    for (auto& r : rawRows(path_,
                           "SELECT sf.scan_id, l.fingerprint, sf.details, sf.summary, sf.dn,"
                           " sf.lifecycle, COALESCE(sf.exception_id, 0), COALESCE(r.body, '')"
                           " FROM scan_findings sf JOIN findings l ON l.id = sf.finding_id"
                           " LEFT JOIN remediations r ON r.id = sf.remediation_id"))
      before_[{std::stoll(r[0]), r[1]}] = r;
  }

  TempDir dir_;
  std::string path_;
  std::map<std::pair<std::int64_t, std::string>, std::vector<std::string>> before_;
};

TEST_F(MigrationTest, OldStoreIsMigratedAndReadsBackItsHistory) {
  ASSERT_EQ(before_.size(), 168u) << "3 scans x 56 findings";
  auto store = openStore(path_);
  EXPECT_EQ(rawRows(path_, "SELECT MAX(version) FROM schema_version").at(0).at(0),
            std::to_string(latestSchemaVersion()));

  auto scans = store->listScans({0, 0});
  ASSERT_TRUE(scans) << scans.error().toString();
  ASSERT_EQ(scans->total, 3u);
  EXPECT_EQ(scans->items[0].excepted, 5);
  EXPECT_EQ(scans->items[2].newFindings, 56);

  // Every occurrence of every finding, with the data schema 2 had stored for it.
  std::set<std::string> fingerprints;
  for (const auto& [key, row] : before_) fingerprints.insert(key.second);
  ASSERT_EQ(fingerprints.size(), 56u);
  for (const auto& fp : fingerprints) {
    auto h = store->history(fp);
    ASSERT_TRUE(h) << fp << ": " << h.error().toString();
    ASSERT_EQ(h->occurrences.size(), 3u) << fp;
    for (const auto& o : h->occurrences) {
      const auto& row = before_.at({o.scanId, fp});
      EXPECT_EQ(o.summary, row[3]) << fp;
      EXPECT_EQ(o.dn, row[4]) << fp;
    }
    const auto& last = before_.at({h->latest.scanId, fp});
    EXPECT_EQ(h->latest.scanId, 3) << fp;
    EXPECT_EQ(canonical(h->latest.finding.details), canonical(last[2])) << fp;
    EXPECT_EQ(h->latest.finding.remediation, last[7]) << fp;
    EXPECT_EQ(h->latest.status, last[6] != "0" ? "excepted" : "open") << fp;
    EXPECT_EQ(h->events.front().event, kEventNew) << fp;
    EXPECT_EQ(h->events.front().scanId, 1) << fp;
  }

  // The paginated query over a migrated scan: every finding of scan 2, details intact.
  FindingQuery q;
  q.scanId = 2;
  q.page = {0, 0};
  auto page = store->findings(q);
  ASSERT_TRUE(page) << page.error().toString();
  ASSERT_EQ(page->items.size(), 56u);
  for (const auto& f : page->items)
    EXPECT_EQ(canonical(f.finding.details), canonical(before_.at({2, f.fingerprint})[2])) << f.fingerprint;

  // Identical details texts were stored once.
  auto distinct = rawRows(path_, "SELECT COUNT(DISTINCT body), COUNT(*) FROM finding_details");
  EXPECT_EQ(distinct.at(0).at(0), distinct.at(0).at(1));
  EXPECT_TRUE(rawRows(path_, "PRAGMA foreign_key_check").empty());
  EXPECT_EQ(rawRows(path_, "PRAGMA integrity_check").at(0).at(0), "ok");
}

TEST_F(MigrationTest, NewScansContinueTheMigratedLifecycles) {
  auto store = openStore(path_, {2, 0});
  // The latest scan again, minus one finding: 55 open, 1 resolved, nothing new.
  FindingQuery q;
  q.page = {0, 0};
  auto current = store->findings(q);
  ASSERT_TRUE(current) << current.error().toString();
  ASSERT_EQ(current->items.size(), 56u);
  std::vector<scan::Finding> findings;
  for (std::size_t i = 1; i < current->items.size(); ++i) findings.push_back(current->items[i].finding);
  const std::string gone = current->items[0].fingerprint;
  auto scan = store->scanById(3);
  ASSERT_TRUE(scan);
  auto w = writeScan(*store, scan->started + 86400, findings, scan::ScanStatus::kCompleted, scan->rules);
  auto latest = store->scanById(w.id);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->newFindings, 0);
  EXPECT_EQ(latest->resolved, 1);
  for (const auto& s : w.states) EXPECT_THAT(s.status, ::testing::AnyOf("open", "excepted"));
  auto h = store->history(gone);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.status, "resolved");
  // Retention of 2 scans deleted scans 1 and 2 with their rows; nothing refers to a deleted row.
  auto scans = store->listScans({0, 0});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 2u);
  EXPECT_EQ(rawRows(path_, "SELECT COUNT(*) FROM scan_findings WHERE scan_id < 3").at(0).at(0), "0");
  EXPECT_EQ(rawRows(path_, "SELECT COUNT(*) FROM finding_details WHERE id NOT IN"
                           " (SELECT details_id FROM scan_findings)").at(0).at(0), "0");
  EXPECT_TRUE(rawRows(path_, "PRAGMA foreign_key_check").empty());
}

// The store writes details JSON itself (fast path for plain strings); whatever a rule puts there
// must come back as the same JSON.
TEST(DetailsText, EveryKindOfValueRoundTrips) {
  TempDir dir;
  auto store = openStore(dir.file("s.sqlite"));
  auto f = finding("EAS-DEVICE-RIGHTS-MISSING", "0b3c-1", "CN=a,DC=corp,DC=example,DC=com");
  auto& d = *f.details;
  d.set("quote", std::string("say \"hi\" \\ back\\slash /slash"));
  d.set("control", std::string("tab\there\nnewline\x01"));
  d.set("unicode", std::string("M\xc3\xbcller \xe2\x82\xac <img src=x onerror=alert(1)>"));
  d.set("plain8", std::string("abcdefgh"));
  d.set("long", std::string(3000, 'Q') + "\"" + std::string(17, 'z'));
  d.set("negative", -42);
  d.set("big", static_cast<std::int64_t>(9007199254740993LL));
  d.set("unsigned", static_cast<std::uint64_t>(18446744073709551615ULL));
  d.set("double", 2.5);
  d.set("yes", true);
  d.set("no", false);
  d.set("nothing", Poco::Dynamic::Var());
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  a->add(1);
  a->add(std::string("two"));
  Poco::JSON::Object::Ptr inner = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  inner->set("z", 1);
  inner->set("a", std::string("x\"y"));
  a->add(inner);
  a->add(Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  d.set("array", a);
  d.set("empty", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
  writeScan(*store, day(1), {f});
  auto h = store->history(f.fingerprint());
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(canonical(h->latest.finding.details), canonical(f.details));
  EXPECT_EQ(h->latest.finding.details->getValue<std::string>("quote"), "say \"hi\" \\ back\\slash /slash");
  EXPECT_EQ(h->latest.finding.details->getValue<std::string>("unicode"),
            "M\xc3\xbcller \xe2\x82\xac <img src=x onerror=alert(1)>");
  // Key order as the rule set them.
  EXPECT_EQ(h->latest.finding.details->getNames().front(), "cause");
  EXPECT_EQ(h->latest.finding.details->getNames().back(), "empty");
}

}  // namespace
}  // namespace adcheck::store::testing

namespace adcheck::store::testing {
namespace {

// Commits do not checkpoint (the SQLite backend copies the log on another thread after a scan):
// the database file must still receive the pages while the store stays open, or a long-running
// process (the web server's scheduler) would grow the -wal file without end.
TEST(WalCheckpoint, ScansReachTheDatabaseFileWhileTheStoreIsOpen) {
  TempDir dir;
  const std::string path = dir.file("s.sqlite");
  auto store = openStore(path);
  std::vector<scan::Finding> findings;
  for (int i = 0; i < 3000; ++i)
    findings.push_back(finding("EAS-INHERITANCE-DISABLED", "guid-" + std::to_string(i),
                               "CN=u" + std::to_string(i) + ",OU=Lab,DC=corp,DC=example,DC=com"));
  writeScan(*store, day(1), findings);
  writeScan(*store, day(2), findings);  // joins the first checkpoint, starts the second
  std::uintmax_t size = 0;
  for (int i = 0; i < 100 && size < 500 * 1024; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    size = std::filesystem::file_size(path);
  }
  EXPECT_GE(size, 500u * 1024) << "the database file stayed at " << size << " bytes; -wal is "
                               << std::filesystem::file_size(path + "-wal");
  auto scans = store->listScans({0, 0});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 2u);
}

}  // namespace
}  // namespace adcheck::store::testing
