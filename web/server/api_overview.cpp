// GET /api/v1/overview and GET /api/v1/trend.
#include <Poco/JSON/Array.h>

#include "rules/endpoint_rule.h"
#include "rules/rule.h"
#include "web/server/app.h"
#include "web/server/json_views.h"

namespace adcheck::web {
namespace {

std::string ruleTitle(const std::string& id) {
  for (const auto* r : rules::registry())
    if (r->meta.id == id) return std::string(r->meta.title);
  for (const auto* r : rules::endpointRegistry())
    if (r->meta.id == id) return std::string(r->meta.title);
  return id;
}

HttpResult<Response> overview(App& app, store::Store& s) {
  auto last = s.latestScan(false);
  if (!last) return std::unexpected(app.internal("overview", last.error()));
  auto completed = s.latestScan(true);
  if (!completed) return std::unexpected(app.internal("overview", completed.error()));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("lastScan", *last ? Poco::Dynamic::Var(scanJson(**last)) : Poco::Dynamic::Var());
  o->set("lastCompletedScan", *completed ? Poco::Dynamic::Var(scanJson(**completed)) : Poco::Dynamic::Var());
  store::SeverityCounts counts{};
  std::int64_t excepted = 0;
  Poco::JSON::Array::Ptr by_rule = new Poco::JSON::Array;
  Poco::JSON::Object::Ptr changes = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (*completed) {
    counts = (*completed)->bySeverity;
    excepted = (*completed)->excepted;
    auto trend = s.trend(1, true);
    if (!trend) return std::unexpected(app.internal("overview", trend.error()));
    if (!trend->empty())
      for (const auto& rc : trend->back().byRule) {
        Poco::JSON::Object::Ptr r = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        r->set("rule", rc.rule);
        r->set("title", ruleTitle(rc.rule));
        r->set("severity", std::string(scan::severityName(rc.severity)));
        r->set("findings", rc.findings);
        r->set("excepted", rc.excepted);
        by_rule->add(r);
      }
    // The lifecycle of the latest completed scan against the previous one: new and resolved.
    for (const char* status : {"new", "resolved"}) {
      store::FindingQuery q;
      q.scanId = (*completed)->id;
      q.statuses = {status};
      q.page.limit = 10;
      auto page = s.findings(q);
      if (!page) return std::unexpected(app.internal("overview", page.error()));
      Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
      for (const auto& f : page->items) items->add(findingJson(f));
      changes->set(status, items);
      changes->set(std::string(status) + "Total", static_cast<std::uint64_t>(page->total));
    }
    changes->set("reopenedTotal", (*completed)->reopened);
  } else {
    changes->set("new", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    changes->set("newTotal", 0);
    changes->set("resolved", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    changes->set("resolvedTotal", 0);
    changes->set("reopenedTotal", 0);
  }
  o->set("bySeverity", severityCountsJson(counts));
  o->set("byRule", by_rule);
  o->set("excepted", excepted);
  o->set("changes", changes);
  o->set("schedule", app.scheduleJson());
  return jsonResponse(200, o);
}

HttpResult<Response> trend(App& app, const Request& req, store::Store& s) {
  auto n = intParam(req, "scans", 30, 1, 200);
  if (!n) return std::unexpected(n.error());
  auto points = s.trend(*n, true);
  if (!points) return std::unexpected(app.internal("trend", points.error()));
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (const auto& p : *points) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("scanId", p.scan.id);
    o->set("started", isoOrNull(p.scan.started));
    o->set("status", std::string(scan::scanStatusName(p.scan.status)));
    o->set("bySeverity", severityCountsJson(p.scan.bySeverity));
    std::int64_t total = 0;
    for (auto c : p.scan.bySeverity) total += c;
    o->set("total", total);
    o->set("excepted", p.scan.excepted);
    arr->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("points", arr);
  return jsonResponse(200, o);
}

}  // namespace

void registerOverviewRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/overview", Role::kViewer, [&app](const Request&, const Params&, const Caller*) {
    return app.withStore([&](store::Store& s) { return overview(app, s); });
  });
  router.add("GET", "/api/v1/trend", Role::kViewer, [&app](const Request& req, const Params&, const Caller*) {
    return app.withStore([&](store::Store& s) { return trend(app, req, s); });
  });
}

}  // namespace adcheck::web
