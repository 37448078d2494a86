// SDDL rendering: byte-for-byte equal to Samba's as_sddl() on the descriptors of
// data/samba_sddl_cases.json (generated once by data/gen_sddl_cases.py with Debian's
// python3-samba), plus adcheck's own rendering where Samba 4.17 cannot render.
#include "adcheck/security/sddl.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/well_known.h"
#include "sd_builder.h"

namespace adcheck::security {
namespace {

using namespace testing;  // NOLINT: the builder helpers

const Sid& dom() {
  static const Sid s = *Sid::fromString(kDomainSidText);
  return s;
}

std::string render(const Bytes& b) {
  auto v = parseSecurityDescriptor(b);
  if (!v) return "ERROR: " + v.error().message;
  return toSddl(*v, dom());
}

TEST(Sddl, MatchesSambaOnGeneratedCases) {
  const std::string path =
      std::string(ADCHECK_SOURCE_DIR) + "/tests/unit/security/data/samba_sddl_cases.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  Poco::JSON::Parser parser;
  auto root = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
  auto domain = Sid::fromString(root->getValue<std::string>("domain_sid"));
  ASSERT_TRUE(domain);
  auto cases = root->getArray("cases");
  ASSERT_GT(cases->size(), 1000u) << "the data file lost its cases";
  std::size_t checked = 0;
  std::size_t withAces = 0;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    auto c = cases->getObject(static_cast<unsigned>(i));
    const std::string name = c->getValue<std::string>("name");
    const Bytes bytes = hex(c->getValue<std::string>("hex"));
    const std::string expected = c->getValue<std::string>("sddl");
    auto v = parseSecurityDescriptor(bytes);
    ASSERT_TRUE(v) << name << ": " << v.error().message;
    EXPECT_EQ(toSddl(*v, *domain), expected) << name;
    // The owning form renders the same, and survives a write-back.
    const SecurityDescriptor sd = SecurityDescriptor::fromView(*v);
    EXPECT_EQ(toSddl(sd, *domain), expected) << name;
    auto again = sd.toBytes();
    ASSERT_TRUE(again) << name;
    auto v2 = parseSecurityDescriptor(*again);
    ASSERT_TRUE(v2) << name << ": " << v2.error().message;
    EXPECT_EQ(toSddl(*v2, *domain), expected) << name;
    if (v->dacl() != nullptr && !v->dacl()->empty()) ++withAces;
    ++checked;
  }
  EXPECT_EQ(checked, cases->size());
  EXPECT_GT(withAces, 500u);
}

TEST(Sddl, RightsAsSambaWritesThem) {
  EXPECT_EQ(rightsToSddl(0x7), "CCDCLC");
  EXPECT_EQ(rightsToSddl(0xF01FF), "RPWPCRCCDCLCLORCWOWDSDDTSW");
  EXPECT_EQ(rightsToSddl(0x10000000), "GA");
  EXPECT_EQ(rightsToSddl(0x10000001), "CCGA");
  EXPECT_EQ(rightsToSddl(0xF0000000), "GAGRGWGX");
  EXPECT_EQ(rightsToSddl(0x20094), "RPLCLORC");
  EXPECT_EQ(rightsToSddl(0x1F01FF), "0x001f01ff");  // SYNCHRONIZE has no letters in Samba 4.17
  EXPECT_EQ(rightsToSddl(0x200), "0x00000200");
  EXPECT_EQ(rightsToSddl(0), "");
  EXPECT_EQ(rightsToSddl(0xFFFFFFFF), "0xffffffff");
}

TEST(Sddl, SidAliases) {
  EXPECT_EQ(sidToSddl(*dom().withRid(512), dom()), "DA");
  EXPECT_EQ(sidToSddl(*dom().withRid(519), dom()), "EA");
  EXPECT_EQ(sidToSddl(*dom().withRid(498), dom()), "RO");
  EXPECT_EQ(sidToSddl(*dom().withRid(500), dom()), "LA");
  EXPECT_EQ(sidToSddl(*dom().withRid(1232), dom()), std::string(kDomainSidText) + "-1232");
  EXPECT_EQ(sidToSddl(kSidSystem, dom()), "SY");
  EXPECT_EQ(sidToSddl(kSidSelf, dom()), "PS");
  EXPECT_EQ(sidToSddl(kSidEnterpriseDomainControllers, dom()), "ED");
  EXPECT_EQ(sidToSddl(kSidPreWindows2000, dom()), "RU");
  EXPECT_EQ(sidToSddl(kSidWindowsAuthorizationAccess, dom()), "S-1-5-32-560");  // no alias
  EXPECT_EQ(sidToSddl(*Sid::fromString("S-1-5-21-9-9-9-512"), dom()), "S-1-5-21-9-9-9-512");
}

// Where Samba 4.17 crashes or writes nonsense, adcheck writes something explicit.
TEST(Sddl, TypesSambaCannotRender) {
  Bytes callback = ace(0x09, 0x02, 0x7, sid(1, {0}));
  append(callback, Bytes{0x61, 0x72, 0x74, 0x78});
  callback[2] = static_cast<std::uint8_t>(callback.size());
  EXPECT_EQ(render(daclOnly({callback}, 0)), "D:(XA;CI;CCDCLC;;;WD;0x61727478)");
  EXPECT_EQ(render(daclOnly({ace(0x0A, 0, 0x20, domainSid(512))}, 0)), "D:(XD;;WP;;;DA)");
  const Bytes ot = guid(kEasDevicesGuid);
  EXPECT_EQ(render(daclOnly({objectAce(0x0B, 0, 0x1, &ot, nullptr, sid(5, {11}))}, 0)),
            "D:(ZA;;CC;c975c901-6cea-4b6f-8319-d67f45449506;;AU)");
  EXPECT_EQ(render(daclOnly({objectAce(0x0C, 0, 0x1, nullptr, &ot, sid(5, {11}))}, 0)),
            "D:(0x0c;;CC;;c975c901-6cea-4b6f-8319-d67f45449506;AU)");
  EXPECT_EQ(render(daclOnly({ace(0x11, 0, 0x1, sid(16, {12288}))}, 0)), "D:(ML;;CC;;;HI)");
  EXPECT_EQ(render(daclOnly({Bytes{0x04, 0x10, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8}}, 0)),
            "D:(0x04;ID;;;;;0x0102030405060708)");
  EXPECT_EQ(render(daclOnly({Bytes{0x99, 0x00, 4, 0}}, 0)), "D:(0x99;;;;;;)");
  EXPECT_EQ(render(daclOnly({ace(0x00, 0x22, 0x7, sid(5, {11}))}, 0)), "D:(A;CI0x20;CCDCLC;;;AU)");
}

TEST(Sddl, PartsAppearOnlyWhenPresent) {
  EXPECT_EQ(render(descriptor(0x8000, {})), "");
  EXPECT_EQ(render(descriptor(0x8000, {}, sid(5, {18}))), "O:SY");
  EXPECT_EQ(render(descriptor(0x8004, acl({}))), "D:");
  EXPECT_EQ(render(descriptor(0x9404, acl({}))), "D:PAI");
  EXPECT_EQ(render(descriptor(0x8014, acl({}))), "D:");  // SP without a SACL: no S:
  EXPECT_EQ(render(descriptor(0xBC14, acl({}), {}, {}, acl({}))), "D:PAIS:PAI");
  EXPECT_EQ(render(descriptor(0x8104, acl({}))), "D:AR");
}

}  // namespace
}  // namespace adcheck::security
