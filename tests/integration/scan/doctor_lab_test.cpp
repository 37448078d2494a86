// adcheck doctor against the real lab DC: a good configuration has no failure, and each thing
// that would break a scan (name, port, trust, password, store, dashboard certificate) is named
// on its own line with exit code 2.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/support/lab_fixture.h"

namespace adcheck {
namespace {

using testing::Identity;

struct Run {
  int rc;
  std::string out;
};

Run doctor(const std::string& name, const std::string& ini, const std::string& flags = "") {
  auto file = testing::scratchFile(name + ".ini", ini);
  auto [rc, out] = testing::run("'" + testing::adcheckBinary() + "' doctor --config '" + file + "' " + flags);
  return {rc, out};
}

bool hasLine(const std::string& out, const std::string& status, const std::string& check) {
  std::string want = status + "  " + check;
  return out.find("\n" + want) != std::string::npos || out.rfind(want, 0) == 0;
}

std::string dir() {
  auto d = std::filesystem::path(ADCHECK_BINARY_DIR) / "test-scratch" / "doctor";
  std::filesystem::create_directories(d);
  return d.string();
}

// A self-signed certificate and key (openssl from the system), valid for `days`.
void makeCert(const std::string& stem, int days) {
  auto [rc, out] = testing::run("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=doctor.test -days " +
                                std::to_string(days) + " -keyout '" + stem + ".key' -out '" + stem + ".pem'");
  ASSERT_EQ(rc, 0) << out;
  ::chmod((stem + ".key").c_str(), 0600);
}

std::string readerIni(const testing::Lab& lab) { return testing::labConfigIni(lab, Identity::kReaderLdaps); }

TEST(DoctorLab, AGoodConfigurationPassesEveryCheckAndReportsWhatTheAccountCannotRead) {
  auto lab = testing::loadLab();
  auto r = doctor("doctor-good", readerIni(lab) + "[store]\npath = " + dir() + "/none.sqlite\n");
  EXPECT_EQ(r.out.find("\nfail"), std::string::npos) << r.out;
  for (const char* check : {"dns", "tcp", "tls", "bind", "rootdse", "clock", "descriptor", "store", "web"})
    EXPECT_TRUE(hasLine(r.out, "ok  ", check)) << check << "\n" << r.out;
  // The lab's reader may not read homeMDB on some users: doctor says so (exit 1, a warning).
  EXPECT_TRUE(hasLine(r.out, "warn", "coverage")) << r.out;
  EXPECT_EQ(r.rc, 1) << r.out;
  // --quick skips the full read: no coverage line at all.
  auto quick = doctor("doctor-quick", readerIni(lab), "--quick");
  EXPECT_EQ(quick.out.find("coverage"), std::string::npos) << quick.out;
  EXPECT_TRUE(hasLine(quick.out, "ok  ", "descriptor")) << quick.out;
}

TEST(DoctorLab, AWrongPasswordFailsTheBindWithItsFix) {
  auto lab = testing::loadLab();
  auto pw = testing::scratchFile("doctor-wrong.pw", "not-the-password\n");
  ::chmod(pw.c_str(), 0600);
  std::string ini = readerIni(lab);
  ini.replace(ini.find(lab.str("reader.password_file")), lab.str("reader.password_file").size(), pw);
  auto r = doctor("doctor-wrongpw", ini, "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_TRUE(hasLine(r.out, "fail", "bind")) << r.out;
  EXPECT_TRUE(hasLine(r.out, "ok  ", "tls")) << r.out;  // everything before the bind still ok
}

TEST(DoctorLab, AnUnknownHostFailsDnsAndAClosedPortFailsTcp) {
  auto lab = testing::loadLab();
  std::string ini = readerIni(lab);
  const std::string uri = lab.str("ldaps_uri");
  std::string unknown = ini;
  unknown.replace(unknown.find(uri), uri.size(), "ldaps://no-such-dc.corp.invalid");
  auto r = doctor("doctor-dns", unknown, "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_TRUE(hasLine(r.out, "fail", "dns")) << r.out;
  EXPECT_NE(r.out.find("no-such-dc.corp.invalid does not resolve"), std::string::npos) << r.out;

  std::string closed = ini;
  closed.replace(closed.find(uri), uri.size(), uri + ":1");
  r = doctor("doctor-tcp", closed, "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_TRUE(hasLine(r.out, "ok  ", "dns")) << r.out;
  EXPECT_TRUE(hasLine(r.out, "fail", "tcp")) << r.out;
}

TEST(DoctorLab, ACaFileThatDidNotIssueTheDcCertificateFailsTls) {
  auto lab = testing::loadLab();
  const std::string other = dir() + "/other-ca";
  makeCert(other, 30);
  std::string ini = readerIni(lab);
  ini.replace(ini.find(lab.str("ca_file")), lab.str("ca_file").size(), other + ".pem");
  auto r = doctor("doctor-ca", ini, "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_TRUE(hasLine(r.out, "fail", "tls")) << r.out;
  EXPECT_NE(r.out.find("does not chain to [directory] ca_file " + other + ".pem"), std::string::npos) << r.out;
}

TEST(DoctorLab, StoreProblemsAreNamed) {
  auto lab = testing::loadLab();
  auto r = doctor("doctor-store-dir", readerIni(lab) + "[store]\npath = " + dir() + "/missing/dir/a.sqlite\n", "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_TRUE(hasLine(r.out, "fail", "store")) << r.out;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;

  // A store written by a newer adcheck (schema version 9999).
  const std::string newer = dir() + "/newer.sqlite";
  std::filesystem::remove(newer);
  auto [rc, out] = testing::run("/usr/bin/python3 -c \"import sqlite3; c=sqlite3.connect('" + newer +
                                "'); c.execute('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                                "description TEXT, applied_at TEXT)'); c.execute('INSERT INTO schema_version "
                                "VALUES (9999, \\\"future\\\", \\\"now\\\")'); c.commit()\"");
  ASSERT_EQ(rc, 0) << out;
  r = doctor("doctor-store-newer", readerIni(lab) + "[store]\npath = " + newer + "\n", "--quick");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("schema version 9999, newer than"), std::string::npos) << r.out;
  // Looking did not change it.
  auto [rc2, version] = testing::run("/usr/bin/python3 -c \"import sqlite3; print(sqlite3.connect('" + newer +
                                     "').execute('SELECT MAX(version) FROM schema_version').fetchone()[0])\"");
  EXPECT_EQ(version, "9999\n");
}

TEST(DoctorLab, TheDashboardCertificateMustMatchItsKeyAndNotBeAboutToExpire) {
  auto lab = testing::loadLab();
  const std::string a = dir() + "/web-a", b = dir() + "/web-b";
  makeCert(a, 10);
  makeCert(b, 400);
  auto mismatch = doctor("doctor-web-mismatch",
                         readerIni(lab) + "[web]\nlisten = 0.0.0.0:8443\ntls_cert = " + a + ".pem\ntls_key = " + b + ".key\n",
                         "--quick");
  EXPECT_EQ(mismatch.rc, 2) << mismatch.out;
  EXPECT_TRUE(hasLine(mismatch.out, "fail", "web")) << mismatch.out;
  EXPECT_NE(mismatch.out.find("cannot be used together: the key is not the certificate"), std::string::npos) << mismatch.out;

  auto soon = doctor("doctor-web-soon",
                     readerIni(lab) + "[web]\nlisten = 0.0.0.0:8443\ntls_cert = " + a + ".pem\ntls_key = " + a + ".key\n",
                     "--quick");
  EXPECT_TRUE(hasLine(soon.out, "ok  ", "web")) << soon.out;
  EXPECT_TRUE(hasLine(soon.out, "warn", "web-expiry")) << soon.out;

  auto plain = doctor("doctor-web-plain", readerIni(lab) + "[web]\nlisten = 0.0.0.0:8443\n", "--quick");
  EXPECT_EQ(plain.rc, 2) << plain.out;
  EXPECT_NE(plain.out.find("serve will refuse to start"), std::string::npos) << plain.out;
}

}  // namespace
}  // namespace adcheck
