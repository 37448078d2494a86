// SID and GUID value types: wire form, string form, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unordered_set>

#include "adcheck/security/guid.h"
#include "adcheck/security/sid.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using testing::Bytes;
using ::testing::HasSubstr;
using testing::hex;

TEST(Sid, ParsesDomainAccountSidFromExchangeMdExample) {
  // The trustee of EXCHANGE.md's 72-byte ACE: Exchange Servers of the LDP-DUMP forest.
  const Bytes b =
      hex("01 05 00 00 00 00 00 05 15 00 00 00 ec bc b0 75 95 4d c6 b9 cd 94 0a 9a d0 04 00 00");
  std::size_t used = 0;
  auto s = parseSid(b, &used);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(used, 28u);
  EXPECT_EQ(s->toString(), "S-1-5-21-1974516972-3116780949-2584384717-1232");
  EXPECT_EQ(s->rid(), 1232u);
  EXPECT_EQ(s->subAuthorityCount(), 5u);
  EXPECT_EQ(s->authority(), 5u);
  EXPECT_EQ(Bytes(s->bytes().begin(), s->bytes().end()), b);
  EXPECT_EQ(s->toBytes(), b);
}

TEST(Sid, StringRoundTrip) {
  for (const char* text :
       {"S-1-1-0", "S-1-5-32-544", "S-1-5", "S-1-0-0", "S-1-5-18", "S-1-5-21-1-2-3-4294967295",
        "S-1-16-12288", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"}) {
    auto s = Sid::fromString(text);
    ASSERT_TRUE(s) << text << ": " << s.error().message;
    EXPECT_EQ(s->toString(), text);
    auto back = Sid::fromBytes(s->bytes());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *s);
  }
}

TEST(Sid, AuthorityFormatFollowsSamba) {
  // Decimal below 0xFFFFFFFF, lowercase hex from 0xFFFFFFFF on (Samba's dom_sid_string).
  EXPECT_EQ(Sid::make(0xFFFFFFFE, {1}).toString(), "S-1-4294967294-1");
  EXPECT_EQ(Sid::make(0xFFFFFFFF, {1}).toString(), "S-1-0xffffffff-1");
  EXPECT_EQ(Sid::make(0x100000000, {1}).toString(), "S-1-0x100000000-1");
  EXPECT_EQ(Sid::make(0xFFFFFFFFFFFF, {}).toString(), "S-1-0xffffffffffff");
  auto hexText = Sid::fromString("S-1-0x100000000-7");
  ASSERT_TRUE(hexText);
  EXPECT_EQ(hexText->authority(), 0x100000000u);
  auto lower = Sid::fromString("s-1-5-18");
  ASSERT_TRUE(lower);
  EXPECT_EQ(*lower, kSidSystem);
}

TEST(Sid, RejectsBadStrings) {
  for (const char* text : {"", "S", "S-", "X-1-5", "S-2-5-18", "S-1", "S-1-5-", "S-1-5--1",
                           "S-1-5-x", "S-1-5-4294967296", "S-1-281474976710656-1", "S-1-5-18 ",
                           "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1--5"}) {
    auto s = Sid::fromString(text);
    EXPECT_FALSE(s) << text;
    if (!s) {
      EXPECT_EQ(s.error().code, ErrorCode::kParse);
      EXPECT_THAT(s.error().message, HasSubstr("invalid SID"));
    }
  }
  auto s = Sid::fromString("S-1-5-21-x");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("sub-authority 2 \"x\""));
}

TEST(Sid, RejectsBadBytesWithOffsets) {
  auto truncated = parseSid(hex("01 05 00 00 00"));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kParse);
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));

  auto rev = parseSid(hex("02 01 00 00 00 00 00 05 12 00 00 00"));
  ASSERT_FALSE(rev);
  EXPECT_THAT(rev.error().message, HasSubstr("revision 2"));

  Bytes sixteen = hex("01 10 00 00 00 00 00 05");
  sixteen.resize(8 + 64, 0);
  auto tooMany = parseSid(sixteen);
  ASSERT_FALSE(tooMany);
  EXPECT_THAT(tooMany.error().message, HasSubstr("16 sub-authorities (byte at offset 1)"));

  auto shortSubs = parseSid(hex("01 02 00 00 00 00 00 05 20 00 00 00"));
  ASSERT_FALSE(shortSubs);
  EXPECT_THAT(shortSubs.error().message, HasSubstr("needs 16 bytes, only 12"));

  auto trailing = Sid::fromBytes(hex("01 01 00 00 00 00 00 05 12 00 00 00 00"));
  ASSERT_FALSE(trailing);
  EXPECT_THAT(trailing.error().message, HasSubstr("ends at offset 12 but 1 more"));
}

TEST(Sid, DomainMembershipAndRids) {
  auto dom = Sid::fromString("S-1-5-21-1-2-3");
  ASSERT_TRUE(dom);
  auto da = dom->withRid(kRidDomainAdmins);
  ASSERT_TRUE(da);
  EXPECT_EQ(da->toString(), "S-1-5-21-1-2-3-512");
  EXPECT_TRUE(da->isDomainSid(*dom));
  EXPECT_EQ(da->withoutRid(), *dom);
  EXPECT_FALSE(dom->isDomainSid(*dom));
  EXPECT_FALSE(Sid::fromString("S-1-5-21-1-2-4-512")->isDomainSid(*dom));
  EXPECT_FALSE(Sid::fromString("S-1-5-21-1-2-3-512-1")->isDomainSid(*dom));
  EXPECT_FALSE(Sid::fromString("S-1-9-21-1-2-3-512")->isDomainSid(*dom));  // other authority
  // Samba: a SID with fewer than two sub-authorities is in no domain.
  EXPECT_FALSE(Sid::fromString("S-1-5-18")->isDomainSid(*Sid::fromString("S-1-5")));
  auto full = Sid::fromString("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15");
  ASSERT_TRUE(full);
  auto tooLong = full->withRid(1);
  ASSERT_FALSE(tooLong);
  EXPECT_THAT(tooLong.error().message, HasSubstr("15 sub-authorities"));
  EXPECT_EQ(Sid().toString(), "S-1-0");
  EXPECT_EQ(Sid().rid(), 0u);
}

TEST(Sid, EqualityHashAndOrder) {
  std::unordered_set<Sid> set{kSidEveryone, kSidSystem, kSidAdministrators, kSidEveryone};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.contains(*Sid::fromString("S-1-5-32-544")));
  EXPECT_NE(kSidAdministrators, kSidUsers);
  EXPECT_LT(kSidEveryone, kSidSystem);  // bytewise: authority 1 before 5
  EXPECT_NE(Sid::make(5, {32}), Sid::make(5, {32, 0}));
}

TEST(Sid, WellKnownNames) {
  auto dom = Sid::fromString("S-1-5-21-1-2-3");
  EXPECT_EQ(wellKnownSidName(kSidEveryone), "Everyone");
  EXPECT_EQ(wellKnownSidName(kSidAccountOperators), "Account Operators");
  EXPECT_EQ(wellKnownSidName(kSidPreWindows2000), "Pre-Windows 2000 Compatible Access");
  EXPECT_EQ(wellKnownSidName(*dom->withRid(512), &*dom), "Domain Admins");
  EXPECT_EQ(wellKnownSidName(*dom->withRid(512)), "");  // no domain given
  EXPECT_EQ(wellKnownSidName(*dom->withRid(1105), &*dom), "");
  EXPECT_EQ(wellKnownRidName(kRidEnterpriseKeyAdmins), "Enterprise Key Admins");
  EXPECT_EQ(wellKnownRidName(kRidKrbtgt), "krbtgt");
  EXPECT_EQ(kSidTerminalServerLicenseServers.toString(), "S-1-5-32-561");
  EXPECT_EQ(kSidWindowsAuthorizationAccess.toString(), "S-1-5-32-560");
}

// EXCHANGE.md section 2.1: GUID strings and their wire bytes.
TEST(Guid, WireOrderMatchesExchangeMd) {
  struct Case {
    const char* text;
    const char* wire;
  };
  for (const Case& c : {
           Case{"c975c901-6cea-4b6f-8319-d67f45449506",
                "01 c9 75 c9 ea 6c 6f 4b 83 19 d6 7f 45 44 95 06"},
           Case{"e8b2aff2-59a7-4eac-9a70-819adef701dd",
                "f2 af b2 e8 a7 59 ac 4e 9a 70 81 9a de f7 01 dd"},
           Case{"bf967aba-0de6-11d0-a285-00aa003049e2",
                "ba 7a 96 bf e6 0d d0 11 a2 85 00 aa 00 30 49 e2"},
           Case{"4828cc14-1437-45bc-9b07-ad6f015e5f28",
                "14 cc 28 48 37 14 bc 45 9b 07 ad 6f 01 5e 5f 28"},
       }) {
    auto g = Guid::fromString(c.text);
    ASSERT_TRUE(g) << c.text;
    const Bytes wire = hex(c.wire);
    EXPECT_EQ(Bytes(g->bytes().begin(), g->bytes().end()), wire) << c.text;
    auto fromWire = Guid::fromWire(std::span<const std::uint8_t>(wire));
    ASSERT_TRUE(fromWire);
    EXPECT_EQ(fromWire->toString(), c.text);
    EXPECT_EQ(*fromWire, *g);
  }
}

TEST(Guid, ParsesCaseAndBracesRejectsJunk) {
  auto upper = Guid::fromString("{C975C901-6CEA-4B6F-8319-D67F45449506}");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->toString(), "c975c901-6cea-4b6f-8319-d67f45449506");
  for (const char* bad :
       {"", "c975c901-6cea-4b6f-8319-d67f4544950", "c975c901-6cea-4b6f-8319-d67f454495066",
        "c975c9016cea-4b6f-8319-d67f454495066", "g975c901-6cea-4b6f-8319-d67f45449506",
        "{c975c901-6cea-4b6f-8319-d67f45449506", "c975c901 6cea 4b6f 8319 d67f45449506"}) {
    auto g = Guid::fromString(bad);
    EXPECT_FALSE(g) << bad;
    if (!g) {
      EXPECT_THAT(g.error().message, HasSubstr("invalid GUID"));
    }
  }
  auto shortWire = Guid::fromWire(std::span<const std::uint8_t>(hex("01 02 03")));
  ASSERT_FALSE(shortWire);
  EXPECT_THAT(shortWire.error().message, HasSubstr("got 3 bytes"));
  EXPECT_TRUE(Guid().isNil());
  EXPECT_EQ(Guid().toString(), "00000000-0000-0000-0000-000000000000");
  std::unordered_set<Guid> set{*Guid::parse(testing::kUserGuid), *Guid::parse(testing::kUserGuid),
                               *Guid::parse(testing::kEasDevicesGuid)};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace adcheck::security
