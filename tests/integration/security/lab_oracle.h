// Helpers of the oracle tests against the lab: find the lab folder (or fail saying how to start
// it), run a python3-samba script, read its JSON.
#pragma once

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace adcheck::security::oracle {

namespace fs = std::filesystem;

inline constexpr const char* kPython = "/usr/bin/python3";  // python3-samba lives there (LAB.md)

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The lab folder, or a failure that says what to do.
inline ::testing::AssertionResult labDir(fs::path& out) {
  const char* dir = std::getenv("ADCHECK_LAB_DIR");
  if (dir == nullptr || *dir == '\0')
    return ::testing::AssertionFailure()
           << "ADCHECK_LAB_DIR is not set: run this test through ctest (fixture 'lab'), or start "
              "a lab with tests/lab/lab.py up --dir D and set ADCHECK_LAB_DIR=D";
  out = dir;
  if (!fs::exists(out / "lab.json"))
    return ::testing::AssertionFailure()
           << "the lab is not up: " << (out / "lab.json") << " is missing; run "
           << "tests/lab/lab.py up --dir " << out << " (ctest does it in the test lab_up)";
  return ::testing::AssertionSuccess();
}

// Runs a python script; returns its combined output in `output`.
inline ::testing::AssertionResult runPython(const std::vector<std::string>& args,
                                            std::string& output) {
  Poco::Pipe outPipe;
  Poco::ProcessHandle handle = Poco::Process::launch(kPython, args, nullptr, &outPipe, &outPipe);
  Poco::PipeInputStream in(outPipe);
  Poco::StreamCopier::copyToString(in, output);
  const int rc = handle.wait();
  if (rc != 0) {
    std::string cmd = kPython;
    for (const auto& a : args) cmd += " " + a;
    return ::testing::AssertionFailure() << cmd << " exited with " << rc << ":\n" << output;
  }
  return ::testing::AssertionSuccess();
}

inline Poco::JSON::Object::Ptr parseJsonFile(const fs::path& p) {
  Poco::JSON::Parser parser;
  return parser.parse(readFile(p)).extract<Poco::JSON::Object::Ptr>();
}

inline std::string fromBase64(const std::string& b64) {
  std::istringstream in(b64);
  Poco::Base64Decoder dec(in);
  std::string out;
  Poco::StreamCopier::copyToString(dec, out);
  return out;
}

}  // namespace adcheck::security::oracle
