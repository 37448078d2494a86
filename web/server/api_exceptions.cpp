// GET/POST /api/v1/exceptions, DELETE /api/v1/exceptions/{id}. Changes are audited.
#include <Poco/JSON/Array.h>

#include "web/server/app.h"
#include "web/server/json_views.h"

namespace adcheck::web {

void registerExceptionRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/exceptions", Role::kViewer, [&app](const Request& req, const Params&, const Caller*) {
    const bool all = req.param("all").value_or("") == "1";
    return app.withStore([&](store::Store& s) -> HttpResult<Response> {
      const std::time_t now = std::time(nullptr);
      auto list = s.listExceptions(all, now);
      if (!list) return std::unexpected(app.internal("exceptions", list.error()));
      Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
      for (const auto& e : *list) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("id", e.id);
        o->set("fingerprint", e.spec.fingerprint);
        o->set("rule", e.spec.rule);
        o->set("dnPattern", e.spec.dnPattern);
        o->set("reason", e.spec.reason);
        o->set("owner", e.spec.owner);
        o->set("created", isoOrNull(e.created));
        o->set("expires", e.spec.expires);
        o->set("removedAt", isoOrNull(e.removedAt));
        o->set("state", e.state(now));
        items->add(o);
      }
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set("items", items);
      return jsonResponse(200, o);
    });
  });
  router.add("POST", "/api/v1/exceptions", Role::kOperator,
             [&app](const Request& req, const Params&, const Caller* c) -> HttpResult<Response> {
               auto body = parseJsonBody(req);
               if (!body) return std::unexpected(body.error());
               store::ExceptionSpec spec;
               for (auto [key, field] : {std::pair{"fingerprint", &spec.fingerprint}, {"rule", &spec.rule},
                                         {"dnPattern", &spec.dnPattern}, {"reason", &spec.reason},
                                         {"expires", &spec.expires}}) {
                 if ((*body)->has(key) && !(*body)->get(key).isEmpty() && !jsonString(*body, key))
                   return std::unexpected(badRequest(std::string("field '") + key + "' must be a string"));
                 *field = jsonString(*body, key).value_or("");
               }
               spec.owner = c->user;
               return app.withStore([&](store::Store& s) -> HttpResult<Response> {
                 auto id = s.addException(spec, std::time(nullptr));
                 if (!id) {
                   if (id.error().code == ErrorCode::kInvalidArgument || id.error().code == ErrorCode::kParse)
                     return std::unexpected(badRequest(id.error().message, id.error().hint));
                   return std::unexpected(app.internal("add exception", id.error()));
                 }
                 Poco::JSON::Object::Ptr f = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                 f->set("exceptionId", *id);
                 f->set("fingerprint", spec.fingerprint);
                 f->set("rule", spec.rule);
                 f->set("dnPattern", spec.dnPattern);
                 f->set("expires", spec.expires);
                 app.audit("exception-added", c->user, req.client, f);
                 Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                 o->set("id", *id);
                 return jsonResponse(201, o);
               });
             });
  router.add("DELETE", "/api/v1/exceptions/{id}", Role::kOperator,
             [&app](const Request& req, const Params& p, const Caller* c) -> HttpResult<Response> {
               std::int64_t id = 0;
               try {
                 std::size_t used = 0;
                 id = std::stoll(p.at("id"), &used);
                 if (used != p.at("id").size()) id = 0;
               } catch (const std::exception&) {
                 id = 0;
               }
               if (id <= 0) return std::unexpected(badRequest("the exception id in the path must be a positive number"));
               return app.withStore([&](store::Store& s) -> HttpResult<Response> {
                 auto r = s.removeException(id, std::time(nullptr));
                 if (!r) {
                   if (r.error().code == ErrorCode::kNotFound)
                     return std::unexpected(HttpError{404, "not-found", r.error().message, r.error().hint, {}});
                   if (r.error().code == ErrorCode::kInvalidArgument)
                     return std::unexpected(badRequest(r.error().message, r.error().hint));
                   return std::unexpected(app.internal("remove exception", r.error()));
                 }
                 Poco::JSON::Object::Ptr f = new Poco::JSON::Object;
                 f->set("exceptionId", id);
                 app.audit("exception-removed", c->user, req.client, f);
                 return noContent();
               });
             });
}

}  // namespace adcheck::web
