// The judgements of `adcheck doctor` that need no network: kept apart so unit tests can try the
// limits without a DC whose clock is wrong or a certificate about to expire.
#pragma once

#include <cstdlib>
#include <ctime>
#include <string>

namespace adcheck::app::doctor {

enum class Level { kOk, kWarn, kFail };

struct Verdict {
  Level level = Level::kOk;
  std::string text;
  std::string fix;  // empty when ok
};

// Kerberos refuses tickets beyond 5 minutes of skew (its default clockskew); a minute already
// shows that time is not synchronised with the domain.
inline constexpr long kKerberosSkewSeconds = 300;
inline constexpr long kSkewWarnSeconds = 60;

inline Verdict judgeClockSkew(std::time_t dc, std::time_t local, bool kerberos) {
  const long skew = static_cast<long>(local - dc);
  const long abs_skew = std::labs(skew);
  std::string text = "this machine's clock is " + std::to_string(abs_skew) + " s " +
                     (skew >= 0 ? "ahead of" : "behind") + " the DC's";
  const std::string fix =
      "synchronise this machine's time with the domain (chrony or systemd-timesyncd with the DCs "
      "as NTP servers)";
  if (abs_skew > kKerberosSkewSeconds)
    return {kerberos ? Level::kFail : Level::kWarn,
            text + (kerberos ? ": Kerberos (bind = gssapi) fails beyond 300 s"
                             : ": Kerberos would fail beyond 300 s, and certificate validity is judged "
                               "on this clock"),
            fix};
  if (abs_skew > kSkewWarnSeconds) return {Level::kWarn, text, fix};
  return {Level::kOk, text, ""};
}

// A certificate's validity at `now`: expired or not yet valid fails, within warn_days warns.
inline Verdict judgeCertificateDates(const std::string& what, std::time_t not_before,
                                     std::time_t not_after, std::time_t now, int warn_days,
                                     const std::string& renew_fix) {
  if (now < not_before)
    return {Level::kFail, what + " is not valid yet (clock or certificate wrong)", renew_fix};
  if (now > not_after) return {Level::kFail, what + " has expired", renew_fix};
  const long days = static_cast<long>((not_after - now) / 86400);
  if (days < warn_days)
    return {Level::kWarn, what + " expires in " + std::to_string(days) + " day(s)", renew_fix};
  return {Level::kOk, what + " is valid for " + std::to_string(days) + " more day(s)", ""};
}

// The store's schema version against the one this adcheck writes.
inline Verdict judgeStoreVersion(const std::string& path, int found, int latest) {
  if (found > latest)
    return {Level::kFail,
            "the store " + path + " has schema version " + std::to_string(found) +
                ", newer than this adcheck's " + std::to_string(latest),
            "run the adcheck version that wrote it (or newer), or set another [store] path"};
  if (found == 0)
    return {Level::kOk, "the store " + path + " holds no adcheck schema yet: the first scan creates it",
            ""};
  if (found < latest)
    return {Level::kOk,
            "the store " + path + " has schema version " + std::to_string(found) +
                "; the next scan migrates it to " + std::to_string(latest),
            ""};
  return {Level::kOk, "the store " + path + " has schema version " + std::to_string(found), ""};
}

}  // namespace adcheck::app::doctor
