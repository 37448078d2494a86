// GET /api/v1/endpoints: the last probe of [endpoint] urls (issue 8), from the scan job.
#include <Poco/JSON/Array.h>

#include "web/server/app.h"
#include "web/server/json_views.h"

namespace adcheck::web {
namespace {

Poco::JSON::Object::Ptr endpointJson(const EndpointState& ep) {
  const auto& r = ep.result;
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("url", r.url);
  o->set("probedAt", isoOrNull(r.probedAt));
  o->set("error", r.error);
  Poco::JSON::Array::Ptr chain = new Poco::JSON::Array;
  for (const auto& c : r.chain) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("subject", c.subject);
    j->set("issuer", c.issuer);
    j->set("notBefore", isoOrNull(c.notBefore));
    j->set("notAfter", isoOrNull(c.notAfter));
    j->set("daysLeft", static_cast<std::int64_t>((c.notAfter - r.probedAt) / 86400));
    j->set("sha1", c.sha1);
    j->set("selfSigned", c.selfSigned);
    chain->add(j);
  }
  o->set("chain", chain);
  o->set("verified", r.verified);
  o->set("verifyError", r.verifyError);
  o->set("hostnameOk", r.hostnameOk);
  o->set("protocol", r.protocol);
  o->set("cipher", r.cipher);
  Poco::JSON::Array::Ptr http = new Poco::JSON::Array;
  for (const auto& h : r.http) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("method", h.method);
    j->set("status", h.status);
    j->set("reason", h.reason);
    j->set("meaning", h.status ? probe::explainStatus(h.status) : std::string());
    j->set("error", h.error);
    http->add(j);
  }
  o->set("http", http);
  Poco::JSON::Array::Ptr findings = new Poco::JSON::Array;
  for (const auto& f : ep.findings) {
    store::StoredFinding sf;
    sf.fingerprint = f.fingerprint();
    sf.finding = f;
    sf.status = "open";
    findings->add(findingJson(sf));
  }
  o->set("findings", findings);
  return o;
}

}  // namespace

void registerEndpointRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/endpoints", Role::kViewer, [&app](const Request&, const Params&, const Caller*) {
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& ep : app.job().endpoints()) items->add(endpointJson(ep));
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("items", items);
    return HttpResult<Response>(jsonResponse(200, o));
  });
}

}  // namespace adcheck::web
