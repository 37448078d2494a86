// GET /api/v1/objects/{id}: the explain story plus the object's findings and their history.
#include <Poco/JSON/Array.h>

#include <cctype>

#include "adcheck/scan/explain.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/guid.h"
#include "web/server/app.h"
#include "web/server/json_views.h"
#include "web/server/objects.h"

namespace adcheck::web {

bool looksLikeGuid(const std::string& text) {
  return text.size() == 36 && security::Guid::parse(text).has_value();
}

namespace {

bool matchesId(const ldap::Entry& e, const std::string& id, bool guid) {
  if (!guid) return ldap::iequals(e.dn(), id);
  return ldap::iequals(scan::makeUserObject(e).guid, id);
}

}  // namespace

Result<std::optional<Poco::JSON::Object::Ptr>> ObjectExplainer::explain(const std::string& id) {
  std::lock_guard lock(mutex_);
  const bool guid = looksLikeGuid(id);
  const auto& config = job_.config();
  auto enabled = scan::enabledRules(config.rules);
  if (!enabled) return fail(enabled.error());
  auto input = job_.factory().open(true);
  if (!input) return fail(input.error());
  std::optional<ldap::Entry> found;
  std::shared_ptr<scan::Context> ctx;
  if (!input->session) {
    // Snapshot: one pass, context entries to the builder, the object when it passes by.
    scan::ContextBuilder builder(config, std::time(nullptr));
    for (;;) {
      auto e = input->source->next();
      if (!e) return fail(e.error());
      if (!*e) break;
      auto kind = scan::classify(**e);
      if (kind == scan::EntryKind::kScannedObject) {
        if (!found && matchesId(**e, id, guid)) found = std::move(**e);
      } else {
        builder.add(**e, kind);
      }
    }
    ctx = builder.finish();
  } else {
    const auto last = job_.state().lastRun;
    const std::optional<std::int64_t> scan_id = last ? std::optional(last->scanId) : std::nullopt;
    auto* live = dynamic_cast<scan::LiveSource*>(input->source.get());
    if (!context_ || contextScan_ != scan_id) {
      scan::ScanOptions options;
      options.config = config;
      auto collected = scan::collectContext(*input->source, options);
      if (!collected) return fail(collected.error());
      context_ = std::shared_ptr<scan::Context>(std::move(collected->context));
      objectBase_ = live ? live->objectBase() : std::string();
      contextScan_ = scan_id;
    }
    ctx = context_;
    ldap::SearchRequest req;
    if (guid) {
      auto g = security::Guid::parse(id);
      std::string filter = "(objectGUID=";
      static const char* kHex = "0123456789abcdef";
      for (auto b : g->bytes()) {
        filter += '\\';
        filter += kHex[b >> 4];
        filter += kHex[b & 15];
      }
      req.base = objectBase_;
      req.filter = "(&(objectClass=user)" + filter + "))";
    } else {
      req.base = id;
      req.scope = ldap::Scope::kBase;
      req.filter = "(objectClass=user)";
    }
    req.attributes = scan::scannedObjectAttributes();
    req.sd_flags = ldap::kSdFlagsDacl;
    auto search = input->session->search(req);
    if (!search) {
      if (search.error().code != ErrorCode::kNotFound) return fail(search.error());
    } else {
      auto e = search->next();
      if (!e && e.error().code != ErrorCode::kNotFound) return fail(e.error());
      if (e && *e) found = std::move(**e);
    }
  }
  if (!found) return std::optional<Poco::JSON::Object::Ptr>();
  return std::optional(scan::explainObject(*found, *ctx, *enabled));
}

std::unique_ptr<ObjectExplainer> makeObjectExplainer(App& app) {
  return std::make_unique<ObjectExplainer>(app.job());
}

void registerObjectRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/objects/{id}", Role::kViewer,
             [&app](const Request&, const Params& p, const Caller*) -> HttpResult<Response> {
               const std::string& id = p.at("id");
               if (id.empty() || id.size() > 2048)
                 return std::unexpected(badRequest("the object id must be an objectGUID or a DN of at most 2048 bytes"));
               Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
               Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
               auto lease = app.stores().acquire();
               if (!lease) return std::unexpected(app.internal("opening the store", lease.error()));
               auto findings = (*lease)->objectFindings(id);
               if (!findings) return std::unexpected(app.internal("object findings", findings.error()));
               for (const auto& f : *findings) {
                 items->add(findingJson(f));
                 Poco::JSON::Object::Ptr h = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                 h->set("fingerprint", f.fingerprint);
                 h->set("rule", f.finding.rule);
                 Poco::JSON::Array::Ptr events = new Poco::JSON::Array;
                 if (auto fh = (*lease)->history(f.fingerprint))
                   for (const auto& e : fh->events) events->add(eventJson(e));
                 h->set("events", events);
                 history->add(h);
               }
               Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
               auto story = app.explainer().explain(id);
               if (!story) {
                 // The directory could not be read: the stored findings still answer.
                 o->set("object", Poco::Dynamic::Var());
                 o->set("explainError", story.error().message);
               } else if (!*story) {
                 if (findings->empty())
                   return std::unexpected(HttpError{404, "not-found", "neither the directory nor the store knows this object",
                                                    "give an objectGUID or a DN", {}});
                 o->set("object", Poco::Dynamic::Var());
                 o->set("explainError", "the object is no longer in the directory");
               } else {
                 o->set("object", **story);
                 o->set("explainError", Poco::Dynamic::Var());
               }
               o->set("findings", items);
               o->set("history", history);
               return jsonResponse(200, o);
             });
}

}  // namespace adcheck::web
