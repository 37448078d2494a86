// The access check over an object-type list (MS-DTYP 2.5.3.2 with ObjectTypeList) on hand-built
// DACLs: a standard user writing `member` of a group, where the grant may sit on the whole
// object, on the Membership property set or on the attribute, with denies on the set or the
// attribute in either order. The single-GUID check (checkAccess with the attribute's GUID) is
// shown beside it where it gets the answer wrong.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "adcheck/security/access_check.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using namespace testing;  // NOLINT: the builder helpers

constexpr std::string_view kGroupClass = "bf967a9c-0de6-11d0-a285-00aa003049e2";
constexpr std::string_view kMembershipSet = "bc0ac240-79a9-11d0-9020-00c04fc2d4cf";
constexpr std::string_view kMember = "bf9679c0-0de6-11d0-a285-00aa003049e2";
// An attribute of the same property set, for lists with two children (invented GUID).
constexpr std::string_view kOtherInSet = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5";
// Public Information: a property set `member` does not belong to.
constexpr std::string_view kPublicInfo = "e48d0154-bcf8-11d1-8702-00c04fb96050";
constexpr std::uint32_t kUserRid = 1500;

class TypeList : public ::testing::Test {
 protected:
  const Guid groupClass_ = *Guid::parse(kGroupClass);
  const Guid set_ = *Guid::parse(kMembershipSet);
  const Guid member_ = *Guid::parse(kMember);
  const Guid other_ = *Guid::parse(kOtherInSet);
  const Bytes setB_ = guid(kMembershipSet);
  const Bytes memberB_ = guid(kMember);
  const Bytes otherB_ = guid(kOtherInSet);
  const Bytes classB_ = guid(kGroupClass);
  const Bytes publicInfoB_ = guid(kPublicInfo);
  const Bytes user_ = domainSid(kUserRid);
  // A standard user's token: the user, Everyone, Authenticated Users.
  const Token token_{*Sid::fromString(std::string(kDomainSidText) + "-1500"), kSidEveryone,
                     kSidAuthenticatedUsers};

  // group -> Membership -> member, the tree AD builds to write `member`.
  ObjectTypeList memberList() const {
    ObjectTypeList l(groupClass_);
    l.addProperty(member_, &set_);
    return l;
  }
  // group -> Membership -> {member, other}.
  ObjectTypeList twoInSet() const {
    ObjectTypeList l = memberList();
    l.addProperty(other_, &set_);
    return l;
  }

  TypeListAccess byList(const std::vector<Bytes>& aces, const ObjectTypeList& list,
                        std::uint32_t desired = kDsWriteProperty) {
    bytes_ = daclOnly(aces);
    auto v = parseSecurityDescriptor(bytes_);
    EXPECT_TRUE(v) << v.error().message;
    if (!v) return {};
    return checkAccessByTypeList(*v, token_, desired, list);
  }
  // The old question: Write property with the attribute's GUID alone.
  Decision single(const std::vector<Bytes>& aces, const Guid& type,
                  std::uint32_t desired = kDsWriteProperty) {
    bytes_ = daclOnly(aces);
    auto v = parseSecurityDescriptor(bytes_);
    EXPECT_TRUE(v) << v.error().message;
    if (!v) return Decision::kNotGranted;
    return checkAccess(*v, token_, desired, &type).decision;
  }
  Bytes allow(std::uint32_t mask, const Bytes* type = nullptr, std::uint8_t flags = 0) const {
    return type ? objectAce(0x05, flags, mask, type, nullptr, user_)
                : ace(0x00, flags, mask, user_);
  }
  Bytes deny(std::uint32_t mask, const Bytes* type = nullptr, std::uint8_t flags = 0) const {
    return type ? objectAce(0x06, flags, mask, type, nullptr, user_)
                : ace(0x01, flags, mask, user_);
  }

  Bytes bytes_;
};

TEST_F(TypeList, BuildsTheTreeFromSchemaFacts) {
  ObjectTypeList l = twoInSet();
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].type, groupClass_);
  EXPECT_EQ(l[0].level, 0);
  EXPECT_EQ(l[0].parent, ObjectTypeNode::kNoParent);
  EXPECT_EQ(l[1].type, set_);
  EXPECT_EQ(l[1].level, 1);
  EXPECT_EQ(l[1].parent, 0);
  EXPECT_EQ(l[2].type, member_);
  EXPECT_EQ(l[2].level, 2);
  EXPECT_EQ(l[2].parent, 1);
  EXPECT_EQ(l[3].parent, 1);  // the set is shared, not added twice
  EXPECT_EQ(l.addProperty(member_, &set_), 2u);
  EXPECT_FALSE(l.isLeaf(1));
  EXPECT_TRUE(l.isLeaf(2));
  EXPECT_TRUE(l.isWithin(3, 0));
  EXPECT_FALSE(l.isWithin(3, 2));
  EXPECT_EQ(l.find(member_), 2u);
  EXPECT_FALSE(l.find(*Guid::parse(kPublicInfo)));
  // An attribute in no property set (nil attributeSecurityGUID) sits directly below the object.
  const Guid nil{};
  const Guid loose = *Guid::parse("11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(l[l.addProperty(loose, &nil)].level, 1);
  EXPECT_EQ(l.addProperty(loose, nullptr), 4u);
  EXPECT_EQ(l[l.addChild(member_)].level, 1);  // the validated write: a level-1 right
}

TEST_F(TypeList, FromLevelsChecksTheShape) {
  using L = std::vector<std::pair<std::uint16_t, Guid>>;
  auto ok = ObjectTypeList::fromLevels(
      L{{0, groupClass_}, {1, set_}, {2, member_}, {2, other_}, {1, member_}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)[3].parent, 1);
  EXPECT_EQ((*ok)[4].parent, 0);
  EXPECT_FALSE(ObjectTypeList::fromLevels(L{}));
  auto notRoot = ObjectTypeList::fromLevels(L{{1, set_}});
  ASSERT_FALSE(notRoot);
  EXPECT_NE(notRoot.error().message.find("node 0 is at level 1"), std::string::npos);
  auto jump = ObjectTypeList::fromLevels(L{{0, groupClass_}, {2, member_}});
  ASSERT_FALSE(jump);
  EXPECT_NE(jump.error().message.find("node 1 is at level 2"), std::string::npos);
  EXPECT_FALSE(ObjectTypeList::fromLevels(L{{0, groupClass_}, {0, set_}}));
  EXPECT_FALSE(ObjectTypeList::fromLevels(
      L{{0, groupClass_}, {1, set_}, {2, member_}, {3, other_}, {4, set_}, {5, member_}}));
}

// The grants a standard user may hold to write `member`: on the whole object, on the property
// set, on the attribute, and on the object's class GUID (level 0). The property-set grant is
// the one the single-GUID question misses.
TEST_F(TypeList, GrantOnObjectSetOrAttribute) {
  const ObjectTypeList l = memberList();
  for (const auto& [name, aces] : std::vector<std::pair<std::string, std::vector<Bytes>>>{
           {"whole object", {allow(kDsWriteProperty)}},
           {"property set", {allow(kDsWriteProperty, &setB_)}},
           {"attribute", {allow(kDsWriteProperty, &memberB_)}},
           {"object class", {allow(kDsWriteProperty, &classB_)}},
           {"GenericAll on set", {allow(kGenericAll, &setB_)}},
           {"GenericWrite on set", {allow(kGenericWrite, &setB_)}}}) {
    SCOPED_TRACE(name);
    auto r = byList(aces, l);
    EXPECT_EQ(r.decision(2), Decision::kGranted);
    EXPECT_EQ(r[2].granted, kDsWriteProperty);
    // One attribute asked about: the set and the object are granted along with it.
    EXPECT_EQ(r.decision(1), Decision::kGranted);
    EXPECT_EQ(r.decision(), Decision::kGranted);
    EXPECT_EQ(r.unevaluated(), 0u);
  }
  EXPECT_EQ(single({allow(kDsWriteProperty, &setB_)}, member_), Decision::kNotGranted);
  EXPECT_EQ(single({allow(kGenericAll, &setB_)}, member_), Decision::kNotGranted);
  EXPECT_EQ(single({allow(kDsWriteProperty, &classB_)}, member_), Decision::kNotGranted);
  EXPECT_EQ(single({allow(kDsWriteProperty, &memberB_)}, member_), Decision::kGranted);
}

TEST_F(TypeList, GrantsThatDoNotReach) {
  const ObjectTypeList l = memberList();
  // Another property set; another right (Self on the set is not Write property); another
  // trustee; an inherit-only grant.
  for (const auto& [name, aces] : std::vector<std::pair<std::string, std::vector<Bytes>>>{
           {"other set", {allow(kDsWriteProperty, &publicInfoB_)}},
           {"self on set", {allow(kDsSelfWrite, &setB_)}},
           {"other trustee", {objectAce(0x05, 0, kDsWriteProperty, &setB_, nullptr, domainSid(9))}},
           {"inherit-only", {allow(kDsWriteProperty, &setB_, 0x0A)}},
           {"read only", {allow(kGenericRead)}}}) {
    SCOPED_TRACE(name);
    auto r = byList(aces, l);
    EXPECT_EQ(r.decision(2), Decision::kNotGranted);
    EXPECT_EQ(r.decision(), Decision::kNotGranted);
    EXPECT_EQ(r[0].remaining, kDsWriteProperty);
  }
}

TEST_F(TypeList, InheritOnlyDenyIsSkipped) {
  auto r = byList({deny(kDsWriteProperty, &setB_, 0x0A), allow(kDsWriteProperty, &memberB_)},
                  memberList());
  EXPECT_EQ(r.decision(), Decision::kGranted);
}

// Denies on the set and on the attribute, in both orders: the first ACE to decide a bit of a
// leaf wins, and a deny on the set reaches the attribute below it.
TEST_F(TypeList, DenyAndAllowOnSetAndAttributeInBothOrders) {
  const ObjectTypeList l = memberList();
  const Bytes denySet = deny(kDsWriteProperty, &setB_);
  const Bytes denyAttr = deny(kDsWriteProperty, &memberB_);
  const Bytes allowSet = allow(kDsWriteProperty, &setB_);
  const Bytes allowAttr = allow(kDsWriteProperty, &memberB_);
  const Bytes allowAll = allow(kDsWriteProperty);
  struct Case {
    std::string name;
    std::vector<Bytes> aces;
    Decision want;
    Decision singleGuid;  // what checkAccess(member) says
  };
  for (const auto& c : std::vector<Case>{
           {"deny set, allow attribute",
            {denySet, allowAttr},
            Decision::kDenied,
            Decision::kGranted},
           {"allow attribute, deny set",
            {allowAttr, denySet},
            Decision::kGranted,
            Decision::kGranted},
           {"deny attribute, allow set",
            {denyAttr, allowSet},
            Decision::kDenied,
            Decision::kDenied},
           {"allow set, deny attribute",
            {allowSet, denyAttr},
            Decision::kGranted,
            Decision::kDenied},
           {"deny set, allow object", {denySet, allowAll}, Decision::kDenied, Decision::kGranted},
           {"allow object, deny set", {allowAll, denySet}, Decision::kGranted, Decision::kGranted},
           {"deny object, allow set",
            {deny(kDsWriteProperty), allowSet},
            Decision::kDenied,
            Decision::kDenied}}) {
    SCOPED_TRACE(c.name);
    auto r = byList(c.aces, l);
    EXPECT_EQ(r.decision(2), c.want);
    EXPECT_EQ(r.decision(), c.want);  // a single attribute: the object follows it
    EXPECT_EQ(single(c.aces, member_), c.singleGuid);
  }
}

// The parent is granted only when all its children are; a deny on one child denies the parent.
TEST_F(TypeList, ParentGrantedOnlyWhenAllChildrenAre) {
  const ObjectTypeList l = twoInSet();  // 0 group, 1 set, 2 member, 3 other
  auto one = byList({allow(kDsWriteProperty, &memberB_)}, l);
  EXPECT_EQ(one.decision(2), Decision::kGranted);
  EXPECT_EQ(one.decision(3), Decision::kNotGranted);
  EXPECT_EQ(one.decision(1), Decision::kNotGranted);
  EXPECT_EQ(one.decision(0), Decision::kNotGranted);
  EXPECT_EQ(one[1].remaining, kDsWriteProperty);
  EXPECT_EQ(one[1].granted, 0u);

  auto both = byList({allow(kDsWriteProperty, &memberB_), allow(kDsWriteProperty, &otherB_)}, l);
  EXPECT_EQ(both.decision(1), Decision::kGranted);
  EXPECT_EQ(both.decision(0), Decision::kGranted);

  // Allow one attribute, then deny the set: the granted attribute keeps its grant, the other
  // is denied, and so are the set and the object.
  auto mixed = byList({allow(kDsWriteProperty, &memberB_), deny(kDsWriteProperty, &setB_)}, l);
  EXPECT_EQ(mixed.decision(2), Decision::kGranted);
  EXPECT_EQ(mixed.decision(3), Decision::kDenied);
  EXPECT_EQ(mixed.decision(1), Decision::kDenied);
  EXPECT_EQ(mixed.decision(0), Decision::kDenied);
  EXPECT_EQ(mixed[0].remaining, 0u);

  // Deny one attribute, then allow the whole object: everything else is granted, the object
  // is not (a part of it is denied).
  auto part = byList({deny(kDsWriteProperty, &otherB_), allow(kGenericAll)}, l);
  EXPECT_EQ(part.decision(2), Decision::kGranted);
  EXPECT_EQ(part.decision(3), Decision::kDenied);
  EXPECT_EQ(part.decision(1), Decision::kDenied);
  EXPECT_EQ(part[1].granted, 0u);
}

// Several rights at once are decided bit by bit, per leaf.
TEST_F(TypeList, RightsAreDecidedPerBitAndLeaf) {
  const ObjectTypeList l = twoInSet();
  constexpr std::uint32_t kRpWp = kDsReadProperty | kDsWriteProperty;
  auto r = byList({allow(kDsReadProperty, &setB_), deny(kDsWriteProperty, &otherB_),
                   allow(kDsWriteProperty, &memberB_)},
                  l, kRpWp);
  EXPECT_EQ(r.desired(), kRpWp);
  EXPECT_EQ(r[2].granted, kRpWp);
  EXPECT_EQ(r.decision(2), Decision::kGranted);
  EXPECT_EQ(r[3].granted, kDsReadProperty);
  EXPECT_EQ(r[3].denied, kDsWriteProperty);
  EXPECT_EQ(r[1].granted, kDsReadProperty);
  EXPECT_EQ(r[1].denied, kDsWriteProperty);
  EXPECT_EQ(r[0].granted, kDsReadProperty);
  EXPECT_EQ(r.decision(0), Decision::kDenied);
  // Generic rights asked for are mapped like the ACE masks.
  auto g = byList({allow(kGenericAll)}, l, kGenericWrite);
  EXPECT_EQ(g.desired(), kDsGenericWrite);
  EXPECT_TRUE(g.isGranted());
}

TEST_F(TypeList, NullAndEmptyDacl) {
  const ObjectTypeList l = twoInSet();
  const Bytes nullDacl = descriptor(0x8000, {}, sid(5, {18}));
  auto v = parseSecurityDescriptor(nullDacl);
  ASSERT_TRUE(v);
  auto r = checkAccessByTypeList(*v, token_, kDsWriteProperty, l);
  EXPECT_TRUE(r.nullDacl());
  for (std::size_t i = 0; i < l.size(); ++i) EXPECT_TRUE(r.isGranted(i)) << i;
  auto empty = byList({}, l);
  EXPECT_FALSE(empty.nullDacl());
  EXPECT_EQ(empty.decision(), Decision::kNotGranted);
}

TEST_F(TypeList, CallbackAcesAreCountedNotEvaluated) {
  // A conditional allow on the set for the user would have mattered: counted, grants nothing.
  auto r = byList({objectAce(0x0B, 0, kDsWriteProperty, &setB_, nullptr, user_)}, memberList());
  EXPECT_EQ(r.decision(), Decision::kNotGranted);
  EXPECT_EQ(r.unevaluated(), 1u);
  // One on a type outside the list does not count.
  EXPECT_EQ(
      byList({objectAce(0x0B, 0, kDsWriteProperty, &publicInfoB_, nullptr, user_)}, memberList())
          .unevaluated(),
      0u);
}

// A one-node list asks exactly what checkAccess asks; the result can be reused.
TEST_F(TypeList, OneNodeListAgreesWithCheckAccess) {
  const std::vector<std::vector<Bytes>> dacls = {
      {allow(kDsWriteProperty, &memberB_)},
      {allow(kDsWriteProperty, &setB_)},
      {deny(kDsWriteProperty, &memberB_), allow(kGenericAll)},
      {allow(kDsReadProperty), deny(kGenericAll, &memberB_), allow(kGenericWrite)},
      {objectAce(0x05, 0, kDsWriteProperty, nullptr, &classB_, user_)},
      {deny(kDsSelfWrite), allow(kDsWriteProperty | kDsSelfWrite, &memberB_)},
      {ace(0x09, 0, kDsWriteProperty, user_), allow(kDsReadProperty)},
      {}};
  ObjectTypeList one(member_);
  TypeListAccess reused;
  for (std::size_t i = 0; i < dacls.size(); ++i) {
    for (std::uint32_t desired :
         {kDsWriteProperty, kDsReadProperty | kDsWriteProperty, kDsSelfWrite | kDsWriteProperty}) {
      SCOPED_TRACE("dacl " + std::to_string(i) + " desired " + std::to_string(desired));
      bytes_ = daclOnly(dacls[i]);
      auto v = parseSecurityDescriptor(bytes_);
      ASSERT_TRUE(v);
      const AccessResult a = checkAccess(*v, token_, desired, &member_);
      checkAccessByTypeList(*v, token_, desired, one, reused);
      ASSERT_EQ(reused.size(), 1u);
      EXPECT_EQ(reused.decision(), a.decision);
      EXPECT_EQ(reused[0].granted, a.granted);
      EXPECT_EQ(reused[0].denied, a.denied);
      EXPECT_EQ(reused.unevaluated(), a.unevaluated);
    }
  }
}

}  // namespace
}  // namespace adcheck::security
