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

#include "adcheck/report/model.h"
#include "adcheck/report/report.h"
#include "adcheck/scan/model.h"
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

std::string b64(const std::string& text) {
  return report::detail::base64(std::vector<std::uint8_t>(text.begin(), text.end()));
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

  // The lab's hostile names (Cyrillic te read as cp1252 quote, [B]ob, curly quotes, emoji, RTL
  // override): the PowerShell scripts are pure ASCII and carry each scripted DN as base64 of its
  // bytes; the LDIF is pure ASCII too.
  for (auto format : {report::Format::kPs1, report::Format::kPs1Revert, report::Format::kLdif,
                      report::Format::kLdifRevert}) {
    const std::string text = renderOrThrow(*st, format, before.id);
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto b = static_cast<unsigned char>(text[i]);
      ASSERT_TRUE(b == 0x09 || b == 0x0A || b == 0x0D || (b >= 0x20 && b <= 0x7E))
          << report::formatName(format) << ": byte " << int(b) << " at " << i;
    }
    if (format != report::Format::kPs1 && format != report::Format::kPs1Revert) continue;
    std::size_t hostile = 0;
    for (const auto& [fp, f] : before.byFingerprint)
      if (targeted.contains(fp) && f.samAccountName.rfind("hostile-", 0) == 0) {
        ++hostile;
        EXPECT_NE(text.find("FromBase64String('" + b64(f.dn) + "')"), std::string::npos) << f.dn;
      }
    EXPECT_GE(hostile, 4u) << "hostile-cyr, hostile-wild, hostile-quote (two findings), hostile-img";
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

// The LDIF record of one object (by its GUID), as a file of its own: header line and record.
std::string ldifRecordFor(const std::string& ldif, const std::string& guid) {
  std::istringstream in(ldif);
  std::string out, l;
  bool inRecord = false;
  while (std::getline(in, l)) {
    if (l == "dn: <GUID=" + guid + ">") inRecord = true;
    else if (l.empty()) inRecord = false;
    if (inRecord) out += l + "\n";
  }
  if (out.empty()) throw std::runtime_error("no LDIF record addresses <GUID=" + guid + ">:\n" + ldif);
  return "version: 1\n\n" + out;
}

// One attribute of one object (base "<GUID=...>" or a DN), read with the SD flags control for the
// DACL; "" if absent. Values are returned as ldapsearch prints them (base64 for binary).
std::string ldapValue(const testing::Lab& lab, const std::string& base, const std::string& attr) {
  auto [rc, out] = testing::run("ldapsearch -N -Q -Y GSSAPI -H ldap://" + lab.str("host") +
                                " -LLL -o ldif-wrap=no -E '!1.2.840.113556.1.4.801=::MAMCAQQ=' -s base -b '" +
                                base + "' " + attr);
  if (rc != 0) throw std::runtime_error("ldapsearch " + base + " " + attr + ": " + out);
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    for (const std::string sep : {":: ", ": "})
      if (l.rfind(attr + sep, 0) == 0) return l.substr(attr.size() + sep.size());
  return "";
}

std::string guidOfSam(const testing::Lab& lab, const std::string& sam) {
  auto [rc, out] = testing::run("ldapsearch -N -Q -Y GSSAPI -H ldap://" + lab.str("host") +
                                " -LLL -o ldif-wrap=no -b '" + lab.str("base_dn") + "' '(sAMAccountName=" +
                                sam + ")' objectGUID");
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("objectGUID:: ", 0) == 0) {
      std::istringstream b(l.substr(13));
      Poco::Base64Decoder dec(b);
      std::string raw((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
      return scan::guidString(raw);
    }
  throw std::runtime_error("no objectGUID for " + sam + ": " + out);
}

// Section 2 of issue 13: the LDIF addresses objects by objectGUID. The scanned object is renamed
// after the scan and another object is created at its old DN; applying the change set modifies
// the scanned object (found by GUID) and leaves the newcomer alone, and ldapmodify's output names
// the GUID it modified. The lab is put back (revert record, newcomer deleted, old name).
TEST(ReportLab, LdifChangeFollowsTheObjectByGuidAndNeverTouchesTheObjectNowAtItsOldDn) {
  auto lab = testing::loadLab();
  auto cfg = testing::labConfig(lab, Identity::kAdminGssapi);
  auto dir = freshDir("report-lab-rename");
  auto st = openStore(dir);
  const Stored before = liveScan(*st, cfg);
  const std::string fix = renderOrThrow(*st, report::Format::kLdif, before.id);
  const std::string revert = renderOrThrow(*st, report::Format::kLdifRevert, before.id);

  // aplusb: inheritance disabled by hand (EAS-INHERITANCE-DISABLED), scripted.
  std::string dn, guid;
  for (const auto& [fp, f] : before.byFingerprint)
    if (f.samAccountName == "aplusb" && f.rule == "EAS-INHERITANCE-DISABLED") {
      dn = f.dn;
      guid = f.objectGuid;
    }
  ASSERT_FALSE(dn.empty()) << "the lab has no EAS-INHERITANCE-DISABLED finding for aplusb";
  const std::string fixFile = testing::scratchFile("rename-fix.ldif", ldifRecordFor(fix, guid));
  const std::string revertFile = testing::scratchFile("rename-revert.ldif", ldifRecordFor(revert, guid));
  const std::string movedRdn = "CN=aplusb moved by report_lab_test";
  const std::string parent = dn.substr(dn.find(",OU=") + 1);
  const std::string ldapmodify = "ldapmodify -N -Q -Y GSSAPI -H ldap://" + lab.str("host") + " -f ";

  // Put the lab back however the test ends: revert the object, delete the newcomer (by its GUID,
  // never by the DN, which is aplusb's own when the setup failed), give aplusb its name back.
  struct Restore {
    std::string commands;
    ~Restore() {
      if (commands.empty()) return;
      auto [rc, out] = testing::run(commands);
      if (rc != 0) ADD_FAILURE() << "could not restore the lab (other lab tests will fail): " << out;
    }
  } restore;
  const std::string setup = testing::scratchFile(
      "rename-setup.ldif", "version: 1\n\ndn:: " + b64(dn) + "\nchangetype: modrdn\nnewrdn:: " +
                               b64(movedRdn) + "\ndeleteoldrdn: 1\n\ndn:: " + b64(dn) +
                               "\nchangetype: add\nobjectClass: user\nsAMAccountName: rlt-newcomer\n"
                               "description: took over the old DN\n");
  auto [setupRc, setupOut] = testing::run(ldapmodify + "'" + setup + "'");
  std::string newcomerGuid;
  try {
    newcomerGuid = guidOfSam(lab, "rlt-newcomer");
  } catch (const std::exception&) {
  }
  std::string undo = "version: 1\n";
  if (!newcomerGuid.empty() && newcomerGuid != guid)
    undo += "\ndn: <GUID=" + newcomerGuid + ">\nchangetype: delete\n";
  // (Samba takes <GUID=...> in modify and delete, not in modrdn: the rename back uses the DN.)
  undo += "\ndn:: " + b64(movedRdn + "," + parent) + "\nchangetype: modrdn\nnewrdn:: " +
          b64(dn.substr(0, dn.find(",OU="))) + "\ndeleteoldrdn: 1\n";
  restore.commands = printedCommand(revert, revertFile) + "; r=$?; " + ldapmodify + "'" +
                     testing::scratchFile("rename-undo.ldif", undo) + "' && exit $r";
  ASSERT_EQ(setupRc, 0) << setupOut;
  ASSERT_FALSE(newcomerGuid.empty());
  const std::string newcomer = "<GUID=" + newcomerGuid + ">";
  const std::string newcomerSd = ldapValue(lab, newcomer, "nTSecurityDescriptor");
  ASSERT_FALSE(newcomerSd.empty());

  auto [rc, out] = testing::run(printedCommand(fix, fixFile));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("modifying entry \"<GUID=" + guid + ">\""), std::string::npos) << out;

  // The newcomer at the old DN: untouched.
  EXPECT_EQ(ldapValue(lab, newcomer, "nTSecurityDescriptor"), newcomerSd);
  EXPECT_EQ(ldapValue(lab, dn, "description"), "took over the old DN");
  // The scanned object, under its new name: fixed (inheritance back on).
  const std::string moved = ldapValue(lab, "<GUID=" + guid + ">", "nTSecurityDescriptor");
  std::istringstream in(moved);
  Poco::Base64Decoder dec(in);
  std::string raw((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  auto view = security::parseSecurityDescriptor(security::asBytes(raw));
  ASSERT_TRUE(view) << moved;
  EXPECT_FALSE(view->daclProtected());
  EXPECT_EQ(ldapValue(lab, "<GUID=" + guid + ">", "distinguishedName"), movedRdn + "," + parent);
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

  // Two findings of one rule on one object must say how they differ: an administrator reading
  // two identical lines cannot tell which ACE each one is about (issue 16, section 6).
  std::map<std::string, std::string> seen;  // rule + DN + summary -> fingerprint
  for (const auto& [fp, f] : s.byFingerprint) {
    auto [it, fresh] = seen.emplace(f.rule + "\n" + f.dn + "\n" + f.summary, fp);
    EXPECT_TRUE(fresh) << f.rule << " on " << f.dn << ": two findings read the same: " << f.summary;
  }

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
