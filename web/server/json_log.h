// Structured logs of the server: one JSON object per line (access log and audit log). Never given
// bodies, cookies or passwords: callers pass only the fields listed in web/server/app.cpp.
#pragma once

#include <Poco/JSON/Object.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "adcheck/core/error.h"

namespace adcheck::web {

class JsonLog {
 public:
  // path "": logging off; "-": standard error; else appended to the file (created 0600).
  static Result<std::unique_ptr<JsonLog>> open(const std::string& path);
  // Writes {"time": now, ...fields} as one line and flushes.
  void write(const Poco::JSON::Object::Ptr& fields);
  bool enabled() const { return mode_ != Mode::kOff; }

 private:
  enum class Mode { kOff, kStderr, kFile };
  Mode mode_ = Mode::kOff;
  std::mutex mutex_;
  std::ofstream file_;
};

}  // namespace adcheck::web
