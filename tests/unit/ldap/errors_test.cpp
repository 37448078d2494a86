#include "ldap/errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adcheck::ldap {
namespace {

using ::testing::HasSubstr;

ErrorContext bindContext(std::string_view mechanism = "simple") {
  ErrorContext c;
  c.operation = "bind";
  c.uri = "ldaps://dc1.corp.example.com";
  c.dn = "svc-adcheck@corp.example.com";
  c.mechanism = mechanism;
  c.ca_file = "/etc/adcheck/ca.pem";
  return c;
}

TEST(ErrorMapping, InvalidCredentialsIsAuthAndKeepsServerTextVerbatim) {
  const std::string diag =
      "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1";
  Error e = mapLdapError(+ResultCode::kInvalidCredentials, diag, {}, bindContext());
  EXPECT_EQ(e.code, ErrorCode::kAuth);
  EXPECT_THAT(e.message, HasSubstr(diag));
  EXPECT_THAT(e.message, HasSubstr("invalidCredentials (49)"));
  EXPECT_THAT(e.message, HasSubstr("ldaps://dc1.corp.example.com"));
  EXPECT_THAT(e.message, HasSubstr("svc-adcheck@corp.example.com"));
  EXPECT_THAT(e.hint, HasSubstr("check [directory] user and password_file"));
}

TEST(ErrorMapping, ActiveDirectoryBindReasonsBecomeHints) {
  Error locked = mapLdapError(49, "AcceptSecurityContext error, data 775, v2580", {}, bindContext());
  EXPECT_EQ(locked.code, ErrorCode::kAuth);
  EXPECT_THAT(locked.hint, HasSubstr("locked out"));
  Error expired = mapLdapError(49, "AcceptSecurityContext error, data 532, v2580", {}, bindContext());
  EXPECT_THAT(expired.hint, HasSubstr("expired"));
  Error disabled = mapLdapError(49, "AcceptSecurityContext error, data 533, v2580", {}, bindContext());
  EXPECT_THAT(disabled.hint, HasSubstr("disabled"));
  Error unknown = mapLdapError(49, "no data here", {}, bindContext());
  EXPECT_THAT(unknown.hint, HasSubstr("password_file"));
}

TEST(ErrorMapping, StrongAuthRequiredSaysWhichTransportsWork) {
  Error e = mapLdapError(+ResultCode::kStrongAuthRequired,
                         "BindSimple: Transport encryption required.", {}, bindContext());
  EXPECT_EQ(e.code, ErrorCode::kAuth);
  EXPECT_EQ(e.hint, "use ldaps://, starttls = true or bind = gssapi");
  EXPECT_THAT(e.message, HasSubstr("BindSimple: Transport encryption required."));
  EXPECT_EQ(mapLdapError(+ResultCode::kConfidentialityRequired, "", {}, bindContext()).code,
            ErrorCode::kAuth);
  EXPECT_EQ(mapLdapError(+ResultCode::kInappropriateAuth, "", {}, bindContext()).code,
            ErrorCode::kAuth);
}

TEST(ErrorMapping, GssapiInsideTlsGetsItsOwnHint) {
  Error e = mapLdapError(+ResultCode::kStrongAuthRequired, "SASL:[GSSAPI]: Sign or Seal are required.",
                         {}, bindContext("GSSAPI"));
  EXPECT_EQ(e.code, ErrorCode::kAuth);
  EXPECT_THAT(e.hint, HasSubstr("ldap:// URIs"));
  Error w = mapLdapError(+ResultCode::kUnwillingToPerform,
                         "SASL:[GSSAPI]: Sign or Seal are not allowed if TLS is used", {},
                         bindContext("GSSAPI"));
  EXPECT_EQ(w.code, ErrorCode::kAuth);
  EXPECT_THAT(w.hint, HasSubstr("ldap:// URIs"));
}

TEST(ErrorMapping, KerberosFailuresSayWhatToFix) {
  Error spn = mapLdapError(+ResultCode::kLocalError,
                           "SASL(-1): generic failure: GSSAPI Error: Unspecified GSS failure.  "
                           "Minor code may provide more information (Server not found in "
                           "Kerberos database)",
                           {}, bindContext("GSSAPI"));
  EXPECT_EQ(spn.code, ErrorCode::kAuth);
  EXPECT_THAT(spn.hint, HasSubstr("host name"));
  EXPECT_THAT(spn.message, HasSubstr("Server not found in Kerberos database"));
  Error noticket = mapLdapError(+ResultCode::kLocalError,
                                "GSSAPI Error: No credentials were supplied (No Kerberos "
                                "credentials available (default cache: /tmp/x))",
                                {}, bindContext("GSSAPI"));
  EXPECT_THAT(noticket.hint, HasSubstr("kinit"));
  // libldap's own text is not presented as the server's.
  EXPECT_THAT(noticket.message, ::testing::Not(HasSubstr("server said")));
}

TEST(ErrorMapping, ServerDownWithoutHandshakeIsServerDown) {
  ErrorContext c = bindContext();
  c.operation = "connect";
  Error e = mapLdapError(+ResultCode::kServerDown, "", {}, c);
  EXPECT_EQ(e.code, ErrorCode::kServerDown);
  EXPECT_THAT(e.hint, HasSubstr("[directory] uri"));
  EXPECT_EQ(mapLdapError(+ResultCode::kConnectError, "", {}, c).code, ErrorCode::kServerDown);
  EXPECT_EQ(mapLdapError(+ResultCode::kBusy, "", {}, c).code, ErrorCode::kServerDown);
}

TEST(ErrorMapping, FailedHandshakeIsTlsAndNamesTheCaFile) {
  ErrorContext c = bindContext();
  c.operation = "connect";
  c.tls_handshake = true;
  Error e = mapLdapError(+ResultCode::kServerDown, "(unknown error code)", {}, c);
  EXPECT_EQ(e.code, ErrorCode::kTls);
  EXPECT_THAT(e.hint, HasSubstr("/etc/adcheck/ca.pem"));
  EXPECT_THAT(e.hint, HasSubstr("tls_verify = false for a lab"));
  EXPECT_THAT(e.message, ::testing::Not(HasSubstr("unknown error code")));
  // With a CA configured and no certificate complaint, the network is as likely as the CA:
  // a handshake cut on the way must not only say "set ca_file".
  EXPECT_THAT(e.hint, HasSubstr("check the network path to the DC"));
  EXPECT_EQ(e.hint.find("set [directory] ca_file"), std::string::npos) << e.hint;

  c.tls_detail = "hostname (10.0.0.5) does not match common name in certificate (DC1.corp.example.com).";
  Error host = mapLdapError(+ResultCode::kConnectError, "", {}, c);
  EXPECT_EQ(host.code, ErrorCode::kTls);
  EXPECT_THAT(host.hint, HasSubstr("host name"));
  EXPECT_THAT(host.message, HasSubstr("does not match"));
}

TEST(ErrorMapping, TimeoutsNotFoundAndLimits) {
  ErrorContext c;
  c.operation = "search";
  c.uri = "ldap://dc1";
  c.dn = "OU=Gone,DC=corp,DC=example,DC=com";
  EXPECT_EQ(mapLdapError(+ResultCode::kTimeout, "", {}, c).code, ErrorCode::kTimeout);
  EXPECT_EQ(mapLdapError(+ResultCode::kTimeLimitExceeded, "", {}, c).code, ErrorCode::kTimeout);
  Error nf = mapLdapError(+ResultCode::kNoSuchObject, "0000208D: NameErr: DSID-0310028B",
                          "DC=corp,DC=example,DC=com", c);
  EXPECT_EQ(nf.code, ErrorCode::kNotFound);
  EXPECT_THAT(nf.message, HasSubstr("OU=Gone,DC=corp,DC=example,DC=com"));
  EXPECT_THAT(nf.message, HasSubstr("matched DN \"DC=corp,DC=example,DC=com\""));
  Error size = mapLdapError(+ResultCode::kSizeLimitExceeded, "", {}, c);
  EXPECT_EQ(size.code, ErrorCode::kLdap);
  EXPECT_THAT(size.hint, HasSubstr("page_size"));
  EXPECT_EQ(mapLdapError(+ResultCode::kUnavailableCriticalExtension, "", {}, c).code,
            ErrorCode::kLdap);
  EXPECT_EQ(mapLdapError(+ResultCode::kFilterError, "", {}, c).code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mapLdapError(+ResultCode::kOther, "x", {}, c).code, ErrorCode::kLdap);
}

TEST(ErrorMapping, ResultCodeNames) {
  EXPECT_EQ(resultCodeName(49), "invalidCredentials (49)");
  EXPECT_EQ(resultCodeName(8), "strongerAuthRequired (8)");
  EXPECT_EQ(resultCodeName(32), "noSuchObject (32)");
  EXPECT_THAT(resultCodeName(-1), HasSubstr("(-1)"));
}

}  // namespace
}  // namespace adcheck::ldap
