// The access check on hand-built DACLs: the ActiveSync situations of SPEC section 3 (inherited
// grant, inheritance removed, explicit denies, decoys that must not block, allow before deny),
// NULL/empty DACLs, generic rights, callback and unknown ACEs.
#include "adcheck/security/access_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adcheck/security/access_mask.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace testing;  // NOLINT: the builder helpers

constexpr std::uint32_t kEas = kDsCreateChild | kDsDeleteChild | kDsListChildren;
constexpr std::uint32_t kExchangeServersRid = 1103;
constexpr std::uint32_t kTrustedSubsystemRid = 1104;
constexpr std::uint32_t kOtherGroupRid = 1200;

class AccessCheck : public ::testing::Test {
 protected:
  const Bytes easDevices_ = guid(kEasDevicesGuid);
  const Bytes easDevice_ = guid(kEasDeviceGuid);
  const Bytes user_ = guid(kUserGuid);
  const Bytes inetOrgPerson_ = guid(kInetOrgPersonGuid);
  const Bytes es_ = domainSid(kExchangeServersRid);
  const Bytes ets_ = domainSid(kTrustedSubsystemRid);
  const Guid easDevicesGuid_ = *Guid::parse(kEasDevicesGuid);
  // The Exchange token of SPEC section 3: both groups, Everyone, Authenticated Users.
  const Token token_{*Sid::fromString(std::string(kDomainSidText) + "-1103"),
                     *Sid::fromString(std::string(kDomainSidText) + "-1104"), kSidEveryone,
                     kSidAuthenticatedUsers};

  // Samba's default user DACL, abridged: what precedes and follows the Exchange ACE.
  std::vector<Bytes> typicalPrefix() const {
    return {ace(0x00, 0, 0xF01FF, domainSid(512)),                         // (A;;RP..;;;DA)
            ace(0x00, 0, 0xF01FF, sid(5, {18})),                           // SY
            ace(0x00, 0, 0x20094, sid(5, {10})),                           // PS read
            objectAce(0x05, 0, 0x100, &changePwd_, nullptr, sid(1, {0})),  // change password
            ace(0x00, 0, 0x20094, sid(5, {11}))};
  }
  std::vector<Bytes> typicalSuffix() const {
    return {objectAce(0x05, 0x12, 0x10, &publicInfo_, &user_, sid(5, {11})),
            ace(0x00, 0x12, 0xF01FF, sid(5, {32, 544}))};
  }
  Bytes inheritedGrant() const {  // (OA;CIID;CCDCLC;msExchActiveSyncDevices;user;ES)
    return objectAce(0x05, 0x12, kEas, &easDevices_, &user_, es_);
  }
  Bytes adminSdHolderCopy() const {  // (OA;CIIO;CCDCLC;...;user;ES): inherit-only
    return objectAce(0x05, 0x0A, kEas, &easDevices_, &user_, es_);
  }
  AccessResult check(const Bytes& sd, std::uint32_t desired = kEas, const Guid* type = nullptr,
                     const Token* token = nullptr) {
    auto v = parseSecurityDescriptor(sd);
    EXPECT_TRUE(v) << v.error().message;
    if (!v) return {};
    return checkAccess(*v, token ? *token : token_, desired, type ? type : &easDevicesGuid_);
  }
  std::vector<Bytes> with(std::vector<Bytes> middle) const {
    std::vector<Bytes> all = typicalPrefix();
    all.insert(all.end(), middle.begin(), middle.end());
    for (auto& s : typicalSuffix()) all.push_back(s);
    return all;
  }

  const Bytes changePwd_ = guid("ab721a53-1e2f-11d0-9819-00aa0040529b");
  const Bytes publicInfo_ = guid("e48d0154-bcf8-11d1-8702-00c04fb96050");
};

// Note the prefix's (A;;RPLCLORC;;;AU): Authenticated Users already hold List contents, as on a
// real user, so the Exchange ACE completes the grant with Create child and Delete child.
TEST_F(AccessCheck, InheritedGrantPresent) {
  const auto aces = with({inheritedGrant()});
  const Bytes sd = daclOnly(aces);
  auto r = check(sd);
  EXPECT_EQ(r.decision, Decision::kGranted);
  EXPECT_TRUE(r.isGranted());
  EXPECT_EQ(r.granted, kEas);
  EXPECT_EQ(r.denied, 0u);
  EXPECT_EQ(r.decidingAce, 5u);
  std::uint32_t offset = 28;
  for (std::size_t i = 0; i < 5; ++i) offset += static_cast<std::uint32_t>(aces[i].size());
  EXPECT_EQ(r.decidingAceOffset, offset);
  EXPECT_THAT(r.contributingAces(), ElementsAre(4, 5));
  EXPECT_FALSE(r.nullDacl);
  EXPECT_EQ(r.unevaluated, 0u);
  // The inetOrgPerson twin grants the same: InheritedObjectType plays no part in the check.
  auto twin =
      check(daclOnly(with({objectAce(0x05, 0x12, kEas, &easDevices_, &inetOrgPerson_, es_)})));
  EXPECT_EQ(twin.decision, Decision::kGranted);
}

TEST_F(AccessCheck, InheritanceRemovedNothingGrants) {
  // Protected DACL without the inherited Exchange ACE (hand-disabled inheritance).
  auto r = check(daclOnly(with({}), 0x1000));
  EXPECT_EQ(r.decision, Decision::kNotGranted);
  EXPECT_EQ(r.granted, kDsListChildren);  // from Authenticated Users only
  EXPECT_EQ(r.decidingAce, AccessResult::kNoAce);
  EXPECT_THAT(r.contributingAces(), ElementsAre(4));
  // Without the read ACE nothing at all.
  auto bare = check(daclOnly({ace(0x00, 0, 0xF01FF, domainSid(512))}, 0x1000));
  EXPECT_EQ(bare.granted, 0u);
  EXPECT_THAT(bare.contributingAces(), IsEmpty());
}

TEST_F(AccessCheck, AdminSdHolderCopyIsInheritOnlyAndGrantsNothing) {
  auto r = check(daclOnly(with({adminSdHolderCopy()}), 0x1000));
  EXPECT_EQ(r.decision, Decision::kNotGranted);
  EXPECT_EQ(r.granted, kDsListChildren);
}

TEST_F(AccessCheck, ExplicitDenyForExchangeServers) {
  const Bytes deny = objectAce(0x06, 0, kEas, &easDevices_, nullptr, es_);
  auto r = check(daclOnly(with({deny, inheritedGrant()})));
  EXPECT_EQ(r.decision, Decision::kDenied);
  EXPECT_EQ(r.denied, kDsCreateChild | kDsDeleteChild);  // List contents was granted before
  EXPECT_EQ(r.granted, kDsListChildren);
  EXPECT_EQ(r.decidingAce, 5u);
  EXPECT_THAT(r.contributingAces(), ElementsAre(4, 5));
  // Placed first, the deny takes all three.
  auto first = check(daclOnly({deny, inheritedGrant()}));
  EXPECT_EQ(first.denied, kEas);
  EXPECT_EQ(first.granted, 0u);
  EXPECT_THAT(first.contributingAces(), ElementsAre(0));
}

TEST_F(AccessCheck, ExplicitDenyForEveryoneTakesOneRight) {
  // (D;;CC;;;WD) before the inherited grant: Create child is denied, the rest still granted.
  auto r = check(daclOnly(with({ace(0x01, 0, kDsCreateChild, sid(1, {0})), inheritedGrant()})));
  EXPECT_EQ(r.decision, Decision::kDenied);
  EXPECT_EQ(r.denied, kDsCreateChild);
  EXPECT_EQ(r.granted, kDsDeleteChild | kDsListChildren);
  EXPECT_EQ(r.decidingAce, 5u);
  EXPECT_THAT(r.contributingAces(), ElementsAre(4, 5, 6));
}

TEST_F(AccessCheck, ExplicitDenyForExchangeTrustedSubsystem) {
  // One token for both groups: a deny to either blocks (SPEC section 3).
  const Bytes deny = objectAce(0x06, 0x12, kDsDeleteChild, &easDevices_, &user_, ets_);
  auto r = check(daclOnly(with({deny, inheritedGrant()})));
  EXPECT_EQ(r.decision, Decision::kDenied);
  EXPECT_EQ(r.denied, kDsDeleteChild);
}

TEST_F(AccessCheck, DecoysThatMustNotBlock) {
  const std::vector<Bytes> decoys = {
      objectAce(0x06, 0x0A, kEas, &easDevices_, &user_, es_),  // inherit-only deny
      objectAce(0x06, 0, kEas, &easDevice_, nullptr, es_),     // another object type
      objectAce(0x06, 0, kEas, &easDevices_, nullptr, domainSid(kOtherGroupRid)),  // another group
      objectAce(0x06, 0, kDsWriteProperty, &easDevices_, nullptr, es_),            // another right
      ace(0x01, 0, kDsReadProperty | kWriteDac, sid(1, {0})),  // another right, Everyone
      ace(0x01, 0x0A, 0xF01FF, sid(1, {0})),                   // inherit-only, Everyone
      ace(0x01, 0, 0xF01FF, sid(5, {10})),                     // SELF: not in the token
      ace(0x02, 0xC0, kEas, es_),                              // audit ACE in a DACL
  };
  for (std::size_t i = 0; i < decoys.size(); ++i) {
    auto r = check(daclOnly(with({decoys[i], inheritedGrant()})));
    EXPECT_EQ(r.decision, Decision::kGranted) << "decoy " << i;
    EXPECT_EQ(r.denied, 0u) << "decoy " << i;
  }
  auto all = with(decoys);
  all.insert(all.begin() + 8, inheritedGrant());
  EXPECT_EQ(check(daclOnly(all)).decision, Decision::kGranted);
}

TEST_F(AccessCheck, AllowBeforeDenyWins) {
  const Bytes allow = objectAce(0x05, 0, kEas, &easDevices_, nullptr, es_);
  const Bytes deny = objectAce(0x06, 0, kEas, &easDevices_, nullptr, es_);
  auto r = check(daclOnly({allow, deny}));
  EXPECT_EQ(r.decision, Decision::kGranted);
  EXPECT_EQ(r.decidingAce, 0u);
  // And the other way round.
  auto d = check(daclOnly({deny, allow}));
  EXPECT_EQ(d.decision, Decision::kDenied);
  EXPECT_EQ(d.decidingAce, 0u);
}

TEST_F(AccessCheck, EmptyDaclGrantsNothingNullDaclEverything) {
  auto empty = check(descriptor(0x8004, acl({})));
  EXPECT_EQ(empty.decision, Decision::kNotGranted);
  EXPECT_EQ(empty.granted, 0u);
  EXPECT_FALSE(empty.nullDacl);
  auto null = check(descriptor(0x8000, {}, sid(5, {18})));
  EXPECT_EQ(null.decision, Decision::kGranted);
  EXPECT_TRUE(null.nullDacl);
  EXPECT_EQ(null.granted, kEas);
  EXPECT_EQ(null.decidingAce, AccessResult::kNoAce);
}

TEST_F(AccessCheck, GenericRightsAreMapped) {
  auto ga = check(daclOnly({ace(0x00, 0, kGenericAll, es_)}));
  EXPECT_EQ(ga.decision, Decision::kGranted);
  EXPECT_EQ(ga.granted, kEas);
  // GENERIC_READ gives List contents only.
  auto gr = check(daclOnly({ace(0x00, 0, kGenericRead, es_)}));
  EXPECT_EQ(gr.decision, Decision::kNotGranted);
  EXPECT_EQ(gr.granted, kDsListChildren);
  // GENERIC_EXECUTE also includes List contents; GENERIC_WRITE none of the three.
  EXPECT_EQ(check(daclOnly({ace(0x00, 0, kGenericExecute, es_)})).granted, kDsListChildren);
  EXPECT_EQ(check(daclOnly({ace(0x00, 0, kGenericWrite, es_)})).granted, 0u);
  // A GENERIC_ALL deny takes everything.
  auto deny = check(daclOnly({ace(0x01, 0, kGenericAll, sid(1, {0})), inheritedGrant()}));
  EXPECT_EQ(deny.decision, Decision::kDenied);
  EXPECT_EQ(deny.denied, kEas);
  // Generic bits in the request are mapped too.
  auto full = check(daclOnly({ace(0x00, 0, kDsGenericAll, es_)}), kGenericAll);
  EXPECT_EQ(full.desired, kDsGenericAll);
  EXPECT_EQ(full.decision, Decision::kGranted);
  static_assert(mapGenericDs(kGenericRead | kGenericWrite | kGenericExecute) == 0x200BC);
  static_assert(mapGenericDs(kDsCreateChild) == kDsCreateChild);
}

TEST_F(AccessCheck, PartialGrantsAndContributors) {
  const Bytes cc = objectAce(0x05, 0, kDsCreateChild | kDsListChildren, &easDevices_, nullptr, es_);
  auto partial = check(daclOnly({cc}));
  EXPECT_EQ(partial.decision, Decision::kNotGranted);
  EXPECT_EQ(partial.granted, kDsCreateChild | kDsListChildren);
  EXPECT_EQ(partial.decidingAce, AccessResult::kNoAce);
  // Split over three ACEs and three token SIDs.
  auto split = check(
      daclOnly({objectAce(0x05, 0, kDsCreateChild, &easDevices_, nullptr, es_),
                ace(0x00, 0, kDsReadProperty, es_),  // irrelevant right
                objectAce(0x05, 0, kDsDeleteChild | kDsCreateChild, &easDevices_, nullptr, ets_),
                ace(0x00, 0, kDsListChildren, sid(5, {11}))}));
  EXPECT_EQ(split.decision, Decision::kGranted);
  EXPECT_THAT(split.contributingAces(), ElementsAre(0, 2, 3));
  EXPECT_EQ(split.decidingAce, 3u);
}

TEST_F(AccessCheck, ObjectTypeMatching) {
  // An object ACE without ObjectType applies to every type.
  EXPECT_EQ(check(daclOnly({objectAce(0x05, 0, kEas, nullptr, &user_, es_)})).decision,
            Decision::kGranted);
  // With no object type asked for, typed object ACEs are ignored, untyped ones apply.
  const Bytes typed = daclOnly({objectAce(0x05, 0, kEas, &easDevices_, nullptr, es_)});
  auto v = parseSecurityDescriptor(typed);
  ASSERT_TRUE(v);
  EXPECT_EQ(checkAccess(*v, token_, kEas, nullptr).decision, Decision::kNotGranted);
  const Bytes plainBytes = daclOnly({ace(0x00, 0, kEas, es_)});
  auto plain = parseSecurityDescriptor(plainBytes);
  ASSERT_TRUE(plain);
  EXPECT_EQ(checkAccess(*plain, token_, kEas, nullptr).decision, Decision::kGranted);
}

TEST_F(AccessCheck, SelfOnlyWhenTheCallerAddsIt) {
  const Bytes sd = daclOnly({ace(0x00, 0, kEas, sid(5, {10}))});
  EXPECT_EQ(check(sd).decision, Decision::kNotGranted);
  Token self{kSidSelf};
  EXPECT_EQ(check(sd, kEas, nullptr, &self).decision, Decision::kGranted);
}

TEST_F(AccessCheck, CallbackAndUnknownAcesAreCountedNotEvaluated) {
  // A conditional allow for Exchange Servers would have mattered: counted, grants nothing.
  auto cb = check(daclOnly({ace(0x09, 0, kEas, es_)}));
  EXPECT_EQ(cb.decision, Decision::kNotGranted);
  EXPECT_EQ(cb.unevaluated, 1u);
  // A conditional deny for another group does not count.
  EXPECT_EQ(check(daclOnly({ace(0x0A, 0, kEas, domainSid(kOtherGroupRid)), inheritedGrant()}))
                .unevaluated,
            0u);
  // A conditional object deny for our type counts but does not block.
  auto cbo =
      check(daclOnly({objectAce(0x0C, 0, kEas, &easDevices_, nullptr, es_), inheritedGrant()}));
  EXPECT_EQ(cbo.decision, Decision::kGranted);
  EXPECT_EQ(cbo.unevaluated, 1u);
  // An ACE of unknown layout counts (it could be anything), unless inherit-only.
  auto unk = check(daclOnly({Bytes{0x04, 0, 12, 0, 7, 0, 0, 0, 0, 0, 0, 0}, inheritedGrant()}));
  EXPECT_EQ(unk.decision, Decision::kGranted);
  EXPECT_EQ(unk.unevaluated, 1u);
  EXPECT_EQ(check(daclOnly({Bytes{0x04, 0x08, 8, 0, 7, 0, 0, 0}, inheritedGrant()})).unevaluated,
            0u);
}

TEST_F(AccessCheck, StopsOnceEverythingIsDecided) {
  // The deny after the completed grant changes nothing, and nothing after it is looked at
  // (an unknown ACE there is not counted).
  auto r = check(daclOnly(
      {inheritedGrant(), ace(0x01, 0, kEas, sid(1, {0})), Bytes{0x04, 0, 8, 0, 7, 0, 0, 0}}));
  EXPECT_EQ(r.decision, Decision::kGranted);
  EXPECT_EQ(r.unevaluated, 0u);
  EXPECT_THAT(r.contributingAces(), ElementsAre(0));
}

TEST_F(AccessCheck, EmptyRequestIsTriviallyGranted) {
  auto r = check(daclOnly({}), 0);
  EXPECT_EQ(r.decision, Decision::kGranted);
  EXPECT_EQ(r.decidingAce, AccessResult::kNoAce);
}

TEST(Token, MembershipAndDuplicates) {
  Token t;
  EXPECT_TRUE(t.empty());
  t.add(kSidEveryone);
  t.add(kSidEveryone);
  t.add(kSidAuthenticatedUsers);
  auto dom = Sid::fromString(kDomainSidText);
  t.add(*dom->withRid(1103));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_TRUE(t.contains(kSidEveryone));
  EXPECT_TRUE(t.contains(*dom->withRid(1103)));
  EXPECT_FALSE(t.contains(*dom->withRid(1104)));
  EXPECT_FALSE(t.contains(*Sid::fromString("S-1-5-21-1-2-3-1103")));  // same RID, other domain
  EXPECT_FALSE(t.contains(Sid::make(1, {0, 0})));
  EXPECT_EQ(t.sids().size(), 3u);
  EXPECT_EQ(decisionName(Decision::kNotGranted), "not-granted");
}

}  // namespace
}  // namespace adcheck::security
