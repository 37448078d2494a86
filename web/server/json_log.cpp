#include "web/server/json_log.h"

#include <Poco/JSON/Stringifier.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include "adcheck/scan/model.h"

namespace adcheck::web {

Result<std::unique_ptr<JsonLog>> JsonLog::open(const std::string& path) {
  auto log = std::make_unique<JsonLog>();
  if (path.empty()) return log;
  if (path == "-") {
    log->mode_ = Mode::kStderr;
    return log;
  }
  // Create with 0600 first: the logs name users and clients.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(ErrorCode::kIo, "cannot open log file '" + path + "': " + std::strerror(errno),
                "check that the directory exists and is writable by the adcheck user");
  ::close(fd);
  log->file_.open(path, std::ios::app | std::ios::binary);
  if (!log->file_)
    return fail(ErrorCode::kIo, "cannot open log file '" + path + "'", "check the permissions");
  log->mode_ = Mode::kFile;
  return log;
}

void JsonLog::write(const Poco::JSON::Object::Ptr& fields) {
  if (mode_ == Mode::kOff) return;
  Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
  line.set("time", scan::isoTime(std::time(nullptr)));
  for (const auto& k : fields->getNames()) line.set(k, fields->get(k));
  std::ostringstream out;
  line.stringify(out);
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::kStderr) {
    std::cerr << out.str() << "\n";
    std::cerr.flush();
  } else {
    file_ << out.str() << "\n";
    file_.flush();
  }
}

}  // namespace adcheck::web
