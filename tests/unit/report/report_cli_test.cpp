// adcheck report against a store written through the API (no directory needed): the files it
// writes and the errors a person meets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/lab_fixture.h"
#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("adcheck.sqlite");
    config_ = dir_.file("adcheck.ini");
    std::ofstream(config_) << "[store]\npath = " << path_ << "\n";
    auto store = openStore(path_);
    auto f = finding("ADM-ORPHANED-ADMINCOUNT", "00000000-0000-4000-8000-000000000001",
                     "CN=Old Admins,OU=Groups,DC=corp,DC=example,DC=com");
    f.details->set("objectKind", "group");
    scan_ = writeScan(*store, day(0), {f}).id;
  }
  std::pair<int, std::string> adcheck(const std::string& args) {
    return adcheck::testing::run(adcheck::testing::adcheckBinary() + " report --config " + config_ +
                                 " " + args);
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  TempDir dir_;
  std::string path_, config_;
  std::int64_t scan_ = 0;
};

TEST_F(ReportCli, Ps1AndLdifAreWrittenWithTheirRevertFiles) {
  const std::string ps1 = dir_.file("fix.ps1"), ldif = dir_.file("fix.ldif");
  auto [rc, out] = adcheck("--format ps1 --output " + ps1);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(read(ps1).find("-Clear adminCount -WhatIf:(-not $Apply)"), std::string::npos);
  EXPECT_NE(read(dir_.file("fix.revert.ps1")).find("-Replace @{ adminCount = 1 }"), std::string::npos);
  auto [rc2, out2] = adcheck("--scan latest --format ldif --output " + ldif);
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_NE(read(ldif).find("delete: adminCount\nadminCount: 1\n"), std::string::npos);
  EXPECT_NE(read(dir_.file("fix.revert.ldif")).find("replace: adminCount\nadminCount: 1\n"), std::string::npos);
  auto [rc3, out3] = adcheck("--format csv --scan " + std::to_string(scan_));
  ASSERT_EQ(rc3, 0) << out3;
  EXPECT_EQ(out3.rfind("\xEF\xBB\xBF", 0), 0u);
}

TEST_F(ReportCli, BadInputGivesClearErrors) {
  auto [rc, out] = adcheck("--format html --scan 999");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("scan 999 does not exist in the store"), std::string::npos) << out;
  EXPECT_NE(out.find("adcheck scans list"), std::string::npos) << out;

  auto [rc2, out2] = adcheck("--format html --ou OU=Nobody,DC=corp,DC=example,DC=com");
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("no findings under OU 'OU=Nobody,DC=corp,DC=example,DC=com'"), std::string::npos) << out2;
  EXPECT_NE(out2.find("OU=Groups,DC=corp,DC=example,DC=com"), std::string::npos) << out2;

  auto [rc3, out3] = adcheck("--format html --rule EAS-DEVICE-RIGHTS-MISSING NOT-A-RULE");
  EXPECT_EQ(rc3, 2);
  EXPECT_NE(out3.find("rule id 'NOT-A-RULE' is not in the catalogue"), std::string::npos) << out3;

  auto [rc4, out4] = adcheck("--format pdf");
  EXPECT_EQ(rc4, 2);
  EXPECT_NE(out4.find("unknown --format 'pdf'"), std::string::npos) << out4;

  auto [rc5, out5] = adcheck("--format html --scan abc");
  EXPECT_EQ(rc5, 2);
  EXPECT_NE(out5.find("--scan 'abc' is not a scan id"), std::string::npos) << out5;

  auto [rc6, out6] = adcheck("--format html --since previous");
  EXPECT_EQ(rc6, 2);
  EXPECT_NE(out6.find("no previous completed scan"), std::string::npos) << out6;
}

}  // namespace
}  // namespace adcheck::store
