#include "ldap/secret.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

#include "test_util.h"

namespace adcheck::ldap {
namespace {

using ::testing::HasSubstr;

constexpr const char* kVar = "ADCHECK_TEST_BIND_PASSWORD";

class SecretTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(kVar); }
  void TearDown() override { ::unsetenv(kVar); }
  test::TempDir dir_;
};

TEST_F(SecretTest, FileWithTrailingNewlineIsStripped) {
  test::writeFile(dir_.file("pw"), "s3cr3t pass\n");
  auto s = loadSecret(dir_.file("pw"), kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), "s3cr3t pass");
}

TEST_F(SecretTest, CrLfIsStrippedButInnerAndTrailingBlanksStay) {
  test::writeFile(dir_.file("pw"), " pa ss \r\n");
  auto s = loadSecret(dir_.file("pw"), kVar);
  ASSERT_TRUE(s) << s.error().toString();
  EXPECT_EQ(s->reveal(), " pa ss ");
  test::writeFile(dir_.file("pw2"), "nonewline");
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
  test::writeFile(dir_.file("locked.pw"), "x\n");
  ::chmod(dir_.file("locked.pw").c_str(), 0);
  auto s = loadSecret(dir_.file("locked.pw"), kVar);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_THAT(s.error().message, HasSubstr("Permission denied"));
}

TEST_F(SecretTest, EmptyOrMultiLineFileIsRefused) {
  test::writeFile(dir_.file("empty.pw"), "\n");
  auto e = loadSecret(dir_.file("empty.pw"), kVar);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kConfig);
  EXPECT_THAT(e.error().message, HasSubstr("is empty"));
  test::writeFile(dir_.file("multi.pw"), "firstsecretline\nsecondsecretline\n");
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
  test::writeFile(dir_.file("pw"), "from-file\n");
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

}  // namespace
}  // namespace adcheck::ldap
