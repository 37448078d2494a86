// Command-line entry points (SPEC section 4). Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::app {

using Args = std::vector<std::string>;

int cmdScan(const Args& args);
int cmdSnapshot(const Args& args);
int cmdExplain(const Args& args);
int cmdRules(const Args& args);
int cmdProbe(const Args& args);  // probe_command.cpp
int cmdReport(const Args& args);  // report_command.cpp
int cmdDoctor(const Args& args);  // doctor_command.cpp

// Errors on stderr, the same way for every command; both return exit code 2.
int usageError(const std::string& message);
int reportError(const Error& error);

// Small argument helpers shared by the commands.
struct ArgParser {
  explicit ArgParser(const Args& args) : args_(args) {}
  // Value of --name (or nullptr); also accepts --name=value.
  const std::string* value(const std::string& name);
  std::vector<std::string> values(const std::string& name);  // repeated or space-separated
  bool flag(const std::string& name);
  // Positional arguments and unknown options left after the known ones were taken.
  std::vector<std::string> rest() const;
  std::string error;  // set when an option lacks its value

 private:
  const Args& args_;
  std::vector<bool> used_ = std::vector<bool>(args_.size(), false);
};

}  // namespace adcheck::app
