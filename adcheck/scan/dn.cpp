#include "adcheck/scan/dn.h"

#include <cctype>

namespace adcheck::scan {
namespace {

// Index of the comma ending the first RDN, or npos.
std::size_t firstRdnEnd(std::string_view dn) {
  bool quoted = false;
  for (std::size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == '\\') {
      ++i;  // skip escaped char (or first hex digit; the second is harmless)
    } else if (c == '"') {
      quoted = !quoted;
    } else if ((c == ',' || c == ';') && !quoted) {
      return i;
    }
  }
  return std::string_view::npos;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string dnKey(std::string_view dn) {
  std::string out(dn);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string parentDn(std::string_view dn) {
  auto end = firstRdnEnd(dn);
  if (end == std::string_view::npos) return {};
  auto rest = dn.substr(end + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return std::string(rest);
}

std::vector<std::string> splitDn(std::string_view dn) {
  std::vector<std::string> out;
  while (!dn.empty()) {
    auto end = firstRdnEnd(dn);
    out.emplace_back(dn.substr(0, end));
    if (end == std::string_view::npos) break;
    dn.remove_prefix(end + 1);
    while (!dn.empty() && dn.front() == ' ') dn.remove_prefix(1);
  }
  return out;
}

std::string firstRdnType(std::string_view dn) {
  auto eq = dn.find('=');
  if (eq == std::string_view::npos) return {};
  return dnKey(dn.substr(0, eq));
}

std::string firstRdnValue(std::string_view dn) {
  auto end = firstRdnEnd(dn);
  auto rdn = dn.substr(0, end);
  auto eq = rdn.find('=');
  if (eq == std::string_view::npos) return std::string(rdn);
  auto v = rdn.substr(eq + 1);
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      int h1 = hexValue(v[i + 1]);
      int h2 = i + 2 < v.size() ? hexValue(v[i + 2]) : -1;
      if (h1 >= 0 && h2 >= 0) {
        out += static_cast<char>(h1 * 16 + h2);
        i += 2;
      } else {
        out += v[i + 1];
        ++i;
      }
    } else if (v[i] != '"') {
      out += v[i];
    }
  }
  return out;
}

bool dnIsUnder(std::string_view dn, std::string_view base) {
  if (base.empty()) return true;
  if (dn.size() < base.size()) return false;
  auto tail = dn.substr(dn.size() - base.size());
  if (dnKey(tail) != dnKey(base)) return false;
  if (dn.size() == base.size()) return true;
  char sep = dn[dn.size() - base.size() - 1];
  return sep == ',' || sep == ';';
}

}  // namespace adcheck::scan
