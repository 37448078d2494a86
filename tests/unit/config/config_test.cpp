#include "adcheck/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using adcheck::config::parseConfig;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kExample = std::string(ADCHECK_SOURCE_DIR) + "/adcheck/adcheck.example.ini";

}  // namespace

TEST(Config, ExampleFileIsValid) {
  auto c = parseConfig(readFile(kExample), "example");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->directory.uris.size(), 2u);
  EXPECT_EQ(c->directory.bind, adcheck::config::BindMode::kSimple);
  EXPECT_EQ(c->exchange.server_groups,
            (std::vector<std::string>{"Exchange Servers", "Exchange Trusted Subsystem"}));
  EXPECT_EQ(c->schedule.interval.count(), 6 * 3600);
}

TEST(Config, ExampleDocumentsExactlyTheKnownKeys) {
  std::set<std::string> documented;
  std::string section;
  std::istringstream in(readFile(kExample));
  std::regex sec(R"(^\[(\w+)\]\s*$)"), key(R"(^(\w+)\s*=)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, sec)) section = m[1];
    else if (std::regex_search(line, m, key)) documented.insert(section + "." + m[1].str());
  }
  auto known = adcheck::config::knownKeys();
  EXPECT_EQ(documented, std::set<std::string>(known.begin(), known.end()));
}

TEST(Config, TypoInKeyIsAnErrorNamingKeyAndValidKeys) {
  auto c = parseConfig("[directory]\nuri = ldaps://dc\nbind = gssapi\npage_sise = 10\n", "t.ini");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown key 'page_sise'"), std::string::npos);
  EXPECT_NE(c.error().message.find("page_size"), std::string::npos);
  EXPECT_NE(c.error().message.find("t.ini"), std::string::npos);
}

TEST(Config, UnknownSectionIsAnError) {
  auto c = parseConfig("[directroy]\nuri = ldaps://dc\n", "t.ini");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown section [directroy]"), std::string::npos);
}

TEST(Config, BadValuesNameKeyValueAndWhatIsValid) {
  auto c = parseConfig(
      "[directory]\nuri = http://dc\nbind = kerberos\npage_size = -3\ntls_verify = maybe\n"
      "[schedule]\ninterval = 6x\n",
      "t.ini");
  ASSERT_FALSE(c);
  const auto& m = c.error().message;
  EXPECT_NE(m.find("5 problems"), std::string::npos) << m;
  EXPECT_NE(m.find("uri = 'http://dc' is not valid"), std::string::npos) << m;
  EXPECT_NE(m.find("bind = 'kerberos' is not valid: expected simple, gssapi or external"),
            std::string::npos) << m;
  EXPECT_NE(m.find("page_size = '-3'"), std::string::npos) << m;
  EXPECT_NE(m.find("true or false"), std::string::npos) << m;
  EXPECT_NE(m.find("interval = '6x'"), std::string::npos) << m;
}

TEST(Config, SimpleBindOverPlainLdapIsRefused) {
  auto c = parseConfig("[directory]\nuri = ldap://dc\nbind = simple\nuser = u@x\n", "t.ini");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("clear text"), std::string::npos);
  auto ok = parseConfig("[directory]\nuri = ldap://dc\nbind = simple\nuser = u@x\nstarttls = true\n",
                        "t.ini");
  EXPECT_TRUE(ok) << ok.error().toString();
}

TEST(Config, MissingFileSaysWhichPath) {
  auto c = adcheck::config::loadConfig("/nonexistent/adcheck.ini");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/adcheck.ini"), std::string::npos);
}

TEST(Config, Durations) {
  EXPECT_EQ(adcheck::config::parseDuration("30m")->count(), 1800);
  EXPECT_EQ(adcheck::config::parseDuration("1d")->count(), 86400);
  EXPECT_FALSE(adcheck::config::parseDuration("h"));
  EXPECT_FALSE(adcheck::config::parseDuration("5y"));
}

TEST(Config, ARepeatedSectionOrKeyIsAnErrorNamingBothLines) {
  auto c = parseConfig(
      "[directory]\nuri = ldaps://dc1.corp.example.com\nuser = a@corp.example.com\n"
      "[store]\npath = /tmp/x.sqlite\n[Directory]\nuri = ldaps://evil.example.com\n",
      "repeat.ini");
  ASSERT_FALSE(c) << "a second [directory] silently replaced the URI";
  EXPECT_NE(c.error().message.find("section [directory] appears twice (lines 1 and 6)"),
            std::string::npos)
      << c.error().message;

  auto k = parseConfig(
      "[directory]\nuri = ldaps://dc1.corp.example.com\nuser = a@corp.example.com\n"
      "; comment\nuri = ldaps://dc2.corp.example.com\n",
      "key.ini");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("[directory] uri is set twice (lines 2 and 5)"),
            std::string::npos)
      << k.error().message;
}
