#include "web/server/scheduler.h"

#include <chrono>
#include <cstdio>

#include "web/server/scan_job.h"

namespace adcheck::web {

std::optional<std::time_t> nextRunTime(const config::ScheduleConfig& schedule, std::time_t now,
                                       std::optional<std::time_t> last_start) {
  if (schedule.interval.count() > 0) {
    if (!last_start) return now;
    return std::max(now, *last_start + static_cast<std::time_t>(schedule.interval.count()));
  }
  if (schedule.daily_at.size() == 5 && schedule.daily_at[2] == ':') {
    const int hour = std::stoi(schedule.daily_at.substr(0, 2));
    const int minute = std::stoi(schedule.daily_at.substr(3, 2));
    std::tm tm{};
    localtime_r(&now, &tm);
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    if (t <= now) {
      tm.tm_mday += 1;  // mktime normalises month and year ends
      tm.tm_hour = hour;
      tm.tm_min = minute;
      tm.tm_isdst = -1;
      t = std::mktime(&tm);
    }
    return t;
  }
  return std::nullopt;
}

std::string scheduleText(const config::ScheduleConfig& schedule) {
  if (schedule.interval.count() > 0) {
    const long s = static_cast<long>(schedule.interval.count());
    if (s % 86400 == 0) return "every " + std::to_string(s / 86400) + "d";
    if (s % 3600 == 0) return "every " + std::to_string(s / 3600) + "h";
    if (s % 60 == 0) return "every " + std::to_string(s / 60) + "m";
    return "every " + std::to_string(s) + "s";
  }
  if (!schedule.daily_at.empty()) return "daily at " + schedule.daily_at;
  return "manual only";
}

Scheduler::Scheduler(const config::ScheduleConfig& schedule, ScanJob& job)
    : schedule_(schedule), job_(job) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    next_ = nextRunTime(schedule_, std::time(nullptr), job_.lastStarted());
  }
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::time_t> Scheduler::nextRun() const {
  std::lock_guard lock(mutex_);
  return next_;
}

void Scheduler::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::time_t now = std::time(nullptr);
    next_ = nextRunTime(schedule_, now, job_.lastStarted());
    if (!next_) {
      cv_.wait(lock, [&] { return stopping_; });
      break;
    }
    if (*next_ > now) {
      // Wake at least every 30 s so a changed wall clock cannot delay a run for long.
      cv_.wait_for(lock, std::chrono::seconds(std::min<std::time_t>(*next_ - now, 30)));
      continue;
    }
    if (job_.running()) {  // never two scans at once: wait for the running one
      cv_.wait_for(lock, std::chrono::seconds(1));
      continue;
    }
    lock.unlock();
    auto started = job_.start("schedule");
    if (!started) std::fprintf(stderr, "adcheck serve: scheduled scan not started: %s\n",
                               started.error().message.c_str());
    lock.lock();
    if (!started) cv_.wait_for(lock, std::chrono::seconds(60));  // do not spin on a broken store
  }
}

}  // namespace adcheck::web
