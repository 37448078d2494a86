// adcheck probe: the ActiveSync endpoint probe (SPEC 8) from the command line, one block per URL.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <csignal>
#include <iostream>
#include <sstream>

#include "adcheck/app/cli.h"
#include "adcheck/config/config.h"
#include "adcheck/probe/probe.h"
#include "rules/endpoint_rule.h"

namespace adcheck::app {
namespace {

Poco::JSON::Object::Ptr resultJson(const probe::ProbeResult& r, const std::vector<scan::Finding>& findings) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("url", r.url);
  o->set("probedAt", scan::isoTime(r.probedAt));
  o->set("error", r.error);
  o->set("protocol", r.protocol);
  o->set("cipher", r.cipher);
  o->set("verified", r.verified);
  o->set("verifyError", r.verifyError);
  o->set("hostnameOk", r.hostnameOk);
  Poco::JSON::Array chain;
  for (const auto& c : r.chain) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("subject", c.subject);
    j->set("issuer", c.issuer);
    j->set("notBefore", scan::isoTime(c.notBefore));
    j->set("notAfter", scan::isoTime(c.notAfter));
    j->set("sha1", c.sha1);
    chain.add(j);
  }
  o->set("chain", chain);
  Poco::JSON::Array http;
  for (const auto& h : r.http) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("method", h.method);
    j->set("status", h.status);
    j->set("meaning", h.status ? probe::explainStatus(h.status) : h.error);
    Poco::JSON::Object::Ptr headers = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [k, v] : h.headers) headers->set(k, v);
    j->set("headers", headers);
    http.add(j);
  }
  o->set("http", http);
  Poco::JSON::Array fs;
  for (const auto& f : findings) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("rule", f.rule);
    j->set("severity", std::string(scan::severityName(f.severity)));
    j->set("summary", f.summary);
    j->set("remediation", f.remediation);
    j->set("details", f.details);
    fs.add(j);
  }
  o->set("findings", fs);
  return o;
}

void printText(std::ostream& out, const probe::ProbeResult& r, const std::vector<scan::Finding>& findings) {
  out << r.url << "\n";
  if (!r.error.empty()) {
    out << "  error:     " << r.error << "\n";
  } else {
    out << "  tls:       " << r.protocol << " " << r.cipher << "\n";
    out << "  chain:     " << (r.verified ? "verified" : "NOT verified: " + r.verifyError)
        << " (" << r.chain.size() << " sent)\n";
    for (const auto& c : r.chain)
      out << "    " << c.subject << "\n      issuer " << c.issuer << "\n      valid "
          << scan::isoTime(c.notBefore) << " .. " << scan::isoTime(c.notAfter) << "  sha1 " << c.sha1
          << "\n";
    out << "  hostname:  " << (r.hostnameOk ? "matches " : "does NOT match ") << r.host << "\n";
    for (const auto& h : r.http) {
      out << "  " << h.method << ":" << std::string(h.method.size() < 9 ? 10 - h.method.size() : 1, ' ');
      if (h.status == 0) {
        out << "no answer: " << h.error << "\n";
        continue;
      }
      out << h.status << " " << h.reason << " - " << probe::explainStatus(h.status) << "\n";
      for (const char* name : {"ms-asprotocolversions", "ms-asprotocolcommands"})
        if (auto it = h.headers.find(name); it != h.headers.end())
          out << "    " << name << ": " << it->second << "\n";
    }
  }
  if (findings.empty()) out << "  findings:  none\n";
  for (const auto& f : findings)
    out << "  [" << scan::severityName(f.severity) << "] " << f.rule << ": " << f.summary << "\n";
  out << "\n";
}

}  // namespace

int cmdProbe(const Args& args) {
  ArgParser p(args);
  const std::string* cfg_path = p.value("--config");
  const std::string* format_arg = p.value("--format");
  if (!p.error.empty()) return usageError(p.error);
  std::string format = format_arg ? *format_arg : "table";
  if (format != "table" && format != "json")
    return usageError("probe --format must be table or json, not '" + format + "'");
  if (!cfg_path) return usageError("probe needs --config FILE (for [endpoint] and [rules])");
  auto urls = p.rest();
  for (const auto& u : urls)
    if (u.starts_with("--")) return usageError("probe: unknown option " + u);
  auto config = config::loadConfig(*cfg_path);
  if (!config) return reportError(config.error());
  if (urls.empty()) urls = config->endpoint.urls;
  if (urls.empty())
    return usageError("probe: no URL given and [endpoint] urls is empty in " + *cfg_path);

  // A server closing mid-request must end that probe with an error, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  auto options = probe::optionsFrom(config->endpoint);
  bool any = false;
  Poco::JSON::Array all;
  for (const auto& url : urls) {
    auto r = probe::probeUrl(url, options);
    std::vector<scan::Finding> findings;
    rules::evaluateEndpoint(r, config->rules, [&](scan::Finding&& f) { findings.push_back(std::move(f)); });
    any = any || !findings.empty();
    if (format == "json")
      all.add(resultJson(r, findings));
    else
      printText(std::cout, r, findings);
  }
  if (format == "json") {
    Poco::JSON::Stringifier::stringify(all, std::cout, 2);
    std::cout << "\n";
  }
  return any ? 1 : 0;
}

}  // namespace adcheck::app
