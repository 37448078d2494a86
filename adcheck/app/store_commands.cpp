// adcheck scans list|diff, adcheck exceptions add|list|remove, and the store side of adcheck scan.
#include "adcheck/app/store_commands.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/store/sqlite_store.h"
#include "rules/rule.h"

namespace adcheck::app {
namespace {



using output::printable;

std::string fit(const std::string& s, std::size_t width) {
  std::string p = printable(s);
  if (p.size() > width) p = p.substr(0, width - 1) + "~";
  return p + std::string(width - std::min(width, p.size()), ' ');
}

// Whether the configuration file itself sets [store] path: without it `adcheck scan` keeps no
// history (the built-in default path is for `adcheck serve`, which always has a store).
bool configSetsStore(const config::Config& config) {
  if (config.source.empty() || config.store.path.empty()) return false;
  try {
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini =
        new Poco::Util::IniFileConfiguration(config.source);
    return ini->hasProperty("store.path");
  } catch (const Poco::Exception&) {
    return false;  // not a file (a configuration built in memory): no store
  }
}

struct StoreArgs {
  config::Config config;
  std::unique_ptr<store::Store> store;
};

// --config FILE, then the configured store (`create`: make it when missing).
Result<StoreArgs> openConfiguredStore(ArgParser& p, bool create) {
  const std::string* cfg = p.value("--config");
  if (cfg == nullptr)
    return fail(ErrorCode::kInvalidArgument, "give --config FILE (its [store] path names the store)",
                "adcheck/adcheck.example.ini documents the configuration");
  auto c = config::loadConfig(*cfg);
  if (!c) return fail(c.error());
  auto options = store::sqliteOptions(c->store);
  options.create = create;
  auto s = store::openSqliteStore(options);
  if (!s) return fail(s.error());
  return StoreArgs{std::move(*c), std::move(*s)};
}

Result<std::int64_t> parseId(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v > 0) return static_cast<std::int64_t>(v);
  } catch (const std::exception&) {
  }
  return fail(ErrorCode::kInvalidArgument, what + " '" + text + "' is not a positive number",
              what == "scan id" ? "adcheck scans list shows the ids; 'latest' and 'previous' name "
                                  "the last two completed scans"
                                : "adcheck exceptions list --all shows the ids");
}

// A scan id, or "latest" / "previous" (the last and the one-before-last completed scan).
Result<std::int64_t> resolveScan(store::Store& s, const std::string& text) {
  if (text != "latest" && text != "previous") return parseId(text, "scan id");
  auto page = s.listScans({0, 0});
  if (!page) return fail(page.error());
  int wanted = text == "latest" ? 0 : 1;
  for (const auto& r : page->items)
    if (r.status == scan::ScanStatus::kCompleted && wanted-- == 0) return r.id;
  return fail(ErrorCode::kNotFound, "the store has no " + text + " completed scan",
              "adcheck scans list shows what it holds");
}

Poco::JSON::Object::Ptr scanJson(const store::ScanRecord& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", r.id);
  o->set("target", r.target);
  o->set("status", std::string(scan::scanStatusName(r.status)));
  o->set("started", scan::isoTime(r.started));
  o->set("finished", r.finished == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(scan::isoTime(r.finished)));
  o->set("entriesRead", r.entriesRead);
  o->set("objectsScanned", r.objectsRead);
  o->set("findings", r.findings);
  Poco::JSON::Object::Ptr sev = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (int s = static_cast<int>(store::kSeverityCount) - 1; s >= 0; --s)
    sev->set(std::string(scan::severityName(static_cast<scan::Severity>(s))),
             r.bySeverity[static_cast<std::size_t>(s)]);
  o->set("bySeverity", sev);
  o->set("excepted", r.excepted);
  o->set("new", r.newFindings);
  o->set("reopened", r.reopened);
  o->set("resolved", r.resolved);
  o->set("error", r.error);
  o->set("version", r.version);
  Poco::JSON::Array::Ptr rules = new Poco::JSON::Array;
  for (const auto& x : r.rules) rules->add(x);
  o->set("rules", rules);
  Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
  for (const auto& x : r.warnings) warnings->add(x);
  o->set("warnings", warnings);
  return o;
}

Poco::JSON::Object::Ptr findingJson(const store::StoredFinding& f) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("rule", f.finding.rule);
  o->set("severity", std::string(scan::severityName(f.finding.severity)));
  o->set("dn", f.finding.dn);
  o->set("objectGuid", f.finding.objectGuid);
  o->set("samAccountName", f.finding.samAccountName);
  o->set("summary", f.finding.summary);
  o->set("status", f.status);
  o->set("firstSeen", scan::isoTime(f.firstSeen));
  o->set("fingerprint", f.fingerprint);
  if (f.exceptionId) o->set("exception", *f.exceptionId);
  return o;
}

Poco::JSON::Object::Ptr exceptionJson(const store::ExceptionRecord& e, std::time_t now) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", e.id);
  o->set("state", e.state(now));
  if (!e.spec.fingerprint.empty()) o->set("fingerprint", e.spec.fingerprint);
  else {
    o->set("rule", e.spec.rule);
    o->set("dnPattern", e.spec.dnPattern);
  }
  o->set("reason", e.spec.reason);
  o->set("owner", e.spec.owner);
  o->set("created", scan::isoTime(e.created));
  o->set("expires", e.spec.expires.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(e.spec.expires));
  if (e.removedAt != 0) o->set("removed", scan::isoTime(e.removedAt));
  return o;
}

void printJson(const Poco::JSON::Object::Ptr& o) {
  o->stringify(std::cout, 2);
  std::cout << "\n";
}

std::string formatOption(ArgParser& p, std::string& error) {
  std::string format = "table";
  if (const auto* f = p.value("--format")) format = *f;
  if (format != "table" && format != "json") error = "--format '" + format + "' is not one of table, json";
  return format;
}

int scansList(ArgParser& p) {
  std::string bad;
  const auto format = formatOption(p, bad);
  store::PageRequest page{50, 0};
  if (const auto* v = p.value("--limit")) {
    auto n = parseId(*v, "--limit");
    if (!n) return usageError(n.error().message);
    page.limit = static_cast<std::size_t>(*n);
  }
  if (const auto* v = p.value("--offset")) {
    try {
      page.offset = std::stoul(*v);
    } catch (const std::exception&) {
      return usageError("--offset '" + *v + "' is not a number");
    }
  }
  auto s = openConfiguredStore(p, false);
  if (!p.error.empty()) return usageError(p.error);
  if (!bad.empty()) return usageError(bad);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (!s) return reportError(s.error());
  auto scans = s->store->listScans(page);
  if (!scans) return reportError(scans.error());
  if (format == "json") {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("total", static_cast<std::uint64_t>(scans->total));
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& r : scans->items) a->add(scanJson(r));
    o->set("scans", a);
    printJson(o);
    return 0;
  }
  std::cout << std::left << std::setw(6) << "ID" << std::setw(22) << "STARTED" << std::setw(11)
            << "STATUS" << std::setw(9) << "FINDINGS" << "CRIT HIGH  MED  LOW INFO  EXC  NEW  RES  "
            << "TARGET / ERROR\n";
  for (const auto& r : scans->items) {
    std::cout << std::left << std::setw(6) << r.id << std::setw(22) << scan::isoTime(r.started)
              << std::setw(11) << scan::scanStatusName(r.status) << std::setw(9) << r.findings
              << std::right;
    for (int sev = 4; sev >= 0; --sev) std::cout << std::setw(4) << r.bySeverity[static_cast<std::size_t>(sev)] << ' ';
    std::cout << std::setw(4) << r.excepted << ' ' << std::setw(4) << r.newFindings << ' '
              << std::setw(4) << r.resolved << "  " << printable(r.target)
              << (r.error.empty() ? "" : " - " + printable(r.error)) << "\n";
  }
  std::cout << "\n" << scans->items.size() << " of " << scans->total << " scan(s) in "
            << s->config.store.path << "\n";
  return 0;
}

int scansDiff(ArgParser& p) {
  std::string bad;
  const auto format = formatOption(p, bad);
  auto s = openConfiguredStore(p, false);
  if (!p.error.empty()) return usageError(p.error);
  if (!bad.empty()) return usageError(bad);
  auto rest = p.rest();
  if (rest.size() != 2)
    return usageError("scans diff needs two scans: FROM TO (ids, 'previous' or 'latest')");
  if (!s) return reportError(s.error());
  auto from = resolveScan(*s->store, rest[0]);
  if (!from) return reportError(from.error());
  auto to = resolveScan(*s->store, rest[1]);
  if (!to) return reportError(to.error());
  auto d = s->store->diff(*from, *to);
  if (!d) return reportError(d.error());
  if (format == "json") {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("from", scanJson(d->from));
    o->set("to", scanJson(d->to));
    for (auto [name, list] : {std::pair{"added", &d->added}, std::pair{"removed", &d->removed},
                              std::pair{"persisting", &d->persisting}}) {
      Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
      for (const auto& f : *list) a->add(findingJson(f));
      o->set(name, a);
    }
    printJson(o);
    return 0;
  }
  std::cout << "scan " << d->from.id << " (" << scan::isoTime(d->from.started) << ", "
            << scan::scanStatusName(d->from.status) << ") -> scan " << d->to.id << " ("
            << scan::isoTime(d->to.started) << ", " << scan::scanStatusName(d->to.status) << ")\n"
            << d->added.size() << " added, " << d->removed.size() << " gone, "
            << d->persisting.size() << " in both\n";
  auto list = [](const char* mark, const std::vector<store::StoredFinding>& v) {
    for (const auto& f : v) {
      const auto& x = f.finding;
      std::cout << mark << ' ' << fit(std::string(scan::severityName(x.severity)), 9) << ' '
                << fit(x.rule, 28) << ' ' << fit(x.samAccountName.empty() ? x.dn : x.samAccountName, 24)
                << ' ' << printable(x.summary) << "\n";
    }
  };
  if (!d->added.empty()) std::cout << "\n";
  list("+", d->added);
  if (!d->removed.empty()) std::cout << "\n";
  list("-", d->removed);
  return 0;
}

int exceptionsAdd(ArgParser& p) {
  store::ExceptionSpec spec;
  if (const auto* v = p.value("--fingerprint")) spec.fingerprint = *v;
  if (const auto* v = p.value("--rule")) spec.rule = *v;
  if (const auto* v = p.value("--dn-pattern")) spec.dnPattern = *v;
  if (const auto* v = p.value("--reason")) spec.reason = *v;
  if (const auto* v = p.value("--owner")) spec.owner = *v;
  if (const auto* v = p.value("--expires")) spec.expires = *v;
  auto s = openConfiguredStore(p, true);
  if (!p.error.empty()) return usageError(p.error);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (!spec.rule.empty() && rules::findRule(spec.rule) == nullptr) {
    // findRule is exact; accept any case, as the store does.
    std::string upper = spec.rule;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (rules::findRule(upper) == nullptr)
      return reportError(Error{ErrorCode::kInvalidArgument, "unknown rule id '" + spec.rule + "'",
                               "adcheck rules lists the rule ids"});
  }
  if (!s) return reportError(s.error());
  const std::time_t now = std::time(nullptr);
  auto id = s->store->addException(spec, now);
  if (!id) return reportError(id.error());
  // Say how much of what is open now it covers, so a pattern that matches nothing is noticed.
  std::size_t covered = 0, current = 0;
  store::FindingQuery q;
  q.page.limit = 0;
  if (auto page = s->store->findings(q)) {
    auto list = s->store->listExceptions(true, now);
    current = page->items.size();
    if (list)
      for (const auto& e : *list)
        if (e.id == *id)
          for (const auto& f : page->items)
            if (e.matches(f.fingerprint, f.finding.rule, f.finding.dn)) ++covered;
  }
  std::cout << "exception " << *id << " added; it applies from the next scan and covers " << covered
            << " of the " << current << " current finding(s)\n";
  return 0;
}

int exceptionsList(ArgParser& p) {
  std::string bad;
  const auto format = formatOption(p, bad);
  const bool all = p.flag("--all");
  auto s = openConfiguredStore(p, false);
  if (!p.error.empty()) return usageError(p.error);
  if (!bad.empty()) return usageError(bad);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (!s) return reportError(s.error());
  const std::time_t now = std::time(nullptr);
  auto list = s->store->listExceptions(all, now);
  if (!list) return reportError(list.error());
  if (format == "json") {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& e : *list) a->add(exceptionJson(e, now));
    o->set("exceptions", a);
    printJson(o);
    return 0;
  }
  std::cout << std::left << std::setw(5) << "ID" << std::setw(9) << "STATE" << std::setw(12)
            << "EXPIRES" << std::setw(16) << "OWNER" << "COVERS / REASON\n";
  for (const auto& e : *list) {
    std::string covers = e.spec.fingerprint.empty() ? e.spec.rule + " " + e.spec.dnPattern
                                                    : e.spec.fingerprint;
    std::cout << std::left << std::setw(5) << e.id << std::setw(9) << e.state(now) << std::setw(12)
              << (e.spec.expires.empty() ? "never" : e.spec.expires) << fit(e.spec.owner, 15) << ' '
              << printable(covers) << "\n" << std::string(42, ' ') << printable(e.spec.reason) << "\n";
  }
  std::cout << "\n" << list->size() << (all ? " exception(s)" : " active exception(s)")
            << (all ? "" : " (--all shows expired and removed ones)") << "\n";
  return 0;
}

int exceptionsRemove(ArgParser& p) {
  auto s = openConfiguredStore(p, false);
  if (!p.error.empty()) return usageError(p.error);
  auto rest = p.rest();
  if (rest.size() != 1) return usageError("exceptions remove needs the exception's ID");
  auto id = parseId(rest[0], "exception id");
  if (!id) return reportError(id.error());
  if (!s) return reportError(s.error());
  if (auto r = s->store->removeException(*id, std::time(nullptr)); !r) return reportError(r.error());
  std::cout << "exception " << *id << " removed; it stops applying from the next scan\n";
  return 0;
}

}  // namespace

int cmdScans(const Args& args) {
  if (args.empty()) return usageError("scans needs a subcommand: list or diff");
  Args rest(args.begin() + 1, args.end());
  ArgParser p(rest);
  if (args[0] == "list") return scansList(p);
  if (args[0] == "diff") return scansDiff(p);
  return usageError("unknown scans subcommand '" + args[0] + "'; use list or diff");
}

int cmdExceptions(const Args& args) {
  if (args.empty()) return usageError("exceptions needs a subcommand: add, list or remove");
  Args rest(args.begin() + 1, args.end());
  ArgParser p(rest);
  if (args[0] == "add") return exceptionsAdd(p);
  if (args[0] == "list") return exceptionsList(p);
  if (args[0] == "remove") return exceptionsRemove(p);
  return usageError("unknown exceptions subcommand '" + args[0] + "'; use add, list or remove");
}

Result<std::optional<ScanRecorder>> ScanRecorder::start(const config::Config& config,
                                                        const std::string& target) {
  if (!configSetsStore(config)) return std::optional<ScanRecorder>();
  auto options = store::sqliteOptions(config.store);
  if (isatty(STDERR_FILENO))
    options.writeProgress = [](std::size_t done, std::size_t total) {
      std::fprintf(stderr, "\r\033[K[store] %zu of %zu findings", done, total);
      if (done == total) std::fprintf(stderr, "\n");
    };
  auto s = store::openSqliteStore(options);
  if (!s) return fail(s.error());
  auto rules = scan::enabledRules(config.rules);
  std::vector<std::string> ids;
  if (rules)
    for (const auto* r : *rules) ids.emplace_back(r->meta.id);
  auto id = (*s)->beginScan(target, ids);
  if (!id) return fail(id.error());
  ScanRecorder recorder;
  recorder.store_ = std::move(*s);
  recorder.id_ = *id;
  return std::optional<ScanRecorder>(std::move(recorder));
}

Result<void> ScanRecorder::recordFailure(const Error& error) {
  return store_->failScan(id_, error.toString());
}

Result<void> ScanRecorder::finish(const scan::ScanSummary& summary,
                                  std::vector<output::FindingRow>& rows) {
  // Lend the findings to the store without copying them.
  std::vector<scan::Finding> findings;
  findings.reserve(rows.size());
  for (auto& r : rows) findings.push_back(std::move(r.finding));
  auto states = store_->finishScan(id_, summary, findings);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].finding = std::move(findings[i]);
  if (!states) {
    (void)store_->failScan(id_, "the scan could not be saved: " + states.error().message);
    return fail(states.error());
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].status = (*states)[i].status;
    rows[i].firstSeen = scan::isoTime((*states)[i].firstSeen);
  }
  return {};
}

}  // namespace adcheck::app
