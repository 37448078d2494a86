// GET /api/v1/findings and GET /api/v1/findings/{fingerprint}.
#include <Poco/JSON/Array.h>

#include "rules/endpoint_rule.h"
#include "rules/rule.h"
#include "web/server/app.h"
#include "web/server/json_views.h"

namespace adcheck::web {
namespace {

std::optional<std::string> canonicalRuleId(const std::string& id) {
  for (const auto* r : rules::registry())
    if (ldap::iequals(r->meta.id, id)) return std::string(r->meta.id);
  for (const auto* r : rules::endpointRegistry())
    if (ldap::iequals(r->meta.id, id)) return std::string(r->meta.id);
  return std::nullopt;
}

std::string clip(const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; }

HttpResult<store::FindingQuery> parseFindingQuery(const Request& req) {
  store::FindingQuery q;
  for (const auto& r : req.params("rule")) {
    auto id = canonicalRuleId(r);
    if (!id) return std::unexpected(badRequest("parameter 'rule': unknown rule id '" + clip(r) + "'",
                                               "GET /api/v1/rules lists them"));
    q.rules.push_back(*id);
  }
  for (const auto& s : req.params("severity")) {
    auto sev = scan::parseSeverity(s);
    if (!sev) return std::unexpected(badRequest("parameter 'severity': '" + clip(s) +
                                                "' is not one of critical, high, medium, low, info"));
    q.severities.push_back(*sev);
  }
  for (const auto& s : req.params("status")) {
    if (!store::isKnownStatus(s))
      return std::unexpected(badRequest("parameter 'status': '" + clip(s) +
                                        "' is not one of new, open, reopened, excepted, resolved"));
    q.statuses.push_back(s);
  }
  q.ouDn = req.param("ou").value_or("");
  q.text = req.param("q").value_or("");
  if (auto s = req.param("sort"); s && !s->empty()) {
    auto f = store::parseSortField(*s);
    if (!f) return std::unexpected(badRequest("parameter 'sort': '" + clip(*s) +
                                              "' is not one of severity, rule, dn, sam, firstSeen, status"));
    q.sort = *f;
  }
  if (auto o = req.param("order"); o && !o->empty()) {
    if (*o != "asc" && *o != "desc")
      return std::unexpected(badRequest("parameter 'order' must be asc or desc"));
    q.descending = *o == "desc";
  } else {
    // Worst first by default; names alphabetically.
    q.descending = q.sort == store::SortField::kSeverity || q.sort == store::SortField::kFirstSeen;
  }
  auto limit = intParam(req, "limit", 50, 1, 500);
  if (!limit) return std::unexpected(limit.error());
  auto offset = intParam(req, "offset", 0, 0, 100000000);
  if (!offset) return std::unexpected(offset.error());
  q.page.limit = *limit;
  q.page.offset = *offset;
  if (auto s = req.param("scan"); s && !s->empty() && *s != "latest") {
    auto id = intParam(req, "scan", 0, 1, static_cast<std::size_t>(INT64_MAX));
    if (!id) return std::unexpected(id.error());
    q.scanId = static_cast<std::int64_t>(*id);
  }
  return q;
}

}  // namespace

void registerFindingRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/findings", Role::kViewer, [&app](const Request& req, const Params&, const Caller*) {
    auto q = parseFindingQuery(req);
    if (!q) return HttpResult<Response>(std::unexpected(q.error()));
    return app.withStore([&](store::Store& s) -> HttpResult<Response> {
      // The same question about the same stored scans gets the same answer: serve it from the cache.
      auto version = app.dataVersion(s);
      if (!version) return std::unexpected(app.internal("findings", version.error()));
      std::string key = "findings";
      for (const auto& [k, v] : req.query) key += "\x1f" + k + "\x1e" + v;
      auto cached = [&]() -> std::optional<Response> {
        auto hit = app.cache().get(key, *version);
        if (!hit) return std::nullopt;
        Response r;
        r.body = std::move(*hit);
        r.set("Cache-Control", "no-store");
        return r;
      };
      if (auto r = cached()) return std::move(*r);
      auto claim = app.cache().claim(key);
      if (!claim.owns())
        if (auto r = cached()) return std::move(*r);  // another request just computed it
      if (q->scanId)
        if (auto scan = s.scanById(*q->scanId); !scan) {
          if (scan.error().code == ErrorCode::kNotFound)
            return std::unexpected(HttpError{404, "not-found", "no scan " + std::to_string(*q->scanId), "", {}});
          return std::unexpected(app.internal("findings", scan.error()));
        }
      auto page = s.findings(*q);
      if (!page) return std::unexpected(app.internal("findings", page.error()));
      Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
      for (const auto& f : page->items) items->add(findingJson(f));
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("items", items);
      o->set("total", static_cast<std::uint64_t>(page->total));
      o->set("limit", static_cast<std::uint64_t>(page->limit));
      o->set("offset", static_cast<std::uint64_t>(page->offset));
      Response r = jsonResponse(200, o);
      app.cache().put(key, *version, r.body);
      return r;
    });
  });
  router.add("GET", "/api/v1/findings/{fingerprint}", Role::kViewer,
             [&app](const Request&, const Params& p, const Caller*) {
               return app.withStore([&](store::Store& s) -> HttpResult<Response> {
                 const auto& fp = p.at("fingerprint");
                 auto h = s.history(fp);
                 if (!h) {
                   if (h.error().code == ErrorCode::kNotFound)
                     return std::unexpected(HttpError{404, "not-found", "no finding with this fingerprint", "", {}});
                   return std::unexpected(app.internal("finding history", h.error()));
                 }
                 Poco::JSON::Array::Ptr events = new Poco::JSON::Array;
                 for (const auto& e : h->events) events->add(eventJson(e));
                 Poco::JSON::Array::Ptr occ = new Poco::JSON::Array;
                 for (const auto& x : h->occurrences) {
                   Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                   o->set("scanId", x.scanId);
                   o->set("scanStarted", isoOrNull(x.scanStarted));
                   o->set("scanStatus", std::string(scan::scanStatusName(x.scanStatus)));
                   o->set("severity", std::string(scan::severityName(x.severity)));
                   o->set("status", x.status);
                   o->set("dn", x.dn);
                   o->set("summary", x.summary);
                   occ->add(o);
                 }
                 Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                 o->set("finding", findingJson(h->latest));
                 o->set("events", events);
                 o->set("occurrences", occ);
                 return jsonResponse(200, o);
               });
             });
}

}  // namespace adcheck::web
