// Coverage (issue 14) through the whole engine, on hand-built directories: a scan account whose
// view is cut (a property set denied, a descriptor not returned, no List Contents, a device class
// default that grants it nothing, AdminSDHolder unreadable) must get exactly those gaps reported,
// per rule and input, and the rules that could not look must not resolve anything.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include <filesystem>
#include <sstream>

#include "adcheck/scan/engine.h"
#include "adcheck/scan/explain.h"
#include "adcheck/scan/sources.h"
#include "ldap/ldif.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/sddl.h"
#include "adcheck/security/well_known.h"

namespace adcheck::scan {
namespace {

namespace sec = adcheck::security;

const char* kBase = "DC=corp,DC=example,DC=com";
const char* kDomainSid = "S-1-5-21-1-2-3";
const char* kScannerSid = "S-1-5-21-1-2-3-1200";
// Property sets of this test's schema (not the real ones: the test must not depend on them).
const char* kSetMailbox = "11111111-2222-3333-4444-000000000001";  // homeMDB, msExchMailboxGuid
const char* kSetMobile = "11111111-2222-3333-4444-000000000002";   // msExchOmaAdminWirelessEnable
const char* kWirelessGuid = "c1a7bfbe-116b-4737-8cd9-d29ef5b3690e";

std::string bytesOf(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
std::string sidBytes(const std::string& text) { return bytesOf(sec::Sid::fromString(text)->bytes()); }
std::string guidBytes(const std::string& text) { return bytesOf(sec::Guid::parse(text)->bytes()); }
std::string sdBytes(const std::string& sddl) {
  auto sd = sec::parseSddl(sddl, *sec::Sid::fromString(kDomainSid));
  EXPECT_TRUE(sd) << sddl;
  auto bytes = sd->toBytes();
  return std::string(bytes->begin(), bytes->end());
}

class VectorSource : public EntrySource {
 public:
  explicit VectorSource(std::vector<ldap::Entry> entries) : entries_(std::move(entries)) {}
  Result<std::optional<ldap::Entry>> next() override {
    if (at_ >= entries_.size()) return std::optional<ldap::Entry>();
    return std::optional<ldap::Entry>(entries_[at_++]);
  }
  std::string target() const override { return "test"; }

 private:
  std::vector<ldap::Entry> entries_;
  std::size_t at_ = 0;
};

ldap::Entry schemaEntry(const std::string& name, const std::string& guid, bool is_class,
                        const std::string& set = "", const std::string& default_sd = "") {
  ldap::Entry e("CN=" + name + ",CN=Schema,CN=Configuration," + kBase);
  e.add("objectClass", std::vector<std::string>{"top", is_class ? "classSchema" : "attributeSchema"});
  e.add("lDAPDisplayName", name);
  e.add("schemaIDGUID", guidBytes(guid));
  if (!set.empty()) e.add("attributeSecurityGUID", guidBytes(set));
  if (!default_sd.empty()) e.add("defaultSecurityDescriptor", default_sd);
  return e;
}

std::string userDn(const std::string& cn) { return "CN=" + cn + ",OU=Lab," + kBase; }

ldap::Entry user(const std::string& cn, int n, const std::optional<std::string>& sddl) {
  ldap::Entry e(userDn(cn));
  e.add("objectClass", std::vector<std::string>{"top", "person", "organizationalPerson", "user"});
  e.add("sAMAccountName", cn);
  e.add("objectGUID", guidBytes("aaaaaaaa-0000-0000-0000-00000000000" + std::to_string(n)));
  e.add("objectSid", sidBytes(std::string(kDomainSid) + "-" + std::to_string(3000 + n)));
  e.add("userAccountControl", "512");
  e.add("msExchOmaAdminWirelessEnable", "64");  // unknown bit: MOB-BITMASK-INVALID
  if (sddl) e.add("nTSecurityDescriptor", sdBytes(*sddl));
  return e;
}

struct Directory {
  bool token = true;
  bool adminSdHolder = true;
  std::string deviceDefault = "D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)";  // grants the scanner nothing
  std::vector<ldap::Entry> users;

  std::vector<ldap::Entry> entries() const {
    std::vector<ldap::Entry> out;
    ldap::Entry rde("");
    rde.add("defaultNamingContext", kBase);
    rde.add("configurationNamingContext", std::string("CN=Configuration,") + kBase);
    rde.add("schemaNamingContext", std::string("CN=Schema,CN=Configuration,") + kBase);
    out.push_back(rde);
    ldap::Entry root(kBase);
    root.add("objectClass", std::vector<std::string>{"top", "domain", "domainDNS"});
    root.add("objectSid", sidBytes(kDomainSid));
    out.push_back(root);
    if (token) {
      ldap::Entry t("CN=scanner,CN=Users," + std::string(kBase));
      t.add("objectSid", sidBytes(kScannerSid));
      t.add("tokenGroups", sidBytes(std::string(kDomainSid) + "-513"));
      out.push_back(t);
    }
    out.push_back(schemaEntry("user", sec::kGuidClassUser.toString(), true));
    out.push_back(schemaEntry("computer", sec::kGuidClassComputer.toString(), true));
    out.push_back(schemaEntry("homeMDB", "bf967a7f-0de6-11d0-a285-00aa003049e2", false, kSetMailbox));
    out.push_back(schemaEntry("msExchMailboxGuid", "9333af48-d4a0-4c4a-8a9b-5e1f6e7d1c11", false,
                              kSetMailbox));
    out.push_back(schemaEntry("msExchOmaAdminWirelessEnable", kWirelessGuid, false, kSetMobile));
    out.push_back(schemaEntry("msExchActiveSyncDevices",
                              sec::kGuidClassMsExchActiveSyncDevices.toString(), true, "",
                              deviceDefault));
    out.push_back(schemaEntry("msExchActiveSyncDevice",
                              sec::kGuidClassMsExchActiveSyncDevice.toString(), true, "",
                              deviceDefault));
    ldap::Entry ds("CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration," +
                   std::string(kBase));
    ds.add("objectClass", std::vector<std::string>{"top", "nTDSService"});
    out.push_back(ds);
    if (adminSdHolder) {
      ldap::Entry a("CN=AdminSDHolder,CN=System," + std::string(kBase));
      a.add("objectClass", std::vector<std::string>{"top", "container"});
      a.add("nTSecurityDescriptor", sdBytes("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)"));
      out.push_back(a);
    }
    for (const auto& u : users) out.push_back(u);
    return out;
  }
};

ScanSummary scan(const Directory& d, std::vector<Finding>* findings = nullptr) {
  VectorSource source(d.entries());
  ScanOptions options;
  options.now = 1700000000;
  return runScan(source, options, [&](Finding&& f) {
    if (findings) findings->push_back(std::move(f));
  });
}

const InputCoverageResult& input(const Coverage& c, std::string_view rule, std::string_view in) {
  const auto* r = c.find(rule);
  EXPECT_NE(r, nullptr) << rule;
  for (const auto& i : r->inputs)
    if (i.input == in) return i;
  ADD_FAILURE() << rule << " has no input " << in;
  static InputCoverageResult none;
  return none;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The inheritable read grant of the Authenticated Users and the plain one.
const std::string kReadAllInherit = "D:(A;CI;RPLCRC;;;AU)";

Directory cutView() {
  Directory d;
  d.users.push_back(user("ok", 1, kReadAllInherit));
  // The Mobile property set denied to the scan account: asking with the attribute's GUID alone
  // says "readable" (no ACE names the attribute); the type list sees the deny on its set.
  d.users.push_back(user("set-denied", 2,
                         "D:(OD;;RP;" + std::string(kSetMobile) + ";;" + kScannerSid + ")" +
                             kReadAllInherit.substr(2)));
  d.users.push_back(user("no-sd", 3, std::nullopt));             // descriptor not returned
  d.users.push_back(user("no-inherit", 4, "D:(A;;RPLCRC;;;AU)"));  // grants nothing below
  d.users.push_back(user("no-list", 5, "D:(A;CI;RPRC;;;AU)"));     // no List Contents
  return d;
}

TEST(Coverage, CutViewIsReportedPerRuleAndInput) {
  auto summary = scan(cutView());
  const auto& c = summary.coverage;
  EXPECT_TRUE(c.computed);
  EXPECT_FALSE(c.complete);
  EXPECT_EQ(c.account, "CN=scanner,CN=Users," + std::string(kBase));

  const auto& wireless = input(c, "MOB-BITMASK-INVALID", "user:msExchOmaAdminWirelessEnable");
  EXPECT_EQ(wireless.verdict, CoverageVerdict::kPartial);
  EXPECT_EQ(wireless.objects, 5u);
  EXPECT_EQ(wireless.unreadable, 2u);
  EXPECT_EQ(sorted(wireless.dns), sorted({userDn("set-denied"), userDn("no-sd")}));
  EXPECT_NE(wireless.right.find("Read Property on msExchOmaAdminWirelessEnable"), std::string::npos);
  EXPECT_EQ(c.find("MOB-BITMASK-INVALID")->verdict, CoverageVerdict::kPartial);
  EXPECT_EQ(c.find("MOB-BITMASK-INVALID")->unreadable, 2u);

  // homeMDB's set is not denied anywhere: only the object without a DACL is unknown territory.
  const auto& home = input(c, "MOB-ORPHAN-DEVICE-CONTAINER", "user:homeMDB");
  EXPECT_EQ(home.dns, std::vector<std::string>{userDn("no-sd")});

  const auto& sd = input(c, "EAS-INHERITANCE-DISABLED", "user:nTSecurityDescriptor");
  EXPECT_EQ(sd.dns, std::vector<std::string>{userDn("no-sd")});
  EXPECT_EQ(sd.right, "Read Permissions (READ_CONTROL)");

  // Devices: the class default grants nothing, so only the inheritable grant makes them
  // readable; without List Contents on the user the container is invisible anyway.
  const auto& devices = input(c, "MOB-STALE-DEVICE", "devices");
  EXPECT_EQ(devices.verdict, CoverageVerdict::kPartial);
  EXPECT_EQ(sorted(devices.dns), sorted({userDn("no-sd"), userDn("no-inherit"), userDn("no-list")}));

  // An attribute the schema does not have cannot be unreadable; the object without DACL can.
  const auto& delegate = input(c, "DLG-CONSTRAINED-HTTP", "user:msDS-AllowedToDelegateTo");
  EXPECT_EQ(delegate.dns, std::vector<std::string>{userDn("no-sd")});

  EXPECT_EQ(input(c, "ADM-ADMINSDHOLDER-ACL", "adminsdholder").verdict, CoverageVerdict::kComplete);
  EXPECT_EQ(c.find("ADM-ADMINSDHOLDER-ACL")->verdict, CoverageVerdict::kComplete);
  EXPECT_EQ(c.find("ADM-SDPROP-EXCLUSIONS")->verdict, CoverageVerdict::kComplete);

  // Per-object gaps are held, not dropped from the rules run.
  EXPECT_NE(std::find(summary.rulesRun.begin(), summary.rulesRun.end(), "MOB-BITMASK-INVALID"),
            summary.rulesRun.end());
  const auto& holds = summary.coverageHolds;
  auto bit = std::find(holds.rules.begin(), holds.rules.end(), "MOB-BITMASK-INVALID") -
             holds.rules.begin();
  ASSERT_LT(static_cast<std::size_t>(bit), holds.rules.size());
  auto held = [&](int n) {
    auto it = holds.objects.find("aaaaaaaa-0000-0000-0000-00000000000" + std::to_string(n));
    return it != holds.objects.end() && (it->second & (std::uint64_t{1} << bit)) != 0;
  };
  EXPECT_FALSE(held(1));
  EXPECT_TRUE(held(2));
  EXPECT_TRUE(held(3));
  EXPECT_FALSE(held(4));

  // Said in the scan's warnings too.
  bool warned = false;
  for (const auto& w : summary.warnings) warned = warned || w.starts_with("coverage incomplete");
  EXPECT_TRUE(warned);

  // And in the JSON shape of COVERAGE.md.
  auto json = c.toJson();
  auto rules = json->getArray("rules");
  ASSERT_TRUE(rules);
  EXPECT_FALSE(json->getValue<bool>("complete"));
}

TEST(Coverage, ThePropertySetDenyIsMissedByTheAttributeGuidAlone) {
  // Why a type list: the old question (Read Property with the attribute's GUID) says granted.
  auto bytes = sdBytes("D:(OD;;RP;" + std::string(kSetMobile) + ";;" + kScannerSid + ")" +
                       kReadAllInherit.substr(2));
  auto sd = sec::parseSecurityDescriptor(std::string_view(bytes));
  ASSERT_TRUE(sd);
  sec::Token token{*sec::Sid::fromString(kScannerSid), sec::kSidAuthenticatedUsers};
  const auto attr = *sec::Guid::parse(kWirelessGuid);
  EXPECT_TRUE(sec::checkAccess(*sd, token, 0x10, &attr).isGranted());
}

TEST(Coverage, AnAdminViewIsCompleteEverywhere) {
  Directory d;
  d.deviceDefault = "D:(A;;RPLCLORC;;;AU)";
  for (int i = 1; i <= 3; ++i) d.users.push_back(user("u" + std::to_string(i), i, "D:(A;;RPLCRC;;;AU)"));
  auto summary = scan(d);
  EXPECT_TRUE(summary.coverage.computed);
  EXPECT_TRUE(summary.coverage.complete);
  for (const auto& r : summary.coverage.rules)
    EXPECT_EQ(r.verdict, CoverageVerdict::kComplete) << r.rule;
  EXPECT_TRUE(summary.coverageHolds.empty());
  for (const auto& w : summary.warnings) EXPECT_FALSE(w.starts_with("coverage incomplete")) << w;
}

TEST(Coverage, AnUnreadableAdminSdHolderTakesTheRuleOutOfTheRulesRun) {
  Directory d = cutView();
  d.adminSdHolder = false;
  auto summary = scan(d);
  const auto& a = input(summary.coverage, "ADM-ADMINSDHOLDER-ACL", "adminsdholder");
  EXPECT_EQ(a.verdict, CoverageVerdict::kUnreadable);
  EXPECT_EQ(a.dns, std::vector<std::string>{"CN=AdminSDHolder,CN=System," + std::string(kBase)});
  EXPECT_EQ(summary.coverage.find("ADM-ADMINSDHOLDER-ACL")->verdict, CoverageVerdict::kUnreadable);
  EXPECT_EQ(std::find(summary.rulesRun.begin(), summary.rulesRun.end(), "ADM-ADMINSDHOLDER-ACL"),
            summary.rulesRun.end());
}

TEST(Coverage, WithoutTheScanAccountsTokenEveryVerdictIsUnknownAndNothingIsHeld) {
  Directory d = cutView();
  d.token = false;
  auto summary = scan(d);
  EXPECT_FALSE(summary.coverage.computed);
  EXPECT_FALSE(summary.coverage.complete);
  for (const auto& r : summary.coverage.rules)
    EXPECT_EQ(r.verdict, CoverageVerdict::kUnknown) << r.rule;
  EXPECT_TRUE(summary.coverageHolds.empty());
}

TEST(Coverage, HomeMdbWarningUsesTheTypeList) {
  // No mailbox attributes returned and the Mailbox set denied: "cannot see", not "no mailbox".
  Directory d;
  d.users.push_back(user("hidden", 1,
                         "D:(OD;;RP;" + std::string(kSetMailbox) + ";;" + kScannerSid + ")" +
                             kReadAllInherit.substr(2)));
  auto summary = scan(d);
  bool warned = false;
  for (const auto& w : summary.warnings)
    warned = warned || w.find("deny the scan account") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(Coverage, ExplainNamesTheUnreadableInputAndTheDecidingDenyAndNeverSaysPass) {
  VectorSource source(cutView().entries());
  ScanOptions options;
  options.now = 1700000000;
  auto collected = collectContext(source, options);
  ASSERT_TRUE(collected) << collected.error().toString();
  auto rules = enabledRules(options.config.rules);
  ASSERT_TRUE(rules);
  const auto entries = cutView().entries();
  std::optional<ldap::Entry> victim;
  for (const auto& e : entries)
    if (e.dn() == userDn("set-denied")) victim = e;
  ASSERT_TRUE(victim);
  victim->set("msExchOmaAdminWirelessEnable", {});  // as the DC returns it: not at all
  auto o = explainObject(*victim, *collected->context, *rules);
  auto cov = o->getArray("coverage");
  ASSERT_TRUE(cov);
  bool saw = false;
  for (std::size_t i = 0; i < cov->size(); ++i) {
    auto c = cov->getObject(i);
    if (c->getValue<std::string>("input") != "user:msExchOmaAdminWirelessEnable") continue;
    saw = true;
    EXPECT_EQ(c->getValue<std::string>("state"), "unreadable");
    EXPECT_EQ(c->getValue<std::string>("why").rfind("denied by ACE 0 (OD;;RP;" + std::string(kSetMobile), 0), 0u)
        << c->getValue<std::string>("why");
  }
  EXPECT_TRUE(saw);
  auto verdicts = o->getArray("rules");
  for (std::size_t i = 0; i < verdicts->size(); ++i) {
    auto v = verdicts->getObject(i);
    if (v->getValue<std::string>("rule") == "MOB-BITMASK-INVALID") {
      EXPECT_EQ(v->getValue<std::string>("verdict").rfind("incomplete", 0), 0u);
    }
    if (v->getValue<std::string>("rule") == "DLG-CONSTRAINED-HTTP") {
      EXPECT_EQ(v->getValue<std::string>("verdict"), "pass");
    }
  }
}

TEST(Coverage, AnOfflineSnapshotCarriesTheInputsOfTheScanAccountsCoverage) {
  // A snapshot holds what coverage is computed from (the account's token, the schema's property
  // sets and device defaults, the descriptors), so an offline scan of it reports the coverage of
  // the account that took it, the same as the live scan.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("adcheck-coverage-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "snap.ldif").string();
  {
    VectorSource live(cutView().entries());
    auto writer = ldap::LdifWriter::create(path);
    ASSERT_TRUE(writer) << writer.error().toString();
    auto n = writeSnapshot(live, *writer);
    ASSERT_TRUE(n) << n.error().toString();
    ASSERT_TRUE(writer->close());
  }
  auto snapshot = SnapshotSource::open(path);
  ASSERT_TRUE(snapshot) << snapshot.error().toString();
  ScanOptions options;
  options.now = 1700000000;
  auto offline = runScan(**snapshot, options, [](Finding&&) {});
  auto live = scan(cutView());
  std::ostringstream a, b;
  offline.coverage.toJson()->stringify(a);
  live.coverage.toJson()->stringify(b);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_FALSE(offline.coverage.complete);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace adcheck::scan
