// adcheck explain USER: one object's whole story, for the administrator holding a 1053 ticket.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "adcheck/app/cli.h"
#include "adcheck/scan/context.h"
#include "adcheck/scan/dn.h"
#include "adcheck/scan/explain.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/describe.h"
#include "adcheck/security/sddl.h"

namespace adcheck::app {
namespace {

namespace sec = adcheck::security;

bool matches(const ldap::Entry& e, const std::string& who) {
  if (ldap::iequals(e.dn(), who)) return true;
  if (ldap::iequals(e.firstOr("sAMAccountName"), who)) return true;
  if (ldap::iequals(e.firstOr("userPrincipalName"), who)) return true;
  return false;
}

std::string str(const Poco::JSON::Object::Ptr& o, const std::string& k) {
  return o->has(k) && !o->get(k).isEmpty() ? o->get(k).toString() : std::string("-");
}

void printText(const Poco::JSON::Object::Ptr& s) {
  auto& out = std::cout;
  out << "Object      " << str(s, "dn") << "\n";
  out << "Account     " << str(s, "samAccountName") << "  UPN " << str(s, "userPrincipalName")
      << "  (" << str(s, "kind") << (s->getValue<bool>("disabled") ? ", disabled" : "") << ")\n";
  out << "GUID / SID  " << str(s, "objectGuid") << "  " << str(s, "objectSid") << "\n";
  out << "Mailbox     " << (s->getValue<bool>("mailbox") ? "yes" : "no") << "\n";
  auto mobile = s->getObject("mobile");
  const auto wireless = str(mobile, "msExchOmaAdminWirelessEnable");
  out << "Mobile      msExchOmaAdminWirelessEnable " << (wireless == "-" ? "not set" : "= " + wireless)
      << ": ActiveSync " << (mobile->getValue<bool>("activeSyncEnabled") ? "enabled" : "DISABLED");
  auto decoded = mobile->getArray("decoded");
  for (std::size_t i = 0; i < decoded->size(); ++i) out << "; " << decoded->get(i).toString();
  out << "\n";
  out << "adminCount  " << str(s, "adminCount") << "\n";
  out << "SDProp      ";
  auto via = s->getArray("protectedGroupPath");
  if (via->size() == 0) out << "not protected";
  for (std::size_t i = 0; i < via->size(); ++i) out << (i ? "; " : "protected via ") << via->get(i).toString();
  out << "\n";
  out << "Inheritance " << (s->getValue<bool>("daclProtected") ? "DISABLED (DACL protected)" : "enabled")
      << "\n";
  if (s->has("activeSyncRights")) {
    auto r = s->getObject("activeSyncRights");
    out << "\nEffective ActiveSync rights of the Exchange servers (" << str(r, "requested") << "): "
        << str(r, "decision") << "\n";
    if (r->has("decidingAce")) out << "  deciding ACE #" << str(r, "decidingAceIndex") << ": " << str(r, "decidingAce") << "\n";
  }
  if (s->has("dacl")) {
    auto aces = s->getArray("dacl");
    out << "\nDACL (" << aces->size() << " ACEs; >> marks the deciding one)\n";
    for (std::size_t i = 0; i < aces->size(); ++i) {
      auto a = aces->getObject(i);
      out << (a->getValue<bool>("deciding") ? ">> " : "   ") << "#" << str(a, "index") << " "
          << str(a, "text") << "\n      " << str(a, "sddl") << "\n";
    }
  }
  if (s->has("descriptorError")) out << "\nDescriptor: " << str(s, "descriptorError") << "\n";
  auto devices = s->getArray("devices");
  out << "\nDevices     " << devices->size() << "\n";
  for (std::size_t i = 0; i < devices->size(); ++i) {
    auto d = devices->getObject(i);
    out << "  " << str(d, "type") << " " << str(d, "deviceId") << " (" << str(d, "model")
        << "), not changed in AD since " << str(d, "whenChanged") << "\n";
  }
  if (auto cov = s->getArray("coverage"); cov && cov->size() > 0) {
    std::size_t unreadable = 0;
    for (std::size_t i = 0; i < cov->size(); ++i)
      if (str(cov->getObject(i), "state") != "readable") ++unreadable;
    out << "\nCoverage    " << (unreadable == 0 ? "the scan account could read every input here"
                                                : std::to_string(unreadable) +
                                                      " input(s) the scan account could not read:")
        << "\n";
    for (std::size_t i = 0; i < cov->size(); ++i) {
      auto c = cov->getObject(i);
      if (str(c, "state") == "readable") continue;
      out << "  " << str(c, "input") << ": " << str(c, "state")
          << (c->has("why") ? " - " + str(c, "why") : std::string()) << "\n";
    }
  }
  out << "\nRules\n";
  auto rules = s->getArray("rules");
  for (std::size_t i = 0; i < rules->size(); ++i) {
    auto v = rules->getObject(i);
    out << "  " << str(v, "rule") << ": " << str(v, "verdict") << "\n";
    if (v->has("findings")) {
      auto f = v->getArray("findings");
      for (std::size_t j = 0; j < f->size(); ++j) {
        auto x = f->getObject(j);
        out << "      [" << str(x, "severity") << "] " << str(x, "summary") << "\n      fix: "
            << str(x, "remediation") << "\n";
      }
    }
  }
  auto warnings = s->getArray("warnings");
  for (std::size_t i = 0; i < warnings->size(); ++i) out << "warning: " << warnings->get(i).toString() << "\n";
}

}  // namespace

int cmdExplain(const Args& args) {
  ArgParser p(args);
  std::string format = "text";
  if (const auto* f = p.value("--format")) format = *f;
  const std::string* cfg = p.value("--config");
  auto snapshots = p.values("--snapshot");
  if (!p.error.empty()) {
    std::cerr << "adcheck: " << p.error << "\n";
    return 2;
  }
  auto rest = p.rest();
  // "--snapshot A.ldif B.ldif USER": the list swallows USER; the last value is the user then.
  if (rest.empty() && snapshots.size() >= 2) {
    rest.push_back(snapshots.back());
    snapshots.pop_back();
  }
  if (rest.size() != 1) {
    std::cerr << "adcheck: explain needs exactly one USER (a DN, sAMAccountName or UPN)\n";
    return 2;
  }
  if (format != "text" && format != "json") {
    std::cerr << "adcheck: --format '" << format << "' is not one of text, json\n";
    return 2;
  }
  const std::string who = rest[0];

  config::Config config;
  std::optional<ldap::Session> session;
  std::unique_ptr<scan::EntrySource> source;
  if (cfg) {
    auto c = config::loadConfig(*cfg);
    if (!c) {
      std::cerr << "adcheck: error: " << c.error().toString() << "\n";
      return 2;
    }
    config = *c;
  }
  scan::ScanOptions options;
  options.config = config;
  std::unique_ptr<scan::Context> ctx;
  std::optional<ldap::Entry> found;
  auto enabled = scan::enabledRules(config.rules);
  if (!enabled) {
    std::cerr << "adcheck: error: " << enabled.error().toString() << "\n";
    return 2;
  }
  if (!snapshots.empty()) {
    std::vector<std::unique_ptr<scan::SnapshotSource>> parts;
    scan::ContextBuilder builder(config, std::time(nullptr));
    for (const auto& path : snapshots) {
      auto s = scan::SnapshotSource::open(path);
      if (!s) {
        std::cerr << "adcheck: error: " << s.error().toString() << "\n";
        return 2;
      }
      while (!found) {
        auto e = (*s)->next();
        if (!e) {
          std::cerr << "adcheck: error: " << e.error().toString() << "\n";
          return 2;
        }
        if (!*e) break;
        auto kind = scan::classify(**e);
        if (kind == scan::EntryKind::kScannedObject) {
          if (matches(**e, who)) found = std::move(**e);
        } else {
          builder.add(**e, kind);
        }
      }
    }
    ctx = builder.finish();
  } else if (cfg) {
    auto opts = scan::sessionOptions(config.directory);
    if (!opts) {
      std::cerr << "adcheck: error: " << opts.error().toString() << "\n";
      return 2;
    }
    auto s = ldap::Session::open(*opts);
    if (!s) {
      std::cerr << "adcheck: error: " << s.error().toString() << "\n";
      return 2;
    }
    session.emplace(std::move(*s));
    scan::LiveSource live(*session, config, scan::LiveSource::Mode::kContextOnly);
    auto collected = scan::collectContext(live, options);
    if (!collected) {
      std::cerr << "adcheck: error: " << collected.error().toString() << "\n";
      return 2;
    }
    ctx = std::move(collected->context);
    ldap::SearchRequest req;
    req.base = live.objectBase();
    req.filter = "(&(objectClass=user)(|(sAMAccountName=" + scan::escapeFilterValue(who) +
                 ")(userPrincipalName=" + scan::escapeFilterValue(who) + ")))";
    if (who.find('=') != std::string::npos) {
      req.base = who;
      req.scope = ldap::Scope::kBase;
      req.filter = "(objectClass=user)";
    }
    req.attributes = scan::scannedObjectAttributes();
    req.sd_flags = ldap::kSdFlagsDacl;
    auto search = session->search(req);
    if (!search) {
      if (search.error().code != ErrorCode::kNotFound) {
        std::cerr << "adcheck: error: " << search.error().toString() << "\n";
        return 2;
      }
    } else {
      auto e = search->next();
      if (!e && e.error().code != ErrorCode::kNotFound) {
        std::cerr << "adcheck: error: " << e.error().toString() << "\n";
        return 2;
      }
      if (e && *e) found = std::move(**e);
    }
  } else {
    std::cerr << "adcheck: explain needs --config FILE or --snapshot FILE\n";
    return 2;
  }
  if (!found) {
    std::cerr << "adcheck: no user, inetOrgPerson or computer matches '" << who
              << "' (give a DN, sAMAccountName or userPrincipalName)\n";
    return 2;
  }
  auto s = scan::explainObject(*found, *ctx, *enabled);
  if (format == "json") {
    s->stringify(std::cout, 2);
    std::cout << "\n";
  } else {
    printText(s);
  }
  return 0;
}

}  // namespace adcheck::app
