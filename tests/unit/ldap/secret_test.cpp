#include "ldap/secret.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "test_util.h"

namespace adcheck::ldap {
namespace {

using ::testing::HasSubstr;

constexpr const char* kVar = "ADCHECK_TEST_BIND_PASSWORD";

class SecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kVar);
    forgetEnvironmentSecrets();
  }
  void TearDown() override {
    ::unsetenv(kVar);
    forgetEnvironmentSecrets();
  }
  test::TempDir dir_;
};

TEST_F(SecretTest, FileWithTrailingNewlineIsStripped) {
  test::writeSecretFile(dir_.file("pw"), "s3cr3t pass\n");
  auto s = loadSecret(dir_.file("pw"), kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), "s3cr3t pass");
}

TEST_F(SecretTest, CrLfIsStrippedButInnerAndTrailingBlanksStay) {
  test::writeSecretFile(dir_.file("pw"), " pa ss \r\n");
  auto s = loadSecret(dir_.file("pw"), kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), " pa ss ");
  test::writeSecretFile(dir_.file("pw2"), "nonewline");
  EXPECT_EQ(loadSecret(dir_.file("pw2"), kVar)->reveal(), "nonewline");
}

TEST_F(SecretTest, MissingFileNamesTheFile) {
  auto s = loadSecret(dir_.file("absent.pw"), kVar);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_THAT(s.error().message, HasSubstr(dir_.file("absent.pw")));
  EXPECT_THAT(s.error().message, HasSubstr("No such file"));
  EXPECT_THAT(s.error().hint, HasSubstr("password_file"));
}

TEST_F(SecretTest, UnreadableFileIsAnError) {
  if (::geteuid() == 0) {
    // root reads any file: make the path unreadable by making it a directory instead.
    std::filesystem::create_directory(dir_.file("dir.pw"));
    auto s = loadSecret(dir_.file("dir.pw"), kVar);
    ASSERT_FALSE(s);
    EXPECT_THAT(s.error().message, HasSubstr("is a directory"));
    return;
  }
  test::writeSecretFile(dir_.file("locked.pw"), "x\n");
  ::chmod(dir_.file("locked.pw").c_str(), 0);
  auto s = loadSecret(dir_.file("locked.pw"), kVar);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_THAT(s.error().message, HasSubstr("Permission denied"));
}

TEST_F(SecretTest, EmptyOrMultiLineFileIsRefused) {
  test::writeSecretFile(dir_.file("empty.pw"), "\n");
  auto e = loadSecret(dir_.file("empty.pw"), kVar);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kConfig);
  EXPECT_THAT(e.error().message, HasSubstr("is empty"));
  test::writeSecretFile(dir_.file("multi.pw"), "firstsecretline\nsecondsecretline\n");
  auto t = loadSecret(dir_.file("multi.pw"), kVar);
  ASSERT_FALSE(t);
  EXPECT_THAT(t.error().message, HasSubstr("more than one line"));
  // The error text never contains the file's content.
  EXPECT_THAT(t.error().toString(), ::testing::Not(HasSubstr("secretline")));
}

TEST_F(SecretTest, EnvironmentVariableWhenNoFile) {
  ::setenv(kVar, "from-env", 1);
  auto s = loadSecret("", kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), "from-env");
}

TEST_F(SecretTest, FileWinsOverEnvironment) {
  ::setenv(kVar, "from-env", 1);
  test::writeSecretFile(dir_.file("pw"), "from-file\n");
  EXPECT_EQ(loadSecret(dir_.file("pw"), kVar)->reveal(), "from-file");
}

TEST_F(SecretTest, NeitherFileNorVariableNamesBoth) {
  auto s = loadSecret("", kVar);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
  EXPECT_THAT(s.error().message, HasSubstr("password_file"));
  EXPECT_THAT(s.error().message, HasSubstr(kVar));
  ::setenv(kVar, "", 1);
  auto empty = loadSecret("", kVar);
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("is empty"));
}

TEST_F(SecretTest, PrintingNeverShowsTheValue) {
  Secret s("hunter2");
  std::ostringstream out;
  out << s;
  EXPECT_EQ(out.str(), "<redacted>");
  Secret copy = s;
  EXPECT_EQ(copy.reveal(), "hunter2");
  Secret moved = std::move(copy);
  EXPECT_EQ(moved.reveal(), "hunter2");
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped
  moved.wipe();
  EXPECT_TRUE(moved.empty());
}

TEST_F(SecretTest, FileOpenToGroupOrOthersIsRefusedLikeSsh) {
  // Any group or other bit: read, write or execute.
  for (unsigned mode : {0644u, 0640u, 0604u, 0620u, 0660u, 0601u, 0666u}) {
    test::writeFile(dir_.file("bind.pw"), "topsecretvalue\n");
    ::chmod(dir_.file("bind.pw").c_str(), mode);
    auto s = loadSecret(dir_.file("bind.pw"), kVar);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    ASSERT_FALSE(s) << octal;
    EXPECT_EQ(s.error().code, ErrorCode::kConfig);
    EXPECT_THAT(s.error().message, HasSubstr("password_file \"" + dir_.file("bind.pw") + "\""));
    EXPECT_THAT(s.error().message, HasSubstr(std::string("(mode ") + octal + ")"));
    EXPECT_THAT(s.error().message, HasSubstr("group or others"));
    EXPECT_EQ(s.error().hint, "run chmod 600 " + dir_.file("bind.pw"));
    EXPECT_THAT(s.error().toString(), ::testing::Not(HasSubstr("topsecretvalue")));
  }
  // Owner-only modes are fine.
  for (unsigned mode : {0600u, 0400u}) {
    ::chmod(dir_.file("bind.pw").c_str(), mode);
    auto s = loadSecret(dir_.file("bind.pw"), kVar);
    ASSERT_TRUE(s) << s.error().toString();
    EXPECT_EQ(s->reveal(), "topsecretvalue");
  }
}

TEST_F(SecretTest, SecretFileRuleForKeysAndPathsWithBlanks) {
  // The same rule for any file holding a secret (private keys are not read here, only checked).
  const std::string key = dir_.file("web key.pem");
  test::writeFile(key, "-----BEGIN PRIVATE KEY-----\n");
  ::chmod(key.c_str(), 0644);
  auto bad = checkSecretFile(key, "[web] tls_key");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("[web] tls_key \"" + key + "\""));
  EXPECT_EQ(bad.error().hint, "run chmod 600 '" + key + "'");
  ::chmod(key.c_str(), 0600);
  EXPECT_TRUE(checkSecretFile(key, "[web] tls_key"));
  // A missing file is its reader's to report.
  EXPECT_TRUE(checkSecretFile(dir_.file("absent.pem"), "[web] tls_key"));
  // readSecretFile applies the rule too, and allows an empty file (a PKCS#12 without password).
  test::writeFile(dir_.file("p12.pw"), "");
  ::chmod(dir_.file("p12.pw").c_str(), 0644);
  auto p12 = readSecretFile(dir_.file("p12.pw"), "[endpoint] client_pkcs12_password_file");
  ASSERT_FALSE(p12);
  EXPECT_THAT(p12.error().hint, HasSubstr("chmod 600"));
  ::chmod(dir_.file("p12.pw").c_str(), 0600);
  auto empty = readSecretFile(dir_.file("p12.pw"), "[endpoint] client_pkcs12_password_file");
  ASSERT_TRUE(empty) << empty.error().toString();
  EXPECT_TRUE(empty->empty());
}

TEST_F(SecretTest, FileOwnedBySomeoneElseIsRefused) {
  test::writeSecretFile(dir_.file("bind.pw"), "x\n");
  if (::geteuid() != 0) {
    // Only root can give a file away; as another user, our own file is accepted.
    EXPECT_TRUE(loadSecret(dir_.file("bind.pw"), kVar));
    return;
  }
  ASSERT_EQ(::chown(dir_.file("bind.pw").c_str(), 65534, 65534), 0);  // nobody
  auto s = loadSecret(dir_.file("bind.pw"), kVar);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
  EXPECT_THAT(s.error().message, HasSubstr("belongs to"));
  EXPECT_THAT(s.error().message, HasSubstr("root"));
  EXPECT_THAT(s.error().hint, HasSubstr("run chown root " + dir_.file("bind.pw")));
  // Root-owned files are accepted for any user (ssh's rule too).
  ASSERT_EQ(::chown(dir_.file("bind.pw").c_str(), 0, 0), 0);
  EXPECT_TRUE(loadSecret(dir_.file("bind.pw"), kVar));
}

TEST_F(SecretTest, EnvironmentPasswordIsUnsetAfterReadingAndStillServesLaterCalls) {
  ::setenv(kVar, "env-pass-1234", 1);
  auto s = loadSecret("", kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), "env-pass-1234");
  EXPECT_EQ(std::getenv(kVar), nullptr) << "the variable is still in the environment";
  // A long-running server opens a session per scan: later calls get the same password.
  auto again = loadSecret("", kVar);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->reveal(), "env-pass-1234");
  // A new value in the environment wins (and is taken too).
  ::setenv(kVar, "env-pass-5678", 1);
  EXPECT_EQ(loadSecret("", kVar)->reveal(), "env-pass-5678");
  EXPECT_EQ(std::getenv(kVar), nullptr);
}

TEST(SecretEnvironment, PasswordLeavesProcEnviron) {
  // /proc/<pid>/environ shows the environment the process started with, to root and the same
  // user (ps e); unsetenv alone does not change it. Checked in a fresh process that starts with
  // the variable, as adcheck does ("threadsafe" death tests re-execute the test binary, which
  // inherits the variable; that child runs this body again, so it must not set it a second time:
  // setenv would put a copy on the heap and leave the inherited one alone).
  constexpr const char* kEnvVar = "ADCHECK_TEST_ENVIRON_PASSWORD";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  if (std::getenv(kEnvVar) == nullptr) ::setenv(kEnvVar, "canary-d41d8cd98f", 1);
  EXPECT_EXIT(
      {
        auto s = loadSecret("", kEnvVar);
        std::ifstream in("/proc/self/environ", std::ios::binary);
        const std::string env((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
        const bool leaked = env.find("canary-d41d8cd98f") != std::string::npos;
        std::fprintf(stderr, "read=%d leaked=%d environ=%zu bytes\n", s ? 1 : 0, leaked ? 1 : 0,
                     env.size());
        std::_Exit(s && s->reveal() == "canary-d41d8cd98f" && !leaked && !env.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "read=1 leaked=0");
  ::unsetenv(kEnvVar);
}

TEST_F(SecretTest, WipeOverwritesTheWholeBuffer) {
  std::string body = R"({"username":"jdoe","password":"hunter2-hunter2-hunter2"})";
  body.reserve(256);
  const char* data = body.data();
  const std::size_t capacity = body.capacity();
  wipe(body);
  EXPECT_TRUE(body.empty());
  ASSERT_EQ(body.data(), data);  // same buffer, still owned by the string
  for (std::size_t i = 0; i < capacity; ++i) ASSERT_EQ(data[i], '\0') << "byte " << i;
}

}  // namespace
}  // namespace adcheck::ldap
