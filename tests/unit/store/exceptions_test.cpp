// Exceptions (accepted risk): by fingerprint, by rule + DN glob, expiry and removal, and that
// excepted findings are counted and listed apart, never dropped.
#include <gtest/gtest.h>

#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;
using scan::ScanStatus;
using scan::Severity;

const std::string kRule = "EAS-INHERITANCE-DISABLED";
const std::string kOther = "MOB-BITMASK-INVALID";

scan::Finding labUser(const std::string& name, const std::string& guid, const std::string& ou,
                      const std::string& rule = kRule) {
  return finding(rule, guid, "CN=" + name + "," + ou + ",DC=corp,DC=example,DC=com", Severity::kHigh);
}

ExceptionSpec byFingerprint(const scan::Finding& f, const std::string& expires = "") {
  return ExceptionSpec{f.fingerprint(), "", "", "service account, accepted by CAB-17", "alice", expires};
}

ExceptionSpec byPattern(const std::string& rule, const std::string& pattern,
                        const std::string& expires = "") {
  return ExceptionSpec{"", rule, pattern, "lab accounts", "secops", expires};
}

class Exceptions : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<Store> store_ = openStore(dir_.file("adcheck.sqlite"));
  scan::Finding svc_ = labUser("svc-backup", "11111111-0000-0000-0000-000000000001", "OU=Service");
  scan::Finding lab1_ = labUser("lab1", "22222222-0000-0000-0000-000000000002", "OU=Lab");
  scan::Finding lab2_ = labUser("lab2", "33333333-0000-0000-0000-000000000003", "OU=Deep,OU=Lab");
  scan::Finding labOtherRule_ =
      labUser("lab3", "44444444-0000-0000-0000-000000000004", "OU=Lab", kOther);
  scan::Finding staff_ = labUser("staff", "55555555-0000-0000-0000-000000000005", "OU=Staff");
  std::vector<scan::Finding> all() const { return {svc_, lab1_, lab2_, labOtherRule_, staff_}; }
};

TEST_F(Exceptions, ByFingerprintIsListedApartAndCountedApart) {
  writeScan(*store_, day(0), all());
  auto id = store_->addException(byFingerprint(svc_), day(0));
  ASSERT_TRUE(id) << id.error().toString();
  auto s = writeScan(*store_, day(1), all());
  EXPECT_EQ(statuses(s.states),
            (std::vector<std::string>{"excepted", "open", "open", "open", "open"}));
  EXPECT_EQ(s.states[0].exceptionId, std::optional<std::int64_t>(*id));
  auto r = store_->scanById(s.id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->excepted, 1);
  EXPECT_EQ(r->bySeverity[static_cast<int>(Severity::kHigh)], 4) << "excepted ones are not counted";
  EXPECT_EQ(r->findings, 5) << "but they are stored";

  FindingQuery q;
  q.statuses = {"excepted"};
  auto page = store_->findings(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].finding.samAccountName, "svc-backup");
  EXPECT_EQ(page->items[0].exceptionId, std::optional<std::int64_t>(*id));
  EXPECT_EQ(page->items[0].lifecycle, "open") << "the lifecycle goes on underneath";
  auto everything = store_->findings(FindingQuery{});
  ASSERT_TRUE(everything);
  EXPECT_EQ(everything->total, 5u) << "excepted findings are never silently dropped";

  auto trend = store_->trend(1, true);
  ASSERT_TRUE(trend);
  ASSERT_EQ(trend->size(), 1u);
  std::int64_t excepted = 0;
  for (const auto& rc : trend->back().byRule) excepted += rc.excepted;
  EXPECT_EQ(excepted, 1);

  auto h = store_->history(svc_.fingerprint());
  ASSERT_TRUE(h);
  ASSERT_EQ(h->events.size(), 2u);
  EXPECT_EQ(h->events[1].event, "excepted");
  EXPECT_EQ(h->events[1].exceptionId, std::optional<std::int64_t>(*id));
  // Still excepted next time: no repeated event.
  writeScan(*store_, day(2), all());
  h = store_->history(svc_.fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->events.size(), 2u);
}

TEST_F(Exceptions, ByRuleAndDnGlobCaseInsensitiveSubtree) {
  auto id = store_->addException(byPattern("eas-inheritance-disabled", "*,ou=lab,DC=CORP,dc=example,dc=com"), day(0));
  ASSERT_TRUE(id) << id.error().toString();
  auto s = writeScan(*store_, day(1), all());
  EXPECT_EQ(statuses(s.states), (std::vector<std::string>{"new", "excepted", "excepted", "new", "new"}))
      << "lab1 and lab2 (a sub-OU) match; lab3 has another rule; svc and staff another OU";
  auto list = store_->listExceptions(false, day(1));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].spec.rule, "EAS-INHERITANCE-DISABLED") << "rule ids are stored canonical";
  EXPECT_TRUE((*list)[0].matches(lab2_.fingerprint(), kRule, "cn=LAB2,ou=deep,ou=lab,dc=corp,dc=example,dc=com"));
  EXPECT_FALSE((*list)[0].matches(staff_.fingerprint(), kRule, staff_.dn));
}

TEST_F(Exceptions, AFingerprintExceptionWinsOverAPattern) {
  auto pattern = store_->addException(byPattern(kRule, "*"), day(0));
  auto fp = store_->addException(byFingerprint(lab1_), day(0));
  ASSERT_TRUE(pattern && fp);
  auto s = writeScan(*store_, day(1), {lab1_, staff_});
  EXPECT_EQ(s.states[0].exceptionId, std::optional<std::int64_t>(*fp));
  EXPECT_EQ(s.states[1].exceptionId, std::optional<std::int64_t>(*pattern));
}

TEST_F(Exceptions, ExpiredExceptionsStopApplyingOnTheNextScanAndHistorySaysSo) {
  // Expires 2024-01-03: applies through that day (UTC), not from 2024-01-04.
  auto id = store_->addException(byFingerprint(svc_, "2024-01-03"), day(0));
  ASSERT_TRUE(id) << id.error().toString();
  auto s1 = writeScan(*store_, day(2) + 86399, {svc_});
  EXPECT_EQ(s1.states[0].status, "excepted") << "2024-01-03T23:59:59Z is still covered";
  auto s2 = writeScan(*store_, day(3), {svc_});
  EXPECT_EQ(s2.states[0].status, "open");
  auto h = store_->history(svc_.fingerprint());
  ASSERT_TRUE(h);
  std::vector<std::string> ev;
  for (const auto& e : h->events) ev.push_back(e.event);
  EXPECT_EQ(ev, (std::vector<std::string>{"new", "excepted", "exception-expired"}));
  EXPECT_EQ(h->events.back().scanId, s2.id);
  EXPECT_EQ(h->events.back().exceptionId, std::optional<std::int64_t>(*id));
  auto active = store_->listExceptions(false, day(3));
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->empty());
  auto all_ = store_->listExceptions(true, day(3));
  ASSERT_TRUE(all_);
  ASSERT_EQ(all_->size(), 1u);
  EXPECT_EQ((*all_)[0].state(day(3)), "expired");
  EXPECT_EQ((*all_)[0].spec.expires, "2024-01-03");
}

TEST_F(Exceptions, RemovedExceptionsStopApplyingAndHistorySaysSo) {
  auto id = store_->addException(byPattern(kRule, "*,OU=Lab,DC=corp,DC=example,DC=com"), day(0));
  ASSERT_TRUE(id);
  writeScan(*store_, day(1), {lab1_});
  ASSERT_TRUE(store_->removeException(*id, day(1) + 100));
  auto again = store_->removeException(*id, day(1) + 200);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already removed"), std::string::npos);
  auto missing = store_->removeException(999, day(1));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto s = writeScan(*store_, day(2), {lab1_});
  EXPECT_EQ(s.states[0].status, "open");
  auto h = store_->history(lab1_.fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->events.back().event, "exception-removed");
}

TEST_F(Exceptions, AnExceptedFindingThatGoesAwayIsResolved) {
  ASSERT_TRUE(store_->addException(byFingerprint(svc_), day(0)));
  writeScan(*store_, day(1), {svc_, staff_});
  writeScan(*store_, day(2), {staff_});
  auto h = store_->history(svc_.fingerprint());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->latest.lifecycle, "resolved");
  EXPECT_EQ(h->events.back().event, "resolved");
}

TEST_F(Exceptions, PartialScansApplyExceptionsButWriteNoEvents) {
  ASSERT_TRUE(store_->addException(byFingerprint(svc_), day(0)));
  auto s = writeScan(*store_, day(1), {svc_}, ScanStatus::kPartial);
  EXPECT_EQ(s.states[0].status, "excepted");
  auto h = store_->history(svc_.fingerprint());
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->events.empty());
}

TEST(ExceptionValidation, RefusesWhatCannotBeRight) {
  const std::time_t now = day(10);
  auto err = [&](ExceptionSpec s) {
    auto r = validateException(s, now);
    return r ? std::string("accepted") : r.error().message;
  };
  ExceptionSpec ok{"", "EAS-INHERITANCE-DISABLED", "*", "why", "who", ""};
  EXPECT_EQ(err(ok), "accepted");
  auto both = ok;
  both.fingerprint = "EAS-INHERITANCE-DISABLED|x";
  EXPECT_NE(err(both).find("not both"), std::string::npos);
  EXPECT_NE(err(ExceptionSpec{"", "", "", "r", "o", ""}).find("names no finding"), std::string::npos);
  EXPECT_NE(err(ExceptionSpec{"not-a-fingerprint", "", "", "r", "o", ""}).find("not a finding fingerprint"),
            std::string::npos);
  EXPECT_NE(err(ExceptionSpec{"", "EAS-INHERITANCE-DISABLED", "", "r", "o", ""}).find("--dn-pattern"),
            std::string::npos);
  EXPECT_NE(err(ExceptionSpec{"", "", "*", "r", "o", ""}).find("--rule"), std::string::npos);
  auto bracket = ok;
  bracket.dnPattern = "CN=[abc,OU=x";
  EXPECT_NE(err(bracket).find("offset 3"), std::string::npos) << err(bracket);
  auto no_reason = ok;
  no_reason.reason = "";
  EXPECT_NE(err(no_reason).find("reason"), std::string::npos);
  auto no_owner = ok;
  no_owner.owner = "";
  EXPECT_NE(err(no_owner).find("owner"), std::string::npos);
  auto bad_date = ok;
  bad_date.expires = "2024-02-30";
  EXPECT_NE(err(bad_date).find("not a calendar date"), std::string::npos);
  bad_date.expires = "31/12/2024";
  EXPECT_NE(err(bad_date).find("YYYY-MM-DD"), std::string::npos);
  auto past = ok;
  past.expires = "2024-01-10";  // day(10) is 2024-01-11
  EXPECT_NE(err(past).find("already past"), std::string::npos);
  past.expires = "2024-01-11";
  EXPECT_EQ(err(past), "accepted") << "today is still allowed";
  auto at = parseExpiryDate("2024-01-11");
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, day(11));
}

TEST_F(Exceptions, AddRefusesInvalidSpecs) {
  auto r = store_->addException(ExceptionSpec{"", kRule, "*", "", "o", ""}, day(0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto list = store_->listExceptions(true, day(0));
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace adcheck::store
