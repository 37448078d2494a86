#include <iostream>

#include "adcheck/app/cli.h"

namespace adcheck::app {

int usageError(const std::string& message) {
  std::cerr << "adcheck: " << message << " (see adcheck help)\n";
  return 2;
}

int reportError(const Error& e) {
  std::cerr << "adcheck: error: " << e.message << "\n";
  if (!e.hint.empty()) std::cerr << "  fix: " << e.hint << "\n";
  return 2;
}

const std::string* ArgParser::value(const std::string& name) {
  for (std::size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    if (args_[i] == name) {
      used_[i] = true;
      if (i + 1 >= args_.size() || args_[i + 1].rfind("--", 0) == 0) {
        error = name + " needs a value";
        return nullptr;
      }
      used_[i + 1] = true;
      return &args_[i + 1];
    }
    if (args_[i].rfind(name + "=", 0) == 0) {
      used_[i] = true;
      static thread_local std::string tmp;
      tmp = args_[i].substr(name.size() + 1);
      return &tmp;
    }
  }
  return nullptr;
}

std::vector<std::string> ArgParser::values(const std::string& name) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args_.size(); ++i) {
    if (used_[i] || args_[i] != name) continue;
    used_[i] = true;
    for (std::size_t j = i + 1; j < args_.size() && args_[j].rfind("--", 0) != 0; ++j) {
      used_[j] = true;
      out.push_back(args_[j]);
      i = j;
    }
  }
  return out;
}

bool ArgParser::flag(const std::string& name) {
  for (std::size_t i = 0; i < args_.size(); ++i)
    if (!used_[i] && args_[i] == name) {
      used_[i] = true;
      return true;
    }
  return false;
}

std::vector<std::string> ArgParser::rest() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args_.size(); ++i)
    if (!used_[i]) out.push_back(args_[i]);
  return out;
}

}  // namespace adcheck::app
