// Offline scan benchmark (SPEC section 9): read + parse + evaluate users from a gzip snapshot on
// one core, against what decompression alone allows, and peak RSS at two sizes (flat = streaming).
//
// The users are real: a snapshot of the lab (its ~1,700 users with their real descriptors) is
// taken, and its user entries are cloned round-robin with fresh DNs, GUIDs and SIDs up to N.
//
//   bench_offline_scan [--users 20000,100000] [--snapshot existing.ldif.gz]
// Needs ADCHECK_LAB_DIR (the lab up) unless --snapshot names a base snapshot.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>

#include "adcheck/scan/context.h"
#include "adcheck/scan/sources.h"
#include "tests/support/lab_fixture.h"

namespace {

using namespace adcheck;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

std::string baseSnapshot() {
  auto lab = testing::loadLab();
  auto cfg = testing::labConfig(lab, testing::Identity::kAdminGssapi);
  auto opts = scan::sessionOptions(cfg.directory);
  if (!opts) throw std::runtime_error(opts.error().toString());
  auto session = ldap::Session::open(*opts);
  if (!session) throw std::runtime_error(session.error().toString());
  auto path = testing::scratchFile("bench-base.ldif.gz", "");
  auto writer = ldap::LdifWriter::create(path);
  if (!writer) throw std::runtime_error(writer.error().toString());
  scan::LiveSource live(*session, cfg);
  auto n = scan::writeSnapshot(live, *writer);
  if (!n) throw std::runtime_error(n.error().toString());
  if (auto c = writer->close(); !c) throw std::runtime_error(c.error().toString());
  return path;
}

// Writes a snapshot with the base's context and `users` cloned user entries.
std::string grow(const std::string& base, std::size_t users) {
  auto src = scan::SnapshotSource::open(base);
  if (!src) throw std::runtime_error(src.error().toString());
  std::vector<ldap::Entry> context, templates;
  while (true) {
    auto e = (*src)->next();
    if (!e) throw std::runtime_error(e.error().toString());
    if (!*e) break;
    (scan::isScannedObject(**e) ? templates : context).push_back(std::move(**e));
  }
  auto path = testing::scratchFile("bench-" + std::to_string(users) + ".ldif.gz", "");
  auto writer = ldap::LdifWriter::create(path);
  if (!writer) throw std::runtime_error(writer.error().toString());
  ldap::Entry header{std::string(scan::kSnapshotHeaderDn)};
  header.add("version", "1");
  (void)writer->write(header);
  for (const auto& e : context) (void)writer->write(e);
  std::mt19937_64 rng(42);
  std::size_t written = 0;
  for (std::size_t i = 0; i < users; ++i) {
    ldap::Entry u = templates[i % templates.size()];
    auto base_dn = u.dn().substr(u.dn().find(",DC=") + 1);
    u.setDn("CN=bench-" + std::to_string(i) + ",OU=Bench," + base_dn);
    u.set("sAMAccountName", {"bench-" + std::to_string(i)});
    std::string guid(16, '\0');
    for (auto& c : guid) c = static_cast<char>(rng());
    u.set("objectGUID", {guid});
    if (auto sid = u.first("objectSid"); sid && sid->size() >= 28) {
      std::string s(*sid);
      std::uint32_t rid = 100000 + static_cast<std::uint32_t>(i);
      std::memcpy(s.data() + s.size() - 4, &rid, 4);
      u.set("objectSid", {s});
    }
    (void)writer->write(u);
    ++written;
  }
  ldap::Entry trailer{std::string(scan::kSnapshotTrailerDn)};
  trailer.add("entries", std::to_string(context.size() + written));
  (void)writer->write(trailer);
  if (auto c = writer->close(); !c) throw std::runtime_error(c.error().toString());
  return path;
}

double decompressOnly(const std::string& path, std::size_t* bytes) {
  auto t = Clock::now();
  gzFile f = gzopen(path.c_str(), "rb");
  std::vector<char> buf(1 << 16);
  std::size_t total = 0;
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) total += static_cast<std::size_t>(n);
  gzclose(f);
  *bytes = total;
  return seconds(t);
}

struct Run {
  double seconds = 0;
  std::size_t users = 0;
  std::size_t findings = 0;
  long maxRssKb = 0;
};

// Runs the offline scan in a child so its peak RSS is its own.
Run scanInChild(const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Run r;
    auto src = scan::SnapshotSource::open(path);
    if (!src) _exit(3);
    scan::ScanOptions opts;
    auto t = Clock::now();
    auto summary = scan::runScan(**src, opts, [&](scan::Finding&&) { ++r.findings; });
    r.seconds = seconds(t);
    r.users = summary.objectsScanned;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.maxRssKb = ru.ru_maxrss;
    if (write(fds[1], &r, sizeof r) != sizeof r) _exit(4);
    _exit(summary.status == scan::ScanStatus::kCompleted ? 0 : 5);
  }
  close(fds[1]);
  Run r;
  auto got = read(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("offline scan child failed (status " + std::to_string(status) + ")");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes{20000, 100000};
  std::string base;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--snapshot") base = argv[i + 1];
    if (a == "--users") {
      sizes.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string n; std::getline(ss, n, ',');) sizes.push_back(std::stoul(n));
    }
  }
  try {
    if (base.empty()) base = baseSnapshot();
    std::printf("offline scan benchmark (one core; gzip LDIF snapshot; lab users cloned)\n");
    std::printf("%10s %10s %12s %12s %12s %10s %10s %12s\n", "users", "MB(raw)", "decomp s", "scan s",
                "users/s", "vs 100k/s", "vs gunzip", "peak RSS MB");
    for (auto n : sizes) {
      auto path = grow(base, n);
      std::size_t raw = 0;
      double dz = decompressOnly(path, &raw);
      auto r = scanInChild(path);
      double rate = r.users / r.seconds;
      std::printf("%10zu %10.1f %12.3f %12.3f %12.0f %9.2fx %9.2fx %12.1f\n", r.users, raw / 1e6, dz,
                  r.seconds, rate, rate / 100000.0, dz / r.seconds, r.maxRssKb / 1024.0);
      std::fflush(stdout);
    }
    std::printf("target: >= 100,000 users/s (ratio >= 1.00x), peak RSS flat across sizes\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_offline_scan: %s\n", e.what());
    return 2;
  }
  return 0;
}
