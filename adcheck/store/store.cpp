#include "adcheck/store/store.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Glob.h>
#include <Poco/Timespan.h>

#include <cctype>

#include "ldap/entry.h"

namespace adcheck::store {
namespace {

bool allDigits(std::string_view s) {
  for (char c : s)
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  return !s.empty();
}

// Poco::Glob accepts any pattern and only trips over a malformed one when matching reaches it;
// an exception must be refused when it is added, not silently never match.
std::optional<std::string> globProblem(const std::string& pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 == pattern.size()) return "it ends with a lone backslash (escape it as \\\\)";
      ++i;
    } else if (pattern[i] == '[') {
      auto close = pattern.find(']', i + 2);
      if (close == std::string::npos)
        return "the '[' at offset " + std::to_string(i) + " is not closed by ']'";
      i = close;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<SortField> parseSortField(std::string_view name) {
  if (name == "severity") return SortField::kSeverity;
  if (name == "rule") return SortField::kRule;
  if (name == "dn") return SortField::kDn;
  if (name == "sam" || name == "samAccountName") return SortField::kSamAccountName;
  if (name == "firstSeen") return SortField::kFirstSeen;
  if (name == "status") return SortField::kStatus;
  return std::nullopt;
}

bool isKnownStatus(std::string_view status) {
  return status == kStatusNew || status == kStatusOpen || status == kStatusReopened ||
         status == kStatusResolved || status == kStatusExcepted;
}

Result<std::time_t> parseExpiryDate(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "expiry date '" + text + "' " + why,
                "give the last day the exception applies as YYYY-MM-DD, e.g. 2025-12-31");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !allDigits(std::string_view(text).substr(0, 4)) ||
      !allDigits(std::string_view(text).substr(5, 2)) ||
      !allDigits(std::string_view(text).substr(8, 2)))
    return bad("is not in the form YYYY-MM-DD");
  int y = std::stoi(text.substr(0, 4));
  int m = std::stoi(text.substr(5, 2));
  int d = std::stoi(text.substr(8, 2));
  if (y < 1970 || !Poco::DateTime::isValid(y, m, d)) return bad("is not a calendar date");
  Poco::DateTime day(y, m, d);
  day += Poco::Timespan(1, 0, 0, 0, 0);
  return static_cast<std::time_t>(day.timestamp().epochTime());
}

std::optional<std::time_t> parseDirectoryTime(const std::string& text) {
  if (text.empty()) return std::nullopt;
  // Poco's parser is lenient (any text becomes year 0): insist on the ISO shape first.
  auto digits_at = [&](std::initializer_list<std::size_t> at) {
    for (auto i : at)
      if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
    return true;
  };
  const bool iso = text.size() >= 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
                   text[13] == ':' && text[16] == ':' &&
                   digits_at({0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18});
  if (!iso) return scan::parseGeneralizedTime(text);
  Poco::DateTime dt;
  int tzd = 0;
  for (const auto& format : {Poco::DateTimeFormat::ISO8601_FORMAT,
                             Poco::DateTimeFormat::ISO8601_FRAC_FORMAT}) {
    if (Poco::DateTimeParser::tryParse(format, text, dt, tzd)) {
      dt.makeUTC(tzd);
      return static_cast<std::time_t>(dt.timestamp().epochTime());
    }
  }
  return scan::parseGeneralizedTime(text);
}

Result<std::time_t> validateException(const ExceptionSpec& spec, std::time_t now) {
  const bool by_fingerprint = !spec.fingerprint.empty();
  const bool by_rule = !spec.rule.empty() || !spec.dnPattern.empty();
  const std::string usage = "give either --fingerprint FP, or --rule ID with --dn-pattern GLOB";
  if (by_fingerprint && by_rule)
    return fail(ErrorCode::kInvalidArgument,
                "an exception is either for one fingerprint or for a rule and DN pattern, not both",
                usage);
  if (!by_fingerprint && !by_rule)
    return fail(ErrorCode::kInvalidArgument, "the exception names no finding", usage);
  if (by_fingerprint && spec.fingerprint.find('|') == std::string::npos)
    return fail(ErrorCode::kInvalidArgument,
                "'" + spec.fingerprint + "' is not a finding fingerprint (RULE|objectGUID[|key])",
                "copy it from the \"fingerprint\" of adcheck scan --format json");
  if (by_rule) {
    if (spec.rule.empty())
      return fail(ErrorCode::kInvalidArgument, "--dn-pattern needs --rule ID",
                  "adcheck rules lists the rule ids");
    if (spec.dnPattern.empty())
      return fail(ErrorCode::kInvalidArgument, "--rule needs --dn-pattern GLOB",
                  "e.g. --dn-pattern '*,OU=Service Accounts,DC=corp,DC=example,DC=com'; '*' "
                  "covers every object");
    if (auto why = globProblem(spec.dnPattern))
      return fail(ErrorCode::kInvalidArgument, "DN pattern '" + spec.dnPattern + "' is not a valid glob: " + *why,
                  "use * for any run of characters, ? for one, [abc] for a set");
  }
  if (spec.reason.empty())
    return fail(ErrorCode::kInvalidArgument, "an exception needs a reason",
                "say why the risk is accepted: --reason TEXT");
  if (spec.owner.empty())
    return fail(ErrorCode::kInvalidArgument, "an exception needs an owner",
                "name who accepted the risk: --owner NAME");
  if (spec.expires.empty()) return std::time_t{0};
  auto at = parseExpiryDate(spec.expires);
  if (!at) return fail(at.error());
  if (*at <= now)
    return fail(ErrorCode::kInvalidArgument,
                "expiry date " + spec.expires + " is already past",
                "give today or a later day (the exception applies through that day, UTC)");
  return *at;
}

std::string ExceptionRecord::state(std::time_t when) const {
  if (removedAt != 0 && removedAt <= when) return "removed";
  if (expiresAt != 0 && expiresAt <= when) return "expired";
  return "active";
}

bool ExceptionRecord::matches(const std::string& fingerprint, const std::string& rule,
                              const std::string& dn) const {
  if (!spec.fingerprint.empty()) return ldap::iequals(spec.fingerprint, fingerprint);
  if (!ldap::iequals(spec.rule, rule)) return false;
  try {
    Poco::Glob glob(spec.dnPattern, Poco::Glob::GLOB_CASELESS);
    return glob.match(dn);
  } catch (const Poco::Exception&) {
    return false;  // refused by validateException; an old row must not stop a scan
  }
}

}  // namespace adcheck::store
