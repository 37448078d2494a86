// GET /api/v1/scans, /scans/{id}, /scans/{from}/diff/{to}, GET /api/v1/job, POST /api/v1/scans.
#include <Poco/JSON/Array.h>

#include "web/server/app.h"
#include "web/server/json_views.h"

namespace adcheck::web {
namespace {

HttpResult<std::int64_t> scanId(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v <= 0)
    return std::unexpected(badRequest(what + " must be a scan id (a positive number)"));
  return static_cast<std::int64_t>(v);
}

HttpError storeError(App& app, const Error& e, const std::string& what) {
  if (e.code == ErrorCode::kNotFound) return HttpError{404, "not-found", e.message, e.hint, {}};
  return app.internal(what, e);
}

}  // namespace

void registerScanRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/scans", Role::kViewer, [&app](const Request& req, const Params&, const Caller*) {
    auto limit = intParam(req, "limit", 50, 1, 500);
    if (!limit) return HttpResult<Response>(std::unexpected(limit.error()));
    auto offset = intParam(req, "offset", 0, 0, 100000000);
    if (!offset) return HttpResult<Response>(std::unexpected(offset.error()));
    return app.withStore([&](store::Store& s) -> HttpResult<Response> {
      auto page = s.listScans({*limit, *offset});
      if (!page) return std::unexpected(app.internal("scans", page.error()));
      Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
      for (const auto& x : page->items) items->add(scanJson(x));
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("items", items);
      o->set("total", static_cast<std::uint64_t>(page->total));
      o->set("limit", static_cast<std::uint64_t>(page->limit));
      o->set("offset", static_cast<std::uint64_t>(page->offset));
      return jsonResponse(200, o);
    });
  });
  router.add("GET", "/api/v1/scans/{id}", Role::kViewer, [&app](const Request&, const Params& p, const Caller*) {
    auto id = scanId(p.at("id"), "the scan in the path");
    if (!id) return HttpResult<Response>(std::unexpected(id.error()));
    return app.withStore([&](store::Store& s) -> HttpResult<Response> {
      auto scan = s.scanById(*id);
      if (!scan) return std::unexpected(storeError(app, scan.error(), "scan"));
      return jsonResponse(200, scanJson(*scan));
    });
  });
  router.add("GET", "/api/v1/scans/{from}/diff/{to}", Role::kViewer,
             [&app](const Request&, const Params& p, const Caller*) {
               auto from = scanId(p.at("from"), "{from}");
               if (!from) return HttpResult<Response>(std::unexpected(from.error()));
               auto to = scanId(p.at("to"), "{to}");
               if (!to) return HttpResult<Response>(std::unexpected(to.error()));
               return app.withStore([&](store::Store& s) -> HttpResult<Response> {
                 auto d = s.diff(*from, *to);
                 if (!d) return std::unexpected(storeError(app, d.error(), "diff"));
                 Poco::JSON::Array::Ptr added = new Poco::JSON::Array;
                 for (const auto& f : d->added) added->add(findingJson(f));
                 Poco::JSON::Array::Ptr removed = new Poco::JSON::Array;
                 for (const auto& f : d->removed) removed->add(findingJson(f));
                 Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                 o->set("from", scanJson(d->from));
                 o->set("to", scanJson(d->to));
                 o->set("added", added);
                 o->set("removed", removed);
                 o->set("persisting", static_cast<std::uint64_t>(d->persisting.size()));
                 return jsonResponse(200, o);
               });
             });
  router.add("GET", "/api/v1/job", Role::kViewer, [&app](const Request&, const Params&, const Caller*) {
    return HttpResult<Response>(jsonResponse(200, app.scheduleJson()));
  });
  router.add("POST", "/api/v1/scans", Role::kOperator,
             [&app](const Request& req, const Params&, const Caller* c) -> HttpResult<Response> {
               auto body = parseJsonBody(req);
               if (!body) return std::unexpected(body.error());
               auto id = app.job().start(c->user);
               if (!id) return std::unexpected(id.error());
               Poco::JSON::Object::Ptr f = new Poco::JSON::Object;
               f->set("scanId", *id);
               app.audit("scan-started", c->user, req.client, f);
               Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
               o->set("scanId", *id);
               o->set("job", app.scheduleJson());
               return jsonResponse(202, o);
             });
}

}  // namespace adcheck::web
