#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ldap/search.h"
#include "ldap/session.h"

namespace adcheck::ldap {
namespace {

TEST(SdFlagsControl, DaclOnlyIsTheDocumentedBerValue) {
  Control c = sdFlagsControl(kSdFlagsDacl);
  EXPECT_EQ(c.oid, "1.2.840.113556.1.4.801");
  EXPECT_TRUE(c.critical);
  EXPECT_TRUE(c.has_value);
  EXPECT_EQ(c.value, std::string("\x30\x03\x02\x01\x04", 5));
}

TEST(SdFlagsControl, OtherFlagValuesEncodeAsBerIntegers) {
  EXPECT_EQ(sdFlagsControl(kSdFlagsOwner | kSdFlagsGroup | kSdFlagsDacl).value,
            std::string("\x30\x03\x02\x01\x07", 5));
  // 0x80 needs a leading zero byte to stay positive.
  EXPECT_EQ(sdFlagsControl(0x80).value, std::string("\x30\x04\x02\x02\x00\x80", 6));
}

TEST(RangedName, ParsesAdRangeOptions) {
  auto a = parseRangedName("member;range=0-1499");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->base, "member");
  EXPECT_EQ(a->low, 0u);
  ASSERT_TRUE(a->high);
  EXPECT_EQ(*a->high, 1499u);

  auto b = parseRangedName("member;Range=1500-*");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->base, "member");
  EXPECT_EQ(b->low, 1500u);
  EXPECT_FALSE(b->high);

  auto c = parseRangedName("userCertificate;binary;range=3-5");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->base, "userCertificate;binary");

  auto d = parseRangedName("member;range=10-20;x-opt");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->base, "member;x-opt");
}

TEST(RangedName, RejectsWhatIsNotARange) {
  EXPECT_FALSE(parseRangedName("member"));
  EXPECT_FALSE(parseRangedName("userCertificate;binary"));
  EXPECT_FALSE(parseRangedName("member;range="));
  EXPECT_FALSE(parseRangedName("member;range=abc-*"));
  EXPECT_FALSE(parseRangedName("member;range=10-5"));
  EXPECT_FALSE(parseRangedName("member;range=5"));
  EXPECT_FALSE(parseRangedName("member;range=-5"));
  EXPECT_FALSE(parseRangedName("member;range=1-99999999999999999999999"));
}

TEST(BindMode, ParsesConfigValuesAndNamesBadOnes) {
  EXPECT_EQ(*parseBindMode("simple"), BindMode::kSimple);
  EXPECT_EQ(*parseBindMode("GSSAPI"), BindMode::kGssapi);
  EXPECT_EQ(*parseBindMode("external"), BindMode::kExternal);
  auto bad = parseBindMode("kerberos");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kConfig);
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("kerberos"));
  EXPECT_THAT(bad.error().hint, ::testing::HasSubstr("simple, gssapi or external"));
  EXPECT_EQ(bindModeName(BindMode::kGssapi), "gssapi");
}

}  // namespace
}  // namespace adcheck::ldap
