// The queries the web and the reports use (filters, sort, pagination, trend, diff, one object's
// findings) and the retention.
#include <gtest/gtest.h>

#include <set>

#include "adcheck/scan/dn.h"
#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;
using scan::ScanStatus;
using scan::Severity;

const std::vector<std::string> kRules = {"EAS-INHERITANCE-DISABLED", "MOB-BITMASK-INVALID",
                                         "ADM-ORPHANED-ADMINCOUNT"};

std::string guidOf(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012d", i, i);
  return buf;
}

// 60 findings: user i, rule i % 3, severity i % 5, OU Sales (i even) or IT (odd), every 10th
// below OU=Remote,OU=Sales.
std::vector<scan::Finding> population(int n = 60) {
  std::vector<scan::Finding> out;
  for (int i = 0; i < n; ++i) {
    std::string ou = i % 2 == 0 ? (i % 10 == 0 ? "OU=Remote,OU=Sales" : "OU=Sales") : "OU=IT";
    char name[32];
    std::snprintf(name, sizeof name, "user%03d", i);
    out.push_back(finding(kRules[static_cast<std::size_t>(i % 3)], guidOf(i),
                          std::string("CN=") + name + "," + ou + ",DC=corp,DC=example,DC=com",
                          static_cast<Severity>(i % 5)));
  }
  return out;
}

std::set<std::string> names(const Page<StoredFinding>& page) {
  std::set<std::string> out;
  for (const auto& f : page.items) out.insert(f.finding.samAccountName);
  return out;
}

class Queries : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pop = population();
    first_ = writeScan(*store_, day(0), pop, ScanStatus::kCompleted, kRules).id;
    // Second scan: users 0..9 fixed, users 60..64 new.
    std::vector<scan::Finding> next(pop.begin() + 10, pop.end());
    auto more = population(65);
    next.insert(next.end(), more.begin() + 60, more.end());
    second_ = writeScan(*store_, day(1), next, ScanStatus::kCompleted, kRules).id;
  }
  Page<StoredFinding> query(FindingQuery q) {
    auto r = store_->findings(q);
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : Page<StoredFinding>{};
  }
  TempDir dir_;
  std::unique_ptr<Store> store_ = openStore(dir_.file("adcheck.sqlite"));
  std::int64_t first_ = 0, second_ = 0;
};

TEST_F(Queries, CurrentFindingsAreTheLatestCompletedScan) {
  FindingQuery q;
  q.page.limit = 0;
  auto page = query(q);
  EXPECT_EQ(page.total, 55u);
  EXPECT_EQ(page.items.size(), 55u);
  for (const auto& f : page.items) EXPECT_EQ(f.scanId, second_);
  // A running scan does not change what is current.
  ASSERT_TRUE(store_->beginScan("x", kRules));
  EXPECT_EQ(query(q).total, 55u);
}

TEST_F(Queries, FiltersCombine) {
  FindingQuery q;
  q.page.limit = 0;
  q.rules = {"MOB-BITMASK-INVALID"};
  auto by_rule = query(q);
  for (const auto& f : by_rule.items) EXPECT_EQ(f.finding.rule, "MOB-BITMASK-INVALID");
  EXPECT_EQ(by_rule.total, 19u);  // i % 3 == 1 for i in 10..64

  q = {};
  q.page.limit = 0;
  q.severities = {Severity::kHigh, Severity::kCritical};
  auto by_sev = query(q);
  for (const auto& f : by_sev.items) EXPECT_GE(f.finding.severity, Severity::kHigh);
  EXPECT_EQ(by_sev.total, 22u);

  q = {};
  q.page.limit = 0;
  q.statuses = {"new"};
  EXPECT_EQ(names(query(q)),
            (std::set<std::string>{"user060", "user061", "user062", "user063", "user064"}));
  q.statuses = {"resolved"};
  auto resolved = query(q);
  EXPECT_EQ(resolved.total, 10u);
  for (const auto& f : resolved.items) {
    EXPECT_EQ(f.status, "resolved");
    EXPECT_EQ(f.resolvedAt, day(1));
    EXPECT_EQ(f.scanId, first_) << "resolved findings come with their last stored data";
  }

  q = {};
  q.page.limit = 0;
  q.ouDn = "ou=remote,OU=SALES,dc=corp,dc=example,dc=com";
  EXPECT_EQ(names(query(q)), (std::set<std::string>{"user010", "user020", "user030", "user040",
                                                    "user050", "user060"}));
  q.ouDn = "OU=Sales,DC=corp,DC=example,DC=com";
  auto sales = query(q);
  EXPECT_EQ(sales.total, 28u) << "a subtree includes its sub-OUs";
  q.ouDn = "DC=example,DC=com";
  EXPECT_EQ(query(q).total, 55u);
  q.ouDn = "OU=Sal";
  EXPECT_EQ(query(q).total, 0u) << "RDN-aligned, not a substring";

  q = {};
  q.page.limit = 0;
  q.text = "USER01";
  EXPECT_EQ(names(query(q)).size(), 10u);
  q.text = "100%_";
  EXPECT_EQ(query(q).total, 0u) << "LIKE wildcards in the text are literal";
  q.text = "mob-bitmask";
  EXPECT_EQ(query(q).total, 19u) << "the summary is searched";

  q = {};
  q.page.limit = 0;
  q.rules = {"EAS-INHERITANCE-DISABLED"};
  q.severities = {Severity::kInfo};
  q.ouDn = "OU=Sales,DC=corp,DC=example,DC=com";
  q.statuses = {"open"};
  // i % 3 == 0, i % 5 == 0, even, 10 <= i < 60 -> 30
  EXPECT_EQ(names(query(q)), (std::set<std::string>{"user030"}));

  q = {};
  q.statuses = {"bogus"};
  auto bad = store_->findings(q);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bogus"), std::string::npos);
}

TEST_F(Queries, SortAndPaginationCoverEverythingOnce) {
  FindingQuery q;
  q.sort = SortField::kDn;
  q.descending = false;
  q.page.limit = 7;
  std::vector<std::string> seen;
  for (q.page.offset = 0;; q.page.offset += 7) {
    auto page = query(q);
    EXPECT_EQ(page.total, 55u);
    if (page.items.empty()) break;
    EXPECT_LE(page.items.size(), 7u);
    for (const auto& f : page.items) seen.push_back(f.finding.dn);
  }
  ASSERT_EQ(seen.size(), 55u);
  auto lower = seen;
  for (auto& s : lower) s = scan::dnKey(s);
  EXPECT_TRUE(std::is_sorted(lower.begin(), lower.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 55u);

  q = {};
  q.page.limit = 5;
  auto top = query(q);
  ASSERT_EQ(top.items.size(), 5u);
  for (const auto& f : top.items) EXPECT_EQ(f.finding.severity, Severity::kCritical);
  q.sort = SortField::kSamAccountName;
  q.descending = true;
  top = query(q);
  ASSERT_FALSE(top.items.empty());
  EXPECT_EQ(top.items[0].finding.samAccountName, "user064");
  EXPECT_EQ(parseSortField("firstSeen"), std::optional<SortField>(SortField::kFirstSeen));
  EXPECT_EQ(parseSortField("colour"), std::nullopt);
}

TEST_F(Queries, FindingsOfAnOlderScanKeepTheirStatusThen) {
  FindingQuery q;
  q.scanId = first_;
  q.page.limit = 0;
  auto page = query(q);
  EXPECT_EQ(page.total, 60u);
  for (const auto& f : page.items) EXPECT_EQ(f.status, "new");
  ASSERT_FALSE(page.items.empty());
  EXPECT_EQ(page.items[0].finding.remediation, "Fix " + page.items[0].finding.rule + ".");
  EXPECT_EQ(page.items[0].finding.details->getValue<std::string>("cause"), "synthetic");
}

TEST_F(Queries, TrendCountsBySeverityAndRule) {
  auto t = store_->trend(10, true);
  ASSERT_TRUE(t) << t.error().toString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].scan.id, first_) << "oldest first";
  std::int64_t sum = 0;
  for (auto c : (*t)[0].scan.bySeverity) sum += c;
  EXPECT_EQ(sum, 60);
  std::int64_t by_rule = 0;
  for (const auto& rc : (*t)[1].byRule) by_rule += rc.findings;
  EXPECT_EQ(by_rule, 55);
  EXPECT_EQ((*t)[1].scan.newFindings, 5);
  EXPECT_EQ((*t)[1].scan.resolved, 10);
  auto one = store_->trend(1, true);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().scan.id, second_);
}

TEST_F(Queries, DiffOfTwoScans) {
  auto d = store_->diff(first_, second_);
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->added.size(), 5u);
  EXPECT_EQ(d->removed.size(), 10u);
  EXPECT_EQ(d->persisting.size(), 50u);
  for (const auto& f : d->removed) EXPECT_EQ(f.scanId, first_);
  for (const auto& f : d->added) EXPECT_EQ(f.status, "new");
}

TEST_F(Queries, ObjectFindingsByGuidOrDnIncludeResolvedOnes) {
  // user003 has one finding; give it a second one in a third scan, and resolve it in a fourth.
  auto pop = population(65);
  std::vector<scan::Finding> third(pop.begin() + 10, pop.end());
  auto extra = finding("MOB-BITMASK-INVALID", guidOf(13), pop[13].dn, Severity::kLow, "bit-64");
  third.push_back(extra);
  writeScan(*store_, day(2), third, ScanStatus::kCompleted, kRules);
  auto by_guid = store_->objectFindings(guidOf(13));
  ASSERT_TRUE(by_guid) << by_guid.error().toString();
  EXPECT_EQ(by_guid->size(), 2u);
  auto by_dn = store_->objectFindings(scan::dnKey(pop[13].dn));
  ASSERT_TRUE(by_dn);
  EXPECT_EQ(by_dn->size(), 2u);
  std::vector<scan::Finding> fourth(pop.begin() + 10, pop.end());
  writeScan(*store_, day(3), fourth, ScanStatus::kCompleted, kRules);
  by_guid = store_->objectFindings(guidOf(13));
  ASSERT_TRUE(by_guid);
  ASSERT_EQ(by_guid->size(), 2u);
  std::set<std::string> st;
  for (const auto& f : *by_guid) st.insert(f.status);
  EXPECT_EQ(st, (std::set<std::string>{"open", "resolved"}));
  // A resolved object's findings through its GUID.
  auto gone = store_->objectFindings(guidOf(3));
  ASSERT_TRUE(gone);
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_EQ(gone->front().status, "resolved");
  auto nobody = store_->objectFindings("CN=nobody,DC=corp,DC=example,DC=com");
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->empty());
}

TEST_F(Queries, ListScansIsPaginatedNewestFirst) {
  for (int i = 2; i < 7; ++i) writeScan(*store_, day(i), {}, ScanStatus::kFailed, kRules);
  auto page = store_->listScans(PageRequest{3, 0});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 7u);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_GT(page->items[0].id, page->items[1].id);
  auto last = store_->listScans(PageRequest{3, 6});
  ASSERT_TRUE(last);
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].id, first_);
  auto latest = store_->latestScan(true);
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, second_);
}

// --- retention ----------------------------------------------------------------------------------

TEST(Retention, KeepsOpenLifecyclesAndTheLatestCompletedScan) {
  TempDir dir;
  auto store = openStore(dir.file("r.sqlite"), Retention{3, 0});
  auto forever = finding("EAS-INHERITANCE-DISABLED", guidOf(1), "CN=forever,OU=x,DC=corp,DC=example,DC=com");
  auto brief = finding("EAS-INHERITANCE-DISABLED", guidOf(2), "CN=brief,OU=x,DC=corp,DC=example,DC=com");
  auto s1 = writeScan(*store, day(0), {forever, brief});
  writeScan(*store, day(1), {forever});  // brief resolved
  for (int i = 2; i < 6; ++i) writeScan(*store, day(i), {forever});
  auto scans = store->listScans({});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 3u);
  EXPECT_FALSE(store->scanById(s1.id));
  // The open finding keeps its whole lifecycle although its first scans are gone.
  auto h = store->history(forever.fingerprint());
  ASSERT_TRUE(h) << h.error().toString();
  EXPECT_EQ(h->latest.firstSeen, day(0));
  EXPECT_EQ(h->latest.lifecycle, "open");
  ASSERT_FALSE(h->events.empty());
  EXPECT_EQ(h->events.front().event, "new");
  EXPECT_EQ(h->events.front().scanId, s1.id) << "events name the deleted scan";
  EXPECT_EQ(h->occurrences.size(), 3u);
  // The resolved one, stored in no kept scan, is gone.
  auto b = store->history(brief.fingerprint());
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kNotFound);

  // Age: with keep_days the latest completed scan stays even when it is old.
  for (int i = 0; i < 3; ++i) writeScan(*store, day(10 + i), {}, ScanStatus::kFailed);
  auto pr = store->prune(Retention{0, 1}, day(40));
  ASSERT_TRUE(pr) << pr.error().toString();
  scans = store->listScans({});
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->total, 1u);
  EXPECT_EQ(scans->items[0].status, ScanStatus::kCompleted);
  EXPECT_EQ(scans->items[0].started, day(5));
  auto current = store->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 1u);
  h = store->history(forever.fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.firstSeen, day(0));
}

TEST(Retention, NeverDeletesARunningScan) {
  TempDir dir;
  auto store = openStore(dir.file("r.sqlite"), Retention{1, 0});
  auto running = store->beginScan("x", {});
  ASSERT_TRUE(running);
  for (int i = 0; i < 3; ++i) writeScan(*store, day(i), {});
  auto r = store->scanById(*running);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ScanStatus::kRunning);
  auto scans = store->listScans({});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 2u);  // the running one and the latest completed
}

}  // namespace
}  // namespace adcheck::store
