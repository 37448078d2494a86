// adcheck doctor: before the first scan, one line per thing that would go wrong, each failure
// with its fix. It reads the directory and the store but never writes to either.
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "adcheck/app/cli.h"
#include "adcheck/app/doctor_checks.h"
#include "adcheck/config/config.h"
#include "adcheck/probe/probe.h"
#include "adcheck/scan/engine.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/store/schema.h"
#include "adcheck/store/sqlite_store.h"
#include "ldap/secret.h"
#include "ldap/session.h"
#include "rules/rule.h"
#include "web/server/server.h"

namespace adcheck::app {
namespace {

using doctor::Level;
using doctor::Verdict;

struct Line {
  std::string check;
  Verdict verdict;
};

class Doctor {
 public:
  void add(std::string check, Verdict v) { lines_.push_back({std::move(check), std::move(v)}); }
  void ok(std::string check, std::string text) { add(std::move(check), {Level::kOk, std::move(text), ""}); }
  void warn(std::string check, std::string text, std::string fix) {
    add(std::move(check), {Level::kWarn, std::move(text), std::move(fix)});
  }
  void fail(std::string check, std::string text, std::string fix) {
    add(std::move(check), {Level::kFail, std::move(text), std::move(fix)});
  }
  void fail(std::string check, const Error& e) { fail(std::move(check), e.message, e.hint); }

  int exitCode() const {
    int code = 0;
    for (const auto& l : lines_) code = std::max(code, l.verdict.level == Level::kFail ? 2 : l.verdict.level == Level::kWarn ? 1 : 0);
    return code;
  }

  void printText(std::ostream& out) const {
    for (const auto& l : lines_) {
      const char* tag = l.verdict.level == Level::kOk ? "ok  " : l.verdict.level == Level::kWarn ? "warn" : "fail";
      out << tag << "  " << l.check << std::string(l.check.size() < 11 ? 11 - l.check.size() : 1, ' ')
          << l.verdict.text << "\n";
      if (!l.verdict.fix.empty()) out << "      " << std::string(11, ' ') << "fix: " << l.verdict.fix << "\n";
    }
    std::size_t warns = 0, fails = 0;
    for (const auto& l : lines_) {
      if (l.verdict.level == Level::kFail) ++fails;
      if (l.verdict.level == Level::kWarn) ++warns;
    }
    out << lines_.size() << " checks: " << fails << " failed, " << warns << " warning(s)\n";
  }

  void printJson(std::ostream& out) const {
    Poco::JSON::Array checks;
    for (const auto& l : lines_) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("check", l.check);
      o->set("status", std::string(l.verdict.level == Level::kOk ? "ok" : l.verdict.level == Level::kWarn ? "warn" : "fail"));
      o->set("text", l.verdict.text);
      o->set("fix", l.verdict.fix);
      checks.add(o);
    }
    Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("checks", checks);
    root.set("exitCode", exitCode());
    Poco::JSON::Stringifier::stringify(root, out, 2);
    out << "\n";
  }

 private:
  std::vector<Line> lines_;
};

struct UriParts {
  std::string scheme;
  std::string host;
  unsigned short port = 0;
};

std::optional<UriParts> splitUri(const std::string& uri) {
  try {
    Poco::URI u(uri);
    UriParts p{u.getScheme(), u.getHost(), u.getPort()};
    if (p.scheme != "ldap" && p.scheme != "ldaps") return std::nullopt;
    if (p.port == 0) p.port = p.scheme == "ldaps" ? 636 : 389;
    if (p.host.empty()) return std::nullopt;
    return p;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// DNS, TCP and (for ldaps://) TLS of one URI. False when it cannot be reached at all.
bool checkEndpoint(Doctor& d, const std::string& uri, const config::DirectoryConfig& dir) {
  auto parts = splitUri(uri);
  if (!parts) {
    d.fail("uri", "'" + uri + "' is not an ldap:// or ldaps:// URI",
           "write [directory] uri as ldaps://dc1.example.com or ldap://dc1.example.com");
    return false;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(parts->host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    d.fail("dns", parts->host + " does not resolve: " + gai_strerror(rc),
           "check the name in [directory] uri and this machine's DNS (/etc/resolv.conf should name "
           "the domain's DNS servers)");
    return false;
  }
  std::set<std::string> addresses;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    char host[NI_MAXHOST];
    if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
      addresses.insert(host);
  }
  ::freeaddrinfo(list);
  std::string joined;
  for (const auto& a : addresses) joined += (joined.empty() ? "" : ", ") + a;
  d.ok("dns", parts->host + " resolves to " + joined);

  const std::string where = parts->host + ":" + std::to_string(parts->port);
  try {
    Poco::Net::StreamSocket s;
    s.connect(Poco::Net::SocketAddress(parts->host, parts->port), Poco::Timespan(dir.connect_timeout, 0));
    s.close();
    d.ok("tcp", "connected to " + where);
  } catch (const Poco::Exception& e) {
    d.fail("tcp", "cannot connect to " + where + ": " + e.displayText(),
           "check that the DC listens on that port and that no firewall blocks it (" +
               std::string(parts->scheme == "ldaps" ? "636 for ldaps://" : "389 for ldap://") + ")");
    return false;
  }

  if (parts->scheme != "ldaps") {
    if (dir.starttls)
      d.ok("tls", uri + " uses StartTLS: its certificate is checked by the bind below");
    else if (dir.bind == config::BindMode::kSimple)
      d.warn("tls", uri + " is plain LDAP with a simple bind: the password would cross the network in clear",
             "use ldaps:// or set [directory] starttls = true");
    else
      d.ok("tls", uri + " is plain LDAP; the GSSAPI bind signs and seals the connection");
    return true;
  }
  probe::ProbeOptions o;
  o.caFile = dir.ca_file;
  o.timeout = std::chrono::seconds(dir.connect_timeout);
  auto r = probe::probeTls(parts->host, parts->port, o);
  if (!r.error.empty()) {
    d.fail("tls", where + ": " + r.error, "check that the DC serves LDAPS on that port (it needs a certificate)");
    return false;
  }
  const std::string trust = dir.ca_file.empty() ? "the system's trusted CAs" : "[directory] ca_file " + dir.ca_file;
  if (!r.verified) {
    const std::string text = where + " presents a certificate that does not chain to " + trust + " (" + r.verifyError + ")";
    const std::string fix = "set [directory] ca_file to the PEM of the CA that issued the DC's certificate";
    if (dir.tls_verify) d.fail("tls", text, fix);
    else d.warn("tls", text + "; accepted only because tls_verify = false", fix + ", then remove tls_verify = false");
  } else if (!r.hostnameOk) {
    d.fail("tls", where + "'s certificate does not name " + parts->host,
           "use the host name the certificate names in [directory] uri (usually the DC's FQDN)");
  } else {
    d.ok("tls", where + " " + r.protocol + ", certificate trusted by " + trust + " and names " + parts->host);
  }
  if (!r.chain.empty()) {
    const auto& leaf = r.chain.front();
    d.add("tls-expiry", doctor::judgeCertificateDates(where + "'s certificate", leaf.notBefore, leaf.notAfter,
                                                      std::time(nullptr), 30,
                                                      "renew the DC's certificate (autoenrolment or the CA)"));
  }
  return true;
}

void checkDirectory(Doctor& d, const config::Config& cfg, bool full_read) {
  const auto& dir = cfg.directory;
  if (dir.uris.empty()) {
    d.fail("uri", "[directory] uri is not set", "name one or more domain controllers, e.g. uri = ldaps://dc1.corp.example.com");
    return;
  }
  for (const auto& uri : dir.uris) checkEndpoint(d, uri, dir);

  auto opts = scan::sessionOptions(dir);
  if (!opts) {
    d.fail("bind", opts.error());
    return;
  }
  auto session = ldap::Session::open(*opts);
  if (!session) {
    d.fail("bind", session.error());
    return;
  }
  auto who = session->whoAmI();
  d.ok("bind", "bound to " + session->uri() + " as " + (who && !who->empty() ? *who : dir.user));

  auto dse = session->rootDse();
  if (!dse) {
    d.fail("rootdse", dse.error());
    return;
  }
  if (dse->default_naming_context.empty()) {
    d.fail("rootdse", "the RootDSE names no defaultNamingContext", "point [directory] uri at an Active Directory domain controller");
    return;
  }
  d.ok("rootdse", "domain " + dse->default_naming_context + ", DC " + dse->dns_host_name +
                      (dse->domain_controller_functionality
                           ? ", DC functional level " + std::to_string(*dse->domain_controller_functionality)
                           : ""));

  if (auto dc_time = scan::parseGeneralizedTime(dse->current_time))
    d.add("clock", doctor::judgeClockSkew(*dc_time, std::time(nullptr), dir.bind == config::BindMode::kGssapi));
  else
    d.warn("clock", "the DC did not return its currentTime: clock skew not checked",
           "compare `date -u` here with the DC's time by hand; Kerberos fails beyond 5 minutes");

  // One user's DACL, read the way the scan reads it (SD flags control, DACL only).
  ldap::SearchRequest req;
  req.base = dir.base_dn.empty() ? dse->default_naming_context : dir.base_dn;
  req.filter = "(&(objectCategory=person)(objectClass=user))";
  req.attributes = {"nTSecurityDescriptor"};
  req.page_size = 1;
  auto search = session->search(req);
  std::optional<ldap::Entry> user;
  if (search) {
    auto e = search->next();
    if (!e) {
      d.fail("descriptor", e.error());
      return;
    }
    user = std::move(*e);
  } else {
    d.fail("descriptor", search.error());
    return;
  }
  if (!user) {
    d.fail("descriptor", "no user is visible below " + req.base,
           "check [directory] base_dn, and that the account may list the domain's users");
    return;
  }
  const auto sd = user->first("nTSecurityDescriptor");
  if (!sd || sd->empty()) {
    d.fail("descriptor", "the DC returned no nTSecurityDescriptor for " + user->dn() + " to this account",
           "the scan account needs Read permissions (READ_CONTROL) on users: it has it as a member of "
           "Domain Users by default; check for a deny on the OU or the user");
    return;
  }
  auto parsed = security::parseSecurityDescriptor(security::asBytes(*sd));
  if (!parsed) {
    d.fail("descriptor", "the descriptor of " + user->dn() + " does not parse: " + parsed.error().message,
           "report it (adcheck explain on that user shows the bytes)");
    return;
  }
  d.ok("descriptor", "read the DACL of " + user->dn() + " with the SD flags control (" +
                         std::to_string(parsed->dacl() ? parsed->dacl()->aceCount() : 0) + " ACEs)");

  if (!full_read) return;
  // What the scan account cannot see: a whole read of the directory, as a scan does it, with
  // nothing written anywhere.
  scan::LiveSource source(*session, cfg);
  scan::ScanOptions options;
  options.config = cfg;
  auto summary = scan::runScan(source, options, [](scan::Finding&&) {});
  if (summary.status != scan::ScanStatus::kCompleted) {
    d.fail("coverage", "the read of the directory did not complete: " + summary.error,
           "fix the error above; adcheck scan would fail the same way");
    return;
  }
  auto enabled = scan::enabledRules(cfg.rules);
  std::size_t not_run = 0;
  if (enabled) {
    for (const auto* rule : *enabled)
      if (std::find(summary.rulesRun.begin(), summary.rulesRun.end(), rule->meta.id) == summary.rulesRun.end()) {
        ++not_run;
        d.warn("coverage", "rule " + std::string(rule->meta.id) + " cannot run: its inputs were not readable",
               "see the warnings of this check; README: The service account");
      }
  }
  for (const auto& w : summary.warnings) d.warn("coverage", w, "README: The service account");
  if (summary.warnings.empty() && not_run == 0)
    d.ok("coverage", "read " + std::to_string(summary.objectsScanned) + " objects; every enabled rule could read its inputs");
}

void checkStore(Doctor& d, const config::StoreConfig& store) {
  namespace fs = std::filesystem;
  const std::string& path = store.path;
  if (path.empty()) {
    d.ok("store", "no [store] path: scans keep no history");
    return;
  }
  std::error_code ec;
  const fs::path file(path);
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  if (!fs::is_directory(dir, ec)) {
    d.fail("store", "the directory " + dir.string() + " of [store] path " + path + " does not exist",
           "create it (mkdir -p " + dir.string() + ") writable by the adcheck user, or set another [store] path");
    return;
  }
  // SQLite writes PATH-wal and PATH-shm beside the file: the directory must be writable too.
  if (::access(dir.c_str(), W_OK) != 0) {
    d.fail("store", "the directory " + dir.string() + " of the store is read-only for this user",
           "give this user write access to " + dir.string() + " or set another [store] path");
    return;
  }
  if (!fs::exists(file, ec)) {
    d.ok("store", path + " does not exist yet: the first scan creates it in a writable directory");
    return;
  }
  if (::access(path.c_str(), W_OK) != 0) {
    d.fail("store", "the store " + path + " is read-only for this user",
           "give this user write access to " + path + " (chown or chmod), or set another [store] path");
    return;
  }
  auto version = store::readSqliteSchemaVersion(path);
  if (!version) {
    d.fail("store", version.error());
    return;
  }
  d.add("store", doctor::judgeStoreVersion(path, *version, store::latestSchemaVersion()));
}

void checkWeb(Doctor& d, const config::WebConfig& web) {
  if (web.tls_cert.empty() && web.tls_key.empty()) {
    auto addr = web.listen.substr(0, web.listen.rfind(':'));
    const bool loopback = addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "[::1]" || addr == "::1";
    if (loopback)
      d.ok("web", "plain HTTP on loopback (" + web.listen + ")");
    else if (web.allow_plain_http)
      d.warn("web", "plain HTTP on " + web.listen + ": passwords cross the network in clear",
             "set [web] tls_cert and tls_key, or put a TLS reverse proxy in front");
    else
      d.fail("web", "[web] listen " + web.listen + " is not loopback and no certificate is set: serve will refuse to start",
             "set [web] tls_cert and tls_key (PEM), or allow_plain_http = true behind a TLS proxy");
    return;
  }
  if (web.tls_cert.empty() || web.tls_key.empty()) {
    d.fail("web", "[web] tls_cert and tls_key must be set together", "set both, or neither for plain HTTP on loopback");
    return;
  }
  if (auto ok = ldap::checkSecretFile(web.tls_key, "[web] tls_key"); !ok) {
    d.fail("web", ok.error());
    return;
  }
  if (auto ctx = web::serverTlsContext(web); !ctx) {
    d.fail("web", ctx.error());
    return;
  }
  try {
    Poco::Crypto::X509Certificate cert(web.tls_cert);
    d.ok("web", "[web] tls_cert " + web.tls_cert + " matches tls_key; subject " + cert.subjectName());
    d.add("web-expiry", doctor::judgeCertificateDates("[web] tls_cert", cert.validFrom().timestamp().epochTime(),
                                                      cert.expiresOn().timestamp().epochTime(), std::time(nullptr), 30,
                                                      "renew the dashboard's certificate"));
  } catch (const Poco::Exception& e) {
    d.fail("web", "[web] tls_cert " + web.tls_cert + " cannot be read: " + e.displayText(), "give a PEM certificate");
  }
}

}  // namespace

int cmdDoctor(const Args& args) {
  ArgParser p(args);
  const std::string* config_path = p.value("--config");
  std::string format = "text";
  if (const auto* f = p.value("--format")) format = *f;
  const bool quick = p.flag("--quick");
  if (!p.error.empty()) return usageError(p.error);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (config_path == nullptr) return usageError("doctor needs --config FILE");
  if (format != "text" && format != "json") return usageError("--format '" + format + "' is not one of text, json");

  Doctor d;
  auto cfg = config::loadConfig(*config_path);
  if (!cfg) {
    d.fail("config", cfg.error());
  } else {
    d.ok("config", *config_path + " is valid");
    if (auto enabled = scan::enabledRules(cfg->rules); !enabled) d.fail("config", enabled.error());
    checkDirectory(d, *cfg, !quick);
    checkStore(d, cfg->store);
    checkWeb(d, cfg->web);
  }
  if (format == "json") d.printJson(std::cout);
  else d.printText(std::cout);
  return d.exitCode();
}

}  // namespace adcheck::app
