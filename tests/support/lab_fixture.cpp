#include "tests/support/lab_fixture.h"

#include <Poco/JSON/Parser.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace adcheck::testing {

std::string Lab::str(const std::string& path) const {
  Poco::JSON::Object::Ptr o = json;
  std::string key = path;
  auto dot = path.find('.');
  if (dot != std::string::npos) {
    o = json->getObject(path.substr(0, dot));
    key = path.substr(dot + 1);
  }
  if (!o || !o->has(key)) throw std::runtime_error("lab.json has no '" + path + "'");
  return o->getValue<std::string>(key);
}

Lab loadLab() {
  const char* dir = std::getenv("ADCHECK_LAB_DIR");
  if (dir == nullptr || *dir == '\0')
    throw std::runtime_error("ADCHECK_LAB_DIR is not set: run this test through ctest, which starts "
                             "the lab (tests lab_up/lab_down)");
  std::string path = std::string(dir) + "/lab.json";
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("the lab is not up: " + path + " is missing. Start it with "
                             "/usr/bin/python3 tests/lab/lab.py up --dir " + dir +
                             " and look at " + dir + "/samba.log");
  std::stringstream ss;
  ss << in.rdbuf();
  Lab lab;
  lab.dir = dir;
  lab.json = Poco::JSON::Parser().parse(ss.str()).extract<Poco::JSON::Object::Ptr>();
  return lab;
}

std::string labConfigIni(const Lab& lab, Identity who, const std::string& extra) {
  std::string ini = "[directory]\n";
  if (who == Identity::kAdminGssapi) {
    ::setenv("KRB5_CONFIG", lab.str("krb5_config").c_str(), 1);
    ::setenv("KRB5CCNAME", lab.str("admin.ccache").c_str(), 1);
    ini += "uri = " + lab.str("ldap_uri") + "\nbind = gssapi\n";
  } else {
    ini += "uri = " + (who == Identity::kReaderLdaps ? lab.str("ldaps_uri") : lab.str("ldap_uri")) +
           "\nbind = simple\nuser = " + lab.str("reader.user") +
           "\npassword_file = " + lab.str("reader.password_file") +
           "\nca_file = " + lab.str("ca_file") + "\n";
    if (who == Identity::kReaderStartTls) ini += "starttls = true\n";
  }
  return ini + extra;
}

config::Config labConfig(const Lab& lab, Identity who, const std::string& extra) {
  auto c = config::parseConfig(labConfigIni(lab, who, extra), "lab.ini");
  if (!c) throw std::runtime_error("lab config invalid: " + c.error().toString());
  return *c;
}

std::string scratchFile(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::path(ADCHECK_BINARY_DIR) / "test-scratch";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path.string();
}

std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string adcheckBinary() { return std::string(ADCHECK_BINARY_DIR) + "/adcheck/app/adcheck"; }

}  // namespace adcheck::testing
