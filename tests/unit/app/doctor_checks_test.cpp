// adcheck doctor's judgements at their limits (a DC with a wrong clock or a certificate about to
// expire cannot be staged in the lab without breaking it for every other test).
#include "adcheck/app/doctor_checks.h"

#include <gtest/gtest.h>

namespace adcheck::app::doctor {
namespace {

constexpr std::time_t kDc = 1'800'000'000;

TEST(DoctorChecks, ClockSkewBeyondFiveMinutesFailsKerberosAndWarnsOtherwise) {
  EXPECT_EQ(judgeClockSkew(kDc, kDc + 5, true).level, Level::kOk);
  EXPECT_EQ(judgeClockSkew(kDc, kDc - 60, true).level, Level::kOk);
  EXPECT_EQ(judgeClockSkew(kDc, kDc - 61, true).level, Level::kWarn);
  EXPECT_EQ(judgeClockSkew(kDc, kDc + 300, true).level, Level::kWarn);
  const auto behind = judgeClockSkew(kDc, kDc - 301, true);
  EXPECT_EQ(behind.level, Level::kFail);
  EXPECT_NE(behind.text.find("301 s behind"), std::string::npos) << behind.text;
  EXPECT_NE(behind.fix.find("synchronise"), std::string::npos);
  EXPECT_EQ(judgeClockSkew(kDc, kDc + 3600, false).level, Level::kWarn);
  EXPECT_NE(judgeClockSkew(kDc, kDc + 3600, false).text.find("ahead of"), std::string::npos);
}

TEST(DoctorChecks, CertificateDates) {
  const std::time_t now = kDc;
  EXPECT_EQ(judgeCertificateDates("c", now - 10, now + 31 * 86400, now, 30, "renew").level, Level::kOk);
  const auto soon = judgeCertificateDates("c", now - 10, now + 29 * 86400 + 5, now, 30, "renew");
  EXPECT_EQ(soon.level, Level::kWarn);
  EXPECT_NE(soon.text.find("expires in 29 day(s)"), std::string::npos) << soon.text;
  EXPECT_EQ(judgeCertificateDates("c", now - 100, now - 1, now, 30, "renew").level, Level::kFail);
  EXPECT_EQ(judgeCertificateDates("c", now + 100, now + 400 * 86400, now, 30, "renew").level, Level::kFail);
}

TEST(DoctorChecks, StoreVersions) {
  EXPECT_EQ(judgeStoreVersion("s", 7, 7).level, Level::kOk);
  EXPECT_EQ(judgeStoreVersion("s", 0, 7).level, Level::kOk);
  EXPECT_NE(judgeStoreVersion("s", 5, 7).text.find("migrates it to 7"), std::string::npos);
  const auto newer = judgeStoreVersion("s", 8, 7);
  EXPECT_EQ(newer.level, Level::kFail);
  EXPECT_NE(newer.text.find("newer"), std::string::npos);
}

}  // namespace
}  // namespace adcheck::app::doctor
