// ACEs in words, GUID names, rights names.
#include "adcheck/security/describe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adcheck/security/access_mask.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using namespace testing;  // NOLINT: the builder helpers

std::string describeFirst(const Bytes& aceBytes, const GuidNames& names, const SidNameFn& fn) {
  const Bytes sd = daclOnly({aceBytes});
  auto v = parseSecurityDescriptor(sd);
  if (!v) return "ERROR " + v.error().message;
  return describeAce(*v->dacl()->begin(), names, fn);
}

SidNameFn exchangeNames() {
  return [](const Sid& s) -> std::string {
    if (s.rid() == 1103) return "Exchange Servers";
    return "";
  };
}

TEST(Describe, TheExampleOfTheBrief) {
  const Bytes ot = guid(kEasDevicesGuid);
  const Bytes iot = guid(kUserGuid);
  EXPECT_EQ(
      describeFirst(objectAce(0x05, 0x1A, 0x7, &ot, &iot, domainSid(1103)), GuidNames::builtIn(),
                    exchangeNames()),
      "Allow Exchange Servers: Create child, Delete child, List contents of "
      "msExchActiveSyncDevices; applies to descendant user objects (inherit-only, inherited)");
}

TEST(Describe, ScopesTrusteesAndObjectKinds) {
  const GuidNames& names = GuidNames::builtIn();
  const Bytes reset = guid("00299570-246d-11d0-a768-00aa006e0529");
  const Bytes member = guid("bf9679c0-0de6-11d0-a285-00aa003049e2");
  const Bytes publicInfo = guid("e48d0154-bcf8-11d1-8702-00c04fb96050");
  const Bytes mystery = guid("01234567-89ab-cdef-0123-456789abcdef");
  // Well-known trustee without a lookup function; explicit, this object only.
  EXPECT_EQ(describeFirst(ace(0x01, 0, 0xF01FF, sid(1, {0})), names, {}),
            "Deny Everyone: Full control; applies to this object only");
  // Unknown trustee: the SID string. Extended right by its name.
  EXPECT_EQ(
      describeFirst(objectAce(0x05, 0x02, 0x100, &reset, nullptr, domainSid(1200)), names,
                    exchangeNames()),
      "Allow S-1-5-21-1974516972-3116780949-2584384717-1200: Control access of extended right "
      "User-Force-Change-Password; applies to this object and descendant objects");
  // The same GUID names the attribute for Write property and the validated write for SW.
  EXPECT_EQ(
      describeFirst(objectAce(0x05, 0, 0x20, &member, nullptr, sid(5, {11})), names, {}),
      "Allow Authenticated Users: Write property of attribute member; applies to this object only");
  EXPECT_EQ(describeFirst(objectAce(0x05, 0, 0x8, &member, nullptr, sid(5, {10})), names, {}),
            "Allow SELF: Validated write of validated write Self-Membership; applies to this "
            "object only");
  EXPECT_EQ(
      describeFirst(objectAce(0x05, 0x06, 0x10, &publicInfo, nullptr, sid(5, {11})), names, {}),
      "Allow Authenticated Users: Read property of property set Public-Information; applies to "
      "this object and child objects");
  EXPECT_EQ(
      describeFirst(objectAce(0x06, 0x08, 0x1, &mystery, &mystery, sid(5, {11})), names, {}),
      "Deny Authenticated Users: Create child of object type 01234567-89ab-cdef-0123-456789abcdef; "
      "applies to nothing (inherit-only, but not inheritable) (inherit-only)");
  EXPECT_EQ(describeFirst(objectAce(0x05, 0x0A, 0x1, nullptr, &mystery, sid(5, {11})), names, {}),
            "Allow Authenticated Users: Create child; applies to descendant object type "
            "01234567-89ab-cdef-0123-456789abcdef objects (inherit-only)");
  EXPECT_EQ(describeFirst(ace(0x02, 0xC2, 0x20, sid(1, {0})), names, {}),
            "Audit Everyone: Write property; applies to this object and descendant objects "
            "(successful access, failed access)");
  EXPECT_EQ(
      describeFirst(ace(0x09, 0, 0x7, sid(1, {0})), names, {}),
      "Allow (conditional, condition not evaluated) Everyone: Create child, Delete child, List "
      "contents; applies to this object only");
  EXPECT_EQ(describeFirst(Bytes{0x04, 0, 8, 0, 7, 0, 0, 0}, names, {}),
            "Unknown ACE (ACCESS_ALLOWED_COMPOUND_ACE_TYPE, 8 bytes, not interpreted)");
}

TEST(Describe, RunTimeNamesOverrideBuiltIns) {
  GuidNames names;
  EXPECT_EQ(names.find(kGuidClassUser), nullptr);
  names.add(kGuidClassUser, "user", GuidKind::kClass);
  names.add(kGuidClassUser, "User", GuidKind::kClass);  // replaces
  names.add(kGuidClassUser, "userattr", GuidKind::kAttribute);
  EXPECT_EQ(names.size(), 2u);
  ASSERT_NE(names.find(kGuidClassUser), nullptr);
  EXPECT_EQ(names.find(kGuidClassUser)->name, "User");
  EXPECT_EQ(names.find(kGuidClassUser, GuidKind::kAttribute)->name, "userattr");
  EXPECT_EQ(names.find(kGuidClassUser, GuidKind::kExtendedRight), nullptr);
  EXPECT_EQ(guidKindName(GuidKind::kPropertySet), "property-set");
  const GuidNames& b = GuidNames::builtIn();
  EXPECT_GE(b.size(), 40u);
  EXPECT_EQ(b.find(kGuidClassMsExchActiveSyncDevices)->name, "msExchActiveSyncDevices");
  EXPECT_EQ(b.find(kGuidClassMsExchActiveSyncDevice)->name, "msExchActiveSyncDevice");
  EXPECT_EQ(b.find(kGuidClassInetOrgPerson)->name, "inetOrgPerson");
  EXPECT_EQ(b.find(kGuidAttrMsExchOmaAdminWirelessEnable)->kind, GuidKind::kAttribute);
  EXPECT_EQ(b.find(kGuidExtendedRightResetPassword)->name, "User-Force-Change-Password");
}

TEST(Describe, RightsInWords) {
  EXPECT_EQ(describeDsRights(0x7), "Create child, Delete child, List contents");
  EXPECT_EQ(describeDsRights(0xF01FF), "Full control");
  EXPECT_EQ(describeDsRights(kGenericAll), "Full control");
  EXPECT_EQ(describeDsRights(0x1F01FF), "Full control, Synchronize");
  EXPECT_EQ(describeDsRights(0x20094),
            "List contents, Read property, List object, Read permissions");
  EXPECT_EQ(describeDsRights(kGenericRead | kWriteDac), "Modify permissions, Generic read");
  EXPECT_EQ(describeDsRights(0x200), "0x00000200");
  EXPECT_EQ(describeDsRights(0), "no rights");
  EXPECT_EQ(rightName(kDsListChildren), "List contents");
  EXPECT_EQ(rightName(0x400), "");
}

}  // namespace
}  // namespace adcheck::security
