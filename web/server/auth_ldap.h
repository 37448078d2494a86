// Login with AD credentials: an LDAP simple bind as the user over the configured transport
// ([directory] uri, starttls, ca_file, tls_verify; ldap::Session refuses a simple bind without
// TLS, and so does this), then the user's transitive groups from tokenGroups, matched by SID
// against the configured [web] operator_groups / viewer_groups (resolved by sAMAccountName or CN).
#pragma once

#include <string>

#include "adcheck/config/config.h"
#include "ldap/secret.h"
#include "web/server/http_util.h"
#include "web/server/sessions.h"

namespace adcheck::web {

struct AuthIdentity {
  std::string user;         // userPrincipalName (or the name as typed, qualified)
  std::string displayName;  // displayName, else sAMAccountName
  Role role = Role::kNone;
};

// The 401 message for every credential failure (wrong password, unknown user, disabled or
// locked account): the answer must not tell which.
inline constexpr std::string_view kBadCredentialsMessage =
    "user name or password is wrong, or the account is disabled";

// "viewer1" -> "viewer1@<domain>" (domain from the [directory] user's UPN suffix, else from
// base_dn); "CORP\x", "x@y" and DNs are kept as typed.
std::string qualifyUserName(const std::string& typed, const config::DirectoryConfig& dir);

// 401 bad credentials, 403 forbidden (not in any configured group), 503 directory unreachable,
// 500 a configuration that cannot work (e.g. plain ldap:// without starttls). `detail` receives
// the underlying reason for the server log (never the password).
HttpResult<AuthIdentity> authenticateLdap(const config::Config& config, const std::string& user,
                                          const ldap::Secret& password, std::string& detail);

}  // namespace adcheck::web
