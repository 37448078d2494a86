// The report library on a synthetic store: every format's structure, quoting of hostile values,
// the change plan (merged per object, protected-group never scripted), "since" and bad input.
#include "adcheck/report/report.h"

#include <Poco/Base64Decoder.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "adcheck/report/model.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/store/sqlite_store.h"
#include "sd_builder.h"

namespace adcheck::report {
namespace {

namespace sb = security::testing;

// Distinguished names as a DC returns them.
const std::string kQuoteDn = "CN=O'Brien $(calc) `t \xE2\x80\x98x\xE2\x80\x99,OU=Sales,OU=Lab,DC=t,DC=example";
const std::string kImgDn = "CN=\\<img src\\3Dx onerror\\3Dalert(1)\\>,OU=Hostile,OU=Lab,DC=t,DC=example";
const std::string kAdminDn = "CN=Ada Admin,OU=Admins,OU=Lab,DC=t,DC=example";
const std::string kGroupDn = "CN=Old Admins,OU=Groups,OU=Lab,DC=t,DC=example";
const std::string kFormulaDn = "CN=Formula,OU=Sales,OU=Lab,DC=t,DC=example";
const std::string kPlainDn = "CN=Paula Plain,OU=Sales,OU=Lab,DC=t,DC=example";

std::string b64(const sb::Bytes& b) { return detail::base64(b); }

sb::Bytes unb64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::string raw((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  return sb::Bytes(raw.begin(), raw.end());
}

// A protected DACL: an allow for the user's self, a deny of CC for Everyone, an allow for SYSTEM.
sb::Bytes protectedDacl() {
  return sb::daclOnly({sb::ace(0x00, 0, 0x20094, sb::sid(5, {10})),
                       sb::ace(0x01, 0, 0x1, sb::sid(1, {0})),
                       sb::ace(0x00, 0, 0xF01FF, sb::sid(5, {18}))},
                      0x1400);
}

scan::Finding finding(const std::string& rule, const std::string& dn, const std::string& guid,
                      const std::string& sam, scan::Severity sev = scan::Severity::kHigh) {
  scan::Finding f;
  f.rule = rule;
  f.severity = sev;
  f.dn = dn;
  f.objectGuid = guid;
  f.samAccountName = sam;
  f.summary = rule + " summary";
  f.remediation = "Do the " + rule + " thing.";
  return f;
}

std::vector<scan::Finding> firstFindings() {
  std::vector<scan::Finding> v;
  auto a = finding("EAS-INHERITANCE-DISABLED", kQuoteDn, "00000000-0000-0000-0000-000000000001", "obrien",
                   scan::Severity::kMedium);
  a.details->set("descriptor", b64(protectedDacl()));
  v.push_back(a);
  auto b = finding("EAS-DEVICE-RIGHTS-MISSING", kQuoteDn, "00000000-0000-0000-0000-000000000001", "obrien");
  b.details->set("cause", "inheritance-disabled");
  b.details->set("descriptor", b64(protectedDacl()));
  v.push_back(b);
  auto c = finding("EAS-DEVICE-RIGHTS-MISSING", kImgDn, "00000000-0000-0000-0000-000000000002", "hostile-img");
  c.details->set("cause", "deny-ace");
  c.details->set("ace", "(D;;CC;;;WD)");
  c.details->set("aceIndex", 1);
  c.details->set("descriptor", b64(sb::daclOnly({sb::ace(0x00, 0, 0x20094, sb::sid(5, {10})),
                                                  sb::ace(0x01, 0, 0x1, sb::sid(1, {0}))})));
  v.push_back(c);
  auto d = finding("EAS-DEVICE-RIGHTS-MISSING", kAdminDn, "00000000-0000-0000-0000-000000000003", "ada");
  d.details->set("cause", "protected-group");
  v.push_back(d);
  auto e = finding("ADM-ORPHANED-ADMINCOUNT", kGroupDn, "00000000-0000-0000-0000-000000000004", "Old Admins",
                   scan::Severity::kMedium);
  e.details->set("objectKind", "group");
  v.push_back(e);
  auto f = finding("MOB-BITMASK-INVALID", kFormulaDn, "00000000-0000-0000-0000-000000000005", "=1+2",
                   scan::Severity::kLow);
  f.summary = "-2+3 @SUM(A1)";
  f.details->set("value", 20);
  v.push_back(f);
  return v;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("adcheck-report-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqliteOptions o;
    o.path = (dir_ / "s.sqlite").string();
    auto s = store::openSqliteStore(o);
    ASSERT_TRUE(s) << s.error().toString();
    store_ = std::move(*s);
    first_ = writeScan(1704067200, firstFindings());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::int64_t writeScan(std::time_t started, const std::vector<scan::Finding>& findings,
                         const scan::Coverage& coverage = {}) {
    std::vector<std::string> rules = {"EAS-INHERITANCE-DISABLED", "EAS-DEVICE-RIGHTS-MISSING",
                                      "ADM-ORPHANED-ADMINCOUNT", "MOB-BITMASK-INVALID"};
    auto id = store_->beginScan("ldap://dc1.t.example", rules);
    EXPECT_TRUE(id);
    scan::ScanSummary s;
    s.status = scan::ScanStatus::kCompleted;
    s.target = "ldap://dc1.t.example";
    s.started = started;
    s.finished = started + 10;
    s.rulesRun = rules;
    s.coverage = coverage;
    auto st = store_->finishScan(*id, s, findings);
    EXPECT_TRUE(st) << st.error().toString();
    return *id;
  }
  std::string render(Format f, ReportRequest r = {}) {
    r.format = f;
    r.now = 1704153600;
    auto out = report::render(*store_, r);
    EXPECT_TRUE(out) << out.error().toString();
    return out ? out->content : "";
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::int64_t first_ = 0;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Blocks of a script: from one "# --- change" line to the next.
std::vector<std::string> blocks(const std::string& script) {
  std::vector<std::string> out;
  for (const auto& l : lines(script)) {
    if (l.rfind("# --- change ", 0) == 0) out.emplace_back();
    else if (l.rfind("# --- not scripted", 0) == 0) break;
    if (!out.empty()) out.back() += l + "\n";
  }
  return out;
}

// Reads a PowerShell single-quoted literal starting at `pos` (the opening quote), the way
// PowerShell does: ' and U+2018..U+201B all delimit, and a doubled one is one literal quote.
// Returns the value and sets `end` to just after the closing quote; nullopt if it never closes.
std::optional<std::string> psLiteral(const std::string& s, std::size_t pos, std::size_t& end) {
  auto quoteLen = [&](std::size_t i) -> std::size_t {
    if (i < s.size() && s[i] == '\'') return 1;
    if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
        static_cast<unsigned char>(s[i + 1]) == 0x80) {
      auto t = static_cast<unsigned char>(s[i + 2]);
      if (t >= 0x98 && t <= 0x9B) return 3;
    }
    return 0;
  };
  std::size_t q = quoteLen(pos);
  if (q == 0) return std::nullopt;
  std::string value;
  for (std::size_t i = pos + q; i < s.size();) {
    if (std::size_t n = quoteLen(i); n > 0) {
      if (std::size_t m = quoteLen(i + n); m > 0) {  // doubled: one literal quote
        value += s.substr(i, n);
        i += n + m;
        continue;
      }
      end = i + n;
      return value;
    }
    value += s[i++];
  }
  return std::nullopt;
}

TEST_F(ReportTest, Ps1EveryBlockIsGuardedByThePreCheckAndWhatIf) {
  const std::string ps = render(Format::kPs1);
  EXPECT_NE(ps.find("param([switch]$Apply"), std::string::npos);
  EXPECT_NE(ps.find("#Requires -Modules ActiveDirectory"), std::string::npos);
  auto bs = blocks(ps);
  // obrien (two findings, one change), hostile-img (deny ACE), Old Admins (adminCount); Ada is
  // protected-group: advice only; the bitmask has no script.
  ASSERT_EQ(bs.size(), 3u) << ps;
  for (const auto& b : bs) {
    EXPECT_NE(b.find("$obj = Get-ADObject -Identity $guid"), std::string::npos) << b;
    EXPECT_NE(b.find("if ($null -eq $obj -or $obj.ObjectGUID.ToString() -ne $guid"), std::string::npos) << b;
    EXPECT_EQ(b.find("-Identity $dn"), std::string::npos) << b;
    EXPECT_NE(b.find("Write-Warning ('Skipped '"), std::string::npos) << b;
    std::size_t sets = 0;
    for (const auto& l : lines(b))
      if (l.find("Set-ADObject") != std::string::npos) {
        ++sets;
        EXPECT_NE(l.find(" -WhatIf:(-not $Apply)"), std::string::npos) << l;
      }
    EXPECT_GE(sets, 1u) << b;
    // The change sits in the else branch of the pre-check.
    EXPECT_LT(b.find("} else {"), b.find("Set-ADObject")) << b;
    if (b.find("$captured") != std::string::npos) {
      EXPECT_NE(b.find("(Get-AdcheckDacl $obj.nTSecurityDescriptor) -ne (Get-AdcheckDacl "
                       "(ConvertTo-AdcheckDescriptor $captured))"),
                std::string::npos)
          << b;
    }
  }
  // Changes follow the report order: OU (Groups, Hostile, Sales), then rule.
  EXPECT_NE(bs[0].find("-Clear adminCount"), std::string::npos);
  EXPECT_NE(bs[1].find("\\<img src"), std::string::npos);
  EXPECT_NE(bs[2].find("$fixed = '"), std::string::npos);
  // The protected-group account appears only as advice, never in code.
  for (const auto& l : lines(ps))
    if (l.find("Ada Admin") != std::string::npos) {
      EXPECT_EQ(l.rfind("#", 0), 0u) << l;
    }
  EXPECT_NE(ps.find("separate, unprivileged account"), std::string::npos);
}

TEST_F(ReportTest, Ps1HostileValuesStayInsideOneLiteral) {
  const std::string kDecode = "([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(";
  for (Format f : {Format::kPs1, Format::kPs1Revert}) {
    const std::string ps = render(f);
    std::set<std::string> dns;
    for (const auto& l : lines(ps)) {
      if (l.rfind("$dn = ", 0) != 0) continue;
      ASSERT_EQ(l.rfind("$dn = " + kDecode, 0), 0u) << l;
      std::size_t end = 0;
      auto v = psLiteral(l, 6 + kDecode.size(), end);
      ASSERT_TRUE(v) << l;
      EXPECT_EQ(l.substr(end), ")))") << "text after the literal: " << l;
      auto bytes = unb64(*v);
      dns.insert(std::string(bytes.begin(), bytes.end()));
    }
    EXPECT_TRUE(dns.contains(kQuoteDn));
    EXPECT_TRUE(dns.contains(kImgDn));
    // Comments carry AD text on one line only.
    for (const auto& l : lines(ps))
      if (l.find("$(calc)") != std::string::npos) {
        EXPECT_TRUE(l.rfind("#", 0) == 0 || l.rfind("$dn = '", 0) == 0) << l;
      }
  }
  EXPECT_EQ(detail::psString("a'b"), kDecode + "'YSdi')))");
  EXPECT_EQ(detail::psString(std::string("a\0b", 3)), kDecode + "'YQBi')))");  // no byte dropped
  EXPECT_EQ(detail::psLiteral("00000000-0000-0000-0000-000000000001"), "'00000000-0000-0000-0000-000000000001'");
  EXPECT_EQ(detail::psLiteral("a'b"), detail::psString("a'b"));
  EXPECT_EQ(detail::psLiteral("\xE2\x80\x99"), detail::psString("\xE2\x80\x99"));
  EXPECT_EQ(detail::asciiComment("\xD1\x82 \xE2\x80\x99\n\xF0\x9F\x98\x80\xC3 \\"),
            "\\u0442 \\u2019\\x0A\\U+01F600\\xC3 \\");
  EXPECT_EQ(detail::validUtf8("a\xE2\x80'b\xC3\xA9"), "a\xEF\xBF\xBD\xEF\xBF\xBD'b\xC3\xA9");
}

TEST_F(ReportTest, Ps1RevertRestoresTheCapturedDescriptorAndAdminCount) {
  const std::string ps = render(Format::kPs1Revert);
  auto bs = blocks(ps);
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_EQ(ps.find("$fixed"), std::string::npos);
  EXPECT_NE(bs[2].find("ConvertTo-AdcheckDescriptor $captured)), 'Access')"), std::string::npos) << bs[2];
  EXPECT_NE(bs[0].find("-Replace @{ adminCount = 1 } -WhatIf:(-not $Apply)"), std::string::npos) << bs[0];
}

std::map<std::string, std::string> ldifRecords(const std::string& ldif) {
  // dn -> record text
  std::map<std::string, std::string> out;
  std::string dn;
  for (const auto& l : lines(ldif)) {
    if (l.rfind("dn:: ", 0) == 0) {
      auto b = unb64(l.substr(5));
      dn.assign(b.begin(), b.end());
      out[dn];
    } else if (l.rfind("dn: ", 0) == 0) {
      dn = l.substr(4);
      static const std::map<std::string, std::string> kByGuid = {
          {"<GUID=00000000-0000-0000-0000-000000000001>", kQuoteDn},
          {"<GUID=00000000-0000-0000-0000-000000000002>", kImgDn},
          {"<GUID=00000000-0000-0000-0000-000000000004>", kGroupDn}};
      if (auto it = kByGuid.find(dn); it != kByGuid.end()) dn = it->second;
      out[dn];
    } else if (l.empty()) {
      dn.clear();
    } else if (!dn.empty() && l[0] != '#') {
      out[dn] += l + "\n";
    }
  }
  return out;
}

TEST_F(ReportTest, LdifCarriesTheFixesAndTheRevert) {
  const std::string ldif = render(Format::kLdif);
  EXPECT_NE(ldif.find("REVIEW-FIRST"), std::string::npos);
  EXPECT_NE(ldif.find("ldapmodify -H ldap://dc1.t.example -Y GSSAPI -e '!1.2.840.113556.1.4.801=MAMCAQQ='"),
            std::string::npos);
  // The hostile and the non-ASCII DNs are base64 (not SAFE-STRING); a plain one is not.
  // Objects are addressed by objectGUID only; names appear in comments, as ASCII.
  EXPECT_EQ(ldif.find("dn: CN="), std::string::npos);
  EXPECT_EQ(ldif.find("dn:: "), std::string::npos);
  EXPECT_NE(ldif.find("dn: <GUID=00000000-0000-0000-0000-000000000004>\n"), std::string::npos);
  EXPECT_NE(ldif.find("# change 3 of 3: CN=O'Brien $(calc) `t \\u2018x\\u2019,OU=Sales"), std::string::npos);
  auto recs = ldifRecords(ldif);
  ASSERT_EQ(recs.size(), 3u);
  ASSERT_TRUE(recs.contains(kQuoteDn));
  ASSERT_TRUE(recs.contains(kImgDn));
  EXPECT_EQ(recs[kGroupDn], "changetype: modify\ndelete: adminCount\nadminCount: 1\n-\n");

  auto sdOf = [](const std::string& rec) {
    auto at = rec.find("nTSecurityDescriptor:: ");
    EXPECT_NE(at, std::string::npos) << rec;
    return unb64(rec.substr(at + 23, rec.find('\n', at) - at - 23));
  };
  auto fixed = sdOf(recs[kQuoteDn]);
  auto v = security::parseSecurityDescriptor(std::span<const std::uint8_t>(fixed));
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->daclProtected());
  EXPECT_EQ(v->dacl()->aceCount(), 3u);
  auto denyFixed = sdOf(recs[kImgDn]);
  auto w = security::parseSecurityDescriptor(std::span<const std::uint8_t>(denyFixed));
  ASSERT_TRUE(w);
  ASSERT_EQ(w->dacl()->aceCount(), 1u);
  EXPECT_EQ((*w->dacl()->begin()).type(), security::AceType::kAccessAllowed);

  auto revert = ldifRecords(render(Format::kLdifRevert));
  ASSERT_EQ(revert.size(), 3u);
  EXPECT_EQ(sdOf(revert[kQuoteDn]), protectedDacl());
  EXPECT_EQ(revert[kGroupDn], "changetype: modify\nreplace: adminCount\nadminCount: 1\n-\n");
}

TEST_F(ReportTest, CsvOpensCleanlyInASpreadsheet) {
  const std::string csv = render(Format::kCsv);
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_NE(csv.find("ou,rule,severity,status,first_seen,sam_account_name,dn,summary,evidence,fix,"),
            std::string::npos);
  EXPECT_NE(csv.find("\"'=1+2\""), std::string::npos);
  EXPECT_NE(csv.find("\"'-2+3 @SUM(A1)\""), std::string::npos);
  EXPECT_EQ(csv.find(",\"=1+2\""), std::string::npos);
  // Quotes inside values are doubled: O'Brien's DN has none, the evidence of the deny has SDDL.
  EXPECT_NE(csv.find("Enable inheritance"), std::string::npos);
  // One row per finding: six findings + header, rows end with CRLF.
  std::size_t rows = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < csv.size(); ++i) {
    if (csv[i] == '"') quoted = !quoted;
    if (!quoted && csv[i] == '\n') {
      ++rows;
      EXPECT_EQ(csv[i - 1], '\r');
    }
  }
  EXPECT_EQ(rows, 7u);
}

TEST_F(ReportTest, HtmlEscapesEverythingAndHasNoScript) {
  const std::string html = render(Format::kHtml);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("\\&lt;img src\\3Dx onerror\\3Dalert(1)\\&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("View &gt; Advanced Features"), std::string::npos);
  EXPECT_NE(html.find("Include inheritable permissions from this object&#39;s parent"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("O&#39;Brien"), std::string::npos);
  // Grouped by OU: one section per OU with findings.
  std::size_t sections = 0;
  for (std::size_t p = 0; (p = html.find("<section class=\"ou\">", p)) != std::string::npos; ++p) ++sections;
  EXPECT_EQ(sections, 4u);  // Admins, Groups, Hostile, Sales
  // The bitmask is decoded.
  EXPECT_NE(html.find("4 = Exchange ActiveSync disabled"), std::string::npos);
  EXPECT_NE(html.find("unknown bits 0x10"), std::string::npos);
}

// Issue 14: a rule that could not read its inputs is never a silent "no finding" in a report.
TEST_F(ReportTest, HtmlAndCsvNameTheRulesWhoseCoverageIsIncomplete) {
  scan::Coverage cov;
  cov.account = "CN=svc,CN=Users,DC=t,DC=example";
  cov.computed = true;
  scan::RuleCoverage rule;
  rule.rule = "MOB-BITMASK-INVALID";
  rule.verdict = scan::CoverageVerdict::kPartial;
  scan::InputCoverageResult in;
  in.input = "user:msExchOmaAdminWirelessEnable";
  in.verdict = scan::CoverageVerdict::kPartial;
  in.objects = 10;
  in.unreadable = 3;
  in.dns = {kImgDn};
  in.right = "Read Property on msExchOmaAdminWirelessEnable";
  in.fix = "Grant svc Read Property <b>";
  rule.inputs = {in};
  scan::RuleCoverage ok;
  ok.rule = "EAS-INHERITANCE-DISABLED";
  ok.verdict = scan::CoverageVerdict::kComplete;
  cov.rules = {rule, ok};
  writeScan(1704070000, firstFindings(), cov);
  const std::string html = render(Format::kHtml);
  EXPECT_NE(html.find("data-testid=\"coverage\""), std::string::npos);
  EXPECT_NE(html.find("INCOMPLETE: could not read user:msExchOmaAdminWirelessEnable on 3 of 10 "
                      "object(s) (Read Property on msExchOmaAdminWirelessEnable)"),
            std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("EAS-INHERITANCE-DISABLED</td><td>INCOMPLETE"), std::string::npos);
  const std::string csv = render(Format::kCsv);
  EXPECT_NE(csv.find("\"MOB-BITMASK-INVALID\",\"\",\"coverage-incomplete\""), std::string::npos)
      << csv;
  // The first scan (no coverage stored) says nothing about it.
  ReportRequest first;
  first.scanId = first_;
  EXPECT_EQ(render(Format::kHtml, first).find("data-testid=\"coverage\""), std::string::npos);
}

TEST_F(ReportTest, FiltersByOuAndRule) {
  ReportRequest r;
  r.ouDn = "OU=Sales,OU=Lab,DC=t,DC=example";
  r.rules = {"EAS-INHERITANCE-DISABLED"};
  const std::string csv = render(Format::kCsv, r);
  EXPECT_NE(csv.find("obrien"), std::string::npos);
  EXPECT_EQ(csv.find("hostile-img"), std::string::npos);
  EXPECT_EQ(csv.find("MOB-BITMASK-INVALID"), std::string::npos);
}

TEST_F(ReportTest, SinceSummarisesNewResolvedOpenAndExcepted) {
  auto next = firstFindings();
  next.erase(next.begin() + 5);  // bitmask fixed
  next.push_back(finding("DLG-UNCONSTRAINED", kPlainDn, "00000000-0000-0000-0000-000000000006", "paula"));
  store::ExceptionSpec ex;
  ex.rule = "EAS-DEVICE-RIGHTS-MISSING";
  ex.dnPattern = "*,OU=Admins,OU=Lab,DC=t,DC=example";
  ex.reason = "separate account planned";
  ex.owner = "it-sec";
  ASSERT_TRUE(store_->addException(ex, 1704067300));
  auto second = writeScan(1704153600, next);
  ReportRequest r;
  r.sinceId = first_;
  const std::string html = render(Format::kHtml, r);
  EXPECT_NE(html.find("Since scan " + std::to_string(first_)), std::string::npos);
  EXPECT_NE(html.find("1 new, 1 resolved, 4 still open, 1 excepted."), std::string::npos) << html;
  EXPECT_NE(html.find("Excepted findings (accepted risk)"), std::string::npos);
  // Excepted findings get no script.
  EXPECT_EQ(render(Format::kPs1).find("Ada Admin'"), std::string::npos);
  EXPECT_GT(second, first_);
}

TEST_F(ReportTest, AnInheritedDenyIsAdviceForTheParentNotAScript) {
  auto v = firstFindings();
  auto f = finding("EAS-DEVICE-RIGHTS-MISSING", kPlainDn, "00000000-0000-0000-0000-000000000007", "paula");
  f.details->set("cause", "deny-ace");
  f.details->set("ace", "(D;CIID;CC;;;WD)");
  f.details->set("aceIndex", 0);
  f.details->set("descriptor", b64(sb::daclOnly({sb::ace(0x01, 0x12, 0x1, sb::sid(1, {0})),
                                                  sb::ace(0x00, 0, 0xF01FF, sb::sid(5, {18}))})));
  v.push_back(f);
  writeScan(1704153600, v);
  const std::string ps = render(Format::kPs1);
  EXPECT_EQ(blocks(ps).size(), 3u);  // as before: nothing for Paula
  for (const auto& l : lines(ps))
    if (l.find("Paula Plain") != std::string::npos) {
      EXPECT_EQ(l.rfind("# EAS-DEVICE-RIGHTS-MISSING", 0), 0u) << l;
      EXPECT_NE(l.find("is inherited"), std::string::npos) << l;
    }
}

TEST_F(ReportTest, BadInputGivesClearErrors) {
  ReportRequest r;
  r.scanId = 999;
  auto a = report::render(*store_, r);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  EXPECT_NE(a.error().message.find("scan 999 does not exist"), std::string::npos) << a.error().message;
  EXPECT_NE(a.error().hint.find("adcheck scans list"), std::string::npos);

  r = {};
  r.rules = {"EAS-NOPE"};
  auto b = report::render(*store_, r);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("rule id 'EAS-NOPE' is not in the catalogue"), std::string::npos);

  r = {};
  r.ouDn = "OU=Nowhere,DC=t,DC=example";
  auto c = report::render(*store_, r);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("no findings under OU 'OU=Nowhere,DC=t,DC=example'"), std::string::npos);
  EXPECT_NE(c.error().hint.find("OU=Sales,OU=Lab,DC=t,DC=example"), std::string::npos) << c.error().hint;

  r = {};
  r.sinceId = first_;
  auto d = report::render(*store_, r);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("is the reported scan itself"), std::string::npos);

  EXPECT_FALSE(parseFormat("pdf"));
  EXPECT_EQ(parseFormat("ldif-revert"), Format::kLdifRevert);
  EXPECT_EQ(formatName(Format::kPs1Revert), "ps1-revert");
}

TEST_F(ReportTest, FileNamesFollowTheApi) {
  ReportRequest r;
  r.format = Format::kPs1Revert;
  auto f = report::render(*store_, r);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->filename, "adcheck-" + std::to_string(first_) + ".revert.ps1");
  r.format = Format::kHtml;
  EXPECT_EQ(report::render(*store_, r)->contentType, "text/html; charset=utf-8");
}

}  // namespace
}  // namespace adcheck::report
