// parseSddl (the schema's defaultSecurityDescriptor) and newObjectDescriptor (the DACL a new
// object would get, MS-ADTS 3.1.1.5.2.1), on hand-written descriptors: coverage predicts from
// them what a scan account could read below a user.
#include <gtest/gtest.h>

#include <optional>

#include "adcheck/security/access_check.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/inheritance.h"
#include "adcheck/security/sddl.h"

namespace adcheck::security {
namespace {

const Sid kDomain = *Sid::fromString("S-1-5-21-1-2-3");
const Sid kScanner = *Sid::fromString("S-1-5-21-1-2-3-1200");
const char* kDevices = "c975c901-6cea-4b6f-8319-d67f45449506";

SecurityDescriptor sddl(std::string_view text) {
  auto sd = parseSddl(text, kDomain);
  EXPECT_TRUE(sd) << text << ": " << (sd ? "" : sd.error().toString());
  return sd ? *sd : SecurityDescriptor{};
}

Ace makeAce(AceType type, std::uint8_t flags, std::uint32_t mask,
            std::optional<Guid> inherited_type = std::nullopt) {
  Ace a;
  a.type = type;
  a.flags = flags;
  a.mask = mask;
  a.inheritedObjectType = inherited_type;
  a.sid = kScanner;
  return a;
}

// Round trip through the wire form, as the scan reads descriptors.
struct Wire {
  std::vector<std::uint8_t> bytes;
  SecurityDescriptorView view;
  explicit Wire(const SecurityDescriptor& sd) : bytes(*sd.toBytes()) {
    view = *parseSecurityDescriptor(std::span<const std::uint8_t>(bytes));
  }
};

TEST(ParseSddl, ReadsTheSchemaDefaultsAdUses) {
  auto sd = sddl(
      "O:DAG:DUD:P(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;CI;RPLCLORC;;;AU)"
      "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)(OD;CIIO;RP;bf967a68-0de6-11d0-a285-"
      "00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1200)(A;;0x20094;;;BA)"
      "S:AI(AU;SA;WPWDWO;;;WD)");
  ASSERT_TRUE(sd.dacl);
  EXPECT_NE(sd.control & kSeDaclProtected, 0);
  ASSERT_EQ(sd.dacl->aces.size(), 5u);
  EXPECT_EQ(*sd.owner, *Sid::fromString("S-1-5-21-1-2-3-512"));
  EXPECT_EQ(*sd.group, *Sid::fromString("S-1-5-21-1-2-3-513"));
  EXPECT_EQ(sd.dacl->aces[0].mask, 0xF01FFu);
  EXPECT_EQ(sd.dacl->aces[1].flags, kAceContainerInherit);
  EXPECT_EQ(sd.dacl->aces[1].mask, 0x20094u);
  EXPECT_EQ(*sd.dacl->aces[1].sid, *Sid::fromString("S-1-5-11"));
  EXPECT_EQ(sd.dacl->aces[2].type, AceType::kAccessAllowedObject);
  EXPECT_EQ(*sd.dacl->aces[2].sid, *Sid::fromString("S-1-5-10"));
  EXPECT_EQ(sd.dacl->aces[3].type, AceType::kAccessDeniedObject);
  EXPECT_EQ(sd.dacl->aces[3].flags, kAceContainerInherit | kAceInheritOnly);
  EXPECT_EQ(sd.dacl->aces[3].objectType->toString(), "bf967a68-0de6-11d0-a285-00aa003049e2");
  EXPECT_EQ(sd.dacl->aces[3].inheritedObjectType->toString(),
            "bf967aba-0de6-11d0-a285-00aa003049e2");
  EXPECT_EQ(*sd.dacl->aces[3].sid, kScanner);
  EXPECT_EQ(sd.dacl->aces[4].mask, 0x20094u);
  EXPECT_FALSE(sd.sacl);  // never decides access: skipped
  // Renders back as Samba would.
  EXPECT_EQ(toSddl(sd, kDomain).substr(0, 52),
            "O:DAG:DUD:P(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;CI");
}

TEST(ParseSddl, RejectsWhatItCannotReadInsteadOfGuessing) {
  for (const char* bad : {"D:(A;;RPXX;;;AU)", "D:(A;;RP;;;ZZ)", "D:(XA;;RP;;;AU;(x))",
                          "D:(A;;RP;;AU)", "D:(A;;RP;;;AU", "Q:", "D:(A;;RP;nonsense;;AU)",
                          "D:(A;QQ;RP;;;AU)"}) {
    auto sd = parseSddl(bad, kDomain);
    EXPECT_FALSE(sd) << bad;
    if (!sd) {
      EXPECT_EQ(sd.error().code, ErrorCode::kParse) << bad;
    }
  }
}

TEST(NewObjectDescriptor, InheritsContainerAcesForTheClassOnly) {
  const Guid devices = *Guid::parse(kDevices);
  const Guid other = kGuidClassComputer;
  // The class default grants the scan account nothing; the parent (a user) hands down: a CI
  // grant for every class, a CI|IO grant for msExchActiveSyncDevices, one for another class,
  // an OI-only grant (leaf objects only) and a NP grant.
  auto def = sddl("D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)");
  Ace all = makeAce(AceType::kAccessAllowed, kAceContainerInherit, 0x4);
  Ace mine = makeAce(AceType::kAccessAllowedObject, kAceContainerInherit | kAceInheritOnly, 0x10,
                     devices);
  Ace theirs = mine;
  theirs.mask = 0x20000;
  theirs.inheritedObjectType = other;
  Ace leaf = makeAce(AceType::kAccessAllowed, kAceObjectInherit, 0x100);
  Ace np = makeAce(AceType::kAccessAllowed, kAceContainerInherit | kAceNoPropagateInherit, 0x80);
  Ace here = makeAce(AceType::kAccessAllowed, 0, 0x8);
  SecurityDescriptor parent;
  parent.dacl = Acl{4, {all, mine, theirs, leaf, np, here}};
  Wire p(parent);

  auto child = newObjectDescriptor(def, &p.view, devices);
  ASSERT_TRUE(child);
  Wire c(*child);
  const Token token{kScanner};
  // Effective on the new container: LC (all), RP (mine, class matches), LO (np).
  EXPECT_TRUE(checkAccess(c.view, token, 0x4 | 0x10 | 0x80, nullptr).isGranted());
  // Not effective: the other class's grant (0x20000), the OI-only one (0x100), the parent's own
  // non-inheritable ACE (0x8).
  EXPECT_FALSE(checkAccess(c.view, token, 0x20000, nullptr).isGranted());
  EXPECT_FALSE(checkAccess(c.view, token, 0x100, nullptr).isGranted());
  EXPECT_FALSE(checkAccess(c.view, token, 0x8, nullptr).isGranted());
  // Explicit default first, inherited after, marked inherited.
  ASSERT_EQ(child->dacl->aces.size(), 6u);  // default + all, mine, theirs (IO), leaf (IO), np
  EXPECT_EQ(child->dacl->aces[0].flags, 0);
  for (std::size_t i = 1; i < child->dacl->aces.size(); ++i)
    EXPECT_NE(child->dacl->aces[i].flags & kAceInherited, 0) << i;
  EXPECT_EQ(child->dacl->aces[5].flags, kAceInherited);  // NP: no further inheritance

  // One level further down (a device below the container): NP stopped there, the CI ones go on,
  // the OI-only one stays inherit-only (every AD object is a container).
  auto grandchild = newObjectDescriptor(def, &c.view, kGuidClassMsExchActiveSyncDevice);
  ASSERT_TRUE(grandchild);
  Wire g(*grandchild);
  EXPECT_TRUE(checkAccess(g.view, token, 0x4, nullptr).isGranted());
  EXPECT_FALSE(checkAccess(g.view, token, 0x80, nullptr).isGranted());
  EXPECT_FALSE(checkAccess(g.view, token, 0x10, nullptr).isGranted());  // mine was for devices
}

TEST(NewObjectDescriptor, AProtectedDefaultInheritsNothingAndANullParentDaclNeither) {
  const Guid devices = *Guid::parse(kDevices);
  Ace all = makeAce(AceType::kAccessAllowed, kAceContainerInherit, 0x14);
  SecurityDescriptor parent;
  parent.dacl = Acl{4, {all}};
  Wire p(parent);
  auto protected_def = sddl("D:P(A;;RPLC;;;DA)");
  auto child = newObjectDescriptor(protected_def, &p.view, devices);
  ASSERT_TRUE(child);
  Wire c(*child);
  EXPECT_FALSE(checkAccess(c.view, Token{kScanner}, 0x14, nullptr).isGranted());
  auto plain = newObjectDescriptor(sddl("D:(A;;RPLC;;;DA)"), nullptr, devices);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->dacl->aces.size(), 1u);
}

}  // namespace
}  // namespace adcheck::security
