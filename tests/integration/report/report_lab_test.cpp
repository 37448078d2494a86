// Remediation reports against the real lab.
// - LdifFixes...: scan, generate the LDIF fixes, apply them with the ldapmodify command line the
//   LDIF header prints (as the lab admin), rescan: every targeted finding is resolved and nothing
//   else changed; apply the revert LDIF, rescan: the findings and the descriptors are back. The
//   lab is put back however the test ends (other lab tests compare it with the manifest).
// - Golden: a snapshot of the lab scanned into a fresh store with a fixed clock, rendered as HTML
//   and CSV, lab-random values normalised, compared with tests/golden/. Regenerate with
//   ADCHECK_UPDATE_GOLDEN=1 (see tests/golden/README.md).
#include <gtest/gtest.h>

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adcheck/report/report.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/sd_edit.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/store/sqlite_store.h"
#include "tests/support/lab_fixture.h"

namespace adcheck {
namespace {

using testing::Identity;

std::filesystem::path freshDir(const std::string& name) {
  auto dir = std::filesystem::path(ADCHECK_BINARY_DIR) / "test-scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::unique_ptr<store::Store> openStore(const std::filesystem::path& dir) {
  store::SqliteOptions o;
  o.path = (dir / "adcheck.sqlite").string();
  o.retention = {0, 0};
  auto s = store::openSqliteStore(o);
  if (!s) throw std::runtime_error(s.error().toString());
  return std::move(*s);
}

// Runs one scan from `source` into the store; returns the scan id and fingerprint -> finding.
struct Stored {
  std::int64_t id = 0;
  std::map<std::string, scan::Finding> byFingerprint;
};

Stored scanInto(store::Store& st, scan::EntrySource& source, const config::Config& cfg, std::time_t now = 0) {
  scan::ScanOptions o;
  o.config = cfg;
  o.now = now;
  auto id = st.beginScan(source.target(), {});
  if (!id) throw std::runtime_error(id.error().toString());
  std::vector<scan::Finding> findings;
  auto summary = scan::runScan(source, o, [&](scan::Finding&& f) { findings.push_back(std::move(f)); });
  if (summary.status != scan::ScanStatus::kCompleted)
    throw std::runtime_error("lab scan did not complete: " + summary.error);
  auto states = st.finishScan(*id, summary, findings);
  if (!states) throw std::runtime_error(states.error().toString());
  Stored s;
  s.id = *id;
  for (auto& f : findings) s.byFingerprint.emplace(f.fingerprint(), std::move(f));
  return s;
}

Stored liveScan(store::Store& st, const config::Config& cfg) {
  auto opts = scan::sessionOptions(cfg.directory);
  if (!opts) throw std::runtime_error(opts.error().toString());
  auto session = ldap::Session::open(*opts);
  if (!session) throw std::runtime_error("cannot open a session to the lab: " + session.error().toString());
  scan::LiveSource source(*session, cfg);
  return scanInto(st, source, cfg);
}

std::string renderOrThrow(store::Store& st, report::Format f, std::int64_t scan) {
  report::ReportRequest r;
  r.format = f;
  r.scanId = scan;
  auto out = report::render(st, r);
  if (!out) throw std::runtime_error(out.error().toString());
  return out->content;
}

// The ldapmodify command line the LDIF header prints (GSSAPI variant), pointed at `file`.
std::string printedCommand(const std::string& ldif, const std::string& file) {
  std::istringstream in(ldif);
  for (std::string l; std::getline(in, l);) {
    auto at = l.find("ldapmodify -H ldap://");
    if (l.rfind("#", 0) != 0 || at == std::string::npos || l.find("GSSAPI") == std::string::npos) continue;
    std::string cmd = l.substr(at);
    auto f = cmd.rfind(" -f ");
    if (f == std::string::npos) break;
    return cmd.substr(0, f) + " -N -Q -f '" + file + "'";
  }
  throw std::runtime_error("the LDIF header prints no GSSAPI ldapmodify command line");
}

// Applies the revert LDIF when the test ends with the fixes still in the lab.
class RevertGuard {
 public:
  RevertGuard(std::string command) : command_(std::move(command)) {}
  void dismiss() { command_.clear(); }
  ~RevertGuard() {
    if (command_.empty()) return;
    auto [rc, out] = testing::run(command_);
    if (rc != 0) ADD_FAILURE() << "could not revert the lab (other lab tests will fail): " << out;
  }

 private:
  std::string command_;
};

TEST(ReportLab, LdifFixesResolveTheTargetedFindingsAndTheRevertBringsThemBack) {
  auto lab = testing::loadLab();
  auto cfg = testing::labConfig(lab, Identity::kAdminGssapi);
  auto dir = freshDir("report-lab");
  auto st = openStore(dir);

  const Stored before = liveScan(*st, cfg);
  ASSERT_GT(before.byFingerprint.size(), 40u);
  const std::string fix = renderOrThrow(*st, report::Format::kLdif, before.id);
  const std::string revert = renderOrThrow(*st, report::Format::kLdifRevert, before.id);
  const std::string json = renderOrThrow(*st, report::Format::kJson, before.id);
  const std::string fixFile = (dir / "fix.ldif").string(), revertFile = (dir / "fix.revert.ldif").string();
  std::ofstream(fixFile) << fix;
  std::ofstream(revertFile) << revert;

  // The targeted findings: those the report gives a scripted change.
  std::set<std::string> targeted;
  auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
  auto items = root->getArray("findings");
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto o = items->getObject(static_cast<unsigned>(i));
    if (!o->getObject("fix")->get("change").isEmpty()) targeted.insert(o->getValue<std::string>("fingerprint"));
  }
  // The lab's scripted cases: inheritance off by hand, orphaned adminCount (users and groups),
  // explicit deny ACEs; protected-group accounts never.
  ASSERT_GE(targeted.size(), 20u) << fix;
  for (const auto& fp : targeted) {
    const auto& f = before.byFingerprint.at(fp);
    EXPECT_FALSE(f.details->has("cause") && f.details->getValue<std::string>("cause") == "protected-group") << fp;
  }

  // Real lab descriptors through sd_edit: every captured one parses and both edits re-validate.
  for (const auto& [fp, f] : before.byFingerprint) {
    if (!f.details->has("descriptor")) continue;
    std::istringstream in(f.details->getValue<std::string>("descriptor"));
    Poco::Base64Decoder dec(in);
    std::string raw((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
    auto on = security::enableDaclInheritance(bytes);
    ASSERT_TRUE(on) << fp << ": " << on.error().message;
    auto v = security::parseSecurityDescriptor(std::span<const std::uint8_t>(*on));
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->daclProtected());
    auto dropped = security::removeDaclAce(bytes, 0);
    ASSERT_TRUE(dropped) << fp << ": " << dropped.error().message;
    EXPECT_EQ(dropped->size(), bytes.size() - (*security::parseSecurityDescriptor(std::span<const std::uint8_t>(bytes))->dacl()->begin()).size());
  }

  const std::string applyFix = printedCommand(fix, fixFile);
  const std::string applyRevert = printedCommand(revert, revertFile);
  EXPECT_NE(applyFix.find("-e '!1.2.840.113556.1.4.801=MAMCAQQ='"), std::string::npos) << applyFix;
  RevertGuard guard(applyRevert);
  {
    auto [rc, out] = testing::run(applyFix);
    ASSERT_EQ(rc, 0) << applyFix << "\n" << out;
  }

  const Stored fixed = liveScan(*st, cfg);
  for (const auto& fp : targeted) EXPECT_FALSE(fixed.byFingerprint.contains(fp)) << "not resolved: " << fp;
  for (const auto& [fp, f] : before.byFingerprint) {
    if (!targeted.contains(fp)) {
      EXPECT_TRUE(fixed.byFingerprint.contains(fp)) << "went away: " << fp;
    }
  }
  for (const auto& [fp, f] : fixed.byFingerprint) {
    EXPECT_TRUE(before.byFingerprint.contains(fp)) << "appeared: " << fp << " " << f.summary;
    if (before.byFingerprint.contains(fp)) {
      EXPECT_EQ(f.summary, before.byFingerprint.at(fp).summary) << fp;
      EXPECT_EQ(f.severity, before.byFingerprint.at(fp).severity) << fp;
    }
  }

  {
    auto [rc, out] = testing::run(applyRevert);
    ASSERT_EQ(rc, 0) << applyRevert << "\n" << out;
  }
  guard.dismiss();
  const Stored back = liveScan(*st, cfg);
  std::set<std::string> a, b;
  for (const auto& [fp, f] : before.byFingerprint) a.insert(fp);
  for (const auto& [fp, f] : back.byFingerprint) b.insert(fp);
  EXPECT_EQ(a, b);
  // The descriptors are back byte for byte.
  for (const auto& fp : targeted) {
    const auto& f0 = before.byFingerprint.at(fp);
    if (!f0.details->has("descriptor") || !back.byFingerprint.contains(fp)) continue;
    EXPECT_EQ(back.byFingerprint.at(fp).details->getValue<std::string>("descriptor"),
              f0.details->getValue<std::string>("descriptor"))
        << fp;
  }
}

// Lab-random values out: domain SID, GUIDs, the DC's name, directory times, the snapshot path.
std::string normalise(std::string text, const testing::Lab& lab, const std::string& snapshot) {
  auto replaceAll = [&](const std::string& from, const std::string& to) {
    for (std::size_t p = 0; (p = text.find(from, p)) != std::string::npos; p += to.size())
      text.replace(p, from.size(), to);
  };
  replaceAll(snapshot, "SNAPSHOT-PATH");
  replaceAll(lab.str("domain_sid"), "S-1-5-21-DOMAIN");
  replaceAll(lab.str("host"), "DC-HOST");
  text = std::regex_replace(
      text, std::regex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
      "GUID");
  // Directory times of lab objects (whenCreated of a device container) date the lab build.
  text = std::regex_replace(text, std::regex("\\b[0-9]{14}\\.[0-9]Z\\b"), "GENERALIZED-TIME");
  return text;
}

void compareGolden(const std::string& name, const std::string& actual) {
  const auto path = std::filesystem::path(ADCHECK_SOURCE_DIR) / "tests" / "golden" / name;
  const char* update = std::getenv("ADCHECK_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: regenerate it with ADCHECK_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  const auto got = std::filesystem::path(ADCHECK_BINARY_DIR) / "test-scratch" / ("actual-" + name);
  std::ofstream(got, std::ios::binary | std::ios::trunc) << actual;
  ADD_FAILURE() << name << " differs from the golden file: diff " << path.string() << " " << got.string()
                << " (if the change is intended, regenerate with ADCHECK_UPDATE_GOLDEN=1)";
}

TEST(ReportLab, GoldenHtmlAndCsvOfTheLabScan) {
  auto lab = testing::loadLab();
  auto cfg = testing::labConfig(lab, Identity::kAdminGssapi);
  auto dir = freshDir("report-golden");
  const std::string snapshot = (dir / "lab.ldif.gz").string();
  auto ini = testing::scratchFile("report-golden.ini", testing::labConfigIni(lab, Identity::kAdminGssapi));
  auto [rc, out] = testing::run("'" + testing::adcheckBinary() + "' snapshot --config '" + ini +
                                "' --output '" + snapshot + "'");
  ASSERT_EQ(rc, 0) << out;

  auto st = openStore(dir);
  auto source = scan::SnapshotSource::open(snapshot);
  ASSERT_TRUE(source) << source.error().toString();
  const std::time_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
  const Stored s = scanInto(*st, **source, cfg, kNow);

  // Every rule except the two whose verdicts depend on the clock against lab-made dates
  // (certificate expiry, device age): their text changes as the lab cache ages.
  report::ReportRequest r;
  r.scanId = s.id;
  r.now = kNow;
  for (const char* rule : {"EAS-DEVICE-RIGHTS-MISSING", "EAS-INHERITANCE-DISABLED",
                           "EAS-PROTECTED-MAILBOX-USER", "ADM-ORPHANED-ADMINCOUNT",
                           "ADM-ADMINSDHOLDER-ACL", "ADM-SDPROP-EXCLUSIONS", "MOB-BITMASK-INVALID",
                           "MOB-DEVICES-WHILE-DISABLED", "MOB-ORPHAN-DEVICE-CONTAINER",
                           "MOB-POLICY-NONPROVISIONABLE", "DLG-UNCONSTRAINED", "DLG-CONSTRAINED-HTTP"})
    r.rules.push_back(rule);
  for (auto [format, name] : {std::pair{report::Format::kHtml, "report_lab.html"},
                              std::pair{report::Format::kCsv, "report_lab.csv"}}) {
    r.format = format;
    auto file = report::render(*st, r);
    ASSERT_TRUE(file) << file.error().toString();
    const std::string text = normalise(file->content, lab, "snapshot:" + snapshot);
    EXPECT_EQ(text.find(lab.str("domain_sid")), std::string::npos);
    compareGolden(name, text);
  }
}

}  // namespace
}  // namespace adcheck
