#include "web/server/auth_ldap.h"

#include <set>

#include "adcheck/scan/sources.h"
#include "adcheck/security/sid.h"
#include "ldap/session.h"

namespace adcheck::web {
namespace {

std::string domainOfDn(const std::string& dn) {
  std::string out;
  std::size_t pos = 0;
  while ((pos = dn.find('=', pos)) != std::string::npos) {
    std::size_t start = dn.rfind(',', pos);
    start = start == std::string::npos ? 0 : start + 1;
    std::string attr = dn.substr(start, pos - start);
    while (!attr.empty() && attr.front() == ' ') attr.erase(0, 1);
    std::size_t end = dn.find(',', pos);
    std::string value = dn.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    if (ldap::iequals(attr, "DC")) out += (out.empty() ? "" : ".") + value;
    pos = pos + 1;
  }
  return out;
}

std::set<std::string> groupSids(ldap::Session& s, const std::string& base,
                                const std::vector<std::string>& names, std::string& detail) {
  std::set<std::string> out;
  for (const auto& name : names) {
    ldap::SearchRequest req;
    req.base = base;
    req.filter = "(&(objectClass=group)(|(sAMAccountName=" + scan::escapeFilterValue(name) +
                 ")(cn=" + scan::escapeFilterValue(name) + ")))";
    req.attributes = {"objectSid"};
    auto search = s.search(req);
    if (!search) {
      detail += "group '" + name + "': " + search.error().toString() + "; ";
      continue;
    }
    bool found = false;
    for (;;) {
      auto e = search->next();
      if (!e || !*e) break;
      if (const auto* v = (*e)->values("objectSid"))
        for (const auto& raw : *v)
          if (auto sid = security::Sid::fromBytes(std::span(
                  reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size())))
            out.insert(sid->toString()), found = true;
    }
    if (!found) detail += "group '" + name + "' not found; ";
  }
  return out;
}

}  // namespace

std::string qualifyUserName(const std::string& typed, const config::DirectoryConfig& dir) {
  if (typed.find('@') != std::string::npos || typed.find('\\') != std::string::npos ||
      typed.find('=') != std::string::npos)
    return typed;
  std::string domain;
  if (auto at = dir.user.find('@'); at != std::string::npos) domain = dir.user.substr(at + 1);
  if (domain.empty()) domain = domainOfDn(dir.base_dn);
  if (domain.empty() && dir.user.find('=') != std::string::npos) domain = domainOfDn(dir.user);
  return domain.empty() ? typed : typed + "@" + domain;
}

HttpResult<AuthIdentity> authenticateLdap(const config::Config& config, const std::string& typed,
                                          const ldap::Secret& password, std::string& detail) {
  const auto& dir = config.directory;
  const std::string user = qualifyUserName(typed, dir);
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
    if (session.error().code == ErrorCode::kAuth)
      return httpFail(401, "unauthenticated", std::string(kBadCredentialsMessage));
    if (session.error().code == ErrorCode::kConfig)
      return httpFail(500, "internal", "AD login is not possible with this [directory] configuration",
                      "the server log has the reason");
    return httpFail(503, "unavailable", "the directory cannot be reached for the login",
                    "try again later; the server log has the reason");
  }
  std::string base = dir.base_dn;
  if (base.empty()) {
    auto root = session->rootDse();
    if (!root) {
      detail = root.error().toString();
      return httpFail(503, "unavailable", "the directory cannot be read for the login");
    }
    base = root->default_naming_context;
  }
  // The account itself: by UPN, or by sAMAccountName for "CORP\name" and "name@domain".
  std::string sam = user;
  if (auto bs = sam.find('\\'); bs != std::string::npos) sam = sam.substr(bs + 1);
  if (auto at = sam.find('@'); at != std::string::npos) sam = sam.substr(0, at);
  ldap::SearchRequest req;
  req.base = base;
  req.filter = user.find('=') != std::string::npos
                   ? "(objectClass=user)"
                   : "(&(objectClass=user)(|(userPrincipalName=" + scan::escapeFilterValue(user) +
                         ")(sAMAccountName=" + scan::escapeFilterValue(sam) + ")))";
  if (user.find('=') != std::string::npos) {
    req.base = user;
    req.scope = ldap::Scope::kBase;
  }
  req.attributes = {"sAMAccountName", "userPrincipalName", "displayName", "userAccountControl"};
  std::optional<ldap::Entry> account;
  if (auto search = session->search(req)) {
    auto e = search->next();
    if (e && *e) account = std::move(**e);
  }
  if (!account) {
    detail = "bound as " + user + " but cannot find its account under " + base;
    return httpFail(401, "unauthenticated", std::string(kBadCredentialsMessage));
  }
  if (auto uac = account->integer("userAccountControl"); uac && (*uac & 0x2)) {
    detail = "account disabled";
    return httpFail(401, "unauthenticated", std::string(kBadCredentialsMessage));
  }
  auto tg = session->readEntry(account->dn(), {"tokenGroups"});
  std::set<std::string> tokens;
  if (tg && *tg)
    if (const auto* v = (*tg)->values("tokenGroups"))
      for (const auto& raw : *v)
        if (auto sid = security::Sid::fromBytes(
                std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size())))
          tokens.insert(sid->toString());
  if (!tg) detail += "tokenGroups: " + tg.error().toString() + "; ";

  auto member_of = [&](const std::vector<std::string>& names) {
    for (const auto& s : groupSids(*session, base, names, detail))
      if (tokens.count(s)) return true;
    return false;
  };
  AuthIdentity id;
  id.user = account->firstOr("userPrincipalName", user);
  id.displayName = account->firstOr("displayName", account->firstOr("sAMAccountName", user));
  if (member_of(config.web.operator_groups)) id.role = Role::kOperator;
  else if (member_of(config.web.viewer_groups)) id.role = Role::kViewer;
  else {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    return httpFail(403, "forbidden",
                    "not in any of the groups [web] operator_groups (" + join(config.web.operator_groups) +
                        ") or viewer_groups (" + join(config.web.viewer_groups) + ")",
                    "ask an AD administrator to add the account to one of them");
  }
  return id;
}

}  // namespace adcheck::web
