// Parsing self-relative security descriptors from hand-built bytes: every ACE type and flag,
// GUID placement, padding, the NULL/empty DACL distinction and every malformed-input case with
// the byte offset the error must name.
#include "adcheck/security/security_descriptor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adcheck/security/sddl.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the builder helpers

std::vector<AceView> aces(const AclView& acl) {
  std::vector<AceView> out;
  for (AceView a : acl) out.push_back(a);
  return out;
}

// EXCHANGE.md section 3.1, verbatim: the 72-byte ACE Exchange setup writes at the domain root.
const Bytes kExchangeAce =
    hex("05 0a 48 00 | 07 00 00 00 | 03 00 00 00 |"
        "01 c9 75 c9 ea 6c 6f 4b 83 19 d6 7f 45 44 95 06 |"
        "ba 7a 96 bf e6 0d d0 11 a2 85 00 aa 00 30 49 e2 |"
        "01 05 00 00 00 00 00 05 15 00 00 00 ec bc b0 75 95 4d c6 b9 cd 94 0a 9a d0 04 00 00");

TEST(SecurityDescriptor, ExchangeMdAceVector) {
  ASSERT_EQ(kExchangeAce.size(), 72u);
  const Bytes sd = daclOnly({kExchangeAce});
  auto v = parseSecurityDescriptor(sd);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_NE(v->dacl(), nullptr);
  auto list = aces(*v->dacl());
  ASSERT_EQ(list.size(), 1u);
  const AceView& a = list[0];
  EXPECT_EQ(a.type(), AceType::kAccessAllowedObject);
  EXPECT_EQ(a.flags(), kAceContainerInherit | kAceInheritOnly);
  EXPECT_EQ(a.size(), 72u);
  EXPECT_EQ(a.mask(), 7u);
  EXPECT_EQ(a.objectFlags(), 3u);
  EXPECT_TRUE(a.isObjectAce());
  EXPECT_TRUE(a.inheritOnly());
  EXPECT_FALSE(a.inherited());
  ASSERT_TRUE(a.objectType());
  EXPECT_EQ(a.objectType()->toString(), kEasDevicesGuid);
  ASSERT_TRUE(a.inheritedObjectType());
  EXPECT_EQ(a.inheritedObjectType()->toString(), kUserGuid);
  EXPECT_EQ(a.sid().toString(), "S-1-5-21-1974516972-3116780949-2584384717-1232");
  EXPECT_EQ(a.sid().rid(), 1232u);
  EXPECT_EQ(a.offset(), 28u);  // 20-byte header + 8-byte ACL header
  EXPECT_EQ(a.index(), 0u);
  EXPECT_TRUE(a.trailing().empty());
  EXPECT_EQ(Bytes(a.raw().begin(), a.raw().end()), kExchangeAce);
  EXPECT_EQ(aceToSddl(a, *Sid::fromString(kDomainSidText)),
            "OA;CIIO;CCDCLC;c975c901-6cea-4b6f-8319-d67f45449506;"
            "bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1974516972-3116780949-2584384717-1232");
}

// MS-DTYP 2.4.4.3: an absent GUID moves the next field up. Sizes as in LDP-DUMP: 56 for one
// GUID, 72 for two, 40 for none (with a 28-byte SID).
TEST(SecurityDescriptor, ObjectAceGuidPlacement) {
  const Bytes ot = guid(kEasDevicesGuid);
  const Bytes iot = guid(kUserGuid);
  const Bytes trustee = domainSid(1232);
  struct Case {
    const Bytes* ot;
    const Bytes* iot;
    std::size_t size;
  };
  for (const Case& c : {Case{nullptr, nullptr, 40}, Case{&ot, nullptr, 56}, Case{nullptr, &iot, 56},
                        Case{&ot, &iot, 72}}) {
    for (std::uint8_t type : {0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0F, 0x10}) {
      const Bytes a = objectAce(type, 0x12, 0x30, c.ot, c.iot, trustee);
      ASSERT_EQ(a.size(), c.size);
      const Bytes sd = daclOnly({a});
      auto v = parseSecurityDescriptor(sd);
      ASSERT_TRUE(v) << v.error().message;
      const AceView ace = *v->dacl()->begin();
      EXPECT_EQ(static_cast<int>(ace.type()), type);
      EXPECT_EQ(ace.hasObjectType(), c.ot != nullptr);
      EXPECT_EQ(ace.hasInheritedObjectType(), c.iot != nullptr);
      if (c.ot) {
        EXPECT_EQ(ace.objectType()->toString(), kEasDevicesGuid);
      }
      if (c.iot) {
        EXPECT_EQ(ace.inheritedObjectType()->toString(), kUserGuid);
      }
      EXPECT_EQ(ace.objectTypeBytes() != nullptr, c.ot != nullptr);
      EXPECT_EQ(ace.sid().toString(), "S-1-5-21-1974516972-3116780949-2584384717-1232");
      EXPECT_EQ(ace.mask(), 0x30u);
    }
  }
}

TEST(SecurityDescriptor, ReservedObjectFlagBitsAreKeptAndIgnored) {
  const Bytes ot = guid(kEasDeviceGuid);
  const Bytes sd = daclOnly({objectAce(0x05, 0, 0xB7, &ot, nullptr, sid(5, {11}), 0xFFFFFFF0)});
  auto v = parseSecurityDescriptor(sd);
  ASSERT_TRUE(v) << v.error().message;
  const AceView a = *v->dacl()->begin();
  EXPECT_EQ(a.objectFlags(), 0xFFFFFFF1u);
  EXPECT_EQ(a.objectType()->toString(), kEasDeviceGuid);
  EXPECT_FALSE(a.hasInheritedObjectType());
  EXPECT_EQ(a.sid().toSid(), kSidAuthenticatedUsers);
}

// Every ACE type 0..255 with a plain body and every flag byte: the known layouts expose their
// fields, everything else is kept raw and reported unknown; nothing is rejected or misread.
TEST(SecurityDescriptor, EveryAceTypeAndFlagByte) {
  const Bytes trustee = sid(5, {32, 544});
  for (int type = 0; type < 256; ++type) {
    for (int flags = 0; flags < 256; ++flags) {
      const auto t = static_cast<AceType>(type);
      Bytes a;
      if (aceLayout(t) == AceLayout::kObject) {
        a = objectAce(static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(flags), 0xF01FF,
                      nullptr, nullptr, trustee);
      } else {
        a = ace(static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(flags), 0xF01FF,
                trustee);
      }
      const Bytes sd = daclOnly({a, ace(0x00, 0, 0x4, sid(1, {0}))});
      auto v = parseSecurityDescriptor(sd);
      ASSERT_TRUE(v) << "type " << type << " flags " << flags << ": " << v.error().message;
      auto list = aces(*v->dacl());
      ASSERT_EQ(list.size(), 2u);
      const AceView& x = list[0];
      EXPECT_EQ(static_cast<int>(x.type()), type);
      EXPECT_EQ(x.flags(), flags);
      EXPECT_EQ(x.size(), a.size());
      EXPECT_EQ(x.mask(), 0xF01FFu);
      EXPECT_EQ(x.inheritOnly(), (flags & 0x08) != 0);
      EXPECT_EQ(x.inherited(), (flags & 0x10) != 0);
      EXPECT_EQ(Bytes(x.raw().begin(), x.raw().end()), a);
      if (x.isKnownLayout()) {
        EXPECT_EQ(x.sid().toSid(), kSidAdministrators) << type;
      } else {
        EXPECT_FALSE(x.hasSid()) << type;
        EXPECT_TRUE(x.trailing().empty());
      }
      // The walk went on by AceSize to the second ACE.
      EXPECT_EQ(list[1].sid().toSid(), kSidEveryone);
      EXPECT_EQ(list[1].offset(), 28u + a.size());
    }
  }
  EXPECT_EQ(aceLayout(AceType::kAccessAllowedCompound), AceLayout::kUnknown);
  EXPECT_EQ(aceLayout(static_cast<AceType>(0x14)), AceLayout::kUnknown);
  EXPECT_EQ(aceTypeName(static_cast<AceType>(0x2a)), "unknown ACE type 0x2a");
  EXPECT_EQ(aceTypeName(AceType::kAccessDeniedObject), "ACCESS_DENIED_OBJECT_ACE_TYPE");
}

TEST(SecurityDescriptor, PaddingAndApplicationDataAreWalkedOver) {
  Bytes callback = ace(0x09, 0, 0x7, sid(1, {0}));
  const Bytes appData = {'a', 'r', 't', 'x', 0x61, 0, 0, 0};  // conditional expression bytes
  append(callback, appData);
  callback[2] = static_cast<std::uint8_t>(callback.size());
  const Bytes sd =
      daclOnly({ace(0x00, 0, 0x10, sid(5, {11}), 12), callback, ace(0x01, 0, 0x20, sid(5, {18}))});
  auto v = parseSecurityDescriptor(sd);
  ASSERT_TRUE(v) << v.error().message;
  auto list = aces(*v->dacl());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].size(), 4u + 4 + 12 + 12);
  EXPECT_EQ(list[0].trailing().size(), 12u);
  EXPECT_TRUE(list[1].isCallback());
  EXPECT_EQ(Bytes(list[1].trailing().begin(), list[1].trailing().end()), appData);
  EXPECT_EQ(list[2].sid().toSid(), kSidSystem);
  EXPECT_EQ(list[2].index(), 2u);
}

TEST(SecurityDescriptor, OwnerGroupSaclAndControlFlags) {
  const std::uint16_t control = 0x8000 | kSeDaclPresent | kSeSaclPresent | kSeDaclProtected |
                                kSeDaclAutoInherited | kSeSaclAutoInherited | kSeDaclAutoInheritReq;
  const Bytes sd = descriptor(control, acl({ace(0, 0, 7, sid(5, {11}))}), domainSid(512),
                              sid(5, {32, 544}), acl({ace(0x02, 0x40, 0x20, sid(1, {0}))}));
  auto v = parseSecurityDescriptor(sd);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->revision(), 1);
  EXPECT_EQ(v->control(), control);
  EXPECT_TRUE(v->selfRelative());
  EXPECT_TRUE(v->daclPresent());
  EXPECT_TRUE(v->daclProtected());
  EXPECT_TRUE(v->daclAutoInherited());
  EXPECT_TRUE(v->daclAutoInheritRequired());
  EXPECT_FALSE(v->daclDefaulted());
  EXPECT_TRUE(v->saclPresent());
  EXPECT_FALSE(v->saclProtected());
  EXPECT_TRUE(v->saclAutoInherited());
  ASSERT_TRUE(v->owner());
  EXPECT_EQ(v->owner()->rid(), 512u);
  ASSERT_TRUE(v->group());
  EXPECT_EQ(v->group()->toSid(), kSidAdministrators);
  ASSERT_NE(v->sacl(), nullptr);
  EXPECT_EQ(v->sacl()->aceCount(), 1u);
  EXPECT_EQ(v->dacl()->revision(), 4);
  EXPECT_EQ(toSddl(*v, *Sid::fromString(kDomainSidText)),
            "O:DAG:BAD:PARAI(A;;CCDCLC;;;AU)S:AI(AU;SA;WP;;;WD)");
}

TEST(SecurityDescriptor, NullDaclEmptyDaclAndOmittedSacl) {
  // SE_DACL_PRESENT clear: no DACL at all.
  const Bytes noneBytes = descriptor(0x8000, {}, sid(5, {18}));
  auto none = parseSecurityDescriptor(noneBytes);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->dacl(), nullptr);
  EXPECT_FALSE(none->daclPresent());
  // A DACL with no ACEs: present and empty.
  const Bytes emptyBytes = descriptor(0x8004, acl({}));
  auto empty = parseSecurityDescriptor(emptyBytes);
  ASSERT_TRUE(empty) << empty.error().message;
  ASSERT_NE(empty->dacl(), nullptr);
  EXPECT_TRUE(empty->dacl()->empty());
  EXPECT_EQ(empty->dacl()->begin(), empty->dacl()->end());
  // SE_SACL_PRESENT with OffsetSacl 0: the DC left the SACL out.
  const Bytes omittedBytes = descriptor(0x8014, acl({}));
  auto omitted = parseSecurityDescriptor(omittedBytes);
  ASSERT_TRUE(omitted) << omitted.error().message;
  EXPECT_TRUE(omitted->saclPresent());
  EXPECT_EQ(omitted->sacl(), nullptr);
}

TEST(SecurityDescriptor, AclRevisionTwoIsAccepted) {
  const Bytes bytes = descriptor(0x8004, acl({ace(0, 0, 1, sid(5, {11}))}, 2));
  auto v = parseSecurityDescriptor(bytes);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->dacl()->revision(), 2);
}

// ---- Malformed input: each case names the byte offset ---------------------------------------

struct Malformed {
  const char* name;
  Bytes bytes;
  std::vector<const char*> expected;  // substrings of the message
};

void expectParseError(const Malformed& m) {
  auto v = parseSecurityDescriptor(m.bytes);
  ASSERT_FALSE(v) << m.name << " parsed";
  EXPECT_EQ(v.error().code, ErrorCode::kParse) << m.name;
  for (const char* s : m.expected) EXPECT_THAT(v.error().message, HasSubstr(s)) << m.name;
  EXPECT_THAT(v.error().message, HasSubstr("malformed security descriptor")) << m.name;
  EXPECT_FALSE(v.error().hint.empty()) << m.name;
}

Bytes withByte(Bytes b, std::size_t at, std::uint8_t v) {
  b.at(at) = v;
  return b;
}

Bytes with32(Bytes b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.at(at + i) = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

TEST(SecurityDescriptorMalformed, EachCaseNamesTheOffset) {
  // Reference: DACL at 20 with two ACEs: ACE 0 at 28 (20 bytes, SID S-1-5-11), ACE 1 at 48.
  const Bytes good = daclOnly({ace(0, 0, 7, sid(5, {11})), ace(1, 0, 7, sid(5, {18}))});
  ASSERT_TRUE(parseSecurityDescriptor(good));
  const std::vector<Malformed> cases = {
      {"empty", {}, {"0 bytes, shorter than the 20-byte header"}},
      {"truncated header", Bytes(good.begin(), good.begin() + 19), {"19 bytes", "offset 19"}},
      {"revision 2", withByte(good, 0, 2), {"revision 2 at offset 0"}},
      {"AceSize 0",
       withByte(withByte(good, 30, 0), 31, 0),
       {"ACE 0 of the DACL at offset 28", "AceSize is 0"}},
      {"AceSize not a multiple of 4",
       withByte(good, 50, 22),
       {"ACE 1 of the DACL at offset 48", "AceSize 22 is not a multiple of 4"}},
      {"AceSize past the ACL",
       withByte(good, 50, 24),
       {"ACE 1 of the DACL at offset 48", "AceSize 24 ends at offset 72", "ACL at offset 68"}},
      {"AceCount larger than the ACL",
       withByte(good, 24, 3),
       {"AceCount is 3", "ACE 2 would start at offset 68", "ACL ends at offset 68"}},
      {"AclSize past the end",
       withByte(good, 22, 60),
       {"AclSize 60 (at offset 22) ends at offset 80", "68-byte descriptor"}},
      {"AclSize below the header",
       withByte(good, 22, 4),
       {"AclSize 4 (at offset 22)", "8-byte ACL header"}},
      {"ACL revision 3", withByte(good, 20, 3), {"DACL at offset 20 has AclRevision 3"}},
      {"SID with 16 sub-authorities in an ACE",
       withByte(good, 37, 16),
       {"trustee SID at offset 36", "claims 16 sub-authorities (byte at offset 37)"}},
      {"SID revision in an ACE",
       withByte(good, 36, 2),
       {"trustee SID at offset 36 has revision 2"}},
      {"SID running out of its ACE",
       withByte(good, 37, 2),
       {"trustee SID at offset 36 with 2 sub-authorities would end at offset 52, past 48"}},
      {"DACL offset outside the blob",
       with32(good, 16, 500),
       {"OffsetDacl (at offset 16) is 500", "outside the 68-byte"}},
      {"DACL offset into the header",
       with32(good, 16, 8),
       {"OffsetDacl (at offset 16) is 8", "into the 20-byte header"}},
      {"DACL-present with offset 0",
       with32(good, 16, 0),
       {"SE_DACL_PRESENT is set but OffsetDacl (at offset 16) is 0", "not read as a NULL DACL"}},
      {"DACL offset without DP",
       withByte(good, 2, 0x00),
       {"OffsetDacl (at offset 16) is 20 but SE_DACL_PRESENT is clear"}},
      {"SACL offset without SP",
       with32(good, 12, 20),
       {"OffsetSacl (at offset 12) is 20 but SE_SACL_PRESENT is clear"}},
      {"ACL header past the end",
       with32(withByte(good, 2, 0x14), 12, 64),
       {"SACL header at offset 64 is truncated"}},
      {"owner offset outside", with32(good, 4, 68), {"OffsetOwner (at offset 4) is 68", "outside"}},
      {"owner offset into header",
       with32(good, 4, 4),
       {"OffsetOwner (at offset 4) is 4", "header"}},
      {"owner SID truncated", with32(good, 4, 64), {"owner SID at offset 64 is truncated"}},
      {"group SID bad", with32(good, 8, 28), {"group SID at offset 28 has revision 0"}},
  };
  for (const auto& m : cases) expectParseError(m);
}

TEST(SecurityDescriptorMalformed, ObjectAceTooShortForItsGuids) {
  const Bytes ot = guid(kEasDevicesGuid);
  Bytes a = objectAce(0x05, 0, 7, &ot, nullptr, sid(5, {11}));  // 40 bytes
  Bytes sd = daclOnly({a});
  // Claim both GUIDs: they would run to 12+32 = 44 bytes into a 40-byte ACE.
  sd[28 + 8] = 3;
  expectParseError({"object flags",
                    sd,
                    {"ACE 0 of the DACL at offset 28", "object flags 0x3",
                     "past the end of the ACE at offset 68"}});
  // An object ACE of 8 bytes has no room for its Flags field.
  Bytes tiny = {0x05, 0, 8, 0, 7, 0, 0, 0};
  expectParseError({"tiny object ACE",
                    daclOnly({tiny}),
                    {"ACE 0 of the DACL at offset 28 (ACCESS_ALLOWED_OBJECT_ACE_TYPE)",
                     "too small for the mask and object flags"}});
  // A basic ACE of 8 bytes has no room for its SID.
  Bytes basic = {0x00, 0, 8, 0, 7, 0, 0, 0};
  expectParseError(
      {"tiny basic ACE", daclOnly({basic}), {"trustee SID at offset 36 is truncated", "past 36"}});
  // Unknown types of 4 bytes are fine: nothing is interpreted.
  const Bytes unknown = daclOnly({Bytes{0x42, 0, 4, 0}});
  auto ok = parseSecurityDescriptor(unknown);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->dacl()->begin()->mask(), 0u);
}

// Every prefix of a real-looking descriptor fails cleanly (the DACL sits at the end), and every
// single-byte corruption either parses or fails with kParse: never a crash (ASan/UBSan builds
// check the "never reads out of bounds" part).
TEST(SecurityDescriptorMalformed, PrefixesAndCorruptions) {
  const Bytes ot = guid(kEasDevicesGuid);
  const Bytes iot = guid(kUserGuid);
  const Bytes good =
      descriptor(0x9C14,
                 acl({kExchangeAce, objectAce(0x06, 0x12, 0x7, &ot, &iot, domainSid(1103)),
                      ace(0, 0x12, 0xF01FF, sid(5, {32, 544}))}),
                 domainSid(512), domainSid(513), acl({ace(0x02, 0xC2, 0x20, sid(1, {0}))}));
  ASSERT_TRUE(parseSecurityDescriptor(good));
  for (std::size_t len = 0; len < good.size(); ++len) {
    auto v = parseSecurityDescriptor(std::span<const std::uint8_t>(good.data(), len));
    EXPECT_FALSE(v) << "prefix of " << len << " bytes parsed";
  }
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (int value : {0x00, 0x01, 0x03, 0x0F, 0x10, 0x7F, 0x80, 0xFF}) {
      Bytes b = good;
      b[at] = static_cast<std::uint8_t>(value);
      auto v = parseSecurityDescriptor(b);
      if (!v) {
        EXPECT_EQ(v.error().code, ErrorCode::kParse);
        continue;
      }
      // Whatever parsed can be walked, rendered and materialised.
      (void)toSddl(*v, *Sid::fromString(kDomainSidText));
      (void)SecurityDescriptor::fromView(*v);
    }
  }
}

// ---- Owning form ------------------------------------------------------------------------------

TEST(SecurityDescriptorOwning, MaterialiseAndWriteBack) {
  const Bytes ot = guid(kEasDevicesGuid);
  Bytes unknown = {0x04, 0x02, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  Bytes callback = ace(0x0A, 0, 0x2, sid(1, {0}));
  append(callback, Bytes{'a', 'r', 't', 'x'});
  callback[2] = static_cast<std::uint8_t>(callback.size());
  const Bytes dacl = acl({kExchangeAce, objectAce(0x06, 0x02, 0x7, &ot, nullptr, domainSid(1103)),
                          unknown, callback, ace(0, 0x12, 0xF01FF, sid(5, {32, 544}), 8)});
  const Bytes sacl = acl({ace(0x02, 0x40, 0x20, sid(1, {0}))});
  // Windows order: SACL, DACL, owner, group; then toBytes() reproduces it exactly.
  Bytes header{1, 0};
  put16(header, 0x9C14);
  const auto saclOff = 20u;
  const auto daclOff = static_cast<std::uint32_t>(saclOff + sacl.size());
  const auto ownerOff = static_cast<std::uint32_t>(daclOff + dacl.size());
  const Bytes owner = domainSid(512);
  const auto groupOff = static_cast<std::uint32_t>(ownerOff + owner.size());
  put32(header, ownerOff);
  put32(header, groupOff);
  put32(header, saclOff);
  put32(header, daclOff);
  Bytes blob = header;
  append(blob, sacl);
  append(blob, dacl);
  append(blob, owner);
  append(blob, domainSid(513));
  auto v = parseSecurityDescriptor(blob);
  ASSERT_TRUE(v) << v.error().message;
  const SecurityDescriptor sd = SecurityDescriptor::fromView(*v);
  ASSERT_TRUE(sd.dacl);
  ASSERT_EQ(sd.dacl->aces.size(), 5u);
  EXPECT_EQ(sd.dacl->aces[2].type, AceType::kAccessAllowedCompound);
  EXPECT_FALSE(sd.dacl->aces[2].sid);
  EXPECT_EQ(sd.dacl->aces[2].body, (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(sd.dacl->aces[3].trailing, (Bytes{'a', 'r', 't', 'x'}));
  EXPECT_EQ(sd.dacl->aces[4].trailing, Bytes(8, 0));
  EXPECT_EQ(sd.owner->rid(), 512u);
  auto bytes = sd.toBytes();
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(*bytes, blob);
  const Sid dom = *Sid::fromString(kDomainSidText);
  EXPECT_EQ(toSddl(sd, dom), toSddl(*v, dom));
}

TEST(SecurityDescriptorOwning, HandBuiltDescriptorSerialises) {
  SecurityDescriptor sd;
  sd.control = kSeSelfRelative | kSeDaclProtected | kSeDaclPresent;
  sd.owner = kSidAdministrators;
  Acl dacl;
  Ace allow;
  allow.type = AceType::kAccessAllowedObject;
  allow.flags = kAceContainerInherit;
  allow.mask = 0x7;
  allow.objectFlags = kAceObjectTypePresent;
  allow.objectType = *Guid::parse(kEasDevicesGuid);
  allow.sid = kSidAuthenticatedUsers;
  dacl.aces.push_back(allow);
  sd.dacl = dacl;
  auto bytes = sd.toBytes();
  ASSERT_TRUE(bytes);
  auto v = parseSecurityDescriptor(*bytes);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->daclPresent());
  EXPECT_TRUE(v->daclProtected());
  EXPECT_EQ(toSddl(*v, kSidEveryone),
            "O:BAD:P(OA;CI;CCDCLC;c975c901-6cea-4b6f-8319-d67f45449506;;AU)");
  EXPECT_EQ(SecurityDescriptor::fromView(*v), sd);

  Ace broken;  // known layout without a SID cannot be written
  sd.dacl->aces.push_back(broken);
  auto bad = sd.toBytes();
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("DACL: ACE 1 (ACCESS_ALLOWED_ACE_TYPE) has no SID"));
}

}  // namespace
}  // namespace adcheck::security
