// Oracle test of the object-type-list access check (issue 14) against Samba's enforcement: the
// lab's 'access_oracle' groups (scenarios.json) grant or deny a standard user the right to add
// members in each way AD distinguishes. tests/lab/access_oracle.py makes the user try, over LDAP,
// to add itself and another user to each group (and restores membership); Samba's yes/no is the
// oracle. adcheck must give the same answers from the group's descriptor and the user's token:
//   add another user = Write Property granted on `member` in the tree
//                      group class > Membership property set > member (MS-ADTS 3.1.1.4.3,
//                      the set being member's attributeSecurityGUID in the lab's schema);
//   add oneself      = that, or the Self-Membership validated write (Self, 0x8) on the tree
//                      group class > bf9679c0 (MS-ADTS 3.1.1.5.3.1.1: the validated write's GUID
//                      is member's schemaIDGUID).
// The old question (checkAccess with member's GUID alone) is computed beside it, to show the
// cases it gets wrong. The test takes ctest's RESOURCE_LOCK lab_state (membership is modified
// and restored), like every integration test.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "adcheck/security/access_check.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/guid.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"
#include "adcheck/security/well_known.h"
#include "lab_oracle.h"

namespace adcheck::security {
namespace {

namespace fs = std::filesystem;
using oracle::fromBase64;
using oracle::labDir;
using oracle::parseJsonFile;
using oracle::runPython;

constexpr std::string_view kMembershipSet = "bc0ac240-79a9-11d0-9020-00c04fc2d4cf";
constexpr std::string_view kMemberAttribute = "bf9679c0-0de6-11d0-a285-00aa003049e2";

Guid guidOf(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  auto g = Guid::parse(o->getValue<std::string>(key));
  EXPECT_TRUE(g) << key << " is not a GUID: " << o->getValue<std::string>(key);
  return g.value_or(Guid{});
}

const char* yesNo(bool b) { return b ? "yes" : "no"; }

TEST(AccessOracle, TypeListCheckAgreesWithSambaOnGroupMembershipWrites) {
  fs::path dir;
  ASSERT_TRUE(labDir(dir));
  const fs::path script = fs::path(ADCHECK_SOURCE_DIR) / "tests/lab/access_oracle.py";
  const fs::path out = fs::path(ADCHECK_BINARY_DIR) / "access_oracle.json";
  fs::remove(out);
  std::string log;
  ASSERT_TRUE(runPython({script.string(), "--dir", dir.string(), "--out", out.string()}, log));
  std::printf("%s", log.c_str());
  auto root = parseJsonFile(out);

  // The tree comes from the lab's schema, as a scan would build it.
  auto schema = root->getObject("schema");
  const Guid groupClass = guidOf(schema, "group");
  const Guid member = guidOf(schema, "member");
  const Guid memberSet = guidOf(schema, "member_property_set");
  ASSERT_EQ(member, *Guid::parse(kMemberAttribute));
  ASSERT_EQ(memberSet, *Guid::parse(kMembershipSet)) << "member's attributeSecurityGUID";
  ObjectTypeList writeMember(groupClass);
  const std::size_t memberNode = writeMember.addProperty(member, &memberSet);
  ObjectTypeList selfMembership(groupClass);
  const std::size_t selfNode = selfMembership.addChild(member);  // the validated write

  // The actor's token as adcheck builds one: the user, its groups, Everyone, Authenticated Users.
  auto actor = root->getObject("actor");
  Token token;
  auto userSid = Sid::fromString(actor->getValue<std::string>("sid"));
  ASSERT_TRUE(userSid) << userSid.error().message;
  token.add(*userSid);
  auto groups = actor->getArray("token_groups");
  for (std::size_t i = 0; i < groups->size(); ++i) {
    auto s = Sid::fromString(groups->getElement<std::string>(static_cast<unsigned>(i)));
    ASSERT_TRUE(s) << s.error().message;
    token.add(*s);
  }
  token.add(kSidEveryone);
  token.add(kSidAuthenticatedUsers);

  auto cases = root->getArray("cases");
  ASSERT_GE(cases->size(), 20u) << "the manifest's access_oracle block is incomplete";
  std::size_t decisions = 0, agreeList = 0, agreeSingle = 0, sambaYes = 0;
  std::printf("\n%-16s %-12s %-12s %-12s  %s\n", "case", "Samba s/o", "adcheck s/o", "1-GUID s/o",
              "ACEs (first of the DACL)");
  for (std::size_t i = 0; i < cases->size(); ++i) {
    auto c = cases->getObject(static_cast<unsigned>(i));
    const std::string cn = c->getValue<std::string>("cn");
    SCOPED_TRACE(cn + ": " + c->getValue<std::string>("sddl"));
    const std::string raw = fromBase64(c->getValue<std::string>("sd_b64"));
    auto sd = parseSecurityDescriptor(raw);
    ASSERT_TRUE(sd) << sd.error().message;

    const TypeListAccess wp = checkAccessByTypeList(*sd, token, kDsWriteProperty, writeMember);
    const TypeListAccess sw = checkAccessByTypeList(*sd, token, kDsSelfWrite, selfMembership);
    EXPECT_EQ(wp.unevaluated() + sw.unevaluated(), 0u);
    const bool listOther = wp.isGranted(memberNode);
    const bool listSelf = listOther || sw.isGranted(selfNode);
    const bool oneOther = checkAccess(*sd, token, kDsWriteProperty, &member).isGranted();
    const bool oneSelf = oneOther || checkAccess(*sd, token, kDsSelfWrite, &member).isGranted();

    const bool sambaSelf = c->getValue<bool>("self");
    const bool sambaOther = c->getValue<bool>("other");
    EXPECT_EQ(listSelf, sambaSelf) << "adding oneself";
    EXPECT_EQ(listOther, sambaOther) << "adding another user";
    decisions += 2;
    sambaYes += (sambaSelf ? 1 : 0) + (sambaOther ? 1 : 0);
    agreeList += (listSelf == sambaSelf ? 1 : 0) + (listOther == sambaOther ? 1 : 0);
    agreeSingle += (oneSelf == sambaSelf ? 1 : 0) + (oneOther == sambaOther ? 1 : 0);

    std::string aces;
    auto list = c->getArray("aces");
    for (std::size_t k = 0; k < list->size(); ++k)
      aces += list->getElement<std::string>(static_cast<unsigned>(k));
    std::printf("%-16s %-3s / %-5s %-3s / %-5s %-3s / %-5s  %s\n", cn.c_str(), yesNo(sambaSelf),
                yesNo(sambaOther), yesNo(listSelf), yesNo(listOther), yesNo(oneSelf),
                yesNo(oneOther), aces.c_str());
  }
  std::printf(
      "\naccess oracle: %zu Samba decisions (%zu allowed); object-type list agrees on %zu, "
      "attribute GUID alone on %zu\n",
      decisions, sambaYes, agreeList, agreeSingle);
  ::testing::Test::RecordProperty("decisions", static_cast<int>(decisions));
  ::testing::Test::RecordProperty("agree_type_list", static_cast<int>(agreeList));
  ::testing::Test::RecordProperty("agree_single_guid", static_cast<int>(agreeSingle));
  EXPECT_EQ(agreeList, decisions);
  // The cases must tell the two questions apart, and Samba must have said both yes and no.
  EXPECT_LT(agreeSingle, decisions);
  EXPECT_GT(sambaYes, 0u);
  EXPECT_LT(sambaYes, decisions);
}

}  // namespace
}  // namespace adcheck::security
