// The one place where LDAP result codes and the server's diagnostic text become adcheck::Error
// values (SPEC section 2). Everything in ldap/ that talks to libldap funnels its failures
// through mapLdapError(), so an administrator always gets the same wording for the same
// problem, the server's own words verbatim, and a hint that says what to change.
//
// No libldap types here: result codes are plain ints (the ResultCode enum names the ones we
// act on; errors.cpp checks at compile time that they equal <ldap.h>'s values).
#pragma once

#include <string>
#include <string_view>

#include "adcheck/core/error.h"

namespace adcheck::ldap {

enum class ResultCode : int {
  kSuccess = 0,
  kOperationsError = 1,
  kProtocolError = 2,
  kTimeLimitExceeded = 3,
  kSizeLimitExceeded = 4,
  kAuthMethodNotSupported = 7,
  kStrongAuthRequired = 8,
  kReferral = 10,
  kAdminLimitExceeded = 11,
  kUnavailableCriticalExtension = 12,
  kConfidentialityRequired = 13,
  kSaslBindInProgress = 14,
  kNoSuchAttribute = 16,
  kNoSuchObject = 32,
  kInvalidDnSyntax = 34,
  kInappropriateAuth = 48,
  kInvalidCredentials = 49,
  kInsufficientAccess = 50,
  kBusy = 51,
  kUnavailable = 52,
  kUnwillingToPerform = 53,
  kOther = 80,
  // libldap's own (client side) codes are negative.
  kServerDown = -1,
  kLocalError = -2,
  kEncodingError = -3,
  kDecodingError = -4,
  kTimeout = -5,
  kAuthUnknown = -6,
  kFilterError = -7,
  kParamError = -9,
  kNoMemory = -10,
  kConnectError = -11,
  kNotSupported = -12,
  kControlNotFound = -13,
};

constexpr int operator+(ResultCode c) { return static_cast<int>(c); }

// What was being done when the error happened; every field is optional and only used to
// make the message and hint precise.
struct ErrorContext {
  std::string_view operation;   // "bind", "StartTLS", "search", "connect", ...
  std::string_view uri;         // the server URI
  std::string_view dn;          // the search base / entry / bind identity concerned
  std::string_view mechanism;   // "simple", "GSSAPI", "EXTERNAL"
  std::string_view ca_file;     // [directory] ca_file in effect (for TLS hints)
  std::string_view tls_detail;  // what libldap's TLS layer reported, e.g. a host name mismatch
  bool tls_handshake = false;   // TCP connected and a TLS handshake was attempted
};

// "invalidCredentials (49)", "serverDown (-1)", ...
std::string resultCodeName(int code);

// Maps a libldap result code plus the server's diagnostic message (LDAP_OPT_DIAGNOSTIC_MESSAGE)
// and matched DN to an Error. The diagnostic text is kept verbatim in the message.
Error mapLdapError(int code, std::string_view diagnostic, std::string_view matched_dn,
                   const ErrorContext& context);

}  // namespace adcheck::ldap
