#include "adcheck/scan/sources.h"

#include <cstdio>

#include "adcheck/scan/context.h"
#include "ldap/secret.h"

namespace adcheck::scan {

const std::vector<std::string>& scannedObjectAttributes() {
  static const std::vector<std::string> kAttrs = {
      "objectClass",   "objectGUID",       "objectSid",          "sAMAccountName",
      "userPrincipalName", "displayName",  "userAccountControl", "adminCount",
      "primaryGroupID", "homeMDB",         "msExchMailboxGuid",  "msExchOmaAdminWirelessEnable",
      "msExchMobileMailboxPolicyLink", "nTSecurityDescriptor", "msDS-AllowedToDelegateTo",
      "userCertificate", "whenChanged",    "whenCreated",        "mail"};
  return kAttrs;
}

Result<ldap::SessionOptions> sessionOptions(const config::DirectoryConfig& dir) {
  ldap::SessionOptions o;
  o.uris = dir.uris;
  o.bind = dir.bind == config::BindMode::kSimple   ? ldap::BindMode::kSimple
           : dir.bind == config::BindMode::kGssapi ? ldap::BindMode::kGssapi
                                                   : ldap::BindMode::kExternal;
  o.user = dir.user;
  o.starttls = dir.starttls;
  o.ca_file = dir.ca_file;
  o.tls_verify = dir.tls_verify;
  o.client_cert = dir.client_cert;
  o.client_key = dir.client_key;
  o.connect_timeout = std::chrono::seconds(dir.connect_timeout);
  o.timeout = std::chrono::seconds(dir.timeout);
  o.page_size = dir.page_size;
  if (o.uris.empty())
    return fail(ErrorCode::kConfig, "[directory] uri is not set",
                "name one or more domain controllers, e.g. uri = ldaps://dc1.corp.example.com");
  if (o.bind == ldap::BindMode::kSimple) {
    auto secret = ldap::loadSecret(dir.password_file, "ADCHECK_BIND_PASSWORD");
    if (!secret) return fail(secret.error());
    o.password = std::move(*secret);
  }
  return o;
}

std::string escapeFilterValue(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

LiveSource::LiveSource(ldap::Session& session, const config::Config& config, Mode mode)
    : session_(session), config_(config), mode_(mode) {}

std::string LiveSource::target() const { return session_.uri(); }

Result<void> LiveSource::plan() {
  auto root = session_.rootDse();
  if (!root) return fail(root.error());
  const std::string domain = root->default_naming_context;
  const std::string config_nc = root->configuration_naming_context;
  objectBase_ = config_.directory.base_dn.empty() ? domain : config_.directory.base_dn;

  ldap::Entry rde("");
  rde.add("defaultNamingContext", domain);
  rde.add("configurationNamingContext", config_nc);
  rde.add("schemaNamingContext", root->schema_naming_context);
  rde.add("rootDomainNamingContext", root->root_domain_naming_context);
  rde.add("dnsHostName", root->dns_host_name);
  if (root->domain_functionality)
    rde.add("domainFunctionality", std::to_string(*root->domain_functionality));
  rootDseEntry_ = std::move(rde);

  const int page = config_.directory.page_size;
  auto step = [&](std::string what, std::string base, ldap::Scope scope, std::string filter,
                  std::vector<std::string> attrs, bool optional, bool sd = false) {
    ldap::SearchRequest r;
    r.base = std::move(base);
    r.scope = scope;
    r.filter = std::move(filter);
    r.attributes = std::move(attrs);
    r.page_size = page;
    if (sd) r.sd_flags = ldap::kSdFlagsDacl;
    steps_.push_back(Step{std::move(what), std::move(r), optional});
  };
  using S = ldap::Scope;
  step("domain root", domain, S::kBase, "(objectClass=*)",
       {"objectClass", "objectSid", "objectGUID", "name", "nTSecurityDescriptor"}, false, true);
  // The scan account's own groups (tokenGroups, read without objectClass so the engine takes it
  // as the scanner's token): with them adcheck can tell which users' mailbox attributes the
  // account cannot read, instead of silently missing their findings.
  if (auto dn = boundAccountDn(domain)) {
    step("the scan account's groups", *dn, S::kBase, "(objectClass=*)", {"objectSid", "tokenGroups"},
         true);
  }
  step("schema", root->schema_naming_context, S::kOneLevel,
       "(|(objectClass=classSchema)(objectClass=attributeSchema))",
       {"objectClass", "lDAPDisplayName", "schemaIDGUID", "attributeSecurityGUID",
        "defaultSecurityDescriptor"},
       false);
  step("extended rights", "CN=Extended-Rights," + config_nc, S::kOneLevel,
       "(objectClass=controlAccessRight)",
       {"objectClass", "cn", "displayName", "rightsGuid", "validAccesses"}, true);
  step("dSHeuristics", "CN=Directory Service,CN=Windows NT,CN=Services," + config_nc, S::kBase,
       "(objectClass=*)", {"objectClass", "dSHeuristics"}, true);
  step("AdminSDHolder", "CN=AdminSDHolder,CN=System," + domain, S::kBase, "(objectClass=*)",
       {"objectClass", "nTSecurityDescriptor"}, true, true);
  step("groups", domain, S::kSubtree, "(objectClass=group)",
       {"objectClass", "objectGUID", "objectSid", "sAMAccountName", "groupType", "adminCount",
        "member", "nTSecurityDescriptor"},
       false, true);
  step("mobile mailbox policies", config_nc, S::kSubtree, "(objectClass=msExchMobileMailboxPolicy)",
       {"objectClass", "cn", "objectGUID", "msExchMobileFlags", "whenChanged"}, true);
  step("ActiveSync devices", objectBase_, S::kSubtree,
       "(|(objectClass=msExchActiveSyncDevices)(objectClass=msExchActiveSyncDevice))",
       {"objectClass", "objectGUID", "whenCreated", "whenChanged", "msExchDeviceID",
        "msExchDeviceType", "msExchDeviceModel", "msExchDeviceUserAgent", "msExchFirstSyncTime",
        "nTSecurityDescriptor"},
       true, true);
  // Only the replication metadata, without objectClass: the engine reads it as dates.
  step("adminCount dates", domain, S::kSubtree, "(adminCount=1)", {"msDS-ReplAttributeMetaData"},
       true);
  if (mode_ == Mode::kFullScan) {
    // A user whose DACL grants this account nothing is not returned to (objectClass=user) at all;
    // only a search that matches every object shows its DN. Everything readable is dropped here.
    step("objects the scan account cannot read", objectBase_, S::kSubtree, "(objectClass=*)",
         {"objectClass"}, true);
    steps_.back().unreadableOnly = true;
    step("objects", objectBase_, S::kSubtree, "(objectClass=user)", scannedObjectAttributes(),
         false, true);
  }
  planned_ = true;
  return {};
}

std::optional<std::string> LiveSource::boundAccountDn(const std::string& domain) {
  const std::string who = session_.boundName();
  if (who.empty()) {
    warnings_.push_back("the scan account is unknown: whether it can read every user's mailbox "
                        "attributes is not checked");
    return std::nullopt;
  }
  const std::string sam = who.substr(0, who.find('@'));
  ldap::SearchRequest r;
  r.base = domain;
  r.filter = "(&(objectClass=user)(|(userPrincipalName=" + escapeFilterValue(who) +
             ")(sAMAccountName=" + escapeFilterValue(sam) + ")(distinguishedName=" +
             escapeFilterValue(who) + ")))";
  r.attributes = {"1.1"};
  auto s = session_.search(r);
  if (s) {
    auto e = s->next();
    if (e && *e) return (*e)->dn();
  }
  warnings_.push_back("the scan account '" + who + "' was not found in " + domain +
                      ": whether it can read every user's mailbox attributes is not checked");
  return std::nullopt;
}

Result<std::optional<ldap::Entry>> LiveSource::next() {
  if (!planned_) {
    if (auto p = plan(); !p) return fail(p.error());
    std::optional<ldap::Entry> out = std::move(rootDseEntry_);
    rootDseEntry_.reset();
    return out;
  }
  while (current_ < steps_.size()) {
    auto& step = steps_[current_];
    if (!search_) {
      auto s = session_.search(step.request);
      if (!s) {
        if (!step.optional)
          return fail(s.error().code, "reading " + step.what + ": " + s.error().message,
                      s.error().hint);
        warnings_.push_back("could not read " + step.what + ": " + s.error().toString());
        ++current_;
        continue;
      }
      search_.emplace(std::move(*s));
    }
    auto e = search_->next();
    if (!e) {
      search_.reset();
      if (!step.optional || e.error().code == ErrorCode::kServerDown ||
          e.error().code == ErrorCode::kTimeout)
        return fail(e.error().code, "reading " + step.what + ": " + e.error().message,
                    e.error().hint);
      warnings_.push_back("could not read " + step.what + ": " + e.error().toString());
      ++current_;
      continue;
    }
    if (*e && step.unreadableOnly) {
      if ((*e)->has("objectClass") || (*e)->dn().empty()) continue;
      (*e)->add(kUnreadableObjectMarker, "TRUE");
    }
    if (*e) return std::move(*e);
    search_.reset();
    ++current_;
  }
  return std::optional<ldap::Entry>();
}

namespace {
// A DN for an error message: hostile bytes (line breaks, escapes) shown as '?', and cut short.
std::string printableDn(const std::string& dn) {
  std::string out = dn.substr(0, 120);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}
}  // namespace

Result<std::optional<ldap::Entry>> SnapshotSource::next() {
  while (true) {
    auto e = reader_.next();
    if (!e) return e;
    if (!*e) {
      if (hasHeader_ && !sawTrailer_)
        return fail(ErrorCode::kParse,
                    "snapshot " + reader_.path() + " is truncated: it ends after " +
                        std::to_string(entries_) + " entries without its trailer (" +
                        std::string(kSnapshotTrailerDn) + ")",
                    "take the snapshot again with adcheck snapshot; do not edit it by hand");
      return e;
    }
    const auto& dn = (*e)->dn();
    if (first_) {
      first_ = false;
      if (ldap::iequals(dn, kSnapshotHeaderDn)) {
        hasHeader_ = true;
        continue;
      }
    }
    if (hasHeader_ && ldap::iequals(dn, kSnapshotTrailerDn)) {
      sawTrailer_ = true;
      auto count = (*e)->integer("entries");
      if (!count || static_cast<std::uint64_t>(*count) != entries_)
        return fail(ErrorCode::kParse,
                    "snapshot " + reader_.path() + " holds " + std::to_string(entries_) +
                        " entries but its trailer says " + (*e)->firstOr("entries", "nothing"),
                    "take the snapshot again with adcheck snapshot");
      continue;
    }
    ++entries_;
    // A DN that does not parse would be compared, keyed and reported as if it named an object.
    if (!ldap::isValidDn(dn))
      return fail(ErrorCode::kParse,
                  "snapshot " + reader_.path() + ": entry " + std::to_string(entries_) +
                      " (near line " + std::to_string(reader_.line()) + ") has a malformed DN \"" +
                      printableDn(dn) + "\"",
                  "DNs are RFC 4514 (CN=name,OU=unit,DC=corp,DC=example,DC=com); take the "
                  "snapshot again with adcheck snapshot");
    return e;
  }
}

Result<std::uint64_t> writeSnapshot(EntrySource& source, ldap::LdifWriter& writer) {
  ldap::Entry header{std::string(kSnapshotHeaderDn)};
  header.add("version", "1");
  header.add("target", source.target());
  header.add("taken", isoTime(std::time(nullptr)));
  if (auto w = writer.write(header); !w) return fail(w.error());
  std::uint64_t n = 0;
  while (true) {
    auto e = source.next();
    if (!e)
      return fail(e.error().code,
                  "snapshot incomplete after " + std::to_string(n) + " entries: " + e.error().message,
                  e.error().hint);
    if (!*e) break;
    if (auto w = writer.write(**e); !w) return fail(w.error());
    ++n;
  }
  ldap::Entry trailer{std::string(kSnapshotTrailerDn)};
  trailer.add("entries", std::to_string(n));
  if (auto w = writer.write(trailer); !w) return fail(w.error());
  return n;
}

Result<std::unique_ptr<SnapshotSource>> SnapshotSource::open(const std::string& path) {
  auto r = ldap::LdifReader::open(path);
  if (!r) return fail(r.error());
  return std::unique_ptr<SnapshotSource>(new SnapshotSource(std::move(*r)));
}

}  // namespace adcheck::scan
