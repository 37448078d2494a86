// The rule catalogue comes from the rules' metadata; the README's table must be that output.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "rules/rule.h"

namespace adcheck::rules {

TEST(Catalogue, ReadmeTableIsGeneratedFromMetadata) {
  std::ifstream in(std::string(ADCHECK_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto begin = text.find("<!-- rules:begin -->\n");
  auto end = text.find("<!-- rules:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  begin += std::string("<!-- rules:begin -->\n").size();
  EXPECT_EQ(text.substr(begin, end - begin), catalogueMarkdown())
      << "regenerate the README table with: adcheck rules --format md";
}

TEST(Catalogue, IdsAreUniqueAndEveryRuleIsComplete) {
  std::set<std::string_view> ids;
  for (const auto* r : registry()) {
    EXPECT_TRUE(ids.insert(r->meta.id).second) << r->meta.id;
    EXPECT_FALSE(r->meta.title.empty()) << r->meta.id;
    EXPECT_FALSE(r->meta.rationale.empty()) << r->meta.id;
    EXPECT_FALSE(r->meta.remediation.empty()) << r->meta.id;
    EXPECT_FALSE(r->meta.references.empty()) << r->meta.id;
    EXPECT_TRUE(r->evaluateObject != nullptr || r->evaluateDomain != nullptr) << r->meta.id;
  }
  // SPEC section 3's ids (all but the endpoint probe).
  for (const char* id : {"EAS-DEVICE-RIGHTS-MISSING", "EAS-INHERITANCE-DISABLED", "EAS-PROTECTED-MAILBOX-USER",
                         "ADM-ORPHANED-ADMINCOUNT", "ADM-ADMINSDHOLDER-ACL", "ADM-SDPROP-EXCLUSIONS",
                         "MOB-BITMASK-INVALID", "MOB-DEVICES-WHILE-DISABLED", "MOB-STALE-DEVICE",
                         "MOB-ORPHAN-DEVICE-CONTAINER", "MOB-POLICY-NONPROVISIONABLE", "CRT-USER-CERT-EXPIRING",
                         "DLG-UNCONSTRAINED", "DLG-CONSTRAINED-HTTP"})
    EXPECT_NE(findRule(id), nullptr) << id;
}

TEST(Catalogue, JsonAndTextRenderEveryRule) {
  auto json = catalogueJson();
  auto text = catalogueText();
  for (const auto* r : registry()) {
    EXPECT_NE(json.find(std::string(r->meta.id)), std::string::npos);
    EXPECT_NE(text.find(std::string(r->meta.id)), std::string::npos);
  }
}

}  // namespace adcheck::rules
