#include "web/server/auth_ldap.h"

#include <algorithm>
#include <cctype>

#include "adcheck/scan/sources.h"
#include "adcheck/security/sid.h"

namespace adcheck::web {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string domainOfDn(const std::string& dn) {
  std::string out;
  std::size_t pos = 0;
  while ((pos = dn.find('=', pos)) != std::string::npos) {
    std::size_t start = dn.rfind(',', pos);
    start = start == std::string::npos ? 0 : start + 1;
    std::string attr = dn.substr(start, pos - start);
    while (!attr.empty() && attr.front() == ' ') attr.erase(0, 1);
    std::size_t end = dn.find(',', pos);
    std::string value =
        dn.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    if (ldap::iequals(attr, "DC")) out += (out.empty() ? "" : ".") + value;
    pos = pos + 1;
  }
  return out;
}

// The domain part of the [directory] user's UPN, else of base_dn / the user's DN.
std::string configuredDomain(const config::DirectoryConfig& dir) {
  std::string domain;
  if (auto at = dir.user.find('@'); at != std::string::npos) domain = dir.user.substr(at + 1);
  if (domain.empty()) domain = domainOfDn(dir.base_dn);
  if (domain.empty() && dir.user.find('=') != std::string::npos) domain = domainOfDn(dir.user);
  return domain;
}

std::optional<std::string> sidOf(const ldap::Entry& e) {
  const auto* v = e.values("objectSid");
  if (v == nullptr || v->size() != 1) return std::nullopt;
  const auto& raw = v->front();
  auto sid = security::Sid::fromBytes(
      std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  if (!sid) return std::nullopt;
  return sid->toString();
}

bool isGroup(const ldap::Entry& e) {
  if (const auto* v = e.values("objectClass"))
    for (const auto& c : *v)
      if (ldap::iequals(c, "group")) return true;
  return false;
}

// Every entry of a search (a few at most here), or the error.
Result<std::vector<ldap::Entry>> searchAll(ldap::Session& s, const ldap::SearchRequest& req,
                                           std::size_t limit) {
  auto search = s.search(req);
  if (!search) return fail(search.error());
  std::vector<ldap::Entry> out;
  for (;;) {
    auto e = search->next();
    if (!e) return fail(e.error());
    if (!*e) break;
    out.push_back(std::move(**e));
    if (out.size() >= limit) break;
  }
  return out;
}

// RFC 4515 escape of every byte, for a binary value (objectSid) in a filter.
std::string escapeBinary(const std::string& raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) out += {'\\', kHex[c >> 4], kHex[c & 15]};
  return out;
}

HttpError badCredentials() {
  return HttpError{401, "unauthenticated", std::string(kBadCredentialsMessage), "", {}};
}

}  // namespace

Result<std::string> resolveRoleGroup(ldap::Session& s, const std::string& domain_dn,
                                     const std::string& key, const std::string& value) {
  const std::string what = "[web] " + key + " '" + value + "'";
  const std::string hint =
      "give the group's SID (S-1-5-21-...), its DN, or its sAMAccountName (pre-Windows 2000 "
      "name), which must name exactly one group; a CN is not accepted";
  std::optional<ldap::Entry> group;
  if (value.size() > 4 && ldap::iequals(value.substr(0, 4), "S-1-")) {
    auto sid = security::Sid::fromString(value);
    if (!sid)
      return fail(ErrorCode::kConfig, what + " is not a valid SID: " + sid.error().message, hint);
    // AD's <SID=...> form reads the object by its SID, wherever it is.
    auto e = s.readEntry("<SID=" + sid->toString() + ">", {"objectSid", "objectClass"});
    if (!e) return fail(e.error().code, what + ": " + e.error().message, e.error().hint);
    if (*e) group = std::move(**e);
  } else if (value.find('=') != std::string::npos) {
    auto e = s.readEntry(value, {"objectSid", "objectClass"});
    if (!e) return fail(e.error().code, what + ": " + e.error().message, e.error().hint);
    if (*e) group = std::move(**e);
  } else {
    ldap::SearchRequest req;
    req.base = domain_dn;
    req.filter = "(&(objectClass=group)(sAMAccountName=" + scan::escapeFilterValue(value) + "))";
    req.attributes = {"objectSid", "objectClass"};
    auto found = searchAll(s, req, 2);
    if (!found)
      return fail(found.error().code, what + ": " + found.error().message, found.error().hint);
    if (found->size() > 1)
      return fail(ErrorCode::kConfig,
                  what + " matches more than one group (" + (*found)[0].dn() + "; " +
                      (*found)[1].dn() + ")",
                  hint);
    if (found->size() == 1) group = std::move(found->front());
  }
  if (!group) return fail(ErrorCode::kConfig, what + " matches no group under " + domain_dn, hint);
  if (!isGroup(*group))
    return fail(ErrorCode::kConfig, what + " is " + group->dn() + ", which is not a group", hint);
  auto sid = sidOf(*group);
  if (!sid)
    return fail(ErrorCode::kConfig, what + ": the group " + group->dn() + " has no objectSid",
                hint);
  return *sid;
}

std::vector<std::string> rejoinDistinguishedNames(const std::vector<std::string>& pieces) {
  auto rdn = [](const std::string& p) {
    const auto eq = p.find('=');
    return eq != std::string::npos && eq > 0 &&
           std::all_of(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(eq),
                       [](unsigned char c) { return std::isalnum(c) || c == '-'; });
  };
  auto has_dc = [](const std::string& dn) {
    const std::string l = lower(dn);
    return l.starts_with("dc=") || l.find(",dc=") != std::string::npos;
  };
  std::vector<std::string> out;
  for (const auto& p : pieces) {
    if (!out.empty() && rdn(out.back())) {
      const std::string& e = out.back();
      // An escaped comma inside a value, the rest of a DN, or its DC= components.
      if (e.ends_with("\\") || (rdn(p) && (!has_dc(e) || lower(p).starts_with("dc=")))) {
        out.back() += "," + p;
        continue;
      }
    }
    out.push_back(p);
  }
  return out;
}

Result<LoginDirectory> readLoginDirectory(ldap::Session& s, const config::Config& config) {
  auto root = s.rootDse();
  if (!root) return fail(root.error());
  LoginDirectory d;
  d.domainDn = root->default_naming_context;
  d.dnsDomain = domainOfDn(d.domainDn);
  // The NetBIOS name is on the domain's crossRef in the configuration partition.
  ldap::SearchRequest req;
  req.base = "CN=Partitions," + root->configuration_naming_context;
  req.scope = ldap::Scope::kOneLevel;
  req.filter = "(&(objectClass=crossRef)(nCName=" + scan::escapeFilterValue(d.domainDn) + "))";
  req.attributes = {"nETBIOSName", "dnsRoot"};
  auto xref = searchAll(s, req, 2);
  if (!xref) return fail(xref.error());
  if (xref->size() == 1) {
    d.netbios = xref->front().firstOr("nETBIOSName");
    if (auto dns = xref->front().firstOr("dnsRoot"); !dns.empty()) d.dnsDomain = dns;
  }
  if (d.netbios.empty())
    return fail(
        ErrorCode::kLdap,
        "cannot read the NetBIOS name of " + d.domainDn + " (its crossRef under " + req.base + ")",
        "the [directory] account must be able to read CN=Partitions");
  for (const auto& [key, names, out] :
       {std::tuple{"operator_groups", &config.web.operator_groups, &d.operatorSids},
        std::tuple{"viewer_groups", &config.web.viewer_groups, &d.viewerSids}})
    for (const auto& name : rejoinDistinguishedNames(*names)) {
      auto sid = resolveRoleGroup(s, d.domainDn, key, name);
      if (!sid) return fail(sid.error());
      out->insert(*sid);
    }
  return d;
}

Result<LoginDirectory> LoginDirectoryCache::get() {
  std::lock_guard lock(mutex_);
  if (value_) return *value_;
  auto options = scan::sessionOptions(config_.directory);
  if (!options)
    return fail(ErrorCode::kServerDown, "AD login: " + options.error().message,
                options.error().hint);
  auto session = ldap::Session::open(*options);
  if (!session) return fail(ErrorCode::kServerDown, "AD login: " + session.error().toString());
  auto d = readLoginDirectory(*session, config_);
  if (!d) return fail(d.error());
  value_ = *d;
  return *d;
}

std::string qualifyUserName(const std::string& typed, const config::DirectoryConfig& dir) {
  if (typed.find('@') != std::string::npos || typed.find('\\') != std::string::npos ||
      typed.find('=') != std::string::npos)
    return typed;
  const std::string domain = configuredDomain(dir);
  return domain.empty() ? typed : typed + "@" + domain;
}

std::string canonicalAccount(const std::string& typed, const config::DirectoryConfig& dir) {
  std::string name = lower(typed);
  if (name.find('=') != std::string::npos) return name;  // a DN
  if (auto bs = name.find('\\'); bs != std::string::npos) name = name.substr(bs + 1);
  if (auto at = name.rfind('@'); at != std::string::npos)
    if (const auto domain = lower(configuredDomain(dir));
        !domain.empty() && name.substr(at + 1) == domain)
      name = name.substr(0, at);
  return name;
}

HttpResult<AuthIdentity> authenticateLdap(const config::Config& config,
                                          const LoginDirectory& directory, const std::string& typed,
                                          const ldap::Secret& password, std::string& detail) {
  const auto& dir = config.directory;
  // "OTHER\alice" is refused before the password goes anywhere: it names another domain.
  if (auto bs = typed.find('\\'); bs != std::string::npos && typed.find('=') == std::string::npos) {
    const std::string domain = typed.substr(0, bs);
    if (!ldap::iequals(domain, directory.netbios) && !ldap::iequals(domain, directory.dnsDomain)) {
      detail = "domain '" + domain + "' is not " + directory.netbios;
      return httpFail(401, "unauthenticated",
                      "the domain '" + domain.substr(0, 64) + "' is not this directory's (" +
                          directory.netbios + ")",
                      "log in as " + directory.netbios + "\\name or name@" + directory.dnsDomain);
    }
  }
  std::string user = typed;
  if (typed.find('@') == std::string::npos && typed.find('\\') == std::string::npos &&
      typed.find('=') == std::string::npos)
    user = typed + "@" + directory.dnsDomain;
  ldap::SessionOptions o;
  o.uris = dir.uris;
  o.bind = ldap::BindMode::kSimple;
  o.user = user;
  o.password = password;
  o.starttls = dir.starttls;
  o.ca_file = dir.ca_file;
  o.tls_verify = dir.tls_verify;
  o.connect_timeout = std::chrono::seconds(dir.connect_timeout);
  o.timeout = std::chrono::seconds(std::min(dir.timeout, 30));
  o.page_size = 200;
  auto session = ldap::Session::open(o);
  if (!session) {
    detail = session.error().toString();
    if (session.error().code == ErrorCode::kAuth) return std::unexpected(badCredentials());
    if (session.error().code == ErrorCode::kConfig)
      return httpFail(500, "internal",
                      "AD login is not possible with this [directory] configuration",
                      "the server log has the reason");
    return httpFail(503, "unavailable", "the directory cannot be reached for the login",
                    "try again later; the server log has the reason");
  }
  // Who bound: the bound connection's own token, read from its RootDSE (tokenGroups there is
  // the token of this connection: the account's SID and its groups, transitively). The account
  // is the one user of this domain whose objectSid is in the token; the typed name is never
  // searched for.
  auto token = session->readEntry("", {"tokenGroups"});
  if (!token || !*token) {
    detail = "RootDSE tokenGroups: " + (token ? std::string("no entry") : token.error().toString());
    return httpFail(503, "unavailable", "the directory cannot tell who logged in",
                    "try again later; the server log has the reason");
  }
  std::set<std::string> tokens;
  std::string any_sid;
  if (const auto* v = (*token)->values("tokenGroups"))
    for (const auto& raw : *v)
      if (auto sid = security::Sid::fromBytes(
              std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()))) {
        tokens.insert(sid->toString());
        any_sid += "(objectSid=" + escapeBinary(raw) + ")";
      }
  // Where the server answers "Who am I?" (AD does, Samba 4.17 does not), an account of another
  // domain is named as such.
  if (auto who = session->whoAmI();
      who && who->starts_with("u:") && who->find('\\') != std::string::npos) {
    const std::string domain = who->substr(2, who->find('\\') - 2);
    if (!ldap::iequals(domain, directory.netbios)) {
      detail = "bound as " + *who + ", an account of another domain";
      return httpFail(401, "unauthenticated",
                      "the account is of the domain '" + domain.substr(0, 64) +
                          "', not of this directory's (" + directory.netbios + ")",
                      "log in with an account of " + directory.dnsDomain);
    }
  }
  std::optional<ldap::Entry> account;
  if (!any_sid.empty()) {
    ldap::SearchRequest req;
    req.base = directory.domainDn;
    req.filter = "(&(objectClass=user)(|" + any_sid + "))";
    req.attributes = {"sAMAccountName", "userPrincipalName", "displayName", "userAccountControl",
                      "objectSid"};
    auto found = searchAll(*session, req, 2);
    if (!found) {
      detail = "the bound account: " + found.error().toString();
      return httpFail(503, "unavailable", "the directory cannot tell who logged in",
                      "try again later; the server log has the reason");
    }
    if (found->size() > 1) {
      detail = "the token of the bound connection holds " + (*found)[0].dn() + " and " +
               (*found)[1].dn();
      return httpFail(500, "internal", "the directory does not tell which one account logged in",
                      "the server log has the reason");
    }
    if (found->size() == 1) account = std::move(found->front());
  }
  if (!account) {
    detail = "bound as '" + user + "': no account of " + directory.domainDn + " in its token";
    return httpFail(401, "unauthenticated",
                    "the account is not one of this directory's domain (" + directory.netbios + ")",
                    "log in with an account of " + directory.dnsDomain);
  }
  if (auto uac = account->integer("userAccountControl"); uac && (*uac & 0x2)) {
    detail = "account disabled";
    return std::unexpected(badCredentials());
  }
  const std::string who = directory.netbios + "\\" + account->firstOr("sAMAccountName");

  auto member_of = [&](const std::set<std::string>& sids) {
    return std::any_of(sids.begin(), sids.end(),
                       [&](const std::string& s) { return tokens.count(s) > 0; });
  };
  AuthIdentity id;
  const std::string sam = account->firstOr("sAMAccountName");
  id.user = account->firstOr("userPrincipalName", directory.netbios + "\\" + sam);
  id.displayName = account->firstOr("displayName", sam);
  if (member_of(directory.operatorSids))
    id.role = Role::kOperator;
  else if (member_of(directory.viewerSids))
    id.role = Role::kViewer;
  else {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    detail += "bound as " + who + ", in no configured group";
    return httpFail(403, "forbidden",
                    "not in any of the groups [web] operator_groups (" +
                        join(config.web.operator_groups) + ") or viewer_groups (" +
                        join(config.web.viewer_groups) + ")",
                    "ask an AD administrator to add the account to one of them");
  }
  return id;
}

}  // namespace adcheck::web
