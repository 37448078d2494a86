// Access to the test lab (a real Samba AD DC started by tests/lab/lab.py as a ctest fixture).
// If the lab is not up, these helpers fail the test with the reason: never skip.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "adcheck/config/config.h"

namespace adcheck::testing {

struct Lab {
  std::string dir;
  Poco::JSON::Object::Ptr json;
  std::string str(const std::string& path) const;  // "admin.password_file", "ldaps_uri", ...
};

// Loads $ADCHECK_LAB_DIR/lab.json; throws std::runtime_error with the reason when unavailable.
Lab loadLab();

enum class Identity { kAdminGssapi, kReaderLdaps, kReaderStartTls };

// A config for the lab, as INI text; sets KRB5_CONFIG/KRB5CCNAME for GSSAPI identities.
std::string labConfigIni(const Lab& lab, Identity who, const std::string& extra = "");
config::Config labConfig(const Lab& lab, Identity who, const std::string& extra = "");

// Writes text to a fresh file under the build tree's test scratch folder and returns its path.
std::string scratchFile(const std::string& name, const std::string& text);

// Runs a command line, returns (exit code, stdout+stderr).
std::pair<int, std::string> run(const std::string& command);

// Path of the built adcheck binary.
std::string adcheckBinary();

}  // namespace adcheck::testing
