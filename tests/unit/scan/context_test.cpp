// The context builder on hand-made entries: SDProp protection (transitive, cycles, primary group,
// dSHeuristics exclusions), the Exchange token, and entry classification.
#include <gtest/gtest.h>

#include "adcheck/scan/context.h"
#include "adcheck/scan/dn.h"
#include "adcheck/scan/engine.h"

namespace adcheck::scan {
namespace {

const char* kDomainSid = "S-1-5-21-1-2-3";

std::string sidBytes(const std::string& text) {
  auto sid = security::Sid::fromString(text);
  EXPECT_TRUE(sid) << text;
  auto b = sid->bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

ldap::Entry group(const std::string& cn, const std::string& sid, std::vector<std::string> members,
                  std::int64_t group_type = static_cast<std::int32_t>(0x80000004)) {
  ldap::Entry e("CN=" + cn + ",CN=Users,DC=corp,DC=example,DC=com");
  e.add("objectClass", std::vector<std::string>{"top", "group"});
  e.add("sAMAccountName", cn);
  e.add("objectSid", sidBytes(sid));
  e.add("groupType", std::to_string(group_type));
  if (!members.empty()) e.add("member", std::move(members));
  return e;
}

std::string userDn(const std::string& cn) { return "CN=" + cn + ",OU=Lab,DC=corp,DC=example,DC=com"; }

class ContextTest : public ::testing::Test {
 protected:
  std::unique_ptr<Context> build(const std::vector<ldap::Entry>& entries, const std::string& heuristics = "") {
    ContextBuilder b(config_, 1700000000);
    ldap::Entry root("DC=corp,DC=example,DC=com");
    root.add("objectClass", std::vector<std::string>{"top", "domain", "domainDNS"});
    root.add("objectSid", sidBytes(kDomainSid));
    b.add(root, classify(root));
    if (!heuristics.empty()) {
      ldap::Entry ds("CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=corp,DC=example,DC=com");
      ds.add("objectClass", std::vector<std::string>{"top", "nTDSService"});
      ds.add("dSHeuristics", heuristics);
      b.add(ds, classify(ds));
    }
    for (const auto& e : entries) b.add(e, classify(e));
    return b.finish();
  }
  config::Config config_;
};

TEST_F(ContextTest, TransitiveMembershipWithCyclesAndPaths) {
  auto da = group("Domain Admins", std::string(kDomainSid) + "-512", {userDn("Tier0")});
  auto tier0 = group("Tier0", std::string(kDomainSid) + "-2001", {userDn("alice"), userDn("Loop")});
  tier0.setDn(userDn("Tier0"));
  auto loop = group("Loop", std::string(kDomainSid) + "-2002", {userDn("Tier0"), userDn("bob")});
  loop.setDn(userDn("Loop"));
  auto ctx = build({da, tier0, loop});
  auto it = ctx->protectedByDn.find(dnKey(userDn("bob")));
  ASSERT_NE(it, ctx->protectedByDn.end());
  EXPECT_EQ(it->second.via, std::vector<std::string>{"Domain Admins"});
  EXPECT_EQ(it->second.paths, std::vector<std::string>{"Domain Admins > Tier0 > Loop"});
  EXPECT_TRUE(ctx->protectedByDn.contains(dnKey(userDn("alice"))));
  EXPECT_FALSE(ctx->protectedByDn.contains(dnKey(userDn("carol"))));
}

TEST_F(ContextTest, PrimaryGroupConfersProtection) {
  auto da = group("Domain Admins", std::string(kDomainSid) + "-512", {userDn("Nested")});
  auto nested = group("Nested", std::string(kDomainSid) + "-3000", {});
  nested.setDn(userDn("Nested"));
  auto ctx = build({da, nested});
  EXPECT_TRUE(ctx->protectedByPrimaryGroup.contains(512));
  EXPECT_TRUE(ctx->protectedByPrimaryGroup.contains(3000));
  EXPECT_FALSE(ctx->protectedByPrimaryGroup.contains(513));  // Domain Users
}

TEST_F(ContextTest, DomainControllersGroupDoesNotProtectItsMembers) {
  auto dcs = group("Domain Controllers", std::string(kDomainSid) + "-516", {userDn("dc1")});
  auto ctx = build({dcs});
  EXPECT_TRUE(ctx->protectedByDn.contains(dnKey(dcs.dn())));      // the group itself
  EXPECT_FALSE(ctx->protectedByDn.contains(dnKey(userDn("dc1"))));  // not its members
  EXPECT_FALSE(ctx->protectedByPrimaryGroup.contains(516));
}

TEST_F(ContextTest, DsHeuristicsExcludesPrintOperators) {
  auto po = group("Print Operators", "S-1-5-32-550", {userDn("printer-admin")});
  po.setDn("CN=Print Operators,CN=Builtin,DC=corp,DC=example,DC=com");
  auto ao = group("Account Operators", "S-1-5-32-548", {userDn("acct")});
  ao.setDn("CN=Account Operators,CN=Builtin,DC=corp,DC=example,DC=com");
  auto ctx = build({po, ao}, "0000000001000004");
  EXPECT_EQ(ctx->adminSdExMask, 4u);
  EXPECT_FALSE(ctx->protectedByDn.contains(dnKey(userDn("printer-admin"))));
  EXPECT_FALSE(ctx->protectedByDn.contains(dnKey(po.dn())));
  EXPECT_TRUE(ctx->protectedByDn.contains(dnKey(userDn("acct"))));
}

TEST_F(ContextTest, ShortDsHeuristicsMeansNoExclusion) {
  auto po = group("Print Operators", "S-1-5-32-550", {userDn("printer-admin")});
  auto ctx = build({po}, "00000000010000");
  EXPECT_EQ(ctx->adminSdExMask, 0u);
  EXPECT_TRUE(ctx->protectedByDn.contains(dnKey(userDn("printer-admin"))));
}

TEST_F(ContextTest, ExchangeTokenHoldsGroupsTheirParentsWorldAndAuthenticatedUsers) {
  auto es = group("Exchange Servers", std::string(kDomainSid) + "-1102", {});
  es.setDn(userDn("Exchange Servers"));
  auto parent = group("All Servers", std::string(kDomainSid) + "-1200", {userDn("Exchange Servers")});
  parent.setDn(userDn("All Servers"));
  auto unrelated = group("Sales", std::string(kDomainSid) + "-1300", {});
  auto ctx = build({es, parent, unrelated});
  EXPECT_TRUE(ctx->exchangeGroupsFound);
  const auto& t = ctx->exchangeToken;
  EXPECT_TRUE(t.contains(*security::Sid::fromString(std::string(kDomainSid) + "-1102")));
  EXPECT_TRUE(t.contains(*security::Sid::fromString(std::string(kDomainSid) + "-1200")));
  EXPECT_TRUE(t.contains(*security::Sid::fromString("S-1-1-0")));
  EXPECT_TRUE(t.contains(*security::Sid::fromString("S-1-5-11")));
  EXPECT_FALSE(t.contains(*security::Sid::fromString(std::string(kDomainSid) + "-1300")));
}

TEST_F(ContextTest, GroupsHoldingAuthenticatedUsersJoinEveryToken) {
  // Pre-Windows 2000 Compatible Access holds Authenticated Users as a foreign security principal;
  // tokenGroups never lists it, yet it grants read access to every authenticated account.
  auto ru = group("Pre-Windows 2000 Compatible Access", "S-1-5-32-554",
                  {"CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=corp,DC=example,DC=com"});
  ru.setDn("CN=Pre-Windows 2000 Compatible Access,CN=Builtin,DC=corp,DC=example,DC=com");
  auto es = group("Exchange Servers", std::string(kDomainSid) + "-1102", {});
  ldap::Entry scanner("CN=svc,CN=Users,DC=corp,DC=example,DC=com");
  scanner.add("objectSid", sidBytes(std::string(kDomainSid) + "-1500"));
  scanner.add("tokenGroups", sidBytes(std::string(kDomainSid) + "-513"));
  ASSERT_EQ(classify(scanner), EntryKind::kScannerToken);
  auto ctx = build({scanner, ru, es});
  ASSERT_TRUE(ctx->scannerToken);
  auto pre2000 = *security::Sid::fromString("S-1-5-32-554");
  EXPECT_TRUE(ctx->scannerToken->contains(pre2000));
  EXPECT_TRUE(ctx->scannerToken->contains(*security::Sid::fromString(std::string(kDomainSid) + "-513")));
  EXPECT_TRUE(ctx->exchangeToken.contains(pre2000));
}

TEST_F(ContextTest, MissingExchangeGroupsIsAWarningNotAnError) {
  auto ctx = build({});
  EXPECT_FALSE(ctx->exchangeGroupsFound);
  ASSERT_FALSE(ctx->warnings.empty());
  EXPECT_NE(ctx->warnings[0].find("server_groups"), std::string::npos);
}

TEST(Classify, ByContent) {
  ldap::Entry dev("CN=x,CN=ExchangeActiveSyncDevices,CN=u,DC=c");
  dev.add("objectClass", std::vector<std::string>{"top", "msExchActiveSyncDevice"});
  EXPECT_EQ(classify(dev), EntryKind::kDevice);
  ldap::Entry user("CN=u,DC=c");
  user.add("objectClass", std::vector<std::string>{"top", "person", "user", "computer"});
  EXPECT_EQ(classify(user), EntryKind::kScannedObject);
  ldap::Entry meta("CN=u,DC=c");
  meta.add("msDS-ReplAttributeMetaData", "<DS_REPL_ATTR_META_DATA/>");
  EXPECT_EQ(classify(meta), EntryKind::kReplMetadata);
  EXPECT_EQ(classify(ldap::Entry("")), EntryKind::kRootDse);
}

TEST(Dn, ParentAndRdnWithEscapes) {
  EXPECT_EQ(parentDn("CN=Smith\\, John,OU=Sales,DC=x"), "OU=Sales,DC=x");
  EXPECT_EQ(firstRdnValue("CN=Smith\\, John,OU=Sales,DC=x"), "Smith, John");
  EXPECT_EQ(firstRdnValue("CN=a\\2Bb,DC=x"), "a+b");
  EXPECT_TRUE(dnIsUnder("CN=u,OU=Sales,DC=X", "ou=sales,dc=x"));
  EXPECT_FALSE(dnIsUnder("CN=u,OU=PreSales,DC=X", "ou=sales,dc=x"));
  EXPECT_EQ(splitDn("CN=a\\,b,DC=x").size(), 2u);
}

TEST(Time, GeneralizedTime) {
  EXPECT_EQ(parseGeneralizedTime("20240102030405.0Z"), 1704164645);
  EXPECT_FALSE(parseGeneralizedTime("2024"));
  EXPECT_FALSE(parseGeneralizedTime("20241302030405.0Z"));
  EXPECT_EQ(isoTime(1704164645), "2024-01-02T03:04:05Z");
}

TEST(EnabledRules, UnknownIdIsAConfigErrorListingValidIds) {
  config::RulesConfig r;
  r.enabled = {"EAS-DEVICE-RIGHTS-MISSING", "EAS-TYPO"};
  auto e = enabledRules(r);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("EAS-TYPO"), std::string::npos);
  EXPECT_NE(e.error().hint.find("DLG-UNCONSTRAINED"), std::string::npos);
  r.enabled = {"all"};
  EXPECT_EQ(enabledRules(r)->size(), rules::registry().size());
}

}  // namespace
}  // namespace adcheck::scan
