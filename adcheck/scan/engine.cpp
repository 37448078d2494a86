#include "adcheck/scan/engine.h"

#include <chrono>
#include <exception>
#include <set>

#include "adcheck/scan/context.h"
#include "adcheck/scan/dn.h"

namespace adcheck::scan {
namespace {

using Clock = std::chrono::steady_clock;

class ProgressReporter {
 public:
  ProgressReporter(const std::function<void(const Progress&)>& fn) : fn_(fn), start_(Clock::now()) {}
  void update(const std::string& phase, std::size_t entries, std::size_t objects, bool force) {
    if (!fn_) return;
    auto now = Clock::now();
    if (!force && phase == last_phase_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    last_phase_ = phase;
    fn_(Progress{phase, entries, objects, std::chrono::duration<double>(now - start_).count()});
  }

 private:
  const std::function<void(const Progress&)>& fn_;
  Clock::time_point start_;
  Clock::time_point last_{};
  std::string last_phase_;
};

std::time_t nowOr(std::time_t t) { return t != 0 ? t : std::time(nullptr); }

bool ruleCouldRun(std::string_view id, const Context& ctx) {
  if (id == "EAS-DEVICE-RIGHTS-MISSING") return ctx.exchangeGroupsFound && ctx.easDevicesClass.has_value();
  if (id == "ADM-ADMINSDHOLDER-ACL") return !ctx.adminSdHolderSd.empty();
  if (id == "ADM-SDPROP-EXCLUSIONS") return ctx.dsHeuristicsRead;
  return true;
}

std::set<std::string> unnamedAdminSdHolderTrustees(const Context& ctx) {
  std::set<std::string> out;
  if (ctx.adminSdHolderSd.empty()) return out;
  auto sd = security::parseSecurityDescriptor(security::asBytes(ctx.adminSdHolderSd));
  if (!sd || sd->dacl() == nullptr) return out;
  for (auto ace : *sd->dacl()) {
    if (!ace.hasSid()) continue;
    auto sid = ace.sid().toString();
    if (!ctx.sidNames.contains(sid)) out.insert(sid);
  }
  return out;
}

void nameIfWanted(const ldap::Entry& entry, std::set<std::string>& wanted, Context& ctx) {
  auto raw = entry.first("objectSid");
  if (!raw) return;
  auto sid = sidString(*raw);
  if (auto it = wanted.find(sid); it != wanted.end()) {
    ctx.sidNames[sid] = entry.firstOr("sAMAccountName", entry.dn());
    wanted.erase(it);
  }
}

}  // namespace

std::string_view scanStatusName(ScanStatus s) {
  switch (s) {
    case ScanStatus::kRunning: return "running";
    case ScanStatus::kCompleted: return "completed";
    case ScanStatus::kFailed: return "failed";
    case ScanStatus::kPartial: return "partial";
  }
  return "failed";
}

bool isScannedObject(const ldap::Entry& entry) {
  return classify(entry) == EntryKind::kScannedObject;
}

Result<std::vector<const rules::Rule*>> enabledRules(const config::RulesConfig& cfg) {
  std::vector<const rules::Rule*> out;
  bool all = false;
  for (const auto& id : cfg.enabled)
    if (ldap::iequals(id, "all")) all = true;
  if (all) {
    for (const auto* r : rules::registry()) out.push_back(r);
    return out;
  }
  for (const auto& id : cfg.enabled) {
    const auto* r = rules::findRule(id);
    if (r == nullptr) {
      std::string valid;
      for (const auto* x : rules::registry()) valid += (valid.empty() ? "" : ", ") + std::string(x->meta.id);
      return fail(ErrorCode::kConfig, "[rules] enabled names an unknown rule id '" + id + "'",
                  "valid ids: all, " + valid);
    }
    out.push_back(r);
  }
  return out;
}

void evaluateObject(const ldap::Entry& entry, const Context& ctx,
                    const std::vector<const rules::Rule*>& enabled, const FindingSink& sink,
                    std::vector<ObjectError>& errors, Aggregates& agg,
                    CoverageTracker* coverage, CoverageHolds* holds) {
  UserObject u = makeUserObject(entry);
  ++agg.usersRead;
  if (u.isMailbox) {
    if (u.policyLink.empty()) ++agg.mailboxUsersWithoutPolicy;
    else ++agg.usersByPolicy[dnKey(u.policyLink)];
  }
  if (u.sdError) errors.push_back(ObjectError{u.dn, "", u.sdError->toString(), u.guid});
  std::uint64_t gaps = coverage != nullptr ? coverage->addObject(u) : 0;
  if (gaps != 0 && holds != nullptr) {
    // Only rules that evaluate objects report findings keyed by this object.
    for (std::size_t i = 0; i < enabled.size() && i < 64; ++i)
      if (enabled[i]->evaluateObject == nullptr) gaps &= ~(std::uint64_t{1} << i);
    if (gaps != 0) holds->objects[u.guid.empty() ? dnKey(u.dn) : u.guid] |= gaps;
  }
  // Whether the account may read homeMDB (through its property set): if not, a missing homeMDB
  // means "cannot see", not "no mailbox".
  if (coverage != nullptr && !u.isMailbox && u.sd && !coverage->lastHomeMdbReadable()) {
    ++agg.mailboxStateUnreadable;
    if (agg.mailboxStateUnreadableExamples.size() < 10) agg.mailboxStateUnreadableExamples.push_back(u.dn);
  }
  rules::Emit emit = [&](Finding&& f) { sink(std::move(f)); };
  for (const auto* rule : enabled) {
    if (rule->evaluateObject == nullptr) continue;
    try {
      rule->evaluateObject(u, ctx, emit);
    } catch (const std::exception& e) {
      // One failing rule is recorded and the scan goes on.
      errors.push_back(ObjectError{u.dn, std::string(rule->meta.id), e.what(), u.guid});
    }
  }
}

std::string missingInput(const InputCoverage& c, const std::string& target) {
  std::vector<std::string> missing;
  if (!c.domainRoot)
    missing.push_back(
        "no domain root (the domain's head, objectClass domainDNS, with its objectSid): was "
        "01-domain.ldif passed, or may the account read the base DN?");
  if (!c.userClass)
    missing.push_back(
        "no schema (classSchema 'user' under CN=Schema): was 02-schema.ldif passed, or may the "
        "account read the schema naming context?");
  if (c.objects == 0)
    missing.push_back(
        "no user objects (a domain always has Administrator and krbtgt): was 09-users.ldif "
        "passed, or does the base DN hold the users?");
  if (missing.empty()) return "";
  std::string out = "incomplete input " + target + ": it holds ";
  for (std::size_t i = 0; i < missing.size(); ++i) out += (i == 0 ? "" : "; ") + missing[i];
  return out +
         ". Nothing was resolved: a scan that saw less cannot show that findings went away "
         "(take a full snapshot with adcheck snapshot)";
}

Result<CollectedContext> collectContext(EntrySource& source, const ScanOptions& options) {
  ContextBuilder builder(options.config, nowOr(options.now));
  CollectedContext out;
  while (true) {
    auto next = source.next();
    if (!next) return fail(next.error());
    if (!*next) break;
    auto kind = classify(**next);
    if (kind == EntryKind::kScannedObject) {
      out.firstObject = std::move(**next);
      break;
    }
    builder.add(**next, kind);
  }
  out.context = builder.finish();
  for (auto& w : source.warnings()) out.context->warnings.push_back(w);
  return out;
}

ScanSummary runScan(EntrySource& source, const ScanOptions& options, const FindingSink& sink) {
  ScanSummary summary;
  summary.target = source.target();
  summary.started = nowOr(options.now);
  ProgressReporter progress(options.progress);

  auto rules = enabledRules(options.config.rules);
  if (!rules) {
    summary.status = ScanStatus::kFailed;
    summary.error = rules.error().toString();
    summary.finished = std::time(nullptr);
    return summary;
  }
  for (const auto* r : *rules) summary.rulesRun.emplace_back(r->meta.id);

  ContextBuilder builder(options.config, summary.started);
  std::unique_ptr<Context> ctx;
  std::unique_ptr<CoverageTracker> tracker;
  Aggregates agg;
  FindingSink counting = [&](Finding&& f) {
    ++summary.findings;
    sink(std::move(f));
  };

  // Trustees of AdminSDHolder ACEs that are users get their names while the users stream by,
  // so reports say "hd-tom" rather than a SID, without keeping every user's name in memory.
  std::set<std::string> wanted_names;
  progress.update("context", 0, 0, true);
  bool source_failed = false;
  InputCoverage coverage;
  while (true) {
    if (options.interrupted)
      if (auto why = options.interrupted(); !why.empty()) {
        source_failed = true;
        summary.error = std::move(why);
        break;
      }
    auto next = source.next();
    if (!next) {
      source_failed = true;
      summary.error = next.error().toString();
      break;
    }
    if (!*next) break;
    ++summary.entriesRead;
    const ldap::Entry& entry = **next;
    auto kind = classify(entry);
    if (kind == EntryKind::kDomainRoot && entry.has("objectSid")) coverage.domainRoot = true;
    if (kind == EntryKind::kSchema && ldap::iequals(entry.firstOr("lDAPDisplayName"), "user"))
      coverage.userClass = true;
    if (kind == EntryKind::kScannedObject) {
      ++coverage.objects;
      if (!ctx) {
        ctx = builder.finish();
        tracker = std::make_unique<CoverageTracker>(*ctx, *rules);
        for (const auto* r : *rules) summary.coverageHolds.rules.emplace_back(r->meta.id);
        wanted_names = unnamedAdminSdHolderTrustees(*ctx);
        progress.update("objects", summary.entriesRead, 0, true);
      }
      if (!wanted_names.empty()) nameIfWanted(entry, wanted_names, *ctx);
      evaluateObject(entry, *ctx, *rules, counting, summary.objectErrors, agg, tracker.get(),
                     &summary.coverageHolds);
      ++summary.objectsScanned;
      progress.update("objects", summary.entriesRead, summary.objectsScanned, false);
    } else if (!ctx) {
      builder.add(entry, kind);
      progress.update("context", summary.entriesRead, 0, false);
    } else if (kind != EntryKind::kOther) {
      // Context must come first so objects can be evaluated as they stream; a snapshot that
      // interleaves them cannot be evaluated correctly.
      source_failed = true;
      summary.error = "context entry '" + entry.dn() + "' comes after scanned objects (entry " +
                      std::to_string(summary.entriesRead) +
                      "): write groups, schema, AdminSDHolder, policies and devices before the "
                      "user objects (adcheck snapshot does; see README for the ldapsearch order)";
      break;
    }
  }
  // The context is whole once the objects began; before that, what it "could not find" (the
  // Exchange groups, the schema) may simply not have been read yet, and would be a false warning.
  const bool context_complete = ctx != nullptr;
  if (!ctx) ctx = builder.finish();
  // A rule whose inputs were missing did not run: it must not be listed, or the store would take
  // the absence of its findings for "resolved".
  std::erase_if(summary.rulesRun, [&](const std::string& id) { return !ruleCouldRun(id, *ctx); });
  if (!tracker) tracker = std::make_unique<CoverageTracker>(*ctx, *rules);
  for (auto& [key, mask] : tracker->addUnreadableObjects()) {
    // Held by DN key: their objectGUID could not be read either.
    for (std::size_t i = 0; i < rules->size() && i < 64; ++i)
      if ((*rules)[i]->evaluateObject == nullptr) mask &= ~(std::uint64_t{1} << i);
    if (mask != 0) summary.coverageHolds.objects[key] |= mask;
  }
  summary.coverage = tracker->finish();
  tracker.reset();
  // A rule that could not read a directory-wide input (or any input, for a rule that reports on
  // the directory rather than on objects) did not look everywhere: none of its findings may be
  // resolved by this scan. Per-object gaps are in coverageHolds.
  std::size_t incomplete_rules = 0;
  for (const auto& rc : summary.coverage.rules) {
    if (rc.verdict == CoverageVerdict::kComplete || rc.verdict == CoverageVerdict::kUnknown)
      continue;
    ++incomplete_rules;
    const auto* rule = rules::findRule(rc.rule);
    bool whole = rule == nullptr || rule->evaluateObject == nullptr;
    for (const auto& in : rc.inputs)
      if (!coverageInputIsPerObject(in.input) && (in.verdict == CoverageVerdict::kPartial ||
                                                  in.verdict == CoverageVerdict::kUnreadable))
        whole = true;
    if (whole) std::erase(summary.rulesRun, rc.rule);
  }
  const std::string missing = source_failed ? "" : missingInput(coverage, summary.target);
  if (context_complete && missing.empty())
    for (auto& w : ctx->warnings) summary.warnings.push_back(w);
  for (auto& w : source.warnings()) summary.warnings.push_back(w);

  if (incomplete_rules > 0 && context_complete && missing.empty())
    summary.warnings.push_back(
        "coverage incomplete: " + std::to_string(incomplete_rules) +
        " rule(s) could not read all their inputs with the scan account (" +
        (ctx->scannerDn.empty() ? std::string("unknown") : ctx->scannerDn) +
        "); their findings there are neither reported nor resolved (see scan.coverage)");
  if (agg.mailboxStateUnreadable > 0) {
    std::string examples;
    for (const auto& dn : agg.mailboxStateUnreadableExamples) examples += "\n    " + dn;
    summary.warnings.push_back(
        std::to_string(agg.mailboxStateUnreadable) +
        " user(s) deny the scan account (" + ctx->scannerDn +
        ") read access to homeMDB, typically because inheritance was disabled and the inherited "
        "ACEs removed: adcheck cannot tell whether they have a mailbox, so mailbox-only findings "
        "for them may be missing. Scan with an account that may read all properties (README: "
        "The service account). First ones:" + examples);
  }

  if (source_failed) {
    summary.status = summary.objectsScanned > 0 ? ScanStatus::kPartial : ScanStatus::kFailed;
    summary.error += " (after " + std::to_string(summary.entriesRead) + " entries, " +
                     std::to_string(summary.objectsScanned) + " objects evaluated)";
  } else if (!missing.empty()) {
    summary.status = ScanStatus::kFailed;
    summary.error = missing + " (read " + std::to_string(summary.entriesRead) + " entries)";
  } else {
    progress.update("finishing", summary.entriesRead, summary.objectsScanned, true);
    rules::Emit emit = [&](Finding&& f) { counting(std::move(f)); };
    for (const auto* rule : *rules) {
      if (rule->evaluateDomain == nullptr) continue;
      try {
        rule->evaluateDomain(*ctx, agg, emit);
      } catch (const std::exception& e) {
        summary.objectErrors.push_back(ObjectError{"", std::string(rule->meta.id), e.what(), ""});
        // It did not finish evaluating the domain: the absence of its findings proves nothing.
        std::erase(summary.rulesRun, std::string(rule->meta.id));
      }
    }
    summary.status = ScanStatus::kCompleted;
    if (!summary.objectErrors.empty()) {
      std::set<std::string> objects;
      for (const auto& e : summary.objectErrors)
        if (!e.dn.empty()) objects.insert(e.dn);
      if (!objects.empty())
        summary.warnings.push_back(
            std::to_string(objects.size()) +
            " object(s) could not be evaluated (see the scan's object errors, first: " +
            *objects.begin() +
            "): their findings were left as they were, neither resolved nor confirmed");
    }
  }
  summary.finished = std::time(nullptr);
  progress.update("done", summary.entriesRead, summary.objectsScanned, true);
  return summary;
}

}  // namespace adcheck::scan
