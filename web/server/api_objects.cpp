// GET /api/v1/objects/{id}: the explain story plus the object's findings and their history.
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>

#include "adcheck/scan/dn.h"
#include "adcheck/scan/explain.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/guid.h"
#include "rules/rule.h"
#include "web/server/app.h"
#include "web/server/json_views.h"
#include "web/server/objects.h"

namespace adcheck::web {

bool looksLikeGuid(const std::string& text) {
  return text.size() == 36 && security::Guid::parse(text).has_value();
}

namespace {

constexpr int kObjectLookupsPerMinute = 20;

// explain() keeps kInvalidArgument for a DN outside the scanned base (answered 400 with its
// message); every other failure is the directory's and goes to the log only.
Error directoryError(Error e) {
  if (e.code == ErrorCode::kInvalidArgument) e.code = ErrorCode::kServerDown;
  return e;
}

bool matchesId(const ldap::Entry& e, const std::string& id, bool guid) {
  if (!guid) return ldap::iequals(e.dn(), id);
  return ldap::iequals(scan::makeUserObject(e).guid, id);
}

}  // namespace

std::optional<int> RateLimit::take(const std::string& key, std::time_t now) {
  std::lock_guard lock(mutex_);
  if (windows_.size() > 4096)  // sessions come and go: forget the finished windows
    std::erase_if(windows_, [&](const auto& w) { return now - w.second.start >= window_; });
  Window& w = windows_[key];
  if (now - w.start >= window_) w = Window{now, 0};
  if (w.count >= limit_) return static_cast<int>(std::max<std::time_t>(1, w.start + window_ - now));
  ++w.count;
  return std::nullopt;
}

Result<std::optional<Poco::JSON::Object::Ptr>> ObjectExplainer::explainSnapshot(ScanInput& input,
                                                                                const std::string& id) {
  // One pass, context entries to the builder, the object when it passes by.
  const bool guid = looksLikeGuid(id);
  auto enabled = scan::enabledRules(job_.config().rules);
  if (!enabled) return fail(enabled.error());
  std::optional<ldap::Entry> found;
  scan::ContextBuilder builder(job_.config(), std::time(nullptr));
  for (;;) {
    auto e = input.source->next();
    if (!e) return fail(e.error());
    if (!*e) break;
    auto kind = scan::classify(**e);
    if (kind == scan::EntryKind::kScannedObject) {
      if (!found && matchesId(**e, id, guid)) found = std::move(**e);
    } else {
      builder.add(**e, kind);
    }
  }
  auto ctx = builder.finish();
  if (!found) return std::optional<Poco::JSON::Object::Ptr>();
  return std::optional(scan::explainObject(*found, *ctx, *enabled));
}

Result<std::optional<ldap::Entry>> ObjectExplainer::readLive(ldap::Session& session, const std::string& id,
                                                             std::shared_ptr<scan::Context>& ctx) {
  const bool guid = looksLikeGuid(id);
  std::string base;
  {
    std::lock_guard lock(contextMutex_);
    const auto last = job_.state().lastRun;
    const std::optional<std::int64_t> scan_id = last ? std::optional(last->scanId) : std::nullopt;
    if (!context_ || contextScan_ != scan_id) {
      scan::LiveSource source(session, job_.config(), scan::LiveSource::Mode::kContextOnly);
      scan::ScanOptions options;
      options.config = job_.config();
      auto collected = scan::collectContext(source, options);
      if (!collected) return fail(directoryError(collected.error()));
      context_ = std::shared_ptr<scan::Context>(std::move(collected->context));
      objectBase_ = source.objectBase();
      contextScan_ = scan_id;
    }
    ctx = context_;
    base = objectBase_;
  }
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
    req.base = base;
    req.filter = "(&(objectClass=user)" + filter + "))";
  } else {
    // The service account may read far more than the scanned objects (configuration partition,
    // other OUs): the page shows only what the scan covers.
    // Other naming contexts lie below the forest root domain's DN but are not scanned.
    bool outside = base.empty() || !scan::dnIsUnder(id, base);
    for (const char* nc : {"CN=Configuration,", "DC=DomainDnsZones,", "DC=ForestDnsZones,"})
      outside = outside || scan::dnIsUnder(id, nc + base);
    if (outside)
      return fail(ErrorCode::kInvalidArgument, "the DN is outside the scanned base '" + base + "'",
                  "give the DN of an object below the scanned base, or its objectGUID");
    req.base = id;
    req.scope = ldap::Scope::kBase;
    req.filter = "(objectClass=user)";
  }
  req.attributes = scan::scannedObjectAttributes();
  req.sd_flags = ldap::kSdFlagsDacl;
  auto search = session.search(req);
  if (!search) {
    if (search.error().code == ErrorCode::kNotFound) return std::optional<ldap::Entry>();
    return fail(directoryError(search.error()));
  }
  auto e = search->next();
  if (!e) {
    if (e.error().code == ErrorCode::kNotFound) return std::optional<ldap::Entry>();
    return fail(directoryError(e.error()));
  }
  if (!*e) return std::optional<ldap::Entry>();
  return std::optional(std::move(**e));
}

Result<std::optional<Poco::JSON::Object::Ptr>> ObjectExplainer::explain(const std::string& id) {
  auto enabled = scan::enabledRules(job_.config().rules);
  if (!enabled) return fail(directoryError(enabled.error()));
  std::unique_ptr<ldap::Session> session;
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return inUse_ < kMaxSessions; });
    ++inUse_;
    if (!idle_.empty()) {
      session = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  struct Slot {
    ObjectExplainer& e;
    ~Slot() {
      {
        std::lock_guard lock(e.mutex_);
        --e.inUse_;
      }
      e.freed_.notify_one();
    }
  } slot{*this};
  bool kept = session != nullptr;
  for (;;) {
    if (!session) {
      auto input = job_.factory().open(true);
      if (!input) return fail(directoryError(input.error()));
      if (!input->session) {
        auto r = explainSnapshot(*input, id);
        if (!r) return fail(directoryError(r.error()));
        return r;
      }
      input->source.reset();  // refers to the session; readLive reads through its own
      session = std::move(input->session);
    }
    std::shared_ptr<scan::Context> ctx;
    auto found = readLive(*session, id, ctx);
    if (!found && found.error().code != ErrorCode::kInvalidArgument) {
      session.reset();
      // A kept session may have been closed by the DC meanwhile: one more try on a new one.
      if (kept) {
        kept = false;
        continue;
      }
      return fail(found.error());
    }
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < static_cast<std::size_t>(kMaxSessions)) idle_.push_back(std::move(session));
    }
    if (!found) return fail(found.error());
    if (!*found) return std::optional<Poco::JSON::Object::Ptr>();
    return std::optional(scan::explainObject(**found, *ctx, *enabled));
  }
}

std::unique_ptr<ObjectExplainer> makeObjectExplainer(App& app) {
  return std::make_unique<ObjectExplainer>(app.job());
}

void registerObjectRoutes(App& app, Router& router) {
  auto limit = std::make_shared<RateLimit>(kObjectLookupsPerMinute, 60);
  router.add("GET", "/api/v1/objects/{id}", Role::kViewer,
             [&app, limit](const Request&, const Params& p, const Caller* caller) -> HttpResult<Response> {
               const std::string& id = p.at("id");
               if (id.empty() || id.size() > 2048)
                 return std::unexpected(badRequest("the object id must be an objectGUID or a DN of at most 2048 bytes"));
               // Each lookup may cost the DC a search (the first after a scan: the whole context).
               if (auto wait = limit->take(caller->sessionId, app.now()))
                 return std::unexpected(HttpError{429, "too-many-requests",
                                                  "more than " + std::to_string(kObjectLookupsPerMinute) +
                                                      " object lookups in a minute",
                                                  "wait and try again", *wait});
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
               if (!story && story.error().code == ErrorCode::kInvalidArgument)
                 return std::unexpected(badRequest(story.error().message, story.error().hint));
               if (!story) {
                 // The directory could not be read: the stored findings still answer. libldap's
                 // message names DCs and the bind DN: that goes to the log only.
                 const std::string error_id = app.logError("explain", story.error());
                 o->set("object", Poco::Dynamic::Var());
                 o->set("explainError",
                        "the directory could not be read; the server log has the details under id " + error_id);
                 o->set("explainErrorId", error_id);
                 o->set("explainNote", Poco::Dynamic::Var());
               } else if (!*story) {
                 if (findings->empty())
                   return std::unexpected(HttpError{404, "not-found", "neither the directory nor the store knows this object",
                                                    "give an objectGUID or a DN", {}});
                 // Explain reads scanned user objects only. AdminSDHolder, CN=Directory Service,
                 // policies and device containers carry findings of rules that run once per scan:
                 // not finding them among the users says nothing about whether they still exist.
                 const bool user_findings = std::any_of(findings->begin(), findings->end(), [](const auto& f) {
                   const auto* rule = rules::findRule(f.finding.rule);
                   return rule != nullptr && rule->evaluateObject != nullptr;
                 });
                 o->set("object", Poco::Dynamic::Var());
                 if (user_findings) {
                   o->set("explainError", "the object is no longer in the directory");
                   o->set("explainNote", Poco::Dynamic::Var());
                 } else {
                   o->set("explainError", Poco::Dynamic::Var());
                   o->set("explainNote",
                          "this is not a user account: the per-user explanation does not apply; its findings "
                          "from the scans are below");
                 }
                 o->set("explainErrorId", Poco::Dynamic::Var());
               } else {
                 o->set("object", **story);
                 o->set("explainError", Poco::Dynamic::Var());
                 o->set("explainErrorId", Poco::Dynamic::Var());
                 o->set("explainNote", Poco::Dynamic::Var());
               }
               o->set("findings", items);
               o->set("history", history);
               return jsonResponse(200, o);
             });
}

}  // namespace adcheck::web
