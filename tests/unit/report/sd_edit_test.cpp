// sd_edit on hand-built descriptors (sd_builder.h, independent of the module's serializer): the
// edit does exactly what it says and leaves every other byte as it was.
#include "adcheck/security/sd_edit.h"

#include <gtest/gtest.h>

#include "adcheck/security/security_descriptor.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using namespace testing;

std::vector<Bytes> threeAces() {
  return {ace(0x00, 0, 0x20094, domainSid(1102)), ace(0x01, 0, 0x1, sid(1, {0})),
          ace(0x00, 0x10, 0xF01FF, sid(5, {18}))};
}

std::vector<std::uint32_t> masks(const SecurityDescriptorView& v) {
  std::vector<std::uint32_t> out;
  for (const auto a : *v.dacl()) out.push_back(a.mask());
  return out;
}

TEST(SdEdit, EnableInheritanceClearsOnlyTheProtectedBit) {
  const Bytes sd = descriptor(0x8000 | 0x1000 | 0x0004, acl(threeAces()), domainSid(512), domainSid(513));
  auto out = enableDaclInheritance(sd);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), sd.size());
  auto v = parseSecurityDescriptor(std::span<const std::uint8_t>(*out));
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->daclProtected());
  EXPECT_TRUE(v->daclAutoInherited());
  EXPECT_EQ(v->control(), 0x8000 | 0x0400 | 0x0004);
  // Everything after the control word is untouched.
  EXPECT_TRUE(std::equal(sd.begin() + 4, sd.end(), out->begin() + 4));
}

TEST(SdEdit, EnableInheritanceRefusesANullDacl) {
  const Bytes sd = descriptor(0x8000 | 0x1000, {}, domainSid(512));
  auto out = enableDaclInheritance(sd);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("NULL DACL"), std::string::npos);
}

TEST(SdEdit, RemoveMiddleAceShiftsThePartsAfterIt) {
  // DACL first, then owner and group: both move up by the ACE's size.
  const Bytes sd = descriptor(0x8004, acl(threeAces()), domainSid(512), domainSid(513));
  const std::size_t removed = threeAces()[1].size();
  auto out = removeDaclAce(sd, 1);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->size(), sd.size() - removed);
  auto v = parseSecurityDescriptor(std::span<const std::uint8_t>(*out));
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(masks(*v), (std::vector<std::uint32_t>{0x20094, 0xF01FF}));
  EXPECT_EQ(v->dacl()->aclSize(), acl(threeAces()).size() - removed);
  ASSERT_TRUE(v->owner());
  EXPECT_EQ(v->owner()->toString(), std::string(kDomainSidText) + "-512");
  EXPECT_EQ(v->group()->toString(), std::string(kDomainSidText) + "-513");
  // The inherited flag of the last ACE survived the move.
  auto it = v->dacl()->begin();
  ++it;
  EXPECT_TRUE((*it).inherited());
}

TEST(SdEdit, RemoveLeavesPartsBeforeTheDaclWhereTheyAre) {
  // Windows order: SACL, DACL, owner, group. Build it by hand: header, SACL, DACL, owner.
  const Bytes sacl = acl({ace(0x02, 0x40, 0x10000, sid(1, {0}))});
  const Bytes dacl = acl(threeAces());
  const Bytes owner = domainSid(512);
  Bytes sd{1, 0};
  put16(sd, 0x8014);
  put32(sd, static_cast<std::uint32_t>(20 + sacl.size() + dacl.size()));  // owner
  put32(sd, 0);                                                           // group
  put32(sd, 20);                                                          // SACL
  put32(sd, static_cast<std::uint32_t>(20 + sacl.size()));                // DACL
  append(sd, sacl);
  append(sd, dacl);
  append(sd, owner);
  auto out = removeDaclAce(sd, 0);
  ASSERT_TRUE(out) << out.error().message;
  auto v = parseSecurityDescriptor(std::span<const std::uint8_t>(*out));
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_TRUE(v->sacl());
  EXPECT_EQ(v->sacl()->offset(), 20u);
  EXPECT_EQ(v->sacl()->aceCount(), 1u);
  EXPECT_EQ(masks(*v), (std::vector<std::uint32_t>{0x1, 0xF01FF}));
  EXPECT_EQ(v->owner()->toString(), std::string(kDomainSidText) + "-512");
}

TEST(SdEdit, RemoveTheOnlyAceLeavesAnEmptyDacl) {
  const Bytes sd = daclOnly({ace(0x01, 0, 0x1, sid(1, {0}))});
  auto out = removeDaclAce(sd, 0);
  ASSERT_TRUE(out);
  auto v = parseSecurityDescriptor(std::span<const std::uint8_t>(*out));
  ASSERT_TRUE(v);
  ASSERT_NE(v->dacl(), nullptr);  // empty, not NULL
  EXPECT_TRUE(v->dacl()->empty());
}

TEST(SdEdit, RemoveOutOfRangeNamesTheCount) {
  const Bytes sd = daclOnly(threeAces());
  auto out = removeDaclAce(sd, 3);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(out.error().message.find("the DACL has 3 ACEs"), std::string::npos) << out.error().message;
}

TEST(SdEdit, MalformedInputIsAParseError) {
  Bytes sd = daclOnly(threeAces());
  sd.resize(sd.size() - 3);
  auto a = removeDaclAce(sd, 0);
  auto b = enableDaclInheritance(sd);
  ASSERT_FALSE(a);
  ASSERT_FALSE(b);
  EXPECT_EQ(a.error().code, ErrorCode::kParse);
  EXPECT_EQ(b.error().code, ErrorCode::kParse);
}

}  // namespace
}  // namespace adcheck::security
