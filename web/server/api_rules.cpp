// GET /api/v1/rules: {"rules": [...]} with the catalogue of `adcheck rules --format json` (an
// array there) as the value.
#include "rules/rule.h"
#include "web/server/app.h"

namespace adcheck::web {

void registerRuleRoutes(App&, Router& router) {
  router.add("GET", "/api/v1/rules", Role::kViewer, [](const Request&, const Params&, const Caller*) {
    static const std::string kCatalogue = "{\"rules\": " + rules::catalogueJson() + "}";
    Response r;
    r.body = kCatalogue;
    r.set("Cache-Control", "no-store");
    return HttpResult<Response>(std::move(r));
  });
}

}  // namespace adcheck::web
