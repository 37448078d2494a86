// A scan that saw less never resolves more (issue 18, items 1 and 2): the whole pipeline, from an
// entry source through the engine into the store, against a history whose findings must stay
// open when the input is empty or incomplete, or when objects could not be evaluated.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <random>

#include "adcheck/scan/dn.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/sources.h"
#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;
using scan::ScanStatus;

const std::string kDemo = std::string(ADCHECK_SOURCE_DIR) + "/adcheck/demo/scan-1.ldif.gz";

// An entry source over another that may change each entry (a corrupted snapshot, offline).
class EditedSource : public scan::EntrySource {
 public:
  EditedSource(std::unique_ptr<scan::EntrySource> inner, std::function<void(ldap::Entry&)> edit)
      : inner_(std::move(inner)), edit_(std::move(edit)) {}
  Result<std::optional<ldap::Entry>> next() override {
    auto e = inner_->next();
    if (e && *e) edit_(**e);
    return e;
  }
  std::string target() const override { return inner_->target(); }

 private:
  std::unique_ptr<scan::EntrySource> inner_;
  std::function<void(ldap::Entry&)> edit_;
};

std::unique_ptr<scan::EntrySource> openSnapshot(const std::string& path) {
  auto s = scan::SnapshotSource::open(path);
  if (!s) throw std::runtime_error(s.error().toString());
  return std::move(*s);
}

struct ScanRun {
  scan::ScanSummary summary;
  std::vector<scan::Finding> findings;
  ScanRecord record;
};

// Runs the engine over `source` with the scan's time `when` and writes it to the store.
ScanRun scanInto(Store& store, scan::EntrySource& source, std::time_t when) {
  ScanRun run;
  scan::ScanOptions options;
  options.now = when;
  run.summary = scan::runScan(source, options,
                              [&](scan::Finding&& f) { run.findings.push_back(std::move(f)); });
  auto id = store.beginScan(run.summary.target, run.summary.rulesRun);
  if (!id) throw std::runtime_error(id.error().toString());
  auto states = store.finishScan(*id, run.summary, run.findings);
  if (!states) throw std::runtime_error(states.error().toString());
  auto rec = store.scanById(*id);
  if (!rec) throw std::runtime_error(rec.error().toString());
  run.record = *rec;
  return run;
}

ScanRun scanFile(Store& store, const std::string& path, std::time_t when) {
  auto src = openSnapshot(path);
  return scanInto(store, *src, when);
}

// fingerprint -> lifecycle of every finding the store knows about.
std::map<std::string, std::string> lifecycles(Store& store, const std::vector<scan::Finding>& fs) {
  std::map<std::string, std::string> out;
  for (const auto& f : fs) {
    auto h = store.history(f.fingerprint());
    EXPECT_TRUE(h) << h.error().toString();
    if (h) out[f.fingerprint()] = h->latest.lifecycle;
  }
  return out;
}

class IncompleteInput : public ::testing::Test {
 protected:
  void SetUp() override {
    first_ = scanFile(*store_, kDemo, day(0));
    ASSERT_EQ(first_.record.status, ScanStatus::kCompleted) << first_.record.error;
    ASSERT_GT(first_.findings.size(), 10u) << "the demo snapshot has findings to resolve";
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.file(name), std::ios::binary) << text;
  }
  // After an incomplete scan: every finding of the first scan is still open, none resolved.
  void expectNothingResolved(const ScanRun& run) {
    EXPECT_EQ(run.record.resolved, 0);
    for (const auto& [fp, lc] : lifecycles(*store_, first_.findings))
      EXPECT_EQ(lc, "new") << fp << " changed after " << run.record.error;
    auto latest = store_->latestScan(true);
    ASSERT_TRUE(latest && *latest);
    EXPECT_EQ((*latest)->id, first_.record.id) << "current findings stay the first scan's";
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = openStore(dir_.file("adcheck.sqlite"));
  ScanRun first_;
};

TEST_F(IncompleteInput, AnEmptyLdifFailsAndResolvesNothing) {
  write("empty.ldif", "");
  auto run = scanFile(*store_, dir_.file("empty.ldif"), day(1));
  EXPECT_EQ(run.record.status, ScanStatus::kFailed);
  EXPECT_NE(run.record.error.find("no user objects"), std::string::npos) << run.record.error;
  EXPECT_NE(run.record.error.find("no domain root"), std::string::npos) << run.record.error;
  EXPECT_NE(run.record.error.find("no schema"), std::string::npos) << run.record.error;
  expectNothingResolved(run);
}

TEST_F(IncompleteInput, AnEmptyGzipFailsAndResolvesNothing) {
  const std::string path = dir_.file("empty.ldif.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzclose(gz);
  auto run = scanFile(*store_, path, day(1));
  EXPECT_EQ(run.record.status, ScanStatus::kFailed);
  EXPECT_FALSE(run.record.error.empty());
  expectNothingResolved(run);
}

TEST_F(IncompleteInput, DevNullFailsAndResolvesNothing) {
  auto run = scanFile(*store_, "/dev/null", day(1));
  EXPECT_EQ(run.record.status, ScanStatus::kFailed);
  EXPECT_FALSE(run.record.error.empty());
  expectNothingResolved(run);
}

TEST_F(IncompleteInput, OnlyAVersionLineFailsAndResolvesNothing) {
  write("version.ldif", "version: 1\n");
  auto run = scanFile(*store_, dir_.file("version.ldif"), day(1));
  EXPECT_EQ(run.record.status, ScanStatus::kFailed);
  EXPECT_NE(run.record.error.find("no user objects"), std::string::npos) << run.record.error;
  expectNothingResolved(run);
}

TEST_F(IncompleteInput, ContextWithoutUsersFailsNamingTheUsers) {
  // The demo snapshot without its user objects: everything else is there.
  auto src = openSnapshot(kDemo);
  std::size_t dropped = 0;
  class WithoutUsers : public scan::EntrySource {
   public:
    WithoutUsers(scan::EntrySource& in, std::size_t& dropped) : in_(in), dropped_(dropped) {}
    Result<std::optional<ldap::Entry>> next() override {
      while (true) {
        auto e = in_.next();
        if (!e || !*e || !scan::isScannedObject(**e)) return e;
        ++dropped_;
      }
    }
    std::string target() const override { return in_.target(); }

   private:
    scan::EntrySource& in_;
    std::size_t& dropped_;
  } without(*src, dropped);
  auto run = scanInto(*store_, without, day(1));
  ASSERT_GT(dropped, 0u);
  EXPECT_EQ(run.record.status, ScanStatus::kFailed);
  EXPECT_NE(run.record.error.find("no user objects"), std::string::npos) << run.record.error;
  EXPECT_NE(run.record.error.find("09-users.ldif"), std::string::npos) << run.record.error;
  EXPECT_EQ(run.record.error.find("no domain root"), std::string::npos) << run.record.error;
  EXPECT_EQ(run.record.error.find("no schema"), std::string::npos) << run.record.error;
  for (const auto& w : run.record.warnings)
    EXPECT_EQ(w.find("Exchange groups"), std::string::npos)
        << "a failed scan stores no warning about what it did not get to read: " << w;
  expectNothingResolved(run);
}

TEST_F(IncompleteInput, RandomDescriptorsOnEveryUserResolveNothing) {
  std::mt19937 rng(18);
  std::size_t edited = 0;
  EditedSource src(openSnapshot(kDemo), [&](ldap::Entry& e) {
    if (!scan::isScannedObject(e)) return;
    std::string bytes(64 + rng() % 200, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    e.set("nTSecurityDescriptor", {bytes});
    ++edited;
  });
  auto run = scanInto(*store_, src, day(1));
  ASSERT_GT(edited, 0u);
  EXPECT_EQ(run.record.status, ScanStatus::kCompleted) << run.record.error;
  EXPECT_GE(run.summary.objectErrors.size(), edited);
  // Findings that need no descriptor are still confirmed; none is resolved.
  EXPECT_EQ(run.record.resolved, 0);
  for (const auto& [fp, lc] : lifecycles(*store_, first_.findings)) EXPECT_NE(lc, "resolved") << fp;
  bool warned = false;
  for (const auto& w : run.record.warnings)
    warned |= w.find("were not resolved") != std::string::npos;
  EXPECT_TRUE(warned) << "the scan says findings were held";
}

TEST_F(IncompleteInput, OneMalformedDescriptorKeepsThatUsersFindingsOnly) {
  // The user with the most findings that need the descriptor.
  std::map<std::string, int> per_object;
  for (const auto& f : first_.findings)
    if (f.rule == "EAS-INHERITANCE-DISABLED" || f.rule == "EAS-DEVICE-RIGHTS-MISSING")
      ++per_object[f.dn];
  ASSERT_FALSE(per_object.empty());
  const std::string victim = per_object.begin()->first;
  EditedSource src(openSnapshot(kDemo), [&](ldap::Entry& e) {
    if (e.dn() == victim)
      e.set("nTSecurityDescriptor", {std::string("\x01\x00\x04\x80garbage", 11)});
  });
  auto run = scanInto(*store_, src, day(1));
  EXPECT_EQ(run.record.status, ScanStatus::kCompleted) << run.record.error;
  ASSERT_EQ(run.summary.objectErrors.size(), 1u);
  EXPECT_EQ(run.summary.objectErrors[0].dn, victim);
  EXPECT_EQ(run.record.resolved, 0) << "only the victim's findings went missing, and they are held";
  for (const auto& f : first_.findings)
    if (f.dn == victim) {
      auto h = store_->history(f.fingerprint());
      ASSERT_TRUE(h);
      EXPECT_NE(h->latest.lifecycle, "resolved") << f.fingerprint();
    }

  // The next clean scan resolves nothing either (all still there) and confirms them.
  auto clean = scanFile(*store_, kDemo, day(2));
  EXPECT_EQ(clean.record.resolved, 0);
  EXPECT_EQ(clean.record.reopened, 0) << "held findings were never resolved, so none reopens";
}

TEST_F(IncompleteInput, AFindingGoneFromAnEvaluatedObjectIsStillResolved) {
  // Hold only what could not be evaluated: a different object's finding that went away resolves.
  std::string victim, fixed;
  for (const auto& f : first_.findings) {
    if (f.rule != "EAS-INHERITANCE-DISABLED") continue;
    if (victim.empty())
      victim = f.dn;
    else if (f.dn != victim && fixed.empty())
      fixed = f.dn;
  }
  ASSERT_FALSE(fixed.empty()) << "the demo has two users with inheritance disabled";
  std::vector<scan::Finding> findings;
  scan::ScanSummary summary;
  {
    EditedSource src(openSnapshot(kDemo), [&](ldap::Entry& e) {
      if (e.dn() == victim) e.set("nTSecurityDescriptor", {std::string("bad")});
    });
    scan::ScanOptions options;
    options.now = day(1);
    summary = scan::runScan(src, options, [&](scan::Finding&& f) {
      // `fixed` had inheritance restored: its finding is gone.
      if (!(f.dn == fixed && f.rule == "EAS-INHERITANCE-DISABLED"))
        findings.push_back(std::move(f));
    });
  }
  auto id = store_->beginScan(summary.target, summary.rulesRun);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->finishScan(*id, summary, findings));
  auto rec = store_->scanById(*id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->resolved, 1);
  for (const auto& f : first_.findings) {
    if (f.rule != "EAS-INHERITANCE-DISABLED" || (f.dn != fixed && f.dn != victim)) continue;
    auto h = store_->history(f.fingerprint());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->latest.lifecycle, f.dn == fixed ? "resolved" : "new") << f.dn;
  }
}

TEST(SnapshotDn, AMalformedDnIsAnErrorNamingTheEntry) {
  TempDir dir;
  const std::string path = dir.file("bad-dn.ldif");
  std::ofstream(path) << "dn: DC=corp,DC=example,DC=com\nobjectClass: domainDNS\n\n"
                         "dn: garbage\nobjectClass: user\nsAMAccountName: x\n\n";
  auto src = openSnapshot(path);
  auto first = src->next();
  ASSERT_TRUE(first && *first);
  auto second = src->next();
  ASSERT_FALSE(second) << "a DN that does not parse was accepted";
  EXPECT_NE(second.error().message.find("entry 2"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("malformed DN \"garbage\""), std::string::npos)
      << second.error().message;
}

TEST(HeldFindings, ARuleThatFailedOnAnObjectHoldsOnlyThatRulesFindingOfIt) {
  TempDir dir;
  auto store = openStore(dir.file("adcheck.sqlite"));
  const std::string a = "aaaaaaaa-0000-0000-0000-000000000001",
                    b = "bbbbbbbb-0000-0000-0000-000000000002";
  const std::string adn = "CN=alice,DC=corp,DC=example,DC=com",
                    bdn = "CN=bob,DC=corp,DC=example,DC=com";
  const std::string nodn = "CN=no|guid,DC=corp,DC=example,DC=com";
  writeScan(
      *store, day(0),
      {finding("EAS-INHERITANCE-DISABLED", a, adn), finding("MOB-BITMASK-INVALID", a, adn),
       finding("EAS-INHERITANCE-DISABLED", b, bdn), finding("MOB-BITMASK-INVALID", "", nodn)});
  auto id = store->beginScan("t", allRules());
  ASSERT_TRUE(id);
  auto s = summary(day(1), ScanStatus::kCompleted, allRules());
  s.objectErrors = {scan::ObjectError{adn, "EAS-INHERITANCE-DISABLED", "boom", a},
                    scan::ObjectError{nodn, "", "unreadable", ""}};
  ASSERT_TRUE(store->finishScan(*id, s, {}));
  auto rec = store->scanById(*id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->resolved, 2) << "alice's other rule and bob were evaluated";
  auto lc = [&](const scan::Finding& f) {
    return store->history(f.fingerprint())->latest.lifecycle;
  };
  EXPECT_EQ(lc(finding("EAS-INHERITANCE-DISABLED", a, adn)), "new");
  EXPECT_EQ(lc(finding("MOB-BITMASK-INVALID", a, adn)), "resolved");
  EXPECT_EQ(lc(finding("EAS-INHERITANCE-DISABLED", b, bdn)), "resolved");
  EXPECT_EQ(lc(finding("MOB-BITMASK-INVALID", "", nodn)), "new") << "an object known by its DN";
}

// Coverage (issue 14, item 4): a finding whose rule could not read its inputs on the object this
// time is neither reported nor resolved; the object's other rules still resolve.
TEST(HeldFindings, ACoverageGapHoldsThatRulesFindingOfThatObjectOnly) {
  TempDir dir;
  auto store = openStore(dir.file("adcheck.sqlite"));
  const std::string a = "aaaaaaaa-0000-0000-0000-000000000001",
                    b = "bbbbbbbb-0000-0000-0000-000000000002";
  const std::string adn = "CN=alice,DC=corp,DC=example,DC=com",
                    bdn = "CN=bob,DC=corp,DC=example,DC=com";
  const std::string cdn = "CN=carol|x,DC=corp,DC=example,DC=com";
  writeScan(*store, day(0),
            {finding("EAS-INHERITANCE-DISABLED", a, adn), finding("MOB-BITMASK-INVALID", a, adn),
             finding("MOB-BITMASK-INVALID", b, bdn), finding("MOB-BITMASK-INVALID", "", cdn)});
  auto id = store->beginScan("t", allRules());
  ASSERT_TRUE(id);
  auto s = summary(day(1), ScanStatus::kCompleted, allRules());
  s.coverageHolds.rules = {"EAS-INHERITANCE-DISABLED", "MOB-BITMASK-INVALID"};
  s.coverageHolds.objects[a] = 0x2;                      // MOB-BITMASK-INVALID on alice
  s.coverageHolds.objects[scan::dnKey(cdn)] = 0x2;       // an object known by its DN
  s.coverageHolds.objects[b] = 0x1;                      // another rule on bob
  ASSERT_TRUE(store->finishScan(*id, s, {}));
  auto rec = store->scanById(*id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->resolved, 2);
  auto lc = [&](const scan::Finding& f) {
    return store->history(f.fingerprint())->latest.lifecycle;
  };
  EXPECT_EQ(lc(finding("MOB-BITMASK-INVALID", a, adn)), "new");
  EXPECT_EQ(lc(finding("EAS-INHERITANCE-DISABLED", a, adn)), "resolved");
  EXPECT_EQ(lc(finding("MOB-BITMASK-INVALID", b, bdn)), "resolved");
  EXPECT_EQ(lc(finding("MOB-BITMASK-INVALID", "", cdn)), "new");
  bool warned = false;
  for (const auto& w : rec->warnings) warned = warned || w.find("see its coverage") != std::string::npos;
  EXPECT_TRUE(warned);
}

// The same through the engine: the demo's user with an invalid wireless bitmask has a finding;
// in the next scan the attribute is not returned and the user's DACL denies the scan account
// Read Property on it (as a DC does then). The finding stays open, and the scan stores why.
TEST_F(IncompleteInput, AFindingWhoseInputBecameUnreadableStaysOpen) {
  std::string victim;
  for (const auto& f : first_.findings)
    if (f.rule == "MOB-BITMASK-INVALID" && !f.objectGuid.empty()) victim = f.dn;
  ASSERT_FALSE(victim.empty()) << "the demo has a MOB-BITMASK-INVALID finding";
  const auto wireless = *security::Guid::parse("c1a7bfbe-116b-4737-8cd9-d29ef5b3690e");
  std::string wireless_attr = "msExchOmaAdminWirelessEnable";
  EditedSource src(openSnapshot(kDemo), [&](ldap::Entry& e) {
    if (e.dn() != victim) return;
    e.set(wireless_attr, {});
    auto raw = std::string(*e.first("nTSecurityDescriptor"));
    auto view = security::parseSecurityDescriptor(std::string_view(raw));
    ASSERT_TRUE(view);
    auto sd = security::SecurityDescriptor::fromView(*view);
    security::Ace deny;
    deny.type = security::AceType::kAccessDeniedObject;
    deny.mask = 0x10;  // Read Property
    deny.objectType = wireless;
    deny.sid = security::Sid::make(1, {0});  // Everyone
    sd.dacl->aces.insert(sd.dacl->aces.begin(), deny);
    auto bytes = sd.toBytes();
    ASSERT_TRUE(bytes);
    e.set("nTSecurityDescriptor", {std::string(bytes->begin(), bytes->end())});
  });
  auto run = scanInto(*store_, src, day(1));
  ASSERT_EQ(run.record.status, ScanStatus::kCompleted) << run.record.error;
  EXPECT_TRUE(run.summary.objectErrors.empty()) << "the object itself was evaluated";
  const auto* rule = run.summary.coverage.find("MOB-BITMASK-INVALID");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->verdict, scan::CoverageVerdict::kPartial);
  ASSERT_EQ(rule->inputs.size(), 1u);
  EXPECT_EQ(rule->inputs[0].dns, std::vector<std::string>{victim});
  for (const auto& f : run.findings) EXPECT_FALSE(f.rule == "MOB-BITMASK-INVALID" && f.dn == victim);
  EXPECT_EQ(run.record.resolved, 0) << "the only finding not seen again is held";
  std::size_t held = 0;
  for (const auto& f : first_.findings) {
    auto lc = lifecycles(*store_, {f})[f.fingerprint()];
    EXPECT_NE(lc, "resolved") << f.fingerprint();
    if (f.rule == "MOB-BITMASK-INVALID" && f.dn == victim) {
      EXPECT_EQ(lc, "new") << "not seen again, not resolved";
      ++held;
    }
  }
  EXPECT_EQ(held, 1u);
  EXPECT_NE(run.record.coverage.find("\"MOB-BITMASK-INVALID\""), std::string::npos)
      << "the coverage is stored with the scan";
}

}  // namespace
}  // namespace adcheck::store
