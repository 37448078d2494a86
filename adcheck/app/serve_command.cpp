// adcheck serve --config FILE [--listen HOST:PORT]
// adcheck demo [--listen 127.0.0.1:PORT] [--data DIR]
// adcheck hash-password < password
#include "adcheck/app/serve_command.h"

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "web/server/app.h"
#include "web/server/auth_local.h"
#include "web/server/http_util.h"
#include "web/server/server.h"

namespace adcheck::app {
namespace {

// SIGINT/SIGTERM are blocked in every thread (they inherit the mask) and taken by sigwait here,
// so shutdown happens in order: stop accepting, interrupt the scan, store it, exit. SIGHUP
// (systemctl reload) is taken the same way, so it never kills the server.
sigset_t blockTermination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

int waitForTermination(sigset_t set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// The demo data's folder: --data, else $ADCHECK_DEMO_DATA, else <binary>/../share/adcheck/demo (the
// installed layout /usr/bin + /usr/share, and the build tree, which copies it there), else the
// install prefix's data dir. Never a source-tree path: the installed binary must not name one.
std::string demoDataDir(const std::string* data_arg) {
  if (data_arg != nullptr) return *data_arg;
  if (const char* env = std::getenv("ADCHECK_DEMO_DATA"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path().parent_path() / "share/adcheck/demo";
    if (std::filesystem::exists(beside / "manifest.json", ec)) return beside.string();
  }
  return ADCHECK_DATA_DIR "/demo";
}

struct Running {
  std::unique_ptr<web::App> app;
  std::unique_ptr<web::Server> server;
};

void shutdown(Running& r) {
  std::cerr << "adcheck: stopping (a running scan is interrupted and stored as failed or partial)\n";
  if (r.server) r.server->stop();
  if (r.app) r.app->stop();
}

}  // namespace

int cmdServe(const Args& args) {
  ArgParser p(args);
  const std::string* cfg = p.value("--config");
  const std::string* listen = p.value("--listen");
  if (!p.error.empty()) return usageError(p.error);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  if (cfg == nullptr) return usageError("serve needs --config FILE ([web], [store], [directory], [schedule])");
  auto config = config::loadConfig(*cfg);
  if (!config) return reportError(config.error());
  const auto mask = blockTermination();
  web::AppOptions options;
  options.config = *config;
  Running r;
  auto app = web::App::create(options);
  if (!app) return reportError(app.error());
  r.app = std::move(*app);
  auto server = web::Server::start(*r.app, config->web, listen ? *listen : "");
  if (!server) return reportError(server.error());
  r.server = std::move(*server);
  r.app->start();
  // Say at start what would otherwise only show as failed logins.
  if (config->web.admin_user.empty() && config->directory.uris.empty())
    std::cerr << "adcheck: warning: nobody can log in: set [directory] uri (AD logins) or [web] admin_user\n";
  for (const auto& uri : config->directory.uris)
    if (uri.starts_with("ldap://") && !config->directory.starttls) {
      std::cerr << "adcheck: warning: AD logins bind with the user's password, which needs TLS: "
                << uri << " without starttls = true will refuse them (use ldaps:// or starttls)\n";
      break;
    }
  std::cout << "adcheck: dashboard at " << r.server->url() << "\n" << std::flush;
  // SIGHUP re-reads the file: an invalid one is reported (naming the key) and the running
  // configuration kept; sessions are untouched. Applying a valid file needs a restart for now.
  while (waitForTermination(mask) == SIGHUP) {
    auto reread = config::loadConfig(*cfg);
    if (!reread) {
      std::cerr << "adcheck: reload: " << reread.error().message
                << (reread.error().hint.empty() ? "" : " (" + reread.error().hint + ")")
                << "; still running on the previous configuration\n";
    } else {
      std::cerr << "adcheck: reload: " << *cfg
                << " is valid; its changes apply at the next restart (systemctl restart adcheck)\n";
    }
  }
  shutdown(r);
  return 0;
}

int cmdDemo(const Args& args) {
  ArgParser p(args);
  const std::string* listen_arg = p.value("--listen");
  const std::string* data_arg = p.value("--data");
  if (!p.error.empty()) return usageError(p.error);
  if (auto rest = p.rest(); !rest.empty()) return usageError("unexpected argument '" + rest[0] + "'");
  const std::string listen = listen_arg ? *listen_arg : "127.0.0.1:8080";
  const std::string data = demoDataDir(data_arg);
  auto addr = web::parseListen(listen);
  if (!addr) return usageError("--listen: " + addr.error().message);
  if (!addr->loopback) return usageError("the demo listens on loopback only: give --listen 127.0.0.1:PORT");

  // The manifest: {"snapshots": [{"file": "scan-1.ldif.gz", "daysAgo": 21}, ...], "description"}.
  const std::string manifest_path = data + "/manifest.json";
  std::vector<std::pair<std::string, int>> snapshots;
  std::string description;
  try {
    std::ifstream in(manifest_path);
    if (!in) return reportError(Error{ErrorCode::kNotFound, "cannot read the demo manifest '" + manifest_path + "'",
                                      "give the folder of the demo data with --data DIR (installed: /usr/share/adcheck/demo)"});
    Poco::JSON::Parser parser;
    auto root = parser.parse(in).extract<Poco::JSON::Object::Ptr>();
    auto list = root->getArray("snapshots");
    if (!list || list->size() == 0) throw std::runtime_error("\"snapshots\" is missing or empty");
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto o = list->getObject(i);
      if (!o || !o->has("file")) throw std::runtime_error("snapshot " + std::to_string(i) + " has no \"file\"");
      const int days = o->has("daysAgo") ? o->getValue<int>("daysAgo") : 0;
      snapshots.emplace_back(data + "/" + o->getValue<std::string>("file"), days);
    }
    if (root->has("description")) description = root->getValue<std::string>("description");
  } catch (const std::exception& e) {
    return reportError(Error{ErrorCode::kParse, "demo manifest '" + manifest_path + "': " + e.what(),
                             "expected {\"snapshots\": [{\"file\": \"...ldif.gz\", \"daysAgo\": N}, ...]}"});
  }

  char tmpl[] = "/tmp/adcheck-demo-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return reportError(Error{ErrorCode::kIo, "cannot create a temporary folder", ""});
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      try {
        Poco::File(dir).remove(true);
      } catch (const std::exception&) {
      }
    }
  } cleanup{dir};

  const std::string password = web::randomHex(9);
  config::Config cfg;
  cfg.source = "adcheck demo";
  cfg.directory.uris.clear();
  cfg.store.path = dir + "/demo.sqlite";
  cfg.store.keep_scans = 0;
  cfg.web.listen = listen;
  cfg.web.admin_user = "admin";
  cfg.web.admin_password_hash = web::hashPassword(password, 100000);
  cfg.web.audit_log = dir + "/audit.log";
  cfg.schedule.interval = std::chrono::seconds(0);
  cfg.schedule.daily_at.clear();

  // History: each snapshot scanned in order, dated daysAgo, so trends and lifecycles show.
  std::cerr << "adcheck demo: loading " << snapshots.size() << " sample scans from " << data << "\n";
  const std::time_t now = std::time(nullptr);
  for (const auto& [file, days] : snapshots) {
    web::ScanJob job(cfg, store::sqliteOptions(cfg.store), web::snapshotSourceFactory({file}));
    auto id = job.runNow("demo", now - static_cast<std::time_t>(days) * 86400);
    if (!id) return reportError(id.error());
  }
  const auto mask = blockTermination();
  web::AppOptions options;
  options.config = cfg;
  options.source = web::snapshotSourceFactory({snapshots.back().first});  // "Start scan" re-scans the newest
  options.startScheduler = false;
  Running r;
  auto app = web::App::create(options);
  if (!app) return reportError(app.error());
  r.app = std::move(*app);
  auto server = web::Server::start(*r.app, cfg.web, listen);
  if (!server) {
    auto e = server.error();
    e.hint = "is the port busy? try adcheck demo --listen 127.0.0.1:8081";
    return reportError(e);
  }
  r.server = std::move(*server);
  if (!description.empty()) std::cout << description << "\n";
  std::cout << "adcheck demo: open " << r.server->url() << "\n"
            << "  user:     admin\n"
            << "  password: " << password << "   (one-time: valid until this demo stops)\n"
            << "Ctrl-C stops the demo and deletes its data.\n"
            << std::flush;
  waitForTermination(mask);
  shutdown(r);
  return 0;
}

int cmdHashPassword(const Args& args) {
  if (!args.empty()) return usageError("hash-password reads the password from standard input; it takes no arguments");
  if (isatty(STDIN_FILENO)) std::cerr << "password (then Enter and Ctrl-D): " << std::flush;
  std::string password((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) return usageError("hash-password: the password on standard input is empty");
  std::cout << web::hashPassword(password) << "\n";
  std::fill(password.begin(), password.end(), '\0');
  return 0;
}

}  // namespace adcheck::app
