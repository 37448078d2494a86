// Login with AD credentials: an LDAP simple bind as the user over the configured transport
// ([directory] uri, starttls, ca_file, tls_verify; ldap::Session refuses a simple bind without
// TLS, and so does this). Who logged in is what the bound connection says: its own token
// (tokenGroups of its RootDSE) must hold the objectSid of exactly one user of this domain, never
// a search by the typed name (a search for (|(userPrincipalName=x)(sAMAccountName=y)) can find
// another account than the one that bound). Roles: that token (transitive groups) against the
// SIDs of [web] operator_groups / viewer_groups, each given as a SID, a DN or a sAMAccountName
// that matches exactly one group, resolved once with the [directory] service account (never by
// CN: anyone who may create a group in some OU could name one "AdCheck Operators").
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adcheck/config/config.h"
#include "ldap/secret.h"
#include "ldap/session.h"
#include "web/server/http_util.h"
#include "web/server/sessions.h"

namespace adcheck::web {

struct AuthIdentity {
  std::string user;         // userPrincipalName, else NETBIOS\sAMAccountName
  std::string displayName;  // displayName, else sAMAccountName
  Role role = Role::kNone;
};

// The 401 message for every credential failure (wrong password, unknown user, disabled or
// locked account): the answer must not tell which.
inline constexpr std::string_view kBadCredentialsMessage =
    "user name or password is wrong, or the account is disabled";

// What the login needs from the directory, read with the service account.
struct LoginDirectory {
  std::string domainDn;   // defaultNamingContext
  std::string dnsDomain;  // "corp.example.com"
  std::string netbios;    // "CORP"
  std::set<std::string> operatorSids;
  std::set<std::string> viewerSids;
};

// One [web] operator_groups / viewer_groups value to its group's SID: "S-1-5-..." (must be a
// group in the directory), a DN (must be a group), or a sAMAccountName that must match exactly
// one group in the domain. Missing or ambiguous: ErrorCode::kConfig naming the key and value.
Result<std::string> resolveRoleGroup(ldap::Session& session, const std::string& domain_dn,
                                     const std::string& key, const std::string& value);
// The config's group lists are split at commas, DNs included: this joins the pieces of each DN
// again ("CN=g", "OU=x", "DC=corp", "DC=com", "S-1-5-21-1" -> "CN=g,OU=x,DC=corp,DC=com",
// "S-1-5-21-1"; a DN ends after its DC= components). sAMAccountNames and SIDs hold no '='.
std::vector<std::string> rejoinDistinguishedNames(const std::vector<std::string>& pieces);
// The domain's names and both group lists.
Result<LoginDirectory> readLoginDirectory(ldap::Session& session, const config::Config& config);

// Reads the LoginDirectory once with the [directory] service account and keeps it. A group that
// is missing or ambiguous is a configuration error (kConfig); an unreachable directory is
// retried at the next login.
class LoginDirectoryCache {
 public:
  explicit LoginDirectoryCache(const config::Config& config) : config_(config) {}
  Result<LoginDirectory> get();

 private:
  config::Config config_;
  std::mutex mutex_;
  std::optional<LoginDirectory> value_;
};

// "viewer1" -> "viewer1@<domain>" (domain from the [directory] user's UPN suffix, else from
// base_dn); "CORP\x", "x@y" and DNs are kept as typed.
std::string qualifyUserName(const std::string& typed, const config::DirectoryConfig& dir);

// The throttling key of a typed AD name: "alice", "CORP\alice", "alice@corp.example.com" and
// "ALICE" all give "alice"; a UPN of another suffix and a DN stay whole (lower case).
std::string canonicalAccount(const std::string& typed, const config::DirectoryConfig& dir);

// 401 bad credentials (also: a NetBIOS domain that is not this directory's, or an account of
// another domain, with a message saying so), 403 forbidden (not in any configured group), 503
// directory unreachable, 500 a configuration that cannot work (e.g. plain ldap:// without
// starttls). `detail` receives the underlying reason for the server log (never the password).
HttpResult<AuthIdentity> authenticateLdap(const config::Config& config,
                                          const LoginDirectory& directory, const std::string& user,
                                          const ldap::Secret& password, std::string& detail);

}  // namespace adcheck::web
