#include "ldap/errors.h"

#include "ldap/entry.h"  // iequals

#include <ldap.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace adcheck::ldap {
namespace {

// The enum mirrors <ldap.h>; keep them from drifting apart.
static_assert(+ResultCode::kInvalidCredentials == LDAP_INVALID_CREDENTIALS);
static_assert(+ResultCode::kStrongAuthRequired == LDAP_STRONG_AUTH_REQUIRED);
static_assert(+ResultCode::kConfidentialityRequired == LDAP_CONFIDENTIALITY_REQUIRED);
static_assert(+ResultCode::kInappropriateAuth == LDAP_INAPPROPRIATE_AUTH);
static_assert(+ResultCode::kAuthMethodNotSupported == LDAP_AUTH_METHOD_NOT_SUPPORTED);
static_assert(+ResultCode::kNoSuchObject == LDAP_NO_SUCH_OBJECT);
static_assert(+ResultCode::kSizeLimitExceeded == LDAP_SIZELIMIT_EXCEEDED);
static_assert(+ResultCode::kTimeLimitExceeded == LDAP_TIMELIMIT_EXCEEDED);
static_assert(+ResultCode::kAdminLimitExceeded == LDAP_ADMINLIMIT_EXCEEDED);
static_assert(+ResultCode::kUnavailableCriticalExtension == LDAP_UNAVAILABLE_CRITICAL_EXTENSION);
static_assert(+ResultCode::kInsufficientAccess == LDAP_INSUFFICIENT_ACCESS);
static_assert(+ResultCode::kBusy == LDAP_BUSY);
static_assert(+ResultCode::kUnavailable == LDAP_UNAVAILABLE);
static_assert(+ResultCode::kUnwillingToPerform == LDAP_UNWILLING_TO_PERFORM);
static_assert(+ResultCode::kInvalidDnSyntax == LDAP_INVALID_DN_SYNTAX);
static_assert(+ResultCode::kServerDown == LDAP_SERVER_DOWN);
static_assert(+ResultCode::kLocalError == LDAP_LOCAL_ERROR);
static_assert(+ResultCode::kTimeout == LDAP_TIMEOUT);
static_assert(+ResultCode::kAuthUnknown == LDAP_AUTH_UNKNOWN);
static_assert(+ResultCode::kFilterError == LDAP_FILTER_ERROR);
static_assert(+ResultCode::kParamError == LDAP_PARAM_ERROR);
static_assert(+ResultCode::kConnectError == LDAP_CONNECT_ERROR);
static_assert(+ResultCode::kNotSupported == LDAP_NOT_SUPPORTED);
static_assert(+ResultCode::kControlNotFound == LDAP_CONTROL_NOT_FOUND);
static_assert(+ResultCode::kProtocolError == LDAP_PROTOCOL_ERROR);
static_assert(+ResultCode::kOperationsError == LDAP_OPERATIONS_ERROR);
static_assert(+ResultCode::kDecodingError == LDAP_DECODING_ERROR);

constexpr std::string_view kCheckCredentials =
    "check [directory] user and password_file (or the environment variable ADCHECK_BIND_PASSWORD)";
constexpr std::string_view kUseProtectedTransport =
    "use ldaps://, starttls = true or bind = gssapi";
constexpr std::string_view kGssapiWithoutTls =
    "with bind = gssapi use ldap:// URIs and starttls = false: Kerberos signs and seals the "
    "connection itself, and Active Directory refuses a SASL security layer inside TLS";

bool contains(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

// Active Directory puts the Win32 reason of a failed bind into the diagnostic text as
// "data 52e"; the numbers are documented for LDAP error 49 (e.g. by Microsoft's
// "LDAP bind errors" troubleshooting article).
std::string adBindReason(std::string_view diagnostic) {
  struct Reason {
    std::string_view code;
    std::string_view text;
  };
  static constexpr Reason kReasons[] = {
      {"525", "the user does not exist: check [directory] user"},
      {"52e", "wrong user name or password: " /* completed below */},
      {"530", "the account may not log on at this time (logon hours)"},
      {"531", "the account may not log on from this workstation"},
      {"532", "the password has expired: set a new one and update password_file"},
      {"533", "the account is disabled"},
      {"701", "the account has expired"},
      {"773", "the password must be changed before the account can bind"},
      {"775", "the account is locked out: wait or ask an administrator to unlock it"},
  };
  auto pos = diagnostic.find("data ");
  if (pos == std::string_view::npos) return {};
  auto code = diagnostic.substr(pos + 5, 3);
  for (const auto& r : kReasons) {
    if (iequals(code, r.code)) {
      if (r.code == "52e") return std::string(r.text) + std::string(kCheckCredentials);
      return std::string(r.text);
    }
  }
  return {};
}

std::string describeOperation(const ErrorContext& c) {
  std::string s = c.operation.empty() ? std::string("LDAP operation") : std::string(c.operation);
  if (!c.dn.empty()) s += " of \"" + std::string(c.dn) + "\"";
  if (!c.uri.empty()) s += " on " + std::string(c.uri);
  return s;
}

bool isBind(const ErrorContext& c) { return c.operation == "bind"; }

Error tlsError(const ErrorContext& c, std::string message) {
  std::string hint;
  const std::string ca = c.ca_file.empty() ? std::string("(none: the system trust store)")
                                           : "\"" + std::string(c.ca_file) + "\"";
  if (contains(c.tls_detail, "does not match")) {
    hint = "connect by the host name that the DC certificate names (an IP address or alias does "
           "not match it), or tls_verify = false for a lab";
  } else if (contains(c.tls_detail, "CA certificate file") ||
             contains(c.tls_detail, "could not use")) {
    hint = "[directory] ca_file " + ca + " cannot be loaded: point it at a readable PEM file";
  } else if (c.tls_detail.empty() && !c.ca_file.empty()) {
    // No certificate complaint was logged and a CA is configured: as likely a handshake cut
    // short on the way (firewall, proxy, load balancer) as a wrong CA; name both, network first.
    hint =
        "the handshake broke off without a certificate error: check the network path to the "
        "DC (a firewall, proxy or load balancer cutting TLS, or a DC restarting) and retry; if "
        "it persists, check that [directory] ca_file " +
        ca + " is the CA that signed the DC certificate (or tls_verify = false for a lab)";
  } else {
    hint = "set [directory] ca_file to the CA that signed the DC certificate (now: " + ca +
           "), or tls_verify = false for a lab; if it is set, check the network path to the DC";
  }
  return Error{ErrorCode::kTls, std::move(message), std::move(hint)};
}

}  // namespace

std::string resultCodeName(int code) {
  const char* name = nullptr;
  switch (code) {
    case LDAP_SUCCESS: name = "success"; break;
    case LDAP_OPERATIONS_ERROR: name = "operationsError"; break;
    case LDAP_PROTOCOL_ERROR: name = "protocolError"; break;
    case LDAP_TIMELIMIT_EXCEEDED: name = "timeLimitExceeded"; break;
    case LDAP_SIZELIMIT_EXCEEDED: name = "sizeLimitExceeded"; break;
    case LDAP_AUTH_METHOD_NOT_SUPPORTED: name = "authMethodNotSupported"; break;
    case LDAP_STRONG_AUTH_REQUIRED: name = "strongerAuthRequired"; break;
    case LDAP_REFERRAL: name = "referral"; break;
    case LDAP_ADMINLIMIT_EXCEEDED: name = "adminLimitExceeded"; break;
    case LDAP_UNAVAILABLE_CRITICAL_EXTENSION: name = "unavailableCriticalExtension"; break;
    case LDAP_CONFIDENTIALITY_REQUIRED: name = "confidentialityRequired"; break;
    case LDAP_NO_SUCH_ATTRIBUTE: name = "noSuchAttribute"; break;
    case LDAP_NO_SUCH_OBJECT: name = "noSuchObject"; break;
    case LDAP_INVALID_DN_SYNTAX: name = "invalidDNSyntax"; break;
    case LDAP_INAPPROPRIATE_AUTH: name = "inappropriateAuthentication"; break;
    case LDAP_INVALID_CREDENTIALS: name = "invalidCredentials"; break;
    case LDAP_INSUFFICIENT_ACCESS: name = "insufficientAccessRights"; break;
    case LDAP_BUSY: name = "busy"; break;
    case LDAP_UNAVAILABLE: name = "unavailable"; break;
    case LDAP_UNWILLING_TO_PERFORM: name = "unwillingToPerform"; break;
    case LDAP_OTHER: name = "other"; break;
    default: break;
  }
  std::string text = name != nullptr ? std::string(name) : std::string(ldap_err2string(code));
  return text + " (" + std::to_string(code) + ")";
}

Error mapLdapError(int code, std::string_view diagnostic, std::string_view matched_dn,
                   const ErrorContext& c) {
  std::string message = describeOperation(c) + " failed: " + resultCodeName(code);
  // libldap puts its own text (negative codes) or the server's (positive codes) there; GnuTLS
  // contributes only "(unknown error code)", which says nothing.
  if (!diagnostic.empty() && diagnostic != "(unknown error code)") {
    message += code < 0 ? ": " + std::string(diagnostic)
                        : ": server said \"" + std::string(diagnostic) + "\"";
  }
  if (!c.tls_detail.empty()) message += " [TLS: " + std::string(c.tls_detail) + "]";
  if (!matched_dn.empty()) message += " (matched DN \"" + std::string(matched_dn) + "\")";

  const bool gssapi = c.mechanism == "GSSAPI";
  auto make = [&](ErrorCode ec, std::string hint) {
    return Error{ec, message, std::move(hint)};
  };

  switch (code) {
    case LDAP_INVALID_CREDENTIALS: {
      if (gssapi)
        return make(ErrorCode::kAuth,
                    "the Kerberos ticket was refused: renew it (kinit, or a keytab in "
                    "KRB5_CLIENT_KTNAME) and check KRB5CCNAME");
      auto reason = adBindReason(diagnostic);
      return make(ErrorCode::kAuth, reason.empty() ? std::string(kCheckCredentials) : reason);
    }
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
      if (contains(diagnostic, "Sign or Seal are required") && gssapi)
        return make(ErrorCode::kAuth, std::string(kGssapiWithoutTls));
      return make(ErrorCode::kAuth, std::string(kUseProtectedTransport));
    case LDAP_INAPPROPRIATE_AUTH:
      return make(ErrorCode::kAuth,
                  "the account cannot bind this way (an empty password is an anonymous bind): " +
                      std::string(kCheckCredentials));
    case LDAP_AUTH_METHOD_NOT_SUPPORTED:
      return make(ErrorCode::kAuth,
                  "the DC does not offer this bind method (see supportedSASLMechanisms in its "
                  "RootDSE): use bind = gssapi, or bind = simple over ldaps://");
    case LDAP_AUTH_UNKNOWN:
      return make(ErrorCode::kAuth, "use bind = simple, gssapi or external");
    case LDAP_UNWILLING_TO_PERFORM:
      if (isBind(c) && contains(diagnostic, "Sign or Seal are not allowed"))
        return make(ErrorCode::kAuth, std::string(kGssapiWithoutTls));
      if (isBind(c)) return make(ErrorCode::kAuth, std::string(kCheckCredentials));
      return make(ErrorCode::kLdap, "the DC refused the request; see the server's message");
    case LDAP_LOCAL_ERROR:
    case LDAP_OTHER:
      if (isBind(c) && gssapi) {
        if (contains(diagnostic, "not found in Kerberos database"))
          return make(ErrorCode::kAuth,
                      "name the DC in [directory] uri by the host name it has in AD (not an IP "
                      "address or DNS alias) and keep sasl_nocanon = true");
        if (contains(diagnostic, "credentials cache") || contains(diagnostic, "No credentials") ||
            contains(diagnostic, "expired") || contains(diagnostic, "No Kerberos credentials"))
          return make(ErrorCode::kAuth,
                      "get a Kerberos ticket first: kinit (KRB5CCNAME) or a keytab "
                      "(KRB5_CLIENT_KTNAME)");
        if (contains(diagnostic, "KDC"))
          return make(ErrorCode::kAuth,
                      "no KDC reachable for the realm: check the krb5.conf in KRB5_CONFIG");
        return make(ErrorCode::kAuth,
                    "check the Kerberos set-up: ticket (KRB5CCNAME or KRB5_CLIENT_KTNAME), "
                    "krb5.conf (KRB5_CONFIG) and the DC host name in [directory] uri");
      }
      if (isBind(c))
        return make(ErrorCode::kAuth, "the SASL bind failed locally; see the message");
      return make(ErrorCode::kLdap, {});
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
      if (c.tls_handshake || !c.tls_detail.empty()) {
        std::string tls_message = describeOperation(c) + " failed: the TLS handshake did not "
                                  "succeed (" + resultCodeName(code) + ")";
        if (!c.tls_detail.empty()) tls_message += ": " + std::string(c.tls_detail);
        return tlsError(c, std::move(tls_message));
      }
      return make(ErrorCode::kServerDown,
                  "check the host name and port in [directory] uri, that the DC is running and "
                  "that it can be reached from here");
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
      return make(ErrorCode::kTimeout,
                  "raise [directory] timeout (connect_timeout for connecting) or check the DC's "
                  "load and the network");
    case LDAP_NO_SUCH_OBJECT:
      return make(ErrorCode::kNotFound,
                  "check the DN (for a scan: [directory] base_dn; empty means the domain naming "
                  "context from the RootDSE)");
    case LDAP_SIZELIMIT_EXCEEDED:
      return make(ErrorCode::kLdap,
                  "the DC caps result sizes: keep [directory] page_size at or below its "
                  "MaxPageSize (1000 by default)");
    case LDAP_ADMINLIMIT_EXCEEDED:
      return make(ErrorCode::kLdap,
                  "the DC's LDAP policy (MaxPageSize, MaxValRange, MaxQueryDuration) was "
                  "exceeded: lower [directory] page_size or narrow the search");
    case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
      return make(ErrorCode::kLdap,
                  "the DC does not support a control adcheck needs (paged results "
                  "1.2.840.113556.1.4.319, SD flags 1.2.840.113556.1.4.801): is it an Active "
                  "Directory domain controller?");
    case LDAP_INSUFFICIENT_ACCESS:
      return make(ErrorCode::kLdap,
                  "the bind account lacks the right to read this; adcheck needs only read access");
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      return make(ErrorCode::kServerDown,
                  "the DC is busy or shutting down: retry later or list another DC in "
                  "[directory] uri");
    case LDAP_PROTOCOL_ERROR:
      if (c.operation == "StartTLS")
        return make(ErrorCode::kTls, "the DC does not offer StartTLS: use ldaps:// instead");
      return make(ErrorCode::kLdap, {});
    case LDAP_FILTER_ERROR:
      return make(ErrorCode::kInvalidArgument,
                  "the search filter is malformed: check its parentheses and escaping (RFC 4515)");
    case LDAP_INVALID_DN_SYNTAX:
      return make(ErrorCode::kInvalidArgument, "the DN is malformed (RFC 4514)");
    default:
      return make(ErrorCode::kLdap, {});
  }
}

}  // namespace adcheck::ldap
