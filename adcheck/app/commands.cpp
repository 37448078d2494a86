#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "adcheck/app/cli.h"
#include "adcheck/app/store_commands.h"
#include "adcheck/output/output.h"
#include "adcheck/scan/dn.h"
#include "adcheck/scan/sources.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/describe.h"
#include "adcheck/security/sddl.h"
#include "rules/rule.h"

namespace adcheck::app {
namespace {

constexpr int kExitError = 2;


std::size_t terminalWidth() {
  winsize w{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
    return w.ws_col;
  return 120;
}

// Several snapshot files read as one stream (e.g. context and users from separate ldapsearch
// runs, in that order).
class MultiSnapshotSource : public scan::EntrySource {
 public:
  static Result<std::unique_ptr<MultiSnapshotSource>> open(const std::vector<std::string>& paths) {
    auto out = std::make_unique<MultiSnapshotSource>();
    for (const auto& p : paths) {
      auto s = scan::SnapshotSource::open(p);
      if (!s) return fail(s.error());
      out->sources_.push_back(std::move(*s));
    }
    return out;
  }
  Result<std::optional<ldap::Entry>> next() override {
    while (current_ < sources_.size()) {
      auto e = sources_[current_]->next();
      if (!e || *e) return e;
      ++current_;
    }
    return std::optional<ldap::Entry>();
  }
  std::string target() const override {
    std::string t;
    for (const auto& s : sources_) t += (t.empty() ? "" : " + ") + s->target();
    return t;
  }

 private:
  std::vector<std::unique_ptr<scan::SnapshotSource>> sources_;
  std::size_t current_ = 0;
};

// Everything a command needs to read the directory: config plus a live session or snapshots.
struct Input {
  config::Config config;
  std::unique_ptr<ldap::Session> session;  // stable address: the live source refers to it
  std::unique_ptr<scan::EntrySource> source;
};

// "ldaps://dc1 ldaps://dc2": the scan's target until a connection says which DC answered.
std::string liveTarget(const config::Config& config) {
  std::string t;
  for (const auto& u : config.directory.uris) t += (t.empty() ? "" : " ") + u;
  return t.empty() ? "(no [directory] uri)" : t;
}

// Connects a live input (openInput with connect = false leaves that for later, so that a scan
// is recorded before a connection that may fail).
Result<void> connectInput(Input& in, scan::LiveSource::Mode mode) {
  if (in.source) return {};
  auto opts = scan::sessionOptions(in.config.directory);
  if (!opts) return fail(opts.error());
  auto session = ldap::Session::open(*opts);
  if (!session) return fail(session.error());
  in.session = std::make_unique<ldap::Session>(std::move(*session));
  in.source = std::make_unique<scan::LiveSource>(*in.session, in.config, mode);
  return {};
}

// SIGTERM / SIGINT during `adcheck scan`: the scan stops at the next entry and is stored as
// interrupted (failed or partial), rather than the process dying with its row left "running".
// One-shot (SA_RESETHAND): a second signal ends the process at once.
std::atomic<int> g_stopSignal{0};
extern "C" void onStopSignal(int sig) { g_stopSignal.store(sig); }

void catchStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // no SA_RESTART: a blocked read returns, the scan sees the flag
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

std::string stopSignalText() {
  const int sig = g_stopSignal.load();
  if (sig == 0) return "";
  return std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM");
}

Result<Input> openInput(ArgParser& p, scan::LiveSource::Mode mode, bool connect = true) {
  Input in;
  const std::string* cfg = p.value("--config");
  auto snapshots = p.values("--snapshot");
  if (cfg == nullptr && snapshots.empty())
    return fail(ErrorCode::kInvalidArgument, "give --config FILE (live) or --snapshot FILE (offline)",
                "adcheck/adcheck.example.ini documents the configuration");
  if (cfg != nullptr) {
    auto c = config::loadConfig(*cfg);
    if (!c) return fail(c.error());
    in.config = std::move(*c);
  }
  // A typo in [rules] enabled is a configuration error before anything is read or connected.
  if (auto rules = scan::enabledRules(in.config.rules); !rules) return fail(rules.error());
  if (!snapshots.empty()) {
    auto s = MultiSnapshotSource::open(snapshots);
    if (!s) return fail(s.error());
    in.source = std::move(*s);
    return in;
  }
  if (connect)
    if (auto c = connectInput(in, mode); !c) return fail(c.error());
  return in;
}

void printProgress(const scan::Progress& pr) {
  double rate = pr.seconds > 0 ? pr.objects / pr.seconds : 0;
  std::fprintf(stderr, "\r\033[K[%s] %zu entries, %zu objects, %.0f objects/s, %.1f s",
               pr.phase.c_str(), pr.entries, pr.objects, rate, pr.seconds);
  if (pr.phase == "done") std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace

int cmdScan(const Args& args) {
  ArgParser p(args);
  std::string format = isatty(STDOUT_FILENO) ? "table" : "json";
  if (const auto* f = p.value("--format")) format = *f;
  std::string output;
  if (const auto* o = p.value("--output")) output = *o;
  auto fail_on = scan::Severity::kLow;
  if (const auto* f = p.value("--fail-on")) {
    auto s = scan::parseSeverity(*f);
    if (!s) return usageError("--fail-on '" + *f + "' is not a severity: info, low, medium, high, critical");
    fail_on = *s;
  }
  // Coverage (what the scan account could not read) is always reported; only with this flag
  // does an incomplete one fail the run, for pipelines that must not pass on a partial view.
  const bool require_complete = p.flag("--require-complete");
  if (format != "table" && format != "json" && format != "csv")
    return usageError("--format '" + format + "' is not one of table, json, csv");
  auto in = openInput(p, scan::LiveSource::Mode::kFullScan, /*connect=*/false);
  if (!p.error.empty()) return usageError(p.error);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (!in) return reportError(in.error());

  // With [store] path the scan is recorded (running first, so others see it) and the rows get
  // their lifecycle; a store error is reported after the output, which is never lost. A live
  // scan is recorded before it connects, so a connection that fails is a failed scan in the
  // history, not nothing.
  catchStopSignals();
  auto recorder =
      ScanRecorder::start(in->config, in->source ? in->source->target() : liveTarget(in->config));
  if (!recorder) return reportError(recorder.error());
  if (auto c = connectInput(*in, scan::LiveSource::Mode::kFullScan); !c) {
    if (*recorder) (void)(*recorder)->recordFailure(c.error());
    return reportError(c.error());
  }
  scan::ScanOptions options;
  options.config = in->config;
  options.interrupted = stopSignalText;
  if (isatty(STDERR_FILENO)) options.progress = printProgress;
  std::vector<output::FindingRow> rows;
  auto summary = scan::runScan(*in->source, options, [&](scan::Finding&& f) {
    rows.push_back(output::FindingRow{std::move(f), "new", ""});
  });
  for (auto& r : rows) r.firstSeen = scan::isoTime(summary.started);
  // A signal that cut a read short shows as that read's error: say what really happened.
  if (const auto why = stopSignalText(); !why.empty() &&
                                         summary.status != scan::ScanStatus::kCompleted &&
                                         summary.error.rfind(why, 0) != 0)
    summary.error = why + " (" + summary.error + ")";
  std::optional<Error> store_error;
  if (*recorder)
    if (auto stored = (*recorder)->finish(summary, rows); !stored) store_error = stored.error();

  // Worst first, then by rule and object: the same directory always prints the same way.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    const auto& x = a.finding;
    const auto& y = b.finding;
    if (x.severity != y.severity) return x.severity > y.severity;
    if (x.rule != y.rule) return x.rule < y.rule;
    if (x.dn != y.dn) return x.dn < y.dn;
    return x.key < y.key;
  });

  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary | std::ios::trunc);
    if (!file) return reportError(Error{ErrorCode::kIo, "cannot write --output '" + output + "'",
                                        "check the directory exists and is writable"});
  }
  std::ostream& out = output.empty() ? std::cout : file;
  if (format == "json") output::writeJson(out, summary, rows);
  else if (format == "csv") output::writeCsv(out, rows);
  else output::writeTable(out, summary, rows, terminalWidth());
  out.flush();

  if (store_error) return reportError(*store_error);
  if (summary.status != scan::ScanStatus::kCompleted) {
    std::cerr << "adcheck: scan " << scan::scanStatusName(summary.status) << ": " << summary.error
              << "\n";
    if (const int sig = g_stopSignal.load(); sig != 0) return 128 + sig;  // as the shell shows it
    return kExitError;
  }
  if (require_complete && !summary.coverage.complete) {
    std::size_t incomplete = 0;
    for (const auto& rc : summary.coverage.rules)
      if (rc.verdict != scan::CoverageVerdict::kComplete) ++incomplete;
    std::cerr << "adcheck: coverage incomplete (--require-complete): "
              << (summary.coverage.computed
                      ? std::to_string(incomplete) + " rule(s) could not read all their inputs"
                      : std::string("not computed: the scan account's token or the schema was "
                                    "not read"))
              << "; see scan.coverage\n";
    return kExitError;
  }
  for (const auto& r : rows)
    if (r.finding.severity >= fail_on) return 1;
  return 0;
}

int cmdSnapshot(const Args& args) {
  ArgParser p(args);
  const auto* cfg = p.value("--config");
  const auto* out = p.value("--output");
  if (!p.error.empty()) return usageError(p.error);
  if (cfg == nullptr || out == nullptr)
    return usageError("snapshot needs --config FILE and --output FILE.ldif.gz");
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  auto c = config::loadConfig(*cfg);
  if (!c) return reportError(c.error());
  auto opts = scan::sessionOptions(c->directory);
  if (!opts) return reportError(opts.error());
  auto session = ldap::Session::open(*opts);
  if (!session) return reportError(session.error());
  auto writer = ldap::LdifWriter::create(*out);
  if (!writer) return reportError(writer.error());
  scan::LiveSource source(*session, *c);
  (void)writer->comment("adcheck snapshot of " + session->uri() + " taken " +
                        scan::isoTime(std::time(nullptr)));
  (void)writer->comment("context entries first, then the scanned objects; read with "
                        "adcheck scan --snapshot");
  auto n = scan::writeSnapshot(source, *writer);
  if (!n) return reportError(n.error());
  if (auto f = writer->close(); !f) return reportError(f.error());
  for (const auto& w : source.warnings()) std::cerr << "warning: " << w << "\n";
  std::cerr << "adcheck: wrote " << *n << " entries to " << *out << "\n";
  return 0;
}

int cmdRules(const Args& args) {
  ArgParser p(args);
  std::string format = "text";
  if (const auto* f = p.value("--format")) format = *f;
  if (!p.error.empty()) return usageError(p.error);
  if (format == "text") std::cout << rules::catalogueText();
  else if (format == "json") std::cout << rules::catalogueJson();
  else if (format == "md") std::cout << rules::catalogueMarkdown();
  else return usageError("--format '" + format + "' is not one of text, json, md");
  return 0;
}

}  // namespace adcheck::app
