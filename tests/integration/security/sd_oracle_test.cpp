// Oracle tests against the lab (a real Samba AD DC):
// - every object's nTSecurityDescriptor, as the DC sends it, parses and renders to exactly the
//   SDDL Samba's own python3-samba renders for the same bytes (tests/lab/sd_oracle.py dumps both);
// - the built-in GUID names (GuidNames::builtIn) match the lab's schema and extended rights
//   (schema_guids.py beside this file dumps them).
// The lab comes from the ctest fixture `lab` (ADCHECK_LAB_DIR); without it these tests fail and
// say so.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "adcheck/security/access_check.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/sddl.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/well_known.h"
#include "lab_oracle.h"

namespace adcheck::security {
namespace {

namespace fs = std::filesystem;
using oracle::fromBase64;
using oracle::labDir;
using oracle::parseJsonFile;
using oracle::runPython;

// The first of these string members that is present (the oracle's field names).
std::string member(const Poco::JSON::Object::Ptr& o, std::initializer_list<const char*> names,
                   const char** which = nullptr) {
  for (const char* n : names) {
    if (o->has(n) && !o->isNull(n)) {
      if (which != nullptr) *which = n;
      return o->getValue<std::string>(n);
    }
  }
  if (which != nullptr) *which = nullptr;
  return {};
}

std::string fromHex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(SdOracle, EveryLabObjectParsesAndRendersLikeSamba) {
  fs::path dir;
  ASSERT_TRUE(labDir(dir));
  const fs::path script = fs::path(ADCHECK_SOURCE_DIR) / "tests/lab/sd_oracle.py";
  ASSERT_TRUE(fs::exists(script)) << script << " is missing (it dumps the lab's descriptors)";
  const fs::path out = fs::path(ADCHECK_BINARY_DIR) / "sd_oracle.json";
  fs::remove(out);
  std::string log;
  ASSERT_TRUE(runPython({script.string(), "--dir", dir.string(), "--out", out.string()}, log));
  ASSERT_TRUE(fs::exists(out)) << "sd_oracle.py wrote no " << out << ":\n" << log;

  auto root = parseJsonFile(out);
  std::string domainText = member(root, {"domain_sid", "domainSid"});
  if (domainText.empty())
    domainText = parseJsonFile(dir / "lab.json")->getValue<std::string>("domain_sid");
  auto domain = Sid::fromString(domainText);
  ASSERT_TRUE(domain) << domain.error().message;
  Poco::JSON::Array::Ptr objects = root->getArray("objects");
  ASSERT_FALSE(objects.isNull()) << out << " has no \"objects\" array";
  if (root->has("count")) {
    EXPECT_EQ(root->getValue<std::size_t>("count"), objects->size()) << "count vs objects";
  }

  const Token exchange{*domain->withRid(1103), kSidEveryone, kSidAuthenticatedUsers};
  std::size_t checked = 0;
  std::size_t withDacl = 0;
  std::size_t failures = 0;
  std::size_t aces = 0;
  for (std::size_t i = 0; i < objects->size(); ++i) {
    auto o = objects->getObject(static_cast<unsigned>(i));
    const std::string dn = member(o, {"dn"});
    const char* field = nullptr;
    std::string raw = member(o, {"sd_b64", "sd_base64", "base64", "nTSecurityDescriptor"}, &field);
    if (field != nullptr) {
      raw = fromBase64(raw);
    } else {
      raw = fromHex(member(o, {"sd_hex", "hex"}, &field));
    }
    ASSERT_NE(field, nullptr) << dn << ": no descriptor bytes in the oracle entry";
    const std::string expected = member(o, {"sddl", "samba_sddl"});
    ++checked;
    if (expected.empty()) {
      // sd_oracle.py writes null when Samba itself cannot parse what its DC sent.
      ADD_FAILURE() << dn << ": the oracle has no Samba SDDL for this object (Samba could not "
                    << "parse it; see sd_oracle.py's output)";
      if (++failures > 20) break;
      continue;
    }
    auto v = parseSecurityDescriptor(raw);
    if (!v) {
      ADD_FAILURE() << dn << ": " << v.error().message;
      if (++failures > 20) break;
      continue;
    }
    const std::string ours = toSddl(*v, *domain);
    if (ours != expected) {
      ADD_FAILURE() << dn << "\n  adcheck: " << ours << "\n  samba:   " << expected;
      if (++failures > 20) break;
    }
    // Whatever the DC sends also goes through materialisation and the access check.
    EXPECT_EQ(toSddl(SecurityDescriptor::fromView(*v), *domain), expected) << dn;
    auto r = checkAccess(*v, exchange, kDsCreateChild | kDsDeleteChild | kDsListChildren,
                         &kGuidClassMsExchActiveSyncDevices);
    EXPECT_EQ(r.granted & r.denied, 0u) << dn;
    if (v->dacl() != nullptr) {
      ++withDacl;
      aces += v->dacl()->aceCount();
    }
  }
  std::printf(
      "sd oracle: %zu objects from the lab compared with Samba's SDDL, %zu with a DACL, "
      "%zu DACL ACEs, %zu failures\n",
      checked, withDacl, aces, failures);
  ::testing::Test::RecordProperty("objects", static_cast<int>(checked));
  EXPECT_EQ(failures, 0u);
  // Not a sample: the whole lab. A few hundred objects at the very least.
  EXPECT_GT(checked, 300u) << "the oracle dumped too few objects to mean anything";
  EXPECT_GT(withDacl, 300u);
}

TEST(SdOracle, BuiltInGuidNamesMatchTheLabSchema) {
  fs::path dir;
  ASSERT_TRUE(labDir(dir));
  const fs::path script =
      fs::path(ADCHECK_SOURCE_DIR) / "tests/integration/security/schema_guids.py";
  const fs::path out = fs::path(ADCHECK_BINARY_DIR) / "schema_guids.json";
  fs::remove(out);
  std::string log;
  ASSERT_TRUE(runPython({script.string(), "--dir", dir.string(), "--out", out.string()}, log));
  auto root = parseJsonFile(out);
  auto names = root->getObject("names");
  ASSERT_FALSE(names.isNull());
  ASSERT_GT(names->size(), 1000u) << "schema_guids.py found too few schema objects";

  // Every built-in entry: same GUID, same name, same kind in the lab.
  std::size_t verified = 0;
  for (const auto& [guidText, value] : *names) {
    (void)value;
    auto guid = Guid::fromString(guidText);
    ASSERT_TRUE(guid) << guidText;
  }
  const GuidNames& builtIn = GuidNames::builtIn();
  const std::vector<std::pair<Guid, GuidKind>> kinds = {
      {kGuidClassUser, GuidKind::kClass},
      {kGuidClassMsExchActiveSyncDevices, GuidKind::kClass},
      {kGuidClassMsExchActiveSyncDevice, GuidKind::kClass},
      {kGuidAttrMsExchOmaAdminWirelessEnable, GuidKind::kAttribute},
      {kGuidPropertySetPublicInformation, GuidKind::kPropertySet},
      {kGuidExtendedRightResetPassword, GuidKind::kExtendedRight},
  };
  for (const auto& [guid, kind] : kinds) ASSERT_NE(builtIn.find(guid, kind), nullptr);
  // Walk the lab's names and check each built-in entry against them.
  for (const auto& [guidText, value] : *names) {
    auto guid = *Guid::fromString(guidText);
    auto list = value.extract<Poco::JSON::Array::Ptr>();
    for (GuidKind kind : {GuidKind::kClass, GuidKind::kAttribute, GuidKind::kPropertySet,
                          GuidKind::kExtendedRight, GuidKind::kValidatedWrite}) {
      const GuidNames::Entry* e = builtIn.find(guid, kind);
      if (e == nullptr) continue;
      bool found = false;
      for (std::size_t i = 0; i < list->size(); ++i) {
        auto pair = list->getArray(static_cast<unsigned>(i));
        if (pair->getElement<std::string>(0) == e->name &&
            pair->getElement<std::string>(1) == guidKindName(kind))
          found = true;
      }
      EXPECT_TRUE(found) << "built-in " << guidKindName(kind) << " " << e->name << " " << guidText
                         << " is not in the lab's schema / extended rights under that name";
      ++verified;
    }
  }
  std::printf("guid names: %zu built-in entries verified against the lab, of %zu\n", verified,
              builtIn.size());
  EXPECT_EQ(verified, builtIn.size()) << "some built-in GUIDs are absent from the lab";
}

}  // namespace
}  // namespace adcheck::security
