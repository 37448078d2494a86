// Issue 14 against the real lab: `adcheck scan --format json` as each scan account must report in
// `scan.coverage` exactly the coverage the manifest predicts (tests/lab/scenarios.json
// 'coverage', resolved by lab.py into expected.json): per rule the verdict, per input the exact
// set of unreadable objects. The admin reads everything; adcheck-cutview (plain Domain Users)
// has the cuts of 'coverage_lab'. Samba's own enforcement of the same pairs comes from
// tests/lab/coverage_oracle.py and is printed beside both, per rule and account:
//   rule, account, adcheck's verdict (objects), the manifest's, Samba's.
// The interface is /work/wt/_brief/COVERAGE.md (README "The service account" once merged).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adcheck/scan/dn.h"
#include "tests/integration/security/lab_oracle.h"
#include "tests/support/lab_fixture.h"

namespace adcheck {
namespace {

namespace fs = std::filesystem;
using Obj = Poco::JSON::Object::Ptr;
using testing::Identity;

std::set<std::string> keys(const Poco::JSON::Array::Ptr& a) {
  std::set<std::string> out;
  if (a)
    for (std::size_t i = 0; i < a->size(); ++i)
      out.insert(scan::dnKey(a->getElement<std::string>(i)));
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += "\n      " + x;
  return out;
}

// The INI of a scan account: the admin over GSSAPI as every lab test; cutview as the reader is
// (simple bind over LDAPS with its password file), since it is one of its kind.
std::string iniFor(const testing::Lab& lab, const std::string& account) {
  if (account == "admin") return testing::labConfigIni(lab, Identity::kAdminGssapi);
  return "[directory]\nuri = " + lab.str("ldaps_uri") +
         "\nbind = simple\nuser = " + lab.str(account + ".user") +
         "\npassword_file = " + lab.str(account + ".password_file") +
         "\nca_file = " + lab.str("ca_file") + "\n";
}

struct RuleRow {
  std::string adcheck = "-", manifest = "-", samba = "-";
};

class CoverageLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      lab_ = new testing::Lab(testing::loadLab());
    } catch (const std::exception& e) {
      setup_error_ = new std::string(e.what());  // the lab is not up: each test fails saying why
      return;
    }
    const auto expected = security::oracle::parseJsonFile(fs::path(lab_->dir) / "expected.json");
    coverage_ = expected->getObject("coverage");
    // Samba's enforcement of the same pairs (also run alone as ctest lab_coverage_oracle).
    const fs::path out = fs::path(ADCHECK_BINARY_DIR) / "coverage_oracle_for_adcheck.json";
    fs::remove(out);
    oracle_ok_ = new ::testing::AssertionResult(security::oracle::runPython(
        {(fs::path(ADCHECK_SOURCE_DIR) / "tests/lab/coverage_oracle.py").string(), "--dir",
         lab_->dir, "--out", out.string()},
        *(oracle_log_ = new std::string)));
    if (fs::exists(out)) oracle_ = security::oracle::parseJsonFile(out);
  }
  void SetUp() override {
    if (setup_error_) FAIL() << *setup_error_;
  }
  static void TearDownTestSuite() {
    delete setup_error_;
    setup_error_ = nullptr;
    delete lab_;
    lab_ = nullptr;
    delete oracle_ok_;
    delete oracle_log_;
    coverage_ = nullptr;
    oracle_ = nullptr;
  }

  // Runs the scan as `account`, returns scan.coverage (null, with a failure, when absent).
  static Obj scanCoverage(const std::string& account) {
    const auto ini = testing::scratchFile("coverage-" + account + ".ini", iniFor(*lab_, account));
    auto [rc, out] = testing::run("'" + testing::adcheckBinary() + "' scan --config '" + ini +
                                  "' --format json");
    const auto brace = out.find('{');
    if ((rc != 0 && rc != 1) || brace == std::string::npos) {
      ADD_FAILURE() << "adcheck scan as " << account << " exited " << rc << ":\n"
                    << out.substr(0, 2000);
      return nullptr;
    }
    auto root = Poco::JSON::Parser().parse(out.substr(brace)).extract<Obj>();
    auto scan = root->getObject("scan");
    if (!scan || !scan->has("coverage")) {
      ADD_FAILURE() << "adcheck scan --format json as " << account
                    << " has no scan.coverage (issue 14, /work/wt/_brief/COVERAGE.md)";
      return nullptr;
    }
    return scan->getObject("coverage");
  }

  static testing::Lab* lab_;
  static Obj coverage_;
  static Obj oracle_;
  static ::testing::AssertionResult* oracle_ok_;
  static std::string* oracle_log_;
  static std::string* setup_error_;
};
std::string* CoverageLab::setup_error_ = nullptr;
testing::Lab* CoverageLab::lab_ = nullptr;
Obj CoverageLab::coverage_;
Obj CoverageLab::oracle_;
::testing::AssertionResult* CoverageLab::oracle_ok_ = nullptr;
std::string* CoverageLab::oracle_log_ = nullptr;

TEST_F(CoverageLab, SambaEnforcesTheManifest) {
  std::printf("%s", oracle_log_->c_str());
  EXPECT_TRUE(*oracle_ok_);
  ASSERT_TRUE(oracle_) << "coverage_oracle.py wrote no result";
}

TEST_F(CoverageLab, ScanCoverageEqualsTheManifestForEachAccount) {
  ASSERT_TRUE(coverage_)
      << "expected.json has no 'coverage': rebuild the lab from this scenarios.json";
  auto rules = coverage_->getObject("rules");
  ASSERT_TRUE(rules && rules->size() > 0)
      << "scenarios.json 'coverage' names no rules (their inputs come from COVERAGE.md)";
  auto accounts = coverage_->getObject("accounts");
  std::map<std::pair<std::string, std::string>, RuleRow> table;  // (rule, account)
  for (const auto& [account, sam] : *accounts) {
    const auto want_sets = coverage_->getObject("unreadable")->getObject(account);
    const Obj got = scanCoverage(account);
    const Obj enforced = oracle_ ? oracle_->getObject("rules") : nullptr;
    std::map<std::string, Obj> got_rules;
    if (got) {
      EXPECT_TRUE(got->optValue<bool>("computed", false))
          << account << ": coverage.computed is false";
      const std::string dn = lab_->str(account + ".dn");
      EXPECT_EQ(scan::dnKey(got->optValue<std::string>("account", "")), scan::dnKey(dn)) << account;
      auto arr = got->getArray("rules");
      for (std::size_t i = 0; arr && i < arr->size(); ++i) {
        auto r = arr->getObject(i);
        got_rules[r->getValue<std::string>("rule")] = r;
      }
    }
    bool all_complete = true;
    for (const auto& [rule, spec_var] : *rules) {
      auto spec = spec_var.extract<Obj>();
      const std::string want = spec->getObject("verdict")->getValue<std::string>(account);
      all_complete = all_complete && want == "complete";
      auto& row = table[{rule, account}];
      std::set<std::string> want_union;
      auto ins = spec->getArray("inputs");
      for (std::size_t i = 0; i < ins->size(); ++i) {
        auto s = keys(want_sets->getArray(ins->getElement<std::string>(i)));
        want_union.insert(s.begin(), s.end());
      }
      row.manifest = want + " (" + std::to_string(want_union.size()) + ")";
      if (enforced && enforced->has(rule) && enforced->getObject(rule)->has(account)) {
        auto e = enforced->getObject(rule)->getObject(account);
        row.samba = e->getValue<std::string>("verdict") + " (" +
                    std::to_string(e->getValue<int>("enforced")) + ")";
      }
      if (!got) continue;
      auto it = got_rules.find(rule);
      if (it == got_rules.end()) {
        ADD_FAILURE() << account << ": scan.coverage has no rule " << rule;
        continue;
      }
      const Obj r = it->second;
      row.adcheck = r->getValue<std::string>("verdict") + " (" +
                    std::to_string(r->optValue<int>("unreadable", -1)) + ")";
      EXPECT_EQ(r->getValue<std::string>("verdict"), want) << account << " " << rule;
      EXPECT_EQ(r->optValue<int>("unreadable", -1), static_cast<int>(want_union.size()))
          << account << " " << rule << ": objects with an unreadable input";
      // Per input: the exact DN set, and the same inputs as the manifest declares.
      std::map<std::string, Obj> got_inputs;
      auto gi = r->getArray("inputs");
      for (std::size_t i = 0; gi && i < gi->size(); ++i)
        got_inputs[gi->getObject(i)->getValue<std::string>("input")] = gi->getObject(i);
      std::set<std::string> declared;
      for (std::size_t i = 0; i < ins->size(); ++i) {
        const auto input = ins->getElement<std::string>(i);
        declared.insert(input);
        auto gin = got_inputs.find(input);
        if (gin == got_inputs.end()) {
          ADD_FAILURE() << account << " " << rule << ": adcheck reports no input " << input;
          continue;
        }
        const auto want_set = keys(want_sets->getArray(input));
        const auto got_set = keys(gin->second->getArray("objects"));
        std::set<std::string> missing, extra;
        for (const auto& k : want_set)
          if (!got_set.contains(k)) missing.insert(k);
        for (const auto& k : got_set)
          if (!want_set.contains(k)) extra.insert(k);
        EXPECT_TRUE(missing.empty() && extra.empty())
            << account << " " << rule << " " << input
            << ": unreadable per the manifest but not per adcheck:" << join(missing)
            << "\n    unreadable per adcheck but not per the manifest:" << join(extra);
        EXPECT_EQ(gin->second->optValue<int>("unreadable", -1), static_cast<int>(want_set.size()))
            << account << " " << rule << " " << input;
        if (want_set.empty()) {
          EXPECT_EQ(gin->second->getValue<std::string>("verdict"), "complete")
              << account << " " << rule << " " << input;
        }
      }
      for (const auto& [input, _] : got_inputs)
        EXPECT_TRUE(declared.contains(input))
            << account << " " << rule << ": adcheck reports input " << input
            << " that the manifest does not list for this rule (update scenarios.json 'coverage')";
    }
    for (const auto& [rule, _] : got_rules)
      EXPECT_TRUE(rules->has(rule))
          << account << ": scan.coverage has rule " << rule << " that the manifest does not list";
    if (got) {
      EXPECT_EQ(got->optValue<bool>("complete", !all_complete), all_complete)
          << account << ": coverage.complete";
    }
  }
  std::printf("\n%-30s %-8s %-22s %-22s %-22s\n", "rule", "account", "adcheck", "manifest",
              "Samba");
  for (const auto& [k, row] : table)
    std::printf("%-30s %-8s %-22s %-22s %-22s\n", k.first.c_str(), k.second.c_str(),
                row.adcheck.c_str(), row.manifest.c_str(), row.samba.c_str());
}

}  // namespace
}  // namespace adcheck
