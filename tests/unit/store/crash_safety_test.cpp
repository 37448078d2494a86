// The store under the failures SPEC section 10 names: a process killed while writing, a
// read-only location, a database locked by another writer, a full database; and readers that must
// not wait for a writer.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/unit/store/store_test_util.h"

namespace adcheck::store {
namespace {

using namespace testing;
using namespace Poco::Data::Keywords;
using scan::ScanStatus;

std::vector<scan::Finding> population(int n, int salt = 0) {
  std::vector<scan::Finding> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char guid[40], dn[96];
    std::snprintf(guid, sizeof guid, "%08x-%04x-4000-8000-000000000000", i, salt);
    std::snprintf(dn, sizeof dn, "CN=u%06d,OU=Users,DC=corp,DC=example,DC=com", i);
    out.push_back(finding("EAS-INHERITANCE-DISABLED", guid, dn));
  }
  return out;
}

Poco::Data::Session rawSession(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session s("SQLite", path);
  s << "PRAGMA busy_timeout = 100", now;
  return s;
}

std::string integrityCheck(const std::string& path) {
  auto s = rawSession(path);
  std::string result;
  s << "PRAGMA integrity_check", into(result), now;
  return result;
}

// Reads everything the child wrote to the pipe until it closes.
std::string readAll(int fd) {
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST(CrashSafety, KilledWhileWritingLeavesTheStoreConsistent) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  {
    auto store = openStore(path);
    writeScan(*store, day(0), population(1000));
    writeScan(*store, day(1), population(1000));
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    SqliteOptions o;
    o.path = path;
    // Once two batches are in the open transaction, say so and wait to be killed.
    o.writeProgress = [&](std::size_t done, std::size_t) {
      if (done < 8000) return;
      char c = 'w';
      (void)!::write(fds[1], &c, 1);
      for (;;) ::pause();
    };
    auto store = openSqliteStore(o);
    if (!store) ::_exit(3);
    auto id = (*store)->beginScan("ldaps://dc1", allRules());
    if (!id) ::_exit(4);
    (void)(*store)->finishScan(*id, summary(day(2), ScanStatus::kCompleted), population(50000, 1));
    ::_exit(5);  // never: the progress callback waits for the kill
  }
  ::close(fds[1]);
  char c = 0;
  ssize_t n = ::read(fds[0], &c, 1);
  ::close(fds[0]);
  if (n != 1) {
    int status = 0;
    ::waitpid(child, &status, 0);
    FAIL() << "the writer ended before writing (exit " << WEXITSTATUS(status) << ")";
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  EXPECT_EQ(integrityCheck(path), "ok");
  auto store = openStore(path);
  auto scans = store->listScans({});
  ASSERT_TRUE(scans) << scans.error().toString();
  ASSERT_EQ(scans->total, 3u);
  EXPECT_EQ(scans->items[0].status, ScanStatus::kRunning) << "begun and committed, never finished";
  EXPECT_EQ(scans->items[1].status, ScanStatus::kCompleted);
  auto current = store->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 1000u) << "the previous scans are intact";
  EXPECT_EQ(current->items.front().scanId, scans->items[1].id);
  {
    auto s = rawSession(path);
    int rows = -1;
    s << "SELECT COUNT(*) FROM scan_findings WHERE scan_id = ?", use(scans->items[0].id), into(rows), now;
    EXPECT_EQ(rows, 0) << "nothing of the interrupted scan was committed";
  }
  // The next scan notices the dead process and closes the record.
  ASSERT_TRUE(store->beginScan("ldaps://dc1", allRules()));
  auto killed = store->scanById(scans->items[0].id);
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->status, ScanStatus::kFailed);
  EXPECT_NE(killed->error.find("interrupted: process " + std::to_string(child)), std::string::npos)
      << killed->error;
}

TEST(CrashSafety, ReadOnlyLocationIsAClearErrorAndLosesNothing) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  { writeScan(*openStore(path), day(0), population(10)); }
  ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0555), 0);
  // In a child that is not root (root writes anywhere).
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    std::string msg;
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      msg = "cannot drop privileges";
    } else {
      SqliteOptions o;
      o.path = path;
      auto store = openSqliteStore(o);
      msg = store ? std::string("opened") : store.error().message + "\n" + store.error().hint;
    }
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  auto msg = readAll(fds[0]);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(path.c_str(), 0644);
  EXPECT_NE(msg.find("cannot write the store " + path), std::string::npos) << msg;
  EXPECT_NE(msg.find("read-only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("-wal"), std::string::npos) << "the hint says why the directory matters: " << msg;

  auto store = openStore(path);
  auto scans = store->listScans({});
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->total, 1u);
  auto current = store->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 10u);
}

TEST(CrashSafety, ALockedDatabaseIsAClearErrorAfterTheBusyTimeout) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  SqliteOptions o;
  o.path = path;
  o.busyTimeout = std::chrono::milliseconds(300);
  auto opened = openSqliteStore(o);
  ASSERT_TRUE(opened) << opened.error().toString();
  auto& store = **opened;
  writeScan(store, day(0), population(10));

  auto other = rawSession(path);
  other << "BEGIN IMMEDIATE", now;
  other << "INSERT INTO remediations (id, body) VALUES (999, 'held')", now;
  auto t0 = std::chrono::steady_clock::now();
  auto id = store.beginScan("ldaps://dc1", allRules());
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kStore);
  EXPECT_NE(id.error().message.find(path + " is locked by another writer"), std::string::npos)
      << id.error().toString();
  EXPECT_NE(id.error().message.find("300 ms"), std::string::npos);
  EXPECT_NE(id.error().hint.find("Earlier history is intact"), std::string::npos);
  EXPECT_GE(waited, std::chrono::milliseconds(250)) << "it waited for the busy timeout";
  other << "ROLLBACK", now;

  // A scan begun before the lock is not lost when its write meets the lock.
  id = store.beginScan("ldaps://dc1", allRules());
  ASSERT_TRUE(id) << id.error().toString();
  other << "BEGIN IMMEDIATE", now;
  auto f = store.finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(20));
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("locked"), std::string::npos);
  other << "ROLLBACK", now;
  f = store.finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(20));
  ASSERT_TRUE(f) << f.error().toString();
  auto current = store.findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 20u);
  EXPECT_EQ(integrityCheck(path), "ok");
}

TEST(CrashSafety, ReadersDoNotWaitForAWriter) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  { writeScan(*openStore(path), day(0), population(100)); }

  // Another connection in the middle of a write transaction.
  auto other = rawSession(path);
  other << "BEGIN IMMEDIATE", now;
  other << "INSERT INTO scans (target, started, status, version, rules) VALUES ('uncommitted', 1, 'completed', 'x', '[]')", now;
  SqliteOptions o;
  o.path = path;
  o.busyTimeout = std::chrono::milliseconds(100);
  auto reader = openSqliteStore(o);
  ASSERT_TRUE(reader) << reader.error().toString();
  auto scans = (*reader)->listScans({});
  ASSERT_TRUE(scans) << scans.error().toString();
  EXPECT_EQ(scans->total, 1u) << "the uncommitted scan is invisible";
  auto current = (*reader)->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 100u);
  other << "ROLLBACK", now;

  // And through the store itself: a finishScan in another thread, paused mid-transaction until
  // the reader has read.
  std::mutex m;
  std::condition_variable cv;
  bool writing = false, read_done = false;
  SqliteOptions wo;
  wo.path = path;
  wo.writeProgress = [&](std::size_t, std::size_t) {
    std::unique_lock lock(m);
    if (writing) return;
    writing = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return read_done; });
  };
  auto writer = openSqliteStore(wo);
  ASSERT_TRUE(writer);
  auto id = (*writer)->beginScan("ldaps://dc1", allRules());
  ASSERT_TRUE(id);
  Result<std::vector<FindingState>> written = std::vector<FindingState>{};
  std::thread t([&] {
    written = (*writer)->finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(20000, 2));
  });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return writing; }));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto during = (*reader)->findings(FindingQuery{});
  auto running = (*reader)->scanById(*id);
  auto took = std::chrono::steady_clock::now() - t0;
  {
    std::lock_guard lock(m);
    read_done = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_TRUE(during) << during.error().toString();
  EXPECT_EQ(during->total, 100u) << "the reader sees the last committed state";
  ASSERT_TRUE(running);
  EXPECT_EQ(running->status, ScanStatus::kRunning);
  EXPECT_LT(took, std::chrono::seconds(2));
  ASSERT_TRUE(written) << written.error().toString();
  current = (*reader)->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 20000u);
}

TEST(CrashSafety, AFullDatabaseIsAClearErrorAndLosesNothing) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  { writeScan(*openStore(path), day(0), population(100)); }
  std::int64_t pages = 0;
  {
    auto s = rawSession(path);
    s << "PRAGMA page_count", into(pages), now;
  }
  SqliteOptions o;
  o.path = path;
  o.maxPageCount = pages + 4;  // room for the scan record, not for its findings
  auto capped = openSqliteStore(o);
  ASSERT_TRUE(capped) << capped.error().toString();
  auto id = (*capped)->beginScan("ldaps://dc1", allRules());
  ASSERT_TRUE(id) << id.error().toString();
  auto f = (*capped)->finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(20000, 3));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kStore);
  EXPECT_NE(f.error().message.find("is full (SQLITE_FULL)"), std::string::npos) << f.error().toString();
  EXPECT_NE(f.error().message.find("earlier history is intact"), std::string::npos);
  EXPECT_NE(f.error().hint.find("df -h " + dir.path()), std::string::npos) << f.error().hint;
  capped->reset();

  EXPECT_EQ(integrityCheck(path), "ok");
  auto store = openStore(path);
  auto current = store->findings(FindingQuery{});
  ASSERT_TRUE(current);
  EXPECT_EQ(current->total, 100u);
  auto pending = store->scanById(*id);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->status, ScanStatus::kRunning);
  // With room again the same scan can still be written.
  auto again = store->finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(200, 3));
  ASSERT_TRUE(again) << again.error().toString();
}

TEST(CrashSafety, AScanThatCouldNotBeSavedIsFailedForThatReasonNotInterrupted) {
  TempDir dir;
  const auto path = dir.file("adcheck.sqlite");
  { writeScan(*openStore(path), day(0), population(100)); }
  std::int64_t pages = 0;
  {
    auto s = rawSession(path);
    s << "PRAGMA page_count", into(pages), now;
  }
  SqliteOptions o;
  o.path = path;
  o.maxPageCount = pages + 4;
  auto capped = openSqliteStore(o);
  ASSERT_TRUE(capped) << capped.error().toString();
  auto id = (*capped)->beginScan("ldaps://dc1", allRules());
  ASSERT_TRUE(id);
  auto f =
      (*capped)->finishScan(*id, summary(day(1), ScanStatus::kCompleted), population(20000, 3));
  ASSERT_FALSE(f);
  // What adcheck scan and the web's scan job do when the write failed: the small row update
  // still fits where the findings did not.
  auto marked = (*capped)->failScan(*id, "the scan could not be saved: " + f.error().message);
  ASSERT_TRUE(marked) << marked.error().toString();
  capped->reset();

  // A later scan (whose beginScan looks for interrupted ones) keeps the real reason.
  auto store = openStore(path);
  ASSERT_TRUE(store->beginScan("ldaps://dc1", allRules()));
  auto rec = store->scanById(*id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, ScanStatus::kFailed);
  EXPECT_NE(rec->error.find("is full (SQLITE_FULL)"), std::string::npos) << rec->error;
  EXPECT_EQ(rec->error.find("interrupted"), std::string::npos) << rec->error;
  EXPECT_EQ(integrityCheck(path), "ok");
  // Only a running scan is marked.
  ASSERT_TRUE(store->failScan(*id, "again"));
  EXPECT_NE(store->scanById(*id)->error, "again");
}

}  // namespace
}  // namespace adcheck::store
