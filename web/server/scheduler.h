// The built-in scheduler ([schedule] interval or daily_at): one thread that starts the scan job
// when it is due, never while a scan runs (a due run waits for the running one, then counts from
// its start), and stops at once on shutdown.
#pragma once

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "adcheck/config/config.h"

namespace adcheck::web {

class ScanJob;

// When the next scheduled scan is due. interval: last_start + interval (now when that is past,
// or when no scan ever started); daily_at "HH:MM" (server local time): the next such minute after
// now. nullopt: manual only.
std::optional<std::time_t> nextRunTime(const config::ScheduleConfig& schedule, std::time_t now,
                                       std::optional<std::time_t> last_start);

// "every 6h", "daily at 02:00", "manual only" (the Schedule object's "schedule").
std::string scheduleText(const config::ScheduleConfig& schedule);

class Scheduler {
 public:
  Scheduler(const config::ScheduleConfig& schedule, ScanJob& job);
  ~Scheduler();
  void start();
  void stop();  // joins
  std::optional<std::time_t> nextRun() const;
  const config::ScheduleConfig& schedule() const { return schedule_; }

 private:
  void loop();
  config::ScheduleConfig schedule_;
  ScanJob& job_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::optional<std::time_t> next_;
  std::thread thread_;
};

}  // namespace adcheck::web
