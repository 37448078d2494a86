// Live-scan throughput against the lab DC: adcheck's PagedSearch vs ldapsearch (SPEC section 9:
// adcheck's wall time must be within 1.10x of ldapsearch's), same filter, attributes, page size
// (1000), SD flags control (DACL only) and bind (SASL GSSAPI with the lab's Kerberos ticket).
//
//   ADCHECK_LAB_DIR=build/dev/lab build/dev/tests/bench/ldap/bench_ldap_search [--runs N]
//       [--as reader|admin] [--filter F] [--ldapsearch PATH]
//
// Each round runs both clients once (alternating which goes first); the report gives the median
// of the rounds. ldapsearch writes its LDIF to /dev/null; adcheck builds every Entry.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ldap/session.h"

extern char** environ;

namespace {

using adcheck::ldap::BindMode;
using adcheck::ldap::SearchRequest;
using adcheck::ldap::Session;
using adcheck::ldap::SessionOptions;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kAttributes = {
    "objectGUID",         "objectSid",     "sAMAccountName",  "userAccountControl",
    "adminCount",         "homeMDB",       "msExchMailboxGuid", "msExchOmaAdminWirelessEnable",
    "nTSecurityDescriptor", "objectClass", "primaryGroupID",  "memberOf",
    "userPrincipalName",  "msDS-AllowedToDelegateTo", "userCertificate", "whenChanged"};

struct Run {
  double seconds = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

[[noreturn]] void die(const std::string& message) {
  std::cerr << "bench_ldap_search: " << message << "\n";
  std::exit(2);
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

Run runAdcheck(const SessionOptions& options, const SearchRequest& request) {
  const auto start = Clock::now();
  auto session = Session::open(options);
  if (!session) die(session.error().toString());
  auto search = session->search(request);
  if (!search) die(search.error().toString());
  Run run;
  for (;;) {
    auto entry = search->next();
    if (!entry) die(entry.error().toString());
    if (!*entry) break;
    ++run.entries;
    for (const auto& a : (*entry)->attributes())
      for (const auto& v : a.values) run.bytes += v.size();
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

// Runs ldapsearch with stdout to `out_fd`; returns wall seconds.
double runLdapsearch(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  const auto start = Clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0)
    die("cannot start " + argv[0] + " (Debian package ldap-utils)");
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(argv[0] + " failed");
  return seconds;
}

std::uint64_t countLdapsearchEntries(const std::vector<std::string>& argv) {
  char path[] = "/tmp/bench-ldapsearch-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp failed");
  runLdapsearch(argv, fd);
  close(fd);
  std::ifstream in(path);
  std::string line;
  std::uint64_t n = 0;
  while (std::getline(in, line))
    if (line.rfind("dn:", 0) == 0) ++n;
  std::remove(path);
  return n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::string as = "reader";
  std::string filter = "(&(objectCategory=person)(objectClass=user))";
  std::string ldapsearch = "/usr/bin/ldapsearch";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--runs") runs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--as") as = value();
    else if (a == "--filter") filter = value();
    else if (a == "--ldapsearch") ldapsearch = value();
    else die("unknown option " + a + " (use --runs N, --as reader|admin, --filter F, --ldapsearch P)");
  }
  if (as != "reader" && as != "admin") die("--as must be reader or admin");

  const char* dir = std::getenv("ADCHECK_LAB_DIR");
  if (dir == nullptr) die("set ADCHECK_LAB_DIR to the lab folder (tests/lab/lab.py up --dir D)");
  std::ifstream in(std::string(dir) + "/lab.json");
  if (!in) die(std::string(dir) + "/lab.json is missing: is the lab up?");
  std::stringstream text;
  text << in.rdbuf();
  auto lab = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
  const std::string uri = lab->getValue<std::string>("ldap_uri");
  const std::string base = lab->getValue<std::string>("base_dn");
  const std::string ccache = lab->getObject(as)->getValue<std::string>("ccache");
  ::setenv("KRB5_CONFIG", lab->getValue<std::string>("krb5_config").c_str(), 1);
  ::setenv("KRB5CCNAME", ccache.c_str(), 1);

  SessionOptions options;
  options.uris = {uri};
  options.bind = BindMode::kGssapi;
  options.page_size = 1000;
  SearchRequest request;
  request.base = base;
  request.filter = filter;
  request.attributes = kAttributes;
  request.page_size = 1000;  // and the SD flags control (DACL) goes out automatically

  std::vector<std::string> ls = {ldapsearch, "-N", "-Y", "GSSAPI", "-Q", "-LLL", "-H", uri,
                                 "-b", base, "-E", "pr=1000/noprompt",
                                 "-E", "!1.2.840.113556.1.4.801=::MAMCAQQ=", filter};
  ls.insert(ls.end(), kAttributes.begin(), kAttributes.end());

  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  // Warm up both (KDC service ticket, DC caches), and check they see the same entries.
  const Run warm = runAdcheck(options, request);
  const std::uint64_t ls_entries = countLdapsearchEntries(ls);
  if (warm.entries != ls_entries) {
    die("adcheck saw " + std::to_string(warm.entries) + " entries, ldapsearch " +
        std::to_string(ls_entries));
  }

  std::vector<double> ours, theirs;
  for (int r = 0; r < runs; ++r) {
    if (r % 2 == 0) {
      ours.push_back(runAdcheck(options, request).seconds);
      theirs.push_back(runLdapsearch(ls, devnull));
    } else {
      theirs.push_back(runLdapsearch(ls, devnull));
      ours.push_back(runAdcheck(options, request).seconds);
    }
  }
  close(devnull);

  utsname u{};
  uname(&u);
  const double a = median(ours);
  const double b = median(theirs);
  const double ratio = a / b;
  std::printf("machine     %s %s %s, %s, %u cores\n", u.sysname, u.release, u.machine,
              cpuModel().c_str(), std::thread::hardware_concurrency());
  std::printf("target      %s (%s, GSSAPI as %s), filter %s\n", uri.c_str(), base.c_str(),
              as.c_str(), filter.c_str());
  std::printf("entries     %llu users, %.1f MB of attribute values, page size 1000, SD flags 4\n",
              static_cast<unsigned long long>(warm.entries), warm.bytes / 1e6);
  std::printf("adcheck     %.3f s median of %d  (%.0f entries/s)\n", a, runs, warm.entries / a);
  std::printf("ldapsearch  %.3f s median of %d  (%.0f entries/s)\n", b, runs, warm.entries / b);
  std::printf("ratio       %.3fx ldapsearch wall time (target <= 1.10x): %s\n", ratio,
              ratio <= 1.10 ? "met" : "NOT met");
  return 0;
}
