// The rule catalogue comes from the rules' metadata; the README's table must be that output.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "rules/endpoint_rule.h"
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

TEST(Catalogue, ReadmeServiceAccountTableIsGeneratedFromTheDeclaredInputs) {
  std::ifstream in(std::string(ADCHECK_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto begin = text.find("<!-- service-account:begin -->\n");
  auto end = text.find("<!-- service-account:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  begin += std::string("<!-- service-account:begin -->\n").size();
  EXPECT_EQ(text.substr(begin, end - begin), serviceAccountMarkdown())
      << "regenerate it from rules::serviceAccountMarkdown()";
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

// Coverage (issue 14) rests on the declared inputs: a rule without them would always look
// "complete", whatever the scan account could read.
TEST(Catalogue, EveryDirectoryRuleDeclaresWellFormedInputs) {
  const std::set<std::string_view> kWhole = {"devices", "policies", "adminsdholder",
                                             "dsheuristics", "groups:member"};
  for (const auto* r : registry()) {
    EXPECT_FALSE(r->meta.inputs.empty()) << r->meta.id;
    std::set<std::string_view> seen;
    for (auto in : r->meta.inputs) {
      EXPECT_TRUE(seen.insert(in).second) << r->meta.id << " declares " << in << " twice";
      const bool attribute = in.starts_with("user:") && in.size() > 5;
      EXPECT_TRUE(attribute || kWhole.contains(in)) << r->meta.id << ": unknown input " << in;
    }
  }
  for (const auto* r : endpointRegistry()) EXPECT_TRUE(r->meta.inputs.empty()) << r->meta.id;
  EXPECT_EQ(findRule("MOB-STALE-DEVICE")->meta.inputs, std::vector<std::string_view>{"devices"});
}

TEST(Catalogue, JsonTextAndMarkdownRenderEveryRuleOfBothRegistries) {
  auto json = catalogueJson();
  auto text = catalogueText();
  auto md = catalogueMarkdown();
  std::vector<std::string> ids;
  for (const auto* r : registry()) ids.emplace_back(r->meta.id);
  for (const auto* r : endpointRegistry()) ids.emplace_back(r->meta.id);
  EXPECT_EQ(ids.size(), 20u);  // 14 directory rules + 6 endpoint rules
  for (const auto& id : ids) {
    EXPECT_NE(json.find(id), std::string::npos) << id;
    EXPECT_NE(text.find(id), std::string::npos) << id;
    EXPECT_NE(md.find("`" + id + "`"), std::string::npos) << id;
  }
}

}  // namespace adcheck::rules
